#include "supervisor/master.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "base/epoll_watch.h"
#include "base/status.h"
#include "service/boot_signals.h"
#include "service/exit_codes.h"
#include "service/logging.h"
#include "supervisor/stats.h"

namespace shoal::supervisor {
namespace {

using namespace std::chrono_literals;

// After the grace, a worker still running has this long to write its
// traceback before it is killed.
constexpr auto kTracebackGrace = 1s;

}  // namespace

Master::Master(MasterConfig config, WorkerHooks hooks, std::optional<Listener> stats,
               Handover handover)
    : config_(std::move(config)),
      hooks_(std::move(hooks)),
      policy_(config_.pool),
      stats_listener_(std::move(stats)),
      handover_(std::move(handover)) {}

bool Master::SetUp() {
  auto fail = [](const Status& status) {
    spdlog::critical("{}", status.message());
    return false;
  };
  sigset_t handled;
  sigemptyset(&handled);
  for (int signal : kHandledSignals) sigaddset(&handled, signal);
  if (sigprocmask(SIG_BLOCK, &handled, nullptr) != 0) return fail(PosixError("sigprocmask", errno));
  service::EndBootSignals();  // blocked now: from here they come through the signalfd
  signal_fd_.Reset(signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd_.valid()) return fail(PosixError("signalfd", errno));
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return fail(PosixError("pipe2", errno));
  lifeline_read_.Reset(pipe_fds[0]);
  lifeline_write_.Reset(pipe_fds[1]);
  epoll_.Reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return fail(PosixError("epoll_create1", errno));
  auto broker = ConnectionBroker::Create(epoll_.get(), config_.idle_timeout,
                                         config_.max_idle_connections,
                                         std::move(handover_.channels));
  handover_.channels.reset();
  if (!broker.ok()) return fail(broker.status());
  broker_ = std::move(broker).value();
  Result<WorkerTable> table = WorkerTable::Create(policy_.capacity());
  if (!table.ok()) return fail(table.status());
  table_.emplace(std::move(table).value());
  if (stats_listener_) {
    stats_ = std::make_unique<StatsServer>(std::move(*stats_listener_), epoll_.get(), [this] {
      return TakeSnapshot(*table_, master_pid_, broker_->idle_connections(), config_.listen_fd);
    });
    stats_listener_.reset();
  }
  if (!config_.watch_files.empty() || !config_.watch_dirs.empty()) {
    Result<SourceWatch> watch = SourceWatch::Create(config_.watch_files, config_.watch_dirs);
    Status added = watch.ok() ? WatchFd(epoll_.get(), watch.value().fd(), EPOLLIN) : watch.status();
    if (!added.ok()) return fail(Status::Error("--reload-on-change: " + added.message()));
    source_watch_.emplace(std::move(watch).value());
    spdlog::info("--reload-on-change: watching {} source files and {} directories",
                 source_watch_->files(), source_watch_->dirs());
  }
  Status watched = WatchFd(epoll_.get(), signal_fd_.get(), EPOLLIN);
  return watched.ok() || fail(watched);
}

int Master::Run() {
  master_pid_ = getpid();
  if (!SetUp()) return service::kExitFailure;
  for (size_t i = 0; i < policy_.target(); ++i) SpawnWorker(i);
  TakeOverFromPreviousImage();

  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  while (!(stopping_ && table_->Live() == 0) && !gave_up_) {
    const Clock::time_point woke = Clock::now();
    std::optional<Clock::time_point> next_expiry = broker_->ExpireIdle(woke);
    if (stats_) {
      if (std::optional<Clock::time_point> stats_expiry = stats_->Expire(woke)) {
        next_expiry = next_expiry ? std::min(*next_expiry, *stats_expiry) : *stats_expiry;
      }
    }
    int count = epoll_wait(epoll_.get(), events, kMaxEvents, PollTimeoutMs(next_expiry));
    if (count < 0 && errno != EINTR) {
      spdlog::critical("{}", PosixError("epoll_wait", errno).message());
      table_->SignalAll(SIGKILL);
      return service::kExitFailure;
    }
    for (int i = 0; i < count; ++i) {
      int fd = events[i].data.fd;
      if (fd == signal_fd_.get()) {
        HandleSignals();
      } else if (source_watch_ && fd == source_watch_->fd()) {
        HandleSourceChange();
      } else if (stats_ && stats_->Owns(fd)) {
        stats_->OnEvent(fd, events[i].events);
      } else if (reload_check_ && reload_check_->Owns(fd)) {
        OnReloadCheckReport();
      } else {
        broker_->OnEvent(fd);
      }
    }
    broker_->Dispatch();
    ActOnSourceChange();
    if (Clock::time_point now = Clock::now(); child_exited_ || now >= next_reap_) {
      child_exited_ = false;
      next_reap_ = now + 1s;
      ReapWorkers();
    }
    AdvanceReloadCheck();
    if (stopping_) {
      EscalateStop();
    } else {
      ManageWorkers();
    }
  }
  broker_->Clear();
  if (gave_up_) {
    table_->SignalAll(SIGKILL);
    while (table_->Live() > 0 && waitpid(-1, nullptr, 0) > 0) ReapWorkers();
    return service::kExitFailure;
  }
  spdlog::info("all workers stopped; exiting");
  return service::kExitOk;
}

void Master::TakeOverFromPreviousImage() {
  if (!handover_.old_lifeline.valid()) return;
  // The new workers are up: the previous image's workers may go now. They
  // finish the request in hand and exit.
  handover_.old_lifeline.Reset();
  for (HandedConnection& parked : handover_.parked) broker_->Park(std::move(parked));
  handover_.parked.clear();
  spdlog::info("re-executed; the previous workers finish their requests and leave");
}

void Master::HandleSignals() {
  signalfd_siginfo info{};
  while (read(signal_fd_.get(), &info, sizeof(info)) == sizeof(info)) {
    int signal = static_cast<int>(info.ssi_signo);
    switch (signal) {
      case SIGTERM: HandleTerm(); break;
      case SIGINT:
      case SIGQUIT: HandleInt(signal); break;
      case SIGHUP:
      case SIGUSR2: HandleHup(signal); break;
      case SIGTTIN: HandleTtin(); break;
      case SIGTTOU: HandleTtou(); break;
      case SIGCHLD: child_exited_ = true; break;
      case SIGCONT: break;
      case SIGUSR1: HandleUsr1(); break;
      default: spdlog::info("signal {} ({}) ignored", signal, strsignal(signal));
    }
  }
}

// TERM: a graceful stop; a second one kills the workers at once. (HUP and
// USR2 too, with stop_on_hup.)
void Master::HandleTerm(int signal) {
  if (stopping_) {
    spdlog::warn("signal {} ({}) during shutdown; killing {} worker(s) now", signal,
                 strsignal(signal), table_->Live());
    table_->SignalAll(SIGKILL);
    return;
  }
  stopping_ = true;
  config_.readiness.Stopping();
  broker_->StopParking();
  stop_deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(config_.graceful_timeout);
  spdlog::info("signal {} ({}): stopping{}; in-flight requests get up to {} s", signal,
               strsignal(signal), reload_asked_ ? " to be reloaded (run() returns True)" : "",
               config_.graceful_timeout.count());
  table_->SignalAll(SIGTERM);
}

// INT and QUIT: stop now; requests in flight fail.
void Master::HandleInt(int signal) {
  spdlog::info("signal {} ({}): stopping now; killing {} worker(s)", signal, strsignal(signal),
               table_->Live());
  stopping_ = true;
  config_.readiness.Stopping();
  broker_->StopParking();
  stop_deadline_ = kill_at_ = Clock::time_point::max();
  table_->SignalAll(SIGKILL);
}

// --reload-on-change: a source file changed. Noted; acted on once the
// edits settle (ActOnSourceChange).
void Master::HandleSourceChange() {
  const std::optional<SourceWatch::Change> changed = source_watch_->Changed();
  if (!changed || stopping_) return;
  if (!source_settle_.due_at()) source_changed_ = changed->path;
  source_settle_.Note(Clock::now(), changed->saves);
}

// The edits have settled: reloads as HUP does (with its checks), or has the
// workers load the app afresh (--reload-mechanism module).
void Master::ActOnSourceChange() {
  const int events = source_settle_.TakeIfDue(Clock::now());
  if (events == 0 || stopping_) return;
  std::string changed = source_changed_ + " changed";
  if (events > 1) changed += fmt::format(" (and {} more save{})", events - 1, events > 2 ? "s" : "");
  if (config_.reload_in_workers) {
    table_->scoreboard().RequestAppReload();
    spdlog::info("{}: the workers load the app afresh before their next request", changed);
    return;
  }
  if (reload_check_) {
    // Not ignored as a second HUP is: the check may be reading the files
    // halfway through a set of edits, and the last of them must count.
    source_changed_during_check_ = true;
    spdlog::info("{} during the reload check (pid {}): checked again if this check "
                 "refuses the reload",
                 changed, reload_check_->pid());
    return;
  }
  spdlog::info("{}: reloading as on HUP", changed);
  HandleHup(SIGHUP);
}

// USR1: reopen the access log (logrotate's postrotate sends it). The
// master's copy is reopened first, so the new file exists; each worker
// reopens its own between requests.
void Master::HandleUsr1() {
  if (!config_.access_log) {
    spdlog::info("signal {} ({}): logs go to stderr and there is no --access-log; nothing to "
                 "reopen",
                 SIGUSR1, strsignal(SIGUSR1));
    return;
  }
  Status reopened = config_.access_log->Reopen();
  table_->SignalAll(SIGUSR1);
  if (reopened.ok()) {
    spdlog::info("signal {} ({}): reopened --access-log {}; the workers reopen it between "
                 "requests",
                 SIGUSR1, strsignal(SIGUSR1), config_.access_log->path());
  } else {
    spdlog::error("signal {} ({}): cannot reopen --access-log: {}", SIGUSR1, strsignal(SIGUSR1),
                  reopened.message());
  }
}

void Master::HandleTtin() {
  std::string said = policy_.Grow(WorkerTable::kMaxWorkers);
  table_->Grow(policy_.capacity());
  spdlog::info("{}", said);
}

void Master::HandleTtou() {
  std::optional<size_t> retire;
  spdlog::info("{}", policy_.Shrink(retire));
  // The one leaving finishes its request first.
  if (retire && table_->slot(*retire).pid > 0) kill(table_->slot(*retire).pid, SIGTERM);
}

void Master::ReapWorkers() {
  int status = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    std::optional<WorkerTable::Departed> gone = table_->Exited(pid);
    if (!gone) {
      NoteOtherChildExited(pid, status);
      continue;
    }
    const size_t index = gone->index;
    const Clock::time_point now = Clock::now();
    const bool wanted = !stopping_ && (policy_.settings().adaptive || index < policy_.target());
    StartBackoff::Verdict verdict = backoff_.Judge({.status = status,
                                                    .ready = gone->slot.ready,
                                                    .retired = gone->slot.retiring,
                                                    .timed_out = gone->slot.timed_out_at.has_value(),
                                                    .unresponsive = gone->slot.unresponsive,
                                                    .wanted = wanted,
                                                    .requests = gone->requests});
    table_->slot(index).respawn_at = now + verdict.respawn_after;
    if (verdict.kind == StartBackoff::Kind::kGiveUp) gave_up_ = true;
    spdlog::log(ExitLogLevel(verdict.kind),
                ExitLogLine(verdict, index, pid, status, gone->requests, backoff_));
  }
}

void Master::ManageWorkers() {
  for (size_t i = 0; i < table_->size(); ++i) {
    if (table_->NoteReady(i)) {
      backoff_.WorkerReady();
      if (!config_.readiness.told_ready()) {
        config_.readiness.Ready(std::to_string(table_->Live()) + " worker(s) started, serving");
      }
    }
  }
  const int64_t now_ms = Scoreboard::NowMs();
  PoolPolicy::Actions actions = policy_.Decide(table_->PolicyView(), Clock::now(), now_ms);
  for (size_t index : actions.spawn) SpawnWorker(index);
  for (size_t index : actions.retire) {
    table_->slot(index).retiring = true;
    kill(table_->slot(index).pid, SIGTERM);
  }
  for (size_t index : actions.dump_traceback) {
    WorkerTable::Slot& slot = table_->slot(index);
    ScoreboardSlot& score = table_->score(index);
    spdlog::error("worker {} pid {}: '{}' ran past --timeout ({} s); its Python traceback "
                  "follows, then it is killed",
                  index, slot.pid, score.request_line,
                  std::chrono::duration<double>(config_.pool.request_timeout).count());
    kill(slot.pid, SIGUSR2);  // faulthandler dumps every thread's traceback
    slot.timed_out_at = Clock::now();
    score.timeouts.fetch_add(1);
  }
  for (size_t index : actions.kill) {
    kill(table_->slot(index).pid, SIGKILL);
    table_->slot(index).timed_out_at = Clock::time_point::max();
  }
  for (size_t index : actions.unresponsive) KillUnresponsiveWorker(index, now_ms);
}

// An idle worker silent past --heartbeat-timeout (stopped, or stuck in C
// code) can answer no signal but KILL; it is replaced when reaped.
void Master::KillUnresponsiveWorker(size_t index, int64_t now_ms) {
  WorkerTable::Slot& slot = table_->slot(index);
  const int64_t silent_ms = now_ms - table_->score(index).heartbeat_ms.load();
  spdlog::error("worker {} pid {} idle and silent for {:.1f} s (--heartbeat-timeout {} s); "
                "killing it",
                index, slot.pid, static_cast<double>(silent_ms) / 1000,
                std::chrono::duration<double>(config_.pool.heartbeat_timeout).count());
  kill(slot.pid, SIGKILL);
  slot.unresponsive = true;
}

// Past --graceful-timeout: every thread's traceback of each worker still
// running goes to the log, and a second later the workers are killed.
void Master::EscalateStop() {
  const Clock::time_point now = Clock::now();
  if (table_->Live() == 0) return;
  if (now >= kill_at_) {
    table_->SignalAll(SIGKILL);
    kill_at_ = Clock::time_point::max();
  } else if (now >= stop_deadline_) {
    spdlog::warn("graceful timeout of {} s reached; {} worker(s) still running: their Python "
                 "tracebacks follow, then they are killed",
                 config_.graceful_timeout.count(), table_->Live());
    table_->SignalAll(SIGUSR2);
    stop_deadline_ = Clock::time_point::max();
    kill_at_ = now + kTracebackGrace;
  }
}

int Master::PollTimeoutMs(std::optional<Clock::time_point> next_expiry) const {
  Clock::time_point deadline = std::min(stop_deadline_, kill_at_);
  if (!stopping_) {
    for (size_t i = 0; i < table_->size(); ++i) {
      if (table_->slot(i).pid == 0) deadline = std::min(deadline, table_->slot(i).respawn_at);
    }
  }
  if (next_expiry) deadline = std::min(deadline, *next_expiry);
  if (reload_check_) deadline = std::min(deadline, reload_check_->deadline());
  if (auto settled = source_settle_.due_at()) deadline = std::min(deadline, *settled);
  // Stuck requests, and an adaptive pool's idle count, are looked at a few
  // times a second (workers change state without telling the master);
  // heartbeats a few times per --heartbeat-timeout, at least once a second.
  if (config_.pool.request_timeout.count() > 0 || config_.pool.adaptive) {
    deadline = std::min(deadline, Clock::now() + 250ms);
  }
  if (config_.pool.heartbeat_timeout.count() > 0) {
    deadline = std::min(deadline, Clock::now() + std::clamp<Clock::duration>(
                                                      config_.pool.heartbeat_timeout / 4, 250ms, 1s));
  }
  // Workers say they are ready only in the scoreboard: until the
  // supervisor has been told, look often.
  if (config_.readiness.wanted() && !config_.readiness.told_ready()) {
    deadline = std::min(deadline, Clock::now() + 50ms);
  }
  if (deadline == Clock::time_point::max()) return -1;
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<int64_t>(wait.count(), 0, 60'000));
}

}  // namespace shoal::supervisor
