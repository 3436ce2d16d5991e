// WatchFd: adds a file descriptor to an epoll set, the one way shoal does.
//
// Every epoll user in shoal (the master, the worker loop, the parking lot,
// the connection broker, the stats server) registers fds the same way: the
// fd itself as the event's data. Any process; not thread-safe per set.
#pragma once

#include <sys/epoll.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace shoal {

// Registers `fd` in the epoll set `epoll_fd` for `events`, with `fd` as the
// event's data. Returns OK, or "epoll_ctl(ADD FD) failed: ...".
inline Status WatchFd(int epoll_fd, int fd, uint32_t events) {
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
    return PosixError("epoll_ctl(ADD " + std::to_string(fd) + ")", errno);
  }
  return Status::Ok();
}

}  // namespace shoal
