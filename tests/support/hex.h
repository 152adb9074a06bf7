// Hex literals in tests: bytes, or an empty result and a test failure.
#ifndef CITYCODE_TESTS_SUPPORT_HEX_H_
#define CITYCODE_TESTS_SUPPORT_HEX_H_

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/bytes.h"

namespace citycode::testing {

inline Bytes Hex(std::string_view hex) {
  Result<Bytes> bytes = FromHex(hex);
  EXPECT_TRUE(bytes.ok()) << "bad hex in test data: " << hex;
  return bytes.ok() ? *std::move(bytes) : Bytes();
}

// Without these, a string argument would be ambiguous: json converts from it.
inline Bytes Hex(const std::string& hex) { return Hex(std::string_view(hex)); }
inline Bytes Hex(const char* hex) { return Hex(std::string_view(hex)); }

// A vector file's hex string field.
inline Bytes Hex(const nlohmann::json& value) {
  if (!value.is_string()) {
    ADD_FAILURE() << "not a hex string in test data: " << value;
    return Bytes();
  }
  return Hex(std::string_view(value.get_ref<const std::string&>()));
}

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_HEX_H_
