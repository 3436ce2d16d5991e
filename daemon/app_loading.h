// Loading the apps and making their gateway: what the master (preload),
// a --lazy-apps worker and --inetd all do with the options, in one place.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "daemon/options.h"
#include "protocols/request_handler.h"
#include "python/app.h"
#include "service/privileges.h"

namespace shoal::daemon {

// Starts Python and imports every mounted app. On failure returns the one
// line naming the app and the exception. REQUIRES: Python not started yet.
// The calling thread holds the GIL when it returns OK.
Result<std::vector<python::MountedApp>> StartPythonAndLoadApps(const Options& options);

// Logs a warning line for each --pythonpath entry that is not a directory
// (relative ones against the current directory, as Python will take them).
// Not an error: the app may still import. Call in the master before --chdir.
void WarnOfMissingPythonpath(const Options& options);

// A WSGI gateway over `apps` (shared with the loader's copies).
// REQUIRES: the GIL, in the process that serves (a worker, or --inetd's).
std::unique_ptr<protocols::RequestHandler> MakeGateway(const Options& options,
                                                       const std::vector<python::MountedApp>& apps);

// What must hold before the app is imported, in the master and under
// --inetd alike: drops to --user/--group (`run_as`), then checks, as that
// user, that --spool-dir is a directory it may create files in. Returns the
// one line to log when either fails.
Status BecomeAppUser(const service::RunAs& run_as, const std::string& spool_dir);

}  // namespace shoal::daemon
