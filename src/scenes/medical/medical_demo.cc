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

// Each hospital issues its health records (invented credit codes).
std::string DemoCreditCode(std::size_t hospital) {
  return "12370282MB00000" + std::to_string(hospital + 1) + "0X";
}

// The demo citizen's lab result from 即墨区人民医院 (fictional values).
vault::RecordRequest DemoLabResult(std::chrono::sys_days collected_on) {
  return {.type = "lab_result",
          .fields = {{"test_name", "糖化血红蛋白(HbA1c)"},
                     {"result", "5.9"},
                     {"unit", "%"},
                     {"reference_range", "4.0-6.0"},
                     {"collected_on", FormatIsoDay(collected_on)}}};
}

}  // namespace

// The hospital issues health records and may read them under consent; the
// first one issued the demo citizen a lab result last week.
Status MedicalScene::SeedHealthRecords(api::DemoSeed& seed, const std::string& org_id,
                                       std::size_t hospital) {
  CITYCODE_RETURN_IF_ERROR(seed.vault.RegisterIssuer({.org_id = org_id,
                                                      .credit_code = DemoCreditCode(hospital),
                                                      .name = Hospitals()[hospital].name},
                                                     "demo"));
  CITYCODE_RETURN_IF_ERROR(
      seed.vault.SetOrganisationTypes(org_id, {"visit_summary", "lab_result"}, {}, "demo"));
  if (hospital != 0 || seed.citizen_id.empty()) return OkStatus();
  return IssueRecordNow(org_id, seed.citizen_id,
                        DemoLabResult(LocalToday() - std::chrono::days(6)));
}

Status MedicalScene::SeedDemo(api::DemoSeed& seed) {
  const std::chrono::sys_days today = LocalToday();
  for (const api::DemoOrganisation& org : seed.organisations) {
    if (org.kind != platform::OrgKind::kHospital) continue;
    for (std::size_t h = 0; h < Hospitals().size(); ++h) {
      const HospitalSeed& hospital = Hospitals()[h];
      if (org.name != hospital.name) continue;
      CITYCODE_RETURN_IF_ERROR(SeedHealthRecords(seed, org.id, h));
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
