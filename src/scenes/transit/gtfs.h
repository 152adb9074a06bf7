// A GTFS feed with the GTFS-Fares v2 files, loaded into memory.
//
// LoadFeed reads a feed folder (the .txt files of a feed zip). Required:
// agency.txt, routes.txt, stops.txt, trips.txt, stop_times.txt and at least
// one of calendar.txt / calendar_dates.txt. The Fares v2 files are read when
// present: fare_media, fare_products, fare_leg_rules, fare_transfer_rules,
// areas, stop_areas, networks (and routes.network_id), timeframes,
// rider_categories. Every row that is not loaded as written (an unknown
// reference, a bad number, time or date, a duplicate key, an unsupported
// value) is listed in Feed::issues with its file and line: nothing is dropped
// silently. Fares are integer minor units of the currency (cents, fen).
//
// A Feed is a value; const access is thread-safe.
#ifndef CITYCODE_SCENES_TRANSIT_GTFS_H_
#define CITYCODE_SCENES_TRANSIT_GTFS_H_

#include <chrono>
#include <compare>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace citycode::transit {

// A calendar date, as GTFS writes it (YYYYMMDD), in the feed's local time.
struct Date {
  int year = 1970;
  int month = 1;
  int day = 1;

  // The day as std::chrono counts it, and back.
  std::chrono::sys_days days() const;
  static Date FromDays(std::chrono::sys_days days);
  // Days since 1970-01-01 (negative before).
  std::int64_t DaysSinceEpoch() const { return days().time_since_epoch().count(); }
  static Date FromDaysSinceEpoch(std::int64_t n) {
    return FromDays(std::chrono::sys_days(std::chrono::days(n)));
  }
  // 0 = Monday … 6 = Sunday.
  int Weekday() const;
  Date AddDays(std::int64_t n) const { return FromDays(days() + std::chrono::days(n)); }

  friend auto operator<=>(const Date&, const Date&) = default;
};

// "YYYYMMDD" with a real month and day; invalid_argument otherwise.
Result<Date> ParseGtfsDate(std::string_view text);
std::string FormatGtfsDate(const Date& date);
// "YYYY-MM-DD", as the API and the CLI name an operating day.
Result<Date> ParseIsoDate(std::string_view text);
std::string FormatIsoDate(const Date& date);
// "H:MM:SS" or "HH:MM:SS" to seconds since midnight of the service day. Hours
// may exceed 23 (trips past midnight), up to 99; minutes and seconds < 60.
Result<int> ParseGtfsTime(std::string_view text);
// "4.50" in a currency with `decimals` minor digits to minor units (450),
// exactly, without floating point. Extra fraction digits must be zeros.
Result<std::int64_t> ParseAmount(std::string_view text, int decimals);
// The number of minor-unit digits of an ISO 4217 code (2 for CAD, PLN, CNY,
// 0 for JPY, 3 for KWD …); nullopt if `code` is not three letters A-Z.
std::optional<int> CurrencyDecimals(std::string_view code);

// A row that was skipped or read differently from how it is written.
struct Issue {
  std::string file;  // "fare_leg_rules.txt"
  int line = 0;      // 1-based; 0 for the file as a whole
  std::string message;
};

struct Agency {
  std::string id, name, timezone;
};
struct Route {
  std::string id, agency_id, short_name, long_name, network_id;
  int route_type = 3;
};
struct Stop {
  std::string id, name, zone_id;
};
struct Trip {
  std::string id, route_id, service_id;
};
struct StopTime {
  std::string stop_id;
  int stop_sequence = 0;
  std::optional<int> arrival, departure;  // seconds since service-day midnight
};
struct Service {          // a calendar.txt row
  bool weekdays[7] = {};  // Monday first
  Date start, end;        // inclusive
};
struct FareMedia {
  std::string id, name;
  int type = 0;
};
struct FareProduct {
  std::string id, name, rider_category_id, fare_media_id, currency;
  std::int64_t amount = 0;  // minor units
  int line = 0;
};
struct FareLegRule {
  std::string leg_group_id, network_id, from_area_id, to_area_id, from_timeframe_group_id,
      to_timeframe_group_id, fare_product_id;
  int rule_priority = 0;  // empty reads as 0
  int line = 0;
};
struct FareTransferRule {
  std::string from_leg_group_id, to_leg_group_id, fare_product_id;
  std::optional<int> transfer_count;       // -1 = unlimited
  std::optional<int> duration_limit;       // seconds
  std::optional<int> duration_limit_type;  // 0..3, required with a limit
  int fare_transfer_type = 0;              // 0 A+AB, 1 A+AB+B, 2 AB
  int line = 0;
};
struct Timeframe {
  std::string group_id, service_id;
  int start = 0;    // seconds since midnight
  int end = 86400;  // exclusive; both empty in the file = the whole day
};
struct RiderCategory {
  std::string id, name;
  bool is_default = false;
};

template <typename T>
using ById = std::map<std::string, T, std::less<>>;

struct Feed {
  ById<Agency> agencies;
  ById<Route> routes;
  ById<Stop> stops;
  ById<Trip> trips;
  ById<std::vector<StopTime>> stop_times;  // by trip_id, in stop_sequence order
  ById<Service> calendar;
  ById<std::map<Date, bool>> calendar_dates;  // service -> date -> added (true) / removed
  ById<FareMedia> fare_media;
  std::vector<FareProduct> fare_products;  // key: id + rider category + media
  std::vector<FareLegRule> fare_leg_rules;
  bool leg_rules_have_priority = false;  // the rule_priority column exists
  std::vector<FareTransferRule> fare_transfer_rules;
  ById<std::string> areas;                    // id -> name
  ById<std::vector<std::string>> stop_areas;  // stop_id -> area ids
  ById<std::string> networks;                 // networks.txt + routes.network_id
  std::vector<Timeframe> timeframes;
  ById<RiderCategory> rider_categories;
  std::vector<Issue> issues;
  // Every value each rule column names, for the exclusion semantics of an
  // empty field (fare_rules.cc); derived by LoadFeed, once, not per fare.
  struct RuleNames {
    std::vector<std::string> networks, from_areas, to_areas;  // fare_leg_rules
    std::vector<std::string> from_leg_groups, to_leg_groups;  // fare_transfer_rules
  } rule_names;

  // Whether `service_id` runs on `date` (calendar.txt, then calendar_dates.txt).
  bool ServiceRuns(std::string_view service_id, const Date& date) const;
  // The rider category marked is_default_fare_category, or empty.
  std::string DefaultRiderCategory() const;
  // The rows of product `id` (one per rider category / medium).
  std::vector<const FareProduct*> Products(std::string_view id) const;
};

// Reads the feed in `dir`. not_found if `dir` or a required file is missing;
// invalid_argument if a file breaks the CSV limits (csv.h) or lacks a
// required column. Row-level problems are Feed::issues, not errors.
Result<Feed> LoadFeed(const std::filesystem::path& dir);

// One line per issue, "file:line: message", for logs and test failures.
std::string FormatIssues(const std::vector<Issue>& issues);

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_GTFS_H_
