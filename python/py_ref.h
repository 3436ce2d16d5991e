// PyRef: the owner of one strong reference to a Python object.
//
// Move-only. Steal() adopts a new reference (what most C API calls return);
// Borrow() takes a borrowed one and adds a reference. The destructor drops
// the reference, so it REQUIRES the GIL wherever a PyRef dies.
#pragma once

#include <Python.h>

#include <utility>

namespace shoal::python {

class PyRef {
 public:
  PyRef() = default;
  static PyRef Steal(PyObject* object) { return PyRef(object); }
  static PyRef Borrow(PyObject* object) {
    Py_XINCREF(object);
    return PyRef(object);
  }

  PyRef(PyRef&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  PyRef& operator=(PyRef&& other) noexcept {
    if (this != &other) {
      PyObject* old = std::exchange(object_, std::exchange(other.object_, nullptr));
      Py_XDECREF(old);
    }
    return *this;
  }
  PyRef(const PyRef&) = delete;
  PyRef& operator=(const PyRef&) = delete;
  ~PyRef() { Py_XDECREF(object_); }

  PyObject* get() const { return object_; }
  explicit operator bool() const { return object_ != nullptr; }
  // Hands the reference to the caller (e.g. to return it to Python).
  PyObject* Release() { return std::exchange(object_, nullptr); }

 private:
  explicit PyRef(PyObject* object) : object_(object) {}
  PyObject* object_ = nullptr;
};

}  // namespace shoal::python
