// libFuzzer target: a webhook as a receiver gets it (outbox/signature.h):
// the webhook-id, webhook-timestamp and webhook-signature headers and the
// body, split from the input at NUL bytes. WebhookVerifier::Verify must
// never crash and never accept: nothing here is signed with its secret or
// key, else abort. The secret and public-key parsers take the input too.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "common/bytes.h"
#include "outbox/signature.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace citycode;
  static const outbox::WebhookVerifier verifier = [] {
    outbox::WebhookVerifier v;
    v.secrets.push_back(Bytes(32, 0x5a));
    auto key = crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
    if (key.ok()) v.public_keys.push_back(key->public_key());
    return v;
  }();
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::string_view parts[4];
  for (std::string_view& part : parts) {
    const std::size_t end = rest.find('\0');
    part = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  (void)outbox::ParseSecret(parts[0]);
  (void)outbox::ParsePublicKey(parts[0]);
  if (verifier.Verify(parts[0], parts[1], parts[2], parts[3], FromUnixSeconds(1'790'000'000))
          .ok()) {
    std::fprintf(stderr, "fuzz_webhook: an unsigned webhook was accepted\n");
    std::abort();
  }
  return 0;
}
