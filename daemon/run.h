// RunShoal: the whole daemon for one parsed command line.
//
// Binds the socket, starts Python and imports the app (any failure there is
// one log line and exit 1, before any worker exists), then hands over to
// the supervisor's master loop. Returns the process exit code.
#pragma once

#include <string>
#include <vector>

#include "daemon/options.h"
#include "python/app.h"

namespace shoal::daemon {

// shoal inside a Python program (`import shoal`, package/): the program
// owns main and the interpreter, and the apps are objects it already has.
// Nothing is imported and Python is not started: the master forks its
// workers from the program as it is. HUP and USR2 stop the pool as TERM
// does and set `reload_asked` (there is no binary to re-execute); the
// calling thread's signal mask and the handled signals' dispositions are
// put back when RunShoal returns (supervisor/thread_signals.h). The GIL is
// released while the master waits, so the program's other threads run.
// --lazy-apps and --daemonize are refused by the caller (package/extension).
struct Embedding {
  std::vector<python::MountedApp> apps;  // served as the mounts would be
  bool reload_asked = false;             // out: stopped by HUP or USR2
};

// `argv` is the command line, re-executed as it is on HUP and USR2.
// `embedding`: see Embedding; null for the daemon. REQUIRES (embedding):
// the GIL, held by the calling thread, which has it again on return.
int RunShoal(const Options& options, const std::vector<std::string>& argv,
             Embedding* embedding = nullptr);

}  // namespace shoal::daemon
