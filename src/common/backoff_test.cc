#include "common/backoff.h"

#include <gtest/gtest.h>

namespace citycode {
namespace {

using std::chrono::seconds;

TEST(FailureBackoffTest, WaitsDoubleAfterTheFreeFailuresAndASuccessClears) {
  FailureBackoff backoff(3, seconds(1), seconds(8));
  const auto t0 = FailureBackoff::SteadyClock::time_point() + std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) backoff.Failed("phone:1", t0);
  EXPECT_EQ(backoff.Wait("phone:1", t0), seconds(0)) << "three failures are free";
  backoff.Failed("phone:1", t0);
  EXPECT_EQ(backoff.Wait("phone:1", t0), seconds(1));
  backoff.Failed("phone:1", t0 + seconds(1));
  EXPECT_EQ(backoff.Wait("phone:1", t0 + seconds(1)), seconds(2));
  backoff.Failed("phone:1", t0 + seconds(3));
  backoff.Failed("phone:1", t0 + seconds(3));
  backoff.Failed("phone:1", t0 + seconds(3));
  EXPECT_EQ(backoff.Wait("phone:1", t0 + seconds(3)), seconds(8)) << "at most max_wait";
  EXPECT_EQ(backoff.Wait("phone:2", t0 + seconds(3)), seconds(0)) << "keys are apart";
  backoff.Succeeded("phone:1");
  EXPECT_EQ(backoff.Wait("phone:1", t0 + seconds(3)), seconds(0));
}

TEST(FailureBackoffTest, FailuresFarApartStartOverAndZeroDisables) {
  FailureBackoff backoff(1, seconds(1), seconds(4));
  const auto t0 = FailureBackoff::SteadyClock::time_point() + std::chrono::hours(1);
  backoff.Failed("a", t0);
  backoff.Failed("a", t0 + seconds(10));  // more than max_wait later: a fresh start
  EXPECT_EQ(backoff.Wait("a", t0 + seconds(10)), seconds(0));
  FailureBackoff off(0, seconds(1), seconds(4));
  for (int i = 0; i < 100; ++i) off.Failed("a", t0);
  EXPECT_EQ(off.Wait("a", t0), seconds(0));
}

}  // namespace
}  // namespace citycode
