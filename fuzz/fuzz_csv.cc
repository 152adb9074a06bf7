// libFuzzer target: a GTFS / GTFS-Fares CSV file (scenes/transit/csv.h) under
// small limits. ParseCsv must never crash; a table it returns keeps the
// limits (fields per record, header present), and every record's field of a
// header column reads back through CsvTable::Get; otherwise abort.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "scenes/transit/csv.h"

namespace {

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "fuzz_csv: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace citycode::transit;
  static const CsvLimits kLimits{
      .max_file_bytes = 1 << 16, .max_record_bytes = 1 << 12, .max_fields = 16};
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = ParseCsv(text, "fuzz.txt", kLimits);
  if (!table.ok()) return 0;
  Require(!table->header().empty(), "a table without a header");
  Require(table->header().size() <= kLimits.max_fields, "a header over max_fields");
  int line = 0;
  for (const CsvRecord& record : table->records()) {
    Require(record.fields.size() <= kLimits.max_fields, "a record over max_fields");
    Require(record.line > line, "record lines do not grow");
    line = record.line;
    for (const std::string& column : table->header()) (void)table->Get(record, column);
  }
  return 0;
}
