// The scenes' own subcommands, added through the scene list: each scene's
// commands open the city the way every command does (--config, --db,
// --keyring).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "common/clock.h"
#include "scenes/scene_list.h"

namespace citycode::cli {
namespace {

class CitySceneCommands final : public api::SceneCommandContext {
 public:
  explicit CitySceneCommands(std::string scene) : scene_(std::move(scene)) {}

  void AddCityOptions(CLI::App* command) override { cli::AddCityOptions(command, args_); }

  Result<api::Scene*> OpenScene(const ConfigTable& settings, bool existing,
                                std::unique_ptr<Clock> clock) override {
    CITYCODE_ASSIGN_OR_RETURN(city::CityConfig config, MakeCityConfig(args_));
    for (const auto& [key, value] : settings) config.scenes[scene_][key] = value;
    clock_ = clock ? std::move(clock) : std::make_unique<SystemClock>();
    CITYCODE_ASSIGN_OR_RETURN(city_,
                              city::City::Open(config, *clock_, {.create_database = !existing}));
    return city_->scene(scene_);
  }

 private:
  std::string scene_;
  CityArgs args_;                 // one command runs per invocation: its options land here
  std::unique_ptr<Clock> clock_;  // before city_: the city uses it to its end
  std::unique_ptr<city::City> city_;
};

struct SceneCommandSet {
  std::vector<std::unique_ptr<api::SceneModule>> modules;
  std::vector<std::unique_ptr<CitySceneCommands>> contexts;
};

}  // namespace

std::shared_ptr<void> AddSceneCommands(CLI::App& app, Action& action) {
  auto set = std::make_shared<SceneCommandSet>();
  set->modules = scenes::AllSceneModules();
  for (const auto& module : set->modules) {
    auto& context = set->contexts.emplace_back(
        std::make_unique<CitySceneCommands>(std::string(module->name())));
    module->AddCommands(app, *context, action);
  }
  return set;
}

}  // namespace citycode::cli
