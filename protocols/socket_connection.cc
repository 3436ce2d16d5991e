#include "protocols/socket_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "base/retry.h"
#include "base/write_all.h"

namespace shoal::protocols {

SocketConnection::SocketConnection(UniqueFd fd, const ConnectionConfig& config)
    : config_(config), fd_(std::move(fd)) {}

Result<Incoming> SocketConnection::ReadRequest() {
  keep_open_ = false;
  Result<Incoming> incoming = ReadHead();
  if (!incoming.ok() || incoming.value() == Incoming::kClosed) {
    Close();
  } else if (incoming.value() == Incoming::kIdle) {
    keep_open_ = true;
  }
  return incoming;
}

Result<SocketConnection::Received> SocketConnection::ReadMore(const char* what, Wait wait,
                                                              size_t chunk) {
  int flags = wait == Wait::kNoWait ? MSG_DONTWAIT : 0;
  ssize_t got = RetryOnEintr([&] { return input_.ReadFrom(fd_.get(), chunk, flags); });
  if (got > 0) return Received::kBytes;
  if (got == 0) return Received::kEof;
  if (wait == Wait::kNoWait && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    return Received::kNothingYet;
  }
  return SocketFailure(what);
}

Status SocketConnection::FillFromSocket(size_t size, const char* what) {
  while (input_.size() < size) {
    Result<Received> got = ReadMore(what, Wait::kBlock, std::max(kReadChunk, size - input_.size()));
    if (!got.ok()) return got.status();
    if (got.value() == Received::kEof) {
      return Status::Error(std::string(ProtocolName(protocol())) +
                           " connection closed in the middle of " + what);
    }
  }
  return Status::Ok();
}

Result<size_t> SocketConnection::ReadBodyBytes(char* buffer, size_t size) {
  if (!input_.empty()) {
    size_t buffered = std::min(size, input_.size());
    std::memcpy(buffer, input_.unread().data(), buffered);
    input_.Consume(buffered);
    return buffered;
  }
  ssize_t got = RetryOnEintr([&] { return read(fd_.get(), buffer, size); });
  if (got < 0) return SocketFailure("read of the request body");
  if (got == 0) {
    return Status::Error(std::string(ProtocolName(protocol())) +
                         " connection closed in the middle of the body");
  }
  return static_cast<size_t>(got);
}

Status SocketConnection::Send(iovec* parts, size_t count) {
  if (int error = WriteAll(fd_.get(), parts, count); error != 0) {
    errno = error;
    return SocketFailure("write");
  }
  return Status::Ok();
}

Status SocketConnection::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t sent =
        RetryOnEintr([&] { return send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL); });
    if (sent < 0) return SocketFailure("write");
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
  return Status::Ok();
}

Status SocketConnection::SocketFailure(const char* what) const {
  int error = errno;
  return SocketError(std::string(ProtocolName(protocol())) + " " + what, error);
}

void SocketConnection::Close() {
  fd_.Reset();
  keep_open_ = false;
}

void SocketConnection::CloseWithReset() {
  linger reset{1, 0};
  setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  Close();
}

}  // namespace shoal::protocols
