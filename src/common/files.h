// Whole-file reads with a size limit and crash-safe writes.
#ifndef CITYCODE_COMMON_FILES_H_
#define CITYCODE_COMMON_FILES_H_

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/status.h"

namespace citycode {

// Reads the whole file. not_found if it does not exist; invalid_argument if
// it is larger than `max_bytes`. Messages name the file.
Result<std::string> ReadFile(const std::filesystem::path& path, std::size_t max_bytes);

// Replaces `path` atomically: writes a temporary file beside it, fsyncs it,
// renames it over `path` and fsyncs the directory, so after a crash the file
// holds either the old or the new content. `mode` sets the permissions (0600
// for private keys).
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view content,
                       unsigned mode = 0644);

// Creates `dir` (and missing parents) for private files: a directory this
// call creates is 0700. One that exists already keeps its mode (the
// operator chose it). unavailable on failure, naming the directory.
Status CreatePrivateDirectory(const std::filesystem::path& dir);

}  // namespace citycode

#endif  // CITYCODE_COMMON_FILES_H_
