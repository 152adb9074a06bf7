#include "scenes/gov/gov.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <thread>

#include "code/presentation.h"
#include "tests/support/scene_test.h"
#include "tests/support/status_matchers.h"
#include "vault/certificate_id.h"
#include "vault/certificate_types.h"

namespace citycode::gov {
namespace {

using ::citycode::testing::StatusIs;

using platform::OrgKind;
using platform::Principal;

// Fictional people; the ID numbers carry valid check characters.
constexpr std::string_view kName = testing::kSceneTestName;
constexpr std::string_view kIdNumber = "370282199003154516";
constexpr std::string_view kPhone = "13912345678";
constexpr std::string_view kOtherIdNumber = "370282195001011839";
constexpr std::string_view kOtherPhone = "13912345679";
constexpr std::string_view kAddress = "山东省青岛市即墨区鹤山路88号";
constexpr std::string_view kAgencyCode = "11370282MB1234567X";

const Instant kStart = testing::kSceneTestStart;  // 2026-08-06 15:06 in Jimo

using Citizen = testing::SceneCitizen;

class GovTest : public testing::SceneTest {
 protected:
  void SetUp() override {
    SceneTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto vault = vault::Vault::Open(db(), clock_, *platform_, keyring_);
    ASSERT_TRUE(vault.ok()) << vault.status().ToString();
    vault_ = std::move(*vault);
    OpenGov();

    // The ID-card agency, with its signing key.
    auto agency = platform_->organisations().Create("即墨区公安分局", OrgKind::kIssuingAgency);
    ASSERT_TRUE(agency.ok());
    agency_id_ = agency->id;
    ASSERT_TRUE(vault_
                    ->RegisterIssuer({.org_id = agency_id_,
                                      .credit_code = std::string(kAgencyCode),
                                      .name = "青岛市公安局即墨分局"},
                                     "admin")
                    .ok());
    ASSERT_TRUE(vault_->AddIssuerKey(agency_id_, agency_key_.public_key(), "admin").ok());

    // The district hall: its site, a kiosk and two windows.
    auto hall = platform_->organisations().Create("即墨区行政审批服务局", OrgKind::kServiceHall);
    ASSERT_TRUE(hall.ok());
    hall_id_ = hall->id;
    auto site = platform_->organisations().CreateSite(hall_id_, "即墨区政务服务大厅");
    ASSERT_TRUE(site.ok());
    site_id_ = site->id;
    kiosk_ = Terminal(hall_id_, site_id_, "取号机1");
    window_ = Terminal(hall_id_, site_id_, "3号窗口");
    window2_ = Terminal(hall_id_, site_id_, "4号窗口");
    ASSERT_TRUE(vault_
                    ->SetOrganisationTypes(
                        hall_id_, {"resident_id_card", "household_register", "driving_licence"},
                        {"resident_id_card"}, "admin")
                    .ok());
    auto hukou = gov_->CreateServiceItem(hall_id_, "hukou-transfer", "户口迁移",
                                         {"resident_id_card", "household_register"});
    ASSERT_TRUE(hukou.ok()) << hukou.status().ToString();
    hukou_ = *hukou;
    auto licence = gov_->CreateServiceItem(hall_id_, "licence-renewal", "驾驶证换证",
                                           {"resident_id_card", "driving_licence"});
    ASSERT_TRUE(licence.ok()) << licence.status().ToString();
    licence_ = *licence;
    ASSERT_TRUE(gov_->RegisterWindow(hall_id_, window_.terminal_id, "3号窗口", {}).ok());
    ASSERT_TRUE(gov_->RegisterWindow(hall_id_, window2_.terminal_id, "4号窗口", {}).ok());

    citizen_ = NewCitizen(kPhone, kIdNumber);
    IssueTo(kIdNumber, "resident_id_card", "2044-03-01");
    IssueTo(kIdNumber, "household_register", "");
  }

  void OpenGov(CityTime time = {}) {
    gov_.reset();
    auto gov = GovScene::Open(db(), clock_, *platform_, *vault_, time);
    ASSERT_TRUE(gov.ok()) << gov.status().ToString();
    gov_ = std::move(*gov);
  }

  vault::Certificate MakeCertificate(std::string_view holder, std::string_view type_key,
                                     std::string_view valid_until) {
    const vault::CertificateType& type = *vault::FindCertificateType(type_key);
    vault::Certificate c{
        .identifier =
            vault::MakeCertificateId(type.code, kAgencyCode, "S" + std::to_string(++serial_), 1)
                ->ToString(),
        .type_code = type.code,
        .name = type.name,
        .holder_name = std::string(kName),
        .holder_id_type = "111",
        .holder_id_number = std::string(holder),
        .issuer_name = "青岛市公安局即墨分局",
        .issuer_code = std::string(kAgencyCode),
        .issue_date = "2024-03-01",
        .valid_from = "2024-03-01",
        .valid_until = std::string(valid_until),
    };
    // Every face field the type has, so the certificate validates.
    for (const vault::FaceField& field : type.fields) {
      c.fields[field.key] = field.key == "address"                        ? std::string(kAddress)
                            : field.key.find("date") != std::string::npos ? "1990-03-15"
                                                                          : "示例";
    }
    return c;
  }

  std::string IssueTo(std::string_view holder, std::string_view type_key,
                      std::string_view valid_until) {
    auto signed_certificate =
        vault::SignCertificate(MakeCertificate(holder, type_key, valid_until), agency_key_);
    EXPECT_TRUE(signed_certificate.ok()) << signed_certificate.status().ToString();
    auto issued = vault_->Issue(agency_id_, *signed_certificate);
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? issued->identifier : "";
  }

  TicketReceipt Take(const Citizen& citizen, const ServiceItem& item) {
    auto receipt = gov_->TakeTicket(kiosk_, Code(citizen), item.id);
    EXPECT_TRUE(receipt.ok()) << receipt.status().ToString();
    return receipt.ok() ? *receipt : TicketReceipt{};
  }

  Ticket Call(const Principal& window) {
    auto called = gov_->CallNext(window);
    EXPECT_TRUE(called.ok()) << called.status().ToString();
    EXPECT_TRUE(called.ok() && called->has_value());
    return called.ok() && called->has_value() ? **called : Ticket{};
  }

  std::int64_t Count(std::string_view table) {
    auto tx = db().Begin(store::TransactionMode::kRead);
    return (*tx)->QueryOne("SELECT CAST(COUNT(*) AS BIGINT) FROM " + std::string(table))->Int(0);
  }

  std::unique_ptr<vault::Vault> vault_;
  std::unique_ptr<GovScene> gov_;
  const crypto::PrivateKey agency_key_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  std::string agency_id_, hall_id_, site_id_;
  Principal kiosk_, window_, window2_;
  ServiceItem hukou_, licence_;
  Citizen citizen_;
  int serial_ = 0;
};

std::string TypeCode(std::string_view key) { return vault::FindCertificateType(key)->code; }

TEST_P(GovTest, TicketCallAndCaseServeTheRequiredCertificates) {
  const TicketReceipt first = Take(citizen_, hukou_);
  EXPECT_EQ(first.ticket.number, "A001");
  EXPECT_EQ(first.ticket.state, TicketState::kWaiting);
  EXPECT_EQ(first.ticket.item_name, "户口迁移");
  EXPECT_EQ(first.ticket.site_id, site_id_);
  EXPECT_EQ(first.ticket.day, "2026-08-06");
  EXPECT_EQ(first.waiting_before, 0);
  const TicketReceipt second = Take(citizen_, hukou_);
  EXPECT_EQ(second.ticket.number, "A002");
  EXPECT_EQ(second.waiting_before, 1);

  const Ticket called = Call(window_);
  EXPECT_EQ(called.id, first.ticket.id);
  EXPECT_EQ(called.state, TicketState::kCalled);
  EXPECT_EQ(called.window_terminal_id, window_.terminal_id);
  EXPECT_EQ(called.window_name, "3号窗口");
  EXPECT_EQ(called.called_at, kStart);

  auto queue = gov_->Queue(kiosk_);
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  ASSERT_EQ(queue->waiting.size(), 1u);
  EXPECT_EQ(queue->waiting[0].number, "A002");
  ASSERT_EQ(queue->called.size(), 1u);
  EXPECT_EQ(queue->called[0].number, "A001");

  auto opened = gov_->OpenCase(window_, Code(citizen_), first.ticket.id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  const Case& record = opened->record;
  EXPECT_EQ(record.state, CaseState::kOpen);
  EXPECT_EQ(record.item_code, "hukou-transfer");
  EXPECT_EQ(record.ticket_id, first.ticket.id);
  EXPECT_EQ(record.ticket_number, "A001");
  EXPECT_EQ(record.citizen_id, citizen_.id);
  EXPECT_FALSE(record.release_id.empty());
  ASSERT_EQ(record.served.size(), 2u);
  EXPECT_EQ(record.served[0].type_code, TypeCode("resident_id_card"));
  EXPECT_EQ(record.served[1].type_code, TypeCode("household_register"));
  for (const ServedCertificate& served : record.served) {
    EXPECT_TRUE(served.signature_valid);
    EXPECT_TRUE(served.in_validity);
    EXPECT_TRUE(vault::ParseCertificateId(served.identifier).ok());
  }
  EXPECT_TRUE(record.missing.empty());
  // The clerk's screen gets the certificates and the vault's signed release.
  ASSERT_EQ(opened->certificates.size(), 2u);
  EXPECT_EQ(opened->certificates[0].certificate.holder_id_number, kIdNumber);
  EXPECT_TRUE(
      vault_->public_key().Verify(AsBytes(opened->release_json), opened->release_signature));
  EXPECT_EQ(opened->release_key_id, ToHex(vault_->public_key().key_id()));
  EXPECT_NE(opened->release_json.find("户口迁移 (hukou-transfer)"), std::string::npos);

  // The ticket is being served: no longer on the display.
  queue = gov_->Queue(window_);
  ASSERT_TRUE(queue.ok());
  EXPECT_TRUE(queue->called.empty());
  EXPECT_EQ(queue->waiting.size(), 1u);

  // A later look shows the checks but not the contents.
  auto stored = gov_->GetCase(window2_, record.id);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->served.size(), 2u);
  EXPECT_EQ(stored->served[0].identifier, record.served[0].identifier);
  EXPECT_TRUE(stored->served[1].signature_valid);
  EXPECT_EQ(stored->item_name, "户口迁移");
  EXPECT_EQ(stored->ticket_number, "A001");
  EXPECT_EQ(stored->opened_at, kStart);

  auto done = gov_->CompleteCase(window_, record.id);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->state, CaseState::kDone);
  EXPECT_EQ(gov_->GetCase(window_, record.id)->state, CaseState::kDone);
  auto tx = db().Begin(store::TransactionMode::kRead);
  EXPECT_EQ(
      (*tx)->QueryOne("SELECT state FROM gov_tickets WHERE id = ?", {first.ticket.id})->Text(0),
      "done");
}

TEST_P(GovTest, StoredCasesAndTicketsHoldNoPersonalData) {
  const TicketReceipt ticket = Take(citizen_, hukou_);
  Call(window_);
  auto opened = gov_->OpenCase(window_, Code(citizen_), ticket.ticket.id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_TRUE(gov_->RejectCase(window_, opened->record.id, "材料不全").ok());
  auto tx = db().Begin(store::TransactionMode::kRead);
  for (std::string_view table :
       {"gov_tickets", "gov_cases", "gov_case_certificates", "gov_counters"}) {
    auto rows = (*tx)->Query("SELECT * FROM " + std::string(table));
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_FALSE(rows->empty()) << table;
    for (const store::Row& row : *rows) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        std::string cell;
        if (const auto* text = std::get_if<std::string>(&row[i])) cell = *text;
        if (const auto* blob = std::get_if<Bytes>(&row[i])) cell = std::string(AsChars(*blob));
        for (std::string_view secret : {kName, kIdNumber, kAddress, kPhone}) {
          EXPECT_EQ(cell.find(secret), std::string::npos) << table << " column " << i;
        }
      }
    }
  }
}

TEST_P(GovTest, MissingCertificatesAreListedWithTheirReason) {
  // The citizen holds no driving licence.
  auto opened = gov_->OpenCase(window_, Code(citizen_), std::nullopt, licence_.id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_EQ(opened->record.served.size(), 1u);
  EXPECT_EQ(opened->record.served[0].type_code, TypeCode("resident_id_card"));
  ASSERT_EQ(opened->record.missing.size(), 1u);
  EXPECT_EQ(opened->record.missing[0].type_code, TypeCode("driving_licence"));
  EXPECT_EQ(opened->record.missing[0].reason, "not_held");
  EXPECT_EQ(opened->certificates.size(), 1u);
  auto stored = gov_->GetCase(window_, opened->record.id);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->missing.size(), 1u);
  EXPECT_EQ(stored->missing[0].reason, "not_held");

  // A type the hall is not registered for never reaches the vault's grant.
  auto marriage = gov_->CreateServiceItem(hall_id_, "marriage-record", "婚姻登记查询",
                                          {"marriage_certificate"});
  ASSERT_TRUE(marriage.ok());
  opened = gov_->OpenCase(window_, Code(citizen_), std::nullopt, marriage->id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(opened->record.served.empty());
  EXPECT_TRUE(opened->record.release_id.empty());
  ASSERT_EQ(opened->record.missing.size(), 1u);
  EXPECT_EQ(opened->record.missing[0].reason, "not_registered");

  // An item without certificates fetches nothing.
  auto advice = gov_->CreateServiceItem(hall_id_, "advice", "政策咨询", {});
  ASSERT_TRUE(advice.ok());
  opened = gov_->OpenCase(window_, Code(citizen_), std::nullopt, advice->id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(opened->record.served.empty());
  EXPECT_TRUE(opened->record.missing.empty());
  EXPECT_TRUE(opened->certificates.empty());
}

// Whoever registered with another person's ID number gets none of their
// certificates at a window; a clerk who checks the physical ID card makes
// the account that card's person, and only that person's.
TEST_P(GovTest, AWindowConfirmsTheIdentityOnTheIdCard) {
  const Citizen squatter = NewCitizen(kOtherPhone, kIdNumber, /*verified=*/false);
  auto opened = gov_->OpenCase(window_, Code(squatter), std::nullopt, hukou_.id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(opened->record.served.empty());
  EXPECT_TRUE(opened->certificates.empty());
  ASSERT_EQ(opened->record.missing.size(), 2u);
  EXPECT_EQ(opened->record.missing[0].reason, "identity_not_verified");

  // A bad card entry is refused before the code is used; a kiosk is no window.
  const std::string code = Code(squatter);
  EXPECT_THAT(gov_->ConfirmIdentity(window_, code, {std::string(kName), "370282199003154514"}),
              StatusIs(StatusCode::kInvalidArgument, "id_number_invalid"));
  EXPECT_THAT(gov_->ConfirmIdentity(kiosk_, Code(squatter),
                                    {std::string(kName), std::string(kOtherIdNumber)}),
              StatusIs(StatusCode::kPermissionDenied, "not_a_window"));
  // The card shows the squatter's own number.
  auto confirmed =
      gov_->ConfirmIdentity(window_, code, {std::string(kName), std::string(kOtherIdNumber)});
  ASSERT_TRUE(confirmed.ok()) << confirmed.status().ToString();
  EXPECT_EQ(confirmed->level, platform::AssuranceLevel::kInPerson);
  EXPECT_EQ(platform_->identities().Verified(squatter.id)->source, window_.terminal_id);
  opened = gov_->OpenCase(window_, Code(squatter), std::nullopt, hukou_.id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(opened->record.served.empty());
  EXPECT_EQ(opened->record.missing[0].reason, "not_held");
  // The owner's certificates stay the owner's.
  opened = gov_->OpenCase(window_, Code(citizen_), std::nullopt, hukou_.id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->record.served.size(), 2u);
}

// A person without a smartphone: the clerk checks the physical ID card and
// prints a card, which then opens cases at the windows like a code.
TEST_P(GovTest, AWindowWithItsClerkIssuesAndRevokesAPrintedCard) {
  const platform::Person person{std::string(kName), std::string(kIdNumber)};
  EXPECT_THAT(gov_->IssueCard(window_, person),
              StatusIs(StatusCode::kPermissionDenied, "staff_required"));
  auto clerk = platform_->staff().Create(hall_id_, "clerk1", "王窗口", "counter-1");
  ASSERT_TRUE(clerk.ok()) << clerk.status().ToString();
  Principal clerk_window = window_;
  clerk_window.staff_id = clerk->id;
  Principal clerk_kiosk = kiosk_;
  clerk_kiosk.staff_id = clerk->id;
  EXPECT_THAT(gov_->IssueCard(clerk_kiosk, person),
              StatusIs(StatusCode::kPermissionDenied, "not_a_window"));
  EXPECT_THAT(gov_->IssueCard(clerk_window, {std::string(kName), "370282199003154514"}),
              StatusIs(StatusCode::kInvalidArgument, "id_number_invalid"));

  auto card = gov_->IssueCard(clerk_window, person);
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  // The person is verified on citizen_'s account: the card is theirs.
  EXPECT_EQ(card->citizen_id, citizen_.id);
  EXPECT_FALSE(card->account_created);
  auto opened = gov_->OpenCase(window_, card->qr_text, std::nullopt, hukou_.id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->record.citizen_id, citizen_.id);
  EXPECT_EQ(opened->record.served.size(), 2u);
  // A kiosk takes a queue number with it too.
  EXPECT_TRUE(gov_->TakeTicket(kiosk_, card->qr_text, hukou_.id).ok());

  EXPECT_THAT(gov_->RevokeCard(window_, person),
              StatusIs(StatusCode::kPermissionDenied, "staff_required"));
  ASSERT_TRUE(gov_->RevokeCard(clerk_window, person).ok());
  EXPECT_THAT(gov_->OpenCase(window_, card->qr_text, std::nullopt, hukou_.id),
              StatusIs(StatusCode::kPermissionDenied, "code_invalid"));
  EXPECT_THAT(gov_->RevokeCard(clerk_window, person), StatusIs(StatusCode::kNotFound, "no_card"));

  // Someone verified nowhere gets an account of their own.
  auto fresh = gov_->IssueCard(clerk_window, {"测试市民乙", std::string(kOtherIdNumber)});
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_TRUE(fresh->account_created);
  EXPECT_NE(fresh->citizen_id, citizen_.id);
}

TEST_P(GovTest, AnExpiredCertificateIsMissingAsExpired) {
  const Citizen other = NewCitizen(kOtherPhone, kOtherIdNumber);
  IssueTo(kOtherIdNumber, "resident_id_card", "2030-01-01");
  IssueTo(kOtherIdNumber, "household_register", "2026-08-05");  // yesterday in Jimo
  auto opened = gov_->OpenCase(window_, Code(other), std::nullopt, hukou_.id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_EQ(opened->record.served.size(), 1u);
  ASSERT_EQ(opened->record.missing.size(), 1u);
  EXPECT_EQ(opened->record.missing[0].type_code, TypeCode("household_register"));
  EXPECT_EQ(opened->record.missing[0].reason, "expired");
}

TEST_P(GovTest, OnlyTheOpeningWindowClosesAnOpenCase) {
  auto opened = gov_->OpenCase(window_, Code(citizen_), std::nullopt, hukou_.id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  const std::string id = opened->record.id;

  auto other_window = gov_->CompleteCase(window2_, id);
  EXPECT_THAT(other_window, StatusIs(StatusCode::kPermissionDenied, "not_case_window"));
  EXPECT_THAT(other_window, StatusIs(StatusCode::kPermissionDenied, "not_case_window"));
  EXPECT_THAT(gov_->CompleteCase(window_, "case_nope"),
              StatusIs(StatusCode::kNotFound, "not_found"));
  EXPECT_THAT(gov_->RejectCase(window_, id, ""),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(gov_->RejectCase(window_, id, std::string(257, 'x')),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(gov_->RejectCase(window_, id, "bad\ncontrol"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));

  clock_.Advance(std::chrono::minutes(5));
  auto rejected = gov_->RejectCase(window_, id, std::string(256, 'x'));
  ASSERT_TRUE(rejected.ok()) << rejected.status().ToString();
  EXPECT_EQ(rejected->state, CaseState::kRejected);
  auto stored = gov_->GetCase(window_, id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, CaseState::kRejected);
  EXPECT_EQ(stored->reject_reason, std::string(256, 'x'));
  EXPECT_EQ(stored->closed_at, kStart + std::chrono::minutes(5));

  for (const auto& again : {gov_->CompleteCase(window_, id), gov_->RejectCase(window_, id, "x")}) {
    EXPECT_THAT(again, StatusIs(StatusCode::kFailedPrecondition, "case_closed"));
    EXPECT_THAT(again, StatusIs(StatusCode::kFailedPrecondition, "case_closed"));
  }
}

TEST_P(GovTest, CasesAreSeenOnlyWithinTheirOrganisation) {
  auto opened = gov_->OpenCase(window_, Code(citizen_), std::nullopt, hukou_.id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  const std::string id = opened->record.id;

  auto admin_key = platform_->access_keys().CreateOrgAdminKey(hall_id_, "hall admin");
  ASSERT_TRUE(admin_key.ok());
  auto admin = platform_->access_keys().Authenticate(admin_key->token);
  ASSERT_TRUE(admin.ok());
  EXPECT_TRUE(gov_->GetCase(*admin, id).ok());

  auto other_hall =
      platform_->organisations().Create("鳌山卫街道便民服务中心", OrgKind::kServiceHall);
  auto other_site = platform_->organisations().CreateSite(other_hall->id, "便民服务中心");
  const Principal foreign = Terminal(other_hall->id, other_site->id, "1号窗口");
  EXPECT_THAT(gov_->GetCase(foreign, id),
              StatusIs(StatusCode::kPermissionDenied, "permission_denied"));
  EXPECT_THAT(gov_->CompleteCase(foreign, id),
              StatusIs(StatusCode::kPermissionDenied, "not_case_window"));

  auto hotel = platform_->organisations().Create("即墨古城酒店", OrgKind::kHotel);
  auto hotel_site = platform_->organisations().CreateSite(hotel->id, "前台");
  const Principal desk = Terminal(hotel->id, hotel_site->id, "前台1");
  EXPECT_THAT(gov_->GetCase(desk, id),
              StatusIs(StatusCode::kPermissionDenied, "permission_denied"));
}

TEST_P(GovTest, QueueSurvivesARestart) {
  Take(citizen_, hukou_);
  Take(citizen_, licence_);
  OpenGov();  // a new process on the same database
  const Ticket called = Call(window_);
  EXPECT_EQ(called.number, "A001");
  EXPECT_EQ(Take(citizen_, hukou_).ticket.number, "A003");
  OpenGov();
  auto queue = gov_->Queue(kiosk_);
  ASSERT_TRUE(queue.ok());
  ASSERT_EQ(queue->waiting.size(), 2u);
  EXPECT_EQ(queue->waiting[0].number, "A002");
  EXPECT_EQ(queue->waiting[1].number, "A003");
  ASSERT_EQ(queue->called.size(), 1u);
  EXPECT_EQ(queue->called[0].window_name, "3号窗口");
  EXPECT_EQ(Call(window2_).number, "A002");
}

TEST_P(GovTest, NumbersStartAgainEachLocalDay) {
  // 23:59:30 in Jimo is still the same day; 16:00 UTC is midnight there.
  clock_.Set(FromUnixSeconds(1'786'032'000 - 30));  // 2026-08-06T15:59:30Z
  const TicketReceipt late = Take(citizen_, hukou_);
  EXPECT_EQ(late.ticket.number, "A001");
  EXPECT_EQ(late.ticket.day, "2026-08-06");
  clock_.Advance(std::chrono::seconds(30));
  const TicketReceipt next_day = Take(citizen_, hukou_);
  EXPECT_EQ(next_day.ticket.number, "A001");
  EXPECT_EQ(next_day.ticket.day, "2026-08-07");
  EXPECT_EQ(next_day.waiting_before, 0);
  // Yesterday's ticket is no longer called, nor on the display.
  EXPECT_EQ(Call(window_).id, next_day.ticket.id);
  auto again = gov_->CallNext(window_);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_TRUE(gov_->Queue(kiosk_)->waiting.empty());
}

// The queue day is the configured city's: at UTC+0, 16:00 UTC is no midnight.
TEST_P(GovTest, TheQueueDayIsTheCitysLocalDay) {
  OpenGov(CityTime{.utc_offset = std::chrono::seconds(0)});
  clock_.Set(FromUnixSeconds(1'786'032'000 - 30));  // 2026-08-06T15:59:30Z
  EXPECT_EQ(Take(citizen_, hukou_).ticket.day, "2026-08-06");
  clock_.Advance(std::chrono::seconds(30));
  const TicketReceipt same_day = Take(citizen_, hukou_);
  EXPECT_EQ(same_day.ticket.number, "A002");
  EXPECT_EQ(same_day.ticket.day, "2026-08-06");
}

TEST_P(GovTest, WindowsCallOnlyTheItemsTheyHandle) {
  ASSERT_TRUE(gov_->RegisterWindow(hall_id_, window2_.terminal_id, "4号窗口", {licence_.id}).ok());
  const TicketReceipt hukou = Take(citizen_, hukou_);
  const TicketReceipt licence = Take(citizen_, licence_);
  EXPECT_EQ(licence.waiting_before, 0);  // nobody waits for that item
  EXPECT_EQ(Call(window2_).id, licence.ticket.id);
  auto none = gov_->CallNext(window2_);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(Call(window_).id, hukou.ticket.id);

  auto windows = gov_->ListWindows(hall_id_);
  ASSERT_TRUE(windows.ok());
  ASSERT_EQ(windows->size(), 2u);
  for (const Window& w : *windows) {
    EXPECT_EQ(w.site_id, site_id_);
    if (w.terminal_id == window2_.terminal_id) {
      EXPECT_EQ(w.item_ids, std::vector<std::string>{licence_.id});
    } else {
      EXPECT_TRUE(w.item_ids.empty());
    }
  }
}

TEST_P(GovTest, ConcurrentKiosksAndWindowsNeverShareANumberOrATicket) {
  constexpr int kTickets = 8;
  std::vector<std::string> codes;
  for (int i = 0; i < kTickets; ++i) codes.push_back(Code(citizen_));
  std::vector<std::string> numbers(kTickets);
  {
    std::vector<std::thread> kiosks;
    for (int i = 0; i < kTickets; ++i) {
      kiosks.emplace_back([&, i] {
        auto receipt = gov_->TakeTicket(kiosk_, codes[i], hukou_.id);
        if (receipt.ok()) numbers[i] = receipt->ticket.number;
      });
    }
    for (auto& t : kiosks) t.join();
  }
  const std::set<std::string> distinct_numbers(numbers.begin(), numbers.end());
  EXPECT_EQ(distinct_numbers.size(), std::size_t{kTickets});
  EXPECT_EQ(*distinct_numbers.begin(), "A001");
  EXPECT_EQ(*distinct_numbers.rbegin(), "A008");

  std::vector<std::string> called[2];
  std::atomic<int> failures = 0;
  {
    std::vector<std::thread> windows;
    for (int w = 0; w < 2; ++w) {
      windows.emplace_back([&, w] {
        const Principal& window = w == 0 ? window_ : window2_;
        for (int i = 0; i < kTickets; ++i) {
          auto ticket = gov_->CallNext(window);
          if (!ticket.ok()) {
            ++failures;
          } else if (ticket->has_value()) {
            called[w].push_back((*ticket)->id);
          }
        }
      });
    }
    for (auto& t : windows) t.join();
  }
  EXPECT_EQ(failures, 0);
  std::set<std::string> all(called[0].begin(), called[0].end());
  all.insert(called[1].begin(), called[1].end());
  EXPECT_EQ(called[0].size() + called[1].size(), std::size_t{kTickets});
  EXPECT_EQ(all.size(), std::size_t{kTickets});
}

TEST_P(GovTest, RefusedCodesAndStrangersGetNoTicket) {
  const std::string code = Code(citizen_);
  ASSERT_TRUE(gov_->TakeTicket(kiosk_, code, hukou_.id).ok());
  auto replayed = gov_->TakeTicket(kiosk_, code, hukou_.id);
  EXPECT_THAT(replayed, StatusIs(StatusCode::kPermissionDenied, "code_invalid",
                                 ::testing::HasSubstr("replayed")));
  EXPECT_THAT(replayed, StatusIs(StatusCode::kPermissionDenied, "code_invalid"));
  EXPECT_NE(replayed.status().message().find("replayed"), std::string::npos);
  auto garbage = gov_->TakeTicket(kiosk_, "CC1:NOPE", hukou_.id);
  EXPECT_THAT(garbage, StatusIs(StatusCode::kPermissionDenied, "code_invalid"));
  EXPECT_NE(garbage.status().message().find("malformed"), std::string::npos);

  auto hotel = platform_->organisations().Create("即墨古城酒店", OrgKind::kHotel);
  auto hotel_site = platform_->organisations().CreateSite(hotel->id, "前台");
  const Principal desk = Terminal(hotel->id, hotel_site->id, "前台1");
  EXPECT_THAT(gov_->TakeTicket(desk, Code(citizen_), hukou_.id),
              StatusIs(StatusCode::kPermissionDenied, "permission_denied"));
  EXPECT_THAT(gov_->CallNext(desk), StatusIs(StatusCode::kPermissionDenied, "permission_denied"));
  EXPECT_THAT(gov_->Queue(desk), StatusIs(StatusCode::kPermissionDenied, "permission_denied"));
  EXPECT_THAT(gov_->OpenCase(desk, Code(citizen_), std::nullopt, hukou_.id),
              StatusIs(StatusCode::kPermissionDenied, "permission_denied"));

  // Another hall's kiosk cannot take this hall's items.
  auto other_hall =
      platform_->organisations().Create("鳌山卫街道便民服务中心", OrgKind::kServiceHall);
  auto other_site = platform_->organisations().CreateSite(other_hall->id, "便民服务中心");
  const Principal foreign = Terminal(other_hall->id, other_site->id, "取号机");
  EXPECT_THAT(gov_->TakeTicket(foreign, Code(citizen_), hukou_.id),
              StatusIs(StatusCode::kPermissionDenied, "permission_denied"));
  EXPECT_THAT(gov_->TakeTicket(kiosk_, Code(citizen_), "gsi_nope"),
              StatusIs(StatusCode::kNotFound, "not_found"));

  // A kiosk is no window.
  auto not_window = gov_->CallNext(kiosk_);
  EXPECT_THAT(not_window, StatusIs(StatusCode::kPermissionDenied, "not_a_window"));
  EXPECT_THAT(not_window, StatusIs(StatusCode::kPermissionDenied, "not_a_window"));
  // Admin principals are no terminals.
  const Principal admin{.role = platform::Role::kAdmin};
  EXPECT_THAT(gov_->TakeTicket(admin, Code(citizen_), hukou_.id),
              StatusIs(StatusCode::kPermissionDenied, "permission_denied"));
}

TEST_P(GovTest, TicketsAreOpenedOnlyByTheirCitizenAtTheirWindow) {
  const Citizen other = NewCitizen(kOtherPhone, kOtherIdNumber);
  const TicketReceipt theirs = Take(other, hukou_);
  const TicketReceipt mine = Take(citizen_, hukou_);

  // Waiting, not yet called: refused before the code is used.
  auto early = gov_->OpenCase(window_, Code(citizen_), mine.ticket.id);
  EXPECT_THAT(early, StatusIs(StatusCode::kFailedPrecondition, "ticket_not_called"));
  EXPECT_THAT(early, StatusIs(StatusCode::kFailedPrecondition, "ticket_not_called"));

  ASSERT_EQ(Call(window_).id, theirs.ticket.id);
  auto wrong_person = gov_->OpenCase(window_, Code(citizen_), theirs.ticket.id);
  EXPECT_THAT(wrong_person, StatusIs(StatusCode::kPermissionDenied, "ticket_not_yours"));
  EXPECT_THAT(wrong_person, StatusIs(StatusCode::kPermissionDenied, "ticket_not_yours"));
  auto wrong_window = gov_->OpenCase(window2_, Code(other), theirs.ticket.id);
  EXPECT_THAT(wrong_window, StatusIs(StatusCode::kFailedPrecondition, "ticket_not_called"));
  auto wrong_item = gov_->OpenCase(window_, Code(other), theirs.ticket.id, licence_.id);
  EXPECT_THAT(wrong_item, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(gov_->OpenCase(window_, Code(other), "tkt_nope"),
              StatusIs(StatusCode::kNotFound, "not_found"));

  auto opened = gov_->OpenCase(window_, Code(other), theirs.ticket.id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->record.citizen_id, other.id);
  // The ticket is in a case now: not a second time.
  EXPECT_THAT(gov_->OpenCase(window_, Code(other), theirs.ticket.id),
              StatusIs(StatusCode::kFailedPrecondition, "ticket_not_called"));
  ASSERT_TRUE(gov_->CompleteCase(window_, opened->record.id).ok());
  EXPECT_EQ(Count("gov_cases"), 1);

  // Without a ticket at a window of several items, the item must be named.
  auto which = gov_->OpenCase(window_, Code(citizen_), std::nullopt);
  EXPECT_THAT(which, StatusIs(StatusCode::kInvalidArgument, "service_item_required"));
  ASSERT_TRUE(gov_->RegisterWindow(hall_id_, window2_.terminal_id, "4号窗口", {hukou_.id}).ok());
  EXPECT_TRUE(gov_->OpenCase(window2_, Code(citizen_), std::nullopt).ok());
  EXPECT_THAT(gov_->OpenCase(window2_, Code(citizen_), std::nullopt, licence_.id),
              StatusIs(StatusCode::kFailedPrecondition, "item_not_handled"));
}

TEST_P(GovTest, AdministrationValidatesItsInput) {
  auto items = gov_->ListServiceItems(hall_id_);
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].code, "hukou-transfer");
  EXPECT_EQ((*items)[0].required_types, (std::vector<std::string>{TypeCode("resident_id_card"),
                                                                  TypeCode("household_register")}));

  auto unknown = gov_->CreateServiceItem(hall_id_, "x", "某事项", {"pilot_licence"});
  EXPECT_THAT(unknown, StatusIs(StatusCode::kInvalidArgument, "unknown_type"));
  EXPECT_THAT(unknown, StatusIs(StatusCode::kInvalidArgument, "unknown_type"));
  EXPECT_THAT(gov_->CreateServiceItem(hall_id_, "hukou-transfer", "户口迁移", {}),
              StatusIs(StatusCode::kAlreadyExists, "already_exists"));
  EXPECT_THAT(gov_->CreateServiceItem(hall_id_, "Hukou Transfer", "户口迁移", {}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(gov_->CreateServiceItem(hall_id_, "blank", "", {}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(gov_->CreateServiceItem(hall_id_, "long", std::string(129, 'x'), {}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(gov_->CreateServiceItem(agency_id_, "x", "某事项", {}),
              StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
  EXPECT_THAT(gov_->CreateServiceItem("org_nope", "x", "某事项", {}),
              StatusIs(StatusCode::kNotFound, "not_found"));

  // Windows: only this hall's terminals and items.
  auto other_hall =
      platform_->organisations().Create("鳌山卫街道便民服务中心", OrgKind::kServiceHall);
  auto other_site = platform_->organisations().CreateSite(other_hall->id, "便民服务中心");
  const Principal foreign = Terminal(other_hall->id, other_site->id, "1号窗口");
  EXPECT_THAT(gov_->RegisterWindow(hall_id_, foreign.terminal_id, "1号窗口", {}),
              StatusIs(StatusCode::kNotFound, "not_found"));
  EXPECT_THAT(
      gov_->RegisterWindow(other_hall->id, foreign.terminal_id, "1号窗口", {hukou_.id}).status(),
      StatusIs(StatusCode::kPermissionDenied, "permission_denied"));
  EXPECT_THAT(gov_->RegisterWindow(hall_id_, window_.terminal_id, "", {}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  ASSERT_TRUE(platform_->access_keys().DisableTerminal(hall_id_, window2_.terminal_id).ok());
  EXPECT_THAT(gov_->RegisterWindow(hall_id_, window2_.terminal_id, "4号窗口", {}),
              StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
}

INSTANTIATE_TEST_SUITE_P(Backends, GovTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::gov
