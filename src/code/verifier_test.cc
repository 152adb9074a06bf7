#include "code/verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "code/base45.h"
#include "code/cose.h"
#include "code/presentation.h"
#include "crypto/random.h"
#include "tests/support/algorithms.h"
#include "tests/support/status_matchers.h"

namespace citycode::code {
namespace {

using ::citycode::testing::StatusIs;

using crypto::Algorithm;
using std::chrono::seconds;

const Instant kNow = FromUnixSeconds(1'790'000'000);  // 2026-09-21

// An issuer, one device and its credential, all in memory.
class VerifierTest : public ::testing::TestWithParam<Algorithm> {
 protected:
  VerifierTest()
      : clock_(kNow),
        root_(*crypto::PrivateKey::Generate(GetParam())),
        signer_(*crypto::PrivateKey::Generate(GetParam())),
        device_(*crypto::PrivateKey::Generate(GetParam())) {
    trust_ = TrustList{.version = 3,
                       .issuer = "citycode:jimo",
                       .issued_at = kNow - std::chrono::hours(1),
                       .expires_at = kNow + std::chrono::days(7),
                       .keys = {{signer_.public_key(), kNow - std::chrono::days(1),
                                 kNow + std::chrono::days(365)}}};
    revoked_ = RevocationList{.version = 5,
                              .issued_at = kNow - std::chrono::hours(1),
                              .expires_at = kNow + std::chrono::days(1),
                              .entries = {}};
    claims_ = CredentialClaims{.issuer = "citycode:jimo",
                               .subject = crypto::RandomArray<16>(),
                               .issued_at = kNow - std::chrono::hours(2),
                               .expires_at = kNow + std::chrono::hours(22),
                               .id = crypto::RandomArray<16>(),
                               .device_key = device_.public_key(),
                               .scenes = {Scene::kTransit, Scene::kHotel},
                               .channel = Channel::kWechat,
                               .rider_category = RiderCategory::kSenior};
  }

  Bytes Credential(const CredentialClaims& claims) { return *IssueCredential(claims, signer_); }
  std::string Code(const Bytes& credential, Instant t, std::uint64_t n = 7,
                   const crypto::PrivateKey* device = nullptr) {
    auto presentation = MakePresentation({.credential = credential, .made_at = t, .counter = n},
                                         device != nullptr ? *device : device_);
    EXPECT_TRUE(presentation.ok()) << presentation.status().ToString();
    return ToQrText(*presentation);
  }
  std::string Code(Instant t = kNow, std::uint64_t n = 7) {
    return Code(Credential(claims_), t, n);
  }

  std::unique_ptr<Verifier> MakeVerifier(VerifierOptions options = {}) {
    return std::make_unique<Verifier>(clock_, trust_, revoked_, options);
  }

  ManualClock clock_;
  crypto::PrivateKey root_, signer_, device_;
  TrustList trust_;
  RevocationList revoked_;
  CredentialClaims claims_;
};

TEST_P(VerifierTest, AcceptsAFreshCodeAndReportsItsClaims) {
  const auto result = MakeVerifier()->Verify(Code(), Scene::kTransit);
  EXPECT_TRUE(result.valid);
  EXPECT_EQ(result.reason, Reason::kValid);
  EXPECT_EQ(result.subject, claims_.subject);
  EXPECT_EQ(result.credential_id, claims_.id);
  EXPECT_EQ(result.scenes, (std::vector<Scene>{Scene::kTransit, Scene::kHotel}));
  EXPECT_EQ(result.channel, Channel::kWechat);
  EXPECT_EQ(result.rider_category, RiderCategory::kSenior);
  EXPECT_EQ(result.made_at, kNow);
  EXPECT_EQ(result.counter, 7u);
  EXPECT_TRUE(result.warnings.empty());
}

TEST_P(VerifierTest, EveryTamperedByteIsRefused) {
  const Bytes presentation = *FromQrText(Code());
  auto verifier = MakeVerifier();
  for (std::size_t i = 0; i < presentation.size(); ++i) {
    Bytes tampered = presentation;
    tampered[i] ^= 0x01;
    const auto result = verifier->VerifyBytes(tampered, Scene::kTransit);
    EXPECT_FALSE(result.valid) << "byte " << i;
    EXPECT_NE(result.reason, Reason::kValid) << "byte " << i;
  }
  // The untouched code is still accepted afterwards: refusals use no replay slot.
  EXPECT_TRUE(verifier->VerifyBytes(presentation, Scene::kTransit).valid);
}

TEST_P(VerifierTest, GivesEachRefusalItsOwnReason) {
  auto verifier = MakeVerifier();
  EXPECT_EQ(verifier->Verify("CC1:not base45!", std::nullopt).reason, Reason::kMalformed);
  EXPECT_EQ(verifier->Verify("HC1:ABC", std::nullopt).reason, Reason::kMalformed);

  // A credential shown where a presentation is expected.
  EXPECT_EQ(verifier->Verify(ToQrText(Credential(claims_)), std::nullopt).reason,
            Reason::kNotAPresentation);

  // Signed by a key the trust list does not hold.
  const auto stranger = *crypto::PrivateKey::Generate(GetParam());
  const Bytes foreign = *IssueCredential(claims_, stranger);
  EXPECT_EQ(verifier->Verify(Code(foreign, kNow), std::nullopt).reason, Reason::kUnknownKey);

  // Right kid, wrong signature: the credential's last byte is in its signature.
  Bytes forged = Credential(claims_);
  forged.back() ^= 0x80;
  EXPECT_EQ(verifier->Verify(Code(forged, kNow), std::nullopt).reason, Reason::kBadIssuerSignature);

  CredentialClaims expired = claims_;
  expired.issued_at = kNow - std::chrono::hours(30);
  expired.expires_at = kNow - std::chrono::hours(6);
  EXPECT_EQ(verifier->Verify(Code(Credential(expired), kNow), std::nullopt).reason,
            Reason::kCredentialExpired);

  CredentialClaims early = claims_;
  early.issued_at = kNow + std::chrono::hours(1);
  early.expires_at = kNow + std::chrono::hours(25);
  EXPECT_EQ(verifier->Verify(Code(Credential(early), kNow), std::nullopt).reason,
            Reason::kCredentialNotYetValid);

  const auto thief = *crypto::PrivateKey::Generate(GetParam());
  EXPECT_EQ(verifier->Verify(Code(Credential(claims_), kNow, 1, &thief), std::nullopt).reason,
            Reason::kBadDeviceSignature);

  EXPECT_EQ(verifier->Verify(Code(kNow - seconds(61)), std::nullopt).reason, Reason::kStale);
  EXPECT_TRUE(verifier->Verify(Code(kNow - seconds(60)), std::nullopt).valid);
  EXPECT_EQ(verifier->Verify(Code(kNow + seconds(6)), std::nullopt).reason, Reason::kFromFuture);
  EXPECT_TRUE(verifier->Verify(Code(kNow + seconds(5)), std::nullopt).valid);

  EXPECT_EQ(verifier->Verify(Code(kNow, 99), Scene::kMedical).reason, Reason::kSceneNotAllowed);
}

TEST_P(VerifierTest, RefusesAReplayButNotAFreshCounter) {
  auto verifier = MakeVerifier();
  const std::string code = Code(kNow, 1);
  EXPECT_TRUE(verifier->Verify(code, Scene::kTransit).valid);
  EXPECT_EQ(verifier->Verify(code, Scene::kTransit).reason, Reason::kReplayed);
  EXPECT_TRUE(verifier->Verify(Code(kNow, 2), Scene::kTransit).valid);
}

TEST_P(VerifierTest, LeavesReplayToTheCallerWhenAskedTo) {
  auto verifier = MakeVerifier({.detect_replay = false});
  const std::string code = Code(kNow, 1);
  const auto first = verifier->Verify(code, Scene::kTransit);
  EXPECT_TRUE(first.valid);
  EXPECT_TRUE(verifier->Verify(code, Scene::kTransit).valid);
  // The caller gets the replay key (cti, t, n) to record itself.
  EXPECT_EQ(first.credential_id, claims_.id);
  EXPECT_EQ(first.made_at, kNow);
  EXPECT_EQ(first.counter, 1u);
}

TEST_P(VerifierTest, ACodeRefusedForItsSceneStillWorksWhereItBelongs) {
  auto verifier = MakeVerifier();
  const std::string code = Code();
  EXPECT_EQ(verifier->Verify(code, Scene::kGov).reason, Reason::kSceneNotAllowed);
  EXPECT_TRUE(verifier->Verify(code, Scene::kHotel).valid);
}

TEST_P(VerifierTest, RefusesARevokedCredential) {
  revoked_.entries = {RevocationEntryFor(claims_.id)};
  EXPECT_EQ(MakeVerifier()->Verify(Code(), std::nullopt).reason, Reason::kCredentialRevoked);
}

TEST_P(VerifierTest, RevocationAppliesToCachedCredentials) {
  auto verifier = MakeVerifier();
  const Bytes credential = Credential(claims_);
  EXPECT_TRUE(verifier->Verify(Code(credential, kNow, 1), std::nullopt).valid);
  RevocationList newer = revoked_;
  newer.version += 1;
  newer.entries = {RevocationEntryFor(claims_.id)};
  ASSERT_TRUE(verifier->UpdateRevocationList(newer).ok());
  EXPECT_EQ(verifier->Verify(Code(credential, kNow, 2), std::nullopt).reason,
            Reason::kCredentialRevoked);
}

// An offline gate's scan uploaded later: judged as of the scan, with
// revocation and replay left to the caller.
TEST_P(VerifierTest, JudgesAnUploadedScanAsOfItsTime) {
  const Instant scanned = kNow - std::chrono::minutes(90);
  const std::string code = Code(scanned, 1);
  auto verifier = MakeVerifier();
  EXPECT_EQ(verifier->Verify(code, Scene::kTransit).reason, Reason::kStale);
  RevocationList newer = revoked_;  // revoked after the scan
  newer.version += 1;
  newer.entries = {RevocationEntryFor(claims_.id)};
  ASSERT_TRUE(verifier->UpdateRevocationList(newer).ok());
  const auto result = verifier->VerifyScanned(code, Scene::kTransit, scanned + seconds(30));
  EXPECT_TRUE(result.valid) << ReasonName(result.reason);
  EXPECT_EQ(result.rider_category, RiderCategory::kSenior);
  EXPECT_TRUE(verifier->VerifyScanned(code, Scene::kTransit, scanned).valid) << "no replay record";
  // Every time check is made as of the scan.
  EXPECT_EQ(verifier->VerifyScanned(code, Scene::kTransit, scanned + seconds(61)).reason,
            Reason::kStale);
  EXPECT_EQ(verifier->VerifyScanned(code, Scene::kTransit, scanned - seconds(6)).reason,
            Reason::kFromFuture);
  EXPECT_EQ(verifier->VerifyScanned(code, Scene::kGov, scanned).reason, Reason::kSceneNotAllowed);
  const Instant before_issue = claims_.issued_at - std::chrono::hours(1);
  EXPECT_EQ(
      verifier->VerifyScanned(Code(Credential(claims_), before_issue), std::nullopt, before_issue)
          .reason,
      Reason::kCredentialNotYetValid);
  const Instant after_expiry = claims_.expires_at + seconds(1);
  EXPECT_EQ(
      verifier->VerifyScanned(Code(Credential(claims_), after_expiry), std::nullopt, after_expiry)
          .reason,
      Reason::kCredentialExpired);
  EXPECT_EQ(verifier->VerifyScanned("CC1:garbage", Scene::kTransit, scanned).reason,
            Reason::kMalformed);
}

TEST_P(VerifierTest, ReportsAClockBehindTheLists) {
  trust_.issued_at = kNow + seconds(6);
  trust_.expires_at = kNow + std::chrono::days(7);
  EXPECT_EQ(MakeVerifier()->Verify(Code(), std::nullopt).reason, Reason::kClockBehind);
  EXPECT_EQ(MakeVerifier()->Verify("garbage", std::nullopt).reason, Reason::kClockBehind);
}

TEST_P(VerifierTest, WarnsWhenListsAreStale) {
  trust_.issued_at = kNow - std::chrono::days(10);
  trust_.expires_at = kNow - std::chrono::days(3);
  const auto result = MakeVerifier()->Verify(Code(), std::nullopt);
  EXPECT_TRUE(result.valid);
  EXPECT_EQ(result.warnings, std::vector<Warning>{Warning::kStaleTrustList});
}

TEST_P(VerifierTest, RefusesAKeyOutsideItsValidity) {
  trust_.keys[0].not_after = kNow - seconds(1);
  EXPECT_EQ(MakeVerifier()->Verify(Code(), std::nullopt).reason, Reason::kUnknownKey);
}

TEST_P(VerifierTest, CachedCredentialRespectsKeyValidityAndTrustListChanges) {
  auto verifier = MakeVerifier();
  const Bytes credential = Credential(claims_);
  EXPECT_TRUE(verifier->Verify(Code(credential, kNow, 1), std::nullopt).valid);
  // A new trust list without the signing key: the cached credential goes too.
  TrustList rotated = trust_;
  rotated.version += 1;
  rotated.keys = {{crypto::PrivateKey::Generate(GetParam())->public_key(), kNow - seconds(10),
                   kNow + std::chrono::days(1)}};
  ASSERT_TRUE(verifier->UpdateTrustList(rotated).ok());
  EXPECT_EQ(verifier->Verify(Code(credential, kNow, 2), std::nullopt).reason, Reason::kUnknownKey);
}

TEST_P(VerifierTest, RefusesOlderListsAndOtherIssuers) {
  auto verifier = MakeVerifier();
  TrustList older = trust_;
  older.version -= 1;
  EXPECT_THAT(verifier->UpdateTrustList(older),
              StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
  TrustList other = trust_;
  other.version += 1;
  other.issuer = "citycode:elsewhere";
  EXPECT_THAT(verifier->UpdateTrustList(other),
              StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
  RevocationList older_revoked = revoked_;
  older_revoked.version -= 1;
  EXPECT_THAT(verifier->UpdateRevocationList(older_revoked),
              StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
  RevocationList same = revoked_;
  EXPECT_TRUE(verifier->UpdateRevocationList(same).ok());
}

TEST_P(VerifierTest, WithoutCredentialCacheGivesTheSameAnswers) {
  auto verifier = MakeVerifier({.credential_cache_capacity = 0});
  const Bytes credential = Credential(claims_);
  EXPECT_TRUE(verifier->Verify(Code(credential, kNow, 1), std::nullopt).valid);
  EXPECT_TRUE(verifier->Verify(Code(credential, kNow, 2), std::nullopt).valid);
  EXPECT_EQ(verifier->Verify(Code(credential, kNow, 2), std::nullopt).reason, Reason::kReplayed);
}

TEST_P(VerifierTest, ConcurrentVerificationsAcceptEachCodeOnce) {
  auto verifier = MakeVerifier();
  const Bytes credential = Credential(claims_);
  std::vector<std::string> codes;
  for (int n = 0; n < 40; ++n) codes.push_back(Code(credential, kNow, n));
  std::atomic<int> accepted{0}, replayed{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (const std::string& code : codes) {
        const auto result = verifier->Verify(code, Scene::kTransit);
        if (result.valid) {
          ++accepted;
        } else if (result.reason == Reason::kReplayed) {
          ++replayed;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 40);
  EXPECT_EQ(replayed.load(), 120);
  EXPECT_EQ(other.load(), 0);
}

// --- printed cards: a credential without cnf, shown as its own QR ---

TEST_P(VerifierTest, VerifiesAPrintedCard) {
  CredentialClaims card = claims_;
  card.device_key.reset();
  card.channel = Channel::kCard;
  card.scenes = {Scene::kGov, Scene::kTransit, Scene::kAccess};
  card.expires_at = kNow + std::chrono::days(300);
  const std::string text = ToQrText(Credential(card));
  auto verifier = MakeVerifier();
  const VerificationResult result = verifier->VerifyCard(text, Scene::kTransit);
  EXPECT_TRUE(result.valid) << ReasonName(result.reason);
  EXPECT_EQ(result.reason, Reason::kValid);
  EXPECT_TRUE(result.card);
  EXPECT_EQ(result.channel, Channel::kCard);
  EXPECT_EQ(result.credential_id, card.id);
  EXPECT_EQ(result.subject, card.subject);
  EXPECT_EQ(result.rider_category, RiderCategory::kSenior);
  // A card is static: shown again, it is still valid (no replay check).
  EXPECT_TRUE(verifier->VerifyCard(text, Scene::kGov).valid);
  EXPECT_TRUE(verifier->VerifyCard(text, std::nullopt).valid);
}

TEST_P(VerifierTest, GivesEachCardRefusalItsOwnReason) {
  CredentialClaims card = claims_;
  card.device_key.reset();
  card.channel = Channel::kCard;
  card.scenes = {Scene::kGov, Scene::kTransit, Scene::kAccess};
  const Bytes card_bytes = Credential(card);
  auto verifier = MakeVerifier();
  auto reason = [&](std::string_view text, std::optional<Scene> scene = Scene::kGov) {
    return verifier->VerifyCard(text, scene).reason;
  };
  EXPECT_EQ(reason("CC1:"), Reason::kMalformed);
  EXPECT_EQ(reason("hello"), Reason::kMalformed);
  EXPECT_EQ(reason(ToQrText(AsBytes("not cbor"))), Reason::kMalformed);
  // A presentation, or a phone's credential (it has cnf), is not a card.
  EXPECT_EQ(reason(Code()), Reason::kNotACard);
  EXPECT_EQ(reason(ToQrText(Credential(claims_))), Reason::kNotACard);
  // Another issuer's key, or none with the kid.
  const auto stranger = *crypto::PrivateKey::Generate(GetParam());
  EXPECT_EQ(reason(ToQrText(*IssueCredential(card, stranger))), Reason::kUnknownKey);
  // A forged signature under the trusted kid.
  Bytes forged = card_bytes;
  forged[forged.size() - 3] ^= 0x01;
  EXPECT_EQ(reason(ToQrText(forged)), Reason::kBadIssuerSignature);
  CredentialClaims expired = card;
  expired.issued_at = kNow - std::chrono::days(400);
  expired.expires_at = kNow - std::chrono::seconds(1);
  EXPECT_EQ(reason(ToQrText(Credential(expired))), Reason::kCredentialExpired);
  CredentialClaims early = card;
  early.issued_at = kNow + std::chrono::minutes(5);
  early.expires_at = kNow + std::chrono::days(300);
  EXPECT_EQ(reason(ToQrText(Credential(early))), Reason::kCredentialNotYetValid);
  // Not for a hotel: the card's scenes do not name it.
  EXPECT_EQ(reason(ToQrText(card_bytes), Scene::kHotel), Reason::kSceneNotAllowed);
  EXPECT_EQ(reason(ToQrText(card_bytes)), Reason::kValid);
  // Revoked: refused once the list names it, cached or not.
  RevocationList newer = revoked_;
  newer.version += 1;
  newer.entries = {RevocationEntryFor(card.id)};
  ASSERT_TRUE(verifier->UpdateRevocationList(newer).ok());
  EXPECT_EQ(reason(ToQrText(card_bytes)), Reason::kCredentialRevoked);
  EXPECT_EQ(ReasonName(Reason::kNotACard), "not_a_card");
  EXPECT_EQ(ReasonName(Reason::kCardUseLimit), "card_use_limit");
}

TEST_P(VerifierTest, NeverTakesACardForAPresentation) {
  CredentialClaims card = claims_;
  card.device_key.reset();
  card.channel = Channel::kCard;
  const std::string text = ToQrText(Credential(card));
  auto verifier = MakeVerifier();
  EXPECT_EQ(verifier->Verify(text, Scene::kTransit).reason, Reason::kNotAPresentation);
  EXPECT_EQ(verifier->VerifyScanned(text, Scene::kTransit, kNow).reason, Reason::kNotAPresentation);
  // Nor a visitor pass for a card.
  EXPECT_EQ(verifier->VerifyCard("CV1:" + text.substr(4), Scene::kAccess).reason,
            Reason::kMalformed);
}

TEST_P(VerifierTest, ReportsAClockBehindTheListsForACard) {
  CredentialClaims card = claims_;
  card.device_key.reset();
  card.channel = Channel::kCard;
  const std::string text = ToQrText(Credential(card));
  auto verifier = MakeVerifier();
  clock_.Set(trust_.issued_at - std::chrono::minutes(1));
  EXPECT_EQ(verifier->VerifyCard(text, std::nullopt).reason, Reason::kClockBehind);
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, VerifierTest, testing::AllAlgorithms(),
                         testing::AlgorithmParamName());

}  // namespace
}  // namespace citycode::code
