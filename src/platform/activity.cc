#include "platform/activity.h"

#include <algorithm>

#include "platform/internal/core.h"

namespace citycode::platform {
namespace {

constexpr std::int64_t kHourSeconds = 3600;

std::int64_t HourStart(Instant t) {
  const std::int64_t s = ToUnixSeconds(t);
  return s - ((s % kHourSeconds) + kHourSeconds) % kHourSeconds;
}

constexpr std::string_view kThroughSql = "SELECT through FROM verification_rollup WHERE id = 1";

// The hourly totals from `since` up to the watermark and the events after
// it, in one statement: one snapshot on both backends, so a total added
// meanwhile is counted once.
constexpr std::string_view kCountsSql = R"sql(
SELECT hour, scene, valid, reason, count FROM verification_hours
 WHERE hour >= ? AND hour < (SELECT through FROM verification_rollup WHERE id = 1)
UNION ALL
SELECT at - at % 3600, scene, valid, reason, COUNT(*) FROM verifications
 WHERE at >= ? AND at >= (SELECT through FROM verification_rollup WHERE id = 1)
 GROUP BY at - at % 3600, scene, valid, reason
)sql";

// Per enabled terminal its newest verification (one seek each on
// verifications_terminal).
constexpr std::string_view kTerminalsSql = R"sql(
SELECT t.id, t.name, t.scene, o.name, s.name,
       (SELECT MAX(v.at) FROM verifications v WHERE v.terminal_id = t.id)
  FROM terminals t
  JOIN organisations o ON o.id = t.org_id
  JOIN sites s ON s.id = t.site_id
 WHERE t.active = 1
)sql";

}  // namespace

Status Activity::TotalEndedHours(Instant now) {
  const std::int64_t ended = HourStart(now - kLateGrace);
  {
    // Almost always nothing to add: found without taking the write lock the
    // online paths queue on.
    CITYCODE_ASSIGN_OR_RETURN(auto tx, core_->db.Begin(store::TransactionMode::kRead));
    CITYCODE_ASSIGN_OR_RETURN(auto row, tx->QueryOne(kThroughSql));
    if (row.Int(0) >= ended) return OkStatus();
  }
  return store::RunInTransaction(core_->db, store::TransactionMode::kWrite, [&](auto& tx) {
    CITYCODE_ASSIGN_OR_RETURN(auto row, tx.QueryOne(kThroughSql));
    const std::int64_t through = row.Int(0);
    if (through >= ended) return OkStatus();  // another query totalled them
    const auto oldest_asked = HourStart(now - kMaxWindow);
    CITYCODE_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO verification_hours (hour, scene, valid, reason, count) "
                   "SELECT at - at % 3600, scene, valid, reason, COUNT(*) FROM verifications "
                   "WHERE at >= ? AND at < ? GROUP BY at - at % 3600, scene, valid, reason",
                   {Int(std::max(through, oldest_asked)), Int(ended)})
            .status());
    return tx.Execute("UPDATE verification_rollup SET through = ? WHERE id = 1", {Int(ended)})
        .status();
  });
}

Result<std::vector<VerificationCount>> Activity::Verifications(Instant since) {
  const Instant now = core_->clock.Now();
  CITYCODE_RETURN_IF_ERROR(TotalEndedHours(now));
  const std::int64_t from = HourStart(std::max(since, now - kMaxWindow));
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(auto rows, tx->Query(kCountsSql, {Int(from), Int(from)}));
  std::vector<VerificationCount> counts;
  counts.reserve(rows.size());
  for (const auto& row : rows) {
    counts.push_back({.hour = FromUnixSeconds(row.Int(0)),
                      .scene = row.Text(1),
                      .valid = row.Int(2) != 0,
                      .reason = row.Text(3),
                      .count = row.Int(4)});
  }
  std::sort(counts.begin(), counts.end(),
            [](const VerificationCount& a, const VerificationCount& b) { return a.hour < b.hour; });
  return counts;
}

Result<TerminalActivity> Activity::Terminals(std::chrono::seconds silent_after,
                                             std::size_t list_limit) {
  const Instant cutoff = core_->clock.Now() - silent_after;
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(auto rows, tx->Query(kTerminalsSql));
  TerminalActivity out;
  for (const auto& row : rows) {
    std::optional<Instant> last;
    if (!row.IsNull(5)) last = FromUnixSeconds(row.Int(5));
    if (last && *last >= cutoff) {
      ++out.active;
      continue;
    }
    ++out.silent;
    out.silent_terminals.push_back({.id = row.Text(0),
                                    .name = row.Text(1),
                                    .scene = row.Text(2),
                                    .org_name = row.Text(3),
                                    .site_name = row.Text(4),
                                    .last_seen = last});
  }
  // nullopt (never seen) sorts first, then the oldest.
  std::sort(out.silent_terminals.begin(), out.silent_terminals.end(),
            [](const TerminalSeen& a, const TerminalSeen& b) { return a.last_seen < b.last_seen; });
  if (out.silent_terminals.size() > list_limit) out.silent_terminals.resize(list_limit);
  return out;
}

}  // namespace citycode::platform
