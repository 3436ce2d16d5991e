// Re-executing the master in place (HUP, USR2): what crosses the exec.
//
// The master execve()s its own binary with the same arguments and pid, so a
// process supervisor keeps tracking it. The fds the new image must take
// over are left open (close-on-exec cleared) and named in the environment:
// the listening socket, the stats socket, the parked idle connections, and
// the old lifeline's write end, which the new master closes once its own
// workers are up, so the old workers serve until then and then leave.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "supervisor/handoff.h"

namespace shoal::supervisor {

struct Inheritance {
  int listen_fd = -1;
  int stats_fd = -1;
  int old_lifeline_fd = -1;
  std::vector<HandedConnection> parked;
};

// Reads (and removes from the environment) what a previous image of this
// master left. nullopt on a first start.
std::optional<Inheritance> TakeInheritance();

// Re-executes `program` with `argv`, leaving `inheritance`'s fds open for
// it. Returns only on failure, with the fds back to close-on-exec.
Status Reexec(const std::string& program, const std::vector<std::string>& argv,
              const Inheritance& inheritance);

}  // namespace shoal::supervisor
