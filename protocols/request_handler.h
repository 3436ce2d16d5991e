// RequestHandler: the seam between the supervisor and Python.
//
// A worker's serve loop (supervisor/) calls Handle for each request and
// brackets its waits for work with BeginIdle and EndIdle; the WSGI gateway
// (python/) implements it. Both rooms see this header, and neither sees the
// other. Made in the worker, after fork, by the factory the executable
// hands the supervisor; used on the worker's one thread.
#pragma once

#include <cstdint>

#include "protocols/exchange.h"

namespace shoal::protocols {

// How a request ended, for the scoreboard.
enum class Outcome { kServed, kAppFailed, kClientGone };

// What Handle did: how the request ended, and what the response carried
// (for the access log).
struct Handled {
  Outcome outcome = Outcome::kServed;
  int status = 0;           // the status code sent, or started; 0: none was
  uint64_t body_bytes = 0;  // bytes of response body sent
};

// What a worker runs for each request; implemented by python/.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Serves one request to the end: always calls Finish or Abort.
  virtual Handled Handle(Exchange& exchange) = 0;
  // The worker is about to block waiting for work, and has stopped waiting.
  // (The Python side releases and retakes the GIL here.)
  virtual void BeginIdle() {}
  virtual void EndIdle() {}
  // The app's source changed (--reload-on-change with --reload-mechanism
  // module): load the app afresh before the next request; if that fails,
  // log it and keep the one loaded. Called between requests.
  virtual void ReloadApp() {}
};

}  // namespace shoal::protocols
