// shoal as a service: directories written by `shoal service-dir` run under
// the real daemontools (svscan, supervise, multilog), runit (runsv, svlogd)
// and s6 (s6-svscan, s6-supervise, s6-log), serving through nginx; start,
// reload and stop with each one's own commands; readiness over s6's
// notification fd and systemd's NOTIFY_SOCKET.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
#include "support/fd.h"
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

size_t Count(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
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
    const size_t reexecs = Count(CurrentLog(), "re-executed; the previous workers");
    Load load(nginx_->port(), "/", 4);
    std::this_thread::sleep_for(500ms);
    reload();
    const bool reloaded = WaitUntil(20s, [&] {
      return Count(CurrentLog(), "re-executed; the previous workers") > reexecs;
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
  CommandRun status = Run("/usr/bin/svstat", {service_.string()});
  EXPECT_TRUE(Has(status.output, ": up (pid ")) << status.output;

  // setuidgid: the master and its workers run as www-data.
  std::optional<pid_t> master = tree.Find("shoal");
  ASSERT_TRUE(master.has_value());
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
    return Count(CurrentLog(), "probe wrote to wsgi.errors") == static_cast<size_t>(printed);
  })) << Count(CurrentLog(), "probe wrote to wsgi.errors") << " lines for " << printed << " requests";
  LogCheck check = CheckLog(CurrentLog(), kTai64n);
  EXPECT_TRUE(check.bad_lines.empty()) << check.bad_lines.size() << " bad line(s), first: "
                                       << (check.bad_lines.empty() ? "" : check.bad_lines[0]);
  EXPECT_TRUE(check.master_seen);
  EXPECT_GE(check.worker_pids.size(), 2u);
  EXPECT_EQ(Count(CurrentLog(), "probe printed to stdout"), static_cast<size_t>(printed));

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

// systemd's notify protocol, as Type=notify hears it: READY=1 once workers
// serve, RELOADING=1 then READY=1 around HUP, STOPPING=1 on TERM.
TEST(NotifySocketTest, ReadyReloadingReadyStopping) {
  TempDir temp("shoal-notify");
  const fs::path notify_path = temp / "notify.sock";
  Fd notify(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  notify_path.string().copy(address.sun_path, sizeof(address.sun_path) - 1);
  ASSERT_EQ(bind(notify.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  timeval timeout{20, 0};
  setsockopt(notify.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  auto receive = [&] {
    char buffer[512];
    ssize_t n = recv(notify.get(), buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string("(nothing)");
  };

  // Workers that take a second to import (--lazy-apps: the master imports
  // nothing), so READY=1 sent at fork instead of at the first worker's
  // readiness would be seen: the stats would show no worker idle.
  const fs::path socket = temp / "app.sock";
  const fs::path stats = temp / "stats.sock";
  ShoalProcess shoal({"--app", "slow_import:app", "--chdir", AppsDir().string(), "--bind",
                      "unix:" + socket.string(), "--workers", "2", "--lazy-apps", "--stats",
                      "unix:" + stats.string()},
                     temp / "shoal.log",
                     {{"NOTIFY_SOCKET", notify_path.string()}, {"SHOAL_TEST_IMPORT_SECONDS", "1"}});
  auto idle_workers = [&] {
    ShoalRun status = RunShoalToExit({"status", "--stats", "unix:" + stats.string(), "--metrics"},
                                     temp / "status.out", 10s);
    return status.output;
  };
  std::string ready = receive();
  EXPECT_TRUE(ready.starts_with("READY=1\nSTATUS=")) << ready << shoal.Log();
  std::string metrics = idle_workers();
  EXPECT_TRUE(Has(metrics, "shoal_workers{status=\"idle\"}")) << metrics;
  EXPECT_FALSE(Has(metrics, "shoal_workers{status=\"idle\"} 0")) << metrics;
  shoal.Signal(SIGHUP);
  std::string reloading = receive();
  EXPECT_TRUE(reloading.starts_with("RELOADING=1\nMONOTONIC_USEC=")) << reloading;
  std::string ready_again = receive();
  EXPECT_TRUE(ready_again.starts_with("READY=1\n")) << ready_again << shoal.Log();
  EXPECT_TRUE(Has(shoal.Log(), "re-executed; the previous workers")) << shoal.Log();
  metrics = idle_workers();
  EXPECT_FALSE(Has(metrics, "shoal_workers{status=\"idle\"} 0")) << metrics;
  shoal.Signal(SIGTERM);
  EXPECT_EQ(receive(), "STOPPING=1");
  EXPECT_EQ(shoal.WaitForExit(30s), std::optional<int>(0));
}

// --ready-fd without s6: the newline comes on the fd, once, after a worker
// serves; a fd that is not open is one line and exit 1.
TEST(ReadyFdTest, NewlineOnTheFdOnceServingAndAClosedFdRefused) {
  TempDir temp("shoal-readyfd");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  Fd read_end(fds[0]);
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  const int write_fd = fcntl(fds[1], F_DUPFD, 50);  // not close-on-exec: shoal inherits it
  close(fds[1]);
  const fs::path socket = temp / "app.sock";
  std::optional<ShoalProcess> shoal;
  shoal.emplace(std::vector<std::string>{"--app", "probe:app", "--chdir", AppsDir().string(),
                                         "--bind", "unix:" + socket.string(), "--ready-fd",
                                         std::to_string(write_fd)},
                temp / "shoal.log");
  close(write_fd);
  // Everything on the pipe until EOF (every copy of the write end closed),
  // each wait bounded.
  std::string got;
  for (;;) {
    pollfd wait{read_end.get(), POLLIN, 0};
    if (poll(&wait, 1, 20'000) != 1) break;
    char buffer[16];
    ssize_t n = read(read_end.get(), buffer, sizeof(buffer));
    if (n <= 0) {
      got += n == 0 ? "<EOF>" : "<error>";
      break;
    }
    got.append(buffer, static_cast<size_t>(n));
  }
  EXPECT_EQ(got, "\n<EOF>") << shoal->Log();  // the master's copy closed, and no worker kept one
  EXPECT_EQ(shoal->WorkerPids().size(), 2u);
  shoal->Signal(SIGTERM);
  EXPECT_EQ(shoal->WaitForExit(30s), std::optional<int>(0));

  ShoalRun closed = RunShoalToExit({"--app", "probe:app", "--chdir", AppsDir().string(), "--bind",
                                    "unix:" + (temp / "b.sock").string(), "--ready-fd", "77"},
                                   temp / "closed.log", 20s);
  EXPECT_EQ(closed.exit_code, std::optional<int>(1)) << closed.output;
  EXPECT_TRUE(Has(closed.output, "--ready-fd 77: fd 77 is not open")) << closed.output;
}

TEST(ServiceDirCommandTest, BadOptionsAreTheParsersLineAndNothingIsWritten) {
  TempDir temp("shoal-servicedir");
  const fs::path dir = temp / "app";
  ShoalRun bad = RunShoalToExit({"service-dir", dir.string(), "--kind", "runit", "--", "--app",
                                 "probe:app", "--bind", ":1", "--workers", "0"},
                                temp / "bad.out", 15s);
  EXPECT_EQ(bad.exit_code, std::optional<int>(2));
  EXPECT_TRUE(Has(bad.output, "shoal service-dir: invalid value '0' for --workers: expected 1 to 1024"))
      << bad.output;
  EXPECT_FALSE(fs::exists(dir));

  ShoalRun kind = RunShoalToExit({"service-dir", dir.string(), "--kind", "upstart", "--",
                                  "--app", "a:b", "--bind", ":1"},
                                 temp / "kind.out", 15s);
  EXPECT_EQ(kind.exit_code, std::optional<int>(2));
  EXPECT_TRUE(Has(kind.output, "invalid value 'upstart' for --kind")) << kind.output;

  ShoalRun user = RunShoalToExit({"service-dir", dir.string(), "--kind", "s6", "--user",
                                  "no-such-user-shoal", "--", "--app", "a:b", "--bind", ":1"},
                                 temp / "user.out", 15s);
  EXPECT_EQ(user.exit_code, std::optional<int>(2));
  EXPECT_TRUE(Has(user.output, "no such user 'no-such-user-shoal'")) << user.output;

  // s6's run passes --ready-fd 3 itself: another one is refused.
  ShoalRun twice = RunShoalToExit({"service-dir", dir.string(), "--kind", "s6", "--", "--app",
                                   "a:b", "--bind", ":1", "--ready-fd", "4"},
                                  temp / "twice.out", 15s);
  EXPECT_EQ(twice.exit_code, std::optional<int>(2)) << twice.output;
  EXPECT_FALSE(fs::exists(dir));
}

TEST(ServiceDirCommandTest, WritesOnceThenRefusesWithoutForce) {
  TempDir temp("shoal-servicedir");
  const fs::path dir = temp / "app";
  std::vector<std::string> args = {"service-dir", dir.string(), "--kind", "daemontools", "--",
                                   "--app", "probe:app", "--bind", "unix:/tmp/it's here.sock"};
  ShoalRun wrote = RunShoalToExit(args, temp / "wrote.out", 15s);
  ASSERT_EQ(wrote.exit_code, std::optional<int>(0)) << wrote.output;
  EXPECT_TRUE(Has(wrote.output, "next: ln -s " + dir.string() + " /etc/service/")) << wrote.output;
  const std::string run = ReadFileOrEmpty(dir / "run");
  EXPECT_TRUE(Has(run, "exec envdir ./env " + fs::canonical(ShoalBinary()).string() +
                           " --app probe:app --bind 'unix:/tmp/it'\\''s here.sock'\n"))
      << run;
  EXPECT_EQ(ReadFileOrEmpty(dir / "log" / "run"),
            ReadFileOrEmpty(SourceDir() / "service" / "templates" / "daemontools" / "log" / "run")
                .replace(ReadFileOrEmpty(SourceDir() / "service" / "templates" / "daemontools" /
                                         "log" / "run")
                             .find("setuidgid www-data "),
                         19, ""));
  EXPECT_TRUE(fs::is_directory(dir / "log" / "main"));
  EXPECT_TRUE(fs::is_directory(dir / "env"));

  ShoalRun again = RunShoalToExit(args, temp / "again.out", 15s);
  EXPECT_EQ(again.exit_code, std::optional<int>(1));
  EXPECT_TRUE(Has(again.output, "exists and is not empty (--force writes over it)")) << again.output;
  args.insert(args.begin() + 4, "--force");
  EXPECT_EQ(RunShoalToExit(args, temp / "forced.out", 15s).exit_code, std::optional<int>(0));
}

}  // namespace
}  // namespace shoal::tests
