// libFuzzer target: an HTTP request body through the route table's
// validation (api::ParseBody), with a field of every type. It must never
// crash or throw; a body it accepts must be a JSON object holding only the
// declared fields, each of its type, every required one present, else abort.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "api/route.h"

namespace {

using citycode::api::Field;
using citycode::api::FieldType;

const std::vector<Field>& Fields() {
  static const std::vector<Field> fields = {
      {.name = "name", .max_length = 64},
      {.name = "count", .type = FieldType::kInteger, .required = false},
      {.name = "on", .type = FieldType::kBoolean, .required = false},
      {.name = "types", .type = FieldType::kStringArray, .required = false, .max_items = 8},
      {.name = "object", .type = FieldType::kObject, .required = false},
      {.name = "items", .type = FieldType::kObjectArray, .required = false, .max_items = 4},
      {.name = "note", .required = false, .max_length = 256, .multiline = true}};
  return fields;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json body;
  if (!citycode::api::ParseBody(text, Fields(), body).ok()) return 0;
  bool fine = body.is_object() && body.contains("name") && body["name"].is_string();
  for (const auto& member : body.items()) {
    bool declared = false;
    for (const Field& field : Fields()) declared = declared || field.name == member.key();
    fine = fine && declared;
  }
  if (!fine) {
    std::fprintf(stderr, "fuzz_body: an accepted body breaks its declaration\n");
    std::abort();
  }
  return 0;
}
