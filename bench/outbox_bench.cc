// citycode_outbox_bench: the helper of scripts/bench-outbox (docs/BENCHMARKS.md,
// "Hotels and the outbox").
//
//   enqueue  --db URL --url URL --secret whsec_… --events N --streams S --pad B
//            N events of one destination ("bench") round-robin over S
//            streams, each with a data field of B bytes, 500 to a transaction.
//   relay    --db URL --url URL --secret whsec_… --workers W
//            The outbox's relay (RunOnce rounds) until nothing is pending;
//            one JSON line: delivered, seconds, per_second.
//   sign     --secret whsec_… --count N --body-bytes B --out FILE
//            N webhooks for wrk, one a line: "id<TAB>timestamp<TAB>signature<TAB>body",
//            each with its own id and a body of B bytes, signed now (v1).
//   check-ins --db URL --keyring FILE --count N [--threads T]
//            A hotel with N rooms and 8 guests with phones and ID cards, set
//            up through the library; then N check-ins of one guest each by
//            a fresh code (verified, the ID card fetched under the grant,
//            the stay and its police report written), on T threads. One
//            JSON line: check_ins, seconds, per_second.
//
// The guests are simulated (made-up names and ID numbers), never printed.
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api_client/simulator.h"
#include "city/city.h"
#include "code/presentation.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "outbox/outbox.h"
#include "outbox/signature.h"
#include "scenes/hotel/hotel.h"
#include "tool_args.h"
#include "vault/certificate.h"
#include "vault/certificate_types.h"
#include "vault/sample_certificates.h"

namespace citycode::bench {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

double Seconds(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

std::unique_ptr<outbox::Outbox> OpenOutbox(store::Database& db, const Clock& clock,
                                           const Args& args) {
  outbox::DestinationConfig bench{.name = "bench", .url = args.Get("url"), .jitter = 0};
  bench.signer.secrets = {Check(outbox::ParseSecret(args.Get("secret")), "secret")};
  return Check(
      outbox::Outbox::Open(db, clock,
                           {.destinations = {bench},
                            .workers = static_cast<std::size_t>(args.GetInt("workers", 4))}),
      "outbox");
}

int Enqueue(const Args& args) {
  SystemClock clock;
  auto db = Check(store::Database::Open(args.Get("db")), "database");
  auto box = OpenOutbox(*db, clock, args);
  const long events = args.GetInt("events", 20000), streams = args.GetInt("streams", 64);
  const std::string pad(static_cast<std::size_t>(args.GetInt("pad", 500)), 'x');
  for (long first = 0; first < events; first += 500) {
    Check(store::RunInTransaction(
              *db, store::TransactionMode::kWrite,
              [&](store::Transaction& tx) -> Status {
                for (long i = first; i < std::min(events, first + 500); ++i) {
                  CITYCODE_RETURN_IF_ERROR(
                      box->Enqueue(tx, {.destination = "bench",
                                        .stream = "stay_" + std::to_string(i % streams),
                                        .type = "hotel.guest.checked_in",
                                        .data = {{"n", i}, {"pad", pad}}})
                          .status());
                }
                return OkStatus();
              }),
          "enqueue");
  }
  return 0;
}

int Relay(const Args& args) {
  SystemClock clock;
  auto db = Check(store::Database::Open(args.Get("db")), "database");
  auto box = OpenOutbox(*db, clock, args);
  const auto start = SteadyClock::now();
  std::size_t delivered = 0, failed = 0;
  while (true) {
    const outbox::RelayRound round = Check(box->RunOnce(), "relay");
    delivered += round.delivered;
    failed += round.failed;
    if (round.claimed == 0) break;
  }
  const double seconds = Seconds(start);
  std::cout << json{{"delivered", delivered},
                    {"failed", failed},
                    {"seconds", seconds},
                    {"per_second", delivered / seconds}}
                   .dump()
            << "\n";
  return failed == 0 ? 0 : 1;
}

int Sign(const Args& args) {
  outbox::WebhookSigner signer{
      .secrets = {Check(outbox::ParseSecret(args.Get("secret")), "secret")}};
  const long count = args.GetInt("count", 100000);
  const std::size_t bytes = static_cast<std::size_t>(args.GetInt("body-bytes", 700));
  const std::int64_t now = ToUnixSeconds(SystemClock().Now());
  std::ofstream out(args.Get("out"), std::ios::trunc);
  for (long i = 0; i < count; ++i) {
    const std::string id = crypto::RandomId("msg");
    std::string body = json{{"type", "hotel.guest.checked_in"}, {"id", id}, {"pad", ""}}.dump();
    const std::size_t pad = bytes > body.size() ? bytes - body.size() : 0;
    body =
        json{{"type", "hotel.guest.checked_in"}, {"id", id}, {"pad", std::string(pad, 'x')}}.dump();
    out << id << '\t' << now << '\t' << signer.Sign(id, now, body) << '\t' << body << '\n';
  }
  return out.flush() ? 0 : 1;
}

// --- check-ins ---

constexpr std::string_view kAgencyCode = "11370282MB1234567X";

struct Guest {
  std::shared_ptr<const crypto::PrivateKey> device;
  Bytes credential;
};

int CheckIns(const Args& args) {
  SystemClock clock;
  city::CityConfig config;
  config.database_url = args.Get("db");
  config.keyring_file = args.Get("keyring");
  config.vault.checkpoint_file = config.keyring_file.parent_path() / "checkpoints.jsonl";
  outbox::DestinationConfig police{.name = "police", .url = "http://127.0.0.1:9/guests"};
  police.signer.secrets = {Bytes(32, 7)};
  config.outbox.destinations = {police};
  config.scenes["hotel"]["tourism_destination"] = std::string();
  auto city = Check(city::City::Open(config, clock), "city");
  platform::Platform& platform = city->platform();
  vault::Vault& vault = city->vault();
  auto* hotel = dynamic_cast<hotel::HotelScene*>(city->scene("hotel"));
  if (hotel == nullptr) throw std::runtime_error("no hotel scene");

  const crypto::PrivateKey agency_key =
      Check(crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519), "key");
  const auto agency = Check(
      platform.organisations().Create("发证机关", platform::OrgKind::kIssuingAgency), "agency");
  Check(vault.RegisterIssuer(
            {.org_id = agency.id, .credit_code = std::string(kAgencyCode), .name = "发证机关"},
            "bench"),
        "issuer");
  Check(vault.AddIssuerKey(agency.id, agency_key.public_key(), "bench").status(), "issuer key");
  const auto org =
      Check(platform.organisations().Create("酒店", platform::OrgKind::kHotel), "hotel");
  const auto site = Check(platform.organisations().CreateSite(org.id, "前台"), "site");
  const auto desk_key =
      Check(platform.access_keys().CreateTerminal(org.id, site.id, "前台1"), "desk");
  const platform::Principal desk =
      Check(platform.access_keys().Authenticate(desk_key.second.token), "desk key");
  Check(vault.SetOrganisationTypes(org.id, {"resident_id_card"}, {"resident_id_card"}, "bench"),
        "types");
  Check(hotel->SetLicence(org.id, "BENCH-0001"), "licence");
  const long count = args.GetInt("count", 2000);
  std::vector<std::string> rooms;
  for (long i = 0; i < count; ++i)
    rooms.push_back(Check(hotel->AddRoom(org.id, std::to_string(10000 + i)), "room").id);

  const vault::CertificateType& type = *vault::FindCertificateType("resident_id_card");
  std::vector<Guest> guests;
  for (int g = 0; g < 8; ++g) {
    const std::string id_number = api_client::RandomResidentIdNumber();
    const std::string citizen =
        Check(platform.citizens().Register({.name = "旅客",
                                            .id_number = id_number,
                                            .phone = "1390000" + std::to_string(1000 + g),
                                            .password = "correct horse"}),
              "register");
    Check(platform.identities().ConfirmInPerson(citizen, {"旅客", id_number}, "bench").status(),
          "identity");
    Guest guest{.device = std::make_shared<const crypto::PrivateKey>(
                    Check(crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519), "device"))};
    guest.credential = Check(platform.devices().Enrol({.citizen_id = citizen,
                                                       .device_key = guest.device->public_key(),
                                                       .label = "phone"}),
                             "enrol")
                           .credential;
    const vault::Certificate c = Check(
        vault::SampleCertificate(type, {"旅客", id_number}, {"发证机关", std::string(kAgencyCode)},
                                 static_cast<std::uint64_t>(g + 1), "2024-03-01", "2044-03-01"),
        "certificate");
    Check(vault.Issue(agency.id, Check(vault::SignCertificate(c, agency_key), "sign")).status(),
          "issue");
    guests.push_back(std::move(guest));
  }
  std::vector<std::string> codes;
  for (long i = 0; i < count; ++i) {
    const Guest& guest = guests[static_cast<std::size_t>(i) % guests.size()];
    codes.push_back(
        code::ToQrText(Check(code::MakePresentation({.credential = guest.credential,
                                                     .made_at = clock.Now(),
                                                     .counter = static_cast<std::uint64_t>(i + 1)},
                                                    *guest.device),
                             "code")));
  }

  const int threads = static_cast<int>(args.GetInt("threads", 1));
  std::atomic<long> next = 0, failed = 0;
  const auto start = SteadyClock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (long i = next++; i < count; i = next++) {
        if (!hotel->CheckIn(desk, {.room_id = rooms[i], .codes = {codes[i]}}).ok()) ++failed;
      }
    });
  }
  for (std::thread& w : workers) w.join();
  const double seconds = Seconds(start);
  std::cout << json{{"check_ins", count - failed},
                    {"failed", failed.load()},
                    {"threads", threads},
                    {"seconds", seconds},
                    {"per_second", (count - failed) / seconds}}
                   .dump()
            << "\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace citycode::bench

int main(int argc, char** argv) {
  using namespace citycode::bench;
  if (argc < 2) {
    std::cerr << "usage: citycode_outbox_bench enqueue|relay|sign|check-ins --flag value ...\n";
    return 2;
  }
  const std::optional<Args> parsed = ParseArgs(argc, argv, "citycode_outbox_bench");
  if (!parsed) return 2;
  const Args& args = *parsed;
  const std::string command = argv[1];
  try {
    if (command == "enqueue") return Enqueue(args);
    if (command == "relay") return Relay(args);
    if (command == "sign") return Sign(args);
    if (command == "check-ins") return CheckIns(args);
  } catch (const std::exception& e) {
    std::cerr << "citycode_outbox_bench: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "citycode_outbox_bench: unknown command " << command << "\n";
  return 2;
}
