#include "service/log_rate_limit.h"

namespace shoal::service {

LogRateLimit::Verdict LogRateLimit::Admit(Clock::time_point now) {
  if (written_ == 0 || now - period_start_ >= period_) {
    period_start_ = now;
    written_ = 0;
  }
  if (written_ >= burst_) {
    ++held_back_;
    return {};
  }
  ++written_;
  Verdict verdict{.write = true, .held_back = held_back_};
  held_back_ = 0;
  return verdict;
}

std::string LogRateLimit::Suffix(uint64_t held_back) {
  if (held_back == 0) return "";
  return " (" + std::to_string(held_back) + " more like it not logged)";
}

}  // namespace shoal::service
