#include "api/route.h"

#include <algorithm>

namespace citycode::api {
namespace {

constexpr int kMaxJsonDepth = 16;

Status BadRequest(std::string code, std::string message) {
  return InvalidArgument(std::move(message), std::move(code));
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

// A C0 control character or DEL, other than the line breaks a multiline
// field may hold.
bool HasControlCharacter(std::string_view text, bool multiline) {
  return std::any_of(text.begin(), text.end(), [&](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    if (multiline && (c == '\n' || c == '\r')) return false;
    return c < 0x20 || c == 0x7f;
  });
}

Status ControlCharacter(const Field& field) {
  return BadRequest("control_character", "field \"" + field.name + "\" holds a control character");
}

}  // namespace

std::string_view FieldTypeName(FieldType type) {
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

Status ParseBody(std::string_view text, const std::vector<Field>& fields, nlohmann::json& out) {
  if (NestsTooDeep(text)) return BadRequest("malformed_json", "the body nests too deeply");
  out = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) return BadRequest("malformed_json", "the body is not valid JSON");
  if (!out.is_object()) return BadRequest("malformed_json", "the body must be a JSON object");
  for (const auto& member : out.items()) {
    // Named, not bound: clang 14 (the fuzz build) cannot capture a binding.
    const std::string& key = member.key();
    const nlohmann::json& value = member.value();
    const auto field =
        std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.name == key; });
    // Field names are ours or the client's typo, never personal data, but
    // keep the echo short.
    if (field == fields.end()) {
      return BadRequest("unknown_field", "unknown field \"" + key.substr(0, 64) + "\"");
    }
    if (!HasType(value, field->type)) {
      return BadRequest("wrong_type", "field \"" + field->name + "\" must be a " +
                                          std::string(FieldTypeName(field->type)));
    }
    if (value.is_string() && value.get_ref<const std::string&>().size() > field->max_length) {
      return BadRequest("field_too_long", "field \"" + field->name + "\" is longer than " +
                                              std::to_string(field->max_length) + " bytes");
    }
    if (value.is_string() &&
        HasControlCharacter(value.get_ref<const std::string&>(), field->multiline)) {
      return ControlCharacter(*field);
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
        if (HasControlCharacter(item.get_ref<const std::string&>(), field->multiline)) {
          return ControlCharacter(*field);
        }
      }
    }
  }
  for (const Field& field : fields) {
    if (field.required && !out.contains(field.name)) {
      return BadRequest("missing_field", "field \"" + field.name + "\" is required");
    }
  }
  return OkStatus();
}

Status CheckText(std::string_view text, std::size_t max_bytes, std::string_view what) {
  if (text.empty() || text.size() > max_bytes || HasControlCharacter(text, false)) {
    return InvalidArgument(std::string(what) + " must be 1-" + std::to_string(max_bytes) +
                           " bytes of text");
  }
  return OkStatus();
}

std::string TextAt(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return {};
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

}  // namespace citycode::api
