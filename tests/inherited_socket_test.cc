// Inherited sockets: shoal serving on a socket another program made or
// accepted: spawn-fcgi and Apache's mod_fcgid (a listening socket on fd 0),
// `--bind fd:N`, systemd-socket-activate (LISTEN_FDS), xinetd and a plain
// socketpair (`--inetd`), and FCGI_WEB_SERVER_ADDRS on a TCP listener.
// Every program is the real one from Debian's packages.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/apache_process.h"
#include "support/child_process.h"
#include "support/fastcgi_client.h"
#include "support/fd.h"
#include "support/http_client.h"
#include "support/inetd_run.h"
#include "support/loopback.h"
#include "support/nginx_process.h"
#include "support/paths.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/text.h"
#include "support/wait.h"

extern char** environ;

namespace shoal::tests {
namespace {

// shoal's arguments for the probe app, then `extra`.
std::vector<std::string> ShoalArgs(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--app", "probe:app", "--chdir", AppsDir().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// `before`, then shoal's path and arguments: for a program that execs it.
std::vector<std::string> Wrapping(std::vector<std::string> before,
                                  const std::vector<std::string>& extra) {
  before.push_back(ShoalBinary().string());
  for (const std::string& arg : ShoalArgs(extra)) before.push_back(arg);
  return before;
}

// The environment a process was exec'd with, as "NAME=VALUE\n" lines.
std::string ExecEnvironment(pid_t pid) {
  std::string text = ReadFileOrEmpty("/proc/" + std::to_string(pid) + "/environ");
  for (char& c : text) {
    if (c == '\0') c = '\n';
  }
  return text;
}

// A GET over FastCGI to 127.0.0.1:`port`, from `source` (an address on
// lo); returns the STDOUT it got ("" when the connection was closed unanswered).
std::string FastCgiGetOverTcp(int port, const std::string& uri, const char* source = "127.0.0.1") {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&from), sizeof(from)), 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) return "";
  WriteAllTo(fd.get(), fastcgi::GetRequest(uri, false));
  return FastCgiStdout(ReadToEof(fd.get(), std::chrono::seconds(10)));
}

// A listening socket at `path`, NOT close-on-exec, so a program the test
// starts inherits it (Boost.Process hands a child every such fd).
Fd InheritableUnixListener(const std::filesystem::path& path) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_EQ(::listen(fd.get(), 64), 0);
  ::chmod(path.c_str(), 0666);
  return fd;
}

class InheritedSocketTest : public ::testing::Test {
 protected:
  bool LogHas(const ChildProcess& child, const std::string& part,
              std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return WaitUntil(timeout, [&] { return Has(child.Output(), part); });
  }

  TempDir dir_{"shoal-inherit"};
};

TEST_F(InheritedSocketTest, SpawnFcgiPassesAListenerOnFdZeroThatShoalServesBehindNginx) {
  const std::filesystem::path socket = dir_ / "spawned.sock";
  ChildProcess shoal("/usr/bin/spawn-fcgi",
                     Wrapping({"-n", "-s", socket.string(), "-M", "0666", "--"}, {"--workers", "2"}),
                     dir_ / "shoal.log");
  ASSERT_TRUE(LogHas(shoal, "fd:0 (unix:" + socket.string() + ")")) << shoal.Output();
  NginxProcess nginx(dir_.path(), socket, FindFreeLoopbackPort());

  HttpResponse response = HttpGet(nginx.port(), "/");
  EXPECT_EQ(response.status, 200) << shoal.Output();
  EXPECT_EQ(response.body, "Hello from probe\n");
  // fd 0 was moved off stdin: the master's fd 0 is /dev/null now.
  EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(shoal.pid()) + "/fd/0"),
            "/dev/null");
  // A reload serves on the same socket (it crosses the exec on its new fd).
  shoal.Signal(SIGHUP);
  ASSERT_TRUE(LogHas(shoal, "re-executed", std::chrono::seconds(20))) << shoal.Output();
  auto serving_lines = [&] {
    std::string log = shoal.Output();
    size_t count = 0;
    for (size_t at = 0; (at = log.find(" serving probe:app at / on fd:", at)) != std::string::npos; ++at) {
      ++count;
    }
    return count;
  };
  EXPECT_TRUE(WaitUntil(std::chrono::seconds(20), [&] { return serving_lines() == 2; }))
      << shoal.Output();
  EXPECT_EQ(HttpGet(nginx.port(), "/").status, 200) << shoal.Output();

  EXPECT_EQ(shoal.Stop(std::chrono::seconds(15)), std::optional<int>(0)) << shoal.Output();
  // spawn-fcgi made the socket file; shoal leaves it be.
  EXPECT_TRUE(std::filesystem::exists(socket)) << shoal.Output();
}

TEST_F(InheritedSocketTest, DaemonizeKeepsTheListenerSpawnFcgiPassedOnFdZero) {
  const std::filesystem::path socket = dir_ / "spawned.sock";
  const std::filesystem::path pidfile = dir_ / "shoal.pid";
  ChildProcess starter("/usr/bin/spawn-fcgi",
                       Wrapping({"-n", "-s", socket.string(), "-M", "0666", "--"},
                                {"--workers", "1", "--daemonize", "--pidfile", pidfile.string()}),
                       dir_ / "shoal.log");
  // The starting process returns 0 once the daemon serves.
  ASSERT_EQ(starter.WaitForExit(std::chrono::seconds(20)), std::optional<int>(0)) << starter.Output();
  const pid_t daemon = std::stoi(ReadFileOrEmpty(pidfile));
  NginxProcess nginx(dir_.path(), socket, FindFreeLoopbackPort());
  HttpResponse response = HttpGet(nginx.port(), "/");
  EXPECT_EQ(response.status, 200) << starter.Output();
  EXPECT_EQ(response.body, "Hello from probe\n");
  ASSERT_EQ(::kill(daemon, SIGTERM), 0);
  EXPECT_TRUE(WaitUntil(std::chrono::seconds(15), [&] { return ::kill(daemon, 0) != 0; }));
  EXPECT_TRUE(std::filesystem::exists(socket)) << "shoal removed a socket it did not create";
}

TEST_F(InheritedSocketTest, BindFdServesAnInheritedSocketAndHupKeepsItWithNoFailedRequest) {
  const std::filesystem::path socket = dir_ / "given.sock";
  std::optional<ChildProcess> shoal;
  {
    Fd listener = InheritableUnixListener(socket);
    shoal.emplace(ShoalBinary(),
                  ShoalArgs({"--bind", "fd:" + std::to_string(listener.get()), "--workers", "2"}),
                  dir_ / "shoal.log");
  }  // the test's copy is closed: only shoal holds the socket now
  ASSERT_TRUE(LogHas(*shoal, "unix:" + socket.string() + ") (fastcgi)")) << shoal->Output();
  NginxProcess nginx(dir_.path(), socket, FindFreeLoopbackPort());
  ASSERT_EQ(HttpGet(nginx.port(), "/").status, 200) << shoal->Output();

  std::atomic<bool> done{false};
  std::atomic<int> served{0}, failed{0};
  std::thread load([&] {
    while (!done) {
      try {
        (HttpGet(nginx.port(), "/").status == 200 ? served : failed)++;
      } catch (const std::exception&) {
        failed++;
      }
    }
  });
  WaitUntil(std::chrono::seconds(5), [&] { return served > 20; });
  shoal->Signal(SIGHUP);
  bool reloaded = LogHas(*shoal, "re-executed", std::chrono::seconds(20));
  // The new image's workers serve a while on the same socket.
  const int before = served;
  WaitUntil(std::chrono::seconds(10), [&] { return served > before + 50; });
  done = true;
  load.join();

  EXPECT_TRUE(reloaded) << shoal->Output();
  EXPECT_EQ(failed, 0) << shoal->Output();
  EXPECT_GT(served, before + 50) << shoal->Output();
  EXPECT_EQ(shoal->Stop(std::chrono::seconds(15)), std::optional<int>(0)) << shoal->Output();
  EXPECT_TRUE(std::filesystem::exists(socket)) << "shoal removed a socket it did not create";
}

TEST_F(InheritedSocketTest, SystemdSocketActivationServesOnFdThreeAndUnsetsTheVariables) {
  const int port = FindFreeLoopbackPort();
  ChildProcess activator("/usr/bin/systemd-socket-activate",
                         Wrapping({"-l", "127.0.0.1:" + std::to_string(port)}, {"--workers", "1"}),
                         dir_ / "shoal.log");
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(10), [&] { return IsListeningOnLoopback(port); }));

  // The first connection makes systemd-socket-activate exec shoal.
  std::string hello = FastCgiGetOverTcp(port, "/");
  EXPECT_TRUE(Has(hello, "Hello from probe")) << hello << activator.Output();
  EXPECT_TRUE(Has(activator.Output(),
                  "fd:3 from systemd (LISTEN_FDS) (127.0.0.1:" + std::to_string(port) + ")"))
      << activator.Output();
  EXPECT_TRUE(Has(ExecEnvironment(activator.pid()), "LISTEN_FDS=1"));

  // The re-executed image serves on the same socket, and was exec'd
  // without the variables (unset before the app was imported).
  activator.Signal(SIGHUP);
  ASSERT_TRUE(LogHas(activator, "re-executed", std::chrono::seconds(20))) << activator.Output();
  EXPECT_TRUE(WaitUntil(std::chrono::seconds(10), [&] {
    return Has(FastCgiGetOverTcp(port, "/"), "Hello from probe");
  })) << activator.Output();
  const std::string environment = ExecEnvironment(activator.pid());
  EXPECT_FALSE(Has(environment, "LISTEN_PID=")) << environment;
  EXPECT_FALSE(Has(environment, "LISTEN_FDS=")) << environment;
  EXPECT_EQ(activator.Stop(std::chrono::seconds(15)), std::optional<int>(0)) << activator.Output();
}

TEST_F(InheritedSocketTest, LazyWorkersOfASocketActivatedShoalServeWithoutTheVariables) {
  const int port = FindFreeLoopbackPort();
  ChildProcess activator(
      "/usr/bin/systemd-socket-activate",
      Wrapping({"-l", "127.0.0.1:" + std::to_string(port)}, {"--workers", "1", "--lazy-apps"}),
      dir_ / "shoal.log");
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(10), [&] { return IsListeningOnLoopback(port); }));

  std::string pid = FastCgiGetOverTcp(port, "/pid");
  ASSERT_FALSE(pid.empty()) << activator.Output();
  // The body follows the headers' blank line: the worker's pid.
  std::string worker = pid.substr(pid.find("\r\n\r\n") + 4);
  ASSERT_FALSE(worker.empty()) << pid;
  EXPECT_NE(worker, std::to_string(activator.pid()));
  const std::string environment = ExecEnvironment(std::stoi(worker));
  EXPECT_TRUE(Has(environment, "SHOAL_LAZY_WORKER=")) << environment;
  EXPECT_FALSE(Has(environment, "LISTEN_FDS=")) << environment;
  EXPECT_FALSE(Has(environment, "LISTEN_PID=")) << environment;
}

TEST_F(InheritedSocketTest, SystemdPassingTwoSocketsIsRefused) {
  const int first = FindFreeLoopbackPort();
  const int second = FindFreeLoopbackPort();
  ChildProcess activator("/usr/bin/systemd-socket-activate",
                         Wrapping({"-l", "127.0.0.1:" + std::to_string(first), "-l",
                                   "127.0.0.1:" + std::to_string(second)},
                                  {}),
                         dir_ / "shoal.log");
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(10), [&] { return IsListeningOnLoopback(first); }));
  Fd poke = ConnectLoopback(first, std::chrono::seconds(5));
  EXPECT_EQ(activator.WaitForExit(std::chrono::seconds(20)), std::optional<int>(1))
      << activator.Output();
  EXPECT_TRUE(Has(activator.Output(), "systemd passed 2 sockets (LISTEN_FDS)"))
      << activator.Output();
}

TEST_F(InheritedSocketTest, WebServerAddrsRefusesOtherPeersAtAcceptAndServesListedOnes) {
  const int port = FindFreeLoopbackPort();
  ShoalProcess shoal(ShoalArgs({"--bind", "127.0.0.1:" + std::to_string(port), "--workers", "1"}),
                     dir_ / "shoal.log", {{"FCGI_WEB_SERVER_ADDRS", "10.9.8.7, 127.0.0.1,::1"}});
  ASSERT_TRUE(shoal.WaitForPort(port, std::chrono::seconds(20))) << shoal.Log();

  EXPECT_TRUE(Has(FastCgiGetOverTcp(port, "/", "127.0.0.1"), "Hello from probe")) << shoal.Log();
  EXPECT_EQ(FastCgiGetOverTcp(port, "/", "127.0.0.2"), "") << shoal.Log();
  EXPECT_TRUE(WaitUntil(std::chrono::seconds(5), [&] {
    return Has(shoal.Log(), "connection from 127.0.0.2 refused: not in FCGI_WEB_SERVER_ADDRS");
  })) << shoal.Log();
  EXPECT_TRUE(Has(shoal.Log(), "accepting connections only from 10.9.8.7, 127.0.0.1, ::1"));
  // The worker lives on and serves the listed address still.
  EXPECT_TRUE(Has(FastCgiGetOverTcp(port, "/", "127.0.0.1"), "Hello from probe")) << shoal.Log();
}

TEST_F(InheritedSocketTest, BadInheritedSocketsAndValuesAreRefusedWithOneLine) {
  auto run = [&](const std::vector<std::string>& args, const EnvVars& env = {}) {
    ChildProcess child(ShoalBinary(), args, dir_ / "refused.log", SIGTERM, env);
    std::optional<int> code = child.WaitForExit(std::chrono::seconds(20));
    return std::pair{code, child.Output()};
  };
  auto [no_socket, no_socket_log] = run(ShoalArgs({}));
  EXPECT_EQ(no_socket, std::optional<int>(2)) << no_socket_log;
  EXPECT_TRUE(Has(no_socket_log, "no socket to serve on: give --bind unix:PATH, HOST:PORT or fd:N"))
      << no_socket_log;

  auto [bad_addrs, bad_addrs_log] =
      run(ShoalArgs({"--bind", "unix:" + (dir_ / "s.sock").string()}),
          {{"FCGI_WEB_SERVER_ADDRS", "127.0.0.1,webserver"}});
  EXPECT_EQ(bad_addrs, std::optional<int>(2)) << bad_addrs_log;
  EXPECT_TRUE(Has(bad_addrs_log, "FCGI_WEB_SERVER_ADDRS: 'webserver' is not an IPv4 or IPv6 address"))
      << bad_addrs_log;

  auto [closed_fd, closed_fd_log] = run(ShoalArgs({"--bind", "fd:77"}));
  EXPECT_EQ(closed_fd, std::optional<int>(1)) << closed_fd_log;
  EXPECT_TRUE(Has(closed_fd_log, "fd:77 is not open")) << closed_fd_log;

  // A file, not a socket, on the fd given.
  std::ofstream(dir_ / "plain") << "x";
  Fd file(::open((dir_ / "plain").c_str(), O_RDONLY));
  auto [not_socket, not_socket_log] =
      run(ShoalArgs({"--bind", "fd:" + std::to_string(file.get())}));
  EXPECT_EQ(not_socket, std::optional<int>(1)) << not_socket_log;
  EXPECT_TRUE(Has(not_socket_log, " is not a socket (it is a regular file)")) << not_socket_log;

  auto [inetd_daemon, inetd_daemon_log] = run(ShoalArgs({"--inetd", "--daemonize"}));
  EXPECT_EQ(inetd_daemon, std::optional<int>(2)) << inetd_daemon_log;
  EXPECT_TRUE(Has(inetd_daemon_log, "--daemonize cannot go with it")) << inetd_daemon_log;

  auto [inetd_bind, inetd_bind_log] = run(ShoalArgs({"--inetd", "--bind", ":9"}));
  EXPECT_EQ(inetd_bind, std::optional<int>(2)) << inetd_bind_log;
  EXPECT_TRUE(Has(inetd_bind_log, "--inetd serves the one connection on fd 0 in this process: "
                                  "--bind cannot go with it"))
      << inetd_bind_log;

  // --inetd with fd 0 not a connection (the harness gives /dev/null).
  auto [inetd_null, inetd_null_log] = run(ShoalArgs({"--inetd"}));
  EXPECT_EQ(inetd_null, std::optional<int>(1)) << inetd_null_log;
  EXPECT_TRUE(Has(inetd_null_log, "--inetd: fd 0 is not a connected socket")) << inetd_null_log;
}

// Runs `shoal --inetd ARGS` with fd 0 and 1 one end of a socketpair and
// stderr in `log`, as inetd starts a `nowait` server. Returns the other end.
InetdRun StartInetd(const std::vector<std::string>& args, const std::filesystem::path& log) {
  std::vector<std::string> full = {"--inetd"};
  for (const std::string& arg : ShoalArgs(args)) full.push_back(arg);
  InetdRun run = SpawnInetdShoal(full, log);
  EXPECT_GT(run.pid, 0);
  return run;
}


TEST_F(InheritedSocketTest, InetdServesOneScgiConnectionOnStdinAndExitsZero) {
  InetdRun run = StartInetd({"--protocol", "scgi"}, dir_ / "inetd.log");
  WriteAllTo(run.peer.get(), ScgiRequest("/imported-by"));
  std::string response = ReadToEof(run.peer.get(), std::chrono::seconds(20));
  EXPECT_EQ(WaitForPid(run.pid, std::chrono::seconds(10)), std::optional<int>(0))
      << ReadFileOrEmpty(dir_ / "inetd.log");
  EXPECT_TRUE(Has(response, "Status: 200 OK")) << response;
  // The app was imported by the process that served: one import per connection.
  const std::string both = std::to_string(run.pid) + " " + std::to_string(run.pid);
  EXPECT_TRUE(Has(response, both)) << response;
}

TEST_F(InheritedSocketTest, InetdServesEveryRequestOfAKeptFastCgiConnectionWithAutoDetection) {
  InetdRun run = StartInetd({"--protocol", "auto"}, dir_ / "inetd.log");
  WriteAllTo(run.peer.get(), fastcgi::GetRequest("/", /*keep_conn=*/true));
  std::string first = fastcgi::ReadResponse(run.peer.get(), std::chrono::seconds(20));
  WriteAllTo(run.peer.get(), fastcgi::GetRequest("/pid", /*keep_conn=*/false));
  std::string second = ReadToEof(run.peer.get(), std::chrono::seconds(20));
  EXPECT_EQ(WaitForPid(run.pid, std::chrono::seconds(10)), std::optional<int>(0))
      << ReadFileOrEmpty(dir_ / "inetd.log");
  EXPECT_TRUE(Has(FastCgiStdout(first), "Hello from probe")) << first;
  EXPECT_TRUE(Has(FastCgiStdout(second), std::to_string(run.pid))) << second;
}

TEST_F(InheritedSocketTest, InetdWithStderrOnTheConnectionSendsNoLogLineToThePeer) {
  // As plain inetd starts a server: the connection on fds 0, 1 and 2.
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  Fd ours(pair[0]), theirs(pair[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd : {0, 1, 2}) posix_spawn_file_actions_adddup2(&actions, theirs.get(), fd);
  std::vector<std::string> full = {ShoalBinary().string(), "--inetd"};
  for (const std::string& arg : ShoalArgs({"--protocol", "scgi"})) full.push_back(arg);
  std::vector<char*> argv;
  for (std::string& arg : full) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  ASSERT_EQ(::posix_spawn(&pid, full[0].c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  theirs.Close();

  // /print writes to sys.stdout, sys.stderr and wsgi.errors: all log lines.
  WriteAllTo(ours.get(), ScgiRequest("/print"));
  std::string response = ReadToEof(ours.get(), std::chrono::seconds(20));
  EXPECT_EQ(WaitForPid(pid, std::chrono::seconds(10)), std::optional<int>(0));
  EXPECT_TRUE(response.starts_with("Status: 200 OK\r\n")) << response;
  EXPECT_FALSE(Has(response, "[" + std::to_string(pid) + " ")) << response;
}

TEST_F(InheritedSocketTest, InetdClosesATcpConnectionFromAnAddressNotInWebServerAddrs) {
  // inetd's side: the listener, and the connection it accepted, from 127.0.0.2.
  LoopbackListener listener;
  Fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.0.2", &from.sin_addr);
  ASSERT_EQ(::bind(client.get(), reinterpret_cast<sockaddr*>(&from), sizeof(from)), 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(listener.port()));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
  Fd accepted = listener.Accept(std::chrono::seconds(5));
  ASSERT_TRUE(accepted.valid());

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, accepted.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, accepted.get(), 1);
  posix_spawn_file_actions_addopen(&actions, 2, (dir_ / "inetd.log").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> full = {ShoalBinary().string(), "--inetd"};
  for (const std::string& arg : ShoalArgs({})) full.push_back(arg);
  std::vector<char*> argv;
  for (std::string& arg : full) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> environment = {"FCGI_WEB_SERVER_ADDRS=127.0.0.1"};
  for (char** entry = environ; *entry != nullptr; ++entry) environment.emplace_back(*entry);
  std::vector<char*> envp;
  for (std::string& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  ASSERT_EQ(::posix_spawn(&pid, full[0].c_str(), &actions, nullptr, argv.data(), envp.data()), 0);
  posix_spawn_file_actions_destroy(&actions);
  accepted.Close();

  WriteAllTo(client.get(), fastcgi::GetRequest("/", false));
  EXPECT_EQ(ReadToEof(client.get(), std::chrono::seconds(20)), "");
  EXPECT_EQ(WaitForPid(pid, std::chrono::seconds(10)), std::optional<int>(0));
  EXPECT_TRUE(Has(ReadFileOrEmpty(dir_ / "inetd.log"),
                  "connection from 127.0.0.2 refused: not in FCGI_WEB_SERVER_ADDRS"))
      << ReadFileOrEmpty(dir_ / "inetd.log");
}

TEST_F(InheritedSocketTest, InetdStartedAsRootServesAsUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch users";
  const std::filesystem::path started = dir_ / "started";
  ::chmod(dir_.path().c_str(), 0777);  // the app, as www-data, writes `started` here
  InetdRun run = StartInetd({"--protocol", "scgi", "--user", "www-data"}, dir_ / "inetd.log");
  WriteAllTo(run.peer.get(), ScgiRequest("/slow?seconds=2&started=" + started.string()));
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(20), [&] { return std::filesystem::exists(started); }))
      << ReadFileOrEmpty(dir_ / "inetd.log");
  // While the request is in the app: the one process runs as www-data (33).
  const std::string status = ReadFileOrEmpty("/proc/" + std::to_string(run.pid) + "/status");
  EXPECT_TRUE(Has(status, "\nUid:\t33\t33\t33\t33\n")) << status;
  std::string response = ReadToEof(run.peer.get(), std::chrono::seconds(20));
  EXPECT_TRUE(Has(response, "slept")) << response;
  EXPECT_EQ(WaitForPid(run.pid, std::chrono::seconds(10)), std::optional<int>(0));
}

TEST_F(InheritedSocketTest, InetdClosesAKeptConnectionIdlePastIdleTimeout) {
  InetdRun run = StartInetd({"--idle-timeout", "1"}, dir_ / "inetd.log");
  WriteAllTo(run.peer.get(), fastcgi::GetRequest("/", /*keep_conn=*/true));
  std::string first = fastcgi::ReadResponse(run.peer.get(), std::chrono::seconds(20));
  EXPECT_TRUE(Has(FastCgiStdout(first), "Hello from probe")) << first;
  // Nothing more is sent: shoal leaves after --idle-timeout.
  EXPECT_EQ(WaitForPid(run.pid, std::chrono::seconds(15)), std::optional<int>(0));
}

TEST_F(InheritedSocketTest, XinetdStartsShoalPerConnectionBehindNginxScgi) {
  const int backend = FindFreeLoopbackPort();
  const std::filesystem::path conf = dir_ / "xinetd.conf";
  std::string server_args;
  for (const std::string& arg : ShoalArgs({"--protocol", "scgi"})) server_args += " " + arg;
  std::ofstream(conf) << "service shoal-test\n{\n"
                         "    type = UNLISTED\n"
                         "    port = " << backend << "\n"
                         "    bind = 127.0.0.1\n"
                         "    socket_type = stream\n"
                         "    protocol = tcp\n"
                         "    wait = no\n"
                         "    user = root\n"
                         "    server = " << ShoalBinary().string() << "\n"
                         "    server_args = --inetd" << server_args << "\n"
                         "    log_type = FILE " << (dir_ / "xinetd.log").string() << "\n"
                         "}\n";
  ChildProcess xinetd("/usr/sbin/xinetd",
                      {"-dontfork", "-f", conf.string(), "-pidfile", (dir_ / "xinetd.pid").string()},
                      dir_ / "xinetd.out");
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(10), [&] { return IsListeningOnLoopback(backend); }))
      << xinetd.Output();
  // nginx's SCGI example, passing to xinetd's port instead of a unix socket.
  std::string nginx_conf = ReadFileOrEmpty(SourceDir() / "conf" / "nginx-scgi.conf");
  for (size_t at; (at = nginx_conf.find("unix:@SOCKET@")) != std::string::npos;) {
    nginx_conf.replace(at, std::string("unix:@SOCKET@").size(), "127.0.0.1:" + std::to_string(backend));
  }
  std::ofstream(dir_ / "nginx-scgi-tcp.conf") << nginx_conf;
  NginxProcess nginx(dir_.path(), dir_ / "unused.sock", FindFreeLoopbackPort(),
                     std::chrono::seconds(10), dir_ / "nginx-scgi-tcp.conf");

  HttpResponse first = HttpGet(nginx.port(), "/imported-by", std::chrono::seconds(20));
  HttpResponse second = HttpGet(nginx.port(), "/imported-by", std::chrono::seconds(20));
  EXPECT_EQ(first.status, 200) << nginx.Diagnostics() << xinetd.Output();
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(HttpGet(nginx.port(), "/").body, "Hello from probe\n");
  // A process per connection, each importing the app itself.
  auto pids = [](const std::string& body) {
    size_t space = body.find(' ');
    return std::pair{body.substr(0, space), body.substr(space + 1)};
  };
  auto [first_importer, first_server] = pids(first.body);
  auto [second_importer, second_server] = pids(second.body);
  EXPECT_EQ(first_importer, first_server) << first.body;
  EXPECT_NE(first_server, second_server);
}

TEST_F(InheritedSocketTest, ApacheModFcgidStartsShoalWithTheListenerOnFdZero) {
  ::chmod(dir_.path().c_str(), 0755);  // Apache's children (www-data) run the wrapper
  const std::filesystem::path wrapper = dir_ / "app.fcgi";
  std::string command = "exec " + ShoalBinary().string();
  for (const std::string& arg : ShoalArgs({"--workers", "1"})) command += " " + arg;
  std::ofstream(wrapper) << "#!/bin/sh\n" << command << "\n";
  ::chmod(wrapper.c_str(), 0755);
  ApacheProcess apache(dir_.path(), FindFreeLoopbackPort(), SourceDir() / "conf" / "apache-fcgid.conf",
                       {{"WRAPPER", wrapper.string()}});

  HttpResponse response = HttpGet(apache.port(), "/", std::chrono::seconds(30));
  EXPECT_EQ(response.status, 200) << apache.Diagnostics();
  EXPECT_EQ(response.body, "Hello from probe\n");
  EXPECT_EQ(HttpGet(apache.port(), "/echo", std::chrono::seconds(30)).status, 200);
  HttpResponse posted = HttpPost(apache.port(), "/echo", "sent through mod_fcgid");
  EXPECT_EQ(posted.body, "sent through mod_fcgid") << apache.Diagnostics();
  EXPECT_TRUE(Has(apache.Diagnostics(), "fd:0 (unix:")) << apache.Diagnostics();
}

}  // namespace
}  // namespace shoal::tests
