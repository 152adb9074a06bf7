// The HTTP core's only log sink: one line to stderr per call, written with a
// single fwrite so lines from different threads do not interleave. Used for
// rare events (handler exceptions, accept failures), never per request.
#ifndef CITYCODE_SERVER_INTERNAL_LOG_H_
#define CITYCODE_SERVER_INTERNAL_LOG_H_

#include <string_view>

namespace citycode::server::internal {

void LogError(std::string_view what, std::string_view detail);

}  // namespace citycode::server::internal

#endif  // CITYCODE_SERVER_INTERNAL_LOG_H_
