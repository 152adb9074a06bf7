// citycode transit …: the transit network and its fare rules, the riders'
// daily bills, the daily clearing, bulk loads and refunds. The scene list
// adds them to the CLI (TransitModule::AddCommands).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "api/scene_commands.h"
#include "common/clock.h"
#include "scenes/transit/clearing.h"
#include "scenes/transit/fare_extensions.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/rides.h"
#include "scenes/transit/scanned_day.h"
#include "scenes/transit/simulate.h"
#include "scenes/transit/tap_file.h"
#include "scenes/transit/transit_scene.h"
#include "store/database.h"

namespace citycode::transit {
namespace {

using api::kExitOk;
using api::kExitRefused;
using api::kExitUsage;

int Fail(const Status& status) { return api::FailCommand(status); }

using nlohmann::json;

// Loads and checks a feed: GTFS, GTFS-Fares v2 and the citycode extension
// files. Every row that could not be taken as written is listed on stderr
// as "file:line: message"; the summary goes to stdout.
int RunImport(const std::string& dir) {
  auto feed = LoadFeed(dir);
  if (!feed.ok()) return Fail(feed.status());
  auto extensions = LoadFareExtensions(dir, *feed);
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

// Where the transit commands find the city: --config, --db and --keyring as
// for every command, and --feed over the configuration's [transit] feed_dir.
struct TransitArgs {
  api::SceneCommandContext* context = nullptr;
  std::optional<std::string> feed;
};

void AddTransitOptions(CLI::App* command, TransitArgs& args, api::SceneCommandContext& context) {
  args.context = &context;
  context.AddCityOptions(command);
  command->add_option("--feed", args.feed,
                      "Feed folder (GTFS + Fares v2 + citycode extension); default: the "
                      "configuration's [transit] feed_dir");
}

struct LedgerArgs {
  TransitArgs where;
  std::string day, rider, csv;
};

// "YYYY-MM-DD", the operating day.
Result<Date> ParseDay(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return InvalidArgument("--day must be YYYY-MM-DD, not '" + text + "'");
  }
  return ParseIsoDate(text);
}

// The city with its transit scene on. With `existing`, the database must
// exist: a mistyped --db must not clear an empty day or refund into a new
// file.
Result<TransitScene*> OpenTransit(const TransitArgs& args, bool existing,
                                  std::unique_ptr<Clock> clock = nullptr) {
  ConfigTable settings;
  if (args.feed) settings["feed_dir"] = *args.feed;
  CITYCODE_ASSIGN_OR_RETURN(api::Scene * scene,
                            args.context->OpenScene(settings, existing, std::move(clock)));
  auto* transit = dynamic_cast<TransitScene*>(scene);
  if (transit == nullptr) {
    return InvalidArgument("no transit feed: give --feed or [transit] feed_dir in --config");
  }
  return transit;
}

// Opens the day's store (see OpenTransit) and runs `work`.
template <typename Work>
int WithClearing(const LedgerArgs& args, Work&& work) {
  auto day = ParseDay(args.day);
  if (!day.ok()) return Fail(day.status());
  auto transit = OpenTransit(args.where, /*existing=*/true);
  if (!transit.ok()) return Fail(transit.status());
  return work((*transit)->clearing(), *day);
}

int RunClear(const LedgerArgs& args) {
  return WithClearing(args, [&](Clearing& clearing, const Date& day) {
    auto report = clearing.RunClearing(day);
    if (!report.ok()) return Fail(report.status());
    if (!args.csv.empty()) {
      std::ofstream out(args.csv, std::ios::binary | std::ios::trunc);
      out << ClearingCsv(*report);
      out.close();
      if (!out) return Fail(InvalidArgument("cannot write " + args.csv));
    }
    std::cout << ClearingJson(*report) << "\n";
    return kExitOk;
  });
}

int RunBill(const LedgerArgs& args) {
  return WithClearing(args, [&](Clearing& clearing, const Date& day) {
    auto bill = clearing.DailyBill(args.rider, day);
    if (!bill.ok()) return Fail(bill.status());
    std::cout << BillJson(*bill) << "\n";
    return kExitOk;
  });
}

void AddLedgerOptions(CLI::App* command, LedgerArgs& args, api::SceneCommandContext& context) {
  AddTransitOptions(command, args.where, context);
  command->add_option("--day", args.day, "Operating day, YYYY-MM-DD")->required();
}

struct SimulateArgs {
  TransitArgs where;
  std::int64_t riders = 0;
  std::string day, out;
  std::uint64_t seed = 1;
  int threads = 2;
};

// How long before the day's UTC midnight the simulated riders enrol: their
// credentials (valid 72 hours by default) cover the whole operating day.
constexpr auto kEnrolBeforeDay = std::chrono::hours(16);

// Simulates a day of taps as the gates scanned them into a tap file, the
// riders and terminals into the city (SimulateScannedDay). With --out - the
// file goes to stdout and the summary to stderr, so that stdout stays a
// clean CSV.
int RunSimulate(const SimulateArgs& args) {
  if (args.riders < 1 || args.riders > kMaxSimulatedRiders) {
    return Fail(InvalidArgument("--riders must be 1-" + std::to_string(kMaxSimulatedRiders)));
  }
  auto day = ParseDay(args.day);
  if (!day.ok()) return Fail(day.status());
  // The city runs on a clock before the day while it enrols the riders
  // (UTC's midnight: the city's is at most 14 hours away).
  auto transit = OpenTransit(args.where, /*existing=*/false,
                             std::make_unique<ManualClock>(
                                 FromUnixSeconds(day->DaysSinceEpoch() * 86400) - kEnrolBeforeDay));
  if (!transit.ok()) return Fail(transit.status());
  const FareOptions& fare_options = (*transit)->fare_options();

  // The file is written under a temporary name and renamed when complete:
  // a cut-off tap file would upload as a smaller day, and a failed run must
  // not destroy the file it was to replace.
  const bool to_stdout = args.out == "-";
  const std::string partial = args.out + ".partial";
  std::ofstream file;
  if (!to_stdout) {
    file.open(partial, std::ios::binary | std::ios::trunc);
    if (!file) return Fail(InvalidArgument("cannot write " + partial));
  }
  std::ostream& out = to_stdout ? std::cout : file;
  TapFileWriter writer(out);
  const ScannedDayOptions options{.simulation = {.riders = args.riders,
                                                 .day = *day,
                                                 .seed = args.seed,
                                                 .fare_options = fare_options},
                                  .threads = args.threads};
  auto summary =
      SimulateScannedDay((*transit)->platform(), (*transit)->operators(), (*transit)->feed(),
                         options, [&](const ScannedTap& scanned) { return writer.Add(scanned); });
  Status written = summary.ok() ? writer.Finish() : summary.status();
  if (!to_stdout) {
    file.close();
    std::error_code ec;
    if (written.ok() && !file) written = InvalidArgument("cannot write " + partial);
    if (written.ok()) {
      std::filesystem::rename(partial, args.out, ec);
      if (ec) written = InvalidArgument("cannot write " + args.out + ": " + ec.message());
    }
    if (!written.ok()) std::filesystem::remove(partial, ec);
  }
  if (!written.ok()) return Fail(written);
  (to_stdout ? std::cerr : std::cout) << json{{"taps", summary->taps},
                                              {"riders", summary->riders},
                                              {"terminals", summary->terminals},
                                              {"file", args.out}}
                                             .dump()
                                      << "\n";
  return kExitOk;
}

struct IngestArgs {
  TransitArgs where;
  std::string file;
  TapFileOptions options;
  bool progress = false;
};

// One line on stderr per step of a load, each committed when told.
void PrintProgress(const TapFileProgress& progress) {
  std::cerr << "citycode: ingest: " << progress.runs_stored << " runs stored, "
            << progress.buckets_fared << " rider buckets fared\n";
}

// Loads a tap file as the gates scanned it (a depot's upload, a simulated
// day), every code verified as of its scan, and fares them (LoadTapFile).
// Prints the counts and the rates of both phases as JSON.
int RunIngest(const IngestArgs& args) {
  std::ifstream file(args.file, std::ios::binary);
  if (!file) return Fail(InvalidArgument("cannot read " + args.file));
  auto transit = OpenTransit(args.where, /*existing=*/true);
  if (!transit.ok()) return Fail(transit.status());
  TransitScene& scene = **transit;
  TapFileOptions options = args.options;
  if (args.progress) options.on_progress = PrintProgress;
  auto load = LoadTapFile(file, args.file, scene.tap_judge(), scene.platform(), scene.feed(),
                          scene.bulk_taps(), options);
  if (!load.ok()) return Fail(load.status());
  const auto rate = [](std::int64_t n, double seconds) { return seconds > 0 ? n / seconds : 0.0; };
  std::cout << json{{"taps", load->taps},
                    {"stored", load->stored.stored},
                    {"duplicates", load->stored.duplicates},
                    {"refused", load->stored.refused},
                    {"conflicts", load->stored.conflicts},
                    {"ingest_seconds", load->ingest_seconds},
                    {"ingest_taps_per_second", rate(load->taps, load->ingest_seconds)},
                    {"riders_fared", load->riders_fared},
                    {"fare_seconds", load->fare_seconds},
                    {"fare_taps_per_second", rate(load->stored.stored, load->fare_seconds)}}
                   .dump()
            << "\n";
  return kExitOk;
}

struct RefundArgs {
  TransitArgs where;
  std::string trip, reference, reason;
  std::int64_t amount = 0;
};

// Gives back part of a trip's fare, as POST /v1/transit/refunds does.
int RunRefund(const RefundArgs& args) {
  auto transit = OpenTransit(args.where, /*existing=*/true);
  if (!transit.ok()) return Fail(transit.status());
  auto booked =
      (*transit)->ledger().RefundTrip(args.trip, args.amount, args.reference, args.reason);
  if (!booked.ok()) return Fail(booked.status());
  std::cout << json{{"trip_id", args.trip},
                    {"amount", args.amount},
                    {"reference", args.reference},
                    {"booked", *booked}}
                   .dump()
            << "\n";
  return kExitOk;
}

}  // namespace

void AddTransitCommandsTo(CLI::App& app, api::SceneCommandContext& context,
                          api::CommandAction& action) {
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
  AddLedgerOptions(clear_cmd, *ledger, context);
  clear_cmd->add_option("--csv", ledger->csv, "Also write the settlements as CSV to this file");
  clear_cmd->callback([ledger, &action] { action = [ledger] { return RunClear(*ledger); }; });
  CLI::App* bill_cmd = transit_cmd->add_subcommand(
      "bill", "A rider's bill for an operating day: trips, adjustments, total, balance (JSON)");
  AddLedgerOptions(bill_cmd, *ledger, context);
  bill_cmd->add_option("--rider", ledger->rider, "The rider's id")->required();
  bill_cmd->callback([ledger, &action] { action = [ledger] { return RunBill(*ledger); }; });

  auto simulate = std::make_shared<SimulateArgs>();
  CLI::App* simulate_cmd = transit_cmd->add_subcommand(
      "simulate",
      "Simulate an operating day of gate and validator taps into a tap file (CSV) of the codes "
      "they scanned, enrolling its riders and terminals in the city; the summary as JSON on "
      "stdout");
  AddTransitOptions(simulate_cmd, simulate->where, context);
  simulate_cmd->add_option("--riders", simulate->riders, "Riders, 1-10000000 (about 4 taps each)")
      ->required();
  simulate_cmd->add_option("--day", simulate->day, "Operating day, YYYY-MM-DD")->required();
  simulate_cmd->add_option("--seed", simulate->seed, "Random seed: the same seed, the same taps")
      ->capture_default_str();
  simulate_cmd
      ->add_option("--threads", simulate->threads,
                   "Threads that enrol the riders and sign the codes")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  simulate_cmd->add_option("--out", simulate->out, "Tap file to write; - for stdout")->required();
  simulate_cmd->callback(
      [simulate, &action] { action = [simulate] { return RunSimulate(*simulate); }; });

  auto ingest = std::make_shared<IngestArgs>();
  CLI::App* ingest_cmd = transit_cmd->add_subcommand(
      "ingest",
      "Load a tap file of the codes gates scanned (a depot upload, a simulated day): verify each "
      "as of its scan, store, and fare every rider day it touches; idempotent by terminal and "
      "sequence");
  ingest_cmd->add_option("file", ingest->file, "Tap file (CSV, as `transit simulate` writes)")
      ->required();
  AddTransitOptions(ingest_cmd, ingest->where, context);
  ingest_cmd
      ->add_option("--threads", ingest->options.threads,
                   "Runs verified and stored at once; 0: two per core")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  ingest_cmd
      ->add_option("--run", ingest->options.run_taps,
                   "Taps of one terminal verified and stored together")
      ->check(CLI::Range(std::size_t{1}, kMaxIngestBatch))
      ->capture_default_str();
  ingest_cmd->add_flag("--progress", ingest->progress,
                       "A line on stderr as each run is stored and each rider bucket fared");
  ingest_cmd->callback([ingest, &action] { action = [ingest] { return RunIngest(*ingest); }; });

  auto refund = std::make_shared<RefundArgs>();
  CLI::App* refund_cmd = transit_cmd->add_subcommand(
      "refund",
      "Give back part or all of a trip's fare; idempotent by --reference; the trip's operator "
      "bears it in the clearing");
  AddTransitOptions(refund_cmd, refund->where, context);
  refund_cmd->add_option("--trip", refund->trip, "The trip's id (as the rider's bill shows it)")
      ->required();
  refund_cmd->add_option("--amount", refund->amount, "Fen, > 0")->required();
  refund_cmd->add_option("--reference", refund->reference, "Your idempotency key")->required();
  refund_cmd->add_option("--reason", refund->reason, "Why, for the ledger")->required();
  refund_cmd->callback([refund, &action] { action = [refund] { return RunRefund(*refund); }; });
}

}  // namespace citycode::transit
