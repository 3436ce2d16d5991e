// Small helpers for defining Python types in C++ with PyType_FromSpec.
#pragma once

#include <Python.h>

namespace shoal::python {

// A C function as a PyType_Slot pointer.
template <typename Function>
void* FunctionSlot(Function* function) {
  return reinterpret_cast<void*>(function);
}

// A method taking other than (self, arg) as a PyMethodDef entry
// (METH_FASTCALL, METH_VARARGS | METH_KEYWORDS).
template <typename Function>
PyCFunction MethodCast(Function* function) {
  return reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(function));
}

// Creates a heap type; unless `instantiable`, Python code cannot create
// instances. Returns null with a Python error set on failure.
// REQUIRES: the GIL.
inline PyTypeObject* MakeType(const char* name, size_t basic_size, PyType_Slot* slots,
                              bool instantiable = false) {
  auto flags = static_cast<unsigned>(Py_TPFLAGS_DEFAULT) | (instantiable ? 0u : static_cast<unsigned>(Py_TPFLAGS_DISALLOW_INSTANTIATION));
  PyType_Spec spec = {name, static_cast<int>(basic_size), 0, flags, slots};
  return reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&spec));
}

// Frees an instance of a heap type made by MakeType (tp_dealloc's last step).
inline void FreeInstance(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  type->tp_free(self);
  Py_DECREF(type);
}

}  // namespace shoal::python
