// Re-executing the master in place (HUP, USR2): what crosses the exec.
//
// The master execve()s its own binary with the same arguments and pid, so a
// process supervisor keeps tracking it. The fds the new image must take
// over are left open and named in the environment (ExecFields): the
// listening socket, the stats socket, the parked idle connections, both
// ends of the park and ready channels (HandoffChannels), and the old
// lifeline's write end, which the new master closes once its own workers
// are up, so the old workers serve until then and then leave.
//
// No kept connection is closed by a reload. The parked ones cross the exec
// as fds. The channels cross it too, so the old workers keep parking with
// the master (now the new image) between the exec and their exit; a
// connection parked just before the exec waits in the channel for the new
// image; and an old worker leaving because its lifeline closed parks the
// connection it holds instead of closing it (after finishing the request
// on it, if one is in hand). Only a stop (TERM, INT, QUIT) closes kept
// connections, since nobody will serve them. Master process only.
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
  const HandoffChannels* channels = nullptr;  // the connection broker's
  std::vector<HandedConnection> parked = {};
  std::string start_dir = {};  // where the new image starts; "": here
};

// What the new image finds, owned.
struct Inheritance {
  UniqueFd listen_fd;
  UniqueFd stats_fd;      // invalid: no --stats
  UniqueFd old_lifeline;  // closed once the new workers are up
  // nullopt: the previous image passed none (one from before the channels
  // crossed the exec); the new image makes its own.
  std::optional<HandoffChannels> channels;
  std::vector<HandedConnection> parked;
};

// Reads (and removes from the environment) what a previous image of this
// master left. nullopt on a first start.
std::optional<Inheritance> TakeInheritance();

// Re-executes `program` with `argv` in `handover.start_dir`, leaving
// `handover`'s fds open for it. Returns only on failure, with the fds back
// to close-on-exec and the working directory as it was.
Status Reexec(const std::string& program, const std::vector<std::string>& argv,
              const ReexecHandover& handover);

}  // namespace shoal::supervisor
