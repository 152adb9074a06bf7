// The citycode extension to GTFS-Fares v2: promotion windows with a total cap,
// and daily caps per rider category (docs/fares-extension.md).
//
// Fares v2 has no caps and no times past 24:00, so a window that runs from
// 21:00 to 04:00 is keyed to an operating night instead: the night of date D
// runs from D 21:00 to D+1 04:00, local time. Both files are optional and sit
// in the feed folder next to the GTFS files.
#ifndef CITYCODE_SCENES_TRANSIT_FARE_EXTENSIONS_H_
#define CITYCODE_SCENES_TRANSIT_FARE_EXTENSIONS_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "code/credential.h"
#include "common/status.h"
#include "scenes/transit/gtfs.h"

namespace citycode::transit {

// A row of citycode_fare_windows.txt.
struct FareWindow {
  std::string id;
  Date start_date, end_date;            // operating nights (or days) by their start date, inclusive
  int start = 0, end = 0;               // seconds since local midnight; end < start: next morning
  std::vector<code::Channel> channels;  // empty: any channel
  std::vector<int> route_types;         // empty: any route type
  std::int64_t cap_amount = 0;          // minor units, total for one night of the window
  int line = 0;

  bool CrossesMidnight() const { return end < start; }
};

// A row of citycode_daily_caps.txt.
struct DailyCap {
  std::string rider_category_id;
  std::int64_t cap_amount = 0;  // minor units per operating day
  int line = 0;
};

struct FareExtensions {
  std::vector<FareWindow> windows;  // sorted by id, so matching is deterministic
  std::vector<DailyCap> daily_caps;
  std::vector<Issue> issues;  // rows not loaded as written, by file and line

  const DailyCap* DailyCapFor(std::string_view rider_category_id) const;
};

// Reads the extension files in `dir` (both optional: a feed without them has
// no windows and no caps). Rider categories are checked against `feed`.
// invalid_argument if a file breaks the CSV limits or lacks a required
// column; row-level problems are FareExtensions::issues.
Result<FareExtensions> LoadFareExtensions(const std::filesystem::path& dir, const Feed& feed);

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_FARE_EXTENSIONS_H_
