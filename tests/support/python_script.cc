#include "support/python_script.h"

namespace shoal::tests {

std::unique_ptr<ShoalProcess> StartPythonScript(const std::string& script,
                                                const std::vector<std::string>& args,
                                                const std::filesystem::path& log_path,
                                                const EnvVars& extra_env) {
  std::vector<std::string> full = {(PackageScriptsDir() / script).string()};
  full.insert(full.end(), args.begin(), args.end());
  EnvVars env = {{"PYTHONPATH", PackageBuildDir().string()}, {"PYTHONDONTWRITEBYTECODE", "1"}};
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  return std::make_unique<ShoalProcess>(PythonBinary(), full, log_path, env);
}

std::vector<std::string> PythonScriptCommand(const std::string& script,
                                             const std::vector<std::string>& args) {
  std::vector<std::string> command = {"/usr/bin/env", "PYTHONPATH=" + PackageBuildDir().string(),
                                      "PYTHONDONTWRITEBYTECODE=1", PythonBinary().string(),
                                      (PackageScriptsDir() / script).string()};
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

}  // namespace shoal::tests
