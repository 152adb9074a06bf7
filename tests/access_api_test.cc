// The access scene through the HTTP API, on SQLite and PostgreSQL: 200
// concurrent bookings for slots of capacity 50 yield exactly 50 and one
// person's concurrent bookings stop at the daily limit; a gate downloads its
// site's signed list (ETag, 304, deltas) and decides offline with it, and
// refuses an older one; passages uploaded twice count once; refusals have
// their codes and change nothing.
//
// The service runs in-process on a ManualClock; threads start together on a
// latch, never after a sleep.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <latch>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "api_client/http_client.h"
#include "code/access_gate.h"
#include "code/presentation.h"
#include "code/trust_list.h"
#include "code/verifier.h"
#include "crypto/key.h"
#include "server/service.h"
#include "tests/support/people.h"
#include "tests/support/service_test.h"

namespace citycode {
namespace {

using api_client::HttpReply;
using nlohmann::json;
using std::chrono::hours;

const Instant kStart = FromUnixSeconds(1'786'000'000);  // 2026-08-06 15:06 in Jimo
constexpr std::string_view kPassword = "correct horse";
constexpr const char* kAccessTables[] = {"access_sites",    "access_members", "access_slots",
                                         "access_bookings", "access_passes",  "access_passages"};

struct SiteSetup {
  std::string org_id;
  std::string site_id;
  std::string gate_key;
};

struct Person {
  std::string citizen_id;
  std::string id_number;
  std::string session;
  std::shared_ptr<const crypto::PrivateKey> device;
  Bytes credential;
};

class AccessApiTest : public testing::ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Configure("access-api");
    ASSERT_NO_FATAL_FAILURE(StartService(clock_));
  }

  SiteSetup NewSite(std::string_view name, std::string_view policy) {
    SiteSetup out;
    json org = SendJson("POST", "/v1/orgs", {{"name", name}, {"kind", "access_site"}}, admin_, 201);
    out.org_id = org.value("id", "");
    json site =
        SendJson("POST", "/v1/orgs/" + out.org_id + "/sites", {{"name", "门"}}, admin_, 201);
    out.site_id = site.value("id", "");
    json gate = SendJson("POST", "/v1/orgs/" + out.org_id + "/terminals",
                         {{"site_id", out.site_id}, {"name", "闸机1"}}, admin_, 201);
    out.gate_key = gate.value("api_key", "");
    SendJson("POST", "/v1/orgs/" + out.org_id + "/access/sites/" + out.site_id,
             {{"policy", policy}, {"opens", "07:00"}, {"closes", "22:00"}}, admin_, 200);
    return out;
  }

  // A verified citizen with a phone, logged in over HTTP (made through the
  // library: the SMS limits would stop 200 registrations from one address).
  Person NewPerson(int serial) {
    Person person{.id_number = testing::IdNumber(serial),
                  .device = std::make_shared<const crypto::PrivateKey>(
                      *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519))};
    const std::string phone = "1391230" + std::to_string(1000 + serial);
    platform::Platform& platform = service_->platform();
    auto id = platform.citizens().Register({.name = "测试市民",
                                            .id_number = person.id_number,
                                            .phone = phone,
                                            .password = std::string(kPassword)});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (!id.ok()) return person;
    person.citizen_id = *id;
    EXPECT_TRUE(platform.identities()
                    .ConfirmInPerson(*id, {"测试市民", person.id_number}, "term_test_window")
                    .ok());
    auto issued = platform.devices().Enrol(
        {.citizen_id = *id, .device_key = person.device->public_key(), .label = "phone"});
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    if (issued.ok()) person.credential = issued->credential;
    json session =
        SendJson("POST", "/v1/sessions", {{"phone", phone}, {"password", kPassword}}, {}, 201);
    person.session = session.value("token", "");
    return person;
  }

  std::string Code(const Person& person) {
    auto bytes = code::MakePresentation(
        {.credential = person.credential, .made_at = clock_.Now(), .counter = ++counter_},
        *person.device);
    EXPECT_TRUE(bytes.ok());
    return bytes.ok() ? code::ToQrText(*bytes) : "";
  }

  // A slot of the site `hours_ahead` hours from the hour now.
  std::string NewSlot(const SiteSetup& site, int capacity, int hours_ahead = 1) {
    const Instant starts = std::chrono::floor<hours>(clock_.Now()) + hours(hours_ahead);
    json slot =
        SendJson("POST", "/v1/orgs/" + site.org_id + "/access/sites/" + site.site_id + "/slots",
                 {{"starts_at", FormatRfc3339(starts)},
                  {"ends_at", FormatRfc3339(starts + hours(1))},
                  {"capacity", capacity}},
                 admin_, 201);
    return slot.value("id", "");
  }

  // Everyone's replies to the same request, sent together.
  std::vector<HttpReply> SendTogether(const std::vector<std::string>& sessions,
                                      const std::vector<std::string>& bodies,
                                      std::string_view target) {
    std::vector<std::unique_ptr<api_client::HttpClient>> clients;
    for (std::size_t i = 0; i < sessions.size(); ++i) {
      auto client = api_client::HttpClient::Create(base_url_);
      EXPECT_TRUE(client.ok());
      clients.push_back(std::move(*client));
    }
    std::vector<HttpReply> replies(sessions.size());
    std::latch start(static_cast<std::ptrdiff_t>(sessions.size()));
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < sessions.size(); ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto reply = clients[i]->Send("POST", target, bodies[i],
                                      {{"Authorization", "Bearer " + sessions[i]}});
        if (reply.ok()) replies[i] = *reply;
      });
    }
    for (std::thread& thread : threads) thread.join();
    return replies;
  }

  // A gate's offline verifier from the lists the service publishes.
  std::unique_ptr<code::Verifier> GateVerifier() {
    const crypto::PublicKey& root = service_->platform().signing_keys().root_public_key();
    auto trust = code::VerifyTrustList(Send("GET", "/v1/lists/trust", "", {}).body, root);
    auto revoked =
        code::VerifyRevocationList(Send("GET", "/v1/lists/revocation", "", {}).body, root);
    EXPECT_TRUE(trust.ok() && revoked.ok());
    return std::make_unique<code::Verifier>(clock_, *trust, *revoked);
  }

  ManualClock clock_{kStart};
  std::uint64_t counter_ = 0;
};

// The acceptance line: 200 concurrent bookings for slots of capacity 50
// (threads, real HTTP) yield exactly 50.
TEST_P(AccessApiTest, TwoHundredConcurrentBookingsFillFiftyPlacesExactly) {
  constexpr int kPeople = 200;
  constexpr int kCapacity = 50;
  const SiteSetup park = NewSite("鹤山风景区", "reservations");
  const std::string slot = NewSlot(park, kCapacity);
  std::vector<std::string> sessions, bodies;
  for (int i = 0; i < kPeople; ++i) {
    sessions.push_back(NewPerson(i).session);
    ASSERT_FALSE(sessions.back().empty());
    bodies.push_back(json{{"slot_id", slot}}.dump());
  }
  int booked = 0, full = 0;
  for (const HttpReply& reply : SendTogether(sessions, bodies, "/v1/me/access/bookings")) {
    if (reply.status == 201) {
      ++booked;
    } else if (reply.status == 409 && ErrorCode(reply) == "slot_full") {
      ++full;
    } else {
      ADD_FAILURE() << reply.status << " " << reply.body;
    }
  }
  EXPECT_EQ(booked, kCapacity);
  EXPECT_EQ(full, kPeople - kCapacity);
  auto tx = db().Begin(store::TransactionMode::kRead);
  EXPECT_EQ((*tx)->QueryOne("SELECT booked FROM access_slots")->Int(0), kCapacity);
  EXPECT_EQ((*tx)->QueryOne("SELECT COUNT(*) FROM access_bookings")->Int(0), kCapacity);
}

// One person's bookings of eight slots of one day at once stop at the
// daily limit (2).
TEST_P(AccessApiTest, OnePersonsConcurrentBookingsStopAtTheDailyLimit) {
  const SiteSetup park = NewSite("鹤山风景区", "reservations");
  const Person person = NewPerson(1);
  std::vector<std::string> sessions, bodies;
  for (int i = 0; i < 8; ++i) {
    sessions.push_back(person.session);
    bodies.push_back(json{{"slot_id", NewSlot(park, 10, 1 + i % 4)}}.dump());
  }
  int booked = 0, refused = 0;
  for (const HttpReply& reply : SendTogether(sessions, bodies, "/v1/me/access/bookings")) {
    if (reply.status == 201) {
      ++booked;
    } else if (reply.status == 409 && ErrorCode(reply) == "booking_limit") {
      ++refused;
    } else {
      ADD_FAILURE() << reply.status << " " << reply.body;
    }
  }
  EXPECT_EQ(booked, 2);
  EXPECT_EQ(refused, 6);
}

TEST_P(AccessApiTest, AGateDecidesOfflineFromItsListAndItsDeltas) {
  const SiteSetup court = NewSite("即墨区人民法院", "staff");
  const SiteSetup office = NewSite("即墨科技创新中心", "staff");
  const Person staff = NewPerson(1), leaving = NewPerson(2);
  const std::string members =
      "/v1/orgs/" + court.org_id + "/access/sites/" + court.site_id + "/members";
  SendJson("POST", members, {{"name", "测试市民"}, {"id_number", staff.id_number}}, admin_, 201);
  json removed = SendJson("POST", members, {{"name", "测试市民"}, {"id_number", leaving.id_number}},
                          admin_, 201);
  const std::string list = "/v1/access/sites/" + court.site_id + "/allow-list";
  HttpReply first = Send("GET", list, "", court.gate_key);
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string etag = first.headers["etag"];
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(Send("GET", list, "", court.gate_key, {{"If-None-Match", etag}}).status, 304);

  auto verifier = GateVerifier();
  const crypto::PublicKey& root = service_->platform().signing_keys().root_public_key();
  code::AccessGate gate(*verifier, clock_, root, court.site_id);
  ASSERT_TRUE(gate.Load(first.body).ok());
  EXPECT_TRUE(gate.Decide(Code(staff)).admitted);
  EXPECT_TRUE(gate.Decide(Code(leaving)).admitted);

  SendJson("DELETE", members + "/" + removed.value("id", ""), nullptr, admin_, 200);
  HttpReply delta =
      Send("GET", list + "?since=" + std::to_string(gate.version()), "", court.gate_key);
  ASSERT_EQ(delta.status, 200) << delta.body;
  ASSERT_TRUE(gate.Apply(delta.body).ok());
  EXPECT_EQ(gate.Decide(Code(leaving)).reason, "not_on_allow_list");
  EXPECT_TRUE(gate.Decide(Code(staff)).admitted);
  EXPECT_EQ(
      Send("GET", list + "?since=" + std::to_string(gate.version()), "", court.gate_key).status,
      304);
  // The older list is refused and changes nothing.
  EXPECT_EQ(gate.Load(first.body).reason(), "list_rolled_back");
  EXPECT_EQ(gate.Decide(Code(leaving)).reason, "not_on_allow_list");
  // A gate of another site, a bad version.
  ExpectRefused("GET", list, "", office.gate_key, 403, "site_other");
  ExpectRefused("GET", list + "?since=x", "", court.gate_key, 400, "bad_since");
  // The passages, uploaded twice, count once.
  const json passages = {{"passages",
                          {{{"sequence", 1},
                            {"at", FormatRfc3339(clock_.Now())},
                            {"code", Code(staff)},
                            {"admitted", true},
                            {"reason", "admitted"}},
                           {{"sequence", 2},
                            {"at", FormatRfc3339(clock_.Now())},
                            {"code", Code(leaving)},
                            {"admitted", false},
                            {"reason", "not_on_allow_list"}}}}};
  json upload = SendJson("POST", "/v1/access/passages", passages, court.gate_key, 200);
  EXPECT_EQ(upload["accepted"], 2);
  upload = SendJson("POST", "/v1/access/passages", passages, court.gate_key, 200);
  EXPECT_EQ(upload["accepted"], 0);
  EXPECT_EQ(upload["duplicates"], 2);
}

// A site's anti-passback and printed cards are set by the route and kept
// when a later call (new opening hours) leaves them out.
TEST_P(AccessApiTest, ASitesFlagsAreSetAndKeptWhenLeftOut) {
  const SiteSetup community = NewSite("墨河社区", "residents");
  const std::string path = "/v1/orgs/" + community.org_id + "/access/sites/" + community.site_id;
  json site = SendJson("POST", path,
                       {{"policy", "residents"}, {"anti_passback", true}, {"allow_cards", true}},
                       admin_, 200);
  EXPECT_EQ(site["anti_passback"], true) << site;
  EXPECT_EQ(site["allow_cards"], true) << site;
  site = SendJson("POST", path, {{"policy", "residents"}, {"opens", "06:00"}, {"closes", "23:00"}},
                  admin_, 200);
  EXPECT_EQ(site["opens"], "06:00") << site;
  EXPECT_EQ(site["anti_passback"], true) << site;
  EXPECT_EQ(site["allow_cards"], true) << site;
  site = SendJson("POST", path, {{"policy", "residents"}, {"allow_cards", false}}, admin_, 200);
  EXPECT_EQ(site["anti_passback"], true) << site;
  EXPECT_EQ(site["allow_cards"], false) << site;
  ExpectRefused("POST", path, R"({"policy":"residents","allow_cards":"yes"})", admin_, 400,
                "wrong_type");
  const json listed =
      SendJson("GET", "/v1/orgs/" + community.org_id + "/access/sites", nullptr, admin_, 200);
  ASSERT_EQ(listed["sites"].size(), 1u) << listed;
  EXPECT_EQ(listed["sites"][0]["allow_cards"], false) << listed;
}

TEST_P(AccessApiTest, RefusedRequestsHaveTheirCodesAndChangeNothing) {
  const SiteSetup park = NewSite("鹤山风景区", "reservations");
  const SiteSetup community = NewSite("墨河社区", "residents");
  const Person resident = NewPerson(1), other = NewPerson(2);
  SendJson("POST",
           "/v1/orgs/" + community.org_id + "/access/sites/" + community.site_id + "/members",
           {{"name", "测试市民"}, {"id_number", resident.id_number}, {"household", "3-2-501"}},
           admin_, 201);
  const std::string full = NewSlot(park, 1);
  const std::string past = NewSlot(park, 5, 0);
  SendJson("POST", "/v1/me/access/bookings", {{"slot_id", full}}, other.session, 201);
  const json pass = {{"site_id", community.site_id},
                     {"valid_from", FormatRfc3339(clock_.Now())},
                     {"valid_until", FormatRfc3339(clock_.Now() + hours(2))},
                     {"entries", 1}};
  for (int i = 0; i < 5; ++i) SendJson("POST", "/v1/me/access/passes", pass, resident.session, 201);
  clock_.Advance(hours(1));  // the slot that started at the hour is over
  const auto before = RowCounts(kAccessTables);

  ExpectRefused("POST", "/v1/me/access/bookings", json{{"slot_id", full}}.dump(), resident.session,
                409, "slot_full");
  ExpectRefused("POST", "/v1/me/access/bookings", json{{"slot_id", past}}.dump(), resident.session,
                409, "slot_past");
  json later = pass;
  later["valid_from"] = FormatRfc3339(clock_.Now());
  ExpectRefused("POST", "/v1/me/access/passes", later.dump(), resident.session, 409, "pass_limit");
  ExpectRefused("POST", "/v1/me/access/passes", later.dump(), other.session, 403, "not_a_resident");
  ExpectRefused("GET", "/v1/access/sites/" + community.site_id + "/allow-list", "", park.gate_key,
                403, "site_other");
  ExpectRefused("POST", "/v1/access/walk-ins", json{{"code", Code(other)}}.dump(),
                community.gate_key, 409, "wrong_policy");
  ExpectRefused("POST", "/v1/access/passages",
                json{{"passages",
                      {{{"sequence", -1},
                        {"at", FormatRfc3339(clock_.Now())},
                        {"code", "x"},
                        {"admitted", true},
                        {"reason", "admitted"}}}}}
                    .dump(),
                park.gate_key, 400, "bad_passage");
  ExpectRefused("POST", "/v1/orgs/" + park.org_id + "/access/sites/" + park.site_id + "/members",
                json{{"name", "测试市民"}, {"id_number", other.id_number}}.dump(), admin_, 409,
                "wrong_policy");
  EXPECT_EQ(RowCounts(kAccessTables), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, AccessApiTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode
