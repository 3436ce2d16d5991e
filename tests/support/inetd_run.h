// Starting shoal as inetd starts a `nowait` server, for the --inetd tests,
// and talking to it over the socketpair.
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

// The same for any `command` (command[0] the program's path, the rest its
// arguments), e.g. a Python script that calls shoal.inetd.run_app.
InetdRun SpawnInetd(std::vector<std::string> command, const std::filesystem::path& log);

// Everything `fd` gives until EOF or `timeout`.
std::string ReadToEof(int fd, std::chrono::milliseconds timeout);

// Writes all of `bytes` to `fd`, each wait bounded (5 s); a test failure
// (ADD_FAILURE) when it cannot.
void WriteAllTo(int fd, const std::string& bytes);

// A whole SCGI GET request for `uri` (its query string split off), no body.
std::string ScgiRequest(const std::string& uri);

// The STDOUT records of a FastCGI response, joined.
std::string FastCgiStdout(const std::string& wire);

// Waits (bounded) for `pid` to exit; its exit code (128+N for a death by
// signal N), or nullopt (then it is killed and reaped).
std::optional<int> WaitForPid(pid_t pid, std::chrono::milliseconds timeout);

}  // namespace shoal::tests
