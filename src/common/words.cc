#include "common/words.h"

namespace citycode {

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out.push_back(' ');
    out += word;
  }
  return out;
}

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t start = text.find_first_not_of(' '); start != std::string_view::npos;) {
    const std::size_t stop = std::min(text.find(' ', start), text.size());
    out.emplace_back(text.substr(start, stop - start));
    start = text.find_first_not_of(' ', stop);
  }
  return out;
}

}  // namespace citycode
