// The hotel scene through the HTTP API, on SQLite and PostgreSQL, with the
// police and tourism systems as two webhook receivers (outbox/receiver.h:
// they verify each signature and de-duplicate by webhook-id): a party of
// three (a co-guest and a minor) checks in by their codes; each guest's
// record reaches the police receiver, then the room change and the
// check-out, in order; the tourism receiver gets the hour's counts and no
// identity; refusals have their codes and send nothing; a receiver that
// answers 410 Gone is disabled and the front desk sees it. Nothing personal
// is in the server's log or the tourism feed.
//
// The relay is driven by RunOnce (the service's own relay thread is
// stopped), so every delivery happens at a known point.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/key.h"
#include "outbox/receiver.h"
#include "tests/support/scene_test.h"
#include "tests/support/service_test.h"
#include "vault/certificate.h"
#include "vault/certificate_types.h"
#include "vault/sample_certificates.h"

namespace citycode {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kName = "测试旅客";
constexpr std::string_view kAdult = "370282199003154516";
constexpr std::string_view kFriend = "370282195001011839";
constexpr std::string_view kMinor = "370282201103150010";  // 15 at the test's today
constexpr std::string_view kAgencyCode = "11370282MB1234567X";
constexpr std::string_view kLicence = "鲁公特字3702820001";

struct Guest {
  std::shared_ptr<const crypto::PrivateKey> device;
  Bytes credential;
};

class HotelApiTest : public testing::ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Configure("hotel-api");
    police_ = StartReceiver("police");
    tourism_ = StartReceiver("tourism");
    ASSERT_TRUE(police_ && tourism_);
    for (auto [name, receiver] :
         {std::pair{"police", police_.get()}, {"tourism", tourism_.get()}}) {
      config_.outbox.destinations.push_back(
          {.name = name,
           .url = "http://127.0.0.1:" + std::to_string(receiver->port()) + "/" + name,
           .signer = {.secrets = {Bytes(32, 7)}}});
    }
    ASSERT_NO_FATAL_FAILURE(StartService(clock_));
    service_->city().outbox().StopRelay();

    // The agency that issues ID cards, through the library.
    vault::Vault& vault = service_->vault();
    auto agency = service_->platform().organisations().Create("即墨区公安分局",
                                                              platform::OrgKind::kIssuingAgency);
    ASSERT_TRUE(agency.ok());
    agency_id_ = agency->id;
    ASSERT_TRUE(vault
                    .RegisterIssuer({.org_id = agency_id_,
                                     .credit_code = std::string(kAgencyCode),
                                     .name = "青岛市公安局即墨分局"},
                                    "admin")
                    .ok());
    ASSERT_TRUE(vault.AddIssuerKey(agency_id_, agency_key_.public_key(), "admin").ok());

    // The hotel, through the API: its front desk, licence, rooms, and the
    // right to request ID cards.
    json org =
        SendJson("POST", "/v1/orgs", {{"name", "即墨古城酒店"}, {"kind", "hotel"}}, admin_, 201);
    hotel_id_ = org.value("id", "");
    json site =
        SendJson("POST", "/v1/orgs/" + hotel_id_ + "/sites", {{"name", "前台"}}, admin_, 201);
    json desk = SendJson("POST", "/v1/orgs/" + hotel_id_ + "/terminals",
                         {{"site_id", site["id"]}, {"name", "前台1"}}, admin_, 201);
    desk_ = desk.value("api_key", "");
    SendJson("POST", "/v1/orgs/" + hotel_id_ + "/vault/types",
             {{"may_request", {"resident_id_card"}}, {"on_presentation", {"resident_id_card"}}},
             admin_, 200);
    SendJson("POST", "/v1/orgs/" + hotel_id_ + "/hotel/licence", {{"licence_number", kLicence}},
             admin_, 200);
    for (const char* number : {"305", "306", "307"}) {
      json room = SendJson("POST", "/v1/orgs/" + hotel_id_ + "/hotel/rooms", {{"number", number}},
                           admin_, 201);
      rooms_[number] = room.value("id", "");
    }
    adult_ = NewGuest("13912345678", kAdult);
    friend_ = NewGuest("13912345679", kFriend);
    minor_ = NewGuest("13912345680", kMinor);
  }

  std::unique_ptr<outbox::Receiver> StartReceiver(const std::string& name) {
    auto receiver = outbox::Receiver::Start(
        {.verifier = {.secrets = {Bytes(32, 7)}}, .store_file = dir_->path() / (name + ".jsonl")},
        clock_);
    EXPECT_TRUE(receiver.ok()) << receiver.status().ToString();
    return receiver.ok() ? std::move(*receiver) : nullptr;
  }

  // A verified citizen with a phone and an ID card in the vault.
  Guest NewGuest(std::string_view phone, std::string_view id_number) {
    platform::Platform& platform = service_->platform();
    auto id = platform.citizens().Register({.name = std::string(kName),
                                            .id_number = std::string(id_number),
                                            .phone = std::string(phone),
                                            .password = "correct horse"});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    auto confirmed = platform.identities().ConfirmInPerson(
        *id, {std::string(kName), std::string(id_number)}, "term_test_window");
    EXPECT_TRUE(confirmed.ok()) << confirmed.status().ToString();
    Guest guest{.device = std::make_shared<const crypto::PrivateKey>(
                    *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519))};
    auto issued = platform.devices().Enrol(
        {.citizen_id = *id, .device_key = guest.device->public_key(), .label = "phone"});
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    guest.credential = issued->credential;
    IssueIdCard(id_number);
    return guest;
  }

  void IssueIdCard(std::string_view id_number) {
    auto c = vault::SampleCertificate(*vault::FindCertificateType("resident_id_card"),
                                      {std::string(kName), std::string(id_number)},
                                      {"青岛市公安局即墨分局", std::string(kAgencyCode)}, ++serial_,
                                      "2024-03-01", "2044-03-01");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    auto issued = service_->vault().Issue(agency_id_, *vault::SignCertificate(*c, agency_key_));
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
  }

  std::string Code(const Guest& guest) {
    auto bytes = code::MakePresentation(
        {.credential = guest.credential, .made_at = clock_.Now(), .counter = ++counter_},
        *guest.device);
    EXPECT_TRUE(bytes.ok());
    return code::ToQrText(*bytes);
  }

  // Relay rounds until none claims anything.
  void Deliver() {
    for (int round = 0; round < 50; ++round) {
      auto ran = service_->city().outbox().RunOnce();
      ASSERT_TRUE(ran.ok()) << ran.status().ToString();
      if (ran->claimed == 0) return;
    }
  }

  // What a receiver stored: each body, in the order received.
  std::vector<json> Received(const std::string& name) {
    std::vector<json> out;
    std::ifstream in(dir_->path() / (name + ".jsonl"));
    for (std::string line; std::getline(in, line);) {
      json stored = json::parse(line, nullptr, false);
      if (stored.is_object())
        out.push_back(json::parse(stored.value("body", "{}"), nullptr, false));
    }
    return out;
  }

  std::map<std::string, std::int64_t> Counts() {
    const char* tables[] = {"hotel_stays", "hotel_guests", "outbox_events"};
    return RowCounts(tables);
  }

  ManualClock clock_{testing::kSceneTestStart};  // 2026-08-06 15:06 in Jimo
  const crypto::PrivateKey agency_key_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  std::unique_ptr<outbox::Receiver> police_, tourism_;
  std::string agency_id_, hotel_id_, desk_;
  std::map<std::string, std::string> rooms_;
  Guest adult_, friend_, minor_;
  int serial_ = 0;
  std::uint64_t counter_ = 0;
};

TEST_P(HotelApiTest, APartyChecksInByCodeAndThePoliceGetEveryRecordInOrder) {
  ::testing::internal::CaptureStderr();
  json stay =
      SendJson("POST", "/v1/hotel/stays",
               {{"room_id", rooms_["305"]}, {"codes", {Code(adult_), Code(friend_), Code(minor_)}}},
               desk_, 201);
  ASSERT_EQ(stay["guests"].size(), 3u) << stay;
  EXPECT_EQ(stay["guests"][2]["minor"], true);
  EXPECT_FALSE(stay["guests"][0].contains("document_number")) << "the desk sees names only";
  const std::string path = "/v1/hotel/stays/" + stay.value("id", "");
  Deliver();
  SendJson("POST", path + "/room", {{"room_id", rooms_["306"]}}, desk_, 200);
  clock_.Advance(std::chrono::hours(18));
  SendJson("POST", path + "/check-out", nullptr, desk_, 200);
  Deliver();

  const std::vector<json> police = Received("police");
  ASSERT_EQ(police.size(), 5u);
  std::vector<std::string> types;
  for (std::size_t i = 0; i < police.size(); ++i) {
    types.push_back(police[i].value("type", ""));
    EXPECT_EQ(police[i]["sequence"], i + 1) << "one stream, in order";
    EXPECT_EQ(police[i]["data"]["hotel"]["licence_number"], kLicence);
  }
  EXPECT_THAT(types, ::testing::ElementsAre("hotel.guest.checked_in", "hotel.guest.checked_in",
                                            "hotel.guest.checked_in", "hotel.stay.room_changed",
                                            "hotel.stay.checked_out"));
  EXPECT_EQ(police[0]["data"]["guest"]["document_number"], kAdult);
  EXPECT_EQ(police[2]["data"]["guest"]["minor"], true);
  EXPECT_EQ(police[3]["data"]["room"], "306");
  json seen = SendJson("GET", path, nullptr, desk_, 200);
  for (const json& report : seen["reports"]) EXPECT_EQ(report["state"], "delivered") << report;

  // The tourism platform: the hours' counts, without identities.
  ASSERT_TRUE(service_->city().scene("hotel")->Upkeep().ok());
  Deliver();
  std::int64_t arrivals = 0, peak = 0;
  for (const json& counts : Received("tourism")) {
    EXPECT_EQ(counts["type"], "hotel.counts.hourly");
    EXPECT_THAT(counts.dump(), Not(HasSubstr(std::string(kAdult))));
    EXPECT_THAT(counts.dump(), Not(HasSubstr(std::string(kName))));
    arrivals += counts["data"]["arrivals"].get<std::int64_t>();
    peak = std::max(peak, counts["data"]["in_house"].get<std::int64_t>());
  }
  EXPECT_EQ(arrivals, 3);
  EXPECT_EQ(peak, 3);
  const std::string log = ::testing::internal::GetCapturedStderr();
  for (std::string_view secret : {kAdult, kFriend, kMinor, kName}) {
    EXPECT_THAT(log, Not(HasSubstr(std::string(secret)))) << "nothing personal in the log";
  }
}

TEST_P(HotelApiTest, RefusalsHaveTheirCodesAndSendNothing) {
  const auto before = Counts();
  ExpectRefused("POST", "/v1/hotel/stays",
                json{{"room_id", rooms_["305"]}, {"codes", {Code(minor_)}}}.dump(), desk_, 409,
                "minor_without_adult");
  ExpectRefused("POST", "/v1/hotel/stays",
                json{{"room_id", "room_unknown"}, {"codes", {Code(adult_)}}}.dump(), desk_, 404,
                "not_found");
  ExpectRefused("POST", "/v1/hotel/stays",
                json{{"room_id", rooms_["305"]},
                     {"by_hand",
                      {{{"name", "JOHN SMITH"},
                        {"document_type", "passport"},
                        {"document_number", "X1234567"},
                        {"sex", "M"},
                        {"birth_date", "1985-01-02"},
                        {"nationality", "GBR"}}}}}
                    .dump(),
                desk_, 403, "staff_required");
  ExpectRefused("POST", "/v1/hotel/stays",
                json{{"room_id", rooms_["305"]}, {"by_hand", {{{"name", 7}}}}}.dump(), desk_, 400,
                "bad_guest");
  ExpectRefused("POST", "/v1/hotel/stays", json{{"room_id", rooms_["305"]}}.dump(), desk_, 400,
                "invalid_argument");
  ExpectRefused("POST", "/v1/hotel/stays",
                json{{"room_id", rooms_["305"]}, {"codes", {Code(adult_)}}}.dump(), admin_, 403,
                "permission_denied");
  EXPECT_EQ(Counts(), before);
  SendJson("POST", "/v1/hotel/stays", {{"room_id", rooms_["305"]}, {"codes", {Code(adult_)}}},
           desk_, 201);
  const auto checked_in = Counts();
  ExpectRefused("POST", "/v1/hotel/stays",
                json{{"room_id", rooms_["305"]}, {"codes", {Code(friend_)}}}.dump(), desk_, 409,
                "room_occupied");
  EXPECT_EQ(Counts(), checked_in);
  Deliver();
  EXPECT_EQ(police_->counts().stored, 1u);
}

TEST_P(HotelApiTest, AReceiverThatAnswers410IsDisabledAndTheDeskSeesIt) {
  police_->SetFault({.fault = outbox::ReceiverFault::kGone410});
  json stay = SendJson("POST", "/v1/hotel/stays",
                       {{"room_id", rooms_["307"]}, {"codes", {Code(adult_)}}}, desk_, 201);
  Deliver();
  json feeds = SendJson("GET", "/v1/hotel/feeds", nullptr, desk_, 200);
  ASSERT_EQ(feeds["feeds"].size(), 2u) << feeds;
  EXPECT_EQ(feeds["feeds"][0]["destination"], "police");
  EXPECT_EQ(feeds["feeds"][0]["disabled"], true) << feeds;
  EXPECT_EQ(feeds["feeds"][0]["pending"], 1);
  json seen = SendJson("GET", "/v1/hotel/stays/" + stay.value("id", ""), nullptr, desk_, 200);
  EXPECT_EQ(seen["reports"][0]["state"], "pending");
  EXPECT_EQ(seen["reports"][0]["last_error"], "HTTP 410 Gone: destination disabled") << seen;
  // A day later the report is overdue, and the desk's list says so.
  clock_.Advance(std::chrono::hours(25));
  json stays = SendJson("GET", "/v1/hotel/stays", nullptr, desk_, 200);
  ASSERT_EQ(stays["stays"].size(), 1u);
  EXPECT_EQ(stays["stays"][0]["reports_overdue"], 1);
  EXPECT_EQ(police_->counts().stored, 0u);
}

TEST_P(HotelApiTest, TheDeskListsItsRoomsFreeOrOccupied) {
  json rooms = SendJson("GET", "/v1/hotel/rooms", nullptr, desk_, 200);
  ASSERT_EQ(rooms["rooms"].size(), 3u) << rooms;
  EXPECT_EQ(rooms["rooms"][0]["number"], "305");
  EXPECT_EQ(rooms["rooms"][0]["occupied"], false);
  EXPECT_FALSE(rooms["rooms"][0].contains("stay_id"));
  json stay = SendJson("POST", "/v1/hotel/stays",
                       {{"room_id", rooms_["306"]}, {"codes", {Code(adult_)}}}, desk_, 201);
  rooms = SendJson("GET", "/v1/hotel/rooms", nullptr, desk_, 200);
  EXPECT_EQ(rooms["rooms"][1]["id"], rooms_["306"]);
  EXPECT_EQ(rooms["rooms"][1]["occupied"], true);
  EXPECT_EQ(rooms["rooms"][1]["stay_id"], stay["id"]);
  EXPECT_EQ(rooms["rooms"][2]["occupied"], false);
  // The desk's route is for terminals; an administrator lists …/hotel/rooms.
  ExpectRefused("GET", "/v1/hotel/rooms", "", admin_, 403, "permission_denied");
}

INSTANTIATE_TEST_SUITE_P(Backends, HotelApiTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode
