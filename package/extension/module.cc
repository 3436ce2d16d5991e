// shoal._shoal: the serving core as a CPython extension module, under the
// pure-Python layer of package/shoal/ (flup's WSGIServer, shoal.serve,
// shoal.inetd.run_app).
//
// The Python layer turns keywords into the daemon's own option words
// (`workers=3` → `--workers=3`, flup's `maxChildren=10` → the word
// `maxChildren=10`); this module parses them with the daemon's option table
// (daemon::ParseCommandLine, so every check and message is the daemon's),
// and serves the app object it is given through daemon::RunShoal's
// Embedding: the interpreter and the app are the calling program's. Every
// function catches everything C++ throws and raises a Python exception
// instead. Runs in the program's process, which becomes the master (or the
// one --inetd process); its workers are forked from it.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <exception>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "daemon/options.h"
#include "daemon/run.h"
#include "python/py_ref.h"
#include "service/logging.h"

namespace shoal::package {
namespace {

// The mount --app names in the parsed command line: the Python layer
// serves an object, not a module, and the table wants an app.
constexpr const char* kPlaceholderApp = "--app=shoal.embedded:application";

// `list` of str, as argv words. False (a Python error set) on anything else.
bool WordsOf(PyObject* list, std::vector<std::string>& words) {
  if (!PyList_Check(list)) {
    PyErr_SetString(PyExc_TypeError, "expected a list of str");
    return false;
  }
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); ++i) {
    PyObject* item = PyList_GET_ITEM(list, i);
    Py_ssize_t size = 0;
    const char* text = PyUnicode_Check(item) ? PyUnicode_AsUTF8AndSize(item, &size) : nullptr;
    if (text == nullptr) {
      if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "expected a list of str");
      return false;
    }
    words.emplace_back(text, static_cast<size_t>(size));
  }
  return true;
}

// serve(app, words, notes) -> bool: parses `words` (argv without argv[0])
// with the option table, logs each of `notes`, then serves `app` until
// stopped. Returns True when HUP or USR2 stopped it (flup's run() does the
// same), False for TERM, INT or QUIT and after --inetd's connection. A bad
// word raises ValueError with the table's line; a start that fails (the
// socket cannot be bound) raises RuntimeError after the log line that says
// why. REQUIRES: the GIL (released while the master waits).
PyObject* Serve(PyObject*, PyObject* args) {
  PyObject* app = nullptr;
  PyObject* word_list = nullptr;
  PyObject* note_list = nullptr;
  if (!PyArg_ParseTuple(args, "OO!O!:serve", &app, &PyList_Type, &word_list, &PyList_Type,
                        &note_list)) {
    return nullptr;
  }
  if (!PyCallable_Check(app)) {
    PyErr_Format(PyExc_TypeError, "the application must be callable, not %s",
                 Py_TYPE(app)->tp_name);
    return nullptr;
  }
  std::vector<std::string> argv = {"shoal", kPlaceholderApp};
  std::vector<std::string> notes;
  if (!WordsOf(word_list, argv) || !WordsOf(note_list, notes)) return nullptr;
  try {
    std::vector<const char*> pointers;
    for (const std::string& word : argv) pointers.push_back(word.c_str());
    Result<daemon::CommandLine> parsed =
        daemon::ParseCommandLine(static_cast<int>(pointers.size()), pointers.data());
    if (!parsed.ok()) {
      PyErr_SetString(PyExc_ValueError, parsed.status().message().c_str());
      return nullptr;
    }
    daemon::CommandLine& command_line = parsed.value();
    daemon::Options& options = command_line.options;
    if (command_line.action != daemon::CommandLine::Action::kServe) {
      PyErr_SetString(PyExc_ValueError, "help, version and check_config are the command line's");
      return nullptr;
    }
    if (options.mounts.size() != 1 || options.lazy_apps || options.daemonize) {
      PyErr_SetString(PyExc_ValueError,
                      "mount, lazy_apps and daemonize are the daemon's: a Python program "
                      "serves the one app it gives");
      return nullptr;
    }
    // The log names the object served.
    python::PyRef repr = python::PyRef::Steal(PyObject_Repr(app));
    const char* shown = repr ? PyUnicode_AsUTF8(repr.get()) : nullptr;
    PyErr_Clear();
    options.mounts[0].app = shown != nullptr ? shown : "the application";
    service::InitLogging(options.inetd ? "inetd" : "master");
    service::ConfigureLogging({.level = options.log_level, .timestamps = options.log_timestamps});
    for (const std::string& warning : command_line.warnings) spdlog::warn("{}", warning);
    for (const std::string& note : notes) spdlog::info("{}", note);
    daemon::Embedding embedding;
    embedding.apps.push_back({options.mounts[0].prefix, python::PyRef::Borrow(app)});
    const int code = daemon::RunShoal(options, argv, &embedding);
    if (PyErr_Occurred()) return nullptr;
    if (code != 0) {
      PyErr_Format(PyExc_RuntimeError,
                   "shoal stopped with exit code %d (its log line above says why)", code);
      return nullptr;
    }
    return PyBool_FromLong(embedding.reload_asked ? 1 : 0);
  } catch (const std::exception& e) {
    PyErr_Format(PyExc_RuntimeError, "shoal: internal error: %s", e.what());
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "shoal: internal error");
  }
  return nullptr;
}

// options() -> [(name, takes_value)]: the option table, for the Python
// layer to check keywords against (an unknown one is a TypeError there).
PyObject* OptionTable(PyObject*, PyObject*) {
  try {
    python::PyRef list = python::PyRef::Steal(PyList_New(0));
    if (!list) return nullptr;
    for (const daemon::OptionDoc& doc : daemon::DescribeOptions()) {
      python::PyRef row = python::PyRef::Steal(
          Py_BuildValue("(sO)", doc.long_name.c_str(), doc.value_name.empty() ? Py_False : Py_True));
      if (!row || PyList_Append(list.get(), row.get()) != 0) return nullptr;
    }
    return list.Release();
  } catch (const std::exception& e) {
    PyErr_Format(PyExc_RuntimeError, "shoal: internal error: %s", e.what());
  }
  return nullptr;
}

PyMethodDef kMethods[] = {
    {"serve", Serve, METH_VARARGS,
     "serve(app, words, notes) -> bool: serve app with the daemon's option words; True when "
     "HUP or USR2 stopped it"},
    {"options", OptionTable, METH_NOARGS,
     "options() -> [(name, takes_value)]: the daemon's option table"},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef kModule = {PyModuleDef_HEAD_INIT, "shoal._shoal",
                       "shoal's serving core (use shoal, shoal.server.*, shoal.inetd)", -1,
                       kMethods, nullptr, nullptr, nullptr, nullptr};

}  // namespace
}  // namespace shoal::package

PyMODINIT_FUNC PyInit__shoal() {
  PyObject* module = PyModule_Create(&shoal::package::kModule);
  if (module != nullptr && PyModule_AddStringConstant(module, "__version__", SHOAL_VERSION) != 0) {
    Py_DECREF(module);
    return nullptr;
  }
  return module;
}
