#include "platform/platform.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "code/presentation.h"
#include "code/trust_list.h"
#include "code/visitor_pass.h"
#include "crypto/random.h"
#include "oidc/test_provider.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_databases.h"

namespace citycode::platform {
namespace {

using ::citycode::testing::IsOk;
using ::citycode::testing::StatusIs;

using std::chrono::hours;
using std::chrono::seconds;

// Fictional people; the ID numbers carry valid check characters.
constexpr std::string_view kName = "测试市民甲";
constexpr std::string_view kIdNumber = "370282199003154516";
constexpr std::string_view kSeniorIdNumber = "370282195001011839";
constexpr std::string_view kPhone = "13912345678";

const Instant kStart = FromUnixSeconds(1'786'000'000);  // 2026-08-06

class PlatformTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    OpenPlatform();
  }

  // `texts`: where codes to phones go (none: no gateway).
  void OpenPlatform(std::shared_ptr<sms::Gateway> texts = nullptr) {
    platform_.reset();
    auto opened =
        Platform::Open(db(), clock_, keyring_,
                       {.password_cost = crypto::PasswordCost::kMinimal, .sms = std::move(texts)});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    platform_ = std::move(*opened);
  }

  std::string Register(std::string_view phone = kPhone, std::string_view id = kIdNumber) {
    auto id_or = platform_->citizens().Register({.name = std::string(kName),
                                                 .id_number = std::string(id),
                                                 .phone = std::string(phone),
                                                 .password = "correct horse"});
    EXPECT_TRUE(id_or.ok()) << id_or.status().ToString();
    return id_or.ok() ? *id_or : "";
  }

  // The identity a hall window confirms after checking the ID card.
  void ConfirmAtWindow(const std::string& citizen, std::string_view id,
                       std::string_view name = kName) {
    auto confirmed = platform_->identities().ConfirmInPerson(
        citizen, {std::string(name), std::string(id)}, "term_window");
    ASSERT_TRUE(confirmed.ok()) << confirmed.status().ToString();
  }

  IssuedCredential Enrol(const std::string& citizen, const crypto::PrivateKey& device) {
    auto issued = platform_->devices().Enrol(
        {.citizen_id = citizen, .device_key = device.public_key(), .label = "phone"});
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? *issued : IssuedCredential{};
  }

  std::string Code(const IssuedCredential& issued, const crypto::PrivateKey& device,
                   std::uint64_t counter) {
    auto bytes = code::MakePresentation(
        {.credential = issued.credential, .made_at = clock_.Now(), .counter = counter}, device);
    EXPECT_TRUE(bytes.ok());
    return code::ToQrText(*bytes);
  }

  Principal Terminal(OrgKind kind) {
    auto org = platform_->organisations().Create("测试机构", kind);
    auto site = platform_->organisations().CreateSite(org->id, "site");
    auto terminal = platform_->access_keys().CreateTerminal(org->id, site->id, "gate 1");
    EXPECT_TRUE(terminal.ok()) << terminal.status().ToString();
    auto principal = platform_->access_keys().Authenticate(terminal->second.token);
    EXPECT_TRUE(principal.ok());
    return *principal;
  }

  std::int64_t Count(std::string_view table) {
    auto tx = db().Begin(store::TransactionMode::kRead);
    return (*tx)->QueryOne("SELECT COUNT(*) FROM " + std::string(table))->Int(0);
  }

  ManualClock clock_{kStart};
  Keyring keyring_ = Keyring::Generate(crypto::CipherProfile::kAes256Gcm);
  std::unique_ptr<Platform> platform_;
  const crypto::PrivateKey device_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
};

TEST(ResidentIdNumberTest, ChecksDigitsDateAndCheckCharacter) {
  EXPECT_TRUE(IsValidResidentIdNumber(kIdNumber));
  EXPECT_TRUE(IsValidResidentIdNumber("11010519491231002X"));   // GB 11643's own example
  EXPECT_FALSE(IsValidResidentIdNumber("370282199003154514"));  // check character
  EXPECT_FALSE(IsValidResidentIdNumber("37028219900315451"));   // length
  EXPECT_FALSE(IsValidResidentIdNumber("37028219901315451X"));  // month 13
  EXPECT_FALSE(IsValidResidentIdNumber("370282199002304519"));  // 30 February
  EXPECT_FALSE(IsValidResidentIdNumber("3702821990031545x4"));
}

TEST_P(PlatformTest, RegistersOnceAndRefusesBadInputWithoutWriting) {
  Register();
  EXPECT_THAT(platform_->citizens()
                  .Register({.name = "别人",
                             .id_number = "370282199003154524",
                             .phone = std::string(kPhone),
                             .password = "password1"})
                  .status(),
              StatusIs(StatusCode::kAlreadyExists, "already_exists"));
  EXPECT_THAT(platform_->citizens().Register({.name = "别人",
                                              .id_number = "370282199003154514",
                                              .phone = "13900000009",
                                              .password = "password1"}),
              StatusIs(StatusCode::kInvalidArgument, "id_number_invalid"));
  EXPECT_THAT(platform_->citizens().Register({.name = "别人",
                                              .id_number = "370282203001010016",  // born 2030
                                              .phone = "13900000009",
                                              .password = "password1"}),
              StatusIs(StatusCode::kInvalidArgument, "id_number_birth_date"));
  const CitizenRegistration bad[] = {
      {.name = "",
       .id_number = "11010519491231002X",
       .phone = "13900000001",
       .password = "password1"},
      {.name = "a",
       .id_number = "110105194912310021",
       .phone = "13900000001",
       .password = "password1"},
      {.name = "a",
       .id_number = "11010519491231002X",
       .phone = "1390000000",
       .password = "password1"},
      {.name = "a", .id_number = "11010519491231002X", .phone = "13900000001", .password = "short"},
      {.name = "a\n",
       .id_number = "11010519491231002X",
       .phone = "13900000001",
       .password = "password1"},
  };
  for (const auto& registration : bad) {
    EXPECT_THAT(platform_->citizens().Register(registration),
                StatusIs(StatusCode::kInvalidArgument,
                         registration.id_number == "110105194912310021" ? "id_number_invalid"
                                                                        : "invalid_argument"));
  }
  EXPECT_EQ(Count("citizens"), 1);
}

// Registration over the API goes through a code texted to the phone, and
// answers the same whether or not the phone is registered: only the phone
// learns the difference.
TEST_P(PlatformTest, RegistrationByCodeTellsNobodyWhoIsRegistered) {
  EXPECT_THAT(platform_->citizens().StartRegistration({.name = std::string(kName),
                                                       .id_number = std::string(kIdNumber),
                                                       .phone = "13900000005",
                                                       .password = "password1"},
                                                      "10.0.0.1"),
              StatusIs(StatusCode::kFailedPrecondition, "no_sms_gateway"));
  auto inbox = std::make_shared<sms::Inbox>();
  ASSERT_NO_FATAL_FAILURE(OpenPlatform(inbox));
  const std::string known = Register();
  const auto start = [&](std::string_view phone) {
    return platform_->citizens().StartRegistration({.name = "别人",
                                                    .id_number = "370282199003154524",
                                                    .phone = std::string(phone),
                                                    .password = "password1"},
                                                   "10.0.0.1");
  };
  auto for_known = start(kPhone);
  auto for_new = start("13900000001");
  ASSERT_THAT(for_known, IsOk());
  ASSERT_THAT(for_new, IsOk());
  EXPECT_EQ(for_known->expires_in, for_new->expires_in);
  EXPECT_EQ(inbox->LastCode(kPhone), std::nullopt) << "a registered phone gets a notice";
  EXPECT_EQ(inbox->To(kPhone).size(), 1u);
  const std::optional<std::string> code = inbox->LastCode("13900000001");
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(Count("citizens"), 1) << "nothing is made before the code comes back";

  EXPECT_THAT(platform_->citizens().ConfirmRegistration("13900000001", "000000"),
              StatusIs(StatusCode::kUnauthenticated, "code_invalid"));
  EXPECT_THAT(platform_->citizens().ConfirmRegistration(kPhone, *code),
              StatusIs(StatusCode::kUnauthenticated, "code_invalid"));
  auto made = platform_->citizens().ConfirmRegistration("13900000001", *code);
  ASSERT_THAT(made, IsOk());
  EXPECT_NE(*made, known);
  EXPECT_THAT(platform_->citizens().Login("13900000001", "password1"), IsOk());
  EXPECT_THAT(platform_->citizens().ConfirmRegistration("13900000001", *code),
              StatusIs(StatusCode::kUnauthenticated, "code_invalid"))
      << "a code is used once";
}

TEST_P(PlatformTest, ACodeDiesAfterItsTriesAndTextsAreRateLimited) {
  auto inbox = std::make_shared<sms::Inbox>();
  ASSERT_NO_FATAL_FAILURE(OpenPlatform(inbox));
  const CitizenRegistration form{.name = std::string(kName),
                                 .id_number = std::string(kIdNumber),
                                 .phone = "13900000002",
                                 .password = "password1"};
  ASSERT_THAT(platform_->citizens().StartRegistration(form, "10.0.0.1"), IsOk());
  const std::string code = *inbox->LastCode("13900000002");
  const std::string wrong = code == "111111" ? "222222" : "111111";
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(platform_->citizens().ConfirmRegistration("13900000002", wrong),
                StatusIs(StatusCode::kUnauthenticated, "code_invalid"));
  }
  EXPECT_THAT(platform_->citizens().ConfirmRegistration("13900000002", code),
              StatusIs(StatusCode::kUnauthenticated, "code_invalid"))
      << "five wrong tries void the code";
  // Five texts an hour to one phone; a sixth is refused, and nothing sent.
  for (int i = 1; i < 5; ++i) {
    EXPECT_THAT(platform_->citizens().StartRegistration(form, "10.0.0." + std::to_string(i)),
                IsOk());
  }
  EXPECT_THAT(platform_->citizens().StartRegistration(form, "10.0.0.9"),
              StatusIs(StatusCode::kResourceExhausted, "rate_limited"));
  EXPECT_EQ(inbox->To("13900000002").size(), 5u);
  clock_.Set(clock_.Now() + std::chrono::minutes(61));
  EXPECT_THAT(platform_->citizens().StartRegistration(form, "10.0.0.9"), IsOk());
}

TEST_P(PlatformTest, APasswordIsResetByCodeAndEveryOldSessionEnds) {
  auto inbox = std::make_shared<sms::Inbox>();
  ASSERT_NO_FATAL_FAILURE(OpenPlatform(inbox));
  Register();
  auto session = platform_->citizens().Login(kPhone, "correct horse");
  ASSERT_THAT(session, IsOk());
  auto unknown = platform_->citizens().StartPasswordReset("13900000003", "10.0.0.1");
  auto known = platform_->citizens().StartPasswordReset(kPhone, "10.0.0.1");
  ASSERT_THAT(unknown, IsOk());
  ASSERT_THAT(known, IsOk());
  EXPECT_EQ(unknown->expires_in, known->expires_in);
  EXPECT_EQ(inbox->LastCode("13900000003"), std::nullopt);
  const std::optional<std::string> code = inbox->LastCode(kPhone);
  ASSERT_TRUE(code.has_value());
  EXPECT_THAT(platform_->citizens().ConfirmPasswordReset(kPhone, *code, "short"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  ASSERT_THAT(platform_->citizens().ConfirmPasswordReset(kPhone, *code, "a new horse"), IsOk());
  EXPECT_THAT(platform_->access_keys().Authenticate(session->token),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  EXPECT_THAT(platform_->citizens().Login(kPhone, "correct horse"),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  EXPECT_THAT(platform_->citizens().Login(kPhone, "a new horse"), IsOk());
  EXPECT_THAT(platform_->citizens().ConfirmPasswordReset(kPhone, *code, "a third horse"),
              StatusIs(StatusCode::kUnauthenticated, "code_invalid"));
}

TEST_P(PlatformTest, APhoneIsChangedByTheNewPhonesCode) {
  auto inbox = std::make_shared<sms::Inbox>();
  ASSERT_NO_FATAL_FAILURE(OpenPlatform(inbox));
  const std::string citizen = Register();
  const std::string other = Register("13900000007", "370282199003154524");
  // A registered number: a notice, the same answer, and nothing moves.
  auto taken = platform_->citizens().StartPhoneChange(citizen, "13900000007", "10.0.0.1");
  ASSERT_THAT(taken, IsOk());
  EXPECT_EQ(inbox->LastCode("13900000007"), std::nullopt);
  auto started = platform_->citizens().StartPhoneChange(citizen, "13900000008", "10.0.0.1");
  ASSERT_THAT(started, IsOk());
  EXPECT_EQ(started->expires_in, taken->expires_in);
  const std::optional<std::string> code = inbox->LastCode("13900000008");
  ASSERT_TRUE(code.has_value());
  // Another account cannot take the code texted for this one.
  EXPECT_THAT(platform_->citizens().ConfirmPhoneChange(other, "13900000008", *code),
              StatusIs(StatusCode::kUnauthenticated, "code_invalid"));
  ASSERT_THAT(platform_->citizens().StartPhoneChange(citizen, "13900000008", "10.0.0.1"), IsOk());
  const std::string fresh = *inbox->LastCode("13900000008");
  ASSERT_THAT(platform_->citizens().ConfirmPhoneChange(citizen, "13900000008", fresh), IsOk());
  EXPECT_THAT(platform_->citizens().Login("13900000008", "correct horse"), IsOk());
  EXPECT_THAT(platform_->citizens().Login(kPhone, "correct horse"),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  EXPECT_THAT(platform_->citizens().Login("13900000007", "correct horse"), IsOk())
      << "the other account keeps its phone";
}

TEST_P(PlatformTest, StoresNoPersonalFieldInClear) {
  const std::string id = Register();
  auto tx = db().Begin(store::TransactionMode::kRead);
  auto rows = (*tx)->Query("SELECT * FROM citizens");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  for (std::size_t i = 0; i < (*rows)[0].size(); ++i) {
    std::string cell;
    if (const auto* text = std::get_if<std::string>(&(*rows)[0][i])) cell = *text;
    if (const auto* blob = std::get_if<Bytes>(&(*rows)[0][i])) cell = std::string(AsChars(*blob));
    for (std::string_view secret : {kName, kIdNumber, kPhone, std::string_view("correct horse")}) {
      EXPECT_EQ(cell.find(secret), std::string::npos) << "column " << i;
    }
  }
  // The platform itself can read them back.
  auto profile = platform_->citizens().Get(id);
  ASSERT_TRUE(profile.ok());
  EXPECT_EQ(profile->name, kName);
  EXPECT_EQ(profile->id_number_masked, "3702**********4516");
}

TEST_P(PlatformTest, SessionsLogInAndOut) {
  const std::string id = Register();
  EXPECT_THAT(platform_->citizens().Login(kPhone, "wrong horse"),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  EXPECT_THAT(platform_->citizens().Login("13900000009", "correct horse"),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  auto session = platform_->citizens().Login(kPhone, "correct horse");
  ASSERT_TRUE(session.ok());
  auto principal = platform_->access_keys().Authenticate(session->token);
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->role, Role::kCitizen);
  EXPECT_EQ(principal->citizen_id, id);
  clock_.Set(session->expires_at);
  EXPECT_THAT(platform_->access_keys().Authenticate(session->token),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  clock_.Set(kStart);
  ASSERT_TRUE(platform_->citizens().Logout(session->token).ok());
  EXPECT_THAT(platform_->access_keys().Authenticate(session->token),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  EXPECT_THAT(platform_->access_keys().Authenticate("cck_nope_nope"),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
}

TEST_P(PlatformTest, EnrolIssuesAVerifiableCredentialWithinTheDeviceLimit) {
  const std::string citizen = Register();
  const IssuedCredential issued = Enrol(citizen, device_);
  EXPECT_EQ(issued.claims.device_key, device_.public_key());
  EXPECT_FALSE(issued.claims.rider_category.has_value());  // an adult
  // The same key again is refused; two more devices fit, a fourth does not.
  EXPECT_THAT(platform_->devices()
                  .Enrol({.citizen_id = citizen, .device_key = device_.public_key()})
                  .status(),
              StatusIs(StatusCode::kAlreadyExists, "already_exists"));
  for (int i = 0; i < 2; ++i) {
    Enrol(citizen, *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519));
  }
  const auto fourth = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  EXPECT_THAT(platform_->devices()
                  .Enrol({.citizen_id = citizen, .device_key = fourth.public_key()})
                  .status(),
              StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
  EXPECT_EQ(Count("devices"), 3);
  EXPECT_EQ(Count("credentials"), 3);

  // A gate that downloaded the lists accepts the code offline.
  auto trust = code::VerifyTrustList(platform_->signing_keys().TrustList()->jws,
                                     platform_->signing_keys().root_public_key());
  auto revoked = code::VerifyRevocationList(platform_->signing_keys().RevocationList()->jws,
                                            platform_->signing_keys().root_public_key());
  ASSERT_TRUE(trust.ok() && revoked.ok());
  code::Verifier gate(clock_, *trust, *revoked);
  EXPECT_TRUE(gate.Verify(Code(issued, device_, 1), code::Scene::kTransit).valid);
}

TEST_P(PlatformTest, SeniorsAreRecognisedFromTheirVerifiedIdentityOnly) {
  const std::string citizen = Register(kPhone, kSeniorIdNumber);
  EXPECT_EQ(Enrol(citizen, device_).claims.rider_category.value_or(code::RiderCategory::kAdult),
            code::RiderCategory::kAdult)
      << "a claimed birth date gives no concession";
  ASSERT_NO_FATAL_FAILURE(ConfirmAtWindow(citizen, kSeniorIdNumber));
  const auto other_device = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  EXPECT_EQ(Enrol(citizen, other_device).claims.rider_category, code::RiderCategory::kSenior);
}

// Anyone may claim any ID number at registration; it makes them nobody. The
// person is whoever a check verified, and one person has one account.
TEST_P(PlatformTest, AClaimedIdNumberIsNobodyUntilVerified) {
  const std::string squatter = Register("13900000001", kIdNumber);
  const std::string owner = Register("13900000002", kIdNumber);
  for (const std::string& citizen : {squatter, owner}) {
    EXPECT_THAT(platform_->identities().Verified(citizen),
                StatusIs(StatusCode::kFailedPrecondition, "identity_not_verified"));
    EXPECT_EQ(platform_->citizens().Get(citizen)->identity_level, AssuranceLevel::kNone);
  }
  ASSERT_NO_FATAL_FAILURE(ConfirmAtWindow(owner, kIdNumber));
  auto verified = platform_->identities().Verified(owner);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->person.id_number, kIdNumber);
  EXPECT_EQ(verified->level, AssuranceLevel::kInPerson);
  EXPECT_EQ(verified->source, "term_window");
  EXPECT_THAT(platform_->identities().Verified(squatter),
              StatusIs(StatusCode::kFailedPrecondition, "identity_not_verified"));

  // The person verifies on another account: it moves there.
  clock_.Set(clock_.Now() + std::chrono::minutes(1));
  const std::string second = Register("13900000003", "370282199003154524");
  ASSERT_NO_FATAL_FAILURE(ConfirmAtWindow(second, kIdNumber));
  EXPECT_THAT(platform_->identities().Verified(owner),
              StatusIs(StatusCode::kFailedPrecondition, "identity_not_verified"));
  auto history = platform_->identities().Get(owner);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->history.size(), 2u);
  EXPECT_EQ(history->history[0].event, "moved_away");
  EXPECT_EQ(history->history[1].event, "verified");
  EXPECT_EQ(platform_->identities().Verified(second)->person.id_number, kIdNumber);
  EXPECT_EQ(platform_->citizens().Get(second)->id_number_masked, "3702**********4516");
}

TEST_P(PlatformTest, AnIdentityCheckRefusesABadPersonAndChangesNothing) {
  const std::string citizen = Register();
  EXPECT_THAT(platform_->identities().ConfirmInPerson(
                  citizen, {std::string(kName), "370282199003154514"}, "term_window"),
              StatusIs(StatusCode::kInvalidArgument, "id_number_invalid"));
  EXPECT_THAT(platform_->identities().ConfirmInPerson(
                  citizen, {std::string(kName), "370282203001010016"}, "term_window"),
              StatusIs(StatusCode::kInvalidArgument, "id_number_birth_date"));
  EXPECT_THAT(
      platform_->identities().ConfirmInPerson(citizen, {"", std::string(kIdNumber)}, "term_window"),
      StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(platform_->identities().ConfirmInPerson(
                  "cit_nobody", {std::string(kName), std::string(kIdNumber)}, "term_window"),
              StatusIs(StatusCode::kNotFound, "not_found"));
  EXPECT_EQ(Count("identities"), 0);
  EXPECT_EQ(Count("identity_events"), 0);
}

TEST_P(PlatformTest, OnlineChecksNeedAProvider) {
  const std::string citizen = Register();
  EXPECT_THAT(platform_->identities().StartOnline(citizen),
              StatusIs(StatusCode::kFailedPrecondition, "no_identity_provider"));
}

TEST_P(PlatformTest, AnOnlineCheckTakesTheProvidersTokenForItsNonceOnce) {
  auto provider = oidc::TestIdentityProvider::Create("https://id.test");
  ASSERT_TRUE(provider.ok());
  platform_.reset();
  auto opened = Platform::Open(
      db(), clock_, keyring_,
      {.password_cost = crypto::PasswordCost::kMinimal,
       .identity_provider = oidc::ProviderConfig{.issuer = "https://id.test",
                                                 .client_id = "citycode",
                                                 .jwks_json = (*provider)->JwksJson()}});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  platform_ = std::move(*opened);
  const std::string citizen = Register(kPhone, kSeniorIdNumber);
  const std::string other = Register("13900000001");
  auto check = platform_->identities().StartOnline(citizen);
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->client_id, "citycode");
  const auto token = [&](std::string_view nonce) {
    return *(*provider)->IdToken({.audience = "citycode",
                                  .nonce = std::string(nonce),
                                  .subject = "p1",
                                  .name = std::string(kName),
                                  .id_number = std::string(kSeniorIdNumber),
                                  .issued_at = clock_.Now()});
  };
  // Another account cannot use this account's nonce, nor a made-up one.
  EXPECT_THAT(platform_->identities().CompleteOnline(other, token(check->nonce), check->nonce),
              StatusIs(StatusCode::kUnauthenticated, "id_token_nonce"));
  EXPECT_THAT(platform_->identities().CompleteOnline(citizen, token("made-up"), "made-up"),
              StatusIs(StatusCode::kUnauthenticated, "id_token_nonce"));
  EXPECT_THAT(platform_->identities().CompleteOnline(citizen, token(check->nonce), "made-up"),
              StatusIs(StatusCode::kUnauthenticated, "id_token_nonce"));
  auto done = platform_->identities().CompleteOnline(citizen, token(check->nonce), check->nonce);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->level, AssuranceLevel::kOnline);
  EXPECT_EQ(done->method, "oidc");
  EXPECT_EQ(platform_->citizens().Get(citizen)->rider_category, code::RiderCategory::kSenior);
  // Used once.
  EXPECT_THAT(platform_->identities().CompleteOnline(citizen, token(check->nonce), check->nonce),
              StatusIs(StatusCode::kUnauthenticated, "id_token_nonce"));
  // Expired.
  auto late = platform_->identities().StartOnline(citizen);
  ASSERT_TRUE(late.ok());
  clock_.Set(clock_.Now() + std::chrono::minutes(11));
  EXPECT_THAT(platform_->identities().CompleteOnline(citizen, token(late->nonce), late->nonce),
              StatusIs(StatusCode::kUnauthenticated, "id_token_nonce"));
  // A check at a window later raises the level for the same person.
  ASSERT_NO_FATAL_FAILURE(ConfirmAtWindow(citizen, kSeniorIdNumber));
  EXPECT_EQ(platform_->identities().Verified(citizen)->level, AssuranceLevel::kInPerson);
}

// Authentications are kept for the rest of the clock's second: a disabled
// terminal, a revoked key and an ended session are refused at once by the
// server that made the change, and by a second server on the same database
// within 1 s.
// Verification events and their hourly totals are kept keep_verifications
// long, then deleted at upkeep; the newer ones stay, and so do the counts
// the dashboard shows for them.
TEST_P(PlatformTest, VerificationEventsArePrunedAfterTheirRetention) {
  platform_.reset();
  auto opened = Platform::Open(db(), clock_, keyring_,
                               {.password_cost = crypto::PasswordCost::kMinimal,
                                .keep_verifications = std::chrono::days(10)});
  ASSERT_TRUE(opened.ok());
  platform_ = std::move(*opened);
  const Principal gate = Terminal(OrgKind::kTransitOperator);
  const auto refuse_one = [&] {
    ASSERT_THAT(platform_->verification().Verify(gate, "CC1:not a code"), IsOk());
  };
  refuse_one();
  refuse_one();
  clock_.Advance(std::chrono::hours(2));  // their hour has ended and is totalled
  ASSERT_THAT(platform_->activity().Verifications(clock_.Now()), IsOk());
  EXPECT_EQ(Count("verification_hours"), 1);
  clock_.Advance(std::chrono::days(11));
  refuse_one();
  ASSERT_THAT(platform_->PurgeExpired(), IsOk());
  EXPECT_EQ(Count("verifications"), 1);
  EXPECT_EQ(Count("verification_hours"), 0) << "the first hour's total went with it";
  auto counts = platform_->activity().Verifications(clock_.Now() - std::chrono::days(7));
  ASSERT_THAT(counts, IsOk());
  ASSERT_EQ(counts->size(), 1u);
  EXPECT_EQ(counts->front().count, 1);
  EXPECT_EQ(counts->front().reason, "malformed");
}

TEST_P(PlatformTest, AccessChangesAreRefusedHereAtOnceAndElsewhereWithinASecond) {
  auto second =
      Platform::Open(db(), clock_, keyring_, {.password_cost = crypto::PasswordCost::kMinimal});
  ASSERT_TRUE(second.ok());
  AccessKeys& here = platform_->access_keys();
  AccessKeys& there = (*second)->access_keys();
  auto org = platform_->organisations().Create("测试公交", OrgKind::kTransitOperator);
  auto site = platform_->organisations().CreateSite(org->id, "1路");
  auto terminal = here.CreateTerminal(org->id, site->id, "1号车");
  ASSERT_TRUE(terminal.ok());
  auto admin = here.CreateAdminKey("ops");
  ASSERT_TRUE(admin.ok());
  Register();
  auto session = platform_->citizens().Login(kPhone, "correct horse");
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  const std::string tokens[] = {terminal->second.token, admin->token, session->token};
  for (const std::string& token : tokens) {
    EXPECT_THAT(here.Authenticate(token), IsOk());
    EXPECT_THAT(there.Authenticate(token), IsOk());
  }

  ASSERT_THAT(here.DisableTerminal(org->id, terminal->first.id), IsOk());
  ASSERT_THAT(here.RevokeApiKey(admin->key_id), IsOk());
  ASSERT_THAT(platform_->citizens().Logout(session->token), IsOk());
  for (const std::string& token : tokens) {
    EXPECT_THAT(here.Authenticate(token),
                StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  }
  clock_.Advance(std::chrono::seconds(1));
  for (const std::string& token : tokens) {
    EXPECT_THAT(there.Authenticate(token),
                StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  }
}

TEST_P(PlatformTest, OnlineVerifyDetectsReplayAndRevocationAtOnce) {
  const std::string citizen = Register();
  const IssuedCredential issued = Enrol(citizen, device_);
  const Principal gate = Terminal(OrgKind::kTransitOperator);

  const std::string code = Code(issued, device_, 1);
  auto first = platform_->verification().Verify(gate, code);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->result.valid);
  EXPECT_EQ(platform_->verification().Verify(gate, code)->result.reason, code::Reason::kReplayed);

  // Another platform instance on the same database (a second server) knows
  // the code was used.
  auto second_server =
      Platform::Open(db(), clock_, keyring_, {.password_cost = crypto::PasswordCost::kMinimal});
  ASSERT_TRUE(second_server.ok());
  EXPECT_EQ((*second_server)->verification().Verify(gate, code)->result.reason,
            code::Reason::kReplayed);

  const auto list_before = *platform_->signing_keys().RevocationList();
  ASSERT_TRUE(platform_->devices().ReportLost(citizen, issued.device_id).ok());
  // Both servers refuse a fresh code at once, the second one from the store.
  EXPECT_EQ(platform_->verification().Verify(gate, Code(issued, device_, 2))->result.reason,
            code::Reason::kCredentialRevoked);
  EXPECT_EQ((*second_server)->verification().Verify(gate, Code(issued, device_, 3))->result.reason,
            code::Reason::kCredentialRevoked);
  const auto list_after = *platform_->signing_keys().RevocationList();
  EXPECT_GT(list_after.version, list_before.version);
  EXPECT_NE(list_after.etag, list_before.etag);
  auto parsed =
      code::VerifyRevocationList(list_after.jws, platform_->signing_keys().root_public_key());
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->Contains(issued.claims.id));
  EXPECT_EQ(Count("verifications"), 5);
  EXPECT_THAT(platform_->devices().ReportLost(citizen, issued.device_id),
              StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
  EXPECT_THAT(platform_->devices().RenewCredential(citizen, issued.device_id),
              StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
}

// A verification says whether the holder's identity is verified (a
// real-name action reads it there), live and uploaded, and names nobody for
// a refused code.
TEST_P(PlatformTest, AVerificationSaysWhetherTheHoldersIdentityIsVerified) {
  const std::string citizen = Register();
  const IssuedCredential issued = Enrol(citizen, device_);
  const Principal gate = Terminal(OrgKind::kTransitOperator);
  const auto verify = [&](int counter) {
    return *platform_->verification().Verify(gate, Code(issued, device_, counter));
  };
  const auto upload = [&](int counter) {
    return *platform_->verification().VerifyScanned(gate, Code(issued, device_, counter),
                                                    clock_.Now());
  };
  EXPECT_FALSE(verify(1).identity_verified);
  EXPECT_FALSE(upload(2).identity_verified);

  ASSERT_NO_FATAL_FAILURE(ConfirmAtWindow(citizen, kIdNumber));
  const OnlineVerification live = verify(3);
  EXPECT_TRUE(live.result.valid);
  EXPECT_TRUE(live.identity_verified);
  EXPECT_TRUE(upload(4).identity_verified);

  const OnlineVerification replayed =
      *platform_->verification().Verify(gate, Code(issued, device_, 3));
  EXPECT_EQ(replayed.result.reason, code::Reason::kReplayed);
  EXPECT_FALSE(replayed.identity_verified);
  EXPECT_TRUE(replayed.citizen_id.empty());
}

// An offline gate uploads its scans hours later: each is judged as of its
// scan, a revocation counts only from when it was made, and a code scanned
// twice is a replay.
TEST_P(PlatformTest, UploadedScansAreJudgedAsOfTheirTime) {
  const std::string citizen = Register(kPhone, kSeniorIdNumber);
  ASSERT_NO_FATAL_FAILURE(ConfirmAtWindow(citizen, kSeniorIdNumber));
  const IssuedCredential issued = Enrol(citizen, device_);
  const Principal gate = Terminal(OrgKind::kTransitOperator);
  const Instant scanned = clock_.Now();
  const std::string code = Code(issued, device_, 1);
  const std::string second_code = Code(issued, device_, 2);
  clock_.Set(scanned + std::chrono::minutes(10));
  ASSERT_TRUE(platform_->devices().ReportLost(citizen, issued.device_id).ok());
  const std::string after_loss = Code(issued, device_, 3);  // made once lost: refused
  const Instant lost_scan = clock_.Now();
  clock_.Set(scanned + std::chrono::hours(5));

  EXPECT_EQ(platform_->verification().Verify(gate, second_code)->result.reason,
            code::Reason::kCredentialRevoked);
  auto result = platform_->verification().VerifyScanned(gate, code, scanned);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->result.valid) << code::ReasonName(result->result.reason);
  EXPECT_EQ(result->citizen_id, citizen);
  EXPECT_EQ(result->result.rider_category, code::RiderCategory::kSenior);
  EXPECT_EQ(platform_->verification().VerifyScanned(gate, code, scanned)->result.reason,
            code::Reason::kReplayed);
  EXPECT_EQ(platform_->verification().VerifyScanned(gate, after_loss, lost_scan)->result.reason,
            code::Reason::kCredentialRevoked);
  EXPECT_TRUE(
      platform_->verification().VerifyScanned(gate, after_loss, lost_scan)->citizen_id.empty());
  // The scan time must be plausible: not ahead of the server, not older than max_scan_age.
  EXPECT_EQ(platform_->verification()
                .VerifyScanned(gate, second_code, clock_.Now() + std::chrono::minutes(1))
                ->result.reason,
            code::Reason::kFromFuture);
  clock_.Set(scanned + platform_->options().max_scan_age + std::chrono::seconds(1));
  EXPECT_EQ(platform_->verification().VerifyScanned(gate, second_code, scanned)->result.reason,
            code::Reason::kStale);
  const Principal citizen_principal{.role = Role::kCitizen, .citizen_id = citizen};
  EXPECT_THAT(platform_->verification().VerifyScanned(citizen_principal, code, scanned),
              StatusIs(StatusCode::kPermissionDenied, "permission_denied"));
}

// Enrolment asks whether a key is bound already; on SQLite the question
// must be answered from an index, not by reading every device.
TEST_P(PlatformTest, ABoundKeyIsLookedUpByIndex) {
  if (is_postgres()) GTEST_SKIP() << "SQLite's query plan";
  auto tx = db().Begin(store::TransactionMode::kRead);
  ASSERT_THAT(tx, IsOk());
  auto plan = (*tx)->Query(
      "EXPLAIN QUERY PLAN SELECT id FROM devices WHERE public_key = ? AND state = 'active'",
      {store::Blob(Bytes{1, 2, 3})});
  ASSERT_THAT(plan, IsOk());
  ASSERT_EQ(plan->size(), 1u);
  EXPECT_THAT(plan->front().Text(3), ::testing::HasSubstr("USING INDEX devices_active_key"));
}

// An upload's scans are judged one by one but recorded together: the same
// code twice in one upload is a replay the second time, a bad code does not
// spoil the others, and the results come back in the scans' order.
TEST_P(PlatformTest, AnUploadsScansAreRecordedTogetherAndJudgedEachAlone) {
  const std::string citizen = Register();
  const IssuedCredential issued = Enrol(citizen, device_);
  const Principal gate = Terminal(OrgKind::kTransitOperator);
  const Instant scanned = clock_.Now();
  const std::string code = Code(issued, device_, 1);
  const std::string second_code = Code(issued, device_, 2);
  std::vector<std::string> codes;
  for (int i = 0; i < 250; ++i) codes.push_back(Code(issued, device_, 100 + i));
  clock_.Set(scanned + std::chrono::hours(1));
  using Scan = Verification::Scan;
  const Scan scans[] = {{.qr_text = code, .scanned_at = scanned, .scan_id = "1"},
                        {.qr_text = "CC1:NOT-A-CODE", .scanned_at = scanned, .scan_id = "2"},
                        {.qr_text = code, .scanned_at = scanned, .scan_id = "3"},
                        {.qr_text = second_code, .scanned_at = scanned, .scan_id = "4"}};
  auto verified = platform_->verification().VerifyScannedAll(gate, scans);
  ASSERT_THAT(verified, IsOk());
  ASSERT_EQ(verified->size(), 4u);
  EXPECT_TRUE((*verified)[0].result.valid);
  EXPECT_EQ((*verified)[0].citizen_id, citizen);
  EXPECT_EQ((*verified)[1].result.reason, code::Reason::kMalformed);
  EXPECT_EQ((*verified)[2].result.reason, code::Reason::kReplayed);
  EXPECT_TRUE((*verified)[2].citizen_id.empty());
  EXPECT_TRUE((*verified)[3].result.valid);
  EXPECT_EQ(QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM verifications"), 4);
  EXPECT_THAT(platform_->verification().VerifyScannedAll(gate, {}), IsOk());

  // More scans than one statement takes (100): the last shows the first's
  // code again, under another sequence.
  std::vector<std::string> sequences;
  std::vector<Scan> many;
  codes.push_back(codes.front());
  for (std::size_t i = 0; i < codes.size(); ++i) sequences.push_back(std::to_string(10 + i));
  for (std::size_t i = 0; i < codes.size(); ++i) {
    many.push_back({.qr_text = codes[i], .scanned_at = scanned, .scan_id = sequences[i]});
  }
  auto uploaded = platform_->verification().VerifyScannedAll(gate, many);
  ASSERT_THAT(uploaded, IsOk());
  ASSERT_EQ(uploaded->size(), 251u);
  for (std::size_t i = 0; i < 250; ++i) {
    EXPECT_TRUE((*uploaded)[i].result.valid)
        << i << ": " << code::ReasonName((*uploaded)[i].result.reason);
    EXPECT_EQ((*uploaded)[i].citizen_id, citizen) << i;
  }
  EXPECT_EQ(uploaded->back().result.reason, code::Reason::kReplayed);
  EXPECT_EQ(QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM verifications"), 4 + 251);
  // Sent again as it was (the same scans): none is its own replay, and
  // each keeps its first record (no second event); the replay is a new one.
  auto resent = platform_->verification().VerifyScannedAll(gate, many);
  ASSERT_THAT(resent, IsOk());
  for (std::size_t i = 0; i < 250; ++i) {
    EXPECT_TRUE((*resent)[i].result.valid) << i;
    EXPECT_EQ((*resent)[i].citizen_id, citizen) << i;
    EXPECT_EQ((*resent)[i].verification_id, "") << i;
  }
  EXPECT_EQ(resent->back().result.reason, code::Reason::kReplayed);
  EXPECT_EQ(QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM verifications"), 4 + 251 + 1);
}

// A gate's upload re-sent after a storage failure verifies its scans
// again: the same scan (terminal and sequence) is not its own replay, but
// the same code under another sequence, at another terminal, or as a live
// code, is.
TEST_P(PlatformTest, TheSameScanVerifiedAgainIsNotAReplay) {
  const std::string citizen = Register();
  const IssuedCredential issued = Enrol(citizen, device_);
  const Principal gate = Terminal(OrgKind::kTransitOperator);
  const Principal other_gate = Terminal(OrgKind::kTransitOperator);
  const Instant scanned = clock_.Now();
  const std::string code = Code(issued, device_, 1);
  clock_.Set(scanned + std::chrono::minutes(30));
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto again = platform_->verification().VerifyScanned(gate, code, scanned, "41");
    ASSERT_THAT(again, IsOk());
    EXPECT_TRUE(again->result.valid) << code::ReasonName(again->result.reason);
    EXPECT_EQ(again->citizen_id, citizen);
  }
  EXPECT_EQ(platform_->verification().VerifyScanned(gate, code, scanned, "42")->result.reason,
            code::Reason::kReplayed);
  EXPECT_EQ(platform_->verification().VerifyScanned(other_gate, code, scanned, "41")->result.reason,
            code::Reason::kReplayed);
  EXPECT_EQ(platform_->verification().VerifyScanned(gate, code, scanned)->result.reason,
            code::Reason::kReplayed);
}

TEST_P(PlatformTest, AnOperatorRevokesOneCredential) {
  const std::string citizen = Register();
  const IssuedCredential issued = Enrol(citizen, device_);
  const Principal gate = Terminal(OrgKind::kTransitOperator);
  ASSERT_TRUE(platform_->devices().RevokeCredential(issued.claims.id, "fraud").ok());
  EXPECT_EQ(platform_->verification().Verify(gate, Code(issued, device_, 1))->result.reason,
            code::Reason::kCredentialRevoked);
  EXPECT_THAT(platform_->devices().RevokeCredential(issued.claims.id, "fraud"),
              StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
  EXPECT_THAT(platform_->devices().RevokeCredential(code::CredentialId{}, "fraud"),
              StatusIs(StatusCode::kNotFound, "not_found"));
  // The device stays bound: a renewed credential works.
  auto renewed = platform_->devices().RenewCredential(citizen, issued.device_id);
  ASSERT_TRUE(renewed.ok());
  EXPECT_TRUE(platform_->verification().Verify(gate, Code(*renewed, device_, 2))->result.valid);
}

TEST_P(PlatformTest, ARenewedCredentialCarriesTheIdAnnouncedBeforeIt) {
  const std::string citizen = Register();
  const IssuedCredential first = Enrol(citizen, device_);
  const std::vector<std::string> citizens = {citizen};
  auto admissible = [&] {
    auto tx = db().Begin(store::TransactionMode::kRead);
    auto found = platform_->devices().Admissible(**tx, citizens, clock_.Now());
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    std::vector<code::CredentialId> ids;
    for (const auto& credential : *found) {
      EXPECT_EQ(credential.citizen_id, citizen);
      ids.push_back(credential.id);
    }
    return ids;
  };
  const std::vector<code::CredentialId> before = admissible();
  ASSERT_EQ(before.size(), 2u);  // the live credential and the announced next one
  EXPECT_EQ(before[0], first.claims.id);
  auto renewed = platform_->devices().RenewCredential(citizen, first.device_id);
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->claims.id, before[1]);
  // Both live credentials and a fresh announcement; none once revoked in full.
  const std::vector<code::CredentialId> after = admissible();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_NE(after[2], before[1]);
  ASSERT_TRUE(platform_->devices().RevokeCredential(first.claims.id, "fraud").ok());
  EXPECT_EQ(admissible().size(), 2u);
  clock_.Advance(std::chrono::hours(73));  // both credentials expired
  EXPECT_EQ(admissible().size(), 1u);
  ASSERT_TRUE(platform_->devices().ReportLost(citizen, first.device_id).ok());
  EXPECT_TRUE(admissible().empty());
}

// Two renewals of one device at once (an app retrying while its first
// request still runs) both succeed, with two credentials: the second waits
// for the device's row and takes the id the first announced.
TEST_P(PlatformTest, RenewalsOfOneDeviceAtOnceBothSucceed) {
  if (!is_postgres()) GTEST_SKIP() << "SQLite runs one write transaction at a time";
  const std::string citizen = Register();
  const IssuedCredential first = Enrol(citizen, device_);
  // The device's row held, so that both renewals are under way before
  // either can write it.
  auto holder = db().Begin(store::TransactionMode::kWrite);
  ASSERT_TRUE(holder.ok()) << holder.status().ToString();
  ASSERT_TRUE(
      (*holder)->Execute("UPDATE devices SET label = label WHERE id = ?", {first.device_id}).ok());
  const auto renew = [&] { return platform_->devices().RenewCredential(citizen, first.device_id); };
  auto a = std::async(std::launch::async, renew);
  auto b = std::async(std::launch::async, renew);
  const auto waiting_on_a_row = [&]() -> std::int64_t {
    auto tx = db().Begin(store::TransactionMode::kRead);
    if (!tx.ok()) return -1;
    auto row = (*tx)->QueryOne(
        "SELECT CAST(count(*) AS BIGINT) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND query LIKE 'UPDATE devices%'");
    return row.ok() ? row->Int(0) : -1;
  };
  // Polls what PostgreSQL shows (not a guess of how long they take).
  for (int tries = 0; tries < 1000 && waiting_on_a_row() < 2; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(waiting_on_a_row(), 2);
  ASSERT_TRUE((*holder)->Commit().ok());
  const Result<IssuedCredential> renewed_a = a.get();
  const Result<IssuedCredential> renewed_b = b.get();
  ASSERT_TRUE(renewed_a.ok()) << renewed_a.status().ToString();
  ASSERT_TRUE(renewed_b.ok()) << renewed_b.status().ToString();
  EXPECT_NE(renewed_a->claims.id, renewed_b->claims.id);
}

TEST_P(PlatformTest, TerminalsVerifyOnlyForTheirScene) {
  const std::string citizen = Register();
  const IssuedCredential issued = Enrol(citizen, device_);
  const Principal hotel = Terminal(OrgKind::kHotel);
  EXPECT_EQ(hotel.scene, code::Scene::kHotel);
  EXPECT_TRUE(platform_->verification().Verify(hotel, Code(issued, device_, 1))->result.valid);
  Principal citizen_principal{.role = Role::kCitizen, .citizen_id = citizen};
  EXPECT_THAT(platform_->verification().Verify(citizen_principal, Code(issued, device_, 2)),
              StatusIs(StatusCode::kPermissionDenied, "permission_denied"));
  auto agency = platform_->organisations().Create("发证机关", OrgKind::kIssuingAgency);
  auto site = platform_->organisations().CreateSite(agency->id, "office");
  EXPECT_THAT(platform_->access_keys().CreateTerminal(agency->id, site->id, "t"),
              StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
}

TEST_P(PlatformTest, TerminalKeysRotateAndDisable) {
  auto org = platform_->organisations().Create("公交公司", OrgKind::kTransitOperator);
  auto site = platform_->organisations().CreateSite(org->id, "depot");
  auto other = platform_->organisations().Create("酒店", OrgKind::kHotel);
  EXPECT_THAT(platform_->access_keys().CreateTerminal(other->id, site->id, "t"),
              StatusIs(StatusCode::kNotFound, "not_found"));  // a site of another organisation
  auto terminal = platform_->access_keys().CreateTerminal(org->id, site->id, "bus 1");
  ASSERT_TRUE(terminal.ok());
  const std::string old_token = terminal->second.token;
  EXPECT_THAT(platform_->access_keys().RotateTerminalKey(other->id, terminal->first.id),
              StatusIs(StatusCode::kNotFound, "not_found"));
  auto rotated = platform_->access_keys().RotateTerminalKey(org->id, terminal->first.id);
  ASSERT_TRUE(rotated.ok());
  EXPECT_THAT(platform_->access_keys().Authenticate(old_token),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  auto principal = platform_->access_keys().Authenticate(rotated->token);
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->terminal_id, terminal->first.id);
  EXPECT_EQ(principal->org_id, org->id);
  ASSERT_TRUE(platform_->access_keys().DisableTerminal(org->id, terminal->first.id).ok());
  EXPECT_THAT(platform_->access_keys().Authenticate(rotated->token),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  // A token whose secret is wrong is refused even with a valid id.
  std::string forged = rotated->token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_THAT(platform_->access_keys().Authenticate(forged),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
}

TEST_P(PlatformTest, ANewSigningKeyIsTrustedBeforeItSigns) {
  const std::string citizen = Register();
  const IssuedCredential before = Enrol(citizen, device_);
  const auto trust_version = platform_->signing_keys().TrustList()->version;
  auto rotated = platform_->signing_keys().Rotate();
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  // In the trust list at once...
  auto trust = code::VerifyTrustList(platform_->signing_keys().TrustList()->jws,
                                     platform_->signing_keys().root_public_key());
  ASSERT_TRUE(trust.ok());
  EXPECT_GT(trust->version, trust_version);
  ASSERT_EQ(trust->keys.size(), 2u);
  // ...but credentials are still signed by the old key until the lead time.
  auto renewed = platform_->devices().RenewCredential(citizen, before.device_id);
  ASSERT_TRUE(renewed.ok());
  auto kid = [](const IssuedCredential& c) {
    return code::ParseCredential(c.credential)->envelope.kid;
  };
  EXPECT_EQ(kid(*renewed), kid(before));
  clock_.Set(rotated->not_before);
  auto later = platform_->devices().RenewCredential(citizen, before.device_id);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(ToHex(kid(*later)), rotated->key_id);
  // The old key's credentials still verify until they expire.
  const Principal gate = Terminal(OrgKind::kTransitOperator);
  EXPECT_TRUE(platform_->verification().Verify(gate, Code(*renewed, device_, 1))->result.valid);
  EXPECT_TRUE(platform_->verification().Verify(gate, Code(*later, device_, 2))->result.valid);
}

TEST_P(PlatformTest, SignsAVisitorPassAGateChecksWithItsLists) {
  const code::VisitorPassClaims claims{.id = crypto::RandomArray<code::kCredentialIdSize>(),
                                       .valid_from = kStart + hours(1),
                                       .valid_until = kStart + hours(5),
                                       .site = "site_east_gate",
                                       .entries = 2};
  auto pass = platform_->signing_keys().SignVisitorPass(claims);
  ASSERT_THAT(pass.status(), IsOk());
  auto parsed = code::ParseVisitorPass(*pass);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->claims.issuer, "citycode:jimo");
  EXPECT_EQ(parsed->claims.issued_at, kStart);
  EXPECT_EQ(parsed->claims.id, claims.id);
  EXPECT_EQ(parsed->claims.site, "site_east_gate");
  EXPECT_EQ(parsed->claims.entries, 2u);
  // Signed by the key that signs credentials now.
  const auto keys = *platform_->signing_keys().List();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(ToHex(parsed->envelope.kid), keys[0].key_id);

  // A gate that downloaded the lists accepts it offline within its window.
  auto trust = code::VerifyTrustList(platform_->signing_keys().TrustList()->jws,
                                     platform_->signing_keys().root_public_key());
  auto revoked = code::VerifyRevocationList(platform_->signing_keys().RevocationList()->jws,
                                            platform_->signing_keys().root_public_key());
  ASSERT_TRUE(trust.ok() && revoked.ok());
  code::Verifier gate(clock_, *trust, *revoked);
  const std::string text = code::VisitorPassText(*pass);
  EXPECT_EQ(gate.VerifyVisitorPass(text).reason, code::Reason::kCredentialNotYetValid);
  clock_.Advance(hours(2));
  EXPECT_TRUE(gate.VerifyVisitorPass(text).valid);
  // Still verifiable to its end after the signing key is rotated.
  ASSERT_THAT(platform_->signing_keys().Rotate().status(), IsOk());
  auto rotated = code::VerifyTrustList(platform_->signing_keys().TrustList()->jws,
                                       platform_->signing_keys().root_public_key());
  ASSERT_TRUE(rotated.ok());
  ASSERT_THAT(gate.UpdateTrustList(*rotated), IsOk());
  clock_.Set(claims.valid_until - seconds(1));
  EXPECT_TRUE(gate.VerifyVisitorPass(text).valid);
  clock_.Set(claims.valid_until);
  EXPECT_EQ(gate.VerifyVisitorPass(text).reason, code::Reason::kCredentialExpired);
}

TEST_P(PlatformTest, RefusesAVisitorPassItCouldNotKeepVerifiable) {
  code::VisitorPassClaims claims{.id = crypto::RandomArray<code::kCredentialIdSize>(),
                                 .valid_from = kStart - hours(1),
                                 .valid_until = kStart,
                                 .site = "site_east_gate"};
  SigningKeys& keys = platform_->signing_keys();
  EXPECT_THAT(keys.SignVisitorPass(claims),
              StatusIs(StatusCode::kInvalidArgument, "visitor_pass_window"));  // already over
  claims.valid_until = kStart + hours(72) + seconds(1);  // past the credential lifetime
  EXPECT_THAT(keys.SignVisitorPass(claims),
              StatusIs(StatusCode::kInvalidArgument, "visitor_pass_window"));
  claims.valid_until = kStart + hours(72);
  EXPECT_THAT(keys.SignVisitorPass(claims).status(), IsOk());
  claims.id = {};
  EXPECT_THAT(keys.SignVisitorPass(claims),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                       ::testing::HasSubstr("needs an id")));
  claims.id = crypto::RandomArray<code::kCredentialIdSize>();
  claims.site = "东门";
  EXPECT_THAT(keys.SignVisitorPass(claims),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                       ::testing::HasSubstr("site must be")));
}

TEST_P(PlatformTest, ReopeningKeepsTheKeysAndLists) {
  const std::string citizen = Register();
  const IssuedCredential issued = Enrol(citizen, device_);
  const auto root = platform_->signing_keys().root_public_key();
  const auto trust = *platform_->signing_keys().TrustList();
  platform_.reset();
  OpenPlatform();
  EXPECT_EQ(platform_->signing_keys().root_public_key(), root);
  EXPECT_EQ(platform_->signing_keys().TrustList()->etag, trust.etag);
  const Principal gate = Terminal(OrgKind::kTransitOperator);
  EXPECT_TRUE(platform_->verification().Verify(gate, Code(issued, device_, 1))->result.valid);
}

TEST_P(PlatformTest, MasterKeyRotationRewrapsEverySealedValue) {
  const std::string citizen = Register();
  keyring_.RotateMasterKey();
  platform_.reset();
  OpenPlatform();  // the keyring now seals with the new key and opens both
  auto changed = platform_->RewrapSealedData();
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(*changed, 3 + 2);  // name, ID number, phone; root and signing key
  EXPECT_EQ(*platform_->RewrapSealedData(), 0);
  auto tx = db().Begin(store::TransactionMode::kRead);
  auto rows = (*tx)->Query("SELECT sealed_name, sealed_id_number, sealed_phone FROM citizens");
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(*keyring_.MasterKeyId((*rows)[0].Blob(i)), keyring_.current_key_id());
  }
  EXPECT_EQ(platform_->citizens().Get(citizen)->name, kName);
  EXPECT_TRUE(platform_->citizens().Login(kPhone, "correct horse").ok());
  EXPECT_TRUE(
      platform_->devices().Enrol({.citizen_id = citizen, .device_key = device_.public_key()}).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, PlatformTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::platform
