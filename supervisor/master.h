// Master: forks the workers and keeps the pool whole until told to stop.
//
// Runs in the master process, after the app is imported and the socket is
// bound; runs no app code. Signals are blocked and read from a signalfd, so
// no handler ever runs; each wake-up handles the signals received, reaps the
// workers that exited, and respawns them. A worker that dies soon after it
// started is replaced after a delay that doubles each time (so a broken app
// cannot fork-bomb the machine); if no worker has ever stayed up, the master
// gives up after kMaxStartFailures and exits 1.
//
// TERM or INT: workers get TERM, finish in-flight requests, serve what is
// already queued and exit; after --graceful-timeout the rest are killed.
// A second TERM or INT kills them at once. Either way the master exits 0.
//
// Workers learn of the master's death from the lifeline pipe (EOF when the
// master's write end closes, even on SIGKILL) and PR_SET_PDEATHSIG.
//
// Persistent connections: workers park idle ones with the master over the
// park channel; the master keeps them in a ParkingLot and, when a request
// arrives on one, hands it to whichever worker is idle over the ready
// channel (a SOCK_SEQPACKET socket all workers wait on). The master reads no
// request itself; it only answers AJP CPINGs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "supervisor/handoff.h"
#include "supervisor/parking_lot.h"
#include "supervisor/reexec.h"
#include "supervisor/listener.h"
#include "supervisor/scoreboard.h"
#include "supervisor/stats_server.h"

namespace shoal::supervisor {

struct MasterConfig {
  int workers = 2;  // a fixed pool's size, or an adaptive pool's first workers
  // An adaptive pool keeps between min_spare and max_spare workers idle,
  // and never more than max_children in all.
  bool adaptive = false;
  int min_spare = 1;
  int max_spare = 5;
  int max_children = 50;
  double graceful_timeout = 30;  // seconds
  std::chrono::milliseconds idle_timeout{300'000};  // for parked connections
  size_t max_idle = 1000;                           // parked connections at most
  // A request running longer gets its worker's Python traceback logged and
  // the worker killed; zero: no limit.
  std::chrono::milliseconds request_timeout{0};
  int listen_fd = -1;  // the serving socket, for the stats' listen queue
  // What HUP and USR2 re-execute: this binary's path and the arguments.
  std::string program;
  std::vector<std::string> argv;
};

// What a previous image of this master hands over (see reexec.h).
struct Handover {
  UniqueFd old_lifeline;                // closed once the new workers are up
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

  // Runs the pool until stopped. Returns the master's exit code.
  int Run();

 private:
  using Clock = std::chrono::steady_clock;
  // The most workers (TTIN grows the pool up to this).
  static constexpr size_t kMaxWorkers = 1024;

  struct Slot {
    pid_t pid = 0;                // 0: no worker in this slot
    Clock::time_point started;    // when the current worker was forked
    Clock::time_point respawn_at; // when an empty slot may be filled
    // When the master asked a stuck worker for its traceback (--timeout).
    std::optional<Clock::time_point> timed_out_at;
    bool retiring = false;  // told to leave as a spare the pool does not need
    bool ever_started = false;  // a worker has been started in this slot before
  };

  bool SetUp();
  bool Watch(int fd, uint32_t events);
  void HandleSignals();
  void ReceiveParked();
  void DispatchReady();
  void SpawnWorker(int index);
  // Forks a worker that runs hooks_.run_worker; returns its pid, or -1.
  pid_t ForkWorker(int index);
  WorkerChannels Channels();
  [[noreturn]] void BecomeWorker(int index);
  void ReapWorkers();
  void ManageWorkers();
  void ManageAdaptivePool();
  int IdleWorkers() const;
  StatsSnapshot Snapshot() const;
  void KillStuckWorkers();
  void HandleStopSignal(int signal);
  void HandleTtin();
  void HandleReexec(int signal);
  void HandleTtou();
  void KillWorkers(int signal);
  int LiveWorkers() const;
  // How long the loop may sleep: until the nearest respawn, the stop
  // deadline, or `next_expiry` of an idle connection.
  int PollTimeoutMs(std::optional<Clock::time_point> next_expiry) const;

  MasterConfig config_;
  WorkerHooks hooks_;
  UniqueFd signal_fd_;
  UniqueFd lifeline_read_;
  UniqueFd lifeline_write_;
  UniqueFd epoll_;
  UniqueFd park_receive_;   // the master's end of the park channel
  UniqueFd park_send_;      // the workers' end
  UniqueFd ready_receive_;  // the workers' end of the ready channel
  UniqueFd ready_send_;     // the master's end
  std::unique_ptr<ParkingLot> lot_;
  std::deque<HandedConnection> ready_;  // requests waiting for a worker
  bool ready_blocked_ = false;          // the ready channel is full
  pid_t master_pid_ = 0;
  std::vector<Slot> slots_;
  size_t target_workers_ = 0;  // slots [0, target) are kept filled
  std::optional<Scoreboard> scoreboard_;
  std::optional<Listener> stats_listener_;  // until Run makes the server
  std::unique_ptr<StatsServer> stats_;
  Handover handover_;
  bool stopping_ = false;
  bool gave_up_ = false;
  // A SIGCHLD came: reap. (Also once a second, in case one was missed.)
  bool child_exited_ = true;
  Clock::time_point next_reap_{};
  Clock::time_point stop_deadline_;
  int fast_failures_ = 0;      // consecutive workers that died soon after start
  bool ever_established_ = false;  // some worker has stayed up past the start window
  // Adaptive pool: workers started per second doubles while spares are short.
  int spawn_rate_ = 1;
  Clock::time_point next_spawn_at_;
  Clock::time_point next_retire_at_;
};

}  // namespace shoal::supervisor
