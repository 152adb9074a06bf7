// citycode_http_bench: the helper of scripts/bench-http (the HTTP service
// benchmarks of docs/BENCHMARKS.md).
//
//   seed   --server URL --admin-key K --riders N --terminals T --dir DIR --texts FILE
//          A transit organisation with T terminals, an app channel key, and N
//          riders registered (each with the one-time code the server texted,
//          read from FILE, the local SMS gateway's log), logged in and
//          enrolled with one phone each, all through the public API. Writes DIR/riders.json (device
//          keys and credentials, for `codes`), DIR/terminal_keys.txt (one key a line) and
//          DIR/renew.txt ("<session token> <device id>" a line) for the wrk scripts, and
//          DIR/channel_key.txt.
//   codes  --dir DIR --count M --first-counter C --out FILE [--threads 2]
//          M fresh codes ("CC1:…", one a line) of the riders, round-robin,
//          with counters C, C+1, … per rider: every one distinct, every one
//          valid for the next 60 s.
//   idp    --dir DIR
//          A stand-in OpenID Connect provider for the riders' identities:
//          DIR/idp.jwk (its private key, 0600) and DIR/jwks.json (what the
//          server's [identity] jwks_file names).
//   seed … --identity DIR/idp.jwk
//          also verifies every rider's identity online with an ID token of
//          that provider (booking at a hospital is real-name).
//   seed-medical --server URL --admin-key K --dir DIR --terminals T --schedules S
//          A hospital with T registration kiosks and S one-hour sessions of
//          one slot each (1000 places), on the next 7 local days. Writes
//          DIR/kiosk_keys.txt and DIR/slots.txt (one slot id a line).
//   bookings --dir DIR --count M --first-counter C --first-slot B --out FILE [--threads 2]
//          M lines "CODE<tab>SLOT" for kiosk registrations: code i as
//          `codes` makes it, with one of the slots B … B + M / riders, so
//          that no rider books a session twice and consecutive lines go to
//          different slots.
//   verify --server URL --dir DIR --codes FILE [--threads 2]
//          The in-process reference: a code::Verifier (default options, so
//          with its in-memory replay cache) on the server's signed lists,
//          its credential cache warmed with one code of every rider, then
//          every code of FILE verified on --threads threads. Prints one JSON
//          line: codes, valid, seconds, per_second.
//   verify-taps --server URL --taps FILE [--threads 2]
//          The in-process reference of a tap file's ingest: a code::Verifier
//          with the platform's options on the server's signed lists, every
//          code of FILE verified as of its scan (VerifyScanned), the threads
//          taking runs of 2000 rows in turn as the ingest's do. Prints one
//          JSON line as verify.
//
// The riders are simulated: names and ID numbers are made up (valid check
// digits, random digits) and never printed.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api_call.h"
#include "api_client/http_client.h"
#include "api_client/simulator.h"
#include "code/presentation.h"
#include "code/trust_list.h"
#include "code/verifier.h"
#include "common/bytes.h"
#include "common/city_time.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "oidc/test_provider.h"
#include "sms/gateway.h"
#include "tool_args.h"

namespace citycode::bench {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

// The last one-time code the local SMS gateway (scripts/bench-http) took
// for `phone`: it wrote each text, as the server posted it, before answering.
std::string TextedCode(const std::string& file, const std::string& phone) {
  std::ifstream in(file);
  sms::Inbox inbox;
  for (std::string line; std::getline(in, line);) {
    const json text = json::parse(line, nullptr, false);
    if (text.is_object()) (void)inbox.Send({text.value("phone", ""), text.value("text", "")});
  }
  const std::optional<std::string> code = inbox.LastCode(phone);
  if (!code) throw std::runtime_error("no code was texted to a rider");
  return *code;
}

constexpr std::string_view kIdpIssuer = "https://idp.bench.invalid";

int Idp(const Args& args) {
  const std::string dir = args.Get("dir");
  auto idp =
      Check(oidc::TestIdentityProvider::Create(std::string(kIdpIssuer)), "make the provider");
  WriteFile(dir + "/jwks.json", idp->JwksJson());
  WriteFile(dir + "/idp.jwk", idp->PrivateJwk());
  std::filesystem::permissions(
      dir + "/idp.jwk", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return 0;
}

// The rider of `session` proves who they are with the provider's ID token.
void VerifyIdentity(api_client::HttpClient& client, const oidc::TestIdentityProvider& idp,
                    const Headers& session, const std::string& name, const std::string& id_number) {
  const json check = Call(client, "POST", "/v1/me/identity/online", nullptr, session, 201,
                          "start the identity check");
  const std::string token = Check(idp.IdToken({.audience = check["client_id"],
                                               .nonce = check["nonce"],
                                               .subject = "bench-" + id_number,
                                               .name = name,
                                               .id_number = id_number,
                                               .issued_at = SystemClock().Now()}),
                                  "sign an ID token");
  Call(client, "POST", "/v1/me/identity/online/id-token",
       {{"id_token", token}, {"nonce", check["nonce"]}}, session, 200, "verify the identity");
}

// A bench organisation of `kind` with one site and `terminals` terminals.
struct BenchOrg {
  std::string path;             // "/v1/orgs/{id}"
  std::vector<json> terminals;  // {id, api_key, …}
};

BenchOrg CreateOrg(api_client::HttpClient& client, const Headers& admin, std::string_view kind,
                   long terminals) {
  const json org =
      Call(client, "POST", "/v1/orgs", {{"name", "Bench " + std::string(kind)}, {"kind", kind}},
           admin, 201, "create the organisation");
  BenchOrg out{.path = "/v1/orgs/" + org["id"].get<std::string>()};
  const json site = Call(client, "POST", out.path + "/sites", {{"name", "Bench site"}}, admin, 201,
                         "create the site");
  for (long i = 0; i < terminals; ++i) {
    out.terminals.push_back(
        Call(client, "POST", out.path + "/terminals",
             {{"site_id", site["id"]}, {"name", "terminal " + std::to_string(i)}}, admin, 201,
             "create a terminal"));
  }
  return out;
}

int Seed(const Args& args) {
  const std::string dir = args.Get("dir");
  const long riders = args.GetInt("riders", 64), terminals = args.GetInt("terminals", 64);
  auto client = Check(api_client::HttpClient::Create(args.Get("server")), "connect");
  const Headers admin = {{"Authorization", "Bearer " + args.Get("admin-key")}};

  const BenchOrg transit = CreateOrg(*client, admin, "transit_operator", terminals);
  std::string terminal_keys;
  for (const json& t : transit.terminals) terminal_keys += t["api_key"].get<std::string>() + "\n";
  const std::string channel_key =
      Call(*client, "POST", "/v1/channels/app/keys", {{"name", "bench app"}}, admin, 201,
           "create a channel key")["api_key"]
          .get<std::string>();

  // Phones 199 + 4 random digits + the index: runs on one database differ.
  const auto random = crypto::RandomArray<2>();
  const unsigned run = (unsigned{random[0]} << 8 | random[1]) % 10000;
  std::unique_ptr<oidc::TestIdentityProvider> idp;
  if (args.values.contains("identity")) {
    std::ifstream in(args.Get("identity"));
    const std::string jwk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    idp = Check(oidc::TestIdentityProvider::FromPrivateJwk(std::string(kIdpIssuer), "ES256", jwk),
                "load the provider");
  }
  json out = {{"riders", json::array()}};
  std::string renew;
  for (long i = 0; i < riders; ++i) {
    char phone[16];
    std::snprintf(phone, sizeof phone, "199%04u%04ld", run, i % 10000);
    const std::string password = "bench-" + ToHex(crypto::RandomArray<8>());
    const std::string name = "模拟乘客" + std::to_string(i);
    const std::string id_number = api_client::RandomResidentIdNumber();
    Call(*client, "POST", "/v1/citizens",
         {{"name", name}, {"id_number", id_number}, {"phone", phone}, {"password", password}}, {},
         202, "register a rider");
    Call(*client, "POST", "/v1/citizens/confirm",
         {{"phone", phone}, {"code", TextedCode(args.Get("texts"), phone)}}, {}, 201,
         "confirm the rider's phone");
    const json session = Call(*client, "POST", "/v1/sessions",
                              {{"phone", phone}, {"password", password}}, {}, 201, "log in");
    const std::string token = session["token"].get<std::string>();
    if (idp) VerifyIdentity(*client, *idp, {{"Authorization", "Bearer " + token}}, name, id_number);
    auto device = Check(crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519), "device key");
    const json enrolled =
        Call(*client, "POST", "/v1/me/devices", {{"public_key", device.public_key().ToPem()}},
             {{"Authorization", "Bearer " + token}, {"X-Channel-Key", channel_key}}, 201,
             "enrol a phone");
    out["riders"].push_back(
        {{"device_key", device.ToPem()}, {"credential", enrolled["credential"]}});
    renew += token + " " + enrolled["device_id"].get<std::string>() + "\n";
  }
  WriteFile(dir + "/riders.json", out.dump());
  WriteFile(dir + "/terminal_keys.txt", terminal_keys);
  WriteFile(dir + "/renew.txt", renew);
  WriteFile(dir + "/channel_key.txt", channel_key + "\n");
  std::cerr << "seeded " << terminals << " terminals and " << riders << " riders\n";
  return 0;
}

// The hospital of the booking benchmark: kiosks, and sessions of one slot
// on the next days, 23 an hour apart a day per clinician.
int SeedMedical(const Args& args) {
  const std::string dir = args.Get("dir");
  const long terminals = args.GetInt("terminals", 8), schedules = args.GetInt("schedules", 1000);
  auto client = Check(api_client::HttpClient::Create(args.Get("server")), "connect");
  const Headers admin = {{"Authorization", "Bearer " + args.Get("admin-key")}};
  const BenchOrg hospital = CreateOrg(*client, admin, "hospital", terminals);
  const std::string& org_path = hospital.path;
  std::string kiosk_keys;
  for (const json& t : hospital.terminals) {
    Call(*client, "POST", org_path + "/medical/terminals",
         {{"terminal_id", t["id"]}, {"role", "kiosk"}}, admin, 200, "make it a kiosk");
    kiosk_keys += t["api_key"].get<std::string>() + "\n";
  }
  const json department = Call(*client, "POST", org_path + "/medical/departments",
                               {{"name", "内科"}}, admin, 201, "create a department");
  const std::chrono::sys_days today = CityTime{}.LocalDay(SystemClock().Now());
  constexpr long kSessionsPerClinician = 7 * 23;
  std::string clinician, slots;
  for (long s = 0; s < schedules; ++s) {
    if (s % kSessionsPerClinician == 0) {
      clinician = Call(*client, "POST", org_path + "/medical/clinicians",
                       {{"name", "模拟医生" + std::to_string(s / kSessionsPerClinician)},
                        {"title", "医师"},
                        {"department_id", department["id"]}},
                       admin, 201, "create a clinician")["id"];
    }
    const long hour = s % 23, day = 1 + (s % kSessionsPerClinician) / 23;
    char start[8], end[8];
    std::snprintf(start, sizeof start, "%02ld:00", hour);
    std::snprintf(end, sizeof end, "%02ld:00", hour + 1);
    const json made = Call(*client, "POST", org_path + "/medical/schedules",
                           {{"clinician_id", clinician},
                            {"day", FormatIsoDay(today + std::chrono::days(day))},
                            {"start", start},
                            {"end", end},
                            {"slot_minutes", 60},
                            {"capacity", 1000},
                            {"fee_fen", 1000}},
                           admin, 201, "publish a session");
    slots += made["slots"][0]["id"].get<std::string>() + "\n";
  }
  WriteFile(dir + "/kiosk_keys.txt", kiosk_keys);
  WriteFile(dir + "/slots.txt", slots);
  std::cerr << "seeded a hospital with " << terminals << " kiosks and " << schedules
            << " sessions\n";
  return 0;
}

struct Rider {
  crypto::PrivateKey device;
  Bytes credential;
};

std::vector<Rider> LoadRiders(const std::string& dir) {
  std::ifstream in(dir + "/riders.json");
  if (!in) throw std::runtime_error("cannot read " + dir + "/riders.json");
  const json doc = json::parse(in);
  std::vector<Rider> riders;
  for (const json& r : doc["riders"]) {
    riders.push_back(
        {.device = Check(crypto::PrivateKey::FromPem(r["device_key"].get<std::string>()), "key"),
         .credential = Check(Base64UrlDecode(r["credential"].get<std::string>()), "credential")});
  }
  if (riders.empty()) throw std::runtime_error("no riders in " + dir + "/riders.json");
  return riders;
}

// Code i is rider i % riders' with counter first + i / riders. Thread t
// makes the codes of the riders r with r % threads == t, so no key is used
// by two threads.
std::vector<std::string> MakeCodes(const std::vector<Rider>& riders, std::size_t count,
                                   std::uint64_t first_counter, int threads) {
  std::vector<std::string> codes(count);
  const SystemClock clock;
  std::vector<std::thread> workers;
  std::atomic<bool> failed{false};
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (std::size_t i = 0; i < count; ++i) {
        const std::size_t r = i % riders.size();
        if (r % static_cast<std::size_t>(threads) != static_cast<std::size_t>(t)) continue;
        auto presentation = code::MakePresentation({.credential = riders[r].credential,
                                                    .made_at = clock.Now(),
                                                    .counter = first_counter + i / riders.size()},
                                                   riders[r].device);
        if (!presentation.ok()) {
          failed = true;
          return;
        }
        codes[i] = code::ToQrText(*presentation);
      }
    });
  }
  for (auto& w : workers) w.join();
  if (failed) throw std::runtime_error("cannot make a presentation");
  return codes;
}

int Codes(const Args& args) {
  const auto riders = LoadRiders(args.Get("dir"));
  const auto start = SteadyClock::now();
  const auto codes =
      MakeCodes(riders, static_cast<std::size_t>(args.GetInt("count", 100'000)),
                static_cast<std::uint64_t>(args.GetInt("first-counter", 1)),
                static_cast<int>(std::clamp<long>(args.GetInt("threads", 2), 1, 64)));
  std::string text;
  text.reserve(codes.size() * (codes.front().size() + 1));
  for (const auto& c : codes) (text += c) += '\n';
  WriteFile(args.Get("out"), text);
  std::cerr << "made " << codes.size() << " codes in "
            << std::chrono::duration<double>(SteadyClock::now() - start).count() << " s\n";
  return 0;
}

int Bookings(const Args& args) {
  const auto riders = LoadRiders(args.Get("dir"));
  const std::vector<std::string> slots = ReadLines(args.Get("dir") + "/slots.txt");
  const auto count = static_cast<std::size_t>(args.GetInt("count", 10'000));
  const auto first_slot = static_cast<std::size_t>(args.GetInt("first-slot", 0));
  if (first_slot + (count + riders.size() - 1) / riders.size() > slots.size()) {
    throw std::runtime_error("not enough sessions for that many bookings: seed more");
  }
  const auto codes =
      MakeCodes(riders, count, static_cast<std::uint64_t>(args.GetInt("first-counter", 1)),
                static_cast<int>(std::clamp<long>(args.GetInt("threads", 2), 1, 64)));
  // Rider r's k-th code books slot (k + r) mod S of the S this run uses:
  // each rider books a slot once, and consecutive requests (different
  // riders) go to different slots, as a city's bookings spread over its
  // sessions. (A crowd on one slot is the 50-for-10 test's matter.)
  const std::size_t rounds = (count + riders.size() - 1) / riders.size();
  std::string text;
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const std::size_t slot = (i / riders.size() + i % riders.size()) % rounds;
    ((text += codes[i]) += '\t') += slots[first_slot + slot] + '\n';
  }
  WriteFile(args.Get("out"), text);
  return 0;
}

// A verifier on the lists a gate downloads from `server`, as `citycode
// terminal simulate --offline` does.
code::Verifier GateVerifier(const std::string& server, const Clock& clock,
                            code::VerifierOptions options) {
  auto client = Check(api_client::HttpClient::Create(server), "connect");
  const auto get = [&](std::string_view target) {
    auto reply = Check(client->Send("GET", target), "download a list");
    if (reply.status != 200) throw std::runtime_error("GET " + std::string(target) + " failed");
    return reply.body;
  };
  const auto root = Check(crypto::PublicKey::FromPem(get("/v1/lists/root.pem")), "root key");
  auto trust = Check(code::VerifyTrustList(get("/v1/lists/trust"), root), "trust list");
  auto revocation =
      Check(code::VerifyRevocationList(get("/v1/lists/revocation"), root), "revocation list");
  return code::Verifier(clock, std::move(trust), std::move(revocation), options);
}

// Prints the verify commands' JSON line; exit status 1 unless all were valid.
int PrintRate(std::size_t codes, std::size_t valid, int threads, SteadyClock::time_point start) {
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::cout << json{{"codes", codes},
                    {"valid", valid},
                    {"threads", threads},
                    {"seconds", seconds},
                    {"per_second", static_cast<double>(codes) / seconds}}
                   .dump()
            << "\n";
  return valid == codes ? 0 : 1;
}

int Verify(const Args& args) {
  const std::vector<std::string> codes = ReadLines(args.Get("codes"));
  const int threads = static_cast<int>(std::clamp<long>(args.GetInt("threads", 2), 1, 64));
  const auto riders = LoadRiders(args.Get("dir"));

  const SystemClock clock;
  const code::Verifier verifier = GateVerifier(args.Get("server"), clock, {});

  // Warm the credential cache as a gate's is: one code of every rider (with
  // counters no code of the file uses).
  for (const auto& warm : MakeCodes(riders, riders.size(), std::uint64_t{1} << 62, 1)) {
    if (!verifier.Verify(warm, code::Scene::kTransit).valid) {
      throw std::runtime_error("a warm-up code was refused");
    }
  }

  std::atomic<std::size_t> valid{0};
  std::vector<std::thread> workers;
  const auto start = SteadyClock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::size_t ok = 0;
      for (std::size_t i = static_cast<std::size_t>(t); i < codes.size();
           i += static_cast<std::size_t>(threads)) {
        ok += verifier.Verify(codes[i], code::Scene::kTransit).valid ? 1 : 0;
      }
      valid += ok;
    });
  }
  for (auto& w : workers) w.join();
  return PrintRate(codes.size(), valid.load(), threads, start);
}

// The codes of a tap file (scenes/transit/tap_file.h, as `citycode transit
// simulate` writes it: the code is the last column and holds no comma) with
// their scan times.
std::vector<std::pair<std::string, Instant>> ReadTapCodes(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<std::pair<std::string, Instant>> codes;
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    const std::size_t code = line.rfind(',');
    std::size_t at = line.find(',');
    at = line.find(',', at + 1) + 1;
    if (code == std::string::npos || at == 0) throw std::runtime_error("a bad tap file row");
    const auto scanned = ParseRfc3339(line.substr(at, line.find(',', at) - at));
    if (!scanned.ok()) throw std::runtime_error("a bad scan time");
    codes.emplace_back(line.substr(code + 1), *scanned);
  }
  return codes;
}

int VerifyTaps(const Args& args) {
  const auto codes = ReadTapCodes(args.Get("taps"));
  const int threads = static_cast<int>(std::clamp<long>(args.GetInt("threads", 2), 1, 64));
  const SystemClock clock;
  // As the platform's verifier is: its default credential cache, no replay
  // cache (the platform keeps the replay record in its database).
  const code::Verifier verifier = GateVerifier(args.Get("server"), clock, {.detect_replay = false});

  // Each thread takes consecutive runs of the file, as the ingest's do.
  constexpr std::size_t kRun = 2000;
  std::atomic<std::size_t> valid{0}, next_run{0};
  std::vector<std::thread> workers;
  const auto start = SteadyClock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      std::size_t ok = 0;
      for (std::size_t run = next_run++; run * kRun < codes.size(); run = next_run++) {
        for (std::size_t i = run * kRun; i < std::min(codes.size(), (run + 1) * kRun); ++i) {
          const auto& [text, scanned] = codes[i];
          ok += verifier.VerifyScanned(text, code::Scene::kTransit, scanned).valid ? 1 : 0;
        }
      }
      valid += ok;
    });
  }
  for (auto& w : workers) w.join();
  return PrintRate(codes.size(), valid.load(), threads, start);
}

}  // namespace
}  // namespace citycode::bench

int main(int argc, char** argv) {
  using namespace citycode::bench;
  if (argc < 2) {
    std::cerr << "usage: citycode_http_bench "
                 "idp|seed|seed-medical|codes|bookings|verify|verify-taps --name "
                 "value ...\n";
    return 2;
  }
  const std::optional<Args> parsed = ParseArgs(argc, argv, "citycode_http_bench");
  if (!parsed) return 2;
  const Args& args = *parsed;
  const std::string command = argv[1];
  try {
    if (command == "seed") return Seed(args);
    if (command == "codes") return Codes(args);
    if (command == "verify") return Verify(args);
    if (command == "verify-taps") return VerifyTaps(args);
    if (command == "idp") return Idp(args);
    if (command == "seed-medical") return SeedMedical(args);
    if (command == "bookings") return Bookings(args);
    std::cerr << "citycode_http_bench: unknown command " << command << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "citycode_http_bench " << command << ": " << e.what() << "\n";
    return 1;
  }
}
