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
#include "supervisor/exec_fields.h"
#include "supervisor/scoreboard.h"

namespace shoal::supervisor {
namespace bp = boost::process;
namespace {

constexpr const char* kVariable = "SHOAL_LAZY_WORKER";

}  // namespace

bool IsLazyWorker() { return std::getenv(kVariable) != nullptr; }

Result<pid_t> StartLazyWorker(const std::string& program, const std::vector<std::string>& argv,
                              int index, int listen_fd, const WorkerChannels& channels) {
  ExecFields fields;
  fields.Add("index", index);
  fields.Add("slots", static_cast<long>(channels.scoreboard->size()));
  fields.Add("master", getpid());
  fields.AddFd("listen", listen_fd);
  fields.AddFd("lifeline", channels.lifeline_fd);
  fields.AddFd("park", channels.park_fd);
  fields.AddFd("ready", channels.ready_fd);
  fields.AddFd("scoreboard", channels.scoreboard->fd());
  // Boost.Process hands the child every fd that is not close-on-exec: these
  // are open exactly for the moment of the spawn.
  ExecFields::Opened opened(fields, kVariable);
  try {
    bp::child child(program, bp::args(std::vector<std::string>(argv.begin() + 1, argv.end())));
    pid_t pid = child.id();
    child.detach();  // the master reaps it with waitpid, as every worker
    return pid;
  } catch (const std::exception& e) {
    return Status::Error("cannot start worker " + std::to_string(index) + " (" + program +
                         "): " + e.what());
  }
}

int RunLazyWorker(const WorkerSettings& settings, const HandlerFactory& make_handler) {
  InheritedFields fields = std::move(InheritedFields::Take(kVariable)).value();
  const int index = static_cast<int>(fields.Number("index", 0));
  service::InitLogging("worker " + std::to_string(index));
  // The master spawned us with its signals blocked; a worker starts with
  // only TERM and USR1 blocked, until its loop waits for work (as a forked
  // one does, see Master::BecomeWorker).
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGUSR1);
  sigprocmask(SIG_SETMASK, &blocked, nullptr);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != static_cast<pid_t>(fields.Number("master"))) {
    return service::kExitOk;  // the master is gone
  }
  UniqueFd listen = fields.TakeFd("listen");
  UniqueFd lifeline = fields.TakeFd("lifeline");
  UniqueFd park = fields.TakeFd("park");
  UniqueFd ready = fields.TakeFd("ready");
  Result<Scoreboard> scoreboard = Scoreboard::Attach(
      fields.TakeFd("scoreboard").Release(), static_cast<size_t>(fields.Number("slots", 0)));
  if (!scoreboard.ok()) {
    spdlog::error("{}", scoreboard.status().message());
    return service::kExitWorkerBootError;
  }
  WorkerChannels channels{lifeline.get(), park.get(), ready.get(), &scoreboard.value()};
  return ServeAsWorker(settings, index, listen.get(), channels, make_handler);
}

}  // namespace shoal::supervisor
