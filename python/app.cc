#include "python/app.h"

#include "python/interpreter.h"
#include "python/paste_app.h"

namespace shoal::python {

Result<PyRef> LoadApp(const std::string& module, const std::string& callable) {
  const std::string app = module + ":" + callable;
  PyRef object = PyRef::Steal(PyImport_ImportModule(module.c_str()));
  if (!object) {
    return Status::Error("cannot import app '" + app + "': " + DescribeAndClearException());
  }
  size_t start = 0;
  while (start <= callable.size()) {
    size_t dot = callable.find('.', start);
    std::string name = callable.substr(start, dot == std::string::npos ? dot : dot - start);
    object = PyRef::Steal(PyObject_GetAttrString(object.get(), name.c_str()));
    if (!object) {
      PyErr_Clear();
      return Status::Error("cannot load app '" + app + "': module '" + module + "' has no '" +
                           callable + "'");
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (!PyCallable_Check(object.get())) {
    return Status::Error("cannot load app '" + app + "': '" + callable + "' is a " +
                         Py_TYPE(object.get())->tp_name + ", not callable");
  }
  return object;
}

Result<std::vector<MountedApp>> LoadApps(const std::vector<AppSpec>& specs) {
  std::vector<MountedApp> apps;
  for (const AppSpec& spec : specs) {
    Result<PyRef> app = spec.paste_file.empty() ? LoadApp(spec.module, spec.callable)
                                                : LoadPasteApp(spec.paste_file, spec.paste_name);
    if (!app.ok()) return app.status();
    apps.push_back({spec.prefix, std::move(app).value()});
  }
  return apps;
}

}  // namespace shoal::python
