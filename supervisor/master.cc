#include "supervisor/master.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <string>
#include <tuple>
#include <utility>

#include <spdlog/spdlog.h>

#include "base/status.h"
#include "daemon/exit_codes.h"
#include "daemon/logging.h"

namespace shoal::supervisor {
namespace {

using namespace std::chrono_literals;

// A worker that exits sooner than this after its start counts as a failed start.
constexpr auto kStartWindow = 1s;
constexpr auto kFirstBackoff = 100ms;
constexpr auto kMaxBackoff = 10s;
constexpr int kMaxStartFailures = 8;

constexpr int kHandledSignals[] = {SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP,
                                   SIGUSR1, SIGUSR2, SIGTTIN, SIGTTOU, SIGCONT};

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    std::string text = "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                       strsignal(WTERMSIG(status)) + ")";
    if (WCOREDUMP(status)) text += " (core dumped)";
    return text;
  }
  return "ended with status " + std::to_string(status);
}

}  // namespace

Master::Master(MasterConfig config, WorkerHooks hooks, std::optional<Listener> stats,
               Handover handover)
    : config_(config),
      hooks_(std::move(hooks)),
      slots_(static_cast<size_t>(config.adaptive ? config.max_children : config.workers)),
      target_workers_(static_cast<size_t>(config.workers)),
      stats_listener_(std::move(stats)),
      handover_(std::move(handover)) {}

bool Master::Watch(int fd, uint32_t events) {
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    spdlog::critical("{}", PosixError("epoll_ctl", errno).message());
    return false;
  }
  return true;
}

bool Master::SetUp() {
  sigset_t handled;
  sigemptyset(&handled);
  for (int signal : kHandledSignals) sigaddset(&handled, signal);
  if (sigprocmask(SIG_BLOCK, &handled, nullptr) != 0) {
    spdlog::critical("{}", PosixError("sigprocmask", errno).message());
    return false;
  }
  signal_fd_.Reset(signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd_.valid()) {
    spdlog::critical("{}", PosixError("signalfd", errno).message());
    return false;
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    spdlog::critical("{}", PosixError("pipe2", errno).message());
    return false;
  }
  lifeline_read_.Reset(pipe_fds[0]);
  lifeline_write_.Reset(pipe_fds[1]);
  auto park = MakeHandoffChannel();
  auto ready = MakeHandoffChannel();
  if (!park.ok() || !ready.ok()) {
    spdlog::critical("{}", (park.ok() ? ready.status() : park.status()).message());
    return false;
  }
  std::tie(park_receive_, park_send_) = std::move(park).value();
  std::tie(ready_receive_, ready_send_) = std::move(ready).value();
  epoll_.Reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) {
    spdlog::critical("{}", PosixError("epoll_create1", errno).message());
    return false;
  }
  lot_ = std::make_unique<ParkingLot>(epoll_.get(), config_.idle_timeout, config_.max_idle);
  Result<Scoreboard> scoreboard = Scoreboard::Create(kMaxWorkers);
  if (!scoreboard.ok()) {
    spdlog::critical("{}", scoreboard.status().message());
    return false;
  }
  scoreboard_.emplace(std::move(scoreboard).value());
  if (stats_listener_) {
    stats_ = std::make_unique<StatsServer>(std::move(*stats_listener_), epoll_.get(),
                                           [this] { return Snapshot(); });
    stats_listener_.reset();
  }
  return Watch(signal_fd_.get(), EPOLLIN) && Watch(park_receive_.get(), EPOLLIN);
}

int Master::Run() {
  master_pid_ = getpid();
  if (!SetUp()) return kExitFailure;
  for (size_t i = 0; i < target_workers_; ++i) SpawnWorker(static_cast<int>(i));
  if (handover_.old_lifeline.valid()) {
    // The new workers are up: the previous image's workers may go now. They
    // finish the request in hand and exit.
    handover_.old_lifeline.Reset();
    for (HandedConnection& parked : handover_.parked) lot_->Park(std::move(parked));
    handover_.parked.clear();
    spdlog::info("re-executed; the previous workers finish their requests and leave");
  }

  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  while (!(stopping_ && LiveWorkers() == 0)) {
    std::optional<Clock::time_point> next_expiry = lot_->ExpireIdle(Clock::now());
    int count = epoll_wait(epoll_.get(), events, kMaxEvents, PollTimeoutMs(next_expiry));
    if (count < 0 && errno != EINTR) {
      spdlog::critical("{}", PosixError("epoll_wait", errno).message());
      KillWorkers(SIGKILL);
      return kExitFailure;
    }
    for (int i = 0; i < count; ++i) {
      int fd = events[i].data.fd;
      if (fd == signal_fd_.get()) {
        HandleSignals();
      } else if (fd == park_receive_.get()) {
        ReceiveParked();
      } else if (fd == ready_send_.get()) {
        ready_blocked_ = false;
        epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
      } else if (stats_ && stats_->Owns(fd)) {
        stats_->OnReadable(fd);
      } else if (std::optional<HandedConnection> request = lot_->OnReadable(fd)) {
        ready_.push_back(std::move(*request));
      }
    }
    DispatchReady();
    if (Clock::time_point now = Clock::now(); child_exited_ || now >= next_reap_) {
      child_exited_ = false;
      next_reap_ = now + std::chrono::seconds(1);
      ReapWorkers();
    }
    KillStuckWorkers();
    if (gave_up_) break;
    if (stopping_) {
      if (LiveWorkers() > 0 && Clock::now() >= stop_deadline_) {
        spdlog::warn("graceful timeout of {} s reached; killing {} worker(s)",
                     config_.graceful_timeout, LiveWorkers());
        KillWorkers(SIGKILL);
        stop_deadline_ = Clock::time_point::max();
      }
    } else {
      ManageWorkers();
    }
  }
  lot_->Clear();
  if (gave_up_) {
    KillWorkers(SIGKILL);
    while (LiveWorkers() > 0 && waitpid(-1, nullptr, 0) > 0) ReapWorkers();
    return kExitFailure;
  }
  spdlog::info("all workers stopped; exiting");
  return kExitOk;
}

void Master::HandleSignals() {
  signalfd_siginfo info{};
  while (read(signal_fd_.get(), &info, sizeof(info)) == sizeof(info)) {
    int signal = static_cast<int>(info.ssi_signo);
    if (signal == SIGTERM || signal == SIGINT || signal == SIGQUIT) {
      HandleStopSignal(signal);
    } else if (signal == SIGTTIN) {
      HandleTtin();
    } else if (signal == SIGTTOU) {
      HandleTtou();
    } else if (signal == SIGHUP || signal == SIGUSR2) {
      HandleReexec(signal);
    } else if (signal == SIGUSR1) {
      spdlog::info("signal {} (User defined signal 1): logs go to stderr; nothing to reopen",
                   signal);
    } else if (signal == SIGCHLD) {
      child_exited_ = true;
    } else if (signal != SIGCONT) {
      spdlog::info("signal {} ({}) ignored", signal, strsignal(signal));
    }
  }
}

void Master::ReceiveParked() {
  for (;;) {
    Result<std::optional<HandedConnection>> parked = ReceiveConnection(park_receive_.get());
    if (!parked.ok()) {
      spdlog::error("{}", parked.status().message());
      return;
    }
    if (!parked.value()) return;
    // While stopping, nothing new is parked: the workers are on their way out.
    if (!stopping_) lot_->Park(std::move(*parked.value()));
  }
}

void Master::DispatchReady() {
  while (!ready_.empty() && !ready_blocked_) {
    HandedConnection& next = ready_.front();
    Result<bool> sent =
        SendConnection(ready_send_.get(), next.protocol, next.fd.get(), /*dont_wait=*/true);
    if (sent.ok() && !sent.value()) {
      // Every worker is busy and the channel is full: wait until it drains.
      ready_blocked_ = Watch(ready_send_.get(), EPOLLOUT);
      return;
    }
    if (!sent.ok()) spdlog::error("{}; closing a connection", sent.status().message());
    ready_.pop_front();  // a worker has its own copy now
  }
}

void Master::HandleStopSignal(int signal) {
  if (signal != SIGTERM) {
    // INT and QUIT: stop now; requests in flight fail.
    spdlog::info("signal {} ({}): stopping now; killing {} worker(s)", signal, strsignal(signal),
                 LiveWorkers());
    stopping_ = true;
    stop_deadline_ = Clock::time_point::max();
    KillWorkers(SIGKILL);
    return;
  }
  if (stopping_) {
    spdlog::warn("signal {} ({}) during shutdown; killing {} worker(s) now", signal,
                 strsignal(signal), LiveWorkers());
    KillWorkers(SIGKILL);
    return;
  }
  stopping_ = true;
  auto timeout = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(config_.graceful_timeout));
  stop_deadline_ = Clock::now() + timeout;
  spdlog::info("signal {} ({}): stopping; in-flight requests get up to {} s", signal,
               strsignal(signal), config_.graceful_timeout);
  KillWorkers(SIGTERM);
}

void Master::HandleReexec(int signal) {
  if (stopping_) return;
  if (config_.program.empty()) {
    spdlog::warn("signal {} ({}): cannot re-execute, the program path is unknown", signal,
                 strsignal(signal));
    return;
  }
  spdlog::info("signal {} ({}): re-executing {} in place: the app is imported afresh, "
               "the workers replaced",
               signal, strsignal(signal), config_.program);
  Inheritance inheritance;
  inheritance.listen_fd = config_.listen_fd;
  inheritance.stats_fd = stats_ ? stats_->listen_fd() : -1;
  inheritance.old_lifeline_fd = lifeline_write_.get();
  inheritance.parked = lot_->TakeAll();
  for (HandedConnection& ready : ready_) inheritance.parked.push_back(std::move(ready));
  ready_.clear();
  // Workers of an image before this one, if a reload is still under way, go now.
  handover_.old_lifeline.Reset();
  Status failed = Reexec(config_.program, config_.argv, inheritance);
  spdlog::error("{}; carrying on as before", failed.message());
  for (HandedConnection& parked : inheritance.parked) lot_->Park(std::move(parked));
}

void Master::HandleTtin() {
  if (config_.adaptive) {
    spdlog::info("signal TTIN ignored: the adaptive pool sizes itself (--min-spare, --max-spare)");
    return;
  }
  if (target_workers_ >= kMaxWorkers) {
    spdlog::warn("signal TTIN: already {} workers, the most there can be", target_workers_);
    return;
  }
  ++target_workers_;
  if (slots_.size() < target_workers_) slots_.resize(target_workers_);
  spdlog::info("signal TTIN: {} workers", target_workers_);
}

void Master::HandleTtou() {
  if (config_.adaptive) {
    spdlog::info("signal TTOU ignored: the adaptive pool sizes itself (--min-spare, --max-spare)");
    return;
  }
  if (target_workers_ <= 1) {
    spdlog::warn("signal TTOU: one worker left; not removing it");
    return;
  }
  --target_workers_;
  Slot& retiring = slots_[target_workers_];
  if (retiring.pid > 0) kill(retiring.pid, SIGTERM);  // finishes its request first
  spdlog::info("signal TTOU: {} workers", target_workers_);
}

void Master::KillStuckWorkers() {
  if (config_.request_timeout.count() <= 0) return;
  const int64_t now_ms = Scoreboard::NowMs();
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    if (slot.pid <= 0) continue;
    if (slot.timed_out_at) {
      // It had a second to write its traceback.
      if (Clock::now() - *slot.timed_out_at >= 1s) {
        kill(slot.pid, SIGKILL);
        slot.timed_out_at = Clock::time_point::max();
      }
      continue;
    }
    ScoreboardSlot& score = scoreboard_->slot(i);
    int64_t started = score.request_started_ms.load();
    if (started == 0 || now_ms - started < config_.request_timeout.count()) continue;
    spdlog::error("worker {} pid {}: '{}' ran past --timeout ({} s); its Python traceback "
                  "follows, then it is killed",
                  i, slot.pid, score.request_line,
                  std::chrono::duration<double>(config_.request_timeout).count());
    kill(slot.pid, SIGUSR2);  // faulthandler dumps every thread's traceback
    slot.timed_out_at = Clock::now();
    score.timeouts.fetch_add(1);
  }
}

void Master::KillWorkers(int signal) {
  for (const Slot& slot : slots_) {
    if (slot.pid > 0) kill(slot.pid, signal);
  }
}

int Master::LiveWorkers() const {
  return static_cast<int>(
      std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.pid > 0; }));
}

int Master::PollTimeoutMs(std::optional<Clock::time_point> next_expiry) const {
  Clock::time_point deadline = Clock::time_point::max();
  if (stopping_) {
    deadline = stop_deadline_;
  } else {
    for (const Slot& slot : slots_) {
      if (slot.pid == 0) deadline = std::min(deadline, slot.respawn_at);
    }
  }
  if (next_expiry) deadline = std::min(deadline, *next_expiry);
  // Stuck requests, and an adaptive pool's idle count, are looked at a few
  // times a second (workers change state without telling the master).
  if (config_.request_timeout.count() > 0 || config_.adaptive) {
    deadline = std::min(deadline, Clock::now() + 250ms);
  }
  if (deadline == Clock::time_point::max()) return -1;
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<int64_t>(wait.count(), 0, 60'000));
}

void Master::ReapWorkers() {
  int status = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    auto slot = std::find_if(slots_.begin(), slots_.end(), [pid](const Slot& s) {
      return s.pid == pid;
    });
    if (slot == slots_.end()) continue;
    int index = static_cast<int>(slot - slots_.begin());
    slot->pid = 0;
    bool timed_out = slot->timed_out_at.has_value();
    bool retired = std::exchange(slot->retiring, false);
    slot->timed_out_at.reset();
    uint64_t served = scoreboard_->slot(static_cast<size_t>(index)).requests.load();
    scoreboard_->slot(static_cast<size_t>(index)).pid.store(0);
    scoreboard_->slot(static_cast<size_t>(index)).state.store(WorkerState::kEmpty);
    Clock::time_point now = Clock::now();
    std::string how = DescribeExit(status);
    if (retired) {
      spdlog::info("worker {} pid {} retired as a spare the pool does not need", index, pid);
      continue;
    }
    if (stopping_ || (!config_.adaptive && static_cast<size_t>(index) >= target_workers_)) {
      spdlog::info("worker {} pid {} {}", index, pid, how);
      continue;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == kExitWorkerRecycled) {
      spdlog::info("worker {} pid {} recycled after {} requests; respawning", index, pid, served);
      fast_failures_ = 0;
      slot->respawn_at = now;
      continue;
    }
    if (timed_out) {
      spdlog::warn("worker {} pid {} {} after its request timed out; respawning", index, pid, how);
      slot->respawn_at = now;
      continue;
    }
    bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    if (now - slot->started >= kStartWindow) {
      ever_established_ = true;
      fast_failures_ = 0;
      slot->respawn_at = now;
      if (killed) {
        spdlog::error("worker {} pid {} {} (out of memory?); respawning", index, pid, how);
      } else {
        spdlog::warn("worker {} pid {} {}; respawning", index, pid, how);
      }
      continue;
    }
    ++fast_failures_;
    if (!ever_established_ && fast_failures_ >= kMaxStartFailures) {
      spdlog::critical("worker {} pid {} {}; {} workers in a row died at start, giving up",
                       index, pid, how, fast_failures_);
      gave_up_ = true;
      continue;
    }
    auto backoff = std::min<Clock::duration>(kFirstBackoff * (1 << std::min(fast_failures_ - 1, 16)),
                                             kMaxBackoff);
    slot->respawn_at = now + backoff;
    spdlog::error("worker {} pid {} {} right after start; respawning in {:.1f} s", index, pid, how,
                  std::chrono::duration<double>(backoff).count());
  }
}

StatsSnapshot Master::Snapshot() const {
  static constexpr const char* kStatus[] = {"empty", "starting", "idle", "busy", "stopping"};
  StatsSnapshot stats;
  stats.version = SHOAL_VERSION;
  stats.master_pid = master_pid_;
  stats.idle_connections = lot_->size();
  tcp_info info{};
  socklen_t length = sizeof(info);
  if (getsockopt(config_.listen_fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0) {
    stats.listen_queue = info.tcpi_unacked;  // for a listening socket: its accept queue
  }
  const int64_t now_ms = Scoreboard::NowMs();
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].pid <= 0) continue;
    const ScoreboardSlot& score = scoreboard_->slot(i);
    WorkerStats w;
    w.slot = i;
    w.pid = slots_[i].pid;
    WorkerState state = slots_[i].retiring ? WorkerState::kStopping : score.state.load();
    w.status = kStatus[static_cast<size_t>(state)];
    w.requests = score.requests.load();
    w.exceptions = score.exceptions.load();
    w.timeouts = score.timeouts.load();
    w.respawns = score.respawns.load();
    w.rss_kb = score.rss_kb.load();
    w.average_ms =
        w.requests == 0 ? 0 : static_cast<double>(score.busy_ms.load()) / static_cast<double>(w.requests);
    int64_t started = score.request_started_ms.load();
    if (started > 0) {
      w.request = score.request_line;
      w.running_ms = now_ms - started;
    }
    stats.workers.push_back(std::move(w));
  }
  return stats;
}

int Master::IdleWorkers() const {
  int idle = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].pid <= 0 || slots_[i].retiring) continue;
    WorkerState state = scoreboard_->slot(i).state.load();
    // A worker still starting will be idle in a moment: count it, or the
    // pool would overshoot.
    if (state == WorkerState::kIdle || state == WorkerState::kStarting) ++idle;
  }
  return idle;
}

void Master::ManageAdaptivePool() {
  Clock::time_point now = Clock::now();
  int idle = IdleWorkers();
  int live = LiveWorkers();
  if (idle < config_.min_spare && live < config_.max_children) {
    if (now < next_spawn_at_) return;
    // Like Apache's prefork: 1, 2, 4... new workers a second while short.
    int wanted = std::min({spawn_rate_, config_.min_spare - idle, config_.max_children - live});
    for (size_t i = 0; i < slots_.size() && wanted > 0; ++i) {
      if (slots_[i].pid == 0 && slots_[i].respawn_at <= now) {
        SpawnWorker(static_cast<int>(i));
        --wanted;
      }
    }
    spawn_rate_ = std::min(spawn_rate_ * 2, 32);
    next_spawn_at_ = now + 1s;
    return;
  }
  spawn_rate_ = 1;
  if (idle > config_.max_spare && now >= next_retire_at_) {
    // One spare a second, the newest idle one.
    for (size_t i = slots_.size(); i-- > 0;) {
      if (slots_[i].pid > 0 && !slots_[i].retiring &&
          scoreboard_->slot(i).state.load() == WorkerState::kIdle) {
        slots_[i].retiring = true;
        kill(slots_[i].pid, SIGTERM);
        break;
      }
    }
    next_retire_at_ = now + 1s;
  }
}

void Master::ManageWorkers() {
  if (config_.adaptive) {
    ManageAdaptivePool();
    return;
  }
  Clock::time_point now = Clock::now();
  for (size_t i = 0; i < target_workers_; ++i) {
    if (slots_[i].pid == 0 && slots_[i].respawn_at <= now) SpawnWorker(static_cast<int>(i));
  }
}

WorkerChannels Master::Channels() {
  return {lifeline_read_.get(), park_send_.get(), ready_receive_.get(), &*scoreboard_};
}

pid_t Master::ForkWorker(int index) {
  if (hooks_.before_fork) hooks_.before_fork();
  pid_t pid = fork();
  if (pid == 0) BecomeWorker(index);
  int saved_errno = errno;
  if (hooks_.after_fork_parent) hooks_.after_fork_parent();
  if (pid < 0) spdlog::error("{}; retrying in 1 s", PosixError("fork", saved_errno).message());
  return pid;
}

void Master::SpawnWorker(int index) {
  Slot& slot = slots_[static_cast<size_t>(index)];
  pid_t pid = -1;
  if (hooks_.start_worker) {
    Result<pid_t> started = hooks_.start_worker(index, Channels());
    if (started.ok()) {
      pid = started.value();
    } else {
      spdlog::error("{}; retrying in 1 s", started.status().message());
    }
  } else {
    pid = ForkWorker(index);
  }
  if (pid < 0) {
    slot.respawn_at = Clock::now() + 1s;
    return;
  }
  slot.pid = pid;
  slot.started = Clock::now();
  ScoreboardSlot& score = scoreboard_->slot(static_cast<size_t>(index));
  if (slot.ever_started) score.respawns.fetch_add(1);
  slot.ever_started = true;
  score.requests.store(0);
  score.exceptions.store(0);
  score.busy_ms.store(0);
  score.rss_kb.store(0);
  score.request_started_ms.store(0);
  score.state.store(WorkerState::kStarting);
  score.pid.store(pid);
  spdlog::info("worker {} pid {} started", index, pid);
}

void Master::BecomeWorker(int index) {
  // The child owns none of the master's control fds; closing our copies
  // here does not affect the master's.
  // Parked and ready connections are the master's: the child drops its
  // copies (closing them here does not close the master's).
  signal_fd_.Reset();
  lifeline_write_.Reset();
  epoll_.Reset();
  park_receive_.Reset();
  ready_send_.Reset();
  lot_.reset();
  ready_.clear();
  stats_.reset();  // (its socket file belongs to the master, which removes it)
  handover_.old_lifeline.Reset();  // the previous workers must see the master go
  handover_.parked.clear();
  for (int signal : kHandledSignals) std::signal(signal, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  daemon::InitLogging("worker " + std::to_string(index));
  // If the master dies while this worker is busy, finish and exit.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != master_pid_) _exit(kExitOk);
  int code = kExitWorkerBootError;
  try {
    code = hooks_.run_worker(index, Channels());
  } catch (const std::exception& e) {
    spdlog::critical("worker failed: {}", e.what());
  } catch (...) {
    spdlog::critical("worker failed with an unknown exception");
  }
  _exit(code);
}

}  // namespace shoal::supervisor
