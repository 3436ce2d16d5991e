#include "supervisor/worker_table.h"

#include <signal.h>

#include <algorithm>

namespace shoal::supervisor {

Result<WorkerTable> WorkerTable::Create(size_t slots) {
  Result<Scoreboard> scoreboard = Scoreboard::Create(kMaxWorkers);
  if (!scoreboard.ok()) return scoreboard.status();
  return WorkerTable(std::move(scoreboard).value(), std::min(slots, kMaxWorkers));
}

void WorkerTable::Grow(size_t slots) {
  if (slots_.size() < slots) slots_.resize(std::min(slots, kMaxWorkers));
}

void WorkerTable::Started(size_t index, pid_t pid, Clock::time_point now) {
  Slot& slot = slots_[index];
  slot.pid = pid;
  slot.started = now;
  slot.retiring = false;
  slot.ready = false;
  slot.unresponsive = false;
  slot.timed_out_at.reset();
  ScoreboardSlot& score = scoreboard_.slot(index);
  if (slot.ever_started) score.respawns.fetch_add(1);
  slot.ever_started = true;
  score.requests.store(0);
  score.exceptions.store(0);
  score.busy_ms.store(0);
  score.rss_kb.store(0);
  score.request_started_ms.store(0);
  // Not judged while starting; a fresh beat for the moment it turns idle.
  score.heartbeat_ms.store(Scoreboard::NowMs());
  score.state.store(WorkerState::kStarting);
  score.pid.store(pid);
}

bool WorkerTable::NoteReady(size_t index) {
  Slot& slot = slots_[index];
  if (slot.pid <= 0 || slot.ready || scoreboard_.slot(index).state.load() == WorkerState::kStarting) {
    return false;
  }
  slot.ready = true;
  return true;
}

std::optional<WorkerTable::Departed> WorkerTable::Exited(pid_t pid) {
  auto found = std::find_if(slots_.begin(), slots_.end(), [pid](const Slot& s) { return s.pid == pid; });
  if (found == slots_.end()) return std::nullopt;
  size_t index = static_cast<size_t>(found - slots_.begin());
  NoteReady(index);
  Departed departed{.index = index, .slot = *found, .requests = scoreboard_.slot(index).requests.load()};
  found->pid = 0;
  found->retiring = false;
  found->unresponsive = false;
  found->timed_out_at.reset();
  scoreboard_.slot(index).pid.store(0);
  scoreboard_.slot(index).state.store(WorkerState::kEmpty);
  return departed;
}

std::vector<PoolPolicy::SlotView> WorkerTable::PolicyView() const {
  std::vector<PoolPolicy::SlotView> view(slots_.size());
  for (size_t i = 0; i < view.size(); ++i) {
    const ScoreboardSlot& score = scoreboard_.slot(i);
    view[i] = {.pid = slots_[i].pid,
               .retiring = slots_[i].retiring,
               .state = score.state.load(),
               .respawn_at = slots_[i].respawn_at,
               .request_started_ms = score.request_started_ms.load(),
               .timed_out_at = slots_[i].timed_out_at,
               .ready = slots_[i].ready,
               .heartbeat_ms = score.heartbeat_ms.load(),
               .unresponsive = slots_[i].unresponsive};
  }
  return view;
}

int WorkerTable::Live() const {
  return static_cast<int>(
      std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.pid > 0; }));
}

int WorkerTable::Idle() const {
  int idle = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].pid <= 0 || slots_[i].retiring) continue;
    WorkerState state = scoreboard_.slot(i).state.load();
    if (state == WorkerState::kIdle || state == WorkerState::kStarting) ++idle;
  }
  return idle;
}

void WorkerTable::SignalAll(int signo) const {
  for (const Slot& slot : slots_) {
    if (slot.pid > 0) kill(slot.pid, signo);
  }
}

}  // namespace shoal::supervisor
