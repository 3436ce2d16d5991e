#include "protocols/exchange.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "base/retry.h"

namespace shoal::protocols {

std::string_view FindParam(std::span<const Param> params, std::string_view name) {
  for (const Param& p : params) {
    if (p.name == name) return p.value;
  }
  return {};
}

std::string RequestLine(std::span<const Param> params) {
  std::string line(FindParam(params, "REQUEST_METHOD"));
  std::string_view uri = FindParam(params, "REQUEST_URI");
  line.append(" ").append(uri.empty() ? FindParam(params, "DOCUMENT_URI") : uri);
  return line;
}

Result<uint64_t> Exchange::SendFile(int fd, uint64_t offset, uint64_t length) {
  constexpr size_t kChunk = 64 * 1024;
  std::vector<char> buffer(static_cast<size_t>(std::min<uint64_t>(length, kChunk)));
  uint64_t sent = 0;
  while (sent < length) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(length - sent, buffer.size()));
    ssize_t got =
        RetryOnEintr([&] { return pread(fd, buffer.data(), want, static_cast<off_t>(offset + sent)); });
    if (got < 0) return PosixError("pread", errno);
    if (got == 0) break;  // the file is shorter than it was
    Status written = Write(std::string_view(buffer.data(), static_cast<size_t>(got)));
    if (!written.ok()) return written;
    sent += static_cast<uint64_t>(got);
  }
  return sent;
}

}  // namespace shoal::protocols
