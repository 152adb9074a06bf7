// The vault's audit log: append-only, hash-chained, with signed checkpoints.
//
// Every certificate issued or fetched, every refused fetch, every consent
// granted or revoked and every administrative act is one entry. Entry N
// carries H(hash of entry N-1 ‖ canonical bytes of entry N) (the grammar is
// at the top of audit.cc), so editing, deleting, inserting or reordering a
// row breaks the chain. An attacker with write access to the database could
// rewrite the chain after the row they change; a checkpoint, the head's
// (seq, hash) signed with a key the database does not hold, prevents that
// for every entry it covers. Checkpoints are also appended to a file outside
// the database (and can be handed to external witnesses as JSON), so
// cutting off the newest entries together with the database's checkpoints
// is detected as well.
//
// No personal data goes into an entry: subject is the citizen's opaque
// internal id, object a certificate identifier or grant id, detail a short
// JSON text of codes and ids. Keeping it so is the caller's duty; the log is
// not encrypted because it holds nothing that needs it.
//
// Thread safety: AuditLog is immutable after construction and safe to share.
#ifndef CITYCODE_VAULT_AUDIT_H_
#define CITYCODE_VAULT_AUDIT_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/hash.h"
#include "crypto/key.h"
#include "store/database.h"

namespace citycode::vault {

// The hash that chains entries. Chosen once per deployment: a log written
// with one does not verify with the other.
enum class AuditHash {
  kSha256,
  kSm3,  // GB/T 32905, for deployments that must use the national algorithms
};

// Field limits in bytes (UTF-8). Longer fields are refused, never cut.
inline constexpr std::size_t kAuditFieldMaxBytes = 512;
inline constexpr std::size_t kAuditDetailMaxBytes = 2048;

// The schema: audit_head (one row: the newest seq and hash), audit_log and
// audit_checkpoints. Version 1001, in the vault's block; the vault's own
// migration list starts with it.
store::Migration AuditLogMigration();

// What happened. All fields are UTF-8 without NUL bytes; action is required,
// the others may be empty.
struct AuditEvent {
  std::string action;   // "certificate.issue", "certificate.fetch", "fetch.refused",
                        // "consent.grant", "consent.revoke", "admin.…"
  std::string actor;    // organisation, terminal, admin or citizen id
  std::string subject;  // the citizen's internal id, or empty
  std::string object;   // certificate identifier or grant id, or empty
  std::string detail;   // short JSON text (codes, ids; no personal data)
};

struct AuditEntry {
  std::int64_t seq = 0;  // 1, 2, 3 … without gaps
  Instant at{};
  AuditEvent event;
  crypto::Digest prev_hash{};  // entry seq-1's hash; 32 zero bytes for entry 1
  crypto::Digest hash{};
};

// The log's head at `seq`, signed. A checkpoint at seq 0 (an empty log)
// carries the 32 zero bytes.
struct AuditCheckpoint {
  std::int64_t seq = 0;
  Instant at{};  // when it was signed
  crypto::Digest hash{};
  crypto::KeyId key_id{};  // of the signing key
  Bytes signature;         // raw, crypto::kSignatureSize bytes
};

struct AuditOptions {
  AuditHash hash = AuditHash::kSha256;
  // Every checkpoint written is also appended here, one JSON line each
  // (CheckpointToJson). Keep it on other storage than the database (or ship
  // it elsewhere); without it, deleting the newest entries together with
  // the database's checkpoints goes unnoticed.
  std::optional<std::filesystem::path> checkpoint_file;
};

// The hash of `entry` chained to `prev_hash` (entry.prev_hash and
// entry.hash are not read). Exposed so that external tools recompute the
// chain exactly as here.
crypto::Digest AuditEntryHash(AuditHash hash, const crypto::Digest& prev_hash,
                              const AuditEntry& entry);

// The bytes a checkpoint's signature covers (grammar in audit.cc).
Bytes AuditCheckpointMessage(std::int64_t seq, Instant at, const crypto::Digest& hash);
// True when `checkpoint` is signed by `key` (its key_id is not consulted).
bool VerifyCheckpointSignature(const AuditCheckpoint& checkpoint, const crypto::PublicKey& key);

// {"seq":N,"at":UNIX,"hash":HEX,"key_id":HEX,"signature":BASE64URL}, one
// line, for the checkpoint file and for witnesses.
std::string CheckpointToJson(const AuditCheckpoint& checkpoint);
// The inverse; invalid_argument (naming the field) for anything else, for a
// text longer than 4 KiB, and for sizes other than 32-byte hash, 8-byte
// key_id and 64-byte signature. Unknown members are ignored. The signature
// is not checked here (VerifyCheckpointSignature).
Result<AuditCheckpoint> CheckpointFromJson(std::string_view json);

// The newest entry: seq 0 and 32 zero bytes for an empty log.
struct AuditHead {
  std::int64_t seq = 0;
  crypto::Digest hash{};
};

// Entries of one action appended in one hour (UTC).
struct AuditActionCount {
  Instant hour{};
  std::string action;
  std::int64_t count = 0;
};

class AuditLog {
 public:
  // REQUIRES: AuditLogMigration() applied to `db`. `db` and `clock` must
  // outlive this. `checkpoint_key` signs checkpoints; keep it out of the
  // database, or a checkpoint proves nothing.
  AuditLog(store::Database& db, const Clock& clock, crypto::PrivateKey checkpoint_key,
           AuditOptions options = {});

  // Appends `event` in the caller's write transaction and returns its seq,
  // so the act and its record commit (or roll back) together. Appends
  // serialise on the head row until the transaction ends: keep it short.
  // invalid_argument for an empty action, a field over its limit, a NUL
  // byte or invalid UTF-8; store errors as they come (aborted: retry the
  // whole transaction).
  // REQUIRES: `tx` is a TransactionMode::kWrite transaction on this db.
  Result<std::int64_t> Append(store::Transaction& tx, const AuditEvent& event) const;

  // Signs the current head, records the checkpoint and appends it to the
  // checkpoint file (if configured) before committing. If the head has not
  // moved since the last checkpoint, returns that one and writes nothing.
  // unavailable when the file cannot be written (nothing is recorded then).
  Result<AuditCheckpoint> WriteCheckpoint() const;

  // The newest checkpoint in the database; not_found when there is none.
  Result<AuditCheckpoint> LatestCheckpoint() const;

  Result<AuditHead> Head() const;
  // Entries of `actions` per hour from the hour holding `since`, for the
  // operator's dashboard (by the index audit_log_at); only non-zero counts.
  Result<std::vector<AuditActionCount>> CountByHour(Instant since,
                                                    std::span<const std::string> actions) const;

  // A citizen's history, newest first, at most `limit` entries (1 to
  // kMaxListLimit, else invalid_argument; an empty subject too).
  static constexpr std::size_t kMaxListLimit = 1000;
  Result<std::vector<AuditEntry>> ListBySubject(std::string_view subject, std::size_t limit) const;

 private:
  store::Database& db_;
  const Clock& clock_;
  const crypto::PrivateKey checkpoint_key_;
  const AuditOptions options_;
};

struct AuditVerifyReport {
  bool ok = false;
  std::int64_t entries = 0;      // entries walked
  std::int64_t checkpoints = 0;  // checkpoints checked (database and file)
  // The entry (or checkpoint) seq where the first problem shows; none for
  // a problem with no seq (an unreadable checkpoint file line).
  std::optional<std::int64_t> first_bad_seq;
  std::string problem;  // one line, empty when ok
};

// Walks the whole log in seq order (in pages: memory does not grow with the
// log) and reports the first problem: a missing entry, an entry that does
// not match its hash or does not follow its predecessor, a head row that
// disagrees with the newest entry, or a checkpoint (in the database or in
// `checkpoint_file`) that is badly signed, not by `checkpoint_key`, beyond
// the newest entry, or whose hash differs from the chain's at its seq.
// A checkpoint file that is given must exist once the database holds a
// checkpoint; each line must parse (≤ 4 KiB) and end with a newline.
// Safe to run while entries are appended. The Status is an error only when
// the store or the file cannot be read; tampering is in the report.
Result<AuditVerifyReport> VerifyAuditLog(
    store::Database& db, const crypto::PublicKey& checkpoint_key, AuditHash hash,
    const std::optional<std::filesystem::path>& checkpoint_file);

}  // namespace citycode::vault

#endif  // CITYCODE_VAULT_AUDIT_H_
