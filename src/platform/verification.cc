// Online verification: the offline verifier's checks, then city-wide replay
// detection and revocation from the store, recorded as one event.
#include "platform/verification.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>

#include "crypto/hash.h"
#include "crypto/random.h"
#include "platform/internal/core.h"
#include "store/many_rows.h"

namespace citycode::platform {
namespace {

// (cti, t, n) — DESIGN.md's replay key — hashed to a fixed-size row key.
Bytes ReplayKey(const code::VerificationResult& result) {
  Bytes input(result.credential_id.begin(), result.credential_id.end());
  for (std::uint64_t v :
       {static_cast<std::uint64_t>(ToUnixSeconds(result.made_at)), result.counter}) {
    for (int shift = 56; shift >= 0; shift -= 8) input.push_back(std::uint8_t(v >> shift));
  }
  const auto digest = crypto::Sha256(input);
  return Bytes(digest.begin(), digest.begin() + 16);
}

// Records a live code's presentation as seen; false if it was seen before.
Result<bool> FirstSeen(store::Transaction& tx, const Bytes& replay_key, Instant expires_at) {
  const store::Value seen[] = {Blob(replay_key), Time(expires_at)};
  CITYCODE_ASSIGN_OR_RETURN(auto inserted,
                            tx.Execute("INSERT INTO presentations_seen (replay_key, expires_at) "
                                       "VALUES (?, ?) ON CONFLICT (replay_key) DO NOTHING",
                                       seen));
  return inserted == 1;
}

// Whether a credential revoked at `revoked_at` is refused for a code shown
// live (`scanned_at` empty) or scanned at `scanned_at` and uploaded `now`: a
// scan from before the revocation counts only if it is uploaded within
// `grace` of it, so a lost phone's key cannot backdate rides later.
bool RevokedFor(Instant revoked_at, std::optional<Instant> scanned_at, Instant now,
                std::chrono::seconds grace) {
  if (!scanned_at || revoked_at <= *scanned_at) return true;
  return now > revoked_at + grace;
}

// The guardian whose phone holds the credential's device.
Result<std::string> GuardianOf(store::Transaction& tx, const code::CredentialId& credential_id) {
  const store::Value cti[] = {Blob(credential_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto row, tx.QueryOptional("SELECT d.guardian_id FROM credentials c "
                                                       "JOIN devices d ON d.id = c.device_id "
                                                       "WHERE c.id = ?",
                                                       cti));
  return row ? row->OptionalText(0).value_or("") : std::string();
}

void Refuse(code::VerificationResult& result, code::Reason reason) {
  result.valid = false;
  result.reason = reason;
}

// A printed card's online use: only where cards are accepted online, and
// at most `limit` times in any 24 hours. Counted in the verification's
// transaction; the credential's row is written first, so two servers
// counting one card's uses at once take turns.
Status CheckCardUse(store::Transaction& tx, code::VerificationResult& verdict,
                    const Principal& terminal, std::string_view verification_id, Instant now,
                    int limit) {
  if (!platform::CardAcceptedOnline(*terminal.scene)) {
    Refuse(verdict, code::Reason::kSceneNotAllowed);
    return OkStatus();
  }
  const store::Value cti[] = {Blob(verdict.credential_id)};
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("UPDATE credentials SET expires_at = expires_at WHERE id = ?", cti).status());
  const store::Value window[] = {Blob(verdict.credential_id), Time(now - std::chrono::hours(24))};
  CITYCODE_ASSIGN_OR_RETURN(
      auto used,
      tx.QueryOne("SELECT COUNT(*) FROM card_uses WHERE credential_id = ? AND at > ?", window));
  if (used.Int(0) >= limit) {
    Refuse(verdict, code::Reason::kCardUseLimit);
    return OkStatus();
  }
  const store::Value use[] = {Text(verification_id), Blob(verdict.credential_id), Time(now)};
  return tx
      .Execute("INSERT INTO card_uses (verification_id, credential_id, at) VALUES (?, ?, ?)", use)
      .status();
}

// How long a presentation's replay record is kept: as long as a scan of
// its time could still be verified, live or uploaded.
std::chrono::seconds ReplayHorizon(const PlatformOptions& options) {
  return options.verifier.window + options.verifier.max_future + options.max_scan_age;
}

// A refused code names nobody to the scenes.
void ForgetHolder(OnlineVerification& verification) {
  verification.citizen_id.clear();
  verification.guardian_id.clear();
  verification.identity_verified = false;
}

// The stored credentials among `ids`: revoked_at (or null), citizen, and
// the citizen's identity if verified (or null).
Result<std::map<Bytes, store::Row>> FindCredentials(store::Transaction& tx,
                                                    const std::vector<Bytes>& ids) {
  std::map<Bytes, store::Row> out;
  for (std::size_t first = 0; first < ids.size(); first += store::kRowsPerStatement) {
    const std::size_t n = std::min(store::kRowsPerStatement, ids.size() - first);
    std::vector<store::Value> params;
    for (std::size_t i = first; i < first + n; ++i) params.push_back(Blob(ids[i]));
    CITYCODE_ASSIGN_OR_RETURN(
        auto rows, tx.Query("SELECT c.id, c.revoked_at, c.citizen_id, i.id FROM credentials c LEFT "
                            "JOIN identities i ON i.citizen_id = c.citizen_id WHERE c.id IN (" +
                                store::Marks(n) + ")",
                            params));
    for (store::Row& row : rows) out.emplace(row.Blob(0), std::move(row));
  }
  return out;
}

// Of the replay keys `keys` (with their expiries and scans), those not seen
// before (`now`: inserted now) and those stored by the same scan (`again`:
// an upload re-sent after its taps were lost, whose codes were recorded).
struct SeenKeys {
  std::set<Bytes> now, again;
};
Result<SeenKeys> FirstSeenAll(store::Transaction& tx, const std::vector<Bytes>& keys,
                              const std::vector<Instant>& expires_at,
                              const std::vector<std::string>& scans) {
  SeenKeys first;
  for (std::size_t begin = 0; begin < keys.size(); begin += store::kRowsPerStatement) {
    const std::size_t n = std::min(store::kRowsPerStatement, keys.size() - begin);
    std::vector<store::Value> params;
    for (std::size_t i = begin; i < begin + n; ++i) {
      params.push_back(Blob(keys[i]));
      params.push_back(Time(expires_at[i]));
      params.push_back(scans[i].empty() ? store::Value(nullptr) : Text(scans[i]));
    }
    CITYCODE_ASSIGN_OR_RETURN(
        auto inserted,
        tx.Query("INSERT INTO presentations_seen (replay_key, expires_at, scan_id) VALUES " +
                     store::Placeholders(n, 3) +
                     " ON CONFLICT (replay_key) DO NOTHING RETURNING replay_key",
                 params));
    for (const store::Row& row : inserted) first.now.insert(row.Blob(0));
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (first.now.contains(keys[i]) || scans[i].empty()) continue;
    const store::Value key[] = {Blob(keys[i])};
    CITYCODE_ASSIGN_OR_RETURN(
        auto row, tx.QueryOne("SELECT scan_id FROM presentations_seen WHERE replay_key = ?", key));
    if (row.OptionalText(0) == scans[i]) first.again.insert(keys[i]);
  }
  return first;
}

// The verification events, one statement per hundred; none for a scan
// recorded before (no verification_id).
Status InsertEvents(store::Transaction& tx, const Principal& terminal, Instant now,
                    std::span<const OnlineVerification> verified) {
  std::vector<store::Value> params;
  for (const OnlineVerification& v : verified) {
    if (v.verification_id.empty()) continue;
    const code::VerificationResult& verdict = v.result;
    const bool decoded = verdict.credential_id != code::CredentialId{};
    store::AppendRow(params, Text(v.verification_id), Time(now), Text(terminal.terminal_id),
                     Text(terminal.org_id), Text(code::SceneName(*terminal.scene)),
                     Int(verdict.valid ? 1 : 0), Text(code::ReasonName(verdict.reason)),
                     decoded ? Blob(verdict.credential_id) : store::Value(nullptr));
  }
  return store::InsertRows(tx,
                           "INSERT INTO verifications (id, at, terminal_id, org_id, scene, valid, "
                           "reason, credential_id) VALUES",
                           8, params)
      .status();
}

}  // namespace

Result<OnlineVerification> Verification::Verify(const Principal& terminal,
                                                std::string_view qr_text) {
  if (terminal.role != Role::kTerminal || !terminal.scene) {
    return PermissionDenied("only a terminal verifies codes");
  }
  // A phone's presentation, or else a printed card (its use limit is
  // applied in RecordIn).
  return core_->Record(terminal, core_->verifier->VerifyCodeOrCard(qr_text, terminal.scene));
}

Result<OnlineVerification> Verification::VerifyScanned(const Principal& terminal,
                                                       std::string_view qr_text, Instant scanned_at,
                                                       std::string_view scan_id) {
  const Scan scan[] = {{.qr_text = qr_text, .scanned_at = scanned_at, .scan_id = scan_id}};
  CITYCODE_ASSIGN_OR_RETURN(auto verified, VerifyScannedAll(terminal, scan));
  return std::move(verified.front());
}

Result<std::vector<OnlineVerification>> Verification::VerifyScannedAll(
    const Principal& terminal, std::span<const Scan> scans) {
  PlatformCore& core = *core_;
  if (terminal.role != Role::kTerminal || !terminal.scene) {
    return PermissionDenied("only a terminal verifies codes");
  }
  // The signatures before the commit: writers queue, checks need no store.
  const Instant now = core.clock.Now();
  std::vector<code::VerificationResult> checked;
  checked.reserve(scans.size());
  for (const Scan& scan : scans) {
    code::VerificationResult& result = checked.emplace_back();
    if (scan.scanned_at > now + core.options.verifier.max_future) {
      Refuse(result, code::Reason::kFromFuture);
    } else if (scan.scanned_at + core.options.max_scan_age < now) {
      Refuse(result, code::Reason::kStale);
    } else {
      result = core.verifier->VerifyScanned(scan.qr_text, terminal.scene, scan.scanned_at);
    }
  }
  std::vector<OnlineVerification> recorded;
  // The unit may run more than once (a batch retried): it starts afresh.
  CITYCODE_RETURN_IF_ERROR(core.online_commits.Run([&](store::Transaction& tx) -> Status {
    CITYCODE_ASSIGN_OR_RETURN(recorded, RecordScansIn(tx, terminal, checked, scans));
    return OkStatus();
  }));
  return recorded;
}

// RecordIn for an upload's scans, each as of its own time, with a few
// statements per hundred scans: the credentials looked up together, the
// replay records and the events inserted together. The same rules: a
// revocation counts as RevokedFor says, a code seen before (earlier in the
// upload too) is a replay unless it is the same scan, and a refused code
// names nobody.
Result<std::vector<OnlineVerification>> Verification::RecordScansIn(
    store::Transaction& tx, const Principal& terminal,
    const std::vector<code::VerificationResult>& checked, std::span<const Scan> scans) {
  const Instant now = core_->clock.Now();
  std::vector<OnlineVerification> out(checked.size());
  std::vector<std::string> names(checked.size());
  for (std::size_t i = 0; i < checked.size(); ++i) {
    // An offline scan is a presentation or refused (not_a_presentation).
    if (checked[i].valid && checked[i].card) {
      return Internal("a printed card among uploaded scans");
    }
    out[i] = {.verification_id = crypto::TimeOrderedId("ver", now), .result = checked[i]};
    if (!scans[i].scan_id.empty()) {
      names[i] = terminal.terminal_id + "#" + std::string(scans[i].scan_id);
    }
  }
  CITYCODE_RETURN_IF_ERROR(NameHolders(tx, scans, now, out));
  CITYCODE_RETURN_IF_ERROR(RefuseReplays(tx, names, out));
  for (OnlineVerification& verification : out) {
    if (!verification.result.valid) ForgetHolder(verification);
  }
  CITYCODE_RETURN_IF_ERROR(InsertEvents(tx, terminal, now, out));
  return out;
}

// The holders of the valid scans' credentials, and the refusal of those
// revoked in time (RevokedFor).
Status Verification::NameHolders(store::Transaction& tx, std::span<const Scan> scans, Instant now,
                                 std::vector<OnlineVerification>& out) {
  std::vector<Bytes> ids;
  for (const OnlineVerification& v : out) {
    if (v.result.valid)
      ids.emplace_back(v.result.credential_id.begin(), v.result.credential_id.end());
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  CITYCODE_ASSIGN_OR_RETURN(auto credentials, FindCredentials(tx, ids));
  for (std::size_t i = 0; i < out.size(); ++i) {
    code::VerificationResult& verdict = out[i].result;
    if (!verdict.valid) continue;
    const auto found =
        credentials.find(Bytes(verdict.credential_id.begin(), verdict.credential_id.end()));
    if (found == credentials.end()) continue;  // valid, but unknown here
    const store::Row& credential = found->second;
    if (!credential.IsNull(1) && RevokedFor(FromUnixSeconds(credential.Int(1)), scans[i].scanned_at,
                                            now, core_->options.revoked_upload_grace)) {
      Refuse(verdict, code::Reason::kCredentialRevoked);
      continue;
    }
    out[i].citizen_id = credential.Text(2);
    out[i].identity_verified = !credential.IsNull(3);
    if (verdict.held_by_guardian) {
      CITYCODE_ASSIGN_OR_RETURN(out[i].guardian_id, GuardianOf(tx, verdict.credential_id));
    }
  }
  return OkStatus();
}

// Refuses as replayed each valid scan whose presentation was seen before,
// in the store or earlier in the upload, unless by the same scan (`names`).
Status Verification::RefuseReplays(store::Transaction& tx, const std::vector<std::string>& names,
                                   std::vector<OnlineVerification>& out) {
  const PlatformOptions& options = core_->options;
  const auto horizon = ReplayHorizon(options);
  std::vector<Bytes> keys;
  std::vector<Instant> expiries;
  std::vector<std::string> key_scans;
  std::vector<std::size_t> key_of(out.size(), SIZE_MAX);
  std::map<Bytes, std::size_t> first_in_upload;  // replay key → the scan that showed it first
  for (std::size_t i = 0; i < out.size(); ++i) {
    code::VerificationResult& verdict = out[i].result;
    if (!verdict.valid) continue;
    Bytes key = ReplayKey(verdict);
    const auto [earlier, added] = first_in_upload.emplace(key, i);
    if (!added) {
      if (names[i].empty() || names[earlier->second] != names[i]) {
        Refuse(verdict, code::Reason::kReplayed);
      } else {
        key_of[i] = key_of[earlier->second];
      }
      continue;
    }
    key_of[i] = keys.size();
    keys.push_back(std::move(key));
    expiries.push_back(verdict.made_at + horizon);
    key_scans.push_back(names[i]);
  }
  CITYCODE_ASSIGN_OR_RETURN(SeenKeys first, FirstSeenAll(tx, keys, expiries, key_scans));
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!out[i].result.valid) continue;
    const Bytes& key = keys[key_of[i]];
    if (first.again.contains(key)) {
      out[i].verification_id.clear();  // recorded then, not again
    } else if (!first.now.contains(key)) {
      Refuse(out[i].result, code::Reason::kReplayed);
    }
  }
  return OkStatus();
}

Result<OnlineVerification> PlatformCore::Record(const Principal& terminal,
                                                code::VerificationResult result) {
  // Answered only after the commit that holds the record: a replay record
  // not stored never says valid.
  OnlineVerification out;
  CITYCODE_RETURN_IF_ERROR(online_commits.Run([&](store::Transaction& tx) -> Status {
    CITYCODE_ASSIGN_OR_RETURN(out, RecordIn(tx, terminal, result));
    return OkStatus();
  }));
  return out;
}

Result<OnlineVerification> PlatformCore::RecordIn(store::Transaction& tx, const Principal& terminal,
                                                  code::VerificationResult result) {
  const Instant now = clock.Now();
  // Time-ordered: the events' key grows at its end.
  OnlineVerification out{.verification_id = crypto::TimeOrderedId("ver", now),
                         .result = std::move(result)};
  code::VerificationResult& verdict = out.result;
  if (verdict.valid) {
    // The store knows of a revocation before any list is re-signed.
    const store::Value cti[] = {Blob(verdict.credential_id)};
    CITYCODE_ASSIGN_OR_RETURN(
        auto credential,
        tx.QueryOptional("SELECT c.revoked_at, c.citizen_id, i.id FROM credentials c LEFT JOIN "
                         "identities i ON i.citizen_id = c.citizen_id WHERE c.id = ?",
                         cti));
    if (credential && !credential->IsNull(0) &&
        RevokedFor(FromUnixSeconds(credential->Int(0)), std::nullopt, now,
                   options.revoked_upload_grace)) {
      Refuse(verdict, code::Reason::kCredentialRevoked);
    } else if (credential) {
      out.citizen_id = credential->Text(1);
      out.identity_verified = !credential->IsNull(2);
      if (verdict.held_by_guardian) {
        CITYCODE_ASSIGN_OR_RETURN(out.guardian_id, GuardianOf(tx, verdict.credential_id));
      }
    }
  }
  if (verdict.valid && verdict.card) {
    // A printed card has no (t, n) to replay: it is bounded by where it is
    // accepted and how often. Only a card verified live gets here (an
    // uploaded scan is a presentation, or refused not_a_presentation).
    CITYCODE_RETURN_IF_ERROR(
        CheckCardUse(tx, verdict, terminal, out.verification_id, now, options.card_uses_per_day));
  } else if (verdict.valid) {
    // One use per code city-wide, online or uploaded: the record lasts
    // as long as a scan of that time could still be uploaded.
    CITYCODE_ASSIGN_OR_RETURN(
        bool first, FirstSeen(tx, ReplayKey(verdict), verdict.made_at + ReplayHorizon(options)));
    if (!first) Refuse(verdict, code::Reason::kReplayed);
  }
  if (!verdict.valid) ForgetHolder(out);
  CITYCODE_RETURN_IF_ERROR(InsertEvents(tx, terminal, now, std::span(&out, 1)));
  return out;
}

Result<code::VerificationResult> Verification::Check(const Principal& terminal,
                                                     std::string_view qr_text) {
  if (terminal.role != Role::kTerminal || !terminal.scene) {
    return PermissionDenied("only a terminal verifies codes");
  }
  return core_->verifier->VerifyCodeOrCard(qr_text, terminal.scene);
}

Result<OnlineVerification> Verification::RecordIn(store::Transaction& tx, const Principal& terminal,
                                                  code::VerificationResult checked) {
  return core_->RecordIn(tx, terminal, std::move(checked));
}

Status Verification::ActionRefusal(const OnlineVerification& verification) {
  if (!verification.result.valid) {
    return PermissionDenied(
        "the code was refused: " + std::string(code::ReasonName(verification.result.reason)),
        "code_invalid");
  }
  if (verification.citizen_id.empty()) {
    return PermissionDenied("the code's credential is unknown here", "code_invalid");
  }
  return OkStatus();
}

Result<OnlineVerification> Verification::VerifyForAction(const Principal& terminal,
                                                         std::string_view qr_text) {
  CITYCODE_ASSIGN_OR_RETURN(OnlineVerification verification, Verify(terminal, qr_text));
  CITYCODE_RETURN_IF_ERROR(ActionRefusal(verification));
  return verification;
}

}  // namespace citycode::platform
