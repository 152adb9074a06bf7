#include <gtest/gtest.h>

#include <fstream>

#include "server/service.h"
#include "tests/support/temp_dir.h"

namespace citycode::server {
namespace {

Status Load(const std::string& toml) {
  testing::TempDir dir("service-config");
  const auto file = dir.path() / "citycode.toml";
  std::ofstream(file) << toml;
  ServiceConfig config;
  return LoadConfigFile(file, config);
}

// Logins waiting for a password hash hold handler threads: a pool no
// larger than the password gate could be held whole by a login flood.
TEST(ServiceConfigTest, HandlerThreadsMustOutnumberThePasswordGate) {
  EXPECT_TRUE(Load("[server]\nhandler_threads = 5\n").ok());
  const Status small = Load("[server]\nhandler_threads = 4\n");
  EXPECT_EQ(small.code(), StatusCode::kInvalidArgument) << small.ToString();
  EXPECT_NE(small.message().find("handler_threads"), std::string::npos) << small.ToString();
  EXPECT_TRUE(
      Load("[server]\nhandler_threads = 2\n[platform]\npassword_threads = 1\npassword_queue = 0\n")
          .ok());
}

// A file over 1 MiB is no configuration: refused before it is parsed.
TEST(ServiceConfigTest, AFileOverOneMebibyteIsRefused) {
  const Status big = Load("# " + std::string(1 << 20, 'x') + "\n");
  EXPECT_EQ(big.code(), StatusCode::kInvalidArgument) << big.ToString();
  EXPECT_NE(big.message().find("1 MiB"), std::string::npos) << big.ToString();
}

}  // namespace
}  // namespace citycode::server
