#include "demo/demo_city.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "code/credential.h"
#include "common/files.h"
#include "vault/sample_certificates.h"

namespace citycode::demo {
namespace {

using platform::OrgKind;

constexpr const char* kAgencyName = "即墨公安分局户政科";
constexpr const char* kAgencyCreditCode = "11370282MB0000001X";  // invented

struct OrgSeed {
  const char* name;
  OrgKind kind;
  std::vector<const char*> sites;
};

// Names of real places in Jimo; the organisations' data is invented.
const std::vector<OrgSeed>& Orgs() {
  static const std::vector<OrgSeed> kOrgs = {
      {"即墨区政务服务中心", OrgKind::kServiceHall, {"区政务服务大厅", "通济街道便民服务中心"}},
      {"即墨公交", OrgKind::kTransitOperator, {"1路", "2路"}},
      {"青岛地铁", OrgKind::kTransitOperator, {"11号线"}},
      {"即墨区人民医院", OrgKind::kHospital, {"门诊楼"}},
      {"即墨区中医医院", OrgKind::kHospital, {"门诊楼"}},
      {"移风店镇卫生院", OrgKind::kHospital, {"卫生院"}},
      {"即墨古城酒店", OrgKind::kHotel, {"前台"}},
      {"鳌山湾海景酒店", OrgKind::kHotel, {"前台"}},
      {"即墨区人民法院", OrgKind::kAccessSite, {"南门"}},
      {"即墨科技创新中心", OrgKind::kAccessSite, {"大堂闸机"}},
      {"鹤山风景区", OrgKind::kAccessSite, {"东门"}},
      {"墨河社区", OrgKind::kAccessSite, {"北门"}},
      {kAgencyName, OrgKind::kIssuingAgency, {}},
  };
  return kOrgs;
}

struct CitizenSeed {
  const char* name;
  const char* id_number;  // fictional; valid check characters
  const char* phone;      // 1390000xxxx: not allocated to real subscribers in the demo
};

const std::vector<CitizenSeed>& Citizens() {
  static const std::vector<CitizenSeed> kCitizens = {
      {"演示市民张明", "370282198506201236", "13900000001"},
      {"演示市民李华", "370282200001010012", "13900000002"},
      {"演示市民王秀英", "370282195001011839", "13900000003"},  // a senior
      {"演示市民赵磊", "370211197808083212", "13900000004"},
  };
  return kCitizens;
}

// How many organisations and citizens are (not) marked demo.
Result<std::pair<std::int64_t, std::int64_t>> CountRows(store::Database& db) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx->QueryOne("SELECT (SELECT COUNT(*) FROM organisations WHERE demo = 1) + "
                             "(SELECT COUNT(*) FROM citizens WHERE demo = 1), "
                             "(SELECT COUNT(*) FROM organisations WHERE demo = 0) + "
                             "(SELECT COUNT(*) FROM citizens WHERE demo = 0)"));
  return std::make_pair(row.Int(0), row.Int(1));
}

nlohmann::json ToJson(const DemoCity& city) {
  nlohmann::json terminals = nlohmann::json::array(), citizens = nlohmann::json::array();
  for (const auto& t : city.terminals) {
    terminals.push_back({{"org", t.org_name},
                         {"site", t.site_name},
                         {"scene", t.scene},
                         {"api_key", t.api_key},
                         {"name", t.name}});
  }
  nlohmann::json org_admins = nlohmann::json::array();
  for (const auto& a : city.org_admins)
    org_admins.push_back({{"org", a.org_name}, {"api_key", a.api_key}});
  nlohmann::json notes = nlohmann::json::array();
  for (const auto& note : city.notes) notes.push_back({{"label", note.label}, {"text", note.text}});
  for (const auto& c : city.citizens) {
    citizens.push_back({{"phone", c.phone},
                        {"password", c.password},
                        {"rider_category", c.rider_category},
                        {"id", c.id}});
  }
  return {{"admin_key", city.admin_key},
          {"app_channel_key", city.app_channel_key},
          {"terminals", terminals},
          {"org_admins", org_admins},
          {"citizens", citizens},
          {"notes", notes},
          {"agency_key_file", city.agency_key_file.string()},
          {"citizen_id", city.citizen_id},
          {"device_id", city.device_id},
          {"device_key_file", city.device_key_file.string()},
          {"credential_file", city.credential_file.string()}};
}

Result<DemoCity> FromJson(const std::string& text) {
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  const auto bad = InvalidArgument("demo.json is damaged; remove the demo directory to reseed");
  if (!doc.is_object()) return bad;
  try {  // nlohmann's typed access throws on a wrong shape; a damaged file ends here
    DemoCity city{.admin_key = doc.at("admin_key"),
                  .app_channel_key = doc.at("app_channel_key"),
                  .citizen_id = doc.at("citizen_id"),
                  .device_id = doc.at("device_id"),
                  .device_key_file = doc.at("device_key_file").get<std::string>(),
                  .credential_file = doc.at("credential_file").get<std::string>()};
    city.agency_key_file = doc.value("agency_key_file", std::string());
    for (const auto& t : doc.at("terminals")) {
      city.terminals.push_back(
          {t.at("org"), t.at("site"), t.at("scene"), t.at("api_key"), t.value("name", "")});
    }
    for (const auto& a : doc.value("org_admins", nlohmann::json::array())) {
      city.org_admins.push_back({a.at("org"), a.at("api_key")});
    }
    for (const auto& note : doc.value("notes", nlohmann::json::array())) {
      city.notes.push_back({note.at("label"), note.at("text")});
    }
    for (const auto& c : doc.at("citizens")) {
      city.citizens.push_back(
          {c.at("phone"), c.at("password"), c.at("rider_category"), c.value("id", "")});
    }
    return city;
  } catch (const nlohmann::json::exception&) {
    return bad;
  }
}

// The demo citizen's child (fictional), a dependant on the strength of the
// guardianship certificate the agency issues: the guardian's phone shows
// the child's code and books for the child.
constexpr CitizenSeed kChild = {"演示儿童张小雨", "370282201903150027", ""};

Status SeedChild(vault::Vault& vault, const std::string& agency,
                 const crypto::PrivateKey& agency_key, const std::string& guardian_id,
                 std::uint64_t& serial) {
  const CitizenSeed& guardian = Citizens().front();
  CITYCODE_ASSIGN_OR_RETURN(
      vault::Certificate guardianship,
      vault::SampleCertificate(*vault::FindCertificateType("guardianship_certificate"),
                               {.name = kChild.name, .id_number = kChild.id_number},
                               {.name = kAgencyName, .credit_code = kAgencyCreditCode}, serial++,
                               "2019-03-20", "2037-03-15"));
  guardianship.fields = {{"guardian_name", guardian.name},
                         {"guardian_id_number", guardian.id_number},
                         {"relationship", "父亲"},
                         {"ward_kind", "minor"}};
  CITYCODE_ASSIGN_OR_RETURN(auto signed_certificate,
                            vault::SignCertificate(guardianship, agency_key));
  CITYCODE_RETURN_IF_ERROR(vault.Issue(agency, signed_certificate).status());
  return vault.AddDependant(guardian_id, {.name = kChild.name, .id_number = kChild.id_number})
      .status();
}

// The vault: the agency issues every citizen an ID card and a household
// register (no driving licence, so one hall service item shows what a
// citizen must still bring); hotels may fetch the ID card when a guest
// shows the code (the hotel scene will seed this when it lands).
Status SeedVault(platform::Platform& platform, vault::Vault& vault, DemoCity& city,
                 const std::vector<api::DemoOrganisation>& orgs, const std::filesystem::path& dir) {
  const auto org_id = [&](std::string_view name) {
    return std::find_if(orgs.begin(), orgs.end(), [&](const auto& o) { return o.name == name; })
        ->id;
  };
  const std::string agency = org_id(kAgencyName);
  CITYCODE_RETURN_IF_ERROR(vault.RegisterIssuer(
      {.org_id = agency, .credit_code = kAgencyCreditCode, .name = kAgencyName}, "demo"));
  CITYCODE_ASSIGN_OR_RETURN(auto agency_key,
                            crypto::PrivateKey::Generate(platform.options().algorithm));
  CITYCODE_RETURN_IF_ERROR(vault.AddIssuerKey(agency, agency_key.public_key(), "demo").status());
  city.agency_key_file = dir / "agency.key";
  CITYCODE_RETURN_IF_ERROR(WriteFileAtomic(city.agency_key_file, agency_key.ToPem(), 0600));

  std::uint64_t serial = 1;
  for (const CitizenSeed& seed : Citizens()) {
    for (const char* type : {"resident_id_card", "household_register"}) {
      CITYCODE_ASSIGN_OR_RETURN(
          vault::Certificate certificate,
          vault::SampleCertificate(
              *vault::FindCertificateType(type), {.name = seed.name, .id_number = seed.id_number},
              {.name = kAgencyName, .credit_code = kAgencyCreditCode}, serial++, "2021-06-01",
              std::string_view(type) == "resident_id_card" ? "2041-06-01" : ""));
      CITYCODE_ASSIGN_OR_RETURN(auto signed_certificate,
                                vault::SignCertificate(certificate, agency_key));
      CITYCODE_RETURN_IF_ERROR(vault.Issue(agency, signed_certificate).status());
    }
  }

  CITYCODE_RETURN_IF_ERROR(SeedChild(vault, agency, agency_key, city.citizen_id, serial));

  for (const api::DemoOrganisation& org : orgs) {
    if (org.kind == OrgKind::kHotel) {
      CITYCODE_RETURN_IF_ERROR(
          vault.SetOrganisationTypes(org.id, {"resident_id_card"}, {"resident_id_card"}, "demo"));
    }
  }
  return OkStatus();
}

// The demo citizen proves who they are at the demo identity provider, as a
// real one would after a face check.
Status VerifyOnline(platform::Platform& platform, const oidc::TestIdentityProvider& provider,
                    const std::string& citizen_id, const CitizenSeed& seed, const Clock& clock) {
  CITYCODE_ASSIGN_OR_RETURN(platform::OnlineCheck check,
                            platform.identities().StartOnline(citizen_id));
  CITYCODE_ASSIGN_OR_RETURN(std::string token, provider.IdToken({.audience = check.client_id,
                                                                 .nonce = check.nonce,
                                                                 .subject = citizen_id,
                                                                 .name = seed.name,
                                                                 .id_number = seed.id_number,
                                                                 .issued_at = clock.Now()}));
  return platform.identities().CompleteOnline(citizen_id, token, check.nonce).status();
}

Result<DemoCity> Seed(platform::Platform& platform, vault::Vault& vault,
                      const std::vector<std::unique_ptr<api::Scene>>& scenes,
                      const oidc::TestIdentityProvider& identity_provider,
                      const std::filesystem::path& dir, const Clock& clock) {
  DemoCity city;
  CITYCODE_ASSIGN_OR_RETURN(auto admin, platform.access_keys().CreateAdminKey("demo admin"));
  city.admin_key = admin.token;
  CITYCODE_ASSIGN_OR_RETURN(
      auto app, platform.access_keys().CreateChannelKey(code::Channel::kApp, "demo city app"));
  city.app_channel_key = app.token;
  for (auto channel : {code::Channel::kWechat, code::Channel::kAlipay}) {
    CITYCODE_RETURN_IF_ERROR(
        platform.access_keys()
            .CreateChannelKey(channel, "demo " + std::string(code::ChannelName(channel)))
            .status());
  }
  std::vector<api::DemoOrganisation> orgs;
  for (const OrgSeed& seed : Orgs()) {
    CITYCODE_ASSIGN_OR_RETURN(auto org,
                              platform.organisations().Create(seed.name, seed.kind, true));
    orgs.push_back({org.id, org.name, org.kind});
    for (const char* site_name : seed.sites) {
      CITYCODE_ASSIGN_OR_RETURN(auto site, platform.organisations().CreateSite(org.id, site_name));
      const std::string name = std::string(site_name) + " 1";
      CITYCODE_ASSIGN_OR_RETURN(auto terminal,
                                platform.access_keys().CreateTerminal(org.id, site.id, name));
      city.terminals.push_back({seed.name, site_name,
                                std::string(code::SceneName(terminal.first.scene)),
                                terminal.second.token, name});
    }
  }
  std::string first_citizen;
  for (const CitizenSeed& seed : Citizens()) {
    CITYCODE_ASSIGN_OR_RETURN(std::string id,
                              platform.citizens().Register({.name = seed.name,
                                                            .id_number = seed.id_number,
                                                            .phone = seed.phone,
                                                            .password = std::string(kDemoPassword),
                                                            .demo = true}));
    if (first_citizen.empty()) first_citizen = id;
    CITYCODE_RETURN_IF_ERROR(VerifyOnline(platform, identity_provider, id, seed, clock));
    CITYCODE_ASSIGN_OR_RETURN(auto profile, platform.citizens().Get(id));
    city.citizens.push_back({seed.phone, std::string(kDemoPassword),
                             std::string(code::RiderCategoryName(profile.rider_category)), id});
  }
  // The first citizen's phone, so the demo can show a live code at once.
  CITYCODE_ASSIGN_OR_RETURN(auto device_key,
                            crypto::PrivateKey::Generate(platform.options().algorithm));
  CITYCODE_ASSIGN_OR_RETURN(auto issued,
                            platform.devices().Enrol({.citizen_id = first_citizen,
                                                      .device_key = device_key.public_key(),
                                                      .label = "demo phone"}));
  city.citizen_id = first_citizen;
  city.device_id = issued.device_id;
  city.device_key_file = dir / "phone.key";
  city.credential_file = dir / "credential.cbor";
  CITYCODE_RETURN_IF_ERROR(WriteFileAtomic(city.device_key_file, device_key.ToPem(), 0600));
  CITYCODE_RETURN_IF_ERROR(WriteFileAtomic(city.credential_file, AsChars(issued.credential), 0600));
  CITYCODE_RETURN_IF_ERROR(SeedVault(platform, vault, city, orgs, dir));
  api::DemoSeed seed{.platform = platform,
                     .vault = vault,
                     .organisations = std::move(orgs),
                     .citizen_id = city.citizen_id};
  for (const auto& scene : scenes) CITYCODE_RETURN_IF_ERROR(scene->SeedDemo(seed));
  city.terminals.insert(city.terminals.end(), seed.terminals.begin(), seed.terminals.end());
  city.notes = std::move(seed.notes);
  return city;
}

// A phone renews its credential before it expires; so does the demo's.
Status RenewIfDue(platform::Platform& platform, const DemoCity& city, const Clock& clock) {
  CITYCODE_ASSIGN_OR_RETURN(std::string bytes, ReadFile(city.credential_file, 4096));
  CITYCODE_ASSIGN_OR_RETURN(auto credential, code::ParseCredential(AsBytes(bytes)));
  if (credential.claims.expires_at - clock.Now() > std::chrono::hours(24)) return OkStatus();
  CITYCODE_ASSIGN_OR_RETURN(auto issued,
                            platform.devices().RenewCredential(city.citizen_id, city.device_id));
  return WriteFileAtomic(city.credential_file, AsChars(issued.credential), 0600);
}

// A demo database from before identities existed: its citizens are verified
// now (those demo.json names by id).
Status VerifyUnverified(platform::Platform& platform, const oidc::TestIdentityProvider& provider,
                        const DemoCity& city, const Clock& clock) {
  for (std::size_t i = 0; i < city.citizens.size() && i < Citizens().size(); ++i) {
    const std::string& id = city.citizens[i].id;
    if (id.empty()) continue;
    auto identity = platform.identities().Get(id);
    CITYCODE_RETURN_IF_ERROR(identity.status());
    if (identity->level != platform::AssuranceLevel::kNone) continue;
    CITYCODE_RETURN_IF_ERROR(VerifyOnline(platform, provider, id, Citizens()[i], clock));
  }
  return OkStatus();
}

constexpr std::string_view kIdentityProviderIssuer = "https://id.demo.citycode.invalid";

}  // namespace

Result<std::unique_ptr<oidc::TestIdentityProvider>> LoadOrCreateIdentityProvider(
    const std::filesystem::path& dir) {
  const auto file = dir / "identity-provider.jwk";
  auto existing = ReadFile(file, 64 * 1024);
  if (existing.ok()) {
    return oidc::TestIdentityProvider::FromPrivateJwk(std::string(kIdentityProviderIssuer), "ES256",
                                                      *existing);
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  CITYCODE_ASSIGN_OR_RETURN(auto provider, oidc::TestIdentityProvider::Create(
                                               std::string(kIdentityProviderIssuer), "ES256"));
  CITYCODE_RETURN_IF_ERROR(WriteFileAtomic(file, provider->PrivateJwk(), 0600));
  return provider;
}

oidc::ProviderConfig IdentityProviderConfig(const oidc::TestIdentityProvider& provider) {
  return {.issuer = provider.issuer(),
          .client_id = "citycode-demo",
          .jwks_json = provider.JwksJson(),
          .algorithms = {provider.algorithm()}};
}

// Every seeded organisation with counters has its clerk (also in a demo
// directory made before staff existed). Not those made later through the
// demo's API: they get their staff there, and hashing a password for each
// made every start slower (a minute after a few hundred).
Status EnsureClerks(platform::Platform& platform) {
  std::set<std::string_view> seeded;
  for (const OrgSeed& seed : Orgs()) seeded.insert(seed.name);
  CITYCODE_ASSIGN_OR_RETURN(auto orgs, platform.organisations().List());
  for (const platform::Organisation& org : orgs) {
    if (!org.demo || org.kind == platform::OrgKind::kIssuingAgency || !seeded.contains(org.name)) {
      continue;
    }
    CITYCODE_ASSIGN_OR_RETURN(auto staff, platform.staff().List(org.id));
    if (!staff.empty()) continue;  // hashing a password for nothing costs a start time
    CITYCODE_RETURN_IF_ERROR(
        platform.staff()
            .Create(org.id, kDemoStaffLogin, "演示职员", std::string(kDemoPassword))
            .status());
  }
  return OkStatus();
}

// Every demo organisation with counters has an admin key for its page (also
// in a demo directory made before the page existed); true when it made any.
Result<bool> EnsureOrgAdminKeys(platform::Platform& platform, DemoCity& city) {
  if (!city.org_admins.empty()) return false;
  CITYCODE_ASSIGN_OR_RETURN(auto orgs, platform.organisations().List());
  for (const platform::Organisation& org : orgs) {
    if (!org.demo || org.kind == platform::OrgKind::kIssuingAgency) continue;
    CITYCODE_ASSIGN_OR_RETURN(auto key,
                              platform.access_keys().CreateOrgAdminKey(org.id, "demo org admin"));
    city.org_admins.push_back({org.name, key.token});
  }
  return true;
}

Result<DemoCity> SeedOrLoadDemoCity(platform::Platform& platform, vault::Vault& vault,
                                    const std::vector<std::unique_ptr<api::Scene>>& scenes,
                                    const oidc::TestIdentityProvider& identity_provider,
                                    store::Database& db, const std::filesystem::path& dir,
                                    const Clock& clock) {
  CITYCODE_ASSIGN_OR_RETURN(auto counts, CountRows(db));
  if (counts.second != 0) {
    return FailedPrecondition("this database holds real data; the demo runs only on its own");
  }
  const auto file = dir / "demo.json";
  auto existing = ReadFile(file, 1024 * 1024);
  if (existing.ok()) {
    CITYCODE_ASSIGN_OR_RETURN(DemoCity city, FromJson(*existing));
    CITYCODE_RETURN_IF_ERROR(RenewIfDue(platform, city, clock));
    CITYCODE_RETURN_IF_ERROR(VerifyUnverified(platform, identity_provider, city, clock));
    CITYCODE_RETURN_IF_ERROR(EnsureClerks(platform));
    CITYCODE_ASSIGN_OR_RETURN(bool added, EnsureOrgAdminKeys(platform, city));
    if (added) CITYCODE_RETURN_IF_ERROR(WriteFileAtomic(file, ToJson(city).dump(2) + "\n", 0600));
    return city;
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  if (counts.first != 0) {
    return FailedPrecondition("demo data without " + file.string() +
                              " (an interrupted start?); remove the demo directory to reseed");
  }
  CITYCODE_ASSIGN_OR_RETURN(DemoCity city,
                            Seed(platform, vault, scenes, identity_provider, dir, clock));
  CITYCODE_RETURN_IF_ERROR(EnsureClerks(platform));
  CITYCODE_RETURN_IF_ERROR(EnsureOrgAdminKeys(platform, city).status());
  CITYCODE_RETURN_IF_ERROR(WriteFileAtomic(file, ToJson(city).dump(2) + "\n", 0600));
  return city;
}

}  // namespace citycode::demo
