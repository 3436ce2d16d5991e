// Daemonize: --daemonize, for running shoal without a supervisor.
//
// The classic double fork (fork, setsid, fork), so the daemon is no session
// leader and can never regain a terminal; the working directory is left as
// the options say (--chdir applies later). stdin becomes /dev/null. stdout
// and stderr are kept when they are not a terminal (a log file, a pipe to a
// logger, systemd's journal); a terminal is let go at readiness (replaced by
// /dev/null), so the error line of a failed start still reaches it.
//
// Unlike nginx's and uWSGI's daemonize, the starting process does not exit
// at once: it waits on a pipe until the daemon calls Ready() (socket bound,
// pidfile written, app imported), then exits 0; if the daemon exits first,
// it exits 1, after the daemon's error line went to the shared stderr.
// That is what systemd's Type=forking and init scripts need. Master process
// only, before Python starts and before any other fork.
#pragma once

#include "base/status.h"
#include "base/unique_fd.h"

namespace shoal::service {

// Held by the daemon until it is ready to serve.
class DaemonReadiness {
 public:
  explicit DaemonReadiness(UniqueFd pipe) : pipe_(std::move(pipe)) {}

  // Tells the waiting process to exit 0, and lets go of a terminal on
  // stdout or stderr. Once; later calls do nothing.
  void Ready();

 private:
  UniqueFd pipe_;  // the write end; the starting process reads it
};

// Returns in the daemon only (the starting process exits inside, with 0 or
// 1 as above), or an error if a fork or setsid failed.
Result<DaemonReadiness> Daemonize();

}  // namespace shoal::service
