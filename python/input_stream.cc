#include "python/input_stream.h"

#include <algorithm>
#include <memory>
#include <string>

#include "python/type_helpers.h"

namespace shoal::python {
namespace {

constexpr size_t kChunk = 64 * 1024;
// read(n) with nothing buffered and n up to this reads straight into the
// bytes object it returns (no zero-filled buffer, no second copy).
constexpr size_t kMaxDirectRead = 1 << 20;

struct InputStreamObject {
  PyObject_HEAD
  protocols::BodyReader* body;    // null once detached
  int64_t remaining;              // body bytes not yet read from the body; < 0: unknown
  uint64_t unread_allowed;        // body bytes --max-body-size still allows
  bool over_limit;                // the body passed --max-body-size
  bool at_end;                    // the body has no more body
  std::string buffer;             // read from the body, not yet by the app
  size_t position;                // start of the unread part of buffer
};

PyTypeObject* input_stream_type = nullptr;

InputStreamObject* Self(PyObject* self) { return reinterpret_cast<InputStreamObject*>(self); }

size_t Buffered(const InputStreamObject* self) { return self->buffer.size() - self->position; }

// Returns false with ValueError set if the request is over.
bool CheckAttached(const InputStreamObject* self) {
  if (self->body != nullptr) return true;
  PyErr_SetString(PyExc_ValueError, "wsgi.input used after its request ended");
  return false;
}

// The OSError an app sees when the body cannot be read.
void SetReadError(const Status& status) {
  PyErr_Format(PyExc_OSError, "request body read failed: %s", status.message().c_str());
}

// Counts `got` bytes read against --max-body-size. Returns false with
// OSError set once the body has passed it.
bool CountRead(InputStreamObject* self, size_t got) {
  if (got <= self->unread_allowed) {
    self->unread_allowed -= got;
    return true;
  }
  self->over_limit = true;
  PyErr_SetString(PyExc_OSError, "request body over --max-body-size");
  return false;
}

// Reads up to one more chunk from the body into the buffer. Returns false
// with a Python error set on failure.
bool Fill(InputStreamObject* self) {
  if (!CheckAttached(self)) return false;
  if (self->at_end) return true;
  size_t want = kChunk;
  if (self->remaining >= 0) want = std::min<size_t>(want, static_cast<size_t>(self->remaining));
  if (want == 0) {
    self->at_end = true;
    return true;
  }
  if (self->position > 0 && self->position >= self->buffer.size() / 2) {
    self->buffer.erase(0, self->position);
    self->position = 0;
  }
  size_t old_size = self->buffer.size();
  self->buffer.resize(old_size + want);
  Result<size_t> got = self->body->ReadBody(self->buffer.data() + old_size, want);
  if (!got.ok()) {
    self->buffer.resize(old_size);
    SetReadError(got.status());
    return false;
  }
  self->buffer.resize(old_size + got.value());
  if (!CountRead(self, got.value())) {
    self->buffer.resize(old_size);
    return false;
  }
  if (self->remaining >= 0) self->remaining -= static_cast<int64_t>(got.value());
  if (got.value() < want) self->at_end = true;  // the body reader fills all it can before returning
  return true;
}

PyObject* Take(InputStreamObject* self, size_t size) {
  size = std::min(size, Buffered(self));
  PyObject* bytes =
      PyBytes_FromStringAndSize(self->buffer.data() + self->position, static_cast<Py_ssize_t>(size));
  if (bytes != nullptr) self->position += size;
  return bytes;
}

// Parses an optional size argument; None or negative mean "no limit" (-1).
bool ParseSize(PyObject* const* args, Py_ssize_t nargs, const char* method, Py_ssize_t* size) {
  *size = -1;
  if (nargs > 1) {
    PyErr_Format(PyExc_TypeError, "%s() takes at most 1 argument (%zd given)", method, nargs);
    return false;
  }
  if (nargs == 0 || args[0] == Py_None) return true;
  *size = PyLong_AsSsize_t(args[0]);
  if (*size == -1 && PyErr_Occurred()) return false;
  if (*size < 0) *size = -1;
  return true;
}

// read(size) when nothing is buffered: the body bytes go from the body reader
// into the bytes object itself.
PyObject* ReadDirect(InputStreamObject* self, size_t size) {
  if (self->remaining >= 0) size = std::min<size_t>(size, static_cast<size_t>(self->remaining));
  if (size == 0) {
    if (self->remaining == 0) self->at_end = true;
    return PyBytes_FromStringAndSize(nullptr, 0);
  }
  PyObject* bytes = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(size));
  if (bytes == nullptr) return nullptr;
  Result<size_t> got = self->body->ReadBody(PyBytes_AS_STRING(bytes), size);
  if (!got.ok()) {
    Py_DECREF(bytes);
    SetReadError(got.status());
    return nullptr;
  }
  if (!CountRead(self, got.value())) {
    Py_DECREF(bytes);
    return nullptr;
  }
  if (self->remaining >= 0) self->remaining -= static_cast<int64_t>(got.value());
  if (got.value() < size) {
    self->at_end = true;  // the body reader fills all it can before returning
    if (_PyBytes_Resize(&bytes, static_cast<Py_ssize_t>(got.value())) != 0) return nullptr;
  }
  return bytes;
}

PyObject* Read(PyObject* object, PyObject* const* args, Py_ssize_t nargs) {
  InputStreamObject* self = Self(object);
  Py_ssize_t size = 0;
  if (!ParseSize(args, nargs, "read", &size) || !CheckAttached(self)) return nullptr;
  size_t limit = size < 0 ? SIZE_MAX : static_cast<size_t>(size);
  if (Buffered(self) == 0 && !self->at_end && limit <= kMaxDirectRead) {
    return ReadDirect(self, limit);
  }
  while (Buffered(self) < limit && !self->at_end) {
    if (!Fill(self)) return nullptr;
  }
  return Take(self, limit);
}

PyObject* ReadLine(PyObject* object, PyObject* const* args, Py_ssize_t nargs) {
  InputStreamObject* self = Self(object);
  Py_ssize_t size = 0;
  if (!ParseSize(args, nargs, "readline", &size) || !CheckAttached(self)) return nullptr;
  size_t limit = size < 0 ? SIZE_MAX : static_cast<size_t>(size);
  size_t scanned = 0;
  for (;;) {
    std::string_view unread(self->buffer.data() + self->position, Buffered(self));
    size_t newline = unread.find('\n', scanned);
    if (newline != std::string_view::npos) return Take(self, std::min(newline + 1, limit));
    if (unread.size() >= limit || self->at_end) return Take(self, limit);
    scanned = unread.size();
    if (!Fill(self)) return nullptr;
  }
}

PyObject* ReadLines(PyObject* object, PyObject* const* args, Py_ssize_t nargs) {
  Py_ssize_t hint = 0;
  if (!ParseSize(args, nargs, "readlines", &hint)) return nullptr;
  PyRef lines = PyRef::Steal(PyList_New(0));
  if (!lines) return nullptr;
  Py_ssize_t total = 0;
  for (;;) {
    PyRef line = PyRef::Steal(ReadLine(object, nullptr, 0));
    if (!line) return nullptr;
    Py_ssize_t length = PyBytes_GET_SIZE(line.get());
    if (length == 0) break;
    if (PyList_Append(lines.get(), line.get()) != 0) return nullptr;
    total += length;
    if (hint > 0 && total >= hint) break;
  }
  return lines.Release();
}

PyObject* Next(PyObject* object) {
  PyRef line = PyRef::Steal(ReadLine(object, nullptr, 0));
  if (!line || PyBytes_GET_SIZE(line.get()) == 0) return nullptr;  // StopIteration
  return line.Release();
}

PyObject* Iter(PyObject* self) { return Py_NewRef(self); }

void Dealloc(PyObject* self) {
  std::destroy_at(&Self(self)->buffer);
  FreeInstance(self);
}

PyMethodDef kMethods[] = {
    {"read", GuardedMethod<Read>(), METH_FASTCALL,
     "read([size]) -> bytes"},
    {"readline", GuardedMethod<ReadLine>(),
     METH_FASTCALL, "readline([size]) -> bytes"},
    {"readlines", GuardedMethod<ReadLines>(),
     METH_FASTCALL, "readlines([hint]) -> list of bytes"},
    {nullptr, nullptr, 0, nullptr},
};

PyTypeObject* Type() {
  if (input_stream_type == nullptr) {
    PyType_Slot slots[] = {
        {Py_tp_dealloc, GuardedSlot<Dealloc>()},
        {Py_tp_methods, kMethods},
        {Py_tp_iter, GuardedSlot<Iter>()},
        {Py_tp_iternext, GuardedSlot<Next>()},
        {Py_tp_doc, const_cast<char*>("wsgi.input: the request body.")},
        {0, nullptr},
    };
    input_stream_type = MakeType("shoal.InputStream", sizeof(InputStreamObject), slots);
  }
  return input_stream_type;
}

}  // namespace

PyRef NewInputStream(protocols::BodyReader* body, int64_t content_length, uint64_t max_size) {
  PyRef object = NewInstance(Type());
  if (!object) return object;
  InputStreamObject* self = Self(object.get());
  self->body = body;
  self->remaining = content_length;
  self->unread_allowed = max_size > 0 ? max_size : UINT64_MAX;
  self->over_limit = false;
  self->at_end = content_length == 0;
  self->position = 0;
  std::construct_at(&self->buffer);
  return object;
}

bool InputStreamOverLimit(PyObject* stream) {
  return stream != nullptr && Py_TYPE(stream) == input_stream_type && Self(stream)->over_limit;
}

void DetachInputStream(PyObject* stream) {
  if (stream != nullptr && Py_TYPE(stream) == input_stream_type) {
    InputStreamObject* self = Self(stream);
    self->body = nullptr;
    self->buffer.clear();
    self->buffer.shrink_to_fit();
    self->position = 0;
  }
}

}  // namespace shoal::python
