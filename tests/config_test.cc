// shoal configured without options on its command line: from a --config
// file, and from an envdir directory of SHOAL_ files run by daemontools'
// envdir; each serves a request through nginx with the settings proven
// (the worker count, SCRIPT_NAME). And --check-config's output and exit
// codes from the real binary.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/http_client.h"
#include "support/loopback.h"
#include "support/nginx_process.h"
#include "support/paths.h"
#include "support/proc.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/test_data.h"
#include "support/text.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

using namespace std::chrono_literals;

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

class ConfigTest : public ::testing::Test {
 protected:
  // Serves shoal's socket through nginx and checks that a request under
  // /site reaches the probe with SCRIPT_NAME /site, served by one of
  // `workers`.
  void ExpectServedUnderSite(pid_t master, size_t workers, const std::string& log) {
    ASSERT_TRUE(WaitUntil(15s, [&] { return ChildrenOf(master).size() == workers; }))
        << ChildrenOf(master).size() << " workers\n" << log;
    NginxProcess nginx(dir_.path(), socket_, FindFreeLoopbackPort());
    HttpResponse response = HttpGet(nginx.port(), "/site/environ");
    ASSERT_EQ(response.status, 200) << response.body << nginx.Diagnostics();
    std::map<std::string, std::string> environ = Lines(response.body);
    EXPECT_EQ(environ["SCRIPT_NAME"], "/site") << response.body;
    EXPECT_EQ(environ["PATH_INFO"], "/environ") << response.body;
    EXPECT_EQ(ChildrenOf(master).size(), workers);
  }

  TempDir dir_{"shoal-config"};
  std::filesystem::path socket_ = dir_ / "shoal.sock";
};

TEST_F(ConfigTest, ServesFromAConfigFileAlone) {
  const std::filesystem::path ini = dir_ / "shoal.ini";
  WriteFile(ini, "# as a user would write it\n"
                 "[shoal]\n"
                 "app = probe:app\n"
                 "chdir = " + AppsDir().string() + "\n"
                 "bind = unix:" + socket_.string() + "\n"
                 "workers = 3\n"
                 "script-name = /site\n"
                 "\n"
                 "[uwsgi]\n"
                 "workers = 9\n");
  ShoalProcess shoal({"--config", ini.string()}, dir_ / "shoal.log");
  ASSERT_TRUE(shoal.WaitForSocket(socket_, 15s)) << shoal.Log();
  ExpectServedUnderSite(shoal.pid(), 3, shoal.Log());
}

TEST_F(ConfigTest, ServesFromAnEnvdirDirectory) {
  const std::filesystem::path env = dir_ / "env";
  std::filesystem::create_directory(env);
  WriteFile(env / "SHOAL_APP", "probe:app\n");
  WriteFile(env / "SHOAL_CHDIR", AppsDir().string() + "\n");
  WriteFile(env / "SHOAL_BIND", "unix:" + socket_.string() + "\n");
  WriteFile(env / "SHOAL_WORKERS", "3\n");
  WriteFile(env / "SHOAL_SCRIPT_NAME", "/site\n");
  // envdir execs shoal: the pid started is the master's.
  ChildProcess shoal("/usr/bin/envdir", {env.string(), ShoalBinary().string()},
                     dir_ / "shoal.log");
  ASSERT_TRUE(WaitUntil(15s, [&] { return std::filesystem::exists(socket_); })) << shoal.Output();
  ExpectServedUnderSite(shoal.pid(), 3, shoal.Output());
}

// A --lazy-apps worker and the image a HUP re-executes keep argv and the
// environment and read the file again: the same settings, no option read
// twice into an error.
TEST_F(ConfigTest, LazyWorkersAndAHupReloadReadTheSameFile) {
  const std::filesystem::path ini = dir_ / "shoal.ini";
  WriteFile(ini, "app = probe:app\n"
                 "chdir = " + AppsDir().string() + "\n"
                 "bind = unix:" + socket_.string() + "\n"
                 "script-name = /site\n"
                 "lazy-apps = true\n"
                 "pythonpath = " + AppsDir().string() + "\n");
  ShoalProcess shoal({"--config", ini.string()}, dir_ / "shoal.log", {{"SHOAL_WORKERS", "2"}});
  ASSERT_TRUE(shoal.WaitForSocket(socket_, 15s)) << shoal.Log();
  ASSERT_TRUE(shoal.WaitForWorkers(2, 15s)) << shoal.Log();
  NginxProcess nginx(dir_.path(), socket_, FindFreeLoopbackPort());
  // A lazy worker imported the app itself: the importer is the server.
  auto expect_lazy = [&] {
    HttpResponse response = HttpGet(nginx.port(), "/site/imported-by", 20s);
    ASSERT_EQ(response.status, 200) << response.body << shoal.Log();
    const size_t space = response.body.find(' ');
    ASSERT_NE(space, std::string::npos) << response.body;
    EXPECT_EQ(response.body.substr(0, space), response.body.substr(space + 1)) << response.body;
  };
  expect_lazy();
  const std::vector<pid_t> before = shoal.WorkerPids();
  shoal.Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(30s, [&] {
    const std::vector<pid_t> now = shoal.WorkerPids();
    return now.size() == 2 && std::none_of(now.begin(), now.end(), [&](pid_t pid) {
             return std::find(before.begin(), before.end(), pid) != before.end();
           });
  })) << shoal.Log();
  EXPECT_TRUE(shoal.running()) << shoal.Log();
  expect_lazy();
  HttpResponse response = HttpGet(nginx.port(), "/site/environ");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(Lines(response.body)["SCRIPT_NAME"], "/site");
  EXPECT_FALSE(Has(shoal.Log(), "shoal: ")) << shoal.Log();  // no usage error from any image
}

TEST_F(ConfigTest, CheckConfigPrintsEachValueAndItsSourceAndExitsZero) {
  const std::filesystem::path ini = dir_ / "shoal.ini";
  WriteFile(ini, "app = probe:app\nbind = unix:" + socket_.string() + "\nmax-requests = 10\n");
  ChildProcess check(ShoalBinary(), {"--check-config", "--config", ini.string(), "--workers", "4"},
                     dir_ / "check.log", SIGTERM, {{"SHOAL_MAX_REQUESTS", "20"}});
  EXPECT_EQ(check.WaitForExit(10s), 0);
  const std::string output = check.Output();
  EXPECT_TRUE(Has(output, "\nworkers = 4  # command line\n")) << output;
  EXPECT_TRUE(Has(output, "\nmax-requests = 20  # environment SHOAL_MAX_REQUESTS\n")) << output;
  EXPECT_TRUE(Has(output, "\napp = probe:app  # file " + ini.string() + ":1\n")) << output;
  EXPECT_TRUE(Has(output, "\nprotocol = fastcgi  # default\n")) << output;
  // Nothing was bound or imported.
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

TEST_F(ConfigTest, CheckConfigNamesABadValueAndExitsTwo) {
  const std::filesystem::path ini = dir_ / "shoal.ini";
  WriteFile(ini, "app = probe:app\n\nworkers = 0\n");
  ShoalRun run =
      RunShoalToExit({"--check-config", "--config", ini.string()}, dir_ / "bad.log", 10s);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.output,
            "shoal: invalid value '0' for --workers: expected 1 to 1024 (--workers is set in " +
                ini.string() + ":3) (see 'shoal --help')\n");
}

TEST_F(ConfigTest, UnknownKeyAndUnknownVariableExitTwo) {
  const std::filesystem::path ini = dir_ / "shoal.ini";
  WriteFile(ini, "app = probe:app\nbind = unix:" + socket_.string() + "\nmaxchildren = 4\n");
  ShoalRun run = RunShoalToExit({"--config", ini.string()}, dir_ / "key.log", 10s);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(Has(run.output, ini.string() + ":3: unknown key 'maxchildren'")) << run.output;

  ChildProcess variable(ShoalBinary(), {"--app", "probe:app", "--bind", "unix:" + socket_.string()},
                        dir_ / "variable.log", SIGTERM, {{"SHOAL_WORKER", "4"}});
  EXPECT_EQ(variable.WaitForExit(10s), 2);
  EXPECT_TRUE(Has(variable.Output(), "unknown environment variable SHOAL_WORKER"))
      << variable.Output();
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

}  // namespace
}  // namespace shoal::tests
