#include "scenes/transit/internal/faring.h"

#include <utility>

#include "code/credential.h"
#include "scenes/transit/internal/postings.h"
#include "scenes/transit/schema.h"

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

// Which rules produced a charge, stable so that an unchanged re-fare
// compares equal.
std::string RulesText(const Charge& c) {
  std::string out = "kind=" + std::string(TripKindName(c.kind));
  out += ";category=" + c.rider_category_id;
  out += ";channel=" + std::string(code::ChannelName(c.channel));
  if (!c.fare_product_id.empty()) out += ";product=" + c.fare_product_id;
  if (c.leg_rule_line != 0) out += ";leg_rule_line=" + std::to_string(c.leg_rule_line);
  if (!c.window_id.empty()) out += ";window=" + c.window_id + "@" + FormatGtfsDate(c.window_night);
  if (c.daily_cap_applied) out += ";daily_cap";
  if (!c.problem.empty()) out += ";problem=" + c.problem;
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

}  // namespace

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

std::int64_t RiderFaring::DayStart(const Date& d) const {
  return ToUnixSeconds(options.time.StartOf(d.days()) + options.day_start);
}

Result<std::vector<Tap>> RiderFaring::LoadTaps(store::Transaction& tx, std::string_view rider_id,
                                               std::int64_t from, std::int64_t to) const {
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT terminal_id, sequence, at, route_id, stop_id, kind, channel, "
               "rider_category_id FROM transit_taps WHERE bucket = ? AND rider_id = ? AND "
               "at >= ? AND at < ?",
               {Int(RiderBucket(rider_id)), Text(rider_id), Int(from), Int(to)}));
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

Result<RiderDays> RiderFaring::Store(store::Transaction& tx, const std::vector<TapUpload>& batch,
                                     Destination to, UploadResult& result) const {
  result = {};
  RiderDays touched;
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
    if (to == Destination::kTaps) touched[u.rider_id].insert(OperatingDayOf(u.tap.at, options));
  }
  return touched;
}

Status RiderFaring::RefareDays(store::Transaction& tx, const std::string& rider_id,
                               const std::set<Date>& days) const {
  CITYCODE_RETURN_IF_ERROR(internal::LockRider(tx, clock.Now(), rider_id));
  std::int64_t owed = 0;
  auto day = days.begin();
  while (day != days.end()) {
    const Date first = day->AddDays(-1);
    Date last = day->AddDays(1);
    for (++day; day != days.end() && day->AddDays(-1) <= last.AddDays(1); ++day) {
      last = day->AddDays(1);
    }
    CITYCODE_RETURN_IF_ERROR(Refare(tx, rider_id, first, last, owed));
  }
  return internal::AddToBalance(tx, clock.Now(), rider_id, owed);
}

Result<std::map<std::string, ChargeRow>> RiderFaring::LoadCharges(
    store::Transaction& tx, std::string_view rider_id, const std::set<Date>& days) const {
  std::map<std::string, ChargeRow> stored;
  for (const Date& day : days) {
    const std::string day_text = FormatGtfsDate(day);
    CITYCODE_ASSIGN_OR_RETURN(
        std::vector<store::Row> rows,
        tx.Query("SELECT trip_id, amount, base_amount, agency_id, rules FROM transit_charges "
                 "WHERE operating_day = ? AND bucket = ? AND rider_id = ?",
                 {Text(day_text), Int(RiderBucket(rider_id)), Text(rider_id)}));
    for (const store::Row& row : rows) {
      stored.emplace(row.Text(0),
                     ChargeRow{day_text, row.Int(1), row.Int(2), row.Text(3), row.Text(4)});
    }
  }
  return stored;
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

Status RiderFaring::Refare(store::Transaction& tx, std::string_view rider_id, const Date& first,
                           const Date& last, std::int64_t& owed) const {
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<Tap> taps,
      LoadTaps(tx, rider_id, DayStart(first.AddDays(-1)), DayStart(last.AddDays(2))));
  // A charge's day is its trip's first tap's, and taps are never deleted:
  // only days of the span with taps can hold charges (a bulk faring's
  // span has three days, its rider's taps mostly one).
  std::set<Date> tap_days;
  for (const Tap& t : taps) {
    const Date day = OperatingDayOf(t.at, options);
    if (first <= day && day <= last) tap_days.insert(day);
  }
  std::map<std::string, Charge> fresh;
  for (Charge& c : FareTaps(feed, extensions, std::move(taps), options, ranges.get())) {
    if (c.operating_day < first || last < c.operating_day) continue;
    std::string id = c.trip_id;
    fresh.emplace(std::move(id), std::move(c));
  }
  CITYCODE_ASSIGN_OR_RETURN(auto stored, LoadCharges(tx, rider_id, tap_days));

  const std::int64_t now = ToUnixSeconds(clock.Now());
  for (const auto& [trip_id, c] : fresh) {
    const ChargeRow row{FormatGtfsDate(c.operating_day), c.amount, c.base_amount, c.agency_id,
                        RulesText(c)};
    auto it = stored.find(trip_id);
    if (it == stored.end()) {
      const store::Value params[] = {Text(row.operating_day),
                                     Int(RiderBucket(rider_id)),
                                     Text(rider_id),
                                     Text(trip_id),
                                     Int(ToUnixSeconds(c.start)),
                                     Int(c.amount),
                                     Int(c.base_amount),
                                     Text(c.agency_id),
                                     Text(row.rules),
                                     Int(now)};
      CITYCODE_RETURN_IF_ERROR(tx.Execute(kInsertCharge, params).status());
      // No memo: the trip's rules are on its charge row, and copying them
      // into both ledger rows made the ledger most of the database.
      if (c.amount != 0) {
        CITYCODE_RETURN_IF_ERROR(internal::Post(tx, clock.Now(), rider_id, row.operating_day,
                                                RevenueAccount(c.agency_id), c.amount, "charge",
                                                trip_id, "", NewPostingId(), owed));
      }
      continue;
    }
    const ChargeRow& old = it->second;
    if (old.amount != c.amount) {
      CITYCODE_RETURN_IF_ERROR(internal::Post(tx, clock.Now(), rider_id, row.operating_day,
                                              RevenueAccount(c.agency_id), c.amount - old.amount,
                                              "adjustment", trip_id, "re-fared: " + row.rules,
                                              NewPostingId(), owed));
    }
    if (old.amount != row.amount || old.base_amount != row.base_amount ||
        old.agency_id != row.agency_id || old.rules != row.rules) {
      CITYCODE_RETURN_IF_ERROR(UpdateCharge(tx, rider_id, row, trip_id));
    }
  }
  // Trips that no longer exist (an exit-only trip whose entry arrived
  // late) keep their row at 0, and their amount is given back.
  for (const auto& [trip_id, old] : stored) {
    if (fresh.contains(trip_id) || (old.amount == 0 && old.rules == kVoidRules)) continue;
    if (old.amount != 0) {
      CITYCODE_RETURN_IF_ERROR(internal::Post(
          tx, clock.Now(), rider_id, old.operating_day, RevenueAccount(old.agency_id), -old.amount,
          "adjustment", trip_id, kVoidRules, NewPostingId(), owed));
    }
    ChargeRow voided = old;
    voided.amount = 0;
    voided.rules = std::string(kVoidRules);
    CITYCODE_RETURN_IF_ERROR(UpdateCharge(tx, rider_id, voided, trip_id));
  }
  return OkStatus();
}

}  // namespace citycode::transit::internal
