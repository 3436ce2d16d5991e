// SocketConnection: the part of a Connection that every protocol shares.
//
// It owns the accepted socket, the bytes read from it and not yet parsed
// (one ReadBuffer), and the one loop that reads and writes it: EINTR
// retried, the peer's EOF told apart from an error, and every error worded
// the same way, "<protocol> <what> failed: <errno text>" or "<protocol>
// <what> timed out" (the socket's read timeout ran out). It also keeps
// Connection's promise on ReadRequest in one place: a connection that ends
// (kClosed, or an error) is closed, and one left waiting (kIdle) is kept.
//
// FastCgiConnection, ScgiConnection and AjpConnection derive from it and
// add their records; MakeConnection makes them and the worker owns them.
// Lives in a worker, after fork; one thread.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <string_view>
#include <vector>

#include "base/read_buffer.h"
#include "base/unique_fd.h"
#include "protocols/connection.h"

namespace shoal::protocols {

class SocketConnection : public Connection {
 public:
  SocketConnection(const SocketConnection&) = delete;
  SocketConnection& operator=(const SocketConnection&) = delete;

  // Connection:
  int fd() const final { return fd_.get(); }
  // Returns what ReadHead returns. On kIdle the connection is kept open
  // (it waits for more); on kClosed or an error it is closed.
  Result<Incoming> ReadRequest() final;
  bool keep_open() const final { return keep_open_; }

  // Exchange:
  // The params ReadHead decoded, views into the connection's copy of the
  // request's head; valid until the next ReadRequest.
  std::span<const Param> params() const final { return params_; }
  // Ends the response as failed with CloseWithReset: over TCP the web
  // server sees the backend fail. A protocol that can say so on the wire
  // overrides it.
  void Abort() override { CloseWithReset(); }

 protected:
  // Whether a read may wait for bytes to arrive.
  enum class Wait { kBlock, kNoWait };
  // What one read found.
  enum class Received { kBytes, kEof, kNothingYet };

  // How much one read asks for.
  static constexpr size_t kReadChunk = 16 * 1024;

  // REQUIRES: `config` outlives the connection.
  SocketConnection(UniqueFd fd, const ConnectionConfig& config);

  // The protocol's part of ReadRequest, with its results. It need not
  // close the connection or set keep_open_: ReadRequest does.
  virtual Result<Incoming> ReadHead() = 0;

  // One read(2) of up to `chunk` bytes, appended to input_ (a recv(2) with
  // MSG_DONTWAIT under kNoWait). Returns kBytes when some arrived, kEof at
  // the peer's EOF, kNothingYet when kNoWait found nothing; or the error
  // SocketFailure(what).
  Result<Received> ReadMore(const char* what, Wait wait = Wait::kBlock, size_t chunk = kReadChunk);

  // Reads until input_ holds at least `size` bytes (one read when they
  // arrive together), blocking. Returns OK; or an error: "<protocol>
  // connection closed in the middle of <what>" at EOF, else the read's.
  // (Inline: most records are whole in the buffer already.)
  Status Fill(size_t size, const char* what) {
    return input_.size() >= size ? Status::Ok() : FillFromSocket(size, what);
  }

  // Up to `size` bytes of request body: what input_ holds first, else one
  // read(2) straight into `buffer` (no copy), blocking. Returns how many
  // (at least one); or an error: "<protocol> connection closed in the
  // middle of the body" at EOF, else "<protocol> read of the request body
  // failed: ..." (or "... timed out"). REQUIRES: size > 0.
  Result<size_t> ReadBodyBytes(char* buffer, size_t size);

  // Writes all of `parts` (consumed in place: entries are advanced), across
  // partial writes. Returns OK, or "<protocol> write failed: ...".
  Status Send(iovec* parts, size_t count);
  // Writes all of `bytes` (never raising SIGPIPE). Returns as above.
  Status Send(std::string_view bytes);

  // "<protocol> <what> failed: <strerror(errno)>", or "<protocol> <what>
  // timed out" when errno is EAGAIN. Reads errno: call it first.
  Status SocketFailure(const char* what) const;

  // Whether the socket is still open.
  bool open() const { return fd_.valid(); }
  // Closes the socket; the connection is not kept. Idempotent.
  void Close();
  // Closes the socket with a reset (SO_LINGER 0), which tells a web server
  // over TCP that the response failed; over a unix socket it is a close.
  void CloseWithReset();

  const ConnectionConfig& config_;
  ReadBuffer input_;        // read from the socket, not yet parsed
  std::vector<Param> params_;  // the request's params, filled by ReadHead
  bool keep_open_ = false;  // the connection may carry another request

 private:
  // Fill's reads, when the buffer is short of `size`.
  Status FillFromSocket(size_t size, const char* what);

  UniqueFd fd_;
};

}  // namespace shoal::protocols
