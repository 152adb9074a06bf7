// The pages (web/dist, built by npm from web/): every file is read once at
// start, kept in memory with its gzip form and an ETag, and served at its
// path; "/" is index.html and "/counter" counter.html. The pages are the
// platform's own first-party client, so they get a strict
// Content-Security-Policy: scripts and everything else only from this origin.
#ifndef CITYCODE_SERVER_STATIC_SITE_H_
#define CITYCODE_SERVER_STATIC_SITE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "server/http.h"

namespace citycode::server {

// What a site may hold: far above the pages' budgets, far below memory.
inline constexpr std::size_t kMaxSiteFileBytes = 16 * 1024 * 1024;
inline constexpr std::size_t kMaxSiteBytes = 64 * 1024 * 1024;
inline constexpr std::size_t kMaxSiteFiles = 512;

class StaticSite {
 public:
  // Reads every regular file under `dir`. not_found if `dir` is missing
  // (the pages are not built); invalid_argument past the limits above or
  // for a file name that cannot be a URL path segment.
  static Result<StaticSite> Load(const std::filesystem::path& dir);

  // GET (and so HEAD) routes for every file, each answering from memory:
  // 304 for a matching If-None-Match, the gzip form when the client takes it.
  void Register(Router& router) const;
  std::size_t file_count() const { return files_.size(); }

 private:
  struct File;
  std::vector<std::shared_ptr<const File>> files_;
};

}  // namespace citycode::server

#endif  // CITYCODE_SERVER_STATIC_SITE_H_
