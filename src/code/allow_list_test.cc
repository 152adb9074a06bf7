#include "code/allow_list.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "code/access_gate.h"
#include "code/presentation.h"
#include "code/trust_list.h"
#include "crypto/random.h"
#include "tests/support/algorithms.h"
#include "tests/support/status_matchers.h"

namespace citycode::code {
namespace {

using ::citycode::testing::StatusIs;
using std::chrono::hours;
using std::chrono::minutes;

const Instant kNow = FromUnixSeconds(1'790'000'000);  // 2026-09-21

class AllowListTest : public ::testing::TestWithParam<crypto::Algorithm> {
 protected:
  AllowListTest()
      : clock_(kNow),
        root_(*crypto::PrivateKey::Generate(GetParam())),
        signer_(*crypto::PrivateKey::Generate(GetParam())),
        device_(*crypto::PrivateKey::Generate(GetParam())) {
    trust_ = TrustList{.version = 1,
                       .issuer = "citycode:jimo",
                       .issued_at = kNow - hours(1),
                       .expires_at = kNow + hours(24 * 7),
                       .keys = {{signer_.public_key(), kNow - hours(24), kNow + hours(24 * 365)}}};
    revoked_ =
        RevocationList{.version = 1, .issued_at = kNow - hours(1), .expires_at = kNow + hours(24)};
    verifier_ = std::make_unique<Verifier>(clock_, trust_, revoked_);
  }

  // A fresh credential for the device; its id is `cti`.
  Bytes Credential(const CredentialId& cti) {
    return *IssueCredential({.issuer = "citycode:jimo",
                             .subject = crypto::RandomArray<16>(),
                             .issued_at = kNow - hours(1),
                             .expires_at = kNow + hours(23),
                             .id = cti,
                             .device_key = device_.public_key(),
                             .scenes = {Scene::kAccess},
                             .channel = Channel::kApp},
                            signer_);
  }
  std::string Code(const CredentialId& cti) {
    return ToQrText(*MakePresentation(
        {.credential = Credential(cti), .made_at = clock_.Now(), .counter = ++counter_}, device_));
  }

  AllowList List(std::uint64_t version, std::vector<AllowEntry> entries,
                 std::string site = "site_court") {
    std::sort(entries.begin(), entries.end());
    return AllowList{.site = std::move(site),
                     .version = version,
                     .issued_at = clock_.Now() - minutes(1),
                     .expires_at = clock_.Now() + hours(1),
                     .entries = std::move(entries)};
  }
  AllowEntry Entry(const CredentialId& cti, Instant from = kNow - hours(24),
                   Instant until = kNow + hours(24)) {
    return {AllowHashFor(cti), from, until};
  }
  std::string Signed(const AllowList& list) { return *SignAllowList(list, root_); }

  ManualClock clock_;
  crypto::PrivateKey root_, signer_, device_;
  TrustList trust_;
  RevocationList revoked_;
  std::unique_ptr<Verifier> verifier_;
  std::uint64_t counter_ = 0;
  const CredentialId staff_ = crypto::RandomArray<16>();
  const CredentialId visitor_ = crypto::RandomArray<16>();
};

TEST_P(AllowListTest, ARoundTripKeepsEveryEntryAndItsWindow) {
  const AllowList list = List(4, {Entry(staff_), Entry(visitor_, kNow + hours(1), kNow + hours(2)),
                                  Entry(staff_, kNow + hours(5), kNow + hours(6))});
  auto verified = VerifyAllowList(Signed(list), root_.public_key());
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->site, "site_court");
  EXPECT_EQ(verified->version, 4u);
  EXPECT_EQ(verified->entries, list.entries);
  EXPECT_EQ(verified->Find(staff_, kNow).size(), 1u);
  EXPECT_TRUE(verified->Find(visitor_, kNow).empty());              // before its window
  EXPECT_EQ(verified->Find(visitor_, kNow + hours(1)).size(), 1u);  // from is inclusive
  EXPECT_TRUE(verified->Find(visitor_, kNow + hours(2)).empty());   // until is not
  EXPECT_TRUE(verified->Find(crypto::RandomArray<16>(), kNow).empty());
}

TEST_P(AllowListTest, ATamperedOrForeignDocumentIsRefused) {
  std::string jws = Signed(List(1, {Entry(staff_)}));
  const auto other_root = *crypto::PrivateKey::Generate(GetParam());
  EXPECT_THAT(VerifyAllowList(jws, other_root.public_key()),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  std::string tampered = jws;
  tampered[tampered.find("\"payload\": \"") + 20] ^= 1;
  EXPECT_FALSE(VerifyAllowList(tampered, root_.public_key()).ok());
  EXPECT_THAT(VerifyAllowList(*SignRevocationList(revoked_, root_), root_.public_key()),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(VerifyAllowListDelta(jws, root_.public_key()),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(VerifyAllowList("{}", root_.public_key()),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  AllowList backwards = List(1, {Entry(staff_, kNow, kNow - hours(1))});
  EXPECT_THAT(SignAllowList(backwards, root_),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

TEST_P(AllowListTest, ADeltaMakesTheNextVersionOfTheListItStartsFrom) {
  const AllowList v1 = List(1, {Entry(staff_), Entry(visitor_)});
  const AllowList v2 = List(2, {Entry(staff_), Entry(visitor_, kNow, kNow + hours(1))});
  AllowListDelta delta{.site = v1.site,
                       .base_version = 1,
                       .version = 2,
                       .issued_at = v2.issued_at,
                       .expires_at = v2.expires_at,
                       .added = {Entry(visitor_, kNow, kNow + hours(1))},
                       .removed = {Entry(visitor_)}};
  auto verified = VerifyAllowListDelta(*SignAllowListDelta(delta, root_), root_.public_key());
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  auto applied = ApplyDelta(v1, *verified);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->version, 2u);
  EXPECT_EQ(applied->entries, v2.entries);
  EXPECT_THAT(ApplyDelta(v2, *verified),
              StatusIs(StatusCode::kFailedPrecondition, "delta_base_mismatch"));
  AllowList elsewhere = v1;
  elsewhere.site = "site_other";
  EXPECT_THAT(ApplyDelta(elsewhere, *verified),
              StatusIs(StatusCode::kFailedPrecondition, "list_other_site"));
  const AllowList without_visitor = List(1, {Entry(staff_)});
  EXPECT_THAT(ApplyDelta(without_visitor, *verified),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  delta.version = 1;
  EXPECT_THAT(SignAllowListDelta(delta, root_),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

TEST_P(AllowListTest, AGateAdmitsWhatItsListNamesAndFailsClosed) {
  AccessGate gate(*verifier_, clock_, root_.public_key(), "site_court");
  EXPECT_EQ(gate.Decide(Code(staff_)).reason, "no_allow_list");
  ASSERT_TRUE(gate.Load(Signed(List(2, {Entry(staff_)}))).ok());
  const GateDecision staff = gate.Decide(Code(staff_));
  EXPECT_TRUE(staff.admitted);
  EXPECT_EQ(staff.reason, "admitted");
  EXPECT_EQ(staff.code.credential_id, staff_);
  EXPECT_EQ(gate.Decide(Code(visitor_)).reason, "not_on_allow_list");
  EXPECT_EQ(gate.Decide("CC1:NOT A CODE").reason, "malformed");

  // The admin removes the member: the next list refuses them.
  ASSERT_TRUE(gate.Load(Signed(List(3, {Entry(visitor_)}))).ok());
  EXPECT_EQ(gate.Decide(Code(staff_)).reason, "not_on_allow_list");
  EXPECT_TRUE(gate.Decide(Code(visitor_)).admitted);

  // Older lists and other sites' lists are refused and change nothing.
  EXPECT_THAT(gate.Load(Signed(List(2, {Entry(staff_)}))),
              StatusIs(StatusCode::kFailedPrecondition, "list_rolled_back"));
  EXPECT_THAT(gate.Load(Signed(List(9, {Entry(staff_)}, "site_other"))),
              StatusIs(StatusCode::kFailedPrecondition, "list_other_site"));
  EXPECT_EQ(gate.version(), 3u);
  EXPECT_EQ(gate.Decide(Code(staff_)).reason, "not_on_allow_list");

  // Past its expiry the gate admits nobody; behind its issue time neither.
  clock_.Advance(hours(1));
  EXPECT_EQ(gate.Decide(Code(visitor_)).reason, "allow_list_expired");
  clock_.Set(kNow - minutes(10));
  EXPECT_EQ(gate.Decide(Code(visitor_)).reason, "clock_behind");
}

TEST_P(AllowListTest, AGateCountsAVisitorsEntries) {
  AccessGate gate(*verifier_, clock_, root_.public_key(), "site_court");
  AllowEntry pass = Entry(visitor_, kNow - hours(1), kNow + hours(1));
  pass.entries = 2;
  ASSERT_TRUE(gate.Load(Signed(List(1, {pass}))).ok());
  EXPECT_TRUE(gate.Decide(Code(visitor_)).admitted);
  EXPECT_TRUE(gate.Decide(Code(visitor_)).admitted);
  EXPECT_EQ(gate.Decide(Code(visitor_)).reason, "entries_used");
  // A new version of the list with the same entry does not reset the count.
  ASSERT_TRUE(gate.Load(Signed(List(2, {pass}))).ok());
  EXPECT_EQ(gate.Decide(Code(visitor_)).reason, "entries_used");
  clock_.Advance(hours(1));  // the window is over
  ASSERT_TRUE(gate.Load(Signed(List(3, {pass}))).ok());
  EXPECT_EQ(gate.Decide(Code(visitor_)).reason, "not_on_allow_list");
}

// A printed card (a credential without cnf) passes an offline gate only
// through the list, which names it for a site admitting cards.
TEST_P(AllowListTest, AGateAdmitsAPrintedCardOnlyThroughItsList) {
  const CredentialId card_id = crypto::RandomArray<16>();
  const std::string card = ToQrText(*IssueCredential({.issuer = "citycode:jimo",
                                                      .subject = crypto::RandomArray<16>(),
                                                      .issued_at = kNow - hours(1),
                                                      .expires_at = kNow + hours(24 * 300),
                                                      .id = card_id,
                                                      .scenes = {Scene::kGov, Scene::kAccess},
                                                      .channel = Channel::kCard},
                                                     signer_));
  AccessGate gate(*verifier_, clock_, root_.public_key(), "site_court");
  ASSERT_TRUE(gate.Load(Signed(List(1, {Entry(staff_)}))).ok());
  const GateDecision refused = gate.Decide(card);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.reason, "not_on_allow_list");
  EXPECT_TRUE(refused.code.card);
  ASSERT_TRUE(gate.Load(Signed(List(2, {Entry(staff_), Entry(card_id)}))).ok());
  const GateDecision admitted = gate.Decide(card);
  EXPECT_TRUE(admitted.admitted);
  EXPECT_EQ(admitted.code.credential_id, card_id);
  EXPECT_EQ(admitted.code.channel, Channel::kCard);
  // A phone's bare credential is neither a code nor a card.
  EXPECT_EQ(gate.Decide(ToQrText(Credential(staff_))).reason, "not_a_presentation");
}

TEST_P(AllowListTest, AGateTakesADeltaOnlyForTheVersionItHolds) {
  AccessGate gate(*verifier_, clock_, root_.public_key(), "site_court");
  const AllowList v1 = List(1, {Entry(staff_)});
  AllowListDelta delta{.site = v1.site,
                       .base_version = 1,
                       .version = 2,
                       .issued_at = v1.issued_at,
                       .expires_at = v1.expires_at,
                       .added = {Entry(visitor_)},
                       .removed = {Entry(staff_)}};
  const std::string signed_delta = *SignAllowListDelta(delta, root_);
  EXPECT_THAT(gate.Apply(signed_delta),
              StatusIs(StatusCode::kFailedPrecondition, "delta_base_mismatch"));
  ASSERT_TRUE(gate.Load(Signed(v1)).ok());
  ASSERT_TRUE(gate.Apply(signed_delta).ok());
  EXPECT_EQ(gate.version(), 2u);
  EXPECT_TRUE(gate.Decide(Code(visitor_)).admitted);
  EXPECT_EQ(gate.Decide(Code(staff_)).reason, "not_on_allow_list");
  EXPECT_THAT(gate.Apply(signed_delta),
              StatusIs(StatusCode::kFailedPrecondition, "delta_base_mismatch"));
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, AllowListTest, testing::AllAlgorithms(),
                         testing::AlgorithmParamName());

}  // namespace
}  // namespace citycode::code
