// RunShoal: the whole daemon for one parsed command line.
//
// Binds the socket, starts Python and imports the app (any failure there is
// one log line and exit 1, before any worker exists), then hands over to
// the supervisor's master loop. Returns the process exit code.
#pragma once

#include <string>
#include <vector>

#include "daemon/options.h"

namespace shoal::daemon {

// `argv` is the command line, re-executed as it is on HUP and USR2.
int RunShoal(const Options& options, const std::vector<std::string>& argv);

}  // namespace shoal::daemon
