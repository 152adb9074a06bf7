// State shared by the files that implement Vault (one per area).
#ifndef CITYCODE_VAULT_INTERNAL_IMPL_H_
#define CITYCODE_VAULT_INTERNAL_IMPL_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "common/words.h"
#include "crypto/random.h"
#include "vault/vault.h"

namespace citycode::vault {

using platform::BlindIndex;

using crypto::RandomId;  // "grt_3f9c…" (128 random bits)

using store::Blob;
using store::Int;
using store::Text;
using store::Time;

// The aad that binds a sealed certificate to its row.
inline std::string CertificateAad(std::string_view identifier) {
  return "vault_certificates.sealed:" + std::string(identifier);
}

// The blind index a certificate's holder is found by; the citizens'
// ID-number index uses the same purpose, so a citizen's certificates are
// those with their index.
BlindIndex HolderIndex(const platform::Keyring& keyring, std::string_view id_type,
                       std::string_view id_number);

// Whether a type code is a health record's (CertificateType::health).
bool IsHealthType(std::string_view code);

// A permission_denied refusal with its machine code.
inline Status Refusal(std::string reason, std::string message) {
  return Status(StatusCode::kPermissionDenied, std::move(message), std::move(reason));
}

// A certificate checked and made ready to store: everything but the
// database work, so bulk imports can prepare on several threads.
struct Prepared {
  std::string identifier;
  std::string type_code;
  std::string status;
  std::string issuer_code;
  std::string key_id;
  BlindIndex holder_index{};
  Bytes content_hash;
  Bytes sealed;
  std::string warning;
  bool check_character_valid = true;
};

// What a fetch may serve: its grant and the certificate types it asks for.
struct FetchScope {
  Grant grant;
  std::vector<std::string> codes;
};

struct Vault::Impl {
  Impl(store::Database& d, const Clock& c, platform::Platform& p, platform::Keyring k,
       VaultOptions o, crypto::PrivateKey key)
      : db(d),
        clock(c),
        platform(p),
        keyring(std::move(k)),
        options(std::move(o)),
        vault_key(std::move(key)),
        audit(
            d, c, vault_key,
            AuditOptions{.hash = options.audit_hash, .checkpoint_file = options.checkpoint_file}) {}

  store::Database& db;
  const Clock& clock;
  platform::Platform& platform;
  const platform::Keyring keyring;
  const VaultOptions options;
  const crypto::PrivateKey vault_key;
  AuditLog audit;

  // Issuer public keys by hex kid: they never change once added.
  std::mutex issuer_keys_mutex;
  std::map<std::string, std::pair<std::string, crypto::PublicKey>, std::less<>>
      issuer_keys;  // kid -> (org id, key)
  Result<std::pair<std::string, crypto::PublicKey>> IssuerKey(store::Transaction& tx,
                                                              std::string_view key_id);

  // The person whose certificates a citizen's account may reach: the
  // account's verified identity (platform/identities.h), as the holder
  // index and the name certificates must carry; nullopt when the account's
  // identity is not verified, and then it reaches none.
  struct Holder {
    BlindIndex index;
    std::string name;
  };
  Result<std::optional<Holder>> CitizenHolder(store::Transaction& tx, std::string_view citizen_id);
  // Every certificate the account's verified person holds, opened, by type
  // and identifier; failed_precondition identity_not_verified without one.
  Result<std::vector<SignedCertificate>> HeldCertificates(std::string_view citizen_id);

  // A stored certificate (its row's identifier, sealed copy and issuer),
  // opened and checked as of the local date `today`: its issuer's
  // signature, status and validity dates; `problem` says why it may not be
  // served ("bad_signature", "not_valid", "expired"; "" when it may).
  struct CheckedCertificate {
    FetchedCertificate fetched;
    std::string problem;
  };
  Result<CheckedCertificate> OpenChecked(store::Transaction& tx, std::string_view identifier,
                                         ByteView sealed, std::string_view issuer_org_id,
                                         std::string_view today);

  // Guardian links (dependants.cc). Why a link no longer holds as of
  // `now` ("" while it does): certificate_<problem>, certificate_mismatch,
  // certificate_not_held, dependant_of_age, guardian_identity_changed,
  // dependant_verified_elsewhere.
  Result<std::string> LinkProblem(store::Transaction& tx, const std::string& guardian_id,
                                  const std::string& dependant_id, const std::string& certificate,
                                  Instant now);
  // Ends a live link for `reason`: the guardian's devices for the
  // dependant end; with the last link, the dependant's identity.
  Status EndLink(store::Transaction& tx, const std::string& link_id, const std::string& guardian_id,
                 const std::string& dependant_id, std::string_view reason);
  // Ends the live links selected by `where` whose LinkProblem is not
  // empty; the number ended. Call Devices::PublishRevocations after commit.
  Result<std::int64_t> ReviewLinks(store::Transaction& tx, std::string_view where,
                                   std::span<const store::Value> params);
  std::atomic<std::int64_t> last_dependant_review{0};  // unix seconds
  // The guardianship certificate in the vault that makes `guardian` the
  // guardian of `dependant` now; failed_precondition
  // (no_guardianship_certificate) when there is none.
  Result<Certificate> FindGuardianship(store::Transaction& tx, const platform::Person& guardian,
                                       const platform::Person& dependant, Instant now);

  // The concession a verified person's valid certificates give: disabled
  // (a disability certificate) before student (a student card); nullopt
  // for none. The platform asks when it issues a credential.
  Result<std::optional<code::RiderCategory>> Concession(store::Transaction& tx,
                                                        const platform::Person& person);

  // Issuing in `tx`: the checks that need the database (issuer, type,
  // signature, an existing certificate of that identifier), the row, and
  // its audit entry, whose sequence number it answers (0 for the same
  // certificate again). `links_ended`: guardian links the change ended;
  // after commit, Devices::PublishRevocations.
  Result<std::int64_t> StoreIssued(store::Transaction& tx, std::string_view issuer_org_id,
                                   const SignedCertificate& certificate, const Prepared& prepared,
                                   IssueResult& result, std::int64_t& links_ended);

  // Vault::GrantPresentation in `tx`; `seq` is its audit entry's (after
  // commit, CheckpointIfDue).
  Result<std::optional<Grant>> GrantPresentationIn(store::Transaction& tx,
                                                   const platform::Principal& terminal,
                                                   std::string_view citizen_id,
                                                   std::string_view verification_id,
                                                   const std::vector<std::string>& type_codes,
                                                   std::int64_t& seq);

  // Appends to the audit log in `tx`; after commit, CheckpointIfDue.
  Result<std::int64_t> Audit(store::Transaction& tx, AuditEvent event);
  void CheckpointIfDue(std::int64_t seq);

  // When a standing grant of `codes` ends: the request's expires_at within
  // max_standing_grant, or for health records (which are granted alone)
  // within max_health_grant, health_grant_lifetime by default.
  Result<Instant> GrantExpiry(const StandingGrantRequest& request,
                              const std::vector<std::string>& codes, Instant now) const;

  // The local date (YYYY-MM-DD) of `t` in the city's time (options.time).
  std::string LocalDate(Instant t) const;

  // The steps of Fetch (consent.cc), in order:
  // the caller's grant, checked in `tx` as of `now`, and the types it may
  // serve (`requested`, or all the grant's); `subject` becomes the grant's
  // citizen as soon as the grant is found, for the audit of a refusal.
  Result<FetchScope> CheckFetchScope(store::Transaction& tx, const platform::Principal& caller,
                                     const FetchRequest& request,
                                     const std::vector<std::string>& requested, Instant now,
                                     std::string& subject);
  // The citizen's certificates of those types, opened and checked, each
  // either served or missing with its reason, signed as the release.
  Result<Release> MakeRelease(store::Transaction& tx, const platform::Principal& caller,
                              const FetchRequest& request, const FetchScope& scope, Instant now);
  // Uses up a presentation grant (re-checks a standing one) and audits the
  // fetch, in one write transaction; the audit entry's sequence number.
  Result<std::int64_t> RecordFetch(const platform::Principal& caller, const FetchRequest& request,
                                   const FetchScope& scope, const Release& release);
  // Audits a refused fetch in its own transaction.
  Status RecordRefusedFetch(const platform::Principal& caller, const FetchRequest& request,
                            std::string_view subject, const Status& refusal);
};

}  // namespace citycode::vault

#endif  // CITYCODE_VAULT_INTERNAL_IMPL_H_
