// citycode transit …: the transit network and its fare rules.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "scenes/transit/fare_extensions.h"
#include "scenes/transit/gtfs.h"

namespace citycode::cli {
namespace {

using nlohmann::json;

// Loads and checks a feed: GTFS, GTFS-Fares v2 and the citycode extension
// files. Every row that could not be taken as written is listed on stderr
// as "file:line: message"; the summary goes to stdout.
int RunImport(const std::string& dir) {
  auto feed = transit::LoadFeed(dir);
  if (!feed.ok()) return Fail(feed.status());
  auto extensions = transit::LoadFareExtensions(dir, *feed);
  if (!extensions.ok()) return Fail(extensions.status());
  // One write per stream, so the lines of two streams never interleave.
  std::string report;
  for (const auto* issues : {&feed->issues, &extensions->issues}) {
    for (const auto& issue : *issues) {
      report += "citycode: " + issue.file + ":" + std::to_string(issue.line) + ": " +
                issue.message + "\n";
    }
  }
  std::cerr << report;
  std::size_t stop_times = 0;
  for (const auto& [trip, times] : feed->stop_times) stop_times += times.size();
  std::cout << json{{"feed", dir},
                    {"agencies", feed->agencies.size()},
                    {"routes", feed->routes.size()},
                    {"stops", feed->stops.size()},
                    {"trips", feed->trips.size()},
                    {"stop_times", stop_times},
                    {"networks", feed->networks.size()},
                    {"areas", feed->areas.size()},
                    {"fare_media", feed->fare_media.size()},
                    {"fare_products", feed->fare_products.size()},
                    {"fare_leg_rules", feed->fare_leg_rules.size()},
                    {"fare_transfer_rules", feed->fare_transfer_rules.size()},
                    {"timeframes", feed->timeframes.size()},
                    {"rider_categories", feed->rider_categories.size()},
                    {"fare_windows", extensions->windows.size()},
                    {"daily_caps", extensions->daily_caps.size()},
                    {"issues", feed->issues.size() + extensions->issues.size()}}
                   .dump()
            << "\n";
  return kExitOk;
}

}  // namespace

void AddTransitCommands(CLI::App& app, Action& action) {
  CLI::App* transit_cmd = app.add_subcommand("transit", "The transit network and its fares");
  transit_cmd->require_subcommand(1);
  auto dir = std::make_shared<std::string>();
  CLI::App* import_cmd = transit_cmd->add_subcommand(
      "import",
      "Load and check a GTFS + GTFS-Fares v2 feed folder (and the citycode fare "
      "extension); rows not taken as written are listed with file and line");
  import_cmd->add_option("dir", *dir, "Feed folder (the .txt files of a feed zip)")->required();
  import_cmd->callback([dir, &action] { action = [dir] { return RunImport(*dir); }; });
}

}  // namespace citycode::cli
