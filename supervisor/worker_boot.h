// What every worker runs once it exists, forked from a preloading master or
// exec'd with --lazy-apps: the serve loop, around the request handler the
// executable made for it.
//
// The supervisor never sees Python: the executable hands it a handler (the
// WSGI gateway) made in the worker, and the settings below.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "base/status.h"
#include "protocols/connection_config.h"
#include "protocols/protocol.h"
#include "protocols/request_handler.h"
#include "service/log_file.h"
#include "service/web_server_addrs.h"
#include "supervisor/master.h"

namespace shoal::supervisor {

// The worker settings that come from the command line.
struct WorkerSettings {
  // What connections speak; nullopt: detect it from each one's first bytes.
  std::optional<protocols::Protocol> protocol = protocols::Protocol::kFastCgi;
  // What every connection is made with (--max-header-size, the AJP
  // packet size and secret, FastCGI's FCGI_GET_VALUES answer).
  protocols::ConnectionConfig connection = {};
  std::chrono::milliseconds idle_timeout{300'000};
  uint64_t max_requests = 0;         // --max-requests; 0: never recycle
  uint64_t max_requests_jitter = 0;  // plus up to this many, per worker
  uint64_t reload_on_rss_mb = 0;     // --reload-on-rss; 0: never
  // --access-log, opened by this process (the master, before fork; a lazy
  // worker, by itself); null: none.
  service::LogFile* access_log = nullptr;
  // FCGI_WEB_SERVER_ADDRS: the only peers a TCP listener accepts; nullopt:
  // any.
  std::optional<service::WebServerAddrs> web_server_addrs = {};
  // The handler factory imports the app itself (--lazy-apps), so its app is
  // of the scoreboard's current app_generation; otherwise (forked from the
  // preloading master) it is of generation 0.
  bool handler_loads_app = false;
};

// Makes the worker's request handler, in the worker. An error ends the
// worker with kExitWorkerBootError.
using HandlerFactory = std::function<Result<std::unique_ptr<protocols::RequestHandler>>()>;

// Serves as worker `index` until stopped; returns the exit code.
int ServeAsWorker(const WorkerSettings& settings, int index, int listen_fd,
                  const WorkerChannels& channels, const HandlerFactory& make_handler);

}  // namespace shoal::supervisor
