#include "common/bytes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/support/status_matchers.h"

namespace citycode {
namespace {

using ::citycode::testing::StatusIs;

TEST(Hex, EncodesLowerCase) {
  EXPECT_EQ(ToHex(Bytes{}), "");
  EXPECT_EQ(ToHex(Bytes{0x00, 0x01, 0xab, 0xff}), "0001abff");
}

TEST(Hex, DecodesEitherCase) {
  Result<Bytes> lower = FromHex("0001abff");
  Result<Bytes> upper = FromHex("0001ABFF");
  ASSERT_TRUE(lower.ok() && upper.ok());
  EXPECT_EQ(*lower, (Bytes{0x00, 0x01, 0xab, 0xff}));
  EXPECT_EQ(*upper, *lower);
  Result<Bytes> empty = FromHex("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(Hex, RoundTripsEveryByte) {
  Bytes all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<std::uint8_t>(i));
  Result<Bytes> back = FromHex(ToHex(all));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, all);
}

TEST(Hex, RejectsBadInput) {
  EXPECT_EQ(FromHex("abc").status(), InvalidArgument("hex has an odd length"));
  for (const char* bad : {"0g", "g0", "zz", "0x12", "12 34", " 1234", "1234 ", "12:34", "12\n"}) {
    EXPECT_THAT(FromHex(bad), StatusIs(StatusCode::kInvalidArgument, "invalid_argument")) << bad;
  }
}

// RFC 4648 §10.
struct Rfc4648 {
  const char* text;
  const char* base64;
  const char* base64url;
};
constexpr Rfc4648 kRfc4648[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

TEST(Base64, Rfc4648Vectors) {
  for (const Rfc4648& v : kRfc4648) {
    SCOPED_TRACE(v.text);
    EXPECT_EQ(Base64Encode(AsBytes(v.text)), v.base64);
    EXPECT_EQ(Base64UrlEncode(AsBytes(v.text)), v.base64url);
    Result<Bytes> std_back = Base64Decode(v.base64);
    Result<Bytes> url_back = Base64UrlDecode(v.base64url);
    ASSERT_TRUE(std_back.ok() && url_back.ok());
    EXPECT_EQ(AsChars(*std_back), v.text);
    EXPECT_EQ(AsChars(*url_back), v.text);
  }
}

TEST(Base64, AlphabetsDiffer) {
  const Bytes bytes = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(Base64Encode(bytes), "+/+/");
  EXPECT_EQ(Base64UrlEncode(bytes), "-_-_");
  EXPECT_THAT(Base64Decode("-_-_"), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(Base64UrlDecode("+/+/"), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

TEST(Base64, RoundTripsEveryLength) {
  Bytes bytes;
  for (int n = 0; n < 70; ++n) {
    Result<Bytes> std_back = Base64Decode(Base64Encode(bytes));
    Result<Bytes> url_back = Base64UrlDecode(Base64UrlEncode(bytes));
    ASSERT_TRUE(std_back.ok() && url_back.ok()) << n;
    EXPECT_EQ(*std_back, bytes);
    EXPECT_EQ(*url_back, bytes);
    bytes.push_back(static_cast<std::uint8_t>(n * 37 + 200));
  }
}

TEST(Base64, RejectsBadInput) {
  for (const char* bad : {"Zg", "Zg=", "Zm8", "Zm9v!", "Zm9v\n", " Zm9v", "Zm 9v",
                          "Zm9v=", "Zg===", "=Zg=", "Z", "Zh==" /* non-zero trailing bits */}) {
    EXPECT_THAT(Base64Decode(bad), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << bad;
  }
}

TEST(Base64Url, RejectsPaddingAndBadInput) {
  // JOSE forbids padding (RFC 7515 §2).
  for (const char* bad : {"Zg==", "Zg=", "Zm8=", "Zm9vYg==", "Z", "Zm9v!", "Zm9v ", "Zh"}) {
    EXPECT_THAT(Base64UrlDecode(bad), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << bad;
  }
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEqual(Bytes{}, Bytes{}));
  EXPECT_TRUE(ConstantTimeEqual(Bytes{1, 2, 3}, Bytes{1, 2, 3}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2, 3}, Bytes{1, 2, 4}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2, 3}, Bytes{1, 2}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{}, Bytes{0}));
}

TEST(Bytes, StringViews) {
  const std::string text("a\0b", 3);
  const Bytes bytes = ToBytes(text);
  EXPECT_EQ(bytes, (Bytes{'a', 0, 'b'}));
  EXPECT_EQ(AsChars(bytes), text);
  EXPECT_EQ(AsBytes(text).size(), 3u);
}

}  // namespace
}  // namespace citycode
