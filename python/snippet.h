// Small pieces of shoal written in Python: where a task is a few calls of
// Python's own API (importlib, sys.modules), a function defined from source
// reads better than the same calls through the C API.
#pragma once

#include "base/status.h"
#include "python/py_ref.h"

namespace shoal::python {

// Runs `source` in a fresh namespace (with the builtins) and returns the
// function it defines as `name`. On failure returns the exception's line.
// REQUIRES: the GIL.
Result<PyRef> DefineFunction(const char* source, const char* name);

}  // namespace shoal::python
