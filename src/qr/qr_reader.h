// Reads a QR code back from an image, with ZXing-C++: for the CLI's
// `code verify --image`, simulators and tests. (Gates use their own scanner;
// the verifier library does not need this.)
#ifndef CITYCODE_QR_QR_READER_H_
#define CITYCODE_QR_QR_READER_H_

#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace citycode::qr {

// Images larger than this many pixels are refused before decoding.
inline constexpr std::size_t kMaxImagePixels = 40'000'000;

// The text of the first QR code found in a PNG image.
// invalid_argument if the bytes are not a PNG, the image is too large, or it
// holds no readable QR code.
Result<std::string> ReadQrFromPng(ByteView png);

}  // namespace citycode::qr

#endif  // CITYCODE_QR_QR_READER_H_
