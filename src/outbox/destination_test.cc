#include "outbox/destination.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace citycode::outbox {
namespace {

using ::citycode::testing::IsOk;
using ::citycode::testing::StatusIs;
using ::testing::HasSubstr;
using Destinations = std::map<std::string, ConfigTable, std::less<>>;

ConfigTable Police() {
  return {{"url", std::string("http://127.0.0.1:8099/guests")},
          {"secrets", std::string(NewSecret() + " " + NewSecret())},
          {"signing_keys", std::string(NewSigningKey())}};
}

TEST(DestinationConfigTest, ReadsDestinationsWithDefaults) {
  auto config =
      ReadOutboxConfig({{"workers", std::int64_t{2}}}, Destinations{{"police", Police()}});
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->workers, 2u);
  EXPECT_EQ(config->keep_delivered, std::chrono::days(90));
  ASSERT_EQ(config->destinations.size(), 1u);
  const DestinationConfig& police = config->destinations[0];
  EXPECT_EQ(police.name, "police");
  EXPECT_EQ(police.signer.secrets.size(), 2u);
  EXPECT_EQ(police.signer.signing_keys.size(), 1u);
  EXPECT_EQ(police.retry_schedule, DefaultRetrySchedule());
  EXPECT_EQ(police.retry_schedule.size(), 8u);
  EXPECT_EQ(police.timeout, std::chrono::seconds(15));
}

TEST(DestinationConfigTest, ReadsOverrides) {
  ConfigTable table = Police();
  table["retry_schedule"] = std::string("0s, 1m 2h 1d");
  table["timeout_seconds"] = std::int64_t{5};
  table["jitter"] = 0.0;
  auto config = ReadOutboxConfig({}, Destinations{{"tourism", table}});
  ASSERT_THAT(config, IsOk());
  using namespace std::chrono;
  EXPECT_EQ(config->destinations[0].retry_schedule,
            (std::vector<seconds>{seconds(0), minutes(1), hours(2), hours(24)}));
  EXPECT_EQ(config->destinations[0].timeout, seconds(5));
  EXPECT_EQ(config->destinations[0].jitter, 0.0);
}

TEST(DestinationConfigTest, RefusesBadSettingsNamingTheKey) {
  const auto refused = [](std::string key, ConfigValue value, std::string names) {
    ConfigTable table = Police();
    table[key] = value;
    EXPECT_THAT(ReadOutboxConfig({}, Destinations{{"police", table}}),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr(names)))
        << key;
  };
  refused("url", std::string("https://x/y"), "outbox.police.url");
  refused("url", std::string("http:///path"), "outbox.police.url");
  refused("secrets", std::string("whsec_short"), "outbox.police.secrets");
  refused("secrets", std::string("sk_live_123"), "outbox.police.secrets");
  refused("signing_keys", std::string("whpk_AAAA"), "outbox.police.signing_keys");
  refused("retry_schedule", std::string("5x"), "outbox.police.retry_schedule");
  refused("retry_schedule", std::string("8d"), "outbox.police.retry_schedule");
  refused("retry_schedule", std::string(" , "), "outbox.police.retry_schedule");
  refused("timeout_seconds", std::int64_t{0}, "outbox.police.timeout_seconds");
  refused("jitter", 1.5, "outbox.police.jitter");
  refused("colour", std::string("red"), "outbox.police.colour");

  EXPECT_THAT(ReadOutboxConfig({}, Destinations{{"police", {{"url", std::string("http://a/b")}}}}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                       HasSubstr("nothing is sent unsigned")));
  EXPECT_THAT(ReadOutboxConfig({}, Destinations{{"Police!", Police()}}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("a-z")));
  EXPECT_THAT(
      ReadOutboxConfig({{"workers", std::int64_t{0}}}, {}),
      StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("outbox.workers")));
  EXPECT_THAT(ReadOutboxConfig({{"keep_delivered_days", std::int64_t{0}}}, {}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                       HasSubstr("outbox.keep_delivered_days")));
  auto kept = ReadOutboxConfig({{"keep_delivered_days", std::int64_t{7}}}, {});
  ASSERT_THAT(kept, IsOk());
  EXPECT_EQ(kept->keep_delivered, std::chrono::days(7));
  EXPECT_THAT(ReadOutboxConfig({{"wrokers", std::int64_t{2}}}, {}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("wrokers")));
}

TEST(DestinationConfigTest, ReadsKeysFromFiles) {
  testing::TempDir dir("citycode-outbox-keys");
  const auto secrets = dir.path() / "police.whsec";
  const auto keys = dir.path() / "police.whsk";
  std::ofstream(secrets) << NewSecret() << "\n" << NewSecret() << "\n";
  std::ofstream(keys) << NewSigningKey() << "\n";
  ConfigTable table = {{"url", std::string("http://127.0.0.1:8099/guests")},
                       {"secrets", std::string(NewSecret())},
                       {"secrets_file", secrets.string()},
                       {"signing_keys_file", keys.string()}};
  auto config = ReadOutboxConfig({}, Destinations{{"police", table}});
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->destinations[0].signer.secrets.size(), 3u);
  EXPECT_EQ(config->destinations[0].signer.signing_keys.size(), 1u);

  table["secrets_file"] = (dir.path() / "missing").string();
  EXPECT_THAT(ReadOutboxConfig({}, Destinations{{"police", table}}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                       HasSubstr("outbox.police.secrets_file")));
  std::ofstream(secrets) << "not-a-key\n";
  table["secrets_file"] = secrets.string();
  EXPECT_THAT(ReadOutboxConfig({}, Destinations{{"police", table}}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                       HasSubstr("outbox.police.secrets")));
}

TEST(DestinationConfigTest, NeverEchoesASecret) {
  ConfigTable table = Police();
  table["secrets"] = std::string("whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ");
  auto config = ReadOutboxConfig({}, Destinations{{"police", table}});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), ::testing::Not(HasSubstr("c2VjcmV0")));
}

}  // namespace
}  // namespace citycode::outbox
