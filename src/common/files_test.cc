#include "common/files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/status_matchers.h"

namespace citycode {
namespace {

using ::citycode::testing::StatusIs;

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "citycode-files-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static unsigned Mode(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }

  fs::path dir_;
};

TEST_F(FilesTest, ReadFileReturnsTheContent) {
  const fs::path path = dir_ / "a.txt";
  std::ofstream(path, std::ios::binary) << std::string("line\n\0binary", 12);
  Result<std::string> content = ReadFile(path, 1024);
  ASSERT_TRUE(content.ok()) << content.status().ToString();
  EXPECT_EQ(*content, std::string("line\n\0binary", 12));

  std::ofstream(dir_ / "empty");
  Result<std::string> empty = ReadFile(dir_ / "empty", 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

TEST_F(FilesTest, ReadFileEnforcesTheLimit) {
  const fs::path path = dir_ / "big";
  std::ofstream(path, std::ios::binary) << std::string(100000, 'x');
  Result<std::string> exact = ReadFile(path, 100000);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->size(), 100000u);
  Result<std::string> over = ReadFile(path, 99999);
  EXPECT_THAT(over, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_EQ(over.status().message(), path.string() + " is larger than 99999 bytes");
}

TEST_F(FilesTest, ReadFileMissingIsNotFound) {
  Result<std::string> missing = ReadFile(dir_ / "missing", 10);
  EXPECT_THAT(missing, StatusIs(StatusCode::kNotFound, "not_found"));
  EXPECT_NE(missing.status().message().find((dir_ / "missing").string()), std::string::npos);
}

TEST_F(FilesTest, ReadFileOfADirectoryIsInvalidArgument) {
  EXPECT_THAT(ReadFile(dir_, 10), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

TEST_F(FilesTest, WriteFileAtomicCreatesAndReplaces) {
  const fs::path path = dir_ / "key.pem";
  ASSERT_EQ(WriteFileAtomic(path, "first version, rather long\n", 0600), OkStatus());
  EXPECT_EQ(Slurp(path), "first version, rather long\n");
  EXPECT_EQ(Mode(path), 0600u);

  ASSERT_EQ(WriteFileAtomic(path, "second\n", 0644), OkStatus());
  EXPECT_EQ(Slurp(path), "second\n");
  EXPECT_EQ(Mode(path), 0644u);

  ASSERT_EQ(WriteFileAtomic(path, ""), OkStatus());
  EXPECT_EQ(Slurp(path), "");
  EXPECT_EQ(Mode(path), 0644u);  // the default

  // Only the file itself is left: no temporary files beside it.
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(FilesTest, WriteFileAtomicSetsTheModeDespiteTheUmask) {
  const fs::path path = dir_ / "shared";
  const mode_t old = ::umask(077);
  const Status status = WriteFileAtomic(path, "x", 0644);
  ::umask(old);
  ASSERT_EQ(status, OkStatus());
  EXPECT_EQ(Mode(path), 0644u);
}

TEST_F(FilesTest, WriteFileAtomicIntoMissingDirectoryIsNotFound) {
  EXPECT_THAT(WriteFileAtomic(dir_ / "no" / "such" / "file", "x"),
              StatusIs(StatusCode::kNotFound, "not_found"));
}

TEST_F(FilesTest, WriteThenReadLargeContent) {
  std::string content;
  for (int i = 0; i < 200000; ++i) content.push_back(static_cast<char>(i * 31));
  ASSERT_EQ(WriteFileAtomic(dir_ / "large", content), OkStatus());
  Result<std::string> back = ReadFile(dir_ / "large", content.size());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, content);
}

TEST_F(FilesTest, CreatePrivateDirectoryMakesNewDirectories0700AndLeavesOldOnes) {
  const fs::path nested = dir_ / "a" / "b";
  ASSERT_TRUE(CreatePrivateDirectory(nested).ok());
  EXPECT_EQ(Mode(nested), 0700u);
  fs::create_directory(dir_ / "shared");
  fs::permissions(dir_ / "shared", fs::perms(0750), fs::perm_options::replace);
  ASSERT_TRUE(CreatePrivateDirectory(dir_ / "shared").ok());
  EXPECT_EQ(Mode(dir_ / "shared"), 0750u) << "the operator's choice stands";
  std::ofstream(dir_ / "file") << "x";
  EXPECT_THAT(CreatePrivateDirectory(dir_ / "file" / "sub"),
              StatusIs(StatusCode::kUnavailable, "unavailable"));
}

}  // namespace
}  // namespace citycode
