// How the master makes a worker: the one place a worker is forked (or,
// with --lazy-apps, started as a fresh exec), and what the new worker does
// first, in the child, before it runs the serve loop. Part of Master (see
// master.h); master process, except BecomeWorker, which runs in the child
// and never returns.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string>

#include <spdlog/spdlog.h>

#include "base/status.h"
#include "service/exit_codes.h"
#include "service/logging.h"
#include "supervisor/master.h"

namespace shoal::supervisor {

using namespace std::chrono_literals;

WorkerChannels Master::Channels() {
  return {lifeline_read_.get(), broker_->park_fd_for_workers(), broker_->ready_fd_for_workers(),
          &table_->scoreboard()};
}

void Master::SpawnWorker(size_t index) {
  pid_t pid = -1;
  if (hooks_.start_worker) {
    Result<pid_t> started = hooks_.start_worker(static_cast<int>(index), Channels());
    if (started.ok()) {
      pid = started.value();
    } else {
      spdlog::error("{}; retrying in 1 s", started.status().message());
    }
  } else {
    pid = ForkWorker(index);
  }
  if (pid < 0) {
    table_->slot(index).respawn_at = Clock::now() + 1s;
    return;
  }
  table_->Started(index, pid, Clock::now());
  spdlog::info("worker {} pid {} started", index, pid);
}

pid_t Master::ForkWorker(size_t index) {
  if (hooks_.before_fork) hooks_.before_fork();
  pid_t pid = fork();
  if (pid == 0) BecomeWorker(index);
  int saved_errno = errno;
  if (hooks_.after_fork_parent) hooks_.after_fork_parent();
  if (pid < 0) spdlog::error("{}; retrying in 1 s", PosixError("fork", saved_errno).message());
  return pid;
}

void Master::BecomeWorker(size_t index) {
  // The child drops its copies of what is the master's (closing them here
  // does not close the master's).
  signal_fd_.Reset();
  lifeline_write_.Reset();
  broker_->DropInWorker();
  epoll_.Reset();
  stats_.reset();  // (its socket file belongs to the master, which removes it)
  handover_.old_lifeline.Reset();  // the previous workers must see the master go
  handover_.parked.clear();
  config_.readiness.DropInWorker();  // the supervisor's, told by the master
  for (int signal : kHandledSignals) std::signal(signal, SIG_DFL);
  // TERM stays blocked until the worker loop waits for work: one that came
  // while this worker was still setting up then stops it gracefully,
  // instead of killing it with connections queued for it. USR1 (reopen the
  // access log) stays blocked, and pending, until the loop's handler is in
  // place: its default action would kill the worker.
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGUSR1);
  sigprocmask(SIG_SETMASK, &blocked, nullptr);
  service::InitLogging("worker " + std::to_string(index));
  // If the master dies while this worker is busy, finish and exit.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != master_pid_) _exit(service::kExitOk);
  int code = service::kExitWorkerBootError;
  try {
    code = hooks_.run_worker(static_cast<int>(index), Channels());
  } catch (const std::exception& e) {
    spdlog::critical("worker failed: {}", e.what());
  } catch (...) {
    spdlog::critical("worker failed with an unknown exception");
  }
  _exit(code);
}

}  // namespace shoal::supervisor
