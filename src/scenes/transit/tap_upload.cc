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
  std::vector<TapUpload> batch;
  Status verify_failed;
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
    // Named by its sequence: re-sent after a failure, the scan is not taken
    // for a replay of itself.
    auto verified = platform.verification().VerifyScanned(terminal, scanned.code, scanned.tap.at,
                                                          std::to_string(scanned.tap.sequence));
    if (!verified.ok()) {
      verify_failed = verified.status();
      break;
    }
    batch.push_back(Verified(scanned, *verified, feed));
  }
  if (!batch.empty()) {
    CITYCODE_ASSIGN_OR_RETURN(UploadResult stored, rides.UploadTaps(batch));
    counts.stored += stored.stored;
    counts.duplicates += stored.duplicates;
    counts.refused += stored.refused;
    counts.conflicts += stored.conflicts;
  }
  CITYCODE_RETURN_IF_ERROR(verify_failed);
  return counts;
}

}  // namespace citycode::transit
