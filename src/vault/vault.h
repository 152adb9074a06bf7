// The e-certificate vault (证照库): issuing agencies put certificates in,
// and an organisation takes out the ones a citizen has consented to, for a
// stated use-cause, with every step in the hash-chained audit log.
//
// - Issuers are organisations of kind issuing_agency registered here with
//   their unified social credit code and signing keys. Every certificate
//   state (issue, update, revoke, expire) is a certificate the agency signed;
//   the vault keeps the latest, sealed at rest under its own data key.
// - Consent is a grant: standing (the citizen grants an organisation some
//   certificate types for a purpose until a date, revocable) or presentation
//   (a code verified by the organisation's terminal authorises one fetch of
//   the types the scene or service item declares, within minutes).
// - An organisation may only ever request the types it is registered for;
//   only certificates in a valid state are served; each fetch names its
//   use-cause (申请事由); what leaves the vault is signed together with the
//   receiving organisation and use-cause, so a leaked copy shows its source.
//
// Refusals are permission_denied statuses whose reason() is the machine code
// (consent_missing, consent_expired, consent_revoked, consent_used,
// type_not_consented, type_not_registered, ...), and each is audited.
#ifndef CITYCODE_VAULT_VAULT_H_
#define CITYCODE_VAULT_VAULT_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/city_time.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/key.h"
#include "platform/keyring.h"
#include "platform/platform.h"
#include "store/database.h"
#include "vault/audit.h"
#include "vault/certificate.h"
#include "vault/certificate_types.h"

namespace citycode::vault {

struct VaultOptions {
  AuditHash audit_hash = AuditHash::kSha256;
  // The copy of every audit checkpoint outside the database.
  std::optional<std::filesystem::path> checkpoint_file;
  // A checkpoint is written after this many audit entries (and whenever
  // Checkpoint() is called: the server does so every minute).
  std::int64_t checkpoint_every = 1000;
  std::chrono::seconds presentation_grant_lifetime = std::chrono::minutes(10);
  std::chrono::seconds max_standing_grant = std::chrono::days(366);
  // A grant of health records (PIPL art. 29: separate consent) is shorter:
  // this long unless the citizen says otherwise, and never longer than max.
  std::chrono::seconds health_grant_lifetime = std::chrono::hours(24);
  std::chrono::seconds max_health_grant = std::chrono::days(7);
  // The city's local time: certificates are valid by local dates.
  CityTime time;
  // A guardian acts for a minor under this age (who verifies on their own
  // from then on); for an adult ward, as long as the certificate holds.
  int guardian_minor_age = 14;
  // How often ReviewDependants re-checks every live link (a change of the
  // certificate itself is acted on at once).
  std::chrono::seconds dependant_review_interval = std::chrono::hours(1);
};

// A hospital (kind hospital) may register too: it issues the health
// record types and only those; an issuing agency issues every other type.
struct IssuerRegistration {
  std::string org_id;       // an organisation of kind issuing_agency or hospital
  std::string credit_code;  // the issuer code in its certificates' identifiers
  std::string name;
  // An external issuer's identifiers may follow another check-character
  // rule; with accept_bad_check_character such certificates are kept, with
  // a recorded warning. Our own issuers never get a wrong one accepted.
  bool external = false;
  bool accept_bad_check_character = false;
};

struct Issuer : IssuerRegistration {
  std::vector<std::string> key_ids;  // hex
};

enum class IssueOutcome { kCreated, kUpdated, kUnchanged };
std::string_view IssueOutcomeName(IssueOutcome outcome);  // "created", ...

struct IssueResult {
  std::string identifier;
  IssueOutcome outcome = IssueOutcome::kCreated;
  std::string warning;  // e.g. the check character of an external issuer
};

// What a citizen sees of a certificate in their own list.
struct CertificateSummary {
  std::string identifier;
  std::string type_code;
  std::string type_name;
  CertificateStatus status = CertificateStatus::kValid;
  std::string issuer_name;
  std::string valid_until;
};

enum class GrantKind { kStanding, kPresentation };
std::string_view GrantKindName(GrantKind kind);

struct Grant {
  std::string id;
  GrantKind kind = GrantKind::kStanding;
  std::string citizen_id;
  std::string org_id;
  std::vector<std::string> type_codes;
  std::string purpose;
  Instant created_at{};
  Instant expires_at{};
  std::optional<Instant> used_at;  // a presentation grant's fetch
  std::optional<Instant> revoked_at;
};

struct StandingGrantRequest {
  std::string citizen_id;
  std::string org_id;
  std::vector<std::string> type_codes;  // codes or keys ("resident_id_card")
  std::string purpose;
  // Required for other types; for health records, unset means
  // health_grant_lifetime from now.
  std::optional<Instant> expires_at;
};

struct FetchRequest {
  std::string grant_id;
  std::vector<std::string> type_codes;  // codes or keys; empty: all the grant covers
  std::string use_cause;                // 申请事由, 1..256 bytes
  // Instead of grant_id: the citizen whose newest standing grant to the
  // caller's organisation covering type_codes is used (a hospital knows its
  // patient, not the grant). Without a live one the refusal is the newest
  // such grant's (consent_revoked, consent_expired), else consent_missing.
  std::string citizen_id;
};

// A health record a hospital issues for its patient, signed by the vault
// with the key it holds for that hospital (托管签名); see IssueRecord.
struct RecordRequest {
  std::string type;  // a health type's code or key
  std::map<std::string, std::string> fields;
};

// A type the grant covers for which no certificate was served, and why:
// "not_held", "not_valid" (its status), "expired" (past valid_until),
// "bad_signature", "name_mismatch" (held under the verified ID number but
// another name), "identity_not_verified" (the citizen's account has no
// verified identity, so it reaches no certificate).
struct MissingCertificate {
  std::string type_code;
  std::string reason;
};

struct FetchedCertificate {
  SignedCertificate certificate;
  // What the vault checked before serving: the issuer's signature with the
  // issuer's registered key, the status and the validity dates.
  bool signature_valid = false;
  bool in_validity = false;
};

// The signed answer to a fetch. `release_json` is the exact text the vault
// signed (canonical JSON: release id, organisation, terminal, use-cause,
// grant, time, the certificates and the missing types).
struct Release {
  std::string id;
  std::string org_id;
  std::string use_cause;
  Instant fetched_at{};
  std::vector<FetchedCertificate> certificates;
  std::vector<MissingCertificate> missing;
  std::string release_json;
  std::string key_id;  // hex kid of the vault key
  Bytes signature;
};

// One line of a citizen's access history.
struct AccessRecord {
  std::int64_t seq = 0;
  Instant at{};
  std::string action;  // "certificate.fetch", "fetch.refused", "consent.grant", ...
  std::string org_id;
  std::string org_name;
  std::vector<std::string> identifiers;
  std::string purpose;  // the use-cause or grant purpose
  std::string reason;   // refusals
};

// A person a guardian acts for (a child, or an adult ward), as the guardian
// sees them.
struct Dependant {
  std::string citizen_id;  // the dependant's own account
  std::string name;
  std::string id_number_masked;  // "3702**********123X"
  std::string ward_kind;         // "minor" or "adult", as the certificate says
  std::string certificate;       // the guardianship certificate's identifier
  Instant since{};
  std::optional<Instant> ended_at;
  std::string end_reason;  // why it ended: "ended_by_guardian", "certificate_not_valid", …
};

// One line of a bulk file, as read.
struct ImportLine {
  std::int64_t line_number = 0;
  std::string text;
};
struct ImportProblem {
  std::int64_t line_number = 0;
  std::string reason;  // never the line's content (personal data)
};
struct PreparedImport;  // opaque: a checked batch

struct ImportBatchResult {
  std::int64_t imported = 0;            // created or updated
  std::int64_t unchanged = 0;           // the same certificate again
  std::vector<ImportProblem> problems;  // non-empty: nothing of the batch was imported
};

// A code verified online, with the presentation grant it led to.
struct VerifiedPresentation {
  platform::OnlineVerification verification;
  std::optional<Grant> grant;  // none when there is nothing to grant or the code was refused
};

// An organisation that may request certificates from the vault.
struct Requester {
  std::string org_id;
  std::string name;
  std::string kind;  // platform::OrgKindName
  std::vector<std::string> type_codes;
};

class Vault {
 public:
  // Applies the vault's migrations and creates its signing key (audit
  // checkpoints and releases) on first use. All must outlive the Vault.
  static Result<std::unique_ptr<Vault>> Open(store::Database& db, const Clock& clock,
                                             platform::Platform& platform,
                                             platform::Keyring keyring, VaultOptions options = {});
  ~Vault();
  Vault(const Vault&) = delete;
  Vault& operator=(const Vault&) = delete;

  // --- registry and administration (admin) ---
  const std::vector<CertificateType>& certificate_types() const;
  Status RegisterIssuer(const IssuerRegistration& registration, std::string_view actor);
  // Adds a signing key of the issuer; returns its hex kid.
  Result<std::string> AddIssuerKey(std::string_view org_id, const crypto::PublicKey& key,
                                   std::string_view actor);
  Result<Issuer> GetIssuer(std::string_view org_id);
  // The certificate types an organisation may ever request, and of them the
  // ones a code shown at its terminals authorises (presentation grants).
  Status SetOrganisationTypes(std::string_view org_id, const std::vector<std::string>& may_request,
                              const std::vector<std::string>& on_presentation,
                              std::string_view actor);
  Result<std::vector<std::string>> OrganisationTypes(std::string_view org_id,
                                                     bool on_presentation_only);
  // Every organisation that may request certificate types, with those
  // types: what a citizen chooses from when granting consent.
  Result<std::vector<Requester>> Requesters();

  // --- issuing (issuing agency) ---
  // Stores the certificate `issuer_org_id` signed; idempotent by
  // identifier (the same certificate again is unchanged; a changed one,
  // e.g. with status revoked, replaces it).
  Result<IssueResult> Issue(std::string_view issuer_org_id, const SignedCertificate& certificate);
  // A bulk batch: every line is checked first; if any is bad, none is
  // imported and every bad line is named. Lines are checked on `threads`
  // threads.
  Result<ImportBatchResult> ImportBatch(std::vector<ImportLine> lines, int threads = 2);
  // ImportBatch in two steps, so a bulk load checks the next batch (the
  // slow part: signatures) while the previous one is written: Prepare
  // writes nothing; Store writes a prepared batch all-or-nothing.
  Result<std::shared_ptr<const PreparedImport>> PrepareImport(std::vector<ImportLine> lines,
                                                              int threads = 2);
  Result<ImportBatchResult> StoreImport(const PreparedImport& batch);
  // In the caller's write transaction (a scene's visit closing with it):
  // issues `record` to the verified person of `citizen_id`, by the hospital
  // `issuer_org_id`, valid from today without end, signed with the key the
  // vault keeps for that hospital (made when it registers as an issuer, or
  // on first use, and one of its issuer keys). Answers the identifier.
  // failed_precondition: not_an_issuer (the hospital is not registered),
  // identity_not_verified; permission_denied type_not_for_issuer (not a
  // health type); invalid_argument as ValidateCertificate.
  Result<std::string> IssueRecord(store::Transaction& tx, std::string_view issuer_org_id,
                                  std::string_view citizen_id, const RecordRequest& record);

  // --- citizens ---
  // The certificates held by the account's verified person: their ID number
  // and their name. failed_precondition (identity_not_verified) for an
  // account without a verified identity.
  Result<std::vector<CertificateSummary>> ListCertificates(std::string_view citizen_id);
  // The citizen's own health records in full (their face fields), newest
  // issue date first: the patient reads them at any time, without a grant.
  // failed_precondition identity_not_verified as ListCertificates.
  Result<std::vector<SignedCertificate>> HealthRecords(std::string_view citizen_id);
  Result<Grant> GrantStanding(const StandingGrantRequest& request);
  Result<std::vector<Grant>> ListGrants(std::string_view citizen_id);
  Status RevokeGrant(std::string_view citizen_id, std::string_view grant_id);
  // Who fetched which certificates, when and why; refusals and consent
  // changes too. Newest first.
  Result<std::vector<AccessRecord>> AccessHistory(std::string_view citizen_id,
                                                  std::size_t limit = 100);

  // --- dependants: a guardian acts for a child or a ward ---
  // The guardian `guardian_id` (a verified adult) adds `dependant`, whose
  // guardianship certificate in the vault names the guardian's verified
  // name and ID number and is valid (signed, in force, within its dates). The
  // dependant's own account (made on first use, without phone or password)
  // is verified through that certificate at the guardian's level; the
  // guardian then makes the dependant's codes (platform Devices with
  // guardian_id), and sees their certificates and access history.
  // failed_precondition: identity_not_verified (the guardian),
  // no_guardianship_certificate, dependant_too_old (a minor of
  // guardian_minor_age), dependant_has_account (the person is verified on
  // an account of their own); already_exists if the link is live already;
  // invalid_argument as platform::CheckPerson.
  Result<Dependant> AddDependant(std::string_view guardian_id, const platform::Person& dependant);
  // The guardian's dependants, ended links included, newest first.
  Result<std::vector<Dependant>> ListDependants(std::string_view guardian_id);
  // The dependant's account id, if `guardian_id` holds a live link to it;
  // the link is re-checked first and ended if its certificate no longer
  // supports it. not_found (dependant_not_found) for no link;
  // failed_precondition (guardianship_ended) for one that has ended.
  Result<std::string> ActFor(std::string_view guardian_id, std::string_view dependant_id);
  // The guardian ends the link: the devices they hold for the dependant
  // end, and with the last link the dependant's verified identity.
  Status EndDependant(std::string_view guardian_id, std::string_view dependant_id);
  // Ends every live link its certificate no longer supports (revoked or
  // expired, the minor come of age, either identity changed, the
  // dependant verified on their own account); at most once per
  // dependant_review_interval unless `now_due`. The number ended.
  Result<std::int64_t> ReviewDependants(bool now_due = false);

  // The citizen's account is being deleted: their grants are revoked and
  // their guardian links end, all audited ("account.delete"). The audit
  // log itself is kept whole: it is the record of who reached whose
  // certificates, which the vault must keep, and it names accounts only by
  // their opaque ids.
  Status ForgetCitizen(std::string_view citizen_id);

  // --- relying parties ---
  // After a valid online verification at a terminal of `terminal.org_id`:
  // a one-time grant of `type_codes` (those the organisation is registered
  // for) or, if empty, of its on-presentation types. nullopt when there is
  // nothing to grant.
  Result<std::optional<Grant>> GrantPresentation(const platform::Principal& terminal,
                                                 std::string_view citizen_id,
                                                 std::string_view verification_id,
                                                 std::vector<std::string> type_codes = {});
  // The online verification at a terminal (platform::Verification::Verify)
  // and, for a valid code, GrantPresentation for the terminal's
  // organisation, committed together through the platform's online commits:
  // the code is checked on the calling thread, and `done` gets the result
  // on the committing thread once it is durable (it must be short, and must
  // not wait for a commit). An error is the check's (permission_denied for
  // a caller that is no terminal) or the commit's; a refused code is a
  // result.
  void VerifyPresentationThen(const platform::Principal& terminal, std::string_view qr_text,
                              std::function<void(Result<VerifiedPresentation>)> done);
  // platform::Verification::VerifyForAction, and for a code a guardian's
  // phone shows for a dependant, the guardian link re-checked as ActFor
  // does: permission_denied guardianship_ended when it no longer holds
  // (the code is spent by then; nothing else changes).
  Result<platform::OnlineVerification> VerifyForAction(const platform::Principal& terminal,
                                                       std::string_view qr_text);
  // The same check of a verification recorded in the caller's transaction
  // (platform::Verification::Check and RecordIn), read only: permission_denied
  // guardianship_ended, and the link is ended by the next review.
  Status CheckGuardianLink(store::Transaction& tx,
                           const platform::OnlineVerification& verification);
  // permission_denied with a reason for every refusal (audited).
  Result<Release> Fetch(const platform::Principal& caller, const FetchRequest& request);
  // The key that signs releases and audit checkpoints.
  const crypto::PublicKey& public_key() const;
  // As opened: the audit hash, the checkpoint file, the grant lifetimes.
  const VaultOptions& options() const;

  // --- audit ---
  Result<AuditCheckpoint> Checkpoint();
  Result<AuditCheckpoint> LatestCheckpoint();
  AuditLog& audit();

  // Re-wraps sealed certificates under the keyring's current master key.
  Result<std::int64_t> RewrapSealedData();

 private:
  struct Impl;
  explicit Vault(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The type registry entry for a code or key; not_found otherwise.
Result<const CertificateType*> ResolveType(std::string_view code_or_key);

}  // namespace citycode::vault

#endif  // CITYCODE_VAULT_VAULT_H_
