// Running the `citycode` binary (CITYCODE_BINARY, which CMake defines for
// the test binaries that use this) as a child process, in tests.
#ifndef CITYCODE_TESTS_SUPPORT_SUBPROCESS_H_
#define CITYCODE_TESTS_SUPPORT_SUBPROCESS_H_

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace citycode::testing {

inline constexpr const char* kCitycodeBinary = CITYCODE_BINARY;

struct RunResult {
  std::string command;  // for failure messages
  int exit_code = -1;   // -1 when killed by a signal
  int signal = 0;
  std::string out, err;
};

inline std::string Quote(const std::vector<std::string>& args) {
  std::string line;
  for (const std::string& arg : args) {
    if (!line.empty()) line += ' ';
    if (arg.find_first_of(" \t'\"") == std::string::npos && !arg.empty()) {
      line += arg;
    } else {
      line += "'" + arg + "'";
    }
  }
  return line;
}

// Runs `citycode args...` with stdin from /dev/null, capturing stdout and
// stderr. Checks on every run that the process neither crashed nor printed
// a C++ runtime abort or a sanitizer/stack trace.
inline RunResult RunCitycode(const std::vector<std::string>& args) {
  RunResult result;
  std::vector<std::string> argv_strings = {kCitycodeBinary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  result.command = Quote(argv_strings);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);

  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, kCitycodeBinary, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (spawned != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    ADD_FAILURE() << "posix_spawn " << kCitycodeBinary << ": " << std::strerror(spawned);
    return result;
  }

  // Drain both pipes together so that neither can fill up and block the child.
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buffer[8192];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      ADD_FAILURE() << "poll: " << std::strerror(errno);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }

  EXPECT_EQ(result.signal, 0) << result.command << " died of signal " << result.signal
                              << "\nstderr: " << result.err;
  for (const char* crash : {"terminate called", "Aborted", "Sanitizer", "stack trace",
                            "Segmentation fault", "internal error", "what():"}) {
    EXPECT_THAT(result.err, ::testing::Not(::testing::HasSubstr(crash))) << result.command;
  }
  return result;
}

// The command and what it did, for failure messages.
inline std::string Describe(const RunResult& r) {
  return r.command + "\n  exit " + std::to_string(r.exit_code) + "\n  stdout: " + r.out +
         "\n  stderr: " + r.err;
}

// A long-running `citycode` child (a server). Its stdout and stderr come
// through a pipe that WaitForOutput reads, so a test waits for what the
// child says ("serving http://…") instead of sleeping; everything read is
// kept in output(). Killed with SIGKILL on destruction if still running.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& args) {
    std::vector<std::string> argv_strings = {kCitycodeBinary};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    int out_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2: " << std::strerror(errno);
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 2);
    std::vector<char*> argv;
    for (std::string& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    const int spawned =
        posix_spawn(&pid_, kCitycodeBinary, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    out_ = out_pipe[0];
    if (spawned != 0) {
      ADD_FAILURE() << "posix_spawn: " << std::strerror(spawned);
      pid_ = 0;
    }
  }
  ~ChildProcess() {
    Kill(SIGKILL);
    if (out_ >= 0) close(out_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reads the child's output until it contains `text` (true) or the child
  // closes it or `limit` passes (false: a hung child fails the test rather
  // than hanging it).
  bool WaitForOutput(std::string_view text, std::chrono::seconds limit = std::chrono::seconds(60)) {
    return WaitForOutput(text, 1, limit);
  }
  // The same until `text` is there `times` times.
  bool WaitForOutput(std::string_view text, int times,
                     std::chrono::seconds limit = std::chrono::seconds(60)) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (Count(text) < times) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          give_up - std::chrono::steady_clock::now());
      if (left.count() <= 0 || out_ < 0) return false;
      pollfd fd{out_, POLLIN, 0};
      if (poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t n = read(out_, buffer, sizeof buffer);
      if (n <= 0) return false;
      output_.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
  }
  const std::string& output() const { return output_; }

  // Sends `signal` and reaps the child; returns its wait status.
  int Kill(int signal) {
    if (pid_ <= 0) return 0;
    ::kill(pid_, signal);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = 0;
    return status;
  }

 private:
  int Count(std::string_view text) const {
    int times = 0;
    for (auto at = output_.find(text); at != std::string::npos; at = output_.find(text, at + 1)) {
      ++times;
    }
    return times;
  }

  pid_t pid_ = 0;
  int out_ = -1;
  std::string output_;
};

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_SUBPROCESS_H_
