// The master's care of its workers and its own shutdown, seen from outside.
#include <signal.h>
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <atomic>
#include <future>
#include <iostream>
#include <thread>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

#include "support/child_process.h"
#include "support/paths.h"
#include "support/proc.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/serving_fixture.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

bool Contains(const std::vector<pid_t>& pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

std::string Show(const std::vector<pid_t>& pids) {
  std::string text;
  for (pid_t pid : pids) {
    // (Not `("" or " ") + to_string`: GCC 12 at -O3 warns of that, -Wrestrict.)
    if (!text.empty()) text += ' ';
    text += std::to_string(pid);
  }
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

// A storm of external kill -9s under load through nginx: every killed
// worker was serving, so each is replaced at once (no start backoff); the
// master stays, requests keep being answered, and the pool is back at size
// within a second of the last kill.
TEST_F(ServingTest, KillNineStormUnderLoadThroughNginx) {
  ServedApp& served = Serve({.workers = 2});
  ShoalProcess& shoal = served.shoal();
  ASSERT_TRUE(shoal.WaitForWorkers(2, 10s));
  std::atomic<bool> stop = false;
  std::atomic<int> ok = 0, failed = 0;
  std::mutex mutex;
  std::set<pid_t> answered;  // workers that have served: ready, as a storm's victims are
  std::thread load([&] {
    const auto until = std::chrono::steady_clock::now() + 20s;
    for (int i = 0; i < 50000 && !stop && std::chrono::steady_clock::now() < until; ++i) {
      try {
        HttpResponse response = served.Get("/pid");
        if (response.status != 200) {
          failed++;
          continue;
        }
        ok++;
        std::lock_guard lock(mutex);
        answered.insert(std::stoi(response.body));
      } catch (const std::exception&) {
        failed++;
      }
    }
  });
  int kills = 0;
  for (int round = 0; round < 20; ++round) {
    pid_t victim = 0;
    WaitUntil(2s, [&] {
      std::lock_guard lock(mutex);
      for (pid_t pid : shoal.WorkerPids()) {
        if (answered.count(pid)) victim = pid;
      }
      return victim != 0;
    });
    if (victim != 0 && ::kill(victim, SIGKILL) == 0) ++kills;
    std::this_thread::sleep_for(100ms);
  }
  const auto last_kill = std::chrono::steady_clock::now();
  const int ok_at_last_kill = ok;
  bool back = WaitUntil(5s, [&] { return shoal.WorkerPids().size() == 2; });
  const auto back_after = std::chrono::steady_clock::now() - last_kill;
  std::this_thread::sleep_for(500ms);
  stop = true;
  load.join();

  EXPECT_GE(kills, 15);
  ASSERT_TRUE(back) << "the pool is not back at size 5 s after the last kill";
  EXPECT_LT(back_after, 1s) << "the pool came back at size only after "
                            << std::chrono::duration_cast<std::chrono::milliseconds>(back_after).count()
                            << " ms";
  EXPECT_TRUE(shoal.running());
  EXPECT_GT(ok_at_last_kill, 20) << "requests were not answered during the storm";
  EXPECT_GT(ok, ok_at_last_kill) << "no request answered after the storm";
  EXPECT_EQ(served.Get("/").status, 200);
  const std::string log = shoal.Log();
  EXPECT_EQ(log.find("right after start"), std::string::npos) << "a kill is no failed start";
  EXPECT_EQ(log.find("giving up"), std::string::npos);
  std::cout << "[figure] kill -9 storm: " << kills << " kills, " << ok << " answered, " << failed
            << " failed, pool back at size "
            << std::chrono::duration_cast<std::chrono::milliseconds>(back_after).count()
            << " ms after the last kill\n";
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

namespace shoal::tests {
namespace {

bool LogHas(ShoalProcess& shoal, const std::string& part) {
  return WaitUntil(std::chrono::seconds(5),
                   [&] { return shoal.Log().find(part) != std::string::npos; });
}

// No core files from the workers a test crashes on purpose (they would land
// in tests/apps, the workers' working directory); restored afterwards.
class NoCoreDumps {
 public:
  NoCoreDumps() {
    getrlimit(RLIMIT_CORE, &saved_);
    rlimit none{0, saved_.rlim_max};
    setrlimit(RLIMIT_CORE, &none);
  }
  ~NoCoreDumps() { setrlimit(RLIMIT_CORE, &saved_); }

 private:
  rlimit saved_{};
};

// A request that kills its worker (a segfault, os._exit, abort) costs that
// request only, from the workers' first second on and again after a HUP:
// a worker that became ready and then died is replaced at once, never
// counted as a failed start, and the master never gives up.
TEST_F(ServingTest, CrashingRequestsRightAfterStartAndAfterHupCostOnlyThemselves) {
  NoCoreDumps no_cores;
  EnvVars env;
#ifdef SHOAL_SANITIZE
  // The segfault is the test's own (a NULL read in ctypes): ASan's handler
  // would report it, and the worker would exit 1 rather than die of it.
  const char* asan_options = std::getenv("ASAN_OPTIONS");
  env.emplace_back("ASAN_OPTIONS",
                   std::string(asan_options ? asan_options : "") + ":handle_segv=0");
#endif
  ServedApp& served =
      Serve({.workers = 2, .extra_args = {"--mount", "/raw=probe:raw_app"}, .env = env});
  ShoalProcess& shoal = served.shoal();
  auto storm = [&] {
    for (const char* how : {"segfault", "exit", "abort"}) {
      for (int i = 0; i < 4; ++i) {
        try {
          EXPECT_NE(served.Get(std::string("/raw/crash?how=") + how).status, 200);
        } catch (const std::exception&) {
          // A cut-off answer is as good: the request failed, alone.
        }
      }
    }
  };

  storm();  // 12 crashes, the first within a second of the start
  EXPECT_TRUE(shoal.running()) << shoal.Log();
  EXPECT_EQ(served.Get("/").status, 200);

  shoal.Signal(SIGHUP);
  ASSERT_TRUE(LogHas(shoal, "re-executed")) << shoal.Log();
  storm();
  EXPECT_TRUE(shoal.running()) << shoal.Log();
  EXPECT_EQ(served.Get("/").status, 200);
  EXPECT_TRUE(shoal.WaitForWorkers(2, std::chrono::seconds(5)));
  const std::string log = shoal.Log();
  EXPECT_EQ(log.find("giving up"), std::string::npos) << log;
  EXPECT_EQ(log.find("right after start"), std::string::npos) << "a crash is no failed start\n"
                                                                << log;
  EXPECT_NE(log.find("killed by signal 11 (Segmentation fault)"), std::string::npos) << log;
}

TEST_F(ServingTest, RequestPastTimeoutLeavesItsTracebackAndThePoolRecovers) {
  ServedApp& served = Serve({.workers = 2, .extra_args = {"--timeout", "1"}});
  ShoalProcess& shoal = served.shoal();
  auto sent = std::chrono::steady_clock::now();

  HttpResponse stuck = served.Get("/slow?seconds=20", std::chrono::seconds(15));

  EXPECT_NE(stuck.status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - sent, std::chrono::seconds(5));
  EXPECT_TRUE(LogHas(shoal, "'GET /slow?seconds=20' ran past --timeout (1 s)"));
  // faulthandler's dump names the function the request was stuck in.
  EXPECT_TRUE(LogHas(shoal, "in _slow")) << shoal.Log();
  EXPECT_TRUE(shoal.WaitForWorkers(2, std::chrono::seconds(10)));
  EXPECT_EQ(served.Get("/").status, 200);
}

TEST_F(ServingTest, MaxRequestsRecyclesWorkersBetweenRequests) {
  ServedApp& served = Serve({.workers = 1, .extra_args = {"--max-requests", "3"}});
  std::map<std::string, int> served_by;
  for (int i = 0; i < 9; ++i) {
    HttpResponse response = served.Get("/pid");
    ASSERT_EQ(response.status, 200) << "request " << i << " failed while a worker was recycled";
    ++served_by[response.body];
  }
  EXPECT_EQ(served_by.size(), 3u);
  for (const auto& [pid, count] : served_by) EXPECT_EQ(count, 3) << "pid " << pid;
  EXPECT_TRUE(LogHas(served.shoal(), "recycled after 3 requests"));
}

TEST_F(ServingTest, ReloadOnRssReplacesAWorkerThatGrewTooBig) {
  ServedApp& served = Serve({.workers = 1, .extra_args = {"--reload-on-rss", "80"}});
  std::set<std::string> pids;
  for (int i = 0; i < 6; ++i) {
    HttpResponse response = served.Get("/grow?mib=30");
    ASSERT_EQ(response.status, 200) << "request " << i;
    pids.insert(response.body);
  }
  // Each worker outgrows 80 MiB after a couple of 30 MiB requests.
  EXPECT_GE(pids.size(), 2u);
  EXPECT_TRUE(LogHas(served.shoal(), "is over --reload-on-rss 80 MiB; leaving to be replaced"));
  EXPECT_TRUE(LogHas(served.shoal(), "recycled after"));
}

TEST_F(ServingTest, AdaptivePoolGrowsUnderLoadAndShrinksWhenIdle) {
  ServedApp& served = Serve({.workers = 0,
                             .extra_args = {"--min-spare", "1", "--max-spare", "2",
                                            "--max-children", "6"}});
  ShoalProcess& shoal = served.shoal();
  ASSERT_TRUE(shoal.WaitForWorkers(1, std::chrono::seconds(10))) << Show(shoal.WorkerPids());

  // Four requests that sleep: each busy worker leaves the pool short of a
  // spare, so it grows (1, 2, 4 a second) to 4 busy + at least 1 spare,
  // about 2.5 s in; the requests sleep longer than that.
  std::vector<std::future<HttpResponse>> slow;
  for (int i = 0; i < 4; ++i) {
    slow.push_back(std::async(std::launch::async, [&] {
      return served.Get("/slow?seconds=5", std::chrono::seconds(20));
    }));
  }
  EXPECT_TRUE(WaitUntil(std::chrono::seconds(5), [&] { return shoal.WorkerPids().size() >= 5; }))
      << Show(shoal.WorkerPids());
  for (auto& response : slow) EXPECT_EQ(response.get().body, "slept\n");
  EXPECT_LE(shoal.WorkerPids().size(), 6u);

  // Idle again: spares above --max-spare leave, one a second.
  EXPECT_TRUE(WaitUntil(std::chrono::seconds(8), [&] { return shoal.WorkerPids().size() <= 2; }))
      << Show(shoal.WorkerPids());
  EXPECT_TRUE(LogHas(shoal, "retired as a spare the pool does not need"));
  shoal.Signal(SIGTTOU);
  EXPECT_TRUE(LogHas(shoal, "signal TTOU ignored: the adaptive pool sizes itself"));
  EXPECT_EQ(served.Get("/").status, 200);
}

TEST_F(ServingTest, StatusShowsTheLiveScoreboard) {
  TempDir stats_dir("shoal-stats");
  const std::string stats = "unix:" + (stats_dir / "stats.sock").string();
  ServedApp& served = Serve({.workers = 2, .extra_args = {"--stats", stats}});
  ASSERT_EQ(served.Get("/raise").status, 500);
  const std::filesystem::path started = served.run_dir() / "slow-started";
  auto slow = std::async(std::launch::async, [&] {
    return served.Get("/slow?seconds=2&started=" + started.string(), std::chrono::seconds(20));
  });
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(10), [&] { return std::filesystem::exists(started); }));

  ShoalRun table = RunShoalToExit({"status", "--stats", stats}, stats_dir / "table.out",
                                  std::chrono::seconds(10));
  ShoalRun json = RunShoalToExit({"status", "--stats", stats, "--json"}, stats_dir / "json.out",
                                 std::chrono::seconds(10));
  ShoalRun metrics = RunShoalToExit({"status", "--stats", stats, "--metrics"},
                                    stats_dir / "metrics.out", std::chrono::seconds(10));

  EXPECT_EQ(table.exit_code, std::optional<int>(0)) << table.output;
  EXPECT_TRUE(table.output.find("busy") != std::string::npos) << table.output;
  EXPECT_TRUE(table.output.find("GET /slow?seconds=2") != std::string::npos) << table.output;
  for (pid_t pid : served.shoal().WorkerPids()) {
    EXPECT_TRUE(table.output.find(std::to_string(pid)) != std::string::npos) << table.output;
  }
  EXPECT_TRUE(json.output.find("\"status\": \"busy\"") != std::string::npos) << json.output;
  EXPECT_TRUE(json.output.find("\"exceptions\": 1") != std::string::npos) << json.output;
  EXPECT_TRUE(metrics.output.find("shoal_workers{status=\"busy\"} 1") != std::string::npos)
      << metrics.output;
  EXPECT_EQ(slow.get().body, "slept\n");

  ShoalRun missing = RunShoalToExit({"status", "--stats", "unix:/nonexistent/stats.sock"},
                                    stats_dir / "missing.out", std::chrono::seconds(10));
  EXPECT_EQ(missing.exit_code, std::optional<int>(1));
  EXPECT_TRUE(missing.output.find("cannot connect") != std::string::npos) << missing.output;
}

// Requests sent back to back from a few threads until told to stop.
class Load {
 public:
  explicit Load(ServedApp& served, int threads = 3) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([&served, this] {
        while (!stop_) {
          bool good = false;
          try {
            good = served.Get("/", std::chrono::seconds(10)).status == 200;
          } catch (const std::exception&) {
          }
          (good ? ok_ : failed_)++;
        }
      });
    }
  }
  // Stops and returns {succeeded, failed}.
  std::pair<int, int> Stop() {
    stop_ = true;
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    return {ok_.load(), failed_.load()};
  }
  ~Load() { Stop(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0}, failed_{0};
  std::vector<std::thread> threads_;
};

class ReloadTest : public ServingTest, public testing::WithParamInterface<int> {};

TEST_P(ReloadTest, ReExecutesInPlaceWithZeroFailedRequestsUnderLoad) {
  ServedApp& served = Serve({.workers = 2});
  ShoalProcess& shoal = served.shoal();
  ASSERT_TRUE(shoal.WaitForWorkers(2, std::chrono::seconds(10)));
  const std::vector<pid_t> before = shoal.WorkerPids();
  Load load(served);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  shoal.Signal(GetParam());

  // Same master, all new workers, the app imported again.
  bool replaced = WaitUntil(std::chrono::seconds(10), [&] {
    std::vector<pid_t> now = shoal.WorkerPids();
    return now.size() == 2 && std::none_of(now.begin(), now.end(), [&](pid_t p) {
      return Contains(before, p);
    });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto [succeeded, failed] = load.Stop();
  EXPECT_TRUE(replaced) << "before " << Show(before) << ", now " << Show(shoal.WorkerPids());
  EXPECT_TRUE(shoal.running()) << "the master's pid changed or it died";
  EXPECT_EQ(failed, 0) << succeeded << " succeeded";
  EXPECT_GT(succeeded, 100);
  std::string log = shoal.Log();
  size_t first = log.find("serving probe:app");
  EXPECT_NE(log.find("serving probe:app", first + 1), std::string::npos) << "not imported again";
  EXPECT_TRUE(LogHas(shoal, "re-executed; the previous workers finish their requests and leave"));
}

std::string SignalName(const testing::TestParamInfo<int>& signal) {
  return signal.param == SIGHUP ? "Hup" : "Usr2";
}

INSTANTIATE_TEST_SUITE_P(Signals, ReloadTest, testing::Values(SIGHUP, SIGUSR2), SignalName);

TEST_F(ServingTest, HupUnderWrkLoadLosesNoRequest) {
  ServedApp& served = Serve({.workers = 2});
  TempDir dir("shoal-wrk");
  ChildProcess wrk("/usr/bin/wrk",
                   {"-t", "2", "-c", "8", "-d", "4s",
                    "http://127.0.0.1:" + std::to_string(served.port()) + "/"},
                   dir / "wrk.out");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  served.shoal().Signal(SIGHUP);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  served.shoal().Signal(SIGHUP);  // and a second reload, back to back

  ASSERT_EQ(wrk.WaitForExit(std::chrono::seconds(15)), std::optional<int>(0)) << wrk.Output();
  std::string report = wrk.Output();
  EXPECT_NE(report.find("Requests/sec"), std::string::npos) << report;
  EXPECT_EQ(report.find("Non-2xx or 3xx responses"), std::string::npos) << report;
  EXPECT_EQ(report.find("Socket errors"), std::string::npos) << report;
  EXPECT_TRUE(served.shoal().running());
}

// Sends `count` GETs of `target` at once, each on its own thread; each
// future gives the status, or 0 if the request failed outright.
std::vector<std::future<int>> SendAtOnce(ServedApp& served, const std::string& target, int count) {
  std::vector<std::future<int>> sent;
  for (int i = 0; i < count; ++i) {
    sent.push_back(std::async(std::launch::async, [&served, target] {
      try {
        return served.Get(target, std::chrono::seconds(30)).status;
      } catch (const std::exception&) {
        return 0;
      }
    }));
  }
  return sent;
}

TEST_F(ServingTest, TermServesConnectionsAlreadyQueued) {
  ServedApp& served = Serve({.workers = 2});
  ShoalProcess& shoal = served.shoal();
  ASSERT_TRUE(shoal.WaitForWorkers(2, std::chrono::seconds(10)));  // booted: this is about queues
  std::vector<std::future<int>> queued = SendAtOnce(served, "/slow?seconds=0.3", 12);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // two in the app, the rest queued

  shoal.Signal(SIGTERM);

  int succeeded = 0;
  for (auto& status : queued) succeeded += status.get() == 200;
  EXPECT_EQ(succeeded, 12) << "queued requests were dropped on TERM";
  EXPECT_EQ(shoal.WaitForExit(std::chrono::seconds(15)), std::optional<int>(0));
}

TEST_F(ServingTest, TermWhileWorkersStillBootServesTheConnectionsQueuedForThem) {
  // Lazy workers import the app themselves, here for 1.5 s: the TERM comes
  // while they do. It must stop them once they are up, not kill them.
  ServedApp& served = Serve({.app = "slow_import:app",
                             .workers = 2,
                             .extra_args = {"--lazy-apps"},
                             .env = {{"TEST_IMPORT_SECONDS", "1.5"}}});
  ShoalProcess& shoal = served.shoal();
  std::vector<std::future<int>> queued = SendAtOnce(served, "/", 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  shoal.Signal(SIGTERM);

  int succeeded = 0;
  for (auto& status : queued) succeeded += status.get() == 200;
  EXPECT_EQ(succeeded, 4) << "requests queued for booting workers were dropped on TERM";
  EXPECT_EQ(shoal.WaitForExit(std::chrono::seconds(15)), std::optional<int>(0));
  EXPECT_EQ(shoal.Log().find("killed by signal 15"), std::string::npos) << shoal.Log();
}

TEST_F(ServingTest, PastTheGracefulTimeoutAWorkersTracebackIsLoggedThenItIsKilled) {
  ServedApp& served = Serve({.workers = 1, .extra_args = {"--graceful-timeout", "1"}});
  ShoalProcess& shoal = served.shoal();
  std::vector<std::future<int>> stuck = SendAtOnce(served, "/slow?seconds=20", 1);
  ASSERT_TRUE(shoal.WaitForWorkers(1, std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // in the app
  const auto signalled = std::chrono::steady_clock::now();

  shoal.Signal(SIGTERM);

  EXPECT_EQ(shoal.WaitForExit(std::chrono::seconds(10)), std::optional<int>(0));
  // The grace, then a second for the traceback.
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, std::chrono::seconds(4));
  EXPECT_NE(stuck[0].get(), 200);
  const std::string log = shoal.Log();
  EXPECT_NE(log.find("graceful timeout of 1 s reached; 1 worker(s) still running: their Python "
                     "tracebacks follow, then they are killed"),
            std::string::npos)
      << log;
  // faulthandler's dump names the function the worker was in.
  EXPECT_NE(log.find("in _slow"), std::string::npos) << log;
}

// After the preload import the master calls gc.freeze(), so the workers'
// collections leave the imported objects' pages shared; --no-gc-freeze
// (for comparing memory) leaves them to the collector.
TEST_F(ServingTest, PreloadFreezesTheImportedHeapUnlessToldNot) {
  {
    ServedApp& frozen = Serve({.workers = 1});
    HttpResponse count = frozen.Get("/gc-frozen");
    ASSERT_EQ(count.status, 200);
    EXPECT_GT(std::stol(count.body), 1000) << "the import's objects are frozen";
  }
  served_.reset();
  ServedApp& unfrozen = Serve({.workers = 1, .extra_args = {"--no-gc-freeze"}});
  HttpResponse count = unfrozen.Get("/gc-frozen");
  ASSERT_EQ(count.status, 200);
  EXPECT_EQ(count.body, "0");
}

TEST_F(ServingTest, PreloadImportsOnceInTheMasterAndLazyAppsInEachWorker) {
  auto importer_and_server = [](ServedApp& served) {
    std::istringstream in(served.Get("/imported-by").body);
    pid_t importer = 0, server = 0;
    in >> importer >> server;
    return std::make_pair(importer, server);
  };
  {
    ServedApp& preload = Serve({.workers = 2});
    auto [importer, server] = importer_and_server(preload);
    EXPECT_EQ(importer, preload.shoal().pid()) << "preload imports in the master";
    EXPECT_NE(server, importer);
  }
  served_.reset();
  ServedApp& lazy = Serve({.workers = 2, .extra_args = {"--lazy-apps"}});
  ASSERT_TRUE(lazy.shoal().WaitForWorkers(2, std::chrono::seconds(10)));
  for (int i = 0; i < 6; ++i) {
    auto [importer, server] = importer_and_server(lazy);
    EXPECT_EQ(importer, server) << "a lazy worker imports the app itself";
    EXPECT_NE(importer, lazy.shoal().pid());
  }
  // A lazy worker that dies is replaced by another fresh exec.
  pid_t victim = lazy.shoal().WorkerPids().front();
  ::kill(victim, SIGKILL);
  EXPECT_TRUE(WaitUntil(std::chrono::seconds(10), [&] {
    std::vector<pid_t> now = lazy.shoal().WorkerPids();
    return now.size() == 2 && !Contains(now, victim);
  }));
  EXPECT_EQ(lazy.Get("/").status, 200);
}

TEST(LazyAppsTest, AppThatDoesNotImportEndsTheMasterWithExitOne) {
  // With --lazy-apps the master imports nothing: the workers find the broken
  // app, die at start, and the master gives up after its bounded backoff.
  TempDir dir("shoal-lazy");
  ShoalRun run = RunShoalToExit({"--app", "broken_import:app", "--chdir", AppsDir().string(),
                                 "--bind", "unix:" + (dir / "s.sock").string(), "--lazy-apps"},
                                dir / "shoal.log", std::chrono::seconds(40));
  EXPECT_EQ(run.exit_code, std::optional<int>(1)) << run.output;
  EXPECT_NE(run.output.find("RuntimeError: broken at import"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("giving up"), std::string::npos) << run.output;
}

TEST_F(ServingTest, MaxRequestsJitterSpreadsRecyclingPerWorker) {
  ServedApp& served = Serve(
      {.workers = 1, .extra_args = {"--max-requests", "2", "--max-requests-jitter", "3"}});
  std::vector<std::string> order;
  for (int i = 0; i < 40; ++i) {
    HttpResponse response = served.Get("/pid");
    ASSERT_EQ(response.status, 200) << "request " << i;
    order.push_back(response.body);
  }
  // Each worker served between 2 and 5 requests in a row (the last one may
  // still be serving, so it is left out).
  std::map<std::string, int> counts;
  for (const std::string& pid : order) ++counts[pid];
  counts.erase(order.back());
  ASSERT_GE(counts.size(), 5u);
  std::set<int> sizes;
  for (const auto& [pid, count] : counts) {
    EXPECT_GE(count, 2) << pid;
    EXPECT_LE(count, 5) << pid;
    sizes.insert(count);
  }
  EXPECT_GE(sizes.size(), 2u) << "every worker left after the same count: no jitter";
}

TEST_F(ServingTest, TtinAddsAWorkerAndTtouRemovesOne) {
  ServedApp& served = Serve({.workers = 2});
  ShoalProcess& shoal = served.shoal();
  ASSERT_TRUE(shoal.WaitForWorkers(2, std::chrono::seconds(10)));

  // One signal at a time: two of the same kind sent together may arrive as one.
  shoal.Signal(SIGTTIN);
  EXPECT_TRUE(shoal.WaitForWorkers(3, std::chrono::seconds(10))) << Show(shoal.WorkerPids());
  shoal.Signal(SIGTTOU);
  EXPECT_TRUE(shoal.WaitForWorkers(2, std::chrono::seconds(10))) << Show(shoal.WorkerPids());
  shoal.Signal(SIGTTOU);
  EXPECT_TRUE(shoal.WaitForWorkers(1, std::chrono::seconds(10))) << Show(shoal.WorkerPids());
  shoal.Signal(SIGTTOU);  // never below one
  EXPECT_TRUE(LogHas(shoal, "one worker left; not removing it"));
  EXPECT_EQ(served.Get("/").status, 200);
}

class FastStopTest : public ServingTest, public testing::WithParamInterface<int> {};

TEST_P(FastStopTest, StopsAtOnceEvenWithARequestInFlight) {
  ServedApp& served = Serve({.workers = 1});
  ShoalProcess& shoal = served.shoal();
  const std::filesystem::path started = served.run_dir() / "slow-started";
  auto slow = std::async(std::launch::async, [&] {
    try {
      return served.Get("/slow?seconds=20&started=" + started.string(), std::chrono::seconds(30));
    } catch (const std::exception&) {
      return HttpResponse{};
    }
  });
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(10), [&] { return std::filesystem::exists(started); }));

  shoal.Signal(GetParam());

  EXPECT_EQ(shoal.WaitForExit(std::chrono::seconds(3)), std::optional<int>(0));
  EXPECT_NE(slow.get().status, 200);
}

INSTANTIATE_TEST_SUITE_P(Signals, FastStopTest, testing::Values(SIGINT, SIGQUIT),
                         [](const testing::TestParamInfo<int>& signal) {
                           return std::string(signal.param == SIGINT ? "Int" : "Quit");
                         });

}  // namespace
}  // namespace shoal::tests
