// The outbox's Standard Webhooks signatures against third-party code
// (tests/interop/verify_webhooks.mjs): npm `standardwebhooks` checks the v1
// HMAC signatures and @noble/curves the v1a Ed25519 ones of webhooks the
// relay sends, and both sign messages our WebhookVerifier must accept.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "outbox/outbox.h"
#include "store/database.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace citycode::outbox {
namespace {

using ::citycode::testing::IsOk;
using nlohmann::json;

// Keeps what the relay sends and answers 204.
class CapturingTransport final : public Transport {
 public:
  explicit CapturingTransport(std::vector<WebhookRequest>& sent) : sent_(sent) {}
  Result<WebhookReply> Post(const WebhookRequest& request) override {
    std::lock_guard lock(mutex_);
    sent_.push_back(request);
    return WebhookReply{.status = 204};
  }

 private:
  std::mutex mutex_;
  std::vector<WebhookRequest>& sent_;
};

std::string Header(const WebhookRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "";
}

json RunNode(const std::filesystem::path& cases) {
  const std::string command = std::string(CITYCODE_NODE) + " " + CITYCODE_INTEROP_DIR +
                              "/verify_webhooks.mjs " + cases.string();
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buffer;
  while (pipe && fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) out += buffer.data();
  return json::parse(out, nullptr, false);
}

TEST(OutboxInteropTest, StandardWebhooksAndNobleAgreeWithOurSignatures) {
  testing::TempDir dir("citycode-outbox-interop");
  auto db = store::Database::Open("sqlite:" + (dir.path() / "city.db").string());
  ASSERT_THAT(db, IsOk());
  const std::string secret = NewSecret(), old_secret = NewSecret(), signing_key = NewSigningKey();
  DestinationConfig police{.name = "police", .url = "http://127.0.0.1:9/guests"};
  police.signer.secrets = {*ParseSecret(secret), *ParseSecret(old_secret)};
  police.signer.signing_keys = {*ParseSigningKey(signing_key)};
  std::vector<WebhookRequest> sent;
  SystemClock clock;  // the npm library checks the timestamp against its own clock
  auto outbox = Outbox::Open(**db, clock, {.destinations = {police}},
                             std::make_unique<CapturingTransport>(sent));
  ASSERT_THAT(outbox, IsOk());
  // Rooms whose JSON needs escaping and UTF-8, each in a stream of its own.
  const std::vector<std::string> rooms = {"301", "房间 302", "\"303\"\n"};
  const auto enqueue_all = [&](store::Transaction& tx) -> Status {
    for (std::size_t i = 0; i < rooms.size(); ++i) {
      CITYCODE_RETURN_IF_ERROR((*outbox)
                                   ->Enqueue(tx, {.destination = "police",
                                                  .stream = "stay_" + std::to_string(i),
                                                  .type = "hotel.guest.checked_in",
                                                  .data = {{"room", rooms[i]}}})
                                   .status());
    }
    return OkStatus();
  };
  ASSERT_THAT(store::RunInTransaction(**db, store::TransactionMode::kWrite, enqueue_all), IsOk());
  ASSERT_THAT((*outbox)->RunOnce(), IsOk());  // three streams, one round
  ASSERT_EQ(sent.size(), 3u);

  json cases = json::array();
  std::map<std::string, std::pair<bool, bool>> expected;  // name → v1, v1a valid
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const json c = {{"name", "relay " + std::to_string(i)},
                    {"id", Header(sent[i], "webhook-id")},
                    {"timestamp", Header(sent[i], "webhook-timestamp")},
                    {"body", sent[i].body},
                    {"signature", Header(sent[i], "webhook-signature")}};
    cases.push_back(c);
    expected[c["name"]] = {true, true};
  }
  json tampered = cases[0];
  tampered["name"] = "body changed";
  tampered["body"] = sent[0].body + " ";
  cases.push_back(tampered);
  expected["body changed"] = {false, false};
  json other_id = cases[0];
  other_id["name"] = "id changed";
  other_id["id"] = "msg_other";
  cases.push_back(other_id);
  expected["id changed"] = {false, false};
  WebhookSigner stranger{.secrets = {*ParseSecret(NewSecret())},
                         .signing_keys = {*ParseSigningKey(NewSigningKey())}};
  json forged = cases[0];
  forged["name"] = "stranger's keys";
  forged["signature"] =
      stranger.Sign(forged["id"].get<std::string>(),
                    std::stoll(forged["timestamp"].get<std::string>()), sent[0].body);
  cases.push_back(forged);
  expected["stranger's keys"] = {false, false};

  const auto file = dir.path() / "cases.json";
  std::ofstream(file) << json{
      {"secret", secret},
      {"public_key", FormatPublicKey(police.signer.signing_keys[0].public_key())},
      {"signing_key", signing_key},
      {"cases", cases}}.dump();
  const json answer = RunNode(file);
  ASSERT_TRUE(answer.is_object()) << "node gave no answer";
  ASSERT_EQ(answer["verdicts"].size(), cases.size());
  for (const json& verdict : answer["verdicts"]) {
    const auto& [v1, v1a] = expected.at(verdict["name"]);
    EXPECT_EQ(verdict["v1"], v1) << verdict["name"] << " (standardwebhooks, v1)";
    EXPECT_EQ(verdict["v1a"], v1a) << verdict["name"] << " (@noble/curves, v1a)";
  }
  // The old secret of the rotation verifies too.
  const json rotated = {{"secret", old_secret},
                        {"public_key", FormatPublicKey(police.signer.signing_keys[0].public_key())},
                        {"signing_key", signing_key},
                        {"cases", json::array({cases[0]})}};
  std::ofstream(file) << rotated.dump();
  const json old_answer = RunNode(file);
  ASSERT_TRUE(old_answer.is_object());
  EXPECT_EQ(old_answer["verdicts"][0]["v1"], true);

  // What they sign, we verify: by the secret, and by the public key alone.
  ASSERT_EQ(answer["signed"].size(), 2u);
  WebhookVerifier by_secret{.secrets = {*ParseSecret(secret)}};
  WebhookVerifier by_key{.public_keys = {police.signer.signing_keys[0].public_key()}};
  for (const json& message : answer["signed"]) {
    const std::string id = message["id"], body = message["body"], signature = message["signature"];
    const std::string timestamp = std::to_string(message["timestamp"].get<std::int64_t>());
    EXPECT_THAT(by_secret.Verify(id, timestamp, signature, body, clock.Now()), IsOk()) << id;
    EXPECT_THAT(by_key.Verify(id, timestamp, signature.substr(signature.find(" v1a,") + 1), body,
                              clock.Now()),
                IsOk())
        << id;
  }
}

}  // namespace
}  // namespace citycode::outbox
