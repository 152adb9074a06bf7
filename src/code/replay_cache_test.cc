#include "code/replay_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/files.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace citycode::code {
namespace {

using ::citycode::testing::StatusIs;

using std::chrono::seconds;

PresentationKey Key(std::uint8_t id, std::int64_t t, std::uint64_t n = 0) {
  PresentationKey key;
  key.cti.fill(id);
  key.made_at = t;
  key.counter = n;
  return key;
}

TEST(ReplayCacheTest, RefusesTheSameKeyTwice) {
  ReplayCache cache(10, seconds(65));
  const Instant now = FromUnixSeconds(1000);
  EXPECT_TRUE(cache.Insert(Key(1, 1000), now));
  EXPECT_FALSE(cache.Insert(Key(1, 1000), now));
  EXPECT_TRUE(cache.Insert(Key(1, 1000, 1), now));  // another counter
  EXPECT_TRUE(cache.Insert(Key(1, 1001), now));     // another time
  EXPECT_TRUE(cache.Insert(Key(2, 1000), now));     // another credential
  EXPECT_EQ(cache.size(), 4u);
}

TEST(ReplayCacheTest, ForgetsKeysPastTheHorizon) {
  ReplayCache cache(10, seconds(65));
  EXPECT_TRUE(cache.Insert(Key(1, 1000), FromUnixSeconds(1000)));
  EXPECT_TRUE(cache.Insert(Key(2, 1050), FromUnixSeconds(1050)));
  EXPECT_TRUE(cache.Insert(Key(3, 1066), FromUnixSeconds(1066)));
  EXPECT_FALSE(cache.Contains(Key(1, 1000)));
  EXPECT_TRUE(cache.Contains(Key(2, 1050)));
}

TEST(ReplayCacheTest, StaysWithinCapacity) {
  ReplayCache cache(3, seconds(65));
  const Instant now = FromUnixSeconds(1000);
  for (std::uint64_t n = 0; n < 10; ++n) EXPECT_TRUE(cache.Insert(Key(1, 1000, n), now));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_TRUE(cache.Contains(Key(1, 1000, 9)));
  EXPECT_FALSE(cache.Contains(Key(1, 1000, 0)));
}

class ReplayJournalTest : public ::testing::Test {
 protected:
  testing::TempDir temp_{"citycode-replay"};
  const std::filesystem::path& dir_ = temp_.path();
};

TEST_F(ReplayJournalTest, RemembersAcrossReopening) {
  const auto path = dir_ / "replay.db";
  const Instant now = FromUnixSeconds(1000);
  {
    auto journal = ReplayJournal::Open(path, 100, seconds(65), now);
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    EXPECT_TRUE(*journal->Insert(Key(1, 1000, 5), now));
  }
  auto reopened = ReplayJournal::Open(path, 100, seconds(65), now);
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE(*reopened->Insert(Key(1, 1000, 5), now));
  EXPECT_TRUE(*reopened->Insert(Key(1, 1000, 6), now));
}

TEST_F(ReplayJournalTest, IgnoresATornLastLineAndRefusesGarbage) {
  const auto path = dir_ / "replay.db";
  const Instant now = FromUnixSeconds(1000);
  { ASSERT_TRUE(ReplayJournal::Open(path, 100, seconds(65), now)->Insert(Key(1, 1000), now).ok()); }
  { std::ofstream(path, std::ios::app) << "0101"; }  // a write cut short by a crash
  auto journal = ReplayJournal::Open(path, 100, seconds(65), now);
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  EXPECT_TRUE(journal->Contains(Key(1, 1000)));
  EXPECT_TRUE(*journal->Insert(Key(2, 1000), now));
  EXPECT_TRUE(ReplayJournal::Open(path, 100, seconds(65), now)->Contains(Key(2, 1000)));

  const auto bad = dir_ / "bad.db";
  { std::ofstream(bad) << "not a record\n"; }
  EXPECT_THAT(ReplayJournal::Open(bad, 100, seconds(65), now),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

}  // namespace
}  // namespace citycode::code
