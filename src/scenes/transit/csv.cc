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

// Reads one record of `reader` into `fields`, naming `file` and the line in
// an error.
Status ReadRecordOf(CsvRecordReader& reader, std::string_view file,
                    std::vector<std::string_view>& fields) {
  Status status = reader.ReadRecord(fields);
  if (!status.ok()) return ErrorAt(file, reader.error_line(), status.message());
  return OkStatus();
}

}  // namespace

void CsvRecordReader::Reset(std::string_view text) {
  text_ = text;
  pos_ = 0;
  line_ = 1;
  record_line_ = 1;
  error_line_ = 0;
}

bool CsvRecordReader::SkipBlankLines() {
  while (!AtEnd() && AtLineEnd()) ConsumeLineEnd();
  record_line_ = line_;
  return !AtEnd();
}

Status CsvRecordReader::ReadRecord(std::vector<std::string_view>& fields) {
  fields.clear();
  scratch_.clear();
  unescaped_.clear();
  record_line_ = line_;
  const std::size_t start = pos_;
  for (;;) {
    // `field` is only ever assigned, never passed by reference: a view stored
    // through a pointer and read back whole stalls the store forwarding.
    std::string_view field;
    bool escaped = false;
    if (!AtEnd() && text_[pos_] == '"') {
      const std::size_t quote = pos_;
      CITYCODE_RETURN_IF_ERROR(SkipQuoted(start, escaped));
      field = text_.substr(quote + 1, pos_ - quote - 2);  // between the quotes
    } else {
      field = ReadUnquoted();
    }
    if (pos_ - start > limits_.max_record_bytes) {
      return Fail(record_line_, "record longer than the limit");
    }
    if (fields.size() >= limits_.max_fields) {
      return Fail(record_line_, "more fields than the limit");
    }
    if (escaped) Unescape(field, fields.size());
    fields.push_back(field);
    if (AtEnd()) break;
    if (text_[pos_] == ',') {
      ++pos_;
      continue;
    }
    if (AtLineEnd()) {
      ConsumeLineEnd();
      break;
    }
    // Only a quoted field can leave the cursor elsewhere.
    return Fail(line_, "text after a closing quote");
  }
  // Only now, with scratch_ complete, can views into it not dangle.
  const std::string_view scratch = scratch_;
  for (const Unescaped& u : unescaped_) fields[u.index] = scratch.substr(u.offset, u.size);
  return OkStatus();
}

void CsvRecordReader::ConsumeLineEnd() {
  if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
  ++pos_;
  ++line_;
}

// Up to the next comma or line end. The scanning loops here and in
// SkipQuoted keep the position in a local: a char read may alias pos_, so a
// loop on the member reloads it at every byte (tap files have millions of
// rows).
std::string_view CsvRecordReader::ReadUnquoted() {
  const std::size_t begin = pos_, size = text_.size();
  const char* const data = text_.data();
  std::size_t i = begin;
  while (i < size && data[i] != ',' && data[i] != '\n' && data[i] != '\r') ++i;
  pos_ = i;
  return text_.substr(begin, i - begin);
}

// The cursor is on the opening quote; moves it past the closing one. Sets
// `escaped` if the field holds "" escapes: most quoted fields need no copy.
Status CsvRecordReader::SkipQuoted(std::size_t record_start, bool& escaped) {
  const std::size_t size = text_.size();
  const char* const data = text_.data();
  // The loop stops at the end of the text or where the record grows over the
  // limit, whichever comes first: one bound check per byte.
  const std::size_t room = size - record_start;
  const std::size_t stop =
      limits_.max_record_bytes < room ? record_start + limits_.max_record_bytes + 1 : size;
  std::size_t i = pos_ + 1;
  for (; i < stop; ++i) {
    const char c = data[i];
    if (c == '"') {
      if (i + 1 >= size || data[i + 1] != '"') {
        pos_ = i + 1;
        return OkStatus();
      }
      escaped = true;
      ++i;  // the second quote of a pair
    } else if (c == '\n' || c == '\r') {
      // Line breaks inside quotes are data, but still move the line count.
      if (c == '\r' && i + 1 < size && data[i + 1] == '\n') ++i;
      ++line_;
    }
  }
  if (i >= size) return Fail(record_line_, "quoted field not closed");
  return Fail(record_line_, "record longer than the limit");
}

// Appends `raw` to scratch_ with every "" made one quote, to become field
// `index` at the end of the record. Quoted fields are short, so a byte loop
// beats a call per piece; it reads every byte and only holds the output
// back on the second quote of a pair, so no read waits on the one before.
void CsvRecordReader::Unescape(std::string_view raw, std::size_t index) {
  const std::size_t offset = scratch_.size();
  scratch_.resize(offset + raw.size());  // the most it can take
  char* const begin = scratch_.data() + offset;
  char* out = begin;
  bool second = false;  // the byte before was the first quote of a pair
  for (const char c : raw) {
    *out = c;
    out += !second;
    second = c == '"' && !second;
  }
  const std::size_t length = out - begin;
  scratch_.resize(offset + length);
  unescaped_.push_back({index, offset, length});
}

Status CsvRecordReader::Fail(int line, std::string message) {
  error_line_ = line;
  return InvalidArgument(std::move(message));
}

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
  CsvRecordReader reader(text, limits);
  std::vector<std::string_view> fields;
  CsvTable table;
  if (!reader.SkipBlankLines()) return ErrorAt(file_name, reader.record_line(), "no header row");
  CITYCODE_RETURN_IF_ERROR(ReadRecordOf(reader, file_name, fields));
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::string name(Trim(fields[i]));
    table.columns_.emplace(name, i);  // the first of duplicate names wins
    table.header_.push_back(std::move(name));
  }
  if (table.header_.size() == 1 && table.header_[0].empty()) {
    return ErrorAt(file_name, reader.record_line(), "empty header row");
  }
  while (reader.SkipBlankLines()) {
    CITYCODE_RETURN_IF_ERROR(ReadRecordOf(reader, file_name, fields));
    table.records_.push_back(
        CsvRecord{reader.record_line(), std::vector<std::string>(fields.begin(), fields.end())});
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
