#include "server/static_site.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>

#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace citycode::server {
namespace {

using citycode::testing::StatusIs;
using citycode::testing::TempDir;

void Write(const std::filesystem::path& file, const std::string& content) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << content;
}

std::string Gunzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return out;
}

std::string HeaderOf(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

class StaticSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Write(dir_.path() / "index.html", "<!doctype html><title>citizen</title>");
    Write(dir_.path() / "counter.html", "<!doctype html><title>counter</title>");
    Write(dir_.path() / "ops.html", "<!doctype html><title>ops</title>");
    Write(dir_.path() / "assets" / "note.html", "<!doctype html><title>note</title>");
    Write(dir_.path() / "assets" / "app.js", script_);
    auto site = StaticSite::Load(dir_.path());
    ASSERT_TRUE(site.ok()) << site.status().ToString();
    EXPECT_EQ(site->file_count(), 5u);
    site->Register(router_);
  }

  Response Get(std::string path, std::map<std::string, std::string> headers = {}) {
    Request request{.method = Method::kGet, .path = std::move(path), .headers = std::move(headers)};
    request.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::string route;
    return router_.Dispatch(request, &route);
  }

  TempDir dir_{"static-site"};
  const std::string script_ = std::string(4000, ';') + "console.log('citycode');";
  Router router_;
};

// "/" is the citizen page and every other page at the top answers without
// ".html" too ("/counter", "/ops"), not one below it; each file is at its own path; the
// pages carry the policy that keeps scripts to this origin.
TEST_F(StaticSiteTest, ServesThePagesAndTheirFiles) {
  const Response citizen = Get("/");
  EXPECT_EQ(citizen.status, 200);
  EXPECT_EQ(citizen.body, "<!doctype html><title>citizen</title>");
  EXPECT_EQ(citizen.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(HeaderOf(citizen, "Content-Security-Policy"),
              ::testing::HasSubstr("script-src 'self' 'wasm-unsafe-eval'"));
  EXPECT_EQ(HeaderOf(citizen, "Cache-Control"), "no-cache");
  EXPECT_EQ(Get("/index.html").body, citizen.body);
  EXPECT_EQ(Get("/counter").body, "<!doctype html><title>counter</title>");
  EXPECT_EQ(Get("/ops").body, "<!doctype html><title>ops</title>");
  EXPECT_EQ(Get("/assets/note.html").status, 200);
  EXPECT_EQ(Get("/assets/note").status, 404);
  const Response script = Get("/assets/app.js");
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(script.body, script_);
  EXPECT_EQ(HeaderOf(script, "Content-Security-Policy"), "");
  EXPECT_EQ(Get("/assets/other.js").status, 404);
  EXPECT_EQ(Get("/assets").status, 404);
}

// Compressed when the client takes gzip (and worth it), never when it
// refuses it; a known ETag is answered 304 without a body.
TEST_F(StaticSiteTest, GzipAndRevalidation) {
  const Response zipped = Get("/assets/app.js", {{"accept-encoding", "br, gzip;q=0.8"}});
  EXPECT_EQ(HeaderOf(zipped, "Content-Encoding"), "gzip");
  EXPECT_LT(zipped.body.size(), script_.size() / 10);
  EXPECT_EQ(Gunzip(zipped.body), script_);
  EXPECT_EQ(HeaderOf(zipped, "Vary"), "Accept-Encoding");
  EXPECT_EQ(HeaderOf(Get("/assets/app.js", {{"accept-encoding", "gzip;q=0"}}), "Content-Encoding"),
            "");
  EXPECT_EQ(HeaderOf(Get("/assets/app.js", {{"accept-encoding", "br"}}), "Content-Encoding"), "");

  const std::string etag = HeaderOf(zipped, "ETag");
  ASSERT_FALSE(etag.empty());
  const Response again = Get("/assets/app.js", {{"if-none-match", "W/\"x\", " + etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(Get("/assets/app.js", {{"if-none-match", "\"other\""}}).status, 200);
}

TEST_F(StaticSiteTest, RefusesWhatCannotBeASite) {
  EXPECT_THAT(StaticSite::Load(dir_.path() / "missing"),
              StatusIs(StatusCode::kNotFound, "not_found"));
  Write(dir_.path() / "a page.html", "x");
  EXPECT_THAT(StaticSite::Load(dir_.path()),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

}  // namespace
}  // namespace citycode::server
