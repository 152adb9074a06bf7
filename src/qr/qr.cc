#include "qr/qr.h"

#include <png.h>
#include <qrencode.h>

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>

namespace citycode::qr {
namespace {

// Version 40-M capacities (ISO/IEC 18004:2015 table 7): longer texts are
// refused before libqrencode copies them.
constexpr std::size_t kMaxAlphanumericChars = 3391;
constexpr std::size_t kMaxBytes = 2331;

bool IsAlphanumeric(std::string_view text) {
  for (char c : text) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == ' ' || c == '$' ||
                    c == '%' || c == '*' || c == '+' || c == '-' || c == '.' || c == '/' ||
                    c == ':';
    if (!ok) return false;
  }
  return true;
}

struct QrInputDeleter {
  void operator()(QRinput* p) const { QRinput_free(p); }
};
struct QrCodeDeleter {
  void operator()(QRcode* p) const { QRcode_free(p); }
};

Status ValidateOptions(const QrOptions& o) {
  if (o.module_px < 1 || o.module_px > kMaxModulePx) {
    return InvalidArgument("qr: module_px must be in [1, " + std::to_string(kMaxModulePx) + "]");
  }
  if (o.quiet_zone < 0 || o.quiet_zone > kMaxQuietZone) {
    return InvalidArgument("qr: quiet_zone must be in [0, " + std::to_string(kMaxQuietZone) + "]");
  }
  return OkStatus();
}

// --- PNG writing ------------------------------------------------------------
//
// libpng reports errors by longjmp to the setjmp in WritePngRows. A longjmp
// that skips a C++ destructor is undefined behaviour, so every frame it can
// cross holds only trivially destructible objects: WritePngRows itself (raw
// pointers, ints), libpng's own C frames, and the callbacks below, which
// never call png_error while an object with a destructor (or a caught
// exception) is alive. No C++ exception ever propagates into libpng.

struct PngSink {
  Bytes* out;
  char error[128];  // filled by OnPngError; no allocation on the error path
};

void OnPngError(png_structp png, png_const_charp message) {
  auto* sink = static_cast<PngSink*>(png_get_error_ptr(png));
  std::snprintf(sink->error, sizeof sink->error, "%s", message != nullptr ? message : "?");
  png_longjmp(png, 1);
}

void OnPngWarning(png_structp, png_const_charp) {}

void OnPngWrite(png_structp png, png_bytep data, png_size_t length) {
  auto* sink = static_cast<PngSink*>(png_get_io_ptr(png));
  bool failed = false;
  try {
    sink->out->insert(sink->out->end(), data, data + length);
  } catch (...) {  // std::bad_alloc or std::length_error
    failed = true;
  }
  if (failed) png_error(png, "out of memory");  // the catch block has ended
}

void OnPngFlush(png_structp) {}

// Writes a 1-bit grayscale image whose pixel rows are `rows[row_of[y]]`, each
// `row_bytes` long, for y in [0, side). Returns false on a libpng error, with
// the message in sink->error.
bool WritePngRows(PngSink* sink, int side, const std::uint8_t* rows, std::size_t row_bytes,
                  const int* row_of) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, OnPngError, OnPngWarning);
  if (png == nullptr) {
    std::snprintf(sink->error, sizeof sink->error, "png_create_write_struct failed");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    std::snprintf(sink->error, sizeof sink->error, "png_create_info_struct failed");
    return false;
  }
  // `png` and `info` are not modified after setjmp, so they keep their values
  // after a longjmp.
  if (setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, sink, OnPngWrite, OnPngFlush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(side), static_cast<png_uint_32>(side), 1,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  // A QR image is long runs of equal bytes: the fastest zlib level and no
  // row filters compress it to about twice the size of level 6 in a tenth of
  // the time, and rendering is on the path of every code shown.
  png_set_compression_level(png, 1);
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
  png_write_info(png, info);
  for (int y = 0; y < side; ++y) {
    png_write_row(png, rows + static_cast<std::size_t>(row_of[y]) * row_bytes);
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

Result<QrCode> QrCode::Encode(std::string_view text) {
  if (text.empty()) return InvalidArgument("qr: empty text");
  const bool alphanumeric = IsAlphanumeric(text);
  const std::size_t limit = alphanumeric ? kMaxAlphanumericChars : kMaxBytes;
  if (text.size() > limit) {
    return InvalidArgument("qr: text of " + std::to_string(text.size()) +
                           (alphanumeric ? " alphanumeric characters" : " bytes") +
                           " exceeds QR capacity at level M (" + std::to_string(limit) + ")");
  }

  // Version 0: libqrencode picks the smallest version that fits.
  std::unique_ptr<QRinput, QrInputDeleter> input(QRinput_new2(0, QR_ECLEVEL_M));
  if (!input) return Internal("qr: QRinput_new2 failed (out of memory)");
  if (QRinput_append(input.get(), alphanumeric ? QR_MODE_AN : QR_MODE_8,
                     static_cast<int>(text.size()),
                     reinterpret_cast<const unsigned char*>(text.data())) != 0) {
    const int err = errno;
    if (err == EINVAL) return InvalidArgument("qr: text not valid for its QR mode");
    return Internal(std::string("qr: QRinput_append failed: ") + std::strerror(err));
  }
  errno = 0;
  std::unique_ptr<QRcode, QrCodeDeleter> code(QRcode_encodeInput(input.get()));
  if (!code) {
    const int err = errno;
    if (err == ERANGE) return InvalidArgument("qr: text exceeds QR capacity at level M");
    if (err == EINVAL) return InvalidArgument("qr: text cannot be encoded");
    return Internal(std::string("qr: QRcode_encodeInput failed: ") + std::strerror(err));
  }

  const int size = code->width;
  const auto cells = static_cast<std::size_t>(size) * static_cast<std::size_t>(size);
  std::vector<std::uint8_t> modules(cells);
  for (std::size_t i = 0; i < cells; ++i) modules[i] = code->data[i] & 1;  // bit 0: dark
  return QrCode(code->version, size, std::move(modules));
}

Result<Bytes> QrCode::ToPng(const QrOptions& options) const {
  CITYCODE_RETURN_IF_ERROR(ValidateOptions(options));
  const int px = options.module_px;
  const int q = options.quiet_zone;
  const int modules_per_side = size_ + 2 * q;
  const int side = modules_per_side * px;
  const std::size_t row_bytes = (static_cast<std::size_t>(side) + 7) / 8;

  // One packed pixel row per module row (all-light rows for the quiet zone
  // share row 0), and for each pixel row the module row it shows.
  // Gray 1-bit: 0 is black, 1 is white; rows start all white.
  std::vector<std::uint8_t> rows((static_cast<std::size_t>(size_) + 1) * row_bytes, 0xff);
  for (int my = 0; my < size_; ++my) {
    std::uint8_t* row = rows.data() + static_cast<std::size_t>(my + 1) * row_bytes;
    for (int mx = 0; mx < size_; ++mx) {
      if (!dark(mx, my)) continue;
      for (int i = 0; i < px; ++i) {
        const int x = (mx + q) * px + i;
        row[x / 8] &= static_cast<std::uint8_t>(~(0x80u >> (x % 8)));
      }
    }
  }
  std::vector<int> row_of(static_cast<std::size_t>(side));
  for (int y = 0; y < side; ++y) {
    const int my = y / px - q;
    row_of[static_cast<std::size_t>(y)] = (my >= 0 && my < size_) ? my + 1 : 0;
  }

  Bytes out;
  PngSink sink{&out, {}};
  if (!WritePngRows(&sink, side, rows.data(), row_bytes, row_of.data())) {
    return Internal(std::string("qr: libpng: ") + sink.error);
  }
  return out;
}

Result<std::string> QrCode::ToSvg(const QrOptions& options) const {
  CITYCODE_RETURN_IF_ERROR(ValidateOptions(options));
  const int q = options.quiet_zone;
  const std::string n = std::to_string(size_ + 2 * q);
  const std::string pixels = std::to_string((size_ + 2 * q) * options.module_px);

  std::string path;
  for (int y = 0; y < size_; ++y) {
    for (int x = 0; x < size_;) {
      if (!dark(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < size_ && dark(x + run, y)) ++run;
      const std::string len = std::to_string(run);
      path += "M" + std::to_string(x + q) + " " + std::to_string(y + q) + "h" + len + "v1h-" + len +
              "z";
      x += run;
    }
  }

  std::string svg;
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 " + n + " " + n +
         "\" width=\"" + pixels + "\" height=\"" + pixels + "\" shape-rendering=\"crispEdges\">\n";
  svg += "<rect width=\"" + n + "\" height=\"" + n + "\" fill=\"#fff\"/>\n";
  svg += "<path fill=\"#000\" d=\"" + path + "\"/>\n";
  svg += "</svg>\n";
  return svg;
}

std::string QrCode::ToTerminal() const {
  // Light modules are drawn (foreground), dark modules are blank.
  static constexpr const char* kBoth = "\u2588";   // █ upper and lower light
  static constexpr const char* kUpper = "\u2580";  // ▀ upper light only
  static constexpr const char* kLower = "\u2584";  // ▄ lower light only
  static constexpr const char* kNone = " ";

  constexpr int q = kTerminalQuietZone;
  const int n = size_ + 2 * q;
  // Module (x, y) in quiet-zone coordinates; outside the symbol is light.
  auto light = [&](int x, int y) {
    const int mx = x - q;
    const int my = y - q;
    if (mx < 0 || my < 0 || mx >= size_ || my >= size_) return true;
    return !dark(mx, my);
  };

  std::string out;
  for (int y = 0; y < n; y += 2) {
    for (int x = 0; x < n; ++x) {
      const bool upper = light(x, y);
      const bool lower = light(x, y + 1);  // y + 1 == n: below the quiet zone, light
      out += upper ? (lower ? kBoth : kUpper) : (lower ? kLower : kNone);
    }
    out += '\n';
  }
  return out;
}

}  // namespace citycode::qr
