// `citycode transit import` on the real feeds of ../shared/vectors/gtfs and
// on a broken copy: every row not taken as written is named with file and
// line; nothing crashes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

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

}  // namespace
}  // namespace citycode
