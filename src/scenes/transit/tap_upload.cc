#include "scenes/transit/tap_upload.h"

#include <algorithm>

namespace citycode::transit {
namespace {

// The rider, channel and category the platform found, or the refusal.
TapUpload Verified(ScannedTap& scanned, const platform::OnlineVerification& verified,
                   const Feed& feed) {
  TapUpload upload{.tap = std::move(scanned.tap)};
  const code::VerificationResult& result = verified.result;
  upload.tap.channel = result.channel;
  if (result.valid) {
    upload.rider_id = verified.citizen_id;
    upload.tap.rider_category_id = RiderCategoryId(feed, result.rider_category);
  } else {
    upload.valid = false;
    upload.refused_reason = std::string(code::ReasonName(result.reason));
  }
  return upload;
}

}  // namespace

Status CheckScannedTap(const Feed& feed, const Tap& tap) {
  const auto route = feed.routes.find(tap.route_id);
  if (route == feed.routes.end()) return InvalidArgument("route_id must name a route of the feed");
  if (!feed.stops.contains(tap.stop_id)) {
    return InvalidArgument("stop_id must name a stop of the feed");
  }
  if (!TapKindFits(route->second.route_type, tap.kind)) {
    return InvalidArgument("a " + std::string(TapKindName(tap.kind)) + " tap does not fit route " +
                           tap.route_id +
                           " (gated metro and rail take entry and exit, the rest board)");
  }
  return OkStatus();
}

Result<std::map<std::int64_t, std::int64_t>> TapJudge::StoredSequences(std::string_view terminal_id,
                                                                       std::int64_t low,
                                                                       std::int64_t high) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, db_.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(auto rows,
                            tx->Query("SELECT sequence, at FROM transit_tap_ids WHERE "
                                      "terminal_id = ? AND sequence >= ? AND sequence <= ?",
                                      {store::Text(terminal_id), low, high}));
  std::map<std::int64_t, std::int64_t> out;
  for (const auto& row : rows) out.emplace(row.Int(0), row.Int(1));
  return out;
}

Result<JudgedTaps> TapJudge::Judge(const platform::Principal& terminal,
                                   std::vector<ScannedTap> taps) {
  CITYCODE_RETURN_IF_ERROR(operators_.CheckTaps(terminal, taps));
  JudgedTaps judged;
  if (taps.empty()) return judged;
  const auto [low, high] = std::minmax_element(
      taps.begin(), taps.end(),
      [](const auto& a, const auto& b) { return a.tap.sequence < b.tap.sequence; });
  CITYCODE_ASSIGN_OR_RETURN(
      auto known, StoredSequences(terminal.terminal_id, low->tap.sequence, high->tap.sequence));
  // The new scans, named by their sequence: re-sent after a failure, a
  // scan is not taken for a replay of itself. Reserved: `scans` views
  // `sequences`.
  std::vector<ScannedTap*> fresh;
  std::vector<std::string> sequences;
  std::vector<platform::Verification::Scan> scans;
  sequences.reserve(taps.size());
  for (ScannedTap& scanned : taps) {
    scanned.tap.terminal_id = terminal.terminal_id;
    // Stored, or earlier in this upload; at another time, the terminal used
    // the sequence number twice.
    const std::int64_t at = ToUnixSeconds(scanned.tap.at);
    const auto [seen, added] = known.emplace(scanned.tap.sequence, at);
    if (!added) {
      ++(seen->second == at ? judged.counts.duplicates : judged.counts.conflicts);
      continue;
    }
    fresh.push_back(&scanned);
    sequences.push_back(std::to_string(scanned.tap.sequence));
    scans.push_back(
        {.qr_text = scanned.code, .scanned_at = scanned.tap.at, .scan_id = sequences.back()});
  }
  CITYCODE_ASSIGN_OR_RETURN(auto verified,
                            platform_.verification().VerifyScannedAll(terminal, scans));
  judged.batch.reserve(fresh.size());
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    judged.batch.push_back(Verified(*fresh[i], verified[i], feed_));
  }
  return judged;
}

Result<UploadResult> UploadScannedTaps(TapJudge& judge, Rides& rides,
                                       const platform::Principal& terminal,
                                       std::vector<ScannedTap> taps) {
  CITYCODE_ASSIGN_OR_RETURN(JudgedTaps judged, judge.Judge(terminal, std::move(taps)));
  UploadResult counts = judged.counts;
  if (judged.batch.empty()) return counts;
  CITYCODE_ASSIGN_OR_RETURN(UploadResult stored, rides.UploadTaps(judged.batch));
  return counts += stored;
}

}  // namespace citycode::transit
