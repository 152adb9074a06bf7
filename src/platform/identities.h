// Real-name identity: the person an account is verified to be, and how.
// Nothing personal is served from the vault, and no concession fare is
// given, before an account's identity is verified (docs/SECURITY.md):
//   - online: an OpenID Connect ID token from the identity provider the
//     operator configured (a provincial identity platform after a face
//     check) names the person; the token is checked by oidc::IdTokenVerifier
//     against a nonce this account asked for;
//   - in person: a hall window checks the physical ID card of the person
//     whose code it has just verified, and confirms.
// One account per person: a person verified on a second account is moved
// there (the first account loses the identity; both are logged).
#ifndef CITYCODE_PLATFORM_IDENTITIES_H_
#define CITYCODE_PLATFORM_IDENTITIES_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "platform/principal.h"
#include "store/database.h"

namespace citycode::platform {

// Levels of identity assurance, weakest first.
enum class AssuranceLevel { kNone, kOnline, kInPerson };
// "none", "identity_online", "identity_in_person".
std::string_view AssuranceLevelName(AssuranceLevel level);

// A person as an identity check names them.
struct Person {
  std::string name;
  std::string id_number;  // 18-character resident ID number (GB 11643)
};

struct VerifiedIdentity {
  std::string verification_id;  // new whenever the identity is verified again
  AssuranceLevel level = AssuranceLevel::kNone;
  Person person;
  std::string method;  // "oidc", "counter", or "guardianship" (a dependant's)
  // The provider's issuer, the window's terminal id, or the guardianship
  // certificate's identifier.
  std::string source;
  Instant verified_at{};
};

// What the account's owner sees of it.
struct IdentityEvent {
  Instant at{};
  // "verified", "replaced" (another person now), "moved_away",
  // "withdrawn" (a dependant's guardian link ended)
  std::string event;
  AssuranceLevel level = AssuranceLevel::kNone;
  std::string method;
};
struct IdentityStatus {
  AssuranceLevel level = AssuranceLevel::kNone;
  std::string method;  // empty at kNone
  std::optional<Instant> verified_at;
  std::vector<IdentityEvent> history;  // newest first
};

struct OnlineCheck {
  std::string nonce;      // goes into the provider's authentication request
  std::string issuer;     // the provider
  std::string client_id;  // ours at the provider
  Instant expires_at{};
};

// invalid_argument unless `name` is 1-128 bytes of printable text and
// `id_number` a resident ID number with a valid check character (reason
// id_number_invalid) and a birth date not after `now` (reason
// id_number_birth_date).
Status CheckPerson(std::string_view name, std::string_view id_number, Instant now);
// The completed years of age at `now` of the person with `id_number`, which
// CheckPerson accepted.
int AgeInYears(std::string_view id_number, Instant now);

// failed_precondition identity_not_verified: a real-name action refused to
// an account without a verified identity.
Status IdentityNotVerified();

class Identities {
 public:
  explicit Identities(PlatformCore& core) : core_(&core) {}

  // Starts an online check: a nonce for this account, single-use, valid for
  // PlatformOptions::identity_nonce_lifetime; only the newest one counts.
  // failed_precondition (no_identity_provider) if none is configured.
  Result<OnlineCheck> StartOnline(std::string_view citizen_id);
  // Completes it with the provider's ID token and the nonce it was made
  // for: the token's person becomes the account's verified identity.
  // unauthenticated with the token's reason (oidc/id_token.h), or
  // id_token_nonce when the nonce is not this account's live one;
  // invalid_argument (id_number_invalid, id_number_birth_date) for a person
  // the token names wrongly.
  Result<IdentityStatus> CompleteOnline(std::string_view citizen_id, std::string_view id_token,
                                        std::string_view nonce);
  // A hall window (`terminal_id`) confirms, after checking the physical ID
  // card, that the person whose code it verified is `person`.
  // invalid_argument as CompleteOnline.
  Result<IdentityStatus> ConfirmInPerson(std::string_view citizen_id, const Person& person,
                                         std::string_view terminal_id);
  // The same in the caller's transaction (a window issuing a printed card,
  // cards.h).
  Status ConfirmInPerson(store::Transaction& tx, std::string_view citizen_id, const Person& person,
                         std::string_view terminal_id);
  // The account's verified identity; failed_precondition
  // (identity_not_verified) when it has none.
  Result<VerifiedIdentity> Verified(std::string_view citizen_id);
  // The same in the caller's transaction.
  Result<VerifiedIdentity> Verified(store::Transaction& tx, std::string_view citizen_id);
  // The account's verified identity or nullopt, read in the caller's
  // transaction on the platform's database (the vault's fetch: the identity
  // as of the fetch's own snapshot).
  Result<std::optional<VerifiedIdentity>> Find(store::Transaction& tx, std::string_view citizen_id);
  // The level, how it was reached, and the history, for the account's owner.
  Result<IdentityStatus> Get(std::string_view citizen_id);

  // --- a dependant's identity (vault.h), in the vault's transaction ---
  // The account that `id_number` is verified on, and how; nullopt if none.
  struct Holding {
    std::string citizen_id;
    VerifiedIdentity identity;
  };
  Result<std::optional<Holding>> FindPerson(store::Transaction& tx, std::string_view id_number);
  // The dependant `citizen_id` is `person`, as the guardianship certificate
  // `certificate` names them to a guardian verified at `level`.
  Status ConfirmThroughGuardian(store::Transaction& tx, std::string_view citizen_id,
                                const Person& person, AssuranceLevel level,
                                std::string_view certificate);
  // The account loses its verified identity (event "withdrawn", `source`
  // says why), and its printed card with it (cards.h).
  Status Withdraw(store::Transaction& tx, std::string_view citizen_id, std::string_view source);

 private:
  PlatformCore* core_;
};

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_IDENTITIES_H_
