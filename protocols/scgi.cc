#include "protocols/scgi.h"

#include <poll.h>
#include <sys/sendfile.h>

#include <algorithm>
#include <cerrno>

#include "base/retry.h"
#include "protocols/cgi_params.h"
#include "protocols/scgi_parser.h"

namespace shoal::protocols {
namespace {

// Unread body Finish will drain so that closing does not reset the
// connection under the web server; past this it closes anyway.
constexpr uint64_t kMaxDrain = 4 << 20;

}  // namespace

ScgiConnection::ScgiConnection(UniqueFd fd, const ConnectionConfig& config)
    : SocketConnection(std::move(fd), config) {}

Result<Incoming> ScgiConnection::ReadHead() {
  for (;;) {
    Result<std::optional<ScgiHead>> parsed = ParseScgiHead(input_.unread(), config_.max_header_size);
    if (!parsed.ok()) return parsed.status();
    if (parsed.value()) {
      ScgiHead& head = *parsed.value();
      params_ = std::move(head.params);
      RejoinCookies(params_, cookies_);  // Apache's mod_proxy_scgi joins with ", "
      input_.Consume(head.header_bytes);
      body_left_ = head.content_length;
      return Incoming::kRequest;
    }
    Result<Received> got = ReadMore("read of the header");
    if (!got.ok()) return got.status();
    if (got.value() == Received::kEof) {
      if (input_.empty()) return Incoming::kClosed;  // closed before saying anything
      return Status::Error("scgi connection closed before a whole header");
    }
  }
}

Result<size_t> ScgiConnection::ReadBody(char* buffer, size_t size) {
  size = static_cast<size_t>(std::min<uint64_t>(size, body_left_));
  size_t filled = 0;
  // First what came in with the header, then the socket.
  while (filled < size) {
    Result<size_t> got = ReadBodyBytes(buffer + filled, size - filled);
    if (!got.ok()) return got;
    filled += got.value();
  }
  body_left_ -= filled;
  return filled;
}

Status ScgiConnection::SendHeaders(std::string_view status, std::span<const Header> headers) {
  pending_.assign("Status: ").append(status).append("\r\n");
  for (const Header& h : headers) pending_.append(h.name).append(": ").append(h.value).append("\r\n");
  pending_.append("\r\n");
  return Status::Ok();  // sent with the first body bytes, or at Finish
}

Status ScgiConnection::Flush(std::string_view data) {
  iovec parts[2] = {{pending_.data(), pending_.size()},
                    {const_cast<char*>(data.data()), data.size()}};
  if (Status sent = Send(parts, 2); !sent.ok()) return sent;
  pending_.clear();
  return Status::Ok();
}

Status ScgiConnection::Write(std::string_view data) { return Flush(data); }

Result<uint64_t> ScgiConnection::SendFile(int fd, uint64_t offset, uint64_t length) {
  Status flushed = Flush(std::string_view());
  if (!flushed.ok()) return flushed;
  auto position = static_cast<off_t>(offset);
  uint64_t sent = 0;
  while (sent < length) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(length - sent, 1 << 30));
    ssize_t n = RetryOnEintr([&] { return sendfile(this->fd(), fd, &position, want); });
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (Status ready = AwaitSocket(POLLOUT, "sendfile"); !ready.ok()) return SendFailed(ready);
      continue;
    }
    if (n < 0) return SendFailed(SocketFailure("sendfile"));
    if (n == 0) break;  // the file is shorter than it was
    NoteSent(static_cast<uint64_t>(n));
    sent += static_cast<uint64_t>(n);
  }
  return sent;
}

Status ScgiConnection::Finish() {
  Status flushed = Flush(std::string_view());
  // Read what the app left of the body, so closing does not reset a TCP
  // connection under the web server while it still reads our response.
  char scratch[kReadChunk];
  while (flushed.ok() && body_left_ > 0 && body_left_ <= kMaxDrain) {
    Result<size_t> got = ReadBody(scratch, sizeof(scratch));
    if (!got.ok() || got.value() == 0) break;
  }
  Close();
  return flushed;
}

}  // namespace shoal::protocols
