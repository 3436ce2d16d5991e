// Small helpers for defining Python types in C++ with PyType_FromSpec.
#pragma once

#include <Python.h>

#include <exception>
#include <new>
#include <type_traits>

#include "python/py_ref.h"

namespace shoal::python {

// Guarded<F>::Call: the C++ function F as Python calls it (a type slot or
// a method), with no C++ exception crossing into CPython's frames:
// std::bad_alloc becomes MemoryError, any other exception RuntimeError, and
// the call returns its failure value (nullptr, or -1). A void function (a
// dealloc, which must not fail) drops the exception.
template <auto F>
struct Guarded;

template <typename R, typename... Args, R (*F)(Args...)>
struct Guarded<F> {
  static R Call(Args... args) noexcept {
    try {
      return F(args...);
    } catch (const std::bad_alloc&) {
      if constexpr (!std::is_void_v<R>) PyErr_NoMemory();
    } catch (const std::exception& e) {
      if constexpr (!std::is_void_v<R>) PyErr_SetString(PyExc_RuntimeError, e.what());
    } catch (...) {
      if constexpr (!std::is_void_v<R>) PyErr_SetString(PyExc_RuntimeError, "C++ exception");
    }
    if constexpr (std::is_pointer_v<R>) {
      return nullptr;
    } else if constexpr (!std::is_void_v<R>) {
      return static_cast<R>(-1);
    }
  }
};

// F, guarded, as a PyType_Slot pointer.
template <auto F>
void* GuardedSlot() {
  return reinterpret_cast<void*>(&Guarded<F>::Call);
}

// F, guarded, as a PyMethodDef entry (METH_FASTCALL, METH_VARARGS |
// METH_KEYWORDS and the like).
template <auto F>
PyCFunction GuardedMethod() {
  return reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&Guarded<F>::Call));
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

// A new instance of `type` (a type made by MakeType, or null if making it
// failed), or null with a Python error set. REQUIRES: the GIL.
inline PyRef NewInstance(PyTypeObject* type) {
  if (type == nullptr) return PyRef();
  return PyRef::Steal(type->tp_alloc(type, 0));
}

// Frees an instance of a heap type made by MakeType (tp_dealloc's last step).
inline void FreeInstance(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  type->tp_free(self);
  Py_DECREF(type);
}

}  // namespace shoal::python
