// Stats: the scoreboard rendered for people and for monitoring.
//
// A snapshot of the pool (taken by the master from its worker table) as
// JSON, as Prometheus text exposition, or as a table for `shoal status`.
// The renderings are pure functions.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "supervisor/worker_table.h"

namespace shoal::supervisor {

struct WorkerStats {
  size_t slot = 0;
  pid_t pid = 0;
  std::string status;  // "starting", "idle", "busy", "stopping"
  uint64_t requests = 0;
  uint64_t exceptions = 0;  // requests that ended in an exception in the app
  uint64_t timeouts = 0;    // workers in this slot killed by --timeout
  uint64_t respawns = 0;    // workers started in this slot after the first
  uint64_t rss_kb = 0;
  double average_ms = 0;    // mean response time of this slot's requests
  std::string request;      // the request in hand, if busy
  int64_t running_ms = 0;   // how long it has been in hand
};

struct StatsSnapshot {
  std::string version;
  pid_t master_pid = 0;
  size_t idle_connections = 0;        // parked with the master
  std::optional<uint32_t> listen_queue;  // connections waiting to be accepted (TCP only)
  std::vector<WorkerStats> workers;   // live workers, by slot
};

// The pool as the master sees it now: every live worker in `table`, the
// idle connections it holds, and the accept queue of the TCP socket
// `listen_fd` (none for a unix socket).
StatsSnapshot TakeSnapshot(const WorkerTable& table, pid_t master_pid, size_t idle_connections,
                           int listen_fd);

std::string StatsJson(const StatsSnapshot& stats);
std::string StatsPrometheus(const StatsSnapshot& stats);
std::string StatsTable(const StatsSnapshot& stats);

}  // namespace shoal::supervisor
