// The platform's domain, one object per concern: citizens and their
// sessions, their verified identities, devices and credentials, organisations and sites, terminals
// and API keys, the platform's signing keys and signed lists, and online verification. Everything
// is kept in a store::Database; personal fields are sealed with the Keyring.
//
// All methods are thread-safe. Expected failures are Status values with a
// machine code (the server turns them into HTTP errors); messages never hold
// personal data.
#ifndef CITYCODE_PLATFORM_PLATFORM_H_
#define CITYCODE_PLATFORM_PLATFORM_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "code/verifier.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/algorithm.h"
#include "crypto/password.h"
#include "oidc/id_token.h"
#include "platform/access_keys.h"
#include "platform/activity.h"
#include "platform/cards.h"
#include "platform/citizens.h"
#include "platform/devices.h"
#include "platform/identities.h"
#include "platform/keyring.h"
#include "platform/organisations.h"
#include "platform/principal.h"
#include "platform/signing_keys.h"
#include "platform/staff.h"
#include "platform/verification.h"
#include "sms/gateway.h"
#include "store/database.h"
#include "store/group_commit.h"

namespace citycode::platform {

struct PlatformOptions {
  std::string issuer_id = "citycode:jimo";
  crypto::Algorithm algorithm = crypto::Algorithm::kEd25519;
  int max_devices_per_citizen = 3;
  std::chrono::seconds credential_lifetime = std::chrono::hours(72);
  // A printed card (cards.h) lives this long, but never beyond the trust
  // list's end of the key that signed it.
  std::chrono::seconds card_lifetime = std::chrono::days(365);
  // Online uses of one printed card (a hall counter, an online validator)
  // accepted in any 24 hours; past them, refused card_use_limit. A rolling
  // window, not a local day: the platform has no city time zone, and a
  // rolling window bounds a copied card at midnight too.
  int card_uses_per_day = 8;
  std::chrono::seconds session_lifetime = std::chrono::hours(12);
  // A new signing key is in the trust list this long before it signs, so
  // offline gates have fetched it by then.
  std::chrono::seconds signing_key_lead = std::chrono::hours(24);
  std::chrono::seconds signing_key_lifetime = std::chrono::days(365);
  std::chrono::seconds trust_list_lifetime = std::chrono::days(30);
  std::chrono::seconds revocation_list_lifetime = std::chrono::days(2);
  crypto::PasswordCost password_cost = crypto::PasswordCost::kInteractive;
  // Password hashing running at once, and waiting beyond that; past both,
  // a login is refused busy (crypto::PasswordGate). Together well below the
  // server's handler threads, so logins never hold them all.
  int password_threads = 2;
  int password_queue = 2;
  // Wrong passwords in a row that cost nothing: past them, a phone (or a
  // client address) waits 1 s, doubled per further failure up to 15 min,
  // before its next login is even checked. 0: no back-off.
  int login_failures_per_phone = 5;
  int login_failures_per_address = 50;
  // Age from which a verified identity makes a citizen's credentials senior.
  int senior_age = 60;
  // A demo server (`citycode demo`): every citizen and organisation it
  // creates is marked demo, so demo data never passes for real data.
  bool demo = false;
  code::VerifierOptions verifier;  // detect_replay is forced off (the store records)
  // How old an offline gate's scan may be when it is uploaded (VerifyScanned).
  std::chrono::seconds max_scan_age = std::chrono::days(7);
  // A scan made before its credential was revoked (a phone reported lost)
  // is taken only if uploaded within this long after the revocation — a
  // gate's normal upload delay — so the lost phone's key cannot backdate
  // rides later.
  std::chrono::seconds revoked_upload_grace = std::chrono::hours(24);
  // Verification events (and their hourly totals) older than this are
  // deleted by PurgeExpired: a year and a month, for a year-on-year look.
  std::chrono::days keep_verifications{400};
  // The identity provider whose ID tokens verify a person online
  // ([identity] of citycode.toml); none: only hall windows verify.
  std::optional<oidc::ProviderConfig> identity_provider;
  // How long the nonce of an online identity check stays usable.
  std::chrono::seconds identity_nonce_lifetime = std::chrono::minutes(10);
  // Where one-time codes to phones go ([sms]); none: phones cannot be
  // proven, so registration by code and password reset are off.
  std::shared_ptr<sms::Gateway> sms;
  std::chrono::seconds phone_code_lifetime = std::chrono::minutes(10);
  int max_phone_code_tries = 5;
  // Texts sent per hour at most to one phone, and for one client address.
  int max_texts_per_phone_hour = 5;
  int max_texts_per_address_hour = 30;
};

class Platform {
 public:
  // Applies the migrations, creates the root key and a first signing key if
  // the database has none, and loads the lists.
  static Result<std::unique_ptr<Platform>> Open(store::Database& db, const Clock& clock,
                                                Keyring keyring, PlatformOptions options = {});
  ~Platform();
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  Citizens& citizens() { return citizens_; }
  Identities& identities() { return identities_; }
  Devices& devices() { return devices_; }
  Cards& cards() { return cards_; }
  Organisations& organisations() { return organisations_; }
  Staff& staff() { return staff_; }
  AccessKeys& access_keys() { return access_keys_; }
  SigningKeys& signing_keys() { return signing_keys_; }
  Verification& verification() { return verification_; }
  Activity& activity() { return activity_; }
  // The commits the online paths share (store/group_commit.h): a module
  // above that records an online verification together with its own
  // writes (Verification::Check, then RecordIn in a unit) submits here.
  store::GroupCommit& online_commits();

  // Re-wraps every sealed value whose data key is wrapped by another master
  // key than the keyring's current one (after a master-key rotation; the
  // data itself is not re-encrypted). Returns how many values changed.
  Result<std::int64_t> RewrapSealedData();
  // Deletes replay records and sessions that can no longer matter and
  // verification events past keep_verifications (a batch at a time, so
  // the verify path never waits long), and reloads lists another server
  // process may have changed.
  Status PurgeExpired();
  // Deletes the verification events recorded before `before`, and the
  // hourly totals of the hours before it.
  Status PurgeVerifications(Instant before);

  const PlatformOptions& options() const;

 private:
  explicit Platform(std::unique_ptr<PlatformCore> core);
  std::unique_ptr<PlatformCore> core_;
  Citizens citizens_;
  Identities identities_;
  Devices devices_;
  Cards cards_;
  Organisations organisations_;
  Staff staff_;
  AccessKeys access_keys_;
  SigningKeys signing_keys_;
  Verification verification_;
  Activity activity_;
};

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_PLATFORM_H_
