// The vault's storage, its key, the administration of issuers and of what
// organisations may request, and issuing (one by one and in bulk).
#include "vault/vault.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <nlohmann/json.hpp>
#include <set>

#include "crypto/hash.h"
#include "crypto/random.h"
#include "vault/certificate_id.h"
#include "vault/internal/impl.h"

namespace citycode::vault {
namespace {

using platform::OrgKind;

// Guardian links (dependants.cc): who acts for whom, on which certificate.
// A pair has at most one live link.
// A certificate's state only moves forward: once withdrawn (03), cancelled
// (04), expired (05) or revoked (07) it stays so, and an older signed state
// sent again (by a compromised or mistaken agency system) cannot undo it. A
// renewed certificate is a new version, with its own identifier.
constexpr std::string_view kFinalStatuses = "('03', '04', '05', '07')";
constexpr std::string_view kFinalMessage =
    "the certificate is withdrawn, cancelled, expired or revoked; a renewal is a new version";
bool IsFinalStatus(std::string_view code) {
  return code == "03" || code == "04" || code == "05" || code == "07";
}

const store::Migration kGuardianships{1003, "vault guardianships", R"sql(
CREATE TABLE vault_guardianships (
  id TEXT PRIMARY KEY,
  guardian_id TEXT NOT NULL REFERENCES citizens(id),
  dependant_id TEXT NOT NULL REFERENCES citizens(id),
  certificate TEXT NOT NULL,         -- the guardianship certificate's identifier
  ward_kind TEXT NOT NULL CHECK (ward_kind IN ('minor', 'adult')),
  started_at BIGINT NOT NULL,
  ended_at BIGINT,
  end_reason TEXT
);
CREATE UNIQUE INDEX vault_guardianships_live ON vault_guardianships(guardian_id, dependant_id)
  WHERE ended_at IS NULL;
CREATE INDEX vault_guardianships_dependant ON vault_guardianships(dependant_id);
CREATE INDEX vault_guardianships_certificate ON vault_guardianships(certificate);
)sql"};

// A hospital registered as an issuer issues health records only, an
// agency every other type (vault_issuers.health). The vault signs the
// records of a hospital without a system of its own (IssueRecord) with a
// key it keeps for it, sealed like its own key.
const store::Migration kHealthRecords{1004, "vault health records", R"sql(
ALTER TABLE vault_issuers ADD COLUMN health BIGINT NOT NULL DEFAULT 0;
CREATE TABLE vault_hosted_keys (
  org_id TEXT PRIMARY KEY REFERENCES vault_issuers(org_id),
  key_id TEXT NOT NULL REFERENCES vault_issuer_keys(key_id),
  sealed_private_key BLOB NOT NULL,
  created_at BIGINT NOT NULL
);
)sql"};

// The operator's dashboard counts fetches and refusals by hour
// (AuditLog::CountByHour).
const store::Migration kAuditByTime{1005, "vault audit by time", R"sql(
CREATE INDEX audit_log_at ON audit_log(at, action);
)sql"};

const store::Migration kVaultTables{1002, "vault tables", R"sql(
CREATE TABLE vault_keys (
  purpose TEXT PRIMARY KEY,
  algorithm TEXT NOT NULL,
  public_key BLOB NOT NULL,          -- SubjectPublicKeyInfo DER
  sealed_private_key BLOB NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE vault_issuers (
  org_id TEXT PRIMARY KEY REFERENCES organisations(id),
  credit_code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  external BIGINT NOT NULL,
  accept_bad_check BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE vault_issuer_keys (
  key_id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES vault_issuers(org_id),
  public_key BLOB NOT NULL,
  added_at BIGINT NOT NULL
);
-- Only what lookups need is in clear: the identifier (type, issuer, serial),
-- the type and the status. Holder and face fields are in the sealed
-- certificate; the holder is found through a keyed index.
CREATE TABLE vault_certificates (
  identifier TEXT PRIMARY KEY,
  type_code TEXT NOT NULL,
  issuer_org_id TEXT NOT NULL REFERENCES vault_issuers(org_id),
  holder_index BLOB NOT NULL,
  status TEXT NOT NULL,
  content_hash BLOB NOT NULL,
  sealed BLOB NOT NULL,
  warning TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX vault_certificates_holder ON vault_certificates(holder_index, type_code);
CREATE TABLE vault_org_types (
  org_id TEXT NOT NULL REFERENCES organisations(id),
  type_code TEXT NOT NULL,
  on_presentation BIGINT NOT NULL,
  PRIMARY KEY (org_id, type_code)
);
CREATE TABLE vault_grants (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('standing', 'presentation')),
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  org_id TEXT NOT NULL REFERENCES organisations(id),
  type_codes TEXT NOT NULL,
  purpose TEXT NOT NULL,
  verification_id TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX vault_grants_citizen ON vault_grants(citizen_id, created_at);
)sql"};

Result<crypto::PrivateKey> LoadOrCreateVaultKey(store::Database& db,
                                                const platform::Keyring& keyring,
                                                crypto::Algorithm algorithm, Instant now) {
  std::optional<crypto::PrivateKey> key;
  CITYCODE_RETURN_IF_ERROR(
      store::RunInTransaction(db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        const std::string aad = "vault_keys.sealed_private_key:vault";
        CITYCODE_ASSIGN_OR_RETURN(
            auto row,
            tx.QueryOptional("SELECT sealed_private_key FROM vault_keys WHERE purpose = 'vault'"));
        if (row) {
          CITYCODE_ASSIGN_OR_RETURN(Bytes pem, keyring.Open(row->Blob(0), aad));
          CITYCODE_ASSIGN_OR_RETURN(key, crypto::PrivateKey::FromPem(AsChars(pem)));
          return OkStatus();
        }
        CITYCODE_ASSIGN_OR_RETURN(key, crypto::PrivateKey::Generate(algorithm));
        const store::Value params[] = {Text(crypto::CliName(algorithm)),
                                       Blob(key->public_key().spki_der()),
                                       Blob(keyring.Seal(AsBytes(key->ToPem()), aad)), Time(now)};
        return tx
            .Execute(
                "INSERT INTO vault_keys (purpose, algorithm, public_key, sealed_private_key, "
                "created_at) VALUES ('vault', ?, ?, ?, ?)",
                params)
            .status();
      }));
  return std::move(*key);
}

// The hash that makes "the same certificate again" cheap to recognise. The
// issuer's signature, checked before this is stored, stands for the
// content it signs.
Bytes ContentHash(const SignedCertificate& certificate) {
  std::string material = certificate.certificate.identifier;
  material.push_back('\0');
  material += CertificateStatusCode(certificate.certificate.status);
  material.push_back('\0');
  material += certificate.key_id;
  material.push_back('\0');
  material.append(AsChars(certificate.signature));
  const auto digest = crypto::Sha256(AsBytes(material));
  return Bytes(digest.begin(), digest.end());
}

struct IssuerRow {
  std::string org_id;
  bool external = false;
  bool accept_bad_check = false;
  bool health = false;  // a hospital: health records only
};

constexpr std::string_view kIssuerRowColumns = "org_id, external, accept_bad_check, health";

IssuerRow IssuerFromRow(const store::Row& row, int first) {
  return IssuerRow{.org_id = row.Text(first),
                   .external = row.Int(first + 1) != 0,
                   .accept_bad_check = row.Int(first + 2) != 0,
                   .health = row.Int(first + 3) != 0};
}

Result<std::optional<IssuerRow>> FindIssuerByCode(store::Transaction& tx,
                                                  std::string_view credit_code) {
  const store::Value params[] = {Text(credit_code)};
  CITYCODE_ASSIGN_OR_RETURN(auto row,
                            tx.QueryOptional("SELECT " + std::string(kIssuerRowColumns) +
                                                 " FROM vault_issuers WHERE credit_code = ?",
                                             params));
  if (!row) return std::optional<IssuerRow>();
  return std::optional<IssuerRow>(IssuerFromRow(*row, 0));
}

// Health records are a hospital's to issue, and a hospital issues nothing
// else.
bool MayIssue(const IssuerRow& issuer, std::string_view type_code) {
  return IsHealthType(type_code) == issuer.health;
}
constexpr std::string_view kNotForIssuer =
    "health records are issued by hospitals, and hospitals issue nothing else";

}  // namespace

struct PreparedImport {
  std::vector<ImportLine> lines;
  std::vector<std::optional<Prepared>> prepared;  // by line; all set when no problems
  std::vector<ImportProblem> problems;
  std::map<std::string, IssuerRow, std::less<>> issuers;  // by credit code
};

std::string_view IssueOutcomeName(IssueOutcome outcome) {
  switch (outcome) {
    case IssueOutcome::kCreated: return "created";
    case IssueOutcome::kUpdated: return "updated";
    case IssueOutcome::kUnchanged: return "unchanged";
  }
  return "unknown";
}

Result<const CertificateType*> ResolveType(std::string_view code_or_key) {
  const CertificateType* type = FindCertificateType(code_or_key);
  if (type == nullptr) {
    return Status(StatusCode::kInvalidArgument, "unknown certificate type", "unknown_type");
  }
  return type;
}

namespace {

Result<std::vector<std::string>> ResolveCodes(const std::vector<std::string>& codes_or_keys) {
  std::vector<std::string> codes;
  for (const std::string& name : codes_or_keys) {
    CITYCODE_ASSIGN_OR_RETURN(const CertificateType* type, ResolveType(name));
    if (std::find(codes.begin(), codes.end(), type->code) == codes.end()) {
      codes.push_back(type->code);
    }
  }
  return codes;
}

}  // namespace

BlindIndex HolderIndex(const platform::Keyring& keyring, std::string_view id_type,
                       std::string_view id_number) {
  // "id_number" is the purpose the platform indexes citizens' ID numbers by.
  return keyring.Index(id_type == HolderIdTypeCode(HolderIdType::kCitizenIdNumber)
                           ? "id_number"
                           : "holder:" + std::string(id_type),
                       id_number);
}

std::string Vault::Impl::LocalDate(Instant t) const {
  return FormatIsoDay(options.time.LocalDay(t));
}

Result<std::int64_t> Vault::Impl::Audit(store::Transaction& tx, AuditEvent event) {
  return audit.Append(tx, event);
}

void Vault::Impl::CheckpointIfDue(std::int64_t seq) {
  if (options.checkpoint_every > 0 && seq % options.checkpoint_every == 0) {
    // A failure here only delays the checkpoint to the next one due.
    (void)audit.WriteCheckpoint();
  }
}

Result<std::pair<std::string, crypto::PublicKey>> Vault::Impl::IssuerKey(store::Transaction& tx,
                                                                         std::string_view key_id) {
  {
    std::lock_guard lock(issuer_keys_mutex);
    auto it = issuer_keys.find(key_id);
    if (it != issuer_keys.end()) return it->second;
  }
  const store::Value params[] = {Text(key_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx.QueryOptional(
                    "SELECT org_id, public_key FROM vault_issuer_keys WHERE key_id = ?", params));
  if (!row) return NotFound("no issuer key with that key id");
  CITYCODE_ASSIGN_OR_RETURN(crypto::PublicKey key, crypto::PublicKey::FromSpkiDer(row->Blob(1)));
  std::lock_guard lock(issuer_keys_mutex);
  return issuer_keys.try_emplace(std::string(key_id), row->Text(0), key).first->second;
}

Vault::Vault(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Vault::~Vault() {
  if (impl_) impl_->platform.devices().SetConcessionSource({});  // it points here
}

Result<std::unique_ptr<Vault>> Vault::Open(store::Database& db, const Clock& clock,
                                           platform::Platform& platform, platform::Keyring keyring,
                                           VaultOptions options) {
  const store::Migration migrations[] = {AuditLogMigration(), kVaultTables, kGuardianships,
                                         kHealthRecords, kAuditByTime};
  CITYCODE_RETURN_IF_ERROR(db.Migrate(migrations));
  CITYCODE_ASSIGN_OR_RETURN(
      crypto::PrivateKey key,
      LoadOrCreateVaultKey(db, keyring, platform.options().algorithm, clock.Now()));
  auto vault = std::unique_ptr<Vault>(new Vault(std::make_unique<Impl>(
      db, clock, platform, std::move(keyring), std::move(options), std::move(key))));
  Impl* impl = vault->impl_.get();
  platform.devices().SetConcessionSource(
      [impl](store::Transaction& tx, const platform::Person& person) {
        return impl->Concession(tx, person);
      });
  return vault;
}

const std::vector<CertificateType>& Vault::certificate_types() const {
  return SeededCertificateTypes();
}

const crypto::PublicKey& Vault::public_key() const { return impl_->vault_key.public_key(); }
const VaultOptions& Vault::options() const { return impl_->options; }
AuditLog& Vault::audit() { return impl_->audit; }
Result<AuditCheckpoint> Vault::Checkpoint() { return impl_->audit.WriteCheckpoint(); }
Result<AuditCheckpoint> Vault::LatestCheckpoint() { return impl_->audit.LatestCheckpoint(); }

// --- administration ---

namespace {

// The key the vault signs a hospital's records with, made on first use and
// registered as one of the hospital's issuer keys.
Result<crypto::PrivateKey> HostedKey(store::Transaction& tx, const platform::Keyring& keyring,
                                     crypto::Algorithm algorithm, std::string_view org_id,
                                     Instant now) {
  const std::string aad = "vault_hosted_keys.sealed_private_key:" + std::string(org_id);
  const store::Value org[] = {Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row,
      tx.QueryOptional("SELECT sealed_private_key FROM vault_hosted_keys WHERE org_id = ?", org));
  if (row) {
    CITYCODE_ASSIGN_OR_RETURN(Bytes pem, keyring.Open(row->Blob(0), aad));
    return crypto::PrivateKey::FromPem(AsChars(pem));
  }
  CITYCODE_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::Generate(algorithm));
  const std::string kid = ToHex(key.public_key().key_id());
  const store::Value issuer_key[] = {Text(kid), Text(org_id), Blob(key.public_key().spki_der()),
                                     Time(now)};
  CITYCODE_RETURN_IF_ERROR(tx.Execute("INSERT INTO vault_issuer_keys (key_id, org_id, public_key, "
                                      "added_at) VALUES (?, ?, ?, ?)",
                                      issuer_key)
                               .status());
  const store::Value hosted[] = {Text(org_id), Text(kid),
                                 Blob(keyring.Seal(AsBytes(key.ToPem()), aad)), Time(now)};
  CITYCODE_RETURN_IF_ERROR(tx.Execute("INSERT INTO vault_hosted_keys (org_id, key_id, "
                                      "sealed_private_key, created_at) VALUES (?, ?, ?, ?)",
                                      hosted)
                               .status());
  return key;
}

// A record's serial: 24 random base-36 digits, so identifiers reveal
// neither the patient nor how many records a hospital issues.
std::string RecordSerial() {
  constexpr std::string_view kDigits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const auto random = crypto::RandomArray<24>();
  std::string serial;
  for (std::uint8_t byte : random) serial.push_back(kDigits[byte % kDigits.size()]);
  return serial;
}

}  // namespace

Status Vault::RegisterIssuer(const IssuerRegistration& r, std::string_view actor) {
  Impl& impl = *impl_;
  CITYCODE_ASSIGN_OR_RETURN(platform::Organisation org,
                            impl.platform.organisations().Get(r.org_id));
  if (org.kind != OrgKind::kIssuingAgency && org.kind != OrgKind::kHospital) {
    return FailedPrecondition("only an issuing agency or a hospital can be a certificate issuer");
  }
  if (!IsValidCreditCodeShape(r.credit_code)) {
    return InvalidArgument("credit_code must be an 18-character unified social credit code");
  }
  if (r.name.empty() || r.name.size() > 256) return InvalidArgument("name must be 1-256 bytes");
  if (r.accept_bad_check_character && !r.external) {
    return InvalidArgument("only an external issuer may have wrong check characters accepted");
  }
  std::int64_t seq = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const store::Value params[] = {Text(r.org_id),
                                       Text(r.credit_code),
                                       Text(r.name),
                                       Int(r.external),
                                       Int(r.accept_bad_check_character),
                                       Int(org.kind == OrgKind::kHospital),
                                       Time(impl.clock.Now())};
        auto inserted = tx.Execute(
            "INSERT INTO vault_issuers (org_id, credit_code, name, external, accept_bad_check, "
            "health, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id) DO UPDATE SET "
            "credit_code = excluded.credit_code, name = excluded.name, external = "
            "excluded.external, accept_bad_check = excluded.accept_bad_check",
            params);
        if (!inserted.ok()) {
          // The only other constraint: the credit code.
          if (inserted.status().code() == StatusCode::kAlreadyExists) {
            return AlreadyExists("another issuer has that credit code");
          }
          return inserted.status();
        }
        // A hospital's key is made now, not by its first concurrent records.
        if (org.kind == OrgKind::kHospital) {
          CITYCODE_RETURN_IF_ERROR(HostedKey(tx, impl.keyring, impl.platform.options().algorithm,
                                             r.org_id, impl.clock.Now())
                                       .status());
        }
        nlohmann::json detail = {{"credit_code", r.credit_code},
                                 {"external", r.external},
                                 {"accept_bad_check_character", r.accept_bad_check_character}};
        CITYCODE_ASSIGN_OR_RETURN(seq, impl.Audit(tx, {.action = "admin.register_issuer",
                                                       .actor = std::string(actor),
                                                       .object = r.org_id,
                                                       .detail = detail.dump()}));
        return OkStatus();
      }));
  impl.CheckpointIfDue(seq);
  return OkStatus();
}

Result<std::string> Vault::AddIssuerKey(std::string_view org_id, const crypto::PublicKey& key,
                                        std::string_view actor) {
  Impl& impl = *impl_;
  const std::string kid = ToHex(key.key_id());
  std::int64_t seq = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const store::Value org[] = {Text(org_id)};
        CITYCODE_ASSIGN_OR_RETURN(
            auto issuer, tx.QueryOptional("SELECT 1 FROM vault_issuers WHERE org_id = ?", org));
        if (!issuer) return NotFound("that organisation is not a registered issuer");
        const store::Value params[] = {Text(kid), Text(org_id), Blob(key.spki_der()),
                                       Time(impl.clock.Now())};
        CITYCODE_ASSIGN_OR_RETURN(
            auto added, tx.Execute("INSERT INTO vault_issuer_keys (key_id, org_id, public_key, "
                                   "added_at) VALUES (?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING",
                                   params));
        if (added == 0) return AlreadyExists("that key is registered already");
        CITYCODE_ASSIGN_OR_RETURN(
            seq, impl.Audit(tx, {.action = "admin.add_issuer_key",
                                 .actor = std::string(actor),
                                 .object = std::string(org_id),
                                 .detail = nlohmann::json{{"key_id", kid}}.dump()}));
        return OkStatus();
      }));
  impl.CheckpointIfDue(seq);
  return kid;
}

Result<Issuer> Vault::GetIssuer(std::string_view org_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx->QueryOptional("SELECT credit_code, name, external, accept_bad_check FROM "
                                  "vault_issuers WHERE org_id = ?",
                                  params));
  if (!row) return NotFound("that organisation is not a registered issuer");
  Issuer issuer;
  issuer.org_id = std::string(org_id);
  issuer.credit_code = row->Text(0);
  issuer.name = row->Text(1);
  issuer.external = row->Int(2) != 0;
  issuer.accept_bad_check_character = row->Int(3) != 0;
  CITYCODE_ASSIGN_OR_RETURN(
      auto keys,
      tx->Query("SELECT key_id FROM vault_issuer_keys WHERE org_id = ? ORDER BY added_at, key_id",
                params));
  for (const store::Row& key : keys) issuer.key_ids.push_back(key.Text(0));
  return issuer;
}

Status Vault::SetOrganisationTypes(std::string_view org_id,
                                   const std::vector<std::string>& may_request,
                                   const std::vector<std::string>& on_presentation,
                                   std::string_view actor) {
  Impl& impl = *impl_;
  CITYCODE_ASSIGN_OR_RETURN(platform::Organisation org, impl.platform.organisations().Get(org_id));
  if (org.kind == OrgKind::kIssuingAgency) {
    return FailedPrecondition("an issuing agency does not fetch certificates");
  }
  CITYCODE_ASSIGN_OR_RETURN(std::vector<std::string> codes, ResolveCodes(may_request));
  CITYCODE_ASSIGN_OR_RETURN(std::vector<std::string> presented, ResolveCodes(on_presentation));
  for (const std::string& code : presented) {
    if (std::find(codes.begin(), codes.end(), code) == codes.end()) {
      return InvalidArgument("on_presentation types must be among the types it may request");
    }
    if (IsHealthType(code)) {
      return Status(StatusCode::kInvalidArgument,
                    "health records are never fetched on a presentation: they need their own "
                    "consent",
                    "health_type_on_presentation");
    }
  }
  std::int64_t seq = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const store::Value org_param[] = {Text(org_id)};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("DELETE FROM vault_org_types WHERE org_id = ?", org_param).status());
        for (const std::string& code : codes) {
          const bool shown = std::find(presented.begin(), presented.end(), code) != presented.end();
          const store::Value params[] = {Text(org_id), Text(code), Int(shown)};
          CITYCODE_RETURN_IF_ERROR(tx.Execute("INSERT INTO vault_org_types (org_id, type_code, "
                                              "on_presentation) VALUES (?, ?, ?)",
                                              params)
                                       .status());
        }
        nlohmann::json detail = {{"may_request", codes}, {"on_presentation", presented}};
        CITYCODE_ASSIGN_OR_RETURN(seq, impl.Audit(tx, {.action = "admin.organisation_types",
                                                       .actor = std::string(actor),
                                                       .object = std::string(org_id),
                                                       .detail = detail.dump()}));
        return OkStatus();
      }));
  impl.CheckpointIfDue(seq);
  return OkStatus();
}

Result<std::vector<std::string>> Vault::OrganisationTypes(std::string_view org_id,
                                                          bool on_presentation_only) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(org_id), Int(on_presentation_only ? 1 : 0)};
  CITYCODE_ASSIGN_OR_RETURN(auto rows, tx->Query("SELECT type_code FROM vault_org_types WHERE "
                                                 "org_id = ? AND on_presentation >= ? "
                                                 "ORDER BY type_code",
                                                 params));
  std::vector<std::string> codes;
  for (const store::Row& row : rows) codes.push_back(row.Text(0));
  return codes;
}

Result<std::vector<Requester>> Vault::Requesters() {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx->Query("SELECT o.id, o.name, o.kind, t.type_code "
                           "FROM vault_org_types t JOIN organisations o ON o.id = t.org_id "
                           "ORDER BY o.name, o.id, t.type_code"));
  std::vector<Requester> requesters;
  for (const store::Row& row : rows) {
    if (requesters.empty() || requesters.back().org_id != row.Text(0)) {
      requesters.push_back({.org_id = row.Text(0), .name = row.Text(1), .kind = row.Text(2)});
    }
    requesters.back().type_codes.push_back(row.Text(3));
  }
  return requesters;
}

// --- issuing ---

namespace {

// Checks what needs no database: the certificate itself and its identifier.
// `json_text`, if given, is the certificate's JSON form as it was parsed
// (a bulk line), sealed as it is rather than serialised again.
Result<Prepared> PrepareCertificate(const SignedCertificate& signed_certificate,
                                    const platform::Keyring& keyring,
                                    std::string_view json_text = {}) {
  const Certificate& c = signed_certificate.certificate;
  CITYCODE_RETURN_IF_ERROR(ValidateCertificate(c));
  CITYCODE_ASSIGN_OR_RETURN(CertificateId id, ParseCertificateId(c.identifier));
  Prepared out{.identifier = c.identifier,
               .type_code = c.type_code,
               .status = std::string(CertificateStatusCode(c.status)),
               .issuer_code = c.issuer_code,
               .key_id = signed_certificate.key_id,
               .holder_index = HolderIndex(keyring, c.holder_id_type, c.holder_id_number),
               .content_hash = ContentHash(signed_certificate),
               .check_character_valid = id.HasValidCheckCharacter()};
  out.sealed = keyring.Seal(
      AsBytes(json_text.empty() ? CertificateToJson(signed_certificate).dump() : json_text),
      CertificateAad(c.identifier));
  return out;
}

}  // namespace

Result<std::int64_t> Vault::Impl::StoreIssued(store::Transaction& tx,
                                              std::string_view issuer_org_id,
                                              const SignedCertificate& certificate,
                                              const Prepared& prepared, IssueResult& result,
                                              std::int64_t& links_ended) {
  CITYCODE_ASSIGN_OR_RETURN(auto issuer, FindIssuerByCode(tx, prepared.issuer_code));
  if (!issuer || issuer->org_id != issuer_org_id) {
    return Status(StatusCode::kPermissionDenied,
                  "the certificate's issuer code is not this agency's", "issuer_mismatch");
  }
  if (!MayIssue(*issuer, prepared.type_code)) {
    return Status(StatusCode::kPermissionDenied, std::string(kNotForIssuer), "type_not_for_issuer");
  }
  if (!prepared.check_character_valid) {
    if (!issuer->accept_bad_check) {
      return Status(StatusCode::kInvalidArgument, "the identifier's check character is wrong",
                    "bad_check_character");
    }
    result.warning = "the identifier's check character does not follow ISO 7064 MOD 37,36";
  }
  auto key = IssuerKey(tx, prepared.key_id);
  if (!key.ok() && key.status().code() != StatusCode::kNotFound) return key.status();
  if (!key.ok() || key->first != issuer_org_id ||
      !VerifyCertificateSignature(certificate, key->second)) {
    return Status(StatusCode::kInvalidArgument,
                  "the issuer's signature does not verify with its registered keys",
                  "bad_signature");
  }
  const store::Value id[] = {Text(prepared.identifier)};
  CITYCODE_ASSIGN_OR_RETURN(auto existing,
                            tx.QueryOptional("SELECT content_hash, holder_index, type_code, status "
                                             "FROM vault_certificates WHERE identifier = ?",
                                             id));
  const Instant now = clock.Now();
  if (existing) {
    if (existing->Blob(0) == prepared.content_hash) {
      result.outcome = IssueOutcome::kUnchanged;
      return std::int64_t{0};
    }
    const Bytes holder(prepared.holder_index.begin(), prepared.holder_index.end());
    if (existing->Blob(1) != holder || existing->Text(2) != prepared.type_code) {
      return Status(StatusCode::kFailedPrecondition,
                    "that identifier belongs to another holder or type", "identifier_conflict");
    }
    if (IsFinalStatus(existing->Text(3))) {
      return Status(StatusCode::kFailedPrecondition, std::string(kFinalMessage),
                    "certificate_final");
    }
    result.outcome = IssueOutcome::kUpdated;
    const store::Value params[] = {Text(prepared.status),
                                   Blob(prepared.content_hash),
                                   Blob(prepared.sealed),
                                   Text(result.warning),
                                   Time(now),
                                   Text(prepared.identifier)};
    CITYCODE_RETURN_IF_ERROR(
        tx.Execute("UPDATE vault_certificates SET status = ?, content_hash = ?, sealed = ?, "
                   "warning = ?, updated_at = ? WHERE identifier = ?",
                   params)
            .status());
    // A guardian link rests on its certificate: a revoked or changed
    // one ends it now.
    const store::Value links[] = {Text(prepared.identifier)};
    CITYCODE_ASSIGN_OR_RETURN(links_ended,
                              ReviewLinks(tx, "certificate = ? AND ended_at IS NULL", links));
  } else {
    const store::Value params[] = {Text(prepared.identifier),
                                   Text(prepared.type_code),
                                   Text(issuer->org_id),
                                   Blob(prepared.holder_index),
                                   Text(prepared.status),
                                   Blob(prepared.content_hash),
                                   Blob(prepared.sealed),
                                   Text(result.warning),
                                   Time(now),
                                   Time(now)};
    CITYCODE_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO vault_certificates (identifier, type_code, issuer_org_id, "
                   "holder_index, status, content_hash, sealed, warning, created_at, "
                   "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   params)
            .status());
  }
  nlohmann::json detail = {{"status", prepared.status},
                           {"outcome", IssueOutcomeName(result.outcome)}};
  if (!result.warning.empty()) detail["warning"] = "check_character";
  return Audit(tx, {.action = "certificate.issue",
                    .actor = std::string(issuer_org_id),
                    .object = prepared.identifier,
                    .detail = detail.dump()});
}

Result<IssueResult> Vault::Issue(std::string_view issuer_org_id,
                                 const SignedCertificate& certificate) {
  Impl& impl = *impl_;
  CITYCODE_ASSIGN_OR_RETURN(Prepared prepared, PrepareCertificate(certificate, impl.keyring));
  IssueResult result{.identifier = prepared.identifier};
  std::int64_t seq = 0, links_ended = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(
            seq, impl.StoreIssued(tx, issuer_org_id, certificate, prepared, result, links_ended));
        return OkStatus();
      }));
  if (seq != 0) impl.CheckpointIfDue(seq);
  if (links_ended > 0) CITYCODE_RETURN_IF_ERROR(impl.platform.devices().PublishRevocations());
  return result;
}

Result<std::string> Vault::IssueRecord(store::Transaction& tx, std::string_view issuer_org_id,
                                       std::string_view citizen_id, const RecordRequest& record) {
  Impl& impl = *impl_;
  CITYCODE_ASSIGN_OR_RETURN(const CertificateType* type, ResolveType(record.type));
  if (!type->health) {
    return Status(StatusCode::kPermissionDenied, std::string(kNotForIssuer), "type_not_for_issuer");
  }
  const store::Value org[] = {Text(issuer_org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto issuer,
      tx.QueryOptional("SELECT credit_code, name FROM vault_issuers WHERE org_id = ?", org));
  if (!issuer) {
    return Status(StatusCode::kFailedPrecondition,
                  "the hospital is not registered as a certificate issuer", "not_an_issuer");
  }
  CITYCODE_ASSIGN_OR_RETURN(std::optional<platform::VerifiedIdentity> identity,
                            impl.platform.identities().Find(tx, citizen_id));
  if (!identity) {
    return Status(StatusCode::kFailedPrecondition, "the patient's identity is not verified",
                  "identity_not_verified");
  }
  const Instant now = impl.clock.Now();
  CITYCODE_ASSIGN_OR_RETURN(CertificateId id,
                            MakeCertificateId(type->code, issuer->Text(0), RecordSerial(), 1));
  const std::string today = impl.LocalDate(now);
  const Certificate certificate{
      .identifier = id.ToString(),
      .type_code = type->code,
      .name = type->name,
      .holder_name = identity->person.name,
      .holder_id_type = std::string(HolderIdTypeCode(HolderIdType::kCitizenIdNumber)),
      .holder_id_number = identity->person.id_number,
      .issuer_name = issuer->Text(1),
      .issuer_code = issuer->Text(0),
      .issue_date = today,
      .valid_from = today,
      .valid_until = "",
      .fields = record.fields,
      .status = CertificateStatus::kValid};
  CITYCODE_ASSIGN_OR_RETURN(
      crypto::PrivateKey key,
      HostedKey(tx, impl.keyring, impl.platform.options().algorithm, issuer_org_id, now));
  CITYCODE_ASSIGN_OR_RETURN(SignedCertificate signed_certificate,
                            SignCertificate(certificate, key));
  CITYCODE_ASSIGN_OR_RETURN(Prepared prepared,
                            PrepareCertificate(signed_certificate, impl.keyring));
  IssueResult result{.identifier = prepared.identifier};
  std::int64_t links_ended = 0;  // a health record ends no guardian link
  CITYCODE_RETURN_IF_ERROR(
      impl.StoreIssued(tx, issuer_org_id, signed_certificate, prepared, result, links_ended)
          .status());
  return result.identifier;
}

Result<ImportBatchResult> Vault::ImportBatch(std::vector<ImportLine> lines, int threads) {
  CITYCODE_ASSIGN_OR_RETURN(auto prepared, PrepareImport(std::move(lines), threads));
  return StoreImport(*prepared);
}

Result<std::shared_ptr<const PreparedImport>> Vault::PrepareImport(std::vector<ImportLine> lines,
                                                                   int threads) {
  Impl& impl = *impl_;
  auto batch = std::make_shared<PreparedImport>();
  batch->lines = std::move(lines);
  const std::vector<ImportLine>& lines_ = batch->lines;
  if (lines_.empty()) return std::shared_ptr<const PreparedImport>(batch);

  // Issuers and their keys, once per batch.
  std::map<std::string, IssuerRow, std::less<>>& issuers = batch->issuers;  // by credit code
  std::map<std::string, crypto::PublicKey, std::less<>> keys;  // by kid, with org below
  std::map<std::string, std::string, std::less<>> key_orgs;
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
    CITYCODE_ASSIGN_OR_RETURN(
        auto rows,
        tx->Query("SELECT credit_code, " + std::string(kIssuerRowColumns) + " FROM vault_issuers"));
    for (const store::Row& row : rows) issuers[row.Text(0)] = IssuerFromRow(row, 1);
    CITYCODE_ASSIGN_OR_RETURN(
        auto key_rows, tx->Query("SELECT key_id, org_id, public_key FROM vault_issuer_keys"));
    for (const store::Row& row : key_rows) {
      CITYCODE_ASSIGN_OR_RETURN(crypto::PublicKey key, crypto::PublicKey::FromSpkiDer(row.Blob(2)));
      keys.emplace(row.Text(0), key);
      key_orgs.emplace(row.Text(0), row.Text(1));
    }
  }

  // Check and seal every line, split over `threads` threads.
  std::vector<std::optional<Prepared>>& prepared = batch->prepared;
  prepared.resize(lines_.size());
  std::vector<std::string> problems(lines_.size());
  auto check = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      auto parsed = ParseCertificateJson(lines_[i].text);
      if (!parsed.ok()) {
        problems[i] = parsed.status().message();
        continue;
      }
      auto ready = PrepareCertificate(*parsed, impl.keyring, lines_[i].text);
      if (!ready.ok()) {
        problems[i] = ready.status().message();
        continue;
      }
      auto issuer = issuers.find(ready->issuer_code);
      if (issuer == issuers.end()) {
        problems[i] = "the issuer code is not a registered issuer";
        continue;
      }
      if (!MayIssue(issuer->second, ready->type_code)) {
        problems[i] = std::string(kNotForIssuer);
        continue;
      }
      if (!ready->check_character_valid) {
        if (!issuer->second.accept_bad_check) {
          problems[i] = "the identifier's check character is wrong";
          continue;
        }
        ready->warning = "the identifier's check character does not follow ISO 7064 MOD 37,36";
      }
      auto key = keys.find(ready->key_id);
      if (key == keys.end() || key_orgs.at(ready->key_id) != issuer->second.org_id ||
          !VerifyCertificateSignature(*parsed, key->second)) {
        problems[i] = "the issuer's signature does not verify with its registered keys";
        continue;
      }
      prepared[i] = std::move(*ready);
    }
  };
  // Small chunks taken in turn, so the threads finish together.
  constexpr std::size_t kChunk = 128;
  std::atomic<std::size_t> next_chunk{0};
  auto work = [&] {
    for (std::size_t begin; (begin = next_chunk.fetch_add(kChunk)) < lines_.size();) {
      check(begin, std::min(lines_.size(), begin + kChunk));
    }
  };
  std::vector<std::future<void>> running;
  for (int w = 1; w < std::clamp(threads, 1, 16); ++w) {
    running.push_back(std::async(std::launch::async, work));
  }
  work();
  for (auto& worker : running) worker.get();

  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    if (prepared[i] && !seen.insert(prepared[i]->identifier).second) {
      problems[i] = "the identifier appears twice in this batch";
    }
    if (!problems[i].empty()) {
      batch->problems.push_back({.line_number = lines_[i].line_number, .reason = problems[i]});
    }
  }
  return std::shared_ptr<const PreparedImport>(batch);
}

Result<ImportBatchResult> Vault::StoreImport(const PreparedImport& batch) {
  Impl& impl = *impl_;
  ImportBatchResult result{.problems = batch.problems};
  if (!result.problems.empty() || batch.lines.empty()) return result;
  const std::vector<ImportLine>& lines = batch.lines;
  const std::vector<std::optional<Prepared>>& prepared = batch.prepared;
  const auto& issuers = batch.issuers;

  std::int64_t seq = 0;
  const Status stored = store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        result.imported = 0;
        result.unchanged = 0;
        result.problems.clear();
        const Instant now = impl.clock.Now();
        for (std::size_t i = 0; i < prepared.size(); ++i) {
          const std::optional<Prepared>& p = prepared[i];
          const store::Value params[] = {Text(p->identifier),
                                         Text(p->type_code),
                                         Text(issuers.at(p->issuer_code).org_id),
                                         Blob(p->holder_index),
                                         Text(p->status),
                                         Blob(p->content_hash),
                                         Blob(p->sealed),
                                         Text(p->warning),
                                         Time(now),
                                         Time(now)};
          // A changed certificate replaces the stored one if it is the same
          // holder's and type's; the same one again changes nothing.
          CITYCODE_ASSIGN_OR_RETURN(
              auto changed,
              tx.Execute("INSERT INTO vault_certificates (identifier, type_code, issuer_org_id, "
                         "holder_index, status, content_hash, sealed, warning, created_at, "
                         "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                         "ON CONFLICT (identifier) DO UPDATE SET status = excluded.status, "
                         "content_hash = excluded.content_hash, sealed = excluded.sealed, "
                         "warning = excluded.warning, updated_at = excluded.updated_at "
                         "WHERE vault_certificates.content_hash <> excluded.content_hash "
                         "AND vault_certificates.holder_index = excluded.holder_index "
                         "AND vault_certificates.type_code = excluded.type_code "
                         "AND vault_certificates.status NOT IN " +
                             std::string(kFinalStatuses),
                         params));
          if (changed > 0) {
            ++result.imported;
            continue;
          }
          const store::Value id[] = {Text(p->identifier)};
          CITYCODE_ASSIGN_OR_RETURN(
              store::Row row,
              tx.QueryOne(
                  "SELECT content_hash, status FROM vault_certificates WHERE identifier = ?", id));
          if (row.Blob(0) == p->content_hash) {
            ++result.unchanged;
          } else {
            result.problems.push_back(
                {.line_number = lines[i].line_number,
                 .reason = IsFinalStatus(row.Text(1))
                               ? std::string(kFinalMessage)
                               : "that identifier belongs to another holder or type"});
          }
        }
        if (!result.problems.empty()) return FailedPrecondition("conflicting identifiers");
        // One audit entry per batch: its size and a digest of what it held.
        std::string identifiers;
        for (const std::optional<Prepared>& p : prepared) identifiers += p->identifier + "\n";
        const auto digest = crypto::Sha256(AsBytes(identifiers));
        nlohmann::json detail = {{"lines", lines.size()},
                                 {"first_line", lines.front().line_number},
                                 {"imported", result.imported},
                                 {"unchanged", result.unchanged},
                                 {"identifiers_sha256", ToHex(digest)}};
        CITYCODE_ASSIGN_OR_RETURN(seq, impl.Audit(tx, {.action = "certificate.import",
                                                       .actor = "import",
                                                       .object = prepared.front()->identifier,
                                                       .detail = detail.dump()}));
        return OkStatus();
      });
  if (!result.problems.empty()) {
    result.imported = result.unchanged = 0;
    return result;
  }
  CITYCODE_RETURN_IF_ERROR(stored);
  impl.CheckpointIfDue(seq);
  return result;
}

Result<std::int64_t> Vault::RewrapSealedData() {
  Impl& impl = *impl_;
  std::int64_t changed = 0;
  std::string after;  // keyset pagination by identifier
  for (;;) {
    std::vector<std::pair<std::string, Bytes>> page;
    {
      CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
      const store::Value params[] = {Text(after)};
      CITYCODE_ASSIGN_OR_RETURN(auto rows,
                                tx->Query("SELECT identifier, sealed FROM vault_certificates WHERE "
                                          "identifier > ? ORDER BY identifier LIMIT 1000",
                                          params));
      for (const store::Row& row : rows) page.emplace_back(row.Text(0), row.Blob(1));
    }
    if (page.empty()) return changed;
    after = page.back().first;
    CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
        impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
          for (const auto& [identifier, sealed] : page) {
            CITYCODE_ASSIGN_OR_RETURN(std::string key_id, impl.keyring.MasterKeyId(sealed));
            if (key_id == impl.keyring.current_key_id()) continue;
            CITYCODE_ASSIGN_OR_RETURN(Bytes rewrapped,
                                      impl.keyring.Rewrap(sealed, CertificateAad(identifier)));
            const store::Value params[] = {Blob(rewrapped), Text(identifier)};
            CITYCODE_RETURN_IF_ERROR(
                tx.Execute("UPDATE vault_certificates SET sealed = ? WHERE identifier = ?", params)
                    .status());
            ++changed;
          }
          return OkStatus();
        }));
  }
}

}  // namespace citycode::vault
