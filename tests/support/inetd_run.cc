#include "support/inetd_run.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <poll.h>

#include <gtest/gtest.h>

#include "support/fastcgi_client.h"
#include "support/paths.h"
#include "support/wait.h"

namespace shoal::tests {

InetdRun SpawnInetdShoal(const std::vector<std::string>& args, const std::filesystem::path& log) {
  std::vector<std::string> command = {ShoalBinary().string()};
  command.insert(command.end(), args.begin(), args.end());
  return SpawnInetd(std::move(command), log);
}

InetdRun SpawnInetd(std::vector<std::string> command, const std::filesystem::path& log) {
  InetdRun run;
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return run;
  Fd ours(pair[0]), theirs(pair[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), 1);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  for (std::string& arg : command) argv.push_back(arg.data());
  argv.push_back(nullptr);
  if (::posix_spawn(&run.pid, command[0].c_str(), &actions, nullptr, argv.data(), environ) != 0) {
    run.pid = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  if (run.pid > 0) run.peer = std::move(ours);
  return run;
}

std::string ReadToEof(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[8192];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

void WriteAllTo(int fd, const std::string& bytes) {
  size_t at = 0;
  while (at < bytes.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, 5000) <= 0) {
      ADD_FAILURE() << "fd " << fd << " took no more bytes for 5 s";
      return;
    }
    ssize_t n = ::write(fd, bytes.data() + at, bytes.size() - at);
    if (n <= 0) {
      ADD_FAILURE() << "write to fd " << fd << " failed";
      return;
    }
    at += static_cast<size_t>(n);
  }
}

std::string ScgiRequest(const std::string& uri) {
  size_t question = uri.find('?');
  std::string query = question == std::string::npos ? "" : uri.substr(question + 1);
  std::string headers = std::string("CONTENT_LENGTH") + '\0' + "0" + '\0' + "SCGI" + '\0' + "1" +
                        '\0' + "QUERY_STRING" + '\0' + query +
                        '\0' + "REQUEST_METHOD" + '\0' + "GET" + '\0' + "REQUEST_URI" + '\0' + uri +
                        '\0' + "SERVER_NAME" + '\0' + "localhost" + '\0' + "SERVER_PORT" + '\0' +
                        "80" + '\0' + "SERVER_PROTOCOL" + '\0' + "HTTP/1.1" + '\0';
  return std::to_string(headers.size()) + ":" + headers + ",";
}

std::string FastCgiStdout(const std::string& wire) {
  std::string out;
  for (const auto& [type, content] : fastcgi::Records(wire)) {
    if (type == 6) out += content;
  }
  return out;
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
