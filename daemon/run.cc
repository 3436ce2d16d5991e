#include "daemon/run.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <random>

#include <spdlog/spdlog.h>

#include "python/app.h"
#include "python/interpreter.h"
#include "python/wsgi_call.h"
#include "service/boot_signals.h"
#include "service/exit_codes.h"
#include "service/log_file.h"
#include "supervisor/lazy_worker.h"
#include "supervisor/listener.h"
#include "supervisor/master.h"
#include "supervisor/reexec.h"
#include "supervisor/worker_boot.h"

namespace shoal::daemon {
namespace {

constexpr int kListenBacklog = 1024;

// Starts Python and imports every mounted app. On failure returns the one
// line naming the app and the exception. REQUIRES: Python not started yet.
Result<std::vector<python::MountedApp>> StartPythonAndLoadApps(const Options& options) {
  Status started = python::InitializeInterpreter({.chdir = options.chdir,
                                                  .pythonpath = options.pythonpath});
  if (!started.ok()) return started;
  std::vector<python::AppSpec> specs;
  for (const Mount& mount : options.mounts) {
    specs.push_back({.prefix = mount.prefix, .module = mount.module, .callable = mount.callable});
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
                            .spool_chunked = options.spool_chunked});
}

supervisor::WorkerSettings WorkerSettingsOf(const Options& options) {
  const int max_workers = options.adaptive ? options.max_children : options.workers;
  return {.protocol = options.protocol,
          .connection = {.max_header_size = options.max_header_size,
                         .ajp_packet_size = options.ajp_packet_size,
                         .ajp_secret = options.ajp_secret,
                         .fastcgi_limits = {.max_conns = static_cast<int>(options.max_idle_connections) +
                                                         max_workers,
                                            .max_reqs = max_workers},
                         .header_timeout = std::chrono::milliseconds(options.header_timeout_ms),
                         .body_timeout = std::chrono::milliseconds(options.body_timeout_ms),
                         .send_timeout = std::chrono::milliseconds(options.send_timeout_ms),
                         .min_rate = options.min_rate},
          .idle_timeout = std::chrono::milliseconds(options.idle_timeout_ms),
          .max_requests = options.max_requests,
          .max_requests_jitter = options.max_requests_jitter,
          .reload_on_rss_mb = options.reload_on_rss_mb};
}

supervisor::MasterConfig MasterConfigOf(const Options& options, int listen_fd,
                                        std::string program, std::vector<std::string> argv) {
  return {.pool = {.workers = static_cast<size_t>(options.workers),
                   .adaptive = options.adaptive,
                   .min_spare = options.min_spare,
                   .max_spare = options.max_spare,
                   .max_children = options.max_children,
                   .request_timeout = std::chrono::milliseconds(options.timeout_ms),
                   .heartbeat_timeout = std::chrono::milliseconds(options.heartbeat_timeout_ms)},
          .graceful_timeout = std::chrono::duration<double>(options.graceful_timeout),
          .idle_timeout = std::chrono::milliseconds(options.idle_timeout_ms),
          .max_idle_connections = options.max_idle_connections,
          .listen_fd = listen_fd,
          .program = std::move(program),
          .argv = std::move(argv)};
}

// Raises the soft limit on open files to the hard one: the master holds
// every idle persistent connection (up to --max-idle-connections), and the
// usual soft limit of 1024 is about that many.
void RaiseFileLimit(size_t needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur < needed) {
    spdlog::warn("open files are limited to {}, fewer than --max-idle-connections needs ({}); "
                 "raise the hard limit (ulimit -Hn)",
                 limit.rlim_cur, needed);
  }
}

// This binary's path, for re-executing it: what the path names when the
// signal comes (a new build installed over it is what runs).
std::string ProgramPath() {
  char path[4096];
  ssize_t length = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (length <= 0) return "";
  std::string program(path, static_cast<size_t>(length));
  const std::string deleted = " (deleted)";
  if (program.ends_with(deleted)) program.resize(program.size() - deleted.size());
  return program;
}

// A directory this process may create files in, or why not.
Status CheckSpoolDir(const std::string& dir) {
  struct stat info {};
  if (stat(dir.c_str(), &info) != 0) return PosixError("stat(" + dir + ")", errno);
  if (!S_ISDIR(info.st_mode)) return Status::Error("'" + dir + "' is not a directory");
  if (access(dir.c_str(), W_OK | X_OK) != 0) return PosixError("access(" + dir + ", W_OK)", errno);
  return Status::Ok();
}

}  // namespace

int RunShoal(const Options& options, const std::vector<std::string>& argv) {
  supervisor::WorkerSettings worker_settings = WorkerSettingsOf(options);
  // Opened here, before fork, so a path that cannot be written stops the
  // start; forked workers write through their copy (a --lazy-apps worker
  // opens its own here).
  std::optional<service::LogFile> access_log;
  if (!options.access_log.empty()) {
    Result<service::LogFile> opened = service::LogFile::Open(options.access_log);
    if (!opened.ok()) {
      spdlog::error("--access-log: {}", opened.status().message());
      return supervisor::IsLazyWorker() ? service::kExitWorkerBootError : service::kExitFailure;
    }
    access_log.emplace(std::move(opened).value());
    worker_settings.access_log = &*access_log;
  }
  if (supervisor::IsLazyWorker()) {
    return supervisor::RunLazyWorker(worker_settings, [&]() -> supervisor::HandlerFactory::result_type {
      Result<std::vector<python::MountedApp>> apps = StartPythonAndLoadApps(options);
      if (!apps.ok()) return apps.status();
      return MakeGateway(options, apps.value());
    });
  }
  RaiseFileLimit(options.max_idle_connections + 64);

  // After HUP or USR2 this image takes over its predecessor's sockets.
  std::optional<supervisor::Inheritance> inherited = supervisor::TakeInheritance();
  Result<supervisor::Listener> listener =
      inherited ? supervisor::Listener::Adopt(std::move(inherited->listen_fd), options.bind)
                : supervisor::Listener::Bind(options.bind, options.socket_mode, kListenBacklog);
  if (!listener.ok()) {
    spdlog::error("{}", listener.status().message());
    return service::kExitFailure;
  }
  listener.value().DeferAccept(std::chrono::milliseconds(options.header_timeout_ms));
  // Until the master's loop runs, a stop signal ends the boot cleanly.
  service::StopOnSignalsWhileBooting(
      options.bind.kind == BindAddress::Kind::kUnix ? options.bind.path : std::string());
  // Ghostcat (CVE-2020-1938): an AJP port others can reach lets them send
  // whatever request attributes they like. Like Tomcat since, refuse it
  // without a secret unless told otherwise.
  const bool may_speak_ajp = !options.protocol || *options.protocol == protocols::Protocol::kAjp;
  if (may_speak_ajp && listener.value().reachable_from_outside() && options.ajp_secret.empty() &&
      !options.ajp_allow_insecure) {
    spdlog::error("refusing AJP on {} without --ajp-secret: other hosts could reach it (bind "
                  "127.0.0.1, set a secret, or pass --ajp-allow-insecure)",
                  listener.value().name());
    return service::kExitFailure;
  }
  // Found out now, not at the first upload spooled there.
  if (Status spool_dir = CheckSpoolDir(options.spool_dir); !spool_dir.ok()) {
    spdlog::error("--spool-dir: {}", spool_dir.message());
    return service::kExitFailure;
  }
  std::optional<supervisor::Listener> stats;
  if (options.stats) {
    Result<supervisor::Listener> bound =
        inherited && inherited->stats_fd.valid()
            ? supervisor::Listener::Adopt(std::move(inherited->stats_fd), *options.stats)
            : supervisor::Listener::Bind(*options.stats, options.socket_mode, 16);
    if (!bound.ok()) {
      spdlog::error("--stats: {}", bound.status().message());
      return service::kExitFailure;
    }
    stats.emplace(std::move(bound).value());
  }

  std::string served;
  for (const Mount& mount : options.mounts) {
    served += (served.empty() ? "" : ", ") + mount.app + " at " +
              (mount.prefix.empty() ? "/" : mount.prefix);
  }
  // Preload (the default): import once here, so workers share the pages.
  // --lazy-apps: each worker is a fresh exec of shoal and imports for itself.
  std::vector<python::MountedApp> apps;
  if (!options.lazy_apps) {
    Result<std::vector<python::MountedApp>> loaded = StartPythonAndLoadApps(options);
    if (!loaded.ok()) {
      spdlog::error("{}", loaded.status().message());
      return service::kExitFailure;
    }
    apps = std::move(loaded).value();
    if (options.gc_freeze) python::FreezeHeap();
  }

  std::string pool = options.adaptive
                         ? fmt::format("an adaptive pool ({} to {} spare, at most {} workers)",
                                       options.min_spare, options.max_spare, options.max_children)
                         : fmt::format("{} workers", options.workers);
  spdlog::info("shoal {} serving {} on {} ({}) with {}", SHOAL_VERSION, served,
               listener.value().name(),
               options.protocol ? protocols::ProtocolName(*options.protocol) : "auto", pool);

  const int listen_fd = listener.value().fd();
  supervisor::WorkerHooks hooks;
  const std::string program = ProgramPath();
  if (options.lazy_apps) {
    hooks.start_worker = [&](int index, const supervisor::WorkerChannels& channels) {
      return supervisor::StartLazyWorker(program, argv, index, listen_fd, channels);
    };
  } else {
    hooks.before_fork = python::BeforeFork;
    hooks.after_fork_parent = python::AfterForkInParent;
    hooks.run_worker = [&](int index, const supervisor::WorkerChannels& channels) {
      python::AfterForkInChild();
      return supervisor::ServeAsWorker(worker_settings, index, listen_fd, channels, [&] {
        return supervisor::HandlerFactory::result_type(MakeGateway(options, apps));
      });
    };
  }
  supervisor::Handover handover;
  if (inherited) {
    handover.old_lifeline = std::move(inherited->old_lifeline);
    handover.channels = std::move(inherited->channels);
    handover.parked = std::move(inherited->parked);
  }
  supervisor::MasterConfig master_config = MasterConfigOf(options, listen_fd, program, argv);
  master_config.access_log = access_log ? &*access_log : nullptr;
  supervisor::Master master(std::move(master_config), std::move(hooks), std::move(stats),
                            std::move(handover));
  return master.Run();
}

}  // namespace shoal::daemon
