// Persistent connections never pin a worker: FastCGI keep-conn behind nginx
// and Apache (mod_proxy_fcgi's enablereuse), AJP connection reuse behind
// Apache, idle connections parked with the master, management records, and
// no lingering close.
//
// The thresholds below are generous (a second where the right answer takes
// a millisecond and the wrong one takes seconds): they tell the two designs
// apart, not measure speed. Speed is bench/'s business.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <vector>

#include "support/fastcgi_client.h"
#include "support/loopback.h"
#include "support/paths.h"
#include "support/serving_fixture.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/text.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// Each front end that keeps connections to shoal open.
class KeptConnectionsTest : public FrontEndTest {};

TEST_P(KeptConnectionsTest, InstantRequestsNeverWaitBehindASlowOne) {
  ServedApp& served = Serve({.workers = 2, .front_end = GetParam()});
  // Open several kept connections between the web server and shoal.
  std::vector<std::future<HttpResponse>> warm;
  for (int i = 0; i < 8; ++i) {
    warm.push_back(std::async(std::launch::async, [&] { return served.Get("/"); }));
  }
  for (auto& response : warm) ASSERT_EQ(response.get().status, 200);

  const std::filesystem::path started = served.run_dir() / "slow-started";
  auto slow = std::async(std::launch::async, [&] {
    return served.Get("/slow?seconds=3&started=" + started.string(), seconds(20));
  });
  ASSERT_TRUE(WaitUntil(seconds(10), [&] { return std::filesystem::exists(started); }));

  // One worker sleeps; the other is idle and must serve every one of these,
  // whichever kept connection the web server picks.
  auto begin = Clock::now();
  for (int i = 0; i < 20; ++i) {
    auto sent = Clock::now();
    HttpResponse response = served.Get("/", seconds(10));
    EXPECT_EQ(response.status, 200) << "request " << i;
    EXPECT_LT(Clock::now() - sent, seconds(1)) << "request " << i << " waited behind the slow one";
  }
  EXPECT_LT(Clock::now() - begin, milliseconds(2500));
  EXPECT_EQ(slow.get().body, "slept\n");
}

TEST_P(KeptConnectionsTest, KeptConnectionsAreReusedForPosts) {
  ServedApp& served = Serve({.workers = 2, .front_end = GetParam()});
  for (int i = 0; i < 30; ++i) {
    std::string body = "post number " + std::to_string(i);
    HttpResponse response = served.Post("/echo", body);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, body);
  }
}

INSTANTIATE_TEST_SUITE_P(Protocols, KeptConnectionsTest,
                         testing::Values(FrontEnd::kNginxFastCgiKeepalive, FrontEnd::kApacheAjp,
                                         FrontEnd::kApacheFastCgi),
                         FrontEndTestName);

// A body the app leaves unread (all of it, or all but its first 20,000 or
// 100,000 bytes), of many packets or records: the connection is left at
// the start of the next request, whatever of the body was on its way (AJP
// asks for several packets at once), and the next request on it is read
// right. The app's iterable is not a list (wsgiref's validator wraps it),
// so its first block goes out before the request ends: nginx stops sending
// a FastCGI request body once it has the response's headers, so the body
// must be in before that (FastCgiConnection::TakeRestOfBody), or the
// request waits for the rest until --body-timeout.
class UnreadBodyTest : public FrontEndTest {};

TEST_P(UnreadBodyTest, AnUnreadBodyLeavesAKeptConnectionFitForTheNextRequest) {
  ServedApp& served = Serve({.workers = 1, .front_end = GetParam()});
  const std::string big(1 << 20, 'b');
  for (int i = 0; i < 6; ++i) {
    HttpResponse ignored = served.Post("/", i % 2 == 0 ? big : big.substr(0, 20000 + i));
    EXPECT_EQ(ignored.status, 200) << "request " << i;
    EXPECT_EQ(ignored.body, "Hello from probe\n") << "request " << i;
    const int first = i % 2 == 0 ? 20000 : 100000;
    HttpResponse partly = served.Post("/read?bytes=" + std::to_string(first), big);
    EXPECT_EQ(partly.status, 200) << "request " << i;
    EXPECT_EQ(partly.body, std::to_string(first)) << "request " << i;
    const std::string body = "post number " + std::to_string(i);
    HttpResponse echoed = served.Post("/echo", body);
    EXPECT_EQ(echoed.status, 200) << "request " << i;
    EXPECT_EQ(echoed.body, body) << "request " << i;
  }
  // Nor was a connection given up on the way (the web server would have
  // retried on another, and hidden it): no warning or error from shoal.
  const std::string log = served.shoal().Log();
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("running as root") != std::string::npos) continue;
    EXPECT_FALSE(line.starts_with("warning") || line.starts_with("error")) << line;
  }
}

INSTANTIATE_TEST_SUITE_P(Protocols, UnreadBodyTest,
                         testing::Values(FrontEnd::kNginxFastCgi,
                                         FrontEnd::kNginxFastCgiKeepalive, FrontEnd::kNginxScgi,
                                         FrontEnd::kApacheAjp, FrontEnd::kApacheFastCgi),
                         FrontEndTestName);

// The connections shoal accepted on its unix socket `path` and holds open,
// from /proc/net/unix: the connected sockets with the listening socket's
// address. (That address is the name shoal bound before renaming the
// socket file to `path`, so it is found by the listening entry.)
int ConnectionsAccepted(const std::filesystem::path& path) {
  struct Entry {
    std::string flags, state, address;
  };
  std::vector<Entry> entries;
  std::ifstream table("/proc/net/unix");
  // Num RefCount Protocol Flags Type St Inode Path
  for (std::string line; std::getline(table, line);) {
    std::istringstream fields(line);
    std::string num, refs, protocol, type, inode;
    Entry entry;
    fields >> num >> refs >> protocol >> entry.flags >> type >> entry.state >> inode >>
        entry.address;
    entries.push_back(entry);
  }
  std::string listening;
  for (const Entry& entry : entries) {
    // __SO_ACCEPTCON: a listening socket.
    if (entry.flags == "00010000" && entry.address.starts_with(path.string())) {
      listening = entry.address;
    }
  }
  int count = 0;
  for (const Entry& entry : entries) {
    if (!listening.empty() && entry.state == "03" && entry.address == listening) ++count;
  }
  return count;
}

TEST_F(ServingTest, ApacheFastCgiKeepsOneConnectionForSequentialRequests) {
  ServedApp& served = Serve({.workers = 2, .front_end = FrontEnd::kApacheFastCgi});

  for (int i = 0; i < 10; ++i) ASSERT_EQ(served.Get("/").status, 200) << "request " << i;

  // enablereuse=on (conf/apache-fastcgi.conf): Apache keeps the connection
  // it used, shoal keeps it open (FCGI_KEEP_CONN), and the next request
  // takes it again instead of connecting anew. Without reuse there would be
  // none left; with a connection per request, ten.
  EXPECT_EQ(ConnectionsAccepted(served.socket_path()), 1);
}

TEST_F(ServingTest, MasterAnswersAjpCpingWhileEveryWorkerIsBusy) {
  ServedApp& served = Serve({.workers = 2, .front_end = FrontEnd::kApacheAjp});
  // A connection of our own to shoal, answered once by a worker, which then
  // holds it while idle.
  Fd idle = ConnectLoopback(served.shoal_port(), seconds(5));
  ASSERT_TRUE(idle.valid());
  fcntl(idle.get(), F_SETFL, fcntl(idle.get(), F_GETFL) & ~O_NONBLOCK);
  timeval tv{2, 0};
  setsockopt(idle.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  const char cping[] = {0x12, 0x34, 0x00, 0x01, 0x0A};
  const std::string cpong("AB\x00\x01\x09", 5);
  char reply[5];
  ASSERT_EQ(write(idle.get(), cping, 5), 5);
  ASSERT_EQ(read(idle.get(), reply, 5), 5);
  ASSERT_EQ(std::string(reply, 5), cpong);

  // Both workers go to sleep in the app; the one holding our connection
  // parks it with the master first.
  std::vector<std::future<HttpResponse>> slow;
  for (int i = 0; i < 2; ++i) {
    const std::filesystem::path started = served.run_dir() / ("started" + std::to_string(i));
    slow.push_back(std::async(std::launch::async, [&served, started] {
      return served.Get("/slow?seconds=3&started=" + started.string(), seconds(20));
    }));
    ASSERT_TRUE(WaitUntil(seconds(10), [&] { return std::filesystem::exists(started); }));
  }

  auto sent = Clock::now();
  ASSERT_EQ(write(idle.get(), cping, 5), 5);
  ASSERT_EQ(read(idle.get(), reply, 5), 5) << "no CPONG while the workers are busy";
  EXPECT_EQ(std::string(reply, 5), cpong);
  EXPECT_LT(Clock::now() - sent, seconds(1));
  for (auto& response : slow) EXPECT_EQ(response.get().body, "slept\n");
}

// shoal alone on a unix socket, spoken to with a raw FastCGI client.
class RawFastCgiTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> extra) {
    std::vector<std::string> args = {"--app", "probe:app", "--chdir", AppsDir().string(),
                                     "--bind", "unix:" + socket_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    shoal_ = std::make_unique<ShoalProcess>(args, dir_ / "shoal.log");
    ASSERT_TRUE(shoal_->WaitForSocket(socket_, seconds(15))) << shoal_->Log();
  }
  Fd Connect() { return fastcgi::ConnectUnix(socket_.string()); }
  void TearDown() override {
    if (HasFailure() && shoal_) std::cerr << shoal_->Log();
  }
  static void Send(int fd, const std::string& bytes) {
    ASSERT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }

  TempDir dir_{"shoal-raw-fcgi"};
  std::filesystem::path socket_ = dir_ / "shoal.sock";
  std::unique_ptr<ShoalProcess> shoal_;
};

std::string NameValue(const std::string& name, const std::string& value) {
  return std::string(1, static_cast<char>(name.size())) +
         std::string(1, static_cast<char>(value.size())) + name + value;
}

TEST_F(RawFastCgiTest, GetValuesReportsThePoolsLimits) {
  Start({"--workers", "3", "--max-idle-connections", "100"});
  Fd fd = Connect();
  ASSERT_TRUE(fd.valid());
  Send(fd.get(), fastcgi::GetValues({"FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"}));

  auto records = fastcgi::Records(fastcgi::ReadResponse(fd.get(), seconds(5), 1));

  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].first, 10);  // FCGI_GET_VALUES_RESULT
  EXPECT_EQ(records[0].second, NameValue("FCGI_MAX_CONNS", "103") +
                                   NameValue("FCGI_MAX_REQS", "3") +
                                   NameValue("FCGI_MPXS_CONNS", "0"));
  // The same connection then carries a request.
  Send(fd.get(), fastcgi::GetRequest("/", /*keep_conn=*/true));
  EXPECT_TRUE(Has(fastcgi::ReadResponse(fd.get(), seconds(5)), "Hello from probe"));
}

TEST_F(RawFastCgiTest, WorkerDoesNotWaitForTheWebServersEof) {
  Start({"--workers", "1"});
  // The first client reads its whole response and never closes its end.
  Fd first = Connect();
  Send(first.get(), fastcgi::GetRequest("/", /*keep_conn=*/false));
  ASSERT_TRUE(Has(fastcgi::ReadResponse(first.get(), seconds(5)), "Hello from probe"));

  // libfcgi's own close would now wait up to 2 s for that EOF before the
  // only worker could accept again.
  auto sent = Clock::now();
  Fd second = Connect();
  Send(second.get(), fastcgi::GetRequest("/", /*keep_conn=*/false));
  EXPECT_TRUE(Has(fastcgi::ReadResponse(second.get(), seconds(5)), "Hello from probe"));
  EXPECT_LT(Clock::now() - sent, seconds(1));
}

TEST_F(RawFastCgiTest, APipelinedSecondRequestIsServedToo) {
  Start({"--workers", "1"});
  Fd fd = Connect();
  // Both requests in one write: the worker reads the second with the first,
  // and the socket will not show it as readable again.
  Send(fd.get(), fastcgi::GetRequest("/", /*keep_conn=*/true) +
                     fastcgi::GetRequest("/pid", /*keep_conn=*/true));
  std::string wire;
  int ends = 0;
  auto deadline = Clock::now() + seconds(5);
  while (ends < 2 && Clock::now() < deadline) {
    wire += fastcgi::ReadResponse(fd.get(), seconds(1));
    ends = 0;
    for (const auto& [type, content] : fastcgi::Records(wire)) ends += type == 3;
  }
  EXPECT_EQ(ends, 2) << "END_REQUESTs for both requests";
  EXPECT_TRUE(Has(wire, "Hello from probe"));
  std::vector<pid_t> workers = shoal_->WorkerPids();
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_TRUE(Has(wire, "\r\n\r\n" + std::to_string(workers[0])))
      << "the second request (/pid) was not answered";
}

TEST_F(RawFastCgiTest, IdleKeptConnectionsAreClosedAfterTheIdleTimeout) {
  Start({"--workers", "1", "--idle-timeout", "1"});
  // The first ends up parked with the master (the worker takes the second),
  // the second held by the idle worker: both must be closed.
  Fd first = Connect();
  Send(first.get(), fastcgi::GetRequest("/", /*keep_conn=*/true));
  ASSERT_TRUE(Has(fastcgi::ReadResponse(first.get(), seconds(5)), "Hello from probe"));
  Fd second = Connect();
  Send(second.get(), fastcgi::GetRequest("/", /*keep_conn=*/true));
  ASSERT_TRUE(Has(fastcgi::ReadResponse(second.get(), seconds(5)), "Hello from probe"));

  for (int fd : {first.get(), second.get()}) {
    char byte;
    timeval tv{4, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    auto waited = Clock::now();
    EXPECT_EQ(read(fd, &byte, 1), 0) << "not closed";
    EXPECT_LT(Clock::now() - waited, seconds(3));
  }
}

TEST_F(RawFastCgiTest, AbortRequestStopsTheAppAndCallsClose) {
  Start({"--workers", "1", "--mount", "/raw=probe:raw_app"});
  const std::filesystem::path marker = dir_ / "closed";
  Fd fd = Connect();
  Send(fd.get(), fastcgi::GetRequest("/raw/closing?marker=" + marker.string(), true));
  // Wait for the first block, then abort.
  std::string first = fastcgi::ReadResponse(fd.get(), seconds(5), 1);
  ASSERT_FALSE(first.empty());
  Send(fd.get(), fastcgi::Record(2, ""));  // FCGI_ABORT_REQUEST

  EXPECT_TRUE(WaitUntil(seconds(5), [&] { return std::filesystem::exists(marker); }))
      << "close() was not called";
  std::string rest = fastcgi::ReadResponse(fd.get(), seconds(5));
  ASSERT_FALSE(fastcgi::Records(first + rest).empty());
  EXPECT_EQ(fastcgi::Records(first + rest).back().first, 3) << "no END_REQUEST after the abort";
  // The kept connection still serves.
  Send(fd.get(), fastcgi::GetRequest("/", true));
  EXPECT_TRUE(Has(fastcgi::ReadResponse(fd.get(), seconds(5)), "Hello from probe"));
}

}  // namespace
}  // namespace shoal::tests
