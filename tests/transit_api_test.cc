// The transit scene through the HTTP API, on SQLite and PostgreSQL: a metro
// gate uploads a night's taps (twice: the second upload counts every tap as
// a duplicate), the rider sees the summer night offer's 100 fen, the daily
// clearing balances and is idempotent, and callers of the wrong kind or with
// bad bodies change nothing.
//
// The service runs in-process on a ManualClock. The rider enrols at 21:00 on
// 2026-08-15 in Jimo; each code is made at its tap's time, and the gates
// upload the next morning, as offline gates do: the server judges each code
// as of its tap.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api_client/http_client.h"
#include "code/presentation.h"
#include "code/trust_list.h"
#include "code/verifier.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "crypto/key.h"
#include "scenes/transit/fare_engine.h"
#include "scenes/transit/fare_extensions.h"
#include "scenes/transit/gtfs.h"
#include "server/service.h"
#include "tests/support/service_test.h"

namespace citycode {
namespace {

using nlohmann::json;

// A fictional adult rider; the ID number carries a valid check character.
constexpr std::string_view kIdNumber = "370282199003154516";
constexpr std::string_view kPhone = "13912345678";
// A fictional rider born in 1950: senior.
constexpr std::string_view kSeniorIdNumber = "370282195001011839";

// 21:00 in Jimo, when the summer night window opens; and the next morning.
const Instant kStart = *ParseRfc3339("2026-08-15T21:00:00+08:00");
const Instant kMorningAfter = *ParseRfc3339("2026-08-16T07:00:00+08:00");

constexpr const char* kRowTables[] = {"transit_tap_ids", "transit_taps",   "transit_refused_taps",
                                      "transit_charges", "transit_ledger", "transit_refunds",
                                      "verifications"};

class TransitApiTest : public testing::ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Configure("transit-api");
    config_.scenes["transit"]["feed_dir"] = std::string(CITYCODE_TRANSIT_DEMO_FEED);
    ASSERT_NO_FATAL_FAILURE(StartService(clock_));
    // A group that runs both the buses and the metro line of the feed.
    gate_key_ = NewTerminalKey("青岛公共交通集团", "transit_operator", "地铁闸机1",
                               {"jimo_bus", "qd_metro"});
    hotel_key_ = NewTerminalKey("即墨示例大酒店", "hotel", "前台");
    ASSERT_FALSE(gate_key_.empty());
    ASSERT_FALSE(hotel_key_.empty());
    session_ = SetUpCitizen(kPhone, kIdNumber, device_key_, credential_);
    clock_.Set(kMorningAfter);
  }

  std::map<std::string, std::int64_t> RowCounts() { return ServiceTest::RowCounts(kRowTables); }

  struct TestTerminal {
    std::string org_id, terminal_id, key;
  };
  // An organisation of `kind` with a site and a terminal, running the feed's
  // `agencies` (a transit operator's terminals upload taps only on them).
  TestTerminal NewTerminal(std::string_view name, std::string_view kind, std::string_view terminal,
                           const std::vector<std::string>& agencies = {}) {
    json org = SendJson("POST", "/v1/orgs", {{"name", name}, {"kind", kind}}, admin_, 201);
    const std::string id = org.value("id", "");
    json site = SendJson("POST", "/v1/orgs/" + id + "/sites", {{"name", "一号站"}}, admin_, 201);
    json made = SendJson("POST", "/v1/orgs/" + id + "/terminals",
                         {{"site_id", site.value("id", "")}, {"name", terminal}}, admin_, 201);
    for (const std::string& agency : agencies) {
      SendJson("POST", "/v1/orgs/" + id + "/transit/agencies", {{"agency_id", agency}}, admin_,
               200);
    }
    return {id, made.value("id", ""), made.value("api_key", "")};
  }
  std::string NewTerminalKey(std::string_view name, std::string_view kind,
                             std::string_view terminal,
                             const std::vector<std::string>& agencies = {}) {
    return NewTerminal(name, kind, terminal, agencies).key;
  }

  // Registers a citizen, verifies them online (their fare class follows
  // from the verified age) and enrols a phone in the city app; their session.
  std::string SetUpCitizen(std::string_view phone, std::string_view id_number,
                           const crypto::PrivateKey& device, Bytes& credential) {
    RegisterCitizen("测试市民丁", id_number, phone, "correct horse");
    const std::string session = Login(phone);
    VerifyIdentity(session, "测试市民丁", id_number);
    json enrolled = SendJson("POST", "/v1/me/devices",
                             {{"public_key", device.public_key().ToPem()}, {"label", "phone"}},
                             session, 201, {{"X-Channel-Key", channel_}});
    auto bytes = Base64UrlDecode(enrolled.value("credential", ""));
    EXPECT_TRUE(bytes.ok() && !bytes->empty()) << enrolled;
    if (bytes.ok()) credential = *bytes;
    return session;
  }

  std::string Login(std::string_view phone) {
    json session = SendJson("POST", "/v1/sessions",
                            {{"phone", phone}, {"password", "correct horse"}}, {}, 201);
    EXPECT_FALSE(session.value("token", "").empty()) << session;
    return session.value("token", "");
  }

  // A code shown in the city app at `at`.
  std::string CodeAt(std::string_view at, const Bytes& credential,
                     const crypto::PrivateKey& device) {
    auto bytes = code::MakePresentation(
        {.credential = credential, .made_at = *ParseRfc3339(at), .counter = ++counter_}, device);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return bytes.ok() ? code::ToQrText(*bytes) : std::string();
  }

  // A tap of the test's rider, with a code made at the tap's time unless
  // `code` is given.
  json Tap(std::int64_t sequence, std::string_view at, std::string_view route,
           std::string_view stop, std::string_view kind,
           std::optional<std::string> code = std::nullopt) {
    return {{"sequence", sequence}, {"at", at},
            {"route_id", route},    {"stop_id", stop},
            {"kind", kind},         {"code", code ? *code : CodeAt(at, credential_, device_key_)}};
  }

  // Two bus rides and a metro ride in the night of 15 August.
  json NightBatch() {
    return {
        {"taps", json::array({Tap(1, "2026-08-15T21:30:00+08:00", "bus_1", "B101", "board"),
                              Tap(2, "2026-08-15T22:10:00+08:00", "bus_2", "B201", "board"),
                              Tap(3, "2026-08-15T23:00:00+08:00", "metro_11", "M01", "entry"),
                              Tap(4, "2026-08-15T23:25:00+08:00", "metro_11", "M03", "exit")})}};
  }

  ManualClock clock_{kStart};
  std::string gate_key_, hotel_key_, session_;
  const crypto::PrivateKey device_key_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  Bytes credential_;
  std::uint64_t counter_ = 0;
};

// Acceptance: a batch uploaded twice counts once; the night costs 100 fen in
// the app; the clearing balances and a second run returns the same report.
TEST_P(TransitApiTest, ANightsTapsCostOneYuanAndClearToTheOperators) {
  const json batch = NightBatch();
  json first = SendJson("POST", "/v1/transit/taps", batch, gate_key_, 200);
  EXPECT_EQ(first, json({{"stored", 4}, {"duplicates", 0}, {"refused", 0}, {"conflicts", 0}}))
      << first;
  const auto after_first = RowCounts();
  // The same batch again (the same, now spent, codes): deduplicated before
  // verification, so nothing is refused as a replay and nothing is written.
  json again = SendJson("POST", "/v1/transit/taps", batch, gate_key_, 200);
  EXPECT_EQ(again, json({{"stored", 0}, {"duplicates", 4}, {"refused", 0}, {"conflicts", 0}}))
      << again;
  EXPECT_EQ(RowCounts(), after_first);

  json trips = SendJson("GET", "/v1/me/trips?day=2026-08-15", nullptr, session_, 200);
  ASSERT_EQ(trips["trips"].size(), 3u) << trips;
  std::int64_t sum = 0, base = 0;
  for (const json& trip : trips["trips"]) {
    sum += trip["amount"].get<std::int64_t>();
    base += trip["base_amount"].get<std::int64_t>();
    EXPECT_FALSE(trip["rules"].get<std::string>().empty()) << trip;
  }
  EXPECT_EQ(sum, 100) << trips;
  EXPECT_EQ(trips["total"], 100) << trips;
  EXPECT_EQ(base, 200 + 200 + 300) << "bus, bus, metro M01-M03: " << trips;
  EXPECT_EQ(trips["trips"][0]["start"], "2026-08-15T13:30:00Z") << trips;

  json bill = SendJson("GET", "/v1/me/bill?day=2026-08-15", nullptr, session_, 200);
  EXPECT_EQ(bill["total"], 100) << bill;
  EXPECT_EQ(bill["balance"], 100) << bill;

  json report = SendJson("POST", "/v1/transit/clearing", {{"day", "2026-08-15"}}, admin_, 200);
  EXPECT_EQ(report["rider_total"], 100) << report;
  EXPECT_EQ(report["settled_total"], 100) << report;
  EXPECT_EQ(report["trips"], 3) << report;
  EXPECT_EQ(report["version"], 1) << report;
  std::int64_t settled = 0;
  for (const json& op : report["operators"]) settled += op["settled"].get<std::int64_t>();
  EXPECT_EQ(settled, 100) << report;
  json second = SendJson("POST", "/v1/transit/clearing", {{"day", "2026-08-15"}}, admin_, 200);
  EXPECT_EQ(second, report);

  // The operator's dashboard: the four taps verified as uploaded, the
  // night's trips on its operating day, and this clearing.
  const json board = SendJson("GET", "/v1/ops/dashboard", nullptr, admin_, 200);
  EXPECT_EQ(board["verifications"]["valid"], 4) << board;
  const json& transit = board["scenes"]["transit"];
  EXPECT_EQ(transit["operating_days"],
            json::parse(R"([{"operating_day":"2026-08-15","trips":3,"charged_fen":100},
                            {"operating_day":"2026-08-16","trips":0,"charged_fen":0}])"))
      << transit;
  EXPECT_EQ(transit["last_clearing"], report) << transit;
}

// A batch cut off after two taps and sent again whole stores every tap once.
TEST_P(TransitApiTest, ABatchCutOffHalfwayAndResentCountsEveryTapOnce) {
  json batch = NightBatch();
  json half = {{"taps", json::array({batch["taps"][0], batch["taps"][1]})}};
  json first = SendJson("POST", "/v1/transit/taps", half, gate_key_, 200);
  EXPECT_EQ(first["stored"], 2) << first;
  json whole = SendJson("POST", "/v1/transit/taps", batch, gate_key_, 200);
  EXPECT_EQ(whole, json({{"stored", 2}, {"duplicates", 2}, {"refused", 0}, {"conflicts", 0}}))
      << whole;
  json trips = SendJson("GET", "/v1/me/trips?day=2026-08-15", nullptr, session_, 200);
  EXPECT_EQ(trips["total"], 100) << trips;
}

// A gate whose sequence counter went back (a reinstall) sends a new ride
// under a number it used before: a conflict, reported and not stored, and
// the first tap's fare stands. A repeat within the batch at another time
// is one too.
TEST_P(TransitApiTest, ASequenceNumberUsedTwiceIsAConflictNotADuplicate) {
  json first = SendJson("POST", "/v1/transit/taps", NightBatch(), gate_key_, 200);
  EXPECT_EQ(first["stored"], 4) << first;
  const auto before = RowCounts();
  json reused = {
      {"taps", json::array({Tap(1, "2026-08-15T23:50:00+08:00", "bus_1", "B102", "board"),
                            Tap(9, "2026-08-15T23:51:00+08:00", "bus_1", "B103", "board"),
                            Tap(9, "2026-08-15T23:52:00+08:00", "bus_1", "B104", "board")})}};
  json reply = SendJson("POST", "/v1/transit/taps", reused, gate_key_, 200);
  EXPECT_EQ(reply, json({{"stored", 1}, {"duplicates", 0}, {"refused", 0}, {"conflicts", 2}}))
      << reply;
  auto after = RowCounts();
  EXPECT_EQ(after["transit_tap_ids"], before.at("transit_tap_ids") + 1);
  json trips = SendJson("GET", "/v1/me/trips?day=2026-08-15", nullptr, session_, 200);
  EXPECT_EQ(trips["trips"].size(), 4u) << trips;
  EXPECT_EQ(trips["total"], 100) << trips;
}

// A bus validator that was offline all night uploads the day after the
// night was billed and cleared: its codes are judged as of their taps, and
// the night still costs 100 fen, the late ride correcting the bill.
TEST_P(TransitApiTest, ALateOfflineBatchAfterBillingStillTotalsOneYuan) {
  json batch = NightBatch();
  json without_first = {
      {"taps", json::array({batch["taps"][1], batch["taps"][2], batch["taps"][3]})}};
  SendJson("POST", "/v1/transit/taps", without_first, gate_key_, 200);
  json bill = SendJson("GET", "/v1/me/bill?day=2026-08-15", nullptr, session_, 200);
  EXPECT_EQ(bill["total"], 100) << bill;
  SendJson("POST", "/v1/transit/clearing", {{"day", "2026-08-15"}}, admin_, 200);

  clock_.Set(kMorningAfter + std::chrono::hours(30));
  const std::string validator =
      NewTerminalKey("即墨公交二公司", "transit_operator", "车载机7", {"jimo_bus"});
  json late = {{"taps", json::array({batch["taps"][0]})}};
  json reply = SendJson("POST", "/v1/transit/taps", late, validator, 200);
  EXPECT_EQ(reply, json({{"stored", 1}, {"duplicates", 0}, {"refused", 0}, {"conflicts", 0}}))
      << reply;
  session_ = Login(kPhone);  // the night's session has expired

  json trips = SendJson("GET", "/v1/me/trips?day=2026-08-15", nullptr, session_, 200);
  EXPECT_EQ(trips["trips"].size(), 3u) << trips;
  EXPECT_EQ(trips["total"], 100) << trips;
  EXPECT_EQ(trips["trips"][0]["start"], "2026-08-15T13:30:00Z") << trips;
  json after = SendJson("GET", "/v1/me/bill?day=2026-08-15", nullptr, session_, 200);
  EXPECT_EQ(after["total"], 100) << after;
  EXPECT_EQ(after["balance"], 100) << after;
  json report = SendJson("POST", "/v1/transit/clearing", {{"day", "2026-08-15"}}, admin_, 200);
  EXPECT_EQ(report["rider_total"], 100) << report;
  EXPECT_EQ(report["settled_total"], 100) << report;
  EXPECT_EQ(report["version"], 2) << "the late ride changed the day: " << report;
}

// A birth date typed at registration gives no concession: the code of an
// unverified account rides at the adult fare; after the identity is
// verified, the next credential carries the senior class.
TEST_P(TransitApiTest, OnlyAVerifiedAgeRidesAtTheSeniorFare) {
  const auto phone = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  clock_.Set(kStart);
  RegisterCitizen("测试市民戊", kSeniorIdNumber, "13912345670", "correct horse");
  const std::string session = Login("13912345670");
  json enrolled = SendJson("POST", "/v1/me/devices",
                           {{"public_key", phone.public_key().ToPem()}, {"label", "phone"}},
                           session, 201, {{"X-Channel-Key", channel_}});
  EXPECT_EQ(enrolled["rider_category"], "adult");
  const std::string at = "2026-08-15T21:00:00+08:00";
  auto credential = Base64UrlDecode(enrolled.value("credential", ""));
  ASSERT_TRUE(credential.ok());
  json verdict =
      SendJson("POST", "/v1/verify", {{"code", CodeAt(at, *credential, phone)}}, gate_key_, 200);
  EXPECT_EQ(verdict["rider_category"], "adult") << verdict;

  ASSERT_NO_FATAL_FAILURE(VerifyIdentity(session, "测试市民戊", kSeniorIdNumber));
  json renewed =
      SendJson("POST", "/v1/me/devices/" + enrolled["device_id"].get<std::string>() + "/renew",
               nullptr, session, 201, {{"X-Channel-Key", channel_}});
  EXPECT_EQ(renewed["rider_category"], "senior") << renewed;
  credential = Base64UrlDecode(renewed.value("credential", ""));
  ASSERT_TRUE(credential.ok());
  verdict =
      SendJson("POST", "/v1/verify", {{"code", CodeAt(at, *credential, phone)}}, gate_key_, 200);
  EXPECT_EQ(verdict["rider_category"], "senior") << verdict;
}

// A senior's phone at a bus validator with no network: the validator checks
// the code with the lists it downloaded, reads the senior category and
// shows the senior fare; uploaded later, the ride is charged that fare.
TEST_P(TransitApiTest, ASeniorGetsTheSeniorFareAtAnOfflineGate) {
  const crypto::PrivateKey phone = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  Bytes credential;
  clock_.Set(kStart);
  SetUpCitizen("13912345679", kSeniorIdNumber, phone, credential);

  // While online, the validator downloads the signed lists.
  auto root = crypto::PublicKey::FromPem(Send("GET", "/v1/lists/root.pem", "", gate_key_).body);
  ASSERT_TRUE(root.ok());
  auto trust = code::VerifyTrustList(Send("GET", "/v1/lists/trust", "", gate_key_).body, *root);
  auto revocation =
      code::VerifyRevocationList(Send("GET", "/v1/lists/revocation", "", gate_key_).body, *root);
  ASSERT_TRUE(trust.ok() && revocation.ok());
  auto feed = transit::LoadFeed(CITYCODE_TRANSIT_DEMO_FEED);
  auto extensions = transit::LoadFareExtensions(CITYCODE_TRANSIT_DEMO_FEED, *feed);
  ASSERT_TRUE(feed.ok() && extensions.ok());

  // Offline, on 16 August at 10:00 (outside the night window).
  const std::string at = "2026-08-16T10:00:00+08:00";
  clock_.Set(*ParseRfc3339(at));
  code::Verifier validator(clock_, *trust, *revocation);
  const std::string shown = CodeAt(at, credential, phone);
  const code::VerificationResult verdict = validator.Verify(shown, code::Scene::kTransit);
  ASSERT_TRUE(verdict.valid) << code::ReasonName(verdict.reason);
  const transit::Tap tap{
      .terminal_id = "validator",
      .sequence = 1,
      .at = *ParseRfc3339(at),
      .route_id = "bus_1",
      .stop_id = "B101",
      .kind = transit::Tap::Kind::kBoard,
      .channel = verdict.channel,
      .rider_category_id = transit::RiderCategoryId(*feed, verdict.rider_category)};
  EXPECT_EQ(tap.rider_category_id, "senior");
  const auto shown_fare = transit::FareTaps(*feed, *extensions, {tap});
  ASSERT_EQ(shown_fare.size(), 1u);
  EXPECT_EQ(shown_fare[0].amount, 0) << "bus_flat is free for seniors";
  const auto adult_fare = transit::FareTaps(
      *feed, *extensions, {transit::Tap{tap.terminal_id, 1, tap.at, "bus_1", "B101"}});
  EXPECT_EQ(adult_fare[0].amount, 200);

  // Back online an hour later, with the metro ride it also took.
  clock_.Set(*ParseRfc3339("2026-08-16T11:00:00+08:00"));
  json taps = {
      {"taps", json::array({Tap(1, at, "bus_1", "B101", "board", shown),
                            Tap(2, "2026-08-16T10:20:00+08:00", "metro_11", "M01", "entry",
                                CodeAt("2026-08-16T10:20:00+08:00", credential, phone)),
                            Tap(3, "2026-08-16T10:40:00+08:00", "metro_11", "M03", "exit",
                                CodeAt("2026-08-16T10:40:00+08:00", credential, phone))})}};
  json reply = SendJson("POST", "/v1/transit/taps", taps, gate_key_, 200);
  EXPECT_EQ(reply["stored"], 3) << reply;
  json trips = SendJson("GET", "/v1/me/trips?day=2026-08-16", nullptr, Login("13912345679"), 200);
  ASSERT_EQ(trips["trips"].size(), 2u) << trips;
  EXPECT_EQ(trips["trips"][0]["amount"], shown_fare[0].amount) << trips;
  EXPECT_EQ(trips["trips"][1]["amount"], 150) << "metro_3, senior: " << trips;
  EXPECT_NE(trips["trips"][0]["rules"].get<std::string>().find("senior"), std::string::npos)
      << trips;
}

// An admin refunds part of a trip: 201, then 200 for the same refund again;
// the bill and the clearing take it off. Refusals change nothing.
TEST_P(TransitApiTest, AnAdminRefundsPartOfATrip) {
  json batch = {
      {"taps", json::array({Tap(1, "2026-08-16T06:30:00+08:00", "metro_11", "M01", "entry"),
                            Tap(2, "2026-08-16T06:50:00+08:00", "metro_11", "M06", "exit")})}};
  SendJson("POST", "/v1/transit/taps", batch, gate_key_, 200);
  json trips = SendJson("GET", "/v1/me/trips?day=2026-08-16", nullptr, session_, 200);
  ASSERT_EQ(trips["trips"].size(), 1u) << trips;
  const std::string trip_id = trips["trips"][0]["trip_id"];
  EXPECT_EQ(trips["trips"][0]["amount"], 500) << trips;

  const json refund = {{"trip_id", trip_id},
                       {"amount", 200},
                       {"reference", "complaint-17"},
                       {"reason", "exit gate fault"}};
  json booked = SendJson("POST", "/v1/transit/refunds", refund, admin_, 201);
  EXPECT_EQ(booked["booked"], true) << booked;
  json again = SendJson("POST", "/v1/transit/refunds", refund, admin_, 200);
  EXPECT_EQ(again["booked"], false) << again;

  const auto before = RowCounts();
  json more = refund;
  more["reference"] = "complaint-18";
  more["amount"] = 301;
  ExpectRefused("POST", "/v1/transit/refunds", more.dump(), admin_, 409, "refund_exceeds_charge");
  json other = refund;
  other["amount"] = 100;
  ExpectRefused("POST", "/v1/transit/refunds", other.dump(), admin_, 409, "already_exists");
  json unknown = refund;
  unknown["trip_id"] = "gate:999";
  unknown["reference"] = "complaint-19";
  ExpectRefused("POST", "/v1/transit/refunds", unknown.dump(), admin_, 404, "not_found");
  json negative = refund;
  negative["amount"] = -5;
  negative["reference"] = "complaint-20";
  ExpectRefused("POST", "/v1/transit/refunds", negative.dump(), admin_, 400, "invalid_argument");
  json text_amount = refund;
  text_amount["amount"] = "200";
  ExpectRefused("POST", "/v1/transit/refunds", text_amount.dump(), admin_, 400, "wrong_type");
  ExpectRefused("POST", "/v1/transit/refunds", refund.dump(), gate_key_, 403, "permission_denied");
  ExpectRefused("POST", "/v1/transit/refunds", refund.dump(), session_, 403, "permission_denied");
  EXPECT_EQ(RowCounts(), before);

  json bill = SendJson("GET", "/v1/me/bill?day=2026-08-16", nullptr, session_, 200);
  EXPECT_EQ(bill["total"], 300) << bill;
  EXPECT_EQ(bill["balance"], 300) << bill;
  EXPECT_EQ(bill["refunds"].size(), 1u) << bill;
  json report = SendJson("POST", "/v1/transit/clearing", {{"day", "2026-08-16"}}, admin_, 200);
  EXPECT_EQ(report["rider_total"], 300) << report;
  EXPECT_EQ(report["settled_total"], 300) << report;
  ASSERT_EQ(report["operators"].size(), 1u) << report;
  EXPECT_EQ(report["operators"][0]["refunded"], 200) << report;
}

// A code that does not verify is kept as a refused tap; the terminal learns
// only the counts.
TEST_P(TransitApiTest, ARefusedCodeIsStoredAsARefusedTap) {
  json batch = {{"taps", json::array({Tap(7, "2026-08-15T21:31:00+08:00", "bus_1", "B101", "board",
                                          "CC1:not-a-code")})}};
  json reply = SendJson("POST", "/v1/transit/taps", batch, gate_key_, 200);
  EXPECT_EQ(reply, json({{"stored", 1}, {"duplicates", 0}, {"refused", 1}, {"conflicts", 0}}))
      << reply;
  json trips = SendJson("GET", "/v1/me/trips?day=2026-08-15", nullptr, session_, 200);
  EXPECT_TRUE(trips["trips"].empty()) << trips;
}

// The documented maximum batch, 1 000 taps each with its code, fits the
// route's body limit and is stored whole; a larger one is refused with the
// maximum named.
TEST_P(TransitApiTest, AFullBatchOfAThousandTapsIsStored) {
  json taps = json::array();
  const Instant first = *ParseRfc3339("2026-08-15T21:00:30+08:00");
  for (int i = 0; i < 1000; ++i) {
    const std::string at = FormatRfc3339(first + std::chrono::seconds(20 * i));
    taps.push_back(Tap(i + 1, at, "bus_1", "B101", "board"));
  }
  const std::string body = json{{"taps", taps}}.dump();
  ASSERT_GT(body.size(), 64u * 1024) << "more than the server's general body limit";
  json reply = SendJson("POST", "/v1/transit/taps", json::parse(body), gate_key_, 200);
  EXPECT_EQ(reply["stored"], 1000) << reply;
  EXPECT_EQ(reply["refused"], 0);

  taps.push_back(Tap(1001, "2026-08-16T03:00:00+08:00", "bus_1", "B101", "board"));
  api_client::HttpReply too_many =
      Send("POST", "/v1/transit/taps", json{{"taps", taps}}.dump(), gate_key_);
  EXPECT_EQ(too_many.status, 400);
  EXPECT_EQ(ErrorCode(too_many), "field_too_long");
  EXPECT_THAT(too_many.body, ::testing::HasSubstr("more than 1000 items"));
}

// A terminal uploads taps only on its operator's routes, and only on its own
// route once bound to one; a tap's kind must fit the route. Each refusal
// stores nothing of the batch.
TEST_P(TransitApiTest, ATerminalUploadsOnlyOnItsOperatorsRoutes) {
  const auto before = RowCounts();
  auto one = [&](std::string_view route, std::string_view stop, std::string_view kind) {
    return json{{"taps", json::array({Tap(1, "2026-08-15T21:30:00+08:00", route, stop, kind)})}}
        .dump();
  };
  const TestTerminal metro = NewTerminal("青岛地铁", "transit_operator", "闸机3", {"qd_metro"});
  ExpectRefused("POST", "/v1/transit/taps", one("bus_1", "B101", "board"), metro.key, 403,
                "route_of_another_operator");
  const TestTerminal unbound = NewTerminal("即墨新公交", "transit_operator", "车载机1");
  ExpectRefused("POST", "/v1/transit/taps", one("bus_1", "B101", "board"), unbound.key, 403,
                "operator_not_bound");
  ExpectRefused("POST", "/v1/transit/taps", one("metro_11", "M01", "board"), metro.key, 400,
                "bad_tap");
  ExpectRefused("POST", "/v1/transit/taps", one("bus_1", "B101", "entry"), gate_key_, 400,
                "bad_tap");
  // The group's validator on bus 2 only.
  const TestTerminal bus2 =
      NewTerminal("即墨公交三公司", "transit_operator", "2路车载机", {"jimo_bus"});
  const std::string bind =
      "/v1/orgs/" + bus2.org_id + "/transit/terminals/" + bus2.terminal_id + "/route";
  ExpectRefused("POST", bind, R"({"route_id":"metro_11"})", admin_, 403,
                "route_of_another_operator");
  json bound = SendJson("POST", bind, {{"route_id", "bus_2"}}, admin_, 200);
  EXPECT_EQ(bound["terminal_routes"][0]["route_id"], "bus_2") << bound;
  ExpectRefused("POST", "/v1/transit/taps", one("bus_1", "B101", "board"), bus2.key, 403,
                "route_not_this_terminals");
  EXPECT_EQ(RowCounts(), before);
  json stored = SendJson("POST", "/v1/transit/taps", json::parse(one("bus_2", "B201", "board")),
                         bus2.key, 200);
  EXPECT_EQ(stored["stored"], 1) << stored;
}

// One use per code, city-wide, across paths: a code verified online at a
// bus is refused when later uploaded as a tap of its time (even after the
// upkeep has purged what it could), and a code uploaded as a tap is refused
// online.
TEST_P(TransitApiTest, ACodeIsUsedOnceWhetherShownOnlineOrUploaded) {
  const std::string shown_at = FormatRfc3339(clock_.Now());
  const std::string code = CodeAt(shown_at, credential_, device_key_);
  json online = SendJson("POST", "/v1/verify", {{"code", code}}, gate_key_, 200);
  EXPECT_EQ(online["valid"], true) << online;
  clock_.Advance(std::chrono::seconds(130));
  ASSERT_TRUE(service_->platform().PurgeExpired().ok());
  json as_tap = SendJson(
      "POST", "/v1/transit/taps",
      {{"taps", json::array({Tap(1, shown_at, "bus_1", "B101", "board", code)})}}, gate_key_, 200);
  EXPECT_EQ(as_tap["refused"], 1) << "stored as a refused tap: " << as_tap;
  json trips = SendJson("GET", "/v1/me/trips?day=2026-08-16", nullptr, session_, 200);
  EXPECT_TRUE(trips["trips"].empty()) << trips;

  const std::string tapped_at = FormatRfc3339(clock_.Now());
  const std::string tapped = CodeAt(tapped_at, credential_, device_key_);
  json stored =
      SendJson("POST", "/v1/transit/taps",
               {{"taps", json::array({Tap(2, tapped_at, "bus_1", "B101", "board", tapped)})}},
               gate_key_, 200);
  EXPECT_EQ(stored["refused"], 0) << stored;
  json again = SendJson("POST", "/v1/verify", {{"code", tapped}}, gate_key_, 200);
  EXPECT_EQ(again["valid"], false) << again;
  EXPECT_EQ(again["reason"], "replayed");
}

// A scan made before the phone was reported lost counts if the gate
// uploads it within the grace (24 h); one uploaded later is refused, so the
// lost phone's key cannot backdate rides.
TEST_P(TransitApiTest, AScanBeforeALossReportCountsOnlyWithinTheUploadGrace) {
  const Instant reported = clock_.Now();
  const std::string early_at = FormatRfc3339(reported - std::chrono::minutes(10));
  const std::string late_at = FormatRfc3339(reported - std::chrono::minutes(5));
  const json early = Tap(1, early_at, "bus_1", "B101", "board");
  const json backdated = Tap(2, late_at, "bus_1", "B102", "board");
  json devices = SendJson("GET", "/v1/me/devices", nullptr, session_, 200);
  SendJson("POST", "/v1/me/devices/" + devices["devices"][0].value("id", "") + "/lost", nullptr,
           session_, 200);

  clock_.Advance(std::chrono::hours(1));
  json within =
      SendJson("POST", "/v1/transit/taps", {{"taps", json::array({early})}}, gate_key_, 200);
  EXPECT_EQ(within["refused"], 0) << within;
  clock_.Advance(std::chrono::hours(24));
  json after =
      SendJson("POST", "/v1/transit/taps", {{"taps", json::array({backdated})}}, gate_key_, 200);
  EXPECT_EQ(after["refused"], 1) << after;
  json trips = SendJson("GET", "/v1/me/trips?day=2026-08-16", nullptr, Login(kPhone), 200);
  EXPECT_EQ(trips["trips"].size(), 1u) << "the early scan only: " << trips;
}

TEST_P(TransitApiTest, WrongCallersAndBadBodiesChangeNothing) {
  const auto before = RowCounts();
  const std::string good = NightBatch().dump();
  ExpectRefused("POST", "/v1/transit/taps", good, hotel_key_, 403, "scene_not_permitted");
  ExpectRefused("POST", "/v1/transit/taps", good, session_, 403, "permission_denied");
  ExpectRefused("POST", "/v1/transit/taps", good, "", 401, "unauthenticated");
  ExpectRefused("POST", "/v1/transit/clearing", R"({"day":"2026-08-15"})", gate_key_, 403,
                "permission_denied");
  ExpectRefused("GET", "/v1/me/trips?day=2026-08-15", "", gate_key_, 403, "permission_denied");

  auto taps = [&](const json& tap) { return json{{"taps", json::array({tap})}}.dump(); };
  const json tap = Tap(1, "2026-08-15T21:30:00+08:00", "bus_1", "B101", "board");
  ExpectRefused("POST", "/v1/transit/taps", "{", gate_key_, 400, "malformed_json");
  ExpectRefused("POST", "/v1/transit/taps", R"({"taps":{}})", gate_key_, 400, "wrong_type");
  ExpectRefused("POST", "/v1/transit/taps", R"({"taps":[1]})", gate_key_, 400, "wrong_type");
  ExpectRefused("POST", "/v1/transit/taps", R"({})", gate_key_, 400, "missing_field");
  ExpectRefused("POST", "/v1/transit/taps", R"({"taps":[],"terminal_id":"x"})", gate_key_, 400,
                "unknown_field");
  json too_many = json::array();
  for (int i = 0; i < 1001; ++i) too_many.push_back(json::object());
  ExpectRefused("POST", "/v1/transit/taps", json{{"taps", too_many}}.dump(), gate_key_, 400,
                "field_too_long");
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, json>>{{"sequence", -1},
                                                 {"sequence", "1"},
                                                 {"at", "yesterday"},
                                                 {"route_id", "bus_99"},
                                                 {"stop_id", "X1"},
                                                 {"kind", "tap"},
                                                 {"code", ""},
                                                 {"terminal_id", "other-gate"}}) {
    json bad = tap;
    bad[key] = value;
    ExpectRefused("POST", "/v1/transit/taps", taps(bad), gate_key_, 400, "bad_tap");
  }
  json missing = tap;
  missing.erase("code");
  ExpectRefused("POST", "/v1/transit/taps", taps(missing), gate_key_, 400, "bad_tap");
  // One bad tap refuses the whole batch before any code is verified.
  json mixed = {{"taps", json::array({tap, Tap(2, "bad", "bus_1", "B101", "board", "CC1:x")})}};
  ExpectRefused("POST", "/v1/transit/taps", mixed.dump(), gate_key_, 400, "bad_tap");

  ExpectRefused("GET", "/v1/me/trips", "", session_, 400, "invalid_argument");
  ExpectRefused("GET", "/v1/me/trips?day=2026-13-01", "", session_, 400, "invalid_argument");
  ExpectRefused("GET", "/v1/me/bill?day=15.08.2026", "", session_, 400, "invalid_argument");
  ExpectRefused("POST", "/v1/transit/clearing", R"({"day":"2026-08-32"})", admin_, 400,
                "invalid_argument");
  ExpectRefused("POST", "/v1/transit/clearing", R"({"day":20260815})", admin_, 400, "wrong_type");
  EXPECT_EQ(RowCounts(), before);

  // The code those bad bodies carried was never spent.
  json ok = SendJson("POST", "/v1/transit/taps", json::parse(taps(tap)), gate_key_, 200);
  EXPECT_EQ(ok["stored"], 1) << ok;
  EXPECT_EQ(ok["refused"], 0) << ok;
}

// Without a feed the transit scene is not registered: its routes do not
// exist, and the OpenAPI document does not list them.
TEST_P(TransitApiTest, WithoutAFeedTheRoutesDoNotExist) {
  service_->Stop();
  service_.reset();
  config_.scenes.erase("transit");
  ASSERT_NO_FATAL_FAILURE(StartService(clock_));
  ExpectRefused("POST", "/v1/transit/taps", NightBatch().dump(), gate_key_, 404, "not_found");
  ExpectRefused("GET", "/v1/me/trips?day=2026-08-15", "", session_, 404, "not_found");
  ExpectRefused("GET", "/v1/me/bill?day=2026-08-15", "", session_, 404, "not_found");
  ExpectRefused("POST", "/v1/transit/clearing", R"({"day":"2026-08-15"})", admin_, 404,
                "not_found");
  const api_client::HttpReply openapi = Send("GET", "/v1/openapi.json");
  EXPECT_EQ(openapi.status, 200);
  EXPECT_EQ(openapi.body.find("/v1/transit/taps"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, TransitApiTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode
