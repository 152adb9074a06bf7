#include "server/static_site.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <utility>

#include "common/bytes.h"
#include "common/files.h"
#include "crypto/hash.h"

namespace citycode::server {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; "
    "worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'";

std::string_view ContentType(const fs::path& file) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".wasm", "application/wasm"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
  }};
  const std::string extension = file.extension().string();
  for (const auto& [ext, type] : kTypes) {
    if (ext == extension) return type;
  }
  return "application/octet-stream";
}

// The gzip form of `data` at the highest level, or "" when it would not
// save a tenth (images, already compressed).
std::string Gzip(std::string_view data) {
  z_stream stream{};
  if (deflateInit2(&stream, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return "";
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (result != Z_STREAM_END || out.size() * 10 > data.size() * 9) return "";
  return out;
}

// Whether an Accept-Encoding header takes gzip (a "gzip;q=0" refuses it).
bool TakesGzip(std::string_view accept) {
  while (!accept.empty()) {
    const std::size_t comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? "" : accept.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const std::size_t semicolon = item.find(';');
    std::string_view name = item.substr(0, semicolon);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name != "gzip" && name != "*") continue;
    const std::string_view params =
        semicolon == std::string_view::npos ? "" : item.substr(semicolon + 1);
    // q=0, q=0.0 … refuse it; any other weight takes it.
    const std::size_t q = params.find("q=0");
    return q == std::string_view::npos ||
           params.find_first_of("123456789", q) != std::string_view::npos;
  }
  return false;
}

// If-None-Match uses the weak comparison (RFC 9110 §13.1.2).
bool MatchesEtag(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match == "*") return true;
  while (!if_none_match.empty()) {
    const std::size_t comma = if_none_match.find(',');
    std::string_view tag = if_none_match.substr(0, comma);
    if_none_match = comma == std::string_view::npos ? "" : if_none_match.substr(comma + 1);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

// Unreserved URL characters only, so a file's path is its URL as is.
bool IsPlainSegment(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
  });
}

}  // namespace

struct StaticSite::File {
  std::string url_path;
  std::string content_type;
  std::string body;
  std::string gzipped;  // "" when not worth it
  std::string etag;

  Response Serve(const Request& request) const {
    Response response{.status = 200, .content_type = content_type};
    response.headers = {{"ETag", etag},
                        {"Cache-Control", "no-cache"},
                        {"Vary", "Accept-Encoding"},
                        {"X-Content-Type-Options", "nosniff"},
                        {"Referrer-Policy", "no-referrer"}};
    if (content_type.starts_with("text/html")) {
      response.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
      response.headers.emplace_back("Permissions-Policy", "camera=(self)");
    }
    if (MatchesEtag(request.Header("if-none-match"), etag)) {
      response.status = 304;
      return response;
    }
    if (!gzipped.empty() && TakesGzip(request.Header("accept-encoding"))) {
      response.headers.emplace_back("Content-Encoding", "gzip");
      response.body = gzipped;
    } else {
      response.body = body;
    }
    return response;
  }
};

Result<StaticSite> StaticSite::Load(const fs::path& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return NotFound("no pages in " + dir.string() + " (build them: npm run build in web/)");
  }
  StaticSite site;
  std::size_t total = 0;
  for (auto it = fs::recursive_directory_iterator(dir, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file()) continue;
    const fs::path relative = fs::relative(it->path(), dir);
    std::string url_path;
    for (const auto& part : relative) {
      if (!IsPlainSegment(part.string())) {
        return InvalidArgument("page file name not usable in a URL: " + relative.string());
      }
      url_path += "/" + part.string();
    }
    CITYCODE_ASSIGN_OR_RETURN(std::string body, ReadFile(it->path(), kMaxSiteFileBytes));
    total += body.size();
    if (total > kMaxSiteBytes || site.files_.size() == kMaxSiteFiles) {
      return InvalidArgument("the pages in " + dir.string() + " are larger than a site may be");
    }
    auto file = std::make_shared<File>();
    file->url_path = std::move(url_path);
    file->content_type = ContentType(it->path());
    file->etag = "\"" + ToHex(crypto::Sha256(AsBytes(body))).substr(0, 32) + "\"";
    file->gzipped = Gzip(body);
    file->body = std::move(body);
    site.files_.push_back(std::move(file));
  }
  if (error)
    return Unavailable("cannot read the pages in " + dir.string() + ": " + error.message());
  return site;
}

void StaticSite::Register(Router& router) const {
  const auto add = [&router](std::string path, std::shared_ptr<const File> file) {
    router.Add(Method::kGet, std::move(path), "page",
               [file = std::move(file)](Request& request) { return file->Serve(request); });
  };
  for (const auto& file : files_) {
    add(file->url_path, file);
    if (file->url_path == "/index.html") add("/", file);
    // Every other page at the top also answers without ".html": /counter, /org, /ops.
    const auto& path = file->url_path;
    if (path != "/index.html" && path.ends_with(".html") && path.find('/', 1) == std::string::npos)
      add(path.substr(0, path.size() - 5), file);
  }
}

}  // namespace citycode::server
