#include "crypto/random.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace citycode::crypto {
namespace {

TEST(RandomId, IsThePrefixAnd128RandomBitsInHex) {
  const std::string a = RandomId("org"), b = RandomId("org");
  EXPECT_EQ(a.size(), 4u + 32u);
  EXPECT_EQ(a.substr(0, 4), "org_");
  EXPECT_NE(a, b);
}

// The time leads, in big-endian hex, so ids sort by it; the rest is random.
TEST(TimeOrderedId, SortsByItsTimeAndKeepsTheShape) {
  const std::int64_t ms = 0x0123456789ab;
  const std::string id = TimeOrderedId("ver", ms);
  EXPECT_EQ(id.size(), 4u + 32u);
  EXPECT_EQ(id.substr(0, 16), "ver_0123456789ab");
  EXPECT_NE(id, TimeOrderedId("ver", ms)) << "80 random bits follow";
  EXPECT_LT(TimeOrderedId("ver", 1'786'000'000'000), TimeOrderedId("ver", 1'786'000'000'001));
}

TEST(TimeOrderedId, OfATimePointIsItsUnixMilliseconds) {
  const std::chrono::sys_seconds at{std::chrono::seconds(1'786'000'000)};
  // 1 786 000 000 000 ms = 0x019fd5e54400.
  EXPECT_EQ(TimeOrderedId("apt", at).substr(0, 16), "apt_019fd5e54400");
}

}  // namespace
}  // namespace citycode::crypto
