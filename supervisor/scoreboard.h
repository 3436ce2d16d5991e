// Scoreboard: every worker's state, in memory the master and all workers
// share.
//
// One shared mapping of a memfd made by the master before the first fork
// (a memfd, so a worker started by exec, with --lazy-apps, can map it too):
// a fixed array of slots, one per worker slot. A worker writes only its own
// slot (state, request count, the current request's start and line, its
// heartbeat); the master reads them all to find stuck requests (--timeout)
// and idle workers that stopped responding (--heartbeat-timeout), and writes
// a slot's pid and clears it when a worker starts or is reaped. Fields are
// atomics, so no locks are needed; the request line is best effort (a
// reader may see it half-written, never out of bounds).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"
#include "base/unique_fd.h"

namespace shoal::supervisor {

enum class WorkerState : uint8_t { kEmpty, kStarting, kIdle, kBusy, kStopping };

struct ScoreboardSlot {
  std::atomic<pid_t> pid{0};
  std::atomic<WorkerState> state{WorkerState::kEmpty};
  std::atomic<uint64_t> requests{0};          // served since the worker started
  std::atomic<int64_t> request_started_ms{0}; // CLOCK_MONOTONIC ms; 0 when idle
  std::atomic<uint64_t> rss_kb{0};            // resident memory after the last request
  std::atomic<uint64_t> exceptions{0};        // requests ended by an app exception
  std::atomic<uint64_t> busy_ms{0};           // time spent in requests, for the mean
  std::atomic<uint64_t> timeouts{0};          // per slot: workers killed by --timeout
  std::atomic<uint64_t> respawns{0};          // per slot: workers started after the first
  // When the worker, waiting for work, last showed it was alive
  // (CLOCK_MONOTONIC ms); 0 while it is out of its wait (reading a request,
  // serving one), where the protocols' deadlines and --timeout apply instead.
  std::atomic<int64_t> heartbeat_ms{0};
  // Bumped by the master (RequestAppReload) when the app's source changed
  // under --reload-mechanism module; never cleared, so a worker started
  // later in the slot, with the master's app, sees it too.
  std::atomic<uint64_t> app_generation{0};
  char request_line[120] = {};                // "GET /path", cut to fit
};

class Scoreboard {
 public:
  // Maps room for `slots` slots, zeroed. Returns an error if that fails.
  static Result<Scoreboard> Create(size_t slots);
  // Maps the scoreboard behind `fd` (another process's Create), of `slots`
  // slots. Takes ownership of `fd`.
  static Result<Scoreboard> Attach(int fd, size_t slots);
  Scoreboard(Scoreboard&& other) noexcept;
  Scoreboard& operator=(Scoreboard&&) = delete;
  Scoreboard(const Scoreboard&) = delete;
  ~Scoreboard();

  size_t size() const { return size_; }
  int fd() const { return fd_.get(); }
  ScoreboardSlot& slot(size_t index) { return slots_[index]; }
  const ScoreboardSlot& slot(size_t index) const { return slots_[index]; }

  // Worker side: a request starts and ends in slot `index`. Signal-safe.
  void BeginRequest(size_t index, std::string_view request_line);
  void EndRequest(size_t index, bool app_failed);

  // Worker side: the worker in slot `index` is waiting for work and alive
  // now. A waiting worker beats at least every kBeatInterval. Signal-safe.
  void Beat(size_t index) { slots_[index].heartbeat_ms.store(NowMs()); }
  // Worker side: the worker left its wait to serve a connection; its
  // heartbeat is not judged until its next Beat. Signal-safe.
  void PauseHeartbeat(size_t index) { slots_[index].heartbeat_ms.store(0); }
  static constexpr std::chrono::seconds kBeatInterval{1};

  // Master side: every worker should load the app afresh before its next
  // request (each compares its slot's app_generation with its own).
  void RequestAppReload() {
    for (size_t i = 0; i < size_; ++i) slots_[i].app_generation.fetch_add(1);
  }

  // CLOCK_MONOTONIC in milliseconds, the scoreboard's clock.
  static int64_t NowMs();

 private:
  Scoreboard(UniqueFd fd, ScoreboardSlot* slots, size_t size)
      : fd_(std::move(fd)), slots_(slots), size_(size) {}
  UniqueFd fd_;
  ScoreboardSlot* slots_;
  size_t size_;
};

}  // namespace shoal::supervisor
