// The OpenAPI 3.0 document of the served routes, made from their declarations.
#include "server/internal/openapi.h"

namespace citycode::server::internal {
namespace {

using api::Field;
using api::FieldType;
using api::Method;
using api::RouteSpec;

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

nlohmann::json Parameters(const RouteSpec& route) {
  nlohmann::json parameters = nlohmann::json::array();
  for (std::size_t at = route.pattern.find('{'); at != std::string::npos;
       at = route.pattern.find('{', at + 1)) {
    const std::size_t end = route.pattern.find('}', at);
    parameters.push_back({{"name", route.pattern.substr(at + 1, end - at - 1)},
                          {"in", "path"},
                          {"required", true},
                          {"schema", {{"type", "string"}}}});
  }
  for (const Field& field : route.query) {
    nlohmann::json parameter = {{"name", field.name},
                                {"in", "query"},
                                {"required", field.required},
                                {"schema", {{"type", api::FieldTypeName(field.type)}}}};
    if (!field.description.empty()) parameter["description"] = field.description;
    parameters.push_back(std::move(parameter));
  }
  if (route.needs_channel_key) {
    parameters.push_back({{"name", "X-Channel-Key"},
                          {"in", "header"},
                          {"required", true},
                          {"schema", {{"type", "string"}}}});
  }
  return parameters;
}

nlohmann::json BodySchema(const std::vector<Field>& fields) {
  nlohmann::json schema = {{"type", "object"},
                           {"additionalProperties", false},
                           {"properties", nlohmann::json::object()}};
  nlohmann::json required = nlohmann::json::array();
  for (const Field& field : fields) {
    nlohmann::json property = {{"type", api::FieldTypeName(field.type)}};
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
  return schema;
}

nlohmann::json Operation(const RouteSpec& route) {
  nlohmann::json op = {{"operationId", route.name}, {"summary", route.summary}};
  if (!route.roles.empty()) {
    std::string roles;
    for (auto role : route.roles) {
      if (!roles.empty()) roles += ", ";
      roles += platform::RoleName(role);
      if (role != platform::Role::kTerminal || route.scenes.empty()) continue;
      std::string scenes;
      for (code::Scene scene : route.scenes) {
        scenes += (scenes.empty() ? "" : ", ") + std::string(code::SceneName(scene));
      }
      roles += " (" + scenes + ")";
    }
    op["description"] =
        "Callers: " + roles + (route.needs_channel_key ? " (with X-Channel-Key)" : "");
    op["security"] = nlohmann::json::array({{{"bearer", nlohmann::json::array()}}});
  } else {
    op["security"] = nlohmann::json::array();
  }
  if (nlohmann::json parameters = Parameters(route); !parameters.empty()) {
    op["parameters"] = parameters;
  }
  if (!route.body.empty()) {
    op["requestBody"] = {{"required", true},
                         {"content", {{"application/json", {{"schema", BodySchema(route.body)}}}}}};
  } else if (!route.raw_body_type.empty()) {
    // The handler reads and checks it.
    op["requestBody"] = {{"content", {{route.raw_body_type, {{"schema", {{"type", "object"}}}}}}}};
  }
  const nlohmann::json error_ref = {
      {"description", "error"},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
  op["responses"] = {{std::to_string(route.success_status), {{"description", "success"}}},
                     {"default", error_ref}};
  return op;
}

}  // namespace

nlohmann::json OpenApiDocument(const std::vector<RouteSpec>& routes) {
  nlohmann::json error_schema = {
      {"type", "object"},
      {"required", {"error"}},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"required", {"code", "message"}},
          {"properties",
           {{"code", {{"type", "string"}}},
            {"message", {{"type", "string"}}},
            {"request_id",
             {{"type", "string"},
              {"description", "on server errors: quote it to the operator"}}}}}}}}}};
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
    doc["paths"][route.pattern][std::string(MethodName(route.method))] = Operation(route);
  }
  return doc;
}

}  // namespace citycode::server::internal
