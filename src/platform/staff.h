// Staff of an organisation, who sign in at its counter terminals so that
// what a counter does names a person: a fetch from the vault in the audit
// log names the terminal and the clerk. A staff session is bound to the
// terminal it was opened at, so neither the terminal's key nor the clerk's
// token is enough alone.
#ifndef CITYCODE_PLATFORM_STAFF_H_
#define CITYCODE_PLATFORM_STAFF_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "platform/principal.h"

namespace citycode::platform {

// "ccst_<secret>": a staff member's session at one terminal.
inline constexpr std::string_view kStaffSessionPrefix = "ccst_";

struct StaffMember {
  std::string id;
  std::string org_id;
  std::string login;  // chosen by the organisation: "clerk1"
  std::string name;   // sealed at rest; empty where a call does not open it
  bool active = true;
  Instant created_at{};
};

struct StaffSession {
  std::string token;  // only its hash is stored
  StaffMember member;
  Instant expires_at{};
};

class Staff {
 public:
  explicit Staff(PlatformCore& core) : core_(&core) {}

  // invalid_argument for a login that is not 1-32 of a-z 0-9 . _ -, a bad
  // name or a password outside 8-1024 bytes; already_exists for a login
  // the organisation has; not_found for an unknown organisation.
  Result<StaffMember> Create(std::string_view org_id, std::string_view login, std::string_view name,
                             std::string_view password);
  Result<std::vector<StaffMember>> List(std::string_view org_id);
  // Ends the member's sessions at once; not_found for another
  // organisation's member.
  Status Disable(std::string_view org_id, std::string_view staff_id);

  // At `terminal` (a terminal principal): a session for the member of the
  // terminal's organisation with this login and password. unauthenticated
  // for a wrong login or password, or a disabled member; wrong passwords
  // back off per login and per client address as citizens' do.
  Result<StaffSession> SignIn(const Principal& terminal, std::string_view login,
                              std::string_view password, std::string_view client_address);
  // The member (without name) a live session opened at `terminal` names;
  // unauthenticated otherwise.
  Result<StaffMember> Authenticate(const Principal& terminal, std::string_view token);
  Status SignOut(std::string_view token);

 private:
  PlatformCore* core_;
};

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_STAFF_H_
