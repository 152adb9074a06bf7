// QR Code symbols (ISO/IEC 18004) for CC1 texts: encoding and rendering.
//
// QrCode::Encode makes the smallest symbol at error correction level M for a
// text; the symbol renders as PNG (for files and HTTP), SVG (for web pages)
// or UTF-8 half blocks (for a terminal). Encoding uses libqrencode, PNG
// output libpng; neither appears in this header.
//
//   auto qr = qr::QrCode::Encode("CC1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23");
//   if (!qr.ok()) return qr.status();
//   CITYCODE_ASSIGN_OR_RETURN(Bytes png, qr->ToPng({.module_px = 6}));
//
// Thread safety: a QrCode is immutable; all members are safe to call
// concurrently. Encode itself is thread safe (libqrencode is built with
// pthreads on Debian).
#ifndef CITYCODE_QR_QR_H_
#define CITYCODE_QR_QR_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace citycode::qr {

// How ToPng and ToSvg lay out a symbol.
struct QrOptions {
  // Side of one module in pixels (PNG) or user units of the width/height
  // attributes (SVG). Valid range [1, kMaxModulePx].
  int module_px = 8;
  // Light margin around the symbol, in modules. ISO/IEC 18004 requires 4;
  // fewer makes some readers fail. Valid range [0, kMaxQuietZone].
  int quiet_zone = 4;
};
inline constexpr int kMaxModulePx = 64;
inline constexpr int kMaxQuietZone = 64;
// The quiet zone ToTerminal draws, in modules: less than ISO's 4 to save
// screen lines; phone readers cope with 2.
inline constexpr int kTerminalQuietZone = 2;

// One QR Code symbol: a square matrix of dark and light modules.
class QrCode {
 public:
  // Encodes `text` at error correction level M in the smallest version
  // (1..40) that holds it, as one segment:
  // - alphanumeric mode when every character is in the QR alphanumeric set
  //   0-9 A-Z space $ % * + - . / : (so every CC1 text, which is "CC1:" +
  //   Base45, is encoded in alphanumeric mode as DESIGN.md requires);
  // - otherwise 8-bit byte mode holding the bytes of `text` unchanged (case
  //   preserved, no ECI header: readers take UTF-8 or ISO-8859-1 by
  //   guessing, so prefer ASCII).
  // Errors: invalid_argument if `text` is empty or too long for version 40-M
  // (3,391 alphanumeric characters or 2,331 bytes); internal if libqrencode
  // fails otherwise (out of memory).
  static Result<QrCode> Encode(std::string_view text);

  // 1..40.
  int version() const { return version_; }
  // Modules per side, without quiet zone: 17 + 4 * version.
  int size() const { return size_; }
  // Whether the module in column `x`, row `y` (0-based, origin top left) is
  // dark. REQUIRES: 0 <= x, y < size().
  bool dark(int x, int y) const {
    return modules_[static_cast<std::size_t>(y) * static_cast<std::size_t>(size_) +
                    static_cast<std::size_t>(x)] != 0;
  }

  // A PNG image (1-bit grayscale, black on white, no interlace) of the
  // symbol with `options.quiet_zone` light modules around it; each module is
  // module_px x module_px pixels.
  // Errors: invalid_argument if an option is out of range; internal if libpng
  // fails (out of memory).
  Result<Bytes> ToPng(const QrOptions& options = {}) const;

  // A standalone SVG document: viewBox "0 0 N N" in modules, where
  // N = size() + 2 * quiet_zone; width and height N * module_px; a white
  // background rect and one black <path> whose subpaths are horizontal runs
  // of dark modules ("M{x} {y}h{len}v1h-{len}z"); shape-rendering crispEdges.
  // Errors: invalid_argument if an option is out of range.
  Result<std::string> ToSvg(const QrOptions& options = {}) const;

  // The symbol as UTF-8 text for a terminal, two module rows per line, with a
  // quiet zone of kTerminalQuietZone modules; every line ends in '\n' and
  // holds only ' ', '▀', '▄' and '█'.
  //
  // Follows qrencode's "-t UTF8" convention: *light* modules (and the quiet
  // zone) are drawn with block characters in the terminal's foreground
  // colour, dark modules are left blank (background). On the usual light-on-
  // dark terminal this shows a correct dark-on-light symbol with its quiet
  // zone drawn explicitly, which is what phone readers need; on a dark-on-
  // light terminal the symbol appears inverted (colours swapped), which most
  // phone readers also accept. No ANSI escapes are used, so the output can be
  // logged or piped.
  std::string ToTerminal() const;

 private:
  QrCode(int version, int size, std::vector<std::uint8_t> modules)
      : version_(version), size_(size), modules_(std::move(modules)) {}

  int version_;
  int size_;
  std::vector<std::uint8_t> modules_;  // size_ * size_, row-major, 1 = dark
};

}  // namespace citycode::qr

#endif  // CITYCODE_QR_QR_H_
