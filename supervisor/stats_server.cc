#include "supervisor/stats_server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/epoll_watch.h"

namespace shoal::supervisor {
namespace {

constexpr size_t kMaxRequest = 4096;
constexpr size_t kMaxClients = 64;

void Watch(int epoll_fd, int fd) {
  Status watched = WatchFd(epoll_fd, fd, EPOLLIN);
  if (!watched.ok()) spdlog::warn("--stats: {}", watched.message());
}

std::string Reply(const char* status, const char* type, const std::string& body) {
  return fmt::format("HTTP/1.0 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n{}", status,
                     type, body.size(), body);
}

}  // namespace

StatsServer::StatsServer(Listener listener, int epoll_fd, std::function<StatsSnapshot()> snapshot)
    : listener_(std::move(listener)), epoll_fd_(epoll_fd), snapshot_(std::move(snapshot)) {
  Watch(epoll_fd_, listener_.fd());
}

void StatsServer::OnReadable(int fd) {
  if (fd == listener_.fd()) {
    Accept();
  } else {
    Read(fd);
  }
}

void StatsServer::Accept() {
  for (;;) {
    int fd = accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    UniqueFd client(fd);
    if (clients_.size() >= kMaxClients) continue;  // closed: too many at once
    Watch(epoll_fd_, fd);
    clients_.emplace(fd, std::make_pair(std::move(client), std::string()));
  }
}

void StatsServer::Read(int fd) {
  auto found = clients_.find(fd);
  if (found == clients_.end()) return;
  std::string& request = found->second.second;
  char buffer[1024];
  ssize_t got = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (got > 0) request.append(buffer, static_cast<size_t>(got));
  bool complete = request.find("\r\n\r\n") != std::string::npos ||
                  request.find("\n\n") != std::string::npos;
  if (got > 0 && !complete && request.size() < kMaxRequest) return;
  if (complete) {
    std::string reply = Answer(request);
    // Small enough for the socket buffer; a client that does not read it
    // gets what fits.
    (void)send(fd, reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  clients_.erase(found);
}

std::string StatsServer::Answer(const std::string& request) {
  // "GET /path HTTP/1.x"
  size_t start = request.find(' ');
  size_t end = start == std::string::npos ? start : request.find(' ', start + 1);
  std::string path = start == std::string::npos ? "" : request.substr(start + 1, end - start - 1);
  if (path == "/") return Reply("200 OK", "application/json", StatsJson(snapshot_()));
  if (path == "/metrics") {
    return Reply("200 OK", "text/plain; version=0.0.4", StatsPrometheus(snapshot_()));
  }
  if (path == "/table") return Reply("200 OK", "text/plain", StatsTable(snapshot_()));
  return Reply("404 Not Found", "text/plain", "try /, /metrics or /table\n");
}

}  // namespace shoal::supervisor
