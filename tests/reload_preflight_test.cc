// HUP and USR2 after the app's code was edited: the master first runs the
// new image as a check that only loads the app. An edit that no longer
// imports (or a check that crashes) refuses the reload with one line, and
// the same workers serve the old code on; once the file is fixed, the next
// HUP reloads. The check runs beside the master's loop, which goes on
// serving, parking, answering the stats socket and managing workers
// meanwhile; it holds no socket, answers no request, and is reaped.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.h"
#include "support/proc.h"
#include "support/served_app.h"
#include "support/serving_fixture.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/text.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

using namespace std::chrono_literals;

// The app module the tests edit: `edited:app` answers "VERSION PID\n";
// `at_import` runs first.
std::string ModuleText(const std::string& version, const std::string& at_import = "") {
  return "import os\n" + at_import +
         "\n"
         "VERSION = '" + version + "'\n"
         "\n"
         "def app(environ, start_response):\n"
         "    body = ('%s %d\\n' % (VERSION, os.getpid())).encode()\n"
         "    start_response('200 OK', [('Content-Type', 'text/plain'),\n"
         "                              ('Content-Length', str(len(body)))])\n"
         "    return [body]\n";
}

constexpr const char* kRaises = "raise RuntimeError('edited into a bug')\n";
// v1 notes each process that imported it, a line each in ./imported (the
// app's directory): a lazy worker counts once it has its app.
constexpr const char* kRecordsImport =
    "with open('imported', 'a') as f:\n    f.write('%d\\n' % os.getpid())\n";
constexpr const char* kRefused =
    "reload refused: cannot import app 'edited:app': RuntimeError: edited into a bug";
constexpr const char* kChecking = "checking that the new image loads the app (pid ";
// The master's line as it re-executes (the check's line says "before re-executing").
constexpr const char* kReexecuting = "): re-executing ";

std::string Sleeps(int seconds) { return "import time\ntime.sleep(" + std::to_string(seconds) + ")\n"; }

// One answer of `edited:app`.
struct Answer {
  int status = 0;
  std::string version;
  pid_t pid = 0;
};

Answer Ask(const ServedApp& served) {
  HttpResponse response = served.Get("/");
  Answer answer{.status = response.status, .version = {}, .pid = 0};
  const size_t space = response.body.find(' ');
  if (space != std::string::npos) {
    answer.version = response.body.substr(0, space);
    answer.pid = static_cast<pid_t>(std::atoi(response.body.c_str() + space + 1));
  }
  return answer;
}

bool Contains(const std::vector<pid_t>& pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

// The pid of the last check the log names; nullopt if none yet.
std::optional<pid_t> CheckPid(const std::string& log) {
  const size_t at = log.rfind(kChecking);
  if (at == std::string::npos) return std::nullopt;
  return static_cast<pid_t>(std::atoi(log.c_str() + at + std::string(kChecking).size()));
}

class ReloadPreflightTest : public ServingTest {
 protected:
  // Replaced whole (written beside, then renamed), so an import never reads
  // half an edit.
  void Edit(const std::string& text) {
    const std::filesystem::path next = app_dir_ / "edited.py.next";
    std::ofstream(next) << text;
    std::filesystem::rename(next, app_dir_ / "edited.py");
  }

  // Serves `edited:app` at "v1" with two workers.
  ServedApp& ServeEdited(const std::vector<std::string>& extra_args = {},
                         FrontEnd front_end = FrontEnd::kNginxFastCgi) {
    Edit(ModuleText("v1", kRecordsImport));
    // No .pyc: two edits within a second, of one size, would look alike.
    return Serve({.app = "edited:app",
                  .chdir = app_dir_.path(),
                  .workers = 2,
                  .extra_args = extra_args,
                  .env = {{"PYTHONDONTWRITEBYTECODE", "1"}},
                  .front_end = front_end});
  }

  // How many processes have imported v1 so far.
  size_t Imports() const {
    std::ifstream in(app_dir_ / "imported");
    return static_cast<size_t>(std::count(std::istreambuf_iterator<char>(in),
                                          std::istreambuf_iterator<char>(), '\n'));
  }

  // Fixes the module at `version` and reloads with `signal`: every worker
  // new, and the new code answering. Returns whether it happened in 30 s.
  bool FixAndReload(ShoalProcess& shoal, const ServedApp& served,
                    const std::vector<pid_t>& old_workers, int signal, const std::string& version) {
    Edit(ModuleText(version));
    shoal.Signal(signal);
    return WaitUntil(30s, [&] {
             const std::vector<pid_t> now = shoal.WorkerPids();
             return now.size() == 2 && std::none_of(now.begin(), now.end(), [&](pid_t pid) {
                      return Contains(old_workers, pid);
                    });
           }) &&
           WaitUntil(10s, [&] { return Ask(served).version == version; });
  }

  // The old workers, and only they, answer with the old code.
  void ExpectOldWorkersServe(const ServedApp& served, const std::vector<pid_t>& workers,
                             int requests = 6) {
    for (int i = 0; i < requests; ++i) {
      Answer answer = Ask(served);
      EXPECT_EQ(answer.status, 200);
      EXPECT_EQ(answer.version, "v1");
      EXPECT_TRUE(Contains(workers, answer.pid)) << answer.pid;
    }
  }

  TempDir app_dir_{"shoal-preflight-app"};
};

class ReloadPreflightSignalTest : public ReloadPreflightTest,
                                  public testing::WithParamInterface<int> {};

TEST_P(ReloadPreflightSignalTest, AnEditThatNoLongerImportsIsRefusedAndTheFixedOneReloads) {
  ServedApp& served = ServeEdited();
  ShoalProcess& shoal = served.shoal();
  ASSERT_TRUE(shoal.WaitForWorkers(2, 15s)) << shoal.Log();
  const std::vector<pid_t> workers = shoal.WorkerPids();
  ASSERT_EQ(Ask(served).version, "v1") << shoal.Log();

  Edit(ModuleText("v2", kRaises));
  shoal.Signal(GetParam());
  ASSERT_TRUE(WaitUntil(30s, [&] { return Has(shoal.Log(), kRefused); })) << shoal.Log();
  EXPECT_TRUE(Has(shoal.Log(), "; serving on as before")) << shoal.Log();
  EXPECT_FALSE(Has(shoal.Log(), kReexecuting)) << shoal.Log();
  // The check is reaped: the master's children are its two workers again.
  EXPECT_TRUE(WaitUntil(5s, [&] { return ChildrenOf(shoal.pid(), true) == workers; }))
      << "a zombie or a stray child is left";
  ExpectOldWorkersServe(served, workers);
  EXPECT_TRUE(shoal.running());
  EXPECT_EQ(shoal.WorkerPids(), workers);

  ASSERT_TRUE(FixAndReload(shoal, served, workers, GetParam(), "v3")) << shoal.Log();
  EXPECT_TRUE(shoal.running()) << shoal.Log();
  EXPECT_TRUE(Has(shoal.Log(), "re-executed; the previous workers finish their requests and leave"));
}

std::string SignalName(const testing::TestParamInfo<int>& signal) {
  return signal.param == SIGHUP ? "Hup" : "Usr2";
}

INSTANTIATE_TEST_SUITE_P(Signals, ReloadPreflightSignalTest, testing::Values(SIGHUP, SIGUSR2),
                         SignalName);

// While a slow import is being checked, the master is not waiting on it:
// requests are answered (through kept connections the master parks), the
// stats socket answers, and TTIN adds a worker; then the reload goes ahead.
TEST_F(ReloadPreflightTest, TheMasterKeepsServingWhileASlowCheckRuns) {
  TempDir stats_dir("shoal-preflight-stats");
  const std::string stats = "unix:" + (stats_dir / "stats.sock").string();
  ServedApp& served = ServeEdited({"--stats", stats}, FrontEnd::kNginxFastCgiKeepalive);
  ShoalProcess& shoal = served.shoal();
  ASSERT_TRUE(shoal.WaitForWorkers(2, 15s)) << shoal.Log();
  const std::vector<pid_t> workers = shoal.WorkerPids();

  Edit(ModuleText("v2", Sleeps(5)));
  const auto signalled = std::chrono::steady_clock::now();
  shoal.Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(5s, [&] { return CheckPid(shoal.Log()).has_value(); })) << shoal.Log();

  shoal.Signal(SIGTTIN);
  EXPECT_TRUE(WaitUntil(3s, [&] { return Has(shoal.Log(), "worker 2 pid "); })) << shoal.Log();
  ShoalRun status = RunShoalToExit({"status", "--stats", stats}, stats_dir / "status.out", 10s);
  EXPECT_EQ(status.exit_code, std::optional<int>(0)) << status.output;
  for (pid_t pid : workers) EXPECT_TRUE(Has(status.output, std::to_string(pid))) << status.output;
  int answered = 0;
  while (std::chrono::steady_clock::now() - signalled < 3s && answered < 200) {
    const auto asked = std::chrono::steady_clock::now();
    Answer answer = Ask(served);
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.version, "v1");
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s) << "the master stalled";
    ++answered;
  }
  EXPECT_GE(answered, 5);
  // The import sleeps 5 s: the check is still running.
  EXPECT_FALSE(Has(shoal.Log(), kReexecuting)) << shoal.Log();

  EXPECT_TRUE(WaitUntil(30s, [&] { return Ask(served).version == "v2"; })) << shoal.Log();
  EXPECT_GE(std::chrono::steady_clock::now() - signalled, 5s);
  EXPECT_TRUE(shoal.running()) << shoal.Log();
}

TEST_F(ReloadPreflightTest, ASecondHupDuringTheCheckIsIgnored) {
  ServedApp& served = ServeEdited();
  ShoalProcess& shoal = served.shoal();
  ASSERT_TRUE(shoal.WaitForWorkers(2, 15s)) << shoal.Log();

  Edit(ModuleText("v2", Sleeps(3)));
  shoal.Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(5s, [&] { return CheckPid(shoal.Log()).has_value(); })) << shoal.Log();
  const pid_t check = *CheckPid(shoal.Log());
  shoal.Signal(SIGHUP);
  EXPECT_TRUE(WaitUntil(5s, [&] {
    return Has(shoal.Log(), "signal 1 (Hangup): a reload check (pid " + std::to_string(check) +
                                ") is already running; ignored");
  })) << shoal.Log();

  ASSERT_TRUE(WaitUntil(30s, [&] { return Ask(served).version == "v2"; })) << shoal.Log();
  std::this_thread::sleep_for(1s);  // a second reload, wrongly queued, would show by now
  EXPECT_EQ(CountOf(shoal.Log(), kReexecuting), 1u) << shoal.Log();
  EXPECT_EQ(CountOf(shoal.Log(), kChecking), 1u) << shoal.Log();
}

// --lazy-apps: the master never imports, but the check does, as the
// workers would: the broken edit is refused all the same.
TEST_F(ReloadPreflightTest, WithLazyAppsABrokenEditIsRefusedToo) {
  ServedApp& served = ServeEdited({"--lazy-apps"});
  ShoalProcess& shoal = served.shoal();
  ASSERT_TRUE(shoal.WaitForWorkers(2, 15s)) << shoal.Log();
  // Both have v1 (a lazy worker that imports after the edit below would
  // fail to start, and be replaced, which is not what this test is about).
  ASSERT_TRUE(WaitUntil(30s, [&] { return Imports() >= 2; })) << shoal.Log();
  const std::vector<pid_t> workers = shoal.WorkerPids();
  ASSERT_EQ(Ask(served).version, "v1") << shoal.Log();

  Edit(ModuleText("v2", kRaises));
  shoal.Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(30s, [&] { return Has(shoal.Log(), kRefused); })) << shoal.Log();
  EXPECT_FALSE(Has(shoal.Log(), kReexecuting)) << shoal.Log();
  EXPECT_TRUE(WaitUntil(5s, [&] { return ChildrenOf(shoal.pid(), true) == workers; }));
  ExpectOldWorkersServe(served, workers);

  ASSERT_TRUE(FixAndReload(shoal, served, workers, SIGHUP, "v3")) << shoal.Log();
}

// The check holds no socket (not the listening one, no parked connection),
// so no request can reach it; every answer during it comes from the old
// workers; and once it has failed it is reaped, no zombie left.
TEST_F(ReloadPreflightTest, TheCheckHoldsNoSocketServesNothingAndIsReaped) {
  ServedApp& served = ServeEdited({}, FrontEnd::kNginxFastCgiKeepalive);
  ShoalProcess& shoal = served.shoal();
  ASSERT_TRUE(shoal.WaitForWorkers(2, 15s)) << shoal.Log();
  const std::vector<pid_t> workers = shoal.WorkerPids();
  ExpectOldWorkersServe(served, workers, 4);  // and some connections parked

  Edit(ModuleText("v2", Sleeps(3) + kRaises));
  shoal.Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(5s, [&] { return CheckPid(shoal.Log()).has_value(); })) << shoal.Log();
  const pid_t check = *CheckPid(shoal.Log());
  EXPECT_TRUE(Contains(ChildrenOf(shoal.pid()), check)) << "the check is the master's child";
  const std::filesystem::path fds = "/proc/" + std::to_string(check) + "/fd";
  std::vector<std::string> held;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(fds, error)) {
    held.push_back(entry.path().filename().string() + " -> " +
                   std::filesystem::read_symlink(entry.path(), error).string());
  }
  EXPECT_FALSE(held.empty()) << "cannot read " << fds;
  for (const std::string& fd : held) EXPECT_FALSE(Has(fd, "socket:")) << fd;

  int answered = 0;
  while (!Has(shoal.Log(), kRefused) && answered < 300) {
    Answer answer = Ask(served);
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.version, "v1");
    EXPECT_NE(answer.pid, check);
    EXPECT_TRUE(Contains(workers, answer.pid)) << answer.pid;
    ++answered;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GE(answered, 10);
  ASSERT_TRUE(WaitUntil(30s, [&] { return Has(shoal.Log(), kRefused); })) << shoal.Log();
  EXPECT_TRUE(WaitUntil(5s, [&] { return ChildrenOf(shoal.pid(), true) == workers; }))
      << "a zombie or a stray child is left";
  EXPECT_FALSE(IsAlive(check));
  EXPECT_TRUE(shoal.running());
}

}  // namespace
}  // namespace shoal::tests
