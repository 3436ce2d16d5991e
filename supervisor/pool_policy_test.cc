#include "supervisor/pool_policy.h"

#include <signal.h>
#include <sys/wait.h>

#include <vector>

#include <gtest/gtest.h>

#include "service/exit_codes.h"

namespace shoal::supervisor {
namespace {

using namespace std::chrono_literals;
using Clock = PoolPolicy::Clock;
using SlotView = PoolPolicy::SlotView;

const Clock::time_point kStart = Clock::time_point() + 1000s;

SlotView Worker(WorkerState state, pid_t pid = 100) { return {.pid = pid, .state = state}; }
SlotView Empty(Clock::time_point respawn_at = Clock::time_point()) {
  return {.pid = 0, .respawn_at = respawn_at};
}

TEST(PoolPolicyTest, FixedPoolFillsItsEmptySlotsOnceTheirDelayIsOver) {
  PoolPolicy policy({.workers = 3});
  std::vector<SlotView> slots = {Worker(WorkerState::kIdle), Empty(kStart + 2s), Empty()};
  EXPECT_EQ(policy.Decide(slots, kStart, 0).spawn, (std::vector<size_t>{2}));
  EXPECT_EQ(policy.Decide(slots, kStart + 2s, 0).spawn, (std::vector<size_t>{1, 2}));
}

TEST(PoolPolicyTest, TtinAndTtouMoveAFixedPoolsTarget) {
  PoolPolicy policy({.workers = 1});
  std::optional<size_t> retire;
  EXPECT_EQ(policy.Shrink(retire), "signal TTOU: one worker left; not removing it");
  EXPECT_FALSE(retire);
  EXPECT_EQ(policy.Grow(1024), "signal TTIN: 2 workers");
  EXPECT_EQ(policy.capacity(), 2u);
  std::vector<SlotView> slots = {Worker(WorkerState::kBusy), Empty()};
  EXPECT_EQ(policy.Decide(slots, kStart, 0).spawn, (std::vector<size_t>{1}));
  EXPECT_EQ(policy.Shrink(retire), "signal TTOU: 1 workers");
  EXPECT_EQ(retire, 1u);
  EXPECT_TRUE(policy.Decide(slots, kStart, 0).spawn.empty());
  PoolPolicy full({.workers = 4});
  EXPECT_EQ(full.Grow(4), "signal TTIN: already 4 workers, the most there can be");
}

TEST(PoolPolicyTest, AdaptivePoolStartsOneTwoFourASecondWhileSparesAreShort) {
  PoolPolicy policy({.workers = 1, .adaptive = true, .min_spare = 8, .max_spare = 10,
                     .max_children = 50});
  EXPECT_EQ(policy.capacity(), 50u);
  std::vector<SlotView> slots(50);
  slots[0] = Worker(WorkerState::kBusy);
  EXPECT_EQ(policy.Decide(slots, kStart, 0).spawn.size(), 1u);
  // Within the same second nothing more starts.
  EXPECT_TRUE(policy.Decide(slots, kStart + 500ms, 0).spawn.empty());
  EXPECT_EQ(policy.Decide(slots, kStart + 1s, 0).spawn.size(), 2u);
  EXPECT_EQ(policy.Decide(slots, kStart + 2s, 0).spawn, (std::vector<size_t>{1, 2, 3, 4}));
  // Starting workers count as idle: with 8 spare, none more.
  for (size_t i = 1; i <= 8; ++i) slots[i] = Worker(WorkerState::kStarting);
  EXPECT_TRUE(policy.Decide(slots, kStart + 3s, 0).spawn.empty());
}

TEST(PoolPolicyTest, AdaptivePoolNeverPassesMaxChildren) {
  PoolPolicy policy({.workers = 1, .adaptive = true, .min_spare = 5, .max_spare = 6,
                     .max_children = 3});
  std::vector<SlotView> slots(3);
  slots[0] = Worker(WorkerState::kBusy);
  slots[1] = Worker(WorkerState::kBusy);
  EXPECT_EQ(policy.Decide(slots, kStart, 0).spawn, (std::vector<size_t>{2}));
  slots[2] = Worker(WorkerState::kBusy);
  EXPECT_TRUE(policy.Decide(slots, kStart + 5s, 0).spawn.empty());
}

TEST(PoolPolicyTest, AdaptivePoolRetiresTheNewestIdleSpareOneASecond) {
  PoolPolicy policy({.workers = 1, .adaptive = true, .min_spare = 1, .max_spare = 2,
                     .max_children = 10});
  std::vector<SlotView> slots = {Worker(WorkerState::kIdle), Worker(WorkerState::kIdle),
                                 Worker(WorkerState::kBusy), Worker(WorkerState::kBusy),
                                 Empty()};
  EXPECT_TRUE(policy.Decide(slots, kStart, 0).retire.empty()) << "2 idle is not too many";
  slots[4] = Worker(WorkerState::kIdle);
  EXPECT_EQ(policy.Decide(slots, kStart, 0).retire, (std::vector<size_t>{4}));
  slots[4].retiring = true;
  slots.push_back(Worker(WorkerState::kIdle));
  EXPECT_TRUE(policy.Decide(slots, kStart + 500ms, 0).retire.empty()) << "one a second";
  EXPECT_EQ(policy.Decide(slots, kStart + 1s, 0).retire, (std::vector<size_t>{5}));
}

TEST(PoolPolicyTest, RequestPastTheTimeoutGetsATracebackThenAKill) {
  PoolPolicy policy({.workers = 2, .request_timeout = 5000ms});
  std::vector<SlotView> slots = {Worker(WorkerState::kBusy), Worker(WorkerState::kBusy)};
  slots[0].request_started_ms = 1000;
  slots[1].request_started_ms = 4000;
  PoolPolicy::Actions at_6s = policy.Decide(slots, kStart, 6000);
  EXPECT_EQ(at_6s.dump_traceback, (std::vector<size_t>{0}));
  EXPECT_TRUE(at_6s.kill.empty());
  slots[0].timed_out_at = kStart;
  EXPECT_TRUE(policy.Decide(slots, kStart + 500ms, 6500).kill.empty());
  EXPECT_EQ(policy.Decide(slots, kStart + 1s, 7000).kill, (std::vector<size_t>{0}));
  slots[0].timed_out_at = Clock::time_point::max();  // killed already
  EXPECT_TRUE(policy.Decide(slots, kStart + 2s, 8000).kill.empty());
  PoolPolicy no_limit({.workers = 2});
  EXPECT_TRUE(no_limit.Decide(slots, kStart, 1'000'000).dump_traceback.empty());
}

TEST(PoolPolicyTest, IdleWorkerSilentPastTheHeartbeatTimeoutIsKilledOnce) {
  PoolPolicy policy({.workers = 4, .heartbeat_timeout = 10'000ms});
  auto idle = [](int64_t heartbeat_ms) {
    SlotView slot = Worker(WorkerState::kIdle);
    slot.ready = true;
    slot.heartbeat_ms = heartbeat_ms;
    return slot;
  };
  std::vector<SlotView> slots = {idle(1000), idle(5000), idle(1000), idle(1000)};
  slots[2].state = WorkerState::kBusy;  // cannot beat: --timeout's business
  slots[3].heartbeat_ms = 0;            // out of its wait: serving a connection
  EXPECT_TRUE(policy.Decide(slots, kStart, 10'999).unresponsive.empty());
  EXPECT_EQ(policy.Decide(slots, kStart, 11'000).unresponsive, (std::vector<size_t>{0}));
  EXPECT_EQ(policy.Decide(slots, kStart, 20'000).unresponsive, (std::vector<size_t>{0, 1}));
  // Killed already (it is reaped in a moment): not again.
  slots[0].unresponsive = true;
  EXPECT_EQ(policy.Decide(slots, kStart, 20'000).unresponsive, (std::vector<size_t>{1}));
  // Not yet ready (still booting), or killed for --timeout: not judged.
  slots[1].ready = false;
  EXPECT_TRUE(policy.Decide(slots, kStart, 20'000).unresponsive.empty());
  slots[1].ready = true;
  slots[1].timed_out_at = kStart;
  EXPECT_TRUE(policy.Decide(slots, kStart, 20'000).unresponsive.empty());
  // Off at zero.
  PoolPolicy off({.workers = 4, .heartbeat_timeout = 0ms});
  std::vector<SlotView> silent = {idle(1)};
  EXPECT_TRUE(off.Decide(silent, kStart, 1'000'000).unresponsive.empty());
}

int Exited(int code) { return code << 8; }
int Killed(int signo) { return signo; }

TEST(StartBackoffTest, WorkersDyingAtStartAreRespawnedEverLaterThenGivenUpOn) {
  StartBackoff backoff;
  std::vector<double> delays;
  for (int i = 1; i < StartBackoff::kMaxStartFailures; ++i) {
    StartBackoff::Verdict verdict = backoff.Judge({.status = Exited(3)});
    ASSERT_EQ(verdict.kind, StartBackoff::Kind::kFailedStart);
    delays.push_back(std::chrono::duration<double>(verdict.respawn_after).count());
  }
  EXPECT_EQ(delays, (std::vector<double>{0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4}));
  EXPECT_EQ(backoff.Judge({.status = Exited(3)}).kind, StartBackoff::Kind::kGiveUp);
}

TEST(StartBackoffTest, APoolThatEverStayedUpIsNeverGivenUp) {
  StartBackoff backoff;
  EXPECT_EQ(backoff.Judge({.status = Killed(SIGSEGV), .ready = true}).kind,
            StartBackoff::Kind::kDied);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(backoff.Judge({.status = Exited(3)}).kind,
              StartBackoff::Kind::kFailedStart);
  }
  // The delay is bounded.
  EXPECT_EQ(backoff.Judge({.status = Exited(3)}).respawn_after,
            std::chrono::seconds(10));
}

TEST(StartBackoffTest, AWorkerThatBecameReadyCrashesWithoutCountingAsAFailedStart) {
  StartBackoff backoff;
  // A request that segfaults, again and again, right after start.
  for (int i = 0; i < 3 * StartBackoff::kMaxStartFailures; ++i) {
    StartBackoff::Verdict verdict = backoff.Judge({.status = Killed(SIGSEGV), .ready = true});
    EXPECT_EQ(verdict.kind, StartBackoff::Kind::kDied);
    EXPECT_EQ(verdict.respawn_after, Clock::duration()) << "replaced at once";
  }
  // Failed starts after a ready worker begin their count again, and a pool
  // that was ready is never given up on.
  for (int i = 0; i < 3 * StartBackoff::kMaxStartFailures; ++i) {
    EXPECT_EQ(backoff.Judge({.status = Exited(3)}).kind, StartBackoff::Kind::kFailedStart);
  }
  backoff.WorkerReady();
  EXPECT_EQ(backoff.failures_in_a_row(), 0);
  EXPECT_EQ(backoff.Judge({.status = Exited(3)}).respawn_after, std::chrono::milliseconds(100));
}

TEST(StartBackoffTest, EachExitIsNamedForWhatItWas) {
  StartBackoff backoff;
  using Kind = StartBackoff::Kind;
  EXPECT_EQ(backoff.Judge({.status = Exited(0), .retired = true}).kind, Kind::kRetired);
  EXPECT_EQ(backoff.Judge({.status = Exited(0), .wanted = false}).kind, Kind::kLeft);
  EXPECT_EQ(backoff.Judge({.status = Exited(service::kExitWorkerRecycled)}).kind,
            Kind::kRecycled);
  EXPECT_EQ(backoff.Judge({.status = Killed(SIGKILL), .timed_out = true}).kind,
            Kind::kTimedOut);
  EXPECT_EQ(backoff.Judge({.status = Killed(SIGKILL), .ready = true}).kind, Kind::kKilled);
  EXPECT_EQ(backoff.Judge({.status = Exited(1), .ready = true}).respawn_after, Clock::duration());
  StartBackoff::Verdict silent =
      backoff.Judge({.status = Killed(SIGKILL), .ready = true, .unresponsive = true});
  EXPECT_EQ(silent.kind, Kind::kUnresponsive);
  EXPECT_EQ(silent.respawn_after, Clock::duration()) << "replaced at once";
}

TEST(StartBackoffTest, AnUnresponsiveWorkerKilledAfterFailedStartsResetsTheBackoff) {
  StartBackoff backoff;
  backoff.WorkerReady();
  for (int i = 0; i < 3; ++i) backoff.Judge({.status = Exited(3)});
  EXPECT_EQ(backoff.failures_in_a_row(), 3);
  backoff.Judge({.status = Killed(SIGKILL), .ready = true, .unresponsive = true});
  EXPECT_EQ(backoff.failures_in_a_row(), 0);
}

TEST(ExitLogLineTest, SaysWhatHappenedAtTheLevelItDeserves) {
  StartBackoff backoff;
  using Kind = StartBackoff::Kind;
  EXPECT_EQ(ExitLogLine({.kind = Kind::kFailedStart, .respawn_after = 400ms}, 1, 42, Exited(3), 0,
                        backoff),
            "worker 1 pid 42 exited with code 3 right after start; respawning in 0.4 s");
  EXPECT_EQ(ExitLogLine({.kind = Kind::kKilled}, 0, 7, Killed(SIGKILL), 5, backoff),
            "worker 0 pid 7 killed by signal 9 (Killed) (out of memory?); respawning");
  EXPECT_EQ(ExitLogLine({.kind = Kind::kUnresponsive}, 1, 8, Killed(SIGKILL), 5, backoff),
            "worker 1 pid 8 killed by signal 9 (Killed) after it stopped responding while idle; "
            "respawning");
  EXPECT_EQ(ExitLogLevel(Kind::kUnresponsive), spdlog::level::warn);
  EXPECT_EQ(ExitLogLine({.kind = Kind::kRecycled}, 2, 9, Exited(4), 500, backoff),
            "worker 2 pid 9 recycled after 500 requests; respawning");
  EXPECT_EQ(ExitLogLevel(Kind::kRecycled), spdlog::level::info);
  EXPECT_EQ(ExitLogLevel(Kind::kDied), spdlog::level::warn);
  EXPECT_EQ(ExitLogLevel(Kind::kKilled), spdlog::level::err);
  EXPECT_EQ(ExitLogLevel(Kind::kGiveUp), spdlog::level::critical);
}

TEST(DescribeExitTest, NamesTheCodeOrTheSignal) {
  EXPECT_EQ(DescribeExit(Exited(3)), "exited with code 3");
  EXPECT_EQ(DescribeExit(Killed(SIGKILL)), "killed by signal 9 (Killed)");
  EXPECT_EQ(DescribeExit(Killed(SIGSEGV) | 0x80), "killed by signal 11 (Segmentation fault) (core dumped)");
}

}  // namespace
}  // namespace shoal::supervisor
