// Connection: an accepted socket speaking one protocol, serving one request
// at a time.
//
// A Connection is also the Exchange of the request it is serving. The worker
// reads a request, hands the connection to the RequestHandler as an
// Exchange, and afterwards either drops it or (keep_open) waits for the
// next request on it. Lives in a worker, after fork; owns its fd.
#pragma once

#include "protocols/exchange.h"

namespace shoal::protocols {

class Connection : public Exchange {
 public:
  virtual int fd() const = 0;

  // Reads the next request. Returns true when one is ready to serve; false
  // when the peer closed the connection between requests (a normal end,
  // nothing to log); or an error naming what was wrong with the input (it
  // deserves one log line). On false or error the connection is closed.
  virtual Result<bool> ReadRequest() = 0;

  // After Finish or Abort: whether the connection can carry another request.
  virtual bool keep_open() const { return false; }
};

}  // namespace shoal::protocols
