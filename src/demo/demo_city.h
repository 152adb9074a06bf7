// The demo city of DESIGN.md: a fictional but plausible Jimo district,
// seeded through the platform's own API so it obeys every rule real data
// does. Everything seeded is marked demo; seeding refuses a database that
// holds real data, so the two never mix.
#ifndef CITYCODE_DEMO_DEMO_CITY_H_
#define CITYCODE_DEMO_DEMO_CITY_H_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "api/demo_seed.h"
#include "api/scene.h"
#include "common/clock.h"
#include "common/status.h"
#include "oidc/id_token.h"
#include "oidc/test_provider.h"
#include "platform/platform.h"
#include "vault/vault.h"

namespace citycode::demo {

using api::DemoNote;
using api::DemoTerminal;

// An organisation's admin key: it signs in on the organisation page (/org).
struct DemoOrgAdmin {
  std::string org_name;
  std::string api_key;
};

struct DemoCitizen {
  std::string phone;
  std::string password;
  std::string rider_category;
  std::string id;  // the citizen id (empty in a demo.json from before identities)
};

// What the demo prints; the secrets are shown once by the platform, so they
// are kept in <dir>/demo.json (mode 0600) for the next start.
struct DemoCity {
  std::string admin_key;
  std::string app_channel_key;
  std::vector<DemoTerminal> terminals;
  std::vector<DemoOrgAdmin> org_admins;
  std::vector<DemoCitizen> citizens;
  // What the scenes seeded worth printing (the hall's service items …).
  std::vector<DemoNote> notes;
  // The ID-card agency's signing key, to push more certificates.
  std::filesystem::path agency_key_file;
  // The first citizen's phone, enrolled: device key and credential files.
  std::string citizen_id;
  std::string device_id;
  std::filesystem::path device_key_file;
  std::filesystem::path credential_file;
};

inline constexpr std::string_view kDemoPassword = "citycode-demo";
// Every demo organisation with counters has a clerk of this login, whose
// password is kDemoPassword.
inline constexpr std::string_view kDemoStaffLogin = "clerk";

// The demo city's identity provider, a stand-in for the provincial identity
// platform: its key is kept in <dir>/identity-provider.jwk (mode 0600), made
// on the first run. Its citizens are verified through it.
Result<std::unique_ptr<oidc::TestIdentityProvider>> LoadOrCreateIdentityProvider(
    const std::filesystem::path& dir);
// The platform's [identity] for it.
oidc::ProviderConfig IdentityProviderConfig(const oidc::TestIdentityProvider& provider);

// Seeds the city into `platform` and `vault` (the organisations with a
// terminal at each site, the citizens, verified online through
// `identity_provider`, the ID-card agency as an issuer with
// certificates for them, what hotels may fetch), then lets each of `scenes`
// seed its own setup (api::Scene::SeedDemo), and writes the files into
// `dir`; or, if
// `dir` holds a demo.json from an earlier run, loads it and renews the demo
// phone's credential when it has less than a day left and verifies any demo
// citizen left unverified. failed_precondition
// if the database holds anything not marked demo, or demo data without its
// demo.json (an interrupted seeding).
Result<DemoCity> SeedOrLoadDemoCity(platform::Platform& platform, vault::Vault& vault,
                                    const std::vector<std::unique_ptr<api::Scene>>& scenes,
                                    const oidc::TestIdentityProvider& identity_provider,
                                    store::Database& db, const std::filesystem::path& dir,
                                    const Clock& clock);

}  // namespace citycode::demo

#endif  // CITYCODE_DEMO_DEMO_CITY_H_
