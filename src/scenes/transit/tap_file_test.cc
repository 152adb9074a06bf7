#include "scenes/transit/tap_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "scenes/transit/rides.h"
#include "tests/support/status_matchers.h"

namespace citycode::transit {
namespace {

using ::citycode::testing::StatusIs;
using ::testing::StartsWith;

ScannedTap Scanned(std::string terminal, std::int64_t sequence, const char* at, std::string route,
                   std::string stop, Tap::Kind kind, std::string code) {
  auto instant = ParseRfc3339(at);
  EXPECT_TRUE(instant.ok()) << at;
  ScannedTap scanned{.code = std::move(code)};
  scanned.tap = Tap{.terminal_id = std::move(terminal),
                    .sequence = sequence,
                    .at = instant.ok() ? *instant : Instant{},
                    .route_id = std::move(route),
                    .stop_id = std::move(stop),
                    .kind = kind};
  return scanned;
}

std::vector<ScannedTap> Sample() {
  return {
      Scanned("M01-g1", 1, "2026-08-15T00:05:12Z", "metro_11", "M01", Tap::Kind::kEntry,
              "CC1:6BF+NAS2R$T8$2"),
      Scanned("M03-g2", 7, "2026-08-15T00:25:59Z", "metro_11", "M03", Tap::Kind::kExit,
              "CC1:ZZ 0/.:*%-+$"),
      Scanned("bus_1-v01", 123456789012, "2026-08-15T23:59:59Z", "bus_1", "B101", Tap::Kind::kBoard,
              "CC1:ABC"),
      // Fields that need quoting survive the trip.
      Scanned("gate \"7\", north", 0, "2028-02-29T12:00:00Z", "r,1", "s\"2", Tap::Kind::kBoard,
              "a \"code\", quoted"),
  };
}

void ExpectSame(const ScannedTap& a, const ScannedTap& b) {
  EXPECT_EQ(a.tap.terminal_id, b.tap.terminal_id);
  EXPECT_EQ(a.tap.sequence, b.tap.sequence);
  EXPECT_EQ(a.tap.at, b.tap.at);
  EXPECT_EQ(a.tap.route_id, b.tap.route_id);
  EXPECT_EQ(a.tap.stop_id, b.tap.stop_id);
  EXPECT_EQ(a.tap.kind, b.tap.kind);
  EXPECT_EQ(a.code, b.code);
}

std::string Write(const std::vector<ScannedTap>& taps) {
  std::ostringstream out;
  TapFileWriter writer(out);
  for (const ScannedTap& t : taps) EXPECT_TRUE(writer.Add(t).ok());
  EXPECT_TRUE(writer.Finish().ok());
  EXPECT_EQ(writer.rows(), static_cast<std::int64_t>(taps.size()));
  return out.str();
}

// All taps of `text`, or the first error.
Result<std::vector<ScannedTap>> ReadAll(const std::string& text, std::size_t chunk = 1000) {
  std::istringstream in(text);
  TapFileReader reader(in);
  std::vector<ScannedTap> all;
  for (;;) {
    CITYCODE_ASSIGN_OR_RETURN(auto taps, reader.Next(chunk));
    if (taps.empty()) return all;
    for (auto& t : taps) all.push_back(std::move(t));
  }
}

TEST(TapFileTest, WritesTheDocumentedFormat) {
  const std::string text = Write({Sample()[0], Sample()[3]});
  EXPECT_EQ(text,
            "terminal_id,sequence,at,route_id,stop_id,kind,code\n"
            "M01-g1,1,2026-08-15T00:05:12Z,metro_11,M01,entry,CC1:6BF+NAS2R$T8$2\n"
            "\"gate \"\"7\"\", north\",0,2028-02-29T12:00:00Z,\"r,1\",\"s\"\"2\",board,"
            "\"a \"\"code\"\", quoted\"\n");
  EXPECT_EQ(Write({}), std::string(kTapFileHeader) + "\n");
}

TEST(TapFileTest, TimesAreWrittenAsFormatRfc3339Does) {
  for (std::int64_t t : {std::int64_t{0}, std::int64_t{59}, std::int64_t{86399},
                         std::int64_t{951782400} /* 2000-02-29 */, std::int64_t{1786752000},
                         std::int64_t{253402300799} /* 9999-12-31T23:59:59Z */, std::int64_t{-1},
                         std::int64_t{1786752000 + 13 * 3600 + 7 * 60 + 5}}) {
    ScannedTap u = Sample()[0];
    u.tap.at = FromUnixSeconds(t);
    const std::string text = Write({u});
    EXPECT_NE(text.find("," + FormatRfc3339(u.tap.at) + ","), std::string::npos) << t;
    auto back = ReadAll(text);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ASSERT_EQ(back->size(), 1u);
    EXPECT_EQ((*back)[0].tap.at, u.tap.at) << t;
  }
}

TEST(TapFileTest, RoundTrip) {
  const std::vector<ScannedTap> taps = Sample();
  auto back = ReadAll(Write(taps));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), taps.size());
  for (std::size_t i = 0; i < taps.size(); ++i) ExpectSame((*back)[i], taps[i]);
}

TEST(TapFileTest, NextReturnsChunksThenEmpty) {
  std::vector<ScannedTap> taps;
  for (int i = 1; i <= 10; ++i) {
    ScannedTap u = Sample()[0];
    u.tap.sequence = i;
    taps.push_back(u);
  }
  std::istringstream in(Write(taps));
  TapFileReader reader(in);
  std::vector<std::size_t> sizes;
  for (int i = 0; i < 5; ++i) {
    auto chunk = reader.Next(4);
    ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
    sizes.push_back(chunk->size());
    for (std::size_t j = 0; j < chunk->size(); ++j) {
      EXPECT_EQ((*chunk)[j].tap.sequence, static_cast<std::int64_t>(i * 4 + j + 1));
    }
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{4, 4, 2, 0, 0}));
  EXPECT_EQ(reader.line(), 11);
  EXPECT_THAT(reader.Next(0), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

TEST(TapFileTest, AcceptsCrlfBomBlankLinesOffsetsAndColumnOrder) {
  const std::string text =
      "\xEF\xBB\xBF"
      "code,kind,terminal_id,sequence,at,route_id,stop_id,note\r\n"
      "\r\n"
      "CC1:A,entry,M01-g1,5,2026-08-15T08:00:00+08:00,metro_11,M01,x\r\n"
      "CC1:B,board,bus_1-v03,6,2026-08-15T00:00:01.250Z,bus_1,B101,\n"
      "\n"
      "CC1:C,exit,M02-g1,7,2026-08-15T00:10:00Z,metro_11,M02,last";  // no final newline
  auto taps = ReadAll(text, 2);
  ASSERT_TRUE(taps.ok()) << taps.status().ToString();
  ASSERT_EQ(taps->size(), 3u);
  const ScannedTap& a = (*taps)[0];
  EXPECT_EQ(a.code, "CC1:A");
  EXPECT_EQ(a.tap.kind, Tap::Kind::kEntry);
  EXPECT_EQ(a.tap.terminal_id, "M01-g1");
  EXPECT_EQ(a.tap.sequence, 5);
  EXPECT_EQ(a.tap.at, *ParseRfc3339("2026-08-15T00:00:00Z"));
  EXPECT_EQ((*taps)[1].tap.at, *ParseRfc3339("2026-08-15T00:00:01Z"));
  EXPECT_EQ((*taps)[1].code, "CC1:B");
  EXPECT_EQ((*taps)[2].code, "CC1:C");
  EXPECT_EQ((*taps)[2].tap.kind, Tap::Kind::kExit);
}

constexpr const char* kSecret = "CC1:SECRET-CODE-4711";

// A file whose line 3 is `row`, the lines around it good.
std::string WithBadLine3(const std::string& row) {
  const std::string good =
      std::string("M01-g1,1,2026-08-15T00:05:12Z,metro_11,M01,entry,") + kSecret + "\n";
  return std::string(kTapFileHeader) + "\n" + good + row + "\n" + good;
}

TEST(TapFileTest, BadRowsNameTheLineButNoValue) {
  const std::string long_id(kMaxTapIdBytes + 1, 'Z');
  const std::string long_code = "CC1:" + std::string(kMaxScannedCodeBytes, 'Z');
  const std::string tail = std::string(",") + kSecret;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"too few fields", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01" + tail},
      {"too many fields", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,entry,x" + tail},
      {"bad kind", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,SECRETKIND" + tail},
      {"bad time", "M01-g1,2,SECRET-08-15T00:05:12Z,metro_11,M01,entry" + tail},
      {"bad time 2", "M01-g1,2,2026-13-15T00:05:12Z,metro_11,M01,entry" + tail},
      {"bad sequence", "M01-g1,SECRET9,2026-08-15T00:05:12Z,metro_11,M01,entry" + tail},
      {"negative sequence", "M01-g1,-2,2026-08-15T00:05:12Z,metro_11,M01,entry" + tail},
      {"long code", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,entry," + long_code},
      {"long terminal", long_id + ",2,2026-08-15T00:05:12Z,metro_11,M01,entry" + tail},
      {"empty code", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,entry,"},
      {"empty stop", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,,entry" + tail},
      {"open quote", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,entry,\"" + tail.substr(1)},
      {"text after quote", "\"M01\"SECRET,2,2026-08-15T00:05:12Z,metro_11,M01,entry" + tail},
      {"control character", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,entry,CC1:a\tSECRET"},
      {"long line", std::string(kMaxTapFileLineBytes + 1, 'Z')},
  };
  for (const auto& [name, row] : cases) {
    auto taps = ReadAll(WithBadLine3(row));
    EXPECT_THAT(taps, StatusIs(StatusCode::kInvalidArgument, "invalid_argument", StartsWith("3: ")))
        << name;
    const std::string message = taps.status().message();
    EXPECT_EQ(message.find("SECRET"), std::string::npos) << name << ": " << message;
    EXPECT_EQ(message.find("ZZ"), std::string::npos) << name << ": " << message;
  }
}

TEST(TapFileTest, AWrongFieldCountSaysHowMany) {
  EXPECT_THAT(
      ReadAll(WithBadLine3("M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,entry,x,CC1:A")),
      StatusIs(StatusCode::kInvalidArgument, "invalid_argument", "3: 8 fields, the header has 7"));
  EXPECT_THAT(
      ReadAll(WithBadLine3(std::string(100, ','))),
      StatusIs(StatusCode::kInvalidArgument, "invalid_argument", "3: more fields than the limit"));
}

TEST(TapFileTest, AnErrorStopsTheReader) {
  std::istringstream in(WithBadLine3("nonsense"));
  TapFileReader reader(in);
  auto first = reader.Next(1);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->size(), 1u);
  auto second = reader.Next(10);
  EXPECT_THAT(second,
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument", StartsWith("3: ")));
  EXPECT_EQ(reader.Next(10).status(), second.status());
}

TEST(TapFileTest, BadHeaders) {
  for (const std::string& text :
       {std::string(), std::string("terminal_id,sequence,at,route_id,stop_id,kind,channel\n"),
        std::string(kMaxTapFileLineBytes + 10, 'x')}) {
    EXPECT_THAT(ReadAll(text),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument", StartsWith("1: ")))
        << text.size();
  }
  auto header_only = ReadAll(std::string(kTapFileHeader));
  ASSERT_TRUE(header_only.ok()) << header_only.status().ToString();
  EXPECT_TRUE(header_only->empty());
}

TEST(TapFileTest, WriterRefusesWhatItCannotWrite) {
  std::ostringstream out;
  TapFileWriter writer(out);
  ScannedTap no_code = Sample()[0];
  no_code.code.clear();
  ScannedTap long_code = Sample()[0];
  long_code.code = "CC1:secret" + std::string(kMaxScannedCodeBytes, 'Z');
  ScannedTap long_stop = Sample()[0];
  long_stop.tap.stop_id = std::string(kMaxTapIdBytes + 1, 's');
  ScannedTap newline = Sample()[0];
  newline.code = "CC1:secret\ncode";
  ScannedTap negative = Sample()[0];
  negative.tap.sequence = -1;
  for (const ScannedTap& bad : {no_code, long_code, long_stop, newline, negative}) {
    const Status status = writer.Add(bad);
    EXPECT_THAT(status, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
    EXPECT_EQ(status.message().find("secret"), std::string::npos) << status.message();
  }
  EXPECT_TRUE(writer.Finish().ok());
  EXPECT_EQ(writer.rows(), 0);
  EXPECT_EQ(out.str(), std::string(kTapFileHeader) + "\n");
}

TEST(TapFileTest, ManyRowsAcrossReadBlocks) {
  // More than one read block (1 MiB) and one write block (64 KiB).
  std::vector<ScannedTap> taps;
  for (int i = 0; i < 40000; ++i) {
    ScannedTap u = Sample()[i % 3];
    u.tap.sequence = i;
    u.tap.at += std::chrono::seconds(i);
    taps.push_back(std::move(u));
  }
  const std::string text = Write(taps);
  ASSERT_GT(text.size(), std::size_t{2} << 20);
  auto back = ReadAll(text, 777);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), taps.size());
  for (std::size_t i = 0; i < taps.size(); i += 997) ExpectSame((*back)[i], taps[i]);
  ExpectSame(back->back(), taps.back());
}

}  // namespace
}  // namespace citycode::transit
