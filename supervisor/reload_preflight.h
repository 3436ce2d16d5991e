// ReloadPreflight: the master's side of the check that comes before HUP or
// USR2 re-executes it. (daemon/reload_preflight.h is the checking process.)
//
// A re-executed image that cannot load the app would exit 1, and the old
// workers would go with it. So before re-executing, the master starts its
// own program once more (the same path, argv, start directory and
// environment, as Reexec would), with SHOAL_RELOAD_CHECK=3 naming the write
// end of a pipe. That process parses the options, drops to --user, imports
// every app as a real start would, writes one line ("ok", or the error it
// would have exited with) and exits; it binds nothing and forks nothing.
//
// The child gets /dev/null as stdin, the master's stdout and stderr (its
// log), the pipe as fd 3 and no other fd (so neither the listening socket
// nor a parked connection), and its signals unblocked. The master watches
// the pipe in its epoll loop (Owns, OnReadable), tells this of the child's
// exit when it reaps it (Exited) and of time passing (Expire); each returns
// the verdict once there is one. The child is never a worker: nothing in
// the WorkerTable. Whoever holds this when the verdict is in destroys it,
// which kills the child if it still runs and reaps it (only in the process
// that started it). Master process only, in its loop.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"

namespace shoal::supervisor {

// What a check found: the new image loads the app, or why it does not
// (one line, for "reload refused: <reason>").
struct PreflightVerdict {
  bool ok = false;
  std::string reason = {};
};

class ReloadPreflight {
 public:
  using Clock = std::chrono::steady_clock;

  // The variable naming the report fd in the checking process, and that fd.
  static constexpr const char* kVariable = "SHOAL_RELOAD_CHECK";
  static constexpr int kReportFd = 3;

  // Starts the check: `program` with `argv` (argv[0] first) in `start_dir`
  // ("", or one this process may not enter: here), its report pipe watched
  // in `epoll_fd`, to be done within `limit`. Returns the running check, or
  // the error that kept it from starting.
  static Result<std::unique_ptr<ReloadPreflight>> Start(const std::string& program,
                                                        const std::vector<std::string>& argv,
                                                        const std::string& start_dir,
                                                        int epoll_fd, Clock::duration limit);

  // Start's alone (Started is private).
  struct Started {
   private:
    friend class ReloadPreflight;
    Started() = default;
  };
  ReloadPreflight(Started, pid_t pid, UniqueFd report, int epoll_fd, Clock::time_point started,
                  Clock::duration limit);
  ReloadPreflight(const ReloadPreflight&) = delete;
  ReloadPreflight& operator=(const ReloadPreflight&) = delete;
  // Kills the child if it has not exited, and reaps it (bounded: KILL).
  ~ReloadPreflight();

  pid_t pid() const { return pid_; }
  Clock::time_point deadline() const { return deadline_; }
  // Whether `fd` (from the master's epoll) is this check's report pipe.
  bool Owns(int fd) const { return report_.valid() && fd == report_.get(); }

  // The report pipe is readable: reads what is there. Returns the verdict
  // once a whole line has come; nullopt until then (and at an EOF with no
  // line: the exit status says more, see Exited).
  std::optional<PreflightVerdict> OnReadable();
  // The master reaped the child with `wait_status`. Returns the verdict:
  // its line if it wrote one, else how it ended.
  PreflightVerdict Exited(int wait_status);
  // Past the deadline: kills the child and returns the verdict; nullopt
  // before it.
  std::optional<PreflightVerdict> Expire(Clock::time_point now);

 private:
  // Reads what the pipe holds now; stops watching it at EOF.
  void Drain();
  // The verdict in the line received, if a whole one has come.
  std::optional<PreflightVerdict> LineVerdict() const;

  pid_t pid_;
  pid_t owner_;  // the master that started it: only it kills and reaps
  UniqueFd report_;
  int epoll_fd_;
  Clock::time_point started_;
  Clock::time_point deadline_;
  std::string received_;
  bool reaped_ = false;
};

}  // namespace shoal::supervisor
