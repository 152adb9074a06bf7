// Taps → trips → charges for one rider (docs/fares-extension.md).
//
// FareTaps is a pure function of the feed, the extensions and the SET of
// taps: it sorts them itself, so the same taps in any order give the same
// charges. A late offline batch is handled by faring the affected span again
// and booking the difference, never by charging on top.
//
// Trip rules:
//  - a kBoard tap (bus validator) is one trip;
//  - a kEntry then the next kExit within FareOptions::max_metro_trip is one
//    trip, fared from the entry stop to the exit stop;
//  - an entry with no such exit (another entry first, or none in time) is
//    charged the maximum fare of the entry's route for the rider category;
//  - an exit at the entry stop is charged the minimum fare of the route for
//    the rider category (the gate cannot tell a mistake from a round trip);
//  - an exit with no entry before it is charged the maximum fare, as a
//    missing tap-in.
// A trip belongs to its first tap's time, channel and rider category.
#ifndef CITYCODE_SCENES_TRANSIT_FARE_ENGINE_H_
#define CITYCODE_SCENES_TRANSIT_FARE_ENGINE_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "code/credential.h"
#include "common/city_time.h"
#include "common/clock.h"
#include "common/status.h"
#include "scenes/transit/fare_extensions.h"
#include "scenes/transit/fare_rules.h"
#include "scenes/transit/gtfs.h"

namespace citycode::transit {

struct Tap {
  enum class Kind : std::uint8_t {
    kBoard,  // bus validator: one tap is a trip
    kEntry,  // metro gate, way in
    kExit,   // metro gate, way out
  };
  std::string terminal_id;
  std::int64_t sequence = 0;  // per terminal; with terminal_id, the tap's identity
  Instant at{};
  std::string route_id, stop_id;
  Kind kind = Kind::kBoard;
  code::Channel channel = code::Channel::kApp;
  std::string rider_category_id;  // empty: the feed's default category
};

// "board", "entry", "exit": a tap's kind in tap files, uploads and tables.
std::string_view TapKindName(Tap::Kind kind);
// The inverse of TapKindName; invalid_argument for anything else.
Result<Tap::Kind> TapKindFromName(std::string_view name);
// Whether a tap of `kind` fits a route of GTFS `route_type`: gated metro,
// rail and monorail (1, 2, 12) take entry and exit, every other mode board.
bool TapKindFits(int route_type, Tap::Kind kind);

enum class TripKind : std::uint8_t {
  kBoard,        // one bus tap
  kComplete,     // entry and exit
  kNoExit,       // entry only: maximum fare
  kNoEntry,      // exit only: maximum fare
  kSameStation,  // exit at the entry stop: minimum fare
};

struct Charge {
  std::string trip_id;  // "terminal_id:sequence" of the trip's first tap
  TripKind kind = TripKind::kBoard;
  Instant start{}, end{};  // first and last tap
  std::string route_id, agency_id, from_stop_id, to_stop_id;
  code::Channel channel = code::Channel::kApp;
  std::string rider_category_id;  // as fared (the default filled in)
  std::string currency;
  std::int64_t base_amount = 0;  // the leg fare before windows and caps
  std::int64_t amount = 0;       // what the rider pays for this trip
  // The rules that produced the amount.
  std::string fare_product_id;
  int leg_rule_line = 0;           // fare_leg_rules.txt line; 0 if none
  std::string window_id;           // empty: no promotion window applied
  Date window_night;               // the operating night (its start date) of window_id
  bool daily_cap_applied = false;  // a daily cap row for the category exists
  Date operating_day;              // local date of (start - day_start)
  // Why no fare could be found (unknown route, no rule); amount is 0 then.
  std::string problem;

  friend bool operator==(const Charge&, const Charge&) = default;
};

struct FareOptions {
  CityTime time;                                  // local time of the fare rules
  std::chrono::seconds day_start{4 * 3600};       // operating day boundary for daily caps
  std::chrono::seconds max_metro_trip{4 * 3600};  // longer: the entry had no exit
};

// The local calendar date and seconds since local midnight of `t`.
struct LocalTimeOfDay {
  Date date;
  int seconds = 0;
};
LocalTimeOfDay ToLocal(Instant t, const CityTime& time);
// The operating day `t` falls in: the local date of (t - day_start).
inline Date OperatingDayOf(Instant t, const FareOptions& options) {
  return ToLocal(t - options.day_start, options.time).date;
}

// The operating night (its start date) of `window` that holds local time
// `t`, or nullopt if `t` is outside every night of the window's date range.
// A 21:00-04:00 window: 02:00 on 16 Aug is the night of 15 Aug.
std::optional<Date> WindowNight(const FareWindow& window, const LocalTimeOfDay& t);

// The feed's rider category for a credential's (the same name, e.g.
// "senior"), or "" (the feed's default) for none or one the feed lacks. A
// gate calls this offline with its verifier's result; the server with its.
std::string RiderCategoryId(const Feed& feed, std::optional<code::RiderCategory> category);

// The cheapest and dearest fare of a route (for an exit at the entry
// station, a missing tap-out or tap-in): O(stops²) fare look-ups, worked
// out once per route, rider category and timeframe and kept for the riders
// after. Holds one feed's fares: use a new one with a new feed. Safe to
// share between threads.
class FareRanges {
 public:
  struct Range {
    std::optional<LegFare> min, max;
  };
  // Over all ordered pairs of the leg's route's stops, at the leg's time.
  const Range& Of(const Feed& feed, const Leg& leg);

 private:
  std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string>, Range> ranges_;
};

// "terminal_id:sequence": a tap's identity, and the trip_id of the trip it
// starts.
std::string TapId(const Tap& tap);

// What a rider's earlier trips paid towards each promotion window's night
// and each rider category's daily cap, so that later taps can be fared
// without faring those trips again.
struct PaidBefore {
  struct Total {
    std::string key;  // the window id; the rider category id
    Date date;        // the window's night; the operating day
    std::int64_t amount = 0;
  };
  std::vector<Total> windows, days;
  // Counts a charge of an earlier trip.
  void Add(const Charge& earlier);
};

// The charges of one rider's taps, in trip start order. Taps with the same
// terminal_id and sequence count once. `ranges`, if given, is shared with
// other calls on the same feed (see FareRanges). `paid`, if given, is what
// trips before every tap of `taps` paid (their first taps come earlier, and
// no metro entry among them waits for an exit).
std::vector<Charge> FareTaps(const Feed& feed, const FareExtensions& extensions,
                             std::vector<Tap> taps, const FareOptions& options = {},
                             FareRanges* ranges = nullptr, const PaidBefore* paid = nullptr);

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_FARE_ENGINE_H_
