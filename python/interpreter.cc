#include "python/interpreter.h"

#include <unistd.h>

#include <csignal>

#include <cerrno>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "python/log_stream.h"
#include "python/py_ref.h"

namespace shoal::python {
namespace {

std::string Utf8(PyObject* object) {
  if (object == nullptr) return "";
  PyRef text = PyRef::Steal(PyObject_Str(object));
  if (!text) {
    PyErr_Clear();
    return "<unprintable>";
  }
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(text.get(), &size);
  if (data == nullptr) {
    PyErr_Clear();
    return "<unprintable>";
  }
  return std::string(data, static_cast<size_t>(size));
}

PyRef Attr(PyObject* object, const char* name) {
  PyRef value = PyRef::Steal(PyObject_GetAttrString(object, name));
  if (!value) PyErr_Clear();
  return value;
}

// "file:line" of where the exception was raised: for a SyntaxError the
// offending source line, else the innermost traceback frame that is not
// import machinery.
std::string RaisedAt(PyObject* value) {
  if (PyErr_GivenExceptionMatches(value, PyExc_SyntaxError)) {
    PyRef filename = Attr(value, "filename");
    PyRef lineno = Attr(value, "lineno");
    if (filename && filename.get() != Py_None) return Utf8(filename.get()) + ":" + Utf8(lineno.get());
  }
  std::string where;
  PyRef tb = PyRef::Steal(PyException_GetTraceback(value));
  while (tb && tb.get() != Py_None) {
    PyRef frame = Attr(tb.get(), "tb_frame");
    PyRef code = frame ? Attr(frame.get(), "f_code") : PyRef();
    PyRef filename = code ? Attr(code.get(), "co_filename") : PyRef();
    PyRef lineno = Attr(tb.get(), "tb_lineno");
    std::string file = Utf8(filename.get());
    if (!file.starts_with("<frozen")) where = file + ":" + Utf8(lineno.get());
    tb = Attr(tb.get(), "tb_next");
  }
  return where;
}

// Fetches and normalises the current exception; the traceback is attached
// to the value.
PyRef FetchException() {
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  PyErr_NormalizeException(&type, &value, &traceback);
  if (traceback != nullptr && value != nullptr) PyException_SetTraceback(value, traceback);
  Py_XDECREF(type);
  Py_XDECREF(traceback);
  return PyRef::Steal(value);
}

Status InsertPath(PyObject* sys_path, Py_ssize_t index, const std::string& dir) {
  PyRef entry = PyRef::Steal(PyUnicode_DecodeFSDefault(dir.c_str()));
  if (!entry || PyList_Insert(sys_path, index, entry.get()) != 0) {
    return Status::Error("cannot add '" + dir + "' to sys.path: " + DescribeAndClearException());
  }
  return Status::Ok();
}

}  // namespace

Status InitializeInterpreter(const InterpreterConfig& config) {
  // Relative --pythonpath entries mean what they meant where shoal was run.
  std::error_code ec;
  std::filesystem::path start_dir = std::filesystem::current_path(ec);
  std::vector<std::string> paths;
  for (const std::string& dir : config.pythonpath) {
    paths.push_back(std::filesystem::absolute(start_dir / dir).lexically_normal().string());
  }
  // As gunicorn does, the working directory (after --chdir) comes first on
  // sys.path, so `--app module:app` finds a module where shoal runs.
  if (!config.chdir.empty() && ::chdir(config.chdir.c_str()) != 0) {
    return PosixError("chdir(" + config.chdir + ")", errno);
  }
  paths.insert(paths.begin(), std::filesystem::current_path(ec).string());

  PyConfig py_config;
  PyConfig_InitPythonConfig(&py_config);
  py_config.install_signal_handlers = 0;
  py_config.parse_argv = 0;
  py_config.optimization_level = config.optimize;
  // Also what sys.executable becomes, for subprocess and multiprocessing.
  const std::string program =
      config.virtualenv.empty() ? SHOAL_PYTHON_EXECUTABLE : config.virtualenv + "/bin/python";
  PyStatus status =
      PyConfig_SetBytesString(&py_config, &py_config.program_name, program.c_str());
  if (!PyStatus_Exception(status) && !config.python_home.empty()) {
    status = PyConfig_SetBytesString(&py_config, &py_config.home, config.python_home.c_str());
  }
  char argv0[] = "shoal";
  char* argv[] = {argv0};
  if (!PyStatus_Exception(status)) status = PyConfig_SetBytesArgv(&py_config, 1, argv);
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&py_config);
  PyConfig_Clear(&py_config);
  if (PyStatus_Exception(status)) {
    return Status::Error(std::string("python start-up failed: ") +
                         (status.err_msg != nullptr ? status.err_msg : "unknown error"));
  }

  PyObject* sys_path = PySys_GetObject("path");  // borrowed
  if (sys_path == nullptr || !PyList_Check(sys_path)) {
    return Status::Error("python start-up failed: sys.path is not a list");
  }
  for (size_t i = 0; i < paths.size(); ++i) {
    Status inserted = InsertPath(sys_path, static_cast<Py_ssize_t>(i), paths[i]);
    if (!inserted.ok()) return inserted;
  }
  return InstallLogStreams();
}

void BeforeFork() { PyOS_BeforeFork(); }
void AfterForkInParent() { PyOS_AfterFork_Parent(); }
void AfterForkInChild() { PyOS_AfterFork_Child(); }

std::string DescribeAndClearException() {
  PyRef value = FetchException();
  if (!value) return "unknown error";
  std::string text = Py_TYPE(value.get())->tp_name;
  std::string message = Utf8(value.get());
  if (!message.empty()) text += ": " + message;
  std::string where = RaisedAt(value.get());
  if (!where.empty()) text += " (raised at " + where + ")";
  return text;
}

std::string FormatAndClearException() {
  PyRef value = FetchException();
  if (!value) return "unknown error";
  PyRef traceback = PyRef::Steal(PyImport_ImportModule("traceback"));
  PyRef lines = traceback ? PyRef::Steal(PyObject_CallMethod(traceback.get(), "format_exception",
                                                              "O", value.get()))
                          : PyRef();
  PyRef empty = PyRef::Steal(PyUnicode_FromString(""));
  PyRef joined = lines && empty ? PyRef::Steal(PyUnicode_Join(empty.get(), lines.get())) : PyRef();
  if (!joined) {
    PyErr_Clear();
    return Py_TYPE(value.get())->tp_name + std::string(": ") + Utf8(value.get());
  }
  std::string text = Utf8(joined.get());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

void FreezeHeap() {
  PyRef gc = PyRef::Steal(PyImport_ImportModule("gc"));
  PyRef done = gc ? PyRef::Steal(PyObject_CallMethod(gc.get(), "freeze", nullptr)) : PyRef();
  if (!done) spdlog::warn("gc.freeze() failed: {}", DescribeAndClearException());
}

void RegisterTracebackSignal() {
  PyRef faulthandler = PyRef::Steal(PyImport_ImportModule("faulthandler"));
  PyRef registered =
      faulthandler ? PyRef::Steal(PyObject_CallMethod(faulthandler.get(), "register", "i", SIGUSR2))
                   : PyRef();
  if (!registered) {
    spdlog::warn("cannot register faulthandler for --timeout tracebacks: {}",
                 DescribeAndClearException());
  }
}

}  // namespace shoal::python
