// citycode.toml over the defaults (docs/CONFIG.md): values land in the
// config, and a bad file is refused with the key or line it got wrong.
#include <gtest/gtest.h>

#include <fstream>

#include "server/service.h"
#include "tests/support/temp_dir.h"

namespace citycode::server {
namespace {

class ConfigFileTest : public ::testing::Test {
 protected:
  Status Load(const std::string& text) {
    const auto file = dir_.path() / "citycode.toml";
    std::ofstream(file) << text;
    return LoadConfigFile(file, config_);
  }

  testing::TempDir dir_{"config"};
  ServiceConfig config_;
};

TEST_F(ConfigFileTest, ReadsTheTransitSection) {
  EXPECT_EQ(config_.platform.max_scan_age, std::chrono::days(7));
  ASSERT_TRUE(Load("[transit]\nfeed_dir = \"feeds/jimo\"\nmax_scan_age_hours = 24\n").ok());
  EXPECT_EQ(config_.transit.feed_dir, "feeds/jimo");
  EXPECT_EQ(config_.platform.max_scan_age, std::chrono::hours(24));
}

TEST_F(ConfigFileTest, RefusesBadValuesNamingTheKey) {
  for (const char* text :
       {"[transit]\nmax_scan_age_hours = 0\n", "[transit]\nmax_scan_age_hours = 2161\n",
        "[transit]\nmax_scan_age_hours = \"a week\"\n"}) {
    const Status status = Load(text);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(status.message().find("max_scan_age_hours"), std::string::npos)
        << text << ": " << status.message();
  }
  const Status unknown = Load("[transit]\nmax_scan_age = 5\n");
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("max_scan_age"), std::string::npos) << unknown.message();
  const Status syntax = Load("[transit\n");
  EXPECT_EQ(syntax.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(syntax.message().find(":1:"), std::string::npos) << syntax.message();
}

}  // namespace
}  // namespace citycode::server
