// The hotel scene's part of the demo city: each demo hotel (the demo city
// registers it to request ID cards and gives it a front desk, "前台 1")
// gets an invented licence number and rooms 101-105 and 201-205.
#include <string>

#include "scenes/hotel/hotel.h"

namespace citycode::hotel {

Status HotelScene::SeedDemo(api::DemoSeed& seed) {
  int hotel = 0;
  for (const api::DemoOrganisation& org : seed.organisations) {
    if (org.kind != platform::OrgKind::kHotel) continue;
    ++hotel;
    CITYCODE_RETURN_IF_ERROR(SetLicence(org.id, "演示特行" + std::to_string(3702820000 + hotel)));
    for (int floor = 1; floor <= 2; ++floor) {
      for (int room = 1; room <= 5; ++room) {
        CITYCODE_RETURN_IF_ERROR(AddRoom(org.id, std::to_string(floor * 100 + room)).status());
      }
    }
    seed.notes.push_back({"Hotel", org.name + ": rooms 101-105, 201-205"});
  }
  return OkStatus();
}

}  // namespace citycode::hotel
