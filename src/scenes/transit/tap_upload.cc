#include "scenes/transit/tap_upload.h"

#include <algorithm>

#include "scenes/transit/operators.h"

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

Result<UploadResult> UploadScannedTaps(platform::Platform& platform, Rides& rides,
                                       Operators& operators, const Feed& feed,
                                       const platform::Principal& terminal,
                                       std::vector<ScannedTap> taps) {
  CITYCODE_RETURN_IF_ERROR(operators.CheckTaps(terminal, taps));
  UploadResult counts;
  if (taps.empty()) return counts;
  const auto [low, high] = std::minmax_element(
      taps.begin(), taps.end(),
      [](const auto& a, const auto& b) { return a.tap.sequence < b.tap.sequence; });
  CITYCODE_ASSIGN_OR_RETURN(
      auto known,
      rides.StoredSequences(terminal.terminal_id, low->tap.sequence, high->tap.sequence));
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
      ++(seen->second == at ? counts.duplicates : counts.conflicts);
      continue;
    }
    fresh.push_back(&scanned);
    sequences.push_back(std::to_string(scanned.tap.sequence));
    scans.push_back(
        {.qr_text = scanned.code, .scanned_at = scanned.tap.at, .scan_id = sequences.back()});
  }
  CITYCODE_ASSIGN_OR_RETURN(auto verified,
                            platform.verification().VerifyScannedAll(terminal, scans));
  std::vector<TapUpload> batch;
  batch.reserve(fresh.size());
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    batch.push_back(Verified(*fresh[i], verified[i], feed));
  }
  if (!batch.empty()) {
    CITYCODE_ASSIGN_OR_RETURN(UploadResult stored, rides.UploadTaps(batch));
    counts.stored += stored.stored;
    counts.duplicates += stored.duplicates;
    counts.refused += stored.refused;
    counts.conflicts += stored.conflicts;
  }
  return counts;
}

}  // namespace citycode::transit
