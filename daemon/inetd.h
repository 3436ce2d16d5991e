// RunInetd: `shoal --inetd`, the connection on fd 0 served in this process
// (supervisor/inetd_connection.h) after the app is imported here: no master,
// no workers. fd 0 (and fd 1 when it is the connection too) is reopened on
// /dev/null first, and fd 2 as well when it is the connection (plain inetd):
// a log line there would reach the web server as response bytes.
#pragma once

#include <vector>

#include "daemon/options.h"
#include "python/app.h"
#include "service/privileges.h"
#include "supervisor/worker_boot.h"

namespace shoal::daemon {

// Serves the connection and returns the exit code: 0 once it has ended, 1
// when fd 0 is no connected socket, the privileges cannot be dropped to
// `run_as`, or the app does not import (one log line says which).
// `preloaded`: the apps of the Python program shoal runs in (`import
// shoal`, shoal.inetd.run_app), served instead of importing `options`'
// mounts; null for the daemon. REQUIRES (preloaded): the GIL.
int RunInetd(const Options& options, const service::RunAs& run_as,
             const supervisor::WorkerSettings& settings,
             const std::vector<python::MountedApp>* preloaded = nullptr);

}  // namespace shoal::daemon
