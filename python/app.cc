#include "python/app.h"

#include "python/app_file.h"
#include "python/interpreter.h"
#include "python/paste_app.h"

namespace shoal::python {
namespace {

// How the app is named in messages: "pkg:app", "pkg:make()", "/srv/site.wsgi:application".
std::string AppName(const AppSpec& spec) {
  return (spec.file.empty() ? spec.module : spec.file) + ":" + spec.callable +
         (spec.factory ? "()" : "");
}

}  // namespace

Result<PyRef> LoadApp(const AppSpec& spec) {
  if (!spec.paste_file.empty()) return LoadPasteApp(spec.paste_file, spec.paste_name);
  const std::string app = AppName(spec);
  PyRef object;
  if (spec.file.empty()) {
    object = PyRef::Steal(PyImport_ImportModule(spec.module.c_str()));
    if (!object) {
      return Status::Error("cannot import app '" + app + "': " + DescribeAndClearException());
    }
  } else {
    Result<PyRef> module = RunAppFile(spec.file);
    if (!module.ok()) {
      return Status::Error("cannot load app '" + app + "': " + module.status().message());
    }
    object = std::move(module).value();
  }
  const std::string& callable = spec.callable;
  const std::string where =
      spec.file.empty() ? "module '" + spec.module + "'" : "'" + spec.file + "'";
  size_t start = 0;
  while (start <= callable.size()) {
    size_t dot = callable.find('.', start);
    std::string name = callable.substr(start, dot == std::string::npos ? dot : dot - start);
    object = PyRef::Steal(PyObject_GetAttrString(object.get(), name.c_str()));
    if (!object) {
      PyErr_Clear();
      return Status::Error("cannot load app '" + app + "': " + where + " has no '" + callable +
                           "'");
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (!PyCallable_Check(object.get())) {
    return Status::Error("cannot load app '" + app + "': '" + callable + "' is a " +
                         Py_TYPE(object.get())->tp_name + ", not callable");
  }
  if (spec.factory) {
    // Called once, here: in the master it builds the app every worker shares.
    object = PyRef::Steal(PyObject_CallNoArgs(object.get()));
    if (!object) {
      return Status::Error("cannot load app '" + app + "': " + callable + "() raised " +
                           DescribeAndClearException());
    }
    if (!PyCallable_Check(object.get())) {
      return Status::Error("cannot load app '" + app + "': " + callable + "() returned a " +
                           Py_TYPE(object.get())->tp_name + ", not a WSGI callable");
    }
  }
  return object;
}

Result<PyRef> ImportCallable(const std::string& option, const std::string& text) {
  const size_t colon = text.find(':');
  const std::string module = text.substr(0, colon);
  const std::string callable = colon == std::string::npos ? "" : text.substr(colon + 1);
  const std::string named = "--" + option + " '" + text + "': ";
  PyRef object = PyRef::Steal(PyImport_ImportModule(module.c_str()));
  if (!object) return Status::Error(named + "cannot import: " + DescribeAndClearException());
  size_t start = 0;
  while (start <= callable.size()) {
    const size_t dot = callable.find('.', start);
    const std::string name = callable.substr(start, dot == std::string::npos ? dot : dot - start);
    object = PyRef::Steal(PyObject_GetAttrString(object.get(), name.c_str()));
    if (!object) {
      PyErr_Clear();
      return Status::Error(named + "module '" + module + "' has no '" + callable + "'");
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (!PyCallable_Check(object.get())) {
    return Status::Error(named + "'" + callable + "' is a " + Py_TYPE(object.get())->tp_name +
                         ", not callable");
  }
  return object;
}

Result<std::vector<MountedApp>> LoadApps(const std::vector<AppSpec>& specs) {
  std::vector<MountedApp> apps;
  for (const AppSpec& spec : specs) {
    Result<PyRef> app = LoadApp(spec);
    if (!app.ok()) return app.status();
    apps.push_back({spec.prefix, std::move(app).value()});
  }
  return apps;
}

}  // namespace shoal::python
