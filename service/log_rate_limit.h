// LogRateLimit: at most a few lines a period for one kind of event that a
// client can cause at will (connections dropped at a deadline, idle
// connections closed past --max-idle-connections), so a flood of them
// cannot flood the log. What is held back is counted and said in the next
// line written. One per kind, per process; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace shoal::service {

class LogRateLimit {
 public:
  using Clock = std::chrono::steady_clock;

  // Lets `burst` lines through in each `period`; shoal's limits all use
  // the defaults, which the README states (10 lines in 10 s).
  explicit LogRateLimit(uint64_t burst = 10, std::chrono::seconds period = std::chrono::seconds(10))
      : burst_(burst), period_(period) {}

  // Whether the event at `now` gets its line. When it does, `held_back`
  // is how many lines were held back since the last one written.
  struct Verdict {
    bool write = false;
    uint64_t held_back = 0;
  };
  Verdict Admit(Clock::time_point now);

  // " (N more like it not logged)" for a Verdict's held_back, or "".
  static std::string Suffix(uint64_t held_back);

 private:
  const uint64_t burst_;
  const Clock::duration period_;
  Clock::time_point period_start_ = {};
  uint64_t written_ = 0;   // in the current period
  uint64_t held_back_ = 0;  // since the last line written
};

}  // namespace shoal::service
