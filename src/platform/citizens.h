// Citizens: registration, login sessions and profiles. Personal fields are
// sealed with the Keyring; messages never hold personal data.
#ifndef CITYCODE_PLATFORM_CITIZENS_H_
#define CITYCODE_PLATFORM_CITIZENS_H_

#include <string>
#include <string_view>

#include "code/credential.h"
#include "common/clock.h"
#include "common/status.h"
#include "platform/identities.h"
#include "platform/principal.h"

namespace citycode::platform {

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
  std::string id_number_masked;  // "3702**********123X": as registered, or as verified
  code::RiderCategory rider_category = code::RiderCategory::kAdult;
  AssuranceLevel identity_level = AssuranceLevel::kNone;
  Instant created_at{};
};

struct Session {
  std::string token;  // bearer; only its hash is stored
  std::string citizen_id;
  Instant expires_at{};
};

class Citizens {
 public:
  explicit Citizens(PlatformCore& core) : core_(&core) {}

  // The new citizen's id, with no verified identity yet (identities.h): the
  // name and ID number are the person's claim, shown back to them masked.
  // invalid_argument (with a field-specific message) for a bad name, ID
  // number (reason id_number_invalid: format or check character;
  // id_number_birth_date: a birth date in the future), phone or password;
  // already_exists if the phone is registered.
  Result<std::string> Register(const CitizenRegistration& registration);
  // unauthenticated for an unknown phone or a wrong password (same message).
  Result<Session> Login(std::string_view phone, std::string_view password);
  Status Logout(std::string_view token);
  Result<CitizenProfile> Get(std::string_view citizen_id);
  // Sets the concession class (student, disabled) an agency has attested.
  Status SetRiderCategory(std::string_view citizen_id, code::RiderCategory category);

 private:
  PlatformCore* core_;
};

// GB 11643-1999: 17 digits, a valid birth date, and the ISO 7064 MOD 11-2
// check character.
bool IsValidResidentIdNumber(std::string_view id_number);

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_CITIZENS_H_
