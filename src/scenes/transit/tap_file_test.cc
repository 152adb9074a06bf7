#include "scenes/transit/tap_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "tests/support/status_matchers.h"

namespace citycode::transit {
namespace {

using ::citycode::testing::StatusIs;
using ::testing::StartsWith;

using code::Channel;

TapUpload Upload(std::string terminal, std::int64_t sequence, const char* at, std::string route,
                 std::string stop, Tap::Kind kind, Channel channel, std::string category,
                 std::string rider) {
  auto instant = ParseRfc3339(at);
  EXPECT_TRUE(instant.ok()) << at;
  return TapUpload{
      .tap = Tap{std::move(terminal), sequence, instant.ok() ? *instant : Instant{},
                 std::move(route), std::move(stop), kind, channel, std::move(category)},
      .rider_id = std::move(rider)};
}

std::vector<TapUpload> Sample() {
  return {
      Upload("M01-g1", 1, "2026-08-15T00:05:12Z", "metro_11", "M01", Tap::Kind::kEntry,
             Channel::kApp, "", "sim-rider-00000001"),
      Upload("M03-g2", 7, "2026-08-15T00:25:59Z", "metro_11", "M03", Tap::Kind::kExit,
             Channel::kWechat, "senior", "sim-rider-00000001"),
      Upload("bus_1-v01", 123456789012, "2026-08-15T23:59:59Z", "bus_1", "B101", Tap::Kind::kBoard,
             Channel::kAlipay, "student", "rider-2"),
      // Fields that need quoting survive the trip.
      Upload("gate \"7\", north", 0, "2028-02-29T12:00:00Z", "r,1", "s\"2", Tap::Kind::kBoard,
             Channel::kCard, "disabled", "r,\"3\""),
  };
}

void ExpectSame(const TapUpload& a, const TapUpload& b) {
  EXPECT_EQ(a.tap.terminal_id, b.tap.terminal_id);
  EXPECT_EQ(a.tap.sequence, b.tap.sequence);
  EXPECT_EQ(a.tap.at, b.tap.at);
  EXPECT_EQ(a.tap.route_id, b.tap.route_id);
  EXPECT_EQ(a.tap.stop_id, b.tap.stop_id);
  EXPECT_EQ(a.tap.kind, b.tap.kind);
  EXPECT_EQ(a.tap.channel, b.tap.channel);
  EXPECT_EQ(a.tap.rider_category_id, b.tap.rider_category_id);
  EXPECT_EQ(a.rider_id, b.rider_id);
  EXPECT_EQ(a.valid, b.valid);
  EXPECT_EQ(a.refused_reason, b.refused_reason);
}

std::string Write(const std::vector<TapUpload>& taps) {
  std::ostringstream out;
  TapFileWriter writer(out);
  for (const TapUpload& t : taps) EXPECT_TRUE(writer.Add(t).ok());
  EXPECT_TRUE(writer.Finish().ok());
  EXPECT_EQ(writer.rows(), static_cast<std::int64_t>(taps.size()));
  return out.str();
}

// All taps of `text`, or the first error.
Result<std::vector<TapUpload>> ReadAll(const std::string& text, std::size_t chunk = 1000) {
  std::istringstream in(text);
  TapFileReader reader(in);
  std::vector<TapUpload> all;
  for (;;) {
    CITYCODE_ASSIGN_OR_RETURN(auto taps, reader.Next(chunk));
    if (taps.empty()) return all;
    for (auto& t : taps) all.push_back(std::move(t));
  }
}

TEST(TapFileTest, WritesTheDocumentedFormat) {
  const std::string text = Write({Sample()[0], Sample()[3]});
  EXPECT_EQ(text,
            "terminal_id,sequence,at,route_id,stop_id,kind,channel,rider_category_id,rider_id\n"
            "M01-g1,1,2026-08-15T00:05:12Z,metro_11,M01,entry,app,,sim-rider-00000001\n"
            "\"gate \"\"7\"\", north\",0,2028-02-29T12:00:00Z,\"r,1\",\"s\"\"2\",board,card,"
            "disabled,\"r,\"\"3\"\"\"\n");
  EXPECT_EQ(Write({}), std::string(kTapFileHeader) + "\n");
}

TEST(TapFileTest, TimesAreWrittenAsFormatRfc3339Does) {
  for (std::int64_t t : {std::int64_t{0}, std::int64_t{59}, std::int64_t{86399},
                         std::int64_t{951782400} /* 2000-02-29 */, std::int64_t{1786752000},
                         std::int64_t{253402300799} /* 9999-12-31T23:59:59Z */, std::int64_t{-1},
                         std::int64_t{1786752000 + 13 * 3600 + 7 * 60 + 5}}) {
    TapUpload u = Sample()[0];
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
  const std::vector<TapUpload> taps = Sample();
  auto back = ReadAll(Write(taps));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), taps.size());
  for (std::size_t i = 0; i < taps.size(); ++i) ExpectSame((*back)[i], taps[i]);
}

TEST(TapFileTest, NextReturnsChunksThenEmpty) {
  std::vector<TapUpload> taps;
  for (int i = 1; i <= 10; ++i) {
    TapUpload u = Sample()[0];
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
      "\xEF\xBB\xBFrider_id,kind,terminal_id,sequence,at,route_id,stop_id,channel,"
      "rider_category_id,note\r\n"
      "\r\n"
      "r1,entry,M01-g1,5,2026-08-15T08:00:00+08:00,metro_11,M01,alipay,student,x\r\n"
      "r2,board,bus_1-v03,6,2026-08-15T00:00:01.250Z,bus_1,B101,app,,\n"
      "\n"
      "r3,exit,M02-g1,7,2026-08-15T00:10:00Z,metro_11,M02,wechat,,last";  // no final newline
  auto taps = ReadAll(text, 2);
  ASSERT_TRUE(taps.ok()) << taps.status().ToString();
  ASSERT_EQ(taps->size(), 3u);
  const TapUpload& a = (*taps)[0];
  EXPECT_EQ(a.rider_id, "r1");
  EXPECT_EQ(a.tap.kind, Tap::Kind::kEntry);
  EXPECT_EQ(a.tap.terminal_id, "M01-g1");
  EXPECT_EQ(a.tap.sequence, 5);
  EXPECT_EQ(a.tap.at, *ParseRfc3339("2026-08-15T00:00:00Z"));
  EXPECT_EQ(a.tap.channel, Channel::kAlipay);
  EXPECT_EQ(a.tap.rider_category_id, "student");
  EXPECT_EQ((*taps)[1].tap.at, *ParseRfc3339("2026-08-15T00:00:01Z"));
  EXPECT_EQ((*taps)[1].tap.rider_category_id, "");
  EXPECT_EQ((*taps)[2].rider_id, "r3");
  EXPECT_EQ((*taps)[2].tap.kind, Tap::Kind::kExit);
}

constexpr const char* kSecret = "secret-rider-4711";

// A file whose line 3 is `row`, the lines around it good.
std::string WithBadLine3(const std::string& row) {
  const std::string good =
      std::string("M01-g1,1,2026-08-15T00:05:12Z,metro_11,M01,entry,app,,") + kSecret + "\n";
  return std::string(kTapFileHeader) + "\n" + good + row + "\n" + good;
}

TEST(TapFileTest, BadRowsNameTheLineButNoValue) {
  const std::string long_id(kMaxTapIdBytes + 1, 'Z');
  const std::string tail = std::string(",") + kSecret;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"too few fields", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,entry,app" + tail},
      {"too many fields", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,entry,app,,x,SECRETX" + tail},
      {"bad kind", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,SECRETKIND,app," + tail},
      {"bad time", "M01-g1,2,SECRET-08-15T00:05:12Z,metro_11,M01,entry,app," + tail},
      {"bad time 2", "M01-g1,2,2026-13-15T00:05:12Z,metro_11,M01,entry,app," + tail},
      {"bad sequence", "M01-g1,SECRET9,2026-08-15T00:05:12Z,metro_11,M01,entry,app," + tail},
      {"negative sequence", "M01-g1,-2,2026-08-15T00:05:12Z,metro_11,M01,entry,app," + tail},
      {"bad channel", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,entry,SECRETPIGEON," + tail},
      {"long rider", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,entry,app,," + long_id},
      {"long terminal", long_id + ",2,2026-08-15T00:05:12Z,metro_11,M01,entry,app," + tail},
      {"long category", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,entry,app," + long_id + tail},
      {"empty rider", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,entry,app,,"},
      {"empty stop", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,,entry,app," + tail},
      {"open quote", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,entry,app,,\"" + tail.substr(1)},
      {"text after quote", "\"M01\"SECRET,2,2026-08-15T00:05:12Z,metro_11,M01,entry,app," + tail},
      {"control character", "M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,entry,app,,a\tb"},
      {"long line", std::string(kMaxTapFileLineBytes + 1, 'Z')},
  };
  for (const auto& [name, row] : cases) {
    auto taps = ReadAll(WithBadLine3(row));
    EXPECT_THAT(taps, StatusIs(StatusCode::kInvalidArgument, "invalid_argument", StartsWith("3: ")))
        << name;
    const std::string message = taps.status().message();
    EXPECT_EQ(message.find("SECRET"), std::string::npos) << name << ": " << message;
    EXPECT_EQ(message.find("secret"), std::string::npos) << name << ": " << message;
    EXPECT_EQ(message.find("ZZ"), std::string::npos) << name << ": " << message;
  }
}

TEST(TapFileTest, AWrongFieldCountSaysHowMany) {
  EXPECT_THAT(
      ReadAll(WithBadLine3("M01-g1,2,2026-08-15T00:05:12Z,metro_11,M01,entry,app,,x,rider")),
      StatusIs(StatusCode::kInvalidArgument, "invalid_argument", "3: 10 fields, the header has 9"));
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
  TapUpload refused = Sample()[0];
  refused.valid = false;
  refused.refused_reason = "expired";
  TapUpload no_rider = Sample()[0];
  no_rider.rider_id.clear();
  TapUpload long_stop = Sample()[0];
  long_stop.tap.stop_id = std::string(kMaxTapIdBytes + 1, 's');
  TapUpload newline = Sample()[0];
  newline.rider_id = "secret\nrider";
  TapUpload negative = Sample()[0];
  negative.tap.sequence = -1;
  for (const TapUpload& bad : {refused, no_rider, long_stop, newline, negative}) {
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
  std::vector<TapUpload> taps;
  for (int i = 0; i < 30000; ++i) {
    TapUpload u = Sample()[i % 3];
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
