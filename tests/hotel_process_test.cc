// Hotel check-ins against `citycode serve` killed with SIGKILL in the middle
// of a stream of them, three times, with `citycode outbox receiver` as the
// police system: every check-in the server acknowledged reaches the
// receiver exactly once (after its de-duplication by webhook-id), none is
// lost. On both backends.
//
// The city (a hotel with 300 rooms, its front desk, four guests with phones
// and ID cards) is set up through the library before the server starts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "api_client/http_client.h"
#include "city/city.h"
#include "code/presentation.h"
#include "outbox/signature.h"
#include "scenes/hotel/hotel.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_databases.h"
#include "vault/certificate.h"
#include "vault/certificate_types.h"
#include "vault/sample_certificates.h"

namespace citycode {
namespace {

using nlohmann::json;
using testing::ChildProcess;

constexpr std::string_view kName = "测试旅客";
constexpr std::string_view kAgencyCode = "11370282MB1234567X";
constexpr const char* kIdNumbers[] = {"370282199003154516", "370282195001011839",
                                      "370282198001011234", "370282198502021238"};
constexpr int kRooms = 300;

struct Guest {
  std::shared_ptr<const crypto::PrivateKey> device;
  Bytes credential;
};

std::string ServedUrl(const ChildProcess& child) {
  const std::string& out = child.output();
  const std::size_t at = out.find("http://");
  if (at == std::string::npos) return "";
  return out.substr(at, out.find_first_of(" \n", at) - at);
}

std::vector<json> StoredBodies(const std::filesystem::path& file, std::set<std::string>* ids) {
  std::vector<json> bodies;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    const json stored = json::parse(line, nullptr, false);
    if (!stored.is_object()) continue;
    EXPECT_TRUE(ids->insert(stored.value("id", "")).second) << "stored twice: " << line;
    bodies.push_back(json::parse(stored.value("body", "{}"), nullptr, false));
  }
  return bodies;
}

class HotelProcessTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(SetUpCity());
  }

  city::CityConfig Config() {
    city::CityConfig config;
    config.database_url = url();
    config.keyring_file = dir_.path() / "keyring.json";
    config.vault.checkpoint_file = dir_.path() / "checkpoints.jsonl";
    return config;
  }

  void SetUpCity() {
    SystemClock clock;
    auto city = city::City::Open(Config(), clock);
    ASSERT_TRUE(city.ok()) << city.status().ToString();
    platform::Platform& platform = (*city)->platform();
    vault::Vault& vault = (*city)->vault();
    auto agency =
        platform.organisations().Create("即墨区公安分局", platform::OrgKind::kIssuingAgency);
    ASSERT_TRUE(agency.ok());
    ASSERT_TRUE(vault
                    .RegisterIssuer({.org_id = agency->id,
                                     .credit_code = std::string(kAgencyCode),
                                     .name = "青岛市公安局即墨分局"},
                                    "admin")
                    .ok());
    ASSERT_TRUE(vault.AddIssuerKey(agency->id, agency_key_.public_key(), "admin").ok());
    auto hotel = platform.organisations().Create("即墨古城酒店", platform::OrgKind::kHotel);
    ASSERT_TRUE(hotel.ok());
    auto site = platform.organisations().CreateSite(hotel->id, "前台");
    ASSERT_TRUE(site.ok());
    auto desk = platform.access_keys().CreateTerminal(hotel->id, site->id, "前台1");
    ASSERT_TRUE(desk.ok());
    desk_key_ = desk->second.token;
    ASSERT_TRUE(
        vault.SetOrganisationTypes(hotel->id, {"resident_id_card"}, {"resident_id_card"}, "admin")
            .ok());
    auto* scene = dynamic_cast<hotel::HotelScene*>((*city)->scene("hotel"));
    ASSERT_NE(scene, nullptr);
    ASSERT_TRUE(scene->SetLicence(hotel->id, "鲁公特字3702820001").ok());
    for (int i = 0; i < kRooms; ++i) {
      auto room = scene->AddRoom(hotel->id, std::to_string(1000 + i));
      ASSERT_TRUE(room.ok());
      rooms_.push_back(room->id);
    }
    int serial = 0;
    for (const char* id_number : kIdNumbers) {
      auto id = platform.citizens().Register({.name = std::string(kName),
                                              .id_number = id_number,
                                              .phone = "1391234" + std::to_string(5678 + serial),
                                              .password = "correct horse"});
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      ASSERT_TRUE(platform.identities()
                      .ConfirmInPerson(*id, {std::string(kName), id_number}, "term_test_window")
                      .ok());
      Guest guest{.device = std::make_shared<const crypto::PrivateKey>(
                      *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519))};
      auto issued = platform.devices().Enrol(
          {.citizen_id = *id, .device_key = guest.device->public_key(), .label = "phone"});
      ASSERT_TRUE(issued.ok());
      guest.credential = issued->credential;
      guests_.push_back(guest);
      auto c = vault::SampleCertificate(
          *vault::FindCertificateType("resident_id_card"), {std::string(kName), id_number},
          {"青岛市公安局即墨分局", std::string(kAgencyCode)}, static_cast<std::uint64_t>(++serial),
          "2024-03-01", "2044-03-01");
      ASSERT_TRUE(c.ok());
      ASSERT_TRUE(vault.Issue(agency->id, *vault::SignCertificate(*c, agency_key_)).ok());
    }
  }

  std::unique_ptr<ChildProcess> StartReceiver(const std::string& port) {
    auto child = std::make_unique<ChildProcess>(
        std::vector<std::string>{"outbox", "receiver", "--listen", "127.0.0.1:" + port, "--secret",
                                 secret_, "--store", store_file().string()});
    EXPECT_TRUE(child->WaitForOutput("\"listening\"")) << child->output();
    return child;
  }

  std::unique_ptr<ChildProcess> StartServer(const std::string& receiver_port) {
    const auto config = dir_.path() / "citycode.toml";
    std::ofstream(config) << "[outbox.police]\nurl = \"http://127.0.0.1:" << receiver_port
                          << "/guests\"\nsecrets = \"" << secret_
                          << "\"\nretry_schedule = \"0s 1s 1s 1s 1s 1s 1s 1s 1s 1s\"\njitter = "
                             "0.0\ntimeout_seconds = 2\n\n[hotel]\ntourism_destination = \"\"\n";
    auto server = std::make_unique<ChildProcess>(std::vector<std::string>{
        "serve", "--config", config.string(), "--db", url(), "--keyring",
        (dir_.path() / "keyring.json").string(), "--checkpoints",
        (dir_.path() / "checkpoints.jsonl").string(), "--listen", "127.0.0.1:0"});
    EXPECT_TRUE(server->WaitForOutput(" threads\n")) << server->output();
    return server;
  }

  std::string Code(const Guest& guest) {
    auto bytes = code::MakePresentation(
        {.credential = guest.credential, .made_at = SystemClock().Now(), .counter = ++counter_},
        *guest.device);
    EXPECT_TRUE(bytes.ok());
    return code::ToQrText(*bytes);
  }

  std::filesystem::path store_file() const { return dir_.path() / "received.jsonl"; }

  testing::TempDir dir_{"hotel-process"};
  const crypto::PrivateKey agency_key_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  const std::string secret_ = outbox::NewSecret();
  std::string desk_key_;
  std::vector<std::string> rooms_;
  std::vector<Guest> guests_;
  std::atomic<std::uint64_t> counter_ = 0;
};

TEST_P(HotelProcessTest, KillNineMidStreamLosesNoAcknowledgedCheckInAndSendsEachOnce) {
  auto receiver = StartReceiver("0");
  const json said =
      json::parse(receiver->output().substr(receiver->output().find('{')), nullptr, false);
  ASSERT_TRUE(said.contains("listening")) << receiver->output();
  const std::string port = std::to_string(said["listening"].get<int>());

  std::mutex mutex;
  std::condition_variable progress;
  std::set<std::string> acknowledged;
  std::size_t next_room = 0;
  bool stopped = false;  // the writer met a failure
  // Check-ins as fast as one desk sends them, each room once; it stops at
  // the first failure (the server was killed).
  const auto check_in_until_failure = [&](const std::string& base) {
    auto client = api_client::HttpClient::Create(base);
    while (true) {
      std::size_t room;
      {
        std::lock_guard lock(mutex);
        if (next_room >= rooms_.size()) return;
        room = next_room++;
      }
      const json body = {{"room_id", rooms_[room]},
                         {"codes", {Code(guests_[room % guests_.size()])}}};
      auto reply = (*client)->Send("POST", "/v1/hotel/stays", body.dump(),
                                   {{"Authorization", "Bearer " + desk_key_}});
      if (!reply.ok() || reply->status != 201) {
        std::lock_guard lock(mutex);
        stopped = true;
        progress.notify_all();
        return;
      }
      std::lock_guard lock(mutex);
      acknowledged.insert(json::parse(reply->body)["id"].get<std::string>());
      progress.notify_all();
    }
  };

  for (std::size_t kill = 1; kill <= 3; ++kill) {
    auto server = StartServer(port);
    stopped = false;
    std::thread writer(check_in_until_failure, ServedUrl(*server));
    {
      std::unique_lock lock(mutex);
      progress.wait(lock, [&] {
        return acknowledged.size() >= kill * 25 || next_room >= rooms_.size() || stopped;
      });
    }
    server->Kill(SIGKILL);  // mid-stream: the writer is still sending
    writer.join();
  }
  // Last, a server that lives: its relay sends what the killed ones did not,
  // those they had claimed once their claims expire (the 2 s timeout plus
  // the outbox's 60 s margin).
  auto server = StartServer(port);
  std::set<std::string> delivered;
  for (int wait = 0; wait < 15000; ++wait) {  // polling a file, bounded (150 s)
    std::set<std::string> ids;
    delivered.clear();
    for (const json& body : StoredBodies(store_file(), &ids)) {
      delivered.insert(body["data"].value("stay_id", ""));
    }
    if (std::includes(delivered.begin(), delivered.end(), acknowledged.begin(),
                      acknowledged.end())) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GE(acknowledged.size(), 75u);
  for (const std::string& stay : acknowledged) EXPECT_TRUE(delivered.contains(stay)) << stay;
  // Once each at the receiver: one check-in event per stay, each id once.
  std::set<std::string> ids;
  std::map<std::string, int> per_stay;
  for (const json& body : StoredBodies(store_file(), &ids)) {
    EXPECT_EQ(body["type"], "hotel.guest.checked_in");
    EXPECT_EQ(body["sequence"], 1);
    ++per_stay[body["data"].value("stay_id", "")];
  }
  for (const auto& [stay, count] : per_stay) EXPECT_EQ(count, 1) << stay;
}

INSTANTIATE_TEST_SUITE_P(Backends, HotelProcessTest,
                         ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode
