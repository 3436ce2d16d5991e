// --middleware: WSGI middleware put around each app as it is loaded.
//
// Each MODULE:CALLABLE is called once per app with the app, as
// CALLABLE(app), and what it returns is served instead. They apply in the
// order given: the first wraps the app, the next wraps that, so the last
// one given is outermost and sees each request first:
//   served = mw_n(... mw_2(mw_1(app)))
// Runs where the app is loaded (the master before forking, a --lazy-apps
// worker, --inetd's process, a module reload).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "python/py_ref.h"

namespace shoal::python {

// Returns `app` wrapped in each of `middleware` (MODULE:CALLABLE texts), in
// order. On failure returns one line naming the middleware: ImportCallable's,
// or "--middleware 'mw:wrap': wrap(app) raised ...", or "... returned a
// NoneType, not a WSGI callable". REQUIRES: the GIL.
Result<PyRef> WrapInMiddleware(PyRef app, const std::vector<std::string>& middleware);

}  // namespace shoal::python
