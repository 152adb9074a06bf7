// The access scene's part of the demo city: the court and the tech centre
// admit their staff (the demo citizen among them), Heshan scenic area sells
// hourly slots today and tomorrow (the demo citizen holds the next one), and
// the community has the demo citizen as a resident with a printed visitor
// pass for today.
#include <chrono>
#include <string>

#include "scenes/access/access.h"
#include "scenes/access/internal/core.h"

namespace citycode::access {
namespace {

struct DemoSite {
  const char* org_name;
  Policy policy;
  const char* opens;
  const char* closes;
  bool allow_cards;
};

constexpr DemoSite kSites[] = {
    {"即墨区人民法院", Policy::kStaff, "07:00", "20:00", false},
    {"即墨科技创新中心", Policy::kStaff, "00:00", "24:00", false},
    {"鹤山风景区", Policy::kReservations, "07:00", "18:00", false},
    {"墨河社区", Policy::kResidents, "00:00", "24:00", true},  // elderly residents' cards
};

// Hourly slots of 50 places and 10 walk-ins from 08:00 to 17:00 today (those
// not over) and tomorrow; the citizen books the first. Says which.
Result<std::string> SeedSlots(AccessScene& scene, const CityTime& time, std::string_view org_id,
                              std::string_view site_id, std::string_view citizen_id, Instant now) {
  std::string booked;
  const auto today = time.LocalDay(now);
  for (auto day : {today, today + std::chrono::days(1)}) {
    for (int hour = 8; hour < 17; ++hour) {
      const Instant starts = time.StartOf(day) + std::chrono::hours(hour);
      if (starts + std::chrono::hours(1) <= now) continue;
      CITYCODE_ASSIGN_OR_RETURN(Slot slot, scene.AddSlot(org_id, site_id,
                                                         {.starts_at = starts,
                                                          .ends_at = starts + std::chrono::hours(1),
                                                          .capacity = 50,
                                                          .walk_in_quota = 10}));
      if (!booked.empty()) continue;
      CITYCODE_RETURN_IF_ERROR(scene.Book(citizen_id, slot.id).status());
      booked = FormatIsoDay(day) + (hour < 10 ? " 0" : " ") + std::to_string(hour) + ":00";
    }
  }
  return booked;
}

}  // namespace

Status AccessScene::SeedDemo(api::DemoSeed& seed) {
  platform::Platform& platform = seed.platform;
  CITYCODE_ASSIGN_OR_RETURN(auto identity, platform.identities().Verified(seed.citizen_id));
  const Instant now = impl_->clock.Now();
  for (const api::DemoOrganisation& org : seed.organisations) {
    const DemoSite* demo = nullptr;
    for (const DemoSite& s : kSites) {
      if (org.name == s.org_name) demo = &s;
    }
    if (org.kind != platform::OrgKind::kAccessSite || demo == nullptr) continue;
    CITYCODE_ASSIGN_OR_RETURN(auto sites, platform.organisations().ListSites(org.id));
    if (sites.empty()) continue;
    const std::string& site_id = sites.front().id;
    CITYCODE_RETURN_IF_ERROR(ConfigureSite(org.id, site_id,
                                           {.policy = demo->policy,
                                            .opens = demo->opens,
                                            .closes = demo->closes,
                                            .allow_cards = demo->allow_cards})
                                 .status());
    if (demo->policy == Policy::kReservations) {
      CITYCODE_ASSIGN_OR_RETURN(
          std::string booked, SeedSlots(*this, impl_->time, org.id, site_id, seed.citizen_id, now));
      seed.notes.push_back({"Access", org.name +
                                          ": hourly slots today and tomorrow; the demo "
                                          "citizen holds " +
                                          booked});
      continue;
    }
    const bool residents = demo->policy == Policy::kResidents;
    CITYCODE_RETURN_IF_ERROR(AddMember(org.id, site_id,
                                       {.name = identity.person.name,
                                        .id_number = identity.person.id_number,
                                        .household = residents ? "3号楼2单元501" : ""})
                                 .status());
    if (!residents) {
      seed.notes.push_back({"Access", org.name + ": the demo citizen is staff"});
      continue;
    }
    CITYCODE_ASSIGN_OR_RETURN(
        Pass pass, IssuePass(seed.citizen_id, {.site_id = site_id,
                                               .valid_from = now,
                                               .valid_until = now + std::chrono::hours(24),
                                               .entries = 2,
                                               .printed = true}));
    seed.notes.push_back({"Access", org.name +
                                        ": the demo citizen is a resident; a printed "
                                        "visitor pass (2 entries, 24 h): " +
                                        pass.printed_text});
  }
  return OkStatus();
}

}  // namespace citycode::access
