// libFuzzer target: e-certificate JSON from outside (an agency's upload, a
// bulk import line, a vault release read back). ParseCertificateJson must
// never crash; a certificate it accepts must come back the same through
// CertificateToJson and ParseCertificateJson again, and its canonical
// encoding (what issuers sign) must not change on the way, else abort.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "vault/certificate.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace citycode::vault;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseCertificateJson(text);
  if (!parsed.ok()) return 0;
  auto again = ParseCertificateJson(CertificateToJson(*parsed).dump());
  if (!again.ok() || !(*again == *parsed) ||
      CanonicalEncoding(again->certificate) != CanonicalEncoding(parsed->certificate)) {
    std::fprintf(stderr, "fuzz_certificate: an accepted certificate did not round-trip\n");
    std::abort();
  }
  return 0;
}
