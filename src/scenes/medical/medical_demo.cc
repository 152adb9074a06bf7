// The medical scene's part of the demo city: at each hospital two
// departments, a clinician or two each, and a morning session a day for a
// week from the demo clock's today. Each hospital's terminal (created by
// the demo city, "门诊楼 1" / "卫生院 1") is registered as its kiosk; the
// scene adds a desk ("… 诊室1", the hospital's first clinician's) and a
// pharmacy window ("… 药房1") at its first site, each with its role.
#include <chrono>
#include <utility>

#include "scenes/medical/medical.h"

namespace citycode::medical {
namespace {

struct ClinicianSeed {
  const char* name;  // fictional
  const char* title;
  std::int64_t fee_fen;
};

struct DepartmentSeed {
  const char* name;
  std::vector<ClinicianSeed> clinicians;
};

struct HospitalSeed {
  const char* name;
  std::vector<DepartmentSeed> departments;
};

const std::vector<HospitalSeed>& Hospitals() {
  static const std::vector<HospitalSeed> kHospitals = {
      {"即墨区人民医院",
       {{"内科", {{"演示医生王建国", "主任医师", 3000}, {"演示医生刘芳", "主治医师", 1000}}},
        {"儿科", {{"演示医生陈静", "副主任医师", 2000}}}}},
      {"即墨区中医医院",
       {{"中医内科", {{"演示医生孙志强", "主任医师", 3000}}},
        {"针灸推拿科", {{"演示医生周敏", "主治医师", 1000}}}}},
      {"移风店镇卫生院",
       {{"全科", {{"演示医生张伟", "医师", 500}}}, {"中医科", {{"演示医生李娜", "医师", 500}}}}},
  };
  return kHospitals;
}

constexpr int kDemoDays = 7;

}  // namespace

Status MedicalScene::SeedDemo(api::DemoSeed& seed) {
  const std::chrono::sys_days today = LocalToday();
  for (const api::DemoOrganisation& org : seed.organisations) {
    if (org.kind != platform::OrgKind::kHospital) continue;
    for (const HospitalSeed& hospital : Hospitals()) {
      if (org.name != hospital.name) continue;
      std::string first_slot, first_clinician;
      for (const DepartmentSeed& department_seed : hospital.departments) {
        CITYCODE_ASSIGN_OR_RETURN(Department department,
                                  CreateDepartment(org.id, department_seed.name));
        for (const ClinicianSeed& clinician_seed : department_seed.clinicians) {
          CITYCODE_ASSIGN_OR_RETURN(
              Clinician clinician,
              CreateClinician(org.id, department.id, clinician_seed.name, clinician_seed.title));
          if (first_clinician.empty()) first_clinician = clinician.id;
          for (int d = 0; d < kDemoDays; ++d) {
            CITYCODE_ASSIGN_OR_RETURN(
                Schedule schedule,
                CreateSchedule(org.id, {.clinician_id = clinician.id,
                                        .day = FormatIsoDay(today + std::chrono::days(d)),
                                        .start = "08:00",
                                        .end = "12:00",
                                        .slot_minutes = 30,
                                        .capacity = 5,
                                        .fee_fen = clinician_seed.fee_fen}));
            if (d == 1 && first_slot.empty()) first_slot = schedule.slots.front().id;
          }
        }
      }
      // The demo city gave each hospital a terminal: its registration kiosk.
      CITYCODE_ASSIGN_OR_RETURN(auto terminals, seed.platform.access_keys().ListTerminals(org.id));
      const std::string kiosk = terminals.empty() ? std::string("none") : terminals.front().name;
      for (const platform::Terminal& terminal : terminals) {
        CITYCODE_RETURN_IF_ERROR(
            RegisterTerminal(org.id, terminal.id, TerminalRole::kKiosk, "").status());
      }
      std::string desks;
      CITYCODE_ASSIGN_OR_RETURN(auto sites, seed.platform.organisations().ListSites(org.id));
      if (!sites.empty()) {
        const std::pair<const char*, TerminalRole> rooms[] = {{" 诊室1", TerminalRole::kDesk},
                                                              {" 药房1", TerminalRole::kPharmacy}};
        for (const auto& [room, role] : rooms) {
          const std::string name = sites.front().name + room;
          CITYCODE_ASSIGN_OR_RETURN(auto terminal, seed.platform.access_keys().CreateTerminal(
                                                       org.id, sites.front().id, name));
          CITYCODE_RETURN_IF_ERROR(
              RegisterTerminal(org.id, terminal.first.id, role,
                               role == TerminalRole::kDesk ? first_clinician : "")
                  .status());
          seed.terminals.push_back(
              {org.name, sites.front().name, "medical", terminal.second.token, name});
          desks += ", " + name;
        }
      }
      seed.notes.push_back(
          {"Medical", org.name + " " + org.id + ", kiosk " + kiosk + desks +
                          " (keys in demo.json), a slot tomorrow 08:00: " + first_slot});
    }
  }
  return OkStatus();
}

}  // namespace citycode::medical
