#include "scenes/transit/internal/postings.h"

#include <algorithm>
#include <atomic>

#include "crypto/random.h"
#include "scenes/transit/rides.h"
#include "scenes/transit/schema.h"
#include "store/many_rows.h"

namespace citycode::transit::internal {

using store::Int;
using store::Text;

std::string NewPostingId() {
  static const std::string prefix = crypto::RandomId("tl") + ".";
  static std::atomic<std::uint64_t> next{0};
  return prefix + std::to_string(next.fetch_add(1, std::memory_order_relaxed));
}

std::string RevenueAccount(std::string_view agency_id) {
  return "revenue:" + std::string(agency_id.empty() ? "unknown" : agency_id);
}

bool IsPrintableAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char ch) { return ch > 0x20 && ch < 0x7f; });
}

bool HasNoControls(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c != 0x7f;
  });
}

Status CheckId(std::string_view id, std::string_view what) {
  if (id.empty() || id.size() > kMaxTapIdBytes || !IsPrintableAscii(id)) {
    return InvalidArgument(std::string(what) + " must be 1-" + std::to_string(kMaxTapIdBytes) +
                           " printable ASCII bytes");
  }
  return OkStatus();
}

Status CheckReference(std::string_view reference, std::string_view what) {
  if (reference.empty() || reference.size() > kMaxPaymentReferenceBytes ||
      !IsPrintableAscii(reference)) {
    return InvalidArgument("a " + std::string(what) + " reference must be 1-" +
                           std::to_string(kMaxPaymentReferenceBytes) + " printable ASCII bytes");
  }
  return OkStatus();
}

std::optional<std::pair<std::string, std::int64_t>> SplitTripId(std::string_view trip_id) {
  const std::size_t colon = trip_id.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == trip_id.size() ||
      trip_id.size() - colon > 20) {
    return std::nullopt;
  }
  std::int64_t sequence = 0;
  for (char ch : trip_id.substr(colon + 1)) {
    if (ch < '0' || ch > '9') return std::nullopt;
    sequence = sequence * 10 + (ch - '0');
  }
  return std::pair{std::string(trip_id.substr(0, colon)), sequence};
}

void AppendPosting(std::vector<store::Value>& values, Instant now, std::string_view rider_id,
                   std::string_view operating_day, std::string_view counter_account,
                   std::int64_t amount, std::string_view kind, std::string_view trip_id,
                   std::string_view memo, std::string_view posting_id) {
  store::AppendRow(values, Text(operating_day), Int(RiderBucket(rider_id)), Text(rider_id),
                   Text(posting_id), Int(ToUnixSeconds(now)), Int(amount), Text(counter_account),
                   Text(kind), trip_id.empty() ? store::Value(nullptr) : Text(trip_id), Text(memo));
}

Status Post(store::Transaction& tx, Instant now, std::string_view rider_id,
            std::string_view operating_day, std::string_view counter_account, std::int64_t amount,
            std::string_view kind, std::string_view trip_id, std::string_view memo,
            std::string_view posting_id, std::int64_t& owed) {
  std::vector<store::Value> values;
  AppendPosting(values, now, rider_id, operating_day, counter_account, amount, kind, trip_id, memo,
                posting_id);
  CITYCODE_RETURN_IF_ERROR(store::InsertRows(tx, kInsertPosting, kPostingColumns, values).status());
  owed += amount;
  return OkStatus();
}

// The riders' rows, with store::InsertRows and an ON CONFLICT tail.
constexpr std::string_view kInsertRider =
    "INSERT INTO transit_riders (bucket, rider_id, balance, updated_at) VALUES";

Status AddToBalance(store::Transaction& tx, Instant now, std::string_view rider_id,
                    std::int64_t owed) {
  return AddToBalances(tx, now, Owed{{std::string(rider_id), owed}});
}

Status AddToBalances(store::Transaction& tx, Instant now, const Owed& owed) {
  std::vector<store::Value> values;
  for (const auto& [rider_id, amount] : owed) {
    if (amount == 0) continue;
    store::AppendRow(values, Int(RiderBucket(rider_id)), Text(rider_id), Int(amount),
                     Int(ToUnixSeconds(now)));
  }
  return store::InsertRows(tx, kInsertRider, 4, values,
                           " ON CONFLICT (bucket, rider_id) DO UPDATE SET balance = "
                           "transit_riders.balance + excluded.balance, updated_at = "
                           "excluded.updated_at")
      .status();
}

Status LockRider(store::Transaction& tx, Instant now, std::string_view rider_id) {
  const std::string id(rider_id);
  return LockRiders(tx, now, std::span(&id, 1));
}

Status LockRiders(store::Transaction& tx, Instant now, std::span<const std::string> rider_ids) {
  std::vector<store::Value> values;
  for (const std::string& rider_id : rider_ids) {
    store::AppendRow(values, Int(RiderBucket(rider_id)), Text(rider_id), Int(0),
                     Int(ToUnixSeconds(now)));
  }
  return store::InsertRows(tx, kInsertRider, 4, values,
                           " ON CONFLICT (bucket, rider_id) DO UPDATE SET updated_at = "
                           "excluded.updated_at")
      .status();
}

}  // namespace citycode::transit::internal
