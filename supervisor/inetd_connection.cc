#include "supervisor/inetd_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <memory>

#include <spdlog/spdlog.h>

#include "base/await_fd.h"
#include "protocols/connection.h"
#include "service/exit_codes.h"

namespace shoal::supervisor {
namespace {

// The connection for `fd`, in `settings`' protocol or the one its first
// bytes show; nullptr when there is nothing to serve (logged if it deserves
// a line).
std::unique_ptr<protocols::Connection> MakeInetdConnection(const WorkerSettings& settings,
                                                           UniqueFd fd) {
  if (settings.protocol) {
    return protocols::MakeConnection(*settings.protocol, std::move(fd), settings.connection);
  }
  Result<std::unique_ptr<protocols::Connection>> detected =
      protocols::DetectConnection(std::move(fd), settings.connection);
  if (!detected.ok()) {
    spdlog::warn("{}", detected.status().message());
    return nullptr;
  }
  return std::move(detected).value();
}

}  // namespace

int ServeInetdConnection(const WorkerSettings& settings, UniqueFd fd,
                         protocols::RequestHandler& handler) {
  sockaddr_storage peer{};
  socklen_t length = sizeof(peer);
  if (getpeername(fd.get(), reinterpret_cast<sockaddr*>(&peer), &length) == 0 &&
      (peer.ss_family == AF_INET || peer.ss_family == AF_INET6)) {
    if (settings.web_server_addrs && !settings.web_server_addrs->Allows(peer)) {
      spdlog::warn("connection from {} refused: not in FCGI_WEB_SERVER_ADDRS",
                   service::WebServerAddrs::PeerName(peer));
      return service::kExitOk;
    }
    int on = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  }
  std::unique_ptr<protocols::Connection> connection =
      MakeInetdConnection(settings, std::move(fd));
  if (!connection) return service::kExitOk;
  while (true) {
    Result<protocols::Incoming> incoming = connection->ReadRequest();
    if (!incoming.ok()) {
      spdlog::warn("{}; connection closed", incoming.status().message());
      return service::kExitOk;
    }
    if (incoming.value() == protocols::Incoming::kClosed) return service::kExitOk;
    if (incoming.value() == protocols::Incoming::kRequest) handler.Handle(*connection);
    if (!connection->keep_open()) return service::kExitOk;
    if (connection->has_buffered_input()) continue;
    // Between requests: the next one, or the end, within --idle-timeout.
    handler.BeginIdle();
    int waited = AwaitFd(connection->fd(), POLLIN,
                         std::chrono::steady_clock::now() + settings.idle_timeout);
    handler.EndIdle();
    if (waited != 0) return service::kExitOk;  // idle past --idle-timeout (or poll failed)
  }
}

}  // namespace shoal::supervisor
