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
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <vector>

#include "base/unique_fd.h"

namespace shoal::supervisor {

struct MasterConfig {
  int workers = 2;
  double graceful_timeout = 30;  // seconds
};

// What the master runs around each fork. All may be empty but run_worker.
struct WorkerHooks {
  std::function<void()> before_fork;        // in the master
  std::function<void()> after_fork_parent;  // in the master
  // In the new worker, after the supervisor's own set-up (signals reset,
  // logger recreated): serves and returns the worker's exit code.
  std::function<int(int index, int lifeline_fd)> run_worker;
};

class Master {
 public:
  Master(MasterConfig config, WorkerHooks hooks);
  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  // Runs the pool until stopped. Returns the master's exit code.
  int Run();

 private:
  using Clock = std::chrono::steady_clock;
  struct Slot {
    pid_t pid = 0;                // 0: no worker in this slot
    Clock::time_point started;    // when the current worker was forked
    Clock::time_point respawn_at; // when an empty slot may be filled
  };

  bool SetUpSignals();
  void SpawnWorker(int index);
  [[noreturn]] void BecomeWorker(int index);
  void ReapWorkers();
  void ManageWorkers();
  void HandleStopSignal(int signal);
  void KillWorkers(int signal);
  int LiveWorkers() const;
  int PollTimeoutMs() const;

  MasterConfig config_;
  WorkerHooks hooks_;
  UniqueFd signal_fd_;
  UniqueFd lifeline_read_;
  UniqueFd lifeline_write_;
  pid_t master_pid_ = 0;
  std::vector<Slot> slots_;
  bool stopping_ = false;
  bool gave_up_ = false;
  Clock::time_point stop_deadline_;
  int fast_failures_ = 0;      // consecutive workers that died soon after start
  bool ever_established_ = false;  // some worker has stayed up past the start window
};

}  // namespace shoal::supervisor
