// Connection: an accepted socket speaking one protocol, serving one request
// at a time; and MakeConnection, the one factory that makes one.
//
// A Connection is also the Exchange of the request it is serving. The worker
// makes it with MakeConnection (or DetectConnection, for --protocol auto),
// owns it, reads a request, hands the connection to the RequestHandler as
// an Exchange, and afterwards either drops it or (keep_open) waits for the
// next request on it. Lives in a worker, after fork; owns its fd.
#pragma once

#include <memory>

#include "base/unique_fd.h"
#include "protocols/connection_config.h"
#include "protocols/exchange.h"
#include "protocols/protocol.h"

namespace shoal::protocols {

// What ReadRequest found.
enum class Incoming {
  kRequest,  // a request is ready to serve
  kIdle,     // only control traffic (a CPING, answered); no request yet
  kClosed,   // the peer closed the connection between requests (a normal end)
};

class Connection : public Exchange {
 public:
  virtual int fd() const = 0;
  virtual Protocol protocol() const = 0;

  // Reads what has arrived. Returns kRequest when a request is ready to
  // serve, kIdle when the connection should wait for more, kClosed when the
  // peer closed it; or an error naming what was wrong with the input (it
  // deserves one log line). On kClosed or an error the connection is closed.
  virtual Result<Incoming> ReadRequest() = 0;

  // After Finish or Abort: whether the connection can carry another request.
  virtual bool keep_open() const { return false; }

  // Bytes of the next request were read along with this one's (a web
  // server that pipelines): serve them now, since the socket will not show
  // them as readable again, and they would be lost if the fd were handed
  // on.
  virtual bool has_buffered_input() const { return false; }
};

// The connection for `protocol` over the socket `fd`, configured by
// `config`. `reused`: the socket has carried requests before (it was
// handed over by another process), which only words a log line. Never
// null; reads nothing yet. REQUIRES: `config` outlives the connection.
std::unique_ptr<Connection> MakeConnection(Protocol protocol, UniqueFd fd,
                                           const ConnectionConfig& config, bool reused = false);

// For --protocol auto: waits (within --header-timeout) for the
// first kDetectBytes bytes of the new connection `fd`, peeking, so they
// stay for the connection to read, and makes the connection for the
// protocol they show with MakeConnection. Returns it; nullptr when the
// peer closed before sending anything (a normal end, nothing to log); or
// an error whose message is the whole log line ("...; closed") when the
// read failed or the bytes are no protocol shoal knows. On both of those
// paths `fd` is closed. REQUIRES: `config` outlives the connection.
Result<std::unique_ptr<Connection>> DetectConnection(UniqueFd fd, const ConnectionConfig& config);

}  // namespace shoal::protocols
