#include "scenes/access/access.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "code/access_gate.h"
#include "code/trust_list.h"
#include "code/verifier.h"
#include "code/visitor_pass.h"
#include "tests/support/offline_verifier.h"
#include "tests/support/scene_test.h"
#include "tests/support/status_matchers.h"

namespace citycode::access {
namespace {

using platform::OrgKind;
using std::chrono::hours;
using std::chrono::minutes;
using testing::StatusIs;

// Fictional people; the ID numbers carry valid check characters.
constexpr std::string_view kStaff = "370282199003154516";
constexpr std::string_view kVisitor = "370282195001011839";
constexpr std::string_view kOther = "370282198506201236";

class AccessTest : public testing::SceneTest {
 protected:
  void SetUp() override {
    SceneTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto scene = AccessScene::Open(db(), clock_, *platform_, keyring_, CityTime{},
                                   {.max_bookings_per_day = 2, .max_open_passes = 2});
    ASSERT_TRUE(scene.ok()) << scene.status().ToString();
    access_ = std::move(*scene);
    court_ = NewSite("即墨区人民法院", Policy::kStaff, &court_gate_);
    park_ = NewSite("鹤山风景区", Policy::kReservations, &park_gate_);
    community_ = NewSite("墨河社区", Policy::kResidents, &community_gate_);
    staff_ = NewCitizen("13912345678", kStaff);
    visitor_ = NewCitizen("13912345679", kVisitor);
    other_ = NewCitizen("13912345680", kOther);
  }

  struct TestSite {
    std::string org_id;
    std::string id;
  };

  TestSite NewSite(std::string_view name, Policy policy, platform::Principal* gate) {
    auto org = platform_->organisations().Create(name, OrgKind::kAccessSite);
    EXPECT_TRUE(org.ok());
    auto site = platform_->organisations().CreateSite(org->id, "门");
    EXPECT_TRUE(site.ok());
    *gate = Terminal(org->id, site->id, "闸机1");
    auto configured = access_->ConfigureSite(org->id, site->id, {.policy = policy});
    EXPECT_TRUE(configured.ok()) << configured.status().ToString();
    return {org->id, site->id};
  }

  Member AddMember(const TestSite& site, std::string_view id_number, std::string household = "") {
    auto member = access_->AddMember(site.org_id, site.id,
                                     {.name = std::string(testing::kSceneTestName),
                                      .id_number = std::string(id_number),
                                      .household = std::move(household)});
    EXPECT_TRUE(member.ok()) << member.status().ToString();
    return member.ok() ? *member : Member{};
  }

  // A gate's offline verifier, from the lists the platform publishes now.
  std::unique_ptr<code::Verifier> GateVerifier() {
    return testing::OfflineVerifier(*platform_, clock_);
  }

  std::string List(const platform::Principal& gate, std::optional<std::uint64_t> since = {}) {
    auto list = access_->AllowList(gate, gate.site_id, since);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    return list.ok() ? list->jws : "";
  }

  Slot NewSlot(std::int64_t capacity, std::int64_t walk_ins = 0, hours from_now = hours(1)) {
    const Instant starts = std::chrono::floor<hours>(clock_.Now()) + from_now;
    auto slot = access_->AddSlot(park_.org_id, park_.id,
                                 {.starts_at = starts,
                                  .ends_at = starts + hours(1),
                                  .capacity = capacity,
                                  .walk_in_quota = walk_ins});
    EXPECT_TRUE(slot.ok()) << slot.status().ToString();
    return slot.ok() ? *slot : Slot{};
  }

  std::unique_ptr<AccessScene> access_;
  TestSite court_, park_, community_;
  platform::Principal court_gate_, park_gate_, community_gate_;
  testing::SceneCitizen staff_, visitor_, other_;
};

TEST_P(AccessTest, StaffPassOfflineUntilRemovedAndAnExpiredListAdmitsNobody) {
  AddMember(court_, kStaff);
  const Member removed_later = AddMember(court_, kOther);
  auto verifier = GateVerifier();
  code::AccessGate gate(*verifier, clock_, platform_->signing_keys().root_public_key(), court_.id);
  ASSERT_TRUE(gate.Load(List(court_gate_)).ok());
  EXPECT_TRUE(gate.Decide(Code(staff_)).admitted);
  EXPECT_TRUE(gate.Decide(Code(other_)).admitted);
  EXPECT_EQ(gate.Decide(Code(visitor_)).reason, "not_on_allow_list");

  // The admin removes one: the next list, full or as a delta, refuses them.
  const std::uint64_t held = gate.version();
  ASSERT_TRUE(access_->RemoveMember(court_.org_id, court_.id, removed_later.id).ok());
  code::AccessGate by_delta(*verifier, clock_, platform_->signing_keys().root_public_key(),
                            court_.id);
  ASSERT_TRUE(by_delta.Load(List(court_gate_, std::nullopt)).ok());  // the new version
  ASSERT_TRUE(gate.Apply(List(court_gate_, held)).ok());
  EXPECT_EQ(gate.version(), by_delta.version());
  for (code::AccessGate* g : {&gate, &by_delta}) {
    EXPECT_EQ(g->Decide(Code(other_)).reason, "not_on_allow_list");
    EXPECT_TRUE(g->Decide(Code(staff_)).admitted);
  }

  // A gate that cannot refresh fails closed once its list expires.
  clock_.Advance(minutes(AccessOptions{}.list_lifetime_minutes));
  EXPECT_EQ(gate.Decide(Code(staff_)).reason, "allow_list_expired");
}

TEST_P(AccessTest, AListFetchedBeforeARenewalAdmitsTheRenewedCode) {
  AddMember(court_, kStaff);
  auto verifier = GateVerifier();
  code::AccessGate gate(*verifier, clock_, platform_->signing_keys().root_public_key(), court_.id);
  ASSERT_TRUE(gate.Load(List(court_gate_)).ok());
  auto renewed = platform_->devices().RenewCredential(staff_.id, staff_.credential.device_id);
  ASSERT_TRUE(renewed.ok());
  staff_.credential = *renewed;
  EXPECT_TRUE(gate.Decide(Code(staff_)).admitted);
}

TEST_P(AccessTest, APrintedCardPassesOnlyWhereTheSiteAllowsCards) {
  AddMember(court_, kStaff);
  AddMember(community_, kStaff, "3-2-501");
  ASSERT_TRUE(
      access_
          ->ConfigureSite(court_.org_id, court_.id, {.policy = Policy::kStaff, .allow_cards = true})
          .ok());
  // Issued at a terminal (a hall window's, in the city; any terminal here).
  auto card = platform_->cards().Issue(staff_.id, {.terminal_id = court_gate_.terminal_id});
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  auto verifier = GateVerifier();
  code::AccessGate court(*verifier, clock_, platform_->signing_keys().root_public_key(), court_.id);
  code::AccessGate community(*verifier, clock_, platform_->signing_keys().root_public_key(),
                             community_.id);
  ASSERT_TRUE(court.Load(List(court_gate_)).ok());
  ASSERT_TRUE(community.Load(List(community_gate_)).ok());
  EXPECT_TRUE(court.Decide(card->qr_text).admitted);
  EXPECT_EQ(community.Decide(card->qr_text).reason, "not_on_allow_list");
  EXPECT_TRUE(community.Decide(Code(staff_)).admitted);  // the phone's code still passes
  // Revoked, the card leaves the court's list made refresh_seconds later
  // (the bound docs/ACCESS.md states: a revocation is the platform's, not a
  // change of the site's).
  ASSERT_TRUE(platform_->cards().Revoke(staff_.id, "lost").ok());
  clock_.Advance(std::chrono::seconds(AccessOptions{}.refresh_seconds));
  code::AccessGate later(*verifier, clock_, platform_->signing_keys().root_public_key(), court_.id);
  ASSERT_TRUE(later.Load(List(court_gate_)).ok());
  EXPECT_EQ(later.Decide(card->qr_text).reason, "not_on_allow_list");
}

TEST_P(AccessTest, AGateGetsOnlyItsOwnSitesListAndANewVersionOnlyWhenDue) {
  EXPECT_THAT(access_->AllowList(court_gate_, park_.id),
              StatusIs(StatusCode::kPermissionDenied, "site_other"));
  auto first = access_->AllowList(court_gate_, court_.id);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->etag, "\"allow-" + court_.id + "-1\"");
  // Nothing changed and the list is fresh: the same version.
  EXPECT_EQ(access_->AllowList(court_gate_, court_.id)->version, first->version);
  auto unchanged = access_->AllowList(court_gate_, court_.id, first->version);
  ASSERT_TRUE(unchanged.ok());
  EXPECT_TRUE(unchanged->delta);
  EXPECT_TRUE(unchanged->jws.empty());
  EXPECT_THAT(access_->AllowList(court_gate_, court_.id, first->version + 5),
              StatusIs(StatusCode::kFailedPrecondition, "delta_unavailable"));
  AddMember(court_, kStaff);
  EXPECT_EQ(access_->AllowList(court_gate_, court_.id)->version, first->version + 1);
  clock_.Advance(std::chrono::seconds(AccessOptions{}.refresh_seconds));
  EXPECT_EQ(access_->AllowList(court_gate_, court_.id)->version, first->version + 2);
  // A list of another site is refused by the gate.
  auto verifier = GateVerifier();
  code::AccessGate gate(*verifier, clock_, platform_->signing_keys().root_public_key(), court_.id);
  EXPECT_THAT(gate.Load(List(park_gate_)),
              StatusIs(StatusCode::kFailedPrecondition, "list_other_site"));
}

TEST_P(AccessTest, PassagesUploadedTwiceCountOnce) {
  AddMember(court_, kStaff);
  const std::vector<Passage> passages = {{.sequence = 1,
                                          .at = clock_.Now(),
                                          .code = Code(staff_),
                                          .admitted = true,
                                          .reason = "admitted"},
                                         {.sequence = 2,
                                          .at = clock_.Now(),
                                          .code = Code(other_),
                                          .admitted = false,
                                          .reason = "not_on_allow_list"}};
  auto first = access_->UploadPassages(court_gate_, passages);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->accepted, 2);
  auto again = access_->UploadPassages(court_gate_, passages);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->accepted, 0);
  EXPECT_EQ(again->duplicates, 2);
  auto tx = db().Begin(store::TransactionMode::kRead);
  EXPECT_EQ((*tx)->QueryOne("SELECT COUNT(*) FROM access_passages")->Int(0), 2);
  EXPECT_THAT(
      access_->UploadPassages(
          court_gate_, {{.sequence = -1, .at = clock_.Now(), .code = "x", .reason = "admitted"}}),
      StatusIs(StatusCode::kInvalidArgument, "bad_passage"));
}

// A use case must not hold a connection while its codes' verifications wait
// for the group commit, which needs one too: with a single connection in
// all (PostgreSQL; SQLite keeps its writer apart) the upload would wait for
// itself until the pool gives up (the soak saw this as 503s under load).
TEST_P(AccessTest, APassageUploadHoldsNoConnectionWhileItsCodesAreRecorded) {
  AddMember(court_, kStaff);
  auto one_connection =
      store::Database::Open(url(), {.pool_size = 1, .busy_timeout = std::chrono::seconds(1)});
  ASSERT_TRUE(one_connection.ok()) << one_connection.status().ToString();
  auto platform = platform::Platform::Open(**one_connection, clock_, keyring_,
                                           {.password_cost = crypto::PasswordCost::kMinimal});
  ASSERT_TRUE(platform.ok()) << platform.status().ToString();
  auto scene = AccessScene::Open(**one_connection, clock_, **platform, keyring_, CityTime{}, {});
  ASSERT_TRUE(scene.ok()) << scene.status().ToString();
  auto uploaded = (*scene)->UploadPassages(court_gate_, {{.sequence = 1,
                                                          .at = clock_.Now(),
                                                          .code = Code(staff_),
                                                          .admitted = true,
                                                          .reason = "admitted"}});
  ASSERT_TRUE(uploaded.ok()) << uploaded.status().ToString();
  EXPECT_EQ(uploaded->accepted, 1);
}

TEST_P(AccessTest, BookingsHoldTheCapacityAndThePerPersonLimit) {
  const Slot slot = NewSlot(/*capacity=*/1);
  auto booked = access_->Book(staff_.id, slot.id);
  ASSERT_TRUE(booked.ok()) << booked.status().ToString();
  EXPECT_THAT(access_->Book(visitor_.id, slot.id),
              StatusIs(StatusCode::kFailedPrecondition, "slot_full"));
  EXPECT_THAT(access_->Book(staff_.id, slot.id),
              StatusIs(StatusCode::kAlreadyExists, "already_booked"));
  // Cancelling frees the place at once.
  ASSERT_TRUE(access_->CancelBooking(staff_.id, booked->id).ok());
  EXPECT_TRUE(access_->Book(visitor_.id, slot.id).ok());
  // Two bookings a day per person.
  EXPECT_TRUE(access_->Book(staff_.id, NewSlot(5, 0, hours(2)).id).ok());
  EXPECT_TRUE(access_->Book(staff_.id, NewSlot(5, 0, hours(3)).id).ok());
  EXPECT_THAT(access_->Book(staff_.id, NewSlot(5, 0, hours(4)).id),
              StatusIs(StatusCode::kFailedPrecondition, "booking_limit"));
  // A past slot, a staff site's slot, an unverified account.
  const Slot soon = NewSlot(5, 0, hours(1));
  clock_.Advance(hours(3));
  EXPECT_THAT(access_->Book(other_.id, soon.id),
              StatusIs(StatusCode::kFailedPrecondition, "slot_past"));
  EXPECT_THAT(access_->AddSlot(court_.org_id, court_.id,
                               {.starts_at = clock_.Now() + hours(1),
                                .ends_at = clock_.Now() + hours(2),
                                .capacity = 1}),
              StatusIs(StatusCode::kFailedPrecondition, "wrong_policy"));
  const auto unverified = NewCitizen("13912345681", "11010519491231002X", /*verified=*/false);
  EXPECT_THAT(access_->Book(unverified.id, NewSlot(5, 0, hours(2)).id),
              StatusIs(StatusCode::kFailedPrecondition, "identity_not_verified"));
}

TEST_P(AccessTest, AReservationAdmitsItsHolderDuringItsSlot) {
  const Slot slot = NewSlot(5, 2);
  ASSERT_TRUE(access_->Book(visitor_.id, slot.id).ok());
  auto verifier = GateVerifier();
  code::AccessGate gate(*verifier, clock_, platform_->signing_keys().root_public_key(), park_.id);
  ASSERT_TRUE(gate.Load(List(park_gate_)).ok());
  EXPECT_EQ(gate.Decide(Code(visitor_)).reason, "not_on_allow_list");  // before the slot
  clock_.Set(slot.starts_at);
  EXPECT_TRUE(gate.Decide(Code(visitor_)).admitted);
  // A walk-in from the quota, sold at the gate by the code.
  auto walk_in = access_->SellWalkIn(park_gate_, Code(other_));
  ASSERT_TRUE(walk_in.ok()) << walk_in.status().ToString();
  EXPECT_TRUE(walk_in->walk_in);
  EXPECT_THAT(access_->SellWalkIn(court_gate_, Code(staff_)),
              StatusIs(StatusCode::kFailedPrecondition, "wrong_policy"));
}

TEST_P(AccessTest, AVisitorPassAdmitsItsVisitorWithinItsWindowAndEntries) {
  AddMember(community_, kStaff, "3-2-501");
  PassRequest request{.site_id = community_.id,
                      .valid_from = clock_.Now(),
                      .valid_until = clock_.Now() + hours(4),
                      .entries = 2};
  auto pass = access_->IssuePass(staff_.id, request);
  ASSERT_TRUE(pass.ok()) << pass.status().ToString();
  ASSERT_FALSE(pass->claim_token.empty());
  EXPECT_THAT(access_->IssuePass(visitor_.id, request),
              StatusIs(StatusCode::kPermissionDenied, "not_a_resident"));
  ASSERT_TRUE(access_->ClaimPass(visitor_.id, pass->claim_token).ok());
  EXPECT_THAT(access_->ClaimPass(other_.id, pass->claim_token),
              StatusIs(StatusCode::kNotFound, "not_found"));

  auto verifier = GateVerifier();
  code::AccessGate gate(*verifier, clock_, platform_->signing_keys().root_public_key(),
                        community_.id);
  ASSERT_TRUE(gate.Load(List(community_gate_)).ok());
  const std::string first = Code(visitor_), second = Code(visitor_);
  EXPECT_TRUE(gate.Decide(first).admitted);
  EXPECT_TRUE(gate.Decide(second).admitted);
  EXPECT_EQ(gate.Decide(Code(visitor_)).reason, "entries_used");
  // Another pass of one entry, for a window that ends: not after it.
  PassRequest short_request = request;
  short_request.entries = 1;
  short_request.valid_until = clock_.Now() + minutes(30);
  auto second_pass = access_->IssuePass(staff_.id, short_request);
  ASSERT_TRUE(second_pass.ok());
  ASSERT_TRUE(access_->ClaimPass(other_.id, second_pass->claim_token).ok());
  code::AccessGate late_gate(*verifier, clock_, platform_->signing_keys().root_public_key(),
                             community_.id);
  ASSERT_TRUE(late_gate.Load(List(community_gate_)).ok());
  EXPECT_TRUE(late_gate.Decide(Code(other_)).admitted);
  clock_.Set(short_request.valid_until);
  EXPECT_EQ(late_gate.Decide(Code(other_)).reason, "not_on_allow_list");
  clock_.Set(short_request.valid_from);
  // City-wide: once the passages upload, the next list no longer holds them.
  ASSERT_TRUE(access_
                  ->UploadPassages(community_gate_, {{.sequence = 1,
                                                      .at = clock_.Now(),
                                                      .code = first,
                                                      .admitted = true,
                                                      .reason = "admitted"},
                                                     {.sequence = 2,
                                                      .at = clock_.Now(),
                                                      .code = second,
                                                      .admitted = true,
                                                      .reason = "admitted"}})
                  .ok());
  code::AccessGate other_gate(*verifier, clock_, platform_->signing_keys().root_public_key(),
                              community_.id);
  ASSERT_TRUE(other_gate.Load(List(community_gate_)).ok());
  EXPECT_EQ(other_gate.Decide(Code(visitor_)).reason, "not_on_allow_list");
  auto claimed = access_->ListClaimedPasses(visitor_.id);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ((*claimed)[0].org_name, "墨河社区");
  auto memberships = access_->ListMemberships(staff_.id);
  ASSERT_TRUE(memberships.ok());
  ASSERT_EQ(memberships->size(), 1u);
  EXPECT_EQ((*memberships)[0].site.id, community_.id);
  EXPECT_EQ((*memberships)[0].household, "3-2-501");
  EXPECT_TRUE(access_->ListMemberships(visitor_.id)->empty());
  auto listed = access_->ListPasses(staff_.id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  const Pass& used = (*listed)[0].id == pass->id ? (*listed)[0] : (*listed)[1];
  EXPECT_EQ(used.used, 2);
  ASSERT_EQ(used.uses.size(), 2u);
  EXPECT_EQ(used.uses[0].gate, "闸机1");
}

TEST_P(AccessTest, APrintedPassVerifiesOfflineAndTheAllowanceHolds) {
  AddMember(community_, kStaff, "3-2-501");
  PassRequest request{.site_id = community_.id,
                      .valid_from = clock_.Now(),
                      .valid_until = clock_.Now() + hours(4),
                      .entries = 3,
                      .printed = true};
  auto pass = access_->IssuePass(staff_.id, request);
  ASSERT_TRUE(pass.ok()) << pass.status().ToString();
  ASSERT_TRUE(pass->printed_text.starts_with("CV1:"));
  EXPECT_TRUE(pass->claim_token.empty());
  auto verifier = GateVerifier();
  const code::VisitorPassResult checked = verifier->VerifyVisitorPass(pass->printed_text);
  EXPECT_TRUE(checked.valid) << code::ReasonName(checked.reason);
  EXPECT_EQ(checked.claims.site, community_.id);
  EXPECT_EQ(checked.claims.entries, 3u);
  // A gate admits it through its list, its entries at most; another site's
  // gate not at all.
  code::AccessGate gate(*verifier, clock_, platform_->signing_keys().root_public_key(),
                        community_.id);
  ASSERT_TRUE(gate.Load(List(community_gate_)).ok());
  for (int entry = 0; entry < 3; ++entry) EXPECT_TRUE(gate.Decide(pass->printed_text).admitted);
  EXPECT_EQ(gate.Decide(pass->printed_text).reason, "entries_used");
  code::AccessGate court_gate(*verifier, clock_, platform_->signing_keys().root_public_key(),
                              court_.id);
  ASSERT_TRUE(court_gate.Load(List(court_gate_)).ok());
  EXPECT_EQ(court_gate.Decide(pass->printed_text).reason, "pass_other_site");
  // The passage of a printed pass counts against it.
  ASSERT_TRUE(access_
                  ->UploadPassages(community_gate_, {{.sequence = 7,
                                                      .at = clock_.Now(),
                                                      .code = pass->printed_text,
                                                      .admitted = true,
                                                      .reason = "admitted"}})
                  .ok());
  EXPECT_EQ((*access_->ListPasses(staff_.id))[0].used, 1);
  // Two open passes at most; a window too long; too many entries.
  EXPECT_TRUE(access_->IssuePass(staff_.id, request).ok());
  EXPECT_THAT(access_->IssuePass(staff_.id, request),
              StatusIs(StatusCode::kFailedPrecondition, "pass_limit"));
  request.valid_until = clock_.Now() + hours(24 * 8);
  EXPECT_THAT(access_->IssuePass(staff_.id, request),
              StatusIs(StatusCode::kInvalidArgument, "bad_pass_window"));
  request.valid_until = clock_.Now() + hours(1);
  request.entries = 1000;
  EXPECT_THAT(access_->IssuePass(staff_.id, request),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  auto tx = db().Begin(store::TransactionMode::kRead);
  EXPECT_EQ((*tx)->QueryOne("SELECT COUNT(*) FROM access_passes")->Int(0), 2);
  tx->reset();
  // Revoked, it leaves the next list.
  ASSERT_TRUE(access_->RevokePass(staff_.id, pass->id).ok());
  code::AccessGate fresh_gate(*verifier, clock_, platform_->signing_keys().root_public_key(),
                              community_.id);
  ASSERT_TRUE(fresh_gate.Load(List(community_gate_)).ok());
  EXPECT_EQ(fresh_gate.Decide(pass->printed_text).reason, "not_on_allow_list");
}

TEST_P(AccessTest, MembersAreAddedByTheirVerifiedIdentityOnly) {
  EXPECT_THAT(access_->AddMember(court_.org_id, court_.id,
                                 {.name = "别人", .id_number = std::string(kStaff)}),
              StatusIs(StatusCode::kNotFound, "person_not_registered"));
  EXPECT_THAT(access_->AddMember(
                  park_.org_id, park_.id,
                  {.name = std::string(testing::kSceneTestName), .id_number = std::string(kStaff)}),
              StatusIs(StatusCode::kFailedPrecondition, "wrong_policy"));
  EXPECT_THAT(access_->AddMember(
                  park_.org_id, court_.id,
                  {.name = std::string(testing::kSceneTestName), .id_number = std::string(kStaff)}),
              StatusIs(StatusCode::kNotFound, "not_found"));
  AddMember(court_, kStaff);
  EXPECT_THAT(access_->AddMember(
                  court_.org_id, court_.id,
                  {.name = std::string(testing::kSceneTestName), .id_number = std::string(kStaff)}),
              StatusIs(StatusCode::kAlreadyExists, "member_exists"));
  auto members = access_->ListMembers(court_.org_id, court_.id);
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ((*members)[0].name, testing::kSceneTestName);
}

TEST_P(AccessTest, PassagesInTheHoldersPreviousDirectionAreReported) {
  ASSERT_TRUE(access_
                  ->ConfigureSite(court_.org_id, court_.id,
                                  {.policy = Policy::kStaff, .anti_passback = true})
                  .ok());
  const platform::Principal out_gate = Terminal(court_.org_id, court_.id, "出口闸机");
  ASSERT_TRUE(
      access_->SetGateDirection(court_.org_id, court_.id, court_gate_.terminal_id, Direction::kIn)
          .ok());
  ASSERT_TRUE(
      access_->SetGateDirection(court_.org_id, court_.id, out_gate.terminal_id, Direction::kOut)
          .ok());
  EXPECT_THAT(
      access_->SetGateDirection(court_.org_id, court_.id, park_gate_.terminal_id, Direction::kIn),
      StatusIs(StatusCode::kNotFound, "not_found"));
  AddMember(court_, kStaff);
  EXPECT_THAT(access_->Passbacks(park_.org_id, park_.id, "2026-08-06"),
              StatusIs(StatusCode::kFailedPrecondition, "anti_passback_off"));
  const Instant first = clock_.Now();
  auto pass = [&](const platform::Principal& gate, std::int64_t sequence) {
    clock_.Advance(minutes(1));
    ASSERT_TRUE(access_
                    ->UploadPassages(gate, {{.sequence = sequence,
                                             .at = clock_.Now(),
                                             .code = Code(staff_),
                                             .admitted = true,
                                             .reason = "admitted"}})
                    .ok());
  };
  pass(court_gate_, 1);  // in
  pass(out_gate, 1);     // out
  pass(court_gate_, 2);  // in
  pass(court_gate_, 3);  // in again: a passback
  const std::string day = FormatIsoDay(CityTime{}.LocalDay(first));
  auto passbacks = access_->Passbacks(court_.org_id, court_.id, day);
  ASSERT_TRUE(passbacks.ok()) << passbacks.status().ToString();
  ASSERT_EQ(passbacks->size(), 1u);
  EXPECT_EQ((*passbacks)[0].at, clock_.Now());
  EXPECT_EQ((*passbacks)[0].direction, Direction::kIn);
  EXPECT_EQ((*passbacks)[0].gate, "闸机1");
  EXPECT_EQ((*passbacks)[0].previous_at, clock_.Now() - minutes(1));
  EXPECT_EQ((*passbacks)[0].member, testing::kSceneTestName);
}

TEST_P(AccessTest, AnErasedAccountIsAdmittedNowhereAndKeepsItsPassages) {
  AddMember(court_, kStaff);
  AddMember(community_, kStaff, "3-2-501");
  const Slot slot = NewSlot(5);
  ASSERT_TRUE(access_->Book(staff_.id, slot.id).ok());
  ASSERT_TRUE(access_
                  ->IssuePass(staff_.id, {.site_id = community_.id,
                                          .valid_from = clock_.Now(),
                                          .valid_until = clock_.Now() + hours(2),
                                          .printed = true})
                  .ok());
  ASSERT_TRUE(access_
                  ->UploadPassages(court_gate_, {{.sequence = 1,
                                                  .at = clock_.Now(),
                                                  .code = Code(staff_),
                                                  .admitted = true,
                                                  .reason = "admitted"}})
                  .ok());
  auto exported = access_->ExportCitizen(staff_.id);
  ASSERT_TRUE(exported.ok());
  EXPECT_EQ((*exported)["bookings"].size(), 1u);
  EXPECT_EQ((*exported)["passes"].size(), 1u);
  ASSERT_EQ((*exported)["passages"].size(), 1u);
  EXPECT_EQ((*exported)["passages"][0]["gate"], "闸机1");

  auto kept = access_->EraseCitizen(staff_.id);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->size(), 1u);
  EXPECT_TRUE(access_->ListMembers(court_.org_id, court_.id)->empty());
  EXPECT_TRUE((*access_->ListBookings(staff_.id))[0].cancelled);
  EXPECT_TRUE((*access_->ListPasses(staff_.id))[0].revoked);
  EXPECT_EQ(access_->CitizenPassages(staff_.id)->size(), 1u);
  auto verifier = GateVerifier();
  code::AccessGate gate(*verifier, clock_, platform_->signing_keys().root_public_key(), court_.id);
  ASSERT_TRUE(gate.Load(List(court_gate_)).ok());
  EXPECT_EQ(gate.Decide(Code(staff_)).reason, "not_on_allow_list");
}

INSTANTIATE_TEST_SUITE_P(Backends, AccessTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::access
