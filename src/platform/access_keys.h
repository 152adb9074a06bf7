// Terminals and the API keys of every role: the bearer secrets that say who
// is calling.
#ifndef CITYCODE_PLATFORM_ACCESS_KEYS_H_
#define CITYCODE_PLATFORM_ACCESS_KEYS_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "code/credential.h"
#include "common/status.h"
#include "platform/principal.h"

namespace citycode::platform {

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

class AccessKeys {
 public:
  explicit AccessKeys(PlatformCore& core) : core_(&core) {}

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

  // A session token or API key → who is calling. unauthenticated otherwise.
  // What the store said is kept for the rest of the clock's second: a key
  // revoked, a terminal disabled or a session ended by another server is
  // refused here within 1 s, by this one at once.
  Result<Principal> Authenticate(std::string_view bearer_token);
  // The terminal as its own key would authenticate it, for an operator's
  // command that stores what the terminal recorded (a depot's tap file,
  // `citycode transit ingest`). not_found for no such terminal or a
  // disabled one.
  Result<Principal> TerminalPrincipal(std::string_view terminal_id);

 private:
  Result<Principal> Lookup(std::string_view bearer_token, Instant now);

  PlatformCore* core_;
};

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_ACCESS_KEYS_H_
