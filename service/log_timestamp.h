// Log timestamps: the prefix --log-timestamps puts before each log line.
//
// None by default: daemontools' `multilog t`, runit's `svlogd -tt` and s6's
// `s6-log t` stamp each line themselves. For a logger that does not,
// kTai64n is exactly multilog's form (`@` and 24 lowercase hex digits: the
// TAI64N label of the time, then a space), which `tai64nlocal` turns into
// local time; kIso8601 is UTC to the microsecond, `2026-12-02T14:52:21.123456Z `.
// Pure functions of the time given: any process, any thread, no allocation.
#pragma once

#include <time.h>

#include <cstddef>
#include <string_view>

namespace shoal::service {

enum class LogTimestamps { kNone, kIso8601, kTai64n };

// The longest prefix FormatLogTimestamp writes.
inline constexpr size_t kMaxLogTimestamp = 32;

// Writes the prefix for `now` (CLOCK_REALTIME) in `style`, trailing space
// included, into `buffer`. Returns a view of it in `buffer`; empty for kNone.
std::string_view FormatLogTimestamp(LogTimestamps style, const timespec& now,
                                    char (&buffer)[kMaxLogTimestamp]);

}  // namespace shoal::service
