#include "scenes/transit/fare_rules.h"

#include <algorithm>
#include <vector>

namespace citycode::transit {
namespace {

constexpr int kDay = 86400;

// A GTFS time past 24:00 belongs to the next calendar day for timeframes.
struct LocalTime {
  Date date;
  int seconds = 0;
};
LocalTime Normalize(const Date& date, int seconds) {
  const int days = seconds >= 0 ? seconds / kDay : -((kDay - 1 - seconds) / kDay);
  return {date.AddDays(days), seconds - days * kDay};
}

bool TimeframeMatches(const Feed& feed, std::string_view group, const LocalTime& t) {
  if (group.empty()) return true;
  return std::any_of(feed.timeframes.begin(), feed.timeframes.end(), [&](const Timeframe& tf) {
    return tf.group_id == group && t.seconds >= tf.start && t.seconds < tf.end &&
           feed.ServiceRuns(tf.service_id, t.date);
  });
}

// Does a rule field `value` match a leg whose candidate values are `leg`?
// `named` holds every value the file names in that column (exclusion
// semantics for empty fields).
bool FieldMatches(std::string_view value, const std::vector<std::string>& leg,
                  const std::vector<std::string>& named, bool wildcard_empty) {
  if (!value.empty()) return std::find(leg.begin(), leg.end(), value) != leg.end();
  if (wildcard_empty) return true;
  return std::none_of(leg.begin(), leg.end(), [&](const std::string& v) {
    return std::find(named.begin(), named.end(), v) != named.end();
  });
}

std::string RiderCategoryOf(const Feed& feed, const Leg& leg) {
  return leg.rider_category_id.empty() ? feed.DefaultRiderCategory() : leg.rider_category_id;
}

// The product row of `product_id` for this rider and medium: the exact
// category before a row for any category, then the cheapest.
const FareProduct* PickProduct(const Feed& feed, std::string_view product_id,
                               const std::string& category, std::string_view media) {
  const FareProduct* best = nullptr;
  auto rank = [&](const FareProduct* p) {
    return std::pair(p->rider_category_id == category ? 0 : 1, p->amount);
  };
  for (const FareProduct* p : feed.Products(product_id)) {
    if (!p->rider_category_id.empty() && p->rider_category_id != category) continue;
    if (!media.empty() && !p->fare_media_id.empty() && p->fare_media_id != media) continue;
    if (best == nullptr || rank(p) < rank(best)) best = p;
  }
  return best;
}

std::int64_t AbsoluteSeconds(const Date& date, int seconds) {
  return date.DaysSinceEpoch() * kDay + seconds;
}

}  // namespace

std::string TimeframesOf(const Feed& feed, const Leg& leg) {
  std::string key;
  for (const LocalTime& t : {Normalize(leg.date, leg.departure),
                             Normalize(leg.date, leg.arrival.value_or(leg.departure))}) {
    for (const Timeframe& tf : feed.timeframes) {
      if (t.seconds >= tf.start && t.seconds < tf.end && feed.ServiceRuns(tf.service_id, t.date)) {
        key += tf.group_id;
        key += ',';
      }
    }
    key += '|';
  }
  return key;
}

std::optional<LegFare> FareForLeg(const Feed& feed, const Leg& leg) {
  static const std::vector<std::string> kNone;
  std::vector<std::string> networks;
  if (auto route = feed.routes.find(leg.route_id); route != feed.routes.end()) {
    if (!route->second.network_id.empty()) networks.push_back(route->second.network_id);
  }
  auto areas_of = [&](const std::string& stop_id) -> const std::vector<std::string>& {
    auto it = feed.stop_areas.find(stop_id);
    return it == feed.stop_areas.end() ? kNone : it->second;
  };
  const std::vector<std::string>& from_areas = areas_of(leg.from_stop_id);
  const std::vector<std::string>& to_areas = areas_of(leg.to_stop_id);
  const Feed::RuleNames& named = feed.rule_names;
  const bool wildcard = feed.leg_rules_have_priority;
  const LocalTime start = Normalize(leg.date, leg.departure);
  const LocalTime end = Normalize(leg.date, leg.arrival.value_or(leg.departure));

  std::vector<const FareLegRule*> matches;
  for (const FareLegRule& rule : feed.fare_leg_rules) {
    if (FieldMatches(rule.network_id, networks, named.networks, wildcard) &&
        FieldMatches(rule.from_area_id, from_areas, named.from_areas, wildcard) &&
        FieldMatches(rule.to_area_id, to_areas, named.to_areas, wildcard) &&
        TimeframeMatches(feed, rule.from_timeframe_group_id, start) &&
        TimeframeMatches(feed, rule.to_timeframe_group_id, end)) {
      matches.push_back(&rule);
    }
  }
  if (wildcard && !matches.empty()) {
    int top = 0;
    for (const FareLegRule* r : matches) top = std::max(top, r->rule_priority);
    std::erase_if(matches, [top](const FareLegRule* r) { return r->rule_priority != top; });
  }

  const std::string category = RiderCategoryOf(feed, leg);
  std::optional<LegFare> best;
  for (const FareLegRule* rule : matches) {
    const FareProduct* p = PickProduct(feed, rule->fare_product_id, category, leg.fare_media_id);
    if (p == nullptr) continue;
    if (best && best->amount <= p->amount) continue;  // rules are in file order
    best =
        LegFare{rule->leg_group_id, p->id,     p->rider_category_id, p->fare_media_id, p->currency,
                p->amount,          rule->line};
  }
  return best;
}

std::optional<TwoLegFare> TotalForTwoLegs(const Feed& feed, const Leg& first, const Leg& second) {
  auto a = FareForLeg(feed, first);
  auto b = FareForLeg(feed, second);
  if (!a || !b || a->currency != b->currency) return std::nullopt;
  TwoLegFare out{a->amount + b->amount, a->currency, *a, *b, 0};

  const std::vector<std::string> from_group{a->leg_group_id}, to_group{b->leg_group_id};
  const std::int64_t dep1 = AbsoluteSeconds(first.date, first.departure);
  const std::int64_t arr1 = AbsoluteSeconds(first.date, first.arrival.value_or(first.departure));
  const std::int64_t dep2 = AbsoluteSeconds(second.date, second.departure);
  const std::int64_t arr2 = AbsoluteSeconds(second.date, second.arrival.value_or(second.departure));
  const std::string category = RiderCategoryOf(feed, first);

  for (const FareTransferRule& rule : feed.fare_transfer_rules) {
    // Leg groups are never wildcards for an empty group id of the leg.
    if (a->leg_group_id.empty() && rule.from_leg_group_id.empty()) continue;
    if (b->leg_group_id.empty() && rule.to_leg_group_id.empty()) continue;
    if (!FieldMatches(rule.from_leg_group_id, from_group, feed.rule_names.from_leg_groups, false) ||
        !FieldMatches(rule.to_leg_group_id, to_group, feed.rule_names.to_leg_groups, false)) {
      continue;
    }
    if (rule.transfer_count && *rule.transfer_count != -1 && *rule.transfer_count < 1) continue;
    if (rule.duration_limit) {
      std::int64_t elapsed = 0;
      switch (*rule.duration_limit_type) {
        case 0: elapsed = arr2 - dep1; break;
        case 1: elapsed = dep2 - dep1; break;
        case 2: elapsed = dep2 - arr1; break;
        default: elapsed = arr2 - arr1; break;
      }
      if (elapsed < 0 || elapsed > *rule.duration_limit) continue;
    }
    std::int64_t ab = 0;
    if (!rule.fare_product_id.empty()) {
      const FareProduct* p = PickProduct(feed, rule.fare_product_id, category, first.fare_media_id);
      if (p == nullptr || p->currency != out.currency) continue;
      ab = p->amount;
    }
    std::int64_t total = 0;
    switch (rule.fare_transfer_type) {
      case 0: total = a->amount + ab; break;
      case 1: total = a->amount + ab + b->amount; break;
      default: total = ab; break;
    }
    // Several rules may fit; the rider gets the cheapest.
    if (out.transfer_rule_line == 0 || total < out.amount) {
      out.amount = total;
      out.transfer_rule_line = rule.line;
    }
  }
  return out;
}

Result<Leg> LegOnTrip(const Feed& feed, std::string_view trip_id, std::string_view from_stop_id,
                      std::string_view to_stop_id, const Date& date) {
  auto trip = feed.trips.find(trip_id);
  auto times = feed.stop_times.find(trip_id);
  if (trip == feed.trips.end() || times == feed.stop_times.end()) {
    return NotFound("unknown trip " + std::string(trip_id));
  }
  const std::vector<StopTime>& st = times->second;
  auto from = std::find_if(st.begin(), st.end(),
                           [&](const StopTime& s) { return s.stop_id == from_stop_id; });
  if (from == st.end()) return NotFound("stop " + std::string(from_stop_id) + " not on the trip");
  auto to =
      std::find_if(from + 1, st.end(), [&](const StopTime& s) { return s.stop_id == to_stop_id; });
  if (to == st.end()) {
    return std::find_if(st.begin(), st.end(),
                        [&](const StopTime& s) { return s.stop_id == to_stop_id; }) == st.end()
               ? NotFound("stop " + std::string(to_stop_id) + " not on the trip")
               : InvalidArgument("stops are not in travel order");
  }
  if (!from->departure || !(to->arrival || to->departure)) {
    return InvalidArgument("the timetable has no time at these stops");
  }
  Leg leg;
  leg.route_id = trip->second.route_id;
  leg.from_stop_id = from_stop_id;
  leg.to_stop_id = to_stop_id;
  leg.date = date;
  leg.departure = *from->departure;
  leg.arrival = to->arrival ? to->arrival : to->departure;
  return leg;
}

}  // namespace citycode::transit
