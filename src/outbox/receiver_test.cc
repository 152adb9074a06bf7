// The relay against the test receiver over real HTTP on loopback, on both
// backends: signatures, de-duplication, and each fault the receiver acts.
#include "outbox/receiver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "outbox/outbox.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_databases.h"

namespace citycode::outbox {
namespace {

using ::citycode::testing::IsOk;
using ::citycode::testing::StatusIs;
using nlohmann::json;
using std::chrono::seconds;

const Instant kStart = FromUnixSeconds(1'796'000'000);

std::vector<json> StoredLines(const std::filesystem::path& file) {
  std::vector<json> lines;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    json parsed = json::parse(line, nullptr, false);
    if (!parsed.is_discarded()) lines.push_back(parsed);
  }
  return lines;
}

class ReceiverTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    signing_key_ = *ParseSigningKey(NewSigningKey());
    secret_ = *ParseSecret(NewSecret());
    StartReceiver();
    DestinationConfig police{
        .name = "police",
        .url = "http://127.0.0.1:" + std::to_string(receiver_->port()) + "/guests",
        .jitter = 0,
        .timeout = seconds(5)};
    police.signer.secrets = {secret_};
    police.signer.signing_keys = {signing_key_};
    config_.destinations = {police};
    auto opened = Outbox::Open(db(), clock_, config_);
    ASSERT_THAT(opened, IsOk());
    outbox_ = std::move(*opened);
  }

  void StartReceiver(std::string listen = "127.0.0.1:0") {
    receiver_.reset();
    ReceiverOptions options{.listen = std::move(listen), .store_file = store_file()};
    options.verifier.secrets = {secret_};
    options.verifier.public_keys = {signing_key_.public_key()};
    auto started = Receiver::Start(std::move(options), clock_);
    ASSERT_THAT(started, IsOk());
    receiver_ = std::move(*started);
  }

  std::filesystem::path store_file() const { return dir_.path() / "received.jsonl"; }

  std::string Enqueue(const std::string& stream, json data = {{"room", "301"}}) {
    std::string id;
    EXPECT_THAT(store::RunInTransaction(db(), store::TransactionMode::kWrite,
                                        [&](store::Transaction& tx) -> Status {
                                          CITYCODE_ASSIGN_OR_RETURN(
                                              auto event,
                                              outbox_->Enqueue(tx, {.destination = "police",
                                                                    .stream = stream,
                                                                    .type = "hotel.check_in",
                                                                    .data = data}));
                                          id = event.id;
                                          return OkStatus();
                                        }),
                IsOk());
    return id;
  }

  RelayRound Round() {
    auto round = outbox_->RunOnce();
    EXPECT_THAT(round, IsOk());
    return round.ok() ? *round : RelayRound{};
  }

  EventSummary Event(const std::string& id) {
    auto events = outbox_->List({});
    for (const auto& event : *events) {
      if (event.id == id) return event;
    }
    ADD_FAILURE() << "no event " << id;
    return {};
  }

  // A raw POST to the receiver.
  Result<WebhookReply> Post(const std::string& path, std::string body,
                            std::vector<std::pair<std::string, std::string>> headers) {
    return http_->Post({.url = "http://127.0.0.1:" + std::to_string(receiver_->port()) + path,
                        .headers = std::move(headers),
                        .body = std::move(body),
                        .timeout = seconds(5)});
  }

  testing::TempDir dir_{"citycode-receiver"};
  ManualClock clock_{kStart};
  Bytes secret_;
  crypto::PrivateKey signing_key_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  OutboxConfig config_;
  std::unique_ptr<Receiver> receiver_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<Transport> http_ = MakeHttpTransport();
};

TEST_P(ReceiverTest, StoresEachSignedEventOnceInOrder) {
  const std::string a1 = Enqueue("stay_a"), b1 = Enqueue("stay_b"), a2 = Enqueue("stay_a");
  EXPECT_EQ(Round().delivered, 2u);
  EXPECT_EQ(Round().delivered, 1u);
  EXPECT_EQ(receiver_->counts().stored, 3u);
  const auto lines = StoredLines(store_file());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2]["id"], a2);
  const json body = json::parse(lines[2]["body"].get<std::string>());
  EXPECT_EQ(body["stream"], "stay_a");
  EXPECT_EQ(body["sequence"], 2);
  EXPECT_EQ(body["data"]["room"], "301");
  EXPECT_THAT(lines[2]["signature"].get<std::string>(),
              ::testing::MatchesRegex("v1,[^ ]+ v1a,[^ ]+"));
  EXPECT_EQ(std::filesystem::status(store_file()).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  // A replay reaches it with the same ids: acknowledged, not stored again.
  ASSERT_THAT(outbox_->Replay({.destination = "police"}), IsOk());
  for (int i = 0; i < 5; ++i) Round();
  EXPECT_EQ(receiver_->counts().stored, 3u);
  EXPECT_EQ(receiver_->counts().duplicates, 3u);
  EXPECT_EQ(StoredLines(store_file()).size(), 3u);
  EXPECT_EQ(Event(b1).state, EventState::kDelivered);
  EXPECT_EQ(Event(a1).state, EventState::kDelivered);
}

TEST_P(ReceiverTest, RefusesBadSignaturesStaleTimesAndBadHeaders) {
  const std::string body = R"({"type":"x"})";
  const std::string now = std::to_string(ToUnixSeconds(kStart));
  WebhookSigner stranger{.secrets = {*ParseSecret(NewSecret())}};
  auto forged = Post("/guests", body,
                     {{"webhook-id", "msg_1"},
                      {"webhook-timestamp", now},
                      {"webhook-signature", stranger.Sign("msg_1", ToUnixSeconds(kStart), body)}});
  ASSERT_THAT(forged, IsOk());
  EXPECT_EQ(forged->status, 401);
  WebhookSigner ours{.secrets = {secret_}};
  const std::int64_t old = ToUnixSeconds(kStart) - 301;
  auto stale = Post("/guests", body,
                    {{"webhook-id", "msg_2"},
                     {"webhook-timestamp", std::to_string(old)},
                     {"webhook-signature", ours.Sign("msg_2", old, body)}});
  EXPECT_EQ(stale->status, 401);
  auto no_id = Post("/guests", body, {{"webhook-timestamp", now}});
  EXPECT_EQ(no_id->status, 400);
  auto too_big = Post("/guests", std::string(2 << 20, 'x'), {});
  if (too_big.ok()) {
    EXPECT_EQ(too_big->status, 413);  // or the connection is cut
  }
  EXPECT_EQ(receiver_->counts().stored, 0u);
  EXPECT_EQ(receiver_->counts().refused, 3u);
  // Still serving after all that.
  Enqueue("stay_a");
  EXPECT_EQ(Round().delivered, 1u);
}

TEST_P(ReceiverTest, FaultsAreRetriedUntilDelivered) {
  const std::string id = Enqueue("stay_a");
  receiver_->SetFault({.fault = ReceiverFault::kError500, .count = 1});
  EXPECT_EQ(Round().failed, 1u);
  EXPECT_EQ(Event(id).last_status, 500);

  clock_.Advance(seconds(5));
  // Twice: a dropped reused connection is retried once on a fresh one.
  receiver_->SetFault({.fault = ReceiverFault::kDrop, .count = 2});
  EXPECT_EQ(Round().failed, 1u);
  EXPECT_FALSE(Event(id).last_status.has_value());
  EXPECT_FALSE(Event(id).last_error.empty());

  clock_.Advance(std::chrono::minutes(5));
  receiver_->SetFault({.fault = ReceiverFault::kTooMany429, .count = 1, .retry_after = "42"});
  EXPECT_EQ(Round().failed, 1u);
  EXPECT_EQ(Event(id).next_attempt_at, clock_.Now() + seconds(42));

  clock_.Advance(seconds(42));
  EXPECT_EQ(Round().delivered, 1u);
  EXPECT_EQ(Event(id).attempts, 4);
  EXPECT_EQ(receiver_->counts().stored, 1u);
}

TEST_P(ReceiverTest, AStalledReceiverTimesOut) {
  // A short timeout, so the stall ends the try before the stall does.
  config_.destinations[0].timeout = seconds(1);
  auto opened = Outbox::Open(db(), clock_, config_);
  ASSERT_THAT(opened, IsOk());
  outbox_ = std::move(*opened);
  const std::string id = Enqueue("stay_a");
  receiver_->SetFault({.fault = ReceiverFault::kStall, .count = 1, .stall = seconds(3)});
  EXPECT_EQ(Round().failed, 1u);
  EXPECT_EQ(Event(id).attempts, 1);
  clock_.Advance(seconds(5));
  EXPECT_EQ(Round().delivered, 1u);
}

TEST_P(ReceiverTest, GoneDisablesTheDestination) {
  Enqueue("stay_a");
  receiver_->SetFault({.fault = ReceiverFault::kGone410});
  EXPECT_EQ(Round().failed, 1u);
  clock_.Advance(std::chrono::hours(1));
  EXPECT_EQ(Round().claimed, 0u);
  EXPECT_TRUE(outbox_->Destinations()->at(0).disabled_at.has_value());
}

TEST_P(ReceiverTest, ControlEndpointSetsFaultsAndCounts) {
  auto set = Post("/control", R"({"fault":"429","count":1,"retry_after":"7"})", {});
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(set->status, 204);
  const std::string id = Enqueue("stay_a");
  Round();
  EXPECT_EQ(Event(id).next_attempt_at, kStart + seconds(7));
  for (const char* bad : {"", "[]", R"({"fault":"boom"})", R"({"fault":"500","count":"x"})"}) {
    EXPECT_EQ(Post("/control", bad, {})->status, 400) << bad;
  }
  clock_.Advance(seconds(7));
  Round();
  EXPECT_EQ(receiver_->counts().stored, 1u);
}

TEST_P(ReceiverTest, JunkGetsAnAnswerAndStoresNothing) {
  std::mt19937 random(11);
  const auto noise = [&](std::size_t max) {
    std::string text(random() % (max + 1), 'x');
    for (char& c : text) c = static_cast<char>(32 + random() % 95);  // printable: valid headers
    return text;
  };
  for (int i = 0; i < 100; ++i) {
    auto control = Post("/control", noise(300), {});
    ASSERT_THAT(control, IsOk()) << i;
    EXPECT_EQ(control->status, 400);
    auto webhook = Post("/guests", noise(300),
                        {{"webhook-id", noise(40)},
                         {"webhook-timestamp", noise(12)},
                         {"webhook-signature", noise(120)}});
    ASSERT_THAT(webhook, IsOk()) << i;
    EXPECT_TRUE(webhook->status == 400 || webhook->status == 401) << webhook->status;
  }
  EXPECT_EQ(receiver_->counts().stored, 0u);
  EXPECT_EQ(receiver_->counts().refused, 100u);
}

TEST_P(ReceiverTest, ClosedConnectionsFreeTheirPlaces) {
  // More connections one after another than it serves at once (64): each
  // closed one's place is taken back.
  for (int i = 0; i < 100; ++i) {
    auto transport = MakeHttpTransport();
    auto reply = transport->Post(
        {.url = "http://127.0.0.1:" + std::to_string(receiver_->port()) + "/control",
         .body = R"({"fault":"none"})",
         .timeout = seconds(5)});
    ASSERT_THAT(reply, IsOk()) << i;
    EXPECT_EQ(reply->status, 204);
  }
}

TEST_P(ReceiverTest, DeduplicationSurvivesARestartAndATornLine) {
  const std::string id = Enqueue("stay_a");
  EXPECT_EQ(Round().delivered, 1u);
  const std::uint16_t port = receiver_->port();
  receiver_.reset();
  {
    std::ofstream torn(store_file(), std::ios::app);
    torn << R"({"id":"msg_torn","body":"{\"ty)";
  }
  StartReceiver("127.0.0.1:" + std::to_string(port));
  ASSERT_THAT(outbox_->Replay({.destination = "police"}), IsOk());
  EXPECT_EQ(Round().delivered, 1u);
  EXPECT_EQ(receiver_->counts().duplicates, 1u);
  EXPECT_EQ(receiver_->counts().stored, 0u);
  Enqueue("stay_a");
  EXPECT_EQ(Round().delivered, 1u);
  const auto lines = StoredLines(store_file());
  ASSERT_EQ(lines.size(), 2u);  // the torn line is skipped, the new one whole
  EXPECT_EQ(lines[0]["id"], id);
}

TEST(ReceiverOptionsTest, RefusesBadOptions) {
  ManualClock clock(kStart);
  testing::TempDir dir("citycode-receiver");
  ReceiverOptions options{.listen = "127.0.0.1:0", .store_file = dir.path() / "r.jsonl"};
  EXPECT_THAT(Receiver::Start(options, clock),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  options.verifier.secrets = {*ParseSecret(NewSecret())};
  for (const char* bad : {"127.0.0.1", "nowhere:80", "127.0.0.1:99999", ":80"}) {
    options.listen = bad;
    EXPECT_THAT(Receiver::Start(options, clock),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << bad;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ReceiverTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::outbox
