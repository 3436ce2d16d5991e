#include "daemon/app_loading.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <spdlog/spdlog.h>

#include "python/interpreter.h"
#include "python/wsgi_call.h"

namespace shoal::daemon {

void WarnOfMissingPythonpath(const Options& options) {
  for (const std::string& dir : options.pythonpath) {
    std::error_code error;
    if (!std::filesystem::is_directory(dir, error)) {
      spdlog::warn("--pythonpath {} is not a directory: nothing will be imported from it", dir);
    }
  }
}

Result<std::vector<python::MountedApp>> StartPythonAndLoadApps(const Options& options) {
  // --env first, so that Python's start-up (PYTHON* variables) and the app
  // see it; forked workers inherit it, lazy ones come here themselves.
  for (const auto& [key, value] : options.env) {
    if (::setenv(key.c_str(), value.c_str(), 1) != 0) return PosixError("--env " + key, errno);
  }
  Status started = python::InitializeInterpreter({.chdir = options.chdir,
                                                  .pythonpath = options.pythonpath,
                                                  .virtualenv = options.virtualenv,
                                                  .python_home = options.python_home,
                                                  .optimize = options.optimize});
  if (!started.ok()) return started;
  std::vector<python::AppSpec> specs;
  for (const Mount& mount : options.mounts) {
    specs.push_back({.prefix = mount.prefix,
                     .module = mount.module,
                     .callable = mount.callable,
                     .factory = mount.factory,
                     .file = mount.wsgi_file,
                     .paste_file = mount.paste_file,
                     .paste_name = mount.paste_name});
  }
  return python::LoadApps(specs);
}

// A worker's WSGI gateway over `apps` (shared with the master's copies).
// REQUIRES: the GIL, in the worker.
std::unique_ptr<protocols::RequestHandler> MakeGateway(const Options& options,
                                                       const std::vector<python::MountedApp>& apps) {
  python::RegisterTracebackSignal();
  std::vector<python::MountedApp> mounted;
  for (const python::MountedApp& app : apps) {
    mounted.push_back({app.prefix, python::PyRef::Borrow(app.app.get())});
  }
  return std::make_unique<python::WsgiGateway>(
      std::move(mounted),
      python::GatewayConfig{.debug = options.debug,
                            .spool = {.dir = options.spool_dir, .max_size = options.max_body_size},
                            .spool_chunked = options.spool_chunked,
                            .environ = {.vars = options.wsgi_vars,
                                        .strip_authorization = options.strip_authorization}});
}

namespace {

Status CheckSpoolDir(const std::string& dir) {
  struct stat info {};
  if (stat(dir.c_str(), &info) != 0) return PosixError("stat(" + dir + ")", errno);
  if (!S_ISDIR(info.st_mode)) return Status::Error("'" + dir + "' is not a directory");
  if (access(dir.c_str(), W_OK | X_OK) != 0) return PosixError("access(" + dir + ", W_OK)", errno);
  return Status::Ok();
}

}  // namespace

Status BecomeAppUser(const service::RunAs& run_as, const std::string& spool_dir) {
  if (Status dropped = service::DropPrivileges(run_as); !dropped.ok()) return dropped;
  // Found out now, not at the first upload spooled there.
  if (Status spool = CheckSpoolDir(spool_dir); !spool.ok()) {
    return Status::Error("--spool-dir: " + spool.message());
  }
  return Status::Ok();
}

}  // namespace shoal::daemon
