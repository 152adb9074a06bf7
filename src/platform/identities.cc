// Verified identities: online by an ID token, in person at a hall window.
#include "platform/identities.h"

#include <utility>

#include "platform/internal/core.h"

namespace citycode::platform {
namespace {

constexpr std::size_t kMaxCachedIdentities = 100'000;

std::string IdentityAad(std::string_view column, std::string_view verification_id) {
  return SealedAad("identities", column, verification_id);
}

Result<AssuranceLevel> LevelFromName(std::string_view name) {
  for (auto level : {AssuranceLevel::kOnline, AssuranceLevel::kInPerson}) {
    if (name == AssuranceLevelName(level)) return level;
  }
  return Internal("stored identity has an unknown level");
}

// How an identity check names what it did: its level, method and source.
struct Check {
  AssuranceLevel level;
  std::string_view method, source;
};

// The account's current identity row, opened; nullopt when it has none.
Result<std::optional<VerifiedIdentity>> ReadIdentity(PlatformCore& core, store::Transaction& tx,
                                                     std::string_view citizen_id) {
  const store::Value params[] = {Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx.QueryOptional("SELECT id, sealed_name, sealed_id_number, level, method, "
                                 "source, verified_at FROM identities WHERE citizen_id = ?",
                                 params));
  if (!row) return std::optional<VerifiedIdentity>();
  const std::string& id = row->Text(0);
  {
    std::lock_guard lock(core.identity_cache_mutex);
    if (auto it = core.identity_cache.find(id); it != core.identity_cache.end()) {
      return std::optional<VerifiedIdentity>(it->second);
    }
  }
  CITYCODE_ASSIGN_OR_RETURN(Bytes name,
                            core.keyring.Open(row->Blob(1), IdentityAad("sealed_name", id)));
  CITYCODE_ASSIGN_OR_RETURN(Bytes number,
                            core.keyring.Open(row->Blob(2), IdentityAad("sealed_id_number", id)));
  VerifiedIdentity identity{.verification_id = id,
                            .person = {std::string(AsChars(name)), std::string(AsChars(number))},
                            .method = row->Text(4),
                            .source = row->Text(5),
                            .verified_at = FromUnixSeconds(row->Int(6))};
  CITYCODE_ASSIGN_OR_RETURN(identity.level, LevelFromName(row->Text(3)));
  std::lock_guard lock(core.identity_cache_mutex);
  if (core.identity_cache.size() >= kMaxCachedIdentities) core.identity_cache.clear();
  core.identity_cache.emplace(id, identity);
  return std::optional<VerifiedIdentity>(std::move(identity));
}

Status LogEvent(PlatformCore& core, store::Transaction& tx, std::string_view citizen_id,
                std::string_view event, AssuranceLevel level, std::string_view method,
                std::string_view source) {
  const store::Value params[] = {Text(RandomId("idev")),
                                 Text(citizen_id),
                                 Time(core.clock.Now()),
                                 Text(event),
                                 Text(AssuranceLevelName(level)),
                                 Text(method),
                                 Text(source)};
  return tx
      .Execute(
          "INSERT INTO identity_events (id, citizen_id, at, event, level, method, source) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
          params)
      .status();
}

Status SetRiderCategory(PlatformCore& core, store::Transaction& tx, std::string_view citizen_id,
                        code::RiderCategory category) {
  const store::Value params[] = {Text(code::RiderCategoryName(category)), Time(core.clock.Now()),
                                 Text(citizen_id)};
  return tx.Execute("UPDATE citizens SET rider_category = ?, updated_at = ? WHERE id = ?", params)
      .status();
}

// The account loses its verified identity: the row goes, the event is
// logged, the fare falls back to adult, and its printed card is revoked (a
// card is issued to a verified person, cards.h). Online verification sees
// the revocation on commit; the revocation list is marked for re-signing.
Status DropIdentity(PlatformCore& core, store::Transaction& tx, const std::string& citizen_id,
                    std::string_view event, AssuranceLevel level, std::string_view method,
                    std::string_view source) {
  const store::Value params[] = {Text(citizen_id)};
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("DELETE FROM identities WHERE citizen_id = ?", params).status());
  CITYCODE_RETURN_IF_ERROR(LogEvent(core, tx, citizen_id, event, level, method, source));
  CITYCODE_RETURN_IF_ERROR(
      core.RevokeCards(tx, citizen_id, "identity_" + std::string(event)).status());
  return SetRiderCategory(core, tx, citizen_id, code::RiderCategory::kAdult);
}

// The person leaves another account that was verified as them (one account
// per person): that account is left without a verified identity.
Status TakeFromOtherAccount(PlatformCore& core, store::Transaction& tx, std::string_view citizen_id,
                            const BlindIndex& number_index, const Check& check) {
  const store::Value params[] = {Blob(number_index), Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto other,
                            tx.QueryOptional("SELECT citizen_id, level FROM identities WHERE "
                                             "id_number_index = ? AND citizen_id <> ?",
                                             params));
  if (!other) return OkStatus();
  CITYCODE_ASSIGN_OR_RETURN(AssuranceLevel level, LevelFromName(other->Text(1)));
  return DropIdentity(core, tx, other->Text(0), "moved_away", level, check.method, check.source);
}

// Makes `person` the account's verified identity at the check's level (or
// keeps a stronger one reached for the same person), in `tx`.
Status Record(PlatformCore& core, store::Transaction& tx, std::string_view citizen_id,
              const Person& person, const Check& check) {
  CITYCODE_ASSIGN_OR_RETURN(std::optional<VerifiedIdentity> current,
                            ReadIdentity(core, tx, citizen_id));
  const bool same = current && current->person.id_number == person.id_number &&
                    current->person.name == person.name;
  const AssuranceLevel level = same ? std::max(current->level, check.level) : check.level;
  const BlindIndex number_index = core.keyring.Index("verified_id_number", person.id_number);
  CITYCODE_RETURN_IF_ERROR(TakeFromOtherAccount(core, tx, citizen_id, number_index, check));
  // Another person now: the card issued to the former one goes.
  if (current && !same) {
    CITYCODE_RETURN_IF_ERROR(core.RevokeCards(tx, citizen_id, "identity_replaced").status());
  }
  const store::Value mine[] = {Text(citizen_id)};
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("DELETE FROM identities WHERE citizen_id = ?", mine).status());
  const std::string id = RandomId("idv");
  const store::Value params[] = {
      Text(id),
      Text(citizen_id),
      Blob(number_index),
      Blob(core.keyring.Seal(AsBytes(person.name), IdentityAad("sealed_name", id))),
      Blob(core.keyring.Seal(AsBytes(person.id_number), IdentityAad("sealed_id_number", id))),
      Text(AssuranceLevelName(level)),
      Text(check.method),
      Text(check.source),
      Time(core.clock.Now())};
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO identities (id, citizen_id, id_number_index, sealed_name, "
                 "sealed_id_number, level, method, source, verified_at) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 params)
          .status());
  CITYCODE_RETURN_IF_ERROR(LogEvent(core, tx, citizen_id,
                                    current && !same ? "replaced" : "verified", check.level,
                                    check.method, check.source));
  if (same) return OkStatus();
  return SetRiderCategory(core, tx, citizen_id,
                          AgeCategory(person.id_number, core.clock.Now(), core.options.senior_age));
}

// The account's level and history, read in `tx`.
Result<IdentityStatus> ReadStatus(store::Transaction& tx, std::string_view citizen_id) {
  const store::Value params[] = {Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto current,
                            tx.QueryOptional("SELECT level, method, verified_at FROM identities "
                                             "WHERE citizen_id = ?",
                                             params));
  IdentityStatus status;
  if (current) {
    CITYCODE_ASSIGN_OR_RETURN(status.level, LevelFromName(current->Text(0)));
    status.method = current->Text(1);
    status.verified_at = FromUnixSeconds(current->Int(2));
  }
  CITYCODE_ASSIGN_OR_RETURN(auto rows,
                            tx.Query("SELECT at, event, level, method FROM identity_events "
                                     "WHERE citizen_id = ? ORDER BY at DESC, id LIMIT 100",
                                     params));
  for (const store::Row& row : rows) {
    IdentityEvent event{
        .at = FromUnixSeconds(row.Int(0)), .event = row.Text(1), .method = row.Text(3)};
    CITYCODE_ASSIGN_OR_RETURN(event.level, LevelFromName(row.Text(2)));
    status.history.push_back(std::move(event));
  }
  return status;
}

// not_found unless the citizen exists.
Status CheckCitizen(store::Transaction& tx, std::string_view citizen_id) {
  const store::Value citizen[] = {Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto exists,
                            tx.QueryOptional("SELECT id FROM citizens WHERE id = ?", citizen));
  return exists ? OkStatus() : NotFound("no such citizen");
}

Status ConsumeNonce(PlatformCore& core, store::Transaction& tx, std::string_view citizen_id,
                    std::string_view nonce) {
  const store::Value params[] = {Blob(SecretHash(nonce)), Text(citizen_id), Time(core.clock.Now())};
  CITYCODE_ASSIGN_OR_RETURN(auto deleted,
                            tx.Execute("DELETE FROM identity_nonces WHERE nonce_hash = ? AND "
                                       "citizen_id = ? AND expires_at > ?",
                                       params));
  if (deleted != 1) {
    return Unauthenticated("the identity check was not started here or has expired",
                           "id_token_nonce");
  }
  return OkStatus();
}

}  // namespace

std::string_view AssuranceLevelName(AssuranceLevel level) {
  switch (level) {
    case AssuranceLevel::kNone: return "none";
    case AssuranceLevel::kOnline: return "identity_online";
    case AssuranceLevel::kInPerson: return "identity_in_person";
  }
  return "unknown";
}

Result<OnlineCheck> Identities::StartOnline(std::string_view citizen_id) {
  PlatformCore& core = *core_;
  if (!core.id_tokens) {
    return FailedPrecondition("no identity provider is configured", "no_identity_provider");
  }
  const oidc::ProviderConfig& provider = core.id_tokens->config();
  OnlineCheck check{.nonce = NewSecret(),
                    .issuer = provider.issuer,
                    .client_id = provider.client_id,
                    .expires_at = core.clock.Now() + core.options.identity_nonce_lifetime};
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_RETURN_IF_ERROR(CheckCitizen(tx, citizen_id));
        // Only the newest check counts: the table stays one row per account.
        const store::Value citizen[] = {Text(citizen_id)};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("DELETE FROM identity_nonces WHERE citizen_id = ?", citizen).status());
        const store::Value params[] = {Blob(SecretHash(check.nonce)), Text(citizen_id),
                                       Time(check.expires_at)};
        return tx
            .Execute(
                "INSERT INTO identity_nonces (nonce_hash, citizen_id, expires_at) "
                "VALUES (?, ?, ?)",
                params)
            .status();
      }));
  return check;
}

Result<IdentityStatus> Identities::CompleteOnline(std::string_view citizen_id,
                                                  std::string_view id_token,
                                                  std::string_view nonce) {
  PlatformCore& core = *core_;
  if (!core.id_tokens) {
    return FailedPrecondition("no identity provider is configured", "no_identity_provider");
  }
  CITYCODE_ASSIGN_OR_RETURN(oidc::IdTokenClaims claims,
                            core.id_tokens->Verify(id_token, nonce, core.clock.Now()));
  CITYCODE_RETURN_IF_ERROR(CheckPerson(claims.name, claims.id_number, core.clock.Now()));
  const Check check{AssuranceLevel::kOnline, "oidc", core.id_tokens->config().issuer};
  // The answer is read in the same transaction: once it commits, the
  // caller learns of it (a later read could fail after the change).
  IdentityStatus status;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_RETURN_IF_ERROR(ConsumeNonce(core, tx, citizen_id, nonce));
        CITYCODE_RETURN_IF_ERROR(
            Record(core, tx, citizen_id, {claims.name, claims.id_number}, check));
        CITYCODE_ASSIGN_OR_RETURN(status, ReadStatus(tx, citizen_id));
        return OkStatus();
      }));
  return status;
}

Result<IdentityStatus> Identities::ConfirmInPerson(std::string_view citizen_id,
                                                   const Person& person,
                                                   std::string_view terminal_id) {
  PlatformCore& core = *core_;
  CITYCODE_RETURN_IF_ERROR(CheckPerson(person.name, person.id_number, core.clock.Now()));
  const Check check{AssuranceLevel::kInPerson, "counter", terminal_id};
  IdentityStatus status;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_RETURN_IF_ERROR(CheckCitizen(tx, citizen_id));
        CITYCODE_RETURN_IF_ERROR(Record(core, tx, citizen_id, person, check));
        CITYCODE_ASSIGN_OR_RETURN(status, ReadStatus(tx, citizen_id));
        return OkStatus();
      }));
  return status;
}

Status Identities::ConfirmInPerson(store::Transaction& tx, std::string_view citizen_id,
                                   const Person& person, std::string_view terminal_id) {
  CITYCODE_RETURN_IF_ERROR(CheckPerson(person.name, person.id_number, core_->clock.Now()));
  CITYCODE_RETURN_IF_ERROR(CheckCitizen(tx, citizen_id));
  return Record(*core_, tx, citizen_id, person,
                {AssuranceLevel::kInPerson, "counter", terminal_id});
}

Status IdentityNotVerified() {
  return FailedPrecondition("the account's identity is not verified", "identity_not_verified");
}

Result<VerifiedIdentity> Identities::Verified(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core_->db.Begin(store::TransactionMode::kRead));
  return Verified(*tx, citizen_id);
}

Result<VerifiedIdentity> Identities::Verified(store::Transaction& tx, std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(std::optional<VerifiedIdentity> identity,
                            ReadIdentity(*core_, tx, citizen_id));
  if (!identity) return IdentityNotVerified();
  return *std::move(identity);
}

Result<std::optional<VerifiedIdentity>> Identities::Find(store::Transaction& tx,
                                                         std::string_view citizen_id) {
  return ReadIdentity(*core_, tx, citizen_id);
}

Result<std::optional<Identities::Holding>> Identities::FindPerson(store::Transaction& tx,
                                                                  std::string_view id_number) {
  const store::Value params[] = {Blob(core_->keyring.Index("verified_id_number", id_number))};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row,
      tx.QueryOptional("SELECT citizen_id FROM identities WHERE id_number_index = ?", params));
  if (!row) return std::optional<Holding>();
  CITYCODE_ASSIGN_OR_RETURN(std::optional<VerifiedIdentity> identity,
                            ReadIdentity(*core_, tx, row->Text(0)));
  if (!identity) return Internal("an identity vanished within its transaction");
  return std::optional<Holding>(Holding{row->Text(0), *std::move(identity)});
}

Status Identities::ConfirmThroughGuardian(store::Transaction& tx, std::string_view citizen_id,
                                          const Person& person, AssuranceLevel level,
                                          std::string_view certificate) {
  CITYCODE_RETURN_IF_ERROR(CheckPerson(person.name, person.id_number, core_->clock.Now()));
  return Record(*core_, tx, citizen_id, person, {level, "guardianship", certificate});
}

Status Identities::Withdraw(store::Transaction& tx, std::string_view citizen_id,
                            std::string_view source) {
  CITYCODE_ASSIGN_OR_RETURN(std::optional<VerifiedIdentity> current,
                            ReadIdentity(*core_, tx, citizen_id));
  if (!current) return OkStatus();
  return DropIdentity(*core_, tx, std::string(citizen_id), "withdrawn", current->level,
                      current->method, source);
}

Result<IdentityStatus> Identities::Get(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core_->db.Begin(store::TransactionMode::kRead));
  return ReadStatus(*tx, citizen_id);
}

}  // namespace citycode::platform
