// Connection: an accepted socket speaking one protocol, serving one request
// at a time.
//
// A Connection is also the Exchange of the request it is serving. The worker
// reads a request, hands the connection to the RequestHandler as an
// Exchange, and afterwards either drops it or (keep_open) waits for the
// next request on it. Lives in a worker, after fork; owns its fd.
#pragma once

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

}  // namespace shoal::protocols
