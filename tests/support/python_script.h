// Python scripts that serve through `import shoal` (package/), for the
// package's tests.
//
// The script runs as /usr/bin/python3 SCRIPT ARGS with PYTHONPATH=
// build/python, where the build puts the package (the extension module
// and package/shoal's .py files). A script that calls run() or
// shoal.serve() becomes shoal's master in its own process, so a test
// watches it as a ShoalProcess: its socket or port, its workers (its
// children), its log (stderr), its exit code (the script's sys.exit).
// The scripts live in tests/package_scripts/. Driven from the test's thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/paths.h"
#include "support/shoal_process.h"

namespace shoal::tests {

inline std::filesystem::path PythonBinary() { return "/usr/bin/python3"; }
// Where the build puts the package: PYTHONPATH for the scripts.
inline std::filesystem::path PackageBuildDir() { return BuildDir() / "python"; }
inline std::filesystem::path PackageScriptsDir() {
  return SourceDir() / "tests" / "package_scripts";
}

// Starts tests/package_scripts/`script` with `args`, its output in
// `log_path`, in the test's environment plus PYTHONPATH and `extra_env`.
// Throws std::runtime_error if python3 cannot be started.
std::unique_ptr<ShoalProcess> StartPythonScript(const std::string& script,
                                                const std::vector<std::string>& args,
                                                const std::filesystem::path& log_path,
                                                const EnvVars& extra_env = {});

// The command that runs `script` with `args` and PYTHONPATH set, through
// /usr/bin/env, for starters that take a plain command (SpawnInetd).
std::vector<std::string> PythonScriptCommand(const std::string& script,
                                             const std::vector<std::string>& args);

}  // namespace shoal::tests
