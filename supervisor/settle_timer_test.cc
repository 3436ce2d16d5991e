// SettleTimer: a burst of events is due once, after its last event settles.
#include "supervisor/settle_timer.h"

#include <gtest/gtest.h>

namespace shoal::supervisor {
namespace {

using std::chrono::milliseconds;
using Clock = SettleTimer::Clock;

TEST(SettleTimerTest, NothingNotedIsNeverDue) {
  SettleTimer timer(milliseconds(300), milliseconds(2000));
  EXPECT_FALSE(timer.due_at());
  EXPECT_EQ(timer.TakeIfDue(Clock::now() + milliseconds(5000)), 0);
}

TEST(SettleTimerTest, ABurstIsDueOnceItsLastEventHasBeenQuietLongEnough) {
  SettleTimer timer(milliseconds(300), milliseconds(2000));
  const Clock::time_point start = Clock::now();
  timer.Note(start);
  timer.Note(start + milliseconds(100));
  timer.Note(start + milliseconds(250));
  EXPECT_EQ(timer.due_at(), start + milliseconds(550));
  EXPECT_EQ(timer.TakeIfDue(start + milliseconds(549)), 0);
  EXPECT_EQ(timer.TakeIfDue(start + milliseconds(550)), 3);
  EXPECT_FALSE(timer.due_at()) << "taken once";
  EXPECT_EQ(timer.TakeIfDue(start + milliseconds(600)), 0);

  timer.Note(start + milliseconds(700));  // the next burst starts afresh
  EXPECT_EQ(timer.due_at(), start + milliseconds(1000));
  EXPECT_EQ(timer.TakeIfDue(start + milliseconds(1000)), 1);
}

TEST(SettleTimerTest, EventsThatNeverStopAreDueAtTheLongestWait) {
  SettleTimer timer(milliseconds(300), milliseconds(2000));
  const Clock::time_point start = Clock::now();
  for (int at = 0; at <= 1900; at += 100) timer.Note(start + milliseconds(at));
  EXPECT_EQ(timer.due_at(), start + milliseconds(2000));
  EXPECT_EQ(timer.TakeIfDue(start + milliseconds(2000)), 20);
}

}  // namespace
}  // namespace shoal::supervisor
