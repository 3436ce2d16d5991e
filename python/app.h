// Loading the WSGI application: `MODULE:CALLABLE` imported, `MODULE:FACTORY()`
// imported and called, a script file run (--wsgi-file), or a PasteDeploy
// file's app built (--paste); once, in the
// process that serves it (the master before forking, or a --lazy-apps
// worker, or --inetd's process).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "python/py_ref.h"

namespace shoal::python {

// An app to serve: where it is mounted, and what to load.
struct AppSpec {
  std::string prefix = {};  // "" (the root) or "/prefix" without a trailing '/'
  std::string module = {};    // imported; unused when `file` is set
  std::string callable = {};  // an attribute of the module; a dotted path is followed
  // The callable is a factory: called once with no arguments, and what it
  // returns is the app.
  bool factory = false;
  // A script file run as a module of its own (python/app_file.h) instead of
  // importing `module`; "" for a module.
  std::string file = {};
  // Instead of module and callable: a PasteDeploy file (absolute) and app
  // name ("": main), built by loadapp (python/paste_app.h).
  std::string paste_file = {};
  std::string paste_name = {};
};

// Loads `spec`'s app. On failure returns one line naming the app, the Python
// exception and where it was raised, e.g. "cannot import app 'pkg:app':
// RuntimeError: broken (raised at /srv/pkg.py:3)", or "cannot load app
// 'pkg:make()': make() raised ..." (for --paste, LoadPasteApp's line).
// REQUIRES: the GIL.
Result<PyRef> LoadApp(const AppSpec& spec);

// Imports `text`'s MODULE and returns its CALLABLE (a dotted path is
// followed), for the option named `option` ("middleware", "on-request"...).
// On failure returns one line, e.g. "--middleware 'mw:wrap': cannot import:
// ModuleNotFoundError: No module named 'mw'", or "... module 'mw' has no
// 'wrap'", or "... 'wrap' is a int, not callable". REQUIRES: the GIL;
// `text` has the form MODULE:CALLABLE.
Result<PyRef> ImportCallable(const std::string& option, const std::string& text);

// An app and its mount point, loaded.
struct MountedApp {
  std::string prefix;
  PyRef app;
};

// Loads every app of `specs`, in order. On failure returns LoadApp's line
// for the first that fails. REQUIRES: the GIL.
Result<std::vector<MountedApp>> LoadApps(const std::vector<AppSpec>& specs);

}  // namespace shoal::python
