#include "supervisor/handoff.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <tuple>
#include <utility>

namespace shoal::supervisor {

Result<std::pair<UniqueFd, UniqueFd>> MakeHandoffChannel() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return PosixError("socketpair(SOCK_SEQPACKET)", errno);
  }
  return std::make_pair(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

Result<HandoffChannels> MakeHandoffChannels() {
  auto park = MakeHandoffChannel();
  if (!park.ok()) return park.status();
  auto ready = MakeHandoffChannel();
  if (!ready.ok()) return ready.status();
  HandoffChannels channels;
  std::tie(channels.park_receive, channels.park_send) = std::move(park).value();
  std::tie(channels.ready_receive, channels.ready_send) = std::move(ready).value();
  return channels;
}

namespace {

// One handoff message: a protocol byte, and room for one fd.
struct Message {
  unsigned char tag = 0;
  iovec data{&tag, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr header{};

  Message() {
    header.msg_iov = &data;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof(control);
  }
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
};

}  // namespace

Result<bool> SendConnection(int channel, protocols::Protocol protocol, int fd, bool dont_wait) {
  Message message;
  message.tag = static_cast<unsigned char>(protocol);
  cmsghdr* rights = CMSG_FIRSTHDR(&message.header);
  rights->cmsg_level = SOL_SOCKET;
  rights->cmsg_type = SCM_RIGHTS;
  rights->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(rights), &fd, sizeof(int));
  int flags = MSG_NOSIGNAL | (dont_wait ? MSG_DONTWAIT : 0);
  while (sendmsg(channel, &message.header, flags) < 0) {
    if (dont_wait && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    if (errno != EINTR) return PosixError("sendmsg(connection)", errno);
  }
  return true;
}

Result<std::optional<HandedConnection>> ReceiveConnection(int channel) {
  Message message;
  ssize_t got;
  do {
    got = recvmsg(channel, &message.header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<HandedConnection>();
    return PosixError("recvmsg(connection)", errno);
  }
  if (got == 0) return Status::Error("handoff channel closed");
  cmsghdr* rights = CMSG_FIRSTHDR(&message.header);
  if (rights == nullptr || rights->cmsg_type != SCM_RIGHTS ||
      rights->cmsg_len != CMSG_LEN(sizeof(int)) || (message.header.msg_flags & MSG_CTRUNC)) {
    return Status::Error("handoff message without a connection");
  }
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(rights), sizeof(int));
  UniqueFd owned(fd);
  if (message.tag > static_cast<unsigned char>(protocols::Protocol::kAjp)) {
    return Status::Error("handoff message with an unknown protocol " +
                         std::to_string(message.tag));
  }
  return std::optional<HandedConnection>(
      HandedConnection{static_cast<protocols::Protocol>(message.tag), std::move(owned)});
}

}  // namespace shoal::supervisor
