#include "scenes/transit/simulate.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <numbers>
#include <optional>
#include <random>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "code/credential.h"

namespace citycode::transit {
namespace {

constexpr int kHour = 3600;
constexpr int kMinute = 60;
constexpr int kSecondsPerDay = 86400;
// When a stop's time is missing from stop_times: about this per stop.
constexpr int kDefaultSecondsPerStop = 3 * kMinute;
// A gate or vehicle serves about this many taps a day; within bounds.
constexpr std::int64_t kTapsPerGate = 4000;
constexpr std::int64_t kMinGates = 2, kMaxGates = 48;
constexpr std::int64_t kTapsPerVehicle = 800;
constexpr std::int64_t kMinVehicles = 2, kMaxVehicles = 99;  // "-v<NN>": two digits
// A bus reaches a stop every this many seconds; consecutive buses are
// consecutive vehicles of the fleet.
constexpr int kBusHeadway = 5 * kMinute;

// GTFS route types whose stations have entry and exit gates: subway/metro
// and rail, also in the extended types (100-199 railway, 400-499 urban
// railway). Anything else is boarded with one tap.
bool IsGatedRouteType(int route_type) {
  return route_type == 1 || route_type == 2 || (route_type >= 100 && route_type < 200) ||
         (route_type >= 400 && route_type < 500);
}

// std::mt19937_64 is specified to the bit; the distributions of <random>
// are not, so the few needed are written here.
class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Uniform() < p; }
  // Uniform in [0, n), n > 0.
  std::size_t Index(std::size_t n) {
    return std::min(n - 1, static_cast<std::size_t>(Uniform() * static_cast<double>(n)));
  }
  // Uniform in [lo, hi].
  int Between(int lo, int hi) { return lo + static_cast<int>(Index(hi - lo + 1)); }
  // Normal (Box-Muller), clamped to [lo, hi].
  int Normal(double mean, double sd, int lo, int hi) {
    const double u1 = 1.0 - Uniform();  // (0, 1]: log(0) is out
    const double u2 = Uniform();
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
    return std::clamp(static_cast<int>(std::lround(mean + sd * z)), lo, hi);
  }

 private:
  std::mt19937_64 engine_;
};

// --- The network -----------------------------------------------------------------

struct SimRoute {
  const std::string* id = nullptr;
  bool gated = false;
  std::vector<std::uint32_t> stops;  // indices into Network::stop_ids, in trip order
  std::vector<int> offsets;          // seconds from the first stop, per stop
};

// A place a rider can start from: a stop of a route.
struct Place {
  std::uint32_t route = 0;
  std::uint32_t position = 0;  // in SimRoute::stops
};

struct Network {
  std::vector<const std::string*> stop_ids;
  std::vector<SimRoute> routes;
  // Every (route, stop) once, so that busier routes (more stops) get more
  // riders.
  std::vector<Place> gated_places, bus_places;
};

// The routes that run on `day`, each with the stops of its longest trip
// that day (every one of them served by the route).
Network BuildNetwork(const Feed& feed, const Date& day) {
  std::map<std::string_view, const std::vector<StopTime>*> longest;
  for (const auto& [trip_id, trip] : feed.trips) {
    if (!feed.routes.contains(trip.route_id) || !feed.ServiceRuns(trip.service_id, day)) continue;
    const auto times = feed.stop_times.find(trip_id);
    if (times == feed.stop_times.end()) continue;
    auto& best = longest[trip.route_id];
    if (best == nullptr || times->second.size() > best->size()) best = &times->second;
  }
  Network network;
  std::map<std::string_view, std::uint32_t> stop_index;
  for (const auto& [route_id, times] : longest) {
    const auto route = feed.routes.find(route_id);
    SimRoute sim;
    sim.id = &route->first;
    sim.gated = IsGatedRouteType(route->second.route_type);
    std::optional<int> first_time;
    for (const StopTime& st : *times) {
      const auto stop = feed.stops.find(st.stop_id);
      if (stop == feed.stops.end()) continue;
      auto [it, added] =
          stop_index.emplace(stop->first, static_cast<std::uint32_t>(network.stop_ids.size()));
      if (added) network.stop_ids.push_back(&stop->first);
      // A loop visits a stop twice: keep its first visit.
      if (std::find(sim.stops.begin(), sim.stops.end(), it->second) != sim.stops.end()) continue;
      const std::optional<int> time = st.departure ? st.departure : st.arrival;
      if (time && !first_time) first_time = time;
      const int position = static_cast<int>(sim.stops.size());
      sim.stops.push_back(it->second);
      sim.offsets.push_back(time && first_time ? *time - *first_time
                                               : position * kDefaultSecondsPerStop);
    }
    // A metro ride needs two stations.
    if (sim.stops.size() < (sim.gated ? 2u : 1u)) continue;
    const auto index = static_cast<std::uint32_t>(network.routes.size());
    auto& places = sim.gated ? network.gated_places : network.bus_places;
    for (std::uint32_t p = 0; p < sim.stops.size(); ++p) places.push_back({index, p});
    network.routes.push_back(std::move(sim));
  }
  return network;
}

// --- Riders ----------------------------------------------------------------------

enum class Mode : std::uint8_t { kMetro, kBus, kBusMetro };

// Rider categories, as their ids in the demo feed; index 0 is the default.
constexpr std::array<std::string_view, 4> kCategoryIds = {"", "senior", "student", "disabled"};
constexpr std::array<double, 4> kCategoryShare = {0.80, 0.12, 0.06, 0.02};

// How a category lives: a share of commuters, of non-commuters going out in
// the day, of riders coming home at night.
struct Habits {
  double commute, midday, night;
};
constexpr std::array<Habits, 4> kHabits = {{
    {0.88, 0.60, 0.10},  // adult
    {0.10, 0.75, 0.02},  // senior
    {0.90, 0.40, 0.08},  // student
    {0.40, 0.60, 0.03},  // disabled
}};
constexpr double kLunchTrip = 0.10;        // of commuters
constexpr double kMiddayRoundTrip = 0.75;  // the rest ride only one way
constexpr double kForgetExit = 0.02;
constexpr double kExitAtEntry = 0.003;
constexpr double kPartnerChannel = 0.15;  // split between WeChat and Alipay

// A ride on one route from one stop to another (positions in the route).
struct Leg {
  std::uint32_t route = 0, from = 0, to = 0;
};
Leg Reversed(const Leg& leg) { return {leg.route, leg.to, leg.from}; }

struct Journey {
  int planned_start = 0;  // seconds since local midnight of the day
  std::array<Leg, 2> legs{};
  int leg_count = 0;
};

// A tap before it gets its terminal's name and sequence number.
struct SimTap {
  std::uint32_t time : 30;  // seconds since local midnight of the day (< 2 days)
  std::uint32_t kind : 2;   // Tap::Kind
  std::uint32_t rider;      // 0-based
  std::uint32_t terminal;
  std::uint32_t stop;
  std::uint32_t route;
};
static_assert(sizeof(SimTap) == 20, "4M taps must stay small");

// A rider's category and channel, one byte per rider.
std::uint8_t PackProfile(std::size_t category, code::Channel channel) {
  return static_cast<std::uint8_t>(category | (static_cast<unsigned>(channel) << 2));
}
std::size_t ProfileCategory(std::uint8_t profile) { return profile & 3u; }
code::Channel ProfileChannel(std::uint8_t profile) {
  return static_cast<code::Channel>(profile >> 2);
}

class DayBuilder {
 public:
  DayBuilder(const Network& network, const SimulationOptions& options, Random& random)
      : network_(network), random_(random) {
    day_begin_ = static_cast<int>(options.fare_options.day_start.count());
    day_end_ = day_begin_ + kSecondsPerDay;
    for (Mode mode : {Mode::kMetro, Mode::kBus, Mode::kBusMetro}) {
      const bool gated = !network.gated_places.empty(), bus = !network.bus_places.empty();
      const bool available = mode == Mode::kMetro ? gated : mode == Mode::kBus ? bus : gated && bus;
      if (available) modes_.push_back(mode);
    }
  }

  // Adds rider `rider`'s taps of the day to `taps` (`rode`: any at all);
  // returns the rider's profile.
  std::uint8_t AddRider(std::uint32_t rider, std::vector<SimTap>& taps, bool& rode) {
    const std::size_t category = PickCategory();
    code::Channel channel = code::Channel::kApp;
    if (random_.Chance(kPartnerChannel)) {
      channel = random_.Chance(0.5) ? code::Channel::kWechat : code::Channel::kAlipay;
    }
    const Habits& habits = kHabits[category];

    // The way to work, and the places around home and work.
    std::array<Leg, 2> commute{};
    int commute_legs = 1;
    switch (PickMode()) {
      case Mode::kMetro: commute[0] = RideFrom(Pick(network_.gated_places)); break;
      case Mode::kBus: commute[0] = RideFrom(Pick(network_.bus_places)); break;
      case Mode::kBusMetro:
        commute[0] = RideFrom(Pick(network_.bus_places));
        commute[1] = RideFrom(Pick(network_.gated_places));
        commute_legs = 2;
        break;
    }
    const Place home{commute[0].route, commute[0].from};
    const Place work{commute[commute_legs - 1].route, commute[commute_legs - 1].to};

    journeys_.clear();
    if (random_.Chance(habits.commute)) {
      // Leaving around 07:30-08:30 and 17:30-18:30.
      AddJourney(random_.Normal(8 * kHour, 30 * kMinute, 5 * kHour + 30 * kMinute,
                                10 * kHour + 30 * kMinute),
                 commute, commute_legs, false);
      if (random_.Chance(kLunchTrip)) {
        const int out = random_.Between(11 * kHour + 30 * kMinute, 13 * kHour + 30 * kMinute);
        AddRoundTrip(work, out, random_.Between(30 * kMinute, 90 * kMinute));
      }
      AddJourney(random_.Normal(18 * kHour, 30 * kMinute, 16 * kHour, 20 * kHour + 45 * kMinute),
                 commute, commute_legs, true);
    } else if (random_.Chance(habits.midday)) {
      AddMiddayTrip(home);
    }
    if (random_.Chance(habits.night)) {
      // Home from somewhere on the way, between 21:00 and 03:00 (the night
      // must end inside the operating day).
      const int latest = std::min(27 * kHour, day_end_ - kHour) - kMinute;
      const Leg out = RideFrom(home);
      AddJourney(random_.Between(21 * kHour, latest), {Reversed(out)}, 1, false);
    }
    rode = false;
    RideJourneys(rider, taps, rode);
    // Everyone simulated rides at least once: a night ride that would run
    // past the operating day was not ridden.
    if (!rode) {
      journeys_.clear();
      AddMiddayTrip(home);
      RideJourneys(rider, taps, rode);
    }
    return PackProfile(category, channel);
  }

 private:
  std::size_t PickCategory() {
    double u = random_.Uniform();
    for (std::size_t c = 0; c + 1 < kCategoryShare.size(); ++c) {
      if (u < kCategoryShare[c]) return c;
      u -= kCategoryShare[c];
    }
    return kCategoryShare.size() - 1;
  }

  Mode PickMode() {
    // Of the modes the network offers: metro 45%, bus 30%, bus then metro 25%.
    static constexpr std::array<double, 3> kWeight = {0.45, 0.30, 0.25};
    double total = 0;
    for (Mode m : modes_) total += kWeight[static_cast<int>(m)];
    double u = random_.Uniform() * total;
    for (Mode m : modes_) {
      u -= kWeight[static_cast<int>(m)];
      if (u < 0) return m;
    }
    return modes_.back();
  }

  // Rides journeys_ in time order, each after the one before, until the
  // operating day ends.
  void RideJourneys(std::uint32_t rider, std::vector<SimTap>& taps, bool& rode) {
    std::stable_sort(journeys_.begin(), journeys_.end(), [](const Journey& a, const Journey& b) {
      return a.planned_start < b.planned_start;
    });
    int free_from = day_begin_;
    for (const Journey& journey : journeys_) {
      const int start = std::max(journey.planned_start, free_from);
      if (start >= day_end_ - kHour) break;
      const int end = Ride(journey, start, rider, taps, rode);
      if (end < 0) break;
      free_from = end + 10 * kMinute;
    }
  }

  Place Pick(const std::vector<Place>& places) { return places[random_.Index(places.size())]; }

  // A ride from `place` to another stop of its route (the same stop only
  // on a one-stop bus route).
  Leg RideFrom(const Place& place) {
    const auto stops = static_cast<std::uint32_t>(network_.routes[place.route].stops.size());
    if (stops < 2) return {place.route, place.position, place.position};
    auto to = static_cast<std::uint32_t>(random_.Index(stops - 1));
    if (to >= place.position) ++to;
    return {place.route, place.position, to};
  }

  void AddJourney(int start, const std::array<Leg, 2>& legs, int count, bool reversed) {
    Journey journey{.planned_start = start, .leg_count = count};
    for (int i = 0; i < count; ++i) {
      journey.legs[i] = reversed ? Reversed(legs[count - 1 - i]) : legs[i];
    }
    journeys_.push_back(journey);
  }

  void AddRoundTrip(const Place& from, int out, int stay) {
    const Leg leg = RideFrom(from);
    AddJourney(out, {leg}, 1, false);
    AddJourney(out + stay, {Reversed(leg)}, 1, false);
  }

  void AddMiddayTrip(const Place& home) {
    const int out = random_.Between(9 * kHour, 15 * kHour);
    if (random_.Chance(kMiddayRoundTrip)) {
      AddRoundTrip(home, out, random_.Between(1 * kHour, 4 * kHour));
    } else {
      AddJourney(out, {RideFrom(home)}, 1, false);
    }
  }

  int Offset(const Leg& leg, std::uint32_t position) const {
    return network_.routes[leg.route].offsets[position];
  }

  // Taps `journey` from `start`; returns when it ends, or -1 if it would
  // run past the operating day (then it is not ridden at all).
  int Ride(const Journey& journey, int start, std::uint32_t rider, std::vector<SimTap>& taps,
           bool& rode) {
    std::array<SimTap, 4> pending{};
    std::size_t count = 0;
    auto tap = [&](int time, Tap::Kind kind, const Leg& leg, std::uint32_t position) {
      pending[count++] = SimTap{.time = static_cast<std::uint32_t>(time),
                                .kind = static_cast<std::uint32_t>(kind),
                                .rider = rider,
                                .terminal = 0,
                                .stop = network_.routes[leg.route].stops[position],
                                .route = leg.route};
    };
    int t = start;
    for (int i = 0; i < journey.leg_count; ++i) {
      const Leg& leg = journey.legs[i];
      if (i > 0) t += random_.Between(3 * kMinute, 10 * kMinute);  // the walk between
      const int scheduled = std::abs(Offset(leg, leg.to) - Offset(leg, leg.from));
      if (network_.routes[leg.route].gated) {
        // The walk to the platform and the wait are inside the gates.
        const int ride = std::clamp(scheduled + random_.Between(2 * kMinute, 7 * kMinute),
                                    5 * kMinute, 40 * kMinute);
        tap(t, Tap::Kind::kEntry, leg, leg.from);
        const double u = random_.Uniform();
        if (u < kForgetExit) {
          t += ride;
        } else if (u < kForgetExit + kExitAtEntry) {
          t += random_.Between(5 * kMinute, 15 * kMinute);
          tap(t, Tap::Kind::kExit, leg, leg.from);
        } else {
          t += ride;
          tap(t, Tap::Kind::kExit, leg, leg.to);
        }
      } else {
        tap(t, Tap::Kind::kBoard, leg, leg.from);
        t += std::max(2 * kMinute, scheduled);
      }
    }
    if (t >= day_end_) return -1;
    taps.insert(taps.end(), pending.begin(), pending.begin() + count);
    rode = rode || count > 0;
    return t;
  }

  const Network& network_;
  Random& random_;
  int day_begin_ = 0, day_end_ = 0;
  std::vector<Mode> modes_;
  std::vector<Journey> journeys_;
};

// --- Terminals -------------------------------------------------------------------

std::int64_t Scaled(std::int64_t taps, std::int64_t per, std::int64_t lo, std::int64_t hi) {
  return std::clamp((taps + per - 1) / per, lo, hi);
}

// A well-mixed hash, so that a rider's gate does not follow from the time.
std::uint64_t Mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Names the terminals and gives each tap its terminal: a gate of its
// station, or the bus of its route passing then. Returns the names.
std::vector<std::string> AssignTerminals(const Network& network, std::vector<SimTap>& taps) {
  std::vector<std::int64_t> station_taps(network.stop_ids.size()),
      route_taps(network.routes.size());
  for (const SimTap& t : taps) {
    if (network.routes[t.route].gated) {
      ++station_taps[t.stop];
    } else {
      ++route_taps[t.route];
    }
  }
  std::vector<std::string> names;
  std::vector<std::uint32_t> first_gate(station_taps.size()), gates(station_taps.size());
  for (std::size_t s = 0; s < station_taps.size(); ++s) {
    if (station_taps[s] == 0) continue;
    first_gate[s] = static_cast<std::uint32_t>(names.size());
    gates[s] =
        static_cast<std::uint32_t>(Scaled(station_taps[s], kTapsPerGate, kMinGates, kMaxGates));
    for (std::uint32_t g = 1; g <= gates[s]; ++g) {
      names.push_back(*network.stop_ids[s] + "-g" + std::to_string(g));
    }
  }
  std::vector<std::uint32_t> first_vehicle(route_taps.size()), fleet(route_taps.size());
  for (std::size_t r = 0; r < route_taps.size(); ++r) {
    if (route_taps[r] == 0) continue;
    first_vehicle[r] = static_cast<std::uint32_t>(names.size());
    fleet[r] = static_cast<std::uint32_t>(
        Scaled(route_taps[r], kTapsPerVehicle, kMinVehicles, kMaxVehicles));
    for (std::uint32_t v = 1; v <= fleet[r]; ++v) {
      names.push_back(*network.routes[r].id + (v < 10 ? "-v0" : "-v") + std::to_string(v));
    }
  }
  for (SimTap& t : taps) {
    if (network.routes[t.route].gated) {
      const std::uint64_t key =
          (std::uint64_t{t.rider} << 32) | (std::uint64_t{t.time} << 2) | std::uint64_t{t.kind};
      t.terminal = first_gate[t.stop] + static_cast<std::uint32_t>(Mix(key) % gates[t.stop]);
    } else {
      t.terminal = first_vehicle[t.route] + (t.time / kBusHeadway + t.stop) % fleet[t.route];
    }
  }
  return names;
}

// A simulated rider's id: this prefix and the number, at least 8 digits.
constexpr std::string_view kRiderIdPrefix = "sim-rider-";

// Writes `number` as a simulated rider's id into `out`.
void FormatRiderId(std::int64_t number, std::string& out) {
  std::array<char, 20> digits{};
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + number % 10);
    number /= 10;
  } while (number > 0);
  while (n < 8) digits[n++] = '0';
  out.assign(kRiderIdPrefix);
  while (n > 0) out += digits[--n];
}

}  // namespace

std::string SimulatedRiderId(std::int64_t number) {
  std::string id;
  FormatRiderId(number, id);
  return id;
}

std::int64_t SimulatedRiderNumber(std::string_view rider_id) {
  if (!rider_id.starts_with(kRiderIdPrefix)) return 0;
  const std::string_view digits = rider_id.substr(kRiderIdPrefix.size());
  std::int64_t number = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  return ec == std::errc() && end == digits.data() + digits.size() ? number : 0;
}

Result<SimulationSummary> SimulateDay(const Feed& feed, const SimulationOptions& options,
                                      const TapSink& sink) {
  if (options.riders < 1 || options.riders > kMaxSimulatedRiders) {
    return InvalidArgument("riders must be 1-" + std::to_string(kMaxSimulatedRiders));
  }
  const auto day_start = options.fare_options.day_start.count();
  if (day_start < 0 || day_start >= kSecondsPerDay) {
    return InvalidArgument("the operating day must start within the calendar day");
  }
  const Network network = BuildNetwork(feed, options.day);
  if (network.routes.empty()) {
    return InvalidArgument("no route of the feed runs on " + FormatIsoDate(options.day));
  }

  // A feed without one of the categories fares those riders as the default.
  std::array<std::string_view, kCategoryIds.size()> category_ids{};
  for (std::size_t c = 1; c < kCategoryIds.size(); ++c) {
    if (feed.rider_categories.contains(kCategoryIds[c])) category_ids[c] = kCategoryIds[c];
  }

  Random random(options.seed);
  DayBuilder builder(network, options, random);
  std::vector<SimTap> taps;
  // About 4 taps a rider: one allocation, no doubling of a 100 MB vector.
  taps.reserve(static_cast<std::size_t>(options.riders) * 9 / 2);
  std::vector<std::uint8_t> profiles(static_cast<std::size_t>(options.riders));
  SimulationSummary summary;
  for (std::int64_t r = 0; r < options.riders; ++r) {
    bool rode = false;
    profiles[r] = builder.AddRider(static_cast<std::uint32_t>(r), taps, rode);
    summary.riders += rode ? 1 : 0;
  }

  const std::vector<std::string> terminals = AssignTerminals(network, taps);
  std::sort(taps.begin(), taps.end(), [](const SimTap& a, const SimTap& b) {
    return std::tuple(a.terminal, static_cast<std::uint32_t>(a.time), a.rider,
                      static_cast<std::uint32_t>(a.kind), a.route,
                      a.stop) < std::tuple(b.terminal, static_cast<std::uint32_t>(b.time), b.rider,
                                           static_cast<std::uint32_t>(b.kind), b.route, b.stop);
  });

  // Seconds of local midnight of the day, in UTC.
  const std::int64_t midnight =
      ToUnixSeconds(options.fare_options.time.StartOf(options.day.days()));
  TapUpload upload;
  std::int64_t sequence = 0;
  std::uint32_t terminal = 0;
  for (std::size_t i = 0; i < taps.size(); ++i) {
    const SimTap& t = taps[i];
    if (i == 0 || t.terminal != terminal) {
      terminal = t.terminal;
      sequence = 0;
      upload.tap.terminal_id = terminals[terminal];
      ++summary.terminals;
    }
    Tap& tap = upload.tap;
    tap.sequence = ++sequence;
    tap.at = FromUnixSeconds(midnight + t.time);
    tap.route_id = *network.routes[t.route].id;
    tap.stop_id = *network.stop_ids[t.stop];
    tap.kind = static_cast<Tap::Kind>(t.kind);
    tap.channel = ProfileChannel(profiles[t.rider]);
    tap.rider_category_id = category_ids[ProfileCategory(profiles[t.rider])];
    FormatRiderId(std::int64_t{t.rider} + 1, upload.rider_id);
    CITYCODE_RETURN_IF_ERROR(sink(upload));
  }
  summary.taps = static_cast<std::int64_t>(taps.size());
  return summary;
}

}  // namespace citycode::transit
