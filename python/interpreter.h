// The embedded CPython interpreter: start-up and the fork protocol.
//
// The master initialises Python once, imports the app, and forks; it holds
// the GIL from start-up on and runs no Python after the last fork. Python's
// own signal handlers stay off (shoal owns every signal, and a handler
// without SA_RESTART would break blocking reads with EINTR). sys.stdout and
// sys.stderr are replaced by line writers into shoal's log.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace shoal::python {

struct InterpreterConfig {
  std::string chdir;                    // changed to first; the cwd goes first on sys.path
  std::vector<std::string> pythonpath;  // added to sys.path, in order, after chdir
  // A venv's directory (absolute), or "": Python is told its program is
  // VENV/bin/python, so its own start-up reads VENV/pyvenv.cfg and makes
  // sys.prefix the venv and the venv's site-packages the ones on sys.path
  // (as mod_wsgi and uWSGI do; PyConfig.home would not: that is the base
  // installation's prefix, where the standard library is).
  std::string virtualenv;
  std::string python_home;  // PyConfig.home, PYTHONHOME; "": Python's own choice
  int optimize = 0;         // PyConfig.optimization_level: 0, 1 (-O), 2 (-OO)
};

// Starts the interpreter. On failure returns an error naming the cause (a
// directory that does not exist, a Python start-up error).
// REQUIRES: called once, in the master, before any other Python call.
// The calling thread holds the GIL when it returns OK.
Status InitializeInterpreter(const InterpreterConfig& config);

// The fork protocol, around fork(2) in the master. REQUIRES: the GIL, held by
// the thread that initialised Python.
void BeforeFork();
void AfterForkInParent();
void AfterForkInChild();

// After the preload import, in the master: gc.freeze() moves what the app
// built out of the collector's reach, so the workers' collections do not
// touch (and un-share) those pages. A failure is logged. REQUIRES: the GIL.
void FreezeHeap();

// In a worker: SIGUSR2 makes faulthandler write every thread's Python
// traceback to the log (the master sends it to a request past --timeout,
// and at the end of --graceful-timeout). A failure is logged. REQUIRES: the
// GIL.
void RegisterTracebackSignal();

// Describes the exception currently set (and clears it) as one line:
// "RuntimeError: boom (raised at /srv/app.py:3)". REQUIRES: the GIL.
std::string DescribeAndClearException();

// The current exception's full traceback as text (the exception stays set
// and is then cleared). REQUIRES: the GIL and a set exception.
std::string FormatAndClearException();

}  // namespace shoal::python
