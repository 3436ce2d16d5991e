// Reopening standard output and error on files at start: --stdout-log and
// --stderr-log, which carry runfcgi's outlog= and errlog=.
//
// Runs in the master, once, before it binds or forks (not in an image
// re-executed by HUP, which keeps the fds it was given): every worker and
// the log then write to the files.
#pragma once

#include "base/status.h"
#include "daemon/options.h"

namespace shoal::daemon {

// Reopens fd 1 on options.stdout_log and fd 2 on options.stderr_log, each
// opened to append (created 0666 less the umask) when set. Returns OK, or
// the error naming the option and file; a failed open leaves both fds as
// they were.
Status ReopenStdStreams(const Options& options);

}  // namespace shoal::daemon
