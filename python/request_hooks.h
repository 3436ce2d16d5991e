// --on-request and --after-request: the user's callables around each
// request, as nginx-python-module's access and log phase handlers.
//
// on_request(environ) runs before the app, with the environ the app would
// get. It returns None to let the app run, or a WSGI application, which is
// then called (environ, start_response) instead of the app: a short
// circuit, e.g. an access check answering 403. An exception, or a return
// that is neither, gives a 500 and a logged traceback.
//
// after_request(environ, status, bytes_sent, seconds) runs once the
// response is finished (sent, failed, or the client gone), with the status
// line sent ("200 OK"; "" if none), the body bytes sent and the time since
// the request was handed to the gateway. Its exception is logged in one
// line; the response is already gone.
//
// Loaded with the apps (python/app.h); used by the WSGI gateway in the
// worker. Neither kills a worker.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "python/py_ref.h"

namespace shoal::python {

struct RequestHooks {
  PyRef on_request;     // null: none
  PyRef after_request;  // null: none
};

// Imports the hooks named (MODULE:CALLABLE, "" for none). On failure returns
// ImportCallable's line. REQUIRES: the GIL.
Result<RequestHooks> LoadRequestHooks(const std::string& on_request,
                                      const std::string& after_request);

// Calls hooks.on_request(environ). Returns the app to call instead (a new
// reference), null to run the app, or an error with a Python exception set
// (a TypeError for a return that is not None and not callable).
// REQUIRES: the GIL; hooks.on_request is set.
Result<PyRef> CallOnRequest(const RequestHooks& hooks, PyObject* environ);

// Calls hooks.after_request; an exception is logged (one line, with
// `request_line`) and cleared. REQUIRES: the GIL; hooks.after_request is set.
void CallAfterRequest(const RequestHooks& hooks, PyObject* environ, const std::string& status,
                      uint64_t bytes_sent, double seconds, const std::string& request_line);

}  // namespace shoal::python
