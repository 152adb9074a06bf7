#include "scenes/transit/csv.h"

#include <utility>

#include "common/files.h"

namespace citycode::transit {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Status ErrorAt(std::string_view file, int line, std::string_view what) {
  return InvalidArgument(std::string(file) + ":" + std::to_string(line) + ": " + std::string(what));
}

// A cursor over the text that counts lines as it consumes line ends.
class Reader {
 public:
  Reader(std::string_view text, std::string_view file, const CsvLimits& limits)
      : text_(text), file_(file), limits_(limits) {}

  bool AtEnd() const { return pos_ >= text_.size(); }
  int line() const { return line_; }

  // Skips blank lines; true if a record follows.
  bool SkipBlankLines() {
    while (!AtEnd() && (text_[pos_] == '\n' || text_[pos_] == '\r')) ConsumeLineEnd();
    return !AtEnd();
  }

  // Reads one record starting at the cursor, consuming its line end.
  Result<CsvRecord> ReadRecord() {
    CsvRecord record;
    record.line = line_;
    const std::size_t start = pos_;
    std::string field;
    while (true) {
      field.clear();
      if (!AtEnd() && text_[pos_] == '"') {
        CITYCODE_RETURN_IF_ERROR(ReadQuoted(field, record.line, start));
      } else {
        // Unquoted: up to the next comma or line end. A stray quote inside
        // is kept as text, as most GTFS producers expect.
        const std::size_t begin = pos_;
        while (!AtEnd() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') ++pos_;
        field.assign(text_.substr(begin, pos_ - begin));
      }
      if (pos_ - start > limits_.max_record_bytes) {
        return ErrorAt(file_, record.line, "record longer than the limit");
      }
      if (record.fields.size() >= limits_.max_fields) {
        return ErrorAt(file_, record.line, "more fields than the limit");
      }
      record.fields.push_back(field);
      if (AtEnd()) break;
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == '\n' || text_[pos_] == '\r') {
        ConsumeLineEnd();
        break;
      }
      // Only a quoted field can leave the cursor elsewhere.
      return ErrorAt(file_, line_, "text after a closing quote");
    }
    return record;
  }

 private:
  void ConsumeLineEnd() {
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }

  Status ReadQuoted(std::string& field, int record_line, std::size_t record_start) {
    ++pos_;  // opening quote
    while (true) {
      if (AtEnd()) return ErrorAt(file_, record_line, "quoted field not closed");
      if (pos_ - record_start > limits_.max_record_bytes) {
        return ErrorAt(file_, record_line, "record longer than the limit");
      }
      const char c = text_[pos_];
      if (c == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
          field.push_back('"');
          pos_ += 2;
          continue;
        }
        ++pos_;  // closing quote
        return OkStatus();
      }
      if (c == '\n' || c == '\r') {
        // Line breaks inside quotes are data, but still move the line count.
        const std::size_t before = pos_;
        ConsumeLineEnd();
        field.append(text_.substr(before, pos_ - before));
        continue;
      }
      field.push_back(c);
      ++pos_;
    }
  }

  std::string_view text_;
  std::string_view file_;
  const CsvLimits& limits_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

std::optional<std::size_t> CsvTable::Column(std::string_view name) const {
  auto it = columns_.find(name);
  if (it == columns_.end()) return std::nullopt;
  return it->second;
}

std::string_view CsvTable::Get(const CsvRecord& record, std::string_view name) const {
  auto column = Column(name);
  if (!column || *column >= record.fields.size()) return {};
  return record.fields[*column];
}

Result<CsvTable> ParseCsv(std::string_view text, std::string_view file_name,
                          const CsvLimits& limits) {
  if (text.size() > limits.max_file_bytes) {
    return InvalidArgument(std::string(file_name) + ": file larger than the limit");
  }
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  Reader reader(text, file_name, limits);
  CsvTable table;
  if (!reader.SkipBlankLines()) return ErrorAt(file_name, reader.line(), "no header row");
  CITYCODE_ASSIGN_OR_RETURN(CsvRecord header, reader.ReadRecord());
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    std::string name(Trim(header.fields[i]));
    table.columns_.emplace(name, i);  // the first of duplicate names wins
    table.header_.push_back(std::move(name));
  }
  if (table.header_.size() == 1 && table.header_[0].empty()) {
    return ErrorAt(file_name, header.line, "empty header row");
  }
  while (reader.SkipBlankLines()) {
    CITYCODE_ASSIGN_OR_RETURN(CsvRecord record, reader.ReadRecord());
    table.records_.push_back(std::move(record));
  }
  return table;
}

Result<CsvTable> ReadCsvFile(const std::filesystem::path& path, const CsvLimits& limits) {
  CITYCODE_ASSIGN_OR_RETURN(std::string text, ReadFile(path, limits.max_file_bytes));
  return ParseCsv(text, path.filename().string(), limits);
}

void AppendCsvField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace citycode::transit
