// ServeInetdConnection: `--inetd`, one connection served in this process.
//
// inetd and xinetd (`nowait`) accept the connection themselves and start
// shoal with it as fd 0 (and 1). There is no master and no worker: the
// process that imported the app serves every request on that connection
// (FastCGI keep-conn, AJP reuse) under the usual deadlines
// (protocols/socket_connection.h), waits at most --idle-timeout between
// them, and returns when it ends. --timeout has nothing to kill here; a
// request's only bound is the front end's. Runs after the app is imported.
#pragma once

#include "base/unique_fd.h"
#include "protocols/request_handler.h"
#include "supervisor/worker_boot.h"

namespace shoal::supervisor {

// Serves the connection on `fd` (non-blocking) with `handler` until the
// peer closes it, it is not kept open, it idles past
// `settings.idle_timeout`, or bad input ends it (one log line). A TCP peer
// not in `settings.web_server_addrs` is closed unserved, with one line.
// Returns the exit code: kExitOk in every case but a failed set-up.
int ServeInetdConnection(const WorkerSettings& settings, UniqueFd fd,
                         protocols::RequestHandler& handler);

}  // namespace shoal::supervisor
