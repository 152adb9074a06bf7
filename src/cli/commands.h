// The `citycode` command line: each function adds one command to the app.
// Commands only parse, call one library function and render; exit codes:
// 0 success (or a valid code), 1 a refused code, 2 bad usage or input.
#ifndef CITYCODE_CLI_COMMANDS_H_
#define CITYCODE_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/scene_commands.h"
#include "city/city.h"
#include "common/status.h"

namespace citycode::cli {

using api::kExitOk;
using api::kExitRefused;
using api::kExitUsage;

// Prints "citycode: <message>" on stderr and returns kExitUsage.
inline int Fail(const Status& status) { return api::FailCommand(status); }

// The options every command that opens the city takes: --config (the same
// citycode.toml as serve) and the --db and --keyring that override it.
struct CityArgs {
  std::optional<std::string> config, db, keyring;
};
void AddCityOptions(CLI::App* command, CityArgs& args);
// The configuration those options make; without --config, the audit
// checkpoint file lies beside the keyring.
Result<city::CityConfig> MakeCityConfig(const CityArgs& args);

// Each command stores its action here; main() runs the chosen one.
using Action = api::CommandAction;

void AddIssuerCommands(CLI::App& app, Action& action);      // issuer init
void AddDeviceCommands(CLI::App& app, Action& action);      // device init
void AddCredentialCommands(CLI::App& app, Action& action);  // credential issue
void AddCodeCommands(CLI::App& app, Action& action);        // code make, code verify
void AddRevokeCommand(CLI::App& app, Action& action);       // revoke
// serve, admin …, demo, terminal simulate
void AddServiceCommands(CLI::App& app, Action& action);
// vault import/generate/register-issuer/org-types/rewrap, audit verify/checkpoint
void AddVaultCommands(CLI::App& app, Action& action);
// outbox list/destinations/retry/replay/enable/keys/receiver
void AddOutboxCommands(CLI::App& app, Action& action);
// Every scene's own subcommands (`citycode transit …`), through the scene
// list; the returned object keeps what they use and must outlive `app`.
std::shared_ptr<void> AddSceneCommands(CLI::App& app, Action& action);

}  // namespace citycode::cli

#endif  // CITYCODE_CLI_COMMANDS_H_
