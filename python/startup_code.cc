#include "python/startup_code.h"

#include "python/interpreter.h"
#include "python/snippet.h"

namespace shoal::python {
namespace {

constexpr const char* kRun = R"(
def run(label, path, code):
    import sys, types
    module = sys.modules.get('shoal_startup')
    if module is None:
        module = types.ModuleType('shoal_startup', 'what shoal --exec and --exec-file defined')
        sys.modules['shoal_startup'] = module
    if path:
        with open(path, 'rb') as source:
            code = source.read()
    exec(compile(code, path or label, 'exec'), module.__dict__)
)";

}  // namespace

Status RunStartupCode(const std::vector<std::string>& files, const std::vector<std::string>& codes) {
  if (files.empty() && codes.empty()) return Status::Ok();
  Result<PyRef> run = DefineFunction(kRun, "run");
  if (!run.ok()) return run.status();
  auto one = [&run](const std::string& label, const std::string& path,
                    const std::string& code) -> Status {
    PyRef done = PyRef::Steal(PyObject_CallFunction(run.value().get(), "sss", label.c_str(),
                                                    path.c_str(), code.c_str()));
    if (!done) return Status::Error(label + " raised " + DescribeAndClearException());
    return Status::Ok();
  };
  for (const std::string& file : files) {
    if (Status ran = one("--exec-file " + file, file, ""); !ran.ok()) return ran;
  }
  int index = 0;
  for (const std::string& code : codes) {
    const std::string label = "<--exec " + std::to_string(++index) + ">";
    if (Status ran = one(label, "", code); !ran.ok()) {
      return Status::Error("--exec " + std::to_string(index) + ran.message().substr(label.size()));
    }
  }
  return Status::Ok();
}

}  // namespace shoal::python
