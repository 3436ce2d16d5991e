// `import shoal` (package/): flup's scripts with one import changed, and
// shoal's own names, served by the same core as the daemon behind a real
// nginx and Apache; run() returning True on HUP and False on TERM; the
// adaptive pool growing; shoal.inetd.run_app on a socketpair; the keywords
// refused, each naming itself.
//
// Each script runs as /usr/bin/python3 with PYTHONPATH=build/python
// (support/python_script.h) and becomes shoal's master in its own process.
// Under the sanitizers the tests skip: the extension module is built with
// ASan, whose runtime cannot be loaded into an uninstrumented python3.
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/apache_process.h"
#include "support/fastcgi_client.h"
#include "support/http_client.h"
#include "support/inetd_run.h"
#include "support/loopback.h"
#include "support/nginx_process.h"
#include "support/paths.h"
#include "support/python_script.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/test_data.h"
#include "support/text.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

using namespace std::chrono_literals;

class PythonPackageTest : public testing::Test {
 protected:
  void SetUp() override {
#ifdef SHOAL_SANITIZE
    GTEST_SKIP() << "the extension module is built with ASan, which an uninstrumented python3 "
                    "cannot load";
#endif
  }

  // Starts `script` with `args`, its log RUN/script.log, and waits up to
  // 15 s for its unix socket `socket` (or its 127.0.0.1 `port`).
  ShoalProcess& Start(const std::string& script, const std::vector<std::string>& args,
                      const std::filesystem::path& socket, int port = 0,
                      const EnvVars& env = {}) {
    script_ = StartPythonScript(script, args, dir_ / "script.log", env);
    const bool up = port != 0 ? script_->WaitForPort(port, 15s)
                              : script_->WaitForSocket(socket, 15s);
    EXPECT_TRUE(up) << script_->Log();
    return *script_;
  }

  // nginx in front of RUN/shoal.sock with conf/`conf` (nginx-scgi.conf...).
  void StartNginx(const std::string& conf) {
    web_ = std::make_unique<NginxProcess>(dir_.path(), socket(), FindFreeLoopbackPort(), 10s,
                                          SourceDir() / "conf" / conf);
  }

  // Apache with conf/`conf` and its placeholders.
  void StartApache(const std::string& conf, const ConfValues& values) {
    web_ = std::make_unique<ApacheProcess>(dir_.path(), FindFreeLoopbackPort(),
                                           SourceDir() / "conf" / conf, values, 10s);
  }

  HttpResponse Get(const std::string& target, std::chrono::milliseconds timeout = 10s) {
    return HttpGet(web_->port(), target, timeout);
  }

  std::filesystem::path socket() const { return dir_ / "shoal.sock"; }

  // The script's log (shoal's lines and Python's), for failure messages.
  std::string Log() const { return script_ ? script_->Log() : ""; }

  TempDir dir_{"shoal-package"};
  std::unique_ptr<ShoalProcess> script_;
  std::unique_ptr<WebServer> web_;
};

// The seed's daemontools script, only its import changed, behind Apache's
// mod_proxy_scgi: /blog/... reaches the app with SCRIPT_NAME /blog; TERM
// makes run() return False and the script exit 0.
TEST_F(PythonPackageTest, SeedScriptOnScgiForkServesBlogBehindApacheAndTermExitsZero) {
  const int port = FindFreeLoopbackPort();
  ShoalProcess& script =
      Start("seed_scgi_fork.py", {}, {}, port, {{"SEED_PORT", std::to_string(port)}});
  StartApache("apache-scgi.conf", {{"SCGI_PORT", std::to_string(port)}});
  HttpResponse response = Get("/blog/environ/entry?x=1");
  ASSERT_EQ(response.status, 200) << response.body << Log();
  auto environ = Lines(response.body);
  EXPECT_EQ(environ["SCRIPT_NAME"], "/blog");
  EXPECT_EQ(environ["PATH_INFO"], "/environ/entry");
  EXPECT_EQ(environ["QUERY_STRING"], "x=1");
  EXPECT_TRUE(Has(Log(), "serving <function")) << Log();
  script.Signal(SIGTERM);
  EXPECT_EQ(script.WaitForExit(20s), std::optional<int>(0)) << Log();
  EXPECT_TRUE(Has(Log(), "all workers stopped")) << Log();
}

// HUP: the workers stop gracefully, run() returns True, and the seed's
// `sys.exit(ret and 42 or 0)` exits 42 for its supervisor to restart it.
TEST_F(PythonPackageTest, SeedScriptHupMakesRunReturnTrueAndExit42) {
  const int port = FindFreeLoopbackPort();
  ShoalProcess& script =
      Start("seed_scgi_fork.py", {}, {}, port, {{"SEED_PORT", std::to_string(port)}});
  ASSERT_TRUE(script.WaitForWorkers(1, 10s)) << Log();
  script.Signal(SIGHUP);
  EXPECT_EQ(script.WaitForExit(20s), std::optional<int>(42)) << Log();
  EXPECT_TRUE(Has(Log(), "stopping to be reloaded (run() returns True)")) << Log();
  EXPECT_TRUE(script.WorkerPids().empty());
}

// The same script shape behind nginx's scgi_pass, on a unix socket.
TEST_F(PythonPackageTest, ScgiForkServesBlogBehindNginx) {
  Start("flup_server.py", {"scgi_fork", socket().string(), "scriptName=/blog"}, socket());
  StartNginx("nginx-scgi.conf");
  HttpResponse response = Get("/blog/environ");
  ASSERT_EQ(response.status, 200) << response.body << Log();
  auto environ = Lines(response.body);
  EXPECT_EQ(environ["SCRIPT_NAME"], "/blog");
  EXPECT_EQ(environ["PATH_INFO"], "/environ");
}

TEST_F(PythonPackageTest, FcgiForkServesBehindNginx) {
  ShoalProcess& script =
      Start("flup_server.py", {"fcgi_fork", socket().string(), "maxRequests=100"}, socket());
  StartNginx("nginx-fastcgi.conf");
  HttpResponse response = Get("/");
  ASSERT_EQ(response.status, 200) << response.body << Log();
  EXPECT_EQ(response.body, "Hello from probe\n");
  // The worker that served is a child of the script's process: forked from
  // it, with the app the script imported.
  HttpResponse imported = Get("/imported-by");
  ASSERT_EQ(imported.status, 200) << Log();
  EXPECT_TRUE(imported.body.starts_with(std::to_string(script.pid()) + " ")) << imported.body;
  EXPECT_TRUE(Has(Log(), "(fastcgi) with an adaptive pool (1 to 5 spare, at most 50 workers)"))
      << Log();
  script.Signal(SIGTERM);
  EXPECT_EQ(script.WaitForExit(20s), std::optional<int>(0)) << Log();
}

// flup's bindAddress=None, fcgi_fork's default: the listening socket on
// fd 0, as spawn-fcgi (or mod_fcgid) starts a FastCGI program.
TEST_F(PythonPackageTest, FcgiForkWithoutBindAddressServesTheSocketOnFdZero) {
  std::vector<std::string> args = {"-n", "-s", socket().string(), "-M", "0666", "--"};
  for (const std::string& word : PythonScriptCommand("flup_server.py", {"fcgi_fork", "none"})) {
    args.push_back(word);
  }
  script_ = std::make_unique<ShoalProcess>("/usr/bin/spawn-fcgi", args, dir_ / "script.log");
  ASSERT_TRUE(WaitUntil(15s, [&] { return Has(Log(), "worker 0 pid"); })) << Log();
  EXPECT_TRUE(Has(Log(), "on fd:0 (unix:" + socket().string() + ")")) << Log();
  StartNginx("nginx-fastcgi.conf");
  HttpResponse response = Get("/");
  ASSERT_EQ(response.status, 200) << Log();
  EXPECT_EQ(response.body, "Hello from probe\n");
}

TEST_F(PythonPackageTest, AjpForkServesBehindApache) {
  const int port = FindFreeLoopbackPort();
  Start("flup_server.py", {"ajp_fork", "127.0.0.1:" + std::to_string(port)}, {}, port);
  StartApache("apache-ajp.conf", {{"AJP_PORT", std::to_string(port)},
                                  {"AJP_SECRET", ""},
                                  {"AJP_PACKET_SIZE", "8192"}});
  HttpResponse response = Get("/environ");
  ASSERT_EQ(response.status, 200) << response.body << Log();
  EXPECT_EQ(Lines(response.body)["PATH_INFO"], "/environ");
  EXPECT_TRUE(Has(Log(), "(ajp)")) << Log();
}

// flup's minSpare/maxSpare/maxChildren: four slow requests in flight grow
// the pool past them (to 4 busy and a spare), never past maxChildren.
TEST_F(PythonPackageTest, AdaptivePoolGrowsUnderLoad) {
  ShoalProcess& script = Start(
      "flup_server.py",
      {"scgi_fork", socket().string(), "minSpare=1", "maxSpare=2", "maxChildren=6"}, socket());
  StartNginx("nginx-scgi.conf");
  ASSERT_TRUE(WaitUntil(10s, [&] { return !script.WorkerPids().empty(); })) << Log();
  std::vector<std::future<HttpResponse>> slow;
  for (int i = 0; i < 4; ++i) {
    slow.push_back(std::async(std::launch::async, [&] { return Get("/slow?seconds=5", 20s); }));
  }
  EXPECT_TRUE(WaitUntil(5s, [&] { return script.WorkerPids().size() >= 5; }))
      << script.WorkerPids().size() << " workers\n" << Log();
  for (auto& response : slow) EXPECT_EQ(response.get().body, "slept\n");
  EXPECT_LE(script.WorkerPids().size(), 6u);
}

// shoal.serve with the daemon's own option names.
TEST_F(PythonPackageTest, ServeTakesShoalsOwnOptionNames) {
  ShoalProcess& script =
      Start("serve.py", {"bind='unix:" + socket().string() + "'", "protocol='scgi'", "workers=3",
                         "script_name='/app'"},
            socket());
  StartNginx("nginx-scgi.conf");
  EXPECT_TRUE(script.WaitForWorkers(3, 10s)) << script.WorkerPids().size() << "\n" << Log();
  HttpResponse response = Get("/app/environ");
  ASSERT_EQ(response.status, 200) << Log();
  EXPECT_EQ(Lines(response.body)["SCRIPT_NAME"], "/app");
  EXPECT_TRUE(Has(Log(), "(scgi) with 3 workers")) << Log();
  script.Signal(SIGHUP);
  EXPECT_EQ(script.WaitForExit(20s), std::optional<int>(42)) << Log();
}

// flup's threaded servers are served by the prefork core, and say so.
TEST_F(PythonPackageTest, ThreadedScgiServerServesWithPreforkAndSaysSo) {
  Start("threaded_scgi.py", {socket().string()}, socket());
  StartNginx("nginx-scgi.conf");
  HttpResponse response = Get("/");
  ASSERT_EQ(response.status, 200) << Log();
  EXPECT_EQ(response.body, "Hello from probe\n");
  EXPECT_TRUE(Has(Log(), "shoal.server.scgi: flup's threaded server is served by shoal's "
                         "prefork core"))
      << Log();
  EXPECT_TRUE(Has(Log(), "at most 4 workers")) << Log();
}

// A program's own thread runs while the master waits (the GIL is free), a
// TERM the kernel hands to that thread still reaches the master, and once
// run() returns Python's SIGINT handler is the program's again.
TEST_F(PythonPackageTest, ProgramThreadsRunAndSignalsComeBackAfterRun) {
  ShoalProcess& script = Start("threads.py", {socket().string()}, socket());
  ASSERT_TRUE(script.WaitForWorkers(1, 10s)) << Log();
  std::this_thread::sleep_for(1s);
  // TERM sent to the program's thread itself (tgkill), as the kernel may
  // deliver a signal sent to the process: it does not block it, so without
  // the forwarding its default action would end the process with no stop.
  pid_t other = 0;
  for (const auto& task : std::filesystem::directory_iterator(
           "/proc/" + std::to_string(script.pid()) + "/task")) {
    const pid_t tid = std::stoi(task.path().filename().string());
    if (tid != script.pid()) other = tid;
  }
  ASSERT_NE(other, 0) << "no second thread\n" << Log();
  ASSERT_EQ(::syscall(SYS_tgkill, script.pid(), other, SIGTERM), 0);
  EXPECT_EQ(script.WaitForExit(20s), std::optional<int>(0)) << Log();
  EXPECT_TRUE(Has(Log(), "signal 15 (Terminated): stopping;")) << Log();
  EXPECT_TRUE(Has(Log(), "run returned False")) << Log();
  EXPECT_TRUE(Has(Log(), "sigint handler restored: True")) << Log();
  EXPECT_TRUE(Has(Log(), "KeyboardInterrupt after run()")) << Log();
  // About 100 ticks a second while serving, had it the GIL.
  const std::string ticked = "thread ticked ";
  const size_t at = Log().find(ticked);
  ASSERT_NE(at, std::string::npos) << Log();
  EXPECT_GE(std::stoi(Log().substr(at + ticked.size())), 30) << Log();
}

// Seed 002's inetd script: one connection on stdin, the protocol told from
// its first bytes; SCGI, then FastCGI.
TEST_F(PythonPackageTest, RunAppAnswersScgiAndFastCgiOnASocketpair) {
  InetdRun scgi = SpawnInetd(PythonScriptCommand("run_app.py", {}), dir_ / "scgi.log");
  ASSERT_GT(scgi.pid, 0);
  WriteAllTo(scgi.peer.get(), ScgiRequest("/imported-by"));
  std::string answer = ReadToEof(scgi.peer.get(), 20s);
  EXPECT_EQ(WaitForPid(scgi.pid, 10s), std::optional<int>(0)) << ReadFileOrEmpty(dir_ / "scgi.log");
  EXPECT_TRUE(Has(answer, "Status: 200 OK")) << answer;
  // The script's own process served it: no fork.
  EXPECT_TRUE(Has(answer, std::to_string(scgi.pid) + " " + std::to_string(scgi.pid))) << answer;

  InetdRun fcgi = SpawnInetd(PythonScriptCommand("run_app.py", {}), dir_ / "fcgi.log");
  ASSERT_GT(fcgi.pid, 0);
  WriteAllTo(fcgi.peer.get(), fastcgi::GetRequest("/", /*keep_conn=*/false));
  std::string wire = ReadToEof(fcgi.peer.get(), 20s);
  EXPECT_EQ(WaitForPid(fcgi.pid, 10s), std::optional<int>(0)) << ReadFileOrEmpty(dir_ / "fcgi.log");
  EXPECT_TRUE(Has(FastCgiStdout(wire), "Hello from probe")) << wire;
}

// What shoal cannot honour, and values it cannot read, are exceptions that
// name the keyword; an unknown keyword is a TypeError, as Python's own.
TEST_F(PythonPackageTest, RefusedKeywordsAndBadValuesNameThemselves) {
  ShoalProcess& script = *(script_ = StartPythonScript("refused.py", {}, dir_ / "script.log"));
  ASSERT_EQ(script.WaitForExit(30s), std::optional<int>(0)) << Log();
  auto answers = Lines(Log());
  auto expect = [&](const std::string& key, const std::string& type, const std::string& part) {
    EXPECT_TRUE(answers[key].starts_with(type + "\t") && Has(answers[key], part))
        << key << ": " << answers[key];
  };
  expect("multiplexed", "ValueError", "'multiplexed=True' is refused");
  expect("roles", "ValueError", "roles=(2,)");
  expect("forceCGI", "ValueError", "forceCGI=True");
  expect("maxChildren", "TypeError", "maxChildren='ten'");
  expect("unknown_flup", "TypeError", "unexpected keyword argument 'maxThreadz'");
  expect("unknown_serve", "TypeError", "unexpected keyword argument 'wrokers'");
  expect("workers_value", "ValueError", "workers='many'");
  expect("workers_bool", "TypeError", "workers=True");
  expect("protocol_value", "ValueError", "protocol='http'");
  expect("lazy_apps", "ValueError", "lazy_apps=");
  expect("mount", "ValueError", "mount=");
  expect("chdir", "ValueError", "os.chdir()");
  expect("not_callable", "TypeError", "callable");
}

}  // namespace
}  // namespace shoal::tests
