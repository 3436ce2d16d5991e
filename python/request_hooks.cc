#include "python/request_hooks.h"

#include <tuple>

#include <spdlog/spdlog.h>

#include "python/app.h"
#include "python/interpreter.h"

namespace shoal::python {

Result<RequestHooks> LoadRequestHooks(const std::string& on_request,
                                      const std::string& after_request) {
  RequestHooks hooks;
  for (auto [option, text, field] :
       {std::tuple{"on-request", &on_request, &hooks.on_request},
        std::tuple{"after-request", &after_request, &hooks.after_request}}) {
    if (text->empty()) continue;
    Result<PyRef> loaded = ImportCallable(option, *text);
    if (!loaded.ok()) return loaded.status();
    *field = std::move(loaded).value();
  }
  return hooks;
}

Result<PyRef> CallOnRequest(const RequestHooks& hooks, PyObject* environ) {
  PyRef answer = PyRef::Steal(PyObject_CallOneArg(hooks.on_request.get(), environ));
  if (!answer) return Status::Error("--on-request raised");
  if (answer.get() == Py_None) return PyRef();
  if (!PyCallable_Check(answer.get())) {
    PyErr_Format(PyExc_TypeError,
                 "--on-request returned %s: expected None or a WSGI application",
                 Py_TYPE(answer.get())->tp_name);
    return Status::Error("--on-request returned a non-callable");
  }
  return answer;
}

void CallAfterRequest(const RequestHooks& hooks, PyObject* environ, const std::string& status,
                      uint64_t bytes_sent, double seconds, const std::string& request_line) {
  PyRef status_text = PyRef::Steal(
      PyUnicode_DecodeLatin1(status.data(), static_cast<Py_ssize_t>(status.size()), nullptr));
  PyRef sent = PyRef::Steal(PyLong_FromUnsignedLongLong(bytes_sent));
  PyRef duration = PyRef::Steal(PyFloat_FromDouble(seconds));
  PyRef done;
  if (status_text && sent && duration) {
    done = PyRef::Steal(PyObject_CallFunctionObjArgs(hooks.after_request.get(), environ,
                                                     status_text.get(), sent.get(),
                                                     duration.get(), nullptr));
  }
  if (!done) {
    spdlog::error("{}: exception in --after-request: {}", request_line,
                  DescribeAndClearException());
  }
}

}  // namespace shoal::python
