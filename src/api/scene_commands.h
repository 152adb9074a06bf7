// A scene's command-line subcommands (`citycode transit clear …`), declared
// in the scene's folder like its routes; the CLI adds every scene's through
// the scene list and names no scene. Exit codes and error lines are the
// CLI's: 0 success, 1 a refused code, 2 bad usage or input, and the error as
// one line "citycode: <message>" on stderr.
#ifndef CITYCODE_API_SCENE_COMMANDS_H_
#define CITYCODE_API_SCENE_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "api/scene.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/status.h"

namespace citycode::api {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;

// Prints "citycode: <message>" on stderr and returns kExitUsage.
int FailCommand(const Status& status);

// What the CLI gives a scene's commands: the city as every command opens it.
class SceneCommandContext {
 public:
  virtual ~SceneCommandContext() = default;
  // Adds --config (the same citycode.toml as serve), --db and --keyring to
  // a command that opens the city.
  virtual void AddCityOptions(CLI::App* command) = 0;
  // Opens the city those options name, `settings` over the scene's
  // [section], and returns the scene (owned by the context), or nullptr
  // when the configuration leaves the scene off. With
  // `existing`, the database must exist already: a mistyped --db must not
  // create a new one. The city runs on `clock` (kept by the context for
  // the city's life), or on the system's clock when it is null.
  virtual Result<Scene*> OpenScene(const ConfigTable& settings, bool existing,
                                   std::unique_ptr<Clock> clock) = 0;
};

}  // namespace citycode::api

#endif  // CITYCODE_API_SCENE_COMMANDS_H_
