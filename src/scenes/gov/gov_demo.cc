// The hall's part of the demo city: what the hall may fetch from the vault,
// two service items (one needs a driving licence nobody has, to show what a
// citizen must still bring) and a window beside the kiosk at each hall site.
#include "scenes/gov/gov.h"

namespace citycode::gov {
namespace {

struct ItemSeed {
  const char* code;
  const char* name;
  std::vector<std::string> types;
};

Status SeedHall(api::DemoSeed& seed, GovScene& gov, const api::DemoOrganisation& hall) {
  CITYCODE_RETURN_IF_ERROR(seed.vault.SetOrganisationTypes(
      hall.id, {"resident_id_card", "household_register", "driving_licence"}, {}, "demo"));
  const ItemSeed items[] = {
      {"hukou-transfer", "户口迁移", {"resident_id_card", "household_register"}},
      {"licence-renewal", "驾驶证期满换证", {"resident_id_card", "driving_licence"}},
  };
  std::vector<std::string> item_ids;
  for (const ItemSeed& item_seed : items) {
    CITYCODE_ASSIGN_OR_RETURN(
        auto item, gov.CreateServiceItem(hall.id, item_seed.code, item_seed.name, item_seed.types));
    seed.notes.push_back({"Hall item", item.name + ": " + item.id});
    item_ids.push_back(item.id);
  }
  CITYCODE_ASSIGN_OR_RETURN(auto sites, seed.platform.organisations().ListSites(hall.id));
  for (const auto& site : sites) {
    const std::string name = site.name + " 3号窗口";
    CITYCODE_ASSIGN_OR_RETURN(auto terminal,
                              seed.platform.access_keys().CreateTerminal(hall.id, site.id, name));
    CITYCODE_RETURN_IF_ERROR(
        gov.RegisterWindow(hall.id, terminal.first.id, "3号窗口", item_ids).status());
    seed.terminals.push_back({hall.name, site.name, "gov", terminal.second.token, name});
  }
  return OkStatus();
}

}  // namespace

Status GovScene::SeedDemo(api::DemoSeed& seed) {
  for (const api::DemoOrganisation& org : seed.organisations) {
    if (org.kind == platform::OrgKind::kServiceHall) {
      CITYCODE_RETURN_IF_ERROR(SeedHall(seed, *this, org));
    }
  }
  return OkStatus();
}

}  // namespace citycode::gov
