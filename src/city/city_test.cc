// citycode.toml over the defaults (docs/CONFIG.md), and the city opened from
// it: values land where they belong, a bad file is refused with the key or
// line it got wrong, and a scene's section turns it on or off.
#include "city/city.h"

#include <gtest/gtest.h>

#include <fstream>

#include "scenes/transit/transit_scene.h"
#include "tests/support/temp_dir.h"

namespace citycode::city {
namespace {

class CityConfigTest : public ::testing::Test {
 protected:
  Status Load(const std::string& text) {
    const auto file = dir_.path() / "citycode.toml";
    std::ofstream(file) << text;
    return LoadConfigFile(file, config_);
  }

  Result<std::unique_ptr<City>> OpenCity() {
    config_.database_url = "sqlite:" + (dir_.path() / "city.db").string();
    config_.keyring_file = dir_.path() / "keyring.json";
    config_.vault.checkpoint_file = dir_.path() / "checkpoints.jsonl";
    return City::Open(config_, clock_);
  }

  testing::TempDir dir_{"city"};
  CityConfig config_;
  ManualClock clock_{FromUnixSeconds(1'780'000'000)};
};

TEST_F(CityConfigTest, ReadsEachSectionWhereItBelongs) {
  EXPECT_EQ(config_.platform.max_scan_age, std::chrono::days(7));
  ASSERT_TRUE(Load("[database]\nurl = \"sqlite:x.db\"\npool_size = 3\n"
                   "[keys]\nprofile = \"sm4-ctr-hmac-sm3\"\n"
                   "[platform]\nmax_scan_age_hours = 24\n"
                   "[vault]\naudit_hash = \"sm3\"\n"
                   "[server]\nthreads = 4\n"
                   "[transit]\nfeed_dir = \"feeds/jimo\"\n")
                  .ok());
  EXPECT_EQ(config_.database_url, "sqlite:x.db");
  EXPECT_EQ(config_.database_pool_size, 3u);
  EXPECT_EQ(config_.cipher_profile, crypto::CipherProfile::kSm4CtrHmacSm3);
  EXPECT_EQ(config_.platform.max_scan_age, std::chrono::hours(24));
  EXPECT_EQ(config_.vault.audit_hash, vault::AuditHash::kSm3);
  EXPECT_EQ(config_.server.at("threads"), ConfigValue(std::int64_t{4}));
  EXPECT_EQ(config_.scenes.at("transit").at("feed_dir"), ConfigValue(std::string("feeds/jimo")));
}

TEST_F(CityConfigTest, RefusesBadValuesNamingTheKey) {
  for (const char* text :
       {"[platform]\nmax_scan_age_hours = 0\n", "[platform]\nmax_scan_age_hours = 2161\n",
        "[platform]\nmax_scan_age_hours = \"a week\"\n"}) {
    const Status status = Load(text);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(status.message().find("platform.max_scan_age_hours"), std::string::npos)
        << text << ": " << status.message();
  }
  const Status unknown = Load("[platform]\nmax_scan_age = 5\n");
  EXPECT_EQ(unknown, InvalidArgument("config: unknown key platform.max_scan_age"));
  const Status syntax = Load("[transit\n");
  EXPECT_EQ(syntax.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(syntax.message().find(":1:"), std::string::npos) << syntax.message();
  EXPECT_EQ(Load("title = \"x\"\n"),
            InvalidArgument("config: top-level key \"title\" must be a [section]"));
}

// One zone for the whole city: the vault and every scene get the configured one.
TEST_F(CityConfigTest, ReadsTheOutboxAndItsDestinations) {
  const std::string secret = outbox::NewSecret();
  ASSERT_TRUE(Load("[outbox]\nworkers = 2\n"
                   "[outbox.police]\nurl = \"http://127.0.0.1:8099/guests\"\n"
                   "secrets = \"" +
                   secret +
                   "\"\nretry_schedule = \"0s 1m\"\n"
                   "[outbox.tourism]\nurl = \"http://127.0.0.1:8098/counts\"\n"
                   "signing_keys = \"" +
                   outbox::NewSigningKey() + "\"\n")
                  .ok());
  EXPECT_EQ(config_.outbox.workers, 2u);
  ASSERT_EQ(config_.outbox.destinations.size(), 2u);
  EXPECT_EQ(config_.outbox.destinations[0].name, "police");
  EXPECT_EQ(config_.outbox.destinations[0].retry_schedule.size(), 2u);
  EXPECT_EQ(config_.outbox.destinations[1].signer.signing_keys.size(), 1u);
  auto city = OpenCity();
  ASSERT_TRUE(city.ok()) << city.status().ToString();
  EXPECT_TRUE((*city)->outbox().HasDestination("tourism"));

  const Status unsigned_destination =
      Load("[outbox.police]\nurl = \"http://127.0.0.1:8099/guests\"\n");
  EXPECT_EQ(unsigned_destination.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unsigned_destination.message().find("outbox.police.secrets"), std::string::npos)
      << unsigned_destination.message();
  EXPECT_EQ(Load("[outbox]\nworkerz = 2\n"), InvalidArgument("config: unknown key outbox.workerz"));
  EXPECT_EQ(Load("[outbox.police]\nurl = [1]\n").code(), StatusCode::kInvalidArgument);
}

TEST_F(CityConfigTest, TheTimeZoneReachesTheVaultAndTheScenes) {
  EXPECT_EQ(config_.time.utc_offset, std::chrono::hours(8));
  ASSERT_TRUE(Load("[platform]\ntime_zone = \"+05:30\"\n").ok());
  EXPECT_EQ(config_.time.utc_offset, std::chrono::hours(5) + std::chrono::minutes(30));
  auto city = OpenCity();
  ASSERT_TRUE(city.ok()) << city.status().ToString();
  EXPECT_EQ((*city)->vault().options().time, config_.time);
  EXPECT_EQ(Load("[platform]\ntime_zone = \"Europe/Berlin\"\n"),
            InvalidArgument("config: platform.time_zone must be Asia/Shanghai or a fixed offset "
                            "like +08:00"));
}

// A scene without its settings is not registered at all, and its routes
// do not exist.
TEST_F(CityConfigTest, TransitIsOffWithoutAFeed) {
  auto city = OpenCity();
  ASSERT_TRUE(city.ok()) << city.status().ToString();
  EXPECT_NE((*city)->scene("gov"), nullptr);
  EXPECT_EQ((*city)->scene("transit"), nullptr);
  EXPECT_NE((*city)->scene("medical"), nullptr);  // on with its defaults
  EXPECT_NE((*city)->scene("hotel"), nullptr);
  EXPECT_NE((*city)->scene("access"), nullptr);
  EXPECT_EQ((*city)->scenes().size(), 4u);
}

TEST_F(CityConfigTest, TransitOpensFromItsSection) {
  config_.scenes["transit"]["feed_dir"] = std::string(CITYCODE_TRANSIT_DEMO_FEED);
  auto city = OpenCity();
  ASSERT_TRUE(city.ok()) << city.status().ToString();
  auto* transit = dynamic_cast<transit::TransitScene*>((*city)->scene("transit"));
  ASSERT_NE(transit, nullptr);
  EXPECT_FALSE(transit->feed().routes.empty());
}

TEST_F(CityConfigTest, RefusesUnknownSectionsAndKeysOfScenes) {
  config_.scenes["parking"]["zones"] = std::int64_t{3};
  EXPECT_EQ(OpenCity().status(), InvalidArgument("config: unknown section [parking]"));
  config_.scenes.erase("parking");
  config_.scenes["transit"]["feed"] = std::string("x");
  EXPECT_EQ(OpenCity().status(), InvalidArgument("config: unknown key transit.feed"));
}

TEST_F(CityConfigTest, ExistingOnlyRefusesAMissingDatabase) {
  config_.database_url = "sqlite:" + (dir_.path() / "none.db").string();
  config_.keyring_file = dir_.path() / "keyring.json";
  EXPECT_EQ(City::Open(config_, clock_, {.create_database = false}).status(),
            InvalidArgument("no database at " + (dir_.path() / "none.db").string()));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "none.db"));
}

}  // namespace
}  // namespace citycode::city
