// SocketConnection: the part of a Connection that every protocol shares.
//
// It owns the accepted socket, the bytes read from it and not yet parsed
// (one ReadBuffer), and the one loop that reads and writes it: EINTR
// retried, the peer's EOF told apart from an error, and every error worded
// the same way, "<protocol> <what> failed: <errno text>". It also keeps
// Connection's promise on ReadRequest in one place: a connection that ends
// (kClosed, or an error) is closed, and one left waiting (kIdle) is kept.
//
// Deadlines. The socket is non-blocking; a read or write that would block
// waits in AwaitFd under the deadline of the phase it is in, and fails with
// Status::TimedOut ("<protocol> <what> timed out (--<option> N s)") when it
// passes. The head phase starts at each ReadRequest: everything up to a
// complete request head, control records and their answers included, must
// be done within --header-timeout of its first wait, however the bytes
// trickle (a head that is all there already never reads the clock). In the body phase
// (after the head, to the end of the response) each wait for body bytes is
// bounded by --body-timeout and each wait to write by --send-timeout; and,
// as Apache's mod_reqtimeout does with MinRate, all the time spent waiting
// on the client in one direction may be that timeout plus one second per
// --min-rate bytes moved, so a trickle of a byte now and then cannot keep
// a worker either. Time the app spends is not counted. So no client,
// however slow or unread, holds a worker past a deadline.
//
// FastCgiConnection, ScgiConnection and AjpConnection derive from it and
// add their records; MakeConnection makes them and the worker owns them.
// Lives in a worker, after fork; one thread.
#pragma once

#include <sys/uio.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
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

  // One read(2) of up to `chunk` bytes, appended to input_; under kBlock
  // it first waits (AwaitSocket) if nothing is there. Returns kBytes when
  // some arrived, kEof at the peer's EOF or reset, kNothingYet when kNoWait found
  // nothing; or the error SocketFailure(what), or AwaitSocket's.
  Result<Received> ReadMore(const char* what, Wait wait = Wait::kBlock, size_t chunk = kReadChunk);

  // Reads until input_ holds at least `size` bytes (one read when they
  // arrive together), blocking. Returns OK; or an error: "<protocol>
  // connection closed in the middle of <what>" at EOF, else the read's.
  // (Inline: most records are whole in the buffer already.)
  Status Fill(size_t size, const char* what) {
    return input_.size() >= size ? Status::Ok() : FillFromSocket(size, what);
  }

  // Up to `size` bytes of request body: what input_ holds first, else one
  // read(2) straight into `buffer` (no copy), waiting as ReadMore does.
  // Returns how many (at least one); or an error: "<protocol> connection
  // closed in the middle of the body" at EOF, else "<protocol> read of the
  // request body failed: ..." (or "... timed out ..."). REQUIRES: size > 0.
  Result<size_t> ReadBodyBytes(char* buffer, size_t size);

  // Writes all of `parts` (consumed in place: entries are advanced), across
  // partial writes. Returns OK, or "<protocol> write failed: ..." (or
  // timed out). After one failure every later Send fails at once, so an
  // abort after a timed-out write does not wait a second time.
  Status Send(iovec* parts, size_t count);
  // Writes all of `bytes` (never raising SIGPIPE). Returns as above.
  Status Send(std::string_view bytes);

  // Waits until the socket is ready for `events` (POLLIN for a read,
  // POLLOUT for a write) within the current phase's deadline. Returns OK;
  // or "<protocol> <what> timed out (--<option> N s)" or "... too slow
  // (under --min-rate N bytes/s)", a Status::TimedOut; or poll's failure.
  Status AwaitSocket(short events, const char* what);

  // Counts `bytes` sent by other means than Send (sendfile) for --min-rate.
  void NoteSent(uint64_t bytes);
  // Notes that a write failed (or timed out), so that no later write on
  // this connection waits again; returns `failure`.
  Status SendFailed(Status failure);
  // What a Send after a failed one returns at once.
  Status EarlierSendFailed() const;

  // "<protocol> <what> failed: <strerror(errno)>". Reads errno: call it
  // first.
  Status SocketFailure(const char* what) const;

  // Whether the socket is still open.
  bool open() const { return fd_.valid(); }
  // Whether poll(2) shows the peer gone both ways (POLLHUP), without
  // waiting: a closed unix socket peer; over TCP, mostly only after a
  // write met a reset.
  bool PeerHungUp() const;
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

  using Clock = std::chrono::steady_clock;
  // Where a wait's deadline comes from: the head's one deadline, or a fresh
  // --body-timeout / --send-timeout per wait (see the comment at the top).
  enum class Phase { kHead, kBody };

  // --min-rate's account of one direction in the body phase: the time
  // spent waiting on the client, and the bytes it moved.
  struct Account {
    Clock::duration waited{};
    uint64_t bytes = 0;
  };

  UniqueFd fd_;
  Phase phase_ = Phase::kHead;
  Clock::time_point head_deadline_;
  Account received_;
  Account sent_;
  bool send_failed_ = false;
};

}  // namespace shoal::protocols
