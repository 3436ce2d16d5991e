// Loading a WSGI application from a PasteDeploy file (`--paste FILE#NAME`):
// paste.deploy.loadapp("config:FILE", name=NAME), which builds the app from
// the file's [app:], [pipeline:], [filter:] and [composite:] sections
// (`use = egg:...`, `use = call:module:factory`, [DEFAULT], %(here)s).
// In whichever process imports apps: the master (preload), a --lazy-apps
// worker, or --inetd's.
#pragma once

#include <string>

#include "base/status.h"
#include "python/py_ref.h"

namespace shoal::python {

// Returns the app loadapp builds from `file` (absolute) for `name` ("":
// loadapp's default, main). On failure returns one line naming the file and
// the Python exception, e.g. "cannot load app from --paste /srv/app.ini#blog:
// LookupError: No section 'blog' (prefixed by 'app' ...) found in config
// /srv/app.ini"; when PasteDeploy is not installed, says so.
// REQUIRES: the GIL.
Result<PyRef> LoadPasteApp(const std::string& file, const std::string& name);

}  // namespace shoal::python
