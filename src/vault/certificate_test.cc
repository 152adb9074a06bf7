#include "vault/certificate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/support/algorithms.h"
#include "tests/support/status_matchers.h"
#include "vault/certificate_id.h"
#include "vault/certificate_types.h"

namespace citycode::vault {
namespace {

using ::citycode::testing::StatusIs;

using nlohmann::json;

constexpr std::string_view kIssuerCode = "11370282MB1234567X";

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

Certificate IdCard() {
  const CertificateType& type = *FindCertificateType("resident_id_card");
  return Certificate{
      .identifier = MakeCertificateId(type.code, kIssuerCode, "2024000123", 1)->ToString(),
      .type_code = type.code,
      .name = "居民身份证",
      .holder_name = "张三",
      .holder_id_type = "111",
      .holder_id_number = "370282199001011239",
      .issuer_name = "青岛市公安局即墨分局",
      .issuer_code = std::string(kIssuerCode),
      .issue_date = "2024-03-01",
      .valid_from = "2024-03-01",
      .valid_until = "2044-03-01",
      .fields = {{"sex", "男"},
                 {"ethnicity", "汉"},
                 {"birth_date", "1990-01-01"},
                 {"address", "山东省青岛市即墨区鹤山路1号"}},
  };
}

Certificate BusinessLicence() {
  const CertificateType& type = *FindCertificateType("business_licence");
  return Certificate{
      .identifier = MakeCertificateId(type.code, kIssuerCode, "B7", 2)->ToString(),
      .type_code = type.code,
      .name = "营业执照",
      .holder_name = "青岛即墨示例科技有限公司",
      .holder_id_type = "001",
      .holder_id_number = "91370282MA3C5XYZ0Q",
      .issuer_name = "青岛市即墨区市场监督管理局",
      .issuer_code = std::string(kIssuerCode),
      .issue_date = "2024-05-20",
      .valid_from = "2019-01-08",
      .valid_until = "",
      .fields = {{"entity_name", "青岛即墨示例科技有限公司"},
                 {"entity_type", "有限责任公司(自然人投资或控股)"},
                 {"legal_representative", "李四"},
                 {"established_date", "2019-01-08"},
                 {"business_scope", Repeat("软件开发；", 100)},
                 {"address", "山东省青岛市即墨区蓝鳌路1号"}},
  };
}

// --- registry ---

TEST(CertificateTypesTest, SeedsFifteenWellFormedTypesTwoOfThemHealthRecords) {
  const std::vector<CertificateType>& types = SeededCertificateTypes();
  ASSERT_EQ(types.size(), 15u);
  EXPECT_EQ(std::count_if(types.begin(), types.end(), [](const auto& t) { return t.health; }), 2);
  EXPECT_TRUE(FindCertificateType("visit_summary")->health);
  EXPECT_TRUE(FindCertificateType("lab_result")->health);
  const std::regex code_shape("[0-9A-Z]{18}[0-9]{3}");
  const std::regex key_shape("[a-z_]+");
  std::set<std::string> codes, keys;
  for (const CertificateType& type : types) {
    EXPECT_TRUE(std::regex_match(type.code, code_shape)) << type.code;
    EXPECT_TRUE(std::regex_match(type.key, key_shape)) << type.key;
    EXPECT_TRUE(codes.insert(type.code).second) << type.code;
    EXPECT_TRUE(keys.insert(type.key).second) << type.key;
    EXPECT_FALSE(type.name.empty());
    EXPECT_FALSE(type.authority_kind.empty());
    EXPECT_FALSE(type.fields.empty()) << type.key;
    EXPECT_LE(type.fields.size(), kMaxCertificateFields);
    std::set<std::string> field_keys;
    for (const FaceField& field : type.fields) {
      EXPECT_TRUE(std::regex_match(field.key, key_shape)) << field.key;
      EXPECT_TRUE(field_keys.insert(field.key).second) << type.key << "." << field.key;
      EXPECT_FALSE(field.label.empty());
      EXPECT_GT(field.max_length, 0u);
      // Every value fits the JSON form's per-string limit.
      EXPECT_LE(field.max_length * 4, kMaxCertificateStringBytes);
    }
    EXPECT_EQ(FindCertificateType(type.code), &type);
    EXPECT_EQ(FindCertificateType(type.key), &type);
  }
  const std::set<std::string> expected_keys = {
      "resident_id_card",     "household_register",       "driving_licence",
      "vehicle_licence",      "business_licence",         "marriage_certificate",
      "social_security_card", "medical_insurance_card",   "real_estate_certificate",
      "degree_certificate",   "guardianship_certificate", "disability_certificate",
      "student_card",         "visit_summary",            "lab_result"};
  EXPECT_EQ(keys, expected_keys);
  EXPECT_EQ(FindCertificateType("resident_id_card")->name, "居民身份证");
  EXPECT_EQ(FindCertificateType("business_licence")->holder_id_type, HolderIdType::kCreditCode);
  EXPECT_EQ(FindCertificateType("driving_licence")->holder_id_type, HolderIdType::kCitizenIdNumber);
  EXPECT_EQ(FindCertificateType("nope"), nullptr);
  EXPECT_EQ(FindCertificateType(""), nullptr);
}

TEST(CertificateTypesTest, HolderIdTypeCodes) {
  EXPECT_EQ(HolderIdTypeCode(HolderIdType::kCitizenIdNumber), "111");
  EXPECT_EQ(HolderIdTypeCode(HolderIdType::kCreditCode), "001");
  EXPECT_EQ(*HolderIdTypeFromCode("111"), HolderIdType::kCitizenIdNumber);
  EXPECT_EQ(*HolderIdTypeFromCode("001"), HolderIdType::kCreditCode);
  EXPECT_THAT(HolderIdTypeFromCode("1"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(HolderIdTypeFromCode(""), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

TEST(CertificateStatusTest, CodesAndNames) {
  const std::vector<std::tuple<CertificateStatus, std::string, std::string>> all = {
      {CertificateStatus::kValid, "01", "valid"},
      {CertificateStatus::kSuspended, "02", "suspended"},
      {CertificateStatus::kWithdrawn, "03", "withdrawn"},
      {CertificateStatus::kCancelled, "04", "cancelled"},
      {CertificateStatus::kExpired, "05", "expired"},
      {CertificateStatus::kRevoked, "07", "revoked"}};
  for (const auto& [status, code, name] : all) {
    EXPECT_EQ(CertificateStatusCode(status), code);
    EXPECT_EQ(CertificateStatusName(status), name);
    EXPECT_EQ(*CertificateStatusFromCode(code), status);
  }
  for (std::string_view bad : {"", "00", "06", "08", "1", "valid", "01 "}) {
    EXPECT_THAT(CertificateStatusFromCode(bad),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << bad;
  }
}

// --- canonical encoding and signatures ---

TEST(CertificateTest, CanonicalEncodingIsSortedCompactJcs) {
  Certificate c = IdCard();
  c.identifier = "1.2.156.3005.2.11100000000012001A001.11370282MB1234567X.2024000123.001.R";
  c.valid_until = "";
  c.status = CertificateStatus::kSuspended;
  c.fields = {{"sex", "男"},
              {"address", "青岛市即墨区\"鹤山路\" 1号\\A/B"},
              {"zz", "\b\f\n\r\t\x01\x1f\x7f"}};
  const std::string expected =
      R"({"fields":{"address":"青岛市即墨区\"鹤山路\" 1号\\A/B","sex":"男",)"
      R"("zz":"\b\f\n\r\t\u0001\u001f)"
      "\x7f"
      R"("},"holder_id_number":"370282199001011239","holder_id_type":"111",)"
      R"("holder_name":"张三",)"
      R"("identifier":"1.2.156.3005.2.11100000000012001A001.11370282MB1234567X.2024000123.001.R",)"
      R"("issue_date":"2024-03-01","issuer_code":"11370282MB1234567X",)"
      R"("issuer_name":"青岛市公安局即墨分局","name":"居民身份证","status":"02",)"
      R"("type_code":"11100000000012001A001","valid_from":"2024-03-01","valid_until":""})";
  EXPECT_EQ(CanonicalEncoding(c), expected);
}

TEST(CertificateTest, SignRefusesInvalidUtf8AndUnknownStatus) {
  const crypto::PrivateKey key = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  Certificate c = IdCard();
  c.holder_name = "\xe5\xbc";  // a cut-off 张
  Result<SignedCertificate> s = SignCertificate(c, key);
  EXPECT_THAT(s, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_NE(s.status().message().find("holder_name"), std::string::npos);

  c = IdCard();
  c.fields["address"] = "\xc0\xaf";  // overlong '/'
  s = SignCertificate(c, key);
  EXPECT_THAT(s, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_NE(s.status().message().find("fields.address"), std::string::npos);

  c = IdCard();
  c.status = static_cast<CertificateStatus>(42);
  EXPECT_THAT(SignCertificate(c, key), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

class CertificateSignatureTest : public ::testing::TestWithParam<crypto::Algorithm> {
 protected:
  CertificateSignatureTest()
      : key_(*crypto::PrivateKey::Generate(GetParam())),
        other_(*crypto::PrivateKey::Generate(GetParam())) {}
  crypto::PrivateKey key_, other_;
};

TEST_P(CertificateSignatureTest, SignsAndVerifies) {
  for (const Certificate& c : {IdCard(), BusinessLicence()}) {
    const Result<SignedCertificate> s = SignCertificate(c, key_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->certificate, c);
    EXPECT_EQ(s->key_id, ToHex(key_.public_key().key_id()));
    EXPECT_EQ(s->signature.size(), 64u);
    EXPECT_TRUE(key_.public_key().Verify(AsBytes(CanonicalEncoding(c)), s->signature));
    EXPECT_TRUE(VerifyCertificateSignature(*s, key_.public_key()));
    EXPECT_FALSE(VerifyCertificateSignature(*s, other_.public_key()));
  }
}

TEST_P(CertificateSignatureTest, AnyChangeBreaksTheSignature) {
  const SignedCertificate s = *SignCertificate(IdCard(), key_);
  const std::vector<std::pair<const char*, std::function<void(SignedCertificate&)>>> changes = {
      {"holder_name", [](auto& x) { x.certificate.holder_name = "张四"; }},
      {"holder_id_number", [](auto& x) { x.certificate.holder_id_number[16] = '4'; }},
      {"face field", [](auto& x) { x.certificate.fields["address"] += "2"; }},
      {"extra face field", [](auto& x) { x.certificate.fields["remark"] = ""; }},
      {"removed face field", [](auto& x) { x.certificate.fields.erase("sex"); }},
      {"status", [](auto& x) { x.certificate.status = CertificateStatus::kRevoked; }},
      {"valid_until", [](auto& x) { x.certificate.valid_until = ""; }},
      {"identifier", [](auto& x) { x.certificate.identifier.back() = 'Z'; }},
      {"issuer_name", [](auto& x) { x.certificate.issuer_name += " "; }},
      {"signature", [](auto& x) { x.signature[10] ^= 1; }},
      {"short signature", [](auto& x) { x.signature.pop_back(); }},
      {"key_id", [this](auto& x) { x.key_id = ToHex(other_.public_key().key_id()); }},
      {"key_id case",
       [](auto& x) {
         for (char& ch : x.key_id) {
           if (ch >= 'a' && ch <= 'f') ch = static_cast<char>(ch - 'a' + 'A');
         }
       }},
      {"invalid UTF-8", [](auto& x) { x.certificate.holder_name = "\xff"; }},
  };
  for (const auto& [what, change] : changes) {
    SignedCertificate changed = s;
    change(changed);
    if (changed == s) continue;  // an uppercase kid with no letters
    EXPECT_FALSE(VerifyCertificateSignature(changed, key_.public_key())) << what;
  }
}

INSTANTIATE_TEST_SUITE_P(CertificateAlgorithms, CertificateSignatureTest,
                         citycode::testing::AllAlgorithms(),
                         citycode::testing::AlgorithmParamName());

// --- validation ---

TEST(CertificateValidateTest, AcceptsWellFormedCertificates) {
  EXPECT_EQ(ValidateCertificate(IdCard()), OkStatus());
  EXPECT_EQ(ValidateCertificate(BusinessLicence()), OkStatus());

  Certificate c = IdCard();
  c.valid_until = "";  // long-term
  EXPECT_EQ(ValidateCertificate(c), OkStatus());
  // A re-issue keeps the original validity; a one-day validity on a leap day.
  c.issue_date = "2030-02-28";
  c.valid_from = c.valid_until = "2024-02-29";
  EXPECT_EQ(ValidateCertificate(c), OkStatus());

  // Optional face fields may be absent or empty.
  const CertificateType& licence = *FindCertificateType("driving_licence");
  c = IdCard();
  c.type_code = licence.code;
  c.name = licence.name;
  c.identifier = MakeCertificateId(licence.code, kIssuerCode, "D1", 1)->ToString();
  c.fields = {{"licence_class", "C1"}, {"first_issue_date", "2010-06-01"}};
  EXPECT_EQ(ValidateCertificate(c), OkStatus());
  c.fields["file_number"] = "";
  EXPECT_EQ(ValidateCertificate(c), OkStatus());

  // A wrong check character is the caller's policy, not a defect here.
  c = IdCard();
  c.identifier.back() = c.identifier.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(ValidateCertificate(c), OkStatus());

  // Code points, not bytes: 64 CJK characters are 192 bytes.
  c = IdCard();
  c.holder_name = Repeat("王", 64);
  EXPECT_EQ(ValidateCertificate(c), OkStatus());
}

struct Defect {
  const char* field;  // the message names it
  std::function<void(Certificate&)> apply;
  std::string bad_value;  // the message must not contain it ("" to skip)
  std::function<Certificate()> base = IdCard;
};

TEST(CertificateValidateTest, RefusesEachDefectNamingTheFieldNotTheValue) {
  const CertificateType& licence = *FindCertificateType("driving_licence");
  const auto set = [](std::string Certificate::*member, std::string value) {
    return [member, value](Certificate& c) { c.*member = value; };
  };
  const auto set_field = [](std::string key, std::string value) {
    return [key, value](Certificate& c) { c.fields[key] = value; };
  };
  const std::vector<Defect> defects = {
      {"holder_name", set(&Certificate::holder_name, ""), ""},
      {"holder_name", set(&Certificate::holder_name, Repeat("王", 65)), Repeat("王", 65)},
      {"holder_name", set(&Certificate::holder_name, "张\n三"), "张\n三"},
      {"holder_name", set(&Certificate::holder_name, "张\x7f三"), "张\x7f三"},
      {"holder_name", set(&Certificate::holder_name, "张\xc2\x85三"), "张\xc2\x85三"},
      {"holder_name", set(&Certificate::holder_name, "张\xff三"), "张\xff三"},
      {"holder_name", set(&Certificate::holder_name, "\xed\xa0\x80"), "\xed\xa0\x80"},
      {"issuer_name", set(&Certificate::issuer_name, ""), ""},
      {"issuer_name", set(&Certificate::issuer_name, Repeat("局", 129)), Repeat("局", 129)},
      {"name", set(&Certificate::name, ""), ""},
      {"name", set(&Certificate::name, Repeat("证", 65)), Repeat("证", 65)},
      {"type_code", set(&Certificate::type_code, "11100000000012001A999"), "11100000000012001A999"},
      {"type_code", set(&Certificate::type_code, "resident_id_card"), "resident_id_card"},
      {"identifier", set(&Certificate::identifier, "1.2.156.3005.2.XYZ"), "XYZ"},
      {"identifier", set(&Certificate::identifier, ""), ""},
      {"identifier",
       [&](Certificate& c) {
         c.identifier = MakeCertificateId(licence.code, kIssuerCode, "9", 1)->ToString();
       },
       licence.code},
      {"identifier",
       [](Certificate& c) {
         c.identifier = MakeCertificateId(c.type_code, "11370282MB7654321Y", "9", 1)->ToString();
       },
       "11370282MB7654321Y"},
      {"issuer_code", set(&Certificate::issuer_code, "11370282mb1234567x"), "11370282mb1234567x"},
      {"holder_id_type", set(&Certificate::holder_id_type, "001"), ""},
      {"holder_id_type", set(&Certificate::holder_id_type, "999"), "999"},
      {"holder_id_number", set(&Certificate::holder_id_number, "370282199001011238"),
       "370282199001011238"},
      {"holder_id_number", set(&Certificate::holder_id_number, "37028219900101123"),
       "37028219900101123"},
      {"holder_id_number", set(&Certificate::holder_id_number, "370282199002301234"),
       "370282199002301234"},
      {"holder_id_number", set(&Certificate::holder_id_number, "91370282MA3C5XYZ0q"),
       "91370282MA3C5XYZ0q", BusinessLicence},
      {"holder_id_type", set(&Certificate::holder_id_type, "111"), "", BusinessLicence},
      {"issue_date", set(&Certificate::issue_date, "2024-02-30"), "2024-02-30"},
      {"issue_date", set(&Certificate::issue_date, ""), ""},
      {"valid_from", set(&Certificate::valid_from, "2024/03/01"), "2024/03/01"},
      {"valid_from", set(&Certificate::valid_from, "2023-02-29"), "2023-02-29"},
      {"valid_until", set(&Certificate::valid_until, "2024-13-01"), "2024-13-01"},
      {"valid_until", set(&Certificate::valid_until, "2024-02-29"), "2024-02-29"},
      {"valid_until", set(&Certificate::valid_until, "长期"), "长期"},
      {"fields.sex", [](Certificate& c) { c.fields.erase("sex"); }, ""},
      {"fields.sex", set_field("sex", ""), ""},
      {"fields.nickname", set_field("nickname", "三儿"), "三儿"},
      {"fields", set_field("Nick Name", "三儿"), "Nick Name"},
      {"fields.address", set_field("address", Repeat("路", 129)), Repeat("路", 129)},
      {"fields.address", set_field("address", "鹤山路\t1号"), "鹤山路\t1号"},
      {"fields.address", set_field("address", "鹤山路\xe9号"), "鹤山路\xe9号"},
      {"fields.business_scope", set_field("business_scope", Repeat("软", 513)), "",
       BusinessLicence},
      {"fields.legal_representative",
       [](Certificate& c) { c.fields.erase("legal_representative"); }, "", BusinessLicence},
      {"status", [](Certificate& c) { c.status = static_cast<CertificateStatus>(6); }, ""},
  };
  for (const Defect& d : defects) {
    Certificate c = d.base();
    ASSERT_EQ(ValidateCertificate(c), OkStatus());
    d.apply(c);
    const Status status = ValidateCertificate(c);
    ASSERT_THAT(status, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << d.field << " " << d.bad_value;
    EXPECT_NE(status.message().find(d.field), std::string::npos)
        << d.field << ": " << status.message();
    if (!d.bad_value.empty()) {
      EXPECT_EQ(status.message().find(d.bad_value), std::string::npos) << status.message();
    }
  }
}

// --- JSON ---

class CertificateJsonTest : public ::testing::Test {
 protected:
  CertificateJsonTest()
      : key_(*crypto::PrivateKey::Generate(crypto::Algorithm::kSm2)),
        signed_(*SignCertificate(IdCard(), key_)),
        json_(CertificateToJson(signed_)) {}
  crypto::PrivateKey key_;
  SignedCertificate signed_;
  json json_;
};

TEST_F(CertificateJsonTest, RoundTrips) {
  EXPECT_EQ(json_.size(), 15u);
  EXPECT_EQ(json_["status"], "01");
  EXPECT_EQ(json_["key_id"], signed_.key_id);
  EXPECT_EQ(json_["signature"], Base64UrlEncode(signed_.signature));
  EXPECT_EQ(json_["fields"]["sex"], "男");

  const Result<SignedCertificate> from_json = CertificateFromJson(json_);
  ASSERT_TRUE(from_json.ok()) << from_json.status().ToString();
  EXPECT_EQ(*from_json, signed_);

  const std::string text = json_.dump();
  const Result<SignedCertificate> parsed = ParseCertificateJson(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, signed_);
  EXPECT_TRUE(VerifyCertificateSignature(*parsed, key_.public_key()));
  EXPECT_EQ(ValidateCertificate(parsed->certificate), OkStatus());

  // The longest face field in Chinese (1500 bytes) fits.
  const SignedCertificate licence = *SignCertificate(BusinessLicence(), key_);
  const Result<SignedCertificate> licence_parsed =
      ParseCertificateJson(CertificateToJson(licence).dump());
  ASSERT_TRUE(licence_parsed.ok()) << licence_parsed.status().ToString();
  EXPECT_EQ(*licence_parsed, licence);

  // Without key_id and signature, the JSON form is the canonical encoding.
  json unsigned_form = json_;
  unsigned_form.erase("key_id");
  unsigned_form.erase("signature");
  EXPECT_EQ(unsigned_form.dump(), CanonicalEncoding(signed_.certificate));
}

void ExpectRefused(const json& document, std::string_view names) {
  EXPECT_THAT(CertificateFromJson(document),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                       ::testing::HasSubstr(std::string(names))))
      << names;
}

TEST_F(CertificateJsonTest, RefusesUnknownMissingAndMistypedKeys) {
  ExpectRefused(json::array(), "object");
  ExpectRefused(json("text"), "object");

  json extra = json_;
  extra["holder_phone"] = "13800000000";
  ExpectRefused(extra, "holder_phone");

  for (const auto& [key, value] : json_.items()) {
    json missing = json_;
    missing.erase(key);
    ExpectRefused(missing, key);

    json mistyped = json_;
    mistyped[key] = 1;
    ExpectRefused(mistyped, key);

    mistyped[key] = nullptr;
    ExpectRefused(mistyped, key);

    if (key != "fields") {
      mistyped[key] = json::object();
      ExpectRefused(mistyped, key);
    } else {
      mistyped[key] = json::array();
      ExpectRefused(mistyped, key);
    }
  }

  json field_number = json_;
  field_number["fields"]["sex"] = 1;
  ExpectRefused(field_number, "fields.sex");
}

TEST_F(CertificateJsonTest, RefusesOversizeValuesAndTooManyFields) {
  json oversize = json_;
  oversize["fields"]["address"] = std::string(kMaxCertificateStringBytes + 1, 'a');
  ExpectRefused(oversize, "fields.address");
  oversize["fields"]["address"] = std::string(kMaxCertificateStringBytes, 'a');
  EXPECT_TRUE(CertificateFromJson(oversize).ok());

  oversize = json_;
  oversize["holder_name"] = std::string(kMaxCertificateStringBytes + 1, 'a');
  ExpectRefused(oversize, "holder_name");

  oversize = json_;
  oversize["fields"][std::string(kMaxCertificateStringBytes + 1, 'a')] = "x";
  ExpectRefused(oversize, "fields");

  json many = json_;
  for (int i = 0; many["fields"].size() <= kMaxCertificateFields; ++i) {
    many["fields"]["f" + std::to_string(i)] = "x";
  }
  ExpectRefused(many, "fields");
  many["fields"].erase(many["fields"].begin());
  EXPECT_TRUE(CertificateFromJson(many).ok());
}

TEST_F(CertificateJsonTest, RefusesBadStatusKeyIdAndSignature) {
  json bad = json_;
  bad["status"] = "valid";
  ExpectRefused(bad, "status");
  bad["status"] = "06";
  ExpectRefused(bad, "status");

  bad = json_;
  bad["key_id"] = "0123";
  ExpectRefused(bad, "key_id");
  bad["key_id"] = "0123456789ABCDEF";
  ExpectRefused(bad, "key_id");
  bad["key_id"] = "0123456789abcdeg";
  ExpectRefused(bad, "key_id");

  bad = json_;
  bad["signature"] = "";
  ExpectRefused(bad, "signature");
  bad["signature"] = "a+b/";
  ExpectRefused(bad, "signature");
  bad["signature"] = Base64UrlEncode(signed_.signature) + "=";
  ExpectRefused(bad, "signature");
}

TEST_F(CertificateJsonTest, TextParserRefusesBadText) {
  const auto refused = [](std::string_view text) {
    return ParseCertificateJson(text).status().code() == StatusCode::kInvalidArgument;
  };
  const std::string text = json_.dump();
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused("{"));
  EXPECT_TRUE(refused(text + "x"));
  EXPECT_TRUE(refused(text + "{}"));
  EXPECT_TRUE(refused("/* c */" + text));
  // Duplicated keys, at the top and inside "fields".
  EXPECT_TRUE(refused(R"({"holder_name":"王五",)" + text.substr(1)));
  std::string inner = text;
  inner.replace(inner.find(R"("fields":{)"), 10, R"("fields":{"sex":"女",)");
  EXPECT_TRUE(refused(inner));
  // The size limit applies before parsing, whitespace included.
  std::string padded = text + std::string(kMaxCertificateJsonBytes - text.size(), ' ');
  EXPECT_TRUE(ParseCertificateJson(padded).ok());
  padded += ' ';
  const Status too_long = ParseCertificateJson(padded).status();
  EXPECT_THAT(too_long, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_NE(too_long.message().find("longer"), std::string::npos);
  // Invalid UTF-8 inside a string is not JSON.
  std::string bad_utf8 = text;
  bad_utf8.replace(bad_utf8.find("张三"), 3, "\xff\xfe\xfd");
  EXPECT_TRUE(refused(bad_utf8));
}

// Truncations, byte flips, insertions and deletions of a valid document never
// crash, and whatever parses can be validated, verified and dumped again.
TEST_F(CertificateJsonTest, RandomMutationsNeverCrash) {
  const std::string text = json_.dump();
  std::mt19937 rng(20240601);
  const auto below = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  const std::string interesting = "{}[]\":,\\0123456789-+.eEtrufalsn \x80\xe5\xff";
  int parsed_ok = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string mutated = text;
    const int edits = 1 + static_cast<int>(below(4));
    for (int e = 0; e < edits && !mutated.empty(); ++e) {
      const std::size_t at = below(mutated.size());
      switch (below(5)) {
        case 0: mutated.resize(at); break;
        case 1: mutated[at] = static_cast<char>(mutated[at] ^ (1 << below(8))); break;
        case 2: mutated[at] = static_cast<char>(below(256)); break;
        case 3: mutated.insert(at, 1, interesting[below(interesting.size())]); break;
        case 4: mutated.erase(at, 1 + below(8)); break;
      }
    }
    const Result<SignedCertificate> parsed = ParseCertificateJson(mutated);
    if (!parsed.ok()) {
      EXPECT_THAT(parsed, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
      continue;
    }
    ++parsed_ok;
    (void)ValidateCertificate(parsed->certificate);
    (void)VerifyCertificateSignature(*parsed, key_.public_key());
    const std::string again = CertificateToJson(*parsed).dump();
    const Result<SignedCertificate> reparsed = ParseCertificateJson(again);
    ASSERT_TRUE(reparsed.ok()) << reparsed.status().ToString();
    EXPECT_EQ(*reparsed, *parsed);
  }
  // Some mutations (inside string values) still parse; the loop exercised
  // both paths.
  EXPECT_GT(parsed_ok, 0);
}

}  // namespace
}  // namespace citycode::vault
