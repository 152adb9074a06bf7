// Request-target parsing for the HTTP core: the split of "/path?query" into
// the path and a decoded query map (api::ParseForm).
#ifndef CITYCODE_SERVER_INTERNAL_TARGET_H_
#define CITYCODE_SERVER_INTERNAL_TARGET_H_

#include <map>
#include <string>
#include <string_view>

namespace citycode::server::internal {

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
