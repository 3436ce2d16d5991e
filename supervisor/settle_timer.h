// SettleTimer: coalesces a burst of events into one action, taken once the
// burst has been quiet for a while. --reload-on-change uses it so that files
// saved together (an editor's "save all", a `git checkout`) make one reload
// after the last of them, not one for each.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>

namespace shoal::supervisor {

class SettleTimer {
 public:
  using Clock = std::chrono::steady_clock;

  // Due `quiet` after the last event, or `longest` after the first if the
  // events never stop for that long.
  SettleTimer(Clock::duration quiet, Clock::duration longest) : quiet_(quiet), longest_(longest) {}

  // `events` more of the burst, at `now`.
  void Note(Clock::time_point now, int events = 1) {
    if (events_ == 0) first_ = now;
    last_ = now;
    events_ += events;
  }

  // When the burst is due; nullopt when no event is pending.
  std::optional<Clock::time_point> due_at() const {
    if (events_ == 0) return std::nullopt;
    return std::min(last_ + quiet_, first_ + longest_);
  }

  // The count of events of a burst that is due at `now` (and then forgets
  // it); 0 if none is.
  int TakeIfDue(Clock::time_point now) {
    if (events_ == 0 || now < *due_at()) return 0;
    int events = events_;
    events_ = 0;
    return events;
  }

 private:
  Clock::duration quiet_;
  Clock::duration longest_;
  Clock::time_point first_;
  Clock::time_point last_;
  int events_ = 0;
};

}  // namespace shoal::supervisor
