#include "store/internal/pool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/status_matchers.h"

namespace citycode::store::internal {
namespace {

using ::citycode::testing::StatusIs;

using Pool = ConnectionPool<int>;

std::unique_ptr<Pool> OneConnectionPool() {
  return std::make_unique<Pool>(1, std::chrono::seconds(30), [] {
    return Result<std::unique_ptr<int>>(std::make_unique<int>(7));
  });
}

// A caller that gives its connection back and asks again at once (a bulk
// load's loop) goes behind the caller already waiting (the checkpointer).
TEST(ConnectionPoolTest, ServesWaitingCallersInArrivalOrder) {
  auto pool = OneConnectionPool();
  auto held = pool->Acquire();
  ASSERT_TRUE(held.ok());
  std::mutex mu;
  std::vector<std::string> order;
  std::thread waiter([&] {
    auto connection = pool->Acquire();
    ASSERT_TRUE(connection.ok());
    {
      std::lock_guard lock(mu);
      order.push_back("waiter");
    }
    pool->Release(std::move(*connection));
  });
  while (pool->waiting() == 0) std::this_thread::yield();
  pool->Release(std::move(*held));
  auto again = pool->Acquire();
  ASSERT_TRUE(again.ok());
  {
    std::lock_guard lock(mu);
    order.push_back("loop");
  }
  pool->Release(std::move(*again));
  waiter.join();
  EXPECT_EQ(order, (std::vector<std::string>{"waiter", "loop"}));
  EXPECT_EQ(pool->waiting(), 0u);
}

// A caller that gives up leaves the queue: the next one is served.
TEST(ConnectionPoolTest, ACallerThatTimesOutLeavesTheQueue) {
  Pool pool(1, std::chrono::milliseconds(0),
            [] { return Result<std::unique_ptr<int>>(std::make_unique<int>(7)); });
  auto held = pool.Acquire();
  ASSERT_TRUE(held.ok());
  EXPECT_THAT(pool.Acquire(), StatusIs(StatusCode::kUnavailable, "unavailable"));
  EXPECT_EQ(pool.waiting(), 0u);
  pool.Release(std::move(*held));
  EXPECT_TRUE(pool.Acquire().ok());
}

}  // namespace
}  // namespace citycode::store::internal
