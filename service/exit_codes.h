// Exit codes with a meaning, for shoal's master and its workers.
#pragma once

namespace shoal::service {

inline constexpr int kExitOk = 0;
// A runtime failure before serving: the app does not import, the address is
// in use, a directory is not writable. One log line says why.
inline constexpr int kExitFailure = 1;
// Bad usage: an unknown option or a malformed value.
inline constexpr int kExitUsage = 2;
// A worker could not set itself up after fork; the master backs off.
inline constexpr int kExitWorkerBootError = 3;
// A worker that served its --max-requests and left to be replaced.
inline constexpr int kExitWorkerRecycled = 4;

}  // namespace shoal::service
