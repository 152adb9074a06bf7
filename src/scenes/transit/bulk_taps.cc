#include "scenes/transit/bulk_taps.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "scenes/transit/internal/faring.h"
#include "scenes/transit/schema.h"
#include "scenes/transit/tap_file.h"

namespace citycode::transit {
namespace {

using store::Int;
using Seconds = std::chrono::duration<double>;

// Rows read at a time; split into runs for the workers.
constexpr std::size_t kReadTaps = 20000;

// A run of one terminal's consecutive rows; `first` is the 1-based number
// of its first tap in the file.
struct Run {
  std::int64_t first = 0;
  std::vector<ScannedTap> taps;
};

// Hands runs from the reading thread to the workers, a few at a time, and
// keeps the first error: after it, nothing more is started.
class RunQueue {
 public:
  explicit RunQueue(std::size_t capacity) : capacity_(capacity) {}

  // False once failed: the reader stops.
  bool Push(Run run) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return queue_.size() < capacity_ || !failed_.ok(); });
    if (!failed_.ok()) return false;
    queue_.push_back(std::move(run));
    ready_.notify_one();
    return true;
  }
  // The next run; nullopt when the reader is done (or failed) and the queue is empty.
  std::optional<Run> Pop() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !queue_.empty() || closed_ || !failed_.ok(); });
    if (queue_.empty() || !failed_.ok()) return std::nullopt;
    Run run = std::move(queue_.front());
    queue_.pop_front();
    room_.notify_one();
    return run;
  }
  void Close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    ready_.notify_all();
  }
  void Fail(Status status) {
    std::lock_guard lock(mutex_);
    if (failed_.ok()) failed_ = std::move(status);
    ready_.notify_all();
    room_.notify_all();
  }
  Status failed() {
    std::lock_guard lock(mutex_);
    return failed_;
  }

 private:
  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<Run> queue_;
  bool closed_ = false;
  Status failed_;
};

// Judges and stores runs until the queue is done.
class RunWorker {
 public:
  RunWorker(std::string_view file_name, TapJudge& judge, platform::Platform& platform,
            BulkTaps& bulk)
      : file_name_(file_name), judge_(judge), platform_(platform), bulk_(bulk) {}

  Status Store(Run run, UploadResult& stored) {
    const std::string terminal_id = run.taps.front().tap.terminal_id;
    auto terminal = Terminal(terminal_id);
    if (!terminal.ok()) return AboutTap(run.first, terminal.status());
    auto judged = judge_.Judge(*terminal, std::move(run.taps));
    if (!judged.ok()) return AboutTap(run.first, judged.status());
    stored += judged->counts;
    if (judged->batch.empty()) return OkStatus();
    CITYCODE_ASSIGN_OR_RETURN(UploadResult ingested, bulk_.Ingest(judged->batch));
    stored += ingested;
    return OkStatus();
  }

 private:
  Result<platform::Principal> Terminal(const std::string& terminal_id) {
    {
      std::lock_guard lock(mutex_);
      if (auto known = terminals_.find(terminal_id); known != terminals_.end()) {
        return known->second;
      }
    }
    CITYCODE_ASSIGN_OR_RETURN(platform::Principal principal,
                              platform_.access_keys().TerminalPrincipal(terminal_id));
    std::lock_guard lock(mutex_);
    return terminals_.emplace(terminal_id, std::move(principal)).first->second;
  }
  // A refusal of the file's content names the tap; a storage failure is
  // returned as it is.
  Status AboutTap(std::int64_t tap, const Status& status) const {
    if (status.is_system()) return status;
    return Status(status.code(),
                  std::string(file_name_) + ": tap " + std::to_string(tap) + ": " +
                      std::string(status.message()),
                  std::string(status.reason()));
  }

  const std::string_view file_name_;
  TapJudge& judge_;
  platform::Platform& platform_;
  BulkTaps& bulk_;
  std::mutex mutex_;
  std::map<std::string, platform::Principal, std::less<>> terminals_;
};

// Tells TapFileOptions::on_progress each step, one at a time.
class ProgressTeller {
 public:
  explicit ProgressTeller(const std::function<void(const TapFileProgress&)>& tell) : tell_(tell) {}
  void RunStored() { Tell(progress_.runs_stored); }
  void BucketFared() { Tell(progress_.buckets_fared); }

 private:
  void Tell(std::int64_t& count) {
    if (!tell_) return;
    std::lock_guard lock(mutex_);
    ++count;
    tell_(progress_);
  }

  const std::function<void(const TapFileProgress&)>& tell_;
  std::mutex mutex_;
  TapFileProgress progress_;
};

// Reads the file and splits it into runs: the rows checked against the
// feed first, so that a bad one stops the load before its run is verified.
Status ReadRuns(TapFileReader& reader, std::string_view file_name, const Feed& feed,
                std::size_t run_taps, RunQueue& queue, std::int64_t& taps) {
  for (;;) {
    auto rows = reader.Next(kReadTaps);
    if (!rows.ok()) return InvalidArgument(std::string(file_name) + ":" + rows.status().message());
    if (rows->empty()) return OkStatus();
    Run run;
    for (ScannedTap& row : *rows) {
      ++taps;
      Status fits = CheckScannedTap(feed, row.tap);
      if (!fits.ok()) {
        return InvalidArgument(std::string(file_name) + ": tap " + std::to_string(taps) + ": " +
                               fits.message());
      }
      if (!run.taps.empty() && (run.taps.size() == run_taps ||
                                run.taps.front().tap.terminal_id != row.tap.terminal_id)) {
        if (!queue.Push(std::move(run))) return OkStatus();
        run = Run{};
      }
      if (run.taps.empty()) run.first = taps;
      run.taps.push_back(std::move(row));
    }
    if (!run.taps.empty() && !queue.Push(std::move(run))) return OkStatus();
  }
}

// Stores every run of the file, several at once (TapFileOptions::threads),
// while the next rows are read.
Status IngestAll(TapFileReader& reader, std::string_view file_name, TapJudge& judge,
                 platform::Platform& platform, const Feed& feed, BulkTaps& bulk,
                 const TapFileOptions& options, ProgressTeller& progress, TapFileLoad& load) {
  if (options.threads < 0 || options.run_taps < 1 || options.run_taps > kMaxIngestBatch) {
    return InvalidArgument("threads must be >= 0 and run_taps 1-" +
                           std::to_string(kMaxIngestBatch));
  }
  const int thread_count =
      options.threads > 0 ? options.threads
                          : 2 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  RunQueue queue(2 * static_cast<std::size_t>(thread_count));
  RunWorker worker(file_name, judge, platform, bulk);
  std::mutex stored_mutex;
  std::vector<std::thread> threads;
  for (int i = 0; i < thread_count; ++i) {
    threads.emplace_back([&] {
      UploadResult stored;
      while (std::optional<Run> run = queue.Pop()) {
        if (Status status = worker.Store(*std::move(run), stored); !status.ok()) {
          queue.Fail(std::move(status));
        } else {
          progress.RunStored();
        }
      }
      std::lock_guard lock(stored_mutex);
      load.stored += stored;
    });
  }
  Status read = ReadRuns(reader, file_name, feed, options.run_taps, queue, load.taps);
  if (!read.ok()) queue.Fail(read);
  queue.Close();
  for (std::thread& thread : threads) thread.join();
  return queue.failed();
}

}  // namespace

BulkTaps::BulkTaps(std::unique_ptr<internal::RiderFaring> faring) : faring_(std::move(faring)) {}
BulkTaps::~BulkTaps() = default;

Result<std::unique_ptr<BulkTaps>> BulkTaps::Open(store::Database& db, const Clock& clock,
                                                 const Feed& feed, const FareExtensions& extensions,
                                                 const FareOptions& options) {
  CITYCODE_RETURN_IF_ERROR(MigrateTransit(db));
  return std::unique_ptr<BulkTaps>(
      new BulkTaps(internal::MakeRiderFaring(db, clock, feed, extensions, options)));
}

Result<UploadResult> BulkTaps::Ingest(const std::vector<TapUpload>& batch) {
  const internal::RiderFaring& impl = *faring_;
  CITYCODE_RETURN_IF_ERROR(impl.CheckBatch(batch, kMaxIngestBatch));
  UploadResult result;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        return impl.Store(tx, batch, internal::Destination::kInbox, result).status();
      }));
  return result;
}

Result<std::int64_t> BulkTaps::FarePending() {
  const internal::RiderFaring& impl = *faring_;
  std::int64_t fared = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        fared = 0;
        // Taken with DELETE … RETURNING: on PostgreSQL a concurrent faring
        // of the same bucket waits for this one, then finds the rows gone
        // and looks for another bucket; taps an ingest adds meanwhile stay
        // queued.
        std::vector<store::Row> rows;
        while (rows.empty()) {
          CITYCODE_ASSIGN_OR_RETURN(
              auto first,
              tx.QueryOptional("SELECT bucket FROM transit_inbox ORDER BY bucket LIMIT 1", {}));
          if (!first) return OkStatus();
          CITYCODE_ASSIGN_OR_RETURN(
              rows, tx.Query("DELETE FROM transit_inbox WHERE bucket = ? RETURNING terminal_id, "
                             "sequence, at, route_id, stop_id, kind, channel, rider_category_id, "
                             "rider_id",
                             {Int(first->Int(0))}));
        }
        std::map<std::string, std::vector<Tap>> by_rider;
        Status status;
        for (const store::Row& row : rows) {
          by_rider[row.Text(8)].push_back(internal::TapFromRow(row, 0, status));
        }
        CITYCODE_RETURN_IF_ERROR(status);
        for (auto& [rider_id, taps] : by_rider) {
          std::sort(taps.begin(), taps.end(), [](const Tap& a, const Tap& b) {
            return internal::FareOrder(a) < internal::FareOrder(b);
          });
        }
        CITYCODE_RETURN_IF_ERROR(impl.FareTaken(tx, by_rider));
        fared = static_cast<std::int64_t>(by_rider.size());
        return OkStatus();
      }));
  return fared;
}

Result<TapFileLoad> LoadTapFile(std::istream& in, std::string_view file_name, TapJudge& judge,
                                platform::Platform& platform, const Feed& feed, BulkTaps& bulk,
                                const TapFileOptions& options) {
  TapFileLoad load;
  TapFileReader reader(in);
  ProgressTeller progress(options.on_progress);
  const auto start = std::chrono::steady_clock::now();
  CITYCODE_RETURN_IF_ERROR(
      IngestAll(reader, file_name, judge, platform, feed, bulk, options, progress, load));
  const auto stored_at = std::chrono::steady_clock::now();
  for (;;) {
    CITYCODE_ASSIGN_OR_RETURN(std::int64_t fared, bulk.FarePending());
    if (fared == 0) break;
    load.riders_fared += fared;
    progress.BucketFared();
  }
  load.ingest_seconds = Seconds(stored_at - start).count();
  load.fare_seconds = Seconds(std::chrono::steady_clock::now() - stored_at).count();
  return load;
}

}  // namespace citycode::transit
