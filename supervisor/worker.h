// The worker's serve loop.
//
// Runs in a worker process, after fork; serves one request at a time through
// the RequestHandler. It waits (epoll) on:
//   - the shared listening socket (EPOLLEXCLUSIVE: a new connection wakes
//     one idle worker, not all of them);
//   - the ready channel, where the master hands out parked persistent
//     connections whose next request has arrived (EPOLLEXCLUSIVE too);
//   - the one persistent connection it has just served, if any;
//   - the lifeline pipe from the master.
// A worker holds a persistent connection only while it is idle: before it
// takes any other work it parks that connection with the master, so an idle
// connection never waits behind a busy worker (no pinning).
//
// While it waits it beats in the scoreboard at least once a second
// (Scoreboard::Beat), so the master can tell a stopped or stuck idle worker
// (--heartbeat-timeout); out of the wait it pauses its heartbeat.
//
// With --access-log, each request gets one line in Apache's combined format
// (service/access_log.h) once its response is done, aborted or not. USR1
// asks the worker to reopen that file (logrotate moved it): the handler
// only sets a flag, and the file is reopened between requests, when the
// wait for work returns or before the next line is written. USR1 is never
// blocked once the loop runs (it only sets the flag), so a signal sent
// before a request is served is seen before that request's line.
//
// Every accepted connection gets a read timeout, so a front end that
// connects and sends nothing cannot hold a worker. Stops when told (SIGTERM:
// finish the request in hand, serve the connections already queued, exit)
// or when the master is gone (the lifeline reads EOF; PR_SET_PDEATHSIG sends
// SIGTERM if it dies while this worker is busy). The lifeline also closes
// when a re-executed master's new workers are up: a kept connection held
// then is parked with the new image, not closed (reexec.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

#include "protocols/connection_config.h"
#include "protocols/exchange.h"
#include "protocols/request_handler.h"
#include "protocols/protocol.h"
#include "service/log_file.h"
#include "service/web_server_addrs.h"
#include "supervisor/scoreboard.h"

namespace shoal::supervisor {

struct WorkerConfig {
  int index = 0;         // the worker's slot number, for logs
  int listen_fd = -1;    // the shared, non-blocking listening socket
  int lifeline_fd = -1;  // read end of the master's lifeline pipe
  int park_fd = -1;      // where idle persistent connections go to the master
  int ready_fd = -1;     // where the master hands out connections with a request
  // What connections speak; nullopt: detect it from each one's first bytes.
  std::optional<protocols::Protocol> protocol = protocols::Protocol::kFastCgi;
  // What every connection is made with (protocols::MakeConnection).
  protocols::ConnectionConfig connection;
  // A connection held idle this long is closed (as the master closes parked ones).
  std::chrono::milliseconds idle_timeout{300'000};
  Scoreboard* scoreboard = nullptr;  // this worker's slot is `index`
  // Leave (to be replaced) after this many requests; zero: never.
  uint64_t max_requests = 0;
  // Leave (to be replaced) when resident memory passes this after a
  // request; zero: never.
  uint64_t reload_on_rss_mb = 0;
  // --access-log: where each request's line goes; null: no access log.
  // This worker's own copy (forked or opened by it), reopened on USR1.
  service::LogFile* access_log = nullptr;
  // FCGI_WEB_SERVER_ADDRS: on a TCP listener, a connection from any other
  // address is closed as it is accepted (one rate-limited line); nullptr:
  // any peer. Outlives the worker.
  const service::WebServerAddrs* web_server_addrs = nullptr;
  // The scoreboard's app_generation the handler's app is of; when the slot's
  // differs, the handler reloads the app before the next request.
  uint64_t app_generation = 0;
};

// Serves until stopped. Returns the worker's exit code.
int ServeForever(const WorkerConfig& config, protocols::RequestHandler& handler);

}  // namespace shoal::supervisor
