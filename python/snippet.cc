#include "python/snippet.h"

#include "python/interpreter.h"

namespace shoal::python {

Result<PyRef> DefineFunction(const char* source, const char* name) {
  PyRef globals = PyRef::Steal(PyDict_New());
  if (!globals || PyDict_SetItemString(globals.get(), "__builtins__", PyEval_GetBuiltins()) != 0) {
    return Status::Error(DescribeAndClearException());
  }
  PyRef defined = PyRef::Steal(PyRun_String(source, Py_file_input, globals.get(), globals.get()));
  PyObject* function = defined ? PyDict_GetItemString(globals.get(), name) : nullptr;  // borrowed
  if (function == nullptr) return Status::Error(DescribeAndClearException());
  return PyRef::Borrow(function);
}

}  // namespace shoal::python
