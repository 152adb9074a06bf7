// Base45 (RFC 9285), the QR-alphanumeric-friendly encoding of the CC1 text.
#ifndef CITYCODE_CODE_BASE45_H_
#define CITYCODE_CODE_BASE45_H_

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace citycode::code {

// Upper-case Base45 of `bytes`.
std::string Base45Encode(ByteView bytes);

// Strict decoding: characters outside the RFC 9285 alphabet (lower case
// included), a length ≡ 1 (mod 3), a triplet above 65535 or a final pair
// above 255 are invalid_argument. Inputs longer than `max_chars` are refused
// before any work.
Result<Bytes> Base45Decode(std::string_view text, std::size_t max_chars = 16 * 1024);

}  // namespace citycode::code

#endif  // CITYCODE_CODE_BASE45_H_
