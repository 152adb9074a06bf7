// libFuzzer target: what a hospital system sends to /fhir/r4 (src/fhir) —
// a resource body, a _search form, an If-Match header, ids and references —
// and the reads a route makes of a parsed body (api::TextAt, ExtensionString,
// ParameterString). Nothing may crash or throw; an accepted body must be an
// object of the asked type, an accepted search page 1-100 long, else abort.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/route.h"
#include "fhir/fhir.h"

namespace {

using namespace citycode;

void Fail(const char* what) {
  std::fprintf(stderr, "fuzz_fhir: %s\n", what);
  std::abort();
}

void ReadBody(std::string_view input, std::string_view type) {
  auto resource = fhir::ParseResource(input, type);
  if (!resource.ok()) return;
  if (!resource->is_object() || api::TextAt(*resource, "resourceType") != type) {
    Fail("an accepted body is not an object of its type");
  }
  (void)fhir::ExtensionString(*resource,
                              "https://citycode.cn/fhir/StructureDefinition/scanned-code");
  (void)fhir::ParameterString(*resource, "code");
  const std::string id = api::TextAt(*resource, "id");
  (void)fhir::FromId(id);
  if (resource->contains("slot") && (*resource)["slot"].is_array() &&
      !(*resource)["slot"].empty()) {
    (void)fhir::FromReference(api::TextAt((*resource)["slot"][0], "reference"), "Slot");
  }
}

void ReadSearch(std::string_view input) {
  constexpr std::string_view kAllowed[] = {"schedule", "start", "status", "encounter"};
  api::Request post{.method = api::Method::kPost, .body = std::string(input)};
  auto search = fhir::ReadSearch(post, kAllowed);
  if (search.ok() && (search->count < 1 || search->count > 100)) Fail("a page size out of range");
  api::Request header;
  header.headers["if-match"] = std::string(input);
  auto version = fhir::IfMatch(header);
  if (version.ok() && version->has_value() && **version < 1) Fail("a version below 1");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  ReadBody(input, "Appointment");
  ReadBody(input, "Parameters");
  ReadSearch(input);
  (void)fhir::FromReference(input, "Patient");
  return 0;
}
