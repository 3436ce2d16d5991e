// The interpreter, app-form and environ options, each proven through nginx
// (and for the Authorization header, every front end): --virtualenv (and
// --venv, --home) with a real venv holding a package only it has, preloaded,
// in --lazy-apps workers, across a HUP re-exec and under --inetd;
// --python-home; --optimize; --app MODULE:FACTORY(); --wsgi-file with
// --callable; --env; --wsgi-var; --strip-authorization. Bad values exit 2
// (or 1 for an app that does not load) with one line.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/fastcgi_client.h"
#include "support/fd.h"
#include "support/inetd_run.h"
#include "support/paths.h"
#include "support/served_app.h"
#include "support/serving_fixture.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/test_data.h"
#include "support/text.h"
#include "support/wait.h"

extern char** environ;

namespace shoal::tests {
namespace {

using namespace std::chrono_literals;

class PythonOptionsTest : public ::testing::Test {
 protected:
  // One real venv for the suite, made by the Python shoal embeds, with a
  // package only it has: onlyinvenv (WHERE = "venv").
  static void SetUpTestSuite() {
    venv_dir_ = std::make_unique<TempDir>("shoal-venv");
    venv_ = venv_dir_->path() / "venv";
    ChildProcess make("/usr/bin/python3", {"-m", "venv", "--without-pip", venv_.string()},
                      venv_dir_->path() / "venv.log");
    venv_made_ = make.WaitForExit(60s) == std::optional<int>(0);
    const std::filesystem::path package =
        venv_ / "lib" / "python3.11" / "site-packages" / "onlyinvenv";
    std::filesystem::create_directories(package);
    std::ofstream(package / "__init__.py") << "WHERE = \"venv\"\n";
  }
  static void TearDownTestSuite() { venv_dir_.reset(); }

  void SetUp() override { ASSERT_TRUE(venv_made_) << "python3 -m venv failed"; }

  // A ServedApp of interp_probe `app` (or `app` given) with `args`.
  static std::unique_ptr<ServedApp> Serve(std::vector<std::string> args,
                                          const std::string& app = "interp_probe:app",
                                          int workers = 2) {
    return std::make_unique<ServedApp>(
        ServeOptions{.app = app, .workers = workers, .extra_args = std::move(args)});
  }

  static std::map<std::string, std::string> FactsFrom(const ServedApp& served,
                                                      const std::string& target = "/") {
    HttpResponse response = served.Get(target, 20s);
    EXPECT_EQ(response.status, 200) << response.body << served.Diagnostics();
    return Lines(response.body);
  }

  static std::unique_ptr<TempDir> venv_dir_;
  static std::filesystem::path venv_;
  static bool venv_made_;
};

std::unique_ptr<TempDir> PythonOptionsTest::venv_dir_;
std::filesystem::path PythonOptionsTest::venv_;
bool PythonOptionsTest::venv_made_ = false;

TEST_F(PythonOptionsTest, WithoutVirtualenvThePackageOnlyTheVenvHasIsAbsent) {
  auto served = Serve({});
  auto facts = FactsFrom(*served);
  EXPECT_EQ(facts["venv_package"], "<absent>");
  EXPECT_EQ(facts["prefix"], "/usr");
  EXPECT_EQ(facts["executable"], "/usr/bin/python3");
}

TEST_F(PythonOptionsTest, VirtualenvMakesTheVenvThePrefixAndItsPackagesImportable) {
  auto served = Serve({"--virtualenv", venv_.string()});
  auto facts = FactsFrom(*served);
  EXPECT_EQ(facts["venv_package"], "venv") << served->Diagnostics();
  EXPECT_EQ(facts["prefix"], venv_.string());
  EXPECT_EQ(facts["base_prefix"], "/usr");
  EXPECT_EQ(facts["executable"], (venv_ / "bin" / "python").string());
  EXPECT_NE(facts["pid"], std::to_string(served->shoal().pid()));

  // A HUP re-executes the master and forks new workers: still the venv.
  const std::vector<pid_t> before = served->shoal().WorkerPids();
  served->shoal().Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(30s, [&] {
    const std::vector<pid_t> now = served->shoal().WorkerPids();
    return now.size() == 2 && std::none_of(now.begin(), now.end(), [&](pid_t pid) {
             return std::find(before.begin(), before.end(), pid) != before.end();
           });
  })) << served->Diagnostics();
  auto after = FactsFrom(*served);
  EXPECT_EQ(after["venv_package"], "venv") << served->Diagnostics();
  EXPECT_EQ(after["prefix"], venv_.string());
}

TEST_F(PythonOptionsTest, VenvAliasHoldsInLazyWorkersWithEnvAndOptimize) {
  auto served = Serve({"--venv", venv_.string(), "--lazy-apps", "--env", "GREETING=hello lazy",
                       "--optimize", "1"});
  auto facts = FactsFrom(*served, "/?GREETING");
  EXPECT_EQ(facts["venv_package"], "venv") << served->Diagnostics();
  EXPECT_EQ(facts["prefix"], venv_.string());
  EXPECT_EQ(facts["env:GREETING"], "hello lazy");
  EXPECT_EQ(facts["optimize"], "1");
  EXPECT_EQ(facts["assert_runs"], "no");
  EXPECT_NE(facts["pid"], std::to_string(served->shoal().pid()));
}

TEST_F(PythonOptionsTest, VirtualenvComesFromTheShoalVirtualenvVariableToo) {
  ServeOptions options{.app = "interp_probe:app", .env = {{"SHOAL_VIRTUALENV", venv_.string()}}};
  ServedApp served(options);
  auto facts = FactsFrom(served);
  EXPECT_EQ(facts["venv_package"], "venv") << served.Diagnostics();
}

// `shoal --inetd ARGS` with the connection on fds 0 and 1, as inetd starts
// it; sends one FastCGI request for "/" and returns what came back.
std::string ServeOneInetdRequest(const std::vector<std::string>& args,
                                 const std::filesystem::path& log, std::optional<int>* exit) {
  std::vector<std::string> full = {"--inetd", "--protocol", "fastcgi"};
  full.insert(full.end(), args.begin(), args.end());
  InetdRun run = SpawnInetdShoal(full, log);
  EXPECT_GT(run.pid, 0);
  Fd& ours = run.peer;
  std::string request = fastcgi::GetRequest("/", /*keep_conn=*/false);
  EXPECT_EQ(::write(ours.get(), request.data(), request.size()),
            static_cast<ssize_t>(request.size()));
  std::string response = fastcgi::ReadResponse(ours.get(), 20s);
  *exit = WaitForPid(run.pid, 10s);
  return response;
}

TEST_F(PythonOptionsTest, VirtualenvHoldsUnderInetd) {
  TempDir dir;
  std::optional<int> exit;
  std::string response = ServeOneInetdRequest(
      {"--app", "interp_probe:app", "--chdir", AppsDir().string(), "--virtualenv",
       venv_.string()},
      dir.path() / "inetd.log", &exit);
  EXPECT_EQ(exit, std::optional<int>(0)) << ReadFileOrEmpty(dir.path() / "inetd.log");
  EXPECT_TRUE(Has(response, "venv_package\tvenv\n")) << response;
  EXPECT_TRUE(Has(response, "prefix\t" + venv_.string() + "\n")) << response;
}

TEST_F(PythonOptionsTest, PythonHomeNamesTheInstallationTheStandardLibraryComesFrom) {
  // An installation prefix of its own: lib/python3.11 is the system's.
  TempDir home("shoal-home");
  std::filesystem::create_directories(home.path() / "lib");
  std::filesystem::create_directory_symlink("/usr/lib/python3.11",
                                            home.path() / "lib" / "python3.11");
  auto served = Serve({"--python-home", home.path().string()});
  auto facts = FactsFrom(*served);
  EXPECT_EQ(facts["base_prefix"], home.path().string()) << served->Diagnostics();
  EXPECT_EQ(facts["prefix"], home.path().string());
}

TEST_F(PythonOptionsTest, OptimizeTwoSkipsAssertsAndShowsInSysFlags) {
  auto plain = FactsFrom(*Serve({}));
  EXPECT_EQ(plain["optimize"], "0");
  EXPECT_EQ(plain["assert_runs"], "yes");
  auto served = Serve({"--optimize", "2"});
  auto facts = FactsFrom(*served);
  EXPECT_EQ(facts["optimize"], "2") << served->Diagnostics();
  EXPECT_EQ(facts["assert_runs"], "no");
}

TEST_F(PythonOptionsTest, AFactoryIsCalledOnceInTheMasterAndItsAppServesEveryWorker) {
  auto served = Serve({}, "interp_probe:make_app()");
  ASSERT_TRUE(served->shoal().WaitForWorkers(2, 15s)) << served->Diagnostics();
  const std::string master = std::to_string(served->shoal().pid());
  for (int i = 0; i < 4; ++i) {
    auto facts = FactsFrom(*served);
    EXPECT_EQ(facts["factory_calls"], master) << served->Diagnostics();
    EXPECT_NE(facts["pid"], master);
  }
}

TEST_F(PythonOptionsTest, ALazyWorkerCallsTheFactoryItself) {
  auto served = Serve({"--lazy-apps"}, "interp_probe:make_app()", 1);
  auto facts = FactsFrom(*served);
  EXPECT_EQ(facts["factory_calls"], facts["pid"]) << served->Diagnostics();
}

TEST_F(PythonOptionsTest, AFactoryThatRaisesStopsTheStartWithOneLine) {
  TempDir dir;
  ShoalRun run = RunShoalToExit({"--app", "interp_probe:failing_factory()", "--chdir",
                                 AppsDir().string(), "--bind",
                                 "unix:" + (dir.path() / "s.sock").string()},
                                dir.path() / "shoal.log", 20s);
  EXPECT_EQ(run.exit_code, std::optional<int>(1)) << run.output;
  EXPECT_TRUE(Has(run.output, "cannot load app 'interp_probe:failing_factory()': "
                              "failing_factory() raised RuntimeError: no database for the "
                              "factory (raised at " +
                                  (AppsDir() / "interp_probe.py").string() + ":"))
      << run.output;
  EXPECT_FALSE(Has(run.output, "Traceback")) << run.output;
}

TEST_F(PythonOptionsTest, WsgiFileServesTheScriptsApplicationWithItsNeighboursImportable) {
  const std::string script = (AppsDir() / "wsgi_scripts" / "site.wsgi").string();
  auto served = Serve({"--wsgi-file", script}, "");
  HttpResponse response = served->Get("/", 20s);
  EXPECT_EQ(response.status, 200) << served->Diagnostics();
  EXPECT_TRUE(Has(response.body, "application from site.wsgi, helper beside the script, "
                                 "module _shoal_wsgi_file_"))
      << response.body;
  EXPECT_TRUE(Has(served->shoal().Log(), "serving " + script + ":application at /"))
      << served->shoal().Log();
}

TEST_F(PythonOptionsTest, CallableNamesAnotherAppInTheScriptAlsoInLazyWorkers) {
  const std::string script = (AppsDir() / "wsgi_scripts" / "site.wsgi").string();
  auto served = Serve({"--wsgi-file", script, "--callable", "other", "--mount", "/probe=probe:app",
                       "--lazy-apps"},
                      "");
  HttpResponse response = served->Get("/", 20s);
  EXPECT_EQ(response.status, 200) << served->Diagnostics();
  EXPECT_EQ(response.body, "other from site.wsgi, helper beside the script\n");
  EXPECT_EQ(served->Get("/probe/").body, "Hello from probe\n");
}

TEST_F(PythonOptionsTest, AWsgiFileThatIsMissingStopsTheStartWithOneLine) {
  TempDir dir;
  const std::string missing = (dir.path() / "nowhere.wsgi").string();
  ShoalRun run = RunShoalToExit(
      {"--wsgi-file", missing, "--bind", "unix:" + (dir.path() / "s.sock").string()},
      dir.path() / "shoal.log", 20s);
  EXPECT_EQ(run.exit_code, std::optional<int>(1)) << run.output;
  EXPECT_TRUE(Has(run.output, "cannot load app '" + missing + ":application': access(" + missing +
                                  ", R_OK) failed: No such file or directory"))
      << run.output;
}

TEST_F(PythonOptionsTest, EnvIsInOsEnvironOfEveryPreforkedWorker) {
  auto served = Serve({"--env", "GREETING=hello", "--env", "EMPTY="});
  for (int i = 0; i < 3; ++i) {
    auto facts = FactsFrom(*served, "/?GREETING&EMPTY&UNSET_ONE");
    EXPECT_EQ(facts["env:GREETING"], "hello") << served->Diagnostics();
    EXPECT_EQ(facts["env:EMPTY"], "");
    EXPECT_EQ(facts["env:UNSET_ONE"], "<absent>");
  }
}

TEST_F(PythonOptionsTest, WsgiVarIsInEveryEnvironOverTheFrontEndsValues) {
  auto served = std::make_unique<ServedApp>(ServeOptions{
      .extra_args = {"--wsgi-var", "myapp.colour=blue", "--wsgi-var", "wsgi.url_scheme=https",
                     "--wsgi-var", "SERVER_NAME=override.example"}});
  for (int i = 0; i < 2; ++i) {
    HttpResponse response = served->Get("/environ", 20s);
    ASSERT_EQ(response.status, 200) << served->Diagnostics();
    auto environ_seen = Lines(response.body);
    EXPECT_EQ(environ_seen["myapp.colour"], "blue") << response.body;
    EXPECT_EQ(environ_seen["wsgi.url_scheme"], "https") << response.body;
    EXPECT_EQ(environ_seen["SERVER_NAME"], "override.example") << response.body;
    EXPECT_EQ(environ_seen["REQUEST_METHOD"], "GET") << response.body;
  }
}

TEST_F(PythonOptionsTest, BadValuesExitTwoWithOneLine) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "notavenv");
  const std::string bind = "unix:" + (dir.path() / "s.sock").string();
  const std::string plain = (dir.path() / "notavenv").string();
  struct Case {
    std::vector<std::string> args;
    std::string line;
  };
  int index = 0;
  for (const Case& c : std::vector<Case>{
           {{"--virtualenv", plain}, "invalid value '" + plain + "' for --virtualenv: no pyvenv.cfg"},
           {{"--home", plain}, "invalid value '" + plain + "' for --virtualenv: no pyvenv.cfg"},
           {{"--python-home", plain + "/nope"}, "for --python-home: not a directory"},
           {{"--optimize", "3"}, "invalid value '3' for --optimize"},
           {{"--env", "NOEQUALS"}, "invalid value 'NOEQUALS' for --env: expected KEY=VALUE"},
           {{"--wsgi-var", "=x"}, "invalid value '=x' for --wsgi-var: expected KEY=VALUE"},
       }) {
    std::vector<std::string> args = {"--app", "interp_probe:app", "--chdir", AppsDir().string(),
                                     "--bind", bind};
    args.insert(args.end(), c.args.begin(), c.args.end());
    ShoalRun run =
        RunShoalToExit(args, dir.path() / ("shoal" + std::to_string(++index) + ".log"), 20s);
    EXPECT_EQ(run.exit_code, std::optional<int>(2)) << run.output;
    EXPECT_TRUE(Has(run.output, c.line)) << run.output;
    EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << run.output;
  }
}

// The Authorization header: every front end's example config passes it on
// (nginx always; Apache's FastCGI and SCGI with CGIPassAuth On; AJP13 as
// its coded header), and --strip-authorization removes it.
class AuthorizationTest : public ::testing::TestWithParam<FrontEnd> {
 protected:
  std::map<std::string, std::string> EnvironSeen(const std::vector<std::string>& args) {
    ServedApp served(ServeOptions{.extra_args = args, .front_end = GetParam()});
    HttpResponse response =
        served.Request("GET", FrontEndPrefix(GetParam()) + "/environ",
                       {{"Authorization", "Basic dXNlcjpzZWNyZXQ="}}, {}, 20s);
    EXPECT_EQ(response.status, 200) << served.Diagnostics();
    return Lines(response.body);
  }
};

TEST_P(AuthorizationTest, PassedToTheAppByDefault) {
  EXPECT_EQ(EnvironSeen({})["HTTP_AUTHORIZATION"], "Basic dXNlcjpzZWNyZXQ=");
}

TEST_P(AuthorizationTest, StripAuthorizationRemovesIt) {
  auto seen = EnvironSeen({"--strip-authorization"});
  EXPECT_EQ(seen.count("HTTP_AUTHORIZATION"), 0u) << seen["HTTP_AUTHORIZATION"];
  EXPECT_EQ(seen["REQUEST_METHOD"], "GET");
}

INSTANTIATE_TEST_SUITE_P(FrontEnds, AuthorizationTest, ::testing::ValuesIn(kAllFrontEnds),
                         FrontEndTestName);

}  // namespace
}  // namespace shoal::tests
