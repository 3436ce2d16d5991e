#include "supervisor/worker_boot.h"

#include <unistd.h>

#include <random>

#include <spdlog/spdlog.h>

#include "service/exit_codes.h"
#include "supervisor/worker.h"

namespace shoal::supervisor {
namespace {

// --max-requests, spread by up to --max-requests-jitter so that workers
// started together do not all leave together.
uint64_t MaxRequests(const WorkerSettings& settings, int index) {
  if (settings.max_requests == 0) return 0;
  if (settings.max_requests_jitter == 0) return settings.max_requests;
  std::mt19937_64 random(static_cast<uint64_t>(getpid()) * 31 + static_cast<uint64_t>(index));
  return settings.max_requests + random() % (settings.max_requests_jitter + 1);
}

}  // namespace

int ServeAsWorker(const WorkerSettings& settings, int index, int listen_fd,
                  const WorkerChannels& channels, const HandlerFactory& make_handler) {
  const uint64_t app_generation =
      settings.handler_loads_app && channels.scoreboard != nullptr
          ? channels.scoreboard->slot(static_cast<size_t>(index)).app_generation.load()
          : 0;
  Result<std::unique_ptr<protocols::RequestHandler>> handler = make_handler();
  if (!handler.ok()) {
    spdlog::error("{}", handler.status().message());
    return service::kExitWorkerBootError;
  }
  return ServeForever({.index = index,
                       .listen_fd = listen_fd,
                       .lifeline_fd = channels.lifeline_fd,
                       .park_fd = channels.park_fd,
                       .ready_fd = channels.ready_fd,
                       .protocol = settings.protocol,
                       .connection = settings.connection,
                       .idle_timeout = settings.idle_timeout,
                       .scoreboard = channels.scoreboard,
                       .max_requests = MaxRequests(settings, index),
                       .reload_on_rss_mb = settings.reload_on_rss_mb,
                       .access_log = settings.access_log,
                       .web_server_addrs = settings.web_server_addrs
                                               ? &*settings.web_server_addrs
                                               : nullptr,
                       .app_generation = app_generation},
                      *handler.value());
}

}  // namespace shoal::supervisor
