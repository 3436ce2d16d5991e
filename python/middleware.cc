#include "python/middleware.h"

#include "python/app.h"
#include "python/interpreter.h"

namespace shoal::python {

Result<PyRef> WrapInMiddleware(PyRef app, const std::vector<std::string>& middleware) {
  for (const std::string& text : middleware) {
    Result<PyRef> wrap = ImportCallable("middleware", text);
    if (!wrap.ok()) return wrap.status();
    const std::string name = text.substr(text.find(':') + 1);
    PyRef wrapped = PyRef::Steal(PyObject_CallOneArg(wrap.value().get(), app.get()));
    if (!wrapped) {
      return Status::Error("--middleware '" + text + "': " + name + "(app) raised " +
                           DescribeAndClearException());
    }
    if (!PyCallable_Check(wrapped.get())) {
      return Status::Error("--middleware '" + text + "': " + name + "(app) returned a " +
                           Py_TYPE(wrapped.get())->tp_name + ", not a WSGI callable");
    }
    app = std::move(wrapped);
  }
  return app;
}

}  // namespace shoal::python
