#include "server/internal/target.h"

namespace citycode::server::internal {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->reserve(out->size() + in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool ValidEscapes(std::string_view in) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') continue;
    if (i + 2 >= in.size()) return false;
    if (HexValue(in[i + 1]) < 0 || HexValue(in[i + 2]) < 0) return false;
    i += 2;
  }
  return true;
}

bool ParseTarget(std::string_view target, std::string* path,
                 std::map<std::string, std::string>* query) {
  if (target.empty() || target.front() != '/') return false;
  const std::size_t q = target.find('?');
  const std::string_view raw_path = target.substr(0, q);
  if (!ValidEscapes(raw_path)) return false;
  path->assign(raw_path);
  if (q == std::string_view::npos) return true;

  std::string_view rest = target.substr(q + 1);
  // A fragment is never sent by conforming clients; ignore one if it is.
  if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) {
    rest = rest.substr(0, hash);
  }
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string key;
    if (!PercentDecode(pair.substr(0, eq), true, &key)) return false;
    std::string value;
    if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), true, &value)) {
      return false;
    }
    if (key.empty()) continue;
    query->emplace(std::move(key), std::move(value));  // keeps the first
  }
  return true;
}

}  // namespace citycode::server::internal
