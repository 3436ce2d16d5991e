// Starting shoal as inetd starts a `nowait` server, for the --inetd tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/fd.h"

namespace shoal::tests {

struct InetdRun {
  pid_t pid = -1;  // -1: the socketpair or the spawn failed
  Fd peer;         // the other end of shoal's fd 0 and 1
};

// Runs the shoal binary with `args` (which name --inetd themselves), fd 0
// and 1 one end of a socketpair and stderr in `log` (truncated). Returns
// the other end.
InetdRun SpawnInetdShoal(const std::vector<std::string>& args, const std::filesystem::path& log);

// Waits (bounded) for `pid` to exit; its exit code (128+N for a death by
// signal N), or nullopt (then it is killed and reaped).
std::optional<int> WaitForPid(pid_t pid, std::chrono::milliseconds timeout);

}  // namespace shoal::tests
