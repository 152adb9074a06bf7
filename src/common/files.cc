#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace citycode {
namespace {

Status ErrnoStatus(const std::string& what, const std::filesystem::path& path) {
  const int err = errno;
  std::string message = what + " " + path.string() + ": " + std::strerror(err);
  if (err == ENOENT) return NotFound(std::move(message));
  if (err == EACCES || err == EPERM) return PermissionDenied(std::move(message));
  // Retrying cannot help, so not unavailable.
  if (err == EISDIR) return InvalidArgument(std::move(message));
  return Unavailable(std::move(message));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

Result<std::string> ReadFile(const std::filesystem::path& path, std::size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("cannot open", path);
  std::string content;
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot read", path);
    }
    if (n == 0) break;
    if (content.size() + static_cast<size_t>(n) > max_bytes) {
      return InvalidArgument(path.string() + " is larger than " + std::to_string(max_bytes) +
                             " bytes");
    }
    content.append(buf, static_cast<size_t>(n));
  }
  return content;
}

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view content, unsigned mode) {
  const std::filesystem::path dir =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string tmp_name = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  Fd fd(::mkstemp(tmp_name.data()));
  if (fd.get() < 0) return ErrnoStatus("cannot create a file in", dir);
  auto fail = [&](const char* what) {
    Status status = ErrnoStatus(what, path);
    ::unlink(tmp_name.c_str());
    return status;
  };
  if (::fchmod(fd.get(), mode) != 0) return fail("cannot set permissions of");
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("cannot sync");
  if (::close(fd.Release()) != 0) return fail("cannot close");
  if (::rename(tmp_name.c_str(), path.c_str()) != 0) return fail("cannot replace");
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());
  return OkStatus();
}

Status CreatePrivateDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return OkStatus();
  std::filesystem::create_directories(dir, ec);
  if (!ec) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (ec) return Unavailable("cannot create " + dir.string() + ": " + ec.message());
  return OkStatus();
}

}  // namespace citycode
