// HL7 FHIR R4 over the route table: what every FHIR route needs and no
// scene rule — resource bodies read with limits, ids and references,
// OperationOutcome errors, versions (ETag, If-Match), search parameters
// (GET query or POST _search form) and Bundle search sets with paging, and
// the CapabilityStatement. A scene maps its own use cases to resources with
// these (scenes/medical/medical_fhir.cc); nothing here knows a scene.
#ifndef CITYCODE_FHIR_FHIR_H_
#define CITYCODE_FHIR_FHIR_H_

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_message.h"
#include "api/route.h"
#include "common/status.h"

namespace citycode::fhir {

inline constexpr std::string_view kMediaType = "application/fhir+json";
inline constexpr std::string_view kBasePath = "/fhir/r4";
// Where citycode's own codes live (the reason of a refusal, certificate
// types): one code system per kind.
inline constexpr std::string_view kReasonSystem = "https://citycode.cn/fhir/CodeSystem/reason";
// A resource body larger than this is refused before it is parsed.
inline constexpr std::size_t kMaxResourceBytes = 64 * 1024;

// --- ids and references ---
// citycode's ids ("apt_3f…") as FHIR ids ("apt-3f…": FHIR allows no '_')
// and back. FromId is invalid_argument for text that is no FHIR id
// ([A-Za-z0-9-.]{1,64}).
std::string ToId(std::string_view id);
Result<std::string> FromId(std::string_view fhir_id);
// "Patient/pat-3f…" for type "Patient" and citycode id "pat_3f…".
std::string Reference(std::string_view type, std::string_view id);
// The citycode id a reference of `type` names ("Slot/slot-1" → "slot_1");
// invalid_argument for another type, an absolute URL or a bad id.
Result<std::string> FromReference(std::string_view reference, std::string_view type);

// --- bodies ---
// A JSON object of `type` (its resourceType), at most kMaxResourceBytes and
// nested at most 32 deep; invalid_argument (malformed_json, wrong_type)
// otherwise.
Result<nlohmann::json> ParseResource(std::string_view body, std::string_view type);

// What a client's resource says, read without trusting its shape (strings
// at a key: api::TextAt): the valueString of the extension with `url`; the
// valueString of the Parameters resource's parameter `name` (nullopt when
// absent or not a string).
std::optional<std::string> ExtensionString(const nlohmann::json& resource, std::string_view url);
std::optional<std::string> ParameterString(const nlohmann::json& parameters, std::string_view name);

// --- answers ---
// `resource` as application/fhir+json with `status`; an ETag W/"n" when it
// has meta.versionId n.
api::Response ResourceResponse(int status, const nlohmann::json& resource);
// The refusal as an OperationOutcome, with the status ErrorResponse gives
// it (a system error's text never shown), the machine reason as a coding
// of kReasonSystem in issue.details, the one-line message as diagnostics.
api::Response OutcomeResponse(const Status& status);

// --- versions ---
// The version a request's If-Match names (W/"3" or "3"), nullopt without
// one; invalid_argument for another form.
Result<std::optional<int>> IfMatch(const api::Request& request);
// failed_precondition "version_conflict" (412) unless `expected` is unset
// or equals `current`.
Status CheckVersion(const std::optional<int>& expected, int current);

// --- searches ---
struct Search {
  std::map<std::string, std::string, std::less<>> params;  // without _count and _offset
  std::size_t count = 20;                                  // page size, 1-100
  std::size_t offset = 0;
  std::string Get(std::string_view name) const;  // "" when absent
};
// The search parameters of a GET (query) or of a POST …/_search (its
// application/x-www-form-urlencoded body): only `allowed` ones, each once,
// besides _count and _offset (and _format=json); invalid_argument
// "unknown_search_parameter" otherwise.
Result<Search> ReadSearch(const api::Request& request, std::span<const std::string_view> allowed);
// A searchset Bundle of one page of `matches` (all of them, in order), with
// self, next and previous links that repeat the parameters.
nlohmann::json SearchBundle(const api::Request& request, std::string_view type,
                            const Search& search, std::span<const nlohmann::json> matches);

// --- the server's statement ---
struct SearchParam {
  std::string name;  // "schedule"
  std::string type;  // "reference", "date", "token"
};
struct Interaction {
  std::string type;                       // "Appointment"
  std::vector<std::string> interactions;  // "read", "create", "update", "search-type"
  std::vector<SearchParam> search_params;
  std::vector<std::string> operations;  // "check-in"
  bool conditional_create = false;      // If-None-Exist
  bool versioned_update = false;        // If-Match
};
nlohmann::json CapabilityStatement(std::span<const Interaction> resources, std::string_view date);

// A route of the FHIR family: its errors are OperationOutcomes (also the
// server's own refusals), a POST or PUT body is the handler's to read.
api::RouteSpec Route(api::RouteSpec spec);

}  // namespace citycode::fhir

#endif  // CITYCODE_FHIR_FHIR_H_
