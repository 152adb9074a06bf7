// A store::Database for tests that fails where it is told to, so the error
// paths of multi-step use cases run: the Nth statement (Query or Execute,
// counted across transactions from when the fault was armed), the Nth
// commit or the Nth Begin fails with an injected Status instead of reaching
// the real database.
//
//   testing::FaultyDatabase faulty(db());
//   auto vault = vault::Vault::Open(faulty, …);       // set up unarmed
//   faulty.Arm({.point = FaultPoint::kStatement, .nth = 3, .error = Unavailable("lost")});
//   … run the use case, expect the error, check the database …
//   faulty.Disarm();
//
// A fault fires once by default; `sticky` makes it fire for every later
// operation of its kind too (a connection that stays lost, a lock that is
// never released). The failed operation does not reach the real database,
// and the transaction it belonged to stays usable: on SQLite a statement
// error does not end the transaction either, so code that ignores an error
// and commits is caught writing half its work.
//
// `Busy()` is what SQLite reports for a locked database (aborted), which
// store::RunInTransaction retries; `Lost()` is a lost connection
// (unavailable), which it does not.
//
// Thread safety: as store::Database; the counters are shared by all
// transactions. Transactions must not outlive the FaultyDatabase, which
// must not outlive the wrapped database.
#ifndef CITYCODE_TESTS_SUPPORT_FAULTY_DATABASE_H_
#define CITYCODE_TESTS_SUPPORT_FAULTY_DATABASE_H_

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace citycode::testing {

enum class FaultPoint { kBegin, kStatement, kCommit };

struct Fault {
  FaultPoint point = FaultPoint::kStatement;
  int nth = 1;          // 1-based, counted from Arm()
  Status error;         // OK: the operation goes ahead (after `action`)
  bool sticky = false;  // also every later operation of `point`
  // Runs when the fault fires, before its error: a test moves its clock
  // between two steps of a use case this way.
  std::function<void()> action;
};

// The statuses the backends give for these conditions.
// Like the real backends', they are system statuses (Status::is_system).
inline Status Busy() {
  return Status::System(StatusCode::kAborted, "injected fault: database is locked");
}
inline Status Lost() {
  return Status::System(StatusCode::kUnavailable, "injected fault: connection lost");
}

// A storage failure a use case cannot recover from, and what its caller
// must see: the fault tests run each use case under every one of them.
struct StorageFailure {
  const char* name;
  FaultPoint point;
  Status error;
  bool sticky;
  StatusCode code;
  const char* reason;
};
inline const StorageFailure kStorageFailures[] = {
    {"a lost connection at a statement", FaultPoint::kStatement, Lost(), false,
     StatusCode::kUnavailable, "unavailable"},
    {"a lost connection at a commit", FaultPoint::kCommit, Lost(), false, StatusCode::kUnavailable,
     "unavailable"},
    // Busy for good: RunInTransaction's retries run into it too.
    {"a lock that is never released", FaultPoint::kStatement, Busy(), true, StatusCode::kAborted,
     "aborted"},
};

class FaultyDatabase : public store::Database {
 public:
  explicit FaultyDatabase(store::Database& real) : real_(real) {}

  // Replaces any armed fault and restarts the counts.
  void Arm(Fault fault) {
    std::lock_guard lock(mutex_);
    fault_ = std::move(fault);
    counts_ = {};
    fired_ = 0;
  }
  // No fault from now on; the counts go on.
  void Disarm() {
    std::lock_guard lock(mutex_);
    fault_.reset();
  }
  // How often the armed fault has fired since Arm().
  int fired() const {
    std::lock_guard lock(mutex_);
    return fired_;
  }
  // Operations of `point` attempted since Arm(), failed ones included.
  int count(FaultPoint point) const {
    std::lock_guard lock(mutex_);
    return counts_[Index(point)];
  }

  store::Backend backend() const override { return real_.backend(); }

  Result<std::unique_ptr<store::Transaction>> Begin(store::TransactionMode mode) override {
    if (std::optional<Status> error = Next(FaultPoint::kBegin)) return *std::move(error);
    auto tx = real_.Begin(mode);
    if (!tx.ok()) return tx.status();
    return std::unique_ptr<store::Transaction>(
        std::make_unique<FaultyTransaction>(*this, *std::move(tx)));
  }

 private:
  class FaultyTransaction : public store::Transaction {
   public:
    FaultyTransaction(FaultyDatabase& db, std::unique_ptr<store::Transaction> real)
        : db_(db), real_(std::move(real)) {}

    Result<std::vector<store::Row>> Query(std::string_view sql,
                                          std::span<const store::Value> params) override {
      if (std::optional<Status> error = db_.Next(FaultPoint::kStatement)) return *error;
      return real_->Query(sql, params);
    }
    Result<std::int64_t> Execute(std::string_view sql,
                                 std::span<const store::Value> params) override {
      if (std::optional<Status> error = db_.Next(FaultPoint::kStatement)) return *error;
      return real_->Execute(sql, params);
    }
    // A failed commit leaves nothing behind: the real transaction is rolled
    // back, as a backend does when its COMMIT fails.
    Status Commit() override {
      if (std::optional<Status> error = db_.Next(FaultPoint::kCommit)) {
        real_->Rollback();
        return *error;
      }
      return real_->Commit();
    }
    void Rollback() override { real_->Rollback(); }

   private:
    FaultyDatabase& db_;
    std::unique_ptr<store::Transaction> real_;
  };

  static std::size_t Index(FaultPoint point) { return static_cast<std::size_t>(point); }

  // Counts one operation of `point`; the injected error if it is to fail.
  std::optional<Status> Next(FaultPoint point) {
    std::lock_guard lock(mutex_);
    const int n = ++counts_[Index(point)];
    if (!fault_ || fault_->point != point) return std::nullopt;
    if (n != fault_->nth && !(fault_->sticky && n > fault_->nth)) return std::nullopt;
    ++fired_;
    if (fault_->action) fault_->action();
    if (fault_->error.ok()) return std::nullopt;
    return fault_->error;
  }

  store::Database& real_;
  mutable std::mutex mutex_;
  std::optional<Fault> fault_;
  std::array<int, 3> counts_ = {};
  int fired_ = 0;
};

// Runs a use case with `fault` at each step in turn: for n = 1, 2, … arms
// `fault` with nth = n, calls `run` (which returns the use case's Status),
// disarms, and calls `after_fault(n, status)` to check what the failure
// left behind (and, typically, to retry). Stops at the first n the use case
// no longer reaches, whose run must succeed; returns the number of steps
// that failed (-1 if it never stopped).
template <typename Run, typename AfterFault>
int InjectAtEachStep(FaultyDatabase& db, Fault fault, Run&& run, AfterFault&& after_fault) {
  constexpr int kMaxSteps = 500;  // far more than any use case takes
  for (int n = 1; n <= kMaxSteps; ++n) {
    fault.nth = n;
    db.Arm(fault);
    const Status status = run();
    const bool reached = db.fired() > 0;
    db.Disarm();
    if (!reached) {
      EXPECT_TRUE(status.ok()) << "without its fault the use case failed: " << status.ToString();
      return n - 1;
    }
    SCOPED_TRACE("fault at step " + std::to_string(n));
    after_fault(n, status);
    if (::testing::Test::HasFatalFailure()) return -1;
  }
  ADD_FAILURE() << "the use case met its fault at each of " << kMaxSteps << " steps";
  return -1;
}

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_FAULTY_DATABASE_H_
