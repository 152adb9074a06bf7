// A scene: one kind of place where the code is shown (the service hall,
// transit, hospitals, hotels, access gates). Each lives in its own folder
// src/scenes/<name>/ and is registered in the scene list
// (scenes/scene_list.h); the composition root, the server and the CLI know
// scenes only through that list. docs/SCENES.md is the recipe.
#ifndef CITYCODE_API_SCENE_H_
#define CITYCODE_API_SCENE_H_

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/demo_seed.h"
#include "api/route.h"
#include "code/credential.h"
#include "common/city_time.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/status.h"
#include "platform/keyring.h"
#include "platform/platform.h"
#include "store/database.h"
#include "vault/vault.h"

namespace CLI {
class App;
}  // namespace CLI

namespace citycode::outbox {
class Outbox;
}  // namespace citycode::outbox

namespace citycode::api {

class SceneCommandContext;
// The command that runs: a subcommand's callback stores it, main() runs it.
using CommandAction = std::function<int()>;

// The city's shared parts, opened once by the composition root; they
// outlive every scene.
struct SceneContext {
  store::Database& db;
  const Clock& clock;
  platform::Platform& platform;
  vault::Vault& vault;
  // The city's local time ([platform] time_zone).
  CityTime time;
  // Seals a scene's personal data at rest.
  const platform::Keyring& keyring;
  // Events to outside systems, written in the scene's transactions; null
  // when the city has no [outbox] destinations.
  outbox::Outbox* outbox = nullptr;
};

// An opened scene: its use cases behind the routes it serves.
class Scene {
 public:
  virtual ~Scene() = default;
  // Its routes. Handlers may hold references to this scene, which outlives
  // them.
  virtual std::vector<RouteSpec> Routes() = 0;
  // Periodic upkeep on the service's upkeep thread (one server at a time);
  // an error is logged and the next round tries again.
  virtual Status Upkeep() { return OkStatus(); }
  // A citizen's own records in this scene, for their data export (PIPL
  // art. 45): a JSON value, null when the scene keeps none.
  virtual Result<nlohmann::json> ExportCitizen(std::string_view citizen_id) {
    (void)citizen_id;
    return nlohmann::json();
  }
  // The citizen's account is being deleted (PIPL art. 47): the scene erases
  // what it need not keep and says what it keeps and why, one line each.
  virtual Result<std::vector<std::string>> EraseCitizen(std::string_view citizen_id) {
    (void)citizen_id;
    return std::vector<std::string>();
  }
  // The scene's own figures for the operator's dashboard
  // (GET /v1/ops/dashboard) from `since` to now, aggregated in the
  // database: a JSON object, null when the scene shows none. How many codes
  // the scene verified is the platform's (platform/activity.h), not here.
  virtual Result<nlohmann::json> Dashboard(Instant since) {
    (void)since;
    return nlohmann::json();
  }
  // Seeds the scene's own setup for the demo city's organisations
  // (api/demo_seed.h); only ever on a database of demo data.
  virtual Status SeedDemo(DemoSeed& seed) {
    (void)seed;
    return OkStatus();
  }
};

// A scene as the list registers it: it reads its settings, then opens.
class SceneModule {
 public:
  virtual ~SceneModule() = default;
  // "gov", "transit": its [section] of citycode.toml and its name in logs.
  virtual std::string_view name() const = 0;
  // Its number in the CC1 credential's scene registry (DESIGN.md).
  virtual code::Scene kind() const = 0;
  // The first version of its block of store::kMigrationBlock migration
  // versions; every scene has its own block.
  virtual int migration_block() const = 0;
  // Reads its section of citycode.toml; called once before Open, with an
  // empty section when the file has none.
  virtual Status Configure(ConfigSection& section) {
    (void)section;
    return OkStatus();
  }
  // Opens the scene, applying its migrations; nullptr when its settings
  // leave it off, and then it is not registered at all.
  virtual Result<std::unique_ptr<Scene>> Open(const SceneContext& context) = 0;
  // Adds its subcommands (`citycode <name> …`, api/scene_commands.h) to
  // `app`; `context` and `action` outlive them.
  virtual void AddCommands(CLI::App& app, SceneCommandContext& context, CommandAction& action) {
    (void)app, (void)context, (void)action;
  }
};

}  // namespace citycode::api

#endif  // CITYCODE_API_SCENE_H_
