#include "supervisor/parking_lot.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "base/epoll_watch.h"

namespace shoal::supervisor {
namespace {

constexpr char kCping[] = {0x12, 0x34, 0x00, 0x01, 0x0A};
constexpr char kCpong[] = {'A', 'B', 0x00, 0x01, 0x09};

}  // namespace

ParkingLot::ParkingLot(int epoll_fd, std::chrono::milliseconds idle_timeout, size_t max_idle)
    : epoll_fd_(epoll_fd), idle_timeout_(idle_timeout), max_idle_(max_idle) {}

void ParkingLot::Park(HandedConnection connection) {
  if (by_fd_.size() >= max_idle_) {
    // A front end can cause this once per connection: rate-limited.
    service::LogRateLimit::Verdict verdict = full_lines_.Admit(Clock::now());
    if (verdict.write) {
      spdlog::info("{} idle connections parked, the most allowed (--max-idle-connections); "
                   "closing the oldest{}",
                   by_fd_.size(), service::LogRateLimit::Suffix(verdict.held_back));
    }
    Drop(order_.begin());
  }
  int fd = connection.fd.get();
  if (Status watched = WatchFd(epoll_fd_, fd, EPOLLIN | EPOLLRDHUP); !watched.ok()) {
    spdlog::warn("{}; closing an idle connection", watched.message());
    return;
  }
  order_.push_back({std::move(connection), Clock::now()});
  by_fd_[fd] = std::prev(order_.end());
}

std::optional<HandedConnection> ParkingLot::OnReadable(int fd) {
  auto found = by_fd_.find(fd);
  if (found == by_fd_.end()) return std::nullopt;
  Order::iterator parked = found->second;
  char peek[sizeof(kCping)];
  ssize_t got = recv(fd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);
  if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
    Drop(parked);  // closed by the web server
    return std::nullopt;
  }
  if (got < 0) return std::nullopt;  // spurious wake-up
  if (parked->connection.protocol == protocols::Protocol::kAjp &&
      std::memcmp(peek, kCping, static_cast<size_t>(got)) == 0) {
    if (got < static_cast<ssize_t>(sizeof(kCping))) {
      // The rest is on its way, or never comes: wait for more bytes only,
      // for a short while (ExpireIdle).
      if (!parked->partial_since) {
        parked->partial_since = Clock::now();
        ++partial_;
        Rearm(fd, /*edge_triggered=*/true);
      }
      return std::nullopt;
    }
    if (parked->partial_since) {
      parked->partial_since.reset();
      --partial_;
      Rearm(fd, /*edge_triggered=*/false);
    }
    // A health check: answer it here, whatever the workers are doing.
    if (recv(fd, peek, sizeof(peek), MSG_DONTWAIT) != sizeof(kCping) ||
        send(fd, kCpong, sizeof(kCpong), MSG_DONTWAIT | MSG_NOSIGNAL) != sizeof(kCpong)) {
      Drop(parked);
      return std::nullopt;
    }
    parked->since = Clock::now();
    order_.splice(order_.end(), order_, parked);  // now the most recently used
    return std::nullopt;
  }
  return Take(parked);
}

std::optional<ParkingLot::Clock::time_point> ParkingLot::ExpireIdle(Clock::time_point now) {
  while (!order_.empty() && now - order_.front().since >= idle_timeout_) Drop(order_.begin());
  if (order_.empty()) return std::nullopt;
  Clock::time_point next = order_.front().since + idle_timeout_;
  if (partial_ == 0) return next;
  for (auto parked = order_.begin(); parked != order_.end();) {
    auto current = parked++;
    if (!current->partial_since) continue;
    if (now - *current->partial_since >= kPartialTimeout) {
      spdlog::info("an idle AJP connection sent part of a CPING and not the rest within {} s; "
                   "closed",
                   kPartialTimeout.count());
      Drop(current);
    } else {
      next = std::min(next, *current->partial_since + kPartialTimeout);
    }
  }
  if (order_.empty()) return std::nullopt;
  return next;
}

void ParkingLot::Rearm(int fd, bool edge_triggered) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP | (edge_triggered ? EPOLLET : 0u);
  event.data.fd = fd;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event);
}

void ParkingLot::Clear() {
  while (!order_.empty()) Drop(order_.begin());
}

std::vector<HandedConnection> ParkingLot::TakeAll() {
  std::vector<HandedConnection> all;
  while (!order_.empty()) all.push_back(Take(order_.begin()));
  return all;
}

HandedConnection ParkingLot::Take(Order::iterator parked) {
  int fd = parked->connection.fd.get();
  if (parked->partial_since) --partial_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  by_fd_.erase(fd);
  HandedConnection connection = std::move(parked->connection);
  order_.erase(parked);
  return connection;
}

void ParkingLot::Drop(Order::iterator parked) { Take(parked); }  // the fd closes with it

}  // namespace shoal::supervisor
