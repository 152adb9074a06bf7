// Settings as citycode.toml holds them: sections of keys. The composition
// root parses the file into one ConfigTable per [section] and each module
// reads its own section through a ConfigSection; a key no module reads is
// refused as unknown, so a typo never passes silently. Tests build tables
// in code the same way.
#ifndef CITYCODE_COMMON_CONFIG_H_
#define CITYCODE_COMMON_CONFIG_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "common/status.h"

namespace citycode {

using ConfigValue = std::variant<std::string, std::int64_t, double, bool>;
// One section's keys.
using ConfigTable = std::map<std::string, ConfigValue, std::less<>>;

// Reads one section key by key; remembers which keys were read.
class ConfigSection {
 public:
  ConfigSection(std::string name, const ConfigTable& table)
      : name_(std::move(name)), table_(table) {}

  // Each leaves `out` as it is when the key is absent; invalid_argument
  // naming "section.key" when it holds another type. Integers must be >= 0;
  // a double also takes an integer.
  Status Read(std::string_view key, std::string& out);
  Status Read(std::string_view key, std::filesystem::path& out);
  Status Read(std::string_view key, std::int64_t& out);
  Status Read(std::string_view key, std::size_t& out);
  Status Read(std::string_view key, int& out);
  Status Read(std::string_view key, double& out);
  Status Read(std::string_view key, bool& out);
  // invalid_argument "config: section.key must be <must_be>".
  Status Invalid(std::string_view key, std::string_view must_be) const;
  // invalid_argument naming the first key that was never read.
  Status CheckAllRead() const;

 private:
  const ConfigValue* Find(std::string_view key);
  std::string name_;
  const ConfigTable& table_;
  std::set<std::string, std::less<>> read_;
};

}  // namespace citycode

#endif  // CITYCODE_COMMON_CONFIG_H_
