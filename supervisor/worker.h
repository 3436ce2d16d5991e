// The worker's serve loop.
//
// Runs in a worker process, after fork. Every accepted connection gets a
// read timeout, so a front end that connects and sends nothing cannot hold a
// worker. Waits (epoll) on the shared
// listening socket, on the connections this worker keeps open for the front
// end (FastCGI keep-conn), and on the lifeline pipe from the master; serves
// one request at a time through the RequestHandler. The listening socket is
// registered with EPOLLEXCLUSIVE, so a new connection wakes one idle worker,
// not all of them.
//
// Stops when told (SIGTERM: finish the request in hand, serve the
// connections already queued, exit) or when the master is gone (the
// lifeline reads EOF; PR_SET_PDEATHSIG sends SIGTERM if it dies while this
// worker is busy).
#pragma once

#include <cstddef>
#include <optional>

#include "protocols/ajp.h"
#include "protocols/exchange.h"
#include "protocols/protocol.h"

namespace shoal::supervisor {

struct WorkerConfig {
  int index = 0;         // the worker's slot number, for logs
  int listen_fd = -1;    // the shared, non-blocking listening socket
  int lifeline_fd = -1;  // read end of the master's lifeline pipe
  // What connections speak; nullopt: detect it from each one's first bytes.
  std::optional<protocols::Protocol> protocol = protocols::Protocol::kFastCgi;
  size_t max_header_size = 64 * 1024;
  protocols::AjpConfig ajp;
};

// Serves until stopped. Returns the worker's exit code.
int ServeForever(const WorkerConfig& config, protocols::RequestHandler& handler);

}  // namespace shoal::supervisor
