#include "code/base45.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "tests/support/status_matchers.h"
#include "tests/support/vectors.h"

namespace citycode::code {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;

// base45/base45_vectors.json: valid entries encode to and decode from their
// text exactly; invalid ones fail to decode.
TEST(Base45Vectors, EveryEntry) {
  const nlohmann::json vectors = testing::LoadVectorJson("base45/base45_vectors.json");
  ASSERT_TRUE(vectors.is_array());
  int valid = 0;
  int invalid = 0;
  for (const auto& entry : vectors) {
    const std::string text = entry.at("base45").get<std::string>();
    SCOPED_TRACE("base45 \"" + text + "\" from " + entry.value("source", ""));
    if (entry.at("valid").get<bool>()) {
      ++valid;
      const Result<Bytes> bytes = FromHex(entry.at("hex").get<std::string>());
      ASSERT_TRUE(bytes.ok());
      EXPECT_EQ(Base45Encode(*bytes), text);
      const Result<Bytes> decoded = Base45Decode(text);
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      EXPECT_EQ(*decoded, *bytes);
      if (entry.at("text").is_string()) {
        EXPECT_EQ(AsChars(*decoded), entry.at("text").get<std::string>());
      }
    } else {
      ++invalid;
      const Result<Bytes> decoded = Base45Decode(text);
      EXPECT_THAT(decoded, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
          << "expected refusal: " << entry.value("reason", "invalid");
    }
  }
  EXPECT_EQ(valid, 16);
  EXPECT_EQ(invalid, 7);
}

TEST(Base45, RfcExamples) {
  EXPECT_EQ(Base45Encode(AsBytes("AB")), "BB8");
  EXPECT_EQ(Base45Encode(AsBytes("Hello!!")), "%69 VD92EX0");
  EXPECT_EQ(Base45Encode(AsBytes("base-45")), "UJCLQE7W581");
  const Result<Bytes> ietf = Base45Decode("QED8WEX0");
  ASSERT_TRUE(ietf.ok());
  EXPECT_EQ(AsChars(*ietf), "ietf!");
}

TEST(Base45, RoundTripsEveryByteValueAndLength) {
  Bytes bytes;
  for (int i = 0; i < 600; ++i) {
    bytes.push_back(static_cast<std::uint8_t>((i * 7919) & 0xFF));
    const std::string text = Base45Encode(bytes);
    ASSERT_EQ(text.size(), bytes.size() / 2 * 3 + bytes.size() % 2 * 2);
    const Result<Bytes> back = Base45Decode(text);
    ASSERT_TRUE(back.ok()) << bytes.size();
    ASSERT_EQ(*back, bytes);
  }
}

TEST(Base45, LimitsAndEdges) {
  // Exactly at the limit decodes; one character over is refused before work.
  const std::string at_limit(30, '0');
  EXPECT_TRUE(Base45Decode(at_limit, 30).ok());
  const auto too_long =
      StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("too long"));
  EXPECT_THAT(Base45Decode(at_limit, 29), too_long);
  // The default limit is 16 KiB of text (16383 and 16386 are multiples of 3).
  EXPECT_TRUE(Base45Decode(std::string(16 * 1024 - 1, '0')).ok());
  EXPECT_THAT(Base45Decode(std::string(16 * 1024 + 2, '0')), too_long);

  EXPECT_TRUE(Base45Decode("FGW").ok());  // 65535, the largest triplet
  EXPECT_THAT(Base45Decode("GGW"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("65535")));
  EXPECT_TRUE(Base45Decode("U5").ok());  // 255, the largest final pair
  EXPECT_THAT(Base45Decode("V5"),        // 256
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("255")));
  const auto outside_alphabet =
      StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("alphabet"));
  EXPECT_THAT(Base45Decode("bb8"), outside_alphabet);  // lower case
  EXPECT_THAT(Base45Decode(std::string("B\0"
                                       "8",
                                       3)),
              outside_alphabet);
  EXPECT_THAT(Base45Decode("BB\xC3"), outside_alphabet);
  EXPECT_THAT(Base45Decode("BB\n"), outside_alphabet);
  // Four characters are refused for their length before any is looked at.
  EXPECT_THAT(Base45Decode("BB8\n"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("length")));
  const Result<Bytes> empty = Base45Decode("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace citycode::code
