#include "support/inetd_run.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/paths.h"
#include "support/wait.h"

namespace shoal::tests {

InetdRun SpawnInetdShoal(const std::vector<std::string>& args, const std::filesystem::path& log) {
  InetdRun run;
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return run;
  Fd ours(pair[0]), theirs(pair[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), 1);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> full = {ShoalBinary().string()};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : full) argv.push_back(arg.data());
  argv.push_back(nullptr);
  if (::posix_spawn(&run.pid, full[0].c_str(), &actions, nullptr, argv.data(), environ) != 0) {
    run.pid = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  if (run.pid > 0) run.peer = std::move(ours);
  return run;
}

std::optional<int> WaitForPid(pid_t pid, std::chrono::milliseconds timeout) {
  int status = 0;
  bool exited = WaitUntil(timeout, [&] { return ::waitpid(pid, &status, WNOHANG) == pid; });
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return std::nullopt;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace shoal::tests
