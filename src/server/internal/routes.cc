#include "server/internal/routes.h"

#include <algorithm>

namespace citycode::server::internal {
namespace {

constexpr int kMaxJsonDepth = 16;

Response BadRequest(std::string_view code, std::string message) {
  return ErrorResponse(InvalidArgument(std::move(message)), code);
}

// nlohmann's parser is iterative but destroying a deep value recurses; our
// bodies are flat, so anything deeper than a few levels is refused first.
bool NestsTooDeep(std::string_view text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

std::string_view TypeName(FieldType type) {
  switch (type) {
    case FieldType::kString: return "string";
    case FieldType::kInteger: return "integer";
    case FieldType::kBoolean: return "boolean";
    case FieldType::kStringArray: return "array";
    case FieldType::kObject: return "object";
    case FieldType::kObjectArray: return "array";
  }
  return "string";
}

bool HasType(const nlohmann::json& value, FieldType type) {
  switch (type) {
    case FieldType::kString: return value.is_string();
    case FieldType::kInteger: return value.is_number_integer();
    case FieldType::kBoolean: return value.is_boolean();
    case FieldType::kStringArray:
      return value.is_array() &&
             std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_string(); });
    case FieldType::kObject: return value.is_object();
    case FieldType::kObjectArray:
      return value.is_array() &&
             std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_object(); });
  }
  return false;
}

std::string_view MethodName(Method method) {
  switch (method) {
    case Method::kGet: return "get";
    case Method::kHead: return "head";
    case Method::kPost: return "post";
    case Method::kPut: return "put";
    case Method::kPatch: return "patch";
    case Method::kDelete: return "delete";
  }
  return "get";
}

}  // namespace

std::optional<Response> CheckOrgAccess(const Call& call) {
  const platform::Principal& who = *call.principal;
  if (who.role == platform::Role::kAdmin) return std::nullopt;
  if (who.role == platform::Role::kOrgAdmin && who.org_id == call.request.path_params.at("org")) {
    return std::nullopt;
  }
  return ErrorResponse(PermissionDenied("this key may not administer that organisation"));
}

const std::string& Param(const Call& call, const char* name) {
  return call.request.path_params.at(name);
}

std::string Text(const Call& call, const char* name) {
  return call.body.contains(name) ? call.body[name].get<std::string>() : std::string();
}

std::vector<std::string> Strings(const Call& call, const char* name) {
  return call.body.contains(name) ? call.body[name].get<std::vector<std::string>>()
                                  : std::vector<std::string>();
}

std::optional<Response> ParseBody(std::string_view text, const std::vector<Field>& fields,
                                  nlohmann::json& out) {
  if (NestsTooDeep(text)) return BadRequest("malformed_json", "the body nests too deeply");
  out = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) return BadRequest("malformed_json", "the body is not valid JSON");
  if (!out.is_object()) return BadRequest("malformed_json", "the body must be a JSON object");
  for (const auto& [key, value] : out.items()) {
    const auto field =
        std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.name == key; });
    // Field names are ours or the client's typo, never personal data, but
    // keep the echo short.
    if (field == fields.end()) {
      return BadRequest("unknown_field", "unknown field \"" + key.substr(0, 64) + "\"");
    }
    if (!HasType(value, field->type)) {
      return BadRequest("wrong_type", "field \"" + field->name + "\" must be a " +
                                          std::string(TypeName(field->type)));
    }
    if (value.is_string() && value.get_ref<const std::string&>().size() > field->max_length) {
      return BadRequest("field_too_long", "field \"" + field->name + "\" is longer than " +
                                              std::to_string(field->max_length) + " bytes");
    }
    if (field->type == FieldType::kStringArray || field->type == FieldType::kObjectArray) {
      if (value.size() > field->max_items) {
        return BadRequest("field_too_long", "field \"" + field->name + "\" has more than " +
                                                std::to_string(field->max_items) + " items");
      }
    }
    if (field->type == FieldType::kStringArray) {
      for (const auto& item : value) {
        if (item.get_ref<const std::string&>().size() > field->max_length) {
          return BadRequest("field_too_long", "an item of field \"" + field->name +
                                                  "\" is longer than " +
                                                  std::to_string(field->max_length) + " bytes");
        }
      }
    }
  }
  for (const Field& field : fields) {
    if (field.required && !out.contains(field.name)) {
      return BadRequest("missing_field", "field \"" + field.name + "\" is required");
    }
  }
  return std::nullopt;
}

nlohmann::json OpenApiDocument(const std::vector<RouteSpec>& routes) {
  nlohmann::json error_schema = {
      {"type", "object"},
      {"required", {"error"}},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"required", {"code", "message"}},
          {"properties", {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}};
  nlohmann::json doc = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "citycode API"},
        {"version", "1"},
        {"description",
         "One QR code for the whole city. Bearer tokens: API keys (cck_…) for admins, "
         "organisation admins, terminals and issuing channels; sessions (ccs_…) for citizens. "
         "Enrolment also needs the issuing channel's key in X-Channel-Key."}}},
      {"components",
       {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
        {"schemas", {{"Error", error_schema}}}}},
      {"paths", nlohmann::json::object()}};
  for (const RouteSpec& route : routes) {
    nlohmann::json op = {{"operationId", route.name}, {"summary", route.summary}};
    if (!route.roles.empty()) {
      std::string roles;
      for (auto role : route.roles) {
        if (!roles.empty()) roles += ", ";
        roles += platform::RoleName(role);
      }
      op["description"] =
          "Callers: " + roles + (route.needs_channel_key ? " (with X-Channel-Key)" : "");
      op["security"] = nlohmann::json::array({{{"bearer", nlohmann::json::array()}}});
    } else {
      op["security"] = nlohmann::json::array();
    }
    nlohmann::json parameters = nlohmann::json::array();
    for (std::size_t at = route.pattern.find('{'); at != std::string::npos;
         at = route.pattern.find('{', at + 1)) {
      const std::size_t end = route.pattern.find('}', at);
      parameters.push_back({{"name", route.pattern.substr(at + 1, end - at - 1)},
                            {"in", "path"},
                            {"required", true},
                            {"schema", {{"type", "string"}}}});
    }
    if (route.needs_channel_key) {
      parameters.push_back({{"name", "X-Channel-Key"},
                            {"in", "header"},
                            {"required", true},
                            {"schema", {{"type", "string"}}}});
    }
    if (!parameters.empty()) op["parameters"] = parameters;
    if (!route.body.empty()) {
      nlohmann::json schema = {{"type", "object"},
                               {"additionalProperties", false},
                               {"properties", nlohmann::json::object()}};
      nlohmann::json required = nlohmann::json::array();
      for (const Field& field : route.body) {
        nlohmann::json property = {{"type", TypeName(field.type)}};
        if (field.type == FieldType::kString) property["maxLength"] = field.max_length;
        if (field.type == FieldType::kStringArray) {
          property["items"] = {{"type", "string"}, {"maxLength", field.max_length}};
          property["maxItems"] = field.max_items;
        }
        if (field.type == FieldType::kObjectArray) {
          property["items"] = {{"type", "object"}};
          property["maxItems"] = field.max_items;
        }
        if (!field.description.empty()) property["description"] = field.description;
        schema["properties"][field.name] = property;
        if (field.required) required.push_back(field.name);
      }
      if (!required.empty()) schema["required"] = required;
      op["requestBody"] = {{"required", true},
                           {"content", {{"application/json", {{"schema", schema}}}}}};
    }
    const nlohmann::json error_ref = {
        {"description", "error"},
        {"content",
         {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
    op["responses"] = {{std::to_string(route.success_status), {{"description", "success"}}},
                       {"default", error_ref}};
    doc["paths"][route.pattern][std::string(MethodName(route.method))] = op;
  }
  return doc;
}

}  // namespace citycode::server::internal
