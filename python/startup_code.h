// --exec and --exec-file: the user's Python run before the app is imported,
// as nginx-python-module's `python` and `python_include` run at start.
//
// Everything runs in one module, `shoal_startup`, entered in sys.modules,
// so the app does `from shoal_startup import NAME` (or `import
// shoal_startup`) for what it defined. Runs wherever the app is imported:
// the master before forking, a --lazy-apps worker, --inetd's process; and
// not again when --reload-mechanism module re-imports the app.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace shoal::python {

// Runs each of `files` (absolute paths), then each of `codes`, in order, in
// the module shoal_startup. On the first that raises (or does not compile)
// returns one line naming it and the exception's last line, e.g.
// "--exec 1 raised NameError: name 'x' is not defined (raised at <--exec
// 1>:1)". REQUIRES: the GIL.
Status RunStartupCode(const std::vector<std::string>& files, const std::vector<std::string>& codes);

}  // namespace shoal::python
