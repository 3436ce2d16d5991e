#include "python/log_stream.h"

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "service/logging.h"
#include "python/interpreter.h"
#include "python/type_helpers.h"

namespace shoal::python {
namespace {

// Room left in a log record for the message after its prefix.
constexpr size_t kMaxPiece = service::kMaxLogLine - 128;

struct LogStreamObject {
  PyObject_HEAD
  spdlog::level::level_enum level;
  int fd;
  const char* name;
  std::string pending;  // text after the last newline
};

PyTypeObject* log_stream_type = nullptr;  // owned by the interpreter for its lifetime

LogStreamObject* Self(PyObject* self) { return reinterpret_cast<LogStreamObject*>(self); }

void EmitLine(LogStreamObject* self, std::string_view line) {
  while (line.size() > kMaxPiece) {
    spdlog::log(self->level, "{}", line.substr(0, kMaxPiece));
    line.remove_prefix(kMaxPiece);
  }
  spdlog::log(self->level, "{}", line);
}

void EmitComplete(LogStreamObject* self) {
  std::string& pending = self->pending;
  size_t start = 0;
  for (size_t newline; (newline = pending.find('\n', start)) != std::string::npos;
       start = newline + 1) {
    EmitLine(self, std::string_view(pending).substr(start, newline - start));
  }
  pending.erase(0, start);
  if (pending.size() > kMaxPiece) {
    EmitLine(self, pending);
    pending.clear();
  }
}

void Flush(LogStreamObject* self) {
  if (self->pending.empty()) return;
  EmitLine(self, self->pending);
  self->pending.clear();
}

PyObject* Write(PyObject* self, PyObject* text) {
  if (!PyUnicode_Check(text)) {
    PyErr_Format(PyExc_TypeError, "write() argument must be str, not %s", Py_TYPE(text)->tp_name);
    return nullptr;
  }
  PyRef bytes = PyRef::Steal(PyUnicode_AsEncodedString(text, "utf-8", "backslashreplace"));
  if (!bytes) return nullptr;
  Self(self)->pending.append(PyBytes_AS_STRING(bytes.get()),
                             static_cast<size_t>(PyBytes_GET_SIZE(bytes.get())));
  EmitComplete(Self(self));
  return PyLong_FromSsize_t(PyUnicode_GET_LENGTH(text));
}

PyObject* WriteLines(PyObject* self, PyObject* lines) {
  PyRef iterator = PyRef::Steal(PyObject_GetIter(lines));
  if (!iterator) return nullptr;
  while (PyRef line = PyRef::Steal(PyIter_Next(iterator.get()))) {
    PyRef written = PyRef::Steal(Write(self, line.get()));
    if (!written) return nullptr;
  }
  if (PyErr_Occurred()) return nullptr;
  Py_RETURN_NONE;
}

PyObject* FlushMethod(PyObject* self, PyObject*) {
  Flush(Self(self));
  Py_RETURN_NONE;
}
PyObject* FileNo(PyObject* self, PyObject*) { return PyLong_FromLong(Self(self)->fd); }
PyObject* ReturnFalse(PyObject*, PyObject*) { Py_RETURN_FALSE; }
PyObject* ReturnTrue(PyObject*, PyObject*) { Py_RETURN_TRUE; }
PyObject* GetEncoding(PyObject*, void*) { return PyUnicode_FromString("utf-8"); }
PyObject* GetErrors(PyObject*, void*) { return PyUnicode_FromString("backslashreplace"); }
PyObject* GetName(PyObject* self, void*) { return PyUnicode_FromString(Self(self)->name); }
PyObject* GetClosed(PyObject*, void*) { Py_RETURN_FALSE; }

void Dealloc(PyObject* self) {
  Flush(Self(self));
  std::destroy_at(&Self(self)->pending);
  FreeInstance(self);
}

PyMethodDef kMethods[] = {
    {"write", GuardedMethod<Write>(), METH_O, "Write text; whole lines go to the log."},
    {"writelines", GuardedMethod<WriteLines>(), METH_O, "Write each string of an iterable."},
    {"flush", GuardedMethod<FlushMethod>(), METH_NOARGS, "Log any partial line now."},
    {"fileno", GuardedMethod<FileNo>(), METH_NOARGS, "The fd behind the log."},
    {"isatty", ReturnFalse, METH_NOARGS, nullptr},
    {"readable", ReturnFalse, METH_NOARGS, nullptr},
    {"seekable", ReturnFalse, METH_NOARGS, nullptr},
    {"writable", ReturnTrue, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

PyGetSetDef kGetSet[] = {
    {"encoding", GetEncoding, nullptr, nullptr, nullptr},
    {"errors", GetErrors, nullptr, nullptr, nullptr},
    {"name", GetName, nullptr, nullptr, nullptr},
    {"closed", GetClosed, nullptr, nullptr, nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyTypeObject* Type() {
  if (log_stream_type == nullptr) {
    PyType_Slot slots[] = {
        {Py_tp_dealloc, GuardedSlot<Dealloc>()},
        {Py_tp_methods, kMethods},
        {Py_tp_getset, kGetSet},
        {Py_tp_doc, const_cast<char*>("A text stream into shoal's log.")},
        {0, nullptr},
    };
    log_stream_type = MakeType("shoal.LogStream", sizeof(LogStreamObject), slots);
  }
  return log_stream_type;
}

// The installed sys.stdout and sys.stderr; kept alive for the process's life
// even if the app replaces them.
PyObject* installed_stdout = nullptr;
PyObject* installed_stderr = nullptr;

}  // namespace

PyRef NewLogStream(spdlog::level::level_enum level, int fd, const char* name) {
  PyRef object = NewInstance(Type());
  if (!object) return object;
  LogStreamObject* self = Self(object.get());
  self->level = level;
  self->fd = fd;
  self->name = name;
  std::construct_at(&self->pending);
  return object;
}

Status InstallLogStreams() {
  PyRef out = NewLogStream(spdlog::level::info, 1, "<stdout>");
  PyRef err = NewLogStream(spdlog::level::err, 2, "<stderr>");
  if (!out || !err || PySys_SetObject("stdout", out.get()) != 0 ||
      PySys_SetObject("stderr", err.get()) != 0) {
    return Status::Error("cannot replace sys.stdout and sys.stderr: " +
                         DescribeAndClearException());
  }
  installed_stdout = out.Release();
  installed_stderr = err.Release();
  return Status::Ok();
}

void FlushLogStream(PyObject* stream) {
  if (stream != nullptr && Py_TYPE(stream) == log_stream_type) Flush(Self(stream));
}

void FlushLogStreams() {
  FlushLogStream(installed_stdout);
  FlushLogStream(installed_stderr);
}

}  // namespace shoal::python
