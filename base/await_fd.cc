#include "base/await_fd.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace shoal {

int AwaitFd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline -
                                                             std::chrono::steady_clock::now());
    if (left.count() <= 0) return ETIMEDOUT;
    pollfd watched{.fd = fd, .events = events, .revents = 0};
    int ready = poll(&watched, 1, static_cast<int>(std::min<int64_t>(left.count(), 1 << 30)));
    if (ready > 0) return 0;
    if (ready < 0 && errno != EINTR) return errno;
    // 0: the timeout ran out (checked against the clock at the top); EINTR.
  }
}

}  // namespace shoal
