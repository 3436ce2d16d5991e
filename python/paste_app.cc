#include "python/paste_app.h"

#include "python/interpreter.h"

namespace shoal::python {

Result<PyRef> LoadPasteApp(const std::string& file, const std::string& name) {
  const std::string what =
      "cannot load app from --paste " + file + (name.empty() ? "" : "#" + name) + ": ";
  PyRef deploy = PyRef::Steal(PyImport_ImportModule("paste.deploy"));
  if (!deploy) {
    return Status::Error(what + DescribeAndClearException() +
                         " (PasteDeploy is not installed for this Python: python3-pastedeploy, "
                         "or pip install PasteDeploy)");
  }
  PyRef loadapp = PyRef::Steal(PyObject_GetAttrString(deploy.get(), "loadapp"));
  if (!loadapp) return Status::Error(what + DescribeAndClearException());
  PyRef uri = PyRef::Steal(PyUnicode_FromString(("config:" + file).c_str()));
  if (!uri) return Status::Error(what + DescribeAndClearException());
  PyRef args = PyRef::Steal(PyTuple_Pack(1, uri.get()));
  PyRef kwargs = PyRef::Steal(PyDict_New());
  if (!args || !kwargs) return Status::Error(what + DescribeAndClearException());
  if (!name.empty()) {
    PyRef name_object = PyRef::Steal(PyUnicode_FromString(name.c_str()));
    if (!name_object || PyDict_SetItemString(kwargs.get(), "name", name_object.get()) != 0) {
      return Status::Error(what + DescribeAndClearException());
    }
  }
  PyRef app = PyRef::Steal(PyObject_Call(loadapp.get(), args.get(), kwargs.get()));
  if (!app) return Status::Error(what + DescribeAndClearException());
  if (!PyCallable_Check(app.get())) {
    return Status::Error(what + "loadapp returned a " + Py_TYPE(app.get())->tp_name +
                         ", not a callable");
  }
  return app;
}

}  // namespace shoal::python
