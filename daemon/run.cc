#include "daemon/run.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <iterator>
#include <optional>
#include <cstdlib>
#include <random>
#include <system_error>

#include <spdlog/spdlog.h>

#include "daemon/app_loading.h"
#include "daemon/inetd.h"
#include "daemon/reload_check.h"
#include "daemon/socket_files.h"
#include "daemon/std_streams.h"
#include "python/app.h"
#include "python/gil.h"
#include "python/interpreter.h"
#include "service/boot_signals.h"
#include "service/daemonize.h"
#include "service/exit_codes.h"
#include "service/logging.h"
#include "service/pidfile.h"
#include "service/privileges.h"
#include "service/readiness.h"
#include "service/log_file.h"
#include "service/web_server_addrs.h"
#include "supervisor/lazy_worker.h"
#include "supervisor/listener.h"
#include "supervisor/master.h"
#include "supervisor/reexec.h"
#include "supervisor/thread_signals.h"
#include "supervisor/worker_boot.h"

namespace shoal::daemon {
namespace {

constexpr int kListenBacklog = 1024;


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
                                        std::string program, std::vector<std::string> argv,
                                        std::string start_dir, service::Readiness readiness) {
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
          .argv = argv,
          .start_dir = start_dir,
          .check_reload = [argv, start_dir] { return CheckReloadParses(argv, start_dir); },
          .readiness = std::move(readiness)};
}

// Whom to tell that shoal serves: the --ready-fd (or, after a re-exec, the
// one the previous image had not written yet) and $NOTIFY_SOCKET.
// REQUIRES: this image has opened no fd yet (see TakeReadyFd).
Result<service::Readiness> ReadinessOf(const Options& options,
                                       std::optional<supervisor::Inheritance>& inherited) {
  UniqueFd ready_fd;
  if (inherited) {
    ready_fd = std::move(inherited->ready_fd);
  } else if (options.ready_fd >= 0) {
    Result<UniqueFd> taken = service::TakeReadyFd(options.ready_fd);
    if (!taken.ok()) return taken.status();
    ready_fd = std::move(taken).value();
  }
  const char* notify_socket = std::getenv("NOTIFY_SOCKET");
  return service::Readiness(std::move(ready_fd), notify_socket != nullptr ? notify_socket : "");
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




}  // namespace

int RunShoal(const Options& options, const std::vector<std::string>& argv,
             Embedding* embedding) {
  // Inside a Python program its signal state comes back when shoal is
  // done; meanwhile SIGPIPE is ignored, as main ignores it for the daemon
  // (Python's start-up does too, unless the program changed that).
  std::optional<supervisor::ThreadSignals> program_signals;
  if (embedding) program_signals.emplace(std::vector<int>{}, std::vector<int>{SIGPIPE});
  Result<std::optional<service::WebServerAddrs>> web_server_addrs =
      service::WebServerAddrs::FromEnvironment();
  if (!web_server_addrs.ok()) {
    spdlog::error("{}", web_server_addrs.status().message());
    return service::kExitUsage;
  }
  supervisor::WorkerSettings worker_settings = WorkerSettingsOf(options);
  worker_settings.web_server_addrs = web_server_addrs.value();
  // A --lazy-apps worker opens its own access log (as --user already).
  std::optional<service::LogFile> access_log;
  if (supervisor::IsLazyWorker() && !options.access_log.empty()) {
    Result<service::LogFile> opened = service::LogFile::Open(options.access_log);
    if (!opened.ok()) {
      spdlog::error("--access-log: {}", opened.status().message());
      return service::kExitWorkerBootError;
    }
    access_log.emplace(std::move(opened).value());
    worker_settings.access_log = &*access_log;
  }
  if (!embedding && supervisor::IsLazyWorker()) {
    worker_settings.handler_loads_app = true;
    return supervisor::RunLazyWorker(worker_settings, [&]() -> supervisor::HandlerFactory::result_type {
      Result<python::LoadedApps> apps = StartPythonAndLoadApps(options);
      if (!apps.ok()) return apps.status();
      return MakeGateway(options, apps.value());
    });
  }
  // systemd's LISTEN_* variables are for this process alone: read and
  // unset before the app (or anything it starts, or a re-exec) sees them.
  const Result<std::optional<int>> activated = service::TakeSocketActivation();
  // First, so it covers every file shoal makes, the socket included.
  if (options.umask) ::umask(static_cast<mode_t>(*options.umask));
  std::error_code no_cwd;
  const std::string start_dir = std::filesystem::current_path(no_cwd).string();
  const service::RunAs run_as{.user = options.user, .group = options.group};
  if (Status can = service::CheckCanSwitchTo(run_as); !can.ok()) {
    spdlog::error("{}", can.message());
    return service::kExitFailure;
  }
  if (options.inetd) {
    return RunInetd(options, run_as, worker_settings, embedding ? &embedding->apps : nullptr);
  }
  // The master's signals, read from its signalfd, are forwarded to this
  // thread from any other the program started (supervisor/thread_signals.h).
  if (embedding) {
    program_signals.reset();
    program_signals.emplace(std::vector<int>(std::begin(supervisor::Master::kHandledSignals),
                                             std::end(supervisor::Master::kHandledSignals)),
                            std::vector<int>{SIGPIPE});
  }
  if (!options.pidfile.empty()) {
    if (Status free = service::Pidfile::CheckNotRunning(options.pidfile); !free.ok()) {
      spdlog::error("{}", free.message());
      return service::kExitFailure;
    }
  }
  RaiseFileLimit(options.max_idle_connections + 64);

  // After HUP or USR2 this image takes over its predecessor's sockets.
  std::optional<supervisor::Inheritance> inherited;
  if (!embedding) inherited = supervisor::TakeInheritance();
  // runfcgi's outlog=/errlog= and the --pythonpath check: once, in the
  // image the user started (a HUP's re-exec keeps the fds it has).
  if (!inherited) {
    if (Status reopened = ReopenStdStreams(options); !reopened.ok()) {
      spdlog::error("{}", reopened.message());
      return service::kExitFailure;
    }
    WarnOfMissingPythonpath(options);
  }
  Result<service::Readiness> readiness = ReadinessOf(options, inherited);
  if (!readiness.ok()) {
    spdlog::error("{}", readiness.status().message());
    return service::kExitFailure;
  }
  // Opened before the fork, so a path that cannot be written stops the
  // start; forked workers write through their copy. Given to --user, as
  // nginx gives its logs to its workers' user, so that --lazy-apps workers
  // can open it and USR1 can reopen it after the drop.
  if (!options.access_log.empty()) {
    Result<service::LogFile> opened = service::LogFile::Open(options.access_log);
    const service::FileOwner app_user = AppUserOf(options);
    if (opened.ok() && options.access_log != "-" && ::geteuid() == 0 && !app_user.empty() &&
        ::chown(options.access_log.c_str(), app_user.uid, app_user.gid) != 0) {
      opened = PosixError("chown(" + options.access_log + ")", errno);
    }
    if (!opened.ok()) {
      spdlog::error("--access-log: {}", opened.status().message());
      return service::kExitFailure;
    }
    access_log.emplace(std::move(opened).value());
    worker_settings.access_log = &*access_log;
  }
  if (!HasSocketToServe(options, inherited, activated)) {
    spdlog::error("no socket to serve on: give --bind unix:PATH, HOST:PORT or fd:N, start shoal "
                  "with a listening socket on fd 0 (spawn-fcgi, mod_fcgid) or by systemd socket "
                  "activation, or use --inetd");
    return service::kExitUsage;
  }
  // A socket shoal was given is taken first: --daemonize reopens fd 0.
  const bool binds = BindsItsSocket(options, inherited);
  std::optional<Result<supervisor::Listener>> opened;
  if (!binds) opened.emplace(TakeGivenListener(options, inherited, activated));
  // A re-executed image is the daemon already.
  std::optional<service::DaemonReadiness> detached;
  if (options.daemonize && !inherited) {
    Result<service::DaemonReadiness> daemon = service::Daemonize();
    if (!daemon.ok()) {
      spdlog::error("{}", daemon.status().message());
      return service::kExitFailure;
    }
    detached.emplace(std::move(daemon).value());
    service::InitLogging("master");
  }
  const service::FileOwner socket_owner = SocketOwnerOf(options);
  if (!inherited) {
    if (Status dir = binds ? CheckSocketDirectory(*options.bind, options) : Status::Ok();
        !dir.ok()) {
      spdlog::error("{}", dir.message());
      return service::kExitFailure;
    }
    if (Status dir = options.stats ? CheckSocketDirectory(*options.stats, options) : Status::Ok();
        !dir.ok()) {
      spdlog::error("--stats: {}", dir.message());
      return service::kExitFailure;
    }
  }
  if (binds) {
    opened.emplace(supervisor::Listener::Bind(*options.bind, options.socket_mode, kListenBacklog,
                                              socket_owner));
  }
  Result<supervisor::Listener>& listener = *opened;
  if (!listener.ok()) {
    spdlog::error("{}", listener.status().message());
    return service::kExitFailure;
  }
  listener.value().DeferAccept(std::chrono::milliseconds(options.header_timeout_ms));
  // Until the master's loop runs, a stop signal ends the boot cleanly.
  // (Inside a Python program there is no import to wait for, and the
  // signals are blocked already: they wait for the master's signalfd.)
  if (!embedding) {
    service::StopOnSignalsWhileBooting(
        options.bind && options.bind->kind == BindAddress::Kind::kUnix ? options.bind->path
                                                                       : std::string(),
        options.pidfile);
  }
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
  std::optional<supervisor::Listener> stats;
  if (options.stats) {
    Result<supervisor::Listener> bound =
        inherited && inherited->stats_fd.valid()
            ? supervisor::Listener::Adopt(std::move(inherited->stats_fd), *options.stats)
            : supervisor::Listener::Bind(*options.stats, options.socket_mode, 16, socket_owner);
    if (!bound.ok()) {
      spdlog::error("--stats: {}", bound.status().message());
      return service::kExitFailure;
    }
    stats.emplace(std::move(bound).value());
  }
  // Once the socket is bound, with the pid that serves; before the drop,
  // while /run is still writable.
  std::optional<service::Pidfile> pidfile;
  if (!options.pidfile.empty()) {
    Result<service::Pidfile> written = service::Pidfile::Write(options.pidfile);
    if (!written.ok()) {
      spdlog::error("--pidfile: {}", written.status().message());
      return service::kExitFailure;
    }
    pidfile.emplace(std::move(written).value());
  }
  // Everything after this (the spool check, --chdir, the import, every
  // worker) runs as --user.
  if (Status became = BecomeAppUser(run_as, options.spool_dir); !became.ok()) {
    spdlog::error("{}", became.message());
    return service::kExitFailure;
  }

  std::string served;
  for (const Mount& mount : options.mounts) {
    served += (served.empty() ? "" : ", ") + mount.app + " at " +
              (mount.prefix.empty() ? "/" : mount.prefix);
  }
  // Preload (the default): import once here, so workers share the pages.
  // --lazy-apps: each worker is a fresh exec of shoal and imports for itself.
  python::LoadedApps apps;
  if (embedding) {
    for (const python::MountedApp& app : embedding->apps) {
      apps.apps.push_back({app.prefix, python::PyRef::Borrow(app.app.get())});
    }
  } else if (!options.lazy_apps) {
    Result<python::LoadedApps> loaded = StartPythonAndLoadApps(options);
    if (!loaded.ok()) {
      spdlog::error("{}", loaded.status().message());
      return service::kExitFailure;
    }
    apps = std::move(loaded).value();
  }
  // What --reload-on-change watches: listed while the import is fresh.
  std::optional<WatchList> watch;
  if (options.hooks.reload_on_change) {
    Result<WatchList> sources = SourcesToWatch(options);
    if (!sources.ok()) {
      spdlog::error("--reload-on-change: {}", sources.status().message());
      return service::kExitFailure;
    }
    watch.emplace(std::move(sources).value());
  }
  if ((embedding || !options.lazy_apps) && options.gc_freeze) python::FreezeHeap();

  std::string pool = options.adaptive
                         ? fmt::format("an adaptive pool ({} to {} spare, at most {} workers)",
                                       options.min_spare, options.max_spare, options.max_children)
                         : fmt::format("{} workers", options.workers);
  spdlog::info("shoal {} serving {} on {} ({}) with {}", SHOAL_VERSION, served,
               listener.value().name(),
               options.protocol ? protocols::ProtocolName(*options.protocol) : "auto", pool);
  // Said once serving is sure, so a start that fails still ends in one line.
  if (geteuid() == 0 && !options.user) {
    spdlog::warn("running as root without --user: the app and every worker run as root too");
  }
  if (detached) detached->Ready();

  if (worker_settings.web_server_addrs) {
    if (listener.value().tcp()) {
      spdlog::info("accepting connections only from {} (FCGI_WEB_SERVER_ADDRS)",
                   worker_settings.web_server_addrs->ToString());
    } else {
      spdlog::info("FCGI_WEB_SERVER_ADDRS has no effect on {}: a unix socket's permissions "
                   "say who may connect",
                   listener.value().name());
    }
  }
  const int listen_fd = listener.value().fd();
  supervisor::WorkerHooks hooks;
  const std::string program = embedding ? std::string() : ProgramPath();
  // Inside a Python program the master waits without the GIL, so the
  // program's other threads run; it takes it back around each fork, which
  // must happen with it held (python/interpreter.h), and the child keeps it.
  std::optional<python::GilReleased> gil_released;
  if (options.lazy_apps) {
    hooks.start_worker = [&](int index, const supervisor::WorkerChannels& channels) {
      return supervisor::StartLazyWorker(program, argv, index, listen_fd, channels);
    };
  } else {
    hooks.before_fork = [&] {
      gil_released.reset();
      python::BeforeFork();
    };
    hooks.after_fork_parent = [&] {
      python::AfterForkInParent();
      if (embedding) gil_released.emplace();
    };
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
  supervisor::MasterConfig master_config = MasterConfigOf(
      options, listen_fd, program, argv, start_dir, std::move(readiness).value());
  master_config.access_log = access_log ? &*access_log : nullptr;
  if (watch) {
    master_config.watch_files = std::move(watch->files);
    master_config.watch_dirs = std::move(watch->dirs);
    master_config.reload_in_workers =
        options.hooks.reload_mechanism == ReloadMechanism::kModule;
  }
  master_config.stop_on_hup = embedding != nullptr;
  supervisor::Master master(std::move(master_config), std::move(hooks), std::move(stats),
                            std::move(handover));
  if (embedding) gil_released.emplace();
  const int code = master.Run();
  gil_released.reset();
  if (embedding) embedding->reload_asked = master.reload_asked();
  return code;
}

}  // namespace shoal::daemon
