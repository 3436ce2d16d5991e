// A reload (HUP or USR2) hands every idle kept connection to the new
// generation: none is closed, whether the master had it parked, an old
// worker held it idle, or an old worker was serving a request on it when
// the new workers came up. Spoken to straight with the raw FastCGI client
// (FCGI_KEEP_CONN), and through the front ends that pool their connections
// under a load loop (POSTs, which nginx does not retry on a connection
// shoal closed).
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/fastcgi_client.h"
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

bool Contains(const std::vector<pid_t>& pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

// Waits until `shoal` has `count` workers and none of them is in `before`:
// the reload is done, every worker of the previous generation gone.
bool WaitForNewGeneration(const ShoalProcess& shoal, const std::vector<pid_t>& before,
                          size_t count) {
  return WaitUntil(seconds(15), [&] {
    std::vector<pid_t> now = shoal.WorkerPids();
    return now.size() == count &&
           std::none_of(now.begin(), now.end(), [&](pid_t pid) { return Contains(before, pid); });
  });
}

// One FastCGI request on a kept connection. Returns the response body
// (after the headers), or nullopt if the connection failed it: closed,
// cut short, or no END_REQUEST within 10 s.
std::optional<std::string> Exchange(int fd, const std::string& uri) {
  std::string request = fastcgi::GetRequest(uri, /*keep_conn=*/true);
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return std::nullopt;
  }
  auto records = fastcgi::Records(fastcgi::ReadResponse(fd, seconds(10)));
  if (records.empty() || records.back().first != 3) return std::nullopt;  // FCGI_END_REQUEST
  std::string out;
  for (const auto& [type, content] : records) {
    if (type == 6) out += content;  // FCGI_STDOUT
  }
  size_t body = out.find("\r\n\r\n");
  if (body == std::string::npos) return std::nullopt;
  return out.substr(body + 4);
}

// shoal alone on a unix socket, spoken to with the raw FastCGI client.
class ReloadKeptConnectionsTest : public ::testing::TestWithParam<int> {
 protected:
  void Start(size_t workers) {
    shoal_ = std::make_unique<ShoalProcess>(
        std::vector<std::string>{"--app", "probe:app", "--chdir", AppsDir().string(), "--bind",
                                 "unix:" + socket_.string(), "--workers", std::to_string(workers)},
        dir_ / "shoal.log");
    ASSERT_TRUE(shoal_->WaitForSocket(socket_, seconds(15))) << shoal_->Log();
    ASSERT_TRUE(shoal_->WaitForWorkers(workers, seconds(10))) << shoal_->Log();
  }
  void TearDown() override {
    if (HasFailure() && shoal_) std::cerr << shoal_->Log();
  }

  TempDir dir_{"shoal-reload-kept"};
  std::filesystem::path socket_ = dir_ / "shoal.sock";
  std::unique_ptr<ShoalProcess> shoal_;
};

// 50 kept connections, each served once: two end up held idle by the two
// workers, the rest parked with the master. After the reload every one of
// them is served again, by a worker of the new generation.
TEST_P(ReloadKeptConnectionsTest, EveryIdleKeptConnectionServesAgainAfterTheReload) {
  constexpr int kConnections = 50;
  Start(2);
  std::vector<Fd> connections;
  for (int i = 0; i < kConnections; ++i) {
    connections.push_back(fastcgi::ConnectUnix(socket_.string()));
    ASSERT_TRUE(connections.back().valid());
    std::optional<std::string> body = Exchange(connections.back().get(), "/");
    ASSERT_TRUE(body && *body == "Hello from probe\n") << "connection " << i;
  }
  const std::vector<pid_t> before = shoal_->WorkerPids();

  shoal_->Signal(GetParam());
  ASSERT_TRUE(WaitForNewGeneration(*shoal_, before, 2))
      << "old workers still there, or no new ones: " << shoal_->WorkerPids().size();
  const std::vector<pid_t> after = shoal_->WorkerPids();

  int failed = 0;
  for (int i = 0; i < kConnections; ++i) {
    std::optional<std::string> pid = Exchange(connections[i].get(), "/pid");
    if (!pid) {
      ++failed;
      ADD_FAILURE() << "connection " << i << " failed its request after the reload";
      continue;
    }
    EXPECT_TRUE(Contains(after, std::stoi(*pid))) << "connection " << i << " served by " << *pid;
  }
  EXPECT_EQ(failed, 0) << failed << " of " << kConnections << " kept connections failed";
  EXPECT_TRUE(shoal_->running());
}

// A kept connection whose request is still running when the new workers
// come up: the old worker finishes the response, then hands the connection
// on instead of closing it.
TEST_P(ReloadKeptConnectionsTest, AConnectionMidRequestAtTheReloadIsKeptAfterItsResponse) {
  Start(2);
  Fd connection = fastcgi::ConnectUnix(socket_.string());
  ASSERT_TRUE(connection.valid());
  ASSERT_TRUE(Exchange(connection.get(), "/"));
  const std::vector<pid_t> before = shoal_->WorkerPids();
  const std::filesystem::path started = dir_ / "started";
  std::string slow = fastcgi::GetRequest("/slow?seconds=3&started=" + started.string(), true);
  ASSERT_EQ(send(connection.get(), slow.data(), slow.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(slow.size()));
  ASSERT_TRUE(WaitUntil(seconds(10), [&] { return std::filesystem::exists(started); }));

  shoal_->Signal(GetParam());
  // The new workers are up (and the old ones told to go) while the request
  // still runs.
  ASSERT_TRUE(WaitUntil(seconds(10), [&] {
    return Has(shoal_->Log(), "re-executed; the previous workers finish their requests and leave");
  }));
  pollfd answered{connection.get(), POLLIN, 0};
  ASSERT_EQ(poll(&answered, 1, 0), 0) << "the response came before the new workers were up";

  auto records = fastcgi::Records(fastcgi::ReadResponse(connection.get(), seconds(10)));
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().first, 3) << "no END_REQUEST for the request in flight";
  ASSERT_TRUE(WaitForNewGeneration(*shoal_, before, 2));

  std::optional<std::string> body = Exchange(connection.get(), "/");
  EXPECT_TRUE(body && *body == "Hello from probe\n") << "the kept connection was closed";
}

// A worker replaced for --max-requests hands the connection it keeps to the
// master too: every kept connection serves again across the replacements.
class RecycledKeptConnectionsTest : public ReloadKeptConnectionsTest {};

TEST_F(RecycledKeptConnectionsTest, AWorkerReplacedForMaxRequestsHandsItsKeptConnectionOn) {
  shoal_ = std::make_unique<ShoalProcess>(
      std::vector<std::string>{"--app", "probe:app", "--chdir", AppsDir().string(), "--bind",
                               "unix:" + socket_.string(), "--workers", "1", "--max-requests",
                               "2"},
      dir_ / "shoal.log");
  ASSERT_TRUE(shoal_->WaitForSocket(socket_, seconds(15))) << shoal_->Log();
  constexpr int kConnections = 5;
  std::vector<Fd> connections;
  for (int i = 0; i < kConnections; ++i) {
    connections.push_back(fastcgi::ConnectUnix(socket_.string()));
    ASSERT_TRUE(connections.back().valid());
  }
  int failed = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < kConnections; ++i) {
      std::optional<std::string> body = Exchange(connections[i].get(), "/");
      if (!body || *body != "Hello from probe\n") ++failed;
    }
  }
  EXPECT_EQ(failed, 0) << failed << " of " << 3 * kConnections << " requests failed; "
                       << shoal_->Log();
  EXPECT_TRUE(Has(shoal_->Log(), "recycled after 2 requests")) << "no worker was replaced";
}

std::string SignalName(const testing::TestParamInfo<int>& signal) {
  return signal.param == SIGHUP ? "Hup" : "Usr2";
}

INSTANTIATE_TEST_SUITE_P(Signals, ReloadKeptConnectionsTest, testing::Values(SIGHUP, SIGUSR2),
                         SignalName);

// A front end with a pool of kept connections, under a load of POSTs across
// three reloads: not one request fails. The loop is bounded in requests and
// in time.
class ReloadUnderPooledLoadTest : public FrontEndTest {};

TEST_P(ReloadUnderPooledLoadTest, NoRequestFailsAcrossReloads) {
  constexpr int kThreads = 4;
  constexpr int kMaxRequests = 20'000;
  const auto give_up_at = Clock::now() + seconds(40);
  ServedApp& served = Serve({.workers = 2, .front_end = GetParam()});
  ShoalProcess& shoal = served.shoal();
  ASSERT_TRUE(shoal.WaitForWorkers(2, seconds(10)));

  std::atomic<bool> stop{false};
  std::atomic<int> sent{0}, failed{0};
  std::vector<std::thread> load;
  for (int t = 0; t < kThreads; ++t) {
    load.emplace_back([&] {
      while (!stop && Clock::now() < give_up_at) {
        const int number = sent++;
        if (number >= kMaxRequests) return;
        const std::string body = "post number " + std::to_string(number);
        bool good = false;
        try {
          HttpResponse response = served.Post("/echo", body, seconds(10));
          good = response.status == 200 && response.body == body;
        } catch (const std::exception&) {
        }
        if (!good) failed++;
      }
    });
  }
  std::this_thread::sleep_for(milliseconds(500));
  for (int reload = 0; reload < 3; ++reload) {
    const std::vector<pid_t> before = shoal.WorkerPids();
    shoal.Signal(SIGHUP);
    EXPECT_TRUE(WaitForNewGeneration(shoal, before, 2)) << "reload " << reload;
    std::this_thread::sleep_for(milliseconds(500));
  }
  stop = true;
  for (std::thread& thread : load) thread.join();

  const int total = std::min(sent.load(), kMaxRequests);
  std::cout << "[ measured ] " << failed << " of " << total
            << " requests failed across 3 reloads\n";
  EXPECT_EQ(failed, 0) << failed << " of " << total << " requests failed";
  EXPECT_GT(total, 100);
  EXPECT_TRUE(shoal.running());
}

INSTANTIATE_TEST_SUITE_P(FrontEnds, ReloadUnderPooledLoadTest,
                         testing::Values(FrontEnd::kNginxFastCgiKeepalive, FrontEnd::kApacheAjp),
                         FrontEndTestName);

}  // namespace
}  // namespace shoal::tests
