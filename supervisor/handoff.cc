#include "supervisor/handoff.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace shoal::supervisor {

Result<std::pair<UniqueFd, UniqueFd>> MakeHandoffChannel() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return PosixError("socketpair(SOCK_SEQPACKET)", errno);
  }
  return std::make_pair(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

Result<bool> SendConnection(int channel, protocols::Protocol protocol, int fd, bool dont_wait) {
  auto tag = static_cast<unsigned char>(protocol);
  iovec data{&tag, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  cmsghdr* rights = CMSG_FIRSTHDR(&message);
  rights->cmsg_level = SOL_SOCKET;
  rights->cmsg_type = SCM_RIGHTS;
  rights->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(rights), &fd, sizeof(int));
  int flags = MSG_NOSIGNAL | (dont_wait ? MSG_DONTWAIT : 0);
  while (sendmsg(channel, &message, flags) < 0) {
    if (dont_wait && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    if (errno != EINTR) return PosixError("sendmsg(connection)", errno);
  }
  return true;
}

Result<std::optional<HandedConnection>> ReceiveConnection(int channel) {
  unsigned char tag = 0;
  iovec data{&tag, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  ssize_t got;
  do {
    got = recvmsg(channel, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<HandedConnection>();
    return PosixError("recvmsg(connection)", errno);
  }
  if (got == 0) return Status::Error("handoff channel closed");
  cmsghdr* rights = CMSG_FIRSTHDR(&message);
  if (rights == nullptr || rights->cmsg_type != SCM_RIGHTS ||
      rights->cmsg_len != CMSG_LEN(sizeof(int)) || (message.msg_flags & MSG_CTRUNC)) {
    return Status::Error("handoff message without a connection");
  }
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(rights), sizeof(int));
  UniqueFd owned(fd);
  if (tag > static_cast<unsigned char>(protocols::Protocol::kAjp)) {
    return Status::Error("handoff message with an unknown protocol " + std::to_string(tag));
  }
  return std::optional<HandedConnection>(
      HandedConnection{static_cast<protocols::Protocol>(tag), std::move(owned)});
}

}  // namespace shoal::supervisor
