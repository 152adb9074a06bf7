// Bytes that are hashed and signed (integers big-endian, two's complement):
//
//   entry-bytes = "citycode-audit-entry" %x00
//                 u64(seq) i64(at) field(action) field(actor) field(subject)
//                 field(object) field(detail)
//   field       = u32(length in bytes) bytes            ; the UTF-8 text
//   hash(0)     = 32 zero bytes
//   hash(N)     = H(hash(N-1) || entry-bytes(N))        ; H: SHA-256 or SM3
//
//   checkpoint-message = "citycode-audit-checkpoint" %x00
//                        u64(seq) i64(at) hash(seq)
//
// `at` is unix seconds. The tags keep an entry's bytes from ever being taken
// for a checkpoint's (or anything else signed with the same key), and the
// length prefixes keep field boundaries from shifting ("ab","c" vs "a","bc").
//
// Checkpoint file: one CheckpointToJson line per checkpoint, "\n"-terminated,
// appended with O_APPEND in a single write() and fsynced.
#include "vault/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

namespace citycode::vault {
namespace {

using namespace std::string_view_literals;

constexpr std::string_view kEntryTag = "citycode-audit-entry\0"sv;
constexpr std::string_view kCheckpointTag = "citycode-audit-checkpoint\0"sv;

constexpr crypto::Digest kZeroHash{};

// Rows per query when verifying: memory stays flat however long the log.
constexpr std::int64_t kVerifyPageSize = 1000;
// A checkpoint is about 250 bytes of JSON; anything far longer is not one.
constexpr std::size_t kMaxCheckpointJsonBytes = 4096;

constexpr std::string_view kMigrationSql = R"sql(
-- The newest entry's seq and hash. One row (id 1), made by the first append
-- (a portable 32-byte zero literal does not exist). Appends serialise on it.
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL,
  hash BLOB NOT NULL
);
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,            -- 1, 2, 3 … without gaps
  at BIGINT NOT NULL,                -- unix seconds
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  subject TEXT NOT NULL,             -- citizen's internal id, or ''
  object TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log(subject, seq);
CREATE TABLE audit_checkpoints (
  seq BIGINT PRIMARY KEY,
  hash BLOB NOT NULL,
  at BIGINT NOT NULL,
  key_id TEXT NOT NULL,              -- hex
  signature BLOB NOT NULL
)
)sql";

// The update takes the head row: on PostgreSQL its lock is held until the
// caller's transaction ends, so seqs are handed out, and become visible,
// strictly in order; kSelectHead then reads the new seq and the unchanged
// (previous) hash. Not one UPDATE … RETURNING: SQLite builds an ephemeral
// table and a statement journal for that, a malloc/free of its page cache
// on every append.
constexpr std::string_view kAdvanceHead = "UPDATE audit_head SET seq = seq + 1 WHERE id = 1";
constexpr std::string_view kCreateHead =
    "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, ?) ON CONFLICT (id) DO NOTHING";
constexpr std::string_view kSetHeadHash = "UPDATE audit_head SET hash = ? WHERE id = 1";
constexpr std::string_view kSelectHead = "SELECT seq, hash FROM audit_head WHERE id = 1";
constexpr std::string_view kInsertEntry =
    "INSERT INTO audit_log (seq, at, action, actor, subject, object, detail, prev_hash, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr std::string_view kSelectBySubject =
    "SELECT seq, at, action, actor, subject, object, detail, prev_hash, hash FROM audit_log "
    "WHERE subject = ? ORDER BY seq DESC LIMIT ?";
constexpr std::string_view kSelectEntryPage =
    "SELECT seq, at, action, actor, subject, object, detail, prev_hash, hash FROM audit_log "
    "WHERE seq > ? ORDER BY seq LIMIT ?";
constexpr std::string_view kInsertCheckpoint =
    "INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (seq) DO NOTHING";
constexpr std::string_view kSelectCheckpointAt =
    "SELECT seq, hash, at, key_id, signature FROM audit_checkpoints WHERE seq = ?";
constexpr std::string_view kSelectLatestCheckpoint =
    "SELECT seq, hash, at, key_id, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1";
constexpr std::string_view kSelectCheckpointPage =
    "SELECT seq, hash, at, key_id, signature FROM audit_checkpoints WHERE seq > ? "
    "ORDER BY seq LIMIT ?";

void PutU64(Bytes& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void PutField(Bytes& out, std::string_view field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(n >> shift));
  out.insert(out.end(), field.begin(), field.end());
}

using store::Blob;

// Well-formed UTF-8 (no overlong forms, surrogates or values past
// U+10FFFF): PostgreSQL refuses anything else, so SQLite must too.
bool IsUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

Status CheckField(std::string_view name, std::string_view value, std::size_t max) {
  if (value.size() > max) {
    return InvalidArgument("audit " + std::string(name) + " is longer than " + std::to_string(max) +
                           " bytes");
  }
  if (value.find('\0') != std::string_view::npos || !IsUtf8(value)) {
    return InvalidArgument("audit " + std::string(name) + " is not UTF-8 text");
  }
  return OkStatus();
}

Status CheckEvent(const AuditEvent& event) {
  if (event.action.empty()) return InvalidArgument("audit action is empty");
  CITYCODE_RETURN_IF_ERROR(CheckField("action", event.action, kAuditFieldMaxBytes));
  CITYCODE_RETURN_IF_ERROR(CheckField("actor", event.actor, kAuditFieldMaxBytes));
  CITYCODE_RETURN_IF_ERROR(CheckField("subject", event.subject, kAuditFieldMaxBytes));
  CITYCODE_RETURN_IF_ERROR(CheckField("object", event.object, kAuditFieldMaxBytes));
  return CheckField("detail", event.detail, kAuditDetailMaxBytes);
}

// Column readers that never throw: the verifier reads rows an attacker may
// have written with other types (SQLite keeps whatever type it is given).
const std::string* TextAt(const store::Row& row, std::size_t column) {
  return std::get_if<std::string>(&row[column]);
}
const std::int64_t* IntAt(const store::Row& row, std::size_t column) {
  return std::get_if<std::int64_t>(&row[column]);
}
std::optional<crypto::Digest> DigestAt(const store::Row& row, std::size_t column) {
  const auto* bytes = std::get_if<Bytes>(&row[column]);
  if (bytes == nullptr || bytes->size() != crypto::Digest{}.size()) return std::nullopt;
  crypto::Digest digest;
  std::copy(bytes->begin(), bytes->end(), digest.begin());
  return digest;
}

// seq, at, action, actor, subject, object, detail, prev_hash, hash.
std::optional<AuditEntry> EntryFromRow(const store::Row& row) {
  if (row.size() != 9) return std::nullopt;
  const std::int64_t* seq = IntAt(row, 0);
  const std::int64_t* at = IntAt(row, 1);
  const std::string* text[5];
  for (std::size_t i = 0; i < 5; ++i) {
    text[i] = TextAt(row, 2 + i);
    if (text[i] == nullptr) return std::nullopt;
  }
  std::optional<crypto::Digest> prev_hash = DigestAt(row, 7);
  std::optional<crypto::Digest> hash = DigestAt(row, 8);
  if (seq == nullptr || at == nullptr || !prev_hash || !hash) return std::nullopt;
  return AuditEntry{.seq = *seq,
                    .at = FromUnixSeconds(*at),
                    .event = {*text[0], *text[1], *text[2], *text[3], *text[4]},
                    .prev_hash = *prev_hash,
                    .hash = *hash};
}

// seq, hash, at, key_id, signature.
std::optional<AuditCheckpoint> CheckpointFromRow(const store::Row& row) {
  if (row.size() != 5) return std::nullopt;
  const std::int64_t* seq = IntAt(row, 0);
  std::optional<crypto::Digest> hash = DigestAt(row, 1);
  const std::int64_t* at = IntAt(row, 2);
  const std::string* key_id_hex = TextAt(row, 3);
  const auto* signature = std::get_if<Bytes>(&row[4]);
  if (seq == nullptr || !hash || at == nullptr || key_id_hex == nullptr || signature == nullptr) {
    return std::nullopt;
  }
  Result<Bytes> key_id = FromHex(*key_id_hex);
  if (!key_id.ok() || key_id->size() != crypto::KeyId{}.size()) return std::nullopt;
  AuditCheckpoint checkpoint{
      .seq = *seq, .at = FromUnixSeconds(*at), .hash = *hash, .signature = *signature};
  std::copy(key_id->begin(), key_id->end(), checkpoint.key_id.begin());
  return checkpoint;
}

// Before the first append there is no head row: the empty log, seq 0.
Result<AuditHead> ReadHead(store::Transaction& tx) {
  CITYCODE_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOptional(kSelectHead));
  if (!row) return AuditHead{};
  const std::int64_t* seq = IntAt(*row, 0);
  std::optional<crypto::Digest> hash = DigestAt(*row, 1);
  if (seq == nullptr || !hash) return Internal("the audit head row is malformed");
  return AuditHead{*seq, *hash};
}

Result<AuditHead> ReadHead(store::Database& db) {
  CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<store::Transaction> tx,
                            db.Begin(store::TransactionMode::kRead));
  return ReadHead(*tx);
}

Status FileError(std::string_view what, const std::filesystem::path& path) {
  const int err = errno;
  return Unavailable(std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// One write() with O_APPEND: lines from concurrent writers (several server
// processes) never interleave, and a crash leaves at worst a torn last line,
// which VerifyAuditLog reports.
Status AppendLine(const std::filesystem::path& path, std::string_view line) {
  bool created = false;
  int raw = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (raw < 0 && errno == ENOENT) {
    raw = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    created = raw >= 0;
  }
  Fd fd(raw);
  if (fd.get() < 0) return FileError("cannot open", path);
  ssize_t n;
  do {
    n = ::write(fd.get(), line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return FileError("cannot write", path);
  if (static_cast<std::size_t>(n) != line.size()) {
    return Unavailable("short write to " + path.string() + " (disk full?)");
  }
  if (::fsync(fd.get()) != 0) return FileError("cannot sync", path);
  if (created) {
    // The new file's directory entry must survive a crash too.
    const std::filesystem::path dir =
        path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0) return FileError("cannot sync", dir);
  }
  return OkStatus();
}

}  // namespace

store::Migration AuditLogMigration() {
  return {1001, "vault audit log", std::string(kMigrationSql)};
}

crypto::Digest AuditEntryHash(AuditHash hash, const crypto::Digest& prev_hash,
                              const AuditEntry& entry) {
  const AuditEvent& e = entry.event;
  Bytes bytes;
  bytes.reserve(prev_hash.size() + kEntryTag.size() + 16 + 5 * 4 + e.action.size() +
                e.actor.size() + e.subject.size() + e.object.size() + e.detail.size());
  bytes.insert(bytes.end(), prev_hash.begin(), prev_hash.end());
  bytes.insert(bytes.end(), kEntryTag.begin(), kEntryTag.end());
  PutU64(bytes, static_cast<std::uint64_t>(entry.seq));
  PutU64(bytes, static_cast<std::uint64_t>(ToUnixSeconds(entry.at)));
  PutField(bytes, e.action);
  PutField(bytes, e.actor);
  PutField(bytes, e.subject);
  PutField(bytes, e.object);
  PutField(bytes, e.detail);
  return hash == AuditHash::kSm3 ? crypto::Sm3(bytes) : crypto::Sha256(bytes);
}

Bytes AuditCheckpointMessage(std::int64_t seq, Instant at, const crypto::Digest& hash) {
  Bytes message(kCheckpointTag.begin(), kCheckpointTag.end());
  PutU64(message, static_cast<std::uint64_t>(seq));
  PutU64(message, static_cast<std::uint64_t>(ToUnixSeconds(at)));
  message.insert(message.end(), hash.begin(), hash.end());
  return message;
}

bool VerifyCheckpointSignature(const AuditCheckpoint& checkpoint, const crypto::PublicKey& key) {
  return key.Verify(AuditCheckpointMessage(checkpoint.seq, checkpoint.at, checkpoint.hash),
                    checkpoint.signature);
}

std::string CheckpointToJson(const AuditCheckpoint& checkpoint) {
  // Written by hand: every value is a number, hex or base64url, so nothing
  // needs escaping and the member order stays fixed for line-based tools.
  return R"({"seq":)" + std::to_string(checkpoint.seq) + R"(,"at":)" +
         std::to_string(ToUnixSeconds(checkpoint.at)) + R"(,"hash":")" + ToHex(checkpoint.hash) +
         R"(","key_id":")" + ToHex(checkpoint.key_id) + R"(","signature":")" +
         Base64UrlEncode(checkpoint.signature) + R"("})";
}

Result<AuditCheckpoint> CheckpointFromJson(std::string_view json) {
  if (json.size() > kMaxCheckpointJsonBytes) {
    return InvalidArgument("checkpoint is longer than " + std::to_string(kMaxCheckpointJsonBytes) +
                           " bytes");
  }
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("checkpoint is not a JSON object");
  auto integer = [&](const char* name) -> Result<std::int64_t> {
    auto it = j.find(name);
    if (it == j.end() || !it->is_number_integer() ||
        (it->is_number_unsigned() &&
         it->get<std::uint64_t>() > std::uint64_t{std::numeric_limits<std::int64_t>::max()})) {
      return InvalidArgument(std::string("checkpoint \"") + name + "\" is not an integer");
    }
    return it->get<std::int64_t>();
  };
  auto bytes = [&](const char* name, std::size_t size, bool hex) -> Result<Bytes> {
    auto it = j.find(name);
    Result<Bytes> decoded = InvalidArgument("");
    if (it != j.end() && it->is_string()) {
      const auto& text = it->get_ref<const std::string&>();
      decoded = hex ? FromHex(text) : Base64UrlDecode(text);
    }
    if (!decoded.ok() || decoded->size() != size) {
      return InvalidArgument(std::string("checkpoint \"") + name + "\" is not " +
                             std::to_string(size) +
                             (hex ? " bytes of hex" : " bytes of base64url"));
    }
    return decoded;
  };
  AuditCheckpoint checkpoint;
  CITYCODE_ASSIGN_OR_RETURN(checkpoint.seq, integer("seq"));
  if (checkpoint.seq < 0) return InvalidArgument("checkpoint \"seq\" is negative");
  CITYCODE_ASSIGN_OR_RETURN(std::int64_t at, integer("at"));
  checkpoint.at = FromUnixSeconds(at);
  CITYCODE_ASSIGN_OR_RETURN(Bytes hash, bytes("hash", checkpoint.hash.size(), true));
  std::copy(hash.begin(), hash.end(), checkpoint.hash.begin());
  CITYCODE_ASSIGN_OR_RETURN(Bytes key_id, bytes("key_id", checkpoint.key_id.size(), true));
  std::copy(key_id.begin(), key_id.end(), checkpoint.key_id.begin());
  CITYCODE_ASSIGN_OR_RETURN(checkpoint.signature,
                            bytes("signature", crypto::kSignatureSize, false));
  return checkpoint;
}

AuditLog::AuditLog(store::Database& db, const Clock& clock, crypto::PrivateKey checkpoint_key,
                   AuditOptions options)
    : db_(db),
      clock_(clock),
      checkpoint_key_(std::move(checkpoint_key)),
      options_(std::move(options)) {}

Result<std::int64_t> AuditLog::Append(store::Transaction& tx, const AuditEvent& event) const {
  CITYCODE_RETURN_IF_ERROR(CheckEvent(event));
  CITYCODE_ASSIGN_OR_RETURN(std::int64_t advanced, tx.Execute(kAdvanceHead));
  if (advanced == 0) {
    // The very first append. Concurrent first appenders: ON CONFLICT makes
    // the losers wait for the winner's row and then advance it.
    CITYCODE_RETURN_IF_ERROR(tx.Execute(kCreateHead, {Blob(kZeroHash)}).status());
    CITYCODE_ASSIGN_OR_RETURN(advanced, tx.Execute(kAdvanceHead));
    if (advanced == 0) return Internal("the audit head row is missing");
  }
  CITYCODE_ASSIGN_OR_RETURN(std::optional<store::Row> head, tx.QueryOptional(kSelectHead));
  if (!head) return Internal("the audit head row is missing");
  const std::int64_t* seq = IntAt(*head, 0);
  std::optional<crypto::Digest> prev_hash = DigestAt(*head, 1);
  if (seq == nullptr || !prev_hash) return Internal("the audit head row is malformed");

  AuditEntry entry{.seq = *seq, .at = clock_.Now(), .event = event, .prev_hash = *prev_hash};
  entry.hash = AuditEntryHash(options_.hash, entry.prev_hash, entry);
  CITYCODE_RETURN_IF_ERROR(tx.Execute(kSetHeadHash, {Blob(entry.hash)}).status());
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute(kInsertEntry,
                 {entry.seq, ToUnixSeconds(entry.at), event.action, event.actor, event.subject,
                  event.object, event.detail, Blob(entry.prev_hash), Blob(entry.hash)})
          .status());
  return entry.seq;
}

Result<AuditCheckpoint> AuditLog::WriteCheckpoint() const {
  AuditCheckpoint result;
  auto existing = [&](store::Transaction& tx, std::int64_t seq) -> Result<bool> {
    CITYCODE_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                              tx.QueryOptional(kSelectCheckpointAt, {seq}));
    if (!row) return false;
    std::optional<AuditCheckpoint> checkpoint = CheckpointFromRow(*row);
    if (!checkpoint) return Internal("audit checkpoint " + std::to_string(seq) + " is malformed");
    result = std::move(*checkpoint);
    return true;
  };
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      db_, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(AuditHead head, ReadHead(tx));
        CITYCODE_ASSIGN_OR_RETURN(bool found, existing(tx, head.seq));
        if (found) return OkStatus();  // the head has not moved
        AuditCheckpoint checkpoint{.seq = head.seq,
                                   .at = clock_.Now(),
                                   .hash = head.hash,
                                   .key_id = checkpoint_key_.public_key().key_id()};
        CITYCODE_ASSIGN_OR_RETURN(checkpoint.signature,
                                  checkpoint_key_.Sign(AuditCheckpointMessage(
                                      checkpoint.seq, checkpoint.at, checkpoint.hash)));
        CITYCODE_ASSIGN_OR_RETURN(
            std::int64_t inserted,
            tx.Execute(kInsertCheckpoint,
                       {checkpoint.seq, Blob(checkpoint.hash), ToUnixSeconds(checkpoint.at),
                        ToHex(checkpoint.key_id), checkpoint.signature}));
        if (inserted == 0) {
          // Another process checkpointed this head meanwhile (PostgreSQL).
          CITYCODE_ASSIGN_OR_RETURN(found, existing(tx, head.seq));
          if (!found) return Internal("audit checkpoint conflict without a row");
          return OkStatus();
        }
        // Before the commit: if the file cannot be written, nothing is
        // recorded. (A commit failing after the write leaves a line for a
        // head that was committed anyway, which still verifies.)
        if (options_.checkpoint_file) {
          CITYCODE_RETURN_IF_ERROR(
              AppendLine(*options_.checkpoint_file, CheckpointToJson(checkpoint) + "\n"));
        }
        result = std::move(checkpoint);
        return OkStatus();
      }));
  return result;
}

Result<AuditCheckpoint> AuditLog::LatestCheckpoint() const {
  CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<store::Transaction> tx,
                            db_.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                            tx->QueryOptional(kSelectLatestCheckpoint));
  if (!row) return NotFound("no audit checkpoint yet");
  std::optional<AuditCheckpoint> checkpoint = CheckpointFromRow(*row);
  if (!checkpoint) return Internal("the latest audit checkpoint is malformed");
  return std::move(*checkpoint);
}

Result<AuditHead> AuditLog::Head() const { return ReadHead(db_); }

Result<std::vector<AuditActionCount>> AuditLog::CountByHour(
    Instant since, std::span<const std::string> actions) const {
  std::vector<AuditActionCount> counts;
  if (actions.empty()) return counts;
  std::string sql =
      "SELECT at - at % 3600, action, COUNT(*) FROM audit_log WHERE at >= ? AND action IN (";
  std::vector<store::Value> params = {ToUnixSeconds(since) - ToUnixSeconds(since) % 3600};
  for (const std::string& action : actions) {
    sql += params.size() == 1 ? "?" : ", ?";
    params.push_back(action);
  }
  sql += ") GROUP BY at - at % 3600, action ORDER BY 1";
  CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<store::Transaction> tx,
                            db_.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(std::vector<store::Row> rows, tx->Query(sql, params));
  counts.reserve(rows.size());
  for (const store::Row& row : rows) {
    counts.push_back(
        {.hour = FromUnixSeconds(row.Int(0)), .action = row.Text(1), .count = row.Int(2)});
  }
  return counts;
}

Result<std::vector<AuditEntry>> AuditLog::ListBySubject(std::string_view subject,
                                                        std::size_t limit) const {
  if (subject.empty()) return InvalidArgument("audit subject is empty");
  if (limit == 0 || limit > kMaxListLimit) {
    return InvalidArgument("audit list limit must be 1 to " + std::to_string(kMaxListLimit));
  }
  CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<store::Transaction> tx,
                            db_.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx->Query(kSelectBySubject, {std::string(subject), static_cast<std::int64_t>(limit)}));
  std::vector<AuditEntry> entries;
  entries.reserve(rows.size());
  for (const store::Row& row : rows) {
    std::optional<AuditEntry> entry = EntryFromRow(row);
    if (!entry) return Internal("an audit entry is malformed (run the audit verifier)");
    entries.push_back(std::move(*entry));
  }
  return entries;
}

namespace {

// A checkpoint to hold against the chain, kept small: there may be many.
struct CheckpointToCheck {
  std::int64_t seq = 0;
  crypto::Digest hash{};
  std::int64_t file_line = 0;  // 0: from the database
  enum class Signature { kGood, kBad, kOtherKey } signature = Signature::kGood;
};

std::string Describe(const CheckpointToCheck& c) {
  std::string text = "checkpoint at " + std::to_string(c.seq);
  if (c.file_line > 0) text += " (checkpoint file line " + std::to_string(c.file_line) + ")";
  return text;
}

std::optional<std::string> SignatureProblem(const CheckpointToCheck& c) {
  switch (c.signature) {
    case CheckpointToCheck::Signature::kBad: return Describe(c) + " has a bad signature";
    case CheckpointToCheck::Signature::kOtherKey:
      return Describe(c) + " is not signed by the given key";
    case CheckpointToCheck::Signature::kGood: break;
  }
  return std::nullopt;
}

CheckpointToCheck ToCheck(const AuditCheckpoint& checkpoint, const crypto::PublicKey& key,
                          std::int64_t file_line) {
  CheckpointToCheck c{.seq = checkpoint.seq, .hash = checkpoint.hash, .file_line = file_line};
  if (checkpoint.key_id != key.key_id()) {
    c.signature = CheckpointToCheck::Signature::kOtherKey;
  } else if (!VerifyCheckpointSignature(checkpoint, key)) {
    c.signature = CheckpointToCheck::Signature::kBad;
  }
  return c;
}

// The checkpoints in the file, or the first problem with a line. Read in
// blocks: the file grows without bound, a line may not.
Status ReadCheckpointFile(const std::filesystem::path& path, const crypto::PublicKey& key,
                          std::vector<CheckpointToCheck>& out, std::string& problem) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return FileError("cannot open", path);
  std::string line;
  std::int64_t line_no = 1;
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return FileError("cannot read", path);
    }
    if (n == 0) break;
    std::string_view block(buf, static_cast<std::size_t>(n));
    while (!block.empty()) {
      const std::size_t newline = block.find('\n');
      line.append(block.substr(0, newline));
      if (line.size() > kMaxCheckpointJsonBytes) {
        problem = "checkpoint file line " + std::to_string(line_no) + " is longer than " +
                  std::to_string(kMaxCheckpointJsonBytes) + " bytes";
        return OkStatus();
      }
      if (newline == std::string_view::npos) break;
      block.remove_prefix(newline + 1);
      Result<AuditCheckpoint> checkpoint = CheckpointFromJson(line);
      if (!checkpoint.ok()) {
        problem = "checkpoint file line " + std::to_string(line_no) + ": " +
                  checkpoint.status().message();
        return OkStatus();
      }
      out.push_back(ToCheck(*checkpoint, key, line_no));
      line.clear();
      ++line_no;
    }
  }
  if (!line.empty()) {
    problem = "checkpoint file line " + std::to_string(line_no) + " is incomplete (no newline)";
  }
  return OkStatus();
}

}  // namespace

Result<AuditVerifyReport> VerifyAuditLog(
    store::Database& db, const crypto::PublicKey& checkpoint_key, AuditHash hash,
    const std::optional<std::filesystem::path>& checkpoint_file) {
  AuditVerifyReport report;
  auto fail = [&](std::optional<std::int64_t> seq, std::string problem) {
    report.ok = false;
    report.first_bad_seq = seq;
    report.problem = std::move(problem);
    return report;
  };

  // Order matters for verifying a live log: the head first, then the
  // checkpoints, then the entries. Every entry the head or a checkpoint
  // names was committed before it was read, so the walk sees it; entries
  // appended meanwhile only lengthen the walk.
  CITYCODE_ASSIGN_OR_RETURN(const AuditHead head_before, ReadHead(db));

  std::vector<CheckpointToCheck> checkpoints;
  std::int64_t after = std::numeric_limits<std::int64_t>::min();
  for (;;) {
    CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<store::Transaction> tx,
                              db.Begin(store::TransactionMode::kRead));
    CITYCODE_ASSIGN_OR_RETURN(std::vector<store::Row> rows,
                              tx->Query(kSelectCheckpointPage, {after, kVerifyPageSize}));
    for (const store::Row& row : rows) {
      std::optional<AuditCheckpoint> checkpoint = CheckpointFromRow(row);
      const std::int64_t* seq = IntAt(row, 0);
      if (!checkpoint) {
        return fail(seq ? std::optional(*seq) : std::nullopt,
                    "a checkpoint in the database is malformed");
      }
      checkpoints.push_back(ToCheck(*checkpoint, checkpoint_key, 0));
      after = checkpoint->seq;
    }
    if (rows.size() < static_cast<std::size_t>(kVerifyPageSize)) break;
  }
  if (checkpoint_file) {
    std::error_code ec;
    const bool exists = std::filesystem::exists(*checkpoint_file, ec);
    if (ec) return Unavailable("cannot access " + checkpoint_file->string() + ": " + ec.message());
    if (exists) {
      std::string problem;
      CITYCODE_RETURN_IF_ERROR(
          ReadCheckpointFile(*checkpoint_file, checkpoint_key, checkpoints, problem));
      if (!problem.empty()) return fail(std::nullopt, std::move(problem));
    } else if (!checkpoints.empty()) {
      // Every checkpoint is written to the file before its row commits.
      return fail(std::nullopt,
                  "the checkpoint file " + checkpoint_file->string() + " does not exist");
    }
  }
  std::stable_sort(checkpoints.begin(), checkpoints.end(),
                   [](const auto& a, const auto& b) { return a.seq < b.seq; });
  report.checkpoints = static_cast<std::int64_t>(checkpoints.size());

  // Walk the chain; after entry N (and for N = 0 before the first), hold
  // every checkpoint at N against it.
  std::size_t next_checkpoint = 0;
  std::int64_t last_seq = 0;
  crypto::Digest last_hash = kZeroHash;
  std::int64_t last_matching_checkpoint = 0;
  std::optional<crypto::Digest> hash_at_head_before;
  if (head_before.seq == 0) hash_at_head_before = kZeroHash;
  auto check_checkpoints = [&]() -> std::optional<AuditVerifyReport> {
    for (; next_checkpoint < checkpoints.size() && checkpoints[next_checkpoint].seq <= last_seq;
         ++next_checkpoint) {
      const CheckpointToCheck& c = checkpoints[next_checkpoint];
      if (auto problem = SignatureProblem(c)) return fail(c.seq, std::move(*problem));
      if (c.hash != last_hash || c.seq != last_seq) {
        return fail(c.seq, "entry " + std::to_string(c.seq) + " does not match the signed " +
                               Describe(c) + ": an entry from " +
                               std::to_string(last_matching_checkpoint + 1) + " to " +
                               std::to_string(c.seq) + " was changed");
      }
      last_matching_checkpoint = c.seq;
    }
    return std::nullopt;
  };
  if (auto bad = check_checkpoints()) return *bad;

  for (;;) {
    CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<store::Transaction> tx,
                              db.Begin(store::TransactionMode::kRead));
    CITYCODE_ASSIGN_OR_RETURN(std::vector<store::Row> rows,
                              tx->Query(kSelectEntryPage, {last_seq, kVerifyPageSize}));
    tx.reset();  // one short transaction per page
    for (const store::Row& row : rows) {
      const std::int64_t expected = last_seq + 1;
      const std::int64_t* seq = IntAt(row, 0);
      if (seq == nullptr)
        return fail(expected, "entry " + std::to_string(expected) + " is malformed");
      if (*seq != expected)
        return fail(expected, "entry " + std::to_string(expected) + " is missing");
      std::optional<AuditEntry> entry = EntryFromRow(row);
      if (!entry) return fail(expected, "entry " + std::to_string(expected) + " is malformed");
      if (entry->prev_hash != last_hash) {
        return fail(expected, "entry " + std::to_string(expected) + " does not follow entry " +
                                  std::to_string(last_seq));
      }
      if (AuditEntryHash(hash, last_hash, *entry) != entry->hash) {
        return fail(expected, "entry " + std::to_string(expected) + " does not match its hash");
      }
      last_seq = expected;
      last_hash = entry->hash;
      ++report.entries;
      if (last_seq == head_before.seq) hash_at_head_before = last_hash;
      if (auto bad = check_checkpoints()) return *bad;
    }
    if (rows.size() < static_cast<std::size_t>(kVerifyPageSize)) break;
  }

  const std::string missing_after = "entries after " + std::to_string(last_seq) + " are missing";
  if (next_checkpoint < checkpoints.size()) {
    const CheckpointToCheck& c = checkpoints[next_checkpoint];
    // A forged checkpoint beyond the end is reported as the forgery it is.
    if (auto problem = SignatureProblem(c)) return fail(c.seq, std::move(*problem));
    return fail(last_seq + 1, missing_after + ": " + Describe(c));
  }
  if (head_before.seq > last_seq) {
    return fail(last_seq + 1,
                missing_after + ": the head is at " + std::to_string(head_before.seq));
  }
  if (hash_at_head_before != head_before.hash) {
    return fail(head_before.seq,
                "the head does not match entry " + std::to_string(head_before.seq));
  }
  // Read again: a head behind the walk means rows were added without it.
  CITYCODE_ASSIGN_OR_RETURN(const AuditHead head_after, ReadHead(db));
  if (head_after.seq < last_seq) {
    return fail(head_after.seq + 1, "entry " + std::to_string(head_after.seq + 1) +
                                        " is beyond the head (" + std::to_string(head_after.seq) +
                                        ")");
  }
  if (head_after.seq == last_seq && head_after.hash != last_hash) {
    return fail(last_seq, "the head does not match entry " + std::to_string(last_seq));
  }
  report.ok = true;
  return report;
}

}  // namespace citycode::vault
