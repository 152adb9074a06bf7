// Citizens: registration, login sessions and profiles. Personal fields are
// sealed with the Keyring; messages never hold personal data.
#ifndef CITYCODE_PLATFORM_CITIZENS_H_
#define CITYCODE_PLATFORM_CITIZENS_H_

#include <chrono>
#include <optional>
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

// What every start of a registration or password reset answers, whether or
// not the phone is known: the difference is only in what the phone gets.
struct CodeSent {
  std::chrono::seconds expires_in{};
};

// What the platform holds of an account, in full, for its owner's data
// export (PIPL art. 45).
struct AccountRecord {
  std::string citizen_id;
  std::string name;       // as registered (the claim)
  std::string id_number;  // likewise
  std::string phone;
  Instant created_at{};
  std::optional<Instant> phone_verified_at;
};

class Citizens {
 public:
  explicit Citizens(PlatformCore& core) : core_(&core) {}

  // Registers at once, the phone not proven (the demo, tools, tests; the
  // API registers by code). The new citizen's id, with no verified identity
  // yet (identities.h): the name and ID number are the person's claim,
  // shown back to them masked.
  // invalid_argument (with a field-specific message) for a bad name, ID
  // number (reason id_number_invalid: format or check character;
  // id_number_birth_date: a birth date in the future), phone or password;
  // already_exists if the phone is registered.
  Result<std::string> Register(const CitizenRegistration& registration);
  // Registration by phone: validates the fields (invalid_argument as
  // Register) and texts the phone a one-time code, or, if the phone is
  // registered already, a notice; the answer is the same. The account is
  // made by ConfirmRegistration with the code. resource_exhausted
  // (rate_limited) past the hourly limits per phone and per client address;
  // failed_precondition (no_sms_gateway) without a gateway; unavailable if
  // the gateway fails.
  Result<CodeSent> StartRegistration(const CitizenRegistration& registration,
                                     std::string_view client_address);
  // The new citizen's id, their phone proven. unauthenticated (code_invalid)
  // for a wrong, used or expired code; after max_phone_code_tries wrong ones
  // the code is void.
  Result<std::string> ConfirmRegistration(std::string_view phone, std::string_view code);
  // A password reset: texts a known phone a code, an unknown one a notice;
  // the same answer and limits as StartRegistration.
  Result<CodeSent> StartPasswordReset(std::string_view phone, std::string_view client_address);
  // Sets the new password and ends every session of the account.
  // unauthenticated (code_invalid) as ConfirmRegistration; invalid_argument
  // for a password of fewer than 8 characters.
  Status ConfirmPasswordReset(std::string_view phone, std::string_view code,
                              std::string_view new_password);

  // A change of phone: texts the new phone a code, or a notice if it is
  // registered already (the same answer); limits as StartRegistration.
  Result<CodeSent> StartPhoneChange(std::string_view citizen_id, std::string_view new_phone,
                                    std::string_view client_address);
  // Moves the account to the new phone, proven by its code. unauthenticated
  // (code_invalid) for a wrong, used or expired code, or one texted for
  // another account.
  Status ConfirmPhoneChange(std::string_view citizen_id, std::string_view new_phone,
                            std::string_view code);

  // unauthenticated for an unknown phone or a wrong password (same message).
  // After login_failures_per_phone wrong passwords in a row for the phone,
  // or login_failures_per_address from `client_address`, resource_exhausted
  // (login_backoff) until the back-off has passed, without checking the
  // password; resource_exhausted (busy) when too many passwords are being
  // checked at once.
  Result<Session> Login(std::string_view phone, std::string_view password,
                        std::string_view client_address = {});
  Status Logout(std::string_view token);
  Result<CitizenProfile> Get(std::string_view citizen_id);

  // --- the owner's rights over the account (PIPL art. 45, 47) ---
  Result<AccountRecord> Own(std::string_view citizen_id);
  // unauthenticated (wrong_password) unless `password` is the account's.
  Status CheckPassword(std::string_view citizen_id, std::string_view password);
  // Deletes the account's personal data: name, ID number and phone are
  // erased (the phone can register again), sessions end, the verified
  // identity and its history are deleted (the person can be verified on
  // another account), every device ends and its credentials are revoked.
  // The row stays as an opaque id, which records the law requires keep
  // (audit log, the scenes' records) point to. not_found if already erased.
  Status Erase(std::string_view citizen_id);
  // In the caller's transaction: an account for a dependant (vault.h),
  // which has no phone and no password (nobody logs in to it; its
  // guardians act for it). Its claim is `person`, unverified until the
  // guardianship certificate confirms it (Identities::ConfirmThroughGuardian).
  Result<std::string> CreateHeldAccount(store::Transaction& tx, const Person& person);

 private:
  PlatformCore* core_;
};

// GB 11643-1999: 17 digits, a valid birth date, and the ISO 7064 MOD 11-2
// check character.
bool IsValidResidentIdNumber(std::string_view id_number);

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_CITIZENS_H_
