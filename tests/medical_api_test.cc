// The medical scene through the HTTP API, end to end, on SQLite and
// PostgreSQL: a hospital's administrator publishes a clinician's session as
// slots, citizens book ahead from their sessions and a kiosk books by the
// code, each refused booking has its own code and changes nothing, and 50
// concurrent bookings for a slot of capacity 10 yield exactly 10
// appointments; a visit is checked in and closed with a prescription at the
// clinician's desk and the prescription dispensed once at the pharmacy; the
// fees, refunds and prescriptions are on the patient's bill; each terminal
// does only what its role (kiosk, desk, pharmacy) allows, and a desk
// registers a walk-in.
//
// The service runs in-process on a ManualClock; threads start together on a
// latch, never after a sleep.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <latch>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "api_client/http_client.h"
#include "code/presentation.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "crypto/key.h"
#include "server/service.h"
#include "tests/support/medical_service_test.h"
#include "vault/audit.h"
#include "vault/certificate.h"
#include "vault/certificate_types.h"
#include "vault/sample_certificates.h"

namespace citycode {
namespace {

using api_client::HttpReply;
using nlohmann::json;
using testing::IdNumber;
using testing::kCitizenName;
using testing::kIdNumber;
using testing::kPhone;
using testing::kStart;
using testing::kTomorrow;
using testing::OrgSetup;

class MedicalApiTest : public testing::MedicalServiceTest {};

TEST_P(MedicalApiTest, ACitizenBooksListsAndCancelsAndAKioskBooksByTheCode) {
  const json slots = Schedule(kTomorrow, "08:00", "09:00", 2);
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[0]["starts_at"], "2026-08-07T00:00:00Z");  // 08:00 in Jimo
  const std::string slot = slots[0]["id"];

  // The citizen finds the hospitals (and no hall among them), then a day's slots.
  const json hospitals = SendJson("GET", "/v1/medical/hospitals", nullptr, session_, 200);
  std::set<std::pair<std::string, std::string>> listed;
  for (const json& h : hospitals["hospitals"]) listed.emplace(h["org_id"], h["name"]);
  EXPECT_EQ(listed, (std::set<std::pair<std::string, std::string>>{
                        {hospital_.id, "即墨区人民医院"}, {other_hospital_.id, "即墨区中医医院"}}))
      << hospitals;
  const std::string query =
      "/v1/medical/slots?org_id=" + hospital_.id + "&day=" + std::string(kTomorrow);
  json open = SendJson("GET", query, nullptr, session_, 200);
  ASSERT_EQ(open["slots"].size(), 2u) << open;
  EXPECT_EQ(open["slots"][0]["org_name"], "即墨区人民医院");
  EXPECT_EQ(open["slots"][0]["clinician"]["name"], "王医生");
  EXPECT_EQ(open["slots"][0]["department"]["name"], "内科");
  EXPECT_EQ(open["slots"][0]["remaining"], 2);
  EXPECT_EQ(SendJson("GET", query, nullptr, hospital_.kiosk_key, 200)["slots"].size(), 2u);

  json booked = SendJson("POST", "/v1/me/medical/appointments", {{"slot_id", slot}}, session_, 201);
  EXPECT_EQ(booked["state"], "booked") << booked;
  EXPECT_EQ(booked["channel"], "online");
  EXPECT_EQ(booked["slot"]["remaining"], 1);
  EXPECT_FALSE(booked.contains("citizen_id"));
  json mine = SendJson("GET", "/v1/me/medical/appointments", nullptr, session_, 200);
  ASSERT_EQ(mine["appointments"].size(), 1u) << mine;
  EXPECT_EQ(mine["appointments"][0]["id"], booked["id"]);
  json exported = SendJson("GET", "/v1/me/export", nullptr, session_, 200);
  EXPECT_EQ(exported["scenes"]["medical"]["appointments"].size(), 1u) << exported["scenes"];

  json cancelled =
      SendJson("POST", "/v1/me/medical/appointments/" + booked.value("id", "") + "/cancel", nullptr,
               session_, 200);
  EXPECT_EQ(cancelled["state"], "cancelled") << cancelled;
  EXPECT_EQ(Booked(slot), 0);
  ExpectRefused("POST", "/v1/me/medical/appointments/" + booked.value("id", "") + "/cancel", "",
                session_, 409, "already_cancelled");

  // At the kiosk, by the code; the answer names no citizen.
  json at_kiosk = SendJson("POST", "/v1/medical/registrations", {{"qr", Code()}, {"slot_id", slot}},
                           hospital_.kiosk_key, 201);
  EXPECT_EQ(at_kiosk["channel"], "kiosk") << at_kiosk;
  EXPECT_FALSE(at_kiosk.contains("citizen_id"));
  EXPECT_EQ(Booked(slot), 1);
  mine = SendJson("GET", "/v1/me/medical/appointments", nullptr, session_, 200);
  EXPECT_EQ(mine["appointments"].size(), 2u) << mine;

  // The bill, newest first: the kiosk's fee, the refund of the cancelled
  // booking, its fee.
  json bill = SendJson("GET", "/v1/me/medical/bill", nullptr, session_, 200);
  ASSERT_EQ(bill["postings"].size(), 3u) << bill;
  EXPECT_EQ(bill["postings"][0]["kind"], "registration_fee");
  EXPECT_EQ(bill["postings"][0]["appointment_id"], at_kiosk["id"]);
  EXPECT_EQ(bill["postings"][0]["amount_fen"], 1000);
  EXPECT_EQ(bill["postings"][0]["org_name"], "即墨区人民医院");
  EXPECT_EQ(bill["postings"][0]["posted_at"], FormatRfc3339(clock_.Now()));
  EXPECT_EQ(bill["postings"][1]["kind"], "registration_refund");
  EXPECT_EQ(bill["postings"][1]["appointment_id"], booked["id"]);
  EXPECT_EQ(bill["postings"][1]["amount_fen"], -1000);
  EXPECT_EQ(bill["postings"][2]["kind"], "registration_fee");
  EXPECT_EQ(bill["postings"][2]["appointment_id"], booked["id"]);
  EXPECT_FALSE(bill["postings"][2].contains("prescription_id"));
  EXPECT_EQ(bill["charged_fen"], 2000);
  EXPECT_EQ(bill["refunded_fen"], 1000);
  EXPECT_EQ(bill["owed_fen"], 1000);
  exported = SendJson("GET", "/v1/me/export", nullptr, session_, 200);
  EXPECT_EQ(exported["scenes"]["medical"]["postings"], bill["postings"]);

  // The hospital's day, for its administrator only.
  const std::string revenue = "/v1/orgs/" + hospital_.id + "/medical/revenue?day=2026-08-06";
  json day = SendJson("GET", revenue, nullptr, hospital_admin_, 200);
  EXPECT_EQ(day["charged_fen"], 2000) << day;
  EXPECT_EQ(day["refunded_fen"], 1000);
  EXPECT_EQ(day["net_fen"], 1000);
  EXPECT_EQ(day["postings"], 3);
  ExpectRefused("GET", revenue, "", other_admin_, 403, "permission_denied");
  ExpectRefused("GET", "/v1/orgs/" + hospital_.id + "/medical/revenue?day=8/6", "", hospital_admin_,
                400, "invalid_argument");
}

TEST_P(MedicalApiTest, EachRefusalHasItsCodeAndChangesNothing) {
  const json full = Schedule(kTomorrow, "08:00", "09:00", 1);
  const json past = Schedule("2026-08-06", "08:00", "09:00", 1);
  const json far = Schedule("2026-08-14", "08:00", "09:00", 1);  // 8 days ahead
  const std::string other_session = CitizenSession(1);
  Book(full[0]["id"], other_session, 201);
  const auto before = Counts();
  const std::string book = "/v1/me/medical/appointments";
  auto body = [](const json& slot) { return json{{"slot_id", slot["id"]}}.dump(); };

  ExpectRefused("POST", book, body(full[0]), session_, 409, "slot_full");
  ExpectRefused("POST", book, body(full[1]), other_session, 409, "already_booked");
  ExpectRefused("POST", book, body(past[0]), session_, 409, "slot_not_open");
  ExpectRefused("POST", book, body(far[0]), session_, 409, "slot_not_open");
  ExpectRefused("POST", book, R"({"slot_id":"slot_unknown"})", session_, 404, "not_found");
  ExpectRefused("POST", book, "{}", session_, 400, "missing_field");
  ExpectRefused("POST", book, R"({"slot_id":"x","extra":1})", session_, 400, "unknown_field");
  ExpectRefused("POST", book, body(full[1]), hospital_.kiosk_key, 403, "permission_denied");
  ExpectRefused("POST", book, body(full[1]), CitizenSession(2, false), 409,
                "identity_not_verified");

  const std::string code = Code();
  const std::string registrations = "/v1/medical/registrations";
  auto at_kiosk = [&](const json& slot) {
    return json{{"qr", code}, {"slot_id", slot["id"]}}.dump();
  };
  ExpectRefused("POST", registrations, at_kiosk(full[1]), other_hospital_.kiosk_key, 403,
                "slot_of_another_hospital");
  ExpectRefused("POST", registrations, at_kiosk(full[1]), hall_.kiosk_key, 403,
                "scene_not_permitted");
  ExpectRefused("POST", registrations, at_kiosk(full[0]), hospital_.kiosk_key, 409, "slot_full");
  ExpectRefused("POST", registrations, at_kiosk(past[0]), hospital_.kiosk_key, 409,
                "slot_not_open");
  ExpectRefused("POST", registrations,
                R"({"qr":"CC1:x","slot_id":")" + full[1].value("id", "") + "\"}",
                hospital_.kiosk_key, 403, "code_invalid");
  ExpectRefused("POST", registrations, at_kiosk(full[1]), session_, 403, "permission_denied");

  const std::string slots = "/v1/medical/slots?org_id=" + hospital_.id;
  ExpectRefused("GET", slots + "&day=2026-8-7", "", session_, 400, "invalid_argument");
  ExpectRefused("GET", slots + "&day=2026-08-07", "", other_hospital_.kiosk_key, 403,
                "slot_of_another_hospital");
  ExpectRefused("GET", "/v1/medical/slots?org_id=" + hall_.id + "&day=2026-08-07", "", session_,
                409, "not_a_hospital");

  // Facilities: the hospital's own administrators only, hospitals only.
  ExpectRefused("POST", "/v1/orgs/" + hospital_.id + "/medical/departments", R"({"name":"外科"})",
                other_admin_, 403, "permission_denied");
  ExpectRefused("POST", "/v1/orgs/" + hall_.id + "/medical/departments", R"({"name":"外科"})",
                admin_, 409, "not_a_hospital");
  ExpectRefused("POST", "/v1/orgs/" + hospital_.id + "/medical/departments", R"({"name":"内科"})",
                hospital_admin_, 409, "department_exists");
  ExpectRefused("POST", "/v1/orgs/" + hospital_.id + "/medical/schedules",
                json{{"clinician_id", clinician_id_},
                     {"day", kTomorrow},
                     {"start", "08:30"},
                     {"end", "10:00"},
                     {"slot_minutes", 30},
                     {"capacity", 1},
                     {"fee_fen", 0}}
                    .dump(),
                hospital_admin_, 409, "schedule_overlaps");
  ExpectRefused("POST", "/v1/orgs/" + hospital_.id + "/medical/schedules",
                json{{"clinician_id", clinician_id_},
                     {"day", "2026-08-09"},
                     {"start", "08:00"},
                     {"end", "09:00"},
                     {"slot_minutes", 30},
                     {"capacity", 0},
                     {"fee_fen", 0}}
                    .dump(),
                hospital_admin_, 400, "invalid_argument");
  EXPECT_EQ(Counts(), before);

  // The code refused for the wrong hospital was not used up.
  SendJson("POST", registrations, json::parse(at_kiosk(full[1])), hospital_.kiosk_key, 201);
}

// The acceptance line: 50 concurrent bookings for a slot of capacity 10
// (threads, real HTTP) yield exactly 10 appointments.
TEST_P(MedicalApiTest, FiftyConcurrentBookingsFillTenPlacesExactly) {
  constexpr int kPatients = 50;
  constexpr int kCapacity = 10;
  const json slots = Schedule(kTomorrow, "08:00", "08:30", kCapacity);
  ASSERT_EQ(slots.size(), 1u);
  const std::string slot = slots[0]["id"];
  std::vector<std::string> sessions;
  std::vector<std::unique_ptr<api_client::HttpClient>> clients;
  for (int i = 0; i < kPatients; ++i) {
    sessions.push_back(CitizenSession(100 + i));
    ASSERT_FALSE(sessions.back().empty());
    auto client = api_client::HttpClient::Create(base_url_);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    clients.push_back(std::move(*client));
  }

  std::vector<HttpReply> replies(kPatients);
  std::latch start(kPatients);
  std::vector<std::thread> threads;
  const std::string body = json{{"slot_id", slot}}.dump();
  for (int i = 0; i < kPatients; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto reply = clients[i]->Send("POST", "/v1/me/medical/appointments", body,
                                    {{"Authorization", "Bearer " + sessions[i]}});
      if (reply.ok()) replies[i] = *reply;
    });
  }
  for (std::thread& thread : threads) thread.join();

  int created = 0, full = 0;
  for (const HttpReply& reply : replies) {
    if (reply.status == 201) {
      ++created;
    } else if (reply.status == 409 && ErrorCode(reply) == "slot_full") {
      ++full;
    } else {
      ADD_FAILURE() << reply.status << " " << reply.body;
    }
  }
  EXPECT_EQ(created, kCapacity);
  EXPECT_EQ(full, kPatients - kCapacity);
  EXPECT_EQ(Booked(slot), kCapacity);
  EXPECT_EQ(QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM medical_appointments WHERE slot_id = '" +
                     slot + "' AND state = 'booked'"),
            kCapacity);
}

// The acceptance line of visits and pick-up: book → check in with the code
// → close the visit with a prescription → dispense with the code → a second
// dispense is refused already_dispensed; an expired prescription is refused
// prescription_expired; another hospital's pharmacy is refused with its own
// code; nothing changes on a refusal.
TEST_P(MedicalApiTest, AVisitsPrescriptionIsDispensedOnceWithinItsValidity) {
  const auto [desk_id, desk] = NewTerminal("诊室1");
  const auto [pharmacy_id, pharmacy] = NewTerminal("药房1");
  json given = GiveRole(hospital_, desk_id, "desk", hospital_admin_, clinician_id_);
  EXPECT_EQ(given["role"], "desk") << given;
  EXPECT_EQ(given["clinician_id"], clinician_id_);
  GiveRole(hospital_, pharmacy_id, "pharmacy", hospital_admin_);
  // Today's sessions (now is 15:06 in Jimo).
  const json afternoon = Schedule("2026-08-06", "16:00", "17:00", 2);
  const json evening = Schedule("2026-08-06", "18:00", "19:00", 2);
  Book(afternoon[0]["id"], session_, 201);
  Book(evening[0]["id"], session_, 201);

  // Each terminal does what its role allows: refused before the code is used.
  auto before = Counts();
  const std::string shown = Code();
  ExpectRefused("POST", "/v1/medical/check-ins", json{{"qr", shown}}.dump(), pharmacy, 403,
                "not_a_desk");
  ExpectRefused("POST", "/v1/medical/check-ins", json{{"qr", shown}}.dump(), hospital_.kiosk_key,
                403, "not_a_desk");
  EXPECT_EQ(Counts(), before);

  // Checked in with the code at the desk: the afternoon's appointment.
  json encounter = SendJson("POST", "/v1/medical/check-ins", {{"qr", shown}}, desk, 201);
  EXPECT_EQ(encounter["state"], "open") << encounter;
  EXPECT_FALSE(encounter.contains("citizen_id"));
  const std::string close = "/v1/medical/encounters/" + encounter.value("id", "") + "/close";
  const json prescription = {
      {"items",
       {{{"drug", "阿莫西林胶囊"}, {"quantity", 2}, {"unit_price_fen", 1250}},
        {{"drug", "布洛芬片"}, {"quantity", 1}, {"unit_price_fen", 800}}}}};
  before = Counts();
  ExpectRefused("POST", close, json{{"summary", "x"}, {"prescriptions", {prescription}}}.dump(),
                pharmacy, 403, "not_a_desk");
  ExpectRefused("POST", close,
                json{{"summary", "x"}, {"prescriptions", {prescription}}, {"valid_days", 4}}.dump(),
                desk, 400, "invalid_argument");
  ExpectRefused("POST", close,
                json{{"summary", "x"}, {"prescriptions", {{{"items", {{{"drug", 1}}}}}}}}.dump(),
                desk, 400, "bad_prescription");
  EXPECT_EQ(Counts(), before);
  json closed = SendJson(
      "POST", close, {{"summary", "上呼吸道感染，口服抗生素"}, {"prescriptions", {prescription}}},
      desk, 200);
  EXPECT_EQ(closed["state"], "closed") << closed;
  ASSERT_EQ(closed["prescriptions"].size(), 1u) << closed;
  EXPECT_EQ(closed["prescriptions"][0]["total_fen"], 3300);
  EXPECT_EQ(closed["prescriptions"][0]["valid_until"], "2026-08-06T16:00:00Z");  // midnight
  const std::string rx = closed["prescriptions"][0].value("id", "");
  json mine = SendJson("GET", "/v1/me/medical/prescriptions", nullptr, session_, 200);
  ASSERT_EQ(mine["prescriptions"].size(), 1u) << mine;
  EXPECT_EQ(mine["prescriptions"][0]["state"], "issued");

  // Another hospital's pharmacy: refused with its own code, nothing changed.
  before = Counts();
  const std::string dispense = "/v1/medical/dispensations";
  auto body = [&](const std::string& id) {
    return json{{"qr", Code()}, {"prescription_id", id}}.dump();
  };
  GiveRole(other_hospital_, other_hospital_.kiosk_id, "pharmacy", other_admin_);
  before = Counts();
  ExpectRefused("POST", dispense, body(rx), other_hospital_.kiosk_key, 403,
                "prescription_of_another_hospital");
  ExpectRefused("POST", dispense, body("rx_unknown"), pharmacy, 404, "not_found");
  const std::string at_pharmacy = Code();
  ExpectRefused("POST", dispense, json{{"qr", at_pharmacy}, {"prescription_id", rx}}.dump(), desk,
                403, "not_a_pharmacy");
  EXPECT_EQ(Counts(), before);

  json dispensed =
      SendJson("POST", dispense, {{"qr", at_pharmacy}, {"prescription_id", rx}}, pharmacy, 201);
  EXPECT_EQ(dispensed["queue_number"], 1) << dispensed;
  EXPECT_EQ(dispensed["dispensed_at"], "2026-08-06T07:06:40Z");
  EXPECT_FALSE(dispensed["prescription"].contains("citizen_id"));
  before = Counts();
  ExpectRefused("POST", dispense, body(rx), pharmacy, 409, "already_dispensed");
  EXPECT_EQ(Counts(), before);
  mine = SendJson("GET", "/v1/me/medical/prescriptions", nullptr, session_, 200);
  EXPECT_EQ(mine["prescriptions"][0]["state"], "dispensed") << mine;
  EXPECT_EQ(mine["prescriptions"][0]["queue_number"], 1);
  // On the bill: the two sessions' fees, then the medicine dispensed.
  json bill = SendJson("GET", "/v1/me/medical/bill", nullptr, session_, 200);
  ASSERT_EQ(bill["postings"].size(), 3u) << bill;
  EXPECT_EQ(bill["postings"][0]["kind"], "prescription");
  EXPECT_EQ(bill["postings"][0]["prescription_id"], rx);
  EXPECT_EQ(bill["postings"][0]["amount_fen"], 3300);
  EXPECT_FALSE(bill["postings"][0].contains("appointment_id"));
  EXPECT_EQ(bill["owed_fen"], 2 * 1000 + 3300);

  // The evening's visit: a prescription for its day, fetched the next day.
  json second = SendJson("POST", "/v1/medical/check-ins", {{"qr", Code()}}, desk, 201);
  json second_closed = SendJson(
      "POST", "/v1/medical/encounters/" + second.value("id", "") + "/close",
      {{"summary", "复诊"}, {"prescriptions", {prescription}}, {"valid_days", 1}}, desk, 200);
  const std::string late = second_closed["prescriptions"][0].value("id", "");
  ASSERT_FALSE(late.empty()) << second_closed;
  clock_.Advance(std::chrono::hours(9));  // 00:06 the next day in Jimo
  before = Counts();
  ExpectRefused("POST", dispense, body(late), pharmacy, 409, "prescription_expired");
  EXPECT_EQ(Counts(), before);
  json exported = SendJson("GET", "/v1/me/export", nullptr, session_, 200);
  EXPECT_EQ(exported["scenes"]["medical"]["encounters"].size(), 2u) << exported["scenes"];
  EXPECT_EQ(exported["scenes"]["medical"]["prescriptions"].size(), 2u);
}

// Roles are the hospital admin's to give, each terminal the hospital's own;
// posting again replaces a role. A desk registers a walk-in: a place in its
// clinician's session running now, booked and checked in at once.
TEST_P(MedicalApiTest, RolesAreReplacedAndADeskRegistersAWalkIn) {
  const auto [desk_id, desk] = NewTerminal("诊室1");
  const std::string terminals = "/v1/orgs/" + hospital_.id + "/medical/terminals";
  const json tomorrow = Schedule(kTomorrow, "08:00", "09:00", 2);
  auto before = Counts();
  ExpectRefused("POST", terminals,
                json{{"terminal_id", other_hospital_.kiosk_id}, {"role", "kiosk"}}.dump(),
                hospital_admin_, 403, "terminal_of_another_hospital");
  ExpectRefused("POST", terminals, json{{"terminal_id", desk_id}, {"role", "kiosk"}}.dump(),
                other_admin_, 403, "permission_denied");
  ExpectRefused("POST", terminals, json{{"terminal_id", desk_id}, {"role", "doctor"}}.dump(),
                hospital_admin_, 400, "invalid_argument");
  ExpectRefused("POST", terminals, json{{"terminal_id", desk_id}, {"role", "desk"}}.dump(),
                hospital_admin_, 400, "invalid_argument");
  ExpectRefused("POST", "/v1/orgs/" + hall_.id + "/medical/terminals",
                json{{"terminal_id", hall_.kiosk_id}, {"role", "kiosk"}}.dump(), admin_, 409,
                "not_a_hospital");
  // Without a role the desk books nothing.
  ExpectRefused("POST", "/v1/medical/registrations",
                json{{"qr", Code()}, {"slot_id", tomorrow[0]["id"]}}.dump(), desk, 403,
                "not_a_kiosk");
  EXPECT_EQ(Counts(), before);

  GiveRole(hospital_, desk_id, "pharmacy", hospital_admin_);
  GiveRole(hospital_, desk_id, "desk", hospital_admin_, clinician_id_);
  json listed = SendJson("GET", terminals, nullptr, hospital_admin_, 200);
  std::map<std::string, std::string> roles;
  for (const json& t : listed["terminals"]) roles[t.value("terminal_id", "")] = t.value("role", "");
  EXPECT_EQ(roles,
            (std::map<std::string, std::string>{{hospital_.kiosk_id, "kiosk"}, {desk_id, "desk"}}))
      << listed;

  // No session of the clinician today yet: refused, nothing changed.
  before = Counts();
  ExpectRefused("POST", "/v1/medical/check-ins", json{{"qr", Code()}, {"walk_in", true}}.dump(),
                desk, 409, "no_session_now");
  ExpectRefused("POST", "/v1/medical/check-ins", json{{"qr", Code()}}.dump(), desk, 409,
                "no_appointment_today");
  EXPECT_EQ(Counts(), before);

  // A session running now (15:00-16:00; it is 15:06): the walk-in takes a
  // place in its first slot and is checked in.
  const json running = Schedule("2026-08-06", "15:00", "16:00", 1);
  json encounter =
      SendJson("POST", "/v1/medical/check-ins", {{"qr", Code()}, {"walk_in", true}}, desk, 201);
  EXPECT_EQ(encounter["state"], "open") << encounter;
  EXPECT_EQ(encounter["clinician_id"], clinician_id_);
  EXPECT_FALSE(encounter.contains("citizen_id"));
  EXPECT_EQ(Booked(running[0]["id"]), 1);
  json mine = SendJson("GET", "/v1/me/medical/appointments", nullptr, session_, 200);
  ASSERT_EQ(mine["appointments"].size(), 1u) << mine;
  EXPECT_EQ(mine["appointments"][0]["channel"], "walk_in");
  EXPECT_EQ(mine["appointments"][0]["id"], encounter["appointment_id"]);
  EXPECT_EQ(mine["appointments"][0]["slot"]["id"], running[0]["id"]);
  // Shown again: the appointment of today is checked in already.
  before = Counts();
  ExpectRefused("POST", "/v1/medical/check-ins", json{{"qr", Code()}, {"walk_in", true}}.dump(),
                desk, 409, "already_checked_in");
  EXPECT_EQ(Counts(), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, MedicalApiTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

TEST_P(MedicalApiTest, StoppingASessionStopsItsBookingsAndTellsThePatients) {
  const json slots = Schedule(kTomorrow, "08:00", "09:00", 2);
  ASSERT_EQ(slots.size(), 2u);
  const std::string slot = slots[0]["id"];
  const std::string schedule = slots[0]["schedule_id"];
  const std::string other_session = CitizenSession(1);
  Book(slot, session_, 201);
  Book(slot, other_session, 201);
  EXPECT_EQ(Booked(slot), 2);

  const std::string stop_path =
      "/v1/orgs/" + hospital_.id + "/medical/schedules/" + schedule + "/stop";
  json stopped = SendJson("POST", stop_path, {{"reason", "王医生外出会诊"}}, hospital_admin_, 200);
  EXPECT_EQ(stopped["appointments_stopped"], 2) << stopped;
  EXPECT_EQ(stopped["refund_fen"], 2000);
  EXPECT_EQ(Booked(slot), 0);
  for (const std::string* session : {&std::as_const(session_), &other_session}) {
    json mine = SendJson("GET", "/v1/me/medical/appointments", nullptr, *session, 200);
    ASSERT_EQ(mine["appointments"].size(), 1u) << mine;
    EXPECT_EQ(mine["appointments"][0]["state"], "stopped");
    json notices = SendJson("GET", "/v1/me/medical/notices", nullptr, *session, 200);
    ASSERT_EQ(notices["notices"].size(), 1u) << notices;
    EXPECT_EQ(notices["notices"][0]["kind"], "schedule_stopped");
    EXPECT_EQ(notices["notices"][0]["refund_fen"], 1000);
    EXPECT_EQ(notices["notices"][0]["reason"], "王医生外出会诊");
    EXPECT_EQ(notices["notices"][0]["appointment_id"], mine["appointments"][0]["id"]);
    EXPECT_EQ(notices["notices"][0]["org_name"], "即墨区人民医院");
    // The notice's refund is booked: the fee and its refund.
    json bill = SendJson("GET", "/v1/me/medical/bill", nullptr, *session, 200);
    ASSERT_EQ(bill["postings"].size(), 2u) << bill;
    EXPECT_EQ(bill["postings"][0]["kind"], "registration_refund");
    EXPECT_EQ(bill["postings"][0]["appointment_id"], notices["notices"][0]["appointment_id"]);
    EXPECT_EQ(bill["postings"][0]["amount_fen"], -1000);
    EXPECT_EQ(bill["owed_fen"], 0);
  }

  json exported = SendJson("GET", "/v1/me/export", nullptr, session_, 200);
  EXPECT_EQ(exported["scenes"]["medical"]["notices"].size(), 1u) << exported["scenes"];

  const auto before = Counts();
  ExpectRefused("POST", "/v1/me/medical/appointments", json{{"slot_id", slot}}.dump(), session_,
                409, "schedule_stopped");
  ExpectRefused("POST", "/v1/medical/registrations",
                json{{"qr", Code()}, {"slot_id", slots[1]["id"]}}.dump(), hospital_.kiosk_key, 409,
                "schedule_stopped");
  ExpectRefused("POST", stop_path, json{{"reason", "again"}}.dump(), hospital_admin_, 409,
                "schedule_stopped");
  // Another hospital's administrator, and the platform's under another hospital.
  ExpectRefused("POST", stop_path, json{{"reason", "not ours"}}.dump(), other_admin_, 403,
                "permission_denied");
  ExpectRefused("POST",
                "/v1/orgs/" + other_hospital_.id + "/medical/schedules/" + schedule + "/stop",
                json{{"reason", "not ours"}}.dump(), admin_, 403, "schedule_of_another_hospital");
  EXPECT_EQ(Counts(), before);
  const std::string query =
      "/v1/medical/slots?org_id=" + hospital_.id + "&day=" + std::string(kTomorrow);
  EXPECT_TRUE(SendJson("GET", query, nullptr, session_, 200)["slots"].empty());
}

TEST_P(MedicalApiTest, NoShowsBlockOnlineBookingButNotTheKiosk) {
  // Three sessions tomorrow, each booked online and never attended.
  for (const char* start : {"08:00", "09:00", "10:00"}) {
    const std::string end = std::string(start).replace(3, 2, "30");
    const json slots = Schedule(kTomorrow, start, end, 2);
    ASSERT_EQ(slots.size(), 1u);
    Book(slots[0]["id"], session_, 201);
  }
  json standing = SendJson("GET", "/v1/me/medical/booking-status", nullptr, session_, 200);
  EXPECT_EQ(standing["limit"], 3) << standing;
  EXPECT_EQ(standing["window_days"], 90);
  EXPECT_EQ(standing["no_shows_in_window"], 0);
  EXPECT_TRUE(standing["blocked_until"].is_null());

  clock_.Advance(std::chrono::days(1));  // 2026-08-07 15:06 in Jimo: all three over
  ASSERT_NO_FATAL_FAILURE(RunMedicalUpkeep());
  session_ = Login(kPhone);  // sessions last less than a day
  json mine = SendJson("GET", "/v1/me/medical/appointments", nullptr, session_, 200);
  ASSERT_EQ(mine["appointments"].size(), 3u);
  for (const json& a : mine["appointments"]) EXPECT_EQ(a["state"], "no_show") << a;
  standing = SendJson("GET", "/v1/me/medical/booking-status", nullptr, session_, 200);
  EXPECT_EQ(standing["blocked_until"], FormatRfc3339(clock_.Now() + std::chrono::days(30)))
      << standing;

  const json next = Schedule("2026-08-08", "08:00", "09:00", 2);
  const auto before = Counts();
  ExpectRefused("POST", "/v1/me/medical/appointments", json{{"slot_id", next[0]["id"]}}.dump(),
                session_, 409, "booking_blocked");
  EXPECT_EQ(Counts(), before);
  // At the hospital's kiosk the patient is there: allowed.
  json at_kiosk = SendJson("POST", "/v1/medical/registrations",
                           {{"qr", Code()}, {"slot_id", next[0]["id"]}}, hospital_.kiosk_key, 201);
  EXPECT_EQ(at_kiosk["channel"], "kiosk") << at_kiosk;
  SendJson("POST", "/v1/me/medical/appointments/" + at_kiosk.value("id", "") + "/cancel", nullptr,
           session_, 200);

  // After the block, online booking works again.
  clock_.Advance(std::chrono::days(31));  // 2026-09-07
  ASSERT_NO_FATAL_FAILURE(RunMedicalUpkeep());
  session_ = Login(kPhone);
  const json after = Schedule("2026-09-08", "08:00", "09:00", 2);
  Book(after[0]["id"], session_, 201);
  standing = SendJson("GET", "/v1/me/medical/booking-status", nullptr, session_, 200);
  EXPECT_TRUE(standing["blocked_until"].is_null()) << standing;
  EXPECT_EQ(standing["no_shows_in_window"], 0);
}

// The acceptance line of health records: the visit's summary is a health
// record in the vault that its patient reads at once; a second hospital
// reading it during a visit there without the health-data consent gets 403
// consent_missing, with it 200, after the patient revokes it 403
// consent_revoked; all three are in the patient's access history and the
// audit log verifies. A grant of health records is apart from other types,
// 24 h by default and at most 7 days.
TEST_P(MedicalApiTest, AnotherHospitalReadsHealthRecordsOnlyUnderTheirOwnConsent) {
  // A desk at each hospital: the other's clinician has a session today.
  const auto [desk_id, desk] = NewTerminal("诊室1");
  GiveRole(hospital_, desk_id, "desk", hospital_admin_, clinician_id_);
  const auto [other_clinician, session] = OtherHospitalSession();
  json other = SendJson("POST", "/v1/orgs/" + other_hospital_.id + "/terminals",
                        {{"site_id", other_hospital_.site_id}, {"name", "诊室1"}}, admin_, 201);
  const std::string other_desk = other.value("api_key", "");
  GiveRole(other_hospital_, other.value("id", ""), "desk", other_admin_, other_clinician);

  Book(Schedule("2026-08-06", "16:00", "17:00", 2)[0]["id"], session_, 201);
  json encounter = SendJson("POST", "/v1/medical/check-ins", {{"qr", Code()}}, desk, 201);
  json closed = SendJson("POST", "/v1/medical/encounters/" + encounter.value("id", "") + "/close",
                         {{"summary", "上呼吸道感染\n嘱多饮水"}}, desk, 200);
  json visits = SendJson("GET", "/v1/me/medical/encounters", nullptr, session_, 200);
  const std::string record = visits["encounters"][0].value("record_identifier", "");
  ASSERT_FALSE(record.empty()) << visits;
  json mine = SendJson("GET", "/v1/me/medical/records", nullptr, session_, 200);
  ASSERT_EQ(mine["records"].size(), 1u) << mine;
  EXPECT_EQ(mine["records"][0]["identifier"], record);
  EXPECT_EQ(mine["records"][0]["type"], "visit_summary");
  EXPECT_EQ(mine["records"][0]["fields"]["summary"], "上呼吸道感染\n嘱多饮水");

  // The patient visits the other hospital.
  Book(session["slots"][0]["id"], session_, 201);
  json there = SendJson("POST", "/v1/medical/check-ins", {{"qr", Code()}}, other_desk, 201);
  const std::string read = "/v1/medical/encounters/" + there.value("id", "") + "/records";
  const std::string use = json{{"use_cause", "复诊参考既往病历"}}.dump();

  ExpectRefused("POST", read, use, other_desk, 403, "consent_missing");
  // The first hospital's desk does not know the other's encounter.
  ExpectRefused("POST", read, use, desk, 404, "not_found");
  // Nor does its kiosk read records: a clinician's desk does.
  ExpectRefused("POST", read, use, other_hospital_.kiosk_key, 403, "not_a_desk");
  // Health records are granted apart, and briefly.
  ExpectRefused("POST", "/v1/me/grants",
                json{{"org_id", other_hospital_.id},
                     {"types", {"visit_summary", "resident_id_card"}},
                     {"purpose", "复诊"},
                     {"expires_at", "2026-08-20T00:00:00Z"}}
                    .dump(),
                session_, 400, "health_consent_separate");
  ExpectRefused("POST", "/v1/me/grants",
                json{{"org_id", other_hospital_.id},
                     {"types", {"visit_summary", "lab_result"}},
                     {"purpose", "复诊"},
                     {"expires_at", "2026-08-20T00:00:00Z"}}
                    .dump(),
                session_, 400, "health_grant_too_long");
  json grant = SendJson("POST", "/v1/me/grants",
                        {{"org_id", other_hospital_.id},
                         {"types", {"visit_summary", "lab_result"}},
                         {"purpose", "复诊参考既往病历"}},
                        session_, 201);
  EXPECT_EQ(grant["expires_at"], "2026-08-07T07:06:40Z") << grant;  // 24 h

  json released = SendJson("POST", read, json::parse(use), other_desk, 200);
  ASSERT_EQ(released["records"].size(), 1u) << released;
  EXPECT_EQ(released["records"][0]["identifier"], record);
  EXPECT_EQ(released["records"][0]["issuer_name"], "医院1");
  EXPECT_EQ(released["records"][0]["fields"]["summary"], "上呼吸道感染\n嘱多饮水");
  const json missing = {
      {{"type_code", vault::FindCertificateType("lab_result")->code}, {"reason", "not_held"}}};
  EXPECT_EQ(released["missing"], missing);
  // The release is signed by the vault for the reading hospital.
  auto signature = Base64UrlDecode(released.value("signature", ""));
  ASSERT_TRUE(signature.ok());
  const crypto::PublicKey vault_key = *crypto::PublicKey::FromPem(
      SendJson("GET", "/v1/vault/public-key", nullptr, {}, 200).value("public_key", ""));
  EXPECT_TRUE(vault_key.Verify(AsBytes(released.value("release", "")), *signature));
  EXPECT_EQ(json::parse(released.value("release", "{}"))["org_id"], other_hospital_.id);

  SendJson("POST", "/v1/me/grants/" + grant.value("id", "") + "/revoke", nullptr, session_, 200);
  ExpectRefused("POST", read, use, other_desk, 403, "consent_revoked");

  json history = SendJson("GET", "/v1/me/access-history", nullptr, session_, 200);
  std::vector<std::pair<std::string, std::string>> reads;  // oldest first
  for (const json& entry : history["history"]) {
    if (entry["org_id"] != other_hospital_.id) continue;
    if (entry["action"] == "fetch.refused" || entry["action"] == "certificate.fetch") {
      reads.emplace(reads.begin(), entry.value("action", ""), entry.value("reason", ""));
    }
  }
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"fetch.refused", "consent_missing"},
      {"certificate.fetch", ""},
      {"fetch.refused", "consent_revoked"}};
  EXPECT_EQ(reads, expected) << history;

  service_->Stop();
  auto report = vault::VerifyAuditLog(db(), vault_key, vault::AuditHash::kSha256, std::nullopt);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok) << report->problem;
}

// A teenager who turns 14 two days after the test's start (2012-08-08).
constexpr std::string_view kTeenName = "测试少年戊";
constexpr std::string_view kTeenIdNumber = "370282201208080020";

// Families: a guardian adds a child on the agency's guardianship
// certificate and holds the child's code on their phone; at the kiosk the
// child's code books for the child, and the guardian books, lists and reads
// the child's records under /v1/me/dependants/{id}/medical/. Nobody else
// acts for the child. Once the link no longer holds (the child is 14), the
// child's code shown from the guardian's phone is refused
// guardianship_ended, and nothing changes.
TEST_P(MedicalApiTest, AGuardianBooksAndSeesAppointmentsForAChild) {
  const json added = AddDependant(kTeenName, kTeenIdNumber);
  const std::string child = "/v1/me/dependants/" + added.value("dependant_id", "");
  const crypto::PrivateKey child_key = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  json enrolled = SendJson("POST", child + "/devices",
                           {{"public_key", child_key.public_key().ToPem()}, {"label", "孩子"}},
                           session_, 201, {{"X-Channel-Key", channel_}});
  const Bytes child_credential = *Base64UrlDecode(enrolled.value("credential", ""));
  auto child_code = [&] {
    auto bytes = code::MakePresentation(
        {.credential = child_credential, .made_at = clock_.Now(), .counter = ++counter_},
        child_key);
    return code::ToQrText(*bytes);
  };

  // At the kiosk the child's code books for the child, not the guardian.
  const json slots = Schedule("2026-08-08", "16:00", "17:00", 2);
  SendJson("POST", "/v1/medical/registrations", {{"qr", child_code()}, {"slot_id", slots[0]["id"]}},
           hospital_.kiosk_key, 201);
  // The guardian books the other slot online for the child: one per session.
  ExpectRefused("POST", child + "/medical/appointments", json{{"slot_id", slots[1]["id"]}}.dump(),
                session_, 409, "already_booked");
  const json tomorrow = Schedule(kTomorrow, "08:00", "09:00", 2);
  SendJson("POST", child + "/medical/appointments", {{"slot_id", tomorrow[0]["id"]}}, session_,
           201);
  json theirs = SendJson("GET", child + "/medical/appointments", nullptr, session_, 200);
  EXPECT_EQ(theirs["appointments"].size(), 2u) << theirs;
  json own = SendJson("GET", "/v1/me/medical/appointments", nullptr, session_, 200);
  EXPECT_EQ(own["appointments"].size(), 0u) << own;
  SendJson("GET", child + "/medical/records", nullptr, session_, 200);
  // Every own route has its dependant's twin; the bill holds the child's fees.
  json bill = SendJson("GET", child + "/medical/bill", nullptr, session_, 200);
  EXPECT_EQ(bill["postings"].size(), 2u) << bill;
  EXPECT_EQ(bill["charged_fen"], 2000);
  EXPECT_EQ(SendJson("GET", "/v1/me/medical/bill", nullptr, session_, 200)["postings"].size(), 0u);

  // Nobody else acts for the child.
  const std::string stranger = CitizenSession(7);
  ExpectRefused("GET", child + "/medical/appointments", "", stranger, 404, "dependant_not_found");

  // Two days on the child is 14: the link no longer holds, though the code
  // on the guardian's phone is still within its credential's life.
  const json later = Schedule("2026-08-09", "08:00", "09:00", 2);
  clock_.Advance(std::chrono::days(2));
  session_ = Login(kPhone);
  const auto before = Counts();
  ExpectRefused("POST", "/v1/medical/registrations",
                json{{"qr", child_code()}, {"slot_id", later[0]["id"]}}.dump(), hospital_.kiosk_key,
                403, "guardianship_ended");
  EXPECT_EQ(Counts(), before);
  ExpectRefused("GET", child + "/medical/appointments", "", session_, 409, "guardianship_ended");
}

}  // namespace
}  // namespace citycode
