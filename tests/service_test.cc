// shoal as a service: directories written by `shoal service-dir` run under
// the real daemontools (svscan, supervise, multilog), runit (runsv, svlogd)
// and s6 (s6-svscan, s6-supervise, s6-log), serving through nginx; start,
// reload and stop with each one's own commands; s6 told of readiness.
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/http_client.h"
#include "support/loopback.h"
#include "support/nginx_process.h"
#include "support/paths.h"
#include "support/proc.h"
#include "support/shoal_process.h"
#include "support/supervision_tree.h"
#include "support/temp_dir.h"
#include "support/text.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Requests sent back to back from `threads` threads through nginx until
// stopped; counts what came back 200 and what did not.
class Load {
 public:
  Load(int port, std::string target, int threads) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this, port, target] {
        while (!stop_) {
          bool good = false;
          try {
            good = HttpGet(port, target, 10s).status == 200;
          } catch (const std::exception&) {
          }
          (good ? ok_ : failed_)++;
        }
      });
    }
  }
  ~Load() { Stop(); }
  // Stops and returns {succeeded, failed}.
  std::pair<int, int> Stop() {
    stop_ = true;
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
    return {ok_.load(), failed_.load()};
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0}, failed_{0};
  std::vector<std::thread> threads_;
};

// `threads` clients sending `each` GETs of `target` back to back; returns
// {answered 200, not}.
std::pair<int, int> SendEach(int port, const std::string& target, int threads, int each) {
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < threads; ++i) {
    clients.emplace_back([&] {
      for (int n = 0; n < each; ++n) {
        bool good = false;
        try {
          good = HttpGet(port, target, 10s).status == 200;
        } catch (const std::exception&) {
        }
        (good ? ok : failed)++;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  return {ok.load(), failed.load()};
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// multilog's and s6-log's `t`: "@" and 24 hex digits (TAI64N), then a space.
const char* const kTai64n = "@[0-9a-f]{24}";
// svlogd's -tt: "2026-12-02_14:56:00.12345".
const char* const kSvlogdTime = "[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{5}";

// What a log directory's `current` shows of shoal: each line the logger's
// stamp, then shoal's own "LEVEL [PID ROLE] message", whole.
struct LogCheck {
  std::vector<std::string> bad_lines;  // lines not of that shape (torn or interleaved)
  std::set<std::string> worker_pids;   // distinct pids of worker lines
  bool master_seen = false;
};

LogCheck CheckLog(const std::string& text, const std::string& stamp) {
  const std::regex line_re("^" + stamp +
                           " (trace|debug|info|warning|error|critical) \\[([0-9]+) "
                           "(master|worker [0-9]+)\\] .+$");
  LogCheck check;
  for (const std::string& line : Lines(text)) {
    std::smatch match;
    if (!std::regex_match(line, match, line_re)) {
      check.bad_lines.push_back(line);
    } else if (match[3] == "master") {
      check.master_seen = true;
    } else {
      check.worker_pids.insert(match[2]);
    }
  }
  return check;
}

// One supervised shoal: a scan directory holding the service `app` (with a
// `down` file, so it starts on the supervisor's "up"), a socket directory,
// and nginx in front once it serves.
class ServiceTest : public testing::Test {
 protected:
  ServiceTest() {
    // The service's user must reach the socket's directory through ours.
    fs::permissions(temp_.path(), fs::perms(0755));
    fs::create_directories(scan_);
    fs::create_directories(socket_dir_);
    fs::create_directories(temp_ / "nginx");
  }

  // `shoal service-dir` for `kind`, as `user` ("": none); then a down file.
  void WriteService(const std::string& kind, const std::string& user, int workers) {
    std::vector<std::string> args = {"service-dir", service_.string(), "--kind", kind};
    if (!user.empty()) {
      args.insert(args.end(), {"--user", user});
      const passwd* account = getpwnam(user.c_str());
      ASSERT_NE(account, nullptr) << user;
      ASSERT_EQ(chown(socket_dir_.c_str(), account->pw_uid, account->pw_gid), 0);
    }
    args.insert(args.end(), {"--", "--app", "probe:app", "--chdir", AppsDir().string(), "--bind",
                             "unix:" + socket_.string(), "--workers", std::to_string(workers)});
    ShoalRun wrote = RunShoalToExit(args, temp_ / "service-dir.out", 15s);
    ASSERT_EQ(wrote.exit_code, std::optional<int>(0)) << wrote.output;
    ASSERT_TRUE(Has(wrote.output, "wrote " + (service_ / "run").string())) << wrote.output;
    std::ofstream(service_ / "down").close();
  }

  CommandRun Run(const std::string& program, const std::vector<std::string>& args) {
    return RunCommand(program, args, temp_ / ("cmd-" + std::to_string(++commands_) + ".out"));
  }

  // Waits until shoal's socket exists and nginx serves through it.
  void StartNginx() {
    ASSERT_TRUE(WaitUntil(20s, [&] { return fs::exists(socket_); }))
        << "no socket; log so far:\n" << CurrentLog();
    nginx_.emplace(temp_ / "nginx", socket_, FindFreeLoopbackPort());
  }

  // All the logger kept: the rotated files (@TAI64N.s, oldest first), then
  // `current`.
  std::string CurrentLog() const {
    const fs::path main = service_ / "log" / "main";
    std::vector<fs::path> rotated;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(main, ec)) {
      if (entry.path().filename().string().starts_with("@")) rotated.push_back(entry.path());
    }
    std::sort(rotated.begin(), rotated.end());
    std::string text;
    for (const fs::path& file : rotated) text += ReadFileOrEmpty(file);
    return text + ReadFileOrEmpty(main / "current");
  }

  // Waits until `current` holds `part` (the logger writes it a moment later).
  bool LogShows(const std::string& part, std::chrono::milliseconds timeout = 20s) const {
    return WaitUntil(timeout, [&] { return Has(CurrentLog(), part); });
  }

  // Load through nginx while `reload` runs; no request may fail, and the
  // new image's workers (all new pids) must serve.
  void ExpectReloadWithoutFailures(SupervisionTree& tree, const std::function<void()>& reload) {
    std::optional<pid_t> master = tree.Find("shoal");
    ASSERT_TRUE(master.has_value());
    const std::vector<pid_t> before = ChildrenOf(*master);
    const size_t reexecs = CountOf(CurrentLog(), "re-executed; the previous workers");
    Load load(nginx_->port(), "/", 4);
    std::this_thread::sleep_for(500ms);
    reload();
    const bool reloaded = WaitUntil(20s, [&] {
      return CountOf(CurrentLog(), "re-executed; the previous workers") > reexecs;
    });
    const bool replaced = WaitUntil(20s, [&] {
      std::vector<pid_t> now = ChildrenOf(*master);
      return !now.empty() && std::none_of(now.begin(), now.end(), [&](pid_t pid) {
        return std::find(before.begin(), before.end(), pid) != before.end();
      });
    });
    std::this_thread::sleep_for(500ms);
    auto [succeeded, failed] = load.Stop();
    EXPECT_TRUE(reloaded) << CurrentLog();
    EXPECT_TRUE(replaced);
    EXPECT_EQ(tree.Find("shoal"), master) << "the supervised pid changed";
    EXPECT_EQ(failed, 0) << succeeded << " succeeded";
    EXPECT_GT(succeeded, 20);
  }

  // After the supervisor's "down": the master and every worker it had are
  // gone (within a bound), and no shoal is left in the supervisor's group.
  void ExpectStopsWithNoOrphan(SupervisionTree& tree, const std::function<void()>& down) {
    std::optional<pid_t> master = tree.Find("shoal");
    ASSERT_TRUE(master.has_value());
    const std::vector<pid_t> workers = ChildrenOf(*master);
    ASSERT_FALSE(workers.empty());
    down();
    const bool gone = WaitUntil(40s, [&] {
      return !IsAlive(*master) && std::none_of(workers.begin(), workers.end(), IsAlive);
    });
    EXPECT_TRUE(gone) << "master " << *master << " or a worker still alive";
    std::vector<ProcessInfo> left = tree.Members();
    EXPECT_TRUE(std::none_of(left.begin(), left.end(),
                             [](const ProcessInfo& p) { return p.comm == "shoal"; }))
        << "a shoal process is left in the supervisor's group";
    EXPECT_TRUE(LogShows("all workers stopped; exiting")) << CurrentLog();
    EXPECT_FALSE(fs::exists(socket_)) << "the socket file is left behind";
  }

  TempDir temp_{"shoal-service"};
  fs::path scan_ = temp_ / "scan";
  fs::path service_ = scan_ / "app";
  fs::path socket_dir_ = temp_ / "sock";
  fs::path socket_ = socket_dir_ / "app.sock";
  std::optional<NginxProcess> nginx_;
  int commands_ = 0;
};

TEST_F(ServiceTest, DaemontoolsServesLogsToMultilogReloadsAndStops) {
  WriteService("daemontools", "www-data", 8);
  SupervisionTree tree("/usr/bin/svscan", {scan_.string()}, temp_ / "svscan.out");
  ASSERT_TRUE(WaitUntil(15s, [&] { return Run("/usr/bin/svok", {service_.string()}).exit_code == 0; }))
      << tree.Output();
  EXPECT_EQ(tree.Find("shoal"), std::nullopt) << "started despite the down file";

  ASSERT_EQ(Run("/usr/bin/svc", {"-u", service_.string()}).exit_code, 0);
  StartNginx();
  EXPECT_EQ(HttpGet(nginx_->port(), "/").body, "Hello from probe\n");
  // In the foreground: the pid supervise started and watches is shoal's
  // master itself.
  std::optional<pid_t> master = tree.Find("shoal");
  ASSERT_TRUE(master.has_value());
  CommandRun status = Run("/usr/bin/svstat", {service_.string()});
  EXPECT_TRUE(Has(status.output, ": up (pid " + std::to_string(*master) + ")")) << status.output;
  std::vector<ProcessInfo> members = tree.Members();
  auto parent_of = [&](pid_t pid) {
    for (const ProcessInfo& p : members) {
      if (p.pid == pid) {
        for (const ProcessInfo& q : members) {
          if (q.pid == p.ppid) return q.comm;
        }
      }
    }
    return std::string("(none)");
  };
  EXPECT_EQ(parent_of(*master), "supervise");

  // setuidgid: the master and its workers run as www-data.
  struct stat proc_info {};
  ASSERT_EQ(stat(("/proc/" + std::to_string(*master)).c_str(), &proc_info), 0);
  EXPECT_EQ(proc_info.st_uid, getpwnam("www-data")->pw_uid);

  // Eight workers writing to wsgi.errors under load: every line in
  // multilog's `current` whole, stamped, from the master and several workers.
  ASSERT_TRUE(WaitUntil(20s, [&] { return ChildrenOf(*master).size() == 8; }));
  // 8 clients, 60 requests each: about 200 KB of log, so multilog rotates
  // `current` (at 99999 bytes) and keeps it all (10 files).
  auto [printed, failed] = SendEach(nginx_->port(), "/print", 8, 60);
  EXPECT_EQ(failed, 0);
  ASSERT_EQ(printed, 480);
  EXPECT_TRUE(WaitUntil(20s, [&] {
    return CountOf(CurrentLog(), "probe wrote to wsgi.errors") == static_cast<size_t>(printed);
  })) << CountOf(CurrentLog(), "probe wrote to wsgi.errors") << " lines for " << printed << " requests";
  LogCheck check = CheckLog(CurrentLog(), kTai64n);
  EXPECT_TRUE(check.bad_lines.empty()) << check.bad_lines.size() << " bad line(s), first: "
                                       << (check.bad_lines.empty() ? "" : check.bad_lines[0]);
  EXPECT_TRUE(check.master_seen);
  EXPECT_GE(check.worker_pids.size(), 2u);
  EXPECT_EQ(CountOf(CurrentLog(), "probe printed to stdout"), static_cast<size_t>(printed));

  ExpectReloadWithoutFailures(tree, [&] {
    ASSERT_EQ(Run("/usr/bin/svc", {"-h", service_.string()}).exit_code, 0);
  });
  ExpectStopsWithNoOrphan(tree, [&] {
    ASSERT_EQ(Run("/usr/bin/svc", {"-d", service_.string()}).exit_code, 0);
  });
  EXPECT_TRUE(WaitUntil(10s, [&] {
    return Has(Run("/usr/bin/svstat", {service_.string()}).output, ": down ");
  }));
  EXPECT_TRUE(tree.Stop()) << "the supervision tree left a process behind";
}

TEST_F(ServiceTest, RunitServesLogsToSvlogdReloadsAndStopsWithExitZero) {
  WriteService("runit", "", 4);
  // runsv runs ./finish with run's exit code and status.
  {
    std::ofstream finish(service_ / "finish");
    finish << "#!/bin/sh\necho \"$1 $2\" >> finish.out\n";
  }
  fs::permissions(service_ / "finish", fs::perms(0755));
  SupervisionTree tree("/usr/bin/runsv", {service_.string()}, temp_ / "runsv.out");
  ASSERT_TRUE(WaitUntil(15s, [&] { return fs::exists(service_ / "supervise" / "control"); }));

  ASSERT_EQ(Run("/usr/bin/sv", {"up", service_.string()}).exit_code, 0);
  StartNginx();
  EXPECT_EQ(HttpGet(nginx_->port(), "/").body, "Hello from probe\n");
  ASSERT_TRUE(LogShows("serving probe:app"));
  LogCheck check = CheckLog(CurrentLog(), kSvlogdTime);
  EXPECT_TRUE(check.bad_lines.empty()) << check.bad_lines[0];
  EXPECT_TRUE(check.master_seen);

  ExpectReloadWithoutFailures(tree, [&] {
    ASSERT_EQ(Run("/usr/bin/sv", {"hup", service_.string()}).exit_code, 0);
  });
  ExpectStopsWithNoOrphan(tree, [&] {
    ASSERT_EQ(Run("/usr/bin/sv", {"down", service_.string()}).exit_code, 0);
  });
  EXPECT_TRUE(WaitUntil(10s, [&] { return fs::exists(service_ / "finish.out"); }));
  EXPECT_EQ(ReadFileOrEmpty(service_ / "finish.out"), "0 0\n");
  EXPECT_TRUE(tree.Stop()) << "the supervision tree left a process behind";
}

TEST_F(ServiceTest, S6IsToldReadinessReloadsAndStopsWithExitZero) {
  WriteService("s6", "", 2);
  SupervisionTree tree("/usr/bin/s6-svscan", {scan_.string()}, temp_ / "s6-svscan.out");
  ASSERT_TRUE(WaitUntil(15s, [&] { return fs::exists(service_ / "supervise" / "control"); }))
      << tree.Output();

  ASSERT_EQ(Run("/usr/bin/s6-svc", {"-u", service_.string()}).exit_code, 0);
  // Ready only once a worker serves: a request right after goes through.
  CommandRun ready = Run("/usr/bin/s6-svwait", {"-U", "-t", "30000", service_.string()});
  ASSERT_EQ(ready.exit_code, 0) << ready.output << CurrentLog();
  ASSERT_TRUE(fs::exists(socket_));
  nginx_.emplace(temp_ / "nginx", socket_, FindFreeLoopbackPort());
  EXPECT_EQ(HttpGet(nginx_->port(), "/").body, "Hello from probe\n");
  CommandRun status = Run("/usr/bin/s6-svstat", {service_.string()});
  EXPECT_TRUE(Has(status.output, "up (pid")) << status.output;
  EXPECT_TRUE(Has(status.output, "ready")) << status.output;
  ASSERT_TRUE(LogShows("serving probe:app"));
  LogCheck check = CheckLog(CurrentLog(), kTai64n);
  EXPECT_TRUE(check.bad_lines.empty()) << check.bad_lines[0];

  ExpectReloadWithoutFailures(tree, [&] {
    ASSERT_EQ(Run("/usr/bin/s6-svc", {"-h", service_.string()}).exit_code, 0);
  });
  ExpectStopsWithNoOrphan(tree, [&] {
    ASSERT_EQ(Run("/usr/bin/s6-svc", {"-d", service_.string()}).exit_code, 0);
  });
  CommandRun down = Run("/usr/bin/s6-svstat", {service_.string()});
  EXPECT_TRUE(Has(down.output, "down (exitcode 0)")) << down.output;
  EXPECT_TRUE(tree.Stop()) << "the supervision tree left a process behind";
}

}  // namespace
}  // namespace shoal::tests
