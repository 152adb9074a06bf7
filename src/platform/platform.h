// The platform's domain: citizens and their devices and credentials,
// organisations with their sites and terminals, API keys, the platform's own
// signing keys and signed lists, and online verification. Everything is kept
// in a store::Database; personal fields are sealed with the Keyring.
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
#include <string_view>
#include <vector>

#include "code/credential.h"
#include "code/verifier.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/algorithm.h"
#include "crypto/key.h"
#include "crypto/password.h"
#include "platform/keyring.h"
#include "store/database.h"

namespace citycode::platform {

enum class OrgKind {
  kServiceHall,      // government service hall / convenience centre: scene gov
  kTransitOperator,  // transit
  kHospital,         // medical
  kHotel,            // hotel
  kAccessSite,       // offices, scenic areas, residential communities: access
  kIssuingAgency,    // pushes e-certificates; runs no terminals
};
std::string_view OrgKindName(OrgKind kind);  // "service_hall", "transit_operator", ...
Result<OrgKind> OrgKindFromName(std::string_view name);
// The scene a terminal of this kind of organisation verifies for; none for
// an issuing agency.
std::optional<code::Scene> SceneOfKind(OrgKind kind);

// Who is calling: resolved from a bearer token.
enum class Role { kAdmin, kOrgAdmin, kTerminal, kChannel, kCitizen };
std::string_view RoleName(Role role);

struct Principal {
  Role role = Role::kCitizen;
  std::string key_id;                // the API key's id, or the session's; rate limits key on it
  std::string org_id;                // org_admin, terminal
  std::string terminal_id;           // terminal
  std::string site_id;               // terminal
  std::optional<code::Scene> scene;  // terminal
  std::optional<code::Channel> channel;  // channel
  std::string citizen_id;                // citizen
};

struct PlatformOptions {
  std::string issuer_id = "citycode:jimo";
  crypto::Algorithm algorithm = crypto::Algorithm::kEd25519;
  int max_devices_per_citizen = 3;
  std::chrono::seconds credential_lifetime = std::chrono::hours(72);
  std::chrono::seconds session_lifetime = std::chrono::hours(12);
  // A new signing key is in the trust list this long before it signs, so
  // offline gates have fetched it by then.
  std::chrono::seconds signing_key_lead = std::chrono::hours(24);
  std::chrono::seconds signing_key_lifetime = std::chrono::days(365);
  std::chrono::seconds trust_list_lifetime = std::chrono::days(30);
  std::chrono::seconds revocation_list_lifetime = std::chrono::days(2);
  crypto::PasswordCost password_cost = crypto::PasswordCost::kInteractive;
  // Age from which the ID number makes a citizen's credentials senior.
  int senior_age = 60;
  // A demo server (`citycode demo`): every citizen and organisation it
  // creates is marked demo, so demo data never passes for real data.
  bool demo = false;
  code::VerifierOptions verifier;  // detect_replay is forced off (the store records)
  // How old an offline gate's scan may be when it is uploaded (VerifyScanned).
  std::chrono::seconds max_scan_age = std::chrono::days(7);
};

struct CitizenRegistration {
  std::string name;
  std::string id_number;  // 18-character resident ID number (GB 11643)
  std::string phone;      // 11-digit mobile number; the login name
  std::string password;
  bool demo = false;
};

struct CitizenProfile {
  std::string id;
  std::string name;
  std::string id_number_masked;  // "3702**********123X"
  code::RiderCategory rider_category = code::RiderCategory::kAdult;
  Instant created_at{};
};

struct Session {
  std::string token;  // bearer; only its hash is stored
  std::string citizen_id;
  Instant expires_at{};
};

enum class DeviceState { kActive, kUnbound, kLost };
std::string_view DeviceStateName(DeviceState state);

struct Device {
  std::string id;
  std::string label;
  code::Channel channel = code::Channel::kApp;
  DeviceState state = DeviceState::kActive;
  crypto::KeyId key_id{};
  Instant created_at{};
  std::optional<Instant> ended_at;
};

struct EnrolRequest {
  std::string citizen_id;
  crypto::PublicKey device_key;
  std::string label;
  code::Channel channel = code::Channel::kApp;  // from the calling channel's key
};

struct IssuedCredential {
  std::string device_id;
  Bytes credential;  // the tagged COSE_Sign1 the phone keeps
  code::CredentialClaims claims;
};

struct Organisation {
  std::string id;
  std::string name;
  OrgKind kind = OrgKind::kServiceHall;
  bool demo = false;
  Instant created_at{};
};

struct Site {
  std::string id;
  std::string org_id;
  std::string name;
};

struct Terminal {
  std::string id;
  std::string org_id;
  std::string site_id;
  code::Scene scene = code::Scene::kGov;
  std::string name;
  bool active = true;
};

// A bearer key as handed out once: "cck_<id>_<secret>".
struct NewApiKey {
  std::string key_id;
  std::string token;
};

struct SigningKeyInfo {
  std::string key_id;  // hex kid
  crypto::Algorithm algorithm = crypto::Algorithm::kEd25519;
  Instant not_before{};
  Instant not_after{};
  bool signing_now = false;
};

struct SignedList {
  std::uint64_t version = 0;
  std::string jws;
  std::string etag;  // "\"trust-7\""
};

struct OnlineVerification {
  std::string verification_id;
  code::VerificationResult result;
  // Whose code it was, when valid; for the modules above (consent), never
  // for the terminal.
  std::string citizen_id;
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

  // --- citizens ---
  // The new citizen's id. invalid_argument (with a field-specific message)
  // for a bad name, ID number (check digit, birth date), phone or password;
  // already_exists if the phone or ID number is registered.
  Result<std::string> RegisterCitizen(const CitizenRegistration& registration);
  // unauthenticated for an unknown phone or a wrong password (same message).
  Result<Session> Login(std::string_view phone, std::string_view password);
  Status Logout(std::string_view token);
  Result<CitizenProfile> GetCitizen(std::string_view citizen_id);
  // The citizen's resident ID number, opened from its envelope; for the
  // vault, which finds certificates by their holder.
  Result<std::string> CitizenIdNumber(std::string_view citizen_id);
  // Sets the concession class (student, disabled) an agency has attested.
  Status SetRiderCategory(std::string_view citizen_id, code::RiderCategory category);

  // --- authentication ---
  // A session token or API key → who is calling. unauthenticated otherwise.
  Result<Principal> Authenticate(std::string_view bearer_token);

  // --- devices and credentials ---
  // Binds the device key and issues its first credential. failed_precondition
  // (message "device limit reached") at max_devices_per_citizen live devices;
  // already_exists if this key is bound already.
  Result<IssuedCredential> EnrolDevice(const EnrolRequest& request);
  Result<std::vector<Device>> ListDevices(std::string_view citizen_id);
  // A fresh credential (new pseudonym and cti) for an active device.
  Result<IssuedCredential> RenewCredential(std::string_view citizen_id, std::string_view device_id);
  // Both end the device and revoke all its credentials at once (the
  // revocation list gets a new version). not_found for another citizen's
  // device; failed_precondition if it is not active.
  Status ReportDeviceLost(std::string_view citizen_id, std::string_view device_id);
  Status UnbindDevice(std::string_view citizen_id, std::string_view device_id);
  // An operator's revocation of one credential (fraud, a court order …);
  // `reason` is recorded. not_found for an unknown credential;
  // failed_precondition if it is revoked already.
  Status RevokeCredential(const code::CredentialId& id, std::string_view reason);

  // --- organisations, sites, terminals, keys ---
  Result<Organisation> CreateOrganisation(std::string_view name, OrgKind kind, bool demo = false);
  Result<std::vector<Organisation>> ListOrganisations();
  Result<Organisation> GetOrganisation(std::string_view org_id);
  Result<Site> CreateSite(std::string_view org_id, std::string_view name);
  Result<std::vector<Site>> ListSites(std::string_view org_id);
  // The terminal verifies for its organisation's scene. failed_precondition
  // for an issuing agency; not_found for a site of another organisation.
  Result<std::pair<Terminal, NewApiKey>> CreateTerminal(std::string_view org_id,
                                                        std::string_view site_id,
                                                        std::string_view name);
  Result<std::vector<Terminal>> ListTerminals(std::string_view org_id);
  // The old key stops working at once.
  Result<NewApiKey> RotateTerminalKey(std::string_view org_id, std::string_view terminal_id);
  Status DisableTerminal(std::string_view org_id, std::string_view terminal_id);
  // An admin key (org_id empty), an organisation admin key, or an issuing
  // channel's key.
  Result<NewApiKey> CreateAdminKey(std::string_view name);
  Result<NewApiKey> CreateOrgAdminKey(std::string_view org_id, std::string_view name);
  Result<NewApiKey> CreateChannelKey(code::Channel channel, std::string_view name);
  Status RevokeApiKey(std::string_view key_id);

  // --- platform keys and signed lists ---
  // Adds a signing key that enters the trust list now and signs after
  // signing_key_lead; the current one stays trusted until its credentials
  // have expired. Returns the new key's info.
  Result<SigningKeyInfo> RotateSigningKey();
  Result<std::vector<SigningKeyInfo>> ListSigningKeys();
  Result<SignedList> TrustList();
  Result<SignedList> RevocationList();
  const crypto::PublicKey& root_public_key() const;

  // Re-wraps every sealed value whose data key is wrapped by another master
  // key than the keyring's current one (after a master-key rotation; the
  // data itself is not re-encrypted). Returns how many values changed.
  Result<std::int64_t> RewrapSealedData();

  // --- online verification ---
  // Verifies `qr_text` for the terminal's scene with city-wide replay
  // detection and the database's revocations, and records the verification.
  // permission_denied unless `terminal` is a terminal principal.
  Result<OnlineVerification> Verify(const Principal& terminal, std::string_view qr_text);
  // Verifies a code an offline gate scanned at `scanned_at` and uploads
  // now: the same checks as of that time (code::Verifier::VerifyScanned), a
  // revocation counting only if made before the scan, with city-wide replay
  // detection. A scan more than max_scan_age old is refused as stale, one
  // from the future as from_future. `scan_id` names the scan on its
  // terminal (a gate's sequence number): the same scan verified again, an
  // upload re-sent after a failure, is not a replay of itself.
  Result<OnlineVerification> VerifyScanned(const Principal& terminal, std::string_view qr_text,
                                           Instant scanned_at, std::string_view scan_id = {});
  // Deletes replay records and sessions that can no longer matter.
  Status PurgeExpired();

  const PlatformOptions& options() const;

 private:
  struct Impl;
  explicit Platform(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// GB 11643-1999: 17 digits, a valid birth date, and the ISO 7064 MOD 11-2
// check character.
bool IsValidResidentIdNumber(std::string_view id_number);

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_PLATFORM_H_
