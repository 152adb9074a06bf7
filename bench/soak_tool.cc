// citycode_soak: the driver of scripts/soak (issue 22): the city's mixed
// load against a `citycode demo` server, counted by route and status.
//
//   setup --server URL --dir DIR --riders N --rooms R --out WORLD
//         On the demo city of DIR/demo.json: N riders registered, confirmed,
//         logged in and verified online through the public API (their
//         one-time codes from the demo's inbox, their ID tokens from the
//         demo's identity provider), each with an enrolled phone, an ID card
//         and a household register pushed by the demo's agency, a standing
//         grant of the ID card to the service hall and a place on the staff
//         of the tech centre's gate; the hotels get rooms up to R in all.
//         Writes WORLD (JSON, 0600: keys, passwords and sessions).
//   load  --server URL --world WORLD --seconds S --workers C [--rate R]
//         [--flows verify,taps,…] --acked FILE --out FILE
//         C connections run the flows below in a fixed weighted mix for S
//         seconds (a flow started goes to its end); with --rate, the
//         requests are paced to R a second in all (the k-th one is sent at
//         start + k / R, or at once when late). Writes one JSON summary to
//         --out (per route: answers by status, p50/p90/p99/max latency from
//         the send) and appends every write the server acknowledged to
//         --acked, one "kind<TAB>id<TAB>number" a line, for the check that
//         none was lost. Progress every 10 s on stderr. --flows keeps
//         only the flows named (to find which one a problem comes with).
//
// The flows (how many of every 366 flows; what each sends):
//   verify   200: POST /v1/verify at a transit gate
//   taps      40: POST /v1/transit/taps, 5 bus boardings of 5 riders
//   passages  40: GET the gate's allow-list (If-None-Match), POST
//                 /v1/access/passages, 5 admitted staff passages
//   hall      15: kiosk ticket, window call, case (fetches the item's two
//                 certificates from the vault), complete
//   fetch     30: POST /v1/vault/fetch by the hall on a standing grant
//   medical   20: kiosk registration, the rider cancels online
//   hotel     20: check-in by code (fetches the ID card), check-out
//   login      1: log in (argon2id), GET /v1/me/trips, log out
// Riders are dealt to workers (rider r to worker r % C), so no rider is in
// two flows of its own at once; the hall's window calls whichever ticket is
// next and opens the case with its holder's code.
//
// The riders are simulated: names and ID numbers are made up and never
// printed.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api_call.h"
#include "api_client/http_client.h"
#include "api_client/simulator.h"
#include "code/presentation.h"
#include "common/bytes.h"
#include "common/city_time.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "tool_args.h"
#include "vault/certificate.h"
#include "vault/certificate_types.h"
#include "vault/sample_certificates.h"

namespace citycode::bench {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string LocalDay(int days_from_today) {
  return FormatIsoDay(CityTime{}.LocalDay(SystemClock().Now()) +
                      std::chrono::days(days_from_today));
}

// --- setup -------------------------------------------------------------------

constexpr std::string_view kHallName = "即墨区政务服务中心";
constexpr std::string_view kBusOperator = "即墨公交";
constexpr std::string_view kGateOrg = "即墨科技创新中心";
constexpr std::string_view kAgencyName = "即墨公安分局户政科";
constexpr std::string_view kAgencyCreditCode = "11370282MB0000001X";  // the demo's

// The demo city's terminal keys of `org` whose names pass `keep`.
std::vector<json> DemoTerminals(const json& demo, std::string_view org,
                                const std::function<bool(const json&)>& keep = {}) {
  std::vector<json> out;
  for (const json& t : demo["terminals"]) {
    if (t["org"] == org && (!keep || keep(t))) out.push_back(t);
  }
  if (out.empty()) throw std::runtime_error("no terminal of " + std::string(org) + " in demo.json");
  return out;
}

std::string OrgAdminKey(const json& demo, std::string_view org) {
  for (const json& a : demo["org_admins"]) {
    if (a["org"] == org) return a["api_key"];
  }
  throw std::runtime_error("no admin key of " + std::string(org) + " in demo.json");
}

// Registers rider `index` through the public API and gives them what the
// flows need; their world entry.
json SetUpRider(api_client::HttpClient& client, const json& demo, const json& world,
                const std::string& agency_key, const crypto::PrivateKey& agency_signer,
                unsigned run, long index) {
  const std::string admin = demo["admin_key"];
  char phone[16];
  std::snprintf(phone, sizeof phone, "198%04u%04ld", run, index % 10000);
  const std::string password = "soak-" + ToHex(crypto::RandomArray<8>());
  const std::string name = "模拟市民" + std::to_string(index);
  const std::string id_number = api_client::RandomResidentIdNumber();
  Call(client, "POST", "/v1/citizens",
       {{"name", name}, {"id_number", id_number}, {"phone", phone}, {"password", password}}, {},
       202, "register a rider");
  const json texts =
      Call(client, "POST", "/v1/demo/texts", {{"phone", phone}}, Bearer(admin), 200, "read texts");
  Call(client, "POST", "/v1/citizens/confirm", {{"phone", phone}, {"code", texts["code"]}}, {}, 201,
       "confirm the rider's phone");
  const std::string session =
      Call(client, "POST", "/v1/sessions", {{"phone", phone}, {"password", password}}, {}, 201,
           "log in")["token"];
  const json check = Call(client, "POST", "/v1/me/identity/online", nullptr, Bearer(session), 201,
                          "start the identity check");
  const json token = Call(client, "POST", "/v1/demo/id-token", {{"nonce", check["nonce"]}},
                          Bearer(session), 200, "get an ID token");
  Call(client, "POST", "/v1/me/identity/online/id-token",
       {{"id_token", token["id_token"]}, {"nonce", check["nonce"]}}, Bearer(session), 200,
       "verify the identity");
  // Serials far above the demo's own (1-9), unique per run and rider.
  const std::uint64_t serial =
      (std::uint64_t{run} * 10000 + static_cast<std::uint64_t>(index)) * 2 + 100000;
  const std::pair<const char*, const char*> certificates[] = {{"resident_id_card", "2044-03-01"},
                                                              {"household_register", ""}};
  for (std::size_t i = 0; i < 2; ++i) {
    const auto [type, valid_until] = certificates[i];
    auto certificate =
        Check(vault::SampleCertificate(
                  *vault::FindCertificateType(type), {.name = name, .id_number = id_number},
                  {.name = std::string(kAgencyName), .credit_code = std::string(kAgencyCreditCode)},
                  serial + i, "2024-03-01", valid_until),
              "make a certificate");
    auto signed_certificate = Check(vault::SignCertificate(certificate, agency_signer), "sign it");
    Call(client, "POST", "/v1/vault/certificates",
         {{"certificate", vault::CertificateToJson(signed_certificate)}}, Bearer(agency_key), 201,
         "push a certificate");
  }
  auto device = Check(crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519), "device key");
  Headers enrol = Bearer(session);
  enrol.emplace_back("X-Channel-Key", demo["app_channel_key"].get<std::string>());
  const json enrolled = Call(client, "POST", "/v1/me/devices",
                             {{"public_key", device.public_key().ToPem()}}, enrol, 201, "enrol");
  const json grant =
      Call(client, "POST", "/v1/me/grants",
           {{"org_id", world["hall_org"]},
            {"types", {"resident_id_card"}},
            {"purpose", "soak: the hall's fetches"},
            {"expires_at", FormatRfc3339(SystemClock().Now() + std::chrono::days(30))}},
           Bearer(session), 201, "grant the hall");
  Call(client, "POST",
       "/v1/orgs/" + world["gate"]["org_id"].get<std::string>() + "/access/sites/" +
           world["gate"]["site_id"].get<std::string>() + "/members",
       {{"name", name}, {"id_number", id_number}}, Bearer(world["gate"]["org_admin_key"]), 201,
       "add the rider to the tech centre's staff");
  return {{"phone", phone},
          {"password", password},
          {"session", session},
          {"device_key", device.ToPem()},
          {"credential", enrolled["credential"]},
          {"hall_grant", grant["id"]}};
}

int Setup(const Args& args) {
  const std::string dir = args.Get("dir");
  const json demo = json::parse(ReadText(dir + "/demo.json"));
  const long riders = args.GetInt("riders", 128), rooms = args.GetInt("rooms", 40);
  auto client = Check(api_client::HttpClient::Create(args.Get("server")), "connect");
  const std::string admin = demo["admin_key"];
  const auto whoami = [&](const std::string& key) {
    return Call(*client, "GET", "/v1/terminal", nullptr, Bearer(key), 200, "identify a terminal");
  };
  json world;

  // Transit: the bus operator's gates verify and upload boardings.
  world["transit_gates"] = json::array();
  for (const json& t : DemoTerminals(demo, kBusOperator)) {
    const json who = whoami(t["api_key"]);
    world["transit_gates"].push_back({{"key", t["api_key"]},
                                      {"terminal_id", who["terminal_id"]},
                                      {"route", t["site"] == "1路" ? "bus_1" : "bus_2"}});
  }

  // The hall: a kiosk and a window at each site, the item needing the ID
  // card and household register.
  world["halls"] = json::array();
  for (const json& window : DemoTerminals(demo, kHallName, [](const json& t) {
         return t["name"].get<std::string>().ends_with("3号窗口");
       })) {
    const auto kiosk = DemoTerminals(demo, kHallName, [&](const json& t) {
      return t["site"] == window["site"] && t["name"] == window["site"].get<std::string>() + " 1";
    });
    const json hall = Call(*client, "GET", "/v1/gov/terminal", nullptr, Bearer(window["api_key"]),
                           200, "describe the window");
    std::string item;
    for (const json& i : hall["service_items"]) {
      if (i["code"] == "hukou-transfer") item = i["id"];
    }
    if (item.empty()) throw std::runtime_error("the demo hall has no hukou-transfer item");
    world["hall_org"] = whoami(window["api_key"])["org_id"];
    world["halls"].push_back(
        {{"kiosk", kiosk.front()["api_key"]}, {"window", window["api_key"]}, {"item", item}});
  }

  // The access gate whose staff the riders join.
  {
    const json gate = DemoTerminals(demo, kGateOrg).front();
    const json who = whoami(gate["api_key"]);
    world["gate"] = {{"key", gate["api_key"]},
                     {"terminal_id", who["terminal_id"]},
                     {"org_id", who["org_id"]},
                     {"site_id", who["site_id"]},
                     {"org_admin_key", OrgAdminKey(demo, kGateOrg)}};
  }

  // The agency's admin key, to push the riders' certificates.
  std::string agency_org;
  const json orgs =
      Call(*client, "GET", "/v1/orgs", nullptr, Bearer(admin), 200, "list organisations");
  for (const json& org : orgs["orgs"]) {
    if (org["kind"] == "issuing_agency") agency_org = org["id"];
  }
  const std::string agency_key =
      Call(*client, "POST", "/v1/orgs/" + agency_org + "/admin-keys", {{"name", "soak agency"}},
           Bearer(admin), 201, "an agency admin key")["api_key"];
  const auto agency_signer =
      Check(crypto::PrivateKey::FromPem(ReadText(demo["agency_key_file"].get<std::string>())),
            "agency key");

  // Phones 198 + 4 random digits + the index: runs on one database differ.
  const auto random = crypto::RandomArray<2>();
  const unsigned run = (unsigned{random[0]} << 8 | random[1]) % 10000;
  world["riders"] = json::array();
  const auto started = SteadyClock::now();
  for (long i = 0; i < riders; ++i) {
    world["riders"].push_back(SetUpRider(*client, demo, world, agency_key, agency_signer, run, i));
  }
  std::cerr << "set up " << riders << " riders in "
            << std::chrono::duration<double>(SteadyClock::now() - started).count() << " s\n";

  // Hospitals: each kiosk with the open slots of the next six days.
  world["hospitals"] = json::array();
  const std::string any_session = world["riders"][0]["session"];
  for (const json& t : demo["terminals"]) {
    if (t["scene"] != "medical" || t["name"] != t["site"].get<std::string>() + " 1") continue;
    const std::string org = whoami(t["api_key"])["org_id"];
    json slots = json::array();
    for (int day = 1; day <= 6; ++day) {
      const json open =
          Call(*client, "GET", "/v1/medical/slots?org_id=" + org + "&day=" + LocalDay(day), nullptr,
               Bearer(any_session), 200, "list slots");
      for (const json& slot : open["slots"]) {
        slots.push_back(slot["id"]);
      }
    }
    world["hospitals"].push_back({{"kiosk", t["api_key"]}, {"slots", slots}});
  }

  // Hotels: rooms 301 … added until the hotels have `rooms` in all.
  world["hotels"] = json::array();
  std::vector<json> hotel_desks;
  for (const json& t : demo["terminals"]) {
    if (t["scene"] == "hotel") hotel_desks.push_back(t);
  }
  const long per_hotel =
      (rooms + static_cast<long>(hotel_desks.size()) - 1) / static_cast<long>(hotel_desks.size());
  for (const json& desk : hotel_desks) {
    const std::string org = whoami(desk["api_key"])["org_id"];
    const std::string org_key = OrgAdminKey(demo, desk["org"].get<std::string>());
    const auto existing =
        static_cast<long>(Call(*client, "GET", "/v1/hotel/rooms", nullptr, Bearer(desk["api_key"]),
                               200, "list rooms")["rooms"]
                              .size());
    for (long added = 1; existing + added <= per_hotel; ++added) {
      Call(*client, "POST", "/v1/orgs/" + org + "/hotel/rooms",
           {{"number", std::to_string(300 + added)}}, Bearer(org_key), 201, "add a room");
    }
    world["hotels"].push_back({{"desk", desk["api_key"]}});
  }

  // Keys, passwords and sessions: the owner's only, before they are written.
  const std::string out = args.Get("out");
  std::ofstream file(out, std::ios::trunc);
  std::filesystem::permissions(
      out, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  file << world.dump() << "\n";
  if (!file.flush()) throw std::runtime_error("cannot write " + out);
  return 0;
}

// --- load --------------------------------------------------------------------

struct Rider {
  explicit Rider(crypto::PrivateKey key) : device(std::move(key)) {}
  std::string phone, password, session, hall_grant;
  crypto::PrivateKey device;
  Bytes credential;
  std::atomic<std::uint64_t> counter;
};

struct Hotel {
  std::string desk;
  std::mutex mutex;
  std::deque<std::string> free_rooms;
};

// A terminal that numbers what it uploads: (terminal, sequence) is once.
struct SequencedGate {
  std::string key, terminal_id, route;
  std::atomic<std::int64_t> next;
};

struct Hall {
  std::string kiosk, window, item;
};

struct Hospital {
  std::string kiosk;
  std::vector<std::string> slots;
};

struct RouteStats {
  std::map<int, long> statuses;  // 0: no answer (the exchange failed)
  std::vector<std::uint32_t> latencies_us;
  long unexpected = 0;  // an answer other than the flow's (5xx included)
};

enum class Flow { kVerify, kTaps, kPassages, kHall, kFetch, kMedical, kHotel, kLogin };

struct FlowWeight {
  Flow flow;
  const char* name;
  int weight;
};

constexpr FlowWeight kMix[] = {{Flow::kVerify, "verify", 200},    {Flow::kTaps, "taps", 40},
                               {Flow::kPassages, "passages", 40}, {Flow::kHall, "hall", 15},
                               {Flow::kFetch, "fetch", 30},       {Flow::kMedical, "medical", 20},
                               {Flow::kHotel, "hotel", 20},       {Flow::kLogin, "login", 1}};

// What the workers share.
struct Load {
  std::string server;
  std::vector<std::unique_ptr<Rider>> riders;
  std::vector<std::unique_ptr<SequencedGate>> transit_gates;
  std::unique_ptr<SequencedGate> access_gate;
  std::string access_site;
  std::vector<Hall> halls;
  std::vector<Hospital> hospitals;
  std::vector<std::unique_ptr<Hotel>> hotels;
  std::vector<Flow> mix;  // the weights, shuffled once

  SteadyClock::time_point start, end;
  double rate = 0;  // requests a second in all; 0: as fast as answered
  std::atomic<std::uint64_t> issued{0};
  std::atomic<long> requests{0}, expected{0}, server_errors{0}, unexpected{0}, failed{0};
  std::atomic<long> late_over_10ms{0};
  std::atomic<long> max_lag_us{0};

  // The hall's tickets and their holders: a window calls whichever is next.
  std::mutex tickets_mutex;
  std::condition_variable ticket_taken;
  std::unordered_map<std::string, Rider*> ticket_holders;

  std::mutex samples_mutex;
  std::vector<std::string> samples;  // the first unexpected answers
};

void LoadWorld(const std::string& path, const std::string& flows, Load& load) {
  const json world = json::parse(ReadText(path));
  // Counters and sequences above any an earlier load of this world used:
  // microseconds since the epoch, then one up per use.
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const json& r : world["riders"]) {
    auto rider = std::make_unique<Rider>(
        Check(crypto::PrivateKey::FromPem(r["device_key"].get<std::string>()), "key"));
    rider->phone = r["phone"];
    rider->password = r["password"];
    rider->session = r["session"];
    rider->hall_grant = r["hall_grant"];
    rider->credential = Check(Base64UrlDecode(r["credential"].get<std::string>()), "credential");
    rider->counter = static_cast<std::uint64_t>(now_us);
    load.riders.push_back(std::move(rider));
  }
  for (const json& g : world["transit_gates"]) {
    load.transit_gates.push_back(std::make_unique<SequencedGate>());
    auto& gate = *load.transit_gates.back();
    gate.key = g["key"];
    gate.terminal_id = g["terminal_id"];
    gate.route = g["route"];
    gate.next = now_us;
  }
  load.access_gate = std::make_unique<SequencedGate>();
  load.access_gate->key = world["gate"]["key"];
  load.access_gate->terminal_id = world["gate"]["terminal_id"];
  load.access_gate->next = now_us;
  load.access_site = world["gate"]["site_id"];
  for (const json& h : world["halls"]) load.halls.push_back({h["kiosk"], h["window"], h["item"]});
  for (const json& h : world["hospitals"]) {
    load.hospitals.push_back({h["kiosk"], h["slots"].get<std::vector<std::string>>()});
    if (load.hospitals.back().slots.empty()) throw std::runtime_error("a hospital without slots");
  }
  // The rooms free now (a stay left in house by an earlier failure is not).
  auto client = Check(api_client::HttpClient::Create(load.server), "connect");
  for (const json& h : world["hotels"]) {
    load.hotels.push_back(std::make_unique<Hotel>());
    Hotel& hotel = *load.hotels.back();
    hotel.desk = h["desk"];
    const json rooms =
        Call(*client, "GET", "/v1/hotel/rooms", nullptr, Bearer(hotel.desk), 200, "list rooms");
    for (const json& room : rooms["rooms"]) {
      if (!room["occupied"].get<bool>()) hotel.free_rooms.push_back(room["id"]);
    }
  }
  for (const FlowWeight& f : kMix) {
    if (flows.empty() ||
        ("," + flows + ",").find("," + std::string(f.name) + ",") != std::string::npos) {
      load.mix.insert(load.mix.end(), f.weight, f.flow);
    }
  }
  if (load.mix.empty()) throw std::runtime_error("--flows names none of the mix's flows");
  std::shuffle(load.mix.begin(), load.mix.end(), std::mt19937(22));
}

bool Contains(std::initializer_list<int> list, int value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

class Worker {
 public:
  Worker(Load& load, int index, int workers) : load_(load), index_(index) {
    client_ = Check(api_client::HttpClient::Create(load.server), "connect");
    for (std::size_t r = static_cast<std::size_t>(index); r < load.riders.size();
         r += static_cast<std::size_t>(workers)) {
      own_.push_back(load.riders[r].get());
    }
    if (own_.empty()) throw std::runtime_error("fewer riders than workers");
    next_flow_ =
        static_cast<std::size_t>(index) * load.mix.size() / static_cast<std::size_t>(workers);
  }

  void Run() {
    while (SteadyClock::now() < load_.end) {
      const Flow flow = load_.mix[next_flow_++ % load_.mix.size()];
      ++flows_[flow];
      switch (flow) {
        case Flow::kVerify: Verify(); break;
        case Flow::kTaps: Taps(); break;
        case Flow::kPassages: Passages(); break;
        case Flow::kHall: HallVisit(); break;
        case Flow::kFetch: Fetch(); break;
        case Flow::kMedical: Registration(); break;
        case Flow::kHotel: HotelStay(); break;
        case Flow::kLogin: Login(); break;
      }
    }
  }

  std::map<std::string, RouteStats> routes;
  std::map<Flow, long> flows_;
  std::map<std::string, long> acked_counts;
  std::string acked;  // "kind<TAB>id<TAB>number" lines

 private:
  using Accept = std::function<bool(const json&)>;

  // One request of a flow, paced when the load has a rate; its JSON answer
  // when the status is one of `expected` and `accept` takes the body.
  std::optional<json> Send(const std::string& route, std::string_view method,
                           const std::string& target, const std::string& body,
                           const Headers& headers, std::initializer_list<int> expected,
                           const Accept& accept = {}) {
    if (load_.rate > 0) {
      const std::uint64_t k = load_.issued++;
      const auto due = load_.start + std::chrono::duration_cast<SteadyClock::duration>(
                                         std::chrono::duration<double>(k / load_.rate));
      std::this_thread::sleep_until(due);
      const long lag = static_cast<long>(
          std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - due).count());
      if (lag > 10'000) ++load_.late_over_10ms;
      long seen = load_.max_lag_us.load();
      while (lag > seen && !load_.max_lag_us.compare_exchange_weak(seen, lag)) {
      }
    }
    RouteStats& stats = routes[route];
    const auto sent = SteadyClock::now();
    auto reply = client_->Send(method, target, body, headers);
    const auto took =
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - sent);
    ++load_.requests;
    if (!reply.ok()) {
      ++stats.statuses[0];
      ++stats.unexpected;
      ++load_.failed;
      Sample(route, 0, reply.status().ToString());
      // The server is gone or stuck: do not spin.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return std::nullopt;
    }
    last_status_ = reply->status;
    last_etag_ = reply->Header("etag");
    ++stats.statuses[reply->status];
    stats.latencies_us.push_back(static_cast<std::uint32_t>(took.count()));
    if (reply->status >= 500) ++load_.server_errors;
    if (Contains(expected, reply->status)) {
      json doc = reply->body.empty() ? json::object() : json::parse(reply->body, nullptr, false);
      if (!doc.is_discarded() && (!accept || accept(doc))) {
        ++load_.expected;
        return doc;
      }
    }
    ++stats.unexpected;
    if (reply->status < 500) ++load_.unexpected;
    Sample(route, reply->status, reply->body);
    return std::nullopt;
  }

  std::optional<json> SendJson(const std::string& route, std::string_view method,
                               const std::string& target, const json& body, const Headers& headers,
                               std::initializer_list<int> expected, const Accept& accept = {}) {
    return Send(route, method, target, body.is_null() ? "" : body.dump(), headers, expected,
                accept);
  }

  void Sample(const std::string& route, int status, const std::string& body) {
    std::lock_guard lock(load_.samples_mutex);
    if (load_.samples.size() < 20) {
      load_.samples.push_back(route + " -> " + std::to_string(status) + " " + body.substr(0, 300));
    }
  }

  void Acked(const char* kind, const std::string& id, std::int64_t number = 0) {
    ((((acked += kind) += '\t') += id) += '\t') += std::to_string(number) + '\n';
    ++acked_counts[kind];
  }

  Rider& NextRider() { return *own_[next_rider_++ % own_.size()]; }

  std::string CodeOf(Rider& rider) {
    auto presentation = code::MakePresentation({.credential = rider.credential,
                                                .made_at = SystemClock().Now(),
                                                .counter = rider.counter++},
                                               rider.device);
    return code::ToQrText(Check(std::move(presentation), "make a code"));
  }

  template <typename T>
  T& Pick(std::vector<T>& list) {
    return list[count_++ % list.size()];
  }

  void Verify() {
    const SequencedGate& gate = *Pick(load_.transit_gates);
    auto verdict =
        SendJson("POST /v1/verify", "POST", "/v1/verify", {{"code", CodeOf(NextRider())}},
                 Bearer(gate.key), {200}, [](const json& d) { return d.value("valid", false); });
    if (verdict) Acked("verification", (*verdict)["verification_id"]);
  }

  void Taps() {
    SequencedGate& gate = *Pick(load_.transit_gates);
    static const std::map<std::string, std::vector<std::string>> kStops = {
        {"bus_1", {"B101", "B102", "B103", "B104"}}, {"bus_2", {"B102", "B201", "B202", "B203"}}};
    const auto& stops = kStops.at(gate.route);
    json taps = json::array();
    std::vector<std::int64_t> sequences;
    for (int i = 0; i < 5; ++i) {
      sequences.push_back(gate.next++);
      taps.push_back({{"sequence", sequences.back()},
                      {"at", FormatRfc3339(SystemClock().Now())},
                      {"route_id", gate.route},
                      {"stop_id", stops[static_cast<std::size_t>(i) % stops.size()]},
                      {"kind", "board"},
                      {"code", CodeOf(NextRider())}});
    }
    const auto stored =
        SendJson("POST /v1/transit/taps", "POST", "/v1/transit/taps", {{"taps", taps}},
                 Bearer(gate.key), {200}, [](const json& d) { return d.value("stored", 0) == 5; });
    if (!stored) return;
    for (std::int64_t s : sequences) Acked("tap", gate.terminal_id, s);
  }

  void Passages() {
    SequencedGate& gate = *load_.access_gate;
    // The gate keeps its list fresh: mostly 304 Not Modified.
    Headers list_headers = Bearer(gate.key);
    if (!allow_list_etag_.empty()) list_headers.emplace_back("If-None-Match", allow_list_etag_);
    if (Send("GET /v1/access/sites/{site}/allow-list", "GET",
             "/v1/access/sites/" + load_.access_site + "/allow-list", "", list_headers,
             {200, 304}) &&
        last_status_ == 200) {
      allow_list_etag_ = last_etag_;
    }
    json passages = json::array();
    std::vector<std::int64_t> sequences;
    for (int i = 0; i < 5; ++i) {
      sequences.push_back(gate.next++);
      passages.push_back({{"sequence", sequences.back()},
                          {"at", FormatRfc3339(SystemClock().Now())},
                          {"code", CodeOf(NextRider())},
                          {"admitted", true},
                          {"reason", "admitted"}});
    }
    const auto accepted = SendJson("POST /v1/access/passages", "POST", "/v1/access/passages",
                                   {{"passages", passages}}, Bearer(gate.key), {200},
                                   [](const json& d) { return d.value("accepted", 0) == 5; });
    if (!accepted) return;
    for (std::int64_t s : sequences) Acked("passage", gate.terminal_id, s);
  }

  void HallVisit() {
    const Hall& hall = Pick(load_.halls);
    Rider& rider = NextRider();
    const auto ticket =
        SendJson("POST /v1/gov/tickets", "POST", "/v1/gov/tickets",
                 {{"qr", CodeOf(rider)}, {"service_item", hall.item}}, Bearer(hall.kiosk), {201});
    if (!ticket) return;
    const std::string taken = (*ticket)["id"];
    Acked("ticket", taken);
    {
      std::lock_guard lock(load_.tickets_mutex);
      load_.ticket_holders[taken] = &rider;
    }
    load_.ticket_taken.notify_all();
    const auto called =
        SendJson("POST /v1/gov/call", "POST", "/v1/gov/call", nullptr, Bearer(hall.window), {200},
                 [](const json& d) { return d["ticket"].is_object(); });
    if (!called) return;
    const std::string ticket_id = (*called)["ticket"]["id"];
    // The called ticket may be another worker's, its holder noted a moment
    // after its answer.
    Rider* holder = nullptr;
    {
      std::unique_lock lock(load_.tickets_mutex);
      load_.ticket_taken.wait_for(lock, std::chrono::seconds(10),
                                  [&] { return load_.ticket_holders.contains(ticket_id); });
      auto it = load_.ticket_holders.find(ticket_id);
      if (it != load_.ticket_holders.end()) {
        holder = it->second;
        load_.ticket_holders.erase(it);
      }
    }
    if (holder == nullptr) {
      Sample("POST /v1/gov/call", 200, "a ticket no worker took: " + ticket_id);
      ++load_.unexpected;
      return;
    }
    const auto opened =
        SendJson("POST /v1/gov/cases", "POST", "/v1/gov/cases",
                 {{"qr", CodeOf(*holder)}, {"ticket_id", ticket_id}}, Bearer(hall.window), {201},
                 [](const json& d) { return d["served"].size() == 2 && d["missing"].empty(); });
    if (!opened) return;
    const std::string case_id = (*opened)["id"];
    Acked("case", case_id);
    if (SendJson("POST /v1/gov/cases/{case}/complete", "POST",
                 "/v1/gov/cases/" + case_id + "/complete", nullptr, Bearer(hall.window), {200},
                 [](const json& d) { return d["state"] == "done"; })) {
      Acked("case_done", case_id);
    }
  }

  void Fetch() {
    const Hall& hall = Pick(load_.halls);
    const auto fetched =
        SendJson("POST /v1/vault/fetch", "POST", "/v1/vault/fetch",
                 {{"grant_id", NextRider().hall_grant}, {"use_cause", "户口迁移 (soak)"}},
                 Bearer(hall.window), {200});
    if (!fetched) return;
    const json release = json::parse((*fetched)["release"].get<std::string>(), nullptr, false);
    if (!release.is_discarded()) Acked("release", release.value("release_id", ""));
  }

  void Registration() {
    Hospital& hospital = Pick(load_.hospitals);
    Rider& rider = NextRider();
    const std::string& slot =
        hospital.slots[(count_ * 7 + static_cast<std::size_t>(index_)) % hospital.slots.size()];
    const auto booked =
        SendJson("POST /v1/medical/registrations", "POST", "/v1/medical/registrations",
                 {{"qr", CodeOf(rider)}, {"slot_id", slot}}, Bearer(hospital.kiosk), {201});
    if (!booked) return;
    const std::string id = (*booked)["id"];
    Acked("appointment", id);
    if (SendJson("POST /v1/me/medical/appointments/{appointment}/cancel", "POST",
                 "/v1/me/medical/appointments/" + id + "/cancel", nullptr, Bearer(rider.session),
                 {200}, [](const json& d) { return d["state"] == "cancelled"; })) {
      Acked("appointment_cancelled", id);
    }
  }

  void HotelStay() {
    // A free room, from this worker's hotel first.
    Hotel* hotel = nullptr;
    std::string room;
    for (std::size_t i = 0; i < load_.hotels.size() && room.empty(); ++i) {
      hotel = load_.hotels[(count_ + i) % load_.hotels.size()].get();
      std::lock_guard lock(hotel->mutex);
      if (hotel->free_rooms.empty()) continue;
      room = hotel->free_rooms.front();
      hotel->free_rooms.pop_front();
    }
    ++count_;
    if (room.empty()) {
      Sample("POST /v1/hotel/stays", 0, "no free room: seed more rooms than workers");
      ++load_.unexpected;
      return;
    }
    bool free_again = true;
    const auto stay =
        SendJson("POST /v1/hotel/stays", "POST", "/v1/hotel/stays",
                 {{"room_id", room}, {"codes", {CodeOf(NextRider())}}}, Bearer(hotel->desk), {201});
    if (stay) {
      const std::string id = (*stay)["id"];
      Acked("stay", id);
      const auto out =
          SendJson("POST /v1/hotel/stays/{stay}/check-out", "POST",
                   "/v1/hotel/stays/" + id + "/check-out", nullptr, Bearer(hotel->desk), {200});
      if (out) Acked("stay_checked_out", id);
      free_again = out.has_value();
    }
    if (free_again) {
      std::lock_guard lock(hotel->mutex);
      hotel->free_rooms.push_back(room);
    }
  }

  void Login() {
    Rider& rider = NextRider();
    const auto session =
        SendJson("POST /v1/sessions", "POST", "/v1/sessions",
                 {{"phone", rider.phone}, {"password", rider.password}}, {}, {201});
    if (!session) return;
    const Headers auth = Bearer((*session)["token"]);
    SendJson("GET /v1/me/trips", "GET", "/v1/me/trips?day=" + LocalDay(0), nullptr, auth, {200});
    SendJson("DELETE /v1/sessions/current", "DELETE", "/v1/sessions/current", nullptr, auth, {200});
  }

  Load& load_;
  const int index_;
  std::unique_ptr<api_client::HttpClient> client_;
  std::vector<Rider*> own_;
  std::size_t next_flow_ = 0, next_rider_ = 0, count_ = 0;
  int last_status_ = 0;
  std::string last_etag_, allow_list_etag_;
};

// What a failure in an earlier load left behind, put right before this one
// starts (not counted): appointments still booked (their cancel failed),
// so the riders may book those sessions again; tickets still waiting (their
// call failed), whose holders this process does not know. How many of each.
std::pair<long, long> Tidy(Load& load) {
  auto client = Check(api_client::HttpClient::Create(load.server), "connect");
  long appointments = 0, tickets = 0;
  for (const auto& rider : load.riders) {
    const json mine = Call(*client, "GET", "/v1/me/medical/appointments", nullptr,
                           Bearer(rider->session), 200, "list appointments");
    for (const json& a : mine["appointments"]) {
      if (a["state"] != "booked") continue;
      Call(*client, "POST", "/v1/me/medical/appointments/" + a["id"].get<std::string>() + "/cancel",
           nullptr, Bearer(rider->session), 200, "cancel a leftover appointment");
      ++appointments;
    }
  }
  for (const Hall& hall : load.halls) {
    while (!Call(*client, "POST", "/v1/gov/call", nullptr, Bearer(hall.window), 200,
                 "call a leftover ticket")["ticket"]
                .is_null()) {
      ++tickets;
    }
  }
  return {appointments, tickets};
}

std::uint32_t Percentile(std::vector<std::uint32_t>& values, double p) {
  if (values.empty()) return 0;
  const auto k = static_cast<std::size_t>(p / 100 * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

int RunLoad(const Args& args) {
  Load load;
  load.server = args.Get("server");
  LoadWorld(args.Get("world"), args.values.contains("flows") ? args.Get("flows") : "", load);
  const int workers = static_cast<int>(std::clamp<long>(args.GetInt("workers", 32), 1, 1024));
  const long seconds = args.GetInt("seconds", 600);
  load.rate = args.values.contains("rate") ? std::stod(args.Get("rate")) : 0;
  const auto [tidied_appointments, tidied_tickets] = Tidy(load);
  if (tidied_appointments + tidied_tickets > 0) {
    std::cerr << "  tidied what an earlier load left: " << tidied_appointments
              << " booked appointments cancelled, " << tidied_tickets
              << " waiting tickets called\n";
  }
  std::vector<std::unique_ptr<Worker>> crew;
  for (int w = 0; w < workers; ++w) crew.push_back(std::make_unique<Worker>(load, w, workers));

  load.start = SteadyClock::now();
  load.end = load.start + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (auto& worker : crew) threads.emplace_back([&worker] { worker->Run(); });

  // Progress every 10 s, until the workers are done.
  std::mutex done_mutex;
  std::condition_variable done_changed;
  bool done = false;
  std::thread progress([&] {
    long last = 0;
    for (int tick = 1;; ++tick) {
      std::unique_lock lock(done_mutex);
      if (done_changed.wait_until(lock, load.start + std::chrono::seconds(10 * tick),
                                  [&] { return done; })) {
        return;
      }
      const long requests = load.requests;
      std::cerr << "  " << 10 * tick << " s: " << requests << " requests ("
                << (requests - last) / 10 << "/s), " << load.server_errors << " 5xx, "
                << load.unexpected << " unexpected, " << load.failed << " failed\n";
      last = requests;
    }
  });
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(SteadyClock::now() - load.start).count();
  {
    std::lock_guard lock(done_mutex);
    done = true;
  }
  done_changed.notify_all();
  progress.join();

  // Merged by route; the acknowledged writes appended for the check.
  std::map<std::string, RouteStats> routes;
  std::map<std::string, long> flows, acked;
  std::ofstream acked_file(args.Get("acked"), std::ios::app);
  for (auto& worker : crew) {
    for (auto& [name, stats] : worker->routes) {
      RouteStats& all = routes[name];
      for (auto [status, n] : stats.statuses) all.statuses[status] += n;
      all.unexpected += stats.unexpected;
      all.latencies_us.insert(all.latencies_us.end(), stats.latencies_us.begin(),
                              stats.latencies_us.end());
    }
    for (auto [flow, n] : worker->flows_) {
      for (const FlowWeight& f : kMix) {
        if (f.flow == flow) flows[f.name] += n;
      }
    }
    for (auto [kind, n] : worker->acked_counts) acked[kind] += n;
    acked_file << worker->acked;
  }
  if (!acked_file.flush()) throw std::runtime_error("cannot write " + args.Get("acked"));

  json route_json = json::object();
  for (auto& [name, stats] : routes) {
    json statuses = json::object();
    long count = 0;
    for (auto [status, n] : stats.statuses) {
      statuses[std::to_string(status)] = n;
      count += n;
    }
    route_json[name] = {{"requests", count},
                        {"statuses", statuses},
                        {"unexpected", stats.unexpected},
                        {"p50_us", Percentile(stats.latencies_us, 50)},
                        {"p90_us", Percentile(stats.latencies_us, 90)},
                        {"p99_us", Percentile(stats.latencies_us, 99)},
                        {"max_us", Percentile(stats.latencies_us, 100)}};
  }
  const json summary = {
      {"seconds", elapsed},
      {"workers", workers},
      {"rate", load.rate},
      {"riders", load.riders.size()},
      {"requests", load.requests.load()},
      {"expected", load.expected.load()},
      {"server_errors", load.server_errors.load()},
      {"unexpected", load.unexpected.load()},
      {"failed", load.failed.load()},
      {"per_second", static_cast<double>(load.requests) / elapsed},
      {"expected_per_second", static_cast<double>(load.expected) / elapsed},
      {"late_over_10ms", load.late_over_10ms.load()},
      {"max_lag_ms", static_cast<double>(load.max_lag_us) / 1000},
      {"flows", flows},
      {"tidied", {{"appointments", tidied_appointments}, {"tickets", tidied_tickets}}},
      {"acked", acked},
      {"routes", route_json},
      {"samples", load.samples}};
  std::ofstream out(args.Get("out"), std::ios::trunc);
  out << summary.dump() << "\n";
  if (!out.flush()) throw std::runtime_error("cannot write " + args.Get("out"));
  return 0;
}

}  // namespace
}  // namespace citycode::bench

int main(int argc, char** argv) {
  using namespace citycode::bench;
  if (argc < 2) {
    std::cerr << "usage: citycode_soak setup|load --name value ...\n";
    return 2;
  }
  const std::optional<Args> parsed = ParseArgs(argc, argv, "citycode_soak");
  if (!parsed) return 2;
  const std::string command = argv[1];
  try {
    if (command == "setup") return Setup(*parsed);
    if (command == "load") return RunLoad(*parsed);
    std::cerr << "citycode_soak: unknown command " << command << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "citycode_soak " << command << ": " << e.what() << "\n";
    return 1;
  }
}
