// AJP13 on one connection (Apache's mod_proxy_ajp), reused across requests.
//
// Between requests a CPING is answered with a CPONG at once. A
// FORWARD_REQUEST becomes CGI params (ajp_request.h); a request without the
// configured secret is answered 403 and the connection closed. The body
// arrives in packets: with a Content-Length the first comes unasked, the
// rest on GET_BODY_CHUNK, and an empty one ends a chunked body. Before
// END_RESPONSE any body packet Apache already sent is read, so the next
// request starts aligned. The response is SEND_HEADERS, SEND_BODY_CHUNKs no
// larger than the packet size (each ending with its NUL byte), and
// END_RESPONSE with reuse, buffered so a small response leaves in one write.
// An aborted response is cut without END_RESPONSE, which Apache reports as
// a backend failure instead of a complete response.
//
// Made by MakeConnection, owned by the worker; lives in a worker, after
// fork.
#pragma once

#include <cstdint>
#include <string>

#include "protocols/ajp_request.h"
#include "protocols/socket_connection.h"

namespace shoal::protocols {

class AjpConnection final : public SocketConnection {
 public:
  // `config.ajp_packet_size` bounds packets either way; a non-empty
  // `config.ajp_secret` must come with every request. REQUIRES: `config`
  // outlives the connection.
  AjpConnection(UniqueFd fd, const ConnectionConfig& config);

  // Connection:
  Protocol protocol() const override { return Protocol::kAjp; }

  // Exchange:
  // Up to `size` body bytes from body packets, each after the first asked
  // for with GET_BODY_CHUNK. Returns the count (fewer only at the body's
  // end, 0 once it has ended); or an error (a malformed packet, a body
  // past its Content-Length, an EOF, a failed read or write).
  Result<size_t> ReadBody(char* buffer, size_t size) override;
  // Appends SEND_HEADERS (the common names coded) to the buffer. Returns
  // OK; or an error, with nothing appended, when the headers do not fit
  // one packet of --ajp-packet-size.
  Status SendHeaders(std::string_view status, std::span<const Header> headers) override;
  // `data` as SEND_BODY_CHUNKs: buffered (written once 64 KiB are), or
  // from 16 KiB written with the buffer straight from `data`. Returns OK,
  // or the write's error (the web server is gone).
  Status Write(std::string_view data) override;
  // Writes what is buffered and an empty SEND_BODY_CHUNK, which makes
  // Apache pass the response on now. Returns as Write.
  Status Flush() override;
  // Reads a body packet already on its way, then sends what is buffered
  // and END_RESPONSE, with reuse when the connection is aligned (then kept,
  // else closed). Returns OK or the write's error.
  Status Finish() override;

 private:
  // SocketConnection: answers CPINGs, then reads a FORWARD_REQUEST.
  // Returns kRequest; kIdle if nothing but CPINGs had arrived; kClosed at
  // an EOF between packets; or an error (a bad packet, a refused request,
  // a failed read or write).
  Result<Incoming> ReadHead() override;
  // Reads one packet from the web server into `payload`. Returns true, false
  // at a clean end of the connection between packets, or an error.
  Result<bool> ReadPacket(std::string& payload);
  // Reads the next body packet (asking for it unless it was sent unasked).
  Status FetchBody();
  // Writes out_ and empties it.
  Status WriteBuffered();
  // Sends what is buffered, then `data` as SEND_BODY_CHUNK packets written
  // straight from it.
  Status WriteChunksDirect(std::string_view data);
  // Answers `status` with a short body and ends the connection.
  void Refuse(const char* status);

  ajp::Pairs owned_params_;
  // Body state of the current request.
  bool body_done_ = true;
  // Body packets sent unasked (the first, with a Content-Length) or asked
  // for, and not read yet.
  size_t packets_in_flight_ = 0;
  uint64_t body_left_ = 0;         // with a Content-Length: bytes still to come
  bool length_known_ = false;
  std::string body_;               // received, not yet handed to the app
  size_t body_used_ = 0;
  // Response.
  std::string out_;  // packets not yet written
};

}  // namespace shoal::protocols
