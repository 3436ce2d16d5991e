// `shoal status --stats ADDRESS [--json | --metrics]`: prints a running
// shoal's scoreboard, read from its --stats socket.
#pragma once

namespace shoal::daemon {

// Runs the command with the arguments after "status". Returns the exit
// code: 0 printed, 1 the stats socket could not be read (one line says
// why), 2 bad usage.
int RunStatusCommand(int argc, const char* const argv[]);

}  // namespace shoal::daemon
