#include "protocols/connection.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <thread>

#include "base/await_fd.h"
#include "base/retry.h"
#include "protocols/ajp.h"
#include "protocols/fastcgi.h"
#include "protocols/scgi.h"

namespace shoal::protocols {

std::unique_ptr<Connection> MakeConnection(Protocol protocol, UniqueFd fd,
                                           const ConnectionConfig& config, bool reused) {
  switch (protocol) {
    case Protocol::kFastCgi:
      return std::make_unique<FastCgiConnection>(std::move(fd), config, reused);
    case Protocol::kScgi:
      return std::make_unique<ScgiConnection>(std::move(fd), config);
    case Protocol::kAjp:
      return std::make_unique<AjpConnection>(std::move(fd), config);
  }
  return nullptr;  // not reached: every Protocol is listed above
}

Result<std::unique_ptr<Connection>> DetectConnection(UniqueFd fd, const ConnectionConfig& config) {
  // Peeks until the first kDetectBytes are there, the peer closes, or
  // --header-timeout passes (the head's deadline covers this wait too).
  const auto deadline = std::chrono::steady_clock::now() + config.header_timeout;
  char first[kDetectBytes];
  ssize_t got;
  for (;;) {
    got = RetryOnEintr([&] { return recv(fd.get(), first, sizeof(first), MSG_PEEK | MSG_DONTWAIT); });
    if (got == 0 || got == static_cast<ssize_t>(sizeof(first))) break;
    if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return Status::Error(PosixError("recv", errno).message() + "; connection closed");
    }
    if (got > 0) {
      // Part is here: the socket stays readable, so wait by the clock.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (std::chrono::steady_clock::now() < deadline) continue;
    } else if (int error = AwaitFd(fd.get(), POLLIN, deadline); error == 0) {
      continue;
    } else if (error != ETIMEDOUT) {
      return Status::Error(PosixError("poll", error).message() + "; connection closed");
    }
    return Status::TimedOut("connection sent no request within --header-timeout; closed");
  }
  if (got == 0) return std::unique_ptr<Connection>();  // closed before saying anything
  std::string_view bytes(first, static_cast<size_t>(got));
  std::optional<Protocol> protocol = DetectProtocol(bytes);
  if (!protocol) {
    char shown[16];
    std::snprintf(shown, sizeof(shown), "%02x %02x", static_cast<unsigned char>(bytes[0]),
                  bytes.size() > 1 ? static_cast<unsigned char>(bytes[1]) : 0);
    return Status::Error(std::string("connection speaks no protocol shoal knows (first bytes ") +
                         shown + "); closed");
  }
  return MakeConnection(*protocol, std::move(fd), config);
}

}  // namespace shoal::protocols
