#include "scenes/transit/tap_file.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "common/clock.h"
#include "scenes/transit/csv.h"
#include "scenes/transit/gtfs.h"

namespace citycode::transit {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;
// Rows are handed to the stream in blocks of about this size.
constexpr std::size_t kWriteBlockBytes = std::size_t{64} << 10;
constexpr std::size_t kReadBlockBytes = std::size_t{1} << 20;
// A header with more columns than this is not a tap file. Rows may have as
// many, so a row with too many fields is reported with its field count.
constexpr std::size_t kMaxHeaderColumns = 64;

// The columns of kTapFileHeader, in its order.
enum Column : std::size_t {
  kTerminal,
  kSequence,
  kAt,
  kRoute,
  kStop,
  kKind,
  kCode,
};
constexpr std::array<std::string_view, 7> kColumnNames = {
    "terminal_id", "sequence", "at", "route_id", "stop_id", "kind", "code"};

bool HasControl(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f;
  });
}

// Checks an id for the writer and the reader alike; the message names the
// column, never the value.
Status CheckId(std::string_view value, std::string_view column) {
  if (value.empty() || value.size() > kMaxTapIdBytes) {
    return InvalidArgument(std::string(column) + " must be 1-" + std::to_string(kMaxTapIdBytes) +
                           " bytes");
  }
  return OkStatus();
}

// The code as scanned: printable text (a QR code's, CC1 or a card's).
Status CheckCode(std::string_view code) {
  if (code.empty() || code.size() > kMaxScannedCodeBytes) {
    return InvalidArgument("code must be 1-" + std::to_string(kMaxScannedCodeBytes) + " bytes");
  }
  return OkStatus();
}

void AppendTwoDigits(std::string& out, int value) {
  out += static_cast<char>('0' + value / 10);
  out += static_cast<char>('0' + value % 10);
}

}  // namespace

// --- TapFileWriter -------------------------------------------------------------

TapFileWriter::TapFileWriter(std::ostream& out) : out_(out) {
  buffer_.reserve(kWriteBlockBytes + kMaxTapFileLineBytes);
  buffer_ += kTapFileHeader;
  buffer_ += '\n';
}

TapFileWriter::~TapFileWriter() { (void)FlushBuffer(); }

Status TapFileWriter::Add(const ScannedTap& scanned) {
  const Tap& tap = scanned.tap;
  CITYCODE_RETURN_IF_ERROR(CheckId(tap.terminal_id, "terminal_id"));
  CITYCODE_RETURN_IF_ERROR(CheckId(tap.route_id, "route_id"));
  CITYCODE_RETURN_IF_ERROR(CheckId(tap.stop_id, "stop_id"));
  CITYCODE_RETURN_IF_ERROR(CheckCode(scanned.code));
  if (tap.sequence < 0) return InvalidArgument("sequence must be >= 0");
  const std::string_view kind = TapKindName(tap.kind);
  if (kind.empty()) return InvalidArgument("unknown tap kind");
  for (std::string_view field : {std::string_view(tap.terminal_id), std::string_view(tap.route_id),
                                 std::string_view(tap.stop_id), std::string_view(scanned.code)}) {
    if (HasControl(field)) return InvalidArgument("a tap file field holds a control character");
  }

  AppendCsvField(buffer_, tap.terminal_id);
  buffer_ += ',';
  char digits[24];
  const auto printed = std::to_chars(digits, digits + sizeof digits, tap.sequence);
  buffer_.append(digits, printed.ptr);
  buffer_ += ',';
  // FormatRfc3339 costs a snprintf and a string per row; the date part is
  // the same for most rows, so it is cached and the time written by hand.
  const std::int64_t seconds = ToUnixSeconds(tap.at);
  const std::int64_t day = seconds >= 0 ? seconds / kSecondsPerDay : -1;
  if (day < 0 || day > Date{9999, 12, 31}.DaysSinceEpoch()) {
    buffer_ += FormatRfc3339(tap.at);
  } else {
    if (day != cached_day_) {
      const std::string date = FormatIsoDate(Date::FromDaysSinceEpoch(day)) + "T";
      std::copy_n(date.data(), cached_date_.size(), cached_date_.data());
      cached_day_ = day;
    }
    buffer_.append(cached_date_.data(), cached_date_.size());
    const int of_day = static_cast<int>(seconds - day * kSecondsPerDay);
    AppendTwoDigits(buffer_, of_day / 3600);
    buffer_ += ':';
    AppendTwoDigits(buffer_, of_day / 60 % 60);
    buffer_ += ':';
    AppendTwoDigits(buffer_, of_day % 60);
    buffer_ += 'Z';
  }
  buffer_ += ',';
  AppendCsvField(buffer_, tap.route_id);
  buffer_ += ',';
  AppendCsvField(buffer_, tap.stop_id);
  buffer_ += ',';
  buffer_ += kind;
  buffer_ += ',';
  AppendCsvField(buffer_, scanned.code);
  buffer_ += '\n';
  ++rows_;
  if (buffer_.size() >= kWriteBlockBytes) return FlushBuffer();
  return OkStatus();
}

Status TapFileWriter::FlushBuffer() {
  if (!buffer_.empty()) {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
  }
  if (!out_) return Internal("the tap file could not be written");
  return OkStatus();
}

Status TapFileWriter::Finish() {
  CITYCODE_RETURN_IF_ERROR(FlushBuffer());
  out_.flush();
  if (!out_) return Internal("the tap file could not be written");
  return OkStatus();
}

// --- TapFileReader -------------------------------------------------------------

TapFileReader::TapFileReader(std::istream& in)
    : in_(in),
      buffer_(kReadBlockBytes),
      record_reader_(
          CsvLimits{.max_record_bytes = kMaxTapFileLineBytes, .max_fields = kMaxHeaderColumns}) {
  fields_.reserve(kMaxHeaderColumns);
}

Status TapFileReader::LineError(std::string_view message) const {
  return InvalidArgument(std::to_string(line_) + ": " + std::string(message));
}

Result<bool> TapFileReader::ReadLine(std::string_view& line) {
  for (;;) {
    const char* start = buffer_.data() + begin_;
    const std::size_t available = end_ - begin_;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', available));
    if (newline != nullptr || (eof_ && available > 0)) {
      const std::size_t length = newline != nullptr ? newline - start : available;
      begin_ += newline != nullptr ? length + 1 : length;
      ++line_;
      line = std::string_view(start, length);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.size() > kMaxTapFileLineBytes) {
        return LineError("line longer than " + std::to_string(kMaxTapFileLineBytes) + " bytes");
      }
      return true;
    }
    if (eof_) return false;
    if (available > kMaxTapFileLineBytes + 1) {
      ++line_;
      return LineError("line longer than " + std::to_string(kMaxTapFileLineBytes) + " bytes");
    }
    std::memmove(buffer_.data(), start, available);
    begin_ = 0;
    end_ = available;
    in_.read(buffer_.data() + end_, static_cast<std::streamsize>(buffer_.size() - end_));
    const auto got = static_cast<std::size_t>(in_.gcount());
    end_ += got;
    if (in_.bad()) return Internal("the tap file could not be read");
    if (got == 0 || in_.eof()) eof_ = true;
  }
}

Status TapFileReader::SplitFields(std::string_view line) {
  // Checked first: it also refuses line breaks inside quotes, which the record
  // reader would take as data, so a line is always exactly one record.
  if (HasControl(line)) return LineError("a control character in the line");
  record_reader_.Reset(line);
  Status status = record_reader_.ReadRecord(fields_);
  if (!status.ok()) return LineError(status.message());
  return OkStatus();
}

Status TapFileReader::ReadHeader() {
  std::string_view line;
  CITYCODE_ASSIGN_OR_RETURN(const bool got, ReadLine(line));
  if (!got) {
    line_ = 1;
    return LineError("no header: the tap file is empty");
  }
  if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
  CITYCODE_RETURN_IF_ERROR(SplitFields(line));
  columns_ = fields_.size();
  for (std::size_t c = 0; c < kColumnNames.size(); ++c) {
    const auto it = std::find(fields_.begin(), fields_.end(), kColumnNames[c]);
    if (it == fields_.end()) {
      return LineError("the header has no " + std::string(kColumnNames[c]) + " column");
    }
    column_[c] = static_cast<std::size_t>(it - fields_.begin());
  }
  header_read_ = true;
  return OkStatus();
}

Status TapFileReader::ParseRow(std::string_view line, ScannedTap& scanned) {
  CITYCODE_RETURN_IF_ERROR(SplitFields(line));
  if (fields_.size() != columns_) {
    return LineError(std::to_string(fields_.size()) + " fields, the header has " +
                     std::to_string(columns_));
  }
  auto field = [&](Column c) { return fields_[column_[c]]; };
  auto id = [&](Column c, std::string& out) {
    const std::string_view value = field(c);
    Status status = CheckId(value, kColumnNames[c]);
    if (!status.ok()) return LineError(status.message());
    out.assign(value);
    return OkStatus();
  };
  Tap& tap = scanned.tap;
  CITYCODE_RETURN_IF_ERROR(id(kTerminal, tap.terminal_id));
  const std::string_view sequence = field(kSequence);
  const auto [end, ec] =
      std::from_chars(sequence.data(), sequence.data() + sequence.size(), tap.sequence);
  if (ec != std::errc() || end != sequence.data() + sequence.size() || sequence.empty() ||
      sequence[0] == '-') {
    return LineError("sequence must be a whole number >= 0");
  }
  auto at = ParseRfc3339(field(kAt));
  if (!at.ok()) return LineError("at must be an RFC 3339 date-time");
  tap.at = *at;
  CITYCODE_RETURN_IF_ERROR(id(kRoute, tap.route_id));
  CITYCODE_RETURN_IF_ERROR(id(kStop, tap.stop_id));
  auto kind = TapKindFromName(field(kKind));
  if (!kind.ok()) return LineError(kind.status().message());
  tap.kind = *kind;
  Status code = CheckCode(field(kCode));
  if (!code.ok()) return LineError(code.message());
  scanned.code.assign(field(kCode));
  return OkStatus();
}

Result<std::vector<ScannedTap>> TapFileReader::Next(std::size_t max_taps) {
  if (!failed_.ok()) return failed_;
  if (max_taps == 0) return InvalidArgument("max_taps must be > 0");
  if (!header_read_) {
    if (Status status = ReadHeader(); !status.ok()) {
      failed_ = status;
      return status;
    }
  }
  std::vector<ScannedTap> taps;
  taps.reserve(std::min<std::size_t>(max_taps, 4096));
  while (taps.size() < max_taps) {
    std::string_view line;
    auto got = ReadLine(line);
    Status status = got.status();
    if (status.ok() && !*got) break;
    if (status.ok() && line.empty()) continue;
    if (status.ok()) {
      taps.emplace_back();
      status = ParseRow(line, taps.back());
    }
    if (!status.ok()) {
      failed_ = status;
      return status;
    }
  }
  return taps;
}

}  // namespace citycode::transit
