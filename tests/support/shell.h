// Running a shell command line in tests (a third-party checker under node):
// its exit code and what it printed.
#ifndef CITYCODE_TESTS_SUPPORT_SHELL_H_
#define CITYCODE_TESTS_SUPPORT_SHELL_H_

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace citycode::testing {

struct ShellRun {
  int exit_code = -1;  // -1: it did not run or did not exit
  std::string output;  // stdout, and stderr where the command redirects it (2>&1)
};

inline ShellRun RunShell(const std::string& command) {
  ShellRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buffer;
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) run.output += buffer.data();
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_SHELL_H_
