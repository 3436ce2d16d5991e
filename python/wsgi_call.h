// WsgiGateway: runs the WSGI app for each request a worker receives.
//
// Picks the app by mount point (the longest prefix that holds the request
// path), builds the environ, calls app(environ, start_response), sends what the
// iterable yields, and calls its close() on every path. An exception before
// headers go out gives a 500 (the traceback in the response only with
// --debug) and the traceback in the log with the request line; after
// headers it aborts the response so the front end never sees a fake
// success. A client that goes away ends the request with one info line. The
// worker lives on in every case. A body larger than --max-body-size gets
// 413; a body without a length is spooled first (see SpooledBody). The
// --on-request hook runs before the app and may answer instead of it; the
// --after-request hook runs once the response is finished
// (python/request_hooks.h). ReloadApp swaps in apps and hooks loaded afresh
// (--reload-mechanism module), between requests.
//
// One per worker, made after fork. The worker thread holds the GIL except
// between BeginIdle and EndIdle, where other Python threads may run.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "protocols/exchange.h"
#include "protocols/request_handler.h"
#include "protocols/spooled_body.h"
#include "python/app.h"
#include "python/environ.h"
#include "python/gil.h"
#include "python/py_ref.h"
#include "python/request_hooks.h"

namespace shoal::python {

class Response;

// What a worker serves: the apps (middleware applied) and the hooks.
struct LoadedApps {
  std::vector<MountedApp> apps;
  RequestHooks hooks = {};
};

struct GatewayConfig {
  bool debug = false;  // tracebacks in 500 responses
  // --max-body-size (spool.max_size), --spool-dir; a body without a length
  // is read whole before the app runs unless !spool_chunked.
  protocols::SpoolConfig spool = {};
  bool spool_chunked = true;
  EnvironExtras environ = {};  // --wsgi-var, --strip-authorization
  // --head-skip-body: for HEAD, the body's iteration stops at its first
  // empty chunk after start_response.
  bool head_skip_body = false;
  // Loads the apps and hooks afresh, for ReloadApp (--reload-mechanism
  // module); empty: ReloadApp does nothing. Same mount prefixes, in order.
  std::function<Result<LoadedApps>()> reload = {};
};

class WsgiGateway final : public protocols::RequestHandler {
 public:
  // REQUIRES: the GIL; `apps` is not empty, each app a callable, prefixes
  // distinct.
  WsgiGateway(std::vector<MountedApp> apps, GatewayConfig config, RequestHooks hooks = {});

  protocols::Handled Handle(protocols::Exchange& exchange) override;
  void BeginIdle() override;
  void EndIdle() override;
  void ReloadApp() override;

 private:
  // What --after-request is told of a request Run served.
  struct Finished {
    PyRef environ;       // null: none was built (nor is the hook called)
    std::string status;  // "200 OK"; "" if none was sent
  };
  // Runs the app (or what --on-request answers with) and sends its
  // response; returns with no Python error set.
  protocols::Handled Run(protocols::Exchange& exchange, const std::string& request_line,
                         Finished& finished);
  // Holds the body to --max-body-size and, unless --no-spool-chunked, reads a
  // body that came without a length into `spooled` and gives the environ
  // its CONTENT_LENGTH. Returns how the request ended if it was answered
  // here (413, or a failed spool); nullopt to go on to the app.
  std::optional<protocols::Outcome> PrepareBody(protocols::Exchange& exchange,
                                                EnvironBuilder::Built& built,
                                                protocols::SpooledBody& spooled,
                                                Response& response,
                                                const std::string& request_line);

  std::vector<MountedApp> apps_;
  GatewayConfig config_;
  RequestHooks hooks_;
  EnvironBuilder environ_builder_;
  PyRef errors_;  // wsgi.errors, shared by the worker's requests
  std::optional<GilReleased> idle_;  // between BeginIdle and EndIdle
};


}  // namespace shoal::python
