// --wsgi-file: a WSGI script file run as a module, as mod_wsgi's
// WSGIScriptAlias runs a .wsgi file.
//
// The file may have any suffix (.wsgi, .py). It runs as a module of its own,
// named `_shoal_wsgi_file_<hash of its path>` (as mod_wsgi names its
// `_mod_wsgi_<md5>`), entered in sys.modules so that pickle, dataclasses and
// the like find it; its directory goes first on sys.path, as for
// `python path/to/script.py`, so the modules beside it import.
#pragma once

#include <string>

#include "base/status.h"
#include "python/py_ref.h"

namespace shoal::python {

// Runs the file at `path` (absolute) and returns its module. On failure
// returns one line: the file cannot be read (the errno's words), or the
// exception it raised and where. REQUIRES: the GIL.
Result<PyRef> RunAppFile(const std::string& path);

// The module name RunAppFile gives `path`.
std::string AppFileModuleName(const std::string& path);

}  // namespace shoal::python
