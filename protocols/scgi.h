// SCGI on one connection: one request, then the connection is closed.
//
// Reads the netstring header (bounded by --max-header-size), hands the body
// out as it arrives (never past CONTENT_LENGTH), and writes a CGI-style
// response that always starts with a Status line (nginx warns without one).
// The status line and headers leave with the first body bytes in one
// writev(2); files go out with sendfile(2), since SCGI carries the body raw.
//
// SCGI has no framing: a response that fails after its headers can only be
// told apart from a complete one by a short body against its Content-Length,
// or (over TCP) by a reset, which Abort sends.
//
// Made by MakeConnection, owned by the worker; lives in a worker, after
// fork.
#pragma once

#include <cstdint>
#include <string>

#include "protocols/socket_connection.h"

namespace shoal::protocols {

class ScgiConnection final : public SocketConnection {
 public:
  // `config.max_header_size` bounds the netstring. REQUIRES: `config`
  // outlives the connection.
  ScgiConnection(UniqueFd fd, const ConnectionConfig& config);

  // Connection:
  Protocol protocol() const override { return Protocol::kScgi; }

  // Exchange:
  // Up to `size` body bytes, never past CONTENT_LENGTH: those read with the
  // header first, then the socket's. Returns the count (fewer only at
  // CONTENT_LENGTH, 0 once it is reached); or an error (an EOF before it,
  // a failed read).
  Result<size_t> ReadBody(char* buffer, size_t size) override;
  // Keeps the Status line and the headers, to leave with the first body
  // bytes (or at Finish). Always OK.
  Status SendHeaders(std::string_view status, std::span<const Header> headers) override;
  // Writes the headers still pending and `data` in one writev(2). Returns
  // OK, or the write's error (the web server is gone).
  Status Write(std::string_view data) override;
  // Writes the headers still pending, if any. Returns as Write.
  Status Flush() override { return Flush(std::string_view()); }
  // Writes the headers still pending, then the file with sendfile(2).
  // Returns the bytes sent (fewer if the file ended first), or the write's
  // error.
  Result<uint64_t> SendFile(int fd, uint64_t offset, uint64_t length) override;
  // Sends what is buffered, reads and drops what the app left of the body
  // (a bounded amount), and closes. Returns OK or the write's error.
  Status Finish() override;

 private:
  // SocketConnection: reads the request header (the only request).
  // Returns kRequest once it is in; kClosed if the peer closed before
  // sending anything; or an error (a malformed or oversized header, an
  // EOF in the middle of it, a failed read).
  Result<Incoming> ReadHead() override;

  // Writes out `pending_` (the status and headers) and then `data`, in one
  // writev where possible.
  Status Flush(std::string_view data);

  uint64_t body_left_ = 0;    // body bytes not yet handed out
  std::string pending_;       // status and headers, not yet written
  std::string cookies_;       // HTTP_COOKIE rejoined (RejoinCookies), if it had to be
};

}  // namespace shoal::protocols
