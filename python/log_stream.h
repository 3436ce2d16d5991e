// LogStream: a Python text stream whose lines go to shoal's log.
//
// Used as wsgi.errors and in place of sys.stdout and sys.stderr, so that
// whatever the app prints ends up as whole log lines (one write(2) each)
// instead of torn fragments on a shared pipe. Text is buffered until a
// newline (or flush()); a line longer than a log record is split, never cut.
// Not thread-safe beyond what the GIL gives.
#pragma once

#include <spdlog/common.h>

#include "base/status.h"
#include "python/py_ref.h"

namespace shoal::python {

// A new stream writing at `level`; fileno() answers `fd` (the real fd behind
// the log, for faulthandler and the like). Returns null with a Python error
// set on failure. REQUIRES: the GIL.
PyRef NewLogStream(spdlog::level::level_enum level, int fd, const char* name);

// Replaces sys.stdout (info) and sys.stderr (error). REQUIRES: the GIL.
Status InstallLogStreams();

// Writes out any partial line held by sys.stdout and sys.stderr. REQUIRES: the GIL.
void FlushLogStreams();

// Writes out any partial line held by `stream` (a LogStream). REQUIRES: the GIL.
void FlushLogStream(PyObject* stream);

}  // namespace shoal::python
