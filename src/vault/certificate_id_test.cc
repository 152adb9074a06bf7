#include "vault/certificate_id.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/support/status_matchers.h"

namespace citycode::vault {
namespace {

using ::citycode::testing::StatusIs;

// A real identifier in the GB/T 36904 form.
constexpr std::string_view kRealId =
    "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F";
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

TEST(CertificateIdTest, ParsesARealIdentifier) {
  const Result<CertificateId> id = ParseCertificateId(kRealId);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->type_code, "11100000000013338W032");
  EXPECT_EQ(id->issuer_code, "11220000013544541J");
  EXPECT_EQ(id->serial, "2430599");
  EXPECT_EQ(id->version, 1);
  EXPECT_EQ(id->check, 'F');
  EXPECT_TRUE(id->HasValidCheckCharacter());
  EXPECT_EQ(id->ToString(), kRealId);
}

TEST(CertificateIdTest, WrongCheckCharacterParsesButIsNotValid) {
  std::string text(kRealId);
  text.back() = 'G';
  const Result<CertificateId> id = ParseCertificateId(text);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_FALSE(id->HasValidCheckCharacter());
  EXPECT_EQ(id->ToString(), text);
}

TEST(CertificateIdTest, MakeComputesTheCheckCharacter) {
  const Result<CertificateId> id =
      MakeCertificateId("11100000000013338W032", "11220000013544541J", "2430599", 1);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->check, 'F');
  EXPECT_EQ(id->ToString(), kRealId);
  EXPECT_EQ(Mod3736CheckCharacter("11100000000013338W03211220000013544541J2430599001"), 'F');
}

TEST(CertificateIdTest, MakeWritesTheVersionWithThreeDigits) {
  const Result<CertificateId> id =
      MakeCertificateId("11100000000013338W032", "11220000013544541J", "A1", 42);
  ASSERT_TRUE(id.ok());
  const Result<CertificateId> parsed = ParseCertificateId(id->ToString());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, *id);
  EXPECT_NE(id->ToString().find(".042."), std::string::npos);
  EXPECT_TRUE(parsed->HasValidCheckCharacter());
}

TEST(CertificateIdTest, MakeRefusesBadParts) {
  const auto code = [](std::string_view type, std::string_view issuer, std::string_view serial,
                       int version) {
    return MakeCertificateId(type, issuer, serial, version).status().code();
  };
  constexpr auto kBad = StatusCode::kInvalidArgument;
  EXPECT_EQ(code("11100000000013338W03", "11220000013544541J", "1", 1), kBad);
  EXPECT_EQ(code("11100000000013338W032", "11220000013544541j", "1", 1), kBad);
  EXPECT_EQ(code("11100000000013338W032", "11220000013544541J", "", 1), kBad);
  EXPECT_EQ(code("11100000000013338W032", "11220000013544541J", std::string(33, '1'), 1), kBad);
  EXPECT_EQ(code("11100000000013338W032", "11220000013544541J", "1", 0), kBad);
  EXPECT_EQ(code("11100000000013338W032", "11220000013544541J", "1", 1000), kBad);
  EXPECT_EQ(code("11100000000013338W032", "11220000013544541J", std::string(32, 'Z'), 999),
            StatusCode::kOk);
}

struct Malformed {
  const char* what;
  std::string text;
  const char* message_part;  // the message names the bad part
};

TEST(CertificateIdTest, RefusesMalformedText) {
  const std::string prefix = "1.2.156.3005.2.";
  const std::string good_tail = "11100000000013338W032.11220000013544541J.2430599.001.F";
  const std::vector<Malformed> cases = {
      {"empty", "", "start with"},
      {"missing prefix", good_tail, "start with"},
      {"other arc", "1.2.156.3005.3." + good_tail, "start with"},
      {"short type code", prefix + "1110000000013338W032.11220000013544541J.2430599.001.F",
       "type code"},
      {"lower case type", prefix + "11100000000013338w032.11220000013544541J.2430599.001.F",
       "type code"},
      {"lower case issuer", prefix + "11100000000013338W032.11220000013544541j.2430599.001.F",
       "issuer code"},
      {"short issuer", prefix + "11100000000013338W032.1122000001354454J.2430599.001.F",
       "issuer code"},
      {"lower case serial", prefix + "11100000000013338W032.11220000013544541J.243a599.001.F",
       "serial"},
      {"empty serial", prefix + "11100000000013338W032.11220000013544541J..001.F", "serial"},
      {"long serial",
       prefix + "11100000000013338W032.11220000013544541J." + std::string(33, '7') + ".001.F",
       "serial"},
      {"version 000", prefix + "11100000000013338W032.11220000013544541J.2430599.000.F", "version"},
      {"version 1", prefix + "11100000000013338W032.11220000013544541J.2430599.1.F", "version"},
      {"version 0010", prefix + "11100000000013338W032.11220000013544541J.2430599.0010.F",
       "version"},
      {"version with sign", prefix + "11100000000013338W032.11220000013544541J.2430599.+01.F",
       "version"},
      {"lower case check", prefix + "11100000000013338W032.11220000013544541J.2430599.001.f",
       "check character"},
      {"two check characters", prefix + "11100000000013338W032.11220000013544541J.2430599.001.FF",
       "check character"},
      {"missing check", prefix + "11100000000013338W032.11220000013544541J.2430599.001", "5 parts"},
      {"trailing dot", std::string(kRealId) + ".", "5 parts"},
      {"extra dot", prefix + "11100000000013338W032..11220000013544541J.2430599.001.F", "5 parts"},
      {"extra part", prefix + "11100000000013338W032.11220000013544541J.2430599.001.001.F",
       "5 parts"},
      {"too long",
       prefix + "11100000000013338W032.11220000013544541J." + std::string(70, '7') + ".001.F",
       "longer than"},
      {"non-ASCII", prefix + "11100000000013338W032.11220000013544541J.2430\xe4\xb8\x80.001.F",
       "serial"},
      {"NUL byte",
       prefix + std::string("11100000000013338W032.11220000013544541J.24\0"
                            "0599.001.F",
                            54),
       "serial"},
      {"space", " " + std::string(kRealId), "start with"},
  };
  for (const Malformed& c : cases) {
    EXPECT_THAT(ParseCertificateId(c.text),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                         ::testing::HasSubstr(c.message_part)))
        << c.what;
  }
}

// MOD 37,36 detects every single substitution: changing any one character of
// the payload to another character of the alphabet changes the check
// character.
TEST(CertificateIdTest, CheckCharacterDetectsEverySingleSubstitution) {
  const CertificateId id = *ParseCertificateId(kRealId);
  const std::string payload = id.type_code + id.issuer_code + id.serial + "001";
  ASSERT_EQ(Mod3736CheckCharacter(payload), 'F');
  int tried = 0;
  for (std::size_t at = 0; at < payload.size(); ++at) {
    for (char replacement : kAlphabet) {
      if (replacement == payload[at]) continue;
      std::string changed = payload;
      changed[at] = replacement;
      EXPECT_NE(Mod3736CheckCharacter(changed), 'F') << "position " << at << " -> " << replacement;
      ++tried;
    }
  }
  EXPECT_EQ(tried, static_cast<int>(payload.size()) * 35);
}

// The same, through the parsed form: a substituted identifier (version digits
// included) parses but fails its check.
TEST(CertificateIdTest, SubstitutedIdentifierFailsItsCheck) {
  const std::string text(kRealId);
  const std::size_t payload_start = kCertificateIdPrefix.size();
  const std::size_t payload_end = text.size() - 2;  // ".F"
  for (std::size_t at = payload_start; at < payload_end; ++at) {
    if (text[at] == '.') continue;
    for (char replacement : kAlphabet) {
      if (replacement == text[at]) continue;
      std::string changed = text;
      changed[at] = replacement;
      const Result<CertificateId> id = ParseCertificateId(changed);
      if (!id.ok()) {
        // Only the version refuses letters or 000.
        EXPECT_GE(at, payload_end - 3) << changed;
        continue;
      }
      EXPECT_FALSE(id->HasValidCheckCharacter()) << changed;
    }
  }
}

TEST(CertificateIdTest, ManuallyBuiltIdWithBadPartsIsNotValid) {
  CertificateId id = *ParseCertificateId(kRealId);
  id.version = 0;
  EXPECT_FALSE(id.HasValidCheckCharacter());
  id.version = 1;
  id.serial = "2430599a";
  EXPECT_FALSE(id.HasValidCheckCharacter());
}

TEST(CertificateIdTest, CreditCodeShape) {
  EXPECT_TRUE(IsValidCreditCodeShape("11220000013544541J"));
  EXPECT_TRUE(IsValidCreditCodeShape("91370282MA3C5XYZ0Q"));
  EXPECT_FALSE(IsValidCreditCodeShape("11220000013544541"));
  EXPECT_FALSE(IsValidCreditCodeShape("11220000013544541JJ"));
  EXPECT_FALSE(IsValidCreditCodeShape("11220000013544541j"));
  EXPECT_FALSE(IsValidCreditCodeShape("1122000001354454-J"));
  EXPECT_FALSE(IsValidCreditCodeShape(""));
}

}  // namespace
}  // namespace citycode::vault
