#include "scenes/transit/gtfs.h"

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <set>
#include <system_error>
#include <utility>

#include "scenes/transit/csv.h"

namespace citycode::transit {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A non-negative decimal integer of at most 9 digits (no overflow in int).
std::optional<int> ParseSmallInt(std::string_view s) {
  bool negative = false;
  if (!s.empty() && s.front() == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 9) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return negative ? -v : v;
}

// The loader of one feed: each Load* reads one file into feed_ and records
// issues; the order matters, later files check references to earlier ones.
class Loader {
 public:
  explicit Loader(std::filesystem::path dir) : dir_(std::move(dir)) {}

  Result<Feed> Run() {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir_, ec)) {
      return NotFound("GTFS feed folder not found: " + dir_.string());
    }
    CITYCODE_RETURN_IF_ERROR(Load("agency.txt", true, {}, &Loader::Agencies));
    CITYCODE_RETURN_IF_ERROR(Load("networks.txt", false, {"network_id"}, &Loader::Networks));
    CITYCODE_RETURN_IF_ERROR(Load("routes.txt", true, {"route_id"}, &Loader::Routes));
    CITYCODE_RETURN_IF_ERROR(Load("stops.txt", true, {"stop_id"}, &Loader::Stops));
    const bool has_calendar = Exists("calendar.txt");
    const bool has_dates = Exists("calendar_dates.txt");
    if (!has_calendar && !has_dates) {
      return NotFound("GTFS feed " + dir_.string() +
                      ": neither calendar.txt nor calendar_dates.txt");
    }
    CITYCODE_RETURN_IF_ERROR(Load("calendar.txt", false,
                                  {"service_id", "monday", "tuesday", "wednesday", "thursday",
                                   "friday", "saturday", "sunday", "start_date", "end_date"},
                                  &Loader::Calendar));
    CITYCODE_RETURN_IF_ERROR(Load("calendar_dates.txt", false,
                                  {"service_id", "date", "exception_type"},
                                  &Loader::CalendarDates));
    CITYCODE_RETURN_IF_ERROR(
        Load("trips.txt", true, {"route_id", "service_id", "trip_id"}, &Loader::Trips));
    CITYCODE_RETURN_IF_ERROR(
        Load("stop_times.txt", true, {"trip_id", "stop_id", "stop_sequence"}, &Loader::StopTimes));
    CITYCODE_RETURN_IF_ERROR(Load("areas.txt", false, {"area_id"}, &Loader::Areas));
    CITYCODE_RETURN_IF_ERROR(
        Load("stop_areas.txt", false, {"area_id", "stop_id"}, &Loader::StopAreas));
    CITYCODE_RETURN_IF_ERROR(
        Load("timeframes.txt", false, {"timeframe_group_id", "service_id"}, &Loader::Timeframes));
    CITYCODE_RETURN_IF_ERROR(
        Load("rider_categories.txt", false, {"rider_category_id"}, &Loader::RiderCategories));
    CITYCODE_RETURN_IF_ERROR(
        Load("fare_media.txt", false, {"fare_media_id", "fare_media_type"}, &Loader::Media));
    CITYCODE_RETURN_IF_ERROR(Load("fare_products.txt", false,
                                  {"fare_product_id", "amount", "currency"}, &Loader::Products));
    CITYCODE_RETURN_IF_ERROR(
        Load("fare_leg_rules.txt", false, {"fare_product_id"}, &Loader::LegRules));
    CITYCODE_RETURN_IF_ERROR(
        Load("fare_transfer_rules.txt", false, {"fare_transfer_type"}, &Loader::TransferRules));
    // Fares v2 files this model does not read: say so rather than ignore them.
    for (const char* name : {"fare_leg_join_rules.txt", "route_networks.txt"}) {
      if (Exists(name)) Note(name, 0, "file not supported; ignored");
    }
    for (auto& [trip, times] : feed_.stop_times) {
      std::sort(times.begin(), times.end(), [](const StopTime& a, const StopTime& b) {
        return a.stop_sequence < b.stop_sequence;
      });
    }
    NameRuleValues();
    return std::move(feed_);
  }

 private:
  static void AddName(std::vector<std::string>& names, const std::string& value) {
    if (!value.empty() && std::find(names.begin(), names.end(), value) == names.end()) {
      names.push_back(value);
    }
  }
  void NameRuleValues() {
    Feed::RuleNames& names = feed_.rule_names;
    for (const FareLegRule& rule : feed_.fare_leg_rules) {
      AddName(names.networks, rule.network_id);
      AddName(names.from_areas, rule.from_area_id);
      AddName(names.to_areas, rule.to_area_id);
    }
    for (const FareTransferRule& rule : feed_.fare_transfer_rules) {
      AddName(names.from_leg_groups, rule.from_leg_group_id);
      AddName(names.to_leg_groups, rule.to_leg_group_id);
    }
  }

  using RowFn = void (Loader::*)(const CsvTable&, const CsvRecord&);

  bool Exists(const char* name) const {
    std::error_code ec;
    return std::filesystem::is_regular_file(dir_ / name, ec);
  }

  Status Load(const char* name, bool required, std::initializer_list<const char*> columns,
              RowFn row_fn) {
    if (!Exists(name)) {
      if (required) return NotFound("GTFS feed " + dir_.string() + ": " + name + " missing");
      return OkStatus();
    }
    CITYCODE_ASSIGN_OR_RETURN(CsvTable table, ReadCsvFile(dir_ / name));
    for (const char* column : columns) {
      if (!table.HasColumn(column)) {
        return InvalidArgument(std::string(name) + ": required column " + column + " missing");
      }
    }
    file_ = name;
    if (std::string_view(name) == "fare_leg_rules.txt") {
      feed_.leg_rules_have_priority = table.HasColumn("rule_priority");
    }
    for (const CsvRecord& record : table.records()) {
      if (record.fields.size() != table.header().size()) {
        Note(name, record.line,
             std::to_string(record.fields.size()) + " fields, the header has " +
                 std::to_string(table.header().size()) + "; read as far as they go");
      }
      (this->*row_fn)(table, record);
    }
    return OkStatus();
  }

  void Note(std::string file, int line, std::string message) {
    feed_.issues.push_back({std::move(file), line, std::move(message)});
  }
  void Note(const CsvRecord& r, std::string message) { Note(file_, r.line, std::move(message)); }

  // Empty `value` is reported as missing; true when present.
  bool Required(const CsvRecord& r, std::string_view column, std::string_view value) {
    if (!value.empty()) return true;
    Note(r, std::string(column) + " is empty; row skipped");
    return false;
  }

  template <typename Map>
  bool Known(const CsvRecord& r, const Map& map, std::string_view what, std::string_view id) {
    if (map.contains(id)) return true;
    Note(r, "unknown " + std::string(what) + " '" + std::string(id) + "'; row skipped");
    return false;
  }

  template <typename Map, typename Value>
  bool InsertUnique(const CsvRecord& r, Map& map, std::string_view what, std::string_view id,
                    Value value) {
    if (map.emplace(std::string(id), std::move(value)).second) return true;
    Note(r, "duplicate " + std::string(what) + " '" + std::string(id) + "'; row skipped");
    return false;
  }

  void Agencies(const CsvTable& t, const CsvRecord& r) {
    // agency_id may be empty when the feed has a single agency.
    Agency a{std::string(t.Get(r, "agency_id")), std::string(t.Get(r, "agency_name")),
             std::string(t.Get(r, "agency_timezone"))};
    std::string id = a.id;
    InsertUnique(r, feed_.agencies, "agency_id", id, std::move(a));
  }

  void Networks(const CsvTable& t, const CsvRecord& r) {
    std::string_view id = t.Get(r, "network_id");
    if (!Required(r, "network_id", id)) return;
    InsertUnique(r, feed_.networks, "network_id", id, std::string(t.Get(r, "network_name")));
  }

  void Routes(const CsvTable& t, const CsvRecord& r) {
    Route route;
    route.id = t.Get(r, "route_id");
    if (!Required(r, "route_id", route.id)) return;
    route.agency_id = t.Get(r, "agency_id");
    if (!feed_.agencies.contains(route.agency_id) &&
        !(route.agency_id.empty() && feed_.agencies.size() == 1)) {
      Note(r, "unknown agency_id '" + route.agency_id + "'; route kept");
    }
    route.short_name = t.Get(r, "route_short_name");
    route.long_name = t.Get(r, "route_long_name");
    route.network_id = t.Get(r, "network_id");
    if (auto type = ParseSmallInt(t.Get(r, "route_type")); type && *type >= 0) {
      route.route_type = *type;
    } else {
      Note(r, "bad route_type '" + std::string(t.Get(r, "route_type")) + "'; read as 3 (bus)");
    }
    if (!route.network_id.empty()) feed_.networks.try_emplace(route.network_id);
    std::string id = route.id;
    InsertUnique(r, feed_.routes, "route_id", id, std::move(route));
  }

  void Stops(const CsvTable& t, const CsvRecord& r) {
    Stop stop{std::string(t.Get(r, "stop_id")), std::string(t.Get(r, "stop_name")),
              std::string(t.Get(r, "zone_id"))};
    if (!Required(r, "stop_id", stop.id)) return;
    std::string id = stop.id;
    InsertUnique(r, feed_.stops, "stop_id", id, std::move(stop));
  }

  std::optional<Date> DateField(const CsvTable& t, const CsvRecord& r, std::string_view column) {
    auto date = ParseGtfsDate(t.Get(r, column));
    if (date.ok()) return *date;
    Note(r, "bad " + std::string(column) + " '" + std::string(t.Get(r, column)) + "'; row skipped");
    return std::nullopt;
  }

  void Calendar(const CsvTable& t, const CsvRecord& r) {
    std::string_view id = t.Get(r, "service_id");
    if (!Required(r, "service_id", id)) return;
    static constexpr const char* kDays[] = {"monday", "tuesday",  "wednesday", "thursday",
                                            "friday", "saturday", "sunday"};
    Service service;
    for (int i = 0; i < 7; ++i) {
      std::string_view v = t.Get(r, kDays[i]);
      if (v != "0" && v != "1") {
        Note(r, std::string("bad ") + kDays[i] + " '" + std::string(v) + "'; row skipped");
        return;
      }
      service.weekdays[i] = v == "1";
    }
    auto start = DateField(t, r, "start_date");
    auto end = DateField(t, r, "end_date");
    if (!start || !end) return;
    service.start = *start;
    service.end = *end;
    InsertUnique(r, feed_.calendar, "service_id", id, service);
  }

  void CalendarDates(const CsvTable& t, const CsvRecord& r) {
    std::string_view id = t.Get(r, "service_id");
    if (!Required(r, "service_id", id)) return;
    auto date = DateField(t, r, "date");
    if (!date) return;
    std::string_view type = t.Get(r, "exception_type");
    if (type != "1" && type != "2") {
      Note(r, "bad exception_type '" + std::string(type) + "'; row skipped");
      return;
    }
    auto& dates = feed_.calendar_dates[std::string(id)];
    if (!dates.emplace(*date, type == "1").second) {
      Note(r, "duplicate service_id and date; row skipped");
    }
  }

  bool ServiceKnown(std::string_view id) const {
    return feed_.calendar.contains(id) || feed_.calendar_dates.contains(id);
  }

  void Trips(const CsvTable& t, const CsvRecord& r) {
    Trip trip{std::string(t.Get(r, "trip_id")), std::string(t.Get(r, "route_id")),
              std::string(t.Get(r, "service_id"))};
    if (!Required(r, "trip_id", trip.id)) return;
    if (!Known(r, feed_.routes, "route_id", trip.route_id)) return;
    if (!ServiceKnown(trip.service_id)) {
      Note(r, "unknown service_id '" + trip.service_id + "'; row skipped");
      return;
    }
    std::string id = trip.id;
    InsertUnique(r, feed_.trips, "trip_id", id, std::move(trip));
  }

  // Empty times are allowed (interpolated stops); bad ones are reported.
  bool TimeField(const CsvTable& t, const CsvRecord& r, std::string_view column,
                 std::optional<int>& out) {
    std::string_view v = t.Get(r, column);
    if (v.empty()) return true;
    auto time = ParseGtfsTime(v);
    if (!time.ok()) {
      Note(r, "bad " + std::string(column) + " '" + std::string(v) + "'; row skipped");
      return false;
    }
    out = *time;
    return true;
  }

  void StopTimes(const CsvTable& t, const CsvRecord& r) {
    std::string_view trip = t.Get(r, "trip_id");
    if (!Known(r, feed_.trips, "trip_id", trip)) return;
    StopTime st;
    st.stop_id = t.Get(r, "stop_id");
    if (!Known(r, feed_.stops, "stop_id", st.stop_id)) return;
    auto seq = ParseSmallInt(t.Get(r, "stop_sequence"));
    if (!seq || *seq < 0) {
      Note(r, "bad stop_sequence; row skipped");
      return;
    }
    st.stop_sequence = *seq;
    if (!TimeField(t, r, "arrival_time", st.arrival)) return;
    if (!TimeField(t, r, "departure_time", st.departure)) return;
    auto& times = feed_.stop_times[std::string(trip)];
    for (const StopTime& other : times) {
      if (other.stop_sequence == st.stop_sequence) {
        Note(r, "duplicate trip_id and stop_sequence; row skipped");
        return;
      }
    }
    times.push_back(std::move(st));
  }

  void Areas(const CsvTable& t, const CsvRecord& r) {
    std::string_view id = t.Get(r, "area_id");
    if (!Required(r, "area_id", id)) return;
    InsertUnique(r, feed_.areas, "area_id", id, std::string(t.Get(r, "area_name")));
  }

  void StopAreas(const CsvTable& t, const CsvRecord& r) {
    std::string_view area = t.Get(r, "area_id");
    std::string_view stop = t.Get(r, "stop_id");
    if (!Known(r, feed_.areas, "area_id", area) || !Known(r, feed_.stops, "stop_id", stop)) return;
    auto& areas = feed_.stop_areas[std::string(stop)];
    if (std::find(areas.begin(), areas.end(), area) != areas.end()) {
      Note(r, "duplicate area_id and stop_id; row skipped");
      return;
    }
    areas.emplace_back(area);
  }

  void Timeframes(const CsvTable& t, const CsvRecord& r) {
    Timeframe tf;
    tf.group_id = t.Get(r, "timeframe_group_id");
    if (!Required(r, "timeframe_group_id", tf.group_id)) return;
    tf.service_id = t.Get(r, "service_id");
    if (!ServiceKnown(tf.service_id)) {
      Note(r, "unknown service_id '" + tf.service_id + "'; row skipped");
      return;
    }
    std::optional<int> start, end;
    if (!TimeField(t, r, "start_time", start) || !TimeField(t, r, "end_time", end)) return;
    if (start.has_value() != end.has_value()) {
      Note(r, "start_time and end_time must both be set or both be empty; row skipped");
      return;
    }
    if (start) {
      // The spec bounds timeframes to one day: start < 24:00, end <= 24:00.
      if (*start >= 86400 || *end > 86400 || *start >= *end) {
        Note(r, "timeframe outside 00:00-24:00 or empty; row skipped");
        return;
      }
      tf.start = *start;
      tf.end = *end;
    }
    feed_.timeframes.push_back(std::move(tf));
  }

  void RiderCategories(const CsvTable& t, const CsvRecord& r) {
    RiderCategory c{std::string(t.Get(r, "rider_category_id")),
                    std::string(t.Get(r, "rider_category_name")),
                    t.Get(r, "is_default_fare_category") == "1"};
    if (!Required(r, "rider_category_id", c.id)) return;
    if (c.is_default && !feed_.DefaultRiderCategory().empty()) {
      Note(r, "a second default rider category; read as not default");
      c.is_default = false;
    }
    std::string id = c.id;
    InsertUnique(r, feed_.rider_categories, "rider_category_id", id, std::move(c));
  }

  void Media(const CsvTable& t, const CsvRecord& r) {
    FareMedia m{std::string(t.Get(r, "fare_media_id")), std::string(t.Get(r, "fare_media_name")),
                0};
    if (!Required(r, "fare_media_id", m.id)) return;
    auto type = ParseSmallInt(t.Get(r, "fare_media_type"));
    if (!type || *type < 0 || *type > 4) {
      Note(r, "bad fare_media_type; row skipped");
      return;
    }
    m.type = *type;
    std::string id = m.id;
    InsertUnique(r, feed_.fare_media, "fare_media_id", id, std::move(m));
  }

  void Products(const CsvTable& t, const CsvRecord& r) {
    FareProduct p;
    p.id = t.Get(r, "fare_product_id");
    if (!Required(r, "fare_product_id", p.id)) return;
    p.name = t.Get(r, "fare_product_name");
    p.rider_category_id = t.Get(r, "rider_category_id");
    p.fare_media_id = t.Get(r, "fare_media_id");
    p.currency = t.Get(r, "currency");
    p.line = r.line;
    if (!p.rider_category_id.empty() &&
        !Known(r, feed_.rider_categories, "rider_category_id", p.rider_category_id)) {
      return;
    }
    if (!p.fare_media_id.empty() && !Known(r, feed_.fare_media, "fare_media_id", p.fare_media_id)) {
      return;
    }
    auto decimals = CurrencyDecimals(p.currency);
    if (!decimals) {
      Note(r, "bad currency '" + p.currency + "'; row skipped");
      return;
    }
    auto amount = ParseAmount(t.Get(r, "amount"), *decimals);
    if (!amount.ok()) {
      Note(r, "bad amount '" + std::string(t.Get(r, "amount")) + "' for " + p.currency +
                  "; row skipped");
      return;
    }
    p.amount = *amount;
    for (const FareProduct& other : feed_.fare_products) {
      if (other.id == p.id && other.rider_category_id == p.rider_category_id &&
          other.fare_media_id == p.fare_media_id) {
        Note(r, "duplicate fare product key (id, rider category, medium); row skipped");
        return;
      }
    }
    product_ids_.insert(p.id);
    feed_.fare_products.push_back(std::move(p));
  }

  void LegRules(const CsvTable& t, const CsvRecord& r) {
    FareLegRule rule;
    rule.leg_group_id = t.Get(r, "leg_group_id");
    rule.network_id = t.Get(r, "network_id");
    rule.from_area_id = t.Get(r, "from_area_id");
    rule.to_area_id = t.Get(r, "to_area_id");
    rule.from_timeframe_group_id = t.Get(r, "from_timeframe_group_id");
    rule.to_timeframe_group_id = t.Get(r, "to_timeframe_group_id");
    rule.fare_product_id = t.Get(r, "fare_product_id");
    rule.line = r.line;
    if (!Required(r, "fare_product_id", rule.fare_product_id)) return;
    if (!product_ids_.contains(rule.fare_product_id)) {
      Note(r, "unknown fare_product_id '" + rule.fare_product_id + "'; row skipped");
      return;
    }
    if (!rule.network_id.empty() && !Known(r, feed_.networks, "network_id", rule.network_id)) {
      return;
    }
    for (const std::string* area : {&rule.from_area_id, &rule.to_area_id}) {
      if (!area->empty() && !Known(r, feed_.areas, "area_id", *area)) return;
    }
    for (const std::string* group : {&rule.from_timeframe_group_id, &rule.to_timeframe_group_id}) {
      if (group->empty()) continue;
      bool known = std::any_of(feed_.timeframes.begin(), feed_.timeframes.end(),
                               [&](const Timeframe& tf) { return tf.group_id == *group; });
      if (!known) {
        Note(r, "unknown timeframe_group_id '" + *group + "'; row skipped");
        return;
      }
    }
    if (std::string_view p = t.Get(r, "rule_priority"); !p.empty()) {
      auto priority = ParseSmallInt(p);
      if (!priority || *priority < 0) {
        Note(r, "bad rule_priority '" + std::string(p) + "'; row skipped");
        return;
      }
      rule.rule_priority = *priority;
    }
    if (!rule.leg_group_id.empty()) leg_groups_.insert(rule.leg_group_id);
    feed_.fare_leg_rules.push_back(std::move(rule));
  }

  // An optional integer column: true if empty or a number >= `min`.
  bool OptionalInt(const CsvTable& t, const CsvRecord& r, std::string_view column, int min,
                   std::optional<int>& out) {
    std::string_view v = t.Get(r, column);
    if (v.empty()) return true;
    auto n = ParseSmallInt(v);
    if (!n || *n < min) {
      Note(r, "bad " + std::string(column) + " '" + std::string(v) + "'; row skipped");
      return false;
    }
    out = *n;
    return true;
  }

  void TransferRules(const CsvTable& t, const CsvRecord& r) {
    FareTransferRule rule;
    rule.from_leg_group_id = t.Get(r, "from_leg_group_id");
    rule.to_leg_group_id = t.Get(r, "to_leg_group_id");
    rule.fare_product_id = t.Get(r, "fare_product_id");
    rule.line = r.line;
    for (const std::string* group : {&rule.from_leg_group_id, &rule.to_leg_group_id}) {
      if (!group->empty() && !leg_groups_.contains(*group)) {
        Note(r, "unknown leg_group_id '" + *group + "'; row skipped");
        return;
      }
    }
    if (!rule.fare_product_id.empty() && !product_ids_.contains(rule.fare_product_id)) {
      Note(r, "unknown fare_product_id '" + rule.fare_product_id + "'; row skipped");
      return;
    }
    std::optional<int> type;
    if (!OptionalInt(t, r, "transfer_count", -1, rule.transfer_count) ||
        !OptionalInt(t, r, "duration_limit", 1, rule.duration_limit) ||
        !OptionalInt(t, r, "duration_limit_type", 0, rule.duration_limit_type) ||
        !OptionalInt(t, r, "fare_transfer_type", 0, type)) {
      return;
    }
    if (!type || *type > 2) {
      Note(r, "fare_transfer_type must be 0, 1 or 2; row skipped");
      return;
    }
    rule.fare_transfer_type = *type;
    if (rule.duration_limit.has_value() != rule.duration_limit_type.has_value() ||
        rule.duration_limit_type.value_or(0) > 3) {
      Note(r, "duration_limit needs a duration_limit_type 0-3 and the reverse; row skipped");
      return;
    }
    // The spec forbids a transfer_count between different leg groups, and
    // requires it between equal ones.
    const bool same = rule.from_leg_group_id == rule.to_leg_group_id;
    if (same != rule.transfer_count.has_value() || rule.transfer_count == 0) {
      Note(r, "transfer_count must be set exactly when the leg groups are equal; row skipped");
      return;
    }
    feed_.fare_transfer_rules.push_back(std::move(rule));
  }

  std::filesystem::path dir_;
  std::string file_;
  Feed feed_;
  std::set<std::string, std::less<>> product_ids_;
  std::set<std::string, std::less<>> leg_groups_;
};

}  // namespace

std::chrono::sys_days Date::days() const {
  return std::chrono::sys_days(std::chrono::year(year) / month / day);
}

Date Date::FromDays(std::chrono::sys_days days) {
  const std::chrono::year_month_day date(days);
  return {static_cast<int>(date.year()), static_cast<int>(static_cast<unsigned>(date.month())),
          static_cast<int>(static_cast<unsigned>(date.day()))};
}

int Date::Weekday() const {
  // ISO: Monday 1 … Sunday 7.
  return static_cast<int>(std::chrono::weekday(days()).iso_encoding()) - 1;
}

Result<Date> ParseGtfsDate(std::string_view text) {
  if (text.size() != 8 || !std::all_of(text.begin(), text.end(), IsDigit)) {
    return InvalidArgument("date must be YYYYMMDD");
  }
  auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  Date d{num(0, 4), num(4, 2), num(6, 2)};
  if (!(std::chrono::year(d.year) / d.month / d.day).ok()) {
    return InvalidArgument("date out of range");
  }
  return d;
}

std::string FormatGtfsDate(const Date& date) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d%02d%02d", date.year, date.month, date.day);
  return text;
}

Result<Date> ParseIsoDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return InvalidArgument("date must be YYYY-MM-DD");
  }
  std::string compact;
  compact.append(text.substr(0, 4)).append(text.substr(5, 2)).append(text.substr(8, 2));
  return ParseGtfsDate(compact);
}

std::string FormatIsoDate(const Date& date) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", date.year, date.month, date.day);
  return text;
}

Result<int> ParseGtfsTime(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon < 1 || colon > 2 || text.size() != colon + 6 ||
      text[colon + 3] != ':') {
    return InvalidArgument("time must be H:MM:SS or HH:MM:SS");
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i != colon && i != colon + 3 && !IsDigit(text[i])) {
      return InvalidArgument("time must be H:MM:SS or HH:MM:SS");
    }
  }
  const int h = colon == 1 ? text[0] - '0' : (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[colon + 1] - '0') * 10 + (text[colon + 2] - '0');
  const int s = (text[colon + 4] - '0') * 10 + (text[colon + 5] - '0');
  if (m > 59 || s > 59) return InvalidArgument("minutes and seconds must be below 60");
  return h * 3600 + m * 60 + s;
}

Result<std::int64_t> ParseAmount(std::string_view text, int decimals) {
  bool negative = false;  // the spec allows negative amounts (discounts)
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  const std::size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  const bool digits_ok = std::all_of(whole.begin(), whole.end(), IsDigit) &&
                         std::all_of(fraction.begin(), fraction.end(), IsDigit);
  // 12 whole digits keep every amount far from int64 overflow.
  if (!digits_ok || whole.empty() || whole.size() > 12 ||
      (dot != std::string_view::npos && fraction.empty()) || fraction.size() > 18) {
    return InvalidArgument("amount must be digits with an optional decimal fraction");
  }
  std::int64_t value = 0;
  for (char c : whole) value = value * 10 + (c - '0');
  for (int i = 0; i < decimals; ++i) {
    const std::size_t idx = static_cast<std::size_t>(i);
    value = value * 10 + (idx < fraction.size() ? fraction[idx] - '0' : 0);
  }
  for (std::size_t i = static_cast<std::size_t>(decimals); i < fraction.size(); ++i) {
    if (fraction[i] != '0') return InvalidArgument("amount has more decimals than the currency");
  }
  return negative ? -value : value;
}

std::optional<int> CurrencyDecimals(std::string_view code) {
  if (code.size() != 3 ||
      !std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return std::nullopt;
  }
  // ISO 4217 exceptions to the usual two decimals.
  static constexpr std::string_view kZero[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                               "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                               "VND", "VUV", "XAF", "XOF", "XPF"};
  static constexpr std::string_view kThree[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  if (std::find(std::begin(kZero), std::end(kZero), code) != std::end(kZero)) return 0;
  if (std::find(std::begin(kThree), std::end(kThree), code) != std::end(kThree)) return 3;
  if (code == "CLF" || code == "UYW") return 4;
  return 2;
}

bool Feed::ServiceRuns(std::string_view service_id, const Date& date) const {
  if (auto it = calendar_dates.find(service_id); it != calendar_dates.end()) {
    if (auto d = it->second.find(date); d != it->second.end()) return d->second;
  }
  auto it = calendar.find(service_id);
  if (it == calendar.end()) return false;
  const Service& s = it->second;
  return date >= s.start && date <= s.end && s.weekdays[date.Weekday()];
}

std::string Feed::DefaultRiderCategory() const {
  for (const auto& [id, category] : rider_categories) {
    if (category.is_default) return id;
  }
  return {};
}

std::vector<const FareProduct*> Feed::Products(std::string_view id) const {
  std::vector<const FareProduct*> out;
  for (const FareProduct& p : fare_products) {
    if (p.id == id) out.push_back(&p);
  }
  return out;
}

Result<Feed> LoadFeed(const std::filesystem::path& dir) { return Loader(dir).Run(); }

std::string FormatIssues(const std::vector<Issue>& issues) {
  std::string out;
  for (const Issue& issue : issues) {
    out += issue.file + ":" + std::to_string(issue.line) + ": " + issue.message + "\n";
  }
  return out;
}

}  // namespace citycode::transit
