// --access-log: one line per request in Apache's combined format, written
// by the worker that served it, behind a real nginx; a client that goes
// away still gets its line; `-` is stdout; and USR1, as logrotate's
// postrotate sends it, reopens the file in the master and every worker.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/fastcgi_client.h"
#include "support/http_client.h"
#include "support/paths.h"
#include "support/serving_fixture.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/text.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

// %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"
const std::regex kCombined(
    R"re(^(\S+) - (\S+) \[(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] )re"
    R"re("((?:[^"\\]|\\.)*)" (\d{3}|-) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$)re");

struct AccessLine {
  std::string host, user, time, request, status, bytes, referer, user_agent;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t start = 0, newline; (newline = text.find('\n', start)) != std::string::npos;
       start = newline + 1) {
    lines.push_back(text.substr(start, newline - start));
  }
  return lines;
}

// The access lines of `path` whose user agent field is `user_agent`
// (as logged, escapes and all).
std::vector<AccessLine> LinesFor(const std::filesystem::path& path, const std::string& user_agent) {
  std::vector<AccessLine> found;
  for (const std::string& line : Lines(ReadFileOrEmpty(path))) {
    std::smatch m;
    if (!std::regex_match(line, m, kCombined)) {
      ADD_FAILURE() << "not the combined format: " << line;
      continue;
    }
    if (m[8] == user_agent) found.push_back({m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]});
  }
  return found;
}

size_t CountLines(const std::filesystem::path& path) { return Lines(ReadFileOrEmpty(path)).size(); }

class AccessLogTest : public ServingTest {
 protected:
  TempDir logs_{"shoal-accesslog"};
  std::filesystem::path access_log_ = logs_ / "access.log";
};

// Each request's line says what nginx was asked and what the app answered:
// method, target as sent, protocol, status, body bytes (`-` for none),
// referer and user agent, escaped as Apache escapes them.
TEST_F(AccessLogTest, CombinedFormatLinesThroughNginx) {
  ServedApp& served = Serve({.extra_args = {"--access-log", access_log_.string()}});
  struct Case {
    std::string method, target, body;
    int status;
  };
  const std::vector<Case> cases = {
      {"GET", "/?q=%22quoted%22&x=1", "", 200},
      {"GET", "/missing", "", 404},
      {"POST", "/echo", "hello", 200},
      {"HEAD", "/", "", 200},
      {"GET", "/raise", "", 500},
  };
  std::vector<size_t> body_sizes;
  for (size_t i = 0; i < cases.size(); ++i) {
    HttpResponse response = served.Request(
        cases[i].method, cases[i].target,
        {{"Referer", "http://example.com/from?i=" + std::to_string(i)},
         {"User-Agent", "agent-" + std::to_string(i) + " \"quoted\" back\\slash"}},
        cases[i].body);
    ASSERT_EQ(response.status, cases[i].status) << cases[i].target;
    body_sizes.push_back(response.body.size());
  }
  ASSERT_TRUE(WaitUntil(10s, [&] { return CountLines(access_log_) >= cases.size(); }))
      << ReadFileOrEmpty(access_log_);
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string agent = "agent-" + std::to_string(i) + " \\\"quoted\\\" back\\\\slash";
    std::vector<AccessLine> found = LinesFor(access_log_, agent);
    ASSERT_EQ(found.size(), 1u) << agent << "\n" << ReadFileOrEmpty(access_log_);
    const AccessLine& line = found[0];
    EXPECT_EQ(line.host, "127.0.0.1");
    EXPECT_EQ(line.user, "-");
    EXPECT_EQ(line.request, cases[i].method + " " + cases[i].target + " HTTP/1.1");
    EXPECT_EQ(line.status, std::to_string(cases[i].status));
    const bool head = cases[i].method == "HEAD";
    EXPECT_EQ(line.bytes, head ? "-" : std::to_string(body_sizes[i])) << cases[i].target;
    EXPECT_EQ(line.referer, "http://example.com/from?i=" + std::to_string(i));
  }
  EXPECT_EQ(CountLines(access_log_), cases.size());
}

// logrotate's way: rename the file, send USR1 to the master. The master
// makes the new file; every worker writes its next lines there; the old
// file gets none of them.
TEST_F(AccessLogTest, Usr1AfterARenameSendsNewLinesFromEveryWorkerToANewFile) {
  ServedApp& served = Serve({.app = "log_flood:app",
                             .workers = 3,
                             .extra_args = {"--access-log", access_log_.string()}});
  ASSERT_TRUE(served.shoal().WaitForWorkers(3, 10s));
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(served.Request("GET", "/pid", {{"User-Agent", "before"}}).status, 200);
  }
  ASSERT_TRUE(WaitUntil(10s, [&] { return CountLines(access_log_) == 3; }));
  const std::filesystem::path rotated = logs_ / "access.log.1";
  std::filesystem::rename(access_log_, rotated);

  served.shoal().Signal(SIGUSR1);
  ASSERT_TRUE(WaitUntil(10s, [&] { return Has(served.shoal().Log(), "reopened --access-log"); }))
      << served.shoal().Log();
  EXPECT_TRUE(std::filesystem::exists(access_log_)) << "the master makes the new file";

  // Three clients at once, each request holding its worker a moment, until
  // every worker has served (bounded).
  const std::vector<pid_t> workers = served.shoal().WorkerPids();
  std::mutex mutex;
  std::set<std::string> served_by;
  std::atomic<int> made = 0, failed = 0;
  auto everyone_served = [&] {
    std::lock_guard lock(mutex);
    return served_by.size() >= workers.size();
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < 3; ++c) {
    clients.emplace_back([&] {
      while (!everyone_served() && made < 90) {
        int n = made++;
        try {
          HttpResponse response = served.Request("GET", "/pid?seconds=0.1",
                                                 {{"User-Agent", "after-" + std::to_string(n)}});
          if (response.status != 200) ++failed;
          std::lock_guard lock(mutex);
          served_by.insert(response.body);
        } catch (const std::exception&) {
          ++failed;
        }
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(failed.load(), 0);
  ASSERT_TRUE(everyone_served()) << served_by.size() << " of " << workers.size()
                                 << " workers served in " << made << " requests";
  ASSERT_TRUE(WaitUntil(10s, [&] { return CountLines(access_log_) >= size_t(made.load()); }));
  for (int n = 0; n < made; ++n) {
    EXPECT_EQ(LinesFor(access_log_, "after-" + std::to_string(n)).size(), 1u) << n;
  }
  EXPECT_EQ(CountLines(access_log_), size_t(made.load()));
  EXPECT_FALSE(Has(ReadFileOrEmpty(rotated), "after-")) << ReadFileOrEmpty(rotated);
  EXPECT_EQ(LinesFor(rotated, "before").size(), 3u);
}

// A shoal on a unix socket, spoken to with the raw FastCGI client.
class AccessLogFastCgiTest : public ::testing::Test {
 protected:
  void Start(const std::string& access_log) {
    shoal_.emplace(std::vector<std::string>{"--app", "log_flood:app", "--chdir",
                                            AppsDir().string(), "--bind",
                                            "unix:" + socket_.string(), "--workers", "1",
                                            "--access-log", access_log},
                   dir_ / "shoal.log");
    ASSERT_TRUE(shoal_->WaitForSocket(socket_, 15s)) << shoal_->Log();
  }
  void TearDown() override {
    if (HasFailure() && shoal_) std::cerr << shoal_->Log();
  }

  TempDir dir_{"shoal-accessfcgi"};
  std::filesystem::path socket_ = dir_ / "shoal.sock";
  std::optional<ShoalProcess> shoal_;
};

// The client goes away in the middle of a streamed body: the request still
// gets its line, with the status that was sent and the bytes sent before.
TEST_F(AccessLogFastCgiTest, ARequestTheClientAbandonedStillGetsItsLine) {
  const std::filesystem::path access_log = dir_ / "access.log";
  Start(access_log.string());
  {
    Fd fd = fastcgi::ConnectUnix(socket_.string());
    ASSERT_TRUE(fd.valid());
    std::string request = fastcgi::GetRequest("/drip", false);
    ASSERT_EQ(write(fd.get(), request.data(), request.size()), ssize_t(request.size()));
    ASSERT_FALSE(fastcgi::ReadResponse(fd.get(), 10s, 2).empty());
  }  // closed
  ASSERT_TRUE(WaitUntil(15s, [&] { return CountLines(access_log) == 1; }))
      << ReadFileOrEmpty(access_log);
  std::vector<AccessLine> found = LinesFor(access_log, "-");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].request, "GET /drip HTTP/1.1");
  EXPECT_EQ(found[0].status, "200");
  ASSERT_NE(found[0].bytes, "-");
  EXPECT_GE(std::stoul(found[0].bytes), 1024u);
  EXPECT_LT(std::stoul(found[0].bytes), 200u * 1024) << "the whole body was not sent";
  EXPECT_EQ(found[0].host, "-") << "the client sent no REMOTE_ADDR";
  EXPECT_TRUE(Has(shoal_->Log(), "GET /drip: client went away")) << shoal_->Log();
}

TEST_F(AccessLogFastCgiTest, DashWritesTheLinesToStdout) {
  Start("-");
  Fd fd = fastcgi::ConnectUnix(socket_.string());
  ASSERT_TRUE(fd.valid());
  std::string request = fastcgi::GetRequest("/pid?x=%22", false);
  ASSERT_EQ(write(fd.get(), request.data(), request.size()), ssize_t(request.size()));
  ASSERT_TRUE(Has(fastcgi::ReadResponse(fd.get(), 10s), "200 OK"));
  const std::string pid = std::to_string(shoal_->WorkerPids().at(0));
  ASSERT_TRUE(WaitUntil(10s, [&] {
    return Has(shoal_->Log(), "\"GET /pid?x=%22 HTTP/1.1\" 200 " +
                                  std::to_string(pid.size()) + " \"-\" \"-\"\n");
  })) << shoal_->Log();
}

// USR1 while --lazy-apps workers are still importing the app: it waits
// (blocked) until their loop's handler is in place, so none dies of it, and
// their first lines go to the new file.
TEST(AccessLogBootTest, Usr1WhileWorkersImportKillsNoneAndIsNotLost) {
  TempDir dir("shoal-accessboot");
  const std::filesystem::path socket = dir / "shoal.sock";
  const std::filesystem::path access_log = dir / "access.log";
  ShoalProcess shoal({"--app", "slow_import:app", "--chdir", AppsDir().string(), "--bind",
                      "unix:" + socket.string(), "--workers", "2", "--lazy-apps",
                      "--access-log", access_log.string()},
                     dir / "shoal.log", {{"TEST_IMPORT_SECONDS", "2"}});
  ASSERT_TRUE(WaitUntil(15s, [&] { return shoal.WorkerPids().size() == 2; })) << shoal.Log();
  const std::vector<pid_t> booting = shoal.WorkerPids();
  // Still importing: USR1 is blocked (SigBlk bit 10) until the loop runs.
  for (pid_t pid : booting) {
    const std::string status = ReadFileOrEmpty("/proc/" + std::to_string(pid) + "/status");
    const size_t at = status.find("SigBlk:\t");
    ASSERT_NE(at, std::string::npos) << status;
    const unsigned long long blocked = std::stoull(status.substr(at + 8, 16), nullptr, 16);
    ASSERT_TRUE(blocked & (1ull << (SIGUSR1 - 1))) << "worker " << pid << " booted already";
  }
  std::filesystem::rename(access_log, dir / "access.log.1");
  shoal.Signal(SIGUSR1);
  ASSERT_TRUE(WaitUntil(10s, [&] { return Has(shoal.Log(), "reopened --access-log"); }))
      << shoal.Log();
  ASSERT_TRUE(shoal.WaitForSocket(socket, 15s));
  for (int i = 0; i < 4; ++i) {
    Fd fd = fastcgi::ConnectUnix(socket.string());
    ASSERT_TRUE(fd.valid());
    std::string request = fastcgi::GetRequest("/after-" + std::to_string(i), false);
    ASSERT_EQ(write(fd.get(), request.data(), request.size()), ssize_t(request.size()));
    EXPECT_TRUE(Has(fastcgi::ReadResponse(fd.get(), 15s), "imported slowly"));
  }
  EXPECT_EQ(shoal.WorkerPids(), booting) << shoal.Log();
  EXPECT_FALSE(Has(shoal.Log(), "exited")) << shoal.Log();
  ASSERT_TRUE(WaitUntil(10s, [&] { return CountLines(access_log) == 4; }))
      << ReadFileOrEmpty(access_log);
  EXPECT_FALSE(Has(ReadFileOrEmpty(dir / "access.log.1"), "after-"));
}

TEST(AccessLogBootTest, AnUnwritablePathStopsTheStartWithOneLine) {
  TempDir dir("shoal-accessbad");
  ShoalRun run = RunShoalToExit({"--app", "probe:app", "--chdir", AppsDir().string(), "--bind",
                                 "unix:" + (dir / "s.sock").string(), "--access-log",
                                 (dir / "no" / "access.log").string()},
                                dir / "shoal.log", 20s);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(Has(run.output, "--access-log: open(" + (dir / "no" / "access.log").string() +
                                  ") failed: No such file or directory"))
      << run.output;
  EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << run.output;
}

}  // namespace
}  // namespace shoal::tests
