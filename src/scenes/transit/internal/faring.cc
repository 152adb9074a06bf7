#include "scenes/transit/internal/faring.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "code/credential.h"
#include "scenes/transit/internal/postings.h"
#include "scenes/transit/schema.h"
#include "store/many_rows.h"

namespace citycode::transit::internal {
namespace {

using store::Int;
using store::Text;

constexpr std::string_view kVoidRules = kVoidTripRules;

std::string_view TripKindName(TripKind kind) {
  switch (kind) {
    case TripKind::kBoard: return "board";
    case TripKind::kComplete: return "complete";
    case TripKind::kNoExit: return "no_exit";
    case TripKind::kNoEntry: return "no_entry";
    case TripKind::kSameStation: return "same_station";
  }
  return "unknown";
}

// '%', ';', '=' and '@' as %XX: RulesText's separators.
std::string Escaped(std::string_view value) {
  std::string out;
  for (char ch : value) {
    if (ch == '%' || ch == ';' || ch == '=' || ch == '@') {
      constexpr char kHex[] = "0123456789ABCDEF";
      const auto byte = static_cast<unsigned char>(ch);
      out += {'%', kHex[byte >> 4], kHex[byte & 15]};
    } else {
      out += ch;
    }
  }
  return out;
}

Result<std::string> Unescaped(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out += value[i];
      continue;
    }
    if (value.size() - i < 3) return InvalidArgument("a charge's rules end inside an escape");
    unsigned byte = 0;
    const auto [end, ec] = std::from_chars(value.data() + i + 1, value.data() + i + 3, byte, 16);
    if (ec != std::errc() || end != value.data() + i + 3) {
      return InvalidArgument("a charge's rules hold a bad escape");
    }
    out += static_cast<char>(byte);
    i += 2;
  }
  return out;
}

Status CheckUpload(const Feed& feed, const TapUpload& u) {
  const Tap& t = u.tap;
  CITYCODE_RETURN_IF_ERROR(CheckId(t.terminal_id, "terminal_id"));
  if (t.sequence < 0) return InvalidArgument("sequence must be >= 0");
  if (!feed.routes.contains(t.route_id)) {
    return InvalidArgument("route_id '" + t.route_id + "' is not in the feed");
  }
  if (!feed.stops.contains(t.stop_id)) {
    return InvalidArgument("stop_id '" + t.stop_id + "' is not in the feed");
  }
  if (TapKindName(t.kind).empty()) return InvalidArgument("unknown tap kind");
  if (!code::ChannelFromName(code::ChannelName(t.channel)).ok()) {
    return InvalidArgument("unknown channel");
  }
  if (!t.rider_category_id.empty() && !feed.rider_categories.contains(t.rider_category_id)) {
    return InvalidArgument("rider_category_id '" + t.rider_category_id + "' is not in the feed");
  }
  if (u.valid) {
    CITYCODE_RETURN_IF_ERROR(CheckId(u.rider_id, "rider_id"));
    if (!u.refused_reason.empty()) return InvalidArgument("a valid tap has no refused_reason");
  } else {
    if (!u.rider_id.empty()) CITYCODE_RETURN_IF_ERROR(CheckId(u.rider_id, "rider_id"));
    if (u.refused_reason.empty() || u.refused_reason.size() > kMaxRefusedReasonBytes ||
        !HasNoControls(u.refused_reason)) {
      return InvalidArgument("a refused tap needs a refused_reason of 1-" +
                             std::to_string(kMaxRefusedReasonBytes) +
                             " bytes without control characters");
    }
  }
  return OkStatus();
}

// `column IN (?, …)` for `values`, appended to `params`.
std::string InList(std::string_view column, const std::set<std::string>& values,
                   std::vector<store::Value>& params) {
  std::string sql = std::string(column) + " IN (";
  for (const std::string& v : values) {
    sql += v == *values.begin() ? "?" : ", ?";
    params.push_back(Text(v));
  }
  return sql + ")";
}

std::set<std::string> DayTexts(const std::set<Date>& days) {
  std::set<std::string> texts;
  for (const Date& d : days) texts.insert(FormatGtfsDate(d));
  return texts;
}

// The operating days on whose charges it depends whether Refare reads
// anything for `added`: from the day before its first to two after its
// last. A stored tap Refare would read belongs to a trip that starts at
// most two metro trips before the first new tap, or before the end of its
// read range (the start of the day after `last`, plus a metro trip); that
// trip has a charge row on its start day. Empty (re-fare) past a week.
std::vector<Date> DaysNear(const NewTaps& added) {
  std::vector<Date> days;
  const Date first = added.days.begin()->AddDays(-1);
  const Date end = added.days.rbegin()->AddDays(3);
  if (first.AddDays(10) < end) return days;
  for (Date d = first; d < end; d = d.AddDays(1)) days.push_back(d);
  return days;
}

// Whether Refare would read no stored tap and no charge for the rider:
// none of the rider's charges (`charged`, by rider) lies on `near`, the
// DaysNear of its new taps.
bool RefareReadsNothing(const std::map<std::string, std::set<Date>>& charged,
                        const std::string& rider_id, const std::vector<Date>& near) {
  if (near.empty()) return false;
  const auto it = charged.find(rider_id);
  return it == charged.end() || std::none_of(near.begin(), near.end(),
                                             [&](const Date& d) { return it->second.contains(d); });
}

}  // namespace

std::string RulesText(const Charge& c) {
  std::string out = "kind=" + std::string(TripKindName(c.kind));
  out += ";category=" + Escaped(c.rider_category_id);
  out += ";channel=" + std::string(code::ChannelName(c.channel));
  if (!c.fare_product_id.empty()) out += ";product=" + Escaped(c.fare_product_id);
  if (c.leg_rule_line != 0) out += ";leg_rule_line=" + std::to_string(c.leg_rule_line);
  if (!c.window_id.empty()) {
    out += ";window=" + Escaped(c.window_id) + "@" + FormatGtfsDate(c.window_night);
  }
  if (c.daily_cap_applied) out += ";daily_cap";
  if (!c.problem.empty()) out += ";problem=" + Escaped(c.problem);
  return out;
}

Status ParseRules(std::string_view rules, Charge& c) {
  c.rider_category_id.clear();
  c.window_id.clear();
  c.daily_cap_applied = false;
  while (!rules.empty()) {
    const std::size_t end = std::min(rules.find(';'), rules.size());
    const std::string_view part = rules.substr(0, end);
    rules.remove_prefix(std::min(end + 1, rules.size()));
    const std::size_t eq = part.find('=');
    const std::string_view name = part.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : part.substr(eq + 1);
    if (name == "daily_cap") {
      c.daily_cap_applied = true;
    } else if (name == "category") {
      CITYCODE_ASSIGN_OR_RETURN(c.rider_category_id, Unescaped(value));
    } else if (name == "window") {
      const std::size_t at = value.rfind('@');
      if (at == std::string_view::npos) return InvalidArgument("a charge's window has no night");
      CITYCODE_ASSIGN_OR_RETURN(c.window_id, Unescaped(value.substr(0, at)));
      CITYCODE_ASSIGN_OR_RETURN(c.window_night, ParseGtfsDate(value.substr(at + 1)));
    }
  }
  return OkStatus();
}

std::unique_ptr<RiderFaring> MakeRiderFaring(store::Database& db, const Clock& clock,
                                             const Feed& feed, const FareExtensions& extensions,
                                             const FareOptions& options) {
  return std::unique_ptr<RiderFaring>(new RiderFaring{.db = db,
                                                      .clock = clock,
                                                      .feed = feed,
                                                      .extensions = extensions,
                                                      .options = options,
                                                      .ranges = std::make_unique<FareRanges>()});
}

void Bookings::AddCharge(std::string_view rider_id, const Charge& c) {
  const std::string day = FormatGtfsDate(c.operating_day);
  store::AppendRow(charges_, Text(day), Int(RiderBucket(rider_id)), Text(rider_id), Text(c.trip_id),
                   Int(ToUnixSeconds(c.start)), Int(c.amount), Int(c.base_amount),
                   Text(c.agency_id), Text(RulesText(c)), Int(ToUnixSeconds(now_)));
  // No memo: the trip's rules are on its charge row, and copying them
  // into both ledger rows made the ledger most of the database.
  if (c.amount != 0) {
    AddPosting(rider_id, day, RevenueAccount(c.agency_id), c.amount, "charge", c.trip_id, "");
  }
}

void Bookings::AddPosting(std::string_view rider_id, std::string_view operating_day,
                          std::string_view counter_account, std::int64_t amount,
                          std::string_view kind, std::string_view trip_id, std::string_view memo) {
  AppendPosting(postings_, now_, rider_id, operating_day, counter_account, amount, kind, trip_id,
                memo, NewPostingId());
  auto it = owed_.find(rider_id);
  if (it == owed_.end()) it = owed_.emplace(std::string(rider_id), 0).first;
  it->second += amount;
}

Status Bookings::Write(store::Transaction& tx) const {
  CITYCODE_RETURN_IF_ERROR(store::InsertRows(tx, kInsertCharge, kChargeColumns, charges_).status());
  CITYCODE_RETURN_IF_ERROR(
      store::InsertRows(tx, kInsertPosting, kPostingColumns, postings_).status());
  return AddToBalances(tx, now_, owed_);
}

std::int64_t RiderFaring::DayStart(const Date& d) const {
  return ToUnixSeconds(options.time.StartOf(d.days()) + options.day_start);
}

Result<std::vector<Tap>> RiderFaring::LoadTaps(store::Transaction& tx, std::string_view rider_id,
                                               std::int64_t from, std::int64_t to,
                                               bool gated_only) const {
  const std::string sql = std::string(
                              "SELECT terminal_id, sequence, at, route_id, stop_id, kind, channel, "
                              "rider_category_id FROM transit_taps WHERE bucket = ? AND "
                              "rider_id = ? AND at >= ? AND at < ?") +
                          (gated_only ? " AND kind <> 'board'" : "");
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query(sql, {Int(RiderBucket(rider_id)), Text(rider_id), Int(from), Int(to)}));
  std::vector<Tap> taps;
  taps.reserve(rows.size());
  Status status;
  for (const store::Row& row : rows) taps.push_back(TapFromRow(row, 0, status));
  CITYCODE_RETURN_IF_ERROR(status);
  return taps;
}

Status RiderFaring::CheckBatch(const std::vector<TapUpload>& batch, std::size_t max_taps) const {
  if (batch.size() > max_taps) {
    return InvalidArgument("a batch holds at most " + std::to_string(max_taps) + " taps");
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Status checked = CheckUpload(feed, batch[i]);
    if (!checked.ok()) {
      return InvalidArgument("tap " + std::to_string(i) + ": " + checked.message());
    }
  }
  return OkStatus();
}

void NewTaps::Add(const Tap& tap, const FareOptions& options) {
  if (days.empty() || FareOrder(tap) < FareOrder(first)) first = tap;
  days.insert(OperatingDayOf(tap.at, options));
}

Result<RiderTaps> RiderFaring::Store(store::Transaction& tx, const std::vector<TapUpload>& batch,
                                     Destination to, UploadResult& result) const {
  result = {};
  RiderTaps added;
  for (const TapUpload& u : batch) {
    CITYCODE_ASSIGN_OR_RETURN(Identity identity, StoreIdentity(tx, u));
    if (identity != Identity::kNew) {
      ++(identity == Identity::kDuplicate ? result.duplicates : result.conflicts);
      continue;
    }
    ++result.stored;
    if (!u.valid) {
      ++result.refused;
      CITYCODE_RETURN_IF_ERROR(StoreRefused(tx, u, ToUnixSeconds(clock.Now())));
      continue;
    }
    CITYCODE_RETURN_IF_ERROR(StoreValid(tx, u.rider_id, u.tap, to));
    if (to == Destination::kTaps) added[u.rider_id].Add(u.tap, options);
  }
  return added;
}

Result<Tap> RiderFaring::TailStart(store::Transaction& tx, std::string_view rider_id,
                                   const Tap& first) const {
  // Only an entry up to max_metro_trip before `first` can be completed.
  const std::int64_t at = ToUnixSeconds(first.at);
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<Tap> gated,
      LoadTaps(tx, rider_id, at - options.max_metro_trip.count(), at + 1, /*gated_only=*/true));
  const Tap* last = nullptr;
  for (const Tap& t : gated) {
    if (FareOrder(t) < FareOrder(first) && (last == nullptr || FareOrder(*last) < FareOrder(t))) {
      last = &t;
    }
  }
  return last != nullptr && last->kind == Tap::Kind::kEntry ? *last : first;
}

Result<std::map<std::string, ChargeRow>> RiderFaring::LoadTailCharges(
    store::Transaction& tx, std::string_view rider_id, const std::set<Date>& days, const Tap& from,
    const std::set<std::string>& tail_ids) const {
  // Each day's range of the key (operating_day, bucket, rider_id, …).
  std::vector<store::Value> params = {Int(RiderBucket(rider_id)), Text(rider_id),
                                      Int(ToUnixSeconds(from.at))};
  const std::string sql =
      "SELECT trip_id, operating_day, amount, base_amount, agency_id, rules, start_at FROM "
      "transit_charges WHERE bucket = ? AND rider_id = ? AND start_at >= ? AND " +
      InList("operating_day", DayTexts(days), params);
  CITYCODE_ASSIGN_OR_RETURN(std::vector<store::Row> rows, tx.Query(sql, params));
  std::map<std::string, ChargeRow> stored;
  for (const store::Row& row : rows) {
    if (!tail_ids.contains(row.Text(0))) continue;  // began before `from`, in its second
    stored.emplace(row.Text(0), ChargeRow{row.Text(1), row.Int(2), row.Int(3), row.Text(4),
                                          row.Text(5), row.Int(6)});
  }
  return stored;
}

Result<PaidBefore> RiderFaring::LoadPaidBefore(store::Transaction& tx, std::string_view rider_id,
                                               const Tap& from,
                                               const std::map<std::string, ChargeRow>& tail) const {
  // A daily cap counts the operating day's trips; a window's night lasts
  // less than a day, so its trips before `from` are of `from`'s operating
  // day or the one before.
  const Date day = OperatingDayOf(from.at, options);
  std::set<Date> days = {day};
  if (!extensions.windows.empty()) days.insert(day.AddDays(-1));
  std::vector<store::Value> params = {Int(RiderBucket(rider_id)), Text(rider_id),
                                      Int(ToUnixSeconds(from.at))};
  const std::string sql =
      "SELECT operating_day, rules, CAST(SUM(amount) AS BIGINT) FROM transit_charges WHERE "
      "bucket = ? AND rider_id = ? AND start_at <= ? AND amount <> 0 AND " +
      InList("operating_day", DayTexts(days), params) + " GROUP BY operating_day, rules";
  CITYCODE_ASSIGN_OR_RETURN(std::vector<store::Row> rows, tx.Query(sql, params));
  PaidBefore paid;
  auto add = [&](std::string_view operating_day, std::string_view rules,
                 std::int64_t amount) -> Status {
    Charge c;
    c.amount = amount;
    CITYCODE_ASSIGN_OR_RETURN(c.operating_day, ParseGtfsDate(operating_day));
    CITYCODE_RETURN_IF_ERROR(ParseRules(rules, c));
    paid.Add(c);
    return OkStatus();
  };
  for (const store::Row& row : rows) {
    CITYCODE_RETURN_IF_ERROR(add(row.Text(0), row.Text(1), row.Int(2)));
  }
  // The tail's trips that start in `from`'s second were summed too.
  for (const auto& [trip_id, c] : tail) {
    if (c.start_at == ToUnixSeconds(from.at) && c.amount != 0) {
      CITYCODE_RETURN_IF_ERROR(add(c.operating_day, c.rules, -c.amount));
    }
  }
  return paid;
}

Status RiderFaring::UpdateCharge(store::Transaction& tx, std::string_view rider_id,
                                 const ChargeRow& row, std::string_view trip_id) const {
  const store::Value params[] = {Int(row.amount),
                                 Int(row.base_amount),
                                 Text(row.agency_id),
                                 Text(row.rules),
                                 Int(ToUnixSeconds(clock.Now())),
                                 Text(row.operating_day),
                                 Int(RiderBucket(rider_id)),
                                 Text(rider_id),
                                 Text(trip_id)};
  return tx
      .Execute(
          "UPDATE transit_charges SET amount = ?, base_amount = ?, agency_id = ?, "
          "rules = ?, updated_at = ? WHERE operating_day = ? AND bucket = ? AND "
          "rider_id = ? AND trip_id = ?",
          params)
      .status();
}

Status RiderFaring::Book(store::Transaction& tx, std::string_view rider_id, const Charge& c,
                         const ChargeRow* stored, Bookings& bookings) const {
  if (stored == nullptr) {
    bookings.AddCharge(rider_id, c);
    return OkStatus();
  }
  const ChargeRow row{FormatGtfsDate(c.operating_day), c.amount, c.base_amount, c.agency_id,
                      RulesText(c)};
  if (stored->amount != c.amount) {
    bookings.AddPosting(rider_id, row.operating_day, RevenueAccount(c.agency_id),
                        c.amount - stored->amount, "adjustment", c.trip_id,
                        "re-fared: " + row.rules);
  }
  if (stored->amount == row.amount && stored->base_amount == row.base_amount &&
      stored->agency_id == row.agency_id && stored->rules == row.rules) {
    return OkStatus();
  }
  return UpdateCharge(tx, rider_id, row, c.trip_id);
}

// A trip that no longer exists (an exit-only trip whose entry arrived late)
// keeps its row at 0, and its amount is given back.
Status RiderFaring::Void(store::Transaction& tx, std::string_view rider_id,
                         std::string_view trip_id, const ChargeRow& stored,
                         Bookings& bookings) const {
  if (stored.amount == 0 && stored.rules == kVoidRules) return OkStatus();
  if (stored.amount != 0) {
    bookings.AddPosting(rider_id, stored.operating_day, RevenueAccount(stored.agency_id),
                        -stored.amount, "adjustment", trip_id, kVoidRules);
  }
  ChargeRow voided = stored;
  voided.amount = 0;
  voided.rules = std::string(kVoidRules);
  return UpdateCharge(tx, rider_id, voided, trip_id);
}

Status RiderFaring::Refare(store::Transaction& tx, const std::string& rider_id,
                           const NewTaps& added) const {
  CITYCODE_RETURN_IF_ERROR(internal::LockRider(tx, clock.Now(), rider_id));
  CITYCODE_ASSIGN_OR_RETURN(const Tap from, TailStart(tx, rider_id, added.first));
  // The taps up to the end of the last trip that can start on `last`.
  const Date last = added.days.rbegin()->AddDays(1);
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<Tap> taps,
      LoadTaps(tx, rider_id, ToUnixSeconds(from.at),
               DayStart(last.AddDays(1)) + options.max_metro_trip.count() + 1));
  std::erase_if(taps, [&](const Tap& t) { return FareOrder(t) < FareOrder(from); });
  std::set<std::string> tail_ids;
  std::set<Date> days;
  for (const Tap& t : taps) {
    tail_ids.insert(TapId(t));
    if (const Date day = OperatingDayOf(t.at, options); day <= last) days.insert(day);
  }
  CITYCODE_ASSIGN_OR_RETURN(auto stored, LoadTailCharges(tx, rider_id, days, from, tail_ids));
  CITYCODE_ASSIGN_OR_RETURN(const PaidBefore paid, LoadPaidBefore(tx, rider_id, from, stored));

  Bookings bookings(clock.Now());
  for (const Charge& c :
       FareTaps(feed, extensions, std::move(taps), options, ranges.get(), &paid)) {
    if (last < c.operating_day) continue;
    auto it = stored.find(c.trip_id);
    CITYCODE_RETURN_IF_ERROR(
        Book(tx, rider_id, c, it == stored.end() ? nullptr : &it->second, bookings));
    if (it != stored.end()) stored.erase(it);
  }
  for (const auto& [trip_id, old] : stored) {
    CITYCODE_RETURN_IF_ERROR(Void(tx, rider_id, trip_id, old, bookings));
  }
  return bookings.Write(tx);
}

Result<std::map<std::string, std::set<Date>>> RiderFaring::ChargedDays(
    store::Transaction& tx, std::int64_t bucket, const std::set<Date>& days) const {
  std::map<std::string, std::set<Date>> charged;
  if (days.empty()) return charged;
  std::vector<store::Value> params = {Int(bucket)};
  const std::string sql =
      "SELECT DISTINCT rider_id, operating_day FROM transit_charges WHERE bucket = ? AND " +
      InList("operating_day", DayTexts(days), params);
  CITYCODE_ASSIGN_OR_RETURN(std::vector<store::Row> rows, tx.Query(sql, params));
  for (const store::Row& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(const Date day, ParseGtfsDate(row.Text(1)));
    charged[row.Text(0)].insert(day);
  }
  return charged;
}

void RiderFaring::FareFromTapsAlone(const std::string& rider_id, const std::vector<Tap>& taps,
                                    const NewTaps& added, Bookings& bookings) const {
  const Date last = added.days.rbegin()->AddDays(1);
  const PaidBefore nothing;
  for (const Charge& c : FareTaps(feed, extensions, taps, options, ranges.get(), &nothing)) {
    if (!(last < c.operating_day)) bookings.AddCharge(rider_id, c);
  }
}

Status RiderFaring::FareTaken(store::Transaction& tx,
                              const std::map<std::string, std::vector<Tap>>& by_rider) const {
  if (by_rider.empty()) return OkStatus();
  const Instant now = clock.Now();
  std::vector<std::string> rider_ids;
  std::vector<store::Value> tap_rows;
  struct NewOfRider {
    NewTaps added;
    std::vector<Date> near;  // DaysNear(added)
  };
  std::map<std::string, NewOfRider> new_of;
  std::set<Date> near;  // every rider's
  for (const auto& [rider_id, taps] : by_rider) {
    rider_ids.push_back(rider_id);
    NewOfRider& rider = new_of[rider_id];
    for (const Tap& t : taps) {
      AppendValid(tap_rows, rider_id, t);
      rider.added.Add(t, options);
    }
    rider.near = DaysNear(rider.added);
    near.insert(rider.near.begin(), rider.near.end());
  }
  CITYCODE_RETURN_IF_ERROR(LockRiders(tx, now, rider_ids));
  CITYCODE_RETURN_IF_ERROR(StoreValidRows(tx, tap_rows, Destination::kTaps));
  CITYCODE_ASSIGN_OR_RETURN(const auto charged,
                            ChargedDays(tx, RiderBucket(rider_ids.front()), near));
  Bookings bookings(now);
  for (const auto& [rider_id, taps] : by_rider) {
    const NewOfRider& rider = new_of.at(rider_id);
    if (RefareReadsNothing(charged, rider_id, rider.near)) {
      FareFromTapsAlone(rider_id, taps, rider.added, bookings);
    } else {
      CITYCODE_RETURN_IF_ERROR(Refare(tx, rider_id, rider.added));
    }
  }
  return bookings.Write(tx);
}

}  // namespace citycode::transit::internal
