#include "common/words.h"

#include <gtest/gtest.h>

namespace citycode {
namespace {

using Words = std::vector<std::string>;

TEST(Words, JoinAndSplitAreInverse) {
  const Words words = {"app", "wechat", "alipay"};
  EXPECT_EQ(JoinWords(words), "app wechat alipay");
  EXPECT_EQ(SplitWords(JoinWords(words)), words);
  EXPECT_EQ(JoinWords({}), "");
  EXPECT_EQ(SplitWords(""), Words{});
}

TEST(Words, RunsOfSpacesSeparateAndNoWordIsEmpty) {
  EXPECT_EQ(SplitWords("  3   1 "), (Words{"3", "1"}));
  EXPECT_EQ(SplitWords("   "), Words{});
  EXPECT_EQ(SplitWords("one"), Words{"one"});
}

}  // namespace
}  // namespace citycode
