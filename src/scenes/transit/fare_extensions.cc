#include "scenes/transit/fare_extensions.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <set>
#include <system_error>

#include "common/words.h"
#include "scenes/transit/csv.h"

namespace citycode::transit {
namespace {

constexpr char kWindowsFile[] = "citycode_fare_windows.txt";
constexpr char kCapsFile[] = "citycode_daily_caps.txt";

// A non-negative amount in minor units; no sign, no fraction.
std::optional<std::int64_t> ParseMinorUnits(std::string_view s) {
  if (s.empty() || s.size() > 15) return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0 || s.front() == '-') {
    return std::nullopt;
  }
  return v;
}

class ExtensionLoader {
 public:
  ExtensionLoader(std::filesystem::path dir, const Feed& feed)
      : dir_(std::move(dir)), feed_(feed) {}

  Result<FareExtensions> Run() {
    CITYCODE_RETURN_IF_ERROR(
        Load(kWindowsFile,
             {"window_id", "start_date", "end_date", "start_time", "end_time", "cap_amount"},
             &ExtensionLoader::Window));
    CITYCODE_RETURN_IF_ERROR(
        Load(kCapsFile, {"rider_category_id", "cap_amount"}, &ExtensionLoader::Cap));
    std::sort(out_.windows.begin(), out_.windows.end(),
              [](const FareWindow& a, const FareWindow& b) { return a.id < b.id; });
    return std::move(out_);
  }

 private:
  using RowFn = void (ExtensionLoader::*)(const CsvTable&, const CsvRecord&);

  Status Load(const char* name, std::initializer_list<const char*> columns, RowFn row_fn) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(dir_ / name, ec)) return OkStatus();
    CITYCODE_ASSIGN_OR_RETURN(CsvTable table, ReadCsvFile(dir_ / name));
    for (const char* column : columns) {
      if (!table.HasColumn(column)) {
        return InvalidArgument(std::string(name) + ": required column " + column + " missing");
      }
    }
    file_ = name;
    for (const CsvRecord& record : table.records()) (this->*row_fn)(table, record);
    return OkStatus();
  }

  void Note(const CsvRecord& r, std::string message) {
    out_.issues.push_back({file_, r.line, std::move(message)});
  }

  // A local time of day in [00:00:00, 24:00:00): the extension exists so that
  // windows never need GTFS's times past midnight.
  std::optional<int> TimeOfDay(const CsvTable& t, const CsvRecord& r, const char* column) {
    auto v = ParseGtfsTime(t.Get(r, column));
    if (!v.ok() || *v >= 86400) {
      Note(r, std::string("bad ") + column + " '" + std::string(t.Get(r, column)) +
                  "' (00:00:00-23:59:59); row skipped");
      return std::nullopt;
    }
    return *v;
  }

  std::optional<Date> DateField(const CsvTable& t, const CsvRecord& r, const char* column) {
    auto v = ParseGtfsDate(t.Get(r, column));
    if (!v.ok()) {
      Note(r,
           std::string("bad ") + column + " '" + std::string(t.Get(r, column)) + "'; row skipped");
      return std::nullopt;
    }
    return *v;
  }

  std::optional<std::int64_t> Amount(const CsvTable& t, const CsvRecord& r) {
    auto v = ParseMinorUnits(t.Get(r, "cap_amount"));
    if (!v) {
      Note(r, "bad cap_amount '" + std::string(t.Get(r, "cap_amount")) +
                  "' (whole minor units, e.g. fen); row skipped");
    }
    return v;
  }

  void Window(const CsvTable& t, const CsvRecord& r) {
    FareWindow w;
    w.line = r.line;
    w.id = t.Get(r, "window_id");
    if (w.id.empty()) return Note(r, "window_id is empty; row skipped");
    if (!ids_.insert(w.id).second)
      return Note(r, "duplicate window_id '" + w.id + "'; row skipped");
    auto start_date = DateField(t, r, "start_date");
    auto end_date = DateField(t, r, "end_date");
    auto start = TimeOfDay(t, r, "start_time");
    auto end = TimeOfDay(t, r, "end_time");
    auto cap = Amount(t, r);
    if (!start_date || !end_date || !start || !end || !cap) return;
    if (*end_date < *start_date) return Note(r, "end_date before start_date; row skipped");
    if (*start == *end) return Note(r, "start_time equals end_time; row skipped");
    w.start_date = *start_date;
    w.end_date = *end_date;
    w.start = *start;
    w.end = *end;
    w.cap_amount = *cap;
    for (const std::string& name : SplitWords(t.Get(r, "channels"))) {
      auto channel = code::ChannelFromName(name);
      if (!channel.ok()) return Note(r, "unknown channel '" + std::string(name) + "'; row skipped");
      w.channels.push_back(*channel);
    }
    for (const std::string& type : SplitWords(t.Get(r, "route_types"))) {
      auto v = ParseMinorUnits(type);
      if (!v || *v > 10000) {
        return Note(r, "bad route_type '" + std::string(type) + "'; row skipped");
      }
      w.route_types.push_back(static_cast<int>(*v));
    }
    out_.windows.push_back(std::move(w));
  }

  void Cap(const CsvTable& t, const CsvRecord& r) {
    DailyCap c;
    c.line = r.line;
    c.rider_category_id = t.Get(r, "rider_category_id");
    if (c.rider_category_id.empty()) return Note(r, "rider_category_id is empty; row skipped");
    if (!feed_.rider_categories.contains(c.rider_category_id)) {
      return Note(r, "unknown rider_category_id '" + c.rider_category_id + "'; row skipped");
    }
    auto cap = Amount(t, r);
    if (!cap) return;
    c.cap_amount = *cap;
    if (out_.DailyCapFor(c.rider_category_id) != nullptr) {
      return Note(r, "duplicate rider_category_id '" + c.rider_category_id + "'; row skipped");
    }
    out_.daily_caps.push_back(std::move(c));
  }

  std::filesystem::path dir_;
  const Feed& feed_;
  std::string file_;
  std::set<std::string, std::less<>> ids_;
  FareExtensions out_;
};

}  // namespace

const DailyCap* FareExtensions::DailyCapFor(std::string_view rider_category_id) const {
  for (const DailyCap& c : daily_caps) {
    if (c.rider_category_id == rider_category_id) return &c;
  }
  return nullptr;
}

Result<FareExtensions> LoadFareExtensions(const std::filesystem::path& dir, const Feed& feed) {
  return ExtensionLoader(dir, feed).Run();
}

}  // namespace citycode::transit
