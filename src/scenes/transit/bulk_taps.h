// Bulk loading: a depot's file of the taps its gates scanned, or a
// simulated day. LoadTapFile takes each run of a terminal's taps through
// the path a gate's upload takes (TapJudge, tap_upload.h: every code
// verified as of its scan and named by its rider), then BulkTaps stores
// them; it is an operator's command on the database (`citycode transit
// ingest`), never an HTTP route. Both store and fare through the same path
// (internal/faring.h) — the same checks, rows and fares — but a bulk load
// queues its valid taps unfared and fares them afterwards one rider bucket
// per transaction.
//
// Until the queue is empty, those riders' charges lag behind their taps (an
// upload for such a rider fares without the queued taps, and the faring
// corrects it); the daily clearing must run after the queue is empty.
//
// Thread safety: a BulkTaps is safe to share; each call is one transaction.
#ifndef CITYCODE_SCENES_TRANSIT_BULK_TAPS_H_
#define CITYCODE_SCENES_TRANSIT_BULK_TAPS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "scenes/transit/fare_engine.h"
#include "scenes/transit/fare_extensions.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/rides.h"
#include "scenes/transit/tap_upload.h"
#include "store/database.h"

namespace citycode::transit {

class BulkTaps {
 public:
  // Applies the migrations. `db`, `clock`, `feed` and `extensions` must
  // outlive the BulkTaps.
  static Result<std::unique_ptr<BulkTaps>> Open(store::Database& db, const Clock& clock,
                                                const Feed& feed, const FareExtensions& extensions,
                                                const FareOptions& options = {});
  ~BulkTaps();
  BulkTaps(const BulkTaps&) = delete;
  BulkTaps& operator=(const BulkTaps&) = delete;

  // Stores a batch (at most kMaxIngestBatch) as Rides::UploadTaps does, but
  // queues its valid taps unfared. invalid_argument as UploadTaps.
  Result<UploadResult> Ingest(const std::vector<TapUpload>& batch);
  // Takes the queued taps of one rider bucket, fares their riders in one
  // transaction and returns how many riders it fared (0: the queue is empty).
  Result<std::int64_t> FarePending();

 private:
  explicit BulkTaps(std::unique_ptr<internal::RiderFaring> faring);
  std::unique_ptr<internal::RiderFaring> faring_;
};

struct TapFileLoad {
  std::int64_t taps = 0;  // rows read
  UploadResult stored;    // summed over the runs
  std::int64_t riders_fared = 0;
  double ingest_seconds = 0, fare_seconds = 0;
};

// How far a load has come (TapFileOptions::on_progress).
struct TapFileProgress {
  std::int64_t runs_stored = 0;    // runs judged and committed
  std::int64_t buckets_fared = 0;  // rider buckets fared and committed
};

struct TapFileOptions {
  // Runs judged and stored at once; 0: two per core, since a run's thread
  // waits for its commits between verifying (the load's CPU) runs.
  int threads = 0;
  // The longest run of one terminal's consecutive rows judged as one upload
  // (its codes recorded in one commit, its taps stored in another).
  std::size_t run_taps = 2000;
  // Told after each run is stored and each bucket fared, one call at a
  // time: an operator's progress, a test's point to cut the load off.
  std::function<void(const TapFileProgress&)> on_progress;
};

// Loads a tap file (tap_file.h): each run of consecutive rows of one
// terminal (at most options.run_taps) is judged as that terminal's upload
// (TapJudge::Judge, the terminal an active one of `platform`) and stored
// unfared by `bulk`, options.threads runs at once; then the whole queue is
// fared. Each run and each bucket is its own transaction: a load stopped by
// a bad row or cut off is run again (after fixing the row), and the taps
// stored before count as duplicates. invalid_argument "<file_name>:LINE:
// message" for a row the reader refuses, "<file_name>: tap N: message" for
// the N-th tap naming a route or stop the feed lacks or a terminal that is
// not an active one (not_found), or that its terminal may not upload
// (permission_denied).
Result<TapFileLoad> LoadTapFile(std::istream& in, std::string_view file_name, TapJudge& judge,
                                platform::Platform& platform, const Feed& feed, BulkTaps& bulk,
                                const TapFileOptions& options = {});

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_BULK_TAPS_H_
