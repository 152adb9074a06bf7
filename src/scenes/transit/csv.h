// RFC 4180 CSV: the reader of GTFS files, and the one field writer of every
// CSV file and report transit writes (tap files, the clearing).
//
// The first record names the columns; fields are read by column name, so
// column order does not matter, unknown columns are ignored and a missing
// column reads as empty. Accepted: a leading UTF-8 byte order mark, CRLF or
// LF (or a bare CR) line ends, quoted fields with "" escapes and embedded line
// breaks, blank lines (skipped) and a missing final line end. Every record
// keeps the 1-based file line where it starts, for error reports.
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
