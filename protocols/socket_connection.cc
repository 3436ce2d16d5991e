#include "protocols/socket_connection.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "base/await_fd.h"
#include "base/retry.h"
#include "base/write_all.h"

namespace shoal::protocols {

namespace {

bool WouldBlock() { return errno == EAGAIN || errno == EWOULDBLOCK; }

// "10 s", "0.5 s": a timeout as its option is written.
std::string Seconds(std::chrono::milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g s", static_cast<double>(duration.count()) / 1000);
  return text;
}

}  // namespace

SocketConnection::SocketConnection(UniqueFd fd, const ConnectionConfig& config)
    : config_(config), fd_(std::move(fd)) {
  // Shared with any other holder of the socket (a master that parked it),
  // which never blocks on it either.
  int flags = fcntl(fd_.get(), F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) == 0) fcntl(fd_.get(), F_SETFL, flags | O_NONBLOCK);
}

Result<Incoming> SocketConnection::ReadRequest() {
  keep_open_ = false;
  phase_ = Phase::kHead;
  head_deadline_ = {};  // set at the first wait: a head already here costs no clock read
  Result<Incoming> incoming = ReadHead();
  if (!incoming.ok() || incoming.value() == Incoming::kClosed) {
    Close();
  } else if (incoming.value() == Incoming::kIdle) {
    keep_open_ = true;
  } else {
    phase_ = Phase::kBody;
    received_ = sent_ = Account{};
  }
  return incoming;
}

Status SocketConnection::AwaitSocket(short events, const char* what) {
  const std::string name(ProtocolName(protocol()));
  if (phase_ == Phase::kHead) {
    if (head_deadline_ == Clock::time_point{}) head_deadline_ = Clock::now() + config_.header_timeout;
    int error = AwaitFd(fd_.get(), events, head_deadline_);
    if (error == 0) return Status::Ok();
    if (error != ETIMEDOUT) return PosixError(name + " poll", error);
    return Status::TimedOut(name + " " + what + " timed out (--header-timeout " +
                            Seconds(config_.header_timeout) + ")");
  }
  const bool writing = (events & POLLOUT) != 0;
  const std::chrono::milliseconds per_wait = writing ? config_.send_timeout : config_.body_timeout;
  Account& account = writing ? sent_ : received_;
  const Clock::time_point now = Clock::now();
  Clock::time_point deadline = now + per_wait;
  bool by_rate = false;
  if (config_.min_rate > 0) {
    // --min-rate: the time spent waiting on this client may be one
    // per_wait plus a second for each min_rate bytes it has moved.
    Clock::duration allowance = per_wait + std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(account.bytes) / static_cast<double>(config_.min_rate)));
    Clock::duration left = std::max(allowance - account.waited, Clock::duration::zero());
    if (left < deadline - now) {
      deadline = now + left;
      by_rate = true;
    }
  }
  int error = AwaitFd(fd_.get(), events, deadline);
  account.waited += Clock::now() - now;
  if (error == 0) return Status::Ok();
  if (error != ETIMEDOUT) return PosixError(name + " poll", error);
  if (by_rate) {
    return Status::TimedOut(name + " " + what + " too slow (under --min-rate " +
                            std::to_string(config_.min_rate) + " bytes/s)");
  }
  return Status::TimedOut(name + " " + what + " timed out (" +
                          (writing ? "--send-timeout " : "--body-timeout ") + Seconds(per_wait) +
                          ")");
}

Result<SocketConnection::Received> SocketConnection::ReadMore(const char* what, Wait wait,
                                                              size_t chunk) {
  for (;;) {
    ssize_t got = RetryOnEintr([&] { return input_.ReadFrom(fd_.get(), chunk, MSG_DONTWAIT); });
    if (got > 0) {
      received_.bytes += static_cast<uint64_t>(got);
      return Received::kBytes;
    }
    // A reset is the peer's close too: a web server that drops a kept
    // connection before reading all of our last answer (its client left
    // first) resets it. Between requests that is a normal end, not an error.
    if (got == 0 || errno == ECONNRESET) return Received::kEof;
    if (!WouldBlock()) return SocketFailure(what);
    if (wait == Wait::kNoWait) return Received::kNothingYet;
    if (Status ready = AwaitSocket(POLLIN, what); !ready.ok()) return ready;
  }
}

Status SocketConnection::FillFromSocket(size_t size, const char* what) {
  const std::string reading = std::string("read of ") + what;
  while (input_.size() < size) {
    Result<Received> got =
        ReadMore(reading.c_str(), Wait::kBlock, std::max(kReadChunk, size - input_.size()));
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
  ssize_t got;
  while ((got = RetryOnEintr([&] { return read(fd_.get(), buffer, size); })) < 0 && WouldBlock()) {
    if (Status ready = AwaitSocket(POLLIN, "read of the request body"); !ready.ok()) return ready;
  }
  if (got < 0) return SocketFailure("read of the request body");
  received_.bytes += static_cast<uint64_t>(got);
  if (got == 0) {
    return Status::Error(std::string(ProtocolName(protocol())) +
                         " connection closed in the middle of the body");
  }
  return static_cast<size_t>(got);
}

namespace {

uint64_t Total(const iovec* parts, size_t count) {
  uint64_t total = 0;
  for (size_t i = 0; i < count; ++i) total += parts[i].iov_len;
  return total;
}

}  // namespace

Status SocketConnection::Send(iovec* parts, size_t count) {
  if (send_failed_) return EarlierSendFailed();
  for (;;) {
    const uint64_t before = Total(parts, count);
    int error = WriteAll(fd_.get(), parts, count);
    if (error == 0) {
      sent_.bytes += before;
      return Status::Ok();
    }
    sent_.bytes += before - Total(parts, count);  // WriteAll empties what it wrote
    errno = error;
    if (!WouldBlock()) return SendFailed(SocketFailure("write"));
    if (Status ready = AwaitSocket(POLLOUT, "write"); !ready.ok()) return SendFailed(ready);
  }
}

Status SocketConnection::Send(std::string_view bytes) {
  if (send_failed_) return EarlierSendFailed();
  while (!bytes.empty()) {
    ssize_t sent =
        RetryOnEintr([&] { return send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL); });
    if (sent < 0 && WouldBlock()) {
      if (Status ready = AwaitSocket(POLLOUT, "write"); !ready.ok()) return SendFailed(ready);
      continue;
    }
    if (sent < 0) return SendFailed(SocketFailure("write"));
    sent_.bytes += static_cast<uint64_t>(sent);
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
  return Status::Ok();
}

Status SocketConnection::SendFailed(Status failure) {
  send_failed_ = true;
  return failure;
}

Status SocketConnection::EarlierSendFailed() const {
  return Status::Error(std::string(ProtocolName(protocol())) +
                       " write not tried: an earlier one failed");
}

Status SocketConnection::SocketFailure(const char* what) const {
  int error = errno;
  return PosixError(std::string(ProtocolName(protocol())) + " " + what, error);
}

void SocketConnection::NoteSent(uint64_t bytes) { sent_.bytes += bytes; }

bool SocketConnection::PeerHungUp() const {
  pollfd watched{.fd = fd_.get(), .events = POLLIN, .revents = 0};
  return poll(&watched, 1, 0) == 1 && (watched.revents & (POLLHUP | POLLERR)) != 0;
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
