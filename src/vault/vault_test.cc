#include "vault/vault.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "code/presentation.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_databases.h"
#include "vault/certificate_id.h"
#include "vault/sample_certificates.h"

namespace citycode::vault {
namespace {

using ::citycode::testing::IsOk;
using ::citycode::testing::StatusIs;

using platform::OrgKind;
using platform::Principal;

// Fictional people; the ID numbers carry valid check characters.
constexpr std::string_view kName = "测试市民乙";
constexpr std::string_view kIdNumber = "370282199003154516";
constexpr std::string_view kAgencyCode = "11370282MB1234567X";
constexpr std::string_view kExternalCode = "11110000000000000A";

const Instant kStart = FromUnixSeconds(1'786'000'000);  // 2026-08-06

class VaultTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto platform = platform::Platform::Open(db(), clock_, keyring_,
                                             {.password_cost = crypto::PasswordCost::kMinimal});
    ASSERT_TRUE(platform.ok()) << platform.status().ToString();
    platform_ = std::move(*platform);
    auto vault = Vault::Open(db(), clock_, *platform_, keyring_);
    ASSERT_TRUE(vault.ok()) << vault.status().ToString();
    vault_ = std::move(*vault);

    auto citizen = platform_->citizens().Register({.name = std::string(kName),
                                                   .id_number = std::string(kIdNumber),
                                                   .phone = "13912345678",
                                                   .password = "correct horse"});
    ASSERT_TRUE(citizen.ok());
    citizen_ = *citizen;
    // Verified at a hall window: only a verified account reaches the vault.
    ASSERT_THAT(platform_->identities().ConfirmInPerson(
                    citizen_, {std::string(kName), std::string(kIdNumber)}, "term_test_window"),
                IsOk());
    agency_ = platform_->organisations().Create("即墨区公安分局", OrgKind::kIssuingAgency)->id;
    ASSERT_TRUE(vault_
                    ->RegisterIssuer({.org_id = agency_,
                                      .credit_code = std::string(kAgencyCode),
                                      .name = "即墨区公安分局"},
                                     "admin")
                    .ok());
    ASSERT_TRUE(vault_->AddIssuerKey(agency_, agency_key_.public_key(), "admin").ok());
    hall_ = Terminal("即墨区政务服务中心", OrgKind::kServiceHall);
    ASSERT_TRUE(vault_
                    ->SetOrganisationTypes(hall_.org_id, {"resident_id_card", "household_register"},
                                           {"resident_id_card", "household_register"}, "admin")
                    .ok());
  }

  Principal Terminal(std::string_view name, OrgKind kind) {
    auto org = platform_->organisations().Create(name, kind);
    auto site = platform_->organisations().CreateSite(org->id, "site");
    auto terminal = platform_->access_keys().CreateTerminal(org->id, site->id, "terminal");
    return *platform_->access_keys().Authenticate(terminal->second.token);
  }

  SignedCertificate Make(std::string_view type_key, std::uint64_t serial,
                         std::string_view valid_until = "2036-01-01",
                         CertificateStatus status = CertificateStatus::kValid,
                         std::string_view id_number = kIdNumber) {
    auto c = SampleCertificate(*FindCertificateType(type_key),
                               {.name = std::string(kName), .id_number = std::string(id_number)},
                               {.name = "即墨区公安分局", .credit_code = std::string(kAgencyCode)},
                               serial, "2020-05-01", valid_until);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    c->status = status;
    auto signed_certificate = SignCertificate(*c, agency_key_);
    EXPECT_TRUE(signed_certificate.ok());
    return *signed_certificate;
  }

  Grant Presentation(const Principal& terminal) {
    auto grant = vault_->GrantPresentation(terminal, citizen_, "ver_test");
    EXPECT_TRUE(grant.ok()) << grant.status().ToString();
    EXPECT_TRUE(grant->has_value());
    return **grant;
  }

  std::int64_t Count(std::string_view table) {
    auto tx = db().Begin(store::TransactionMode::kRead);
    return (*tx)->QueryOne("SELECT COUNT(*) FROM " + std::string(table))->Int(0);
  }

  ManualClock clock_{kStart};
  platform::Keyring keyring_ = platform::Keyring::Generate(crypto::CipherProfile::kAes256Gcm);
  std::unique_ptr<platform::Platform> platform_;
  std::unique_ptr<Vault> vault_;
  const crypto::PrivateKey agency_key_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  std::string citizen_;
  std::string agency_;
  Principal hall_;
};

TEST_P(VaultTest, IssuingIsIdempotentAndAStatusChangeReplaces) {
  const SignedCertificate card = Make("resident_id_card", 1);
  auto first = vault_->Issue(agency_, card);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->outcome, IssueOutcome::kCreated);
  EXPECT_EQ(vault_->Issue(agency_, card)->outcome, IssueOutcome::kUnchanged);
  auto revoked = vault_->Issue(
      agency_, Make("resident_id_card", 1, "2036-01-01", CertificateStatus::kRevoked));
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(revoked->outcome, IssueOutcome::kUpdated);
  EXPECT_EQ(Count("vault_certificates"), 1);
  auto listed = vault_->ListCertificates(citizen_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].status, CertificateStatus::kRevoked);
}

TEST_P(VaultTest, RefusesForgedMisattributedAndMalformedCertificatesWithoutWriting) {
  const std::int64_t audit_before = Count("audit_log");
  SignedCertificate forged = Make("resident_id_card", 2);
  forged.certificate.holder_name = "冒名顶替";
  EXPECT_THAT(vault_->Issue(agency_, forged),
              StatusIs(StatusCode::kInvalidArgument, "bad_signature"));

  const auto other = platform_->organisations().Create("另一机构", OrgKind::kIssuingAgency)->id;
  EXPECT_THAT(vault_->Issue(other, Make("resident_id_card", 3)),
              StatusIs(StatusCode::kPermissionDenied, "issuer_mismatch"));

  SignedCertificate bad_check = Make("resident_id_card", 4);
  bad_check.certificate.identifier.back() =
      bad_check.certificate.identifier.back() == 'A' ? 'B' : 'A';
  bad_check = *SignCertificate(bad_check.certificate, agency_key_);
  EXPECT_THAT(vault_->Issue(agency_, bad_check),
              StatusIs(StatusCode::kInvalidArgument, "bad_check_character"));

  SignedCertificate unknown_field = Make("resident_id_card", 5);
  unknown_field.certificate.fields["favourite_colour"] = "blue";
  unknown_field = *SignCertificate(unknown_field.certificate, agency_key_);
  EXPECT_THAT(vault_->Issue(agency_, unknown_field),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));

  EXPECT_EQ(Count("vault_certificates"), 0);
  EXPECT_EQ(Count("audit_log"), audit_before);
}

TEST_P(VaultTest, AnExternalIssuerMayHaveAWrongCheckCharacterAcceptedWithAWarning) {
  const auto external =
      platform_->organisations().Create("外省发证机关", OrgKind::kIssuingAgency)->id;
  ASSERT_TRUE(vault_
                  ->RegisterIssuer({.org_id = external,
                                    .credit_code = std::string(kExternalCode),
                                    .name = "外省发证机关",
                                    .external = true,
                                    .accept_bad_check_character = true},
                                   "admin")
                  .ok());
  ASSERT_TRUE(vault_->AddIssuerKey(external, agency_key_.public_key(), "admin").status().code() ==
              StatusCode::kAlreadyExists);  // one key, one issuer
  const auto key = *crypto::PrivateKey::Generate(crypto::Algorithm::kSm2);
  ASSERT_TRUE(vault_->AddIssuerKey(external, key.public_key(), "admin").ok());
  auto c = SampleCertificate(*FindCertificateType("driving_licence"),
                             {.name = std::string(kName), .id_number = std::string(kIdNumber)},
                             {.name = "外省发证机关", .credit_code = std::string(kExternalCode)}, 9,
                             "2020-01-01", "2030-01-01");
  c->identifier.back() = c->identifier.back() == 'A' ? 'B' : 'A';
  auto issued = vault_->Issue(external, *SignCertificate(*c, key));
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_FALSE(issued->warning.empty());
  // Our own issuers never get one accepted.
  EXPECT_THAT(vault_->RegisterIssuer({.org_id = agency_,
                                      .credit_code = std::string(kAgencyCode),
                                      .name = "x",
                                      .accept_bad_check_character = true},
                                     "admin"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

TEST_P(VaultTest, APresentationGrantAllowsOneSignedFetchThatNamesTheReceiver) {
  ASSERT_TRUE(vault_->Issue(agency_, Make("resident_id_card", 10)).ok());
  ASSERT_TRUE(vault_->Issue(agency_, Make("household_register", 11)).ok());
  const Grant grant = Presentation(hall_);
  EXPECT_EQ(grant.type_codes.size(), 2u);

  auto release = vault_->Fetch(hall_, {.grant_id = grant.id, .use_cause = "户口迁移"});
  ASSERT_TRUE(release.ok()) << release.status().ToString();
  ASSERT_EQ(release->certificates.size(), 2u);
  for (const FetchedCertificate& fetched : release->certificates) {
    EXPECT_TRUE(fetched.signature_valid);
    EXPECT_TRUE(fetched.in_validity);
    EXPECT_TRUE(VerifyCertificateSignature(fetched.certificate, agency_key_.public_key()));
  }
  EXPECT_TRUE(release->missing.empty());
  EXPECT_TRUE(vault_->public_key().Verify(AsBytes(release->release_json), release->signature));
  const auto signed_part = nlohmann::json::parse(release->release_json);
  EXPECT_EQ(signed_part["org_id"], hall_.org_id);
  EXPECT_EQ(signed_part["use_cause"], "户口迁移");

  // Once only.
  EXPECT_THAT(vault_->Fetch(hall_, {.grant_id = grant.id, .use_cause = "again"}),
              StatusIs(StatusCode::kPermissionDenied, "consent_used"));

  auto history = vault_->AccessHistory(citizen_);
  ASSERT_TRUE(history.ok());
  auto fetch = std::find_if(history->begin(), history->end(),
                            [](const AccessRecord& r) { return r.action == "certificate.fetch"; });
  ASSERT_NE(fetch, history->end());
  EXPECT_EQ(fetch->org_id, hall_.org_id);
  EXPECT_EQ(fetch->org_name, "即墨区政务服务中心");
  EXPECT_EQ(fetch->purpose, "户口迁移");
  EXPECT_EQ(fetch->identifiers.size(), 2u);
  EXPECT_EQ(history->front().action, "fetch.refused");
  EXPECT_EQ(history->front().reason, "consent_used");
}

TEST_P(VaultTest, RefusalsHaveReasonsAndAreAudited) {
  ASSERT_TRUE(vault_->Issue(agency_, Make("resident_id_card", 20)).ok());
  const Principal hotel = Terminal("即墨宾馆", OrgKind::kHotel);
  ASSERT_TRUE(
      vault_
          ->SetOrganisationTypes(hotel.org_id, {"resident_id_card"}, {"resident_id_card"}, "admin")
          .ok());
  const Grant hall_grant = Presentation(hall_);
  // Another organisation cannot use the hall's grant.
  EXPECT_THAT(vault_->Fetch(hotel, {.grant_id = hall_grant.id, .use_cause = "入住"}),
              StatusIs(StatusCode::kPermissionDenied, "consent_missing"));
  // The hotel's own grant covers only the ID card.
  const Grant hotel_grant = Presentation(hotel);
  EXPECT_THAT(vault_
                  ->Fetch(hotel, {.grant_id = hotel_grant.id,
                                  .type_codes = {"household_register"},
                                  .use_cause = "入住"})
                  .status(),
              StatusIs(StatusCode::kPermissionDenied, "type_not_consented"));
  // Expired.
  clock_.Advance(std::chrono::minutes(11));
  EXPECT_THAT(vault_->Fetch(hall_, {.grant_id = hall_grant.id, .use_cause = "办事"}),
              StatusIs(StatusCode::kPermissionDenied, "consent_expired"));

  auto history = vault_->AccessHistory(citizen_);
  ASSERT_TRUE(history.ok());
  std::vector<std::string> reasons;
  for (const AccessRecord& r : *history) {
    if (r.action == "fetch.refused") reasons.push_back(r.reason);
  }
  EXPECT_EQ(reasons,
            (std::vector<std::string>{"consent_expired", "type_not_consented", "consent_missing"}));
}

TEST_P(VaultTest, StandingGrantsWorkUntilRevoked) {
  ASSERT_TRUE(vault_->Issue(agency_, Make("household_register", 30)).ok());
  const Principal bank = Terminal("即墨农商银行", OrgKind::kAccessSite);
  // Not registered for the type: the citizen cannot grant it.
  EXPECT_THAT(vault_
                  ->GrantStanding({.citizen_id = citizen_,
                                   .org_id = bank.org_id,
                                   .type_codes = {"household_register"},
                                   .purpose = "开户",
                                   .expires_at = kStart + std::chrono::days(30)})
                  .status(),
              StatusIs(StatusCode::kFailedPrecondition, "type_not_registered"));
  ASSERT_TRUE(vault_->SetOrganisationTypes(bank.org_id, {"household_register"}, {}, "admin").ok());
  auto grant = vault_->GrantStanding({.citizen_id = citizen_,
                                      .org_id = bank.org_id,
                                      .type_codes = {"household_register"},
                                      .purpose = "开户",
                                      .expires_at = kStart + std::chrono::days(30)});
  ASSERT_TRUE(grant.ok()) << grant.status().ToString();
  for (int i = 0; i < 2; ++i) {
    auto release = vault_->Fetch(bank, {.grant_id = grant->id, .use_cause = "开户核验"});
    ASSERT_TRUE(release.ok()) << release.status().ToString();
    EXPECT_EQ(release->certificates.size(), 1u);
  }
  ASSERT_TRUE(vault_->RevokeGrant(citizen_, grant->id).ok());
  EXPECT_THAT(vault_->Fetch(bank, {.grant_id = grant->id, .use_cause = "开户核验"}),
              StatusIs(StatusCode::kPermissionDenied, "consent_revoked"));
  EXPECT_THAT(vault_->RevokeGrant("cit_someone_else", grant->id),
              StatusIs(StatusCode::kNotFound, "not_found"));
}

// Registering with someone else's ID number makes nobody that person: the
// account sees none of their certificates, and no grant it gives serves
// one. Only the verified identity reaches them, and only under its name.
TEST_P(VaultTest, AClaimedIdNumberReachesNoCertificate) {
  ASSERT_TRUE(vault_->Issue(agency_, Make("resident_id_card", 50)).ok());
  auto squatter = platform_->citizens().Register({.name = std::string(kName),
                                                  .id_number = std::string(kIdNumber),
                                                  .phone = "13900000099",
                                                  .password = "correct horse"});
  ASSERT_THAT(squatter, IsOk());
  EXPECT_THAT(vault_->ListCertificates(*squatter),
              StatusIs(StatusCode::kFailedPrecondition, "identity_not_verified"));
  const Principal hotel = Terminal("即墨古城酒店", OrgKind::kHotel);
  ASSERT_TRUE(vault_->SetOrganisationTypes(hotel.org_id, {"resident_id_card"}, {}, "admin").ok());
  auto grant = vault_->GrantStanding({.citizen_id = *squatter,
                                      .org_id = hotel.org_id,
                                      .type_codes = {"resident_id_card"},
                                      .purpose = "入住",
                                      .expires_at = kStart + std::chrono::days(30)});
  ASSERT_THAT(grant, IsOk());
  auto release = vault_->Fetch(hotel, {.grant_id = grant->id, .use_cause = "入住登记"});
  ASSERT_THAT(release, IsOk());
  EXPECT_TRUE(release->certificates.empty());
  ASSERT_EQ(release->missing.size(), 1u);
  EXPECT_EQ(release->missing[0].reason, "identity_not_verified");
  // The verified owner sees it.
  auto mine = vault_->ListCertificates(citizen_);
  ASSERT_THAT(mine, IsOk());
  EXPECT_EQ(mine->size(), 1u);
}

TEST_P(VaultTest, ACertificateUnderAnotherNameIsNotTheVerifiedPersons) {
  ASSERT_TRUE(vault_->Issue(agency_, Make("resident_id_card", 60)).ok());
  // The same number verified under another name (a typing error at the
  // window, or the number of someone else): the certificate is not served.
  ASSERT_THAT(platform_->identities().ConfirmInPerson(
                  citizen_, {"另一个名字", std::string(kIdNumber)}, "term_test_window"),
              IsOk());
  auto mine = vault_->ListCertificates(citizen_);
  ASSERT_THAT(mine, IsOk());
  EXPECT_TRUE(mine->empty());
  auto release = vault_->Fetch(hall_, {.grant_id = Presentation(hall_).id, .use_cause = "办事"});
  ASSERT_THAT(release, IsOk());
  EXPECT_TRUE(release->certificates.empty());
  std::map<std::string, std::string> reasons;
  for (const auto& m : release->missing) reasons[m.type_code] = m.reason;
  EXPECT_EQ(reasons[FindCertificateType("resident_id_card")->code], "name_mismatch");
}

TEST_P(VaultTest, OnlyValidCertificatesAreServed) {
  ASSERT_TRUE(vault_->Issue(agency_, Make("resident_id_card", 40, "2026-01-01")).ok());  // expired
  ASSERT_TRUE(
      vault_->Issue(agency_, Make("household_register", 41, "", CertificateStatus::kSuspended))
          .ok());
  auto release = vault_->Fetch(hall_, {.grant_id = Presentation(hall_).id, .use_cause = "办事"});
  ASSERT_TRUE(release.ok()) << release.status().ToString();
  EXPECT_TRUE(release->certificates.empty());
  ASSERT_EQ(release->missing.size(), 2u);
  std::map<std::string, std::string> reasons;
  for (const auto& m : release->missing) reasons[m.type_code] = m.reason;
  EXPECT_EQ(reasons[FindCertificateType("resident_id_card")->code], "expired");
  EXPECT_EQ(reasons[FindCertificateType("household_register")->code], "not_valid");
}

TEST_P(VaultTest, ABulkBatchWithABadLineImportsNothingAndNamesTheLines) {
  std::vector<ImportLine> good;
  for (int i = 0; i < 20; ++i) {
    good.push_back({.line_number = i + 1,
                    .text = CertificateToJson(Make("social_security_card", 100 + i)).dump()});
  }
  std::vector<ImportLine> broken = good;
  broken[3].text = "{not json";
  SignedCertificate forged = Make("social_security_card", 200);
  forged.certificate.fields.begin()->second = "999";
  broken[7].text = CertificateToJson(forged).dump();
  auto refused = vault_->ImportBatch(broken);
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  ASSERT_EQ(refused->problems.size(), 2u);
  EXPECT_EQ(refused->problems[0].line_number, 4);
  EXPECT_EQ(refused->problems[1].line_number, 8);
  EXPECT_EQ(refused->problems[1].reason.find(kName), std::string::npos);
  EXPECT_EQ(Count("vault_certificates"), 0);

  auto imported = vault_->ImportBatch(good);
  ASSERT_TRUE(imported.ok());
  EXPECT_TRUE(imported->problems.empty());
  EXPECT_EQ(imported->imported, 20);
  auto again = vault_->ImportBatch(good);
  EXPECT_EQ(again->unchanged, 20);
  EXPECT_EQ(Count("vault_certificates"), 20);

  // An identifier reused for another holder is a problem too.
  std::vector<ImportLine> conflict = {
      {.line_number = 1,
       .text = CertificateToJson(Make("social_security_card", 100, "2036-01-01",
                                      CertificateStatus::kValid, "11010519491231002X"))
                   .dump()}};
  auto conflicting = vault_->ImportBatch(conflict);
  ASSERT_TRUE(conflicting.ok());
  EXPECT_EQ(conflicting->problems.size(), 1u);
}

TEST_P(VaultTest, TheAuditLogOfItAllVerifies) {
  ASSERT_TRUE(vault_->Issue(agency_, Make("resident_id_card", 50)).ok());
  ASSERT_TRUE(vault_->Fetch(hall_, {.grant_id = Presentation(hall_).id, .use_cause = "x"}).ok());
  ASSERT_TRUE(vault_->Checkpoint().ok());
  auto report = VerifyAuditLog(db(), vault_->public_key(), AuditHash::kSha256, std::nullopt);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_GE(report->entries, 5);
}

TEST_P(VaultTest, MasterKeyRotationRewrapsCertificates) {
  ASSERT_TRUE(vault_->Issue(agency_, Make("resident_id_card", 60)).ok());
  keyring_.RotateMasterKey();
  auto platform = platform::Platform::Open(db(), clock_, keyring_,
                                           {.password_cost = crypto::PasswordCost::kMinimal});
  auto rotated = Vault::Open(db(), clock_, **platform, keyring_);
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(*(*rotated)->RewrapSealedData(), 1);
  EXPECT_EQ(*(*rotated)->RewrapSealedData(), 0);
  EXPECT_EQ((*rotated)->ListCertificates(citizen_)->size(), 1u);
}

TEST(VaultFileTest, NoCertificateFieldIsInTheDatabaseFile) {
  testing::TestDatabase test_db(testing::kSqliteBackend);
  ASSERT_TRUE(test_db.ok());
  ManualClock clock(kStart);
  const auto keyring = platform::Keyring::Generate(crypto::CipherProfile::kSm4CtrHmacSm3);
  auto platform = platform::Platform::Open(test_db.db(), clock, keyring,
                                           {.password_cost = crypto::PasswordCost::kMinimal});
  auto vault = Vault::Open(test_db.db(), clock, **platform, keyring);
  ASSERT_TRUE(vault.ok());
  const auto agency = (*platform)->organisations().Create("发证机关", OrgKind::kIssuingAgency)->id;
  ASSERT_TRUE(
      (*vault)
          ->RegisterIssuer(
              {.org_id = agency, .credit_code = std::string(kAgencyCode), .name = "发证机关"},
              "admin")
          .ok());
  const auto key = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  ASSERT_TRUE((*vault)->AddIssuerKey(agency, key.public_key(), "admin").ok());
  auto c = SampleCertificate(*FindCertificateType("resident_id_card"),
                             {.name = "隐私检查人", .id_number = std::string(kIdNumber)},
                             {.name = "发证机关", .credit_code = std::string(kAgencyCode)}, 7,
                             "2020-05-01", "2040-05-01");
  c->fields["address"] = "山东省青岛市即墨区隐私路99号";
  ASSERT_TRUE((*vault)->Issue(agency, *SignCertificate(*c, key)).ok());
  vault->reset();
  platform->reset();

  std::string contents;
  for (const char* suffix : {"", "-wal"}) {
    std::ifstream file(test_db.url().substr(7) + suffix, std::ios::binary);
    std::stringstream buffer;
    buffer << file.rdbuf();
    contents += buffer.str();
  }
  ASSERT_FALSE(contents.empty());
  for (std::string_view secret : {std::string_view("隐私检查人"), kIdNumber,
                                  std::string_view("隐私路99号"), std::string_view("1990-03-15")}) {
    EXPECT_EQ(contents.find(secret), std::string::npos) << "found a personal field in clear";
  }
}

// --- health records ---

// A hospital registered as issuer, with the health types it may request.
std::string HealthIssuer(Vault& vault, platform::Platform& platform, std::string_view name,
                         std::string_view credit_code) {
  const std::string org = platform.organisations().Create(name, OrgKind::kHospital)->id;
  EXPECT_THAT(
      vault.RegisterIssuer(
          {.org_id = org, .credit_code = std::string(credit_code), .name = std::string(name)},
          "admin"),
      IsOk());
  EXPECT_THAT(vault.SetOrganisationTypes(org, {"visit_summary", "lab_result"}, {}, "admin"),
              IsOk());
  return org;
}

Result<std::string> IssueLabResult(store::Database& db, Vault& vault, std::string_view hospital,
                                   std::string_view citizen) {
  std::string identifier;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(identifier,
                                  vault.IssueRecord(tx, hospital, citizen,
                                                    {.type = "lab_result",
                                                     .fields = {{"test_name", "血红蛋白"},
                                                                {"result", "138"},
                                                                {"unit", "g/L"},
                                                                {"collected_on", "2026-08-05"}}}));
        return OkStatus();
      }));
  return identifier;
}

// Health records are a hospital's to issue and a hospital issues nothing
// else; they are never on a presentation; the hospital's records are
// signed with the key the vault keeps for it, and their patient reads them.
TEST_P(VaultTest, HealthRecordsAreIssuedByHospitalsAloneAndNeverPresented) {
  const std::string hospital =
      HealthIssuer(*vault_, *platform_, "即墨区人民医院", "12370282MB0000001A");
  auto record = IssueLabResult(db(), *vault_, hospital, citizen_);
  ASSERT_THAT(record, IsOk());
  auto own = vault_->HealthRecords(citizen_);
  ASSERT_THAT(own, IsOk());
  ASSERT_EQ(own->size(), 1u);
  EXPECT_EQ(own->front().certificate.identifier, *record);
  EXPECT_EQ(own->front().certificate.fields.at("result"), "138");
  EXPECT_EQ(vault_->GetIssuer(hospital)->key_ids, std::vector<std::string>{own->front().key_id});

  const std::int64_t certificates = Count("vault_certificates");
  // The agency may not issue a health record, nor the hospital an ID card.
  EXPECT_THAT(vault_->Issue(agency_, Make("lab_result", 7)),
              StatusIs(StatusCode::kPermissionDenied, "type_not_for_issuer"));
  auto card = SampleCertificate(*FindCertificateType("resident_id_card"),
                                {.name = std::string(kName), .id_number = std::string(kIdNumber)},
                                {.name = "即墨区人民医院", .credit_code = "12370282MB0000001A"}, 8,
                                "2020-05-01", "2036-01-01");
  const crypto::PrivateKey hospital_key =
      *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  ASSERT_THAT(vault_->AddIssuerKey(hospital, hospital_key.public_key(), "admin"), IsOk());
  EXPECT_THAT(vault_->Issue(hospital, *SignCertificate(*card, hospital_key)),
              StatusIs(StatusCode::kPermissionDenied, "type_not_for_issuer"));
  auto batch = vault_->ImportBatch({{1, CertificateToJson(Make("visit_summary", 9)).dump()}});
  ASSERT_THAT(batch, IsOk());
  ASSERT_EQ(batch->problems.size(), 1u);
  EXPECT_EQ(Count("vault_certificates"), certificates);
  // An unregistered hospital issues nothing.
  const std::string unregistered =
      platform_->organisations().Create("移风店镇卫生院", OrgKind::kHospital)->id;
  EXPECT_THAT(IssueLabResult(db(), *vault_, unregistered, citizen_),
              StatusIs(StatusCode::kFailedPrecondition, "not_an_issuer"));

  // Never on a presentation: not registered as such, not granted.
  EXPECT_THAT(vault_->SetOrganisationTypes(hospital, {"lab_result"}, {"lab_result"}, "admin"),
              StatusIs(StatusCode::kInvalidArgument, "health_type_on_presentation"));
  const Principal desk = *platform_->access_keys().Authenticate(
      platform_->access_keys()
          .CreateTerminal(hospital, platform_->organisations().CreateSite(hospital, "门诊楼")->id,
                          "诊室1")
          ->second.token);
  auto presented = vault_->GrantPresentation(desk, citizen_, "ver_test", {"lab_result"});
  ASSERT_THAT(presented, IsOk());
  EXPECT_FALSE(presented->has_value());
}

// A grant of health records is given apart from other types, for 24 hours
// unless the citizen says otherwise, and never for more than 7 days. A
// hospital that knows its patient is served under the newest live such
// grant, refused consent_missing without one, consent_revoked once it is
// revoked, consent_expired once it ends; each refusal is in the patient's
// access history.
TEST_P(VaultTest, HealthRecordsAreReadOnlyUnderTheirOwnShortGrant) {
  const std::string issuing =
      HealthIssuer(*vault_, *platform_, "即墨区人民医院", "12370282MB0000001A");
  ASSERT_THAT(IssueLabResult(db(), *vault_, issuing, citizen_), IsOk());
  const std::string reading =
      HealthIssuer(*vault_, *platform_, "即墨区中医医院", "12370282MB0000002A");
  const Principal reader{.role = platform::Role::kOrgAdmin, .key_id = "his", .org_id = reading};
  const FetchRequest read{
      .type_codes = {"visit_summary", "lab_result"}, .use_cause = "复诊", .citizen_id = citizen_};

  EXPECT_THAT(vault_->Fetch(reader, read),
              StatusIs(StatusCode::kPermissionDenied, "consent_missing"));
  EXPECT_THAT(vault_->GrantStanding({.citizen_id = citizen_,
                                     .org_id = reading,
                                     .type_codes = {"lab_result", "resident_id_card"},
                                     .purpose = "复诊",
                                     .expires_at = kStart + std::chrono::days(1)}),
              StatusIs(StatusCode::kInvalidArgument, "health_consent_separate"));
  EXPECT_THAT(vault_->GrantStanding({.citizen_id = citizen_,
                                     .org_id = reading,
                                     .type_codes = {"lab_result", "visit_summary"},
                                     .purpose = "复诊",
                                     .expires_at = kStart + std::chrono::days(8)}),
              StatusIs(StatusCode::kInvalidArgument, "health_grant_too_long"));
  EXPECT_THAT(vault_->GrantStanding({.citizen_id = citizen_,
                                     .org_id = reading,
                                     .type_codes = {"resident_id_card"},
                                     .purpose = "办事"}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));  // others need an end
  auto grant = vault_->GrantStanding({.citizen_id = citizen_,
                                      .org_id = reading,
                                      .type_codes = {"lab_result", "visit_summary"},
                                      .purpose = "复诊"});
  ASSERT_THAT(grant, IsOk());
  EXPECT_EQ(grant->expires_at, kStart + std::chrono::hours(24));

  auto release = vault_->Fetch(reader, read);
  ASSERT_THAT(release, IsOk());
  ASSERT_EQ(release->certificates.size(), 1u);
  EXPECT_EQ(release->certificates[0].certificate.certificate.fields.at("test_name"), "血红蛋白");
  EXPECT_EQ(nlohmann::json::parse(release->release_json)["grant_id"], grant->id);

  // Past its end: expired; a new one serves again; revoked: refused so.
  clock_.Advance(std::chrono::hours(25));
  EXPECT_THAT(vault_->Fetch(reader, read),
              StatusIs(StatusCode::kPermissionDenied, "consent_expired"));
  auto again = vault_->GrantStanding({.citizen_id = citizen_,
                                      .org_id = reading,
                                      .type_codes = {"visit_summary", "lab_result"},
                                      .purpose = "复诊"});
  ASSERT_THAT(again, IsOk());
  EXPECT_THAT(vault_->Fetch(reader, read), IsOk());
  ASSERT_THAT(vault_->RevokeGrant(citizen_, again->id), IsOk());
  EXPECT_THAT(vault_->Fetch(reader, read),
              StatusIs(StatusCode::kPermissionDenied, "consent_revoked"));

  auto history = vault_->AccessHistory(citizen_);
  ASSERT_THAT(history, IsOk());
  std::vector<std::string> reasons;  // newest first
  for (const AccessRecord& r : *history) {
    if (r.org_id == reading && (r.action == "fetch.refused" || r.action == "certificate.fetch")) {
      reasons.push_back(r.action == "fetch.refused" ? r.reason : "served");
    }
  }
  EXPECT_EQ(reasons, (std::vector<std::string>{"consent_revoked", "served", "consent_expired",
                                               "served", "consent_missing"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, VaultTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::vault
