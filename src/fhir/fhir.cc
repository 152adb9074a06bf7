#include "fhir/fhir.h"

#include <algorithm>
#include <utility>

namespace citycode::fhir {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxIdBytes = 64;
constexpr int kMaxDepth = 32;
constexpr std::size_t kMaxPageSize = 100;

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

// The issue type (http://hl7.org/fhir/issue-type) that fits an answer.
std::string_view IssueType(int http_status, StatusCode code, std::string_view reason) {
  switch (http_status) {
    case 400: return "invalid";
    case 401: return "login";
    case 403: return "forbidden";
    case 404: return reason == "not_supported" ? "not-supported" : "not-found";
    case 409: return code == StatusCode::kAlreadyExists ? "duplicate" : "business-rule";
    case 412: return "conflict";
    case 429: return "throttled";
    case 503: return "transient";
    default: return "exception";
  }
}

// Refusals FHIR clients know by status: a lost update or an ambiguous
// conditional create is 412 Precondition Failed.
int FhirStatus(int http_status, std::string_view reason) {
  if (reason == "version_conflict" || reason == "multiple_matches") return 412;
  return http_status;
}

bool TooDeep(const json& value, int depth) {
  if (depth > kMaxDepth) return true;
  if (!value.is_structured()) return false;
  return std::any_of(value.begin(), value.end(),
                     [depth](const json& child) { return TooDeep(child, depth + 1); });
}

// "http://host/fhir/r4": where the links of a Bundle point. The scheme is
// the TLS terminator's when it says (X-Forwarded-Proto).
std::string BaseUrl(const api::Request& request) {
  const std::string_view host = request.Header("host");
  const std::string scheme = request.Header("x-forwarded-proto") == "https" ? "https" : "http";
  return scheme + "://" + std::string(host.empty() ? "localhost" : host) + std::string(kBasePath);
}

std::string FormEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (IsIdChar(c) || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

std::string PageUrl(const api::Request& request, std::string_view type, const Search& search,
                    std::size_t offset) {
  std::string url = BaseUrl(request) + "/" + std::string(type) + "?";
  for (const auto& [name, value] : search.params) {
    url += FormEncode(name) + "=" + FormEncode(value) + "&";
  }
  return url + "_count=" + std::to_string(search.count) + "&_offset=" + std::to_string(offset);
}

Result<std::size_t> ReadNumber(std::string_view text, std::size_t low, std::size_t high,
                               std::string_view name) {
  std::size_t value = 0;
  const bool digits =
      !text.empty() && text.size() <= 9 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) value = std::stoul(std::string(text));
  if (!digits || value < low || value > high) {
    return InvalidArgument(std::string(name) + " must be a number " + std::to_string(low) + "-" +
                           std::to_string(high));
  }
  return value;
}

}  // namespace

std::string ToId(std::string_view id) {
  std::string out(id);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

Result<std::string> FromId(std::string_view fhir_id) {
  if (fhir_id.empty() || fhir_id.size() > kMaxIdBytes ||
      !std::all_of(fhir_id.begin(), fhir_id.end(), IsIdChar)) {
    return InvalidArgument("a FHIR id is 1-64 letters, digits, '-' and '.'");
  }
  // citycode's ids are "<prefix>_<hex>": the first '-' was the '_'.
  std::string out(fhir_id);
  if (const std::size_t dash = out.find('-'); dash != std::string::npos) out[dash] = '_';
  return out;
}

std::string Reference(std::string_view type, std::string_view id) {
  return std::string(type) + "/" + ToId(id);
}

Result<std::string> FromReference(std::string_view reference, std::string_view type) {
  const std::size_t slash = reference.find('/');
  if (slash == std::string_view::npos || reference.substr(0, slash) != type) {
    return InvalidArgument("the reference must be " + std::string(type) + "/<id>",
                           "invalid_reference");
  }
  auto id = FromId(reference.substr(slash + 1));
  if (!id.ok()) return InvalidArgument(id.status().message(), "invalid_reference");
  return id;
}

Result<json> ParseResource(std::string_view body, std::string_view type) {
  if (body.size() > kMaxResourceBytes) {
    return InvalidArgument("the resource is larger than 64 KiB", "body_too_large");
  }
  json resource = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (resource.is_discarded() || !resource.is_object() || TooDeep(resource, 0)) {
    return InvalidArgument("the body is not a JSON object (or nests too deep)", "malformed_json");
  }
  const auto found = resource.find("resourceType");
  if (found == resource.end() || !found->is_string() || *found != type) {
    return InvalidArgument("the body must be a " + std::string(type) + " resource", "wrong_type");
  }
  return resource;
}

namespace {

// The valueString of the first element of `resource`'s array `list` whose
// `key` is `name`.
std::optional<std::string> ValueStringIn(const json& resource, std::string_view list,
                                         std::string_view key, std::string_view name) {
  if (!resource.is_object() || !resource.contains(list) || !resource[list].is_array()) {
    return std::nullopt;
  }
  for (const json& element : resource[list]) {
    if (api::TextAt(element, key) != name) continue;
    const auto value = element.find("valueString");
    if (value != element.end() && value->is_string()) return value->get<std::string>();
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ExtensionString(const json& resource, std::string_view url) {
  return ValueStringIn(resource, "extension", "url", url);
}

std::optional<std::string> ParameterString(const json& parameters, std::string_view name) {
  return ValueStringIn(parameters, "parameter", "name", name);
}

api::Response ResourceResponse(int status, const json& resource) {
  api::Response response{.status = status,
                         .content_type = std::string(kMediaType) + "; charset=utf-8",
                         .body = resource.dump()};
  if (const auto meta = resource.find("meta");
      meta != resource.end() && meta->contains("versionId")) {
    response.headers.emplace_back("ETag", "W/\"" + meta->at("versionId").get<std::string>() + "\"");
  }
  return response;
}

api::Response OutcomeResponse(const Status& status) {
  api::Response response = api::ErrorResponse(status);
  const json error = json::parse(response.body, nullptr, false).value("error", json::object());
  const std::string reason = error.value("code", "internal");
  response.status = FhirStatus(response.status, reason);
  const json outcome = {
      {"resourceType", "OperationOutcome"},
      {"issue",
       {{{"severity", response.status >= 500 ? "fatal" : "error"},
         {"code", IssueType(response.status, status.code(), reason)},
         {"details",
          {{"coding", {{{"system", kReasonSystem}, {"code", reason}}}}, {"text", reason}}},
         {"diagnostics", error.value("message", "")}}}}};
  response.content_type = std::string(kMediaType) + "; charset=utf-8";
  response.body = outcome.dump();
  return response;
}

Result<std::optional<int>> IfMatch(const api::Request& request) {
  std::string_view tag = request.Header("if-match");
  if (tag.empty()) return std::optional<int>();
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"')
    tag = tag.substr(1, tag.size() - 2);
  auto version = ReadNumber(tag, 1, 999'999'999, "If-Match");
  if (!version.ok())
    return InvalidArgument("If-Match must be W/\"<versionId>\"", "invalid_if_match");
  return std::optional<int>(static_cast<int>(*version));
}

Status CheckVersion(const std::optional<int>& expected, int current) {
  if (!expected || *expected == current) return OkStatus();
  return FailedPrecondition("the resource changed: it is at version " + std::to_string(current),
                            "version_conflict");
}

std::string Search::Get(std::string_view name) const {
  const auto found = params.find(name);
  return found == params.end() ? std::string() : found->second;
}

Result<Search> ReadSearch(const api::Request& request, std::span<const std::string_view> allowed) {
  std::map<std::string, std::string> given = request.query;
  if (request.method == api::Method::kPost) {
    if (request.body.size() > kMaxResourceBytes || !api::ParseForm(request.body, &given)) {
      return InvalidArgument("a _search body is application/x-www-form-urlencoded, at most 64 KiB",
                             "malformed_form");
    }
  }
  Search search;
  for (auto& [name, value] : given) {
    if (name == "_count") {
      CITYCODE_ASSIGN_OR_RETURN(search.count, ReadNumber(value, 1, kMaxPageSize, "_count"));
    } else if (name == "_offset") {
      CITYCODE_ASSIGN_OR_RETURN(search.offset, ReadNumber(value, 0, 1'000'000, "_offset"));
    } else if (name == "_format") {
      if (value != "json" && value != kMediaType && value != "application/json") {
        return InvalidArgument("only JSON is served", "unsupported_format");
      }
    } else if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
      search.params.emplace(name, std::move(value));
    } else {
      return InvalidArgument("unknown search parameter " + name.substr(0, 64),
                             "unknown_search_parameter");
    }
  }
  return search;
}

json SearchBundle(const api::Request& request, std::string_view type, const Search& search,
                  std::span<const json> matches) {
  json entries = json::array();
  const std::size_t end = std::min(matches.size(), search.offset + search.count);
  for (std::size_t i = search.offset; i < end; ++i) {
    const json& resource = matches[i];
    entries.push_back({{"fullUrl", BaseUrl(request) + "/" + resource.value("resourceType", "") +
                                       "/" + resource.value("id", "")},
                       {"resource", resource},
                       {"search", {{"mode", "match"}}}});
  }
  json links =
      json::array({{{"relation", "self"}, {"url", PageUrl(request, type, search, search.offset)}}});
  if (end < matches.size()) {
    links.push_back({{"relation", "next"}, {"url", PageUrl(request, type, search, end)}});
  }
  if (search.offset > 0) {
    const std::size_t previous = search.offset > search.count ? search.offset - search.count : 0;
    links.push_back({{"relation", "previous"}, {"url", PageUrl(request, type, search, previous)}});
  }
  return {{"resourceType", "Bundle"},
          {"type", "searchset"},
          {"total", matches.size()},
          {"link", links},
          {"entry", entries}};
}

json CapabilityStatement(std::span<const Interaction> resources, std::string_view date) {
  json list = json::array();
  for (const Interaction& r : resources) {
    json entry = {{"type", r.type}, {"interaction", json::array()}};
    for (const std::string& code : r.interactions) entry["interaction"].push_back({{"code", code}});
    if (r.versioned_update) {
      entry["versioning"] = "versioned-update";
      entry["readHistory"] = false;
    }
    if (r.conditional_create) entry["conditionalCreate"] = true;
    for (const SearchParam& p : r.search_params) {
      entry["searchParam"].push_back({{"name", p.name}, {"type", p.type}});
    }
    for (const std::string& op : r.operations) {
      entry["operation"].push_back(
          {{"name", op},
           {"definition", "https://citycode.cn/fhir/OperationDefinition/" + r.type + "-" + op}});
    }
    list.push_back(std::move(entry));
  }
  return {
      {"resourceType", "CapabilityStatement"},
      {"status", "active"},
      {"date", date},
      {"publisher", "citycode"},
      {"kind", "instance"},
      {"software", {{"name", "citycode"}}},
      {"implementation", {{"description", "citycode: the city's one code, for hospital systems"}}},
      // R4; its technical correction 4.0.1 changed no resource, and the
      // official R4 JSON schema's enum names 4.0.0.
      {"fhirVersion", "4.0.0"},
      {"format", {"json"}},
      {"rest",
       {{{"mode", "server"},
         {"security",
          {{"description",
            "Bearer tokens: the hospital's terminal keys (cck_…), as for /v1; each call "
            "is allowed to the terminal's role at its hospital."}}},
         {"resource", list}}}}};
}

api::RouteSpec Route(api::RouteSpec spec) {
  spec.render_error = OutcomeResponse;
  if (spec.method == api::Method::kPost || spec.method == api::Method::kPut) {
    spec.raw_body_type = spec.pattern.ends_with("/_search") ? "application/x-www-form-urlencoded"
                                                            : std::string(kMediaType);
    if (spec.max_body_bytes == 0) spec.max_body_bytes = kMaxResourceBytes;
  }
  return spec;
}

}  // namespace citycode::fhir
