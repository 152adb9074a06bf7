// Lists kept as one space-separated text (the type codes of a grant, the
// channels of a fare window): how they are written and read back.
#ifndef CITYCODE_COMMON_WORDS_H_
#define CITYCODE_COMMON_WORDS_H_

#include <string>
#include <string_view>
#include <vector>

namespace citycode {

// The words joined by single spaces. REQUIRES: no word holds a space.
std::string JoinWords(const std::vector<std::string>& words);
// The words of `text`; any run of spaces separates, and none is empty.
std::vector<std::string> SplitWords(std::string_view text);

}  // namespace citycode

#endif  // CITYCODE_COMMON_WORDS_H_
