#include "python/file_wrapper.h"

#include <structmember.h>
#include <sys/stat.h>
#include <unistd.h>

#include "python/type_helpers.h"

namespace shoal::python {
namespace {

constexpr Py_ssize_t kDefaultBlockSize = 64 * 1024;

struct FileWrapperObject {
  PyObject_HEAD
  PyObject* filelike;  // owned
  Py_ssize_t blksize;
};

PyTypeObject* file_wrapper_type = nullptr;

FileWrapperObject* Self(PyObject* self) { return reinterpret_cast<FileWrapperObject*>(self); }

PyObject* New(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
  static const char* keywords[] = {"filelike", "blksize", nullptr};
  PyObject* filelike = nullptr;
  Py_ssize_t blksize = kDefaultBlockSize;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|n:file_wrapper", const_cast<char**>(keywords),
                                   &filelike, &blksize)) {
    return nullptr;
  }
  if (blksize <= 0) {
    PyErr_SetString(PyExc_ValueError, "blksize must be positive");
    return nullptr;
  }
  PyObject* self = type->tp_alloc(type, 0);
  if (self == nullptr) return nullptr;
  Self(self)->filelike = Py_NewRef(filelike);
  Self(self)->blksize = blksize;
  return self;
}

void Dealloc(PyObject* self) {
  Py_CLEAR(Self(self)->filelike);
  FreeInstance(self);
}

PyObject* Iter(PyObject* self) { return Py_NewRef(self); }

PyObject* Next(PyObject* self) {
  PyRef block = PyRef::Steal(
      PyObject_CallMethod(Self(self)->filelike, "read", "n", Self(self)->blksize));
  if (!block) return nullptr;
  if (!PyBytes_Check(block.get())) {
    PyErr_Format(PyExc_TypeError, "file_wrapper: read() returned %s, not bytes",
                 Py_TYPE(block.get())->tp_name);
    return nullptr;
  }
  if (PyBytes_GET_SIZE(block.get()) == 0) return nullptr;  // StopIteration
  return block.Release();
}

PyObject* Close(PyObject* self, PyObject*) {
  PyRef close = PyRef::Steal(PyObject_GetAttrString(Self(self)->filelike, "close"));
  if (!close) {
    PyErr_Clear();
    Py_RETURN_NONE;
  }
  return PyObject_CallNoArgs(close.get());
}

PyMethodDef kMethods[] = {
    {"close", GuardedMethod<Close>(), METH_NOARGS, "Close the wrapped file."},
    {nullptr, nullptr, 0, nullptr},
};

PyMemberDef kMembers[] = {
    {"filelike", T_OBJECT, offsetof(FileWrapperObject, filelike), READONLY, nullptr},
    {"blksize", T_PYSSIZET, offsetof(FileWrapperObject, blksize), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr},
};

// An integer result of calling `method` on `object`, or -1 (error cleared).
long long CallForInteger(PyObject* object, const char* method) {
  PyRef result = PyRef::Steal(PyObject_CallMethod(object, method, nullptr));
  long long value = result ? PyLong_AsLongLong(result.get()) : -1;
  if (PyErr_Occurred()) {
    PyErr_Clear();
    return -1;
  }
  return value;
}

}  // namespace

PyObject* FileWrapperType() {
  if (file_wrapper_type == nullptr) {
    PyType_Slot slots[] = {
        {Py_tp_new, GuardedSlot<New>()},
        {Py_tp_dealloc, GuardedSlot<Dealloc>()},
        {Py_tp_iter, GuardedSlot<Iter>()},
        {Py_tp_iternext, GuardedSlot<Next>()},
        {Py_tp_methods, kMethods},
        {Py_tp_members, kMembers},
        {Py_tp_doc, const_cast<char*>("wsgi.file_wrapper(filelike, blksize=65536)")},
        {0, nullptr},
    };
    file_wrapper_type = MakeType("shoal.FileWrapper", sizeof(FileWrapperObject), slots,
                                 /*instantiable=*/true);
  }
  return reinterpret_cast<PyObject*>(file_wrapper_type);
}

std::optional<FileSource> RegularFileOf(PyObject* result) {
  if (file_wrapper_type == nullptr || Py_TYPE(result) != file_wrapper_type) return std::nullopt;
  PyObject* filelike = Self(result)->filelike;
  long long fd = CallForInteger(filelike, "fileno");
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  // tell() knows about data a buffered file object has read ahead.
  long long offset = CallForInteger(filelike, "tell");
  if (offset < 0) offset = lseek(static_cast<int>(fd), 0, SEEK_CUR);
  if (offset < 0) return std::nullopt;
  return FileSource{static_cast<int>(fd), static_cast<uint64_t>(offset),
                    static_cast<uint64_t>(st.st_size)};
}

}  // namespace shoal::python
