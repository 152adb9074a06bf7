// Booking and cancelling with a storage failure at each step in turn. The
// error must reach the caller, a slot's booked count must always equal its
// booked appointments (no place taken without an appointment, or the other
// way round), and the call without the fault must then succeed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

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
    auto medical = MedicalScene::Open(*faulty_, clock_, *platform_);
    ASSERT_THAT(medical, IsOk());
    medical_ = std::move(*medical);
    const std::string hospital =
        platform_->organisations().Create("即墨区人民医院", OrgKind::kHospital)->id;
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
    citizen_ = VerifiedCitizen({"测试市民甲", "370282199003154516"}, "13912345678");
    ASSERT_FALSE(citizen_.empty());
  }

  std::int64_t Count(const std::string& from_where) {
    return QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM " + from_where);
  }

  std::int64_t Booked() { return Count("medical_appointments WHERE state = 'booked'"); }

  // Every slot's places taken match its booked appointments.
  void ExpectConsistent() {
    EXPECT_EQ(Count("medical_slots s WHERE s.booked <> (SELECT COUNT(*) FROM "
                    "medical_appointments a WHERE a.slot_id = s.id AND a.state = 'booked')"),
              0);
  }

  std::unique_ptr<MedicalScene> medical_;
  std::string slot_id_, citizen_;
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

INSTANTIATE_TEST_SUITE_P(Backends, MedicalFaultTest,
                         ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::medical
