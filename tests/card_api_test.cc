// Printed cards through the HTTP API, on both backends: a hall window with
// its clerk signed in prints a card for a person without a smartphone; the
// card verifies online at a hall and a bus within its use limit, never at a
// hotel, and a revocation at the window refuses it at once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "code/presentation.h"
#include "common/bytes.h"
#include "qr/qr_reader.h"
#include "tests/support/service_test.h"

namespace citycode {
namespace {

using nlohmann::json;

constexpr std::string_view kName = "测试市民丙";
constexpr std::string_view kIdNumber = "370282195001011839";  // born 1950: a senior

class CardApiTest : public testing::ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Configure("card-api");
    config_.platform.card_uses_per_day = 2;
    ASSERT_NO_FATAL_FAILURE(StartService(clock_));
  }

  struct Org {
    std::string id, site_id, terminal_id, terminal_key;
  };
  Org NewOrg(std::string_view kind, std::string_view terminal) {
    Org out;
    out.id = SendJson("POST", "/v1/orgs", {{"name", "测试 " + std::string(kind)}, {"kind", kind}},
                      admin_, 201)
                 .value("id", "");
    out.site_id = SendJson("POST", "/v1/orgs/" + out.id + "/sites", {{"name", "总部"}}, admin_, 201)
                      .value("id", "");
    const json made = SendJson("POST", "/v1/orgs/" + out.id + "/terminals",
                               {{"site_id", out.site_id}, {"name", terminal}}, admin_, 201);
    out.terminal_id = made.value("id", "");
    out.terminal_key = made.value("api_key", "");
    return out;
  }

  // A registered window of a service hall with a clerk signed in: the
  // window and the clerk's header.
  std::pair<Org, Headers> HallWindow() {
    const Org hall = NewOrg("service_hall", "3号窗口");
    SendJson("POST", "/v1/orgs/" + hall.id + "/gov/windows",
             {{"terminal_id", hall.terminal_id}, {"name", "3号窗口"}}, admin_, 200);
    const std::string hall_admin =
        SendJson("POST", "/v1/orgs/" + hall.id + "/admin-keys", {{"name", "it"}}, admin_, 201)
            .value("api_key", "");
    SendJson("POST", "/v1/orgs/" + hall.id + "/staff",
             {{"login", "clerk1"}, {"name", "王窗口"}, {"password", "counter-1"}}, hall_admin, 201);
    const json session =
        SendJson("POST", "/v1/terminal/staff-sessions",
                 {{"login", "clerk1"}, {"password", "counter-1"}}, hall.terminal_key, 201);
    return {hall, {{"X-Staff-Session", session.value("token", "")}}};
  }

  json Verify(const std::string& terminal_key, const std::string& qr) {
    return SendJson("POST", "/v1/verify", {{"code", qr}}, terminal_key, 200);
  }

  SystemClock clock_;
};

TEST_P(CardApiTest, AWindowPrintsACardThatWorksWithinItsLimitsUntilRevoked) {
  const auto [hall, as_clerk] = HallWindow();
  const json person = {{"name", kName}, {"id_number", kIdNumber}};

  // The routes are in the OpenAPI document.
  const json doc = SendJson("GET", "/v1/openapi.json", nullptr, {}, 200);
  for (const char* path : {"/v1/gov/cards", "/v1/gov/cards/revoke", "/v1/me/cards"}) {
    EXPECT_TRUE(doc["paths"].contains(path)) << path;
  }

  // Without the clerk signed in, nothing is printed.
  ExpectRefused("POST", "/v1/gov/cards", person.dump(), hall.terminal_key, 403, "staff_required");
  EXPECT_EQ(SendJson("POST", "/v1/gov/cards", {{"name", "x"}, {"id_number", "370282199003154514"}},
                     hall.terminal_key, 400, as_clerk)["error"]["code"],
            "id_number_invalid");

  const json card = SendJson("POST", "/v1/gov/cards", person, hall.terminal_key, 201, as_clerk);
  const std::string qr = card.value("qr", "");
  ASSERT_TRUE(qr.starts_with("CC1:")) << card;
  EXPECT_TRUE(card.value("account_created", false)) << card;
  EXPECT_EQ(card["scenes"], json::array({"gov", "transit", "access"}));
  EXPECT_EQ(card.value("card_id", "").size(), 32u);
  EXPECT_FALSE(card.contains("citizen_id"));
  // The PNG for the printer holds the same text.
  auto png = Base64Decode(card.value("qr_png", ""));
  ASSERT_TRUE(png.ok());
  auto read = qr::ReadQrFromPng(*png);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, qr);

  // Online at a hall and on a bus: valid, a senior's card, twice in 24 h.
  const Org bus = NewOrg("transit_operator", "101路1号车");
  const Org hotel = NewOrg("hotel", "前台1");
  json verified = Verify(bus.terminal_key, qr);
  EXPECT_TRUE(verified.value("valid", false)) << verified;
  EXPECT_EQ(verified["channel"], "card");
  EXPECT_EQ(verified["rider_category"], "senior");
  EXPECT_EQ(Verify(hotel.terminal_key, qr)["reason"], "scene_not_allowed");
  EXPECT_EQ(Verify(hall.terminal_key, qr)["reason"], "valid");
  EXPECT_EQ(Verify(bus.terminal_key, qr)["reason"], "card_use_limit");

  // Lost: the window revokes it, refused at once.
  ExpectRefused("POST", "/v1/gov/cards/revoke", person.dump(), hall.terminal_key, 403,
                "staff_required");
  EXPECT_EQ(
      SendJson("POST", "/v1/gov/cards/revoke", person, hall.terminal_key, 200, as_clerk)["revoked"],
      true);
  EXPECT_EQ(Verify(hall.terminal_key, qr)["reason"], "credential_revoked");
  EXPECT_EQ(SendJson("POST", "/v1/gov/cards/revoke", person, hall.terminal_key, 404,
                     as_clerk)["error"]["code"],
            "no_card");
  // A new card for the same person: the same account.
  const json again = SendJson("POST", "/v1/gov/cards", person, hall.terminal_key, 201, as_clerk);
  EXPECT_FALSE(again.value("account_created", true)) << again;
  EXPECT_EQ(Verify(bus.terminal_key, again.value("qr", ""))["reason"], "valid");
}

// A citizen with a phone account verified online gets the card on that
// account, sees it and revokes it.
TEST_P(CardApiTest, TheCardReachesTheVerifiedAccountWhichListsAndRevokesIt) {
  const std::string id_number = "370282199003154516";
  RegisterCitizen("测试市民乙", id_number, "13912345678", "correct horse");
  const std::string session =
      SendJson("POST", "/v1/sessions", {{"phone", "13912345678"}, {"password", "correct horse"}},
               {}, 201)
          .value("token", "");
  ASSERT_NO_FATAL_FAILURE(VerifyIdentity(session, "测试市民乙", id_number));
  const auto [hall, as_clerk] = HallWindow();
  // Another name for the verified number: nothing is printed.
  EXPECT_EQ(SendJson("POST", "/v1/gov/cards", {{"name", "别人"}, {"id_number", id_number}},
                     hall.terminal_key, 409, as_clerk)["error"]["code"],
            "person_mismatch");
  const json card =
      SendJson("POST", "/v1/gov/cards", {{"name", "测试市民乙"}, {"id_number", id_number}},
               hall.terminal_key, 201, as_clerk);
  EXPECT_FALSE(card.value("account_created", true)) << card;
  // The window checked the ID card: the account is verified in person now.
  EXPECT_EQ(SendJson("GET", "/v1/me/identity", nullptr, session, 200)["level"],
            "identity_in_person");
  const json listed = SendJson("GET", "/v1/me/cards", nullptr, session, 200);
  ASSERT_EQ(listed["cards"].size(), 1u) << listed;
  EXPECT_EQ(listed["cards"][0]["card_id"], card["card_id"]);
  EXPECT_EQ(listed["cards"][0]["revoked"], false);
  EXPECT_EQ(Verify(hall.terminal_key, card.value("qr", ""))["reason"], "valid");
  EXPECT_EQ(SendJson("POST", "/v1/me/cards/revoke", nullptr, session, 200)["revoked"], true);
  EXPECT_EQ(Verify(hall.terminal_key, card.value("qr", ""))["reason"], "credential_revoked");
  EXPECT_EQ(SendJson("GET", "/v1/me/cards", nullptr, session, 200)["cards"][0]["revoke_reason"],
            "card_lost");
  EXPECT_EQ(SendJson("POST", "/v1/me/cards/revoke", nullptr, session, 404)["error"]["code"],
            "no_card");
}

INSTANTIATE_TEST_SUITE_P(Backends, CardApiTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode
