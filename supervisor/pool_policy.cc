#include "supervisor/pool_policy.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "service/exit_codes.h"

namespace shoal::supervisor {
namespace {

using namespace std::chrono_literals;

constexpr auto kFirstBackoff = 100ms;
constexpr auto kMaxBackoff = 10s;
// A stuck worker has this long to write its traceback before it is killed.
constexpr auto kTracebackGrace = 1s;
constexpr int kMaxSpawnRate = 32;

}  // namespace

bool PoolPolicy::Unresponsive(const SlotView& slot, int64_t now_ms) const {
  // Only a worker in its wait for work beats (heartbeat_ms != 0); one that
  // is serving is under --timeout and the protocols' deadlines instead.
  return settings_.heartbeat_timeout.count() > 0 && slot.ready && !slot.unresponsive &&
         !slot.timed_out_at && slot.state == WorkerState::kIdle && slot.heartbeat_ms != 0 &&
         now_ms - slot.heartbeat_ms >= settings_.heartbeat_timeout.count();
}

size_t PoolPolicy::capacity() const {
  return settings_.adaptive ? static_cast<size_t>(settings_.max_children) : target_;
}

PoolPolicy::Actions PoolPolicy::Decide(std::span<const SlotView> slots, Clock::time_point now,
                                       int64_t now_ms) {
  Actions actions = settings_.adaptive ? DecideAdaptive(slots, now) : Actions{};
  for (size_t i = 0; i < slots.size(); ++i) {
    const SlotView& slot = slots[i];
    if (!settings_.adaptive && i < target_ && slot.pid == 0 && slot.respawn_at <= now) {
      actions.spawn.push_back(i);
    }
    if (slot.pid == 0) continue;
    if (Unresponsive(slot, now_ms)) actions.unresponsive.push_back(i);
    if (settings_.request_timeout.count() <= 0) continue;
    if (slot.timed_out_at) {
      if (*slot.timed_out_at != Clock::time_point::max() && now - *slot.timed_out_at >= kTracebackGrace) {
        actions.kill.push_back(i);
      }
    } else if (slot.request_started_ms != 0 &&
               now_ms - slot.request_started_ms >= settings_.request_timeout.count()) {
      actions.dump_traceback.push_back(i);
    }
  }
  return actions;
}

PoolPolicy::Actions PoolPolicy::DecideAdaptive(std::span<const SlotView> slots,
                                               Clock::time_point now) {
  Actions actions;
  int idle = 0;
  int live = 0;
  for (const SlotView& slot : slots) {
    if (slot.pid == 0) continue;
    ++live;
    // A worker still starting will be idle in a moment: count it, or the
    // pool would overshoot.
    if (!slot.retiring && (slot.state == WorkerState::kIdle || slot.state == WorkerState::kStarting)) {
      ++idle;
    }
  }
  if (idle < settings_.min_spare && live < settings_.max_children) {
    if (now < next_spawn_at_) return actions;
    int wanted = std::min({spawn_rate_, settings_.min_spare - idle, settings_.max_children - live});
    for (size_t i = 0; i < slots.size() && wanted > 0; ++i) {
      if (slots[i].pid == 0 && slots[i].respawn_at <= now) {
        actions.spawn.push_back(i);
        --wanted;
      }
    }
    spawn_rate_ = std::min(spawn_rate_ * 2, kMaxSpawnRate);
    next_spawn_at_ = now + 1s;
    return actions;
  }
  spawn_rate_ = 1;
  if (idle > settings_.max_spare && now >= next_retire_at_) {
    for (size_t i = slots.size(); i-- > 0;) {
      if (slots[i].pid > 0 && !slots[i].retiring && slots[i].state == WorkerState::kIdle) {
        actions.retire.push_back(i);
        break;
      }
    }
    next_retire_at_ = now + 1s;
  }
  return actions;
}

std::string PoolPolicy::Grow(size_t max_workers) {
  if (settings_.adaptive) {
    return "signal TTIN ignored: the adaptive pool sizes itself (--min-spare, --max-spare)";
  }
  if (target_ >= max_workers) {
    return "signal TTIN: already " + std::to_string(target_) + " workers, the most there can be";
  }
  ++target_;
  return "signal TTIN: " + std::to_string(target_) + " workers";
}

std::string PoolPolicy::Shrink(std::optional<size_t>& retire) {
  retire.reset();
  if (settings_.adaptive) {
    return "signal TTOU ignored: the adaptive pool sizes itself (--min-spare, --max-spare)";
  }
  if (target_ <= 1) return "signal TTOU: one worker left; not removing it";
  --target_;
  retire = target_;
  return "signal TTOU: " + std::to_string(target_) + " workers";
}

StartBackoff::Verdict StartBackoff::Judge(const Exit& exit) {
  if (exit.retired) return {.kind = Kind::kRetired};
  if (!exit.wanted) return {.kind = Kind::kLeft};
  if (WIFEXITED(exit.status) && WEXITSTATUS(exit.status) == service::kExitWorkerRecycled) {
    fast_failures_ = 0;
    return {.kind = Kind::kRecycled};
  }
  if (exit.timed_out) return {.kind = Kind::kTimedOut};
  if (exit.unresponsive) {
    WorkerReady();  // it had served: replaced at once, no start backoff
    return {.kind = Kind::kUnresponsive};
  }
  if (exit.ready) {
    WorkerReady();
    const bool killed = WIFSIGNALED(exit.status) && WTERMSIG(exit.status) == SIGKILL;
    return {.kind = killed ? Kind::kKilled : Kind::kDied};
  }
  ++fast_failures_;
  if (!ever_established_ && fast_failures_ >= kMaxStartFailures) return {.kind = Kind::kGiveUp};
  auto backoff = std::min<Clock::duration>(kFirstBackoff * (1 << std::min(fast_failures_ - 1, 16)),
                                           kMaxBackoff);
  return {.kind = Kind::kFailedStart, .respawn_after = backoff};
}

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

std::string ExitLogLine(const StartBackoff::Verdict& verdict, size_t index, pid_t pid, int status,
                        uint64_t requests, const StartBackoff& backoff) {
  const std::string worker = fmt::format("worker {} pid {}", index, pid);
  const std::string how = DescribeExit(status);
  using Kind = StartBackoff::Kind;
  switch (verdict.kind) {
    case Kind::kRetired: return worker + " retired as a spare the pool does not need";
    case Kind::kLeft: return worker + " " + how;
    case Kind::kRecycled:
      return fmt::format("{} recycled after {} requests; respawning", worker, requests);
    case Kind::kTimedOut: return worker + " " + how + " after its request timed out; respawning";
    case Kind::kUnresponsive:
      return worker + " " + how + " after it stopped responding while idle; respawning";
    case Kind::kKilled: return worker + " " + how + " (out of memory?); respawning";
    case Kind::kDied: return worker + " " + how + "; respawning";
    case Kind::kFailedStart:
      return fmt::format("{} {} right after start; respawning in {:.1f} s", worker, how,
                         std::chrono::duration<double>(verdict.respawn_after).count());
    case Kind::kGiveUp:
      return fmt::format("{} {}; {} workers in a row died at start, giving up", worker, how,
                         backoff.failures_in_a_row());
  }
  return worker + " " + how;
}

spdlog::level::level_enum ExitLogLevel(StartBackoff::Kind kind) {
  using Kind = StartBackoff::Kind;
  switch (kind) {
    case Kind::kRetired:
    case Kind::kLeft:
    case Kind::kRecycled: return spdlog::level::info;
    case Kind::kTimedOut:
    case Kind::kUnresponsive:
    case Kind::kDied: return spdlog::level::warn;
    case Kind::kKilled:
    case Kind::kFailedStart: return spdlog::level::err;
    case Kind::kGiveUp: return spdlog::level::critical;
  }
  return spdlog::level::info;
}

}  // namespace shoal::supervisor
