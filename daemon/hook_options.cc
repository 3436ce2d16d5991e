#include "daemon/hook_options.h"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace shoal::daemon {
namespace po = boost::program_options;
namespace {

Status Invalid(const std::string& option, const std::string& value, const std::string& why) {
  return Status::Error("invalid value '" + value + "' for --" + option + ": " + why);
}

// "pkg.mod:name" as given; an error unless both parts are there and the
// module is a module name, not a file.
Status CheckCallable(const std::string& option, const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Invalid(option, text, "expected MODULE:CALLABLE");
  }
  const std::string module = text.substr(0, colon);
  if (module.find('/') != std::string::npos || module.ends_with(".py")) {
    return Invalid(option, text, "expected a module name, not a file (put its directory on "
                                 "--pythonpath)");
  }
  return Status::Ok();
}

std::vector<std::string> Many(const po::variables_map& vm, const std::string& option) {
  return vm.count(option) ? vm[option].as<std::vector<std::string>>() : std::vector<std::string>{};
}

}  // namespace

Status FillHookOptions(const po::variables_map& vm, Options& o) {
  HookOptions& hooks = o.hooks;
  hooks.middleware = Many(vm, "middleware");
  for (const std::string& text : hooks.middleware) {
    if (Status checked = CheckCallable("middleware", text); !checked.ok()) return checked;
  }
  for (auto [name, field] : {std::pair{"on-request", &hooks.on_request},
                             std::pair{"after-request", &hooks.after_request}}) {
    if (!vm.count(name)) continue;
    *field = vm[name].as<std::string>();
    if (Status checked = CheckCallable(name, *field); !checked.ok()) return checked;
  }
  hooks.exec = Many(vm, "exec");
  for (const std::string& code : hooks.exec) {
    if (code.find_first_not_of(" \t\r\n") == std::string::npos) {
      return Invalid("exec", code, "expected Python code");
    }
  }
  for (const std::string& given : Many(vm, "exec-file")) {
    // Absolute before --chdir moves the working directory.
    const std::string path = std::filesystem::absolute(given).lexically_normal().string();
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
      return Invalid("exec-file", given, "not a file");
    }
    if (::access(path.c_str(), R_OK) != 0) return Invalid("exec-file", given, "not readable");
    hooks.exec_files.push_back(path);
  }
  hooks.reload_on_change = vm["reload-on-change"].as<bool>();
  const std::string& mechanism = vm["reload-mechanism"].as<std::string>();
  if (mechanism == "process") {
    hooks.reload_mechanism = ReloadMechanism::kProcess;
  } else if (mechanism == "module") {
    hooks.reload_mechanism = ReloadMechanism::kModule;
  } else {
    return Invalid("reload-mechanism", mechanism, "expected process or module");
  }
  hooks.head_skip_body = vm["head-skip-body"].as<bool>();
  return Status::Ok();
}

}  // namespace shoal::daemon
