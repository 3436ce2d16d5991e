// StartResponse: the start_response callable handed to the app, and the
// write() callable it returns (PEP 3333).
//
// A thin Python face over a Response. The object may outlive its request
// (an app can keep a reference); after Detach every call raises.
#pragma once

#include "python/py_ref.h"
#include "python/response.h"

namespace shoal::python {

// REQUIRES: the GIL; `response` outlives the object or Detach is called first.
PyRef NewStartResponse(Response* response);

// Cuts the callable off its response. REQUIRES: the GIL.
void DetachStartResponse(PyObject* start_response);

}  // namespace shoal::python
