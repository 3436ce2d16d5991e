#include "supervisor/lazy_worker.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <map>
#include <sstream>

#include <boost/process.hpp>
#include <spdlog/spdlog.h>

#include "service/exit_codes.h"
#include "service/logging.h"
#include "supervisor/scoreboard.h"

namespace shoal::supervisor {
namespace bp = boost::process;
namespace {

constexpr const char* kEnvironment = "SHOAL_LAZY_WORKER";

void SetCloseOnExec(int fd, bool on) { fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0); }

// "index=1,listen=3,..." → {"index": 1, "listen": 3, ...}
std::map<std::string, long> ParseSpec(const std::string& spec) {
  std::map<std::string, long> values;
  std::istringstream in(spec);
  for (std::string item; std::getline(in, item, ',');) {
    size_t eq = item.find('=');
    if (eq != std::string::npos) values[item.substr(0, eq)] = std::atol(item.c_str() + eq + 1);
  }
  return values;
}

}  // namespace

bool IsLazyWorker() { return std::getenv(kEnvironment) != nullptr; }

Result<pid_t> StartLazyWorker(const std::string& program, const std::vector<std::string>& argv,
                              int index, int listen_fd,
                              const WorkerChannels& channels) {
  const int fds[] = {listen_fd, channels.lifeline_fd, channels.park_fd, channels.ready_fd,
                     channels.scoreboard->fd()};
  std::string spec = "index=" + std::to_string(index) + ",listen=" + std::to_string(listen_fd) +
                     ",lifeline=" + std::to_string(channels.lifeline_fd) +
                     ",park=" + std::to_string(channels.park_fd) +
                     ",ready=" + std::to_string(channels.ready_fd) +
                     ",scoreboard=" + std::to_string(channels.scoreboard->fd()) +
                     ",slots=" + std::to_string(channels.scoreboard->size()) +
                     ",master=" + std::to_string(getpid());
  // Boost.Process hands the child every fd that is not close-on-exec: open
  // exactly these for the moment of the spawn.
  for (int fd : fds) SetCloseOnExec(fd, false);
  Result<pid_t> started = Status::Error("");
  try {
    bp::child child(program, bp::args(std::vector<std::string>(argv.begin() + 1, argv.end())),
                    bp::env[kEnvironment] = spec);
    started = child.id();
    child.detach();  // the master reaps it with waitpid, as every worker
  } catch (const std::exception& e) {
    started = Status::Error("cannot start worker " + std::to_string(index) + " (" + program +
                            "): " + e.what());
  }
  for (int fd : fds) SetCloseOnExec(fd, true);
  return started;
}

int RunLazyWorker(const WorkerSettings& settings, const HandlerFactory& make_handler) {
  std::map<std::string, long> spec = ParseSpec(std::getenv(kEnvironment));
  unsetenv(kEnvironment);
  const int index = static_cast<int>(spec["index"]);
  service::InitLogging("worker " + std::to_string(index));
  // The master spawned us with its signals blocked; a worker starts with
  // only TERM blocked, until its loop waits for work (as a forked one does,
  // see Master::BecomeWorker).
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_SETMASK, &term, nullptr);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != static_cast<pid_t>(spec["master"])) return service::kExitOk;  // the master is gone
  for (const char* name : {"listen", "lifeline", "park", "ready", "scoreboard"}) {
    SetCloseOnExec(static_cast<int>(spec[name]), true);
  }

  Result<Scoreboard> scoreboard = Scoreboard::Attach(
      static_cast<int>(spec["scoreboard"]), static_cast<size_t>(spec["slots"]));
  if (!scoreboard.ok()) {
    spdlog::error("{}", scoreboard.status().message());
    return service::kExitWorkerBootError;
  }
  WorkerChannels channels{static_cast<int>(spec["lifeline"]), static_cast<int>(spec["park"]),
                          static_cast<int>(spec["ready"]), &scoreboard.value()};
  return ServeAsWorker(settings, index, static_cast<int>(spec["listen"]), channels, make_handler);
}

}  // namespace shoal::supervisor
