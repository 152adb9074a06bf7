// The tap file: taps as gates and validators scanned them, as CSV, one tap
// per row, for a depot's bulk upload and for load tests.
//
//   terminal_id,sequence,at,route_id,stop_id,kind,code
//   term_3k9…,1,2026-08-15T00:05:12Z,metro_11,M01,entry,CC1:6BFOXN…
//
// What a gate has, no more: its platform terminal id, its own sequence
// number, the scan time (RFC 3339, written in UTC with "Z"; a numeric
// offset is accepted on reading), the route and stop, the kind
// (board|entry|exit) and the code's text as scanned. Who rode, on which
// channel and at which fare category, the ingest learns by verifying the
// code as of its scan (tap_upload.h), as an upload does.
// Fields are RFC 4180 on one line: a field holding a comma or a quote is
// quoted, line breaks inside fields are not allowed. The quoting is csv.h's
// (CsvRecordReader, AppendCsvField), the one reader and one writer for all of
// transit's CSV files; this file adds the lines, the columns and the values.
//
// Both classes stream, so a file of millions of taps never has to fit in
// memory. Error messages name the 1-based line but never a field's value:
// a code is a personal token and must not reach logs.
//
// Thread-compatible.
#ifndef CITYCODE_SCENES_TRANSIT_TAP_FILE_H_
#define CITYCODE_SCENES_TRANSIT_TAP_FILE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "scenes/transit/csv.h"
#include "scenes/transit/fare_engine.h"
#include "scenes/transit/rides.h"

namespace citycode::transit {

inline constexpr std::string_view kTapFileHeader =
    "terminal_id,sequence,at,route_id,stop_id,kind,code";
// Longer lines are refused before they are split. Three ids of at most
// kMaxTapIdBytes and a code of at most kMaxScannedCodeBytes (quoted, every
// quote doubled) stay below it.
inline constexpr std::size_t kMaxTapFileLineBytes = 16384;

// Writes the header on construction and one row per Add. Rows are buffered:
// call Finish to flush them and learn whether the stream took them all.
class TapFileWriter {
 public:
  // `out` must outlive the writer.
  explicit TapFileWriter(std::ostream& out);
  // Flushes what Finish did not (errors are lost then: call Finish).
  ~TapFileWriter();
  TapFileWriter(const TapFileWriter&) = delete;
  TapFileWriter& operator=(const TapFileWriter&) = delete;

  // Appends one row. invalid_argument, naming the field but not its value,
  // for an id that is empty (terminal, route, stop) or longer than
  // kMaxTapIdBytes, a code that is empty or longer than
  // kMaxScannedCodeBytes, a field with a control character, a negative
  // sequence; nothing is written then.
  Status Add(const ScannedTap& scanned);
  // Flushes the buffered rows to the stream. internal if the stream failed.
  Status Finish();
  // The rows added so far.
  std::int64_t rows() const { return rows_; }

 private:
  Status FlushBuffer();

  std::ostream& out_;
  std::string buffer_;
  std::int64_t rows_ = 0;
  // The "YYYY-MM-DDT" of the last day written: most rows share it.
  std::int64_t cached_day_ = -1;
  std::array<char, 11> cached_date_{};
};

// Reads a tap file in chunks. The header must name the seven columns (in any
// order; more columns are ignored); each row must have as many fields as the
// header. A leading UTF-8 byte order mark, CRLF line ends, blank lines and a
// missing final line end are accepted.
class TapFileReader {
 public:
  // `in` must outlive the reader.
  explicit TapFileReader(std::istream& in);
  TapFileReader(const TapFileReader&) = delete;
  TapFileReader& operator=(const TapFileReader&) = delete;

  // The next taps, at most `max_taps` (> 0) of them, in file order; an empty
  // vector at the end of the file. invalid_argument "LINE: message" for the
  // first bad line (a missing or wrong header, a wrong field count, bad
  // quoting, a control character, a line over kMaxTapFileLineBytes, an id
  // over kMaxTapIdBytes, a bad sequence, time, kind or code); the reader
  // stays failed after an error. Rows before the bad one in the same call are
  // not returned.
  Result<std::vector<ScannedTap>> Next(std::size_t max_taps);
  // The 1-based number of the last line read (0 before the first).
  std::int64_t line() const { return line_; }

 private:
  // Sets `line` to the next line without its line end; false at the end of
  // the input. The view is valid until the next call.
  Result<bool> ReadLine(std::string_view& line);
  Status ReadHeader();
  // Splits `line` into fields_ with the CSV record reader (csv.h).
  Status SplitFields(std::string_view line);
  Status ParseRow(std::string_view line, ScannedTap& scanned);
  Status LineError(std::string_view message) const;

  std::istream& in_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0, end_ = 0;  // unread bytes: buffer_[begin_, end_)
  bool eof_ = false;
  bool header_read_ = false;
  Status failed_;
  std::int64_t line_ = 0;
  std::size_t columns_ = 0;              // fields per row, as in the header
  std::array<std::size_t, 7> column_{};  // field index of each kTapFileHeader column
  // Reused for every line, so splitting a line does not allocate once the
  // reader's scratch storage has grown to the longest escaped field.
  CsvRecordReader record_reader_;
  std::vector<std::string_view> fields_;  // of the last line, into it or record_reader_
};

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_TAP_FILE_H_
