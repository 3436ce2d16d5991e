// --lazy-apps: workers that are a fresh exec of shoal, each importing the
// app itself (for apps that start threads or open connections at import,
// which a fork would copy in a broken state).
//
// The master starts each with Boost.Process: the same binary and arguments,
// with the listening socket, the master's channels and the scoreboard left
// open for it and named in SHOAL_LAZY_WORKER. The new process finds that
// variable and runs as that worker instead of as a master.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"
#include "supervisor/master.h"
#include "supervisor/worker_boot.h"

namespace shoal::supervisor {

// True in a process started by StartLazyWorker.
bool IsLazyWorker();

// Starts worker `index`. Returns its pid (the master reaps it like any
// worker), or an error naming why it could not start.
Result<pid_t> StartLazyWorker(const std::string& program, const std::vector<std::string>& argv,
                              int index, int listen_fd,
                              const WorkerChannels& channels);

// Runs this process as the worker its environment names, with the handler
// `make_handler` makes (it starts Python and imports the app). Returns its
// exit code (kExitWorkerBootError if the handler cannot be made).
int RunLazyWorker(const WorkerSettings& settings, const HandlerFactory& make_handler);

}  // namespace shoal::supervisor
