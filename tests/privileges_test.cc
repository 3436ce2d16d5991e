// Privileges and process hygiene: --user, --group, --socket-owner, --umask,
// --daemonize, --pidfile, and where a unix socket lives.
//
// The suite runs as root (as CI does), so it checks the real drop: the
// master's and the workers' ids read from /proc, the socket's owner from
// stat(), and a stock-Debian-style nginx whose workers run as www-data. A
// test that needs root skips itself without it. Users are the system's own
// (nobody, www-data); none is created.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <system_error>
#include <string>
#include <vector>

#include "support/fastcgi_client.h"
#include "support/fd.h"
#include "support/http_client.h"
#include "support/loopback.h"
#include "support/nginx_process.h"
#include "support/paths.h"
#include "support/proc.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/text.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

using std::chrono::seconds;

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;
constexpr uid_t kWwwData = 33;

// The real uid and gid on /proc/PID/status's "Uid:" and "Gid:" lines (the
// first of the four numbers), or -1 if unreadable.
std::pair<long, long> IdsOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  long uid = -1;
  long gid = -1;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("Uid:")) uid = std::stol(line.substr(4));
    if (line.starts_with("Gid:")) gid = std::stol(line.substr(4));
  }
  return {uid, gid};
}

// The pid a pidfile holds, or -1.
pid_t PidIn(const std::filesystem::path& path) {
  std::string text = ReadFileOrEmpty(path);
  try {
    return text.empty() ? -1 : static_cast<pid_t>(std::stol(text));
  } catch (...) {
    return -1;
  }
}

// One FastCGI GET of "/" on a unix socket; the raw response ("" if none).
std::string FastCgiGet(const std::filesystem::path& socket) {
  Fd fd = fastcgi::ConnectUnix(socket.string());
  if (!fd.valid()) return "";
  const std::string request = fastcgi::GetRequest("/", /*keep_conn=*/false);
  if (write(fd.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    return "";
  }
  return fastcgi::ReadResponse(fd.get(), seconds(10));
}

// Ends a daemonized master the test could not stop otherwise (it is no
// child of the test), with its workers: TERM, then KILL.
struct DaemonGuard {
  pid_t pid = -1;
  ~DaemonGuard() {
    if (pid <= 0 || !IsAlive(pid)) return;
    kill(pid, SIGTERM);
    if (!WaitUntil(seconds(10), [&] { return !IsAlive(pid); })) {
      for (pid_t worker : ChildrenOf(pid)) kill(worker, SIGKILL);
      kill(pid, SIGKILL);
    }
  }
};

class PrivilegesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Other users (nobody, nginx's www-data) must reach the sockets inside.
    std::filesystem::permissions(dir_.path(), std::filesystem::perms(0755));
  }

  std::vector<std::string> Args(const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {"--app", "probe:app", "--chdir", AppsDir().string(),
                                     "--bind", "unix:" + socket_.string(), "--workers", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  void Start(const std::vector<std::string>& extra) {
    shoal_ = std::make_unique<ShoalProcess>(Args(extra), dir_ / "shoal.log");
    ASSERT_TRUE(shoal_->WaitForSocket(socket_, seconds(15))) << shoal_->Log();
    ASSERT_TRUE(shoal_->WaitForWorkers(2, seconds(10))) << shoal_->Log();
  }

  // Each run logs to its own file, run-N.log.
  ShoalRun Run(const std::vector<std::string>& args) {
    return RunShoalToExit(args, RunLog(++runs_), seconds(20));
  }
  std::filesystem::path RunLog(int run) const { return dir_ / ("run-" + std::to_string(run) + ".log"); }

  void TearDown() override {
    if (HasFailure() && shoal_) std::cerr << shoal_->Log();
  }

  static bool Root() { return geteuid() == 0; }

  TempDir dir_{"shoal-priv"};
  std::filesystem::path socket_ = dir_ / "app.sock";
  std::unique_ptr<ShoalProcess> shoal_;
  int runs_ = 0;
};

#define REQUIRE_ROOT() \
  if (!Root()) GTEST_SKIP() << "needs root"

TEST_F(PrivilegesTest, UserDropsTheMasterAndEveryWorkerAndOwnsTheSocket) {
  REQUIRE_ROOT();
  const std::filesystem::path stats = dir_ / "stats.sock";
  Start({"--user", "nobody", "--stats", "unix:" + stats.string()});

  EXPECT_EQ(IdsOf(shoal_->pid()), std::make_pair(long{kNobody}, long{kNogroup}));
  for (pid_t worker : shoal_->WorkerPids()) {
    EXPECT_EQ(IdsOf(worker), std::make_pair(long{kNobody}, long{kNogroup})) << "worker " << worker;
  }
  struct stat info {};
  ASSERT_EQ(stat(socket_.c_str(), &info), 0);
  EXPECT_EQ(info.st_uid, kNobody);
  EXPECT_EQ(info.st_gid, kNogroup);
  EXPECT_EQ(info.st_mode & 0777, 0660u);
  // The stats socket is the user's too (so `shoal status` works as that user).
  ASSERT_EQ(stat(stats.c_str(), &info), 0);
  EXPECT_EQ(info.st_uid, kNobody);
  // The app was imported, and serves, after the drop.
  EXPECT_TRUE(Has(FastCgiGet(socket_), "Hello from probe")) << shoal_->Log();
  EXPECT_FALSE(Has(shoal_->Log(), "without --user")) << shoal_->Log();
}

TEST_F(PrivilegesTest, GroupNamesTheGroupWithUser) {
  REQUIRE_ROOT();
  Start({"--user", "nobody", "--group", "www-data"});

  EXPECT_EQ(IdsOf(shoal_->pid()), std::make_pair(long{kNobody}, long{33}));
  for (pid_t worker : shoal_->WorkerPids()) {
    EXPECT_EQ(IdsOf(worker), std::make_pair(long{kNobody}, long{33})) << "worker " << worker;
  }
  struct stat info {};
  ASSERT_EQ(stat(socket_.c_str(), &info), 0);
  EXPECT_EQ(info.st_uid, kNobody);
  EXPECT_EQ(info.st_gid, 33u);
}

TEST_F(PrivilegesTest, RootWithoutUserSaysSoInOneWarningLine) {
  REQUIRE_ROOT();
  Start({});

  EXPECT_TRUE(Has(FastCgiGet(socket_), "Hello from probe"));
  EXPECT_EQ(CountOf(shoal_->Log(), "without --user"), 1u) << shoal_->Log();
  EXPECT_TRUE(Has(shoal_->Log(), "warning")) << shoal_->Log();
  EXPECT_EQ(IdsOf(shoal_->WorkerPids().at(0)).first, 0);
}

TEST_F(PrivilegesTest, UserWhenNotRootAndNotThatUserExitsOneSayingWhy) {
  REQUIRE_ROOT();
  // setpriv(1) runs shoal as nobody, who may not become www-data.
  std::vector<std::string> args = {"--reuid=65534", "--regid=65534", "--clear-groups",
                                   ShoalBinary().string()};
  for (const std::string& arg : Args({"--user", "www-data"})) args.push_back(arg);
  ChildProcess run("/usr/bin/setpriv", args, dir_ / "setpriv.log");
  std::optional<int> code = run.WaitForExit(seconds(20));

  EXPECT_EQ(code, std::optional<int>(1)) << run.Output();
  EXPECT_TRUE(Has(run.Output(), "only root")) << run.Output();
  EXPECT_TRUE(Has(run.Output(), "www-data")) << run.Output();
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

TEST_F(PrivilegesTest, BadUserGroupOrUmaskExitsTwoWithOneLine) {
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--user", "no-such-user-here"},
        std::vector<std::string>{"--group", "no-such-group-here"},
        std::vector<std::string>{"--socket-owner", "no-such-user-here"},
        std::vector<std::string>{"--umask", "999"}}) {
    ShoalRun run = Run(Args(extra));
    EXPECT_EQ(run.exit_code, std::optional<int>(2)) << extra[0] << ": " << run.output;
    EXPECT_TRUE(Has(run.output, extra[0])) << run.output;
    EXPECT_EQ(CountOf(run.output, "\n"), 1u) << run.output;
  }
}

// The README's "Running your app", on a stock Debian nginx: its workers run
// as www-data, and root's 0660 socket shuts them out (502) unless
// --socket-owner www-data hands it to them.
class WwwDataNginxTest : public PrivilegesTest {
 protected:
  std::unique_ptr<NginxProcess> StartNginx() {
    std::filesystem::create_directories(dir_ / "nginx");
    const std::filesystem::path conf = dir_ / "nginx-www-data.conf";
    std::ofstream(conf) << "user www-data;\n" << ReadFileOrEmpty(NginxTemplate());
    return std::make_unique<NginxProcess>(dir_ / "nginx", socket_, FindFreeLoopbackPort(),
                                          seconds(10), conf);
  }
};

TEST_F(WwwDataNginxTest, SocketOwnerWwwDataLetsNginxWorkersConnect) {
  REQUIRE_ROOT();
  Start({"--socket-owner", "www-data"});
  std::unique_ptr<NginxProcess> nginx = StartNginx();

  HttpResponse response = HttpGet(nginx->port(), "/");
  EXPECT_EQ(response.status, 200) << nginx->Diagnostics();
  EXPECT_TRUE(Has(response.body, "Hello from probe"));
  struct stat info {};
  ASSERT_EQ(stat(socket_.c_str(), &info), 0);
  EXPECT_EQ(info.st_uid, kWwwData);
}

TEST_F(WwwDataNginxTest, WithoutSocketOwnerNginxWorkersGet502) {
  REQUIRE_ROOT();
  Start({});
  std::unique_ptr<NginxProcess> nginx = StartNginx();

  EXPECT_EQ(HttpGet(nginx->port(), "/").status, 502);
  EXPECT_TRUE(Has(ReadFileOrEmpty(dir_ / "nginx" / "error.log"), "Permission denied"));
}

TEST_F(WwwDataNginxTest, UserWwwDataAloneLetsNginxWorkersConnect) {
  REQUIRE_ROOT();
  Start({"--user", "www-data"});
  std::unique_ptr<NginxProcess> nginx = StartNginx();

  HttpResponse response = HttpGet(nginx->port(), "/");
  EXPECT_EQ(response.status, 200) << nginx->Diagnostics();
  EXPECT_EQ(IdsOf(shoal_->WorkerPids().at(0)).first, long{kWwwData});
}

TEST_F(PrivilegesTest, UmaskAppliesToTheFilesShoalMakes) {
  const std::filesystem::path open_pidfile = dir_ / "open.pid";
  {
    Start({"--umask", "000", "--pidfile", open_pidfile.string()});
    struct stat info {};
    ASSERT_EQ(stat(open_pidfile.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0644u);
    shoal_.reset();
  }
  const std::filesystem::path closed_pidfile = dir_ / "closed.pid";
  Start({"--umask", "077", "--pidfile", closed_pidfile.string(), "--socket-mode", "0666"});
  struct stat info {};
  ASSERT_EQ(stat(closed_pidfile.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  // --socket-mode is applied explicitly, whatever the umask.
  ASSERT_EQ(stat(socket_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0666u);
}

TEST_F(PrivilegesTest, DaemonizeReturnsOnceServingAndTermRemovesThePidfile) {
  const std::filesystem::path pidfile = dir_ / "shoal.pid";
  ShoalRun run = Run(Args({"--daemonize", "--pidfile", pidfile.string()}));
  DaemonGuard guard{PidIn(pidfile)};

  ASSERT_EQ(run.exit_code, std::optional<int>(0)) << run.output;
  // Returned only once bound and imported: no wait needed for either.
  ASSERT_GT(guard.pid, 0) << run.output;
  EXPECT_TRUE(IsAlive(guard.pid));
  EXPECT_TRUE(std::filesystem::is_socket(socket_));
  EXPECT_TRUE(Has(FastCgiGet(socket_), "Hello from probe"));
  // The daemon is in a session of its own, which it does not lead (so it
  // can never regain a terminal), and its log kept going to the file (not
  // a terminal) the command wrote to.
  EXPECT_NE(getsid(guard.pid), getsid(0));
  EXPECT_NE(getsid(guard.pid), guard.pid);
  EXPECT_TRUE(Has(ReadFileOrEmpty(RunLog(runs_)), "serving probe:app")) << run.output;

  ASSERT_EQ(kill(guard.pid, SIGTERM), 0);
  EXPECT_TRUE(WaitUntil(seconds(15), [&] { return !IsAlive(guard.pid); }));
  EXPECT_FALSE(std::filesystem::exists(pidfile));
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

TEST_F(PrivilegesTest, DaemonizeLetsGoOfATerminalOnceServing) {
  // script(1) runs the command on a pseudo-terminal: stdin, stdout and
  // stderr are all that terminal.
  const std::filesystem::path pidfile = dir_ / "shoal.pid";
  std::string command = ShoalBinary().string();
  for (const std::string& arg : Args({"--daemonize", "--pidfile", pidfile.string()})) {
    command += " '" + arg + "'";
  }
  ChildProcess run("/usr/bin/script", {"-qec", command, "/dev/null"}, dir_ / "script.log");
  std::optional<int> code = run.WaitForExit(seconds(20));
  DaemonGuard guard{PidIn(pidfile)};

  ASSERT_EQ(code, std::optional<int>(0)) << run.Output();
  ASSERT_GT(guard.pid, 0) << run.Output();
  for (int fd : {0, 1, 2}) {
    std::error_code error;
    std::filesystem::path target = std::filesystem::read_symlink(
        "/proc/" + std::to_string(guard.pid) + "/fd/" + std::to_string(fd), error);
    EXPECT_EQ(target, "/dev/null") << "fd " << fd;
  }
  EXPECT_TRUE(Has(FastCgiGet(socket_), "Hello from probe"));
}

TEST_F(PrivilegesTest, DaemonizeWithABrokenAppExitsOneWithTheErrorLine) {
  const std::filesystem::path pidfile = dir_ / "shoal.pid";
  std::vector<std::string> args = Args({"--daemonize", "--pidfile", pidfile.string()});
  args[1] = "broken_import:app";
  ShoalRun run = Run(args);

  EXPECT_EQ(run.exit_code, std::optional<int>(1)) << run.output;
  EXPECT_TRUE(Has(run.output, "broken at import")) << run.output;
  EXPECT_TRUE(WaitUntil(seconds(5), [&] { return !std::filesystem::exists(pidfile); }));
  EXPECT_TRUE(WaitUntil(seconds(5), [&] { return !std::filesystem::exists(socket_); }));
}

TEST_F(PrivilegesTest, PidfileNamingALiveShoalRefusesToStart) {
  const std::filesystem::path pidfile = dir_ / "shoal.pid";
  Start({"--pidfile", pidfile.string()});
  EXPECT_EQ(PidIn(pidfile), shoal_->pid());

  std::vector<std::string> second = Args({"--pidfile", pidfile.string()});
  second[5] = "unix:" + (dir_ / "other.sock").string();
  ShoalRun run = Run(second);

  EXPECT_EQ(run.exit_code, std::optional<int>(1)) << run.output;
  EXPECT_TRUE(Has(run.output, "already running as pid " + std::to_string(shoal_->pid())))
      << run.output;
  EXPECT_EQ(PidIn(pidfile), shoal_->pid());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "other.sock"));
}

TEST_F(PrivilegesTest, StalePidfileIsReplaced) {
  const std::filesystem::path pidfile = dir_ / "shoal.pid";
  // This test's own pid: alive, but not a shoal.
  std::ofstream(pidfile) << getpid() << "\n";
  Start({"--pidfile", pidfile.string()});

  EXPECT_EQ(PidIn(pidfile), shoal_->pid());
  shoal_->Signal(SIGTERM);
  EXPECT_EQ(shoal_->WaitForExit(seconds(15)), std::optional<int>(0)) << shoal_->Log();
  EXPECT_FALSE(std::filesystem::exists(pidfile));
}

TEST_F(PrivilegesTest, PidfileSurvivesAHupReexecAfterTheDrop) {
  REQUIRE_ROOT();
  // The documented layout: a directory the user owns, so the master may
  // still remove the socket and the pidfile after dropping root.
  const std::filesystem::path run_dir = dir_ / "run";
  std::filesystem::create_directory(run_dir);
  ASSERT_EQ(chown(run_dir.c_str(), kNobody, kNogroup), 0);
  socket_ = run_dir / "app.sock";
  const std::filesystem::path pidfile = run_dir / "shoal.pid";
  Start({"--user", "nobody", "--pidfile", pidfile.string()});
  const std::vector<pid_t> old_workers = shoal_->WorkerPids();

  shoal_->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(seconds(20), [&] {
    std::vector<pid_t> now = shoal_->WorkerPids();
    return now.size() == 2 && std::none_of(now.begin(), now.end(), [&](pid_t pid) {
             return std::find(old_workers.begin(), old_workers.end(), pid) != old_workers.end();
           });
  })) << shoal_->Log();
  EXPECT_EQ(PidIn(pidfile), shoal_->pid());
  EXPECT_TRUE(Has(FastCgiGet(socket_), "Hello from probe")) << shoal_->Log();

  shoal_->Signal(SIGTERM);
  EXPECT_EQ(shoal_->WaitForExit(seconds(15)), std::optional<int>(0)) << shoal_->Log();
  EXPECT_FALSE(std::filesystem::exists(pidfile));
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

TEST_F(PrivilegesTest, MissingSocketDirectoryIsNamedWithTheCommandThatMakesIt) {
  const std::filesystem::path missing = dir_ / "no-such-run-dir";
  std::vector<std::string> args = Args({"--user", Root() ? "www-data" : "root"});
  if (!Root()) args.resize(args.size() - 2);
  args[5] = "unix:" + (missing / "app.sock").string();
  ShoalRun run = Run(args);

  EXPECT_EQ(run.exit_code, std::optional<int>(1)) << run.output;
  EXPECT_TRUE(Has(run.output, "the directory " + missing.string() + " does not exist"))
      << run.output;
  if (Root()) {
    EXPECT_TRUE(Has(run.output, "install -d -o www-data " + missing.string())) << run.output;
  }
}

TEST_F(PrivilegesTest, RelativeSocketIsResolvedBeforeChdirAndRemovedOnStop) {
  const std::filesystem::path relative =
      std::filesystem::relative(socket_, std::filesystem::current_path());
  ASSERT_TRUE(relative.is_relative());
  std::vector<std::string> args = Args({});
  args[5] = "unix:" + relative.string();
  ShoalProcess shoal(args, dir_ / "shoal.log");
  ASSERT_TRUE(shoal.WaitForSocket(socket_, seconds(15))) << shoal.Log();
  EXPECT_TRUE(Has(FastCgiGet(socket_), "Hello from probe")) << shoal.Log();
  EXPECT_TRUE(Has(shoal.Log(), socket_.string())) << shoal.Log();

  shoal.Signal(SIGTERM);
  EXPECT_EQ(shoal.WaitForExit(seconds(15)), std::optional<int>(0)) << shoal.Log();
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

}  // namespace
}  // namespace shoal::tests
