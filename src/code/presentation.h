// The second CC1 level: what the QR shows. The device wraps its credential,
// the time and a counter in a COSE_Sign1 signed by the device key, every 30 s
// or on demand.
#ifndef CITYCODE_CODE_PRESENTATION_H_
#define CITYCODE_CODE_PRESENTATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "code/cose.h"
#include "code/credential.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/key.h"

namespace citycode::code {

inline constexpr std::string_view kQrPrefix = "CC1:";
// A presentation is about 300 bytes; anything much larger is not ours.
inline constexpr std::size_t kMaxPresentationBytes = 2048;

struct PresentationFields {
  Bytes credential;           // the whole tagged COSE_Sign1 of the credential
  Instant made_at{};          // t
  std::uint64_t counter = 0;  // n
  std::optional<Scene> scene_hint;
};

// Signs the presentation with the device key. invalid_argument if the
// credential is empty or larger than fits a presentation.
Result<Bytes> MakePresentation(const PresentationFields& fields,
                               const crypto::PrivateKey& device_key);

struct Presentation {
  CoseSign1 envelope;
  PresentationFields fields;
};

// Strictly decodes a presentation (tagged COSE_Sign1 with the presentation
// payload map). Its signature is NOT checked here.
Result<Presentation> ParsePresentation(ByteView bytes);
// Decodes the payload map of a presentation.
Result<PresentationFields> ParsePresentationFields(ByteView payload);

// "CC1:" + Base45(bytes), the QR text.
std::string ToQrText(ByteView signed_message);
// The bytes behind a "CC1:" QR text; invalid_argument without the prefix,
// with bad Base45, or when longer than a presentation can be.
Result<Bytes> FromQrText(std::string_view text);

}  // namespace citycode::code

#endif  // CITYCODE_CODE_PRESENTATION_H_
