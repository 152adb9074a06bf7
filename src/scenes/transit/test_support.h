// For the transit module's tests: the demo city's feed, and instants
// written in UTC (the demo city's local time is UTC+8).
#ifndef CITYCODE_SCENES_TRANSIT_TEST_SUPPORT_H_
#define CITYCODE_SCENES_TRANSIT_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include "common/clock.h"
#include "scenes/transit/fare_extensions.h"
#include "scenes/transit/gtfs.h"

namespace citycode::transit {

inline Instant Utc(const char* rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.ok() ? *t : Instant{};
}

// Loads src/scenes/transit/demo-feed; a fatal failure if it does not load
// (call it inside ASSERT_NO_FATAL_FAILURE).
inline void LoadDemoFeed(Feed& feed, FareExtensions& extensions) {
  auto loaded = LoadFeed(CITYCODE_TRANSIT_DEMO_FEED);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  feed = std::move(loaded).value();
  auto ext = LoadFareExtensions(CITYCODE_TRANSIT_DEMO_FEED, feed);
  ASSERT_TRUE(ext.ok()) << ext.status().ToString();
  extensions = std::move(ext).value();
}

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_TEST_SUPPORT_H_
