#include "common/config.h"

#include <limits>

namespace citycode {

const ConfigValue* ConfigSection::Find(std::string_view key) {
  read_.emplace(key);
  auto it = table_.find(key);
  return it == table_.end() ? nullptr : &it->second;
}

Status ConfigSection::Invalid(std::string_view key, std::string_view must_be) const {
  return InvalidArgument("config: " + name_ + "." + std::string(key) + " must be " +
                         std::string(must_be));
}

Status ConfigSection::Read(std::string_view key, std::string& out) {
  const ConfigValue* value = Find(key);
  if (value == nullptr) return OkStatus();
  const auto* text = std::get_if<std::string>(value);
  if (text == nullptr) return Invalid(key, "a string");
  out = *text;
  return OkStatus();
}

Status ConfigSection::Read(std::string_view key, std::filesystem::path& out) {
  std::string text = out.string();
  CITYCODE_RETURN_IF_ERROR(Read(key, text));
  out = text;
  return OkStatus();
}

Status ConfigSection::Read(std::string_view key, std::int64_t& out) {
  const ConfigValue* value = Find(key);
  if (value == nullptr) return OkStatus();
  const auto* number = std::get_if<std::int64_t>(value);
  if (number == nullptr || *number < 0) return Invalid(key, "a non-negative integer");
  out = *number;
  return OkStatus();
}

Status ConfigSection::Read(std::string_view key, std::size_t& out) {
  auto number = static_cast<std::int64_t>(out);
  CITYCODE_RETURN_IF_ERROR(Read(key, number));
  out = static_cast<std::size_t>(number);
  return OkStatus();
}

Status ConfigSection::Read(std::string_view key, int& out) {
  std::int64_t number = out;
  CITYCODE_RETURN_IF_ERROR(Read(key, number));
  if (number > std::numeric_limits<int>::max()) return Invalid(key, "a smaller integer");
  out = static_cast<int>(number);
  return OkStatus();
}

Status ConfigSection::Read(std::string_view key, double& out) {
  const ConfigValue* value = Find(key);
  if (value == nullptr) return OkStatus();
  if (const auto* number = std::get_if<double>(value)) {
    out = *number;
  } else if (const auto* integer = std::get_if<std::int64_t>(value)) {
    out = static_cast<double>(*integer);
  } else {
    return Invalid(key, "a number");
  }
  return OkStatus();
}

Status ConfigSection::Read(std::string_view key, bool& out) {
  const ConfigValue* value = Find(key);
  if (value == nullptr) return OkStatus();
  const auto* flag = std::get_if<bool>(value);
  if (flag == nullptr) return Invalid(key, "true or false");
  out = *flag;
  return OkStatus();
}

Status ConfigSection::CheckAllRead() const {
  for (const auto& [key, value] : table_) {
    if (!read_.contains(key)) return InvalidArgument("config: unknown key " + name_ + "." + key);
  }
  return OkStatus();
}

}  // namespace citycode
