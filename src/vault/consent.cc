// Consent (standing and presentation grants), the fetch that consent
// allows, and what citizens see: their certificates and who accessed them.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "vault/internal/impl.h"

namespace citycode::vault {
namespace {

using nlohmann::json;
using platform::Principal;
using platform::Role;

constexpr std::size_t kMaxPurpose = 256;

std::string_view KindText(GrantKind kind) {
  return kind == GrantKind::kStanding ? "standing" : "presentation";
}

Grant GrantFromRow(const store::Row& row) {
  // id, kind, citizen_id, org_id, type_codes, purpose, created_at, expires_at, used_at, revoked_at
  Grant grant{.id = row.Text(0),
              .kind = row.Text(1) == "standing" ? GrantKind::kStanding : GrantKind::kPresentation,
              .citizen_id = row.Text(2),
              .org_id = row.Text(3),
              .type_codes = SplitWords(row.Text(4)),
              .purpose = row.Text(5),
              .created_at = FromUnixSeconds(row.Int(6)),
              .expires_at = FromUnixSeconds(row.Int(7))};
  if (!row.IsNull(8)) grant.used_at = FromUnixSeconds(row.Int(8));
  if (!row.IsNull(9)) grant.revoked_at = FromUnixSeconds(row.Int(9));
  return grant;
}

constexpr std::string_view kGrantColumns =
    "id, kind, citizen_id, org_id, type_codes, purpose, created_at, expires_at, used_at, "
    "revoked_at";

Result<std::optional<Grant>> LoadGrant(store::Transaction& tx, std::string_view grant_id) {
  const store::Value params[] = {Text(grant_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto row, tx.QueryOptional("SELECT " + std::string(kGrantColumns) +
                                                           " FROM vault_grants WHERE id = ?",
                                                       params));
  if (!row) return std::optional<Grant>();
  return std::optional<Grant>(GrantFromRow(*row));
}

bool Covers(const Grant& grant, const std::vector<std::string>& codes);

// The citizen's standing grant to `org_id` covering `codes` that is live
// now, or else the newest such grant (which the caller then refuses as
// revoked or expired); nullopt for none.
Result<std::optional<Grant>> NewestStandingGrant(store::Transaction& tx,
                                                 std::string_view citizen_id,
                                                 std::string_view org_id,
                                                 const std::vector<std::string>& codes,
                                                 Instant now) {
  const store::Value params[] = {Text(citizen_id), Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx.Query("SELECT " + std::string(kGrantColumns) +
                              " FROM vault_grants WHERE citizen_id = ? AND org_id = ? AND "
                              "kind = 'standing' ORDER BY created_at DESC, id",
                          params));
  std::optional<Grant> newest;
  for (const store::Row& row : rows) {
    Grant grant = GrantFromRow(row);
    if (!Covers(grant, codes)) continue;
    if (!grant.revoked_at && now < grant.expires_at) return std::optional<Grant>(std::move(grant));
    if (!newest) newest = std::move(grant);
  }
  return newest;
}

Result<std::vector<std::string>> RegisteredTypes(store::Transaction& tx, std::string_view org_id,
                                                 bool on_presentation_only) {
  const store::Value params[] = {Text(org_id), Int(on_presentation_only ? 1 : 0)};
  CITYCODE_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT type_code FROM vault_org_types WHERE "
                                                "org_id = ? AND on_presentation >= ?",
                                                params));
  std::vector<std::string> codes;
  for (const store::Row& row : rows) codes.push_back(row.Text(0));
  return codes;
}

bool Contains(const std::vector<std::string>& codes, std::string_view code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

bool Covers(const Grant& grant, const std::vector<std::string>& codes) {
  return std::all_of(codes.begin(), codes.end(),
                     [&](const std::string& code) { return Contains(grant.type_codes, code); });
}

Result<std::vector<std::string>> ResolveAll(const std::vector<std::string>& codes_or_keys) {
  std::vector<std::string> codes;
  for (const std::string& name : codes_or_keys) {
    CITYCODE_ASSIGN_OR_RETURN(const CertificateType* type, ResolveType(name));
    if (!Contains(codes, type->code)) codes.push_back(type->code);
  }
  return codes;
}

std::string TypeName(std::string_view code) {
  const CertificateType* type = FindCertificateType(code);
  return type == nullptr ? std::string(code) : type->name;
}

}  // namespace

std::string_view GrantKindName(GrantKind kind) { return KindText(kind); }

bool IsHealthType(std::string_view code) {
  const CertificateType* type = FindCertificateType(code);
  return type != nullptr && type->health;
}

Result<Instant> Vault::Impl::GrantExpiry(const StandingGrantRequest& request,
                                         const std::vector<std::string>& codes, Instant now) const {
  const auto health = std::count_if(codes.begin(), codes.end(), IsHealthType);
  if (health == 0) {
    if (!request.expires_at || *request.expires_at <= now ||
        *request.expires_at > now + options.max_standing_grant) {
      return InvalidArgument("expires_at must be in the future and within a year");
    }
    return *request.expires_at;
  }
  if (health != std::ssize(codes)) {
    return Status(StatusCode::kInvalidArgument,
                  "health records need a consent of their own: grant them apart from other types",
                  "health_consent_separate");
  }
  const Instant expires_at = request.expires_at.value_or(now + options.health_grant_lifetime);
  if (expires_at <= now || expires_at > now + options.max_health_grant) {
    return Status(
        StatusCode::kInvalidArgument,
        "a grant of health records ends in the future and within " +
            std::to_string(std::chrono::ceil<std::chrono::days>(options.max_health_grant).count()) +
            " days",
        "health_grant_too_long");
  }
  return expires_at;
}

Result<std::optional<Vault::Impl::Holder>> Vault::Impl::CitizenHolder(store::Transaction& tx,
                                                                      std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(std::optional<platform::VerifiedIdentity> identity,
                            platform.identities().Find(tx, citizen_id));
  if (!identity) return std::optional<Holder>();
  return std::optional<Holder>(
      Holder{.index = HolderIndex(keyring, HolderIdTypeCode(HolderIdType::kCitizenIdNumber),
                                  identity->person.id_number),
             .name = identity->person.name});
}

// --- citizens ---

Result<std::vector<SignedCertificate>> Vault::Impl::HeldCertificates(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(const std::optional<Holder> holder, CitizenHolder(*tx, citizen_id));
  if (!holder) {
    return FailedPrecondition("verify your identity to reach your certificates",
                              "identity_not_verified");
  }
  const store::Value params[] = {Blob(holder->index)};
  CITYCODE_ASSIGN_OR_RETURN(auto rows, tx->Query("SELECT identifier, sealed FROM "
                                                 "vault_certificates WHERE holder_index = ? "
                                                 "ORDER BY type_code, identifier",
                                                 params));
  std::vector<SignedCertificate> out;
  for (const store::Row& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(Bytes opened, keyring.Open(row.Blob(1), CertificateAad(row.Text(0))));
    CITYCODE_ASSIGN_OR_RETURN(SignedCertificate stored, ParseCertificateJson(AsChars(opened)));
    // Another person's number, or a name since changed, is not theirs.
    if (stored.certificate.holder_name == holder->name) out.push_back(std::move(stored));
  }
  return out;
}

Result<std::vector<CertificateSummary>> Vault::ListCertificates(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(std::vector<SignedCertificate> held,
                            impl_->HeldCertificates(citizen_id));
  std::vector<CertificateSummary> out;
  for (const SignedCertificate& stored : held) {
    const Certificate& c = stored.certificate;
    out.push_back({.identifier = c.identifier,
                   .type_code = c.type_code,
                   .type_name = TypeName(c.type_code),
                   .status = c.status,
                   .issuer_name = c.issuer_name,
                   .valid_until = c.valid_until});
  }
  return out;
}

Result<std::vector<SignedCertificate>> Vault::HealthRecords(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(std::vector<SignedCertificate> held,
                            impl_->HeldCertificates(citizen_id));
  std::erase_if(held,
                [](const SignedCertificate& c) { return !IsHealthType(c.certificate.type_code); });
  std::stable_sort(held.begin(), held.end(), [](const auto& a, const auto& b) {
    return a.certificate.issue_date > b.certificate.issue_date;
  });
  return held;
}

Result<Grant> Vault::GrantStanding(const StandingGrantRequest& request) {
  Impl& impl = *impl_;
  if (request.purpose.empty() || request.purpose.size() > kMaxPurpose) {
    return InvalidArgument("purpose must be 1-256 bytes");
  }
  CITYCODE_ASSIGN_OR_RETURN(std::vector<std::string> codes, ResolveAll(request.type_codes));
  if (codes.empty()) return InvalidArgument("a grant names at least one certificate type");
  CITYCODE_ASSIGN_OR_RETURN(platform::Organisation org,
                            impl.platform.organisations().Get(request.org_id));
  const Instant now = impl.clock.Now();
  CITYCODE_ASSIGN_OR_RETURN(const Instant expires_at, impl.GrantExpiry(request, codes, now));
  Grant grant{.id = RandomId("grt"),
              .kind = GrantKind::kStanding,
              .citizen_id = request.citizen_id,
              .org_id = org.id,
              .type_codes = codes,
              .purpose = request.purpose,
              .created_at = now,
              .expires_at = expires_at};
  std::int64_t seq = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(std::vector<std::string> registered,
                                  RegisteredTypes(tx, org.id, false));
        for (const std::string& code : codes) {
          if (!Contains(registered, code)) {
            return Status(StatusCode::kFailedPrecondition,
                          "that organisation is not registered for " + TypeName(code),
                          "type_not_registered");
          }
        }
        const store::Value params[] = {Text(grant.id),        Text(grant.citizen_id),
                                       Text(grant.org_id),    Text(JoinWords(codes)),
                                       Text(grant.purpose),   Time(now),
                                       Time(grant.expires_at)};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("INSERT INTO vault_grants (id, kind, citizen_id, org_id, type_codes, "
                       "purpose, created_at, expires_at) VALUES (?, 'standing', ?, ?, ?, ?, ?, ?)",
                       params)
                .status());
        json detail = {{"org_id", grant.org_id},
                       {"types", codes},
                       {"purpose", grant.purpose},
                       {"expires_at", FormatRfc3339(grant.expires_at)}};
        CITYCODE_ASSIGN_OR_RETURN(seq, impl.Audit(tx, {.action = "consent.grant",
                                                       .actor = grant.citizen_id,
                                                       .subject = grant.citizen_id,
                                                       .object = grant.id,
                                                       .detail = detail.dump()}));
        return OkStatus();
      }));
  impl.CheckpointIfDue(seq);
  return grant;
}

Result<std::vector<Grant>> Vault::ListGrants(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx->Query("SELECT " + std::string(kGrantColumns) +
                               " FROM vault_grants WHERE citizen_id = ? AND kind = 'standing' "
                               "ORDER BY created_at DESC, id",
                           params));
  std::vector<Grant> grants;
  for (const store::Row& row : rows) grants.push_back(GrantFromRow(row));
  return grants;
}

Status Vault::RevokeGrant(std::string_view citizen_id, std::string_view grant_id) {
  Impl& impl = *impl_;
  std::int64_t seq = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(std::optional<Grant> grant, LoadGrant(tx, grant_id));
        if (!grant || grant->citizen_id != citizen_id || grant->kind != GrantKind::kStanding) {
          return NotFound("no such grant");
        }
        if (grant->revoked_at) return FailedPrecondition("the grant is revoked already");
        const Instant now = impl.clock.Now();
        const store::Value params[] = {Time(now), Text(grant_id)};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("UPDATE vault_grants SET revoked_at = ? WHERE id = ?", params).status());
        CITYCODE_ASSIGN_OR_RETURN(
            seq, impl.Audit(tx, {.action = "consent.revoke",
                                 .actor = std::string(citizen_id),
                                 .subject = std::string(citizen_id),
                                 .object = std::string(grant_id),
                                 .detail = json{{"org_id", grant->org_id}}.dump()}));
        return OkStatus();
      }));
  impl.CheckpointIfDue(seq);
  return OkStatus();
}

Result<std::vector<AccessRecord>> Vault::AccessHistory(std::string_view citizen_id,
                                                       std::size_t limit) {
  Impl& impl = *impl_;
  CITYCODE_ASSIGN_OR_RETURN(std::vector<AuditEntry> entries,
                            impl.audit.ListBySubject(citizen_id, limit));
  std::map<std::string, std::string> org_names;
  std::vector<AccessRecord> records;
  for (const AuditEntry& entry : entries) {
    AccessRecord record{.seq = entry.seq, .at = entry.at, .action = entry.event.action};
    const json detail = json::parse(entry.event.detail, nullptr, /*allow_exceptions=*/false);
    auto text = [&](const char* key) {
      return detail.is_object() && detail.contains(key) && detail[key].is_string()
                 ? detail[key].get<std::string>()
                 : std::string();
    };
    record.org_id = text("org_id");
    record.purpose =
        entry.event.action == "certificate.fetch" || entry.event.action == "fetch.refused"
            ? text("use_cause")
            : text("purpose");
    record.reason = text("reason");
    if (entry.event.action == "certificate.fetch")
      record.identifiers = SplitWords(entry.event.object);
    if (!record.org_id.empty()) {
      auto [it, added] = org_names.try_emplace(record.org_id);
      if (added) {
        auto org = impl.platform.organisations().Get(record.org_id);
        if (org.ok()) it->second = org->name;
      }
      record.org_name = it->second;
    }
    records.push_back(std::move(record));
  }
  return records;
}

// --- relying parties ---

void Vault::VerifyPresentationThen(const Principal& terminal, std::string_view qr_text,
                                   std::function<void(Result<VerifiedPresentation>)> done) {
  Impl& impl = *impl_;
  auto checked = impl.platform.verification().Check(terminal, qr_text);
  if (!checked.ok()) return done(checked.status());
  // The unit may run more than once; the callback reads its last run.
  struct Run {
    VerifiedPresentation out;
    std::int64_t seq = 0;
  };
  auto run = std::make_shared<Run>();
  impl.platform.online_commits().Submit(
      [&impl, terminal, checked = std::move(*checked), run](store::Transaction& tx) -> Status {
        *run = Run{};
        CITYCODE_ASSIGN_OR_RETURN(run->out.verification,
                                  impl.platform.verification().RecordIn(tx, terminal, checked));
        const platform::OnlineVerification& verification = run->out.verification;
        if (!verification.result.valid) return OkStatus();
        CITYCODE_ASSIGN_OR_RETURN(
            run->out.grant, impl.GrantPresentationIn(tx, terminal, verification.citizen_id,
                                                     verification.verification_id, {}, run->seq));
        return OkStatus();
      },
      [&impl, run, done = std::move(done)](Status committed) {
        if (!committed.ok()) return done(committed);
        impl.CheckpointIfDue(run->seq);
        done(std::move(run->out));
      });
}

Result<std::optional<Grant>> Vault::GrantPresentation(const Principal& terminal,
                                                      std::string_view citizen_id,
                                                      std::string_view verification_id,
                                                      std::vector<std::string> type_codes) {
  Impl& impl = *impl_;
  std::optional<Grant> grant;
  std::int64_t seq = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(
            grant,
            impl.GrantPresentationIn(tx, terminal, citizen_id, verification_id, type_codes, seq));
        return OkStatus();
      }));
  impl.CheckpointIfDue(seq);
  return grant;
}

Result<std::optional<Grant>> Vault::Impl::GrantPresentationIn(
    store::Transaction& tx, const Principal& terminal, std::string_view citizen_id,
    std::string_view verification_id, const std::vector<std::string>& type_codes,
    std::int64_t& seq) {
  if (terminal.role != Role::kTerminal) {
    return PermissionDenied("only a terminal's verification makes a presentation grant");
  }
  CITYCODE_ASSIGN_OR_RETURN(std::vector<std::string> wanted, ResolveAll(type_codes));
  CITYCODE_ASSIGN_OR_RETURN(std::vector<std::string> registered,
                            RegisteredTypes(tx, terminal.org_id, wanted.empty()));
  std::vector<std::string> codes;
  for (const std::string& code : wanted.empty() ? registered : wanted) {
    // Health records are never fetched on a presentation: they need their
    // own consent.
    if (Contains(registered, code) && !IsHealthType(code)) codes.push_back(code);
  }
  if (codes.empty()) return std::optional<Grant>();
  std::sort(codes.begin(), codes.end());
  const Instant now = clock.Now();
  Grant grant{.id = RandomId("grt"),
              .kind = GrantKind::kPresentation,
              .citizen_id = std::string(citizen_id),
              .org_id = terminal.org_id,
              .type_codes = codes,
              .purpose = "presentation",
              .created_at = now,
              .expires_at = now + options.presentation_grant_lifetime};
  const store::Value params[] = {Text(grant.id),         Text(grant.citizen_id), Text(grant.org_id),
                                 Text(JoinWords(codes)), Text(verification_id),  Time(now),
                                 Time(grant.expires_at)};
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO vault_grants (id, kind, citizen_id, org_id, type_codes, "
                 "purpose, verification_id, created_at, expires_at) VALUES "
                 "(?, 'presentation', ?, ?, ?, 'presentation', ?, ?, ?)",
                 params)
          .status());
  json detail = {{"org_id", grant.org_id},
                 {"terminal_id", terminal.terminal_id},
                 {"types", codes},
                 {"verification_id", verification_id},
                 {"purpose", "presentation"}};
  CITYCODE_ASSIGN_OR_RETURN(seq, Audit(tx, {.action = "consent.presentation",
                                            .actor = terminal.terminal_id,
                                            .subject = grant.citizen_id,
                                            .object = grant.id,
                                            .detail = detail.dump()}));
  return std::optional<Grant>(std::move(grant));
}

Result<Release> Vault::Fetch(const Principal& caller, const FetchRequest& request) {
  Impl& impl = *impl_;
  if (caller.role != Role::kTerminal && caller.role != Role::kOrgAdmin) {
    return PermissionDenied("only an organisation's terminal or admin key fetches certificates");
  }
  if (request.use_cause.empty() || request.use_cause.size() > kMaxPurpose) {
    return Status(StatusCode::kInvalidArgument, "use_cause must be 1-256 bytes",
                  "missing_use_cause");
  }
  CITYCODE_ASSIGN_OR_RETURN(std::vector<std::string> requested, ResolveAll(request.type_codes));

  std::string subject;  // the citizen, once the grant is known
  FetchScope scope;
  Release release;
  // The checks, decryption, signature checks and signing run in a read
  // transaction, concurrently with other fetches; only consuming the grant
  // and the audit entry take the write lock.
  Status done = store::RunInTransaction(
      impl.db, store::TransactionMode::kRead, [&](store::Transaction& tx) -> Status {
        const Instant now = impl.clock.Now();
        CITYCODE_ASSIGN_OR_RETURN(
            scope, impl.CheckFetchScope(tx, caller, request, requested, now, subject));
        CITYCODE_ASSIGN_OR_RETURN(release, impl.MakeRelease(tx, caller, request, scope, now));
        return OkStatus();
      });
  if (done.ok()) {
    auto seq = impl.RecordFetch(caller, request, scope, release);
    if (seq.ok()) {
      impl.CheckpointIfDue(*seq);
      return release;
    }
    done = seq.status();
  }
  if (done.code() != StatusCode::kPermissionDenied) return done;
  CITYCODE_RETURN_IF_ERROR(impl.RecordRefusedFetch(caller, request, subject, done));
  return done;
}

namespace {

// The actor of a fetch in the audit log: the terminal and the clerk signed
// in there, or the admin's key.
std::string FetchActor(const Principal& caller) {
  if (caller.terminal_id.empty()) return caller.key_id;
  if (caller.staff_id.empty()) return caller.terminal_id;
  return caller.terminal_id + " " + caller.staff_id;
}

json MissingJson(const std::vector<MissingCertificate>& missing) {
  json out = json::array();
  for (const MissingCertificate& m : missing) {
    out.push_back({{"type_code", m.type_code}, {"reason", m.reason}});
  }
  return out;
}

}  // namespace

Result<Vault::Impl::CheckedCertificate> Vault::Impl::OpenChecked(store::Transaction& tx,
                                                                 std::string_view identifier,
                                                                 ByteView sealed,
                                                                 std::string_view issuer_org_id,
                                                                 std::string_view today) {
  CITYCODE_ASSIGN_OR_RETURN(Bytes opened, keyring.Open(sealed, CertificateAad(identifier)));
  CheckedCertificate out;
  FetchedCertificate& fetched = out.fetched;
  CITYCODE_ASSIGN_OR_RETURN(fetched.certificate, ParseCertificateJson(AsChars(opened)));
  const Certificate& c = fetched.certificate.certificate;
  auto key = IssuerKey(tx, fetched.certificate.key_id);
  fetched.signature_valid = key.ok() && key->first == issuer_org_id &&
                            VerifyCertificateSignature(fetched.certificate, key->second);
  fetched.in_validity = c.valid_from <= today && (c.valid_until.empty() || today <= c.valid_until);
  if (!fetched.signature_valid) {
    out.problem = "bad_signature";
  } else if (c.status != CertificateStatus::kValid) {
    out.problem = "not_valid";
  } else if (!fetched.in_validity) {
    out.problem = "expired";
  }
  return out;
}

Result<std::optional<code::RiderCategory>> Vault::Impl::Concession(store::Transaction& tx,
                                                                   const platform::Person& person) {
  static const std::pair<std::string, code::RiderCategory> kConcessions[] = {
      {FindCertificateType("disability_certificate")->code, code::RiderCategory::kDisabled},
      {FindCertificateType("student_card")->code, code::RiderCategory::kStudent}};
  const BlindIndex holder =
      HolderIndex(keyring, HolderIdTypeCode(HolderIdType::kCitizenIdNumber), person.id_number);
  const std::string today = LocalDate(clock.Now());
  for (const auto& [type_code, category] : kConcessions) {
    const store::Value params[] = {Blob(holder), Text(type_code)};
    CITYCODE_ASSIGN_OR_RETURN(
        auto rows, tx.Query("SELECT identifier, sealed, issuer_org_id FROM vault_certificates "
                            "WHERE holder_index = ? AND type_code = ?",
                            params));
    for (const store::Row& row : rows) {
      CITYCODE_ASSIGN_OR_RETURN(CheckedCertificate checked,
                                OpenChecked(tx, row.Text(0), row.Blob(1), row.Text(2), today));
      if (checked.problem.empty() &&
          checked.fetched.certificate.certificate.holder_name == person.name) {
        return std::optional<code::RiderCategory>(category);
      }
    }
  }
  return std::optional<code::RiderCategory>();
}

Result<FetchScope> Vault::Impl::CheckFetchScope(store::Transaction& tx, const Principal& caller,
                                                const FetchRequest& request,
                                                const std::vector<std::string>& requested,
                                                Instant now, std::string& subject) {
  std::optional<Grant> grant;
  if (request.grant_id.empty()) {
    subject = request.citizen_id;
    CITYCODE_ASSIGN_OR_RETURN(
        grant, NewestStandingGrant(tx, request.citizen_id, caller.org_id, requested, now));
  } else {
    CITYCODE_ASSIGN_OR_RETURN(grant, LoadGrant(tx, request.grant_id));
    if (grant) subject = grant->citizen_id;
  }
  if (!grant || grant->org_id != caller.org_id) {
    return Refusal("consent_missing", "the citizen has given this organisation no such grant");
  }
  if (grant->revoked_at) return Refusal("consent_revoked", "the citizen revoked the grant");
  if (now >= grant->expires_at) return Refusal("consent_expired", "the grant has expired");
  if (grant->kind == GrantKind::kPresentation && grant->used_at) {
    return Refusal("consent_used", "the presentation grant was used");
  }
  FetchScope scope{.grant = std::move(*grant)};
  scope.codes = requested.empty() ? scope.grant.type_codes : requested;
  for (const std::string& code : scope.codes) {
    if (!Contains(scope.grant.type_codes, code)) {
      return Refusal("type_not_consented", "the grant does not cover " + TypeName(code));
    }
  }
  CITYCODE_ASSIGN_OR_RETURN(std::vector<std::string> registered,
                            RegisteredTypes(tx, caller.org_id, false));
  for (const std::string& code : scope.codes) {
    if (!Contains(registered, code)) {
      return Refusal("type_not_registered",
                     "this organisation is not registered for " + TypeName(code));
    }
  }
  return scope;
}

Result<Release> Vault::Impl::MakeRelease(store::Transaction& tx, const Principal& caller,
                                         const FetchRequest& request, const FetchScope& scope,
                                         Instant now) {
  CITYCODE_ASSIGN_OR_RETURN(const std::optional<Holder> holder,
                            CitizenHolder(tx, scope.grant.citizen_id));
  std::vector<store::Row> rows;
  if (holder) {  // an unverified account reaches nothing: every type is missing
    std::vector<store::Value> params = {Blob(holder->index)};
    std::string placeholders;
    for (const std::string& code : scope.codes) {
      placeholders += placeholders.empty() ? "?" : ", ?";
      params.push_back(Text(code));
    }
    CITYCODE_ASSIGN_OR_RETURN(
        rows, tx.Query("SELECT identifier, issuer_org_id, sealed FROM vault_certificates "
                       "WHERE holder_index = ? AND type_code IN (" +
                           placeholders + ") ORDER BY type_code, identifier",
                       params));
  }

  Release release{.id = RandomId("rel"),
                  .org_id = caller.org_id,
                  .use_cause = request.use_cause,
                  .fetched_at = now};
  const std::string today = LocalDate(now);
  std::map<std::string, std::string> why_missing;  // type code -> reason
  for (const store::Row& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(CheckedCertificate checked,
                              OpenChecked(tx, row.Text(0), row.Blob(2), row.Text(1), today));
    const Certificate& c = checked.fetched.certificate.certificate;
    if (c.holder_name != holder->name) {  // the number's, but not the verified person's name
      why_missing.try_emplace(c.type_code, "name_mismatch");
    } else if (!checked.problem.empty()) {
      why_missing.try_emplace(c.type_code, std::move(checked.problem));
    } else {
      release.certificates.push_back(std::move(checked.fetched));
    }
  }
  json certificates = json::array();
  for (const FetchedCertificate& fetched : release.certificates) {
    certificates.push_back(CertificateToJson(fetched.certificate));
  }
  for (const std::string& code : scope.codes) {
    const bool served = std::any_of(
        release.certificates.begin(), release.certificates.end(),
        [&](const FetchedCertificate& f) { return f.certificate.certificate.type_code == code; });
    if (served) continue;
    auto reason = why_missing.find(code);
    release.missing.push_back({.type_code = code,
                               .reason = !holder                       ? "identity_not_verified"
                                         : reason == why_missing.end() ? "not_held"
                                                                       : reason->second});
  }
  const json signed_part = {
      {"release_id", release.id},          {"org_id", caller.org_id},
      {"terminal_id", caller.terminal_id}, {"use_cause", request.use_cause},
      {"grant_id", scope.grant.id},        {"fetched_at", FormatRfc3339(now)},
      {"certificates", certificates},      {"missing", MissingJson(release.missing)}};
  release.release_json = signed_part.dump();
  CITYCODE_ASSIGN_OR_RETURN(release.signature, vault_key.Sign(AsBytes(release.release_json)));
  release.key_id = ToHex(vault_key.public_key().key_id());
  return release;
}

Result<std::int64_t> Vault::Impl::RecordFetch(const Principal& caller, const FetchRequest& request,
                                              const FetchScope& scope, const Release& release) {
  json detail = {{"org_id", caller.org_id},        {"terminal_id", caller.terminal_id},
                 {"use_cause", request.use_cause}, {"grant_id", scope.grant.id},
                 {"release_id", release.id},       {"missing", MissingJson(release.missing)}};
  std::vector<std::string> identifiers;
  for (const FetchedCertificate& fetched : release.certificates) {
    identifiers.push_back(fetched.certificate.certificate.identifier);
  }
  std::int64_t seq = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        // The grant may have been used or revoked since it was read. A
        // presentation grant is used up here; a standing one is only
        // re-read (writing it on every fetch would dirty a page per fetch;
        // the audit log records its uses).
        // The grant is judged again as of now: a fetch that began before
        // its expiry does not complete after it.
        if (clock.Now() >= scope.grant.expires_at) {
          return Refusal("consent_expired", "the grant has expired");
        }
        if (scope.grant.kind == GrantKind::kPresentation) {
          const store::Value params[] = {Time(release.fetched_at), Text(scope.grant.id)};
          CITYCODE_ASSIGN_OR_RETURN(
              auto marked, tx.Execute("UPDATE vault_grants SET used_at = ? WHERE id = ? AND "
                                      "used_at IS NULL AND revoked_at IS NULL",
                                      params));
          if (marked != 1) return Refusal("consent_used", "the presentation grant was used");
        } else {
          const store::Value params[] = {Text(scope.grant.id)};
          CITYCODE_ASSIGN_OR_RETURN(auto live,
                                    tx.QueryOptional("SELECT 1 FROM vault_grants WHERE id = ? AND "
                                                     "revoked_at IS NULL",
                                                     params));
          if (!live) return Refusal("consent_revoked", "the citizen revoked the grant");
        }
        CITYCODE_ASSIGN_OR_RETURN(seq, Audit(tx, {.action = "certificate.fetch",
                                                  .actor = FetchActor(caller),
                                                  .subject = scope.grant.citizen_id,
                                                  .object = JoinWords(identifiers),
                                                  .detail = detail.dump()}));
        return OkStatus();
      }));
  return seq;
}

Status Vault::Impl::RecordRefusedFetch(const Principal& caller, const FetchRequest& request,
                                       std::string_view subject, const Status& refusal) {
  json detail = {{"org_id", caller.org_id},
                 {"terminal_id", caller.terminal_id},
                 {"use_cause", request.use_cause},
                 {"grant_id", request.grant_id},
                 {"reason", refusal.reason()}};
  std::int64_t seq = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(seq, Audit(tx, {.action = "fetch.refused",
                                                  .actor = FetchActor(caller),
                                                  .subject = std::string(subject),
                                                  .object = request.grant_id,
                                                  .detail = detail.dump()}));
        return OkStatus();
      }));
  CheckpointIfDue(seq);
  return OkStatus();
}

}  // namespace citycode::vault
