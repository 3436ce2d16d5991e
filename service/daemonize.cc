#include "service/daemonize.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace shoal::service {
namespace {

constexpr char kReady = 'R';

// Points `fd` at /dev/null.
void ToDevNull(int fd) {
  UniqueFd null(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (null.valid()) dup2(null.get(), fd);
}

// In the starting process: waits for the daemon's word, then exits.
[[noreturn]] void WaitForDaemon(UniqueFd pipe, pid_t first_child) {
  int status = 0;
  while (waitpid(first_child, &status, 0) < 0 && errno == EINTR) {
  }
  char byte = 0;
  ssize_t got;
  do {
    got = read(pipe.get(), &byte, 1);
  } while (got < 0 && errno == EINTR);
  _exit(got == 1 && byte == kReady ? 0 : 1);
}

}  // namespace

void DaemonReadiness::Ready() {
  if (!pipe_.valid()) return;
  for (int fd : {STDOUT_FILENO, STDERR_FILENO}) {
    if (isatty(fd)) ToDevNull(fd);
  }
  ssize_t wrote;
  do {
    wrote = write(pipe_.get(), &kReady, 1);
  } while (wrote < 0 && errno == EINTR);
  pipe_.Reset();
}

Result<DaemonReadiness> Daemonize() {
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) return PosixError("pipe2", errno);
  UniqueFd read_end(ends[0]);
  UniqueFd write_end(ends[1]);
  pid_t first = fork();
  if (first < 0) return PosixError("fork", errno);
  if (first > 0) {
    write_end.Reset();
    WaitForDaemon(std::move(read_end), first);
  }
  read_end.Reset();
  if (setsid() < 0) _exit(1);  // cannot happen: a fresh child leads no group
  pid_t second = fork();
  if (second < 0) _exit(1);
  if (second > 0) _exit(0);
  ToDevNull(STDIN_FILENO);
  return DaemonReadiness(std::move(write_end));
}

}  // namespace shoal::service
