// RetryOnEintr: the one loop that calls a syscall again when a signal
// interrupted it (EINTR), shared by every read and write on a socket or
// file.
#pragma once

#include <cerrno>

namespace shoal {

// Calls `call` (a syscall that returns a negative value and sets errno on
// failure: read, recv, send, sendfile, pread...) until it does not fail
// with EINTR. Returns its last result, errno as it left it. Signal-safe if
// `call` is.
template <typename Call>
auto RetryOnEintr(Call call) {
  decltype(call()) result;
  do {
    result = call();
  } while (result < 0 && errno == EINTR);
  return result;
}

}  // namespace shoal
