// The running service: database, keyring, platform, API and HTTP server put
// together from one configuration, plus the periodic upkeep (purging replay
// records and expired sessions, picking up list changes made by other
// server processes, signing an audit checkpoint). `citycode serve` and `citycode demo` run one;
// tests start one in-process.
#ifndef CITYCODE_SERVER_SERVICE_H_
#define CITYCODE_SERVER_SERVICE_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "platform/platform.h"
#include "server/api.h"
#include "server/http.h"
#include "store/database.h"
#include "vault/vault.h"

namespace citycode::server {

struct ServiceConfig {
  std::string database_url = "sqlite:citycode.db";
  // Master and index keys; created (0600) on first start if missing.
  std::filesystem::path keyring_file = "citycode.keyring.json";
  crypto::CipherProfile cipher_profile = crypto::CipherProfile::kAes256Gcm;
  std::size_t database_pool_size = 8;
  HttpOptions http;
  ApiOptions api;
  platform::PlatformOptions platform;
  // The audit checkpoint file defaults to citycode.audit-checkpoints.jsonl.
  vault::VaultOptions vault{.checkpoint_file = "citycode.audit-checkpoints.jsonl"};
  std::chrono::seconds upkeep_interval{60};
  struct Transit {
    // The feed folder (GTFS + Fares v2 + the citycode fare extension),
    // loaded at start. Empty: no transit scene; its routes answer 503.
    std::filesystem::path feed_dir;
  } transit;
};

// Reads a citycode.toml (see docs/CONFIG.md) over the defaults in `config`.
// invalid_argument naming the key for unknown keys or wrong types.
Status LoadConfigFile(const std::filesystem::path& file, ServiceConfig& config);

class Service {
 public:
  // Opens everything and starts listening. `clock` must outlive the service.
  static Result<std::unique_ptr<Service>> Start(const ServiceConfig& config, const Clock& clock);
  ~Service();  // stops

  std::uint16_t port() const;
  platform::Platform& platform();
  vault::Vault& vault();
  gov::GovScene& gov();
  store::Database& database();
  // Stops listening and upkeep; idempotent.
  void Stop();

 private:
  struct Impl;
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace citycode::server

#endif  // CITYCODE_SERVER_SERVICE_H_
