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
#include "python/wsgi_call.h"
#include "service/privileges.h"

namespace shoal::daemon {

// Starts Python, runs --exec-file and --exec, then imports every mounted
// app (each in its --middleware) and the --on-request and --after-request
// hooks. On failure returns the one line naming what failed and the
// exception. REQUIRES: Python not started yet. The calling thread holds the
// GIL when it returns OK.
Result<python::LoadedApps> StartPythonAndLoadApps(const Options& options);

// --reload-mechanism module, in a worker: the app's own modules dropped from
// sys.modules and the apps and hooks loaded again, as at start (not
// --exec). On failure the old modules are put back and the one line
// returned. REQUIRES: the GIL.
Result<python::LoadedApps> ReloadApps(const Options& options);

// --reload-on-change: what the master watches. Preloaded (REQUIRES: the
// GIL, the apps imported): the app's source files (python/source_files.h),
// every *.py in their directories, the --paste file and every --exec-file. --lazy-apps, where the master
// imports nothing: the --paste, --exec-file and --wsgi-file files, and every
// *.py in the --chdir (else the current) directory and the --pythonpath
// directories.
struct WatchList {
  std::vector<std::string> files;
  std::vector<std::string> dirs;
};
Result<WatchList> SourcesToWatch(const Options& options);

// Logs a warning line for each --pythonpath entry that is not a directory
// (relative ones against the current directory, as Python will take them).
// Not an error: the app may still import. Call in the master before --chdir.
void WarnOfMissingPythonpath(const Options& options);

// A WSGI gateway over `apps` (shared with the loader's copies).
// REQUIRES: the GIL, in the process that serves (a worker, or --inetd's).
std::unique_ptr<protocols::RequestHandler> MakeGateway(const Options& options,
                                                       const python::LoadedApps& loaded);

// What must hold before the app is imported, in the master and under
// --inetd alike: drops to --user/--group (`run_as`), then checks, as that
// user, that --spool-dir is a directory it may create files in. Returns the
// one line to log when either fails.
Status BecomeAppUser(const service::RunAs& run_as, const std::string& spool_dir);

}  // namespace shoal::daemon
