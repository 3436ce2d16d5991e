#include "protocols/exchange.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace shoal::protocols {

Result<uint64_t> Exchange::SendFile(int fd, uint64_t offset, uint64_t length) {
  constexpr size_t kChunk = 64 * 1024;
  std::vector<char> buffer(static_cast<size_t>(std::min<uint64_t>(length, kChunk)));
  uint64_t sent = 0;
  while (sent < length) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(length - sent, buffer.size()));
    ssize_t got = pread(fd, buffer.data(), want, static_cast<off_t>(offset + sent));
    if (got < 0) {
      if (errno == EINTR) continue;
      return PosixError("pread", errno);
    }
    if (got == 0) break;  // the file is shorter than it was
    Status written = Write(std::string_view(buffer.data(), static_cast<size_t>(got)));
    if (!written.ok()) return written;
    sent += static_cast<uint64_t>(got);
  }
  return sent;
}

}  // namespace shoal::protocols
