// The options that put the user's Python around the app and into its
// start: --middleware, --on-request, --after-request, --exec, --exec-file,
// --reload-on-change with --reload-mechanism, and --head-skip-body.
//
// Their rows are in the one option table (daemon/options.cc); this file
// checks their values into Options::hooks. Master (and a lazy worker, and
// --inetd's process), at start-up, before anything is imported; pure except
// that the --exec-file check looks at the file system. Whether a named
// callable imports is found out later, by the import (exit 1).
#pragma once

#include <boost/program_options.hpp>

#include "base/status.h"
#include "daemon/options.h"

namespace shoal::daemon {

// Fills o.hooks from `vm`. Returns an error naming the option and the value:
// a MODULE:CALLABLE without its module or callable (or given as a file), an
// --exec-file that is not a readable regular file, an empty --exec, a
// --reload-mechanism other than process or module.
Status FillHookOptions(const boost::program_options::variables_map& vm, Options& o);

}  // namespace shoal::daemon
