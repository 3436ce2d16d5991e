// ShoalProcess: one run of build/shoal, started and stopped by a test.
//
// Owns the master process (through ChildProcess); its stdout and stderr go to
// `log_path`, which is the log a test reads. The destructor stops a master
// still running with SIGTERM, then SIGKILL after 10 s. Workers are found as
// the master's children in /proc (shoal's contract: its children are exactly
// its workers, plus a reload check while one runs). Driven from the test's
// thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.h"

namespace shoal::tests {

class ShoalProcess {
 public:
  // Starts SHOAL_BINARY with `args`, in the test's environment plus
  // `extra_env`. Throws std::runtime_error if it cannot be started at all; a
  // shoal that starts and then fails is for the caller to see (WaitForExit,
  // Log).
  ShoalProcess(const std::vector<std::string>& args, const std::filesystem::path& log_path,
               const EnvVars& extra_env = {});
  // Starts `program` instead: a program that becomes shoal's master in its
  // own process (a Python script that serves through `import shoal`,
  // support/python_script.h), watched as SHOAL_BINARY would be.
  ShoalProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
               const std::filesystem::path& log_path, const EnvVars& extra_env = {});

  pid_t pid() const { return child_.pid(); }

  // Waits up to `timeout` for `path` to exist as a socket. Returns false at
  // the bound, or at once if the master exits first.
  bool WaitForSocket(const std::filesystem::path& path, std::chrono::milliseconds timeout);

  // Waits up to `timeout` until something listens on 127.0.0.1:`port`
  // (shoal bound with --bind 127.0.0.1:PORT), without connecting to it.
  // Returns false at the bound, or at once if the master exits first.
  bool WaitForPort(int port, std::chrono::milliseconds timeout);

  // Sends `signo` to the master; nothing once it has exited and been reaped.
  void Signal(int signo) { child_.Signal(signo); }

  // Waits up to `timeout` for the master to exit. Returns its exit code
  // (128+N for signal N), or nullopt if it is still running.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout) {
    return child_.WaitForExit(timeout);
  }

  bool running() { return child_.running(); }

  // Everything shoal has logged so far (stdout and stderr).
  std::string Log() const { return child_.Output(); }

  // The master's live children (its workers), sorted; zombies left out.
  std::vector<pid_t> WorkerPids() const;

  // Waits up to `timeout` until the master has exactly `count` live workers.
  // Returns false at the bound.
  bool WaitForWorkers(size_t count, std::chrono::milliseconds timeout) const;

 private:
  ChildProcess child_;
};

// What a shoal run that was expected to end by itself left behind.
struct ShoalRun {
  std::optional<int> exit_code;  // nullopt: still running at the bound, then killed
  std::string output;            // stdout and stderr together
};

// Runs SHOAL_BINARY with `args` until it exits or `timeout` passes (then it is
// stopped), with its output in `log_path`. For runs that must end by
// themselves: usage errors, --version, failures before forking.
ShoalRun RunShoalToExit(const std::vector<std::string>& args,
                        const std::filesystem::path& log_path,
                        std::chrono::milliseconds timeout);

}  // namespace shoal::tests
