// A hall case with a storage failure at each step in turn: opening it
// (verify, grant, fetch, record) and completing it. The error must reach the
// window, no case may exist without its ticket's state change (or the
// other way round), and the call without the fault must then succeed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "code/presentation.h"
#include "scenes/gov/gov.h"
#include "tests/support/faulty_database.h"
#include "tests/support/faulty_vault_test.h"
#include "tests/support/status_matchers.h"

namespace citycode::gov {
namespace {

using ::citycode::testing::FaultPoint;
using ::citycode::testing::InjectAtEachStep;
using ::citycode::testing::IsOk;
using ::citycode::testing::kStorageFailures;
using ::citycode::testing::StatusIs;
using ::citycode::testing::StorageFailure;
using platform::OrgKind;
using platform::Principal;

constexpr std::string_view kName = "测试市民甲";
constexpr std::string_view kIdNumber = "370282199003154516";

class GovFaultTest : public testing::FaultyVaultTest {
 protected:
  void SetUp() override {
    FaultyVaultTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto gov = GovScene::Open(*faulty_, clock_, *platform_, *vault_);
    ASSERT_THAT(gov, IsOk());
    gov_ = std::move(*gov);

    const std::string hall =
        platform_->organisations().Create("即墨区行政审批服务局", OrgKind::kServiceHall)->id;
    const std::string site = platform_->organisations().CreateSite(hall, "即墨区政务服务大厅")->id;
    kiosk_ = Terminal(hall, site, "取号机1");
    window_ = Terminal(hall, site, "3号窗口");
    ASSERT_THAT(vault_->SetOrganisationTypes(hall, {"resident_id_card", "household_register"},
                                             {"resident_id_card"}, "admin"),
                IsOk());
    auto hukou = gov_->CreateServiceItem(hall, "hukou-transfer", "户口迁移",
                                         {"resident_id_card", "household_register"});
    ASSERT_THAT(hukou, IsOk());
    item_id_ = hukou->id;
    ASSERT_THAT(gov_->RegisterWindow(hall, window_.terminal_id, "3号窗口", {}), IsOk());

    const platform::Person person{std::string(kName), std::string(kIdNumber)};
    const std::string citizen = VerifiedCitizen(person, "13912345678");
    ASSERT_FALSE(citizen.empty());
    auto issued = platform_->devices().Enrol(
        {.citizen_id = citizen, .device_key = device_.public_key(), .label = "phone"});
    ASSERT_THAT(issued, IsOk());
    credential_ = issued->credential;
    ASSERT_NO_FATAL_FAILURE(IssueTo(person, {"resident_id_card", "household_register"}));
  }

  Principal Terminal(const std::string& org, const std::string& site, std::string_view name) {
    auto terminal = platform_->access_keys().CreateTerminal(org, site, name);
    EXPECT_THAT(terminal, IsOk());
    return *platform_->access_keys().Authenticate(terminal->second.token);
  }

  // A fresh code, as the citizen's app shows one every 30 s: a code is good
  // for one verification, so a retry after a failure needs a new one.
  std::string Code() {
    auto bytes = code::MakePresentation(
        {.credential = credential_, .made_at = clock_.Now(), .counter = ++counter_}, device_);
    EXPECT_THAT(bytes, IsOk());
    return code::ToQrText(*bytes);
  }

  // A ticket taken and called to the window.
  std::string CalledTicket() {
    auto receipt = gov_->TakeTicket(kiosk_, Code(), item_id_);
    EXPECT_THAT(receipt, IsOk());
    auto called = gov_->CallNext(window_);
    EXPECT_THAT(called, IsOk());
    EXPECT_TRUE(called.ok() && called->has_value() && (*called)->id == receipt->ticket.id);
    return receipt.ok() ? receipt->ticket.id : "";
  }

  std::int64_t Count(const std::string& from_where) {
    return QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM " + from_where);
  }
  std::string TicketState(const std::string& ticket_id) {
    auto tx = db().Begin(store::TransactionMode::kRead);
    auto row =
        (*tx)->QueryOne("SELECT state FROM gov_tickets WHERE id = ?", {store::Text(ticket_id)});
    return row.ok() ? row->Text(0) : row.status().ToString();
  }

  // What must hold between any two calls, failed or not.
  void ExpectConsistent() {
    // A ticket is serving exactly while its case is open, and done once it
    // is closed; a case never points at a ticket still waiting or called.
    EXPECT_EQ(Count("gov_tickets t WHERE t.state = 'serving' AND NOT EXISTS (SELECT 1 FROM "
                    "gov_cases c WHERE c.ticket_id = t.id AND c.state = 'open')"),
              0);
    EXPECT_EQ(
        Count("gov_cases c JOIN gov_tickets t ON t.id = c.ticket_id WHERE (c.state = "
              "'open' AND t.state <> 'serving') OR (c.state <> 'open' AND t.state <> 'done')"),
        0);
    // Every case has the record of both required certificates.
    EXPECT_EQ(Count("gov_cases c WHERE (SELECT COUNT(*) FROM gov_case_certificates k WHERE "
                    "k.case_id = c.id) <> 2"),
              0);
    // The vault's side: every used grant was a fetch in the audit log.
    EXPECT_EQ(Count("vault_grants WHERE used_at IS NOT NULL"),
              Count("audit_log WHERE action = 'certificate.fetch'"));
  }

  std::unique_ptr<GovScene> gov_;
  const crypto::PrivateKey device_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  Bytes credential_;
  std::uint64_t counter_ = 0;
  Principal kiosk_, window_;
  std::string item_id_;
};

TEST_P(GovFaultTest, OpeningACaseThatFailsAtAnyStepLeavesTheTicketCalledAndNoCase) {
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    std::string ticket = CalledTicket();
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] { return gov_->OpenCase(window_, Code(), ticket).status(); },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          EXPECT_EQ(TicketState(ticket), "called");
          EXPECT_EQ(Count("gov_cases WHERE ticket_id = '" + ticket + "'"), 0);
          ExpectConsistent();
          auto opened = gov_->OpenCase(window_, Code(), ticket);
          ASSERT_THAT(opened, IsOk());
          EXPECT_EQ(opened->record.served.size(), 2u);
          EXPECT_EQ(TicketState(ticket), "serving");
          ExpectConsistent();
          ASSERT_THAT(gov_->CompleteCase(window_, opened->record.id), IsOk());
          ticket = CalledTicket();
        });
    // Verify, grant, fetch and record: many statements, several commits.
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 4 : 10);
    EXPECT_EQ(TicketState(ticket), "serving") << "the run that met no fault opened its case";
    ExpectConsistent();
  }
}

TEST_P(GovFaultTest, CompletingACaseThatFailsAtAnyStepLeavesCaseAndTicketAsTheyWere) {
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    auto open_one = [&]() -> std::string {
      const std::string ticket = CalledTicket();
      auto opened = gov_->OpenCase(window_, Code(), ticket);
      EXPECT_THAT(opened, IsOk());
      return opened.ok() ? opened->record.id : "";
    };
    std::string case_id = open_one();
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] { return gov_->CompleteCase(window_, case_id).status(); },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          EXPECT_EQ(Count("gov_cases WHERE id = '" + case_id + "' AND state = 'open'"), 1);
          ExpectConsistent();
          auto completed = gov_->CompleteCase(window_, case_id);
          ASSERT_THAT(completed, IsOk());
          EXPECT_EQ(completed->state, CaseState::kDone);
          ExpectConsistent();
          case_id = open_one();
        });
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 1 : 3);
    EXPECT_EQ(Count("gov_cases WHERE id = '" + case_id + "' AND state = 'done'"), 1);
    ExpectConsistent();
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, GovFaultTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::gov
