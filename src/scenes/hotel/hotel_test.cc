#include "scenes/hotel/hotel.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/key.h"
#include "outbox/outbox.h"
#include "tests/support/scene_test.h"
#include "tests/support/status_matchers.h"
#include "vault/certificate.h"
#include "vault/certificate_types.h"
#include "vault/sample_certificates.h"

namespace citycode::hotel {
namespace {

using nlohmann::json;
using platform::OrgKind;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::StatusIs;

// Fictional people; the ID numbers carry valid check characters.
constexpr std::string_view kAdult = "370282199003154516";
constexpr std::string_view kFriend = "370282195001011839";
constexpr std::string_view kChild = "370282201903150027";  // born 2019
constexpr std::string_view kAgencyCode = "11370282MB1234567X";

// Answers every webhook 200 and keeps it.
class CapturingTransport final : public outbox::Transport {
 public:
  struct Sent {
    std::string destination;
    json body;
  };
  Result<outbox::WebhookReply> Post(const outbox::WebhookRequest& request) override {
    std::lock_guard lock(mu_);
    sent_.push_back({request.destination, json::parse(request.body, nullptr, false)});
    return outbox::WebhookReply{.status = 200};
  }
  std::vector<Sent> Take() {
    std::lock_guard lock(mu_);
    return std::exchange(sent_, {});
  }

 private:
  std::mutex mu_;
  std::vector<Sent> sent_;
};

class HotelTest : public testing::SceneTest {
 protected:
  void SetUp() override {
    SceneTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto vault = vault::Vault::Open(db(), clock_, *platform_, keyring_);
    ASSERT_TRUE(vault.ok()) << vault.status().ToString();
    vault_ = std::move(*vault);
    auto transport = std::make_unique<CapturingTransport>();
    transport_ = transport.get();
    outbox::OutboxConfig config;
    for (const char* name : {"police", "tourism"}) {
      config.destinations.push_back({.name = name,
                                     .url = std::string("http://127.0.0.1:9/") + name,
                                     .signer = {.secrets = {Bytes(32, 7)}}});
    }
    auto outbox = outbox::Outbox::Open(db(), clock_, std::move(config), std::move(transport));
    ASSERT_TRUE(outbox.ok()) << outbox.status().ToString();
    outbox_ = std::move(*outbox);
    auto scene = HotelScene::Open(db(), clock_, *platform_, *vault_, keyring_, outbox_.get());
    ASSERT_TRUE(scene.ok()) << scene.status().ToString();
    hotel_ = std::move(*scene);

    // The ID-card agency with its key, a hotel that may request ID cards.
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
    hotel_id_ = NewHotel("即墨古城酒店", &desk_);
    other_hotel_id_ = NewHotel("鳌山湾海景酒店", &other_desk_);
    room_ = *hotel_->AddRoom(hotel_id_, "305");
    room2_ = *hotel_->AddRoom(hotel_id_, "306");
    other_room_ = *hotel_->AddRoom(other_hotel_id_, "101");

    adult_ = NewCitizen("13912345678", kAdult);
    friend_ = NewCitizen("13912345679", kFriend);
    child_ = NewCitizen("13912345680", kChild);
    IssueIdCard(kAdult, "2044-03-01");
    IssueIdCard(kFriend, "2044-03-01");
    IssueIdCard(kChild, "2029-03-15");
  }

  std::string NewHotel(std::string_view name, platform::Principal* desk) {
    auto org = platform_->organisations().Create(name, OrgKind::kHotel);
    EXPECT_TRUE(org.ok());
    auto site = platform_->organisations().CreateSite(org->id, "前台");
    EXPECT_TRUE(site.ok());
    *desk = Terminal(org->id, site->id, "前台1");
    EXPECT_TRUE(
        vault_->SetOrganisationTypes(org->id, {"resident_id_card"}, {"resident_id_card"}, "admin")
            .ok());
    EXPECT_TRUE(hotel_->SetLicence(org->id, "鲁公特字3702820001").ok());
    return org->id;
  }

  // The ID card of the person NewCitizen registered under `id_number`.
  std::string IssueIdCard(std::string_view id_number, std::string_view valid_until,
                          vault::CertificateStatus status = vault::CertificateStatus::kValid) {
    auto c = vault::SampleCertificate(
        *vault::FindCertificateType("resident_id_card"),
        {std::string(testing::kSceneTestName), std::string(id_number)},
        {"青岛市公安局即墨分局", std::string(kAgencyCode)}, ++serial_, "2024-03-01", valid_until);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    c->status = status;
    auto signed_certificate = vault::SignCertificate(*c, agency_key_);
    EXPECT_TRUE(signed_certificate.ok()) << signed_certificate.status().ToString();
    auto issued = vault_->Issue(agency_id_, *signed_certificate);
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? issued->identifier : "";
  }

  // Relay rounds until nothing is due; what was sent, in order.
  std::vector<CapturingTransport::Sent> Deliver() {
    for (int round = 0; round < 20; ++round) {
      auto ran = outbox_->RunOnce();
      EXPECT_TRUE(ran.ok()) << ran.status().ToString();
      if (!ran.ok() || ran->claimed == 0) break;
    }
    return transport_->Take();
  }

  std::map<std::string, std::int64_t> Counts() {
    std::map<std::string, std::int64_t> counts;
    auto tx = db().Begin(store::TransactionMode::kRead);
    for (const char* table : {"hotel_stays", "hotel_guests", "hotel_room_changes"}) {
      counts[table] = (*tx)->QueryOne(std::string("SELECT COUNT(*) FROM ") + table)->Int(0);
    }
    counts["events"] = (*tx)->QueryOne("SELECT COUNT(*) FROM outbox_events")->Int(0);
    return counts;
  }

  const crypto::PrivateKey agency_key_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  std::unique_ptr<vault::Vault> vault_;
  std::unique_ptr<outbox::Outbox> outbox_;
  CapturingTransport* transport_ = nullptr;
  std::unique_ptr<HotelScene> hotel_;
  std::string agency_id_, hotel_id_, other_hotel_id_;
  platform::Principal desk_, other_desk_;
  Room room_, room2_, other_room_;
  testing::SceneCitizen adult_, friend_, child_;
  int serial_ = 0;
};

TEST_P(HotelTest, ACheckInByCodeReportsEveryGuestThenTheRoomChangeAndCheckOutInOrder) {
  auto stay = hotel_->CheckIn(desk_, {.room_id = room_.id, .codes = {Code(adult_), Code(child_)}});
  ASSERT_TRUE(stay.ok()) << stay.status().ToString();
  ASSERT_EQ(stay->guests.size(), 2u);
  EXPECT_EQ(stay->guests[0].name, testing::kSceneTestName);
  EXPECT_FALSE(stay->guests[0].minor);
  EXPECT_TRUE(stay->guests[1].minor);
  EXPECT_EQ(stay->room_number, "305");
  ASSERT_EQ(stay->reports.size(), 2u);
  EXPECT_EQ(stay->reports[0].state, "pending");

  ASSERT_TRUE(hotel_->ChangeRoom(desk_, stay->id, room2_.id).ok());
  clock_.Advance(std::chrono::hours(20));
  auto out = hotel_->CheckOut(desk_, stay->id);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->state, StayState::kCheckedOut);

  const auto sent = Deliver();
  std::vector<std::string> police;
  for (const auto& s : sent) {
    if (s.destination != "police") continue;
    police.push_back(s.body.value("type", ""));
    EXPECT_EQ(s.body["data"]["stay_id"], stay->id);
    EXPECT_EQ(s.body["data"]["hotel"]["licence_number"], "鲁公特字3702820001");
  }
  EXPECT_THAT(police, ::testing::ElementsAre("hotel.guest.checked_in", "hotel.guest.checked_in",
                                             "hotel.stay.room_changed", "hotel.stay.checked_out"));
  const json& first = sent[0].body["data"]["guest"];
  EXPECT_EQ(first["document_number"], kAdult);
  EXPECT_THAT(first["address"].get<std::string>(), HasSubstr("山东省青岛市即墨区鹤山路"));
  auto seen = hotel_->GetStay(desk_, stay->id);
  ASSERT_TRUE(seen.ok());
  for (const Report& r : seen->reports) EXPECT_EQ(r.state, "delivered") << r.type;

  // The tourism platform: counts of each ended hour, no identities.
  auto made = hotel_->ReportHourlyCounts();
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_GE(*made, 20);
  std::int64_t arrivals = 0, peak = 0;
  for (const auto& s : Deliver()) {
    ASSERT_EQ(s.destination, "tourism");
    EXPECT_THAT(s.body.dump(), Not(HasSubstr(std::string(kAdult))));
    EXPECT_THAT(s.body.dump(), Not(HasSubstr(std::string(testing::kSceneTestName))));
    if (s.body["data"]["org_id"] != hotel_id_) continue;
    arrivals += s.body["data"]["arrivals"].get<std::int64_t>();
    peak = std::max(peak, s.body["data"]["in_house"].get<std::int64_t>());
  }
  EXPECT_EQ(arrivals, 2);
  EXPECT_EQ(peak, 2);
  EXPECT_EQ(*hotel_->ReportHourlyCounts(), 0) << "each hour once";
}

TEST_P(HotelTest, EachRefusalHasItsReasonAndStoresAndSendsNothing) {
  const auto before = Counts();
  EXPECT_THAT(hotel_->CheckIn(desk_, {.room_id = room_.id, .codes = {Code(child_)}}),
              StatusIs(StatusCode::kFailedPrecondition, "minor_without_adult"));
  EXPECT_THAT(hotel_->CheckIn(desk_, {.room_id = other_room_.id, .codes = {Code(adult_)}}),
              StatusIs(StatusCode::kNotFound, "not_found"));
  EXPECT_THAT(hotel_->CheckIn(desk_, {.room_id = room_.id}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(hotel_->CheckIn(desk_, {.room_id = room_.id, .codes = {Code(adult_), Code(adult_)}}),
              StatusIs(StatusCode::kAlreadyExists, "guest_twice"));
  EXPECT_THAT(hotel_->CheckIn(desk_, {.room_id = room_.id, .codes = {"CC1:garbage"}}),
              StatusIs(StatusCode::kPermissionDenied, "code_invalid"));
  // A guest by hand needs the clerk signed in.
  const HandEntry passport{.record = {.name = "JOHN SMITH",
                                      .document_type = "passport",
                                      .document_number = "X1234567",
                                      .sex = "M",
                                      .birth_date = "1985-01-02",
                                      .nationality = "GBR"}};
  EXPECT_THAT(hotel_->CheckIn(desk_, {.room_id = room_.id, .by_hand = {passport}}),
              StatusIs(StatusCode::kPermissionDenied, "staff_required"));
  // An expired and a revoked ID card.
  auto expired = NewCitizen("13912345681", "370282198001011234");
  IssueIdCard("370282198001011234", "2025-01-01");
  EXPECT_THAT(hotel_->CheckIn(desk_, {.room_id = room_.id, .codes = {Code(expired)}}),
              StatusIs(StatusCode::kFailedPrecondition, "id_card_expired"));
  auto revoked = NewCitizen("13912345682", "370282198502021238");
  IssueIdCard("370282198502021238", "2044-01-01", vault::CertificateStatus::kRevoked);
  EXPECT_THAT(hotel_->CheckIn(desk_, {.room_id = room_.id, .codes = {Code(revoked)}}),
              StatusIs(StatusCode::kFailedPrecondition, "id_card_not_valid"));
  // A terminal of another scene is no front desk.
  platform::Principal gate = desk_;
  gate.scene = code::Scene::kTransit;
  EXPECT_THAT(hotel_->CheckIn(gate, {.room_id = room_.id, .codes = {Code(adult_)}}),
              StatusIs(StatusCode::kPermissionDenied, "not_a_hotel_terminal"));
  EXPECT_EQ(Counts(), before);

  // An occupied room is refused before any code is spent.
  ASSERT_TRUE(hotel_->CheckIn(desk_, {.room_id = room_.id, .codes = {Code(adult_)}}).ok());
  const auto occupied = Counts();
  const std::string unused = Code(friend_);
  EXPECT_THAT(hotel_->CheckIn(desk_, {.room_id = room_.id, .codes = {unused}}),
              StatusIs(StatusCode::kAlreadyExists, "room_occupied"));
  EXPECT_EQ(Counts(), occupied);
  EXPECT_TRUE(hotel_->CheckIn(desk_, {.room_id = room2_.id, .codes = {unused}}).ok())
      << "the refused check-in did not spend the code";
}

TEST_P(HotelTest, AGuestByHandIsEnteredByTheClerkAndSealedAtRest) {
  platform::Principal desk = desk_;
  desk.staff_id = "staff_clerk1";
  const HandEntry passport{.record = {.name = "JOHN SMITH",
                                      .document_type = "passport",
                                      .document_number = "X1234567",
                                      .sex = "M",
                                      .birth_date = "1985-01-02",
                                      .nationality = "GBR"}};
  auto stay =
      hotel_->CheckIn(desk, {.room_id = room_.id, .codes = {Code(adult_)}, .by_hand = {passport}});
  ASSERT_TRUE(stay.ok()) << stay.status().ToString();
  ASSERT_EQ(stay->guests.size(), 2u);
  EXPECT_EQ(stay->guests[0].source, GuestSource::kHand);
  EXPECT_EQ(stay->guests[0].entered_by, "staff_clerk1");
  EXPECT_EQ(stay->guests[1].source, GuestSource::kCode);
  // Nothing of the records is readable in the table.
  auto tx = db().Begin(store::TransactionMode::kRead);
  auto rows = (*tx)->Query("SELECT record_sealed FROM hotel_guests");
  ASSERT_TRUE(rows.ok());
  for (const store::Row& row : *rows) {
    const std::string raw(AsChars(row.Blob(0)));
    EXPECT_THAT(raw, Not(HasSubstr("X1234567")));
    EXPECT_THAT(raw, Not(HasSubstr(std::string(kAdult))));
  }
  // Cancelled (an entry in error): reported too, and the room is free.
  ASSERT_TRUE(hotel_->Cancel(desk, stay->id, "录入错误").ok());
  EXPECT_THAT(hotel_->CheckOut(desk, stay->id),
              StatusIs(StatusCode::kFailedPrecondition, "stay_ended"));
  const auto sent = Deliver();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].body["data"]["guest"]["document_number"], "X1234567");
  EXPECT_EQ(sent[2].body["type"], "hotel.stay.cancelled");
  EXPECT_TRUE(hotel_->CheckIn(desk_, {.room_id = room_.id, .codes = {Code(friend_)}}).ok());
}

TEST_P(HotelTest, TheDeskSeesItsOwnRoomsFreeOrHoldingAStay) {
  auto free = hotel_->DeskRooms(desk_);
  ASSERT_TRUE(free.ok()) << free.status().ToString();
  ASSERT_EQ(free->size(), 2u) << "another hotel's rooms are not listed";
  EXPECT_EQ((*free)[0].room.number, "305");
  EXPECT_EQ((*free)[1].room.number, "306");
  for (const DeskRoom& r : *free) EXPECT_EQ(r.stay_id, "") << r.room.number;

  auto stay = hotel_->CheckIn(desk_, {.room_id = room_.id, .codes = {Code(adult_)}});
  ASSERT_TRUE(stay.ok()) << stay.status().ToString();
  auto taken = hotel_->DeskRooms(desk_);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ((*taken)[0].stay_id, stay->id);
  ASSERT_TRUE(hotel_->ChangeRoom(desk_, stay->id, room2_.id).ok());
  auto moved = hotel_->DeskRooms(desk_);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ((*moved)[0].stay_id, "");
  EXPECT_EQ((*moved)[1].stay_id, stay->id);
  ASSERT_TRUE(hotel_->CheckOut(desk_, stay->id).ok());
  auto left = hotel_->DeskRooms(desk_);
  ASSERT_TRUE(left.ok());
  for (const DeskRoom& r : *left) EXPECT_EQ(r.stay_id, "") << r.room.number;

  platform::Principal gate = desk_;
  gate.scene = code::Scene::kTransit;
  EXPECT_THAT(hotel_->DeskRooms(gate),
              StatusIs(StatusCode::kPermissionDenied, "not_a_hotel_terminal"));
}

INSTANTIATE_TEST_SUITE_P(Backends, HotelTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::hotel
