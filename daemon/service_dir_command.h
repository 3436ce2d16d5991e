// `shoal service-dir DIR --kind daemontools|runit|s6 [--user U]
// [--log-user U] [--force] -- OPTIONS`: writes a service directory that
// runs this shoal with OPTIONS under a supervisor (service/service_dir.h).
//
// OPTIONS are first checked by the daemon's own parser (ParseCommandLine),
// together with what the kind's run script adds (`--ready-fd 3` for s6):
// a bad one is the parser's line and exit 2, and nothing is written.
#pragma once

namespace shoal::daemon {

// Runs the command with the arguments from "service-dir" on. Returns the
// exit code: 0 written (what was written and the next command are
// printed), 1 the directory is not empty (without --force) or could not be
// written, 2 bad usage or bad OPTIONS.
int RunServiceDirCommand(int argc, const char* const argv[]);

}  // namespace shoal::daemon
