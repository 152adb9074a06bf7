#include "scenes/medical/medical.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <latch>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "code/presentation.h"
#include "common/config.h"
#include "tests/support/scene_test.h"
#include "tests/support/status_matchers.h"
#include "vault/vault.h"

namespace citycode::medical {
namespace {

using ::citycode::testing::StatusIs;
using platform::OrgKind;
using platform::Principal;

// Fictional people; the ID numbers carry valid check characters.
constexpr std::string_view kName = testing::kSceneTestName;
constexpr std::string_view kIdNumber = "370282199003154516";
constexpr std::string_view kOtherIdNumber = "370282195001011839";
constexpr std::string_view kThirdIdNumber = "370282198506201236";
constexpr std::string_view kHospitalCode = "12370282MB0000001A";
constexpr std::string_view kFourthIdNumber = "370282198801011232";

// 2026-08-06 15:06 in Jimo (UTC+8).
const Instant kStart = testing::kSceneTestStart;
constexpr std::string_view kToday = "2026-08-06";
constexpr std::string_view kTomorrow = "2026-08-07";

using Citizen = testing::SceneCitizen;

class MedicalTest : public testing::SceneTest {
 protected:
  void SetUp() override {
    SceneTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    OpenMedical();

    auto hospital = platform_->organisations().Create("即墨区人民医院", OrgKind::kHospital);
    ASSERT_TRUE(hospital.ok());
    hospital_id_ = hospital->id;
    // A visit's summary is a health record the hospital issues.
    ASSERT_TRUE(vault_
                    ->RegisterIssuer({.org_id = hospital_id_,
                                      .credit_code = std::string(kHospitalCode),
                                      .name = "即墨区人民医院"},
                                     "admin")
                    .ok());
    auto site = platform_->organisations().CreateSite(hospital_id_, "门诊楼");
    ASSERT_TRUE(site.ok());
    kiosk_ = Terminal(hospital_id_, site->id, "挂号机1");

    auto other = platform_->organisations().Create("即墨区中医医院", OrgKind::kHospital);
    ASSERT_TRUE(other.ok());
    other_hospital_id_ = other->id;
    auto other_site = platform_->organisations().CreateSite(other_hospital_id_, "门诊楼");
    ASSERT_TRUE(other_site.ok());
    other_kiosk_ = Terminal(other_hospital_id_, other_site->id, "挂号机1");

    auto hall = platform_->organisations().Create("即墨区政务服务中心", OrgKind::kServiceHall);
    ASSERT_TRUE(hall.ok());
    hall_id_ = hall->id;
    auto hall_site = platform_->organisations().CreateSite(hall_id_, "大厅");
    ASSERT_TRUE(hall_site.ok());
    hall_kiosk_ = Terminal(hall_id_, hall_site->id, "取号机1");

    auto department = medical_->CreateDepartment(hospital_id_, "内科");
    ASSERT_TRUE(department.ok()) << department.status().ToString();
    department_ = *department;
    auto clinician = medical_->CreateClinician(hospital_id_, department_.id, "王医生", "主任医师");
    ASSERT_TRUE(clinician.ok()) << clinician.status().ToString();
    clinician_ = *clinician;

    citizen_ = NewCitizen("13912345678", kIdNumber);
    other_citizen_ = NewCitizen("13912345679", kOtherIdNumber);
    GiveRole(hospital_id_, kiosk_, TerminalRole::kKiosk);
    GiveRole(other_hospital_id_, other_kiosk_, TerminalRole::kKiosk);
  }

  // Registers the terminal's role at its hospital, as its admin does.
  void GiveRole(const std::string& org, const Principal& terminal, TerminalRole role,
                std::string_view clinician_id = "") {
    auto registered = medical_->RegisterTerminal(org, terminal.terminal_id, role, clinician_id);
    ASSERT_TRUE(registered.ok()) << registered.status().ToString();
  }

  void OpenMedical(MedicalOptions options = {}) {
    medical_.reset();
    if (!vault_) {
      auto vault = vault::Vault::Open(db(), clock_, *platform_, keyring_);
      ASSERT_TRUE(vault.ok()) << vault.status().ToString();
      vault_ = std::move(*vault);
    }
    auto medical = MedicalScene::Open(db(), clock_, *platform_, *vault_, {}, options);
    ASSERT_TRUE(medical.ok()) << medical.status().ToString();
    medical_ = std::move(*medical);
  }

  Schedule NewSchedule(std::string_view day, std::string_view start, std::string_view end,
                       std::int64_t capacity = 2, std::int64_t fee_fen = 1000) {
    auto schedule = medical_->CreateSchedule(hospital_id_, {.clinician_id = clinician_.id,
                                                            .day = std::string(day),
                                                            .start = std::string(start),
                                                            .end = std::string(end),
                                                            .slot_minutes = 30,
                                                            .capacity = capacity,
                                                            .fee_fen = fee_fen});
    EXPECT_TRUE(schedule.ok()) << schedule.status().ToString();
    return schedule.ok() ? *schedule : Schedule{};
  }

  // What a refusal must leave as it was.
  std::map<std::string, std::int64_t> Counts() {
    return {{"appointments", QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM medical_appointments")},
            {"booked", QueryInt("SELECT CAST(COALESCE(SUM(booked), 0) AS BIGINT) FROM "
                                "medical_slots")},
            {"cancelled", QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM medical_appointments "
                                   "WHERE state = 'cancelled'")}};
  }

  std::int64_t Booked(const std::string& slot_id) {
    return QueryInt("SELECT booked FROM medical_slots WHERE id = '" + slot_id + "'");
  }

  std::unique_ptr<vault::Vault> vault_;
  std::int64_t Postings(const std::string& where = "1 = 1") {
    return QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM medical_postings WHERE " + where);
  }

  Bill BillOf(const Citizen& citizen) {
    auto bill = medical_->CitizenBill(citizen.id);
    EXPECT_TRUE(bill.ok()) << bill.status().ToString();
    return bill.ok() ? *bill : Bill{};
  }

  // The ledger's rule: a patient's postings sum to the fees of their
  // appointments that stand (booked, checked in or missed) and the totals
  // of their dispensed prescriptions; the bill and the account row say the
  // same; every posting's two entries balance.
  void ExpectBillMatchesTheRecords(const Citizen& citizen) {
    const std::string who = "'" + citizen.id + "'";
    const std::int64_t fees = QueryInt(
        "SELECT CAST(COALESCE(SUM(s.fee_fen), 0) AS BIGINT) FROM medical_appointments a JOIN "
        "medical_slots s ON s.id = a.slot_id WHERE a.state = 'booked' AND a.citizen_id = " +
        who);
    const std::int64_t medicines = QueryInt(
        "SELECT CAST(COALESCE(SUM(total_fen), 0) AS BIGINT) FROM medical_prescriptions WHERE "
        "dispensed_at IS NOT NULL AND citizen_id = " +
        who);
    EXPECT_EQ(QueryInt("SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM "
                       "medical_postings WHERE citizen_id = " +
                       who),
              fees + medicines);
    EXPECT_EQ(BillOf(citizen).owed_fen, fees + medicines);
    EXPECT_EQ(QueryInt("SELECT CAST(COALESCE(SUM(balance_fen), 0) AS BIGINT) FROM "
                       "medical_patient_accounts WHERE citizen_id = " +
                       who),
              fees + medicines);
    EXPECT_EQ(QueryInt("SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM "
                       "medical_ledger_lines"),
              0);
  }

  std::unique_ptr<MedicalScene> medical_;
  std::string hospital_id_, other_hospital_id_, hall_id_;
  Principal kiosk_, other_kiosk_, hall_kiosk_;
  Department department_;
  Clinician clinician_;
  Citizen citizen_, other_citizen_;
};

// A guardian has every view and action of their own for a dependant.
TEST_P(MedicalTest, EveryOwnRouteHasADependantsTwin) {
  std::set<std::string> patterns;
  for (const api::RouteSpec& route : medical_->Routes()) {
    patterns.insert(std::to_string(static_cast<int>(route.method)) + " " + route.pattern);
  }
  int own = 0;
  for (const std::string& pattern : patterns) {
    const std::size_t at = pattern.find(" /v1/me/medical/");
    if (at == std::string::npos) continue;
    ++own;
    const std::string twin = pattern.substr(0, at) + " /v1/me/dependants/{dependant}/medical/" +
                             pattern.substr(at + std::string(" /v1/me/medical/").size());
    EXPECT_TRUE(patterns.contains(twin)) << pattern;
  }
  EXPECT_GE(own, 8);
}

TEST_P(MedicalTest, ASchedulePublishesSlotsInTheCitysLocalTime) {
  const Schedule schedule = NewSchedule(kTomorrow, "08:00", "10:00", 3);
  EXPECT_EQ(schedule.day, kTomorrow);
  EXPECT_EQ(schedule.department_id, department_.id);
  ASSERT_EQ(schedule.slots.size(), 4u);
  // 08:00 in Jimo is 00:00 UTC.
  EXPECT_EQ(FormatRfc3339(schedule.slots[0].starts_at), "2026-08-07T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(schedule.slots[3].ends_at), "2026-08-07T02:00:00Z");
  EXPECT_EQ(schedule.slots[0].capacity, 3);
  EXPECT_EQ(schedule.slots[0].fee_fen, 1000);

  auto slots = medical_->ListOpenSlots({.role = platform::Role::kCitizen}, hospital_id_, kTomorrow);
  ASSERT_TRUE(slots.ok()) << slots.status().ToString();
  ASSERT_EQ(slots->size(), 4u);
  EXPECT_EQ((*slots)[0].clinician_name, "王医生");
  EXPECT_EQ((*slots)[0].department_name, "内科");
  auto at_kiosk = medical_->ListOpenSlots(kiosk_, hospital_id_, kTomorrow);
  ASSERT_TRUE(at_kiosk.ok()) << at_kiosk.status().ToString();
  EXPECT_EQ(at_kiosk->size(), 4u);
  EXPECT_THAT(medical_->ListOpenSlots(other_kiosk_, hospital_id_, kTomorrow),
              StatusIs(StatusCode::kPermissionDenied, "slot_of_another_hospital"));
  EXPECT_THAT(medical_->ListOpenSlots(kiosk_, hospital_id_, "2026-13-01"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

TEST_P(MedicalTest, BookListAndCancelOnline) {
  const Schedule schedule = NewSchedule(kTomorrow, "08:00", "09:00");
  const Slot& slot = schedule.slots[0];
  auto booked = medical_->BookOnline(citizen_.id, slot.id);
  ASSERT_TRUE(booked.ok()) << booked.status().ToString();
  EXPECT_EQ(booked->state, AppointmentState::kBooked);
  EXPECT_EQ(booked->channel, BookingChannel::kOnline);
  EXPECT_EQ(booked->slot.booked, 1);
  EXPECT_EQ(Booked(slot.id), 1);

  auto mine = medical_->CitizenAppointments(citizen_.id);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].id, booked->id);
  EXPECT_THAT(medical_->CitizenAppointments(other_citizen_.id).value(), ::testing::IsEmpty());

  // Someone else's appointment is unknown to them.
  EXPECT_THAT(medical_->CancelAppointment(other_citizen_.id, booked->id),
              StatusIs(StatusCode::kNotFound, "not_found"));
  auto cancelled = medical_->CancelAppointment(citizen_.id, booked->id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();
  EXPECT_EQ(cancelled->state, AppointmentState::kCancelled);
  EXPECT_EQ(cancelled->cancelled_at, kStart);
  EXPECT_EQ(Booked(slot.id), 0);
  EXPECT_THAT(medical_->CancelAppointment(citizen_.id, booked->id),
              StatusIs(StatusCode::kFailedPrecondition, "already_cancelled"));
  // The cancelled one no longer counts against one booking per schedule.
  auto again = medical_->BookOnline(citizen_.id, schedule.slots[1].id);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Counts()["appointments"], 2);
}

TEST_P(MedicalTest, EachRefusedBookingHasItsReasonAndChangesNothing) {
  const Schedule schedule = NewSchedule(kTomorrow, "08:00", "09:00", 1);
  const Schedule today = NewSchedule(kToday, "08:00", "09:00");
  const Schedule far = NewSchedule("2026-08-14", "08:00", "09:00");  // 8 days ahead
  ASSERT_TRUE(medical_->BookOnline(citizen_.id, schedule.slots[0].id).ok());
  const auto before = Counts();

  EXPECT_THAT(medical_->BookOnline(other_citizen_.id, schedule.slots[0].id),
              StatusIs(StatusCode::kFailedPrecondition, "slot_full"));
  EXPECT_THAT(medical_->BookOnline(citizen_.id, schedule.slots[1].id),
              StatusIs(StatusCode::kAlreadyExists, "already_booked"));
  EXPECT_THAT(medical_->BookOnline(citizen_.id, today.slots[0].id),
              StatusIs(StatusCode::kFailedPrecondition, "slot_not_open"));
  EXPECT_THAT(medical_->BookOnline(citizen_.id, far.slots[0].id),
              StatusIs(StatusCode::kFailedPrecondition, "slot_not_open"));
  EXPECT_THAT(medical_->BookOnline(citizen_.id, "slot_unknown"),
              StatusIs(StatusCode::kNotFound, "not_found"));
  const Citizen unverified = NewCitizen("13912345670", kThirdIdNumber, false);
  EXPECT_THAT(medical_->BookOnline(unverified.id, schedule.slots[1].id),
              StatusIs(StatusCode::kFailedPrecondition, "identity_not_verified"));
  EXPECT_EQ(Counts(), before);

  // Seven days ahead is open.
  const Schedule week = NewSchedule("2026-08-13", "08:00", "09:00");
  EXPECT_TRUE(medical_->BookOnline(citizen_.id, week.slots[0].id).ok());
}

TEST_P(MedicalTest, AKioskBooksForTheCodesCitizen) {
  const Schedule schedule = NewSchedule(kTomorrow, "08:00", "09:00");
  const std::string code = Code(citizen_);
  const auto before = Counts();
  // Refused before the code is used: it still books at the right kiosk.
  EXPECT_THAT(medical_->BookAtTerminal(other_kiosk_, code, schedule.slots[0].id),
              StatusIs(StatusCode::kPermissionDenied, "slot_of_another_hospital"));
  EXPECT_THAT(medical_->BookAtTerminal(hall_kiosk_, code, schedule.slots[0].id),
              StatusIs(StatusCode::kPermissionDenied, "not_a_hospital_terminal"));
  EXPECT_THAT(medical_->BookAtTerminal(kiosk_, code, "slot_unknown"),
              StatusIs(StatusCode::kNotFound, "not_found"));
  EXPECT_THAT(medical_->BookAtTerminal(kiosk_, "CC1:garbage", schedule.slots[0].id),
              StatusIs(StatusCode::kPermissionDenied, "code_invalid"));
  const Citizen unverified = NewCitizen("13912345670", kThirdIdNumber, false);
  EXPECT_THAT(medical_->BookAtTerminal(kiosk_, Code(unverified), schedule.slots[0].id),
              StatusIs(StatusCode::kFailedPrecondition, "identity_not_verified"));
  EXPECT_EQ(Counts(), before);

  auto booked = medical_->BookAtTerminal(kiosk_, code, schedule.slots[0].id);
  ASSERT_TRUE(booked.ok()) << booked.status().ToString();
  EXPECT_EQ(booked->citizen_id, citizen_.id);
  EXPECT_EQ(booked->channel, BookingChannel::kKiosk);
  EXPECT_EQ(booked->terminal_id, kiosk_.terminal_id);
  // One use: the same code again is a replay.
  EXPECT_THAT(medical_->BookAtTerminal(kiosk_, code, schedule.slots[1].id),
              StatusIs(StatusCode::kPermissionDenied, "code_invalid"));
  EXPECT_THAT(medical_->BookAtTerminal(kiosk_, Code(citizen_), schedule.slots[1].id),
              StatusIs(StatusCode::kAlreadyExists, "already_booked"));
}

// One booking per patient and schedule holds when the same citizen books
// every slot of a session at once.
TEST_P(MedicalTest, ConcurrentBookingsOfOneSessionByOneCitizenLeaveOne) {
  const Schedule schedule = NewSchedule(kTomorrow, "08:00", "12:00", 5);
  ASSERT_EQ(schedule.slots.size(), 8u);
  std::vector<Status> outcomes(schedule.slots.size());
  std::latch start(static_cast<std::ptrdiff_t>(schedule.slots.size()));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < schedule.slots.size(); ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      outcomes[i] = medical_->BookOnline(citizen_.id, schedule.slots[i].id).status();
    });
  }
  for (std::thread& thread : threads) thread.join();
  int booked = 0;
  for (const Status& outcome : outcomes) {
    if (outcome.ok()) {
      ++booked;
    } else {
      EXPECT_THAT(outcome, StatusIs(StatusCode::kAlreadyExists, "already_booked"));
    }
  }
  EXPECT_EQ(booked, 1);
  EXPECT_EQ(Counts()["appointments"], 1);
  EXPECT_EQ(Counts()["booked"], 1);
}

TEST_P(MedicalTest, CancellingClosesWhenTheSlotStarts) {
  const Schedule schedule = NewSchedule(kToday, "16:00", "17:00");
  auto booked = medical_->BookOnline(citizen_.id, schedule.slots[0].id);
  ASSERT_TRUE(booked.ok()) << booked.status().ToString();
  clock_.Set(schedule.slots[0].starts_at);
  EXPECT_THAT(medical_->CancelAppointment(citizen_.id, booked->id),
              StatusIs(StatusCode::kFailedPrecondition, "slot_started"));
  EXPECT_EQ(Booked(schedule.slots[0].id), 1);
  // Until it starts, a slot can be booked (booking_closes_minutes_before 0).
  EXPECT_TRUE(medical_->BookOnline(other_citizen_.id, schedule.slots[1].id).ok());
}

TEST_P(MedicalTest, TheSettingsMoveTheBookingWindow) {
  const Schedule schedule = NewSchedule(kToday, "15:30", "16:30");
  const Schedule tomorrow = NewSchedule(kTomorrow, "08:00", "09:00");
  OpenMedical({.booking_days_ahead = 0, .booking_closes_minutes_before = 30});
  // 15:30 is 24 minutes away: closed.
  EXPECT_THAT(medical_->BookOnline(citizen_.id, schedule.slots[0].id),
              StatusIs(StatusCode::kFailedPrecondition, "slot_not_open"));
  EXPECT_TRUE(medical_->BookOnline(citizen_.id, schedule.slots[1].id).ok());
  EXPECT_THAT(medical_->BookOnline(citizen_.id, tomorrow.slots[0].id),
              StatusIs(StatusCode::kFailedPrecondition, "slot_not_open"));
  auto open = medical_->ListOpenSlots({.role = platform::Role::kCitizen}, hospital_id_, kToday);
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].id, schedule.slots[1].id);
}

TEST_P(MedicalTest, FacilitiesAreAHospitalsOwn) {
  EXPECT_THAT(medical_->CreateDepartment(hall_id_, "内科"),
              StatusIs(StatusCode::kFailedPrecondition, "not_a_hospital"));
  EXPECT_THAT(medical_->CreateDepartment("org_unknown", "内科"),
              StatusIs(StatusCode::kNotFound, "not_found"));
  EXPECT_THAT(medical_->CreateDepartment(hospital_id_, "内科"),
              StatusIs(StatusCode::kAlreadyExists, "department_exists"));
  EXPECT_THAT(medical_->CreateDepartment(hospital_id_, ""),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(medical_->CreateClinician(other_hospital_id_, department_.id, "李医生", "医师"),
              StatusIs(StatusCode::kPermissionDenied, "permission_denied"));
  EXPECT_THAT(medical_->ListClinicians(hall_id_),
              StatusIs(StatusCode::kFailedPrecondition, "not_a_hospital"));
  auto clinicians = medical_->ListClinicians(hospital_id_);
  ASSERT_TRUE(clinicians.ok());
  ASSERT_EQ(clinicians->size(), 1u);
  EXPECT_EQ((*clinicians)[0].title, "主任医师");

  NewSchedule(kTomorrow, "08:00", "10:00");
  ScheduleRequest overlapping{.clinician_id = clinician_.id,
                              .day = std::string(kTomorrow),
                              .start = "09:30",
                              .end = "11:00"};
  EXPECT_THAT(medical_->CreateSchedule(hospital_id_, overlapping),
              StatusIs(StatusCode::kAlreadyExists, "schedule_overlaps"));
  for (auto [day, start, end, minutes] : {std::tuple{"2026-02-30", "08:00", "09:00", 30},
                                          {"2026-08-07", "25:00", "26:00", 30},
                                          {"2026-08-07", "10:00", "09:00", 30},
                                          {"2026-08-07", "08:00", "09:00", 7}}) {
    EXPECT_THAT(medical_->CreateSchedule(hospital_id_, {.clinician_id = clinician_.id,
                                                        .day = day,
                                                        .start = start,
                                                        .end = end,
                                                        .slot_minutes = minutes}),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << day << " " << start << "-" << end << " / " << minutes;
  }
  EXPECT_EQ(QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM medical_schedules"), 1);
}

TEST_P(MedicalTest, ErasingCancelsWhatIsNotYetDueAndKeepsTheRecords) {
  const Schedule past = NewSchedule(kToday, "15:30", "16:00");
  const Schedule tomorrow = NewSchedule(kTomorrow, "08:00", "09:00");
  ASSERT_TRUE(medical_->BookOnline(citizen_.id, past.slots[0].id).ok());
  ASSERT_TRUE(medical_->BookOnline(citizen_.id, tomorrow.slots[0].id).ok());
  clock_.Set(past.slots[0].ends_at);
  auto kept = medical_->EraseCitizen(citizen_.id);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ(Booked(tomorrow.slots[0].id), 0);
  EXPECT_EQ(Booked(past.slots[0].id), 1);
  EXPECT_EQ(Counts()["appointments"], 2);
  EXPECT_EQ(Counts()["cancelled"], 1);
  auto exported = medical_->ExportCitizen(citizen_.id);
  ASSERT_TRUE(exported.ok());
  EXPECT_EQ((*exported)["appointments"].size(), 2u);
}

TEST_P(MedicalTest, TheDemoSeedsEachHospitalWithAWeekOfSessions) {
  api::DemoSeed seed{.platform = *platform_, .vault = *vault_};
  seed.organisations = {{hospital_id_, "即墨区人民医院", OrgKind::kHospital},
                        {other_hospital_id_, "即墨区中医医院", OrgKind::kHospital},
                        {hall_id_, "即墨区政务服务中心", OrgKind::kServiceHall}};
  // The fixture gave 即墨区人民医院 its 内科 already: seed a fresh one.
  auto fresh = platform_->organisations().Create("移风店镇卫生院", OrgKind::kHospital);
  ASSERT_TRUE(fresh.ok());
  seed.organisations[0] = {fresh->id, "移风店镇卫生院", OrgKind::kHospital};
  ASSERT_TRUE(medical_->SeedDemo(seed).ok());
  ASSERT_EQ(seed.notes.size(), 2u);
  // A desk and a pharmacy at each hospital's first site (the fresh one has
  // none), each a terminal of the hospital.
  ASSERT_EQ(seed.terminals.size(), 2u);
  EXPECT_EQ(seed.terminals[0].name, "门诊楼 诊室1");
  EXPECT_EQ(seed.terminals[1].name, "门诊楼 药房1");
  for (const api::DemoTerminal& terminal : seed.terminals) {
    EXPECT_EQ(terminal.scene, "medical");
    auto principal = platform_->access_keys().Authenticate(terminal.api_key);
    ASSERT_TRUE(principal.ok());
    EXPECT_EQ(principal->org_id, other_hospital_id_);
    EXPECT_EQ(principal->scene, code::Scene::kMedical);
  }
  EXPECT_THAT(seed.notes[1].text, ::testing::HasSubstr("门诊楼 药房1"));
  EXPECT_THAT(seed.notes[0].text, ::testing::HasSubstr(fresh->id));
  for (const std::string& org : {fresh->id, other_hospital_id_}) {
    EXPECT_EQ(medical_->ListDepartments(org)->size(), 2u) << org;
    // A session a day for a week from today, for each of its clinicians.
    const auto clinicians = medical_->ListClinicians(org)->size();
    EXPECT_EQ(QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM medical_schedules WHERE org_id = '" +
                       org + "'"),
              static_cast<std::int64_t>(7 * clinicians));
    auto tomorrow = medical_->ListOpenSlots({.role = platform::Role::kCitizen}, org, kTomorrow);
    ASSERT_TRUE(tomorrow.ok());
    EXPECT_EQ(tomorrow->size(), 8 * clinicians);
  }
  EXPECT_THAT(medical_->ListDepartments(hall_id_),
              StatusIs(StatusCode::kFailedPrecondition, "not_a_hospital"));
}

TEST_P(MedicalTest, TerminalRolesAreTheHospitalsOwnAndReplacedWhenPostedAgain) {
  auto sites = platform_->organisations().ListSites(hospital_id_);
  ASSERT_TRUE(sites.ok() && !sites->empty());
  const Principal desk = Terminal(hospital_id_, sites->front().id, "诊室1");
  const Principal disabled = Terminal(hospital_id_, sites->front().id, "诊室9");
  ASSERT_TRUE(platform_->access_keys().DisableTerminal(hospital_id_, disabled.terminal_id).ok());
  auto roles = [&] { return QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM medical_terminals"); };
  const std::int64_t kiosks = roles();
  EXPECT_THAT(
      medical_->RegisterTerminal(hospital_id_, other_kiosk_.terminal_id, TerminalRole::kKiosk, ""),
      StatusIs(StatusCode::kPermissionDenied, "terminal_of_another_hospital"));
  EXPECT_THAT(medical_->RegisterTerminal(hospital_id_, "term_unknown", TerminalRole::kKiosk, ""),
              StatusIs(StatusCode::kPermissionDenied, "terminal_of_another_hospital"));
  EXPECT_THAT(
      medical_->RegisterTerminal(hall_id_, hall_kiosk_.terminal_id, TerminalRole::kKiosk, ""),
      StatusIs(StatusCode::kFailedPrecondition, "not_a_hospital"));
  EXPECT_THAT(
      medical_->RegisterTerminal(hospital_id_, disabled.terminal_id, TerminalRole::kKiosk, ""),
      StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
  EXPECT_THAT(medical_->RegisterTerminal(hospital_id_, desk.terminal_id, TerminalRole::kDesk, ""),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(medical_->RegisterTerminal(hospital_id_, desk.terminal_id, TerminalRole::kPharmacy,
                                         clinician_.id),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(
      medical_->RegisterTerminal(hospital_id_, desk.terminal_id, TerminalRole::kDesk, "doc_x"),
      StatusIs(StatusCode::kNotFound, "not_found"));
  EXPECT_THAT(medical_->RegisterTerminal(other_hospital_id_, other_kiosk_.terminal_id,
                                         TerminalRole::kDesk, clinician_.id),
              StatusIs(StatusCode::kPermissionDenied, "permission_denied"));
  EXPECT_THAT(TerminalRoleFromName("doctor"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_EQ(roles(), kiosks);

  // Without a role, a terminal of the hospital lists slots and books
  // nothing; the code it was shown stays good.
  const Schedule schedule = NewSchedule(kTomorrow, "08:00", "09:00");
  EXPECT_TRUE(medical_->ListOpenSlots(desk, hospital_id_, kTomorrow).ok());
  const auto before = Counts();
  const std::string code = Code(citizen_);
  EXPECT_THAT(medical_->BookAtTerminal(desk, code, schedule.slots[0].id),
              StatusIs(StatusCode::kPermissionDenied, "not_a_kiosk"));
  EXPECT_EQ(Counts(), before);
  auto registered = medical_->RegisterTerminal(hospital_id_, desk.terminal_id, TerminalRole::kDesk,
                                               clinician_.id);
  ASSERT_TRUE(registered.ok()) << registered.status().ToString();
  EXPECT_EQ(registered->clinician_id, clinician_.id);
  // A desk books too.
  ASSERT_TRUE(medical_->BookAtTerminal(desk, code, schedule.slots[0].id).ok());

  // Posting again replaces the role: the kiosk is now the pharmacy.
  auto replaced =
      medical_->RegisterTerminal(hospital_id_, kiosk_.terminal_id, TerminalRole::kPharmacy, "");
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  const auto booked = Counts();
  EXPECT_THAT(medical_->BookAtTerminal(kiosk_, Code(other_citizen_), schedule.slots[0].id),
              StatusIs(StatusCode::kPermissionDenied, "not_a_kiosk"));
  EXPECT_EQ(Counts(), booked);
  auto listed = medical_->ListTerminals(hospital_id_);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  std::map<std::string, std::pair<TerminalRole, std::string>> by_id;
  for (const MedicalTerminal& t : *listed) by_id[t.terminal_id] = {t.role, t.clinician_id};
  EXPECT_EQ(by_id[kiosk_.terminal_id], std::pair(TerminalRole::kPharmacy, std::string()));
  EXPECT_EQ(by_id[desk.terminal_id], std::pair(TerminalRole::kDesk, clinician_.id));
  EXPECT_THAT(medical_->ListTerminals(hall_id_),
              StatusIs(StatusCode::kFailedPrecondition, "not_a_hospital"));
}

INSTANTIATE_TEST_SUITE_P(Backends, MedicalTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

// --- visits (就诊) and medicine pick-up (取药) ---

class MedicalVisitTest : public MedicalTest {
 protected:
  void SetUp() override {
    MedicalTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto sites = platform_->organisations().ListSites(hospital_id_);
    ASSERT_TRUE(sites.ok() && !sites->empty());
    desk_ = Terminal(hospital_id_, sites->front().id, "诊室1");
    other_desk_ = Terminal(hospital_id_, sites->front().id, "诊室2");
    pharmacy_ = Terminal(hospital_id_, sites->front().id, "药房1");
    GiveRole(hospital_id_, desk_, TerminalRole::kDesk, clinician_.id);
    GiveRole(hospital_id_, other_desk_, TerminalRole::kDesk, clinician_.id);
    GiveRole(hospital_id_, pharmacy_, TerminalRole::kPharmacy);
    auto other_sites = platform_->organisations().ListSites(other_hospital_id_);
    ASSERT_TRUE(other_sites.ok() && !other_sites->empty());
    other_pharmacy_ = Terminal(other_hospital_id_, other_sites->front().id, "药房1");
    GiveRole(other_hospital_id_, other_pharmacy_, TerminalRole::kPharmacy);
    // Today's session, later this afternoon (now is 15:06).
    today_ = NewSchedule(kToday, "16:00", "17:00");
    ASSERT_EQ(today_.slots.size(), 2u);
    auto booked = medical_->BookOnline(citizen_.id, today_.slots[0].id);
    ASSERT_TRUE(booked.ok()) << booked.status().ToString();
    appointment_id_ = booked->id;
  }

  std::map<std::string, std::int64_t> VisitCounts() {
    auto counts = Counts();
    counts["encounters"] = QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM medical_encounters");
    counts["closed"] = QueryInt(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM medical_encounters WHERE closed_at IS NOT NULL");
    counts["prescriptions"] =
        QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM medical_prescriptions");
    counts["items"] = QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM medical_prescription_items");
    counts["dispensed"] = QueryInt(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM medical_prescriptions WHERE dispensed_at IS NOT "
        "NULL");
    counts["counters"] =
        QueryInt("SELECT CAST(COALESCE(SUM(next), 0) AS BIGINT) FROM medical_pharmacy_counters");
    return counts;
  }

  // Checks the citizen in at the desk and closes the visit with one
  // prescription of two items; answers it.
  Prescription Prescribe(int valid_days = 1) {
    auto encounter = medical_->CheckIn(desk_, Code(citizen_));
    EXPECT_TRUE(encounter.ok()) << encounter.status().ToString();
    if (!encounter.ok()) return {};
    const PrescriptionRequest request{.items = {{"阿莫西林胶囊", 2, 1250}, {"布洛芬片", 1, 800}}};
    auto made = medical_->CloseEncounter(desk_, encounter->id, "上呼吸道感染，口服抗生素三天",
                                         std::span(&request, 1), valid_days);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (!made.ok() || made->size() != 1) return {};
    return made->front();
  }

  Principal desk_, other_desk_, pharmacy_, other_pharmacy_;
  Schedule today_;  // 16:00-17:00, two slots of two places; citizen_ has 16:00
  std::string appointment_id_;
};

TEST_P(MedicalVisitTest, CheckInCloseAndDispenseOnce) {
  auto encounter = medical_->CheckIn(desk_, Code(citizen_));
  ASSERT_TRUE(encounter.ok()) << encounter.status().ToString();
  EXPECT_EQ(encounter->appointment_id, appointment_id_);
  EXPECT_EQ(encounter->clinician_id, clinician_.id);
  EXPECT_EQ(encounter->citizen_id, citizen_.id);
  EXPECT_FALSE(encounter->closed_at);

  // Shown again, or cancelled once checked in: refused, nothing changed.
  auto before = VisitCounts();
  EXPECT_THAT(medical_->CheckIn(desk_, Code(citizen_)),
              StatusIs(StatusCode::kAlreadyExists, "already_checked_in"));
  EXPECT_THAT(medical_->CancelAppointment(citizen_.id, appointment_id_),
              StatusIs(StatusCode::kAlreadyExists, "already_checked_in"));
  EXPECT_THAT(medical_->CheckIn(desk_, Code(other_citizen_)),
              StatusIs(StatusCode::kFailedPrecondition, "no_appointment_today"));
  EXPECT_THAT(medical_->CheckIn(other_kiosk_, Code(citizen_)),
              StatusIs(StatusCode::kPermissionDenied, "not_a_desk"));
  EXPECT_THAT(medical_->CheckIn(hall_kiosk_, Code(citizen_)),
              StatusIs(StatusCode::kPermissionDenied, "not_a_hospital_terminal"));
  const std::string used = Code(citizen_);
  ASSERT_THAT(medical_->CheckIn(desk_, used),
              StatusIs(StatusCode::kAlreadyExists, "already_checked_in"));
  EXPECT_THAT(medical_->CheckIn(desk_, used),
              StatusIs(StatusCode::kPermissionDenied, "code_invalid"));

  // Closing: only at the desk that opened it, with good input.
  const PrescriptionRequest request{.items = {{"阿莫西林胶囊", 2, 1250}, {"布洛芬片", 1, 800}}};
  const auto one = std::span(&request, 1);
  EXPECT_THAT(medical_->CloseEncounter(other_desk_, encounter->id, "summary", one, 1),
              StatusIs(StatusCode::kPermissionDenied, "encounter_of_another_desk"));
  EXPECT_THAT(medical_->CloseEncounter(pharmacy_, encounter->id, "summary", one, 1),
              StatusIs(StatusCode::kPermissionDenied, "not_a_desk"));
  EXPECT_THAT(medical_->CloseEncounter(desk_, encounter->id, "summary", one, 4),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(medical_->CloseEncounter(desk_, encounter->id, "", one, 1),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  const PrescriptionRequest bad{.items = {{"阿莫西林胶囊", 0, 1250}}};
  EXPECT_THAT(medical_->CloseEncounter(desk_, encounter->id, "summary", std::span(&bad, 1), 1),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_EQ(VisitCounts(), before);

  auto made = medical_->CloseEncounter(desk_, encounter->id, "上呼吸道感染", one, 1);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  ASSERT_EQ(made->size(), 1u);
  const Prescription& rx = made->front();
  EXPECT_EQ(rx.total_fen, 2 * 1250 + 800);
  EXPECT_EQ(rx.citizen_id, citizen_.id);
  // Valid to the end of the local day of issue: midnight in Jimo.
  EXPECT_EQ(FormatRfc3339(rx.valid_until), "2026-08-06T16:00:00Z");
  EXPECT_THAT(medical_->CloseEncounter(desk_, encounter->id, "again", {}, 1),
              StatusIs(StatusCode::kFailedPrecondition, "encounter_closed"));

  // Pick-up: the prescription is checked before the code is used.
  before = VisitCounts();
  EXPECT_THAT(medical_->Dispense(other_pharmacy_, Code(citizen_), rx.id),
              StatusIs(StatusCode::kPermissionDenied, "prescription_of_another_hospital"));
  EXPECT_THAT(medical_->Dispense(desk_, Code(citizen_), rx.id),
              StatusIs(StatusCode::kPermissionDenied, "not_a_pharmacy"));
  EXPECT_THAT(medical_->Dispense(pharmacy_, Code(other_citizen_), rx.id),
              StatusIs(StatusCode::kPermissionDenied, "not_the_patient"));
  EXPECT_THAT(medical_->Dispense(pharmacy_, Code(citizen_), "rx_unknown"),
              StatusIs(StatusCode::kNotFound, "not_found"));
  EXPECT_EQ(VisitCounts(), before);

  auto dispensed = medical_->Dispense(pharmacy_, Code(citizen_), rx.id);
  ASSERT_TRUE(dispensed.ok()) << dispensed.status().ToString();
  EXPECT_EQ(dispensed->queue_number, 1);
  EXPECT_EQ(dispensed->dispensed_at, clock_.Now());
  EXPECT_EQ(dispensed->dispensed_by, pharmacy_.terminal_id);

  before = VisitCounts();
  auto again = medical_->Dispense(pharmacy_, Code(citizen_), rx.id);
  EXPECT_THAT(again, StatusIs(StatusCode::kFailedPrecondition, "already_dispensed"));
  EXPECT_THAT(again.status().message(), ::testing::HasSubstr(pharmacy_.terminal_id));
  EXPECT_THAT(again.status().message(), ::testing::HasSubstr(FormatRfc3339(clock_.Now())));
  EXPECT_EQ(VisitCounts(), before);

  auto mine = medical_->CitizenPrescriptions(citizen_.id);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ(mine->front().queue_number, 1);
  ASSERT_EQ(mine->front().items.size(), 2u);
  EXPECT_EQ(mine->front().items[0].drug, "阿莫西林胶囊");
  auto visits = medical_->CitizenEncounters(citizen_.id);
  ASSERT_TRUE(visits.ok());
  ASSERT_EQ(visits->size(), 1u);
  // The summary is not in the scene's tables: it is a health record in the
  // vault, issued by the hospital, which the patient reads.
  EXPECT_FALSE(visits->front().record_identifier.empty());
  EXPECT_EQ(QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM medical_encounters WHERE summary IS "
                     "NOT NULL"),
            0);
  auto records = medical_->CitizenRecords(citizen_.id);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), 1u);
  const vault::Certificate& record = records->front().certificate;
  EXPECT_EQ(record.identifier, visits->front().record_identifier);
  EXPECT_EQ(record.type_code, vault::FindCertificateType("visit_summary")->code);
  EXPECT_EQ(record.issuer_name, "即墨区人民医院");
  EXPECT_EQ(record.fields.at("summary"), "上呼吸道感染");
  EXPECT_EQ(record.fields.at("clinician"), "王医生");
  EXPECT_EQ(record.fields.at("department"), "内科");
  EXPECT_EQ(record.fields.at("visit_date"), kToday);
  // Signed with the key the vault keeps for the hospital, one of its issuer keys.
  auto issuer = vault_->GetIssuer(hospital_id_);
  ASSERT_TRUE(issuer.ok());
  EXPECT_EQ(issuer->key_ids, std::vector<std::string>{records->front().key_id});
  auto exported = medical_->ExportCitizen(citizen_.id);
  ASSERT_TRUE(exported.ok());
  EXPECT_EQ((*exported)["encounters"].size(), 1u);
  EXPECT_EQ((*exported)["prescriptions"].size(), 1u);
}

TEST_P(MedicalVisitTest, ErasingKeepsAVisitUnderWay) {
  ASSERT_TRUE(medical_->CheckIn(desk_, Code(citizen_)).ok());
  auto kept = medical_->EraseCitizen(citizen_.id);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(Counts()["cancelled"], 0);
  EXPECT_EQ(VisitCounts()["encounters"], 1);
}

TEST_P(MedicalVisitTest, APrescriptionIsValidForItsDaysOnly) {
  const Prescription today_only = Prescribe(1);
  ASSERT_FALSE(today_only.id.empty());
  // Another appointment, checked in and prescribed for three days.
  auto second = medical_->CreateSchedule(hospital_id_, {.clinician_id = clinician_.id,
                                                        .day = std::string(kToday),
                                                        .start = "18:00",
                                                        .end = "19:00",
                                                        .slot_minutes = 30,
                                                        .capacity = 1,
                                                        .fee_fen = 0});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_TRUE(medical_->BookOnline(citizen_.id, second->slots[0].id).ok());
  const Prescription three_days = Prescribe(3);
  ASSERT_FALSE(three_days.id.empty());
  EXPECT_EQ(FormatRfc3339(three_days.valid_until), "2026-08-08T16:00:00Z");

  // The next day (local): the first has expired, the second is good.
  clock_.Advance(std::chrono::hours(9));
  const auto before = VisitCounts();
  EXPECT_THAT(medical_->Dispense(pharmacy_, Code(citizen_), today_only.id),
              StatusIs(StatusCode::kFailedPrecondition, "prescription_expired"));
  EXPECT_EQ(VisitCounts(), before);
  auto dispensed = medical_->Dispense(pharmacy_, Code(citizen_), three_days.id);
  ASSERT_TRUE(dispensed.ok()) << dispensed.status().ToString();
  // A new local day, a new queue.
  EXPECT_EQ(dispensed->queue_number, 1);
}

TEST_P(MedicalVisitTest, ConcurrentDispensingOfOnePrescriptionDispensesItOnce) {
  const Prescription rx = Prescribe();
  ASSERT_FALSE(rx.id.empty());
  constexpr int kPharmacies = 6;
  std::vector<std::string> codes;
  for (int i = 0; i < kPharmacies; ++i) codes.push_back(Code(citizen_));
  std::vector<Status> results(kPharmacies);
  std::latch start(kPharmacies);
  std::vector<std::thread> threads;
  for (int i = 0; i < kPharmacies; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = medical_->Dispense(pharmacy_, codes[i], rx.id).status();
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0;
  for (const Status& status : results) {
    if (status.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(status.reason(), "already_dispensed") << status.ToString();
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(VisitCounts()["dispensed"], 1);
  EXPECT_EQ(VisitCounts()["counters"], 1);
}

TEST_P(MedicalVisitTest, ARoleRefusalComesBeforeTheCodeIsUsed) {
  const Prescription rx = Prescribe();
  ASSERT_FALSE(rx.id.empty());
  auto before = VisitCounts();
  const std::string code = Code(citizen_);
  EXPECT_THAT(medical_->Dispense(desk_, code, rx.id),
              StatusIs(StatusCode::kPermissionDenied, "not_a_pharmacy"));
  EXPECT_THAT(medical_->Dispense(kiosk_, code, rx.id),
              StatusIs(StatusCode::kPermissionDenied, "not_a_pharmacy"));
  EXPECT_EQ(VisitCounts(), before);
  ASSERT_TRUE(medical_->Dispense(pharmacy_, code, rx.id).ok());

  ASSERT_TRUE(medical_->BookOnline(other_citizen_.id, today_.slots[1].id).ok());
  before = VisitCounts();
  const std::string other_code = Code(other_citizen_);
  EXPECT_THAT(medical_->CheckIn(pharmacy_, other_code),
              StatusIs(StatusCode::kPermissionDenied, "not_a_desk"));
  EXPECT_THAT(medical_->CheckIn(kiosk_, other_code, true),
              StatusIs(StatusCode::kPermissionDenied, "not_a_desk"));
  EXPECT_EQ(VisitCounts(), before);
  ASSERT_TRUE(medical_->CheckIn(desk_, other_code).ok());
}

TEST_P(MedicalVisitTest, AWalkInIsBookedIntoTheRunningSlotAndCheckedIn) {
  clock_.Set(today_.slots[0].starts_at + std::chrono::minutes(10));  // 16:10
  const auto before = VisitCounts();
  auto encounter = medical_->CheckIn(desk_, Code(other_citizen_), true);
  ASSERT_TRUE(encounter.ok()) << encounter.status().ToString();
  EXPECT_EQ(encounter->clinician_id, clinician_.id);
  EXPECT_EQ(encounter->terminal_id, desk_.terminal_id);
  EXPECT_EQ(Booked(today_.slots[0].id), 2);
  auto mine = medical_->CitizenAppointments(other_citizen_.id);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ(mine->front().id, encounter->appointment_id);
  EXPECT_EQ(mine->front().channel, BookingChannel::kWalkIn);
  EXPECT_EQ(mine->front().terminal_id, desk_.terminal_id);
  EXPECT_EQ(mine->front().slot.id, today_.slots[0].id);
  auto after = VisitCounts();
  EXPECT_EQ(after["appointments"], before.at("appointments") + 1);
  EXPECT_EQ(after["encounters"], before.at("encounters") + 1);
  auto exported = medical_->ExportCitizen(other_citizen_.id);
  ASSERT_TRUE(exported.ok());
  EXPECT_EQ((*exported)["appointments"][0]["channel"], "walk_in");

  // With an appointment today, walk_in changes nothing: it is checked in.
  auto booked = medical_->CheckIn(desk_, Code(citizen_), true);
  ASSERT_TRUE(booked.ok()) << booked.status().ToString();
  EXPECT_EQ(booked->appointment_id, appointment_id_);
  after = VisitCounts();
  EXPECT_THAT(medical_->CheckIn(desk_, Code(other_citizen_), true),
              StatusIs(StatusCode::kAlreadyExists, "already_checked_in"));
  EXPECT_EQ(VisitCounts(), after);
}

TEST_P(MedicalVisitTest, AWalkInTakesTheNextPlaceOrIsRefusedChangingNothing) {
  // One place at 17:00, after the fixture's session.
  auto late = medical_->CreateSchedule(hospital_id_, {.clinician_id = clinician_.id,
                                                      .day = std::string(kToday),
                                                      .start = "17:00",
                                                      .end = "17:30",
                                                      .slot_minutes = 30,
                                                      .capacity = 1,
                                                      .fee_fen = 0});
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  const Citizen third = NewCitizen("13912345670", kThirdIdNumber);
  const Citizen unverified = NewCitizen("13912345671", kFourthIdNumber, false);
  clock_.Set(today_.slots[1].ends_at + std::chrono::minutes(5));  // 17:05
  auto walk_in = medical_->CheckIn(desk_, Code(other_citizen_), true);
  ASSERT_TRUE(walk_in.ok()) << walk_in.status().ToString();
  EXPECT_EQ(Booked(late->slots[0].id), 1);

  const auto before = VisitCounts();
  EXPECT_THAT(medical_->CheckIn(desk_, Code(third), true),
              StatusIs(StatusCode::kFailedPrecondition, "slot_full"));
  EXPECT_THAT(medical_->CheckIn(desk_, Code(third)),
              StatusIs(StatusCode::kFailedPrecondition, "no_appointment_today"));
  EXPECT_THAT(medical_->CheckIn(desk_, Code(unverified), true),
              StatusIs(StatusCode::kFailedPrecondition, "identity_not_verified"));
  clock_.Set(late->ends_at);  // 17:30: nothing running or to come
  EXPECT_THAT(medical_->CheckIn(desk_, Code(third), true),
              StatusIs(StatusCode::kFailedPrecondition, "no_session_now"));
  // RegisterTerminal never makes a desk without its clinician; the guard
  // keeps a walk-in from booking a session of nobody's if a row lacks one.
  ASSERT_TRUE(
      store::RunInTransaction(db(), store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        return tx
            .Execute(
                "UPDATE medical_terminals SET clinician_id = NULL "
                "WHERE terminal_id = ?",
                {store::Text(desk_.terminal_id)})
            .status();
      }).ok());
  EXPECT_THAT(medical_->CheckIn(desk_, Code(third), true),
              StatusIs(StatusCode::kFailedPrecondition, "desk_without_clinician"));
  EXPECT_EQ(VisitCounts(), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, MedicalVisitTest,
                         ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

TEST(MedicalModuleTest, ReadsItsSectionAndRefusesOutOfRangeValues) {
  auto module = MakeMedicalModule();
  EXPECT_EQ(module->name(), "medical");
  EXPECT_EQ(module->kind(), code::Scene::kMedical);
  EXPECT_EQ(module->migration_block(), 4000);
  const ConfigTable good = {{"booking_days_ahead", std::int64_t{3}},
                            {"booking_closes_minutes_before", std::int64_t{60}},
                            {"no_show_limit", std::int64_t{0}},
                            {"no_show_window_days", std::int64_t{30}},
                            {"no_show_block_days", std::int64_t{7}}};
  ConfigSection section("medical", good);
  EXPECT_TRUE(module->Configure(section).ok());
  EXPECT_TRUE(section.CheckAllRead().ok());

  const ConfigTable unknown = {{"booking_days", std::int64_t{3}}};
  ConfigSection with_unknown("medical", unknown);
  EXPECT_TRUE(MakeMedicalModule()->Configure(with_unknown).ok());
  EXPECT_THAT(with_unknown.CheckAllRead(),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  for (const char* key : {"booking_days_ahead", "booking_closes_minutes_before", "no_show_limit",
                          "no_show_window_days", "no_show_block_days"}) {
    const ConfigTable too_far = {{key, std::int64_t{100000}}};
    ConfigSection section_too_far("medical", too_far);
    EXPECT_THAT(MakeMedicalModule()->Configure(section_too_far),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << key;
  }
}

TEST_P(MedicalTest, StoppingASessionStopsItsBookingsAndTellsEachPatient) {
  const Schedule schedule = NewSchedule(kTomorrow, "08:00", "09:00");
  const Slot& slot = schedule.slots[0];
  auto first = medical_->BookOnline(citizen_.id, slot.id);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = medical_->BookAtTerminal(kiosk_, Code(other_citizen_), schedule.slots[1].id);
  ASSERT_TRUE(second.ok()) << second.status().ToString();

  auto stop = medical_->StopSchedule(hospital_id_, schedule.id, "王医生外出会诊");
  ASSERT_TRUE(stop.ok()) << stop.status().ToString();
  EXPECT_EQ(stop->appointments_stopped, 2);
  EXPECT_EQ(stop->refund_fen, 2000);
  EXPECT_EQ(Booked(slot.id), 0);
  EXPECT_EQ(Booked(schedule.slots[1].id), 0);
  for (const Citizen* citizen : {&citizen_, &other_citizen_}) {
    auto mine = medical_->CitizenAppointments(citizen->id);
    ASSERT_TRUE(mine.ok());
    ASSERT_EQ(mine->size(), 1u);
    EXPECT_EQ(mine->front().state, AppointmentState::kStopped);
    auto notices = medical_->CitizenNotices(citizen->id);
    ASSERT_TRUE(notices.ok()) << notices.status().ToString();
    ASSERT_EQ(notices->size(), 1u);
    EXPECT_EQ(notices->front().kind, "schedule_stopped");
    EXPECT_EQ(notices->front().appointment_id, mine->front().id);
    EXPECT_EQ(notices->front().refund_fen, 1000);
    EXPECT_EQ(notices->front().reason, "王医生外出会诊");
    EXPECT_EQ(notices->front().clinician_name, "王医生");
  }
  // Closed to booking, and no longer listed.
  auto open = medical_->ListOpenSlots({.role = platform::Role::kCitizen}, hospital_id_, kTomorrow);
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->empty());

  const auto before = Counts();
  const auto notices_before = QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM medical_notices");
  EXPECT_THAT(medical_->BookOnline(citizen_.id, slot.id),
              StatusIs(StatusCode::kFailedPrecondition, "schedule_stopped"));
  EXPECT_THAT(medical_->BookAtTerminal(kiosk_, Code(citizen_), slot.id),
              StatusIs(StatusCode::kFailedPrecondition, "schedule_stopped"));
  EXPECT_THAT(medical_->StopSchedule(hospital_id_, schedule.id, "again"),
              StatusIs(StatusCode::kFailedPrecondition, "schedule_stopped"));
  EXPECT_THAT(medical_->CancelAppointment(citizen_.id, first->id),
              StatusIs(StatusCode::kFailedPrecondition, "already_cancelled"));

  const Schedule other = NewSchedule(kTomorrow, "10:00", "11:00");
  ASSERT_TRUE(medical_->BookOnline(citizen_.id, other.slots[0].id).ok());
  const auto with_other = Counts();
  EXPECT_THAT(medical_->StopSchedule(other_hospital_id_, other.id, "not ours"),
              StatusIs(StatusCode::kPermissionDenied, "schedule_of_another_hospital"));
  EXPECT_THAT(medical_->StopSchedule(hospital_id_, "sch_unknown", "none"),
              StatusIs(StatusCode::kNotFound, "not_found"));
  EXPECT_THAT(medical_->StopSchedule(hospital_id_, other.id, ""),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(medical_->StopSchedule(hall_id_, other.id, "a hall"),
              StatusIs(StatusCode::kFailedPrecondition, "not_a_hospital"));
  clock_.Advance(std::chrono::days(2));
  EXPECT_THAT(medical_->StopSchedule(hospital_id_, other.id, "too late"),
              StatusIs(StatusCode::kFailedPrecondition, "schedule_ended"));
  EXPECT_EQ(Counts(), with_other);
  EXPECT_EQ(before.at("cancelled"), with_other.at("cancelled"));
  EXPECT_EQ(QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM medical_notices"), notices_before);
}

TEST_P(MedicalTest, NoShowsBlockOnlineBookingForAPeriod) {
  OpenMedical({.no_show_limit = 2, .no_show_window_days = 90, .no_show_block_days = 30});
  const Schedule early = NewSchedule(kTomorrow, "08:00", "08:30");
  const Schedule late = NewSchedule(kTomorrow, "09:00", "09:30");
  ASSERT_TRUE(medical_->BookOnline(citizen_.id, early.slots[0].id).ok());
  ASSERT_TRUE(medical_->BookOnline(citizen_.id, late.slots[0].id).ok());
  ASSERT_TRUE(medical_->BookOnline(other_citizen_.id, late.slots[0].id).ok());
  // Not over yet: nothing to mark.
  auto none = medical_->MarkNoShows();
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, 0);

  clock_.Advance(std::chrono::days(1));  // 2026-08-07 15:06, both sessions over
  auto marked = medical_->MarkNoShows();
  ASSERT_TRUE(marked.ok()) << marked.status().ToString();
  EXPECT_EQ(*marked, 3);
  EXPECT_EQ(*medical_->MarkNoShows(), 0);
  auto mine = medical_->CitizenAppointments(citizen_.id);
  ASSERT_TRUE(mine.ok());
  for (const Appointment& a : *mine) EXPECT_EQ(a.state, AppointmentState::kNoShow);

  auto standing = medical_->CitizenBookingStatus(citizen_.id);
  ASSERT_TRUE(standing.ok()) << standing.status().ToString();
  EXPECT_EQ(standing->limit, 2);
  EXPECT_EQ(standing->window_days, 90);
  ASSERT_TRUE(standing->blocked_until.has_value());
  EXPECT_EQ(*standing->blocked_until, clock_.Now() + std::chrono::days(30));
  EXPECT_EQ(standing->no_shows_in_window, 0);  // counted into the block
  auto others = medical_->CitizenBookingStatus(other_citizen_.id);
  ASSERT_TRUE(others.ok());
  EXPECT_EQ(others->no_shows_in_window, 1);
  EXPECT_FALSE(others->blocked_until.has_value());

  const Schedule next = NewSchedule("2026-08-08", "08:00", "09:00");
  const auto before = Counts();
  EXPECT_THAT(medical_->BookOnline(citizen_.id, next.slots[0].id),
              StatusIs(StatusCode::kFailedPrecondition, "booking_blocked"));
  EXPECT_EQ(Counts(), before);
  // At the hospital's kiosk the patient is there: allowed.
  auto at_kiosk = medical_->BookAtTerminal(kiosk_, Code(citizen_), next.slots[0].id);
  ASSERT_TRUE(at_kiosk.ok()) << at_kiosk.status().ToString();
  ASSERT_TRUE(medical_->BookOnline(other_citizen_.id, next.slots[1].id).ok());

  clock_.Advance(std::chrono::days(31));
  const Schedule after = NewSchedule(
      FormatIsoDay(std::chrono::sys_days(std::chrono::year(2026) / 9 / 8)), "08:00", "09:00");
  ASSERT_TRUE(medical_->MarkNoShows().ok());  // the kiosk booking of 08-08 is one more
  auto again = medical_->BookOnline(citizen_.id, after.slots[0].id);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto later = medical_->CitizenBookingStatus(citizen_.id);
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->blocked_until.has_value());
  EXPECT_EQ(later->no_shows_in_window, 1);
}

TEST_P(MedicalTest, AZeroLimitNeverBlocks) {
  OpenMedical({.no_show_limit = 0});
  const Schedule early = NewSchedule(kTomorrow, "08:00", "08:30");
  ASSERT_TRUE(medical_->BookOnline(citizen_.id, early.slots[0].id).ok());
  clock_.Advance(std::chrono::days(1));
  EXPECT_EQ(*medical_->MarkNoShows(), 1);
  EXPECT_EQ(QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM medical_booking_blocks"), 0);
  auto standing = medical_->CitizenBookingStatus(citizen_.id);
  ASSERT_TRUE(standing.ok());
  EXPECT_FALSE(standing->blocked_until.has_value());
}

// --- fees (the patient's bill) ---

TEST_P(MedicalTest, BookingPostsTheFeeAndCancellingPostsARefundThatReversesIt) {
  const Schedule schedule = NewSchedule(kTomorrow, "08:00", "09:00");
  auto online = medical_->BookOnline(citizen_.id, schedule.slots[0].id);
  ASSERT_TRUE(online.ok()) << online.status().ToString();
  auto at_kiosk = medical_->BookAtTerminal(kiosk_, Code(other_citizen_), schedule.slots[1].id);
  ASSERT_TRUE(at_kiosk.ok()) << at_kiosk.status().ToString();

  Bill bill = BillOf(citizen_);
  ASSERT_EQ(bill.postings.size(), 1u);
  const Posting charge = bill.postings[0];
  EXPECT_EQ(charge.kind, PostingKind::kRegistrationFee);
  EXPECT_EQ(charge.appointment_id, online->id);
  EXPECT_EQ(charge.org_id, hospital_id_);
  EXPECT_EQ(charge.org_name, "即墨区人民医院");
  EXPECT_EQ(charge.amount_fen, 1000);
  EXPECT_EQ(charge.posted_at, kStart);
  EXPECT_EQ(bill.owed_fen, 1000);
  ASSERT_EQ(BillOf(other_citizen_).postings.size(), 1u);
  EXPECT_EQ(BillOf(other_citizen_).postings[0].appointment_id, at_kiosk->id);

  ASSERT_TRUE(medical_->CancelAppointment(citizen_.id, online->id).ok());
  bill = BillOf(citizen_);
  ASSERT_EQ(bill.postings.size(), 2u);
  // Newest first; the charge stands as it was, the refund reverses it.
  EXPECT_EQ(bill.postings[0].kind, PostingKind::kRegistrationRefund);
  EXPECT_EQ(bill.postings[0].appointment_id, online->id);
  EXPECT_EQ(bill.postings[0].amount_fen, -1000);
  EXPECT_EQ(bill.postings[1].id, charge.id);
  EXPECT_EQ(bill.postings[1].amount_fen, 1000);
  EXPECT_EQ(Postings("kind = 'registration_refund' AND reverses = '" + charge.id + "'"), 1);
  EXPECT_EQ(bill.charged_fen, 1000);
  EXPECT_EQ(bill.refunded_fen, 1000);
  EXPECT_EQ(bill.owed_fen, 0);

  // A refused cancellation posts nothing.
  const std::int64_t postings = Postings();
  EXPECT_THAT(medical_->CancelAppointment(citizen_.id, online->id),
              StatusIs(StatusCode::kFailedPrecondition, "already_cancelled"));
  EXPECT_EQ(Postings(), postings);
  ExpectBillMatchesTheRecords(citizen_);
  ExpectBillMatchesTheRecords(other_citizen_);

  // The hospital's local day: two charges and one refund.
  auto revenue = medical_->HospitalRevenue(hospital_id_, kToday);
  ASSERT_TRUE(revenue.ok()) << revenue.status().ToString();
  EXPECT_EQ(revenue->charged_fen, 2000);
  EXPECT_EQ(revenue->refunded_fen, 1000);
  EXPECT_EQ(revenue->net_fen, 1000);
  EXPECT_EQ(revenue->postings, 3);
  EXPECT_EQ(medical_->HospitalRevenue(hospital_id_, kTomorrow)->postings, 0);
  EXPECT_EQ(medical_->HospitalRevenue(other_hospital_id_, kToday)->postings, 0);
  EXPECT_THAT(medical_->HospitalRevenue(hall_id_, kToday),
              StatusIs(StatusCode::kFailedPrecondition, "not_a_hospital"));
  EXPECT_THAT(medical_->HospitalRevenue(hospital_id_, "2026-8-6"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));

  auto exported = medical_->ExportCitizen(citizen_.id);
  ASSERT_TRUE(exported.ok());
  EXPECT_EQ((*exported)["postings"].size(), 2u);
}

TEST_P(MedicalTest, AFeeOfZeroPostsNothing) {
  const Schedule free = NewSchedule(kTomorrow, "08:00", "09:00", 2, 0);
  auto booked = medical_->BookOnline(citizen_.id, free.slots[0].id);
  ASSERT_TRUE(booked.ok()) << booked.status().ToString();
  ASSERT_TRUE(medical_->BookAtTerminal(kiosk_, Code(other_citizen_), free.slots[0].id).ok());
  EXPECT_EQ(Postings(), 0);
  ASSERT_TRUE(medical_->CancelAppointment(citizen_.id, booked->id).ok());
  ASSERT_TRUE(medical_->StopSchedule(hospital_id_, free.id, "停诊").ok());
  EXPECT_EQ(Postings(), 0);
  EXPECT_TRUE(BillOf(citizen_).postings.empty());
  auto notices = medical_->CitizenNotices(other_citizen_.id);
  ASSERT_TRUE(notices.ok());
  ASSERT_EQ(notices->size(), 1u);
  EXPECT_EQ(notices->front().refund_fen, 0);
  ExpectBillMatchesTheRecords(citizen_);
  ExpectBillMatchesTheRecords(other_citizen_);
}

TEST_P(MedicalTest, AStopRefundsEachStoppedAppointmentWhatItsNoticeSays) {
  const Schedule schedule = NewSchedule(kTomorrow, "08:00", "09:00", 2, 1500);
  const Citizen third = NewCitizen("13912345670", kThirdIdNumber);
  auto first = medical_->BookOnline(citizen_.id, schedule.slots[0].id);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(medical_->BookAtTerminal(kiosk_, Code(other_citizen_), schedule.slots[1].id).ok());
  auto cancelled = medical_->BookOnline(third.id, schedule.slots[0].id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();
  ASSERT_TRUE(medical_->CancelAppointment(third.id, cancelled->id).ok());

  auto stop = medical_->StopSchedule(hospital_id_, schedule.id, "王医生外出会诊");
  ASSERT_TRUE(stop.ok()) << stop.status().ToString();
  EXPECT_EQ(stop->appointments_stopped, 2);
  EXPECT_EQ(stop->refund_fen, 3000);
  for (const Citizen* patient : {&citizen_, &other_citizen_}) {
    auto notices = medical_->CitizenNotices(patient->id);
    ASSERT_TRUE(notices.ok());
    ASSERT_EQ(notices->size(), 1u);
    const Bill bill = BillOf(*patient);
    ASSERT_EQ(bill.postings.size(), 2u);
    EXPECT_EQ(bill.postings[0].kind, PostingKind::kRegistrationRefund);
    EXPECT_EQ(bill.postings[0].appointment_id, notices->front().appointment_id);
    EXPECT_EQ(bill.postings[0].amount_fen, -notices->front().refund_fen);
    EXPECT_EQ(notices->front().refund_fen, 1500);
    EXPECT_EQ(bill.owed_fen, 0);
    ExpectBillMatchesTheRecords(*patient);
  }
  // The cancelled one was refunded when cancelled, once.
  EXPECT_EQ(Postings("kind = 'registration_refund' AND appointment_id = '" + cancelled->id + "'"),
            1);
  EXPECT_EQ(Postings("kind = 'registration_refund'"), 3);
  ExpectBillMatchesTheRecords(third);
  // A refused stop posts nothing.
  const std::int64_t postings = Postings();
  EXPECT_THAT(medical_->StopSchedule(hospital_id_, schedule.id, "again"),
              StatusIs(StatusCode::kFailedPrecondition, "schedule_stopped"));
  EXPECT_EQ(Postings(), postings);
}

// The patient's account row orders concurrent postings of one patient:
// eight bookings of eight sessions at once each post their fee, numbered 1-8.
TEST_P(MedicalTest, ConcurrentBookingsOfOnePatientPostEachFeeInOrder) {
  constexpr int kSessions = 8;
  const char* const times[kSessions + 1] = {"08:00", "08:30", "09:00", "09:30", "10:00",
                                            "10:30", "11:00", "11:30", "12:00"};
  std::vector<std::string> slots;
  for (int i = 0; i < kSessions; ++i) {
    const Schedule schedule = NewSchedule(kTomorrow, times[i], times[i + 1], 1);
    ASSERT_EQ(schedule.slots.size(), 1u);
    slots.push_back(schedule.slots[0].id);
  }
  std::vector<Status> outcomes(kSessions);
  std::latch start(kSessions);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSessions; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      outcomes[i] = medical_->BookOnline(citizen_.id, slots[i]).status();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const Status& outcome : outcomes) EXPECT_TRUE(outcome.ok()) << outcome.ToString();
  EXPECT_EQ(QueryInt("SELECT CAST(COUNT(DISTINCT seq) AS BIGINT) FROM medical_postings WHERE "
                     "seq BETWEEN 1 AND 8"),
            kSessions);
  EXPECT_EQ(BillOf(citizen_).owed_fen, kSessions * 1000);
  ExpectBillMatchesTheRecords(citizen_);
}

TEST_P(MedicalVisitTest, DispensingPostsThePrescriptionsTotal) {
  const Prescription rx = Prescribe();
  ASSERT_FALSE(rx.id.empty());
  // Issued is not yet charged: the fixture's registration fee only.
  EXPECT_EQ(Postings(), 1);
  EXPECT_EQ(Postings("kind = 'prescription'"), 0);
  // Checked in: the fee stays charged, and the appointment cannot be cancelled.
  EXPECT_THAT(medical_->CancelAppointment(citizen_.id, appointment_id_),
              StatusIs(StatusCode::kAlreadyExists, "already_checked_in"));
  EXPECT_EQ(Postings(), 1);

  auto dispensed = medical_->Dispense(pharmacy_, Code(citizen_), rx.id);
  ASSERT_TRUE(dispensed.ok()) << dispensed.status().ToString();
  const Bill bill = BillOf(citizen_);
  ASSERT_EQ(bill.postings.size(), 2u);
  EXPECT_EQ(bill.postings[0].kind, PostingKind::kPrescription);
  EXPECT_EQ(bill.postings[0].prescription_id, rx.id);
  EXPECT_TRUE(bill.postings[0].appointment_id.empty());
  EXPECT_EQ(bill.postings[0].amount_fen, 2 * 1250 + 800);
  EXPECT_EQ(bill.postings[1].kind, PostingKind::kRegistrationFee);
  EXPECT_EQ(bill.charged_fen, 1000 + 3300);
  EXPECT_EQ(bill.owed_fen, 1000 + 3300);

  EXPECT_THAT(medical_->Dispense(pharmacy_, Code(citizen_), rx.id),
              StatusIs(StatusCode::kFailedPrecondition, "already_dispensed"));
  EXPECT_EQ(Postings(), 2);
  ExpectBillMatchesTheRecords(citizen_);
}

// Every way a posting is made or refused, for three patients; then each
// patient's postings sum to their standing fees and dispensed medicines.
TEST_P(MedicalVisitTest, EachPatientsPostingsSumToTheirStandingFeesAndDispensedMedicines) {
  Citizen third = NewCitizen("13912345670", kThirdIdNumber);
  const Schedule tomorrow = NewSchedule(kTomorrow, "08:00", "09:00", 3, 1200);
  const Schedule stopped = NewSchedule(kTomorrow, "10:00", "11:00", 3, 900);
  const Schedule free = NewSchedule(kTomorrow, "14:00", "15:00", 3, 0);
  ASSERT_TRUE(medical_->BookOnline(citizen_.id, tomorrow.slots[0].id).ok());
  auto cancelled = medical_->BookOnline(other_citizen_.id, tomorrow.slots[0].id);
  ASSERT_TRUE(cancelled.ok());
  ASSERT_TRUE(medical_->CancelAppointment(other_citizen_.id, cancelled->id).ok());
  ASSERT_TRUE(medical_->BookAtTerminal(kiosk_, Code(other_citizen_), tomorrow.slots[1].id).ok());
  ASSERT_TRUE(medical_->BookOnline(third.id, stopped.slots[0].id).ok());
  ASSERT_TRUE(medical_->BookOnline(other_citizen_.id, stopped.slots[1].id).ok());
  ASSERT_TRUE(medical_->BookOnline(third.id, free.slots[0].id).ok());
  ASSERT_TRUE(medical_->StopSchedule(hospital_id_, stopped.id, "停诊").ok());
  // The fixture's appointment today: checked in, one prescription
  // dispensed, a second one issued only.
  const Prescription rx = Prescribe();
  ASSERT_FALSE(rx.id.empty());
  ASSERT_TRUE(medical_->Dispense(pharmacy_, Code(citizen_), rx.id).ok());
  auto second = medical_->CreateSchedule(hospital_id_, {.clinician_id = clinician_.id,
                                                        .day = std::string(kToday),
                                                        .start = "18:00",
                                                        .end = "18:30",
                                                        .slot_minutes = 30,
                                                        .capacity = 1,
                                                        .fee_fen = 600});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_TRUE(medical_->BookOnline(citizen_.id, second->slots[0].id).ok());
  ASSERT_FALSE(Prescribe().id.empty());

  EXPECT_EQ(BillOf(citizen_).owed_fen, 1000 + 1200 + 3300 + 600);
  EXPECT_EQ(BillOf(other_citizen_).owed_fen, 1200);
  EXPECT_EQ(BillOf(third).owed_fen, 0);
  for (const Citizen* patient : {&citizen_, &other_citizen_, &third}) {
    ExpectBillMatchesTheRecords(*patient);
  }
}

}  // namespace
}  // namespace citycode::medical
