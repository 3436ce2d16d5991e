// CheckReloadParses: what HUP and USR2 ask before the master re-executes
// itself (supervisor::MasterConfig::check_reload).
//
// The new image parses the same argv, the same environment and the config
// files they name (--config, --paste) again, from the directory shoal
// started in. A file edited into something invalid would make it exit 2,
// and the service would go down with it; the master asks first, and keeps
// serving when the answer is no. Master process, in its loop.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace shoal::daemon {

// Parses `argv` (argv[0] first) as ParseCommandLine does, in `start_dir`
// ("", or one that cannot be entered: here), and comes back to the current
// directory. Returns OK, or the
// error the new image would exit 2 with.
Status CheckReloadParses(const std::vector<std::string>& argv, const std::string& start_dir);

}  // namespace shoal::daemon
