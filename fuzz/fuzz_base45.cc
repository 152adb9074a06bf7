// libFuzzer target: Base45Decode on arbitrary text. Whatever decodes must
// encode back to exactly the input (strict Base45 has one spelling per byte
// string), else abort.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "code/base45.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = citycode::code::Base45Decode(text);
  if (!decoded.ok()) return 0;
  if (decoded->size() > size) {
    std::fprintf(stderr, "Base45Decode made %zu bytes of %zu characters\n", decoded->size(), size);
    std::abort();
  }
  if (citycode::code::Base45Encode(*decoded) != text) {
    std::fprintf(stderr, "Base45 round trip differs from the input\n");
    std::abort();
  }
  return 0;
}
