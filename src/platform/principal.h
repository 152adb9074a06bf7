// Who is calling: the role and scope a bearer token stands for.
#ifndef CITYCODE_PLATFORM_PRINCIPAL_H_
#define CITYCODE_PLATFORM_PRINCIPAL_H_

#include <optional>
#include <string>
#include <string_view>

#include "code/credential.h"

namespace citycode::platform {

enum class Role { kAdmin, kOrgAdmin, kTerminal, kChannel, kCitizen };
std::string_view RoleName(Role role);

struct Principal {
  Role role = Role::kCitizen;
  std::string key_id;                // the API key's id, or the session's; rate limits key on it
  std::string org_id;                // org_admin, terminal
  std::string terminal_id;           // terminal
  std::string site_id;               // terminal
  std::optional<code::Scene> scene;  // terminal
  std::string staff_id;              // terminal, with a clerk signed in (staff.h)
  std::optional<code::Channel> channel;  // channel
  std::string citizen_id;                // citizen
};

// The platform's shared state; only the platform's own files see inside it.
struct PlatformCore;

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_PRINCIPAL_H_
