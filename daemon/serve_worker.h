// What every worker runs, forked from a preloading master or exec'd with
// --lazy-apps: the apps loaded into Python, then the serve loop.
#pragma once

#include <vector>

#include "base/status.h"
#include "daemon/options.h"
#include "python/py_ref.h"
#include "supervisor/master.h"

namespace shoal::daemon {

// Starts Python and imports every mounted app. On failure returns the one
// line naming the app and the exception. REQUIRES: Python not started yet.
Result<std::vector<python::PyRef>> StartPythonAndLoadApps(const Options& options);

// Serves as worker `index` until stopped; returns the exit code.
// REQUIRES: the GIL; `apps` in the order of options.mounts.
int ServeAsWorker(const Options& options, int index, int listen_fd,
                  const supervisor::WorkerChannels& channels,
                  const std::vector<python::PyRef>& apps);

}  // namespace shoal::daemon
