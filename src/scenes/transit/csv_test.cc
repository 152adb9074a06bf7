#include "scenes/transit/csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/status_matchers.h"

namespace citycode::transit {
namespace {

using ::citycode::testing::StatusIs;

// Every CSV error is invalid_argument; ParseCsv's message names the file
// and line.
auto CsvError(const std::string& message) {
  return StatusIs(StatusCode::kInvalidArgument, "invalid_argument", message);
}

CsvTable MustParse(std::string_view text) {
  auto table = ParseCsv(text, "t.txt");
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  return table.ok() ? *table : CsvTable();
}

TEST(CsvTest, BomCrlfAndColumnsByName) {
  CsvTable t = MustParse(
      "\xEF\xBB\xBF"
      "b,a\r\n2,1\r\n\r\n4,3");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.header()[0], "b");
  EXPECT_EQ(t.Get(t.records()[0], "a"), "1");
  EXPECT_EQ(t.Get(t.records()[1], "b"), "4");
  EXPECT_EQ(t.records()[0].line, 2);
  EXPECT_EQ(t.records()[1].line, 4);  // the blank line is skipped but counted
}

TEST(CsvTest, QuotedFieldsWithEscapesAndLineBreaks) {
  CsvTable t = MustParse("id,name\n1,\"a, \"\"b\"\"\"\n2,\"two\nlines\"\n3,x\n");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t.Get(t.records()[0], "name"), "a, \"b\"");
  EXPECT_EQ(t.Get(t.records()[1], "name"), "two\nlines");
  EXPECT_EQ(t.records()[2].line, 5);
}

TEST(CsvTest, MissingAndUnknownColumns) {
  CsvTable t = MustParse("id,extra\n1\n");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t.Get(t.records()[0], "extra"), "");    // short record
  EXPECT_EQ(t.Get(t.records()[0], "missing"), "");  // no such column
  EXPECT_FALSE(t.HasColumn("missing"));
}

TEST(CsvTest, SyntaxErrorsNameFileAndLine) {
  EXPECT_THAT(ParseCsv("a\n1\n\"open\n", "stops.txt"),
              CsvError("stops.txt:3: quoted field not closed"));
  EXPECT_THAT(ParseCsv("a,b\n\"x\"y,2\n", "stops.txt"),
              CsvError("stops.txt:2: text after a closing quote"));
  EXPECT_THAT(ParseCsv("", "e.txt"), CsvError("e.txt:1: no header row"));
}

TEST(CsvTest, Limits) {
  CsvLimits limits;
  limits.max_file_bytes = 16;
  EXPECT_THAT(ParseCsv(std::string(17, 'a'), "f.txt", limits),
              CsvError("f.txt: file larger than the limit"));
  limits = CsvLimits();
  limits.max_record_bytes = 8;
  EXPECT_THAT(ParseCsv("a\nshort\n0123456789\n", "f.txt", limits),
              CsvError("f.txt:3: record longer than the limit"));
  EXPECT_THAT(ParseCsv("a\n\"0123456789\"\n", "f.txt", limits),
              CsvError("f.txt:2: record longer than the limit"));
  limits = CsvLimits();
  limits.max_fields = 3;
  EXPECT_TRUE(ParseCsv("a,b,c\n1,2,3\n", "f.txt", limits).ok());
  EXPECT_THAT(ParseCsv("a,b,c\n1,2,3,4\n", "f.txt", limits),
              CsvError("f.txt:2: more fields than the limit"));
}

TEST(CsvRecordReaderTest, QuotedFieldsAreUnescapedAndCountLines) {
  const std::string text = "a,\"x \"\"y\"\"\",\"two\r\nlines\"\n\n\"\",b\"\"\"";
  CsvRecordReader reader(text, CsvLimits());
  std::vector<std::string_view> fields;
  ASSERT_TRUE(reader.SkipBlankLines());
  ASSERT_TRUE(reader.ReadRecord(fields).ok());
  EXPECT_EQ(reader.record_line(), 1);
  EXPECT_EQ(fields, (std::vector<std::string_view>{"a", "x \"y\"", "two\r\nlines"}));
  ASSERT_TRUE(reader.SkipBlankLines());
  EXPECT_EQ(reader.record_line(), 4);  // the quoted line break moved the count
  ASSERT_TRUE(reader.ReadRecord(fields).ok());
  EXPECT_EQ(fields, (std::vector<std::string_view>{"", "b\"\"\""}));  // a stray quote is text
  EXPECT_FALSE(reader.SkipBlankLines());
}

TEST(CsvRecordReaderTest, ViewsSurviveManyEscapedFieldsInOneRecord) {
  // Each field unescapes into the reader's storage, which grows (and moves)
  // many times while the record is read; no view may point at the old one.
  std::string text;
  std::vector<std::string> expected;
  for (int i = 0; i < 200; ++i) {
    const std::string value = std::to_string(i) + "\"" + std::string(i, 'v');
    text += (i > 0 ? ",\"" : "\"") + std::to_string(i) + "\"\"" + std::string(i, 'v') + "\"";
    expected.push_back(value);
  }
  CsvRecordReader reader(text, CsvLimits());
  std::vector<std::string_view> fields;
  ASSERT_TRUE(reader.ReadRecord(fields).ok());
  ASSERT_EQ(fields.size(), expected.size());
  for (std::size_t i = 0; i < fields.size(); ++i) EXPECT_EQ(fields[i], expected[i]) << i;

  // Reset reuses the reader for the next text, at line 1 again.
  reader.Reset("\n\"p\"\"q\",r");
  ASSERT_TRUE(reader.SkipBlankLines());
  ASSERT_TRUE(reader.ReadRecord(fields).ok());
  EXPECT_EQ(reader.record_line(), 2);
  EXPECT_EQ(fields, (std::vector<std::string_view>{"p\"q", "r"}));
}

TEST(CsvRecordReaderTest, ErrorsNameNeitherFileNorLine) {
  CsvLimits limits;
  limits.max_fields = 3;
  CsvRecordReader reader("1,2,3\n\n1,2,3,4\n", limits);
  std::vector<std::string_view> fields;
  ASSERT_TRUE(reader.ReadRecord(fields).ok());
  ASSERT_TRUE(reader.SkipBlankLines());
  EXPECT_THAT(reader.ReadRecord(fields), StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                                                  "more fields than the limit"));
  EXPECT_EQ(reader.error_line(), 3);

  // The error is on the record's first line for an open quote, on the line
  // of the offending text for text after a closing quote.
  reader.Reset("x,\"a\nb");
  EXPECT_THAT(reader.ReadRecord(fields), CsvError("quoted field not closed"));
  EXPECT_EQ(reader.error_line(), 1);
  reader.Reset("x,\"a\nb\"c");
  EXPECT_THAT(reader.ReadRecord(fields), CsvError("text after a closing quote"));
  EXPECT_EQ(reader.error_line(), 2);
}

TEST(CsvTest, GarbageNeverCrashes) {
  const std::string seed = "\xEF\xBB\xBFid,\"na,me\"\r\n1,\"x\"\"y\"\n2,\"a\nb\"\r\n";
  const std::string alphabet = "\",\r\n\xEF\xBB\xBF a";
  std::mt19937 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::string text = seed;
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = rng() % (text.size() + 1);
      switch (rng() % 3) {
        case 0: text.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
        case 1:
          if (pos < text.size()) text.erase(pos, 1);
          break;
        default:
          if (pos < text.size()) text[pos] = static_cast<char>(rng() % 256);
      }
    }
    auto table = ParseCsv(text, "g.txt");
    if (table.ok()) {
      for (const CsvRecord& r : table->records()) {
        EXPECT_GE(r.line, 1);
        (void)table->Get(r, "id");
      }
    }
  }
}

}  // namespace
}  // namespace citycode::transit
