// citycode: the command-line tool of the citycode platform.
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <thread>

#include "cli/commands.h"

namespace {

// As many malloc arenas as cores, not glibc's eight a core: each of the
// server's handler threads otherwise gets its own, and their free lists
// kept the soak's heap growing for minutes (docs/BENCHMARKS.md, "Soak").
// MALLOC_ARENA_MAX in the environment still wins.
void LimitMallocArenas() {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return;
  mallopt(M_ARENA_MAX, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

}  // namespace

int main(int argc, char** argv) {
  LimitMallocArenas();
  using namespace citycode::cli;
  CLI::App app{"citycode: one QR code for the whole city", "citycode"};
  app.require_subcommand(1);
  Action action;
  AddIssuerCommands(app, action);
  AddDeviceCommands(app, action);
  AddCredentialCommands(app, action);
  AddCodeCommands(app, action);
  AddRevokeCommand(app, action);
  AddServiceCommands(app, action);
  AddVaultCommands(app, action);
  AddOutboxCommands(app, action);
  const auto scene_commands = AddSceneCommands(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "citycode: " << e.what() << " (see --help)\n";
    return kExitUsage;
  }
  try {
    return action ? action() : kExitUsage;
  } catch (const std::exception& e) {
    // Only bugs and resource exhaustion get here; still one line.
    std::cerr << "citycode: internal error: " << e.what() << "\n";
    return kExitUsage;
  }
}
