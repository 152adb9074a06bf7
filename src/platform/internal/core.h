// State shared by the files that implement the platform (one per concern).
#ifndef CITYCODE_PLATFORM_INTERNAL_CORE_H_
#define CITYCODE_PLATFORM_INTERNAL_CORE_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "code/trust_list.h"
#include "code/verifier.h"
#include "common/backoff.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "platform/internal/auth_cache.h"
#include "platform/platform.h"
#include "store/group_commit.h"

namespace citycode::platform {

// Bearer tokens: "ccs_<secret>" is a citizen's session, "cck_<id>_<secret>"
// an API key.
inline constexpr std::string_view kSessionPrefix = "ccs_";
inline constexpr std::string_view kApiKeyPrefix = "cck_";

// invalid_argument unless 1-200 bytes without control characters.
Status CheckDisplayName(std::string_view name);

// 11 digits starting with 1: a mainland mobile number.
bool IsValidPhone(std::string_view phone);
// invalid_argument for a bad name, ID number (CheckPerson), phone or
// password.
Status CheckRegistration(const CitizenRegistration& r, Instant now);
// Inserts the citizen in `tx`: the new id; already_exists if the phone is
// registered. The password is given hashed.
Result<std::string> InsertCitizen(PlatformCore& core, store::Transaction& tx,
                                  const CitizenRegistration& r, std::string_view password_hash,
                                  std::optional<Instant> phone_verified_at);

// The fare class the person's age gives as of `now`: senior from
// `senior_age`, else adult.
code::RiderCategory AgeCategory(std::string_view id_number, Instant now, int senior_age);

// Random ids and bearer tokens.
using crypto::RandomId;                     // "org_3f9c…" (128 random bits)
std::string NewSecret();                    // 256 random bits, base64url
Bytes SecretHash(std::string_view secret);  // SHA-256: secrets are random, not passwords

// The aad a sealed column's value is bound to: its table, column and row,
// so a sealed value copied to another row or column does not open.
inline std::string SealedAad(std::string_view table, std::string_view column,
                             std::string_view row_id) {
  return std::string(table) + "." + std::string(column) + ":" + std::string(row_id);
}

using store::Blob;
using store::Int;
using store::Text;
using store::Time;

// The state every concern of the platform shares: the store, the keys, the
// verifier and its lists.
struct PlatformCore {
  PlatformCore(store::Database& d, const Clock& c, Keyring k, PlatformOptions o)
      : db(d),
        clock(c),
        keyring(std::move(k)),
        options(std::move(o)),
        passwords(options.password_threads, options.password_queue),
        login_by_account(options.login_failures_per_phone, kFirstLoginWait, kMaxLoginWait),
        login_by_address(options.login_failures_per_address, kFirstLoginWait, kMaxLoginWait) {}

  store::Database& db;
  const Clock& clock;
  const Keyring keyring;
  const PlatformOptions options;

  std::optional<crypto::PrivateKey> root;  // set once by Bootstrap

  // Every password hash and check goes through the gate; logins back off
  // per account (a phone, a clerk's login) and per client address
  // (PlatformOptions: login_failures_per_phone counts for both kinds).
  static constexpr std::chrono::seconds kFirstLoginWait{1};
  static constexpr std::chrono::seconds kMaxLoginWait{15 * 60};
  crypto::PasswordGate passwords;
  FailureBackoff login_by_account;
  FailureBackoff login_by_address;

  // A password hash at the configured cost that no password matches: a
  // login for an unknown phone checks against it, so it takes as long as a
  // wrong password and the timing does not tell which phones are registered.
  // Made on first use, not at Open (every admin command opens a platform).
  const std::string& DecoyPasswordHash();
  // A login's password check: refused at once with login_backoff while the
  // account key (a phone, a clerk's login) or the client address waits;
  // else `password` is checked against `hash` (none: the decoy, the same
  // work) and the outcome counted. OK on a match, `refused` otherwise.
  Status CheckLoginPassword(std::string_view account_key, std::string_view client_address,
                            std::optional<std::string_view> hash, std::string_view password,
                            const Status& refused);
  std::once_flag decoy_once;
  std::string decoy_password_hash;

  // Who recent bearer tokens are (auth_cache.h).
  AuthCache auth_cache;
  // Runs a change to who may call — a key revoked or replaced, a terminal
  // disabled, sessions ended — in a write transaction, then forgets the
  // cached authentications, so this process refuses at once.
  template <typename Work>
  Status ChangeAccess(Work&& work) {
    const Status status =
        store::RunInTransaction(db, store::TransactionMode::kWrite, std::forward<Work>(work));
    auth_cache.Invalidate();
    return status;
  }

  // Private signing keys opened from the store, by hex kid.
  std::mutex signing_mutex;
  std::map<std::string, crypto::PrivateKey, std::less<>> signing_keys;

  ConcessionSource concessions;  // empty: no concession from certificates

  std::unique_ptr<code::Verifier> verifier;
  std::unique_ptr<oidc::IdTokenVerifier> id_tokens;  // null without an identity provider

  // Verified identities opened from their envelopes, by verification id
  // (a new id whenever an identity changes, so an entry is never stale).
  std::mutex identity_cache_mutex;
  std::map<std::string, VerifiedIdentity, std::less<>> identity_cache;  // cleared when full
  // The list versions the verifier holds. Replacing the trust list starts
  // the verifier's credential cache over, so unchanged lists are left alone.
  std::mutex refresh_mutex;
  std::uint64_t trust_version_loaded = 0;       // guarded by refresh_mutex
  std::uint64_t revocation_version_loaded = 0;  // guarded by refresh_mutex

  // The online paths' small writes — verification records, renewed
  // credentials — share commits (store/group_commit.h); on PostgreSQL,
  // kPostgresCommitters transactions at a time. The last member: destroyed
  // first, so the units it still commits find the rest alive.
  static constexpr int kPostgresCommitters = 4;
  store::GroupCommit online_commits{
      db, db.backend() == store::Backend::kPostgres ? kPostgresCommitters : 1};

  // Creates the root key and a first signing key in an empty store.
  Status Bootstrap();
  // Stores a new key; `purpose` is "root" or "signing".
  Result<crypto::PrivateKey> AddKey(store::Transaction& tx, std::string_view purpose,
                                    Instant not_before, Instant not_after);
  Result<crypto::PrivateKey> OpenPrivateKey(const store::Row& row);  // id, sealed_private_key
  // The key that signs credentials at `now`, with its hex kid.
  Result<std::pair<std::string, crypto::PrivateKey>> CurrentSigningKey(store::Transaction& tx,
                                                                       Instant now);

  // What a credential is issued to: a device (its id and key), or, with
  // `card`, a printed card (no device, no key, channel card).
  struct NewCredential {
    std::string_view device_id;
    std::optional<crypto::PublicKey> device_key;
    code::Channel channel = code::Channel::kApp;
    bool held_by_guardian = false;
    const CardIssuer* card = nullptr;
  };
  // Signs and records a credential for the citizen: a device's (the
  // credential lifetime, every scene) or a card's (cards.h).
  Result<IssuedCredential> SignCredential(store::Transaction& tx, std::string_view citizen_id,
                                          const NewCredential& holder, Instant now);
  // In `tx`: revokes the citizen's unrevoked card with `reason` and marks
  // the revocation list for re-signing; how many (0 or 1).
  Result<std::int64_t> RevokeCards(store::Transaction& tx, std::string_view citizen_id,
                                   std::string_view reason);
  // Issues and records a credential for an active device (one a guardian
  // holds: the credential says so).
  Result<IssuedCredential> IssueCredential(store::Transaction& tx, std::string_view citizen_id,
                                           std::string_view device_id,
                                           const crypto::PublicKey& device_key,
                                           code::Channel channel, bool held_by_guardian,
                                           Instant now);
  // In `tx`: ends the citizen's active devices (those `guardian_id` holds,
  // when given) as unbound and revokes their live credentials with
  // `reason`; the revocation list is marked for re-signing.
  Status EndActiveDevices(store::Transaction& tx, std::string_view citizen_id,
                          std::optional<std::string_view> guardian_id, std::string_view reason);
  // Ends an active device and revokes its live credentials.
  Status EndDevice(std::string_view citizen_id, std::string_view device_id, DeviceState state);

  // The signed list `name` ("trust" or "revocation"), re-signed first if its
  // content changed or half its lifetime has passed.
  Result<SignedList> GetList(std::string_view name);
  Result<code::TrustList> BuildTrustList(store::Transaction& tx, Instant now);
  Result<code::RevocationList> BuildRevocationList(store::Transaction& tx, Instant now);
  // Loads both current lists into the verifier; after every change made here,
  // and periodically for changes made by other server processes.
  Status RefreshVerifier();
  // Completes the online verification of a live code: revocation and
  // replay from the store, then the event. (An offline gate's scans:
  // Verification::RecordScansIn.)
  Result<OnlineVerification> Record(const Principal& terminal, code::VerificationResult result);
  // The same in the caller's write transaction.
  Result<OnlineVerification> RecordIn(store::Transaction& tx, const Principal& terminal,
                                      code::VerificationResult result);

  Result<NewApiKey> AddApiKey(store::Transaction& tx, Role role, std::string_view name,
                              std::string_view org_id, std::string_view terminal_id,
                              std::optional<code::Channel> channel);
};

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_INTERNAL_CORE_H_
