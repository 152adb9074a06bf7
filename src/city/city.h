// The composition root: the one place that opens the city's parts from a
// configuration (citycode.toml, docs/CONFIG.md): the database, the keyring,
// the platform, the vault and every scene of the scene list that its
// settings turn on. `citycode serve`, `citycode demo` and every CLI command
// that opens a database use it, so they all honour one configuration.
#ifndef CITYCODE_CITY_CITY_H_
#define CITYCODE_CITY_CITY_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/scene.h"
#include "common/city_time.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/status.h"
#include "crypto/aead.h"
#include "outbox/outbox.h"
#include "platform/keyring.h"
#include "platform/platform.h"
#include "store/database.h"
#include "vault/vault.h"

namespace citycode::city {

struct CityConfig {
  std::string database_url = "sqlite:citycode.db";
  std::size_t database_pool_size = 8;
  // Master and index keys; created (0600) on first start if missing.
  std::filesystem::path keyring_file = "citycode.keyring.json";
  crypto::CipherProfile cipher_profile = crypto::CipherProfile::kAes256Gcm;
  // The city's local time ([platform] time_zone; Asia/Shanghai by default).
  CityTime time;
  platform::PlatformOptions platform;
  vault::VaultOptions vault{.checkpoint_file = "citycode.audit-checkpoints.jsonl"};
  // [outbox] and its destinations, [outbox.NAME] (outbox/destination.h).
  outbox::OutboxConfig outbox;
  // How often the running service does its upkeep (purges, checkpoints,
  // the scenes' upkeep).
  std::chrono::seconds upkeep_interval{60};
  // Each scene's [section], by scene name; the scene reads it when the city
  // opens, and a key it does not read is refused there.
  std::map<std::string, ConfigTable, std::less<>> scenes;
  // The [server] section, read by the server (server::ReadServerConfig);
  // other commands ignore it.
  ConfigTable server;
};

// Reads a citycode.toml over the defaults in `config`. invalid_argument
// naming the key for a syntax error, an unknown section or key of the
// city's own sections, or a wrong type; not_found if the file is missing.
Status LoadConfigFile(const std::filesystem::path& file, CityConfig& config);

struct OpenOptions {
  // Create a missing SQLite file (serve, demo, commands that load data).
  // Otherwise a missing one is invalid_argument: a mistyped path must not
  // act on a new, empty city.
  bool create_database = true;
  // Create a missing keyring; otherwise a missing one is an error.
  bool create_keyring = true;
  // Use this database instead of opening config.database_url; it must
  // outlive the City (tests put a fault-injecting one here).
  store::Database* database = nullptr;
  // Open every pooled database connection at once (store::DatabaseOptions):
  // set by a long-running server.
  bool connect_whole_pool = false;
  // The scene list; empty: scenes::AllSceneModules(). Tests register a fake
  // scene the way a real one is registered.
  std::function<std::vector<std::unique_ptr<api::SceneModule>>()> scene_list;
};

class City {
 public:
  // Opens everything, applying migrations. `clock` must outlive the City.
  static Result<std::unique_ptr<City>> Open(const CityConfig& config, const Clock& clock,
                                            OpenOptions options = {});
  ~City();

  store::Database& database() { return *db_; }
  const platform::Keyring& keyring() const { return *keyring_; }
  platform::Platform& platform() { return *platform_; }
  vault::Vault& vault() { return *vault_; }
  // Opened (its migrations applied) with every city; its relay runs only
  // when the service starts it (Outbox::StartRelay).
  outbox::Outbox& outbox() { return *outbox_; }
  // The scenes the configuration turned on, in list order.
  const std::vector<std::unique_ptr<api::Scene>>& scenes() const { return scenes_; }
  // Their names ("gov", "transit"), parallel to scenes().
  const std::vector<std::string>& scene_names() const { return scene_names_; }
  // The scene of that name, or nullptr when it is off or unknown.
  api::Scene* scene(std::string_view name) const;

  // Each opened scene's figures for the operator's dashboard since `since`,
  // by scene name (api::Scene::Dashboard); scenes with none left out.
  Result<nlohmann::json> DashboardScenes(Instant since);

  // --- a citizen's rights over their account, across every part ---
  // Their data (PIPL art. 45): each opened scene's records, by scene name.
  Result<nlohmann::json> ExportScenes(std::string_view citizen_id);
  // Deletes the account (PIPL art. 47) once `password` confirms it: the
  // vault revokes its grants and ends its guardian links, each scene erases
  // what it need not keep, and the platform erases the person
  // (platform::Citizens::Erase). Each step can be run again, so a deletion
  // cut short completes when asked again. What is kept, and why, one line
  // per part. unauthenticated (wrong_password).
  Result<std::vector<std::string>> DeleteAccount(std::string_view citizen_id,
                                                 std::string_view password);

 private:
  City() = default;
  Status OpenScenes(const CityConfig& config, const Clock& clock, const OpenOptions& options);

  std::unique_ptr<store::Database> owned_db_;
  store::Database* db_ = nullptr;
  std::optional<platform::Keyring> keyring_;
  std::unique_ptr<platform::Platform> platform_;
  std::unique_ptr<vault::Vault> vault_;
  std::unique_ptr<outbox::Outbox> outbox_;  // before scenes_: they may use it
  std::vector<std::string> scene_names_;    // parallel to scenes_
  std::vector<std::unique_ptr<api::Scene>> scenes_;
};

}  // namespace citycode::city

#endif  // CITYCODE_CITY_CITY_H_
