#include "scenes/scene_list.h"

#include "scenes/access/access.h"
#include "scenes/gov/gov.h"
#include "scenes/hotel/hotel.h"
#include "scenes/medical/medical.h"
#include "scenes/transit/transit_scene.h"

namespace citycode::scenes {

std::vector<std::unique_ptr<api::SceneModule>> AllSceneModules() {
  std::vector<std::unique_ptr<api::SceneModule>> modules;
  modules.push_back(gov::MakeGovModule());
  modules.push_back(transit::MakeTransitModule());
  modules.push_back(medical::MakeMedicalModule());
  modules.push_back(hotel::MakeHotelModule());
  modules.push_back(access::MakeAccessModule());
  return modules;
}

}  // namespace citycode::scenes
