#include "service/readiness.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <ctime>

#include <spdlog/spdlog.h>

#include "base/write_all.h"

namespace shoal::service {

Readiness::Readiness(UniqueFd ready_fd, std::string notify_socket)
    : ready_fd_(std::move(ready_fd)), notify_socket_(std::move(notify_socket)) {}

void Readiness::Ready(std::string_view status) {
  if (told_ready_) return;
  told_ready_ = true;
  if (ready_fd_.valid()) {
    const int fd = ready_fd_.get();
    char newline[] = "\n";
    iovec part{newline, 1};
    if (int err = WriteAll(fd, &part, 1); err != 0) {
      spdlog::warn("--ready-fd {}: {}", fd, PosixError("write", err).message());
    }
    ready_fd_.Reset();
  }
  Notify(std::string("READY=1\nSTATUS=") + std::string(status));
}

void Readiness::Reloading() {
  told_ready_ = false;
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const long long usec = static_cast<long long>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
  Notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void Readiness::Stopping() { Notify("STOPPING=1"); }

void Readiness::Notify(std::string_view message) {
  if (notify_socket_.empty()) return;
  if (Status sent = SdNotify(notify_socket_, message); !sent.ok()) {
    spdlog::warn("NOTIFY_SOCKET: {}", sent.message());
  }
}

Result<UniqueFd> TakeReadyFd(int fd) {
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    return Status::Error("--ready-fd " + std::to_string(fd) + ": fd " + std::to_string(fd) +
                         " is not open (s6-supervise opens it when the service directory's "
                         "notification-fd file names it)");
  }
  return UniqueFd(fd);
}

Status SdNotify(const std::string& path, std::string_view message) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path) || (path[0] != '/' && path[0] != '@')) {
    return Status::Error("'" + path + "' is not a unix socket path");
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  if (path[0] == '@') address.sun_path[0] = '\0';  // abstract
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() +
                                             (path[0] == '@' ? 0 : 1));
  UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return PosixError("socket(AF_UNIX, SOCK_DGRAM)", errno);
  if (sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL,
             reinterpret_cast<const sockaddr*>(&address), length) < 0) {
    return PosixError("sendto(" + path + ")", errno);
  }
  return Status::Ok();
}

}  // namespace shoal::service
