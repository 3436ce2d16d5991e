// The checking process a reload starts before the master re-executes
// (supervisor/reload_preflight.h is the master's side).
//
// The master starts its own program again with SHOAL_RELOAD_CHECK naming a
// report fd. That process does what the re-executed image would do up to
// the import, and stops short of everything that touches the running
// service: it parses the options (argv, environment, config files), reads
// FCGI_WEB_SERVER_ADDRS, applies --umask, opens the --access-log, drops to
// --user/--group, checks --spool-dir, starts Python (--chdir, --pythonpath,
// --virtualenv, --env...) and imports every app, then writes one line to the
// report fd, "ok" or the one error line the new image would have exited
// with, and exits without finalizing Python (an app's threads cannot hold
// it up). It binds and adopts no socket, writes no pidfile, tells no
// supervisor it is ready, and forks no worker. --lazy-apps changes
// nothing here: its workers would import the same way.
#pragma once

namespace shoal::daemon {

// True in a process the master started as a reload check.
bool IsReloadPreflight();

// Runs the check for the command line `argc`/`argv` and ends the process:
// exit 0 after "ok", 1 after an error line. REQUIRES: IsReloadPreflight(),
// nothing else started yet (called first thing from main).
[[noreturn]] void RunReloadPreflight(int argc, char** argv);

}  // namespace shoal::daemon
