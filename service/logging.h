// Logging: one event per line on stderr, fit for multilog.
//
// Every record becomes `LEVEL [PID ROLE] message`, written with one write(2)
// of at most 4096 bytes (PIPE_BUF), so lines from the master and all workers
// sharing one pipe never interleave. A message with embedded newlines (a
// traceback) becomes one line each. No timestamp: multilog's `t` adds one.
// The sink is synchronous: no logger thread exists to be lost across fork.
//
// Call InitLogging in the master at start, and again in each child right
// after fork (it replaces the default logger); then use spdlog::info() etc.
#pragma once

#include <string>

namespace shoal::service {

// Longest record written, newline included; longer ones are cut.
inline constexpr size_t kMaxLogLine = 4096;

// REQUIRES: no other thread is logging (start-up, or right after fork).
void InitLogging(const std::string& role);

}  // namespace shoal::service
