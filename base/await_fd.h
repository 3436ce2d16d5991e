// AwaitFd: the one wait for a non-blocking socket that is not ready yet,
// bounded by a deadline; how a connection's reads and writes keep the
// --*-timeout options without a socket timeout per call.
#pragma once

#include <chrono>

namespace shoal {

// Waits, with poll(2), until `fd` is ready for `events` (POLLIN, POLLOUT)
// or `deadline` passes; EINTR is retried with the time left. Returns 0 when
// ready (or the peer hung up or failed: the next read or write says how),
// ETIMEDOUT when the deadline came first, else poll's errno.
int AwaitFd(int fd, short events, std::chrono::steady_clock::time_point deadline);

}  // namespace shoal
