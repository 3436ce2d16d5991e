// runfcgi's and flup's KEY=VALUE words on shoal's command line: a line
// copied from Django 1.x's runfcgi documentation serves through nginx over
// SCGI with the pool, SCRIPT_NAME and logs it asks for; words shoal cannot
// honour, unknown words and stray arguments end in exit 2 and one line.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/apache_process.h"
#include "support/http_client.h"
#include "support/loopback.h"
#include "support/nginx_process.h"
#include "support/paths.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

// One SCGI request for `uri` to 127.0.0.1:`port`; the whole answer, or "".
std::string ScgiGet(int port, const std::string& uri) {
  Fd fd = ConnectLoopback(port, std::chrono::seconds(5));
  if (!fd.valid()) return "";
  fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  timeval tv{10, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string headers;
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"CONTENT_LENGTH", "0"},
                                                        {"SCGI", "1"},
                                                        {"REQUEST_METHOD", "GET"},
                                                        {"REQUEST_URI", uri},
                                                        {"SERVER_NAME", "localhost"},
                                                        {"SERVER_PORT", "80"},
                                                        {"SERVER_PROTOCOL", "HTTP/1.0"}}) {
    headers += key + '\0' + value + '\0';
  }
  const std::string request = std::to_string(headers.size()) + ":" + headers + ",";
  if (write(fd.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    return "";
  }
  std::string all;
  char buffer[4096];
  for (ssize_t n; (n = read(fd.get(), buffer, sizeof(buffer))) > 0;) all.append(buffer, n);
  return all;
}

class RunfcgiWordsTest : public ::testing::Test {
 protected:
  ShoalRun RunToExit(std::vector<std::string> words) {
    words.insert(words.begin(), {"--app", "probe:app", "--chdir", AppsDir().string()});
    // A log file each: a run does not truncate the one before it.
    const std::string log = "run-" + std::to_string(++runs_) + ".log";
    return RunShoalToExit(words, dir_ / log, std::chrono::seconds(20));
  }

  TempDir dir_{"shoal-words"};
  int runs_ = 0;
};

// Django 1.x docs: `./manage.py runfcgi method=prefork socket=... pidfile=...`
// and `runfcgi method=prefork protocol=scgi ... maxchildren=... daemonize=false`.
TEST_F(RunfcgiWordsTest, ARunfcgiLineServesThroughNginxScgi) {
  const std::filesystem::path socket = dir_ / "mysite.sock";
  const std::filesystem::path errlog = dir_ / "err.log";
  const std::filesystem::path outlog = dir_ / "out.log";
  ShoalProcess shoal({"--app", "probe:app", "--chdir", AppsDir().string(), "method=prefork",
                      "protocol=scgi", "socket=" + socket.string(), "maxchildren=4",
                      "maxspare=3", "minspare=2", "maxrequests=500", "daemonize=false",
                      "scriptName=/blog", "pidfile=" + (dir_ / "django.pid").string(),
                      "errlog=" + errlog.string(), "outlog=" + outlog.string(),
                      "--access-log", "-"},
                     dir_ / "shoal.log");
  ASSERT_TRUE(shoal.WaitForSocket(socket, std::chrono::seconds(15))) << ReadFile(errlog);
  // minspare=2: two idle workers, and no more while none is busy.
  EXPECT_TRUE(shoal.WaitForWorkers(2, std::chrono::seconds(10))) << shoal.WorkerPids().size();
  TempDir nginx_dir("shoal-words-nginx");
  NginxProcess nginx(nginx_dir.path(), socket, FindFreeLoopbackPort(), std::chrono::seconds(10),
                     SourceDir() / "conf" / "nginx-scgi.conf");
  HttpResponse response = HttpGet(nginx.port(), "/blog/environ");
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_NE(response.body.find("SCRIPT_NAME\t/blog\n"), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("PATH_INFO\t/environ\n"), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("SCGI\t1\n"), std::string::npos) << response.body;
  // pidfile= names the master; errlog= took the log.
  EXPECT_EQ(ReadFile(dir_ / "django.pid"), std::to_string(shoal.pid()) + "\n");
  EXPECT_TRUE(WaitUntil(std::chrono::seconds(5), [&] {
    return ReadFile(errlog).find("an adaptive pool (2 to 3 spare, at most 4 workers)") !=
           std::string::npos;
  })) << ReadFile(errlog);
  EXPECT_EQ(shoal.Log().find("serving"), std::string::npos) << shoal.Log();
  // outlog= took stdout (here the access log); errlog= the app's prints,
  // which shoal logs.
  EXPECT_EQ(HttpGet(nginx.port(), "/blog/print").status, 200);
  EXPECT_TRUE(WaitUntil(std::chrono::seconds(5), [&] {
    return ReadFile(outlog).find("\"GET /blog/print HTTP/1.") != std::string::npos;
  })) << ReadFile(outlog);
  EXPECT_TRUE(WaitUntil(std::chrono::seconds(5), [&] {
    return ReadFile(errlog).find("probe printed to stdout") != std::string::npos;
  })) << ReadFile(errlog);
}

// Django 1.x docs: `./manage.py runfcgi method=prefork host=127.0.0.1 port=3033`,
// here with protocol=scgi and flup's pool words.
TEST_F(RunfcgiWordsTest, HostAndPortWordsListenOnTcp) {
  const int port = FindFreeLoopbackPort();
  ShoalProcess shoal({"--app", "probe:app", "--chdir", AppsDir().string(), "method=prefork",
                      "protocol=scgi", "host=127.0.0.1", "port=" + std::to_string(port),
                      "maxchildren=3", "maxspare=2", "minspare=1", "maxrequests=500",
                      "daemonize=false"},
                     dir_ / "shoal.log");
  ASSERT_TRUE(shoal.WaitForPort(port, std::chrono::seconds(15))) << shoal.Log();
  EXPECT_TRUE(shoal.WaitForWorkers(1, std::chrono::seconds(10))) << shoal.WorkerPids().size();
  const std::string answer = ScgiGet(port, "/environ");
  EXPECT_TRUE(answer.starts_with("Status: 200")) << answer;
  EXPECT_NE(answer.find("PATH_INFO\t/environ\n"), std::string::npos) << answer;
  EXPECT_NE(shoal.Log().find("on 127.0.0.1:" + std::to_string(port) + " (scgi)"),
            std::string::npos)
      << shoal.Log();
}

// Django 1.x docs' prefork line with protocol=ajp and host=/port=, behind
// Apache's mod_proxy_ajp (conf/apache-ajp.conf): the protocol, the pool and
// SCRIPT_NAME from the words.
TEST_F(RunfcgiWordsTest, ProtocolAjpServesBehindApacheModProxyAjp) {
  const int port = FindFreeLoopbackPort();
  ShoalProcess shoal({"--app", "probe:app", "--chdir", AppsDir().string(), "method=prefork",
                      "protocol=ajp", "host=127.0.0.1", "port=" + std::to_string(port),
                      "maxchildren=4", "maxspare=3", "minspare=2", "maxrequests=100",
                      "daemonize=false", "scriptName=/blog"},
                     dir_ / "shoal.log");
  ASSERT_TRUE(shoal.WaitForPort(port, std::chrono::seconds(15))) << shoal.Log();
  EXPECT_TRUE(shoal.WaitForWorkers(2, std::chrono::seconds(10))) << shoal.WorkerPids().size();
  EXPECT_NE(shoal.Log().find("on 127.0.0.1:" + std::to_string(port) +
                             " (ajp) with an adaptive pool (2 to 3 spare, at most 4 workers)"),
            std::string::npos)
      << shoal.Log();
  TempDir apache_dir("shoal-words-apache");
  ApacheProcess apache(apache_dir.path(), FindFreeLoopbackPort(),
                       SourceDir() / "conf" / "apache-ajp.conf",
                       {{"AJP_PORT", std::to_string(port)},
                        {"AJP_SECRET", ""},
                        {"AJP_PACKET_SIZE", "8192"}});
  HttpResponse response = HttpGet(apache.port(), "/blog/environ");
  ASSERT_EQ(response.status, 200) << response.body << apache.Diagnostics() << shoal.Log();
  EXPECT_NE(response.body.find("SCRIPT_NAME\t/blog\n"), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("PATH_INFO\t/environ\n"), std::string::npos) << response.body;
  // Over AJP13 (no SCGI header), as only mod_proxy_ajp sent it.
  EXPECT_EQ(response.body.find("SCGI\t"), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("REQUEST_URI\t/blog/environ\n"), std::string::npos)
      << response.body;
}

TEST_F(RunfcgiWordsTest, RefusedAndUnknownWordsExitTwoWithOneLine) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"method=threaded"}, "'method=threaded' is refused: shoal has no threaded mode"},
      {{"multiplexed=True"}, "'multiplexed=True' is refused: shoal serves one FastCGI request"},
      {{"maxThreads=8"}, "'maxThreads=8' is refused"},
      {{"debug=maybe"}, "invalid value 'maybe' for debug=: expected true or false"},
      {{"loggingLevel=10"}, "unknown word 'loggingLevel=10' (shoal knows runfcgi's"},
      {{"runfcgi"}, "unexpected argument 'runfcgi': options begin with --"},
      {{"host=127.0.0.1"}, "'host=127.0.0.1' needs port= as well"},
      {{"maxchildren=4", "maxChildren=5"}, "'maxchildren=4' and 'maxChildren=5' both set"},
      {{"pidfile=a.pid", "--pidfile", "b.pid"}, "'pidfile=a.pid' and --pidfile both set"},
      {{"--bind", "tcp://127.0.0.1:9000"},
       "invalid bind address 'tcp://127.0.0.1:9000': expected unix:PATH, HOST:PORT"},
  };
  for (const auto& [words, message] : cases) {
    ShoalRun run = RunToExit(words);
    EXPECT_EQ(run.exit_code, 2) << words[0] << ": " << run.output;
    EXPECT_TRUE(run.output.starts_with("shoal: " + message)) << run.output;
    EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << run.output;
  }
}

TEST_F(RunfcgiWordsTest, AppGivenAsAFileSuggestsChdir) {
  ShoalRun run = RunShoalToExit({"--app", "tests/apps/probe.py", "--bind", "unix:x.sock"},
                                dir_ / "shoal.log", std::chrono::seconds(20));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("give --chdir DIR --app MODULE"), std::string::npos) << run.output;
}

TEST_F(RunfcgiWordsTest, AMissingPythonpathIsWarnedOfAtStart) {
  const std::filesystem::path socket = dir_ / "shoal.sock";
  const std::string missing = (dir_ / "no-such-dir").string();
  ShoalProcess shoal({"--app", "probe:app", "--chdir", AppsDir().string(), "--pythonpath",
                      missing, "--bind", "unix:" + socket.string(), "--workers", "1"},
                     dir_ / "shoal.log");
  ASSERT_TRUE(shoal.WaitForSocket(socket, std::chrono::seconds(15))) << shoal.Log();
  EXPECT_TRUE(WaitUntil(std::chrono::seconds(5), [&] {
    return shoal.Log().find("--pythonpath " + missing + " is not a directory") !=
           std::string::npos;
  })) << shoal.Log();
}

}  // namespace
}  // namespace shoal::tests
