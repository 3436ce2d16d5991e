#include "supervisor/reload_preflight.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "base/epoll_watch.h"

extern char** environ;

namespace shoal::supervisor {
namespace {

// A report is one log line; more than this is cut.
constexpr size_t kMaxReport = 4000;

// The master's environment, with SHOAL_RELOAD_CHECK naming the report fd.
std::vector<std::string> CheckEnvironment() {
  const std::string prefix = std::string(ReloadPreflight::kVariable) + "=";
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, prefix.c_str(), prefix.size()) != 0) environment.emplace_back(*entry);
  }
  environment.push_back(prefix + std::to_string(ReloadPreflight::kReportFd));
  return environment;
}

std::vector<char*> Pointers(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (const std::string& text : strings) pointers.push_back(const_cast<char*>(text.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

Result<std::unique_ptr<ReloadPreflight>> ReloadPreflight::Start(
    const std::string& program, const std::vector<std::string>& argv,
    const std::string& start_dir, int epoll_fd, Clock::duration limit) {
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) return PosixError("pipe2", errno);
  UniqueFd read_end(ends[0]);
  UniqueFd write_end(ends[1]);
  if (fcntl(read_end.get(), F_SETFL, O_NONBLOCK) != 0) return PosixError("fcntl(O_NONBLOCK)", errno);

  SpawnSetup setup;
  // stdin from /dev/null (it may have been a listening socket once); the
  // pipe as fd 3 (dup2 clears close-on-exec, even onto itself); nothing
  // else above stderr, whatever the master holds without close-on-exec.
  posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, write_end.get(), kReportFd);
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, kReportFd + 1);
  // The master's signals are blocked (it reads them from a signalfd); the
  // check starts with none blocked, so the KILL at its deadline is not the
  // only thing that can stop it.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&setup.attributes, &none);
  posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSIGMASK);

  const std::vector<std::string> environment = CheckEnvironment();
  std::vector<char*> args = Pointers(argv);
  std::vector<char*> env = Pointers(environment);
  // Where the first image started, as Reexec does: relative paths in
  // `argv` mean the same; a directory --user may not enter is skipped.
  UniqueFd here(open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!start_dir.empty()) (void)chdir(start_dir.c_str());
  pid_t pid = -1;
  const int failed =
      posix_spawn(&pid, program.c_str(), &setup.actions, &setup.attributes, args.data(), env.data());
  if (here.valid()) (void)fchdir(here.get());
  if (failed != 0) return PosixError("posix_spawn(" + program + ")", failed);
  write_end.Reset();  // the child's alone now: EOF when it is gone

  auto check = std::make_unique<ReloadPreflight>(Started{}, pid, std::move(read_end), epoll_fd,
                                                 Clock::now(), limit);
  if (Status watched = WatchFd(epoll_fd, check->report_.get(), EPOLLIN); !watched.ok()) {
    return watched;  // (the destructor kills and reaps the child)
  }
  return check;
}

ReloadPreflight::ReloadPreflight(Started, pid_t pid, UniqueFd report, int epoll_fd,
                                 Clock::time_point started, Clock::duration limit)
    : pid_(pid),
      owner_(getpid()),
      report_(std::move(report)),
      epoll_fd_(epoll_fd),
      started_(started),
      deadline_(started + limit) {}

ReloadPreflight::~ReloadPreflight() {
  if (getpid() != owner_) return;  // a worker's copy: the child is not its
  if (report_.valid()) {
    // Removed by hand: a worker forked meanwhile holds a copy of the fd,
    // and epoll forgets an fd only once every copy is closed.
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, report_.get(), nullptr);
  }
  if (!reaped_) {
    kill(pid_, SIGKILL);
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

void ReloadPreflight::Drain() {
  char buffer[1024];
  while (report_.valid()) {
    ssize_t got = read(report_.get(), buffer, sizeof(buffer));
    if (got > 0) {
      if (received_.size() < kMaxReport) {
        received_.append(buffer, std::min(static_cast<size_t>(got), kMaxReport - received_.size()));
      }
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) return;
    // EOF (or an error, as final): nothing more will come.
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, report_.get(), nullptr);
    report_.Reset();
  }
}

std::optional<PreflightVerdict> ReloadPreflight::LineVerdict() const {
  const size_t end = received_.find('\n');
  if (end == std::string::npos) return std::nullopt;
  std::string line = received_.substr(0, end);
  if (line == "ok") return PreflightVerdict{.ok = true};
  if (line.empty()) line = "the check (pid " + std::to_string(pid_) + ") gave an empty report";
  return PreflightVerdict{.ok = false, .reason = std::move(line)};
}

std::optional<PreflightVerdict> ReloadPreflight::OnReadable() {
  Drain();
  return LineVerdict();
}

PreflightVerdict ReloadPreflight::Exited(int wait_status) {
  reaped_ = true;
  Drain();  // what it wrote before it exited is in the pipe
  if (std::optional<PreflightVerdict> verdict = LineVerdict()) return *verdict;
  std::string how;
  if (WIFSIGNALED(wait_status)) {
    how = fmt::format("the check (pid {}) was killed by signal {} ({}){}", pid_,
                      WTERMSIG(wait_status), strsignal(WTERMSIG(wait_status)),
                      WCOREDUMP(wait_status) ? " (core dumped)" : "");
  } else {
    how = fmt::format("the check (pid {}) exited with status {} and no report", pid_,
                      WEXITSTATUS(wait_status));
  }
  if (!received_.empty()) how += ": " + received_;
  return {.ok = false, .reason = std::move(how)};
}

std::optional<PreflightVerdict> ReloadPreflight::Expire(Clock::time_point now) {
  if (now < deadline_) return std::nullopt;
  if (!reaped_) kill(pid_, SIGKILL);  // reaped by the destructor
  const std::chrono::duration<double> waited = deadline_ - started_;
  return PreflightVerdict{
      .ok = false,
      .reason = fmt::format("the new image did not load the app within {:g} s (the check, pid {}, "
                            "was killed)",
                            waited.count(), pid_)};
}

}  // namespace shoal::supervisor
