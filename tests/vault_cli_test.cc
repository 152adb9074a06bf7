// End-to-end tests of `citycode vault …` and `citycode audit …`: every
// command runs as a child process (the binary CMake built, CITYCODE_BINARY)
// on a SQLite database in a fresh temporary directory, and the tests check
// what an operator sees: the exit status (0 ok, 1 tampering found, 2 bad
// usage or input), the JSON on stdout and the "citycode: …" lines on stderr.
//
// The library is only used to make the issuer's key, to count rows and to
// tamper with the database behind the CLI's back. The CLI is
// backend-agnostic; the audit log's own tests cover PostgreSQL.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/key.h"
#include "store/database.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "vault/audit.h"

namespace citycode {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using testing::Describe;
using testing::RunCitycode;
using testing::RunResult;

constexpr const char* kCreditCode = "11370282MB1234567X";

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteText(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

std::vector<std::string> ReadLines(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    const std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) {
      lines.push_back(text.substr(begin));
      break;
    }
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

// The one JSON object a command printed on stdout (null if none).
json StdoutJson(const RunResult& r) {
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "stdout is not one line\n"
                                                             << Describe(r);
  json parsed = json::parse(r.out, nullptr, false);
  EXPECT_TRUE(parsed.is_object()) << "no JSON object on stdout\n" << Describe(r);
  return parsed.is_object() ? parsed : json::object();
}

// The contract of a usage error: exit 2, nothing on stdout, one line
// "citycode: ..." on stderr that contains `needle`.
void ExpectUsageError(const RunResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_EQ(r.out, "") << Describe(r);
  EXPECT_THAT(r.err, StartsWith("citycode: ")) << Describe(r);
  ASSERT_FALSE(r.err.empty()) << Describe(r);
  EXPECT_EQ(r.err.back(), '\n') << Describe(r);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line\n" << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(needle)) << Describe(r);
}

// A deployment's files, all in one directory: copying the directory copies
// the deployment (database, keyring and checkpoint file).
struct Deployment {
  fs::path dir;

  fs::path db_file() const { return dir / "citycode.db"; }
  std::string db_url() const { return "sqlite:" + db_file().string(); }
  fs::path keyring() const { return dir / "keyring.json"; }
  fs::path checkpoints() const { return dir / "checkpoints.jsonl"; }

  // `citycode GROUP COMMAND --db … --keyring … --checkpoints … extra...`;
  // without this --checkpoints if `extra` has one.
  RunResult Run(const std::string& group, const std::string& command,
                const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {group,    command,     "--db",
                                     db_url(), "--keyring", keyring().string()};
    if (std::find(extra.begin(), extra.end(), "--checkpoints") == extra.end()) {
      args.push_back("--checkpoints");
      args.push_back(checkpoints().string());
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCitycode(args);
  }

  RunResult Import(const fs::path& file, int batch) const {
    return Run("vault", "import", {file.string(), "--batch", std::to_string(batch)});
  }
  RunResult AuditVerify(const std::vector<std::string>& extra = {}) const {
    return Run("audit", "verify", extra);
  }
  RunResult AuditCheckpoint() const { return Run("audit", "checkpoint", {}); }

  // The database, opened directly (the CLI is not running).
  std::unique_ptr<store::Database> Open() const {
    auto db = store::Database::Open(db_url());
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }

  std::vector<store::Row> Query(const std::string& sql,
                                std::initializer_list<store::Value> params = {}) const {
    auto db = Open();
    if (db == nullptr) return {};
    auto tx = db->Begin(store::TransactionMode::kRead);
    EXPECT_TRUE(tx.ok()) << tx.status().ToString();
    if (!tx.ok()) return {};
    auto rows = (*tx)->Query(sql, params);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<store::Row>{};
  }

  std::int64_t Count(const std::string& sql,
                     std::initializer_list<store::Value> params = {}) const {
    const auto rows = Query(sql, params);
    return rows.size() == 1 ? rows[0].Int(0) : -1;
  }

  // Runs `statements` in one write transaction, as an attacker with access
  // to the database file would.
  void Tamper(const std::function<Status(store::Transaction&)>& statements) const {
    auto db = Open();
    ASSERT_NE(db, nullptr);
    const Status status = store::RunInTransaction(*db, store::TransactionMode::kWrite, statements);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
};

// What `audit verify` said.
struct AuditReport {
  RunResult run;
  json result;
};

AuditReport VerifyAudit(const Deployment& d, const std::vector<std::string>& extra = {}) {
  AuditReport report{d.AuditVerify(extra), json()};
  report.result = StdoutJson(report.run);
  return report;
}

void ExpectAuditOk(const AuditReport& report) {
  EXPECT_EQ(report.run.exit_code, 0) << Describe(report.run);
  EXPECT_EQ(report.result.value("ok", false), true) << Describe(report.run);
  EXPECT_EQ(report.run.err, "") << Describe(report.run);
}

// Tampering found: exit 1, {"ok":false,"first_bad_seq":seq,"problem":…} on
// stdout, the same problem as one line on stderr.
void ExpectAuditBad(const AuditReport& report, std::int64_t seq, const std::string& problem) {
  EXPECT_EQ(report.run.exit_code, 1) << Describe(report.run);
  EXPECT_EQ(report.result.value("ok", true), false) << Describe(report.run);
  EXPECT_EQ(report.result.value("first_bad_seq", std::int64_t{-1}), seq) << Describe(report.run);
  const std::string printed = report.result.value("problem", std::string());
  EXPECT_THAT(printed, HasSubstr(problem)) << Describe(report.run);
  EXPECT_EQ(report.run.err, "citycode: audit log: " + printed + "\n") << Describe(report.run);
}

class VaultCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pristine_.dir = dir_.path() / "pristine";
    fs::create_directories(pristine_.dir);
  }

  fs::path Path(const std::string& name) const { return dir_.path() / name; }

  // Through the CLI: an issuing agency, its key (made here and written as
  // PEM) registered as the vault's issuer of kCreditCode.
  void SetUpIssuer(const Deployment& d) {
    const RunResult org =
        RunCitycode({"admin", "--db", d.db_url(), "--keyring", d.keyring().string(), "org",
                     "create", "--name", "即墨区行政审批服务局", "--kind", "issuing_agency"});
    ASSERT_EQ(org.exit_code, 0) << Describe(org);
    const json created = StdoutJson(org);
    ASSERT_TRUE(created.contains("id") && created["id"].is_string()) << Describe(org);
    EXPECT_EQ(created.value("kind", ""), "issuing_agency") << Describe(org);
    org_id_ = created["id"];

    auto key = crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    WriteText(key_pem_, key->ToPem());
    WriteText(Path("pub.pem"), key->public_key().ToPem());

    const RunResult registered =
        d.Run("vault", "register-issuer",
              {"--org", org_id_, "--credit-code", kCreditCode, "--name", "即墨区行政审批服务局",
               "--public-key", Path("pub.pem").string()});
    ASSERT_EQ(registered.exit_code, 0) << Describe(registered);
    const json printed = StdoutJson(registered);
    EXPECT_EQ(printed.value("org_id", ""), org_id_) << Describe(registered);
    EXPECT_EQ(printed.value("key_id", ""), ToHex(key->public_key().key_id()))
        << Describe(registered);
  }

  // `vault generate --count N` into `out`; checks the file has N lines.
  void Generate(const fs::path& out, std::int64_t count) {
    const RunResult r =
        RunCitycode({"vault", "generate", "--out", out.string(), "--count", std::to_string(count),
                     "--key", key_pem_.string(), "--issuer-code", kCreditCode});
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    const json printed = StdoutJson(r);
    EXPECT_EQ(printed.value("certificates", std::int64_t{-1}), count) << Describe(r);
    ASSERT_EQ(static_cast<std::int64_t>(ReadLines(out).size()), count);
  }

  // A copy of the pristine deployment, for one tampering case.
  Deployment CopyOfPristine(const std::string& name) const {
    Deployment copy{Path(name)};
    fs::remove_all(copy.dir);
    fs::copy(pristine_.dir, copy.dir, fs::copy_options::recursive);
    return copy;
  }

  testing::TempDir dir_{"vault-cli"};
  Deployment pristine_;
  const fs::path key_pem_ = dir_.path() / "key.pem";
  std::string org_id_;
};

// ---------------------------------------------------------------------------
// vault import

TEST_F(VaultCliTest, ImportsAGeneratedFileAndTheSameFileAgainChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(SetUpIssuer(pristine_));
  const fs::path certs = Path("certs.jsonl");
  ASSERT_NO_FATAL_FAILURE(Generate(certs, 2500));

  const RunResult first = pristine_.Import(certs, 1000);
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  EXPECT_EQ(StdoutJson(first), (json{{"lines", 2500},
                                     {"imported", 2500},
                                     {"unchanged", 0},
                                     {"bad_lines", 0},
                                     {"refused_batches", 0},
                                     {"not_imported_lines", 0}}))
      << Describe(first);
  // Progress, not on a terminal: whole lines "import: NN%  …", ending at
  // 100%, and nothing else (no error, no redrawing).
  const std::vector<std::string> progress = SplitLines(first.err);
  ASSERT_FALSE(progress.empty()) << Describe(first);
  EXPECT_EQ(first.err.back(), '\n') << Describe(first);
  EXPECT_THAT(first.err, Not(HasSubstr("\r"))) << Describe(first);
  for (const std::string& line : progress) {
    EXPECT_THAT(line, StartsWith("import: ")) << Describe(first);
    EXPECT_THAT(line, HasSubstr("%")) << Describe(first);
  }
  EXPECT_THAT(progress.back(), StartsWith("import: 100%  2500 lines")) << Describe(first);
  EXPECT_EQ(pristine_.Count("SELECT COUNT(*) FROM vault_certificates"), 2500);

  // Sealed at rest: no holder's ID number is in the database file in clear.
  const std::string db_bytes =
      ReadText(pristine_.db_file()) + ReadText(pristine_.dir / "citycode.db-wal");
  const std::vector<std::string> lines = ReadLines(certs);
  for (const std::size_t i : {std::size_t{0}, std::size_t{1234}, std::size_t{2499}}) {
    const std::string id_number = json::parse(lines[i])["holder_id_number"];
    EXPECT_EQ(db_bytes.find(id_number), std::string::npos) << "line " << i + 1;
  }

  const RunResult again = pristine_.Import(certs, 1000);
  ASSERT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_EQ(StdoutJson(again), (json{{"lines", 2500},
                                     {"imported", 0},
                                     {"unchanged", 2500},
                                     {"bad_lines", 0},
                                     {"refused_batches", 0},
                                     {"not_imported_lines", 0}}))
      << Describe(again);
  EXPECT_EQ(pristine_.Count("SELECT COUNT(*) FROM vault_certificates"), 2500);
}

TEST_F(VaultCliTest, ABatchWithABadLineImportsNothingAndEveryBadLineIsNamed) {
  ASSERT_NO_FATAL_FAILURE(SetUpIssuer(pristine_));
  const fs::path generated = Path("generated.jsonl");
  ASSERT_NO_FATAL_FAILURE(Generate(generated, 3000));
  std::vector<std::string> lines = ReadLines(generated);
  ASSERT_EQ(lines.size(), 3000u);

  // The personal data of the two lines broken below: none of it may show.
  std::vector<std::string> personal;
  for (const std::size_t i : {std::size_t{1499}, std::size_t{2749}}) {
    const json line = json::parse(lines[i]);
    personal.push_back(line["holder_name"]);
    personal.push_back(line["holder_id_number"]);
  }
  // Line 1500: cut off in the middle (not JSON any more).
  lines[1499].resize(lines[1499].size() / 2);
  // Line 2750: one character of the holder's name changed (its last digit),
  // so the issuer's signature no longer verifies.
  {
    const std::string key = "\"holder_name\":\"";
    const std::size_t start = lines[2749].find(key);
    ASSERT_NE(start, std::string::npos) << lines[2749];
    const std::size_t end = lines[2749].find('"', start + key.size());
    ASSERT_NE(end, std::string::npos);
    char& digit = lines[2749][end - 1];
    ASSERT_TRUE(digit >= '0' && digit <= '9') << lines[2749].substr(start, end - start);
    digit = digit == '9' ? '0' : static_cast<char>(digit + 1);
    personal.push_back(lines[2749].substr(start + key.size(), end - start - key.size()));
  }
  const fs::path certs = Path("certs.jsonl");
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  WriteText(certs, text);

  const RunResult r = pristine_.Import(certs, 1000);
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  // Batch 1 (lines 1–1000) went in; batches 2 (1001–2000) and 3
  // (2001–3000) each held a bad line and imported nothing.
  EXPECT_EQ(StdoutJson(r), (json{{"lines", 3000},
                                 {"imported", 1000},
                                 {"unchanged", 0},
                                 {"bad_lines", 2},
                                 {"refused_batches", 2},
                                 {"not_imported_lines", 2000}}))
      << Describe(r);

  std::vector<std::string> errors;
  for (const std::string& line : SplitLines(r.err)) {
    if (line.starts_with("citycode: ")) errors.push_back(line);
  }
  ASSERT_EQ(errors.size(), 2u) << Describe(r);
  const std::string prefix = "citycode: " + certs.string() + ":";
  EXPECT_THAT(errors[0], StartsWith(prefix + "1500: ")) << Describe(r);
  EXPECT_GT(errors[0].size(), (prefix + "1500: ").size()) << "no reason\n" << Describe(r);
  EXPECT_THAT(errors[1], StartsWith(prefix + "2750: ")) << Describe(r);
  EXPECT_THAT(errors[1], HasSubstr("signature")) << Describe(r);
  for (const std::string& value : personal) {
    EXPECT_THAT(r.err, Not(HasSubstr(value))) << Describe(r);
    EXPECT_THAT(r.out, Not(HasSubstr(value))) << Describe(r);
  }

  // The database agrees: 1000 new rows, those of lines 1–1000.
  EXPECT_EQ(pristine_.Count("SELECT COUNT(*) FROM vault_certificates"), 1000);
  const auto stored = [&](std::size_t line) {
    const std::string identifier = json::parse(lines[line - 1])["identifier"];
    return pristine_.Count("SELECT COUNT(*) FROM vault_certificates WHERE identifier = ?",
                           {identifier});
  };
  EXPECT_EQ(stored(1), 1);
  EXPECT_EQ(stored(1000), 1);
  EXPECT_EQ(stored(1001), 0);
  EXPECT_EQ(stored(2000), 0);
  EXPECT_EQ(stored(2001), 0);
  EXPECT_EQ(stored(3000), 0);
}

// ---------------------------------------------------------------------------
// audit verify

class AuditCliTest : public VaultCliTest {
 protected:
  // The pristine deployment: issuer registered, 2500 certificates imported
  // in 3 batches, checkpoint; the same file again (3 more entries),
  // checkpoint. Every checkpoint is in the database and in the file.
  void SetUp() override {
    VaultCliTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(SetUpIssuer(pristine_));
    const fs::path certs = Path("certs.jsonl");
    ASSERT_NO_FATAL_FAILURE(Generate(certs, 2500));
    for (int round = 0; round < 2; ++round) {
      const RunResult imported = pristine_.Import(certs, 1000);
      ASSERT_EQ(imported.exit_code, 0) << Describe(imported);
      const RunResult checkpoint = pristine_.AuditCheckpoint();
      ASSERT_EQ(checkpoint.exit_code, 0) << Describe(checkpoint);
      const json printed = StdoutJson(checkpoint);
      ASSERT_TRUE(printed.contains("seq") && printed["seq"].is_number_integer())
          << Describe(checkpoint);
      checkpoint_seqs_.push_back(printed["seq"]);
      EXPECT_EQ(checkpoint.err, "") << Describe(checkpoint);
    }
    entries_ = pristine_.Count("SELECT MAX(seq) FROM audit_log");
    ASSERT_EQ(pristine_.Count("SELECT COUNT(*) FROM audit_log"), entries_);
    // register_issuer, add_issuer_key, then one entry per import batch.
    ASSERT_GE(entries_, 8);
    ASSERT_EQ(checkpoint_seqs_.size(), 2u);
    ASSERT_EQ(checkpoint_seqs_[1], entries_);
    ASSERT_EQ(checkpoint_seqs_[0], entries_ - 3);
    // Each writing command checkpoints as it ends: register-issuer (seq 2)
    // and each import (the explicit checkpoints find the head unmoved).
    ASSERT_EQ(ReadLines(pristine_.checkpoints()).size(), 3u);
  }

  std::vector<std::int64_t> checkpoint_seqs_;
  std::int64_t entries_ = 0;
};

TEST_F(AuditCliTest, AnUntouchedLogVerifies) {
  const AuditReport report = VerifyAudit(pristine_);
  ExpectAuditOk(report);
  EXPECT_EQ(report.result, (json{{"ok", true}, {"entries", entries_}, {"checkpoints", 6}}))
      << Describe(report.run);

  // Pinned to the vault's own public key (read from the database here; an
  // operator keeps a copy elsewhere): the same.
  const auto rows = pristine_.Query("SELECT public_key FROM vault_keys WHERE purpose = 'vault'");
  ASSERT_EQ(rows.size(), 1u);
  auto vault_key = crypto::PublicKey::FromSpkiDer(rows[0].Blob(0));
  ASSERT_TRUE(vault_key.ok()) << vault_key.status().ToString();
  WriteText(Path("vault.pem"), vault_key->ToPem());
  ExpectAuditOk(VerifyAudit(pristine_, {"--public-key", Path("vault.pem").string()}));
}

TEST_F(AuditCliTest, CheckpointsNotSignedByThePinnedKeyAreFound) {
  auto other = crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  ASSERT_TRUE(other.ok());
  WriteText(Path("other.pem"), other->public_key().ToPem());
  // The first checkpoint is register-issuer's, after its two entries.
  ExpectAuditBad(VerifyAudit(pristine_, {"--public-key", Path("other.pem").string()}), 2,
                 "is not signed by the given key");
}

TEST_F(AuditCliTest, AnEditedEntryIsFound) {
  const Deployment d = CopyOfPristine("edited");
  ASSERT_NO_FATAL_FAILURE(d.Tamper([](store::Transaction& tx) {
    return tx
        .Execute("UPDATE audit_log SET detail = ? WHERE seq = 3", {std::string(R"({"lines":1})")})
        .status();
  }));
  ExpectAuditBad(VerifyAudit(d), 3, "entry 3 does not match its hash");
}

TEST_F(AuditCliTest, AnEditedEntryWithTheChainRecomputedIsFoundByTheCheckpoint) {
  const Deployment d = CopyOfPristine("rechained");
  ASSERT_NO_FATAL_FAILURE(d.Tamper([](store::Transaction& tx) -> Status {
    CITYCODE_RETURN_IF_ERROR(
        tx.Execute("UPDATE audit_log SET detail = ? WHERE seq = 3", {std::string("{}")}).status());
    // Every hash from entry 3 on, and the head, made to fit again.
    CITYCODE_ASSIGN_OR_RETURN(
        std::vector<store::Row> rows,
        tx.Query("SELECT seq, at, action, actor, subject, object, detail FROM audit_log "
                 "ORDER BY seq"));
    crypto::Digest prev{};
    for (const store::Row& row : rows) {
      const vault::AuditEntry entry{
          .seq = row.Int(0),
          .at = FromUnixSeconds(row.Int(1)),
          .event = {row.Text(2), row.Text(3), row.Text(4), row.Text(5), row.Text(6)}};
      const crypto::Digest hash = vault::AuditEntryHash(vault::AuditHash::kSha256, prev, entry);
      if (entry.seq >= 3) {
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute(
                  "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?",
                  {Bytes(prev.begin(), prev.end()), Bytes(hash.begin(), hash.end()), entry.seq})
                .status());
      }
      prev = hash;
    }
    return tx
        .Execute("UPDATE audit_head SET hash = ? WHERE id = 1", {Bytes(prev.begin(), prev.end())})
        .status();
  }));
  // The chain is consistent again; only the signed checkpoint covering
  // entry 3 remembers the old hash.
  ExpectAuditBad(VerifyAudit(d), checkpoint_seqs_[0],
                 "an entry from 3 to " + std::to_string(checkpoint_seqs_[0]) + " was changed");
}

TEST_F(AuditCliTest, ADeletedEntryIsFound) {
  const Deployment d = CopyOfPristine("deleted");
  ASSERT_NO_FATAL_FAILURE(d.Tamper([](store::Transaction& tx) {
    return tx.Execute("DELETE FROM audit_log WHERE seq = 4").status();
  }));
  ExpectAuditBad(VerifyAudit(d), 4, "entry 4 is missing");
}

TEST_F(AuditCliTest, ReorderedEntriesAreFound) {
  const Deployment d = CopyOfPristine("reordered");
  // Entries 3 and 4 swap places: each keeps its content (and hashes) but
  // takes the other's seq.
  ASSERT_NO_FATAL_FAILURE(d.Tamper([](store::Transaction& tx) -> Status {
    CITYCODE_ASSIGN_OR_RETURN(
        std::vector<store::Row> rows,
        tx.Query("SELECT seq, at, action, actor, subject, object, detail, prev_hash, hash "
                 "FROM audit_log WHERE seq IN (3, 4) ORDER BY seq"));
    if (rows.size() != 2) return Internal("entries 3 and 4 are not there");
    for (std::size_t i = 0; i < 2; ++i) {
      const store::Row& other = rows[1 - i];
      CITYCODE_RETURN_IF_ERROR(
          tx.Execute("UPDATE audit_log SET at = ?, action = ?, actor = ?, subject = ?, "
                     "object = ?, detail = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                     {other[1], other[2], other[3], other[4], other[5], other[6], other[7],
                      other[8], rows[i][0]})
              .status());
    }
    return OkStatus();
  }));
  // The swap really happened: entry 3 now carries 4's link.
  const auto rows = d.Query("SELECT prev_hash FROM audit_log WHERE seq = 3");
  const auto old3 = pristine_.Query("SELECT hash FROM audit_log WHERE seq = 3");
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(old3.size(), 1u);
  ASSERT_EQ(rows[0].Blob(0), old3[0].Blob(0));
  ExpectAuditBad(VerifyAudit(d), 3, "entry 3 does not follow entry 2");
}

// Cutting off the newest entries (back past the latest checkpoint) together
// with the database's checkpoints, and moving the head back to match,
// leaves a database that is consistent in itself. Only the checkpoint file,
// kept outside the database, still knows the log was longer.
class CutOffTest : public AuditCliTest {
 protected:
  Deployment CutOff(const std::string& name) {
    const Deployment d = CopyOfPristine(name);
    const std::int64_t keep = cut_;
    d.Tamper([keep](store::Transaction& tx) -> Status {
      CITYCODE_ASSIGN_OR_RETURN(store::Row row,
                                tx.QueryOne("SELECT hash FROM audit_log WHERE seq = ?", {keep}));
      CITYCODE_RETURN_IF_ERROR(tx.Execute("DELETE FROM audit_log WHERE seq > ?", {keep}).status());
      CITYCODE_RETURN_IF_ERROR(
          tx.Execute("DELETE FROM audit_checkpoints WHERE seq > ?", {keep}).status());
      return tx.Execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", {keep, row.Blob(0)})
          .status();
    });
    EXPECT_EQ(d.Count("SELECT COUNT(*) FROM audit_log"), keep);
    EXPECT_EQ(d.Count("SELECT COUNT(*) FROM audit_checkpoints"), 2);  // at 2 and 5
    return d;
  }

  // Between the two checkpoints: the first stays, the second goes.
  std::int64_t cut_ = 0;
  void SetUp() override {
    AuditCliTest::SetUp();
    cut_ = checkpoint_seqs_[0] + 1;
  }
};

TEST_F(CutOffTest, IsFoundThroughTheCheckpointFile) {
  const Deployment d = CutOff("cut-with-file");
  ExpectAuditBad(VerifyAudit(d), cut_ + 1,
                 "entries after " + std::to_string(cut_) + " are missing: checkpoint at " +
                     std::to_string(checkpoint_seqs_[1]) + " (checkpoint file line 3)");
}

TEST_F(CutOffTest, GoesUnnoticedWithoutTheCheckpointFile) {
  const Deployment d = CutOff("cut-without-file");
  // With --checkpoints "" the verifier has only the database, which the
  // attacker rewrote consistently: this is why the file must be kept (on
  // other storage) and given to `audit verify`.
  const AuditReport report = VerifyAudit(d, {"--checkpoints", ""});
  ExpectAuditOk(report);
  EXPECT_EQ(report.result, (json{{"ok", true}, {"entries", cut_}, {"checkpoints", 2}}))
      << Describe(report.run);
}

// ---------------------------------------------------------------------------
// Bad usage and input

TEST_F(VaultCliTest, AMissingImportFileIsAUsageError) {
  const RunResult r = pristine_.Import(Path("missing.jsonl"), 1000);
  ExpectUsageError(r, "cannot open " + Path("missing.jsonl").string());
  EXPECT_FALSE(fs::exists(pristine_.db_file())) << "a database was created for nothing";
}

TEST_F(VaultCliTest, AnUnknownAuditHashIsAUsageError) {
  ExpectUsageError(pristine_.AuditVerify({"--hash", "md5"}), "--hash must be sha256 or sm3");
  ExpectUsageError(pristine_.Run("audit", "checkpoint", {"--hash", "md5"}),
                   "--hash must be sha256 or sm3");
}

TEST_F(VaultCliTest, OtherBadImportsAreUsageErrors) {
  ASSERT_NO_FATAL_FAILURE(SetUpIssuer(pristine_));
  const fs::path certs = Path("certs.jsonl");
  ASSERT_NO_FATAL_FAILURE(Generate(certs, 10));
  // --batch out of range: refused before anything is read.
  const RunResult zero = pristine_.Import(certs, 0);
  EXPECT_EQ(zero.exit_code, 2) << Describe(zero);
  EXPECT_EQ(zero.out, "") << Describe(zero);
  EXPECT_THAT(zero.err, StartsWith("citycode: ")) << Describe(zero);
  EXPECT_EQ(pristine_.Count("SELECT COUNT(*) FROM vault_certificates"), 0);
  // A bad issuer code for generate.
  ExpectUsageError(RunCitycode({"vault", "generate", "--out", Path("x.jsonl").string(), "--key",
                                key_pem_.string(), "--issuer-code", "123"}),
                   "--issuer-code must be an 18-character credit code");
}

// `admin`, `vault` and `audit` read the same citycode.toml as serve: here
// its database, keyring, audit hash and checkpoint file, none of them the
// defaults.
TEST_F(VaultCliTest, CommandsReadTheConfigFileAsServeDoes) {
  const fs::path config = Path("citycode.toml");
  const fs::path checkpoints = Path("from-config.jsonl");
  std::ofstream(config) << "[database]\nurl = \"" << pristine_.db_url() << "\"\n"
                        << "[keys]\nkeyring = \"" << pristine_.keyring().string() << "\"\n"
                        << "[vault]\naudit_hash = \"sm3\"\ncheckpoint_file = \""
                        << checkpoints.string() << "\"\n";
  const RunResult org = RunCitycode({"admin", "--config", config.string(), "org", "create",
                                     "--name", "即墨区行政审批服务局", "--kind", "issuing_agency"});
  ASSERT_EQ(org.exit_code, 0) << Describe(org);
  EXPECT_TRUE(fs::exists(pristine_.db_file()));
  EXPECT_TRUE(fs::exists(pristine_.keyring()));
  auto key = crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  WriteText(Path("pub.pem"), key->public_key().ToPem());
  // An audited write, checkpointed into the configured file.
  const RunResult registered =
      RunCitycode({"vault", "register-issuer", "--config", config.string(), "--org",
                   StdoutJson(org)["id"], "--credit-code", kCreditCode, "--name",
                   "即墨区行政审批服务局", "--public-key", Path("pub.pem").string()});
  ASSERT_EQ(registered.exit_code, 0) << Describe(registered);
  EXPECT_GT(fs::file_size(checkpoints), 0u);
  EXPECT_FALSE(fs::exists(pristine_.checkpoints()));
  // The log was chained with SM3: it verifies as configured, not as SHA-256.
  const RunResult as_configured = RunCitycode({"audit", "verify", "--config", config.string()});
  EXPECT_EQ(as_configured.exit_code, 0) << Describe(as_configured);
  const RunResult as_sha256 =
      RunCitycode({"audit", "verify", "--config", config.string(), "--hash", "sha256"});
  EXPECT_EQ(as_sha256.exit_code, 1) << Describe(as_sha256);
}

// A configuration that does not name a checkpoint file keeps them beside
// its keyring, as the command line's defaults do, not in the working
// directory.
TEST_F(VaultCliTest, CheckpointsStayBesideTheConfiguredKeyring) {
  const fs::path config = Path("citycode.toml");
  std::ofstream(config) << "[database]\nurl = \"" << pristine_.db_url() << "\"\n"
                        << "[keys]\nkeyring = \"" << pristine_.keyring().string() << "\"\n";
  const RunResult org = RunCitycode({"admin", "--config", config.string(), "org", "create",
                                     "--name", "即墨区行政审批服务局", "--kind", "issuing_agency"});
  ASSERT_EQ(org.exit_code, 0) << Describe(org);
  const RunResult checkpoint = RunCitycode({"audit", "checkpoint", "--config", config.string()});
  ASSERT_EQ(checkpoint.exit_code, 0) << Describe(checkpoint);
  EXPECT_GT(fs::file_size(pristine_.dir / "citycode.audit-checkpoints.jsonl"), 0u);
  EXPECT_FALSE(fs::exists(fs::current_path() / "citycode.audit-checkpoints.jsonl"));
}

}  // namespace
}  // namespace citycode
