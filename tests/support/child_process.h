// ChildProcess: a program a test starts and is bound to stop.
//
// Wraps a Boost.Process v1 child. Its stdin is /dev/null; its stdout and
// stderr share one file (`output_path`, created by the start); its
// environment is the test's, plus any `extra_env` given. Boost v1
// hands the child every fd that is not close-on-exec, so the harness makes
// all of its own fds close-on-exec.
//
// Boost's ~child SIGKILLs a running child at once, which would orphan
// shoal's workers or nginx's. So the destructor here stops gently first:
// `stop_signal`, then SIGTERM, then SIGKILL, each with a bound (see Stop), and
// always reaps. Exit statuses are one int: the exit code, or 128+N for a
// death by signal N, as a shell prints them.
//
// Used from one thread (others may meanwhile talk HTTP to the child).
// Neither copyable nor movable (own it with std::optional or unique_ptr).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <boost/process/child.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace shoal::tests {

// Environment variables as (name, value) pairs, in the order they are set.
using EnvVars = std::vector<std::pair<std::string, std::string>>;

class ChildProcess {
 public:
  // Starts `program` with `args`, in the test's environment with `extra_env`
  // added (a name already set takes the new value). Throws
  // std::runtime_error if it cannot be started (no such program, output file
  // not creatable).
  ChildProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
               const std::filesystem::path& output_path, int stop_signal = SIGTERM,
               const EnvVars& extra_env = {});
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Stop(10 s) if the child is still running.
  ~ChildProcess();

  pid_t pid() const { return child_.id(); }

  // True while the child has not exited. Reaps it once it has.
  bool running();

  // Sends `signo` to the child; does nothing once it has been reaped.
  void Signal(int signo);

  // Waits up to `timeout` for the child to exit. Returns its exit status, or
  // nullopt if it is still running at the bound.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout);

  // Sends `stop_signal` and waits up to `grace`; if the child still runs,
  // SIGTERM (when stop_signal is another) with 5 s, then SIGKILL with 5 s.
  // Returns the exit status, or nullopt if even SIGKILL did not end it.
  std::optional<int> Stop(std::chrono::milliseconds grace);

  // Everything the child wrote so far to stdout and stderr.
  std::string Output() const;

  // Where Output() reads from.
  const std::filesystem::path& output_path() const { return output_path_; }

 private:
  std::filesystem::path output_path_;
  int stop_signal_;
  boost::process::child child_;
};

// Returns the whole contents of `path`, or "" if it cannot be read.
std::string ReadFileOrEmpty(const std::filesystem::path& path);

}  // namespace shoal::tests
