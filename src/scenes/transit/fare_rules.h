// GTFS-Fares v2 fares for one leg and for two legs joined by a transfer.
//
// Pure functions of a loaded Feed (gtfs.h); thread-safe on a const Feed.
#ifndef CITYCODE_SCENES_TRANSIT_FARE_RULES_H_
#define CITYCODE_SCENES_TRANSIT_FARE_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "scenes/transit/gtfs.h"

namespace citycode::transit {

// One ride on one route, in the feed's local time.
struct Leg {
  std::string route_id;  // gives the network (routes.network_id)
  std::string from_stop_id, to_stop_id;
  Date date;                      // the service day
  int departure = 0;              // seconds since its midnight; may pass 24:00
  std::optional<int> arrival;     // at to_stop; the departure when unknown
  std::string rider_category_id;  // empty: the feed's default category
  std::string fare_media_id;      // empty: any medium
};

struct LegFare {
  std::string leg_group_id, fare_product_id, rider_category_id, fare_media_id, currency;
  std::int64_t amount = 0;  // minor units; 0 is a fare, unlike nullopt
  int rule_line = 0;        // the fare_leg_rules.txt line that matched
};

// The fare of `leg`, or nullopt when no rule (or no product row for the
// rider category and medium) applies: "no fare", which is not a 0 fare.
//
// Matching follows the spec: network_id, from/to_area_id (areas from
// stop_areas) and from/to_timeframe_group_id (a timeframe whose service runs
// on the date and whose [start, end) holds the departure, or the arrival for
// "to"). Without a rule_priority column, an empty network or area matches
// only values that no rule of the file names; with it, empty matches all
// and only the matching rules of the highest priority are kept. An empty
// timeframe matches any time. Among several fitting products the one for
// the exact rider category wins, then the cheapest.
std::optional<LegFare> FareForLeg(const Feed& feed, const Leg& leg);

// The timeframe groups the leg's departure and its arrival fall in, as one
// key: FareForLeg depends on the leg's time through these alone, so a fare
// cached under the route, the rider category and this key stays right.
std::string TimeframesOf(const Feed& feed, const Leg& leg);

struct TwoLegFare {
  std::int64_t amount = 0;  // minor units, both legs and the transfer
  std::string currency;
  LegFare first, second;
  int transfer_rule_line = 0;  // 0: no transfer rule applied
};

// The total of `first` then `second`. A fare_transfer_rules row applies when
// its leg groups match (empty = any group that no row names), the transfer
// count allows a first transfer and the time between the legs, measured as
// duration_limit_type says, is at most duration_limit; its cost is then
// A + AB (type 0), A + AB + B (type 1) or AB (type 2), AB being its product
// (0 when empty). Otherwise the legs cost A + B. nullopt if either leg has
// no fare or the currencies differ.
std::optional<TwoLegFare> TotalForTwoLegs(const Feed& feed, const Leg& first, const Leg& second);

// A leg on `trip_id` from `from_stop_id` to a later `to_stop_id` on `date`,
// with the timetable's times. not_found for an unknown trip or stop on it;
// invalid_argument if the stops are not in travel order or lack times.
Result<Leg> LegOnTrip(const Feed& feed, std::string_view trip_id, std::string_view from_stop_id,
                      std::string_view to_stop_id, const Date& date);

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_FARE_RULES_H_
