#include "supervisor/stats_server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/epoll_watch.h"

namespace shoal::supervisor {
namespace {

constexpr size_t kMaxRequest = 4096;

std::string Reply(const char* status, const char* type, const std::string& body) {
  return fmt::format("HTTP/1.0 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n{}", status,
                     type, body.size(), body);
}

}  // namespace

StatsServer::StatsServer(Listener listener, int epoll_fd, std::function<StatsSnapshot()> snapshot)
    : listener_(std::move(listener)), epoll_fd_(epoll_fd), snapshot_(std::move(snapshot)) {
  Status watched = WatchFd(epoll_fd_, listener_.fd(), EPOLLIN);
  if (!watched.ok()) spdlog::warn("--stats: {}", watched.message());
}

void StatsServer::OnEvent(int fd, uint32_t events) {
  if (fd == listener_.fd()) {
    Accept();
    return;
  }
  auto found = clients_.find(fd);
  if (found == clients_.end()) return;
  Client& client = found->second;
  if (client.reply.empty()) {
    Read(client);
  } else if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) {
    Send(client);
  }
}

void StatsServer::Accept() {
  for (;;) {
    int fd = accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      // Out of fds: an old client makes room, or the listening socket would
      // wake the master again and again.
      if ((errno == EMFILE || errno == ENFILE) && !clients_.empty()) {
        CloseOldest();
        continue;
      }
      return;  // EAGAIN: none left; anything else: that one is gone
    }
    UniqueFd owned(fd);
    // A new client is always served: the oldest makes room for it.
    if (clients_.size() >= kMaxClients) CloseOldest();
    if (Status watched = WatchFd(epoll_fd_, fd, EPOLLIN); !watched.ok()) {
      spdlog::warn("--stats: {}", watched.message());
      continue;
    }
    const Clock::time_point now = Clock::now();
    clients_.emplace(fd, Client{.fd = std::move(owned), .accepted = now,
                                .deadline = now + kClientTimeout});
  }
}

void StatsServer::Read(Client& client) {
  const int fd = client.fd.get();
  char buffer[1024];
  ssize_t got = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (got > 0) client.request.append(buffer, static_cast<size_t>(got));
  bool complete = client.request.find("\r\n\r\n") != std::string::npos ||
                  client.request.find("\n\n") != std::string::npos;
  if (got > 0 && !complete && client.request.size() < kMaxRequest) return;
  if (!complete) {
    Close(fd);  // closed, failed, or too long
    return;
  }
  client.reply = Answer(client.request);
  client.deadline = Clock::now() + kClientTimeout;
  Send(client);
}

void StatsServer::Send(Client& client) {
  const int fd = client.fd.get();
  while (client.sent < client.reply.size()) {
    ssize_t sent = send(fd, client.reply.data() + client.sent, client.reply.size() - client.sent,
                        MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent > 0) {
      client.sent += static_cast<size_t>(sent);
      client.deadline = Clock::now() + kClientTimeout;
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The client reads slowly: wait for room, until its deadline.
      epoll_event event{};
      event.events = EPOLLOUT;
      event.data.fd = fd;
      epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event);
      return;
    }
    break;  // gone
  }
  Close(fd);
}

void StatsServer::Close(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  clients_.erase(fd);
}

void StatsServer::CloseOldest() {
  auto oldest = std::min_element(clients_.begin(), clients_.end(), [](const auto& a, const auto& b) {
    return a.second.accepted < b.second.accepted;
  });
  if (oldest != clients_.end()) Close(oldest->first);
}

std::optional<StatsServer::Clock::time_point> StatsServer::Expire(Clock::time_point now) {
  std::optional<Clock::time_point> next;
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (now >= it->second.deadline) {
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first, nullptr);
      it = clients_.erase(it);
      continue;
    }
    next = next ? std::min(*next, it->second.deadline) : it->second.deadline;
    ++it;
  }
  return next;
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
