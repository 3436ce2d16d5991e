#include "daemon/serve_worker.h"

#include <unistd.h>

#include <random>

#include <spdlog/spdlog.h>

#include "python/app.h"
#include "python/interpreter.h"
#include "python/wsgi_call.h"
#include "supervisor/worker.h"

namespace shoal::daemon {
namespace {

// --max-requests, spread by up to --max-requests-jitter so that workers
// started together do not all leave together.
uint64_t WorkerMaxRequests(const Options& options, int index) {
  if (options.max_requests == 0) return 0;
  if (options.max_requests_jitter == 0) return options.max_requests;
  std::mt19937_64 random(static_cast<uint64_t>(getpid()) * 31 + static_cast<uint64_t>(index));
  return options.max_requests + random() % (options.max_requests_jitter + 1);
}

}  // namespace

Result<std::vector<python::PyRef>> StartPythonAndLoadApps(const Options& options) {
  Status python = python::InitializeInterpreter({options.chdir, options.pythonpath});
  if (!python.ok()) return python;
  std::vector<python::PyRef> apps;
  for (const Mount& mount : options.mounts) {
    Result<python::PyRef> app = python::LoadApp(mount.module, mount.callable);
    if (!app.ok()) return app.status();
    apps.push_back(std::move(app).value());
  }
  return apps;
}

int ServeAsWorker(const Options& options, int index, int listen_fd,
                  const supervisor::WorkerChannels& channels,
                  const std::vector<python::PyRef>& apps) {
  // The master sends SIGUSR2 to a worker whose request ran past --timeout:
  // every thread's traceback goes to the log before it dies.
  if (PyRun_SimpleString("import faulthandler, signal\n"
                         "faulthandler.register(signal.SIGUSR2, all_threads=True)\n") != 0) {
    spdlog::warn("cannot register faulthandler for --timeout tracebacks");
  }
  std::vector<python::MountedApp> mounted;
  for (size_t i = 0; i < apps.size(); ++i) {
    mounted.push_back({options.mounts[i].prefix, python::PyRef::Borrow(apps[i].get())});
  }
  python::WsgiGateway gateway(std::move(mounted),
                              {.debug = options.debug,
                               .spool = {.dir = options.spool_dir,
                                         .max_size = options.max_body_size},
                               .spool_chunked = options.spool_chunked});
  const int max_workers = options.adaptive ? options.max_children : options.workers;
  return supervisor::ServeForever(
      {.index = index,
       .listen_fd = listen_fd,
       .lifeline_fd = channels.lifeline_fd,
       .park_fd = channels.park_fd,
       .ready_fd = channels.ready_fd,
       .protocol = options.protocol,
       .connection = {.max_header_size = options.max_header_size,
                      .ajp_packet_size = options.ajp_packet_size,
                      .ajp_secret = options.ajp_secret,
                      .fastcgi_limits = {.max_conns = static_cast<int>(options.max_idle_connections) +
                                                      max_workers,
                                         .max_reqs = max_workers}},
       .idle_timeout = std::chrono::milliseconds(options.idle_timeout_ms),
       .scoreboard = channels.scoreboard,
       .max_requests = WorkerMaxRequests(options, index),
       .max_rss_kb = options.reload_on_rss_mb * 1024},
      gateway);
}

}  // namespace shoal::daemon
