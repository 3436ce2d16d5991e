// The user's Python around the app, each proven through nginx:
// --middleware (the order seen by the app), --on-request (an access check
// that answers 403 instead of the app, and one that raises), --after-request
// (the status and bytes of each finished response), --head-skip-body (a
// generator stopped at its first empty chunk for HEAD, and run to its end
// without the option; the body of a HEAD response is never sent),
// --exec/--exec-file (what the app imports from shoal_startup, preloaded,
// in --lazy-apps workers, and under --inetd with the middleware and hooks)
// and --reload-on-change with either --reload-mechanism (a source edit
// served without a restart, by the same workers or new ones, preloaded or
// lazy). Bad values exit 2, and what does not import or raises at start
// exits 1, with one line.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/fastcgi_client.h"
#include "support/fd.h"
#include "support/inetd_run.h"
#include "support/paths.h"
#include "support/served_app.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/test_data.h"
#include "support/text.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<ServedApp> Serve(const std::string& app, std::vector<std::string> args,
                                 const std::filesystem::path& chdir = AppsDir(), int workers = 2) {
  return std::make_unique<ServedApp>(ServeOptions{
      .app = app, .chdir = chdir, .workers = workers, .extra_args = std::move(args)});
}

// The lines of `path` (empty if it does not exist yet).
std::vector<std::string> FileLines(const std::filesystem::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// shoal started with `args` until it exits; its output.
ShoalRun RunToExit(std::vector<std::string> args, const TempDir& dir, const std::string& log) {
  std::vector<std::string> all = {"--chdir", AppsDir().string(), "--bind",
                                  "unix:" + (dir.path() / "s.sock").string()};
  all.insert(all.end(), args.begin(), args.end());
  return RunShoalToExit(all, dir.path() / log, 20s);
}

size_t LineCount(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

std::vector<pid_t> SortedWorkers(ShoalProcess& shoal) {
  std::vector<pid_t> pids = shoal.WorkerPids();
  std::sort(pids.begin(), pids.end());
  return pids;
}

TEST(HooksTest, MiddlewareIsAppliedInOrderTheLastGivenOutermost) {
  auto served = Serve("hooks_app:app", {"--middleware", "hooks_app:first", "--middleware",
                                        "hooks_app:second", "--middleware", "hooks_app:third"});
  for (int i = 0; i < 3; ++i) {
    HttpResponse response = served->Get("/", 20s);
    ASSERT_EQ(response.status, 200) << served->Diagnostics();
    // The request passes third (outermost), then second, then first.
    EXPECT_EQ(Lines(response.body)["middleware"], "third,second,first") << response.body;
  }
}

TEST(HooksTest, TheOptionsWorkFromSHOALVariablesAndAConfigFile) {
  TempDir dir;
  const std::filesystem::path config = dir.path() / "shoal.ini";
  std::ofstream(config) << "[shoal]\nmiddleware = hooks_app:second\n"
                           "on-request = hooks_app:check_access\n";
  auto served = std::make_unique<ServedApp>(ServeOptions{
      .app = "hooks_app:app",
      .extra_args = {"--config", config.string()},
      .env = {{"SHOAL_MIDDLEWARE", "hooks_app:first"}}});
  // Repeatable options add up, the environment's before the file's: the
  // file's middleware is the outer one.
  HttpResponse response = served->Get("/", 20s);
  ASSERT_EQ(response.status, 200) << served->Diagnostics();
  EXPECT_EQ(Lines(response.body)["middleware"], "second,first") << response.body;
  EXPECT_EQ(served->Get("/private/x", 20s).status, 403);
}

TEST(HooksTest, MiddlewareWrapsEveryMountAndLazyWorkersApplyItToo) {
  auto served = Serve("hooks_app:app", {"--middleware", "hooks_app:first", "--mount",
                                        "/sub=hooks_app:app", "--lazy-apps"});
  EXPECT_EQ(Lines(served->Get("/", 20s).body)["middleware"], "first") << served->Diagnostics();
  EXPECT_EQ(Lines(served->Get("/sub/x", 20s).body)["middleware"], "first");
}

TEST(HooksTest, AMiddlewareOrHookThatDoesNotLoadStopsTheStartWithOneLine) {
  TempDir dir;
  struct Case {
    std::vector<std::string> args;
    std::string line;
  };
  int index = 0;
  for (const Case& c : std::vector<Case>{
           {{"--middleware", "no_such_module:wrap"},
            "--middleware 'no_such_module:wrap': cannot import: ModuleNotFoundError: No module "
            "named 'no_such_module'"},
           {{"--middleware", "hooks_app:missing"},
            "--middleware 'hooks_app:missing': module 'hooks_app' has no 'missing'"},
           {{"--middleware", "hooks_app:not_a_wrapper"},
            "--middleware 'hooks_app:not_a_wrapper': not_a_wrapper(app) returned a NoneType, "
            "not a WSGI callable"},
           {{"--on-request", "hooks_app:__doc__"},
            "--on-request 'hooks_app:__doc__': '__doc__' is a str, not callable"},
           {{"--after-request", "no_such_module:after"},
            "--after-request 'no_such_module:after': cannot import: ModuleNotFoundError"},
       }) {
    std::vector<std::string> args = {"--app", "hooks_app:app"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    ShoalRun run = RunToExit(args, dir, "shoal" + std::to_string(++index) + ".log");
    EXPECT_EQ(run.exit_code, std::optional<int>(1)) << run.output;
    EXPECT_TRUE(Has(run.output, c.line)) << run.output;
    EXPECT_EQ(LineCount(run.output), 1u) << run.output;
  }
}

TEST(HooksTest, AnOnRequestHookAnswersInsteadOfTheAppOrLetsItRun) {
  auto served = Serve("hooks_app:app", {"--on-request", "hooks_app:check_access"});
  HttpResponse denied = served->Get("/private/report", 20s);
  EXPECT_EQ(denied.status, 403) << served->Diagnostics();
  EXPECT_EQ(denied.body, "denied by the access hook\n");
  HttpResponse allowed = served->Get("/public", 20s);
  EXPECT_EQ(allowed.status, 200);
  EXPECT_EQ(Lines(allowed.body)["path"], "/public") << allowed.body;

  // A hook that raises gives a 500 and a logged traceback; the workers serve on.
  const std::vector<pid_t> workers = SortedWorkers(served->shoal());
  HttpResponse failed = served->Get("/hook-error", 20s);
  EXPECT_EQ(failed.status, 500);
  EXPECT_FALSE(Has(failed.body, "RuntimeError")) << failed.body;
  EXPECT_TRUE(WaitUntil(10s, [&] {
    return Has(served->shoal().Log(), "GET /hook-error: 500, exception in --on-request") &&
           Has(served->shoal().Log(), "RuntimeError: the access hook failed");
  })) << served->shoal().Log();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(served->Get("/public", 20s).status, 200);
  EXPECT_EQ(SortedWorkers(served->shoal()), workers);
}

TEST(HooksTest, AnAfterRequestHookReceivesEachFinishedResponsesStatusAndBytes) {
  TempDir dir;
  const std::filesystem::path after = dir.path() / "after.log";
  auto served = Serve("hooks_app:app",
                      {"--on-request", "hooks_app:check_access", "--after-request",
                       "hooks_app:log_after", "--env", "HOOKS_AFTER_FILE=" + after.string()});
  HttpResponse ok = served->Get("/a", 20s);
  ASSERT_EQ(ok.status, 200) << served->Diagnostics();
  ASSERT_EQ(served->Get("/private/b", 20s).status, 403);
  ASSERT_EQ(served->Get("/hook-error", 20s).status, 500);
  ASSERT_TRUE(WaitUntil(10s, [&] { return FileLines(after).size() >= 3; }))
      << ReadFileOrEmpty(after) << served->Diagnostics();
  std::vector<std::string> lines = FileLines(after);
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "/a\t200 OK\t" + std::to_string(ok.body.size()) + "\tpositive",
                       "/hook-error\t500 Internal Server Error\t22\tpositive",
                       "/private/b\t403 Forbidden\t26\tpositive"}));
}

TEST(HooksTest, AnAfterRequestHookThatRaisesIsLoggedAndTheResponseStands) {
  auto served = Serve("hooks_app:app", {"--after-request", "hooks_app:failing_after"});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(served->Get("/", 20s).status, 200) << served->Diagnostics();
  EXPECT_TRUE(WaitUntil(10s, [&] {
    return Has(served->shoal().Log(),
               "GET /: exception in --after-request: ValueError: after-request hook broke");
  })) << served->shoal().Log();
}

// The chunk counts the counting app recorded, by method, in order.
std::vector<std::string> WaitForCounts(const std::filesystem::path& file, size_t count) {
  WaitUntil(10s, [&] { return FileLines(file).size() >= count; });
  return FileLines(file);
}

TEST(HooksTest, HeadSkipBodyStopsAGeneratorAtItsFirstEmptyChunkForHead) {
  TempDir dir;
  const std::filesystem::path counts = dir.path() / "counts";
  auto served = Serve("hooks_app:counting_app",
                      {"--head-skip-body", "--env", "HOOKS_COUNT_FILE=" + counts.string()}, AppsDir(),
                      1);
  HttpResponse head = served->Request("HEAD", "/", {}, {}, 20s);
  EXPECT_EQ(head.status, 200) << served->Diagnostics();
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(WaitForCounts(counts, 1), std::vector<std::string>{"HEAD\t0"});
  // GET is not cut short.
  HttpResponse get = served->Get("/", 20s);
  EXPECT_EQ(get.body, "chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
  EXPECT_EQ(WaitForCounts(counts, 2), (std::vector<std::string>{"HEAD\t0", "GET\t5"}));
}

TEST(HooksTest, WithoutHeadSkipBodyAHeadRequestsGeneratorGoesPastTheEmptyChunk) {
  TempDir dir;
  const std::filesystem::path counts = dir.path() / "counts";
  auto served = Serve("hooks_app:counting_app", {"--env", "HOOKS_COUNT_FILE=" + counts.string()},
                      AppsDir(), 1);
  HttpResponse head = served->Request("HEAD", "/", {}, {}, 20s);
  EXPECT_EQ(head.status, 200) << served->Diagnostics();
  EXPECT_EQ(head.body, "");
  // nginx closes the connection once it has a HEAD response's headers, so
  // the generator may be closed before its end, as for any client that
  // goes away; it is not stopped at its empty chunk. (Run to its end: see
  // the next test, whose client waits for the end of the response.)
  const std::vector<std::string> seen = WaitForCounts(counts, 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(seen[0], "HEAD\t0");
  EXPECT_TRUE(seen[0].starts_with("HEAD\t")) << seen[0];
}

// A FastCGI name-value pair, both lengths under 128.
std::string Pair(const std::string& name, const std::string& value) {
  return std::string(1, static_cast<char>(name.size())) +
         std::string(1, static_cast<char>(value.size())) + name + value;
}

// What shoal itself sends for a HEAD request (nginx would drop a body it
// got): the STDOUT records' content.
std::string RawHeadResponse(const ServedApp& served) {
  Fd fd = fastcgi::ConnectUnix(served.socket_path().string());
  if (!fd.valid()) return "<cannot connect>";
  const std::string params = Pair("REQUEST_METHOD", "HEAD") + Pair("SCRIPT_NAME", "") +
                             Pair("PATH_INFO", "/") + Pair("QUERY_STRING", "") +
                             Pair("SERVER_NAME", "localhost") + Pair("SERVER_PORT", "80") +
                             Pair("SERVER_PROTOCOL", "HTTP/1.1");
  const std::string begin("\0\1\0\0\0\0\0\0", 8);  // role responder, no keep-conn
  const std::string request = fastcgi::Record(1, begin) + fastcgi::Record(4, params) +
                              fastcgi::Record(4, "") + fastcgi::Record(5, "");
  if (::write(fd.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    return "<cannot write>";
  }
  std::string stdout_content;
  for (const auto& [type, content] : fastcgi::Records(fastcgi::ReadResponse(fd.get(), 10s))) {
    if (type == 6) stdout_content += content;
  }
  return stdout_content;
}

// Straight to shoal, with a client that reads to the end of the response:
// the body is never sent, and the generator runs to its end unless
// --head-skip-body stops it at its empty chunk.
TEST(HooksTest, TheBodyOfAHeadResponseIsNeverSentWithOrWithoutTheOption) {
  for (bool skip : {false, true}) {
    TempDir dir;
    const std::filesystem::path counts = dir.path() / "counts";
    std::vector<std::string> args = {"--env", "HOOKS_COUNT_FILE=" + counts.string()};
    if (skip) args.push_back("--head-skip-body");
    auto served = Serve("hooks_app:counting_app", args, AppsDir(), 1);
    const std::string sent = RawHeadResponse(*served);
    EXPECT_TRUE(Has(sent, "Status: 200 OK")) << sent << served->Diagnostics();
    EXPECT_FALSE(Has(sent, "chunk")) << sent;
    EXPECT_TRUE(sent.ends_with("\r\n\r\n")) << sent;
    EXPECT_EQ(WaitForCounts(counts, 1), std::vector<std::string>{skip ? "HEAD\t0" : "HEAD\t5"});
  }
}

TEST(HooksTest, ExecFileAndExecDefineWhatTheAppImportsFromShoalStartup) {
  TempDir dir;
  const std::filesystem::path file = dir.path() / "startup.py";
  std::ofstream(file) << "FROM_FILE = 'file:' + __name__\n";
  for (bool lazy : {false, true}) {
    std::vector<std::string> args = {"--exec", "FROM_EXEC = FROM_FILE + '+exec'", "--exec-file",
                                     file.string()};
    if (lazy) args.push_back("--lazy-apps");
    auto served = Serve("startup_app:app", args);
    HttpResponse response = served->Get("/", 20s);
    ASSERT_EQ(response.status, 200) << served->Diagnostics();
    auto facts = Lines(response.body);
    EXPECT_EQ(facts["from_file"], "file:shoal_startup") << response.body;
    EXPECT_EQ(facts["from_exec"], "file:shoal_startup+exec") << response.body;
  }
}

TEST(HooksTest, UnderInetdTheStartupCodeMiddlewareAndHooksRunToo) {
  TempDir dir;
  const std::filesystem::path file = dir.path() / "startup.py";
  std::ofstream(file) << "FROM_FILE = 'inetd file'\n";
  const std::filesystem::path after = dir.path() / "after.log";
  InetdRun run = SpawnInetdShoal(
      {"--inetd", "--protocol", "fastcgi", "--app", "startup_app:app", "--chdir",
       AppsDir().string(), "--exec-file", file.string(), "--exec", "FROM_EXEC = 'inetd exec'",
       "--middleware", "hooks_app:first", "--after-request", "hooks_app:log_after", "--env",
       "HOOKS_AFTER_FILE=" + after.string()},
      dir.path() / "inetd.log");
  ASSERT_GT(run.pid, 0);
  const std::string request = fastcgi::GetRequest("/", /*keep_conn=*/false);
  ASSERT_EQ(::write(run.peer.get(), request.data(), request.size()),
            static_cast<ssize_t>(request.size()));
  const std::string response = fastcgi::ReadResponse(run.peer.get(), 20s);
  EXPECT_EQ(WaitForPid(run.pid, 10s), std::optional<int>(0))
      << ReadFileOrEmpty(dir.path() / "inetd.log");
  EXPECT_TRUE(Has(response, "from_file\tinetd file\nfrom_exec\tinetd exec\nmiddleware\tfirst\n"))
      << response;
  const std::vector<std::string> lines = FileLines(after);
  ASSERT_EQ(lines.size(), 1u) << ReadFileOrEmpty(after);
  EXPECT_TRUE(lines[0].starts_with("/\t200 OK\t")) << lines[0];
}

TEST(HooksTest, StartupCodeThatRaisesStopsTheStartWithItsLastTracebackLine) {
  TempDir dir;
  const std::filesystem::path file = dir.path() / "broken_startup.py";
  std::ofstream(file) << "X = 1\nraise KeyError('no settings')\n";
  ShoalRun raised = RunToExit({"--app", "hooks_app:app", "--exec", "1 / 0"}, dir, "exec.log");
  EXPECT_EQ(raised.exit_code, std::optional<int>(1)) << raised.output;
  EXPECT_TRUE(Has(raised.output, "--exec 1 raised ZeroDivisionError: division by zero"))
      << raised.output;
  EXPECT_EQ(LineCount(raised.output), 1u) << raised.output;

  ShoalRun from_file = RunToExit({"--app", "hooks_app:app", "--exec-file", file.string()}, dir,
                                 "exec-file.log");
  EXPECT_EQ(from_file.exit_code, std::optional<int>(1)) << from_file.output;
  EXPECT_TRUE(Has(from_file.output, "--exec-file " + file.string() +
                                        " raised KeyError: 'no settings' (raised at " +
                                        file.string() + ":2)"))
      << from_file.output;
  EXPECT_EQ(LineCount(from_file.output), 1u) << from_file.output;
}

TEST(HooksTest, BadValuesExitTwoWithOneLine) {
  TempDir dir;
  struct Case {
    std::vector<std::string> args;
    std::string line;
  };
  const std::string missing = (dir.path() / "missing.py").string();
  int index = 0;
  for (const Case& c : std::vector<Case>{
           {{"--reload-mechanism", "thread"},
            "invalid value 'thread' for --reload-mechanism: expected process or module"},
           {{"--exec-file", missing}, "invalid value '" + missing + "' for --exec-file: not a file"},
           {{"--middleware", "wrap"}, "invalid value 'wrap' for --middleware: expected MODULE:CALLABLE"},
       }) {
    std::vector<std::string> args = {"--app", "hooks_app:app"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    ShoalRun run = RunToExit(args, dir, "bad" + std::to_string(++index) + ".log");
    EXPECT_EQ(run.exit_code, std::optional<int>(2)) << run.output;
    EXPECT_TRUE(Has(run.output, c.line)) << run.output;
    EXPECT_EQ(LineCount(run.output), 1u) << run.output;
  }
}

// --reload-on-change: an app in a directory of the test's own, whose
// helper module says which version it is.
class ReloadOnChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_ / "reload_app.py")
        << "import reload_helper\n\n\n"
           "def app(environ, start_response):\n"
           "    body = ('version\\t%s\\n' % reload_helper.VERSION).encode()\n"
           "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
           "    return [body]\n";
    WriteHelper("VERSION = 'one'\n");
  }

  // Writes the helper module as an editor that saves in place does.
  void WriteHelper(const std::string& text) { std::ofstream(dir_ / "reload_helper.py") << text; }
  // Writes the helper module as an editor that renames a new file over it does.
  void ReplaceHelper(const std::string& text) {
    std::ofstream(dir_ / ".reload_helper.py.new") << text;
    std::filesystem::rename(dir_ / ".reload_helper.py.new", dir_ / "reload_helper.py");
  }

  static std::string VersionServed(const ServedApp& served) {
    HttpResponse response = served.Get("/", 10s);
    return response.status == 200 ? Lines(response.body)["version"]
                                   : "<" + std::to_string(response.status) + ">";
  }

  TempDir dir_{"shoal-reload"};
};

TEST_F(ReloadOnChangeTest, ProcessMechanismReplacesTheWorkersWithTheEditedApp) {
  auto served = Serve("reload_app:app", {"--reload-on-change"}, dir_.path());
  ASSERT_EQ(VersionServed(*served), "one") << served->Diagnostics();
  const std::vector<pid_t> before = served->shoal().WorkerPids();
  ReplaceHelper("VERSION = 'two, renamed over'\n");
  EXPECT_TRUE(WaitUntil(30s, [&] { return VersionServed(*served) == "two, renamed over"; },
                        100ms))
      << served->Diagnostics();
  EXPECT_TRUE(Has(served->shoal().Log(), (dir_.path() / "reload_helper.py").string() +
                                             " changed: reloading as on HUP"))
      << served->shoal().Log();
  // New workers, and the old ones gone once they are up.
  EXPECT_TRUE(WaitUntil(20s, [&] {
    const std::vector<pid_t> now = served->shoal().WorkerPids();
    return now.size() == 2 && std::none_of(now.begin(), now.end(), [&](pid_t pid) {
             return std::find(before.begin(), before.end(), pid) != before.end();
           });
  })) << served->Diagnostics();
  // Saved in place, too.
  WriteHelper("VERSION = 'three, in place'\n");
  EXPECT_TRUE(WaitUntil(30s, [&] { return VersionServed(*served) == "three, in place"; }, 100ms))
      << served->Diagnostics();
}

// Files saved together (an editor's "save all", a git checkout) make one
// reload, once the saves have settled, and it loads the last of them.
TEST_F(ReloadOnChangeTest, ABurstOfSavesMakesOneReload) {
  auto served = Serve("reload_app:app", {"--reload-on-change"}, dir_.path());
  ASSERT_EQ(VersionServed(*served), "one") << served->Diagnostics();
  // Other modules beside the app's are watched too; the helper comes last.
  for (int save = 1; save <= 4; ++save) {
    std::ofstream(dir_ / ("other_" + std::to_string(save) + ".py")) << "X = " << save << "\n";
  }
  WriteHelper("VERSION = 'after the burst'\n");
  EXPECT_TRUE(WaitUntil(30s, [&] { return VersionServed(*served) == "after the burst"; }, 100ms))
      << served->Diagnostics();
  std::this_thread::sleep_for(1s);  // time for a second reload, if one were coming
  const std::string log = served->shoal().Log();
  EXPECT_EQ(CountOf(log, "reloading as on HUP"), 1u) << log;
  EXPECT_TRUE(Has(log, (dir_.path() / "other_1.py").string() +
                           " changed (and 4 more saves): reloading as on HUP"))
      << log;
  EXPECT_EQ(CountOf(log, "re-executed; the previous workers"), 1u) << log;
}

// A set of edits saved one after the other (a helper first, the module
// that uses it next; a git checkout): the check the first one started may
// import the files halfway and refuse the reload. The edit saved while it
// ran is not lost: the files are checked again, and the last state loads.
TEST_F(ReloadOnChangeTest, AnEditSavedDuringARefusedCheckIsCheckedAgain) {
  auto served = Serve("reload_app:app", {"--reload-on-change"}, dir_.path());
  ASSERT_EQ(VersionServed(*served), "one") << served->Diagnostics();
  const std::filesystem::path importing = dir_.path() / "check-is-importing";
  // The first edit fails to import, slowly, and says when the check has it.
  WriteHelper("import time\nopen('" + importing.string() + "', 'w').close()\ntime.sleep(2)\n"
              "raise ImportError('halfway through the edits')\n");
  ASSERT_TRUE(WaitUntil(30s, [&] { return std::filesystem::exists(importing); }, 20ms))
      << served->shoal().Log();
  WriteHelper("VERSION = 'two, the last edit'\n");
  EXPECT_TRUE(WaitUntil(40s, [&] { return VersionServed(*served) == "two, the last edit"; },
                        100ms))
      << served->Diagnostics();
  const std::string log = served->shoal().Log();
  EXPECT_TRUE(Has(log, "changed during the reload check")) << log;
  EXPECT_TRUE(Has(log, "reload refused: ")) << log;
  EXPECT_TRUE(Has(log, "ImportError: halfway through the edits")) << log;
  EXPECT_TRUE(Has(log, "a source file changed during that check: checking the files again"))
      << log;
}

TEST_F(ReloadOnChangeTest, ModuleMechanismReimportsInTheSameWorkersAndKeepsTheOldAppOnError) {
  // One worker, so that the one that failed to reload is the one that had
  // served the edited version (another would keep the version it has, the
  // first, until a reload of its own succeeds).
  auto served = Serve("reload_app:app", {"--reload-on-change", "--reload-mechanism", "module"},
                      dir_.path(), 1);
  ASSERT_EQ(VersionServed(*served), "one") << served->Diagnostics();
  const std::vector<pid_t> before = SortedWorkers(served->shoal());
  WriteHelper("VERSION = 'two, in place'\n");
  EXPECT_TRUE(WaitUntil(30s, [&] { return VersionServed(*served) == "two, in place"; }, 100ms))
      << served->Diagnostics();
  EXPECT_TRUE(Has(served->shoal().Log(), "the workers load the app afresh before their next "
                                         "request"))
      << served->shoal().Log();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(VersionServed(*served), "two, in place");
  EXPECT_EQ(SortedWorkers(served->shoal()), before);

  // An edit that breaks the import: logged, and the app loaded before serves on.
  WriteHelper("VERSION = 'three'\nraise ImportError('half-saved helper')\n");
  EXPECT_TRUE(WaitUntil(30s, [&] {
    VersionServed(*served);
    return Has(served->shoal().Log(), "it no longer loads; serving the app loaded before");
  }, 100ms)) << served->shoal().Log();
  EXPECT_TRUE(Has(served->shoal().Log(), "ImportError: half-saved helper")) << served->shoal().Log();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(VersionServed(*served), "two, in place");
  EXPECT_EQ(SortedWorkers(served->shoal()), before);

  // Fixed again: picked up.
  ReplaceHelper("VERSION = 'four, fixed'\n");
  EXPECT_TRUE(WaitUntil(30s, [&] { return VersionServed(*served) == "four, fixed"; }, 100ms))
      << served->Diagnostics();
}

TEST_F(ReloadOnChangeTest, AWorkerForkedAfterAModuleReloadLoadsTheEditedAppToo) {
  auto served = Serve("reload_app:app", {"--reload-on-change", "--reload-mechanism", "module"},
                      dir_.path(), 1);
  ASSERT_EQ(VersionServed(*served), "one") << served->Diagnostics();
  WriteHelper("VERSION = 'two, before the respawn'\n");
  ASSERT_TRUE(WaitUntil(30s, [&] { return VersionServed(*served) == "two, before the respawn"; },
                        100ms))
      << served->Diagnostics();
  // Its replacement is forked from the master, which holds the first
  // version: it must load the app afresh before its first request.
  const std::vector<pid_t> before = served->shoal().WorkerPids();
  ASSERT_EQ(before.size(), 1u);
  ::kill(before[0], SIGKILL);
  ASSERT_TRUE(WaitUntil(20s, [&] {
    const std::vector<pid_t> now = served->shoal().WorkerPids();
    return now.size() == 1 && now[0] != before[0];
  })) << served->Diagnostics();
  EXPECT_TRUE(WaitUntil(10s, [&] { return VersionServed(*served) != "<502>"; }));
  EXPECT_EQ(VersionServed(*served), "two, before the respawn") << served->Diagnostics();
}

// A module the app first imports on a request (as Django imports its
// views) is only ever in the workers' sys.modules; it sits beside the
// app's own, whose directories are watched whole.
TEST_F(ReloadOnChangeTest, AModuleFirstImportedByARequestIsWatchedToo) {
  std::ofstream(dir_ / "late_app.py")
      << "def app(environ, start_response):\n"
         "    import late_views\n"
         "    body = ('version\\t%s\\n' % late_views.VERSION).encode()\n"
         "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
         "    return [body]\n";
  for (const char* mechanism : {"process", "module"}) {
    std::ofstream(dir_ / "late_views.py") << "VERSION = 'one'\n";
    auto served = Serve("late_app:app", {"--reload-on-change", "--reload-mechanism", mechanism},
                        dir_.path());
    ASSERT_EQ(VersionServed(*served), "one") << served->Diagnostics();
    std::ofstream(dir_ / "late_views.py") << "VERSION = 'edited under " << mechanism << "'\n";
    EXPECT_TRUE(WaitUntil(30s, [&] {
      return VersionServed(*served) == std::string("edited under ") + mechanism;
    }, 100ms)) << served->Diagnostics();
  }
}

TEST_F(ReloadOnChangeTest, LazyWorkersReloadTooWithEitherMechanism) {
  for (const char* mechanism : {"process", "module"}) {
    WriteHelper("VERSION = 'one'\n");
    auto served = Serve("reload_app:app",
                        {"--reload-on-change", "--reload-mechanism", mechanism, "--lazy-apps"},
                        dir_.path());
    ASSERT_EQ(VersionServed(*served), "one") << served->Diagnostics();
    WriteHelper(std::string("VERSION = 'edited under ") + mechanism + "'\n");
    EXPECT_TRUE(WaitUntil(30s, [&] {
      return VersionServed(*served) == std::string("edited under ") + mechanism;
    }, 100ms)) << served->Diagnostics();
  }
}

}  // namespace
}  // namespace shoal::tests
