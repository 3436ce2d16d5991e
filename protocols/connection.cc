#include "protocols/connection.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstdio>

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
  char first[kDetectBytes];
  ssize_t got =
      RetryOnEintr([&] { return recv(fd.get(), first, sizeof(first), MSG_PEEK | MSG_WAITALL); });
  if (got < 0) return Status::Error(PosixError("recv", errno).message() + "; connection closed");
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
