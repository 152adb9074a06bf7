#include "code/internal/cbor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/hex.h"
#include "tests/support/status_matchers.h"

namespace citycode::code::internal {
namespace {

using ::citycode::testing::Hex;
using ::citycode::testing::StatusIs;
using ::testing::HasSubstr;

// Expects DecodeStrict to refuse `hex` with invalid_argument and a message
// containing `why`.
void ExpectRejected(std::string_view hex, std::string_view why, const CborLimits& limits = {}) {
  EXPECT_THAT(
      DecodeStrict(Hex(hex), limits),
      StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr(std::string(why))))
      << hex;
}

// Decodes `hex` strictly and encodes it again.
std::string RoundTrip(std::string_view hex) {
  const Result<CborPtr> item = DecodeStrict(Hex(hex));
  if (!item.ok()) return "error: " + item.status().ToString();
  return ToHex(Encode(**item));
}

TEST(CborBuild, EncodesShortestIntegers) {
  const std::vector<std::pair<std::int64_t, std::string>> cases = {
      {0, "00"},
      {23, "17"},
      {24, "1818"},
      {255, "18ff"},
      {256, "190100"},
      {65535, "19ffff"},
      {65536, "1a00010000"},
      {4294967295, "1affffffff"},
      {4294967296, "1b0000000100000000"},
      {std::numeric_limits<std::int64_t>::max(), "1b7fffffffffffffff"},
      {-1, "20"},
      {-7, "26"},
      {-24, "37"},
      {-25, "3818"},
      {-256, "38ff"},
      {-257, "390100"},
      {-65537, "3a00010000"},
      {-4294967297, "3b0000000100000000"},
      {std::numeric_limits<std::int64_t>::min(), "3b7fffffffffffffff"},
  };
  for (const auto& [value, hex] : cases) {
    const CborPtr item = MakeInt(value);
    EXPECT_EQ(ToHex(Encode(*item)), hex) << value;
    EXPECT_EQ(AsInt(*item), value);
    const Result<CborPtr> back = DecodeStrict(Hex(hex));
    ASSERT_TRUE(back.ok()) << hex;
    EXPECT_EQ(AsInt(**back), value) << hex;
  }
}

TEST(CborBuild, CoseStyleMapAndArray) {
  CborPtr header = MakeMap(2);
  MapPut(*header, MakeInt(1), MakeInt(-7));
  const std::uint8_t kid[] = {'1', '1'};
  MapPut(*header, MakeInt(4), MakeBytes(kid));
  EXPECT_EQ(ToHex(Encode(*header)), "a2012604423131");

  CborPtr array = MakeArray(4);
  ArrayPush(*array, MakeBytes(Encode(*header)));
  ArrayPush(*array, MakeMap(0));
  ArrayPush(*array, MakeText("hi"));
  ArrayPush(*array, MakeBytes({}));
  const CborPtr tagged = MakeTag(18, std::move(array));
  EXPECT_EQ(ToHex(Encode(*tagged)), "d28447a2012604423131a062686940");
}

TEST(CborBuild, FewerItemsThanCapacityEncodeOnlyThoseItems) {
  CborPtr map = MakeMap(9);
  MapPut(*map, MakeInt(1), MakeText(""));
  EXPECT_EQ(ToHex(Encode(*map)), "a10160");
  CborPtr array = MakeArray(3);
  ArrayPush(*array, MakeInt(5));
  EXPECT_EQ(ToHex(Encode(*array)), "8105");
}

TEST(CborBuild, EncodeGrowsPastItsFirstBuffer) {
  const Bytes big(5000, 0xAB);
  const CborPtr item = MakeBytes(big);
  const Bytes encoded = Encode(*item);
  ASSERT_EQ(encoded.size(), 5003u);
  EXPECT_EQ(ToHex(ByteView(encoded).first(3)), "591388");
  const Result<CborPtr> back = DecodeStrict(encoded);
  ASSERT_TRUE(back.ok());
  const auto bytes = AsBytes(**back);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_TRUE(std::equal(bytes->begin(), bytes->end(), big.begin(), big.end()));
}

TEST(CborDecode, RoundTripsWellFormedItems) {
  for (const char* hex : {
           "00",
           "17",
           "1818",
           "1b7fffffffffffffff",
           "1bffffffffffffffff",
           "20",
           "3bffffffffffffffff",
           "40",
           "4401020304",
           "60",
           "6449455446",
           "80",
           "83010203",
           "a0",
           "a201020304",
           "a2616101616202",      // text keys
           "a241010142010202",    // byte-string keys
           "a28201020182010301",  // array keys that differ
           "f4",
           "f5",
           "f6",
           "f7",
           "f93c00",
           "fa47c35000",
           "fb3ff199999999999a",
           "c074323031332d30332d32315432303a30343a30305a",  // tag 0 (one-byte head)
           "d280",
           "c601",
           "d4820102",
           "d5420102",
           "d818420102",
           "d9d9f700",
           "8218ff190100",  // non-shortest integer heads are kept as sent
           "d28443a10126a10442313154546869732069732074686520636f6e74656e742e40",
       }) {
    EXPECT_EQ(RoundTrip(hex), hex) << hex;
  }
}

TEST(CborDecode, AcceptsShortTagsThatLibcbor08Rejects) {
  // 0xC6..0xD4 are tags 6..20 in one byte; libcbor 0.8 calls them unassigned.
  for (int head = 0xC6; head <= 0xD4; ++head) {
    const Bytes input = {static_cast<std::uint8_t>(head), 0x01};
    const Result<CborPtr> item = DecodeStrict(input);
    ASSERT_TRUE(item.ok()) << head << ": " << item.status().ToString();
    ASSERT_TRUE(cbor_isa_tag(item->get()));
    EXPECT_EQ(cbor_tag_value(item->get()), static_cast<std::uint64_t>(head - 0xC0));
    const cbor_item_t* inner = TagItem(**item);
    ASSERT_NE(inner, nullptr);
    EXPECT_EQ(AsInt(*inner), 1);
    EXPECT_EQ(Encode(**item), input);
  }
  // Several, nested and side by side.
  EXPECT_EQ(RoundTrip("d2d283d201c602d404"), "d2d283d201c602d404");
}

TEST(CborDecode, RejectsIndefiniteLengths) {
  ExpectRejected("9f01ff", "indefinite");
  ExpectRejected("9fff", "indefinite");
  ExpectRejected("bf0102ff", "indefinite");
  ExpectRejected("5f410041ff", "indefinite");  // bytes, chunked
  ExpectRejected("5fff", "indefinite");
  ExpectRejected("7f616161ff", "indefinite");  // text, chunked
  ExpectRejected("ff", "indefinite");          // a lone break
  ExpectRejected("8201ff", "indefinite");      // a break where an item belongs
  ExpectRejected("a1019f01ff", "indefinite");  // nested
}

TEST(CborDecode, RejectsDuplicateMapKeys) {
  ExpectRejected("a201000101", "duplicate");
  ExpectRejected("a20100180101", "duplicate");            // 0x01 and 0x1801 are both 1
  ExpectRejected("a22000380001", "duplicate");            // -1 twice, once non-shortest
  ExpectRejected("a2616100616101", "duplicate");          // text keys
  ExpectRejected("a24201020042010201", "duplicate");      // byte-string keys
  ExpectRejected("a2f93c0000fa3f80000001", "duplicate");  // 1.0 as half and as single
  ExpectRejected("a2d8180100d8180101", "duplicate");      // tagged keys
  ExpectRejected("81a201000101", "duplicate");            // inside an array
  ExpectRejected("a101a201000101", "duplicate");          // inside a value
  ExpectRejected("a1a20100010100", "duplicate");          // inside a key
  ExpectRejected("d818a201000101", "duplicate");          // under a tag

  // Large maps take the sorting path: keys 0..9, then 5 again.
  std::string large = "ab";
  for (int k = 0; k < 10; ++k) large += "0" + std::to_string(k) + "00";
  ExpectRejected(large + "0500", "duplicate");
  EXPECT_EQ(RoundTrip("aa" + large.substr(2)), "aa" + large.substr(2));
}

TEST(CborDecode, DistinctKeysAreNotDuplicates) {
  EXPECT_EQ(RoundTrip("a201002100"), "a201002100");                  // 1 and -2
  EXPECT_EQ(RoundTrip("a20100613100"), "a20100613100");              // 1 and "1"
  EXPECT_EQ(RoundTrip("a3000040006000"), "a3000040006000");          // 0, h'' and ""
  EXPECT_EQ(RoundTrip("a2f93c0000f9400000"), "a2f93c0000f9400000");  // 1.0 and 2.0
  EXPECT_EQ(RoundTrip("a2f400f500"), "a2f400f500");                  // false and true
}

TEST(CborDecode, RejectsTrailingBytes) {
  ExpectRejected("0100", "trailing");
  ExpectRejected("8001", "trailing");
  ExpectRejected("a0a0", "trailing");
  ExpectRejected("d2840102030400", "trailing");
}

TEST(CborDecode, RejectsTruncatedInput) {
  ExpectRejected("", "empty");
  ExpectRejected("4231", "truncated");
  // A container whose items cannot all fit is refused at its head.
  ExpectRejected("8201", "declared length");
  ExpectRejected("a101", "declared length");
  ExpectRejected("d2", "declared length");
  ExpectRejected("d818", "declared length");
  ExpectRejected("d919", "truncated");  // the tag's own head is cut
  ExpectRejected("1901", "truncated");
  ExpectRejected("3b00000000", "truncated");
  ExpectRejected("5bffffffffffffffff00", "truncated");  // a huge byte string
  ExpectRejected("7a7fffffff00", "truncated");          // a huge text string
  ExpectRejected("d28443a10126a0", "truncated");
}

TEST(CborDecode, RejectsHugeDeclaredCountsBeforeLibcborAllocates) {
  // Were these handed to cbor_load it would try to allocate for the count
  // (and fail with a memory error, or succeed with gigabytes); the validation
  // pass refuses them from the head alone.
  ExpectRejected("9bffffffffffffffff", "declared length");
  ExpectRejected("9bffffffffffffffff00", "declared length");
  ExpectRejected("bbffffffffffffffff0000", "declared length");
  ExpectRejected("bb8000000000000000", "declared length");  // 2 × count overflows
  ExpectRejected("9a1000000000", "declared length");
  ExpectRejected("82019a10000000", "declared length");
  // A map of N pairs needs 2N bytes, an array of N items N bytes.
  ExpectRejected("a301020304", "declared length");
  EXPECT_EQ(RoundTrip("83010203"), "83010203");
  EXPECT_EQ(RoundTrip("a3010203040506"), "a3010203040506");
  // Counted against everything still owed: [x, [3 items]] with 3 bytes left.
  ExpectRejected("8283010203", "declared length");
}

TEST(CborDecode, EnforcesMaxDepth) {
  const auto nested = [](std::string_view head, int n, std::string_view leaf) {
    std::string hex;
    for (int i = 0; i < n; ++i) hex += head;
    return hex + std::string(leaf);
  };
  EXPECT_TRUE(DecodeStrict(Hex(nested("81", 8, "00"))).ok());
  ExpectRejected(nested("81", 9, "00"), "deeply");
  ExpectRejected(nested("81", 8, "80"), "deeply");  // the empty array is the 9th level
  EXPECT_TRUE(DecodeStrict(Hex(nested("a101", 8, "00"))).ok());
  ExpectRejected(nested("a101", 9, "00"), "deeply");
  EXPECT_TRUE(DecodeStrict(Hex(nested("c1", 8, "00"))).ok());  // tags count too
  ExpectRejected(nested("c1", 9, "00"), "deeply");
  ExpectRejected(nested("d2", 9, "00"), "deeply");

  const CborLimits two{.max_bytes = 1024, .max_depth = 2};
  EXPECT_TRUE(DecodeStrict(Hex("818100"), two).ok());
  EXPECT_TRUE(DecodeStrict(Hex("a101a10100"), two).ok());
  ExpectRejected("81818100", "deeply", two);
  ExpectRejected("d28180", "deeply", two);
  const CborLimits zero{.max_bytes = 1024, .max_depth = 0};
  EXPECT_TRUE(DecodeStrict(Hex("4100"), zero).ok());
  ExpectRejected("80", "deeply", zero);

  // Far deeper than any limit: refused without recursion trouble.
  ExpectRejected(nested("81", 5000, "00"), "deeply");
  EXPECT_THAT(DecodeStrict(Hex(nested("81", 5000, "00")), {.max_bytes = 8192, .max_depth = 100}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("deeply")));
}

TEST(CborDecode, EnforcesMaxBytes) {
  Bytes at_limit = {0x59, 0x1F, 0xFD};  // a byte string filling 8192 bytes
  at_limit.resize(8192, 0x00);
  EXPECT_TRUE(DecodeStrict(at_limit).ok());
  Bytes over = {0x59, 0x1F, 0xFE};
  over.resize(8193, 0x00);
  EXPECT_THAT(DecodeStrict(over),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("too large")));

  const CborLimits four{.max_bytes = 4, .max_depth = 8};
  EXPECT_TRUE(DecodeStrict(Hex("43010203"), four).ok());
  ExpectRejected("4401020304", "too large", four);
}

TEST(CborDecode, RejectsMalformedHeads) {
  for (const char* hex :
       {"1c", "1d", "1e", "1f", "3c", "5c", "7d", "9e", "bc", "dc", "df", "fc", "fe"}) {
    ExpectRejected(hex, "malformed");
  }
  // Simple values other than false/true/null/undefined are well formed but
  // libcbor 0.8 cannot represent them; CC1 never uses them.
  ExpectRejected("e0", "malformed");
  ExpectRejected("f820", "malformed");
}

TEST(CborDecode, AcceptsOnlyHalfFloatsLibcborWritesBack) {
  for (const char* hex : {"f93c00", "f90000", "f98000", "f97c00", "f9fc00", "f97e00", "f90001",
                          "f90002", "f90400", "f97bff"}) {
    EXPECT_EQ(RoundTrip(hex), hex) << hex;
  }
  // A NaN with a payload and a subnormal that libcbor would rewrite.
  ExpectRejected("f97e01", "half-precision");
  ExpectRejected("f90003", "half-precision");
  // Else these distinct keys would encode as duplicates.
  ExpectRejected("a2f9000300f9000201", "half-precision");
  // Wider floats are written back as read, NaN payloads included.
  EXPECT_EQ(RoundTrip("fa7fc00001"), "fa7fc00001");
  EXPECT_EQ(RoundTrip("fb7ff8000000000001"), "fb7ff8000000000001");
}

TEST(CborRead, IntegerRanges) {
  struct Case {
    const char* hex;
    std::optional<std::int64_t> as_int;
    std::optional<std::uint64_t> as_uint;
  };
  const Case cases[] = {
      {"00", 0, 0},
      {"1b7fffffffffffffff", std::numeric_limits<std::int64_t>::max(),
       std::uint64_t{std::numeric_limits<std::int64_t>::max()}},
      {"1b8000000000000000", std::nullopt, std::uint64_t{1} << 63},
      {"1bffffffffffffffff", std::nullopt, std::numeric_limits<std::uint64_t>::max()},
      {"20", -1, std::nullopt},
      {"3b7fffffffffffffff", std::numeric_limits<std::int64_t>::min(), std::nullopt},
      {"3b8000000000000000", std::nullopt, std::nullopt},  // -2^63 - 1
      {"3bffffffffffffffff", std::nullopt, std::nullopt},  // -2^64
      {"1800", 0, 0},
      {"3a00010000", -65537, std::nullopt},
      {"f93c00", std::nullopt, std::nullopt},  // 1.0 is not an integer here
      {"fb3ff0000000000000", std::nullopt, std::nullopt},
      {"6131", std::nullopt, std::nullopt},
      {"4101", std::nullopt, std::nullopt},
      {"c11a514b67b0", std::nullopt, std::nullopt},  // a tagged integer
      {"f6", std::nullopt, std::nullopt},
  };
  for (const Case& c : cases) {
    const Result<CborPtr> item = DecodeStrict(Hex(c.hex));
    ASSERT_TRUE(item.ok()) << c.hex;
    EXPECT_EQ(AsInt(**item), c.as_int) << c.hex;
    // CborReader reads the same head without an item tree.
    const Bytes bytes = Hex(c.hex);
    CborReader reader(bytes);
    CborHead head;
    ASSERT_TRUE(reader.Next(head)) << c.hex;
    EXPECT_EQ(AsInt(head), c.as_int) << c.hex;
    EXPECT_EQ(head.kind == CborHead::Kind::kUint ? std::optional(head.value) : std::nullopt,
              c.as_uint)
        << c.hex;
  }
}

TEST(CborReader, ReadsHeadsInOrderAndRefusesIndefiniteOrTruncatedInput) {
  // [h'31', "x", {}] then nothing.
  const Bytes bytes = Hex("8341316178a0");
  CborReader reader(bytes);
  CborHead head;
  ASSERT_TRUE(reader.Next(head));
  EXPECT_EQ(head.kind, CborHead::Kind::kArray);
  EXPECT_EQ(head.value, 3u);
  ASSERT_TRUE(reader.Next(head));
  EXPECT_EQ(head.kind, CborHead::Kind::kBytes);
  EXPECT_EQ(AsChars(head.bytes), "1");
  ASSERT_TRUE(reader.Next(head));
  EXPECT_EQ(head.kind, CborHead::Kind::kText);
  EXPECT_EQ(AsChars(head.bytes), "x");
  ASSERT_TRUE(reader.Next(head));
  EXPECT_EQ(head.kind, CborHead::Kind::kMap);
  EXPECT_EQ(head.value, 0u);
  EXPECT_TRUE(reader.AtEnd());
  EXPECT_FALSE(reader.Next(head));

  for (const char* hex : {"9f01ff", "bf0101ff", "5f4101ff", "7f6161ff", "44313131", "1a0001"}) {
    const Bytes input = Hex(hex);
    CborReader refusing(input);
    EXPECT_FALSE(refusing.Next(head)) << hex;
  }
}

TEST(CborRead, BytesTextMapsAndTags) {
  const Result<CborPtr> text = DecodeStrict(Hex("6449455446"));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(AsText(**text), "IETF");
  EXPECT_EQ(AsBytes(**text), std::nullopt);

  const Result<CborPtr> bytes = DecodeStrict(Hex("4449455446"));
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(AsBytes(**bytes).has_value());
  EXPECT_EQ(AsChars(*AsBytes(**bytes)), "IETF");
  EXPECT_EQ(AsText(**bytes), std::nullopt);

  const Result<CborPtr> empty = DecodeStrict(Hex("40"));
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE(AsBytes(**empty).has_value());
  EXPECT_TRUE(AsBytes(**empty)->empty());
  const Result<CborPtr> empty_text = DecodeStrict(Hex("60"));
  ASSERT_TRUE(empty_text.ok());
  EXPECT_EQ(AsText(**empty_text), "");

  // {1: -7, 4: h'3131', "x": 1, -65537: 5}
  const Result<CborPtr> map = DecodeStrict(Hex("a40126044231316178013a0001000005"));
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  ASSERT_NE(MapFind(**map, 1), nullptr);
  EXPECT_EQ(AsInt(*MapFind(**map, 1)), -7);
  ASSERT_NE(MapFind(**map, 4), nullptr);
  EXPECT_EQ(AsChars(*AsBytes(*MapFind(**map, 4))), "11");
  ASSERT_NE(MapFind(**map, -65537), nullptr);
  EXPECT_EQ(AsInt(*MapFind(**map, -65537)), 5);
  EXPECT_EQ(MapFind(**map, 2), nullptr);
  EXPECT_EQ(MapFind(**text, 1), nullptr);  // not a map

  const Result<CborPtr> tag = DecodeStrict(Hex("d8184101"));
  ASSERT_TRUE(tag.ok());
  ASSERT_NE(TagItem(**tag), nullptr);
  EXPECT_EQ(cbor_tag_value(tag->get()), 24u);
  EXPECT_TRUE(AsBytes(*TagItem(**tag)).has_value());
  EXPECT_EQ(TagItem(**bytes), nullptr);
}

// A small in-process fuzzer: random and mutated inputs must never crash, and
// whatever decodes must re-encode to a fixed point.
TEST(CborDecode, SurvivesRandomAndMutatedInput) {
  std::mt19937 rng(20240521);
  // A COSE_Sign1 carrying RFC 8392's example claims and a dummy signature.
  Bytes seed =
      Hex("d28443a10126a1044231315850a70175636f61703a2f2f61732e6578616d706c652e636f6d02656572696b77"
          "037818636f61703a2f2f6c696768742e6578616d706c652e636f6d041a5612aeb0051a5610d9f0061a5610d9"
          "f007420b715840");
  seed.resize(seed.size() + 64, 0x5A);
  ASSERT_TRUE(DecodeStrict(seed).ok());
  int decoded = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes input;
    if (round % 2 == 0) {
      input.resize(rng() % 24);
      for (auto& b : input) b = static_cast<std::uint8_t>(rng());
    } else {
      input = seed;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) {
        switch (rng() % 3) {
          case 0: input[rng() % input.size()] = static_cast<std::uint8_t>(rng()); break;
          case 1: input.resize(rng() % input.size() + 1); break;
          default:
            input.insert(input.begin() + static_cast<std::ptrdiff_t>(rng() % input.size()),
                         static_cast<std::uint8_t>(rng()));
        }
      }
    }
    const Result<CborPtr> item = DecodeStrict(input);
    if (!item.ok()) {
      ASSERT_THAT(item, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
      continue;
    }
    ++decoded;
    const Bytes once = Encode(**item);
    const Result<CborPtr> again = DecodeStrict(once, {.max_bytes = 1 << 16, .max_depth = 8});
    ASSERT_TRUE(again.ok()) << ToHex(input);
    ASSERT_EQ(Encode(**again), once) << ToHex(input);
  }
  EXPECT_GT(decoded, 100);
}

}  // namespace
}  // namespace citycode::code::internal
