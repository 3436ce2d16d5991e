#include "python/source_files.h"

#include <algorithm>

#include "python/interpreter.h"
#include "python/snippet.h"

namespace shoal::python {
namespace {

constexpr const char* kAppModules = R"(
def app_modules():
    import os, site, sys, sysconfig
    installed = set()
    paths = sysconfig.get_paths()
    for path in [paths.get(key) for key in ('stdlib', 'platstdlib', 'purelib', 'platlib')] + \
            site.getsitepackages():
        if path:
            installed.add(os.path.abspath(path) + os.sep)
            installed.add(os.path.realpath(path) + os.sep)
    found = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, '__file__', None)
        if not isinstance(path, str):
            continue
        if not (path.endswith('.py') or name.startswith('_shoal_wsgi_file_')):
            continue
        real = os.path.realpath(path)
        # Both spellings: Debian's stdlib sitecustomize.py links to /etc.
        if any(p.startswith(prefix) for p in (os.path.abspath(path), real) for prefix in installed):
            continue
        if '/site-packages/' in real or '/dist-packages/' in real:
            continue
        found[name] = real
    return found
)";

constexpr const char* kForget = R"(
def forget(names):
    import importlib, sys
    forgotten = {}
    for name in names:
        if name in sys.modules:
            forgotten[name] = sys.modules.pop(name)
    importlib.invalidate_caches()
    return forgotten
)";

// {module name: real path} of the app's modules.
Result<PyRef> AppModules() {
  Result<PyRef> find = DefineFunction(kAppModules, "app_modules");
  if (!find.ok()) return find.status();
  PyRef found = PyRef::Steal(PyObject_CallNoArgs(find.value().get()));
  if (!found) return Status::Error("cannot list the app's modules: " + DescribeAndClearException());
  return found;
}

}  // namespace

Result<std::vector<std::string>> AppSourceFiles() {
  Result<PyRef> modules = AppModules();
  if (!modules.ok()) return modules.status();
  std::vector<std::string> files;
  PyObject* key = nullptr;
  PyObject* value = nullptr;
  Py_ssize_t position = 0;
  while (PyDict_Next(modules.value().get(), &position, &key, &value)) {
    const char* path = PyUnicode_AsUTF8(value);
    if (path == nullptr) {
      PyErr_Clear();
      continue;
    }
    files.emplace_back(path);
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

Result<PyRef> ForgetAppModules() {
  Result<PyRef> modules = AppModules();
  if (!modules.ok()) return modules.status();
  Result<PyRef> forget = DefineFunction(kForget, "forget");
  if (!forget.ok()) return forget.status();
  PyRef forgotten = PyRef::Steal(PyObject_CallOneArg(forget.value().get(), modules.value().get()));
  if (!forgotten) return Status::Error(DescribeAndClearException());
  return forgotten;
}

void RestoreModules(PyObject* forgotten) {
  PyObject* modules = PySys_GetObject("modules");  // borrowed
  if (modules == nullptr || PyDict_Update(modules, forgotten) != 0) PyErr_Clear();
}

}  // namespace shoal::python
