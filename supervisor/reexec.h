// Re-executing the master in place (HUP, USR2): what crosses the exec.
//
// The master execve()s its own binary with the same arguments and pid, so a
// process supervisor keeps tracking it. The fds the new image must take
// over are left open and named in the environment (ExecFields): the
// listening socket, the stats socket, the parked idle connections, and the
// old lifeline's write end, which the new master closes once its own
// workers are up, so the old workers serve until then and then leave.
// Master process only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"
#include "supervisor/handoff.h"

namespace shoal::supervisor {

// What the master hands its next image; the fds stay the master's until
// the exec succeeds.
struct ReexecHandover {
  int listen_fd = -1;
  int stats_fd = -1;         // -1: no --stats
  int old_lifeline_fd = -1;  // the write end of the current workers' lifeline
  std::vector<HandedConnection> parked = {};
};

// What the new image finds, owned.
struct Inheritance {
  UniqueFd listen_fd;
  UniqueFd stats_fd;      // invalid: no --stats
  UniqueFd old_lifeline;  // closed once the new workers are up
  std::vector<HandedConnection> parked;
};

// Reads (and removes from the environment) what a previous image of this
// master left. nullopt on a first start.
std::optional<Inheritance> TakeInheritance();

// Re-executes `program` with `argv`, leaving `handover`'s fds open for it.
// Returns only on failure, with the fds back to close-on-exec.
Status Reexec(const std::string& program, const std::vector<std::string>& argv,
              const ReexecHandover& handover);

}  // namespace shoal::supervisor
