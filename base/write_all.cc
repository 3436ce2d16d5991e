#include "base/write_all.h"

#include <cerrno>

namespace shoal {

int WriteAll(int fd, iovec* parts, size_t count) {
  while (count > 0) {
    if (parts->iov_len == 0) {
      ++parts;
      --count;
      continue;
    }
    ssize_t wrote = writev(fd, parts, static_cast<int>(count));
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) return errno;
    auto left = static_cast<size_t>(wrote);
    while (count > 0 && left >= parts->iov_len) {
      left -= parts->iov_len;
      parts->iov_len = 0;
      ++parts;
      --count;
    }
    if (count > 0) {
      parts->iov_base = static_cast<char*>(parts->iov_base) + left;
      parts->iov_len -= left;
    }
  }
  return 0;
}

}  // namespace shoal
