#include "service/log_rate_limit.h"

#include <gtest/gtest.h>

namespace shoal::service {
namespace {

using namespace std::chrono_literals;

TEST(LogRateLimitTest, LetsABurstThroughPerPeriodAndCountsTheRest) {
  LogRateLimit limit(3, 10s);
  const auto start = LogRateLimit::Clock::time_point() + 1000s;
  for (int i = 0; i < 3; ++i) {
    LogRateLimit::Verdict verdict = limit.Admit(start + std::chrono::seconds(i));
    EXPECT_TRUE(verdict.write);
    EXPECT_EQ(verdict.held_back, 0u);
  }
  for (int i = 0; i < 4000; ++i) EXPECT_FALSE(limit.Admit(start + 5s).write);
  // The next period's first line says how many were held back, once.
  LogRateLimit::Verdict next = limit.Admit(start + 10s);
  EXPECT_TRUE(next.write);
  EXPECT_EQ(next.held_back, 4000u);
  EXPECT_EQ(LogRateLimit::Suffix(next.held_back), " (4000 more like it not logged)");
  EXPECT_EQ(limit.Admit(start + 11s).held_back, 0u);
  EXPECT_EQ(LogRateLimit::Suffix(0), "");
}

}  // namespace
}  // namespace shoal::service
