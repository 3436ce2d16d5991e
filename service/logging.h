// Logging: one event per line on stderr, fit for multilog.
//
// Every record becomes `LEVEL [PID ROLE] message`, written with one write(2)
// of at most 4096 bytes (PIPE_BUF), so lines from the master and all workers
// sharing one pipe never interleave. A message with embedded newlines (a
// traceback) becomes one line each. No timestamp unless --log-timestamps
// asks for one (multilog's `t` adds its own), and then it comes first, in
// the same write. The sink is synchronous: no logger thread exists to be
// lost across fork.
//
// Call ConfigureLogging once the options are known (--log-level,
// --log-timestamps), and InitLogging in the master at start and again in
// each child right after fork (it replaces the default logger). The
// settings live in this module, so a forked child keeps them; a process
// exec'd anew (--lazy-apps workers, HUP) parses the same argv and sets them
// again. Then use spdlog::info() etc.
#pragma once

#include <string>

#include <spdlog/common.h>

#include "service/log_timestamp.h"

namespace shoal::service {

// Longest record written, timestamp and newline included; longer ones are cut.
inline constexpr size_t kMaxLogLine = 4096;

struct LogSettings {
  spdlog::level::level_enum level = spdlog::level::info;  // --log-level
  LogTimestamps timestamps = LogTimestamps::kNone;        // --log-timestamps
};

// Sets what every logger made by InitLogging in this process (and in its
// forked children) uses, and applies it to the current one.
// REQUIRES: no other thread is logging.
void ConfigureLogging(const LogSettings& settings);

// REQUIRES: no other thread is logging (start-up, or right after fork).
void InitLogging(const std::string& role);

}  // namespace shoal::service
