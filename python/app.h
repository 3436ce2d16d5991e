// Loading the WSGI application: `MODULE:CALLABLE`, imported once.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "python/py_ref.h"

namespace shoal::python {

// Imports `module` and returns its attribute `callable` (a dotted path is
// followed: `wsgi:app.wsgi_app`). On failure returns one line naming the app,
// the Python exception and where it was raised, e.g. "cannot import app
// 'pkg:app': RuntimeError: broken (raised at /srv/pkg.py:3)".
// REQUIRES: the GIL.
Result<PyRef> LoadApp(const std::string& module, const std::string& callable);

// An app to serve: where it is mounted, and what to import.
struct AppSpec {
  std::string prefix;    // "" (the root) or "/prefix" without a trailing '/'
  std::string module;
  std::string callable;
  // Instead of module and callable: a PasteDeploy file (absolute) and app
  // name ("": main), built by loadapp (python/paste_app.h).
  std::string paste_file = {};
  std::string paste_name = {};
};

// An app and its mount point, loaded.
struct MountedApp {
  std::string prefix;
  PyRef app;
};

// Imports every app of `specs`, in order. On failure returns LoadApp's (or
// LoadPasteApp's) line for the first that fails. REQUIRES: the GIL.
Result<std::vector<MountedApp>> LoadApps(const std::vector<AppSpec>& specs);

}  // namespace shoal::python
