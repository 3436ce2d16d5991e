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
#include <vector>

#include "protocols/scgi_parser.h"
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
  std::span<const Param> params() const override { return head_.params; }
  Result<size_t> ReadBody(char* buffer, size_t size) override;
  Status SendHeaders(std::string_view status, std::span<const Header> headers) override;
  Status Write(std::string_view data) override;
  Status Flush() override { return Flush(std::string_view()); }
  Result<uint64_t> SendFile(int fd, uint64_t offset, uint64_t length) override;
  // Sends what is buffered, reads and drops what the app left of the body
  // (a bounded amount), and closes. Returns OK or the write's error.
  Status Finish() override;
  // Closes with a reset (over TCP the web server sees the failure).
  void Abort() override;

 private:
  // SocketConnection: reads the request header (the only request).
  // Returns kRequest once it is in; kClosed if the peer closed before
  // sending anything; or an error (a malformed or oversized header, an
  // EOF in the middle of it, a failed read).
  Result<Incoming> ReadHead() override;

  // Writes out `pending_` (the status and headers) and then `data`, in one
  // writev where possible.
  Status Flush(std::string_view data);

  ScgiHead head_;
  uint64_t body_left_ = 0;    // body bytes not yet handed out
  std::string pending_;       // status and headers, not yet written
};

}  // namespace shoal::protocols
