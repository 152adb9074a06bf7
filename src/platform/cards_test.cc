#include "platform/cards.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "code/presentation.h"
#include "code/trust_list.h"
#include "code/verifier.h"
#include "platform/platform.h"
#include "tests/support/offline_verifier.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_databases.h"

namespace citycode::platform {
namespace {

using ::citycode::testing::StatusIs;
using code::Reason;
using std::chrono::hours;

// Fictional people; the ID numbers carry valid check characters.
constexpr std::string_view kName = "测试市民甲";
constexpr std::string_view kIdNumber = "370282199003154516";
constexpr std::string_view kOtherIdNumber = "370282199003154524";
constexpr std::string_view kSeniorIdNumber = "370282195001011839";

const Instant kStart = FromUnixSeconds(1'786'000'000);  // 2026-08-06

class CardsTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto opened =
        Platform::Open(db(), clock_, keyring_,
                       {.card_uses_per_day = 3, .password_cost = crypto::PasswordCost::kMinimal});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    platform_ = std::move(*opened);
    window_.terminal_id = Terminal(OrgKind::kServiceHall).terminal_id;
  }

  Person Someone(std::string_view id = kIdNumber, std::string_view name = kName) {
    return {std::string(name), std::string(id)};
  }

  std::string Register(std::string_view id = kIdNumber) {
    auto citizen = platform_->citizens().Register({.name = std::string(kName),
                                                   .id_number = std::string(id),
                                                   .phone = "13912345678",
                                                   .password = "correct horse"});
    EXPECT_TRUE(citizen.ok()) << citizen.status().ToString();
    return citizen.ok() ? *citizen : "";
  }

  IssuedCard IssueToPerson(const Person& person) {
    auto card = platform_->cards().IssueToPerson(person, window_);
    EXPECT_TRUE(card.ok()) << card.status().ToString();
    return card.ok() ? *card : IssuedCard{};
  }

  Principal Terminal(OrgKind kind) {
    auto org = platform_->organisations().Create("测试机构", kind);
    auto site = platform_->organisations().CreateSite(org->id, "site");
    auto terminal = platform_->access_keys().CreateTerminal(org->id, site->id, "terminal");
    EXPECT_TRUE(terminal.ok()) << terminal.status().ToString();
    auto principal = platform_->access_keys().Authenticate(terminal->second.token);
    EXPECT_TRUE(principal.ok());
    return *principal;
  }

  // An offline verifier holding the platform's current lists.
  std::unique_ptr<code::Verifier> OfflineVerifier() {
    return testing::OfflineVerifier(*platform_, clock_);
  }

  Reason VerifyOnline(const Principal& terminal, std::string_view qr) {
    auto verified = platform_->verification().Verify(terminal, qr);
    EXPECT_TRUE(verified.ok()) << verified.status().ToString();
    return verified.ok() ? verified->result.reason : Reason::kMalformed;
  }

  ManualClock clock_{kStart};
  Keyring keyring_ = Keyring::Generate(crypto::CipherProfile::kAes256Gcm);
  std::unique_ptr<Platform> platform_;
  // The hall window that issues (a real terminal: the card records it).
  CardIssuer window_;
};

TEST_P(CardsTest, APersonWithoutAnAccountGetsAHeldAccountVerifiedInPersonAndACard) {
  const IssuedCard card = IssueToPerson(Someone());
  EXPECT_TRUE(card.account_created);
  EXPECT_FALSE(card.claims.device_key.has_value());
  EXPECT_EQ(card.claims.channel, code::Channel::kCard);
  EXPECT_EQ(card.claims.scenes, CardScenes());
  EXPECT_EQ(card.claims.expires_at, kStart + std::chrono::days(365));
  EXPECT_EQ(card.qr_text, code::ToQrText(card.credential));
  auto identity = platform_->identities().Verified(card.citizen_id);
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->level, AssuranceLevel::kInPerson);
  EXPECT_EQ(identity->source, window_.terminal_id);
  // The held account has no password: nobody logs in to it.
  EXPECT_THAT(platform_->citizens().CheckPassword(card.citizen_id, ""),
              StatusIs(StatusCode::kUnauthenticated, "wrong_password"));

  // The same person again: the same account, a new card, the old revoked.
  clock_.Advance(hours(1));
  const IssuedCard second = IssueToPerson(Someone());
  EXPECT_FALSE(second.account_created);
  EXPECT_EQ(second.citizen_id, card.citizen_id);
  auto listed = platform_->cards().List(card.citizen_id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, second.claims.id);
  EXPECT_FALSE((*listed)[0].revoked_at);
  EXPECT_EQ((*listed)[1].id, card.claims.id);
  EXPECT_EQ((*listed)[1].revoke_reason, "card_replaced");
  EXPECT_EQ((*listed)[1].terminal_id, window_.terminal_id);
  const Principal hall = Terminal(OrgKind::kServiceHall);
  EXPECT_EQ(VerifyOnline(hall, card.qr_text), Reason::kCredentialRevoked);
  EXPECT_EQ(VerifyOnline(hall, second.qr_text), Reason::kValid);
}

TEST_P(CardsTest, TheCardReachesTheAccountThePersonIsVerifiedOn) {
  const std::string citizen = Register();
  ASSERT_TRUE(platform_->identities().ConfirmInPerson(citizen, Someone(), "term_x").ok());
  const IssuedCard card = IssueToPerson(Someone());
  EXPECT_FALSE(card.account_created);
  EXPECT_EQ(card.citizen_id, citizen);
  // Another name for a verified ID number: nothing is issued.
  EXPECT_THAT(platform_->cards().IssueToPerson(Someone(kIdNumber, "别人"), window_).status(),
              StatusIs(StatusCode::kFailedPrecondition, "person_mismatch"));
  // An account whose claim is unverified is not the person's: a held
  // account is made instead, and the claim's account stays without a card.
  const std::string claimant = platform_->citizens()
                                   .Register({.name = std::string(kName),
                                              .id_number = std::string(kOtherIdNumber),
                                              .phone = "13912345679",
                                              .password = "correct horse"})
                                   .value();
  const IssuedCard other = IssueToPerson(Someone(kOtherIdNumber));
  EXPECT_TRUE(other.account_created);
  EXPECT_NE(other.citizen_id, claimant);
  EXPECT_TRUE(platform_->cards().List(claimant)->empty());
}

TEST_P(CardsTest, AnUnverifiedPersonGetsNoCard) {
  const std::string citizen = Register();
  EXPECT_THAT(platform_->cards().Issue(citizen, window_).status(),
              StatusIs(StatusCode::kFailedPrecondition, "identity_not_verified"));
  EXPECT_THAT(platform_->cards().Issue("cit_nobody", window_).status(),
              StatusIs(StatusCode::kNotFound, "not_found"));
  EXPECT_THAT(platform_->cards().IssueToPerson(Someone("370282199003154517"), window_).status(),
              StatusIs(StatusCode::kInvalidArgument, "id_number_invalid"));
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM credentials WHERE channel = 'card'"), 0);
  ASSERT_TRUE(platform_->identities().ConfirmInPerson(citizen, Someone(), "term_x").ok());
  EXPECT_TRUE(platform_->cards().Issue(citizen, window_).ok());
}

TEST_P(CardsTest, VerifiesOfflineAndOnlineAtGovAndTransitUpToTheUseLimit) {
  const IssuedCard card = IssueToPerson(Someone(kSeniorIdNumber));
  EXPECT_EQ(card.claims.rider_category, code::RiderCategory::kSenior);
  const auto offline = OfflineVerifier()->VerifyCard(card.qr_text, code::Scene::kTransit);
  EXPECT_TRUE(offline.valid) << code::ReasonName(offline.reason);
  EXPECT_TRUE(offline.card);

  const Principal hall = Terminal(OrgKind::kServiceHall);
  const Principal bus = Terminal(OrgKind::kTransitOperator);
  auto first = platform_->verification().Verify(hall, card.qr_text);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->result.valid);
  EXPECT_TRUE(first->result.card);
  EXPECT_EQ(first->result.channel, code::Channel::kCard);
  EXPECT_EQ(first->citizen_id, card.citizen_id);
  // The same static code again is no replay; the limit (3 here) counts
  // every online use of the card, wherever.
  EXPECT_EQ(VerifyOnline(bus, card.qr_text), Reason::kValid);
  EXPECT_EQ(VerifyOnline(bus, card.qr_text), Reason::kValid);
  EXPECT_EQ(VerifyOnline(bus, card.qr_text), Reason::kCardUseLimit);
  EXPECT_EQ(VerifyOnline(hall, card.qr_text), Reason::kCardUseLimit);
  // Refusals are recorded as for codes, and count no use.
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM verifications WHERE reason = 'card_use_limit'"), 2);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM card_uses"), 3);
  // A rolling 24 hours.
  clock_.Advance(hours(23));
  EXPECT_EQ(VerifyOnline(bus, card.qr_text), Reason::kCardUseLimit);
  clock_.Advance(hours(1) + std::chrono::seconds(1));
  EXPECT_EQ(VerifyOnline(bus, card.qr_text), Reason::kValid);
  ASSERT_TRUE(platform_->PurgeExpired().ok());
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM card_uses"), 1);
  // The two-step verify (an action and the code's use in one transaction)
  // counts the same way.
  auto checked = platform_->verification().Check(hall, card.qr_text);
  ASSERT_TRUE(checked.ok());
  EXPECT_TRUE(checked->card);
  auto recorded = store::RunInTransaction(
      db(), store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        auto r = platform_->verification().RecordIn(tx, hall, *checked);
        if (!r.ok()) return r.status();
        EXPECT_TRUE(r->result.valid);
        return OkStatus();
      });
  EXPECT_TRUE(recorded.ok()) << recorded.ToString();
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM card_uses"), 2);
}

// Servers verifying one card at once take turns on its count.
TEST_P(CardsTest, ConcurrentUsesStopAtTheLimit) {
  const IssuedCard card = IssueToPerson(Someone());
  const Principal bus = Terminal(OrgKind::kTransitOperator);
  std::atomic<int> valid{0}, limited{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      auto verified = platform_->verification().Verify(bus, card.qr_text);
      ASSERT_TRUE(verified.ok()) << verified.status().ToString();
      if (verified->result.valid) ++valid;
      if (verified->result.reason == Reason::kCardUseLimit) ++limited;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(valid.load(), 3);
  EXPECT_EQ(limited.load(), 3);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM card_uses"), 3);
}

TEST_P(CardsTest, IsRefusedWhereCardsAreNotAcceptedOnline) {
  const IssuedCard card = IssueToPerson(Someone());
  EXPECT_EQ(VerifyOnline(Terminal(OrgKind::kHotel), card.qr_text), Reason::kSceneNotAllowed);
  EXPECT_EQ(VerifyOnline(Terminal(OrgKind::kHospital), card.qr_text), Reason::kSceneNotAllowed);
  // Access sites take a card offline through their allow-list only.
  EXPECT_EQ(VerifyOnline(Terminal(OrgKind::kAccessSite), card.qr_text), Reason::kSceneNotAllowed);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM card_uses"), 0);
  // An offline gate's upload takes presentations only.
  const Principal bus = Terminal(OrgKind::kTransitOperator);
  auto scanned = platform_->verification().VerifyScanned(bus, card.qr_text, kStart, "1");
  ASSERT_TRUE(scanned.ok());
  EXPECT_EQ(scanned->result.reason, Reason::kNotAPresentation);
}

TEST_P(CardsTest, ARevokedCardIsRefusedAtOnceOnlineAndAfterTheListRefreshOffline) {
  const IssuedCard card = IssueToPerson(Someone());
  auto gate = OfflineVerifier();  // holds the lists fetched before the revocation
  const Principal bus = Terminal(OrgKind::kTransitOperator);
  EXPECT_EQ(VerifyOnline(bus, card.qr_text), Reason::kValid);
  ASSERT_TRUE(platform_->cards().RevokeForPerson(Someone(), "card_lost").ok());
  EXPECT_EQ(VerifyOnline(bus, card.qr_text), Reason::kCredentialRevoked);
  EXPECT_EQ(gate->VerifyCard(card.qr_text, code::Scene::kTransit).reason, Reason::kValid);
  auto revoked = code::VerifyRevocationList(platform_->signing_keys().RevocationList()->jws,
                                            platform_->signing_keys().root_public_key());
  ASSERT_TRUE(revoked.ok());
  ASSERT_TRUE(gate->UpdateRevocationList(*revoked).ok());
  EXPECT_EQ(gate->VerifyCard(card.qr_text, code::Scene::kTransit).reason,
            Reason::kCredentialRevoked);
  // Nothing left to revoke.
  EXPECT_THAT(platform_->cards().RevokeForPerson(Someone(), "card_lost"),
              StatusIs(StatusCode::kNotFound, "no_card"));
  EXPECT_THAT(platform_->cards().Revoke(card.citizen_id, "card_lost"),
              StatusIs(StatusCode::kNotFound, "no_card"));
  EXPECT_THAT(platform_->cards().RevokeForPerson(Someone(kOtherIdNumber), "card_lost"),
              StatusIs(StatusCode::kNotFound, "no_card"));
}

TEST_P(CardsTest, ACardGoesWithTheIdentityItWasIssuedFor) {
  const IssuedCard card = IssueToPerson(Someone());
  // The person registers a phone account and is verified on it: the
  // identity moves there, and the held account's card is revoked.
  const std::string phone_account = Register();
  ASSERT_TRUE(platform_->identities().ConfirmInPerson(phone_account, Someone(), "term_x").ok());
  auto listed = platform_->cards().List(card.citizen_id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].revoke_reason, "identity_moved_away");
  EXPECT_EQ(VerifyOnline(Terminal(OrgKind::kServiceHall), card.qr_text),
            Reason::kCredentialRevoked);
  // An erased account's card goes too.
  const IssuedCard next = IssueToPerson(Someone());
  EXPECT_EQ(next.citizen_id, phone_account);
  ASSERT_TRUE(platform_->citizens().Erase(phone_account).ok());
  EXPECT_EQ(VerifyOnline(Terminal(OrgKind::kServiceHall), next.qr_text),
            Reason::kCredentialRevoked);
}

TEST_P(CardsTest, AdmissibleListsLiveCardsOnlyWhenAsked) {
  const IssuedCard card = IssueToPerson(Someone());
  const std::vector<std::string> citizens = {card.citizen_id};
  auto admissible = [&](bool include_cards) {
    std::vector<code::CredentialId> ids;
    auto tx = db().Begin(store::TransactionMode::kRead);
    EXPECT_TRUE(tx.ok());
    auto listed = platform_->devices().Admissible(**tx, citizens, clock_.Now(), include_cards);
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    for (const auto& c : *listed) ids.push_back(c.id);
    return ids;
  };
  EXPECT_TRUE(admissible(false).empty());
  EXPECT_THAT(admissible(true), ::testing::ElementsAre(card.claims.id));
  ASSERT_TRUE(platform_->cards().Revoke(card.citizen_id, "card_lost").ok());
  EXPECT_TRUE(admissible(true).empty());
  const IssuedCard renewed = IssueToPerson(Someone());
  clock_.Advance(std::chrono::days(366));
  EXPECT_TRUE(admissible(true).empty());
  (void)renewed;
}

TEST_P(CardsTest, ACardIsNeverTakenForAPresentationNorAPhoneCodeForACard) {
  const IssuedCard card = IssueToPerson(Someone());
  auto gate = OfflineVerifier();
  EXPECT_EQ(gate->Verify(card.qr_text, code::Scene::kTransit).reason, Reason::kNotAPresentation);
  // A phone's credential has cnf: never a card, online or offline.
  const crypto::PrivateKey device = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  auto enrolled = platform_->devices().Enrol(
      {.citizen_id = card.citizen_id, .device_key = device.public_key(), .label = "phone"});
  ASSERT_TRUE(enrolled.ok()) << enrolled.status().ToString();
  const std::string bare = code::ToQrText(enrolled->credential);
  EXPECT_EQ(gate->VerifyCard(bare, code::Scene::kTransit).reason, Reason::kNotACard);
  EXPECT_EQ(VerifyOnline(Terminal(OrgKind::kTransitOperator), bare), Reason::kNotAPresentation);
  // A phone's code keeps its replay check.
  auto code = code::MakePresentation(
      {.credential = enrolled->credential, .made_at = clock_.Now(), .counter = 1}, device);
  ASSERT_TRUE(code.ok());
  const Principal bus = Terminal(OrgKind::kTransitOperator);
  EXPECT_EQ(VerifyOnline(bus, code::ToQrText(*code)), Reason::kValid);
  EXPECT_EQ(VerifyOnline(bus, code::ToQrText(*code)), Reason::kReplayed);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM card_uses"), 0);
}

// A card cannot be re-signed: its key stays in the trust list after a
// rotation for as long as the card lives, unless the card is revoked.
TEST_P(CardsTest, ARotationKeepsTheKeyOfALiveCardTrusted) {
  const IssuedCard card = IssueToPerson(Someone());
  const IssuedCard revoked = IssueToPerson(Someone(kOtherIdNumber));
  ASSERT_TRUE(platform_->cards().Revoke(revoked.citizen_id, "card_lost").ok());
  ASSERT_TRUE(platform_->signing_keys().Rotate().ok());
  clock_.Advance(std::chrono::days(30));
  auto gate = OfflineVerifier();
  EXPECT_EQ(gate->VerifyCard(card.qr_text, code::Scene::kTransit).reason, Reason::kValid);
  EXPECT_EQ(VerifyOnline(Terminal(OrgKind::kTransitOperator), card.qr_text), Reason::kValid);
  // The key's not_after is the card's expiry: just before it, still valid.
  clock_.Set(card.claims.expires_at - std::chrono::seconds(1));
  EXPECT_EQ(OfflineVerifier()->VerifyCard(card.qr_text, code::Scene::kTransit).reason,
            Reason::kValid);
}

INSTANTIATE_TEST_SUITE_P(Backends, CardsTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::platform
