#include "supervisor/connection_broker.h"

#include <sys/epoll.h>

#include <cerrno>
#include <utility>

#include <spdlog/spdlog.h>

#include "base/epoll_watch.h"

namespace shoal::supervisor {
Result<std::unique_ptr<ConnectionBroker>> ConnectionBroker::Create(
    int epoll_fd, std::chrono::milliseconds idle_timeout, size_t max_idle,
    std::optional<HandoffChannels> inherited) {
  if (!inherited) {
    Result<HandoffChannels> made = MakeHandoffChannels();
    if (!made.ok()) return made.status();
    inherited = std::move(made).value();
  }
  std::unique_ptr<ConnectionBroker> broker(new ConnectionBroker(epoll_fd, idle_timeout, max_idle));
  broker->channels_ = std::move(*inherited);
  Status watched = WatchFd(epoll_fd, broker->channels_.park_receive.get(), EPOLLIN);
  if (!watched.ok()) return watched;
  return broker;
}

bool ConnectionBroker::OnEvent(int fd) {
  if (fd == channels_.park_receive.get()) {
    ReceiveParked();
  } else if (fd == channels_.ready_send.get()) {
    ready_blocked_ = false;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  } else if (lot_.Holds(fd)) {
    if (std::optional<HandedConnection> request = lot_.OnReadable(fd)) {
      ready_.push_back(std::move(*request));
    }
  } else {
    return false;
  }
  return true;
}

void ConnectionBroker::ReceiveParked() {
  for (;;) {
    Result<std::optional<HandedConnection>> parked =
        ReceiveConnection(channels_.park_receive.get());
    if (!parked.ok()) {
      spdlog::error("{}", parked.status().message());
      return;
    }
    if (!parked.value()) return;
    // While stopping, nothing new is parked: the workers are on their way out.
    if (parking_) lot_.Park(std::move(*parked.value()));
  }
}

void ConnectionBroker::Dispatch() {
  while (!ready_.empty() && !ready_blocked_) {
    HandedConnection& next = ready_.front();
    Result<bool> sent = SendConnection(channels_.ready_send.get(), next.protocol, next.fd.get(),
                                       /*dont_wait=*/true);
    if (sent.ok() && !sent.value()) {
      // Every worker is busy and the channel is full: wait until it drains.
      Status watched = WatchFd(epoll_fd_, channels_.ready_send.get(), EPOLLOUT);
      if (!watched.ok()) spdlog::error("{}", watched.message());
      ready_blocked_ = watched.ok();
      return;
    }
    if (!sent.ok()) spdlog::error("{}; closing a connection", sent.status().message());
    ready_.pop_front();  // a worker has its own copy now
  }
}

std::vector<HandedConnection> ConnectionBroker::TakeAll() {
  std::vector<HandedConnection> all = lot_.TakeAll();
  for (HandedConnection& ready : ready_) all.push_back(std::move(ready));
  ready_.clear();
  return all;
}

void ConnectionBroker::Clear() {
  lot_.Clear();
  ready_.clear();
}

void ConnectionBroker::DropInWorker() {
  channels_.park_receive.Reset();
  channels_.ready_send.Reset();
  lot_.ForgetInChild();
  ready_.clear();
}

}  // namespace shoal::supervisor
