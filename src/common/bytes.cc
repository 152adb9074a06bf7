#include "common/bytes.h"

#include <sodium.h>

namespace citycode {
namespace {

// sodium_init() is idempotent and thread-safe; the codecs below do not need
// it, but calling it once keeps libsodium's CPU dispatch ready for crypto/.
[[maybe_unused]] const int kSodiumReady = sodium_init();

Result<Bytes> DecodeBase64Variant(std::string_view text, int variant) {
  Bytes out(text.size() / 4 * 3 + 3);
  size_t out_len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(),
                        /*ignore=*/nullptr, &out_len, &end, variant) != 0 ||
      end != text.data() + text.size()) {
    return InvalidArgument("not valid base64");
  }
  out.resize(out_len);
  return out;
}

std::string EncodeBase64Variant(ByteView bytes, int variant) {
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), variant);
  out.pop_back();  // the terminating NUL
  return out;
}

}  // namespace

std::string ToHex(ByteView bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
  out.pop_back();
  return out;
}

Result<Bytes> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return InvalidArgument("hex has an odd length");
  // sodium_hex2bin's output must not be null, which an empty vector's is.
  if (hex.empty()) return Bytes();
  Bytes out(hex.size() / 2);
  size_t out_len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(),
                     /*ignore=*/nullptr, &out_len, &end) != 0 ||
      end != hex.data() + hex.size() || out_len != out.size()) {
    return InvalidArgument("not valid hex");
  }
  return out;
}

std::string Base64Encode(ByteView bytes) {
  return EncodeBase64Variant(bytes, sodium_base64_VARIANT_ORIGINAL);
}
Result<Bytes> Base64Decode(std::string_view text) {
  return DecodeBase64Variant(text, sodium_base64_VARIANT_ORIGINAL);
}
std::string Base64UrlEncode(ByteView bytes) {
  return EncodeBase64Variant(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}
Result<Bytes> Base64UrlDecode(std::string_view text) {
  return DecodeBase64Variant(text, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool ConstantTimeEqual(ByteView a, ByteView b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace citycode
