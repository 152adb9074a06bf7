// citycode transit …: the transit network and its fare rules, the riders'
// daily bills and the daily clearing.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/clock.h"
#include "scenes/transit/clearing.h"
#include "scenes/transit/fare_extensions.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/rides.h"
#include "store/database.h"

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

struct LedgerArgs {
  std::string db, feed, day, rider, csv;
};

// "YYYY-MM-DD", the operating day.
Result<transit::Date> ParseDay(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return InvalidArgument("--day must be YYYY-MM-DD, not '" + text + "'");
  }
  return transit::ParseIsoDate(text);
}

// Opens the database (which must exist: a mistyped --db must not clear an
// empty day) and the feed, applies the transit schema, and runs `work`.
template <typename Work>
int WithClearing(const LedgerArgs& args, Work&& work) {
  auto day = ParseDay(args.day);
  if (!day.ok()) return Fail(day.status());
  if (args.db.starts_with("sqlite:") && !std::filesystem::exists(args.db.substr(7))) {
    return Fail(InvalidArgument("no database at " + args.db.substr(7)));
  }
  auto feed = transit::LoadFeed(args.feed);
  if (!feed.ok()) return Fail(feed.status());
  auto extensions = transit::LoadFareExtensions(args.feed, *feed);
  if (!extensions.ok()) return Fail(extensions.status());
  auto db = store::Database::Open(args.db);
  if (!db.ok()) return Fail(db.status());
  SystemClock clock;
  auto rides = transit::Rides::Open(**db, clock, *feed, *extensions);
  if (!rides.ok()) return Fail(rides.status());
  auto clearing = transit::Clearing::Open(**db, clock, *feed);
  if (!clearing.ok()) return Fail(clearing.status());
  return work(**clearing, *day);
}

int RunClear(const LedgerArgs& args) {
  return WithClearing(args, [&](transit::Clearing& clearing, const transit::Date& day) {
    auto report = clearing.RunClearing(day);
    if (!report.ok()) return Fail(report.status());
    if (!args.csv.empty()) {
      std::ofstream out(args.csv, std::ios::binary | std::ios::trunc);
      out << transit::ClearingCsv(*report);
      out.close();
      if (!out) return Fail(InvalidArgument("cannot write " + args.csv));
    }
    std::cout << transit::ClearingJson(*report) << "\n";
    return kExitOk;
  });
}

int RunBill(const LedgerArgs& args) {
  return WithClearing(args, [&](transit::Clearing& clearing, const transit::Date& day) {
    auto bill = clearing.DailyBill(args.rider, day);
    if (!bill.ok()) return Fail(bill.status());
    std::cout << transit::BillJson(*bill) << "\n";
    return kExitOk;
  });
}

void AddLedgerOptions(CLI::App* command, LedgerArgs& args) {
  command->add_option("--db", args.db, "Database URL: sqlite:PATH or postgresql://...")->required();
  command->add_option("--feed", args.feed, "Feed folder (GTFS + Fares v2 + citycode extension)")
      ->required();
  command->add_option("--day", args.day, "Operating day, YYYY-MM-DD")->required();
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

  auto ledger = std::make_shared<LedgerArgs>();
  CLI::App* clear_cmd = transit_cmd->add_subcommand(
      "clear",
      "Clear an operating day: settle every charge to its operator (JSON on stdout); "
      "running it again changes nothing unless the day's charges changed");
  AddLedgerOptions(clear_cmd, *ledger);
  clear_cmd->add_option("--csv", ledger->csv, "Also write the settlements as CSV to this file");
  clear_cmd->callback([ledger, &action] { action = [ledger] { return RunClear(*ledger); }; });
  CLI::App* bill_cmd = transit_cmd->add_subcommand(
      "bill", "A rider's bill for an operating day: trips, adjustments, total, balance (JSON)");
  AddLedgerOptions(bill_cmd, *ledger);
  bill_cmd->add_option("--rider", ledger->rider, "The rider's id")->required();
  bill_cmd->callback([ledger, &action] { action = [ledger] { return RunBill(*ledger); }; });
}

}  // namespace citycode::cli
