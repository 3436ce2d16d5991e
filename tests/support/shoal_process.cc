#include "support/shoal_process.h"

#include "support/loopback.h"
#include "support/paths.h"
#include "support/proc.h"
#include "support/wait.h"

namespace shoal::tests {

ShoalProcess::ShoalProcess(const std::vector<std::string>& args,
                           const std::filesystem::path& log_path, const EnvVars& extra_env)
    : child_(ShoalBinary(), args, log_path, SIGTERM, extra_env) {}

ShoalProcess::ShoalProcess(const std::filesystem::path& program,
                           const std::vector<std::string>& args,
                           const std::filesystem::path& log_path, const EnvVars& extra_env)
    : child_(program, args, log_path, SIGTERM, extra_env) {}

bool ShoalProcess::WaitForSocket(const std::filesystem::path& path,
                                 std::chrono::milliseconds timeout) {
  auto exists = [&] {
    std::error_code ignored;
    return std::filesystem::is_socket(path, ignored);
  };
  WaitUntil(timeout, [&] { return exists() || !running(); });
  return exists();
}

bool ShoalProcess::WaitForPort(int port, std::chrono::milliseconds timeout) {
  WaitUntil(timeout, [&] { return IsListeningOnLoopback(port) || !running(); });
  return running() && IsListeningOnLoopback(port);
}

std::vector<pid_t> ShoalProcess::WorkerPids() const { return ChildrenOf(pid()); }

bool ShoalProcess::WaitForWorkers(size_t count, std::chrono::milliseconds timeout) const {
  return WaitUntil(timeout, [&] { return WorkerPids().size() == count; });
}

ShoalRun RunShoalToExit(const std::vector<std::string>& args,
                        const std::filesystem::path& log_path,
                        std::chrono::milliseconds timeout) {
  ShoalRun run;
  {
    ShoalProcess shoal(args, log_path);
    run.exit_code = shoal.WaitForExit(timeout);
    // Leaving the scope stops a shoal that is still running.
  }
  run.output = ReadFileOrEmpty(log_path);
  return run;
}

}  // namespace shoal::tests
