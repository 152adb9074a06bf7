#include "outbox/signature.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "common/bytes.h"
#include "outbox/destination.h"
#include "outbox/internal/schedule.h"
#include "tests/support/status_matchers.h"

namespace citycode::outbox {
namespace {

using ::citycode::testing::IsOk;
using ::citycode::testing::StatusIs;

const Instant kNow = FromUnixSeconds(1'796'000'000);
constexpr char kId[] = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
constexpr char kBody[] = R"({"type":"contact.created","data":{"id":"1"}})";

struct Keys {
  WebhookSigner signer;
  WebhookVerifier verifier;
};

Keys MakeKeys() {
  Keys keys;
  auto secret = ParseSecret(NewSecret());
  auto key = ParseSigningKey(NewSigningKey());
  keys.signer.secrets.push_back(*secret);
  keys.signer.signing_keys.push_back(*key);
  return keys;
}

TEST(SignatureTest, TheSpecExampleVerifies) {
  // The example of the Standard Webhooks reference libraries.
  WebhookVerifier verifier;
  verifier.secrets.push_back(*ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
  const std::string header = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
  EXPECT_THAT(verifier.Verify("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", header,
                              R"({"test": 2432232314})", FromUnixSeconds(1614265330)),
              IsOk());
}

TEST(SignatureTest, SignedMessagesVerifyWithEitherScheme) {
  Keys keys = MakeKeys();
  const std::string header = keys.signer.Sign(kId, ToUnixSeconds(kNow), kBody);
  ASSERT_THAT(header, ::testing::MatchesRegex("v1,[^ ]+ v1a,[^ ]+"));

  WebhookVerifier hmac_only{.secrets = keys.signer.secrets};
  EXPECT_THAT(hmac_only.Verify(kId, std::to_string(ToUnixSeconds(kNow)), header, kBody, kNow),
              IsOk());
  WebhookVerifier ed25519_only{.public_keys = {keys.signer.signing_keys[0].public_key()}};
  EXPECT_THAT(ed25519_only.Verify(kId, std::to_string(ToUnixSeconds(kNow)), header, kBody, kNow),
              IsOk());
  // Only the v1a part: still one valid signature.
  EXPECT_THAT(ed25519_only.Verify(kId, std::to_string(ToUnixSeconds(kNow)),
                                  header.substr(header.find(' ') + 1), kBody, kNow),
              IsOk());
}

TEST(SignatureTest, RotationSignsWithEveryKey) {
  Keys old_keys = MakeKeys(), new_keys = MakeKeys();
  WebhookSigner both = new_keys.signer;
  both.secrets.push_back(old_keys.signer.secrets[0]);
  const std::string header = both.Sign(kId, ToUnixSeconds(kNow), kBody);
  const std::string timestamp = std::to_string(ToUnixSeconds(kNow));
  for (const Keys* keys : {&old_keys, &new_keys}) {
    WebhookVerifier verifier{.secrets = keys->signer.secrets};
    EXPECT_THAT(verifier.Verify(kId, timestamp, header, kBody, kNow), IsOk());
  }
  WebhookVerifier stranger{.secrets = MakeKeys().signer.secrets};
  EXPECT_THAT(stranger.Verify(kId, timestamp, header, kBody, kNow),
              StatusIs(StatusCode::kUnauthenticated, "bad_webhook_signature"));
}

TEST(SignatureTest, RefusesTamperingStaleTimesAndBadHeaders) {
  Keys keys = MakeKeys();
  WebhookVerifier verifier{.secrets = keys.signer.secrets,
                           .public_keys = {keys.signer.signing_keys[0].public_key()}};
  const std::string timestamp = std::to_string(ToUnixSeconds(kNow));
  const std::string header = keys.signer.Sign(kId, ToUnixSeconds(kNow), kBody);
  EXPECT_THAT(verifier.Verify(kId, timestamp, header, std::string(kBody) + " ", kNow),
              StatusIs(StatusCode::kUnauthenticated, "bad_webhook_signature"));
  EXPECT_THAT(verifier.Verify("msg_other", timestamp, header, kBody, kNow),
              StatusIs(StatusCode::kUnauthenticated, "bad_webhook_signature"));
  EXPECT_THAT(verifier.Verify(kId, timestamp, header, kBody, kNow + std::chrono::seconds(301)),
              StatusIs(StatusCode::kUnauthenticated, "stale_webhook"));
  EXPECT_THAT(verifier.Verify(kId, timestamp, header, kBody, kNow - std::chrono::seconds(301)),
              StatusIs(StatusCode::kUnauthenticated, "stale_webhook"));
  EXPECT_THAT(verifier.Verify(kId, timestamp, header, kBody, kNow + std::chrono::seconds(300)),
              IsOk());
  EXPECT_THAT(verifier.Verify("msg.1", timestamp, header, kBody, kNow),
              StatusIs(StatusCode::kInvalidArgument, "bad_webhook_headers"));
  EXPECT_THAT(verifier.Verify("", timestamp, header, kBody, kNow),
              StatusIs(StatusCode::kInvalidArgument, "bad_webhook_headers"));
  for (const char* bad : {"", "12x", "-", "99999999999999999999"}) {
    EXPECT_THAT(verifier.Verify(kId, bad, header, kBody, kNow),
                StatusIs(StatusCode::kInvalidArgument, "bad_webhook_headers"))
        << bad;
  }
  for (const char* bad : {"", "v1", "v1,", "v1,!!!", "v2,abc", "v1a,AAAA", "   "}) {
    EXPECT_THAT(verifier.Verify(kId, timestamp, bad, kBody, kNow),
                StatusIs(StatusCode::kUnauthenticated, "bad_webhook_signature"))
        << bad;
  }
}

TEST(SignatureTest, KeyFormsAreChecked) {
  EXPECT_THAT(ParseSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
              StatusIs(StatusCode::kInvalidArgument, "bad_webhook_key"));
  EXPECT_THAT(ParseSecret("whsec_!!!"), StatusIs(StatusCode::kInvalidArgument, "bad_webhook_key"));
  EXPECT_THAT(ParseSecret("whsec_" + Base64Encode(Bytes(23, 1))),
              StatusIs(StatusCode::kInvalidArgument, "bad_webhook_key"));
  EXPECT_THAT(ParseSecret("whsec_" + Base64Encode(Bytes(65, 1))),
              StatusIs(StatusCode::kInvalidArgument, "bad_webhook_key"));
  EXPECT_THAT(ParseSigningKey("whsk_" + Base64Encode(Bytes(31, 1))),
              StatusIs(StatusCode::kInvalidArgument, "bad_webhook_key"));
  EXPECT_THAT(ParsePublicKey("whpk_" + Base64Encode(Bytes(33, 1))),
              StatusIs(StatusCode::kInvalidArgument, "bad_webhook_key"));
  // The 64-byte libsodium form: seed and its own public key, nothing else.
  auto key = ParseSigningKey(NewSigningKey());
  ASSERT_THAT(key, IsOk());
  const std::string whpk = FormatPublicKey(key->public_key());
  auto public_key = ParsePublicKey(whpk);
  ASSERT_THAT(public_key, IsOk());
  EXPECT_EQ(*public_key, key->public_key());
  Bytes seed(32, 7);
  auto from_seed = crypto::PrivateKey::FromEd25519Seed(seed);
  Bytes full = seed;
  const Bytes x = from_seed->public_key().x();
  full.insert(full.end(), x.begin(), x.end());
  EXPECT_THAT(ParseSigningKey("whsk_" + Base64Encode(full)), IsOk());
  full.back() ^= 1;
  EXPECT_THAT(ParseSigningKey("whsk_" + Base64Encode(full)),
              StatusIs(StatusCode::kInvalidArgument, "bad_webhook_key"));
}

TEST(RetryAfterTest, SecondsAndHttpDates) {
  using internal::ParseRetryAfter;
  using std::chrono::seconds;
  const Instant now = FromUnixSeconds(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(ParseRetryAfter("120", now), seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), seconds(0));
  EXPECT_EQ(ParseRetryAfter("999999999", now), internal::kMaxRetryAfter);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:59:37 GMT", now), seconds(600));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now), seconds(0));
  for (const char* bad : {"", "-5", "soon", "Sun, 06 Nov 1994 08:59:37 UTC",
                          "Sun, 31 Feb 1994 08:59:37 GMT", "Sun, 06 Foo 1994 08:59:37 GMT"}) {
    EXPECT_EQ(ParseRetryAfter(bad, now), std::nullopt) << bad;
  }
}

TEST(RetryAfterTest, JitterOnlyLengthensUpToItsShare) {
  using std::chrono::seconds;
  EXPECT_EQ(internal::WithJitter(seconds(100), 0), seconds(100));
  EXPECT_EQ(internal::WithJitter(seconds(0), 0.5), seconds(0));
  for (int i = 0; i < 100; ++i) {
    const seconds wait = internal::WithJitter(seconds(1000), 0.1);
    EXPECT_GE(wait, seconds(1000));
    EXPECT_LE(wait, seconds(1100));
  }
}

// Whatever the bytes, the parsers answer (no crash, no exception): random
// and truncated headers, keys, schedules and Retry-After values.
TEST(ParsersTest, AnyInputGetsAnAnswer) {
  Keys keys = MakeKeys();
  WebhookVerifier verifier{.secrets = keys.signer.secrets,
                           .public_keys = {keys.signer.signing_keys[0].public_key()}};
  const std::string good = keys.signer.Sign(kId, ToUnixSeconds(kNow), kBody);
  std::mt19937 random(7);
  const auto noise = [&](std::size_t max) {
    std::string text(random() % (max + 1), '\0');
    for (char& c : text) c = static_cast<char>(random());
    return text;
  };
  for (int i = 0; i < 2000; ++i) {
    const std::string cut = good.substr(0, random() % (good.size() + 1));
    const std::string junk = noise(200);
    (void)verifier.Verify(kId, std::to_string(ToUnixSeconds(kNow)), cut, kBody, kNow);
    (void)verifier.Verify(junk, junk, junk, junk, kNow);
    (void)verifier.Verify(kId, "1796000000", "v1," + junk + " v1a," + junk, kBody, kNow);
    (void)ParseSecret("whsec_" + junk);
    (void)ParseSigningKey("whsk_" + junk);
    (void)ParsePublicKey("whpk_" + junk);
    (void)ParseRetrySchedule(junk);
    (void)internal::ParseRetryAfter(junk, kNow);
  }
  EXPECT_THAT(verifier.Verify(kId, std::to_string(ToUnixSeconds(kNow)), good, kBody, kNow), IsOk());
}

}  // namespace
}  // namespace citycode::outbox
