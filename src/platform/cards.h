// Printed cards, for citizens without a smartphone (DESIGN.md, "Printed
// card"): a long-lived CC1 credential without cnf (channel card), printed as
// its own QR ("CC1:" + Base45 of the credential itself), issued at a hall
// window to a person whose physical ID card the clerk has checked.
//
// - A card belongs to the account of its verified person, and to no other:
//   a card is issued only for an account whose identity is verified, and a
//   person with no account gets a held one (no phone, no password: nobody
//   logs in to it; the person acts at windows) verified in person.
// - One live card per citizen: issuing a new card revokes the old one at
//   once, in the same transaction.
// - It names the scenes gov, transit and access. Online verification
//   (verification.h) accepts it at gov and transit terminals only, within
//   PlatformOptions::card_uses_per_day uses in any 24 hours; offline access
//   gates admit it only through their signed allow-list
//   (Devices::Admissible with include_cards), which bounds what a copy of
//   the paper can do.
// - Revocation is at once: online verification reads the store, and the
//   revocation list is re-signed and loaded into the verifier.
// - A card lives PlatformOptions::card_lifetime (365 days), but never past
//   the trust list's not_after of the key that signed it.
// - When the account loses its verified identity (the person is verified on
//   another account, a dependant's guardian link ends) or is erased, its card
//   is revoked: a card never outlives the identity it was issued for.
//
// Errors (reason in quotes): invalid_argument for a bad person
// ("id_number_invalid", "id_number_birth_date"); failed_precondition
// "identity_not_verified" (an account without a verified identity),
// "person_mismatch" (the ID number is verified for another name);
// not_found "no_card" (nothing to revoke).
//
// Thread-safe.
#ifndef CITYCODE_PLATFORM_CARDS_H_
#define CITYCODE_PLATFORM_CARDS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "code/credential.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "platform/identities.h"
#include "platform/principal.h"

namespace citycode::platform {

// The scenes a card names: where it may be shown at all.
const std::vector<code::Scene>& CardScenes();
// Whether online verification accepts a card at a terminal of `scene`:
// counters and online validators (gov, transit). Access sites admit cards
// through their allow-lists only; hotels and clinics never.
bool CardAcceptedOnline(code::Scene scene);

// Who issues a card: the window terminal and its signed-in clerk.
struct CardIssuer {
  std::string terminal_id;
  std::string staff_id;
};

struct IssuedCard {
  std::string citizen_id;
  bool account_created = false;  // a held account was opened for the person
  Bytes credential;              // the tagged COSE_Sign1
  std::string qr_text;           // "CC1:" + Base45(credential): what is printed
  code::CredentialClaims claims;
};

// A card as its holder's account lists it (no QR: that is printed once).
struct Card {
  code::CredentialId id{};
  Instant issued_at{};
  Instant expires_at{};
  std::optional<Instant> revoked_at;
  std::string revoke_reason;
  std::string terminal_id;  // the window that issued it
};

class Cards {
 public:
  explicit Cards(PlatformCore& core) : core_(&core) {}

  // A card for the account `citizen_id`, whose identity is verified
  // (failed_precondition identity_not_verified otherwise; not_found for no
  // such citizen). Its live card, if any, is revoked (card_replaced).
  Result<IssuedCard> Issue(std::string_view citizen_id, const CardIssuer& issuer);
  // At a hall window, the clerk having checked the physical ID card of
  // `person`: the account on which that person is verified gets the card
  // and is verified in person at this window; a person verified nowhere
  // gets a held account, verified in person. failed_precondition
  // person_mismatch when the ID number is verified for another name (the
  // clerk's reading or the account is wrong: nothing changes).
  Result<IssuedCard> IssueToPerson(const Person& person, const CardIssuer& issuer);
  // The account's cards, newest first, revoked and expired ones too.
  Result<std::vector<Card>> List(std::string_view citizen_id);
  // Revokes the account's live card at once with `reason` (1-64 bytes).
  // not_found no_card if it has none.
  Status Revoke(std::string_view citizen_id, std::string_view reason);
  // The same at a window, for the person whose ID card the clerk checked:
  // not_found no_card if that person is verified nowhere or has no live
  // card; person_mismatch as IssueToPerson.
  Status RevokeForPerson(const Person& person, std::string_view reason);

 private:
  PlatformCore* core_;
};

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_CARDS_H_
