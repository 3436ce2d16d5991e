#include "daemon/app_loading.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <spdlog/spdlog.h>

#include "python/interpreter.h"
#include "python/middleware.h"
#include "python/request_hooks.h"
#include "python/source_files.h"
#include "python/startup_code.h"
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

namespace {

// The apps, each in the middleware, and the hooks. REQUIRES: the GIL.
Result<python::LoadedApps> LoadServedApps(const Options& options) {
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
  Result<std::vector<python::MountedApp>> apps = python::LoadApps(specs);
  if (!apps.ok()) return apps.status();
  python::LoadedApps loaded;
  for (python::MountedApp& app : apps.value()) {
    Result<python::PyRef> wrapped =
        python::WrapInMiddleware(std::move(app.app), options.hooks.middleware);
    if (!wrapped.ok()) return wrapped.status();
    loaded.apps.push_back({app.prefix, std::move(wrapped).value()});
  }
  Result<python::RequestHooks> hooks =
      python::LoadRequestHooks(options.hooks.on_request, options.hooks.after_request);
  if (!hooks.ok()) return hooks.status();
  loaded.hooks = std::move(hooks).value();
  return loaded;
}

std::string Absolute(const std::string& path) {
  return std::filesystem::absolute(path).lexically_normal().string();
}

}  // namespace

Result<python::LoadedApps> ReloadApps(const Options& options) {
  Result<python::PyRef> forgotten = python::ForgetAppModules();
  if (!forgotten.ok()) return forgotten.status();
  Result<python::LoadedApps> loaded = LoadServedApps(options);
  if (!loaded.ok()) python::RestoreModules(forgotten.value().get());
  return loaded;
}

Result<WatchList> SourcesToWatch(const Options& options) {
  WatchList watch;
  watch.files = options.hooks.exec_files;
  for (const Mount& mount : options.mounts) {
    if (!mount.paste_file.empty()) watch.files.push_back(mount.paste_file);
  }
  if (!options.lazy_apps) {
    Result<std::vector<std::string>> files = python::AppSourceFiles();
    if (!files.ok()) return files.status();
    watch.files.insert(watch.files.end(), files.value().begin(), files.value().end());
    // And every *.py beside them: a module the app imports later (on its
    // first request, as Django's views are) lives there too, and only the
    // workers will ever have imported it.
    for (const std::string& file : files.value()) {
      std::string dir = std::filesystem::path(file).parent_path().string();
      if (std::find(watch.dirs.begin(), watch.dirs.end(), dir) == watch.dirs.end()) {
        watch.dirs.push_back(std::move(dir));
      }
    }
    return watch;
  }
  watch.dirs.push_back(Absolute(options.chdir.empty() ? "." : options.chdir));
  for (const std::string& dir : options.pythonpath) {
    std::error_code error;
    if (std::filesystem::is_directory(dir, error)) watch.dirs.push_back(Absolute(dir));
  }
  for (const Mount& mount : options.mounts) {
    if (!mount.wsgi_file.empty()) watch.files.push_back(mount.wsgi_file);
  }
  return watch;
}

Result<python::LoadedApps> StartPythonAndLoadApps(const Options& options) {
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
  Status ran = python::RunStartupCode(options.hooks.exec_files, options.hooks.exec);
  if (!ran.ok()) return ran;
  return LoadServedApps(options);
}

// A worker's WSGI gateway over `apps` (shared with the master's copies).
// REQUIRES: the GIL, in the worker.
std::unique_ptr<protocols::RequestHandler> MakeGateway(const Options& options,
                                                       const python::LoadedApps& loaded) {
  python::RegisterTracebackSignal();
  std::vector<python::MountedApp> mounted;
  for (const python::MountedApp& app : loaded.apps) {
    mounted.push_back({app.prefix, python::PyRef::Borrow(app.app.get())});
  }
  python::RequestHooks hooks;
  if (loaded.hooks.on_request) {
    hooks.on_request = python::PyRef::Borrow(loaded.hooks.on_request.get());
  }
  if (loaded.hooks.after_request) {
    hooks.after_request = python::PyRef::Borrow(loaded.hooks.after_request.get());
  }
  std::function<Result<python::LoadedApps>()> reload;
  if (options.hooks.reload_on_change &&
      options.hooks.reload_mechanism == ReloadMechanism::kModule) {
    reload = [options] { return ReloadApps(options); };
  }
  return std::make_unique<python::WsgiGateway>(
      std::move(mounted),
      python::GatewayConfig{.debug = options.debug,
                            .spool = {.dir = options.spool_dir, .max_size = options.max_body_size},
                            .spool_chunked = options.spool_chunked,
                            .environ = {.vars = options.wsgi_vars,
                                        .strip_authorization = options.strip_authorization},
                            .head_skip_body = options.hooks.head_skip_body,
                            .reload = std::move(reload)},
      std::move(hooks));
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
