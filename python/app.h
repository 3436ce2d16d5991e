// Loading the WSGI application: `MODULE:CALLABLE`, imported once.
#pragma once

#include <string>

#include "base/status.h"
#include "python/py_ref.h"

namespace shoal::python {

// Imports `module` and returns its attribute `callable` (a dotted path is
// followed: `wsgi:app.wsgi_app`). On failure returns one line naming the app,
// the Python exception and where it was raised, e.g. "cannot import app
// 'pkg:app': RuntimeError: broken (raised at /srv/pkg.py:3)".
// REQUIRES: the GIL.
Result<PyRef> LoadApp(const std::string& module, const std::string& callable);

}  // namespace shoal::python
