#include "qr/qr.h"

#define ZX_USE_UTF8
#include <ZXing/ReadBarcode.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <png.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/status_matchers.h"

namespace citycode::qr {
namespace {

using ::citycode::testing::StatusIs;

constexpr std::string_view kBase45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

// A CC1-like text: "CC1:" + `n` pseudo-random Base45 characters.
std::string Cc1Text(std::size_t n, unsigned seed = 45) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, kBase45Alphabet.size() - 1);
  std::string s = "CC1:";
  for (std::size_t i = 0; i < n; ++i) s += kBase45Alphabet[pick(rng)];
  return s;
}

// An alphanumeric text of exactly `n` characters.
std::string AnText(std::size_t n) { return Cc1Text(n - 4, static_cast<unsigned>(n)); }

struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // 8-bit luminance, row-major
};

// Decodes a PNG with libpng's simplified API into 8-bit gray.
GrayImage DecodePng(const Bytes& png) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  GrayImage out;
  if (!png_image_begin_read_from_memory(&image, png.data(), png.size())) {
    ADD_FAILURE() << "png_image_begin_read_from_memory: " << image.message;
    return out;
  }
  image.format = PNG_FORMAT_GRAY;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr)) {
    ADD_FAILURE() << "png_image_finish_read: " << image.message;
    png_image_free(&image);
    return {};
  }
  return out;
}

// Renders a module matrix (true = dark) with a quiet zone, `px` pixels per module.
GrayImage Render(const std::vector<std::vector<bool>>& dark, int quiet, int px) {
  const int n = static_cast<int>(dark.size());
  GrayImage img;
  img.width = img.height = (n + 2 * quiet) * px;
  img.pixels.assign(static_cast<std::size_t>(img.width) * img.height, 255);
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      if (!dark[y][x]) continue;
      for (int dy = 0; dy < px; ++dy) {
        for (int dx = 0; dx < px; ++dx) {
          img.pixels[static_cast<std::size_t>((y + quiet) * px + dy) * img.width +
                     (x + quiet) * px + dx] = 0;
        }
      }
    }
  }
  return img;
}

std::vector<std::vector<bool>> Matrix(const QrCode& qr) {
  std::vector<std::vector<bool>> m(qr.size(), std::vector<bool>(qr.size()));
  for (int y = 0; y < qr.size(); ++y) {
    for (int x = 0; x < qr.size(); ++x) m[y][x] = qr.dark(x, y);
  }
  return m;
}

ZXing::Result ReadQr(const GrayImage& img) {
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  hints.setTryHarder(true);
  return ZXing::ReadBarcode(
      ZXing::ImageView(img.pixels.data(), img.width, img.height, ZXing::ImageFormat::Lum), hints);
}

// Runs zbarimg on `png` (written to a temporary file); returns its exit
// status and standard output.
std::pair<int, std::string> ZbarImg(const Bytes& png) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string path = std::string(tmpdir != nullptr ? tmpdir : "/tmp") + "/qr_test_XXXXXX.png";
  const int fd = mkstemps(path.data(), 4);
  if (fd < 0) return {-1, "mkstemps failed"};
  const bool written = write(fd, png.data(), png.size()) == static_cast<ssize_t>(png.size());
  close(fd);
  if (!written) {
    unlink(path.c_str());
    return {-1, "write failed"};
  }
  const std::string command =
      "zbarimg --raw -q --nodbus -Sdisable -Sqrcode.enable '" + path + "' 2>&1";
  std::string output;
  int status = -1;
  if (FILE* pipe = popen(command.c_str(), "r"); pipe != nullptr) {
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
    status = pclose(pipe);
  }
  unlink(path.c_str());
  return {status, output};
}

TEST(QrTest, Cc1TextIsVersion13AtLevelMAndDecodesWithZxing) {
  const std::string text = Cc1Text(450);
  ASSERT_EQ(text.size(), 454u);
  auto qr = QrCode::Encode(text);
  ASSERT_TRUE(qr.ok()) << qr.status().ToString();
  std::printf("[ info     ] 454-char alphanumeric text at level M: version %d (%dx%d modules)\n",
              qr->version(), qr->size(), qr->size());
  // Alphanumeric capacity at M: version 13 holds 483 characters.
  EXPECT_LE(qr->version(), 14);
  EXPECT_EQ(qr->version(), 13);
  EXPECT_EQ(qr->size(), 17 + 4 * qr->version());

  auto png = qr->ToPng();
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  const GrayImage img = DecodePng(*png);
  ASSERT_EQ(img.width, (qr->size() + 8) * 8);
  ASSERT_EQ(img.height, img.width);
  const ZXing::Result result = ReadQr(img);
  ASSERT_TRUE(result.isValid()) << ZXing::ToString(result.error());
  EXPECT_EQ(result.format(), ZXing::BarcodeFormat::QRCode);
  EXPECT_EQ(result.text(), text);
  EXPECT_EQ(result.ecLevel(), "M");
}

TEST(QrTest, Cc1PngDecodesWithZbarimg) {
  // zbar-tools is a required test dependency (scripts/install-deps): fail, never skip.
  ASSERT_EQ(std::system("command -v zbarimg >/dev/null 2>&1"), 0)
      << "zbarimg not found: install zbar-tools (scripts/install-deps)";
  const std::string text = Cc1Text(450, 7);
  auto qr = QrCode::Encode(text);
  ASSERT_TRUE(qr.ok()) << qr.status().ToString();
  auto png = qr->ToPng();
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  const auto [status, output] = ZbarImg(*png);
  ASSERT_EQ(status, 0) << output;
  EXPECT_EQ(output, text + "\n");
}

TEST(QrTest, PngIsOneBitGrayscaleAndMatchesTheMatrix) {
  auto qr = QrCode::Encode("CC1:HELLO JIMO");
  ASSERT_TRUE(qr.ok());
  auto png = qr->ToPng({.module_px = 3, .quiet_zone = 4});
  ASSERT_TRUE(png.ok());
  const Bytes& b = *png;
  ASSERT_GT(b.size(), 33u);
  const Bytes signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  EXPECT_TRUE(std::equal(signature.begin(), signature.end(), b.begin()));
  EXPECT_EQ(AsChars(ByteView(b).subspan(12, 4)), "IHDR");
  EXPECT_EQ(b[24], 1) << "bit depth";
  EXPECT_EQ(b[25], 0) << "colour type gray";

  const GrayImage img = DecodePng(b);
  const int n = qr->size() + 8;
  ASSERT_EQ(img.width, n * 3);
  for (int my = 0; my < n; ++my) {
    for (int mx = 0; mx < n; ++mx) {
      const bool inside = mx >= 4 && my >= 4 && mx < n - 4 && my < n - 4;
      const bool dark = inside && qr->dark(mx - 4, my - 4);
      for (int dy = 0; dy < 3; ++dy) {
        for (int dx = 0; dx < 3; ++dx) {
          ASSERT_EQ(img.pixels[static_cast<std::size_t>(my * 3 + dy) * img.width + mx * 3 + dx],
                    dark ? 0 : 255)
              << "module " << mx << "," << my;
        }
      }
    }
  }
}

TEST(QrTest, PngWithoutQuietZoneAtOnePixelPerModule) {
  auto qr = QrCode::Encode("CC1:1");
  ASSERT_TRUE(qr.ok());
  EXPECT_EQ(qr->version(), 1);
  auto png = qr->ToPng({.module_px = 1, .quiet_zone = 0});
  ASSERT_TRUE(png.ok());
  const GrayImage img = DecodePng(*png);
  EXPECT_EQ(img.width, 21);
  EXPECT_EQ(img.height, 21);
  EXPECT_EQ(img.pixels[0], 0);  // finder pattern corner
}

TEST(QrTest, RenderOptionsOutOfRangeAreInvalidArgument) {
  auto qr = QrCode::Encode("CC1:X");
  ASSERT_TRUE(qr.ok());
  for (const QrOptions o :
       {QrOptions{.module_px = 0}, QrOptions{.module_px = kMaxModulePx + 1},
        QrOptions{.quiet_zone = -1}, QrOptions{.quiet_zone = kMaxQuietZone + 1}}) {
    EXPECT_THAT(qr->ToPng(o), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
    EXPECT_THAT(qr->ToSvg(o), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  }
  EXPECT_TRUE(qr->ToPng({.module_px = kMaxModulePx, .quiet_zone = kMaxQuietZone}).ok());
}

// Smallest alphanumeric length that needs version `v + 1` at level M, found
// by encoding; checks that Encode uses alphanumeric mode (byte mode holds far
// fewer characters: 331 in version 13).
TEST(QrTest, AlphanumericCapacityAtLevelM) {
  struct Row {
    int version;
    std::size_t capacity;  // ISO/IEC 18004 table 7, alphanumeric, M
  };
  for (const Row row :
       {Row{1, 20}, Row{10, 311}, Row{13, 483}, Row{14, 528}, Row{15, 600}, Row{40, 3391}}) {
    auto fits = QrCode::Encode(AnText(row.capacity));
    ASSERT_TRUE(fits.ok()) << fits.status().ToString();
    EXPECT_EQ(fits->version(), row.version) << row.capacity << " chars";
    std::printf("[ info     ] alphanumeric, level M: version %d holds %zu characters\n",
                row.version, row.capacity);
    if (row.version < 40) {
      auto next = QrCode::Encode(AnText(row.capacity + 1));
      ASSERT_TRUE(next.ok()) << next.status().ToString();
      EXPECT_EQ(next->version(), row.version + 1) << row.capacity + 1 << " chars";
    }
  }
}

TEST(QrTest, TextTooLongIsInvalidArgument) {
  EXPECT_THAT(QrCode::Encode(AnText(3392)),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(QrCode::Encode(std::string(2332, 'a')),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  auto max_bytes = QrCode::Encode(std::string(2331, 'a'));
  ASSERT_TRUE(max_bytes.ok()) << max_bytes.status().ToString();
  EXPECT_EQ(max_bytes->version(), 40);
  EXPECT_THAT(QrCode::Encode(""), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

TEST(QrTest, NonAlphanumericTextUsesByteModeAndKeepsCase) {
  const std::string url = "https://citycode.example/v1/queue?site=jimo-hall&n=42";
  auto qr = QrCode::Encode(url);
  ASSERT_TRUE(qr.ok()) << qr.status().ToString();
  auto png = qr->ToPng();
  ASSERT_TRUE(png.ok());
  const ZXing::Result result = ReadQr(DecodePng(*png));
  ASSERT_TRUE(result.isValid()) << ZXing::ToString(result.error());
  EXPECT_EQ(result.text(), url);

  // Lower case is not folded to upper case: "cc1:..." is a different text
  // from "CC1:..." and needs byte mode, so a bigger symbol.
  const std::string upper = Cc1Text(100);
  std::string lower = upper;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto upper_qr = QrCode::Encode(upper);
  auto lower_qr = QrCode::Encode(lower);
  ASSERT_TRUE(upper_qr.ok());
  ASSERT_TRUE(lower_qr.ok());
  EXPECT_GT(lower_qr->version(), upper_qr->version());
  auto lower_png = lower_qr->ToPng();
  ASSERT_TRUE(lower_png.ok());
  EXPECT_EQ(ReadQr(DecodePng(*lower_png)).text(), lower);
}

TEST(QrTest, EncodeIsDeterministic) {
  const std::string text = Cc1Text(200);
  auto a = QrCode::Encode(text);
  auto b = QrCode::Encode(text);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Matrix(*a), Matrix(*b));
  EXPECT_NE(Matrix(*a), Matrix(*QrCode::Encode(Cc1Text(200, 1))));
}

// Parses the single path of ToSvg ("M{x} {y}h{len}v1h-{len}z" runs) into
// a set of dark modules in quiet-zone coordinates; fails on anything else.
std::set<std::pair<int, int>> SvgDarkModules(const std::string& d) {
  std::set<std::pair<int, int>> dark;
  std::size_t pos = 0;
  while (pos < d.size()) {
    int x, y, len, len2, consumed = 0;
    if (std::sscanf(d.c_str() + pos, "M%d %dh%dv1h-%dz%n", &x, &y, &len, &len2, &consumed) != 4 ||
        consumed == 0 || len != len2 || len < 1) {
      ADD_FAILURE() << "bad path at " << pos << ": " << d.substr(pos, 30);
      return dark;
    }
    for (int i = 0; i < len; ++i) EXPECT_TRUE(dark.insert({x + i, y}).second) << "overlap";
    pos += static_cast<std::size_t>(consumed);
  }
  return dark;
}

TEST(QrTest, SvgHasViewBoxInModulesAndOnePathWithExactlyTheDarkModules) {
  const std::string text = Cc1Text(120);
  auto qr = QrCode::Encode(text);
  ASSERT_TRUE(qr.ok());
  auto svg_or = qr->ToSvg({.module_px = 5, .quiet_zone = 4});
  ASSERT_TRUE(svg_or.ok());
  const std::string& svg = *svg_or;
  const int n = qr->size() + 8;
  const std::string ns = std::to_string(n);
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("viewBox=\"0 0 " + ns + " " + ns + "\""), std::string::npos);
  EXPECT_NE(svg.find("width=\"" + std::to_string(n * 5) + "\""), std::string::npos);
  EXPECT_NE(svg.find("shape-rendering=\"crispEdges\""), std::string::npos);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  // XML-ish: tags balance, and exactly one path.
  EXPECT_EQ(std::count(svg.begin(), svg.end(), '<'), std::count(svg.begin(), svg.end(), '>'));
  const std::size_t first = svg.find("<path ");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(svg.find("<path ", first + 1), std::string::npos);

  const std::size_t d_begin = svg.find(" d=\"", first) + 4;
  const std::size_t d_end = svg.find('"', d_begin);
  const auto dark = SvgDarkModules(svg.substr(d_begin, d_end - d_begin));
  std::size_t matrix_dark = 0;
  std::vector<std::vector<bool>> from_svg(qr->size(), std::vector<bool>(qr->size()));
  for (int y = 0; y < qr->size(); ++y) {
    for (int x = 0; x < qr->size(); ++x) {
      matrix_dark += qr->dark(x, y);
      EXPECT_EQ(dark.count({x + 4, y + 4}), qr->dark(x, y) ? 1u : 0u) << x << "," << y;
      from_svg[y][x] = dark.count({x + 4, y + 4}) != 0;
    }
  }
  EXPECT_EQ(dark.size(), matrix_dark);
  EXPECT_EQ(ReadQr(Render(from_svg, 4, 4)).text(), text);
}

// Splits ToTerminal output into lines of UTF-8 characters.
std::vector<std::vector<std::string>> TerminalCells(const std::string& out) {
  std::vector<std::vector<std::string>> lines(1);
  for (std::size_t i = 0; i < out.size();) {
    if (out[i] == '\n') {
      lines.emplace_back();
      ++i;
      continue;
    }
    const auto lead = static_cast<unsigned char>(out[i]);
    const std::size_t len = lead < 0x80 ? 1 : lead >= 0xe0 && lead < 0xf0 ? 3 : 0;
    if (len == 0 || i + len > out.size()) {
      ADD_FAILURE() << "unexpected byte " << int{lead} << " at " << i;
      return {};
    }
    lines.back().push_back(out.substr(i, len));
    i += len;
  }
  EXPECT_TRUE(lines.back().empty()) << "output must end in a newline";
  lines.pop_back();
  return lines;
}

TEST(QrTest, TerminalUsesHalfBlocksWithLightModulesDrawnAndDecodes) {
  const std::string text = Cc1Text(60);
  auto qr = QrCode::Encode(text);
  ASSERT_TRUE(qr.ok());
  const auto lines = TerminalCells(qr->ToTerminal());
  const int q = kTerminalQuietZone;
  const int n = qr->size() + 2 * q;
  ASSERT_EQ(static_cast<int>(lines.size()), (n + 1) / 2);

  // Rebuild the matrix: a drawn half is a light module.
  std::vector<std::vector<bool>> dark(n + 1, std::vector<bool>(n, false));
  for (std::size_t row = 0; row < lines.size(); ++row) {
    ASSERT_EQ(static_cast<int>(lines[row].size()), n) << "line " << row;
    for (int x = 0; x < n; ++x) {
      const std::string& c = lines[row][x];
      bool upper_light, lower_light;
      if (c == " ") {
        upper_light = lower_light = false;
      } else if (c == "\u2580") {
        upper_light = true, lower_light = false;
      } else if (c == "\u2584") {
        upper_light = false, lower_light = true;
      } else if (c == "\u2588") {
        upper_light = lower_light = true;
      } else {
        FAIL() << "character not allowed: " << c;
      }
      dark[2 * row][x] = !upper_light;
      dark[2 * row + 1][x] = !lower_light;
    }
  }
  std::vector<std::vector<bool>> symbol(qr->size(), std::vector<bool>(qr->size()));
  for (int y = 0; y < n + 1; ++y) {
    for (int x = 0; x < n; ++x) {
      const bool inside = x >= q && y >= q && x < n - q && y < n - q;
      if (!inside) {
        EXPECT_FALSE(dark[y][x]) << "quiet zone must be drawn light at " << x << "," << y;
      } else {
        EXPECT_EQ(dark[y][x], qr->dark(x - q, y - q)) << x << "," << y;
        symbol[y - q][x - q] = dark[y][x];
      }
    }
  }
  EXPECT_EQ(ReadQr(Render(symbol, 4, 4)).text(), text);
}

}  // namespace
}  // namespace citycode::qr
