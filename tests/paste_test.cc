// shoal started from a PasteDeploy .ini (`--paste FILE[#NAME]`): a real
// PasteDeploy pipeline ([filter:] + [app:] built by `use = call:` factories,
// [DEFAULT] and %(here)s) served through nginx over SCGI, with the protocol,
// socket, adaptive pool and SCRIPT_NAME taken from flup's keywords in
// `[server:main] use = egg:Flup#scgi_fork`; #NAME picking another app; the
// command line overriding the file; a server shoal cannot stand in for
// reported in one line; bad keys and loadapp failures with their message
// and exit code; --check-config naming each value's line in the file.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/fd.h"
#include "support/http_client.h"
#include "support/inetd_run.h"
#include "support/loopback.h"
#include "support/nginx_process.h"
#include "support/paths.h"
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

// Runs shoal `args` as inetd runs a `nowait` server (fd 0 and 1 one end of
// a socketpair, stderr to `log`), sends one SCGI request for `uri` on the
// other end, and returns the answer (read to EOF, at most 20 s) and the
// exit code (nullopt: killed at 10 s).
std::pair<std::string, std::optional<int>> ServeOneInetdScgi(std::vector<std::string> args,
                                                             const std::filesystem::path& log,
                                                             const std::string& uri) {
  InetdRun run = SpawnInetdShoal(args, log);
  if (run.pid <= 0) return {"", std::nullopt};
  Fd& ours = run.peer;
  std::string headers;
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"CONTENT_LENGTH", "0"}, {"SCGI", "1"}, {"REQUEST_METHOD", "GET"},
           {"REQUEST_URI", uri}, {"SERVER_NAME", "localhost"}, {"SERVER_PORT", "80"},
           {"SERVER_PROTOCOL", "HTTP/1.1"}}) {
    headers += key + '\0' + value + '\0';
  }
  const std::string request = std::to_string(headers.size()) + ":" + headers + ",";
  std::string answer;
  if (::write(ours.get(), request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    pollfd readable{ours.get(), POLLIN, 0};
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline && ::poll(&readable, 1, 1000) >= 0) {
      if (readable.revents == 0) continue;
      const ssize_t n = ::read(ours.get(), buffer, sizeof(buffer));
      if (n <= 0) break;
      answer.append(buffer, static_cast<size_t>(n));
    }
  }
  return {answer, WaitForPid(run.pid, 10s)};
}

// The apps (line 1 on), then the server section; tests add to it.
constexpr const char* kApps =
    "[DEFAULT]\n"                           // 1
    "greeting = hello from %(here)s\n"      // 2
    "\n"                                    // 3
    "[app:blog]\n"                          // 4
    "use = call:paste_blog:make_app\n"      // 5
    "title = The Blog\n"                    // 6
    "\n"                                    // 7
    "[filter:tag]\n"                        // 8
    "use = call:paste_blog:make_filter\n"   // 9
    "tag = pipeline\n"                      // 10
    "\n"                                    // 11
    "[pipeline:main]\n"                     // 12
    "pipeline = tag blog\n"                 // 13
    "\n"                                    // 14
    "[app:other]\n"                         // 15
    "use = call:paste_blog:make_app\n"      // 16
    "title = Other\n"                       // 17
    "\n"                                    // 18
    "[app:broken]\n"                        // 19
    "use = call:paste_blog:make_app\n"      // 20
    "fail = no database\n"                  // 21
    "\n";                                   // 22

// flup's scgi_fork, listening where %(here)s says, with an adaptive pool.
constexpr const char* kFlupServer =
    "[server:main]\n"                       // 23
    "use = egg:Flup#scgi_fork\n"            // 24
    "socket = %(here)s/blog.sock\n"         // 25
    "scriptName = /blog\n"                  // 26
    "minSpare = 2\n"                        // 27
    "maxSpare = 3\n"                        // 28
    "maxChildren = 4\n"                     // 29
    "maxRequests = 500\n";                  // 30

class PasteTest : public ::testing::Test {
 protected:
  // Writes blog.ini: the apps, then `server`.
  std::filesystem::path WriteIni(const std::string& server = kFlupServer) {
    const std::filesystem::path ini = dir_ / "blog.ini";
    WriteFile(ini, std::string(kApps) + server);
    return ini;
  }

  // shoal --paste `paste` ARGS..., with paste_blog importable.
  std::vector<std::string> Args(const std::string& paste, std::vector<std::string> args = {}) {
    args.insert(args.begin(), {"--paste", paste, "--pythonpath", AppsDir().string()});
    return args;
  }

  ShoalRun RunToExit(const std::vector<std::string>& args) {
    const std::string log = "run-" + std::to_string(++runs_) + ".log";
    return RunShoalToExit(args, dir_ / log, 20s);
  }

  TempDir dir_{"shoal-paste"};
  std::filesystem::path socket_ = dir_ / "blog.sock";
  int runs_ = 0;
};

TEST_F(PasteTest, AFlupScgiForkIniServesThePipelineThroughNginx) {
  const std::filesystem::path ini = WriteIni();
  // No --bind, --protocol or pool option: all from [server:main].
  ShoalProcess shoal(Args(ini.string()), dir_ / "shoal.log");
  ASSERT_TRUE(shoal.WaitForSocket(socket_, 15s)) << shoal.Log();
  // minSpare = 2: two idle workers, and no more while none is busy.
  ASSERT_TRUE(shoal.WaitForWorkers(2, 10s)) << shoal.WorkerPids().size() << shoal.Log();
  EXPECT_TRUE(Has(shoal.Log(), "an adaptive pool (2 to 3 spare, at most 4 workers)"))
      << shoal.Log();
  EXPECT_TRUE(Has(shoal.Log(), "(scgi)")) << shoal.Log();
  TempDir nginx_dir("shoal-paste-nginx");
  NginxProcess nginx(nginx_dir.path(), socket_, FindFreeLoopbackPort(), 10s,
                     SourceDir() / "conf" / "nginx-scgi.conf");
  HttpResponse response = HttpGet(nginx.port(), "/blog/hello");
  ASSERT_EQ(response.status, 200) << response.body << shoal.Log();
  std::map<std::string, std::string> lines = Lines(response.body);
  // The factory's settings, [DEFAULT] and %(here)s through PasteDeploy,
  // and the [filter:] of the pipeline around the app.
  EXPECT_EQ(lines["title"], "The Blog") << response.body;
  EXPECT_EQ(lines["greeting"], "hello from " + dir_.path().string()) << response.body;
  EXPECT_EQ(lines["filter"], "pipeline") << response.body;
  // scriptName = /blog; the protocol nginx's scgi_pass speaks.
  EXPECT_EQ(lines["SCRIPT_NAME"], "/blog") << response.body;
  EXPECT_EQ(lines["PATH_INFO"], "/hello") << response.body;
  EXPECT_EQ(lines["SCGI"], "1") << response.body;
  const std::vector<pid_t> workers = shoal.WorkerPids();
  EXPECT_NE(std::find(workers.begin(), workers.end(), std::stoi(lines["pid"])), workers.end());
}

// #NAME picks [app:other]; the command line's --workers, --script-name and
// --lazy-apps win over (and replace) the file's pool and scriptName.
TEST_F(PasteTest, HashNamePicksAnotherAppAndTheCommandLineWins) {
  const std::filesystem::path ini = WriteIni();
  ShoalProcess shoal(Args(ini.string() + "#other",
                          {"--workers", "3", "--script-name", "/other", "--lazy-apps"}),
                     dir_ / "shoal.log");
  ASSERT_TRUE(shoal.WaitForSocket(socket_, 15s)) << shoal.Log();
  ASSERT_TRUE(shoal.WaitForWorkers(3, 15s)) << shoal.WorkerPids().size() << shoal.Log();
  TempDir nginx_dir("shoal-paste-nginx");
  NginxProcess nginx(nginx_dir.path(), socket_, FindFreeLoopbackPort(), 10s,
                     SourceDir() / "conf" / "nginx-scgi.conf");
  HttpResponse response = HttpGet(nginx.port(), "/other/page", 20s);
  ASSERT_EQ(response.status, 200) << response.body << shoal.Log();
  std::map<std::string, std::string> lines = Lines(response.body);
  EXPECT_EQ(lines["title"], "Other") << response.body;
  EXPECT_EQ(lines["filter"], "none") << response.body;
  EXPECT_EQ(lines["SCRIPT_NAME"], "/other") << response.body;
  EXPECT_EQ(lines["SCGI"], "1") << response.body;
  EXPECT_FALSE(Has(shoal.Log(), "adaptive pool")) << shoal.Log();
  EXPECT_EQ(shoal.WorkerPids().size(), 3u);
}

// Under --inetd the file's app is loaded in the one process, which takes
// the protocol from [server:main] but not its socket or pool.
TEST_F(PasteTest, InetdLoadsTheAppAndTakesTheProtocolFromTheIni) {
  const std::filesystem::path ini = WriteIni();
  auto [answer, exit_code] =
      ServeOneInetdScgi(Args(ini.string(), {"--inetd"}), dir_.path() / "inetd.log", "/blog/inetd");
  EXPECT_EQ(exit_code, std::optional<int>(0)) << answer;
  EXPECT_TRUE(answer.starts_with("Status: 200 OK")) << answer;
  std::map<std::string, std::string> lines = Lines(answer);
  EXPECT_EQ(lines["title"], "The Blog") << answer;
  EXPECT_EQ(lines["filter"], "pipeline") << answer;
  EXPECT_EQ(lines["SCRIPT_NAME"], "/blog") << answer;
  EXPECT_EQ(lines["PATH_INFO"], "/inetd") << answer;
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

TEST_F(PasteTest, AServerShoalCannotStandInForIsReportedInOneLine) {
  const std::filesystem::path ini = WriteIni(
      "[server:main]\n"            // 23
      "use = egg:Paste#http\n"     // 24
      "host = 0.0.0.0\n"
      "port = 8080\n");
  const std::string warning = ini.string() + ":24 [server:main] names egg:Paste#http, not one "
                              "of flup's: shoal ignores it and its settings";
  ShoalProcess shoal(Args(ini.string(), {"--bind", "unix:" + socket_.string(), "--protocol",
                                         "scgi", "--workers", "1"}),
                     dir_ / "shoal.log");
  ASSERT_TRUE(shoal.WaitForSocket(socket_, 15s)) << shoal.Log();
  ASSERT_TRUE(shoal.WaitForWorkers(1, 10s)) << shoal.Log();
  const std::string log = shoal.Log();
  EXPECT_EQ(CountOf(log, warning), 1u) << log;
  TempDir nginx_dir("shoal-paste-nginx");
  NginxProcess nginx(nginx_dir.path(), socket_, FindFreeLoopbackPort(), 10s,
                     SourceDir() / "conf" / "nginx-scgi.conf");
  HttpResponse response = HttpGet(nginx.port(), "/x");
  ASSERT_EQ(response.status, 200) << response.body << log;
  EXPECT_EQ(Lines(response.body)["title"], "The Blog") << response.body;
  // --check-config says it too.
  ShoalRun check = RunToExit(Args(ini.string(), {"--check-config"}));
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_TRUE(Has(check.output, "# warning: " + warning)) << check.output;
}

TEST_F(PasteTest, BadServerKeysAndValuesExitTwoNamingTheLine) {
  const std::string head = "[server:main]\nuse = egg:flup#fcgi_fork\n";  // lines 23, 24
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"loggingLevel = 10\n", ":25 [server:main]: unknown key 'loggingLevel' (flup's servers "
                              "take host, port, socket"},
      {"maxChildren = ten\n", ":25 [server:main]: invalid value 'ten' for maxchildren=: "
                              "expected a whole number"},
      {"multiplexed = true\n", ":25 [server:main]: 'multiplexed=true' is refused"},
      {"host = 0.0.0.0\nport = 9000\nallowedServers = 10.0.0.5\n",
       ":27 [server:main]: allowedServers = 10.0.0.5 is refused: shoal takes the web servers "
       "it accepts from FCGI_WEB_SERVER_ADDRS"},
      {"socket = %(nowhere)s/x.sock\n", ":25: 'socket' refers to %(nowhere)s, which is not set"},
  };
  for (const auto& [lines, message] : cases) {
    const std::filesystem::path ini = WriteIni(head + lines);
    ShoalRun run = RunToExit(Args(ini.string()));
    EXPECT_EQ(run.exit_code, 2) << lines << run.output;
    EXPECT_TRUE(run.output.starts_with("shoal: " + ini.string() + message)) << run.output;
    EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << run.output;
  }
  const std::filesystem::path ini = WriteIni();
  ShoalRun both = RunToExit(Args(ini.string(), {"--app", "probe:app"}));
  EXPECT_EQ(both.exit_code, 2) << both.output;
  EXPECT_TRUE(both.output.starts_with("shoal: --paste and --app both give the root app"))
      << both.output;
  ShoalRun missing = RunToExit(Args((dir_ / "missing.ini").string()));
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_TRUE(missing.output.starts_with("shoal: --paste " + (dir_ / "missing.ini").string() +
                                         ": No such file or directory"))
      << missing.output;
}

TEST_F(PasteTest, ALoadappFailureExitsOneNamingTheFileAndTheException) {
  const std::filesystem::path ini = WriteIni();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"#broken", "#broken: RuntimeError: paste_blog refuses to start: no database"},
      {"#nosuch", "#nosuch: LookupError: No section 'nosuch'"},
  };
  for (const auto& [name, message] : cases) {
    ShoalRun run = RunToExit(Args(ini.string() + name));
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_TRUE(Has(run.output, "cannot load app from --paste " + ini.string() + message))
        << run.output;
  }
}

TEST_F(PasteTest, CheckConfigShowsTheLineOfEachSettingFromTheIni) {
  const std::filesystem::path ini = WriteIni();
  ShoalRun run = RunToExit(Args(ini.string(), {"--check-config", "--max-requests", "100"}));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string at = "  # paste " + ini.string();
  for (const std::string& line :
       {"\nprotocol = scgi" + at + ":24 [server:main]\n",
        "\nbind = unix:" + socket_.string() + at + ":25 [server:main]\n",
        "\nscript-name = /blog" + at + ":26 [server:main]\n",
        "\nmin-spare = 2" + at + ":27 [server:main]\n",
        "\nmax-children = 4" + at + ":29 [server:main]\n",
        std::string("\nmax-requests = 100  # command line\n")}) {
    EXPECT_TRUE(Has(run.output, line)) << line << run.output;
  }
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

}  // namespace
}  // namespace shoal::tests
