// Master: forks the workers and keeps the pool whole until told to stop.
//
// Runs in the master process, after the app is imported and the socket is
// bound; runs no app code. Signals are blocked and read from a signalfd, so
// no handler ever runs. Each wake-up of its one epoll loop handles, in this
// order: the signals received (HandleX per signal), the persistent
// connections (ConnectionBroker), the stats socket (whose clients it closes
// past their deadline), then reaps the workers
// that exited (ReapWorkers) and carries out what the PoolPolicy decides
// (ManageWorkers: spawn, retire, --timeout, and KILL for an idle worker
// whose scoreboard heartbeat is older than --heartbeat-timeout). What it
// knows of each worker is
// in one WorkerTable, beside the scoreboard the workers write.
//
// TERM: workers get TERM, finish in-flight requests, serve what is already
// queued and exit. After --graceful-timeout, each worker still running has
// its Python traceback logged (SIGUSR2, faulthandler) and is killed a
// second later. A second TERM, or INT or QUIT, kills them at once. Either
// way the master exits 0. HUP and USR2 re-execute the master in place
// (reexec.h) once a check run of the new image has loaded the app
// (reload_preflight.h, master_reload.cc); a reload whose check fails is
// refused, and one that goes ahead closes no kept connection. (Inside a
// Python program, stop_on_hup: they stop it as TERM does, and
// reload_asked().) USR1 reopens the
// --access-log file (after logrotate moved it) and passes USR1 on to the
// workers, which reopen theirs between requests.
//
// The supervisor is told readiness (service::Readiness: s6's notification
// fd, systemd's NOTIFY_SOCKET) once the first worker waits for work.
//
// Workers learn of the master's death from the lifeline pipe (EOF when the
// master's write end closes, even on SIGKILL) and PR_SET_PDEATHSIG.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"
#include "service/readiness.h"
#include "service/log_file.h"
#include "supervisor/connection_broker.h"
#include "supervisor/handoff.h"
#include "supervisor/listener.h"
#include "supervisor/pool_policy.h"
#include "supervisor/reload_preflight.h"
#include "supervisor/settle_timer.h"
#include "supervisor/source_watch.h"
#include "supervisor/stats_server.h"
#include "supervisor/worker_table.h"

namespace shoal::supervisor {

struct MasterConfig {
  PoolSettings pool = {};
  std::chrono::duration<double> graceful_timeout{30};
  std::chrono::milliseconds idle_timeout{300'000};  // for parked connections
  size_t max_idle_connections = 1000;               // parked connections at most
  int listen_fd = -1;  // the serving socket, for the stats' listen queue
  // What HUP and USR2 re-execute: this binary's path and the arguments.
  std::string program = {};
  std::vector<std::string> argv = {};
  // The directory shoal started in: the re-executed image starts there too,
  // so relative paths in `argv` mean what they meant (--chdir moved since).
  std::string start_dir = {};
  // Before HUP or USR2 re-executes: whether the new image would accept its
  // options (the same argv, environment and config files, read again). An
  // error refuses the reload, logged, and the workers serve on. Empty: no
  // check. Runs in the master, in its loop.
  std::function<Status()> check_reload = {};
  // Told once the first worker waits for work, and of reloads and stops.
  service::Readiness readiness = {};
  // Inside a Python program (`import shoal`, package/): HUP and USR2 stop
  // the pool gracefully, as TERM does, and reload_asked() says so, instead
  // of re-executing a binary there is none of (flup's run() returns True
  // on HUP and the program decides what to do).
  bool stop_on_hup = false;
  // --access-log, which USR1 reopens (then the workers reopen theirs);
  // null: none. Outlives the Master.
  service::LogFile* access_log = nullptr;
  // --reload-on-change: the app's source files, and directories whose *.py
  // files count (source_watch.h); both empty: nothing is watched. A change
  // reloads as HUP does, or, with reload_in_workers (--reload-mechanism
  // module), has each worker load the app afresh before its next request.
  std::vector<std::string> watch_files = {};
  std::vector<std::string> watch_dirs = {};
  bool reload_in_workers = false;
};

// What a previous image of this master hands over (see reexec.h).
struct Handover {
  UniqueFd old_lifeline;                // closed once the new workers are up
  std::optional<HandoffChannels> channels;  // the broker's, shared with the old workers
  std::vector<HandedConnection> parked; // idle connections to park again
};

// What a worker shares with the master.
struct WorkerChannels {
  int lifeline_fd;          // EOF when the master is gone
  int park_fd;              // send idle connections to the master
  int ready_fd;             // receive connections whose next request has arrived
  Scoreboard* scoreboard;   // the worker writes its own slot, index `index`
};

// What the master runs around each fork. All may be empty but run_worker.
struct WorkerHooks {
  std::function<void()> before_fork;        // in the master
  std::function<void()> after_fork_parent;  // in the master
  // In the new worker, after the supervisor's own set-up (signals reset,
  // logger recreated): serves and returns the worker's exit code.
  std::function<int(int index, const WorkerChannels& channels)> run_worker;
  // If set, workers are started by this instead of fork (--lazy-apps: a
  // fresh exec of shoal). Returns the new worker's pid.
  std::function<Result<pid_t>(int index, const WorkerChannels& channels)> start_worker;
};

class Master {
 public:
  // `stats`, if any, is served as the --stats socket.
  Master(MasterConfig config, WorkerHooks hooks, std::optional<Listener> stats = std::nullopt,
         Handover handover = {});
  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  // Blocked and read from the signalfd; set back to their defaults in a
  // new worker.
  static constexpr int kHandledSignals[] = {SIGCHLD, SIGTERM, SIGINT,  SIGQUIT, SIGHUP,
                                            SIGUSR1, SIGUSR2, SIGTTIN, SIGTTOU, SIGCONT};

  // Runs the pool until stopped. Returns the master's exit code.
  int Run();

  // After Run: whether it stopped for HUP or USR2 (stop_on_hup).
  bool reload_asked() const { return reload_asked_; }

 private:
  using Clock = std::chrono::steady_clock;

  bool SetUp();
  void TakeOverFromPreviousImage();
  void HandleSignals();
  void HandleTerm(int signal = SIGTERM);
  void HandleInt(int signal);
  // master_reload.cc: HandleHup (HUP, USR2, or any other reload request)
  // starts the check of the new image; its report, its exit (which
  // ReapWorkers passes on: NoteOtherChildExited) and its deadline come back
  // through the loop, and AdvanceReloadCheck acts on the verdict: Reexecute,
  // or a refusal.
  void HandleHup(int signal);
  void OnReloadCheckReport();
  void NoteOtherChildExited(pid_t pid, int status);
  void AdvanceReloadCheck();
  void Reexecute(int signal);
  void HandleUsr1();
  void HandleTtin();
  void HandleTtou();
  // --reload-on-change: HandleSourceChange notes an edit; once the edits
  // have settled (source_settle_), ActOnSourceChange reloads.
  void HandleSourceChange();
  void ActOnSourceChange();
  void ReapWorkers();
  void ManageWorkers();
  void KillUnresponsiveWorker(size_t index, int64_t now_ms);
  void EscalateStop();
  // master_fork.cc: SpawnWorker starts a worker in slot `index` (on
  // failure the slot is retried in a second); ForkWorker forks one that
  // runs hooks_.run_worker and returns its pid, or -1; BecomeWorker is the
  // child's side and never returns.
  void SpawnWorker(size_t index);
  pid_t ForkWorker(size_t index);
  [[noreturn]] void BecomeWorker(size_t index);
  WorkerChannels Channels();
  // How long the loop may sleep: until the nearest respawn, stop step,
  // heartbeat check, or `next_expiry` of an idle connection or stats client.
  int PollTimeoutMs(std::optional<Clock::time_point> next_expiry) const;

  MasterConfig config_;
  WorkerHooks hooks_;
  PoolPolicy policy_;
  StartBackoff backoff_;
  UniqueFd signal_fd_;
  UniqueFd lifeline_read_;
  UniqueFd lifeline_write_;
  UniqueFd epoll_;
  std::unique_ptr<ConnectionBroker> broker_;
  std::optional<WorkerTable> table_;
  std::optional<Listener> stats_listener_;  // until SetUp makes the server
  std::unique_ptr<StatsServer> stats_;
  std::optional<SourceWatch> source_watch_;
  SettleTimer source_settle_{std::chrono::milliseconds(300), std::chrono::seconds(2)};
  std::string source_changed_;  // the first file of the burst, for the log
  Handover handover_;
  pid_t master_pid_ = 0;
  // The running check before a reload (none: nullptr), the signal that
  // asked for it, and its verdict once in.
  std::unique_ptr<ReloadPreflight> reload_check_;
  int reload_signal_ = 0;
  std::optional<PreflightVerdict> reload_verdict_;
  // --reload-on-change saw another edit while the check ran: if the check
  // refuses the reload (it may have imported a half-done set of edits),
  // the files are checked again.
  bool source_changed_during_check_ = false;
  bool stopping_ = false;
  bool gave_up_ = false;
  bool reload_asked_ = false;
  // A SIGCHLD came: reap. (Also once a second, in case one was missed.)
  bool child_exited_ = true;
  Clock::time_point next_reap_{};
  // Stopping: tracebacks are asked for at stop_deadline_, workers killed at
  // kill_at_.
  Clock::time_point stop_deadline_ = Clock::time_point::max();
  Clock::time_point kill_at_ = Clock::time_point::max();
};

}  // namespace shoal::supervisor
