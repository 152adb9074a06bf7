// Organisations (halls, operators, hospitals, hotels, access sites, issuing
// agencies) and their sites.
#ifndef CITYCODE_PLATFORM_ORGANISATIONS_H_
#define CITYCODE_PLATFORM_ORGANISATIONS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "code/credential.h"
#include "common/clock.h"
#include "common/status.h"
#include "platform/principal.h"

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

class Organisations {
 public:
  explicit Organisations(PlatformCore& core) : core_(&core) {}

  Result<Organisation> Create(std::string_view name, OrgKind kind, bool demo = false);
  Result<std::vector<Organisation>> List();
  Result<Organisation> Get(std::string_view org_id);
  Result<Site> CreateSite(std::string_view org_id, std::string_view name);
  Result<std::vector<Site>> ListSites(std::string_view org_id);

 private:
  PlatformCore* core_;
};

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_ORGANISATIONS_H_
