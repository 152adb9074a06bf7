// `citycode transit import` on the real feeds of ../shared/vectors/gtfs and
// on a broken copy: every row not taken as written is named with file and
// line; nothing crashes. `citycode transit clear` and `bill` on a database
// filled through the library. `citycode transit simulate` enrols a day's
// riders and terminals and writes the codes they scanned; `citycode transit
// ingest` verifies, stores and fares them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/rides.h"
#include "store/database.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/vectors.h"

namespace citycode {
namespace {

using nlohmann::json;
using testing::Describe;
using testing::RunCitycode;

class TransitImportTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TransitImportTest, ARealFeedImportsWithEverySkippedRowNamed) {
  const auto dir = testing::VectorsDir() / "gtfs" / GetParam();
  const auto run = RunCitycode({"transit", "import", dir.string()});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  const json summary = json::parse(run.out);
  EXPECT_GE(summary["agencies"].get<int>(), 1);
  EXPECT_GE(summary["routes"].get<int>(), 1);
  EXPECT_GE(summary["stops"].get<int>(), 10);
  EXPECT_GE(summary["fare_products"].get<int>(), 2);
  EXPECT_GE(summary["fare_leg_rules"].get<int>(), 3);
  // Each issue is one "citycode: file:line: message" line on stderr.
  std::size_t lines = 0;
  for (char c : run.err) lines += c == '\n';
  EXPECT_EQ(lines, summary["issues"].get<std::size_t>()) << run.err;
}

INSTANTIATE_TEST_SUITE_P(Feeds, TransitImportTest,
                         ::testing::Values("transcollines-2022", "transcollines-2026", "zakroczym"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

TEST(TransitImportBrokenTest, NamesEachBadRowAndStillLoadsTheRest) {
  testing::TempDir dir("transit-import");
  std::filesystem::copy(testing::VectorsDir() / "gtfs" / "zakroczym", dir.path() / "feed");
  {
    std::ofstream products(dir.path() / "feed" / "fare_products.txt", std::ios::app);
    // The file has no final newline; a blank line in between is skipped.
    products << "\nbroken_product,0,Broken,not-a-number,PLN,0\n";
  }
  const auto run = RunCitycode({"transit", "import", (dir.path() / "feed").string()});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_NE(run.err.find("fare_products.txt:"), std::string::npos) << run.err;
  EXPECT_GE(json::parse(run.out)["issues"].get<int>(), 1);

  const auto missing = RunCitycode({"transit", "import", (dir.path() / "nothing").string()});
  EXPECT_EQ(missing.exit_code, 2) << Describe(missing);
  EXPECT_NE(missing.err.find("citycode: "), std::string::npos);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The summer night of the demo city (two bus rides, one metro ride, in the
// app: 100 fen) uploaded into an SQLite file, then cleared twice by the
// binary: the same report both times, balanced to the fen.
TEST(TransitClearTest, ClearsTwiceToTheSameBalancedReport) {
  testing::TempDir dir("transit-clear");
  const std::string url = "sqlite:" + (dir.path() / "city.db").string();
  const std::string keyring = (dir.path() / "keyring.json").string();
  {
    auto db = store::Database::Open(url);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto feed = transit::LoadFeed(CITYCODE_TRANSIT_DEMO_FEED);
    ASSERT_TRUE(feed.ok()) << feed.status().ToString();
    auto ext = transit::LoadFareExtensions(CITYCODE_TRANSIT_DEMO_FEED, *feed);
    ASSERT_TRUE(ext.ok()) << ext.status().ToString();
    ManualClock clock(*ParseRfc3339("2026-08-16T02:00:00Z"));
    auto rides = transit::Rides::Open(**db, clock, *feed, *ext);
    ASSERT_TRUE(rides.ok()) << rides.status().ToString();
    using transit::Tap;
    auto up = [](Tap tap) { return transit::TapUpload{.tap = std::move(tap), .rider_id = "r1"}; };
    auto at = [](const char* t) { return *ParseRfc3339(t); };
    const code::Channel app = code::Channel::kApp;
    auto uploaded = (*rides)->UploadTaps({
        up({"bus-bus_1", 1, at("2026-08-15T13:30:00Z"), "bus_1", "B101", Tap::Kind::kBoard, app,
            ""}),
        up({"bus-bus_2", 1, at("2026-08-15T14:15:00Z"), "bus_2", "B202", Tap::Kind::kBoard, app,
            ""}),
        up({"gate-M01", 7, at("2026-08-15T15:00:00Z"), "metro_11", "M01", Tap::Kind::kEntry, app,
            ""}),
        up({"gate-M06", 9, at("2026-08-15T15:20:00Z"), "metro_11", "M06", Tap::Kind::kExit, app,
            ""}),
    });
    ASSERT_TRUE(uploaded.ok()) << uploaded.status().ToString();
  }
  const std::string csv1 = (dir.path() / "first.csv").string();
  const std::string csv2 = (dir.path() / "second.csv").string();
  const auto first =
      RunCitycode({"transit", "clear", "--db", url, "--keyring", keyring, "--feed",
                   CITYCODE_TRANSIT_DEMO_FEED, "--day", "2026-08-15", "--csv", csv1});
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  const auto second =
      RunCitycode({"transit", "clear", "--db", url, "--keyring", keyring, "--feed",
                   CITYCODE_TRANSIT_DEMO_FEED, "--day", "2026-08-15", "--csv", csv2});
  ASSERT_EQ(second.exit_code, 0) << Describe(second);
  EXPECT_EQ(second.out, first.out);
  EXPECT_EQ(ReadFile(csv2), ReadFile(csv1));
  const json report = json::parse(first.out);
  EXPECT_EQ(report["version"], 1);
  EXPECT_EQ(report["rider_total"], 100);
  std::int64_t settled = 0;
  for (const json& op : report["operators"]) settled += op["settled"].get<std::int64_t>();
  EXPECT_EQ(settled, 100);
  EXPECT_EQ(report["operators"][0]["settled"], 44);  // jimo_bus
  EXPECT_EQ(report["operators"][1]["settled"], 56);  // qd_metro
  EXPECT_NE(ReadFile(csv1).find("2026-08-15,1,qd_metro,青岛地铁,1,500,0,0,444,56,56"),
            std::string::npos)
      << ReadFile(csv1);

  const auto bill =
      RunCitycode({"transit", "bill", "--db", url, "--keyring", keyring, "--feed",
                   CITYCODE_TRANSIT_DEMO_FEED, "--rider", "r1", "--day", "2026-08-15"});
  ASSERT_EQ(bill.exit_code, 0) << Describe(bill);
  const json b = json::parse(bill.out);
  EXPECT_EQ(b["total"], 100);
  EXPECT_EQ(b["balance"], 100);
  EXPECT_EQ(b["trips"].size(), 3u);

  const auto bad_day = RunCitycode({"transit", "clear", "--db", url, "--keyring", keyring, "--feed",
                                    CITYCODE_TRANSIT_DEMO_FEED, "--day", "15/08/2026"});
  EXPECT_EQ(bad_day.exit_code, 2) << Describe(bad_day);
  const auto no_db = RunCitycode(
      {"transit", "clear", "--db", "sqlite:" + (dir.path() / "none.db").string(), "--keyring",
       keyring, "--feed", CITYCODE_TRANSIT_DEMO_FEED, "--day", "2026-08-15"});
  EXPECT_EQ(no_db.exit_code, 2) << Describe(no_db);
}

// Two days before today (UTC): a day whose scans are all in the past (the
// demo city's operating day ends at 04:00 the next day, UTC+8) and recent
// enough for an upload (at most 7 days old).
std::string RecentDay() {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return transit::FormatIsoDate(
      transit::Date::FromDaysSinceEpoch(today.time_since_epoch().count() - 2));
}

// A city in a temporary folder: its citycode.toml (database, keyring and
// feed) for every command.
struct TestCity {
  explicit TestCity(const char* name) : dir(name) {
    url = "sqlite:" + (dir.path() / "transit.db").string();
    config = (dir.path() / "citycode.toml").string();
    std::ofstream(config) << "[database]\nurl = \"" << url << "\"\n"
                          << "[keys]\nkeyring = \"" << (dir.path() / "keyring.json").string()
                          << "\"\n[vault]\ncheckpoint_file = \""
                          << (dir.path() / "checkpoints.jsonl").string() << "\"\n"
                          << "[transit]\nfeed_dir = \"" << CITYCODE_TRANSIT_DEMO_FEED << "\"\n";
  }
  testing::TempDir dir;
  std::string url, config;
};

TEST(TransitSimulateTest, WritesATapFileOfScannedCodesAndRefusesBadBounds) {
  TestCity city("transit-simulate");
  const std::string file = (city.dir.path() / "taps.csv").string();
  const std::string day = RecentDay();
  const auto run = RunCitycode({"transit", "simulate", "--config", city.config, "--riders", "50",
                                "--day", day, "--out", file});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  const json summary = json::parse(run.out);
  EXPECT_EQ(summary["riders"], 50);
  EXPECT_EQ(summary["file"], file);
  const std::string text = ReadFile(file);
  EXPECT_TRUE(text.starts_with("terminal_id,sequence,at,route_id,stop_id,kind,code\n"))
      << text.substr(0, 200);
  std::int64_t lines = 0, codes = 0;
  for (std::size_t at = text.find(",CC1:"); at != std::string::npos;
       at = text.find(",CC1:", at + 1)) {
    ++codes;
  }
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 1 + summary["taps"].get<std::int64_t>());
  EXPECT_EQ(codes, summary["taps"].get<std::int64_t>());
  EXPECT_GT(summary["taps"].get<int>(), 50);
  // The rows name the platform's terminals, not the simulator's gates.
  EXPECT_EQ(text.find("\nM01-g"), std::string::npos) << text.substr(0, 300);
  EXPECT_FALSE(std::filesystem::exists(file + ".partial"));

  for (const char* riders : {"0", "10000001", "many"}) {
    const auto bad = RunCitycode({"transit", "simulate", "--config", city.config, "--riders",
                                  riders, "--day", day, "--out", file});
    EXPECT_EQ(bad.exit_code, 2) << Describe(bad);
    EXPECT_TRUE(bad.err.starts_with("citycode: ")) << Describe(bad);
  }
  // A day the feed does not run leaves the earlier file alone.
  const auto no_service = RunCitycode({"transit", "simulate", "--config", city.config, "--riders",
                                       "5", "--day", "2031-01-01", "--out", file});
  EXPECT_EQ(no_service.exit_code, 2) << Describe(no_service);
  EXPECT_EQ(ReadFile(file), text);
}

// A simulated day ingested through the gates' path (every code verified as
// of its scan) and fared, then cleared: the clearing balances with the
// riders' charges; a refund comes off the next clearing; the same file
// again stores nothing; a bad row stops the run, naming the line or the tap
// but not the code.
TEST(TransitIngestTest, IngestsASimulatedDayOnceAndClearsIt) {
  TestCity city("transit-ingest");
  const std::string& url = city.url;
  const std::string& config = city.config;
  const std::string file = (city.dir.path() / "taps.csv").string();
  const std::string day = RecentDay();
  std::string operating_day = day;
  std::erase(operating_day, '-');
  const auto simulated = RunCitycode(
      {"transit", "simulate", "--config", config, "--riders", "200", "--day", day, "--out", file});
  ASSERT_EQ(simulated.exit_code, 0) << Describe(simulated);
  const std::int64_t taps = json::parse(simulated.out)["taps"];

  auto ingest = [&](const std::string& path) {
    return RunCitycode({"transit", "ingest", path, "--config", config, "--run", "100"});
  };
  const auto first = ingest(file);
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  const json one = json::parse(first.out);
  EXPECT_EQ(one["stored"], taps) << one;
  EXPECT_EQ(one["refused"], 0) << one;
  EXPECT_EQ(one["riders_fared"], 200) << one;
  const auto second = ingest(file);
  ASSERT_EQ(second.exit_code, 0) << Describe(second);
  const json two = json::parse(second.out);
  EXPECT_EQ(two["stored"], 0) << two;
  EXPECT_EQ(two["duplicates"], taps) << two;
  EXPECT_EQ(two["riders_fared"], 0) << two;

  const auto cleared = RunCitycode({"transit", "clear", "--config", config, "--day", day});
  ASSERT_EQ(cleared.exit_code, 0) << Describe(cleared);
  const json report = json::parse(cleared.out);
  EXPECT_GT(report["rider_total"].get<std::int64_t>(), 0) << report;
  EXPECT_EQ(report["settled_total"], report["rider_total"]) << report;
  std::string terminal_id;
  {
    auto db = store::Database::Open(url);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto tx = (*db)->Begin(store::TransactionMode::kRead);
    auto charged = (*tx)->QueryOne(
        "SELECT CAST(SUM(amount) AS BIGINT) FROM transit_charges WHERE operating_day = '" +
        operating_day + "'");
    ASSERT_TRUE(charged.ok()) << charged.status().ToString();
    EXPECT_EQ(charged->Int(0), report["rider_total"].get<std::int64_t>());
    // Every tap's code was verified and recorded as of its scan.
    auto verified = (*tx)->QueryOne(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM verifications WHERE scene = 'transit' AND "
        "valid = 1");
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    EXPECT_EQ(verified->Int(0), taps);
    auto terminal = (*tx)->QueryOne("SELECT terminal_id FROM transit_tap_ids LIMIT 1");
    ASSERT_TRUE(terminal.ok()) << terminal.status().ToString();
    terminal_id = terminal->Text(0);
  }

  // A refund of one fen of some charged trip: booked once, and the clearing
  // takes it off.
  std::string trip_id;
  {
    auto db = store::Database::Open(url);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto tx = (*db)->Begin(store::TransactionMode::kRead);
    auto row = (*tx)->QueryOne(
        "SELECT trip_id FROM transit_charges WHERE amount > 0 ORDER BY trip_id LIMIT 1");
    ASSERT_TRUE(row.ok()) << row.status().ToString();
    trip_id = row->Text(0);
  }
  auto refund = [&](const std::string& amount) {
    return RunCitycode({"transit", "refund", "--config", config, "--trip", trip_id, "--amount",
                        amount, "--reference", "r-1", "--reason", "gate fault"});
  };
  const auto refunded = refund("1");
  ASSERT_EQ(refunded.exit_code, 0) << Describe(refunded);
  EXPECT_EQ(json::parse(refunded.out)["booked"], true) << refunded.out;
  EXPECT_EQ(json::parse(refund("1").out)["booked"], false);
  const auto conflicting = refund("2");
  EXPECT_EQ(conflicting.exit_code, 2) << Describe(conflicting);
  const auto recleared = RunCitycode({"transit", "clear", "--config", config, "--day", day});
  ASSERT_EQ(recleared.exit_code, 0) << Describe(recleared);
  EXPECT_EQ(json::parse(recleared.out)["rider_total"].get<std::int64_t>(),
            report["rider_total"].get<std::int64_t>() - 1);
  EXPECT_EQ(json::parse(recleared.out)["version"], 2);

  // Bad rows: one the reader refuses (line 3), one of a route the feed
  // lacks and one of a terminal the platform does not know (the 2nd tap).
  const std::string text = ReadFile(file);
  const std::size_t second_line = text.find('\n') + 1;
  const std::size_t third_line = text.find('\n', second_line) + 1;
  const std::string at = day + "T01:00:00Z";
  const std::vector<std::pair<std::string, std::string>> bad_rows = {
      {terminal_id + ",99999," + at + ",metro_11,M01,teleport,CC1:SECRET", ":3: "},
      {terminal_id + ",99999," + at + ",metro_99,M01,entry,CC1:SECRET", ": tap 2: route_id"},
      {"term_nobody,1," + at + ",metro_11,M01,entry,CC1:SECRET", ": tap 2: no such active"},
  };
  for (const auto& [row, said] : bad_rows) {
    std::string bad_text = text;
    bad_text.insert(third_line, row + "\n");
    const std::string bad_file = (city.dir.path() / "bad.csv").string();
    std::ofstream(bad_file, std::ios::binary) << bad_text;
    const auto bad = ingest(bad_file);
    EXPECT_EQ(bad.exit_code, 2) << Describe(bad);
    EXPECT_NE(bad.err.find(said), std::string::npos) << Describe(bad);
    EXPECT_EQ(bad.err.find("SECRET"), std::string::npos) << Describe(bad);
  }
}

}  // namespace
}  // namespace citycode
