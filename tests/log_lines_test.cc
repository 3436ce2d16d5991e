// What a supervisor's logger reads from shoal's stderr: whole lines from the
// master and every worker, even many workers under load through one pipe
// (as multilog reads it); --log-timestamps (tai64n exactly as tai64nlocal
// reads it, and iso8601); and --log-level, in the master and in workers
// forked or exec'd anew (--lazy-apps).
#include <signal.h>
#include <time.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/fastcgi_client.h"
#include "support/fifo_reader.h"
#include "support/http_client.h"
#include "support/loopback.h"
#include "support/nginx_process.h"
#include "support/paths.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/text.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

// `STAMP? LEVEL [PID ROLE] MESSAGE`, shoal's one shape of a log line.
const std::regex kLogLine(
    R"(^(?:(@[0-9a-f]{24}|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) )?)"
    R"((debug|info|warning|error|critical) \[(\d+) (master|worker \d+)\] (.*)$)");

struct LogLine {
  std::string stamp;
  std::string level;
  long pid = 0;
  std::string role;
  std::string message;
};

// Splits `text` into lines and parses each. Lines that do not parse, and
// text after the last newline, go to `malformed`.
std::vector<LogLine> ParseLog(const std::string& text, std::vector<std::string>& malformed) {
  std::vector<LogLine> lines;
  size_t start = 0;
  for (size_t newline; (newline = text.find('\n', start)) != std::string::npos;
       start = newline + 1) {
    std::string line = text.substr(start, newline - start);
    std::smatch match;
    if (std::regex_match(line, match, kLogLine)) {
      lines.push_back({match[1], match[2], std::stol(match[3]), match[4], match[5]});
    } else {
      malformed.push_back(line);
    }
  }
  if (start < text.size()) malformed.push_back(text.substr(start));
  return lines;
}

std::string Shorten(const std::string& text) {
  return text.size() <= 300 ? text : text.substr(0, 300) + "...(" + std::to_string(text.size()) + " bytes)";
}

// Seconds since the epoch of a TAI64N label ("@" + 24 hex digits).
int64_t Tai64nSeconds(const std::string& stamp) {
  return static_cast<int64_t>(std::stoull(stamp.substr(1, 16), nullptr, 16) -
                              ((uint64_t{1} << 62) + 10));
}

// Many workers writing long lines at once, their stderr one pipe: every
// line arrives whole (each is one write of at most PIPE_BUF), from the
// master and from several workers, and each line of the app's is exactly
// what it wrote. The access log, appended to by all of them, is whole too.
TEST(LogLinesTest, ManyWorkersUnderLoadWriteOnlyWholeLinesIntoOnePipe) {
  TempDir dir("shoal-loglines");
  FifoReader output(dir / "shoal.out");
  const std::filesystem::path socket = dir / "shoal.sock";
  const std::filesystem::path access_log = dir / "shoal-access.log";  // (nginx writes access.log)
  constexpr int kWorkers = 8;
  std::optional<ShoalProcess> shoal;
  shoal.emplace(std::vector<std::string>{"--app", "log_flood:app", "--chdir", AppsDir().string(),
                                         "--bind", "unix:" + socket.string(), "--workers",
                                         std::to_string(kWorkers), "--log-timestamps", "tai64n",
                                         "--access-log", access_log.string()},
                output.path());
  ASSERT_TRUE(shoal->WaitForSocket(socket, 15s)) << Shorten(output.Text());
  ASSERT_TRUE(shoal->WaitForWorkers(kWorkers, 15s)) << Shorten(output.Text());
  std::optional<NginxProcess> nginx;
  nginx.emplace(dir.path(), socket, FindFreeLoopbackPort());

  // 6 clients x 250 requests, each request 3 lines to wsgi.errors (10,
  // 1000 and 3800 bytes) and one to sys.stdout.
  constexpr int kClients = 6;
  constexpr int kRequests = 250;
  constexpr int kLinesPerRequest = 4;
  std::atomic<int> failed = 0;
  std::mutex mutex;
  std::set<std::string> served_by;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int r = 0; r < kRequests; ++r) {
        try {
          HttpResponse response = HttpGet(
              nginx->port(), "/flood?n=3&seq=" + std::to_string(c) + "-" + std::to_string(r));
          if (response.status != 200) {
            ++failed;
            continue;
          }
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
  nginx.reset();
  shoal->Signal(SIGTERM);
  EXPECT_EQ(shoal->WaitForExit(30s), 0);
  shoal.reset();
  ASSERT_TRUE(output.Finish(10s)) << "shoal's processes still hold the pipe";

  std::vector<std::string> malformed;
  std::vector<LogLine> lines = ParseLog(output.Text(), malformed);
  EXPECT_TRUE(malformed.empty()) << malformed.size() << " malformed lines, the first: "
                                 << Shorten(malformed.front());
  // The app's lines, each exactly as written: "flood pid=P seq=S len=L "
  // and L copies of one letter, from the worker P itself.
  const std::regex flood(R"(^flood pid=(\d+) seq=(\S+) len=(\d+) (.*)$)");
  std::set<std::string> seqs;
  std::set<long> worker_pids;
  size_t master_lines = 0;
  const int64_t now = time(nullptr);
  for (const LogLine& line : lines) {
    ASSERT_FALSE(line.stamp.empty()) << line.message;
    ASSERT_LE(std::abs(Tai64nSeconds(line.stamp) - now), 3600) << line.stamp;
    if (line.role == "master") ++master_lines;
    std::smatch match;
    if (!std::regex_match(line.message, match, flood)) continue;
    EXPECT_EQ(std::stol(match[1]), line.pid) << Shorten(line.message);
    EXPECT_TRUE(line.role.starts_with("worker ")) << line.role;
    const std::string payload = match[4];
    EXPECT_EQ(payload.size(), std::stoul(match[3])) << Shorten(line.message);
    EXPECT_EQ(payload.find_first_not_of(payload.substr(0, 1)), std::string::npos)
        << "a line was torn: " << Shorten(line.message);
    EXPECT_TRUE(seqs.insert(match[2]).second) << "twice: " << match[2];
    worker_pids.insert(line.pid);
  }
  EXPECT_EQ(seqs.size(), size_t{kClients * kRequests * kLinesPerRequest});
  EXPECT_GE(worker_pids.size(), 2u) << "every line came from one worker";
  EXPECT_EQ(worker_pids.size(), served_by.size());
  EXPECT_GE(master_lines, size_t{kWorkers + 2}) << "the start, each worker's, the stop";

  // One access line per request, each whole.
  const std::string access = ReadFileOrEmpty(access_log);
  const std::regex access_line(
      R"(^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] )"
      R"("GET /flood\?n=3&seq=\d+-\d+ HTTP/1\.1" 200 \d+ "-" "-"$)");
  size_t count = 0;
  size_t start = 0;
  for (size_t newline; (newline = access.find('\n', start)) != std::string::npos;
       start = newline + 1, ++count) {
    std::string line = access.substr(start, newline - start);
    ASSERT_TRUE(std::regex_match(line, access_line)) << Shorten(line);
  }
  EXPECT_EQ(start, access.size()) << "the access log ends in a partial line";
  EXPECT_EQ(count, size_t{kClients * kRequests});
}

// A shoal serving probe:app on a unix socket with `args` added; its log
// in a file. One request through the FastCGI client at a time.
class LogOptionsTest : public ::testing::TestWithParam<bool> {
 protected:
  void Start(std::vector<std::string> args) {
    std::vector<std::string> all = {"--app", "probe:app", "--chdir", AppsDir().string(),
                                    "--bind", "unix:" + socket_.string(), "--workers", "2"};
    if (GetParam()) all.push_back("--lazy-apps");
    all.insert(all.end(), args.begin(), args.end());
    shoal_.emplace(all, log_);
    ASSERT_TRUE(shoal_->WaitForSocket(socket_, 15s)) << shoal_->Log();
    ASSERT_TRUE(shoal_->WaitForWorkers(2, 15s)) << shoal_->Log();
  }
  // Sends GET `uri`; returns the records' bytes.
  std::string Get(const std::string& uri) {
    Fd fd = fastcgi::ConnectUnix(socket_.string());
    if (!fd.valid()) return "";
    std::string request = fastcgi::GetRequest(uri, false);
    if (write(fd.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
      return "";
    }
    return fastcgi::ReadResponse(fd.get(), 10s);
  }
  // Stops shoal (TERM) and returns its whole log.
  std::string Stop() {
    shoal_->Signal(SIGTERM);
    EXPECT_EQ(shoal_->WaitForExit(30s), 0);
    return shoal_->Log();
  }
  bool LogHas(const std::string& part) {
    return WaitUntil(10s, [&] { return Has(shoal_->Log(), part); });
  }
  // Starts shoal with `args`, has a worker log a traceback (GET /raise),
  // stops it, and returns its log's lines, each parsed (none malformed).
  std::vector<LogLine> LinesAroundATraceback(const std::vector<std::string>& args) {
    Start(args);
    EXPECT_TRUE(Has(Get("/raise"), "500"));
    EXPECT_TRUE(LogHas("boom from probe"));
    const std::string log = Stop();
    std::vector<std::string> malformed;
    std::vector<LogLine> lines = ParseLog(log, malformed);
    EXPECT_TRUE(malformed.empty()) << malformed.front();
    return lines;
  }
  void TearDown() override {
    if (HasFailure() && shoal_) std::cerr << shoal_->Log();
  }

  TempDir dir_{"shoal-logopts"};
  std::filesystem::path socket_ = dir_ / "shoal.sock";
  std::filesystem::path log_ = dir_ / "shoal.log";
  std::optional<ShoalProcess> shoal_;
};

INSTANTIATE_TEST_SUITE_P(Workers, LogOptionsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "LazyApps" : "Forked";
                         });

// Every line, the workers' (a traceback) as much as the master's, starts
// with multilog's TAI64N label, and tai64nlocal turns each into the local
// time it stands for.
TEST_P(LogOptionsTest, Tai64nStampsEveryLineAsTai64nlocalReadsThem) {
  std::vector<LogLine> lines = LinesAroundATraceback({"--log-timestamps", "tai64n"});
  size_t from_workers = 0;
  for (const LogLine& line : lines) {
    EXPECT_TRUE(line.stamp.starts_with("@")) << line.message;
    if (line.role.starts_with("worker")) ++from_workers;
  }
  EXPECT_GE(from_workers, 2u) << "the traceback's lines";

  // What daemontools' tai64nlocal makes of them: local time to the
  // nanosecond in place of the label, the rest of the line as it was.
  ChildProcess converter("/bin/sh", {"-c", "exec /usr/bin/tai64nlocal < '" + log_.string() + "'"},
                         dir_ / "local.txt");
  ASSERT_EQ(converter.WaitForExit(10s), 0);
  std::vector<std::string> converted;
  std::string text = converter.Output();
  for (size_t start = 0, newline; (newline = text.find('\n', start)) != std::string::npos;
       start = newline + 1) {
    converted.push_back(text.substr(start, newline - start));
  }
  ASSERT_EQ(converted.size(), lines.size());
  const int64_t now = time(nullptr);
  for (size_t i = 0; i < lines.size(); ++i) {
    const time_t seconds = Tai64nSeconds(lines[i].stamp);
    EXPECT_LE(std::abs(seconds - now), 3600) << lines[i].stamp;
    tm local{};
    localtime_r(&seconds, &local);
    char expected[64];
    std::snprintf(expected, sizeof(expected), "%04d-%02d-%02d %02d:%02d:%02d.%09lu ",
                  local.tm_year + 1900, local.tm_mon + 1, local.tm_mday, local.tm_hour,
                  local.tm_min, local.tm_sec, std::stoul(lines[i].stamp.substr(17, 8), nullptr, 16));
    EXPECT_TRUE(converted[i].starts_with(expected)) << converted[i] << " vs " << expected;
    EXPECT_TRUE(converted[i].ends_with("[" + std::to_string(lines[i].pid) + " " + lines[i].role +
                                       "] " + lines[i].message))
        << converted[i];
  }
}

TEST_P(LogOptionsTest, Iso8601StampsEveryLineInUtcToTheMicrosecond) {
  std::vector<LogLine> lines = LinesAroundATraceback({"--log-timestamps", "iso8601"});
  ASSERT_FALSE(lines.empty());
  const int64_t now = time(nullptr);
  size_t from_workers = 0;
  for (const LogLine& line : lines) {
    ASSERT_EQ(line.stamp.size(), 27u) << line.message;
    tm utc{};
    ASSERT_NE(strptime(line.stamp.c_str(), "%Y-%m-%dT%H:%M:%S", &utc), nullptr) << line.stamp;
    EXPECT_LE(std::abs(timegm(&utc) - now), 3600) << line.stamp << " is not UTC now";
    if (line.role.starts_with("worker")) ++from_workers;
  }
  EXPECT_GE(from_workers, 2u);
}

// --log-level warning: the master's info lines (start, workers started,
// stop) and a worker's (a request outside the mount) are gone, a worker's
// error is not; the same requests at the default level show both.
TEST_P(LogOptionsTest, LogLevelWarningKeepsErrorsAndDropsInfoInMasterAndWorkers) {
  Start({"--log-level", "warning", "--script-name", "/in"});
  EXPECT_TRUE(Has(Get("/out"), "404"));
  EXPECT_TRUE(Has(Get("/in/raise"), "500"));
  ASSERT_TRUE(LogHas("boom from probe"));
  const std::string log = Stop();
  EXPECT_TRUE(Has(log, "error [")) << log;
  EXPECT_FALSE(Has(log, "info [")) << log;
  EXPECT_FALSE(Has(log, "GET /out: 404")) << log;
  EXPECT_FALSE(Has(log, "serving")) << log;
}

TEST_P(LogOptionsTest, LogLevelInfoIsTheDefault) {
  Start({"--script-name", "/in"});
  EXPECT_TRUE(Has(Get("/out"), "404"));
  EXPECT_TRUE(Has(Get("/in/raise"), "500"));
  ASSERT_TRUE(LogHas("boom from probe"));
  ASSERT_TRUE(LogHas("GET /out: 404"));
  const std::string log = Stop();
  EXPECT_TRUE(Has(log, "serving")) << log;
  EXPECT_TRUE(Has(log, "all workers stopped")) << log;
}

TEST(LogOptionsUsageTest, UnknownLevelOrStampExitsTwoNamingTheValue) {
  TempDir dir("shoal-logusage");
  for (auto [option, value] : std::vector<std::pair<std::string, std::string>>{
           {"--log-level", "loud"}, {"--log-timestamps", "unix"}}) {
    ShoalRun run = RunShoalToExit({"--app", "probe:app", "--bind", ":1", option, value},
                                  dir / (value + ".log"), 10s);
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_TRUE(Has(run.output, "invalid value '" + value + "' for " + option)) << run.output;
    EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << run.output;
  }
}

}  // namespace
}  // namespace shoal::tests
