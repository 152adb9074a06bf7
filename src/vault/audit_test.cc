#include "vault/audit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_databases.h"

namespace citycode::vault {
namespace {

using ::citycode::testing::StatusIs;

using std::chrono::seconds;

const Instant kStart = FromUnixSeconds(1'786'000'000);  // 2026-08-06

AuditEvent Event(int i) {
  return {.action = i % 2 == 0 ? "certificate.fetch" : "consent.grant",
          .actor = "org_" + std::to_string(i % 4),
          .subject = "cit_" + std::to_string(i % 3),
          .object = "cert_" + std::to_string(i),
          .detail = R"({"i":)" + std::to_string(i) + "}"};
}

store::Value Blob(ByteView v) { return Bytes(v.begin(), v.end()); }

class AuditTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const store::Migration migrations[] = {AuditLogMigration()};
    Status migrated = db().Migrate(migrations);
    ASSERT_TRUE(migrated.ok()) << migrated.ToString();
    dir_ = std::make_unique<testing::TempDir>("citycode-audit");
    OpenLog(AuditHash::kSha256);
  }

  void OpenLog(AuditHash hash) {
    hash_ = hash;
    log_ = std::make_unique<AuditLog>(db(), clock_, key_,
                                      AuditOptions{.hash = hash, .checkpoint_file = file()});
  }

  std::filesystem::path file() const { return dir_->path() / "checkpoints.jsonl"; }

  // Appends events first..last, one committed transaction each, a second apart.
  void AppendRange(int first, int last) {
    for (int i = first; i <= last; ++i) {
      std::int64_t seq = 0;
      Status status = store::RunInTransaction(
          db(), store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
            CITYCODE_ASSIGN_OR_RETURN(seq, log_->Append(tx, Event(i)));
            return OkStatus();
          });
      ASSERT_TRUE(status.ok()) << status.ToString();
      ASSERT_EQ(seq, i);
      clock_.Advance(seconds(1));
    }
  }

  // The standard log: 50 entries, checkpoints at 20 and 40.
  void MakeLog() {
    AppendRange(1, 20);
    auto first = log_->WriteCheckpoint();
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    ASSERT_EQ(first->seq, 20);
    AppendRange(21, 40);
    auto second = log_->WriteCheckpoint();
    ASSERT_TRUE(second.ok()) << second.status().ToString();
    ASSERT_EQ(second->seq, 40);
    AppendRange(41, 50);
  }

  AuditVerifyReport Verify(bool with_file = true) {
    auto report = VerifyAuditLog(db(), key_.public_key(), hash_,
                                 with_file ? std::optional(file()) : std::nullopt);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : AuditVerifyReport{};
  }

  void Exec(std::string_view sql, std::initializer_list<store::Value> params = {}) {
    Status status = store::RunInTransaction(
        db(), store::TransactionMode::kWrite,
        [&](store::Transaction& tx) { return tx.Execute(sql, params).status(); });
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  std::vector<store::Row> Rows(std::string_view sql) {
    auto tx = db().Begin(store::TransactionMode::kRead);
    EXPECT_TRUE(tx.ok());
    auto rows = (*tx)->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<store::Row>{};
  }

  Bytes HashOf(std::int64_t seq) {
    auto rows = Rows("SELECT hash FROM audit_log WHERE seq = " + std::to_string(seq));
    EXPECT_EQ(rows.size(), 1u);
    return rows.empty() ? Bytes{} : rows[0].Blob(0);
  }

  // What an attacker with database access does after changing an entry:
  // recompute every hash from `from` on, and the head.
  void RechainFrom(std::int64_t from) {
    crypto::Digest prev{};
    for (const store::Row& row :
         Rows("SELECT seq, at, action, actor, subject, object, detail, prev_hash, hash "
              "FROM audit_log ORDER BY seq")) {
      AuditEntry entry{.seq = row.Int(0),
                       .at = FromUnixSeconds(row.Int(1)),
                       .event = {row.Text(2), row.Text(3), row.Text(4), row.Text(5), row.Text(6)}};
      const crypto::Digest hash = AuditEntryHash(hash_, prev, entry);
      if (entry.seq >= from) {
        Exec("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?",
             {Blob(prev), Blob(hash), entry.seq});
      }
      prev = hash;
    }
    Exec("UPDATE audit_head SET hash = ? WHERE id = 1", {Blob(prev)});
  }

  std::vector<std::string> FileLines() {
    std::ifstream in(file());
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  void AppendToFile(std::string_view text) {
    std::ofstream out(file(), std::ios::app);
    out << text;
  }

  ManualClock clock_{kStart};
  const crypto::PrivateKey key_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  AuditHash hash_ = AuditHash::kSha256;
  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<AuditLog> log_;
};

void ExpectBad(const AuditVerifyReport& report, std::optional<std::int64_t> seq,
               std::string_view problem_part) {
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, seq) << report.problem;
  EXPECT_NE(report.problem.find(problem_part), std::string::npos) << report.problem;
}

TEST_P(AuditTest, ACleanLogVerifies) {
  MakeLog();
  const AuditVerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 50);
  EXPECT_EQ(report.checkpoints, 4);  // two in the database, two in the file
  EXPECT_EQ(report.first_bad_seq, std::nullopt);
  EXPECT_EQ(FileLines().size(), 2u);
}

TEST_P(AuditTest, AnEmptyLogVerifiesAndCheckpointsAtZero) {
  EXPECT_TRUE(Verify().ok);
  EXPECT_THAT(log_->LatestCheckpoint(), StatusIs(StatusCode::kNotFound, "not_found"));
  auto checkpoint = log_->WriteCheckpoint();
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().ToString();
  EXPECT_EQ(checkpoint->seq, 0);
  EXPECT_EQ(checkpoint->hash, crypto::Digest{});
  EXPECT_TRUE(Verify().ok);
}

TEST_P(AuditTest, ACheckpointIsWrittenOncePerHead) {
  AppendRange(1, 3);
  auto first = log_->WriteCheckpoint();
  ASSERT_TRUE(first.ok());
  clock_.Advance(seconds(60));
  auto again = log_->WriteCheckpoint();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ToUnixSeconds(again->at), ToUnixSeconds(first->at));
  EXPECT_EQ(again->signature, first->signature);
  EXPECT_EQ(FileLines().size(), 1u);
  EXPECT_EQ(std::filesystem::status(file()).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  auto latest = log_->LatestCheckpoint();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->seq, 3);
  EXPECT_EQ(latest->key_id, key_.public_key().key_id());
  EXPECT_TRUE(VerifyCheckpointSignature(*latest, key_.public_key()));
  EXPECT_EQ(FileLines()[0], CheckpointToJson(*latest));
}

TEST_P(AuditTest, ListsASubjectsHistoryNewestFirst) {
  AppendRange(1, 10);
  auto entries = log_->ListBySubject("cit_1", 2);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].seq, 10);
  EXPECT_EQ((*entries)[1].seq, 7);
  EXPECT_EQ((*entries)[0].event.object, "cert_10");
  EXPECT_EQ(ToUnixSeconds((*entries)[0].at), ToUnixSeconds(kStart) + 9);
  EXPECT_EQ((*entries)[0].prev_hash, (*log_->ListBySubject("cit_0", 1))[0].hash);  // entry 9

  EXPECT_THAT(log_->ListBySubject("", 5),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(log_->ListBySubject("cit_1", 0),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(log_->ListBySubject("cit_1", AuditLog::kMaxListLimit + 1),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_TRUE(log_->ListBySubject("nobody", 5)->empty());
}

TEST_P(AuditTest, RefusesOversizedOrNonTextFields) {
  auto append = [&](AuditEvent event) {
    Result<std::int64_t> seq = Internal("not run");
    Status status =
        store::RunInTransaction(db(), store::TransactionMode::kWrite, [&](store::Transaction& tx) {
          seq = log_->Append(tx, event);
          return seq.status();
        });
    return status.code();
  };
  AuditEvent event = Event(1);
  event.detail = std::string(kAuditDetailMaxBytes, 'x');
  EXPECT_EQ(append(event), StatusCode::kOk);
  event.detail += "x";
  EXPECT_EQ(append(event), StatusCode::kInvalidArgument);
  event = Event(1);
  event.actor = std::string(kAuditFieldMaxBytes + 1, 'a');
  EXPECT_EQ(append(event), StatusCode::kInvalidArgument);
  event = Event(1);
  event.action = "";
  EXPECT_EQ(append(event), StatusCode::kInvalidArgument);
  event = Event(1);
  event.object = std::string("a\0b", 3);
  EXPECT_EQ(append(event), StatusCode::kInvalidArgument);
  event.object = "\xC0\xAF";  // overlong '/'
  EXPECT_EQ(append(event), StatusCode::kInvalidArgument);
  event.object = "证照";
  EXPECT_EQ(append(event), StatusCode::kOk);
  const AuditVerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 2);
}

TEST_P(AuditTest, AnEditedEntryIsFound) {
  MakeLog();
  Exec("UPDATE audit_log SET detail = ? WHERE seq = 17", {std::string(R"({"i":99})")});
  ExpectBad(Verify(), 17, "entry 17 does not match its hash");
}

TEST_P(AuditTest, AnEditedActorIsFound) {
  MakeLog();
  Exec("UPDATE audit_log SET actor = 'org_other' WHERE seq = 45");
  ExpectBad(Verify(), 45, "entry 45 does not match its hash");
}

TEST_P(AuditTest, ADeletedEntryIsFound) {
  MakeLog();
  Exec("DELETE FROM audit_log WHERE seq = 33");
  ExpectBad(Verify(), 33, "entry 33 is missing");
}

TEST_P(AuditTest, SwappedEntriesAreFound) {
  MakeLog();
  // Move row 12's content to seq 1000 and back, swapping it with row 25's.
  Exec("UPDATE audit_log SET seq = 1000 WHERE seq = 12");
  Exec("UPDATE audit_log SET seq = 12 WHERE seq = 25");
  Exec("UPDATE audit_log SET seq = 25 WHERE seq = 1000");
  ExpectBad(Verify(), 12, "entry 12 does not follow entry 11");
}

TEST_P(AuditTest, SwappedContentIsFound) {
  MakeLog();
  // Only the events change places; the hashes stay where they were.
  Exec(
      "UPDATE audit_log SET actor = CASE seq WHEN 12 THEN 'org_1' ELSE 'org_0' END, "
      "object = CASE seq WHEN 12 THEN 'cert_13' ELSE 'cert_12' END, "
      "detail = CASE seq WHEN 12 THEN '{\"i\":13}' ELSE '{\"i\":12}' END, "
      "action = CASE seq WHEN 12 THEN 'consent.grant' ELSE 'certificate.fetch' END, "
      "subject = CASE seq WHEN 12 THEN 'cit_1' ELSE 'cit_0' END "
      "WHERE seq IN (12, 13)");
  ExpectBad(Verify(), 12, "entry 12 does not match its hash");
}

TEST_P(AuditTest, AForgedEntryAtTheEndIsFound) {
  MakeLog();
  const Bytes made_up(32, 0xAB);
  Exec(
      "INSERT INTO audit_log (seq, at, action, actor, subject, object, detail, prev_hash, hash) "
      "VALUES (51, 1786000100, 'certificate.fetch', 'org_1', 'cit_1', 'cert_x', '{}', ?, ?)",
      {HashOf(50), made_up});
  ExpectBad(Verify(), 51, "entry 51 does not match its hash");
}

TEST_P(AuditTest, AForgedEntryWithAValidHashButNoHeadIsFound) {
  MakeLog();
  AuditEntry forged{.seq = 51, .at = kStart, .event = Event(51)};
  crypto::Digest prev;
  const Bytes prev_bytes = HashOf(50);
  std::copy(prev_bytes.begin(), prev_bytes.end(), prev.begin());
  const crypto::Digest hash = AuditEntryHash(hash_, prev, forged);
  Exec(
      "INSERT INTO audit_log (seq, at, action, actor, subject, object, detail, prev_hash, hash) "
      "VALUES (51, ?, 'x', '', '', '', '', ?, ?)",
      {ToUnixSeconds(kStart), Blob(prev), Blob(hash)});
  // The made-up row does not even hash right ("x" is not Event(51).action).
  ExpectBad(Verify(), 51, "does not match its hash");
  Exec(
      "UPDATE audit_log SET action = ?, actor = ?, subject = ?, object = ?, detail = ? "
      "WHERE seq = 51",
      {forged.event.action, forged.event.actor, forged.event.subject, forged.event.object,
       forged.event.detail});
  ExpectBad(Verify(), 51, "entry 51 is beyond the head (50)");
}

TEST_P(AuditTest, ARechainedEditIsFoundByTheCheckpointCoveringIt) {
  MakeLog();
  Exec("UPDATE audit_log SET actor = 'org_other' WHERE seq = 25");
  RechainFrom(25);
  // The chain itself is consistent again; only the signed checkpoint at 40
  // remembers the old hash.
  ExpectBad(Verify(), 40, "an entry from 21 to 40 was changed");
  ExpectBad(Verify(/*with_file=*/false), 40, "entry 40 does not match the signed checkpoint");
}

TEST_P(AuditTest, CuttingOffTheNewestEntriesAndCheckpointsIsFoundThroughTheFile) {
  MakeLog();
  const Bytes hash30 = HashOf(30);
  Exec("DELETE FROM audit_log WHERE seq > 30");
  Exec("DELETE FROM audit_checkpoints WHERE seq > 30");
  Exec("UPDATE audit_head SET seq = 30, hash = ? WHERE id = 1", {hash30});
  // The database alone looks like a clean log of 30 entries …
  const AuditVerifyReport without_file = Verify(/*with_file=*/false);
  EXPECT_TRUE(without_file.ok) << without_file.problem;
  EXPECT_EQ(without_file.entries, 30);
  // … but the file kept the checkpoint at 40.
  ExpectBad(Verify(), 31,
            "entries after 30 are missing: checkpoint at 40 (checkpoint file line 2)");
}

TEST_P(AuditTest, CuttingOffEntriesWithoutTheHeadIsFound) {
  MakeLog();
  Exec("DELETE FROM audit_log WHERE seq > 45");
  ExpectBad(Verify(), 46, "entries after 45 are missing: the head is at 50");
}

TEST_P(AuditTest, AForgedCheckpointSignatureIsFound) {
  MakeLog();
  Exec("UPDATE audit_checkpoints SET signature = ? WHERE seq = 20", {Bytes(64, 0x5A)});
  ExpectBad(Verify(), 20, "checkpoint at 20 has a bad signature");
}

TEST_P(AuditTest, ACheckpointSignedByAnotherKeyIsFound) {
  MakeLog();
  // The attacker rechains after an edit and signs the new head themself.
  Exec("UPDATE audit_log SET detail = '{}' WHERE seq = 45");
  RechainFrom(45);
  const auto other = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  AuditLog forger(db(), clock_, other, {.hash = hash_});
  ASSERT_TRUE(forger.WriteCheckpoint().ok());
  ExpectBad(Verify(), 50, "checkpoint at 50 is not signed by the given key");
}

TEST_P(AuditTest, AForgedCheckpointFileLineIsFound) {
  MakeLog();
  auto checkpoint = CheckpointFromJson(FileLines()[0]);
  ASSERT_TRUE(checkpoint.ok());
  checkpoint->seq = 30;  // the signature covered 20
  AppendToFile(CheckpointToJson(*checkpoint) + "\n");
  ExpectBad(Verify(), 30, "checkpoint at 30 (checkpoint file line 3) has a bad signature");
}

TEST_P(AuditTest, AMalformedCheckpointFileLineIsFound) {
  MakeLog();
  AppendToFile("{\"seq\":41}\n");
  ExpectBad(Verify(), std::nullopt, "checkpoint file line 3");
}

TEST_P(AuditTest, ATornOrOverlongCheckpointFileLineIsFound) {
  MakeLog();
  AppendToFile(std::string(5000, ' ') + "\n");
  ExpectBad(Verify(), std::nullopt, "checkpoint file line 3 is longer than 4096 bytes");
}

TEST_P(AuditTest, ATornLastCheckpointFileLineIsFound) {
  MakeLog();
  AppendToFile(R"({"seq":50,"at":)");
  ExpectBad(Verify(), std::nullopt, "checkpoint file line 3 is incomplete");
}

TEST_P(AuditTest, AMissingCheckpointFileIsFound) {
  MakeLog();
  std::filesystem::remove(file());
  ExpectBad(Verify(), std::nullopt, "does not exist");
}

TEST_P(AuditTest, Sm3ChainsVerifyWithSm3Only) {
  OpenLog(AuditHash::kSm3);
  MakeLog();
  const AuditVerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 50);
  auto as_sha256 = VerifyAuditLog(db(), key_.public_key(), AuditHash::kSha256, file());
  ASSERT_TRUE(as_sha256.ok());
  ExpectBad(*as_sha256, 1, "entry 1 does not match its hash");

  Exec("UPDATE audit_log SET object = 'cert_x' WHERE seq = 8");
  ExpectBad(Verify(), 8, "entry 8 does not match its hash");
}

TEST_P(AuditTest, ARolledBackAppendLeavesNoEntryAndNoGap) {
  AppendRange(1, 2);
  {
    auto tx = db().Begin(store::TransactionMode::kWrite);
    ASSERT_TRUE(tx.ok());
    auto seq = log_->Append(**tx, Event(3));
    ASSERT_TRUE(seq.ok()) << seq.status().ToString();
    EXPECT_EQ(*seq, 3);
    (*tx)->Rollback();
  }
  AppendRange(3, 4);  // seqs 3 and 4 again
  const AuditVerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 4);
}

TEST_P(AuditTest, ConcurrentAppendsMakeOneGaplessChain) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  std::vector<Status> failures(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Status status = store::RunInTransaction(
            db(), store::TransactionMode::kWrite, [&](store::Transaction& tx) {
              return log_
                  ->Append(tx, {.action = "certificate.fetch",
                                .actor = "terminal_" + std::to_string(t),
                                .subject = "cit_" + std::to_string(t),
                                .object = "cert_" + std::to_string(i)})
                  .status();
            });
        if (!status.ok()) {
          failures[t] = status;
          return;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const Status& failure : failures) EXPECT_TRUE(failure.ok()) << failure.ToString();
  ASSERT_TRUE(log_->WriteCheckpoint().ok());
  const AuditVerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    auto entries = log_->ListBySubject("cit_" + std::to_string(t), 100);
    ASSERT_TRUE(entries.ok());
    EXPECT_EQ(entries->size(), static_cast<std::size_t>(kPerThread));
  }
}

TEST_P(AuditTest, LongLogsVerifyAcrossPages) {
  // One transaction for speed; 2500 entries span three verification pages.
  Status status =
      store::RunInTransaction(db(), store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        for (int i = 1; i <= 2500; ++i) {
          CITYCODE_RETURN_IF_ERROR(log_->Append(tx, Event(i)).status());
        }
        return OkStatus();
      });
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_TRUE(log_->WriteCheckpoint().ok());
  const AuditVerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 2500);
  Exec("DELETE FROM audit_log WHERE seq = 2001");
  ExpectBad(Verify(), 2001, "entry 2001 is missing");
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

TEST(AuditCheckpointJsonTest, RoundTrips) {
  const auto key = *crypto::PrivateKey::Generate(crypto::Algorithm::kSm2);
  AuditCheckpoint checkpoint{.seq = 42, .at = kStart, .key_id = key.public_key().key_id()};
  checkpoint.hash.fill(0x11);
  checkpoint.signature =
      *key.Sign(AuditCheckpointMessage(checkpoint.seq, checkpoint.at, checkpoint.hash));
  const std::string json = CheckpointToJson(checkpoint);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  auto parsed = CheckpointFromJson(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->seq, 42);
  EXPECT_EQ(parsed->at, kStart);
  EXPECT_EQ(parsed->hash, checkpoint.hash);
  EXPECT_EQ(parsed->key_id, checkpoint.key_id);
  EXPECT_EQ(parsed->signature, checkpoint.signature);
  EXPECT_TRUE(VerifyCheckpointSignature(*parsed, key.public_key()));
  parsed->at += seconds(1);
  EXPECT_FALSE(VerifyCheckpointSignature(*parsed, key.public_key()));
}

TEST(AuditCheckpointJsonTest, RefusesMalformedCheckpoints) {
  const std::string hash(64, 'a');
  const std::string kid(16, 'b');
  const std::string sig = Base64UrlEncode(Bytes(64, 1));
  auto code = [](const std::string& json) { return CheckpointFromJson(json).status().code(); };
  auto make = [&](std::string seq, std::string h, std::string k, std::string s) {
    return R"({"seq":)" + seq + R"(,"at":1,"hash":")" + h + R"(","key_id":")" + k +
           R"(","signature":")" + s + R"("})";
  };
  EXPECT_EQ(code(make("1", hash, kid, sig)), StatusCode::kOk);
  EXPECT_EQ(code(make("-1", hash, kid, sig)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(make("1.5", hash, kid, sig)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(make("\"1\"", hash, kid, sig)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(make("18446744073709551615", hash, kid, sig)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(make("1", hash + "aa", kid, sig)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(make("1", hash, kid.substr(2), sig)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(make("1", hash, kid, sig + "AA")), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("[]"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("{"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(std::string(5000, ' ')), StatusCode::kInvalidArgument);
}

TEST(AuditEntryHashTest, FieldBoundariesMatter) {
  AuditEntry a{.seq = 1, .at = kStart, .event = {"ab", "c", "", "", ""}};
  AuditEntry b{.seq = 1, .at = kStart, .event = {"a", "bc", "", "", ""}};
  EXPECT_NE(AuditEntryHash(AuditHash::kSha256, {}, a), AuditEntryHash(AuditHash::kSha256, {}, b));
  EXPECT_NE(AuditEntryHash(AuditHash::kSha256, {}, a), AuditEntryHash(AuditHash::kSm3, {}, a));
}

}  // namespace
}  // namespace citycode::vault
