// Booking and cancelling with a storage failure at each step in turn. The
// error must reach the caller, a slot's booked count must always equal its
// booked appointments (no place taken without an appointment, or the other
// way round), the bill must always match the records (no charge without its
// appointment or dispensed prescription, no refund without its
// cancellation), and the call without the fault must then succeed. Closing
// a visit, dispensing, a walk-in, stopping a session and marking no-shows
// likewise: all or nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "code/presentation.h"
#include "crypto/key.h"
#include "scenes/medical/medical.h"
#include "tests/support/faulty_database.h"
#include "tests/support/faulty_vault_test.h"
#include "tests/support/status_matchers.h"

namespace citycode::medical {
namespace {

using ::citycode::testing::FaultPoint;
using ::citycode::testing::InjectAtEachStep;
using ::citycode::testing::IsOk;
using ::citycode::testing::kStorageFailures;
using ::citycode::testing::StatusIs;
using ::citycode::testing::StorageFailure;
using platform::OrgKind;

class MedicalFaultTest : public testing::FaultyVaultTest {
 protected:
  void SetUp() override {
    FaultyVaultTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto medical = MedicalScene::Open(*faulty_, clock_, *platform_, *vault_);
    ASSERT_THAT(medical, IsOk());
    medical_ = std::move(*medical);
    const std::string hospital =
        platform_->organisations().Create("即墨区人民医院", OrgKind::kHospital)->id;
    ASSERT_THAT(
        vault_->RegisterIssuer(
            {.org_id = hospital, .credit_code = "12370282MB0000001A", .name = "即墨区人民医院"},
            "admin"),
        IsOk());
    auto department = medical_->CreateDepartment(hospital, "内科");
    ASSERT_THAT(department, IsOk());
    auto clinician = medical_->CreateClinician(hospital, department->id, "王医生", "主任医师");
    ASSERT_THAT(clinician, IsOk());
    auto schedule = medical_->CreateSchedule(hospital, {.clinician_id = clinician->id,
                                                        .day = "2026-08-07",
                                                        .start = "08:00",
                                                        .end = "08:30",
                                                        .slot_minutes = 30,
                                                        .capacity = 5,
                                                        .fee_fen = 1000});
    ASSERT_THAT(schedule, IsOk());
    slot_id_ = schedule->slots.front().id;
    hospital_ = hospital;
    clinician_id_ = clinician->id;
    citizen_ = VerifiedCitizen({"测试市民甲", "370282199003154516"}, "13912345678");
    ASSERT_FALSE(citizen_.empty());
  }

  std::int64_t Count(const std::string& from_where) {
    return QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM " + from_where);
  }

  std::int64_t Booked() { return Count("medical_appointments WHERE state = 'booked'"); }

  // Every slot's places taken match its booked appointments, and the
  // ledger matches the records.
  void ExpectConsistent() {
    EXPECT_EQ(Count("medical_slots s WHERE s.booked <> (SELECT COUNT(*) FROM "
                    "medical_appointments a WHERE a.slot_id = s.id AND a.state = 'booked')"),
              0);
    ExpectLedgerConsistent();
  }

  // An appointment's postings sum to its fee while it stands and to 0 once
  // cancelled or stopped; a refund belongs to a cancelled appointment; a
  // prescription's postings sum to its total once dispensed and to 0
  // before; each patient's account holds the count and sum of their
  // postings.
  void ExpectLedgerConsistent() {
    EXPECT_EQ(Count("medical_appointments a JOIN medical_slots s ON s.id = a.slot_id WHERE "
                    "(SELECT COALESCE(SUM(p.amount_fen), 0) FROM medical_postings p WHERE "
                    "p.appointment_id = a.id) <> CASE WHEN a.state = 'booked' THEN s.fee_fen "
                    "ELSE 0 END"),
              0);
    EXPECT_EQ(Count("medical_postings p JOIN medical_appointments a ON a.id = p.appointment_id "
                    "WHERE p.kind = 'registration_refund' AND a.state <> 'cancelled'"),
              0);
    EXPECT_EQ(Count("medical_prescriptions r WHERE (SELECT COALESCE(SUM(p.amount_fen), 0) FROM "
                    "medical_postings p WHERE p.prescription_id = r.id) <> CASE WHEN "
                    "r.dispensed_at IS NOT NULL THEN r.total_fen ELSE 0 END"),
              0);
    EXPECT_EQ(Count("medical_patient_accounts c WHERE c.balance_fen <> (SELECT "
                    "COALESCE(SUM(p.amount_fen), 0) FROM medical_postings p WHERE p.citizen_id = "
                    "c.citizen_id) OR c.postings <> (SELECT COUNT(*) FROM medical_postings p "
                    "WHERE p.citizen_id = c.citizen_id)"),
              0);
  }

  // A code of the citizen from an enrolled phone.
  std::string Code() {
    if (credential_.empty()) {
      auto issued = platform_->devices().Enrol(
          {.citizen_id = citizen_, .device_key = device_.public_key(), .label = "phone"});
      EXPECT_THAT(issued, IsOk());
      if (issued.ok()) {
        credential_ = issued->credential;
        device_id_ = issued->device_id;
      }
    }
    auto bytes = code::MakePresentation(
        {.credential = credential_, .made_at = clock_.Now(), .counter = ++counter_}, device_);
    EXPECT_THAT(bytes, IsOk());
    return bytes.ok() ? code::ToQrText(*bytes) : std::string();
  }

  // A terminal of the hospital with `role`; a desk is the clinician's.
  platform::Principal WithRole(std::string_view name, TerminalRole role) {
    if (site_.empty()) {
      auto site = platform_->organisations().CreateSite(hospital_, "门诊楼");
      EXPECT_THAT(site, IsOk());
      if (site.ok()) site_ = site->id;
    }
    auto terminal = platform_->access_keys().CreateTerminal(hospital_, site_, name);
    EXPECT_THAT(terminal, IsOk());
    EXPECT_THAT(medical_->RegisterTerminal(hospital_, terminal->first.id, role,
                                           role == TerminalRole::kDesk ? clinician_id_ : ""),
                IsOk());
    auto principal = platform_->access_keys().Authenticate(terminal->second.token);
    EXPECT_THAT(principal, IsOk());
    return *principal;
  }

  // An open encounter of the citizen: a 30-minute session today at
  // `start` (after now, 15:06), booked and checked in at `desk`.
  std::string OpenEncounter(const platform::Principal& desk, std::string_view start,
                            std::string_view end) {
    auto schedule = medical_->CreateSchedule(hospital_, {.clinician_id = clinician_id_,
                                                         .day = "2026-08-06",
                                                         .start = std::string(start),
                                                         .end = std::string(end),
                                                         .slot_minutes = 30,
                                                         .capacity = 5,
                                                         .fee_fen = 0});
    EXPECT_THAT(schedule, IsOk());
    if (!schedule.ok()) return "";
    EXPECT_THAT(medical_->BookOnline(citizen_, schedule->slots.front().id), IsOk());
    auto encounter = medical_->CheckIn(desk, Code());
    EXPECT_THAT(encounter, IsOk());
    return encounter.ok() ? encounter->id : "";
  }

  std::unique_ptr<MedicalScene> medical_;
  std::string slot_id_, citizen_, hospital_, clinician_id_, site_, device_id_;
  const crypto::PrivateKey device_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  Bytes credential_;
  std::uint64_t counter_ = 0;
};

TEST_P(MedicalFaultTest, ABookingThatFailsAtAnyStepTakesNoPlace) {
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] { return medical_->BookOnline(citizen_, slot_id_).status(); },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          EXPECT_EQ(Booked(), 0);
          ExpectConsistent();
          auto booked = medical_->BookOnline(citizen_, slot_id_);
          ASSERT_THAT(booked, IsOk());
          ExpectConsistent();
          ASSERT_THAT(medical_->CancelAppointment(citizen_, booked->id), IsOk());
        });
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 1 : 4);
    EXPECT_EQ(Booked(), 1) << "the run that met no fault booked";
    ExpectConsistent();
    auto mine = medical_->CitizenAppointments(citizen_);
    ASSERT_THAT(mine, IsOk());
    for (const Appointment& a : *mine) {
      if (a.state == AppointmentState::kBooked) {
        ASSERT_THAT(medical_->CancelAppointment(citizen_, a.id), IsOk());
      }
    }
  }
}

TEST_P(MedicalFaultTest, ACancellationThatFailsAtAnyStepFreesNoPlace) {
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    auto book = [&]() -> std::string {
      auto booked = medical_->BookOnline(citizen_, slot_id_);
      EXPECT_THAT(booked, IsOk());
      return booked.ok() ? booked->id : "";
    };
    std::string appointment = book();
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] { return medical_->CancelAppointment(citizen_, appointment).status(); },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          EXPECT_EQ(Booked(), 1);
          ExpectConsistent();
          ASSERT_THAT(medical_->CancelAppointment(citizen_, appointment), IsOk());
          ExpectConsistent();
          appointment = book();
        });
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 1 : 3);
    EXPECT_EQ(Booked(), 0) << "the run that met no fault cancelled";
    ExpectConsistent();
  }
}

TEST_P(MedicalFaultTest, AVisitClosedOrDispensedWithAFaultChangesNothing) {
  const platform::Principal desk = WithRole("诊室1", TerminalRole::kDesk);
  const platform::Principal pharmacy = WithRole("药房1", TerminalRole::kPharmacy);
  const PrescriptionRequest request{.items = {{"阿莫西林胶囊", 2, 1250}, {"布洛芬片", 1, 800}}};
  const char* const starts[] = {"16:00", "16:30", "17:00", "17:30", "18:00", "18:30"};
  const char* const ends[] = {"16:30", "17:00", "17:30", "18:00", "18:30", "19:00"};
  int session = 0;
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    ASSERT_LT(session, 6);
    const std::string encounter = OpenEncounter(desk, starts[session], ends[session]);
    ++session;
    ASSERT_FALSE(encounter.empty());
    const std::int64_t closed = Count("medical_encounters WHERE closed_at IS NOT NULL");
    const std::int64_t prescriptions = Count("medical_prescriptions");
    const std::int64_t items = Count("medical_prescription_items");
    const std::int64_t records = Count("vault_certificates");
    std::string rx;
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] {
          auto made =
              medical_->CloseEncounter(desk, encounter, "上呼吸道感染", std::span(&request, 1), 1);
          if (made.ok() && !made->empty()) rx = made->front().id;
          return made.status();
        },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          EXPECT_EQ(Count("medical_encounters WHERE closed_at IS NOT NULL"), closed);
          EXPECT_EQ(Count("medical_prescriptions"), prescriptions);
          EXPECT_EQ(Count("medical_prescription_items"), items);
          EXPECT_EQ(Count("vault_certificates"), records);  // no visit summary either
          ExpectLedgerConsistent();
        });
    EXPECT_GE(steps, 1);
    EXPECT_EQ(Count("medical_encounters WHERE closed_at IS NOT NULL"), closed + 1);
    EXPECT_EQ(Count("medical_prescription_items"), items + 2);
    ASSERT_FALSE(rx.empty());

    const std::int64_t queued =
        QueryInt("SELECT CAST(COALESCE(SUM(next), 0) AS BIGINT) FROM medical_pharmacy_counters");
    const std::int64_t charged = Count("medical_postings WHERE kind = 'prescription'");
    InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] { return medical_->Dispense(pharmacy, Code(), rx).status(); },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          EXPECT_EQ(
              Count("medical_prescriptions WHERE id = '" + rx + "' AND dispensed_at IS NOT NULL"),
              0);
          EXPECT_EQ(QueryInt("SELECT CAST(COALESCE(SUM(next), 0) AS BIGINT) FROM "
                             "medical_pharmacy_counters"),
                    queued);
          EXPECT_EQ(Count("medical_postings WHERE kind = 'prescription'"), charged);
          ExpectLedgerConsistent();
        });
    EXPECT_EQ(Count("medical_prescriptions WHERE id = '" + rx + "' AND dispensed_at IS NOT NULL"),
              1);
    EXPECT_EQ(
        Count("medical_postings WHERE kind = 'prescription' AND prescription_id = '" + rx + "'"),
        1);
    ExpectLedgerConsistent();
    EXPECT_THAT(medical_->Dispense(pharmacy, Code(), rx),
                StatusIs(StatusCode::kFailedPrecondition, "already_dispensed"));
  }
}

TEST_P(MedicalFaultTest, AStopOrNoShowMarkingWithAFaultChangesNothing) {
  const char* const starts[] = {"08:00", "09:00", "10:00", "11:00", "12:00", "13:00"};
  const char* const ends[] = {"08:30", "09:30", "10:30", "11:30", "12:30", "13:30"};
  std::size_t next = 0;
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    ASSERT_LT(next, std::size(starts));
    auto schedule = medical_->CreateSchedule(hospital_, {.clinician_id = clinician_id_,
                                                         .day = "2026-08-08",
                                                         .start = starts[next],
                                                         .end = ends[next],
                                                         .slot_minutes = 30,
                                                         .capacity = 5,
                                                         .fee_fen = 700});
    ++next;
    ASSERT_THAT(schedule, IsOk());
    ASSERT_THAT(medical_->BookOnline(citizen_, schedule->slots.front().id), IsOk());
    const std::int64_t booked = Booked();
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] { return medical_->StopSchedule(hospital_, schedule->id, "停诊").status(); },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          EXPECT_EQ(Booked(), booked);
          EXPECT_EQ(Count("medical_schedules WHERE stopped_at IS NOT NULL") + 1,
                    static_cast<std::int64_t>(next));
          EXPECT_EQ(Count("medical_notices") + 1, static_cast<std::int64_t>(next));
          ExpectConsistent();
        });
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 1 : 4);
    EXPECT_EQ(Booked(), booked - 1) << "the run that met no fault stopped it";
    EXPECT_EQ(Count("medical_notices"), static_cast<std::int64_t>(next));
    ExpectConsistent();
  }

  // No-shows: the session of the fixture's slot, booked and never attended.
  ASSERT_THAT(medical_->BookOnline(citizen_, slot_id_), IsOk());
  clock_.Advance(std::chrono::days(1));
  const StorageFailure& failure = kStorageFailures[0];
  InjectAtEachStep(
      *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
      [&] { return medical_->MarkNoShows().status(); },
      [&](int, const Status& status) {
        EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
        EXPECT_EQ(Count("medical_appointments WHERE no_show_at IS NOT NULL"), 0);
      });
  EXPECT_EQ(Count("medical_appointments WHERE no_show_at IS NOT NULL"), 1);
}

// A walk-in books a place and checks in, in one transaction: with a fault
// at any step there is neither, and every slot's places taken still match
// its booked appointments. Each failure kind on a day of its own, in a
// session running then (15:00-16:00, now 15:06).
TEST_P(MedicalFaultTest, AWalkInWithAFaultBooksNothing) {
  const platform::Principal desk = WithRole("诊室1", TerminalRole::kDesk);
  int day = 0;
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    clock_.Advance(std::chrono::days(1));
    ++day;
    // Before any fault: the phone enrolled, and its credential renewed each
    // day (one lasts less than three).
    ASSERT_FALSE(Code().empty());
    auto renewed = platform_->devices().RenewCredential(citizen_, device_id_);
    ASSERT_THAT(renewed, IsOk());
    credential_ = renewed->credential;
    auto schedule = medical_->CreateSchedule(
        hospital_, {.clinician_id = clinician_id_,
                    .day = FormatIsoDay(
                        std::chrono::sys_days(std::chrono::year(2026) / std::chrono::August / 6) +
                        std::chrono::days(day)),
                    .start = "15:00",
                    .end = "16:00",
                    .slot_minutes = 30,
                    .capacity = 5,
                    .fee_fen = 0});
    ASSERT_THAT(schedule, IsOk());
    const std::int64_t booked = Booked();
    const std::int64_t encounters = Count("medical_encounters");
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] { return medical_->CheckIn(desk, Code(), true).status(); },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          EXPECT_EQ(Booked(), booked);
          EXPECT_EQ(Count("medical_encounters"), encounters);
          ExpectConsistent();
        });
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 1 : 4);
    EXPECT_EQ(Booked(), booked + 1) << "the run that met no fault walked in";
    EXPECT_EQ(Count("medical_encounters"), encounters + 1);
    EXPECT_EQ(Count("medical_slots WHERE id = '" + schedule->slots.front().id + "' AND booked = 1"),
              1);
    ExpectConsistent();
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, MedicalFaultTest,
                         ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::medical
