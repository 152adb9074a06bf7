#include "scenes/transit/internal/tap_rows.h"

#include "code/credential.h"
#include "scenes/transit/schema.h"
#include "store/many_rows.h"

namespace citycode::transit::internal {

using store::Int;
using store::Text;

Tap TapFromRow(const store::Row& row, std::size_t first, Status& status) {
  Tap t;
  t.terminal_id = row.Text(first);
  t.sequence = row.Int(first + 1);
  t.at = FromUnixSeconds(row.Int(first + 2));
  t.route_id = row.Text(first + 3);
  t.stop_id = row.Text(first + 4);
  auto kind = TapKindFromName(row.Text(first + 5));
  auto channel = code::ChannelFromName(row.Text(first + 6));
  if (!kind.ok()) status = Internal("transit_taps: unknown kind " + row.Text(first + 5));
  if (!channel.ok()) status = channel.status();
  if (kind.ok()) t.kind = *kind;
  if (channel.ok()) t.channel = *channel;
  t.rider_category_id = row.Text(first + 7);
  return t;
}

Result<Identity> StoreIdentity(store::Transaction& tx, const TapUpload& u) {
  const std::int64_t at = ToUnixSeconds(u.tap.at);
  CITYCODE_ASSIGN_OR_RETURN(
      std::int64_t inserted,
      tx.Execute("INSERT INTO transit_tap_ids (terminal_id, sequence, rider_id, at) "
                 "VALUES (?, ?, ?, ?) ON CONFLICT (terminal_id, sequence) DO NOTHING",
                 {Text(u.tap.terminal_id), Int(u.tap.sequence), Text(u.rider_id), Int(at)}));
  if (inserted == 1) return Identity::kNew;
  CITYCODE_ASSIGN_OR_RETURN(
      store::Row stored,
      tx.QueryOne("SELECT rider_id, at FROM transit_tap_ids WHERE terminal_id = ? AND sequence = ?",
                  {Text(u.tap.terminal_id), Int(u.tap.sequence)}));
  return stored.Text(0) == u.rider_id && stored.Int(1) == at ? Identity::kDuplicate
                                                             : Identity::kConflict;
}

Status StoreRefused(store::Transaction& tx, const TapUpload& u, std::int64_t uploaded_at) {
  const Tap& t = u.tap;
  const store::Value params[] = {Text(t.terminal_id),       Int(t.sequence),
                                 Text(u.rider_id),          Int(ToUnixSeconds(t.at)),
                                 Text(t.route_id),          Text(t.stop_id),
                                 Text(TapKindName(t.kind)), Text(code::ChannelName(t.channel)),
                                 Text(t.rider_category_id), Text(u.refused_reason),
                                 Int(uploaded_at)};
  return tx
      .Execute(
          "INSERT INTO transit_refused_taps (terminal_id, sequence, rider_id, at, route_id, "
          "stop_id, kind, channel, rider_category_id, refused_reason, uploaded_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          params)
      .status();
}

void AppendValid(std::vector<store::Value>& values, std::string_view rider_id, const Tap& t) {
  store::AppendRow(values, Int(RiderBucket(rider_id)), Text(rider_id), Int(ToUnixSeconds(t.at)),
                   Text(t.terminal_id), Int(t.sequence), Text(t.route_id), Text(t.stop_id),
                   Text(TapKindName(t.kind)), Text(code::ChannelName(t.channel)),
                   Text(t.rider_category_id));
}

Status StoreValidRows(store::Transaction& tx, std::span<const store::Value> values,
                      Destination to) {
  return store::InsertRows(tx,
                           to == Destination::kTaps
                               ? "INSERT INTO transit_taps (bucket, rider_id, at, terminal_id, "
                                 "sequence, route_id, stop_id, kind, channel, rider_category_id) "
                                 "VALUES"
                               : "INSERT INTO transit_inbox (bucket, rider_id, at, terminal_id, "
                                 "sequence, route_id, stop_id, kind, channel, rider_category_id) "
                                 "VALUES",
                           10, values)
      .status();
}

Status StoreValid(store::Transaction& tx, std::string_view rider_id, const Tap& t, Destination to) {
  std::vector<store::Value> values;
  AppendValid(values, rider_id, t);
  return StoreValidRows(tx, values, to);
}

}  // namespace citycode::transit::internal
