// The app's own source files, for --reload-on-change: the files of the
// loaded modules that are not Python's standard library nor installed
// packages (site-packages, dist-packages), i.e. the ones a developer edits.
//
// AppSourceFiles runs in the master after the import (what to watch);
// ForgetAppModules and RestoreModules in a worker around a module reload
// (--reload-mechanism module), so that the app and every module of its own
// is imported afresh, and the old ones come back if that import fails.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "python/py_ref.h"

namespace shoal::python {

// The real paths of the app's source files, sorted, each once: every
// module in sys.modules whose __file__ ends in .py (or is a --wsgi-file),
// outside the standard library and installed packages. REQUIRES: the GIL.
Result<std::vector<std::string>> AppSourceFiles();

// Removes the modules AppSourceFiles would list from sys.modules (and
// invalidates importlib's caches), so the next import runs them afresh.
// Returns what was removed (a dict of name → module), for RestoreModules.
// REQUIRES: the GIL.
Result<PyRef> ForgetAppModules();

// Puts `forgotten` (ForgetAppModules' dict) back into sys.modules, over
// what a failed import left there. Errors are cleared. REQUIRES: the GIL.
void RestoreModules(PyObject* forgotten);

}  // namespace shoal::python
