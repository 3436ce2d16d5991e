// PoolPolicy: how many workers the pool should have, and which to start,
// retire or kill; and what a worker's exit means for its slot.
//
// Pure decisions over a view of the worker table and the clock: the Master
// gathers the view, asks, and carries the answer out (fork, signals, log
// lines). Kept apart so that the fixed and the adaptive pool, --timeout,
// --heartbeat-timeout and the start-failure backoff are tested without
// processes. Master process
// only; not thread-safe.
//
// Fixed pool (--workers): slots [0, target) are kept filled; TTIN and TTOU
// move the target. Adaptive pool (flup's minSpare/maxSpare/maxChildren):
// while fewer than min_spare workers are idle, start 1, 2, 4... a second
// (up to 32, as Apache's prefork does), never past max_children; while
// more than max_spare are idle, retire one a second, the newest idle one.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <spdlog/common.h>

#include "supervisor/scoreboard.h"

namespace shoal::supervisor {

struct PoolSettings {
  size_t workers = 2;  // a fixed pool's size, or where an adaptive one starts
  bool adaptive = false;
  int min_spare = 1;
  int max_spare = 5;
  int max_children = 50;
  // A request running longer gets its worker's traceback dumped, then the
  // worker killed a second later; zero: no limit.
  std::chrono::milliseconds request_timeout{0};
  // An idle, ready worker whose heartbeat (Scoreboard::Beat) is older than
  // this stopped responding (SIGSTOP, a deadlock in a C extension while
  // idle): it is killed and replaced. Zero: never. Busy workers cannot beat
  // and are judged by request_timeout only.
  std::chrono::milliseconds heartbeat_timeout{10'000};
};

class PoolPolicy {
 public:
  using Clock = std::chrono::steady_clock;

  // What the policy sees of one slot of the worker table.
  struct SlotView {
    pid_t pid = 0;  // 0: empty
    bool retiring = false;
    WorkerState state = WorkerState::kEmpty;
    Clock::time_point respawn_at = {};      // an empty slot may be filled from then
    int64_t request_started_ms = 0;         // Scoreboard::NowMs(); 0 when idle
    std::optional<Clock::time_point> timed_out_at = {};  // its traceback was asked for
    bool ready = false;        // it became ready to serve
    int64_t heartbeat_ms = 0;  // Scoreboard::NowMs() of its last beat; 0: not waiting
    bool unresponsive = false; // killed for its heartbeat already
  };

  // What to do now; each list holds slot indices.
  struct Actions {
    std::vector<size_t> spawn;           // start a worker in these empty slots
    std::vector<size_t> retire;          // SIGTERM: leave after the request in hand
    std::vector<size_t> dump_traceback;  // past --timeout: SIGUSR2 (faulthandler)
    std::vector<size_t> kill;            // a second after its traceback: SIGKILL
    std::vector<size_t> unresponsive;    // idle, heartbeat past --heartbeat-timeout: SIGKILL
  };

  explicit PoolPolicy(PoolSettings settings) : settings_(settings), target_(settings.workers) {}

  const PoolSettings& settings() const { return settings_; }
  // The slots a fixed pool keeps filled: [0, target()).
  size_t target() const { return target_; }
  // The slots the table needs.
  size_t capacity() const;

  // The actions for `slots` at `now` (`now_ms` on the scoreboard's clock).
  // Paces the adaptive pool's starts and retirements from call to call.
  Actions Decide(std::span<const SlotView> slots, Clock::time_point now, int64_t now_ms);

  // TTIN: one worker more in a fixed pool, up to `max_workers`. Returns
  // the log line (the adaptive pool ignores it and says so).
  std::string Grow(size_t max_workers);
  // TTOU: one worker fewer in a fixed pool, never none. Returns the log
  // line, and in `retire` the slot whose worker must leave, if any.
  std::string Shrink(std::optional<size_t>& retire);

 private:
  Actions DecideAdaptive(std::span<const SlotView> slots, Clock::time_point now);
  // An idle, ready worker silent past heartbeat_timeout, not yet killed for it.
  bool Unresponsive(const SlotView& slot, int64_t now_ms) const;

  PoolSettings settings_;
  size_t target_;
  int spawn_rate_ = 1;  // adaptive: starts per second, doubling while short
  Clock::time_point next_spawn_at_;
  Clock::time_point next_retire_at_;
};

// StartBackoff: what a worker's exit means for its slot. A worker that dies
// before it became ready to serve (before its loop first waits for work)
// failed to start: it is replaced after a delay that doubles each time, up
// to 10 s (so a broken app cannot fork-bomb the machine), and if no worker
// has ever become ready the pool gives up after kMaxStartFailures (an app
// that cannot boot does not heal). A worker that dies once ready (a
// request that segfaults or calls os._exit, a kill -9, a kill for its
// heartbeat) crashed: it is
// replaced at once, and the count of failed starts begins again; so a pool
// whose workers became ready is never given up on.
class StartBackoff {
 public:
  using Clock = std::chrono::steady_clock;

  struct Exit {
    int status = 0;           // from waitpid
    bool ready = false;       // it had become ready to serve
    bool retired = false;     // it was told to leave as a spare
    bool timed_out = false;   // killed for --timeout
    bool unresponsive = false;  // killed for --heartbeat-timeout (it was ready)
    bool wanted = true;       // its slot is still in the pool (not stopping, not past TTOU)
    uint64_t requests = 0;    // what it served
  };

  enum class Kind {
    kRetired,
    kLeft,
    kRecycled,
    kTimedOut,
    kUnresponsive,
    kDied,
    kKilled,
    kFailedStart,
    kGiveUp
  };
  struct Verdict {
    Kind kind = Kind::kLeft;
    Clock::duration respawn_after{};  // for a slot to be filled again
  };

  Verdict Judge(const Exit& exit);
  // A worker became ready: the pool can start workers, whatever came before.
  void WorkerReady() {
    ever_established_ = true;
    fast_failures_ = 0;
  }
  int failures_in_a_row() const { return fast_failures_; }

  static constexpr int kMaxStartFailures = 8;

 private:
  int fast_failures_ = 0;          // consecutive workers that died soon after start
  bool ever_established_ = false;  // some worker has become ready
};

// "exited with code 3", "killed by signal 9 (Killed) (core dumped)".
std::string DescribeExit(int status);

// The log line for worker `index` (pid `pid`, which served `requests`)
// that exited with `status`, judged `verdict`, and the level it deserves:
// info for the expected, warning for a crash, error for a SIGKILL (out of
// memory?) or a failed start, critical for giving up.
std::string ExitLogLine(const StartBackoff::Verdict& verdict, size_t index, pid_t pid, int status,
                        uint64_t requests, const StartBackoff& backoff);
spdlog::level::level_enum ExitLogLevel(StartBackoff::Kind kind);

}  // namespace shoal::supervisor
