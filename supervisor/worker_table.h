// WorkerTable: the master's one record of its workers, slot by slot.
//
// A slot holds at most one worker. The table keeps what the master knows
// of it (pid, when it started, when an empty slot may be filled, whether it
// was told to retire, ran past --timeout or stopped responding) together with the shared
// Scoreboard where the worker reports on itself (state, counters, the
// request in hand); every change to a slot goes through here, so the two
// never drift apart. Owned by the Master, in the master process; workers
// see only the Scoreboard, each writing its own slot.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <vector>

#include "base/status.h"
#include "supervisor/pool_policy.h"
#include "supervisor/scoreboard.h"

namespace shoal::supervisor {

class WorkerTable {
 public:
  using Clock = std::chrono::steady_clock;
  // The most slots there can be (the scoreboard is made this large, so
  // TTIN can grow the pool without remapping what workers share).
  static constexpr size_t kMaxWorkers = 1024;

  // What the master alone knows of the worker in a slot.
  struct Slot {
    pid_t pid = 0;                 // 0: the slot is empty
    Clock::time_point started;     // when the current worker was started
    Clock::time_point respawn_at;  // when an empty slot may be filled again
    // When the master asked a stuck worker for its traceback (--timeout);
    // time_point::max() once it was killed.
    std::optional<Clock::time_point> timed_out_at;
    bool retiring = false;      // told to leave as a spare the pool does not need
    bool ever_started = false;  // a worker has been started in this slot before
    // The worker became ready to serve (its loop waits for work): dying
    // after that is a crash, not a failed start.
    bool ready = false;
    // Killed for a heartbeat older than --heartbeat-timeout while idle.
    bool unresponsive = false;
  };

  // A table of `slots` slots (at most kMaxWorkers) over a new scoreboard.
  static Result<WorkerTable> Create(size_t slots);

  size_t size() const { return slots_.size(); }
  // Grows the table to `slots` (TTIN). REQUIRES: slots <= kMaxWorkers.
  void Grow(size_t slots);
  Slot& slot(size_t index) { return slots_[index]; }
  const Slot& slot(size_t index) const { return slots_[index]; }
  ScoreboardSlot& score(size_t index) { return scoreboard_.slot(index); }
  const ScoreboardSlot& score(size_t index) const { return scoreboard_.slot(index); }
  Scoreboard& scoreboard() { return scoreboard_; }

  // Records worker `pid` started in slot `index` now, with fresh counters.
  void Started(size_t index, pid_t pid, Clock::time_point now);

  // A worker that left, as its slot knew it.
  struct Departed {
    size_t index = 0;
    Slot slot = {};         // before it was emptied
    uint64_t requests = 0;  // what it served
  };
  // Marks the worker in slot `index` ready once its scoreboard says it has
  // left kStarting. Returns true only the first time it does.
  bool NoteReady(size_t index);

  // Empties the slot of the worker `pid`. Returns what it held (`ready`
  // also true if it became ready since the last NoteReady), or nullopt if
  // `pid` is no worker of this table.
  std::optional<Departed> Exited(pid_t pid);

  // What the pool policy sees of every slot.
  std::vector<PoolPolicy::SlotView> PolicyView() const;

  // Workers alive (started and not yet reaped).
  int Live() const;
  // Live workers not retiring that are idle or still starting (a worker
  // starting is idle in a moment).
  int Idle() const;
  // Sends `signo` to every live worker.
  void SignalAll(int signo) const;

 private:
  explicit WorkerTable(Scoreboard scoreboard, size_t slots)
      : scoreboard_(std::move(scoreboard)), slots_(slots) {}

  Scoreboard scoreboard_;
  std::vector<Slot> slots_;
};

}  // namespace shoal::supervisor
