// The master's care of its workers and its own shutdown, seen from outside.
#include <signal.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <future>

#include "support/proc.h"
#include "support/serving_fixture.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

bool Contains(const std::vector<pid_t>& pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

std::string Show(const std::vector<pid_t>& pids) {
  std::string text;
  for (pid_t pid : pids) text += (text.empty() ? "" : " ") + std::to_string(pid);
  return "[" + text + "]";
}

TEST_F(ServingTest, KilledWorkerIsReplacedAndRequestsStillSucceed) {
  ServedApp& served = Serve({.workers = 2});
  ShoalProcess& shoal = served.shoal();
  ASSERT_TRUE(shoal.WaitForWorkers(2, 10s)) << "workers: " << Show(shoal.WorkerPids());
  const std::vector<pid_t> before = shoal.WorkerPids();
  const pid_t victim = before.front();

  ASSERT_EQ(::kill(victim, SIGKILL), 0);

  // Replaced: the victim is reaped (not even a zombie child), a pid that was
  // not there before is a worker, and there are two again.
  bool replaced = WaitUntil(10s, [&] {
    std::vector<pid_t> now = shoal.WorkerPids();
    bool has_new = std::any_of(now.begin(), now.end(), [&](pid_t p) { return !Contains(before, p); });
    return has_new && now.size() == 2 && !Contains(ChildrenOf(shoal.pid(), true), victim);
  });
  EXPECT_TRUE(replaced) << "before " << Show(before) << ", killed " << victim << ", now "
                        << Show(ChildrenOf(shoal.pid(), true)) << " (zombies included)";

  for (int i = 0; i < 6; ++i) {
    HttpResponse response = served.Get("/");
    EXPECT_EQ(response.status, 200) << "request " << i;
  }
}

TEST_F(ServingTest, SigtermExitsZeroAndRemovesTheSocket) {
  ServedApp& served = Serve();
  ShoalProcess& shoal = served.shoal();
  ASSERT_TRUE(shoal.WaitForWorkers(2, 10s)) << "workers: " << Show(shoal.WorkerPids());
  const std::vector<pid_t> workers = shoal.WorkerPids();
  ASSERT_EQ(served.Get("/").status, 200);

  shoal.Signal(SIGTERM);

  EXPECT_EQ(shoal.WaitForExit(15s), std::optional<int>(0));
  EXPECT_FALSE(std::filesystem::exists(served.socket_path()));
  bool workers_gone = WaitUntil(5s, [&] {
    return std::none_of(workers.begin(), workers.end(), IsAlive);
  });
  EXPECT_TRUE(workers_gone) << "workers " << Show(workers) << " still alive";
}

TEST_F(ServingTest, SigtermLetsAnInFlightRequestFinish) {
  ServedApp& served = Serve();
  ShoalProcess& shoal = served.shoal();
  const std::filesystem::path started = served.run_dir() / "slow-started";
  auto slow = std::async(std::launch::async, [&served, &started] {
    return served.Get("/slow?seconds=2&started=" + started.string(), std::chrono::seconds(20));
  });
  // The app creates `started` as it begins to sleep: the request is in flight.
  ASSERT_TRUE(WaitUntil(10s, [&] { return std::filesystem::exists(started); }))
      << "the /slow request never reached the app";

  shoal.Signal(SIGTERM);

  HttpResponse response = slow.get();  // bounded by the request's timeout
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "slept\n");
  EXPECT_EQ(shoal.WaitForExit(15s), std::optional<int>(0));
}

TEST_F(ServingTest, WorkersExitWhenTheMasterIsKilled) {
  ServedApp& served = Serve({.workers = 2});
  ShoalProcess& shoal = served.shoal();
  ASSERT_TRUE(shoal.WaitForWorkers(2, 10s)) << "workers: " << Show(shoal.WorkerPids());
  const std::vector<pid_t> workers = shoal.WorkerPids();

  shoal.Signal(SIGKILL);
  ASSERT_EQ(shoal.WaitForExit(5s), std::optional<int>(128 + SIGKILL));

  bool gone = WaitUntil(5s, [&] { return std::none_of(workers.begin(), workers.end(), IsAlive); });
  std::vector<pid_t> alive;
  std::copy_if(workers.begin(), workers.end(), std::back_inserter(alive), IsAlive);
  EXPECT_TRUE(gone) << "workers still alive 5 s after the master's SIGKILL: " << Show(alive);
  // Never leave orphans behind for the next test.
  for (pid_t pid : alive) ::kill(pid, SIGKILL);
}

}  // namespace
}  // namespace shoal::tests
