// AppModule: Python source run as a module, for unit tests of python/.
#pragma once

#include <Python.h>

#include <string>
#include <utility>
#include <vector>

#include "python/py_ref.h"
#include "python/wsgi_call.h"

namespace shoal::python {

// Runs `source` as a module and keeps its globals; `app` is its WSGI app.
class AppModule {
 public:
  explicit AppModule(const char* source) {
    globals_ = PyRef::Steal(PyDict_New());
    PyDict_SetItemString(globals_.get(), "__builtins__", PyEval_GetBuiltins());
    PyRef done = PyRef::Steal(PyRun_String(source, Py_file_input, globals_.get(), globals_.get()));
    if (!done) PyErr_Print();
  }
  PyRef app() const { return Global("app"); }
  PyRef Global(const char* name) const {
    return PyRef::Borrow(PyDict_GetItemString(globals_.get(), name));
  }
  // Evaluates a Python expression in the module, as text.
  std::string Eval(const char* expression) const {
    PyRef value = PyRef::Steal(PyRun_String(expression, Py_eval_input, globals_.get(), globals_.get()));
    if (!value) {
      PyErr_Print();
      return "<error>";
    }
    PyRef text = PyRef::Steal(PyObject_Str(value.get()));
    return PyUnicode_AsUTF8(text.get());
  }

 private:
  PyRef globals_;
};

inline std::vector<MountedApp> AtRoot(PyRef app) {
  std::vector<MountedApp> apps;
  apps.push_back({"", std::move(app)});
  return apps;
}

}  // namespace shoal::python
