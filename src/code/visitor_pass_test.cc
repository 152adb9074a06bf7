#include "code/visitor_pass.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "code/base45.h"
#include "code/internal/cbor.h"
#include "code/presentation.h"
#include "code/verifier.h"
#include "crypto/random.h"
#include "tests/support/algorithms.h"
#include "tests/support/status_matchers.h"

namespace citycode::code {
namespace {

using ::citycode::testing::StatusIs;
using crypto::Algorithm;
using std::chrono::hours;
using std::chrono::seconds;
using ::testing::HasSubstr;

const Instant kNow = FromUnixSeconds(1'790'000'000);  // 2026-09-21

// Every malformed pass is invalid_argument; the message tells them apart.
auto InvalidBecause(const std::string& why) {
  return StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr(why));
}

VisitorPassClaims SomeClaims() {
  CredentialId id;
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(i);
  return {.issuer = "citycode:jimo",
          .id = id,
          .issued_at = kNow,
          .valid_from = kNow + hours(1),
          .valid_until = kNow + hours(24),
          .site = "site_7f3a",
          .entries = 3};
}

// --- The format ------------------------------------------------------------

class VisitorPassTest : public ::testing::TestWithParam<Algorithm> {
 protected:
  VisitorPassTest() : signer_(*crypto::PrivateKey::Generate(GetParam())) {}

  // A pass whose claims are the CBOR map `entries` in this order, signed
  // like a real one: for claim sets IssueVisitorPass would refuse to make.
  using Entry = std::pair<std::int64_t, std::function<internal::CborPtr()>>;
  static Bytes EncodeClaims(const std::vector<Entry>& entries) {
    internal::CborPtr map = internal::MakeMap(entries.size());
    for (const auto& [label, make] : entries) {
      internal::MapPut(*map, internal::MakeInt(label), make());
    }
    return internal::Encode(*map);
  }
  Bytes SignClaims(const std::vector<Entry>& entries) { return SignPayload(EncodeClaims(entries)); }
  Bytes SignPayload(ByteView payload) {
    const crypto::KeyId kid = signer_.public_key().key_id();
    return *SignCoseSign1(signer_, payload, ByteView(kid));
  }
  static std::vector<Entry> ValidEntries() {
    const VisitorPassClaims c = SomeClaims();
    const auto time = [](Instant t) { return [t] { return internal::MakeInt(ToUnixSeconds(t)); }; };
    return {
        {1, [c] { return internal::MakeText(c.issuer); }},
        {4, time(c.valid_until)},
        {5, time(c.valid_from)},
        {6, time(c.issued_at)},
        {7, [c] { return internal::MakeBytes(c.id); }},
        {-65540, [c] { return internal::MakeText(c.site); }},
        {-65541, [] { return internal::MakeInt(3); }},
    };
  }
  static std::vector<Entry> With(std::int64_t label, std::function<internal::CborPtr()> make) {
    std::vector<Entry> entries = ValidEntries();
    for (Entry& entry : entries) {
      if (entry.first == label) entry.second = std::move(make);
    }
    return entries;
  }
  static std::vector<Entry> Without(std::int64_t label) {
    std::vector<Entry> entries = ValidEntries();
    std::erase_if(entries, [label](const Entry& entry) { return entry.first == label; });
    return entries;
  }

  crypto::PrivateKey signer_;
};

TEST_P(VisitorPassTest, RoundTripsEveryClaimThroughTheText) {
  const VisitorPassClaims claims = SomeClaims();
  const Bytes pass = *IssueVisitorPass(claims, signer_);
  const std::string text = VisitorPassText(pass);
  EXPECT_TRUE(text.starts_with("CV1:"));
  EXPECT_EQ(text.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"),
            std::string::npos)
      << "the text must fit a QR code's alphanumeric mode";
  auto bytes = VisitorPassBytes(text);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(*bytes, pass);
  auto parsed = ParseVisitorPass(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const VisitorPassClaims& c = parsed->claims;
  EXPECT_EQ(c.issuer, claims.issuer);
  EXPECT_EQ(c.id, claims.id);
  EXPECT_EQ(c.issued_at, claims.issued_at);
  EXPECT_EQ(c.valid_from, claims.valid_from);
  EXPECT_EQ(c.valid_until, claims.valid_until);
  EXPECT_EQ(c.site, claims.site);
  EXPECT_EQ(c.entries, 3u);
  EXPECT_TRUE(parsed->envelope.tagged);
  const crypto::KeyId kid = signer_.public_key().key_id();
  EXPECT_EQ(parsed->envelope.kid, Bytes(kid.begin(), kid.end()));
  EXPECT_TRUE(VerifyCoseSign1(parsed->envelope, signer_.public_key()));
  EXPECT_LE(pass.size(), 200u);
}

TEST_P(VisitorPassTest, EncodesClaimsDeterministically) {
  // RFC 8949 §4.2.1: keys 1, 4, 5, 6, 7, -65540, -65541, shortest forms.
  const Bytes payload =
      ParseVisitorPass(*IssueVisitorPass(SomeClaims(), signer_))->envelope.payload;
  EXPECT_EQ(ToHex(payload),
            "a7016d63697479636f64653a6a696d6f"      // {1: "citycode:jimo",
            "041a6ab28d00"                          //  4: exp,
            "051a6ab14990"                          //  5: nbf,
            "061a6ab13b80"                          //  6: iat,
            "0750000102030405060708090a0b0c0d0e0f"  // 7: cti,
            "3a0001000369736974655f37663361"        // -65540: "site_7f3a",
            "3a0001000403");                        // -65541: 3}
}

TEST_P(VisitorPassTest, RefusesEveryClaimSetButItsOwn) {
  const auto text = [](std::string s) { return [s] { return internal::MakeText(s); }; };
  const auto number = [](std::int64_t v) { return [v] { return internal::MakeInt(v); }; };
  std::vector<Entry> with_sub = ValidEntries();
  with_sub.insert(with_sub.begin() + 1,
                  {2, [] { return internal::MakeBytes(crypto::RandomArray<16>()); }});
  std::vector<Entry> sub_for_entries = Without(-65541);
  sub_for_entries.insert(sub_for_entries.begin() + 1,
                         {2, [] { return internal::MakeBytes(crypto::RandomArray<16>()); }});
  std::vector<Entry> rider_for_entries = Without(-65541);
  rider_for_entries.push_back({-65539, number(3)});
  std::vector<Entry> duplicate = ValidEntries();
  duplicate[6] = {-65540, text("site_other")};
  const struct {
    const char* name;
    std::vector<Entry> entries;
    const char* why;
  } cases[] = {
      {"a subject (a person) as an eighth claim", with_sub, "exactly its seven claims"},
      {"a subject instead of entries", sub_for_entries, "unknown claim"},
      {"a credential's rider category instead of entries", rider_for_entries, "unknown claim"},
      {"a duplicate site", duplicate, "duplicate claim"},
      {"no entries", Without(-65541), "exactly its seven claims"},
      {"no nbf", Without(5), "exactly its seven claims"},
      {"issuer as bytes", With(1, [] { return internal::MakeBytes(AsBytes("citycode:jimo")); }),
       "mistyped or out-of-range"},
      {"empty issuer", With(1, text("")), "mistyped or out-of-range"},
      {"negative time", With(6, number(-1)), "mistyped or out-of-range"},
      {"time after 9999", With(4, number(253402300800)), "mistyped or out-of-range"},
      {"short cti", With(7, [] { return internal::MakeBytes(crypto::RandomArray<15>()); }),
       "mistyped or out-of-range"},
      {"site as bytes", With(-65540, [] { return internal::MakeBytes(AsBytes("site_7f3a")); }),
       "mistyped or out-of-range"},
      {"empty site", With(-65540, text("")), "mistyped or out-of-range"},
      {"site of 65 bytes", With(-65540, text(std::string(65, 's'))), "mistyped or out-of-range"},
      {"site with a space", With(-65540, text("site 7f3a")), "mistyped or out-of-range"},
      {"site with a control character", With(-65540, text("site\n")), "mistyped or out-of-range"},
      {"zero entries", With(-65541, number(0)), "mistyped or out-of-range"},
      {"101 entries", With(-65541, number(101)), "mistyped or out-of-range"},
      {"negative entries", With(-65541, number(-1)), "mistyped or out-of-range"},
      {"window ending at its start", With(4, number(ToUnixSeconds(SomeClaims().valid_from))),
       "window does not end after it starts"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(ParseVisitorPass(SignClaims(c.entries)), InvalidBecause(c.why)) << c.name;
  }
  // The longest site still passes.
  EXPECT_TRUE(ParseVisitorPass(SignClaims(With(-65540, text(std::string(64, 's'))))).ok());
}

TEST_P(VisitorPassTest, RefusesBadCborAroundTheClaims) {
  const Bytes empty_map = internal::Encode(*internal::MakeMap(0));
  const Bytes payload = EncodeClaims(ValidEntries());
  Bytes with_trailing = payload;
  with_trailing.push_back(0x00);
  EXPECT_THAT(ParseVisitorPass(SignPayload(with_trailing)), InvalidBecause("trailing bytes"));
  Bytes indefinite = payload;
  indefinite[0] = 0xBF;  // an indefinite-length map
  indefinite.push_back(0xFF);
  EXPECT_THAT(ParseVisitorPass(SignPayload(indefinite)), InvalidBecause("not a map"));
  Bytes truncated(payload.begin(), payload.end() - 1);
  EXPECT_THAT(ParseVisitorPass(SignPayload(truncated)), InvalidBecause("truncated"));
  EXPECT_THAT(ParseVisitorPass(SignPayload(empty_map)), InvalidBecause("seven claims"));
  const Bytes array = internal::Encode(*internal::MakeArray(0));
  EXPECT_THAT(ParseVisitorPass(SignPayload(array)), InvalidBecause("not a map"));
}

TEST_P(VisitorPassTest, IsNeverACredentialOrAPresentation) {
  const Bytes pass = *IssueVisitorPass(SomeClaims(), signer_);
  EXPECT_THAT(ParseCredential(pass), InvalidBecause("credential has an unknown claim"));
  EXPECT_THAT(ParsePresentation(pass), InvalidBecause("presentation payload has"));

  const auto device = *crypto::PrivateKey::Generate(GetParam());
  const Bytes credential = *IssueCredential({.issuer = "citycode:jimo",
                                             .subject = crypto::RandomArray<16>(),
                                             .issued_at = kNow,
                                             .expires_at = kNow + hours(24),
                                             .id = crypto::RandomArray<16>(),
                                             .device_key = device.public_key(),
                                             .scenes = {Scene::kAccess}},
                                            signer_);
  EXPECT_THAT(ParseVisitorPass(credential), InvalidBecause("visitor pass"));
  // A printed card (no cnf) is not a pass either.
  const Bytes card = *IssueCredential({.issuer = "citycode:jimo",
                                       .subject = crypto::RandomArray<16>(),
                                       .issued_at = kNow,
                                       .expires_at = kNow + hours(24),
                                       .id = crypto::RandomArray<16>(),
                                       .scenes = {Scene::kAccess},
                                       .channel = Channel::kCard},
                                      signer_);
  EXPECT_THAT(ParseVisitorPass(card), InvalidBecause("visitor pass"));
  const Bytes presentation =
      *MakePresentation({.credential = credential, .made_at = kNow, .counter = 1}, device);
  EXPECT_THAT(ParseVisitorPass(presentation), InvalidBecause("visitor pass"));
}

TEST_P(VisitorPassTest, RefusesBadTextAndOversizeInput) {
  const Bytes pass = *IssueVisitorPass(SomeClaims(), signer_);
  const std::string text = VisitorPassText(pass);
  EXPECT_THAT(VisitorPassBytes(ToQrText(pass)), InvalidBecause("does not start with CV1:"));
  EXPECT_THAT(VisitorPassBytes("cv1:" + text.substr(4)), InvalidBecause("CV1:"));
  EXPECT_THAT(VisitorPassBytes(""), InvalidBecause("CV1:"));
  std::string lower = text;
  std::transform(lower.begin() + 4, lower.end(), lower.begin() + 4,
                 [](char c) { return static_cast<char>(std::tolower(c)); });
  EXPECT_THAT(VisitorPassBytes(lower), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  // More characters than 512 bytes can need (768), refused before decoding.
  EXPECT_THAT(VisitorPassBytes("CV1:" + std::string(771, '0')), InvalidBecause("too long"));
  EXPECT_THAT(VisitorPassBytes("CV1:" + std::string(1 << 20, '0')), InvalidBecause("too long"));
  EXPECT_THAT(ParseVisitorPass(Bytes(kMaxVisitorPassBytes + 1, 0x00)), InvalidBecause("too large"));
  EXPECT_THAT(ParseVisitorPass(Bytes{}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

TEST_P(VisitorPassTest, NeverCrashesOnATruncatedOrFlippedPass) {
  const Bytes pass = *IssueVisitorPass(SomeClaims(), signer_);
  for (std::size_t n = 0; n < pass.size(); ++n) {
    EXPECT_FALSE(ParseVisitorPass(Bytes(pass.begin(), pass.begin() + n)).ok()) << n;
  }
  for (std::size_t i = 0; i < pass.size(); ++i) {
    for (std::uint8_t bit = 1; bit != 0; bit <<= 1) {
      Bytes flipped = pass;
      flipped[i] ^= bit;
      auto parsed = ParseVisitorPass(flipped);  // any answer but a crash
      if (parsed.ok()) {
        EXPECT_FALSE(VerifyCoseSign1(parsed->envelope, signer_.public_key())) << i;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, VisitorPassTest, testing::AllAlgorithms(),
                         testing::AlgorithmParamName());

TEST(VisitorPassClaimsTest, RefusesOutOfRangeClaimsAtIssuance) {
  const auto signer = *crypto::PrivateKey::Generate(Algorithm::kEd25519);
  ASSERT_TRUE(IssueVisitorPass(SomeClaims(), signer).ok());
  const auto refused = [&](auto change, const char* why) {
    VisitorPassClaims claims = SomeClaims();
    change(claims);
    EXPECT_THAT(IssueVisitorPass(claims, signer), InvalidBecause(why)) << why;
  };
  refused([](auto& c) { c.issuer.clear(); }, "issuer must be");
  refused([](auto& c) { c.issuer = std::string(129, 'i'); }, "issuer must be");
  refused([](auto& c) { c.site.clear(); }, "site must be");
  refused([](auto& c) { c.site = std::string(65, 's'); }, "site must be");
  refused([](auto& c) { c.site = "门禁一号"; }, "site must be");
  refused([](auto& c) { c.site = "site 1"; }, "site must be");
  refused([](auto& c) { c.entries = 0; }, "entries must be");
  refused([](auto& c) { c.entries = 101; }, "entries must be");
  refused([](auto& c) { c.issued_at = FromUnixSeconds(-1); }, "times must be");
  refused([](auto& c) { c.valid_until = FromUnixSeconds(253402300800); }, "times must be");
  refused([](auto& c) { c.valid_until = c.valid_from; }, "window must end after");
  VisitorPassClaims edge = SomeClaims();
  edge.entries = 100;
  edge.site = std::string(64, 's');
  edge.issuer = std::string(128, 'i');
  auto pass = IssueVisitorPass(edge, signer);
  ASSERT_TRUE(pass.ok()) << pass.status().ToString();
  EXPECT_LE(pass->size(), kMaxVisitorPassBytes);
  EXPECT_EQ(ParseVisitorPass(*pass)->claims.entries, 100u);
}

// --- Verification with the lists a gate holds ------------------------------

class VisitorPassVerifierTest : public ::testing::TestWithParam<Algorithm> {
 protected:
  VisitorPassVerifierTest()
      : clock_(kNow),
        signer_(*crypto::PrivateKey::Generate(GetParam())),
        device_(*crypto::PrivateKey::Generate(GetParam())) {
    trust_ = TrustList{.version = 3,
                       .issuer = "citycode:jimo",
                       .issued_at = kNow - hours(1),
                       .expires_at = kNow + std::chrono::days(7),
                       .keys = {{signer_.public_key(), kNow - std::chrono::days(1),
                                 kNow + std::chrono::days(365)}}};
    revoked_ = RevocationList{
        .version = 5, .issued_at = kNow - hours(1), .expires_at = kNow + std::chrono::days(1)};
    claims_ = VisitorPassClaims{.issuer = "citycode:jimo",
                                .id = crypto::RandomArray<16>(),
                                .issued_at = kNow - hours(1),
                                .valid_from = kNow - hours(1),
                                .valid_until = kNow + hours(5),
                                .site = "site_gate_east",
                                .entries = 2};
  }

  std::string Pass(const VisitorPassClaims& claims, const crypto::PrivateKey& signer) {
    return VisitorPassText(*IssueVisitorPass(claims, signer));
  }
  std::string Pass() { return Pass(claims_, signer_); }
  std::unique_ptr<Verifier> MakeVerifier() {
    return std::make_unique<Verifier>(clock_, trust_, revoked_);
  }
  Reason ReasonFor(const std::string& text) {
    return MakeVerifier()->VerifyVisitorPass(text).reason;
  }

  ManualClock clock_;
  crypto::PrivateKey signer_, device_;
  TrustList trust_;
  RevocationList revoked_;
  VisitorPassClaims claims_;
};

TEST_P(VisitorPassVerifierTest, AcceptsAPassInItsWindowAndReportsItsClaims) {
  const auto result = MakeVerifier()->VerifyVisitorPass(Pass());
  EXPECT_TRUE(result.valid);
  EXPECT_EQ(result.reason, Reason::kValid);
  EXPECT_TRUE(result.warnings.empty());
  EXPECT_EQ(result.claims.id, claims_.id);
  EXPECT_EQ(result.claims.site, "site_gate_east");
  EXPECT_EQ(result.claims.entries, 2u);
  EXPECT_EQ(result.claims.valid_from, claims_.valid_from);
  EXPECT_EQ(result.claims.valid_until, claims_.valid_until);
  // The verifier does not count entries: the same pass is valid again.
  auto verifier = MakeVerifier();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(verifier->VerifyVisitorPass(Pass()).valid);
}

TEST_P(VisitorPassVerifierTest, GivesEachRefusalItsOwnReason) {
  EXPECT_EQ(ReasonFor(""), Reason::kMalformed);
  EXPECT_EQ(ReasonFor("CV1:not base45!"), Reason::kMalformed);
  EXPECT_EQ(ReasonFor("CV1:" + std::string(100'000, 'A')), Reason::kMalformed);

  const auto stranger = *crypto::PrivateKey::Generate(GetParam());
  EXPECT_EQ(ReasonFor(Pass(claims_, stranger)), Reason::kUnknownKey);
  VisitorPassClaims elsewhere = claims_;
  elsewhere.issuer = "citycode:elsewhere";
  EXPECT_EQ(ReasonFor(Pass(elsewhere, signer_)), Reason::kUnknownKey);

  // Right kid, wrong signature: the pass's last byte is in its signature.
  Bytes forged = *IssueVisitorPass(claims_, signer_);
  forged.back() ^= 0x80;
  EXPECT_EQ(ReasonFor(VisitorPassText(forged)), Reason::kBadIssuerSignature);

  VisitorPassClaims later = claims_;
  later.valid_from = kNow + hours(2);
  later.valid_until = kNow + hours(6);
  EXPECT_EQ(ReasonFor(Pass(later, signer_)), Reason::kCredentialNotYetValid);

  VisitorPassClaims over = claims_;
  over.valid_from = kNow - hours(6);
  over.valid_until = kNow - hours(1);
  EXPECT_EQ(ReasonFor(Pass(over, signer_)), Reason::kCredentialExpired);

  revoked_.entries = {RevocationEntryFor(claims_.id)};
  EXPECT_EQ(ReasonFor(Pass()), Reason::kCredentialRevoked);
}

TEST_P(VisitorPassVerifierTest, ARefusalAfterTheSignatureCarriesTheClaims) {
  VisitorPassClaims over = claims_;
  over.valid_until = kNow;
  const auto expired = MakeVerifier()->VerifyVisitorPass(Pass(over, signer_));
  EXPECT_EQ(expired.reason, Reason::kCredentialExpired);
  EXPECT_EQ(expired.claims.id, claims_.id);
  const auto stranger = *crypto::PrivateKey::Generate(GetParam());
  const auto unknown = MakeVerifier()->VerifyVisitorPass(Pass(claims_, stranger));
  EXPECT_EQ(unknown.reason, Reason::kUnknownKey);
  EXPECT_TRUE(unknown.claims.site.empty()) << "unverified claims are not reported";
}

TEST_P(VisitorPassVerifierTest, RefusesATamperedPayloadOrSignature) {
  const Bytes pass = *IssueVisitorPass(claims_, signer_);
  const Bytes payload = ParseVisitorPass(pass)->envelope.payload;
  const auto at = std::search(pass.begin(), pass.end(), payload.begin(), payload.end());
  ASSERT_NE(at, pass.end());
  // A letter of the site changed into another: still a well-formed pass.
  const std::string_view site = "site_gate_east";
  const auto site_at = std::search(pass.begin(), pass.end(), site.begin(), site.end());
  ASSERT_NE(site_at, pass.end());
  Bytes other_site = pass;
  other_site[site_at - pass.begin() + 5] ^= 0x01;  // 'g' → 'f'
  ASSERT_TRUE(ParseVisitorPass(other_site).ok());
  EXPECT_EQ(ReasonFor(VisitorPassText(other_site)), Reason::kBadIssuerSignature);
  // One more entry.
  Bytes more_entries = pass;
  const std::size_t entries_at = (at - pass.begin()) + payload.size() - 1;
  ASSERT_EQ(more_entries[entries_at], 0x02);
  more_entries[entries_at] = 0x09;
  EXPECT_EQ(ReasonFor(VisitorPassText(more_entries)), Reason::kBadIssuerSignature);
  Bytes signature = pass;
  signature[pass.size() - 10] ^= 0x01;
  EXPECT_EQ(ReasonFor(VisitorPassText(signature)), Reason::kBadIssuerSignature);

  // Every flipped byte is refused, for a reason before the time checks.
  auto verifier = MakeVerifier();
  for (std::size_t i = 0; i < pass.size(); ++i) {
    Bytes tampered = pass;
    tampered[i] ^= 0x01;
    const auto result = verifier->VerifyVisitorPass(VisitorPassText(tampered));
    EXPECT_FALSE(result.valid) << "byte " << i;
    EXPECT_THAT(result.reason, ::testing::AnyOf(Reason::kMalformed, Reason::kUnknownKey,
                                                Reason::kBadIssuerSignature))
        << "byte " << i << ": " << ReasonName(result.reason);
  }
  EXPECT_TRUE(verifier->VerifyVisitorPass(VisitorPassText(pass)).valid);
}

TEST_P(VisitorPassVerifierTest, TheWindowHoldsToTheSecond) {
  claims_.valid_from = kNow + hours(1);
  claims_.valid_until = kNow + hours(3);
  const std::string pass = Pass();
  auto verifier = MakeVerifier();
  const auto at = [&](Instant now) {
    clock_.Set(now);
    return verifier->VerifyVisitorPass(pass).reason;
  };
  // max_future (5 s) of slack before nbf, as for a credential's iat.
  EXPECT_EQ(at(claims_.valid_from - seconds(6)), Reason::kCredentialNotYetValid);
  EXPECT_EQ(at(claims_.valid_from - seconds(5)), Reason::kValid);
  EXPECT_EQ(at(claims_.valid_from), Reason::kValid);
  EXPECT_EQ(at(claims_.valid_until - seconds(1)), Reason::kValid);
  EXPECT_EQ(at(claims_.valid_until), Reason::kCredentialExpired);
  EXPECT_EQ(at(claims_.valid_until + hours(48)), Reason::kCredentialExpired);
}

TEST_P(VisitorPassVerifierTest, RefusesAPassWhoseKeyIsNotValidNow) {
  trust_.keys[0].not_after = kNow - seconds(1);
  EXPECT_EQ(ReasonFor(Pass()), Reason::kUnknownKey);
  trust_.keys[0].not_before = kNow + seconds(1);
  trust_.keys[0].not_after = kNow + std::chrono::days(1);
  EXPECT_EQ(ReasonFor(Pass()), Reason::kUnknownKey);
}

TEST_P(VisitorPassVerifierTest, CodesAndPassesAreNotInterchangeable) {
  const CredentialClaims credential_claims{.issuer = "citycode:jimo",
                                           .subject = crypto::RandomArray<16>(),
                                           .issued_at = kNow - hours(1),
                                           .expires_at = kNow + hours(23),
                                           .id = crypto::RandomArray<16>(),
                                           .device_key = device_.public_key(),
                                           .scenes = {Scene::kAccess}};
  const Bytes credential = *IssueCredential(credential_claims, signer_);
  const Bytes presentation =
      *MakePresentation({.credential = credential, .made_at = kNow, .counter = 1}, device_);
  auto verifier = MakeVerifier();
  // A credential or a code given as a pass.
  EXPECT_EQ(verifier->VerifyVisitorPass(VisitorPassText(credential)).reason, Reason::kMalformed);
  EXPECT_EQ(verifier->VerifyVisitorPass(VisitorPassText(presentation)).reason, Reason::kMalformed);
  EXPECT_EQ(verifier->VerifyVisitorPass(ToQrText(presentation)).reason, Reason::kMalformed);
  // A pass given as a code, with either prefix.
  const Bytes pass = *IssueVisitorPass(claims_, signer_);
  const auto as_code = verifier->Verify(VisitorPassText(pass), std::nullopt);
  EXPECT_FALSE(as_code.valid);
  EXPECT_EQ(as_code.reason, Reason::kMalformed);
  const auto relabelled = verifier->Verify(ToQrText(pass), Scene::kAccess);
  EXPECT_FALSE(relabelled.valid);
  EXPECT_EQ(relabelled.reason, Reason::kMalformed);
  // The code itself is still good.
  EXPECT_TRUE(verifier->Verify(ToQrText(presentation), Scene::kAccess).valid);
}

TEST_P(VisitorPassVerifierTest, ReportsAClockBehindAndStaleLists) {
  trust_.issued_at = kNow + seconds(6);
  EXPECT_EQ(ReasonFor(Pass()), Reason::kClockBehind);
  EXPECT_EQ(ReasonFor("garbage"), Reason::kClockBehind);
  trust_.issued_at = kNow + seconds(5);
  EXPECT_EQ(ReasonFor(Pass()), Reason::kValid);

  trust_.issued_at = kNow - std::chrono::days(10);
  trust_.expires_at = kNow - std::chrono::days(3);
  revoked_.expires_at = kNow - seconds(1);
  const auto result = MakeVerifier()->VerifyVisitorPass(Pass());
  EXPECT_TRUE(result.valid);
  EXPECT_EQ(result.warnings,
            (std::vector<Warning>{Warning::kStaleTrustList, Warning::kStaleRevocationList}));
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, VisitorPassVerifierTest, testing::AllAlgorithms(),
                         testing::AlgorithmParamName());

}  // namespace
}  // namespace citycode::code
