// The riders' ledger rows (transit_ledger, transit_riders), written by the
// faring (rides.cc) and by payments and refunds (ledger.cc).
#ifndef CITYCODE_SCENES_TRANSIT_INTERNAL_POSTINGS_H_
#define CITYCODE_SCENES_TRANSIT_INTERNAL_POSTINGS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/database.h"

namespace citycode::transit::internal {

// With store::InsertRows, AppendPosting's values.
inline constexpr std::string_view kInsertPosting =
    "INSERT INTO transit_ledger (operating_day, bucket, rider_id, posting_id, at, amount, "
    "counter_account, kind, trip_id, memo) VALUES";
inline constexpr std::size_t kPostingColumns = 10;

// A random prefix drawn once per process and a counter: unique without a
// random draw per posting, which took a tenth of the bulk faring's time.
std::string NewPostingId();
// The account an operator's fares are credited to.
std::string RevenueAccount(std::string_view agency_id);

// Printable ASCII: ids are machine-made, and this keeps them safe in logs.
bool IsPrintableAscii(std::string_view text);
// No C0 controls or DEL; other bytes (UTF-8) pass.
bool HasNoControls(std::string_view text);
// An id (terminal, rider, route, stop): 1-kMaxTapIdBytes printable ASCII
// bytes; invalid_argument naming `what` otherwise.
Status CheckId(std::string_view id, std::string_view what);
// A payment's or refund's idempotency key, chosen by the caller.
Status CheckReference(std::string_view reference, std::string_view what);
// A trip id is its first tap's identity, "terminal_id:sequence".
std::optional<std::pair<std::string, std::int64_t>> SplitTripId(std::string_view trip_id);

// A posting at `now`: the rider's receivable debited `amount` (negative:
// credited), `counter_account` credited as much. `operating_day` is the
// trip's ('' for a payment). Its row's values, appended to `values`.
void AppendPosting(std::vector<store::Value>& values, Instant now, std::string_view rider_id,
                   std::string_view operating_day, std::string_view counter_account,
                   std::int64_t amount, std::string_view kind, std::string_view trip_id,
                   std::string_view memo, std::string_view posting_id);
// Writes a posting (AppendPosting's). Adds `amount` to `owed`, which the
// caller books on the rider's row with AddToBalance: once per rider and
// transaction, not per posting.
Status Post(store::Transaction& tx, Instant now, std::string_view rider_id,
            std::string_view operating_day, std::string_view counter_account, std::int64_t amount,
            std::string_view kind, std::string_view trip_id, std::string_view memo,
            std::string_view posting_id, std::int64_t& owed);
// By rider id.
using Owed = std::map<std::string, std::int64_t, std::less<>>;
// The rider's balance: the sum of their postings.
Status AddToBalance(store::Transaction& tx, Instant now, std::string_view rider_id,
                    std::int64_t owed);
// Each rider's, a few statements for many riders.
Status AddToBalances(store::Transaction& tx, Instant now, const Owed& owed);
// Writes the rider's row, so that two transactions for one rider go one
// after the other (no SELECT … FOR UPDATE on SQLite).
Status LockRider(store::Transaction& tx, Instant now, std::string_view rider_id);
// Each rider's, in the order given (id order, as every transaction that
// locks several takes them), a few statements for many.
Status LockRiders(store::Transaction& tx, Instant now, std::span<const std::string> rider_ids);

}  // namespace citycode::transit::internal

#endif  // CITYCODE_SCENES_TRANSIT_INTERNAL_POSTINGS_H_
