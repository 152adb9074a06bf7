#include "qr/qr_reader.h"

#define ZX_USE_UTF8 1
#include <ZXing/ReadBarcode.h>
#include <png.h>

#include <cstring>
#include <vector>

namespace citycode::qr {

Result<std::string> ReadQrFromPng(ByteView png) {
  // libpng's simplified API reports errors through the struct, not longjmp.
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, png.data(), png.size())) {
    return InvalidArgument("not a readable PNG image");
  }
  if (static_cast<std::size_t>(image.width) * image.height > kMaxImagePixels) {
    png_image_free(&image);
    return InvalidArgument("image is too large");
  }
  image.format = PNG_FORMAT_GRAY;
  std::vector<std::uint8_t> pixels(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, /*background=*/nullptr, pixels.data(), /*row_stride=*/0,
                             /*colormap=*/nullptr)) {
    png_image_free(&image);
    return InvalidArgument("not a readable PNG image");
  }
  const ZXing::ImageView view(pixels.data(), static_cast<int>(image.width),
                              static_cast<int>(image.height), ZXing::ImageFormat::Lum);
  const ZXing::DecodeHints hints =
      ZXing::DecodeHints().setFormats(ZXing::BarcodeFormat::QRCode).setTryHarder(true);
  const ZXing::Result result = ZXing::ReadBarcode(view, hints);
  if (!result.isValid()) return InvalidArgument("no readable QR code in the image");
  return result.text();
}

}  // namespace citycode::qr
