#include "support/child_process.h"

#include <sys/wait.h>

#include <boost/process/args.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/io.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "support/wait.h"

namespace shoal::tests {
namespace bp = boost::process;

ChildProcess::ChildProcess(const std::filesystem::path& program,
                           const std::vector<std::string>& args,
                           const std::filesystem::path& output_path, int stop_signal,
                           const EnvVars& extra_env)
    : output_path_(output_path), stop_signal_(stop_signal) {
  bp::environment environment = boost::this_process::environment();
  for (const auto& [name, value] : extra_env) environment.set(name, value);
  std::error_code ec;
  child_ = bp::child(bp::exe = program.string(), bp::args = args, bp::env = environment,
                     bp::std_in < bp::null, (bp::std_out & bp::std_err) > output_path.string(),
                     ec);
  if (ec || !child_.valid()) {
    throw std::runtime_error("cannot start " + program.string() + ": " + ec.message());
  }
}

ChildProcess::~ChildProcess() {
  if (running()) Stop(std::chrono::seconds(10));
}

bool ChildProcess::running() {
  std::error_code ignored;
  return child_.running(ignored);
}

void ChildProcess::Signal(int signo) {
  // Until we reap it, the pid stays ours (if a zombie), so it cannot be reused.
  if (running()) ::kill(child_.id(), signo);
}

std::optional<int> ChildProcess::WaitForExit(std::chrono::milliseconds timeout) {
  if (!WaitUntil(timeout, [this] { return !running(); }, std::chrono::milliseconds(10))) {
    return std::nullopt;
  }
  int status = child_.native_exit_code();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return status;
}

std::optional<int> ChildProcess::Stop(std::chrono::milliseconds grace) {
  using std::chrono::seconds;
  Signal(stop_signal_);
  if (auto status = WaitForExit(grace)) return status;
  if (stop_signal_ != SIGTERM) {
    Signal(SIGTERM);
    if (auto status = WaitForExit(seconds(5))) return status;
  }
  Signal(SIGKILL);
  return WaitForExit(seconds(5));
}

std::string ChildProcess::Output() const { return ReadFileOrEmpty(output_path_); }

std::string ReadFileOrEmpty(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace shoal::tests
