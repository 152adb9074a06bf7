#include "scenes/transit/fare_engine.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "scenes/transit/fare_rules.h"

namespace citycode::transit {
namespace {

using Spent = PaidBefore::Total;

// The running total of `key` on `date`; the pointer stays valid until the
// next call for the same vector. A rider has a few of each, so searched in
// place.
std::int64_t* SpentOn(std::vector<Spent>& all, std::string_view key, const Date& date) {
  for (Spent& s : all) {
    if (s.date == date && s.key == key) return &s.amount;
  }
  return &all.emplace_back(Spent{std::string(key), date, 0}).amount;
}

// A total order on taps, so that sorting (and dropping repeats) does not
// depend on the order they arrived in.
auto SortKey(const Tap& t) {
  return std::tie(t.at, t.terminal_id, t.sequence, t.kind, t.route_id, t.stop_id, t.channel,
                  t.rider_category_id);
}

struct TripTaps {
  TripKind kind;
  const Tap* first;
  const Tap* last;  // == first for one-tap trips
};

std::vector<TripTaps> BuildTrips(const std::vector<Tap>& taps, std::chrono::seconds max_trip) {
  std::vector<TripTaps> trips;
  const Tap* entry = nullptr;
  auto close_entry = [&] {
    if (entry != nullptr) trips.push_back({TripKind::kNoExit, entry, entry});
    entry = nullptr;
  };
  for (const Tap& tap : taps) {
    switch (tap.kind) {
      case Tap::Kind::kBoard: trips.push_back({TripKind::kBoard, &tap, &tap}); break;
      case Tap::Kind::kEntry:
        close_entry();
        entry = &tap;
        break;
      case Tap::Kind::kExit:
        if (entry != nullptr && tap.at - entry->at > max_trip) close_entry();
        if (entry == nullptr) {
          trips.push_back({TripKind::kNoEntry, &tap, &tap});
        } else {
          trips.push_back(
              {entry->stop_id == tap.stop_id ? TripKind::kSameStation : TripKind::kComplete, entry,
               &tap});
          entry = nullptr;
        }
        break;
    }
  }
  close_entry();
  return trips;
}

// The stops that trips of `route_id` serve, sorted (for a deterministic
// choice among equal fares).
std::set<std::string> RouteStops(const Feed& feed, std::string_view route_id) {
  std::set<std::string> stops;
  for (const auto& [id, trip] : feed.trips) {
    if (trip.route_id != route_id) continue;
    if (auto it = feed.stop_times.find(id); it != feed.stop_times.end()) {
      for (const StopTime& st : it->second) stops.insert(st.stop_id);
    }
  }
  return stops;
}

class Farer {
 public:
  Farer(const Feed& feed, const FareOptions& options, FareRanges& ranges)
      : feed_(feed), options_(options), ranges_(ranges) {}

  // Fills the base fare fields of `c`; sets c.problem when there is none.
  void Fare(const TripTaps& trip, Charge& c) {
    auto route = feed_.routes.find(trip.first->route_id);
    if (route == feed_.routes.end()) {
      c.problem = "unknown route_id '" + trip.first->route_id + "'";
      return;
    }
    c.agency_id = route->second.agency_id;
    const LocalTimeOfDay local = ToLocal(trip.first->at, options_.time);
    Leg leg;
    leg.route_id = c.route_id;
    leg.from_stop_id = c.from_stop_id;
    leg.to_stop_id = c.to_stop_id;
    leg.date = local.date;
    leg.departure = local.seconds;
    leg.arrival = local.seconds + static_cast<int>((trip.last->at - trip.first->at).count());
    leg.rider_category_id = c.rider_category_id;
    std::optional<LegFare> fare;
    switch (trip.kind) {
      case TripKind::kBoard:
      case TripKind::kComplete: fare = FareForLeg(feed_, leg); break;
      case TripKind::kNoExit:
      case TripKind::kNoEntry: fare = ranges_.Of(feed_, leg).max; break;
      case TripKind::kSameStation: fare = ranges_.Of(feed_, leg).min; break;
    }
    if (!fare) {
      c.problem = "no fare rule for route '" + c.route_id + "' from '" + c.from_stop_id + "' to '" +
                  c.to_stop_id + "' for rider category '" + c.rider_category_id + "'";
      return;
    }
    c.currency = fare->currency;
    c.base_amount = fare->amount;
    c.fare_product_id = fare->fare_product_id;
    c.leg_rule_line = fare->rule_line;
  }

 private:
  const Feed& feed_;
  const FareOptions& options_;
  FareRanges& ranges_;
};

bool WindowApplies(const FareWindow& w, const Charge& c, int route_type) {
  if (!w.channels.empty() &&
      std::find(w.channels.begin(), w.channels.end(), c.channel) == w.channels.end()) {
    return false;
  }
  return w.route_types.empty() ||
         std::find(w.route_types.begin(), w.route_types.end(), route_type) != w.route_types.end();
}

}  // namespace

std::string TapId(const Tap& tap) { return tap.terminal_id + ":" + std::to_string(tap.sequence); }

void PaidBefore::Add(const Charge& earlier) {
  if (earlier.amount == 0) return;
  if (!earlier.window_id.empty()) {
    *SpentOn(windows, earlier.window_id, earlier.window_night) += earlier.amount;
  }
  if (earlier.daily_cap_applied) {
    *SpentOn(days, earlier.rider_category_id, earlier.operating_day) += earlier.amount;
  }
}

LocalTimeOfDay ToLocal(Instant t, const CityTime& time) {
  return {Date::FromDays(time.LocalDay(t)), static_cast<int>(time.TimeOfDay(t).count())};
}

std::optional<Date> WindowNight(const FareWindow& window, const LocalTimeOfDay& t) {
  std::optional<Date> night;
  if (!window.CrossesMidnight()) {
    if (t.seconds >= window.start && t.seconds < window.end) night = t.date;
  } else if (t.seconds >= window.start) {
    night = t.date;
  } else if (t.seconds < window.end) {
    night = t.date.AddDays(-1);  // the morning part belongs to the night before
  }
  if (night && (*night < window.start_date || window.end_date < *night)) return std::nullopt;
  return night;
}

std::string_view TapKindName(Tap::Kind kind) {
  switch (kind) {
    case Tap::Kind::kBoard: return "board";
    case Tap::Kind::kEntry: return "entry";
    case Tap::Kind::kExit: return "exit";
  }
  return "";
}

bool TapKindFits(int route_type, Tap::Kind kind) {
  const bool gated = route_type == 1 || route_type == 2 || route_type == 12;
  return gated == (kind != Tap::Kind::kBoard);
}

Result<Tap::Kind> TapKindFromName(std::string_view name) {
  if (name == "board") return Tap::Kind::kBoard;
  if (name == "entry") return Tap::Kind::kEntry;
  if (name == "exit") return Tap::Kind::kExit;
  return InvalidArgument("kind must be board, entry or exit");
}

std::string RiderCategoryId(const Feed& feed, std::optional<code::RiderCategory> category) {
  if (!category) return {};
  std::string name(code::RiderCategoryName(*category));
  return feed.rider_categories.contains(name) ? name : std::string();
}

const FareRanges::Range& FareRanges::Of(const Feed& feed, const Leg& leg) {
  // Keyed by the timeframes too: the range does not depend on the stops
  // tapped, but a peak fare differs.
  auto key = std::tuple(leg.route_id, leg.rider_category_id, TimeframesOf(feed, leg));
  const std::lock_guard lock(mu_);
  if (auto it = ranges_.find(key); it != ranges_.end()) return it->second;
  Range range;
  const std::set<std::string> stops = RouteStops(feed, leg.route_id);
  for (const std::string& from : stops) {
    for (const std::string& to : stops) {
      if (from == to) continue;
      Leg pair = leg;
      pair.from_stop_id = from;
      pair.to_stop_id = to;
      auto fare = FareForLeg(feed, pair);
      if (!fare) continue;
      if (!range.min || fare->amount < range.min->amount) range.min = fare;
      if (!range.max || fare->amount > range.max->amount) range.max = fare;
    }
  }
  // Entries are never removed, and std::map keeps them in place.
  return ranges_.emplace(std::move(key), std::move(range)).first->second;
}

std::vector<Charge> FareTaps(const Feed& feed, const FareExtensions& extensions,
                             std::vector<Tap> taps, const FareOptions& options, FareRanges* ranges,
                             const PaidBefore* paid) {
  std::sort(taps.begin(), taps.end(),
            [](const Tap& a, const Tap& b) { return SortKey(a) < SortKey(b); });
  // An upload sent twice must not ride twice: keep the first of each
  // identity. A rider has a handful of taps a day, for which a scan of
  // those kept beats building a set.
  if (taps.size() <= 32) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < taps.size(); ++i) {
      const bool repeat = std::any_of(taps.begin(), taps.begin() + kept, [&](const Tap& k) {
        return k.sequence == taps[i].sequence && k.terminal_id == taps[i].terminal_id;
      });
      if (!repeat) {
        if (kept != i) taps[kept] = std::move(taps[i]);
        ++kept;
      }
    }
    taps.resize(kept);
  } else {
    std::set<std::pair<std::string, std::int64_t>> seen;
    std::erase_if(taps,
                  [&](const Tap& t) { return !seen.emplace(t.terminal_id, t.sequence).second; });
  }

  std::vector<TripTaps> trips = BuildTrips(taps, options.max_metro_trip);
  // NoExit trips are found late; put every trip back in start order.
  std::sort(trips.begin(), trips.end(), [](const TripTaps& a, const TripTaps& b) {
    return std::tie(a.first->at, a.first->terminal_id, a.first->sequence) <
           std::tie(b.first->at, b.first->terminal_id, b.first->sequence);
  });

  const std::string default_category = feed.DefaultRiderCategory();
  FareRanges own_ranges;
  Farer farer(feed, options, ranges != nullptr ? *ranges : own_ranges);
  // What the rider has paid per (window, night) and per (category, day).
  PaidBefore spent = paid != nullptr ? *paid : PaidBefore{};
  std::vector<Charge> charges;
  charges.reserve(trips.size());
  for (const TripTaps& trip : trips) {
    Charge c;
    c.trip_id = TapId(*trip.first);
    c.kind = trip.kind;
    c.start = trip.first->at;
    c.end = trip.last->at;
    c.route_id = trip.first->route_id;
    c.from_stop_id = trip.kind == TripKind::kNoEntry ? "" : trip.first->stop_id;
    c.to_stop_id = trip.kind == TripKind::kNoExit ? "" : trip.last->stop_id;
    c.channel = trip.first->channel;
    c.rider_category_id =
        trip.first->rider_category_id.empty() ? default_category : trip.first->rider_category_id;
    c.operating_day = OperatingDayOf(c.start, options);
    farer.Fare(trip, c);
    c.amount = c.base_amount;
    if (!c.problem.empty()) {
      charges.push_back(std::move(c));
      continue;
    }

    const int route_type = feed.routes.find(c.route_id)->second.route_type;
    const LocalTimeOfDay local = ToLocal(c.start, options.time);
    // Each trip pays min(base, what the window and the daily cap have left);
    // the amount paid counts against both, so both totals hold.
    std::int64_t* window_total = nullptr;
    std::int64_t window_left = c.amount;
    for (const FareWindow& w : extensions.windows) {  // sorted by id: first match wins
      if (!WindowApplies(w, c, route_type)) continue;
      auto night = WindowNight(w, local);
      if (!night) continue;
      window_total = SpentOn(spent.windows, w.id, *night);
      window_left = std::max<std::int64_t>(0, w.cap_amount - *window_total);
      c.window_id = w.id;
      c.window_night = *night;
      break;
    }
    std::int64_t* day_total = nullptr;
    std::int64_t day_left = c.amount;
    if (const DailyCap* cap = extensions.DailyCapFor(c.rider_category_id); cap != nullptr) {
      day_total = SpentOn(spent.days, c.rider_category_id, c.operating_day);
      day_left = std::max<std::int64_t>(0, cap->cap_amount - *day_total);
      c.daily_cap_applied = true;
    }
    c.amount = std::min({c.amount, window_left, day_left});
    if (window_total != nullptr) *window_total += c.amount;
    if (day_total != nullptr) *day_total += c.amount;
    charges.push_back(std::move(c));
  }
  return charges;
}

}  // namespace citycode::transit
