// RFC 4180 CSV: the one record reader and the one field writer of every CSV
// file transit reads or writes (GTFS feeds, tap files, the clearing), so the
// quoting rules exist once.
//
// CsvRecordReader splits text into records of fields. Accepted: CRLF or LF
// (or a bare CR) line ends, quoted fields with "" escapes and embedded line
// breaks, a stray quote inside an unquoted field (kept as text, as most GTFS
// producers expect), blank lines (skipped by SkipBlankLines) and a missing
// final line end.
//
// ParseCsv reads a whole GTFS file into a CsvTable: the first record names
// the columns; fields are read by column name, so column order does not
// matter, unknown columns are ignored and a missing column reads as empty. A
// leading UTF-8 byte order mark is skipped. Every record keeps the 1-based
// file line where it starts, for error reports.
//
// Values only; thread-compatible.
#ifndef CITYCODE_SCENES_TRANSIT_CSV_H_
#define CITYCODE_SCENES_TRANSIT_CSV_H_

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace citycode::transit {

// Limits checked before anything is built from the input.
struct CsvLimits {
  std::size_t max_file_bytes = std::size_t{64} << 20;   // 64 MiB
  std::size_t max_record_bytes = std::size_t{1} << 20;  // 1 MiB
  std::size_t max_fields = 256;                         // per record
};

// Reads the records of one text, one at a time, without copying fields that
// need no unescaping. The text must outlive the reader (or its next Reset).
//
//   CsvRecordReader reader(text, limits);
//   std::vector<std::string_view> fields;
//   while (reader.SkipBlankLines()) {
//     if (Status s = reader.ReadRecord(fields); !s.ok()) ... reader.error_line() ...
//   }
//
// Only max_record_bytes and max_fields of the limits apply.
class CsvRecordReader {
 public:
  explicit CsvRecordReader(const CsvLimits& limits = {}) : limits_(limits) {}
  CsvRecordReader(std::string_view text, const CsvLimits& limits) : limits_(limits) { Reset(text); }

  // Starts over on `text`, at line 1. Keeps the scratch storage, so a reader
  // reused line by line does not allocate once it has grown.
  void Reset(std::string_view text);

  // Skips blank lines; true if a record follows.
  bool SkipBlankLines();

  // Reads the record at the cursor and its line end. `fields` is replaced by
  // views into the text or, for quoted fields with "" escapes, into the
  // reader's own storage: valid until the next ReadRecord or Reset. On the
  // end of the text it reads one empty field. invalid_argument, the message
  // naming neither file nor line, for: "record longer than the limit", "more
  // fields than the limit", "quoted field not closed", "text after a closing
  // quote". The reader is not usable after an error (until Reset).
  Status ReadRecord(std::vector<std::string_view>& fields);

  // The 1-based line where the last record read starts; after
  // SkipBlankLines, the line where the next one starts.
  int record_line() const { return record_line_; }
  // The 1-based line the last ReadRecord error is about: the record's first
  // line, or for text after a closing quote the line of that text.
  int error_line() const { return error_line_; }

 private:
  // An unescaped quoted field, placed into `fields` at the end of the record
  // (scratch_ may move while the record is read).
  struct Unescaped {
    std::size_t index, offset, size;
  };

  bool AtEnd() const { return pos_ >= text_.size(); }
  bool AtLineEnd() const { return text_[pos_] == '\n' || text_[pos_] == '\r'; }
  void ConsumeLineEnd();
  std::string_view ReadUnquoted();
  Status SkipQuoted(std::size_t record_start, bool& escaped);
  void Unescape(std::string_view raw, std::size_t index);
  Status Fail(int line, std::string message);

  CsvLimits limits_;
  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int record_line_ = 1;
  int error_line_ = 0;
  std::string scratch_;
  std::vector<Unescaped> unescaped_;
};

struct CsvRecord {
  int line = 0;  // 1-based file line where the record starts
  std::vector<std::string> fields;
};

class CsvTable {
 public:
  // The column names, as in the header (trimmed of surrounding spaces).
  const std::vector<std::string>& header() const { return header_; }
  const std::vector<CsvRecord>& records() const { return records_; }
  std::size_t size() const { return records_.size(); }

  bool HasColumn(std::string_view name) const { return Column(name).has_value(); }
  // Index of the first column with this name.
  std::optional<std::size_t> Column(std::string_view name) const;
  // The field of `record` in column `name`; empty if the column does not
  // exist or the record is shorter than the header.
  std::string_view Get(const CsvRecord& record, std::string_view name) const;

 private:
  friend Result<CsvTable> ParseCsv(std::string_view, std::string_view, const CsvLimits&);
  std::vector<std::string> header_;
  std::map<std::string, std::size_t, std::less<>> columns_;
  std::vector<CsvRecord> records_;
};

// Parses `text`. invalid_argument, with a message naming `file_name` and the
// line, for: input or a record over the limits, too many fields, a quote
// that is not closed, text after a closing quote, or an empty header. A
// table with a header and no records is valid.
Result<CsvTable> ParseCsv(std::string_view text, std::string_view file_name,
                          const CsvLimits& limits = {});

// Reads and parses a file: not_found if it does not exist, otherwise as
// ParseCsv (messages name the file by its file name).
Result<CsvTable> ReadCsvFile(const std::filesystem::path& path, const CsvLimits& limits = {});

// Appends `field` to `out`, quoted (every quote doubled) only if it holds a
// comma, a quote or a line break.
void AppendCsvField(std::string& out, std::string_view field);

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_CSV_H_
