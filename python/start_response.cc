#include "python/start_response.h"

#include "python/type_helpers.h"

namespace shoal::python {
namespace {

struct StartResponseObject {
  PyObject_HEAD
  Response* response;  // null once detached
};

PyTypeObject* start_response_type = nullptr;

Response* Attached(PyObject* self) {
  Response* response = reinterpret_cast<StartResponseObject*>(self)->response;
  if (response == nullptr) {
    PyErr_SetString(PyExc_RuntimeError, "start_response used after its request ended");
  }
  return response;
}

extern PyMethodDef kWriteMethod;

PyObject* Call(PyObject* self, PyObject* args, PyObject* kwargs) {
  static const char* keywords[] = {"status", "headers", "exc_info", nullptr};
  PyObject* status = nullptr;
  PyObject* headers = nullptr;
  PyObject* exc_info = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|O:start_response",
                                   const_cast<char**>(keywords), &status, &headers, &exc_info)) {
    return nullptr;
  }
  Response* response = Attached(self);
  if (response == nullptr || !response->Start(status, headers, exc_info)) return nullptr;
  return PyCFunction_New(&kWriteMethod, self);  // self.write, without the lookup
}

PyObject* Write(PyObject* self, PyObject* data) {
  Response* response = Attached(self);
  if (response == nullptr) return nullptr;
  if (!PyBytes_Check(data)) {
    PyErr_Format(PyExc_TypeError, "write() argument must be bytes, not %s",
                 Py_TYPE(data)->tp_name);
    return nullptr;
  }
  std::string_view chunk(PyBytes_AS_STRING(data), static_cast<size_t>(PyBytes_GET_SIZE(data)));
  // write() is the old imperative interface: the data must be on its way
  // when it returns.
  if (!response->Send(chunk) || !response->Flush()) return nullptr;
  Py_RETURN_NONE;
}

void Dealloc(PyObject* self) { FreeInstance(self); }

PyMethodDef kWriteMethod = {"write", GuardedMethod<Write>(), METH_O,
                            "write(data: bytes): send body data now (PEP 3333)."};
PyMethodDef kMethods[] = {
    kWriteMethod,
    {nullptr, nullptr, 0, nullptr},
};

PyTypeObject* Type() {
  if (start_response_type == nullptr) {
    PyType_Slot slots[] = {
        {Py_tp_dealloc, GuardedSlot<Dealloc>()},
        {Py_tp_call, GuardedSlot<Call>()},
        {Py_tp_methods, kMethods},
        {Py_tp_doc, const_cast<char*>("start_response(status, headers, exc_info=None)")},
        {0, nullptr},
    };
    start_response_type =
        MakeType("shoal.StartResponse", sizeof(StartResponseObject), slots);
  }
  return start_response_type;
}

}  // namespace

PyRef NewStartResponse(Response* response) {
  PyRef object = NewInstance(Type());
  if (object) reinterpret_cast<StartResponseObject*>(object.get())->response = response;
  return object;
}

void DetachStartResponse(PyObject* start_response) {
  if (start_response != nullptr && Py_TYPE(start_response) == start_response_type) {
    reinterpret_cast<StartResponseObject*>(start_response)->response = nullptr;
  }
}

}  // namespace shoal::python
