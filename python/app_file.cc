#include "python/app_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>

#include "python/interpreter.h"

namespace shoal::python {
namespace {

// Run with the file's module name and path; returns the module. Written in
// Python because it is importlib's own API, a few calls long.
constexpr const char* kRunFile = R"(
def run(name, path):
    import importlib.machinery, importlib.util, os, sys
    directory = os.path.dirname(path)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    # An explicit loader: spec_from_file_location alone knows only .py files.
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
)";

}  // namespace

std::string AppFileModuleName(const std::string& path) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a: the same in every process
  for (unsigned char c : path) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(hash));
  return std::string("_shoal_wsgi_file_") + hex;
}

Result<PyRef> RunAppFile(const std::string& path) {
  if (::access(path.c_str(), R_OK) != 0) return PosixError("access(" + path + ", R_OK)", errno);
  PyRef globals = PyRef::Steal(PyDict_New());
  if (!globals || PyDict_SetItemString(globals.get(), "__builtins__", PyEval_GetBuiltins()) != 0) {
    return Status::Error(DescribeAndClearException());
  }
  PyRef defined =
      PyRef::Steal(PyRun_String(kRunFile, Py_file_input, globals.get(), globals.get()));
  PyObject* run = defined ? PyDict_GetItemString(globals.get(), "run") : nullptr;  // borrowed
  if (run == nullptr) return Status::Error(DescribeAndClearException());
  PyRef module = PyRef::Steal(PyObject_CallFunction(run, "ss", AppFileModuleName(path).c_str(),
                                                    path.c_str()));
  if (!module) return Status::Error(DescribeAndClearException());
  return module;
}

}  // namespace shoal::python
