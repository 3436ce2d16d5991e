#include "daemon/python_options.h"

#include <patchlevel.h>  // PY_MAJOR_VERSION, PY_MINOR_VERSION: the Python shoal embeds

#include <filesystem>
#include <fstream>
#include <system_error>

namespace shoal::daemon {
namespace po = boost::program_options;
namespace {

Status Invalid(const std::string& option, const std::string& value, const std::string& why) {
  return Status::Error("invalid value '" + value + "' for --" + option + ": " + why);
}

// Absolute against the starting directory, without a trailing '/'.
std::string Absolute(const std::string& dir) {
  std::filesystem::path path = std::filesystem::absolute(dir).lexically_normal();
  if (!path.has_filename() && path != path.root_path()) path = path.parent_path();
  return path.string();
}

// "3.11" from a pyvenv.cfg's `version = 3.11.2` (or `version_info`, as
// later venvs write it); "" when it says none.
std::string VenvPythonVersion(const std::filesystem::path& cfg) {
  std::ifstream in(cfg);
  std::string line;
  while (std::getline(in, line)) {
    const size_t equals = line.find('=');
    if (equals == std::string::npos) continue;
    std::string key = line.substr(0, equals);
    while (!key.empty() && key.back() == ' ') key.pop_back();
    if (key != "version" && key != "version_info") continue;
    std::string value = line.substr(equals + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    const size_t first_dot = value.find('.');
    const size_t second_dot = value.find('.', first_dot == std::string::npos ? 0 : first_dot + 1);
    return value.substr(0, second_dot);
  }
  return "";
}

Status CheckVirtualenv(const std::string& given, const std::string& dir) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    return Invalid("virtualenv", given, "not a directory");
  }
  const std::filesystem::path cfg = std::filesystem::path(dir) / "pyvenv.cfg";
  if (!std::filesystem::is_regular_file(cfg, error)) {
    return Invalid("virtualenv", given,
                   "no pyvenv.cfg in it, so not a venv (make one with /usr/bin/python3 -m venv "
                   "DIR; for a Python installation prefix, use --python-home)");
  }
  const std::string ours =
      std::to_string(PY_MAJOR_VERSION) + "." + std::to_string(PY_MINOR_VERSION);
  const std::string made_by = VenvPythonVersion(cfg);
  if (!made_by.empty() && made_by != ours) {
    return Invalid("virtualenv", given,
                   "made by Python " + made_by + ", and shoal embeds Python " + ours +
                       " (its packages would not be found)");
  }
  return Status::Ok();
}

Status CheckPythonHome(const std::string& given, const std::string& dir) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    return Invalid("python-home", given, "not a directory");
  }
  if (std::filesystem::exists(std::filesystem::path(dir) / "pyvenv.cfg", error)) {
    return Invalid("python-home", given, "a venv: give it as --virtualenv");
  }
  // Without it Python's start-up fails with a page of path configuration.
  const std::string lib = "lib/python" + std::to_string(PY_MAJOR_VERSION) + "." +
                          std::to_string(PY_MINOR_VERSION);
  if (!std::filesystem::is_directory(std::filesystem::path(dir) / lib / "encodings", error)) {
    return Invalid("python-home", given,
                   "no " + lib + "/encodings under it, so not the prefix of a Python " +
                       lib.substr(10) + " installation (such as /usr)");
  }
  return Status::Ok();
}

// KEY=VALUE pairs of a repeatable option, in order.
Result<std::vector<std::pair<std::string, std::string>>> Pairs(const po::variables_map& vm,
                                                               const std::string& option) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!vm.count(option)) return pairs;
  for (const std::string& text : vm[option].as<std::vector<std::string>>()) {
    const size_t equals = text.find('=');
    if (equals == std::string::npos || equals == 0) {
      return Invalid(option, text, "expected KEY=VALUE");
    }
    pairs.emplace_back(text.substr(0, equals), text.substr(equals + 1));
  }
  return pairs;
}

}  // namespace

std::vector<std::string> SpellOptionAliases(std::vector<std::string> args) {
  for (std::string& arg : args) {
    if (arg == "--") break;  // what follows is not shoal's
    for (const char* alias : {"--venv", "--home"}) {
      const std::string name(alias);
      if (arg == name || arg.starts_with(name + "=")) {
        arg = "--virtualenv" + arg.substr(name.size());
      }
    }
  }
  return args;
}

Status FillPythonOptions(const po::variables_map& vm, Options& o) {
  if (vm.count("virtualenv")) {
    const std::string& given = vm["virtualenv"].as<std::string>();
    o.virtualenv = Absolute(given);
    if (Status venv = CheckVirtualenv(given, o.virtualenv); !venv.ok()) return venv;
  }
  if (vm.count("python-home")) {
    const std::string& given = vm["python-home"].as<std::string>();
    o.python_home = Absolute(given);
    if (Status home = CheckPythonHome(given, o.python_home); !home.ok()) return home;
  }
  o.optimize = vm["optimize"].as<int>();
  if (o.optimize < 0 || o.optimize > 2) {
    return Invalid("optimize", std::to_string(o.optimize),
                   "expected 0, 1 (as python -O) or 2 (as python -OO)");
  }
  auto env = Pairs(vm, "env");
  if (!env.ok()) return env.status();
  for (const auto& [key, value] : env.value()) {
    if (key.starts_with("SHOAL_")) {
      return Invalid("env", key + "=" + value,
                     "SHOAL_ variables are shoal's own options: give the option itself");
    }
  }
  o.env = std::move(env).value();
  auto wsgi_vars = Pairs(vm, "wsgi-var");
  if (!wsgi_vars.ok()) return wsgi_vars.status();
  for (const auto& [key, value] : wsgi_vars.value()) {
    if (key == "wsgi.input" || key == "wsgi.errors") {
      return Invalid("wsgi-var", key + "=" + value, key + " is the request's own stream");
    }
  }
  o.wsgi_vars = std::move(wsgi_vars).value();
  o.strip_authorization = vm["strip-authorization"].as<bool>();
  return Status::Ok();
}

}  // namespace shoal::daemon
