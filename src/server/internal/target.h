// Request-target parsing for the HTTP core: percent-decoding and the split of
// "/path?query" into the path and a decoded query map.
#ifndef CITYCODE_SERVER_INTERNAL_TARGET_H_
#define CITYCODE_SERVER_INTERNAL_TARGET_H_

#include <map>
#include <string>
#include <string_view>

namespace citycode::server::internal {

// Appends the percent-decoded `in` to `*out`; in a query component ('+' is a
// space there) pass plus_is_space. False, with `*out` in an unspecified
// state, if a '%' is not followed by two hex digits.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

// True if every '%' in `in` starts a valid escape.
bool ValidEscapes(std::string_view in);

// Splits an origin-form target ("/a/b?x=1&y") into `*path` (kept encoded, so
// "%2F" cannot forge a segment boundary) and `*query` (keys and values
// decoded, "y" maps to "", the first of repeated keys wins). False if the
// target is not origin-form or holds a malformed escape.
bool ParseTarget(std::string_view target, std::string* path,
                 std::map<std::string, std::string>* query);

}  // namespace citycode::server::internal

#endif  // CITYCODE_SERVER_INTERNAL_TARGET_H_
