// Hostile clients against the deadlines (protocols/socket_connection.h):
// with 2 workers, two connections that are idle, trickle their head or
// body, flood control records without reading the answers, or never read
// their response take both workers; another client must still be served
// within the deadline in play plus a second, the attackers' connections are
// closed with a log line, and the master and its pool are whole afterwards.
// The deadlines are set short (2 s) so the suite stays quick; each test
// prints how long the other client waited ("[figure]"), for the issue's
// before/after note.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/fastcgi_client.h"
#include "support/paths.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/text.h"

namespace shoal::tests {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr seconds kDeadline(2);  // each of --header-timeout, --body-timeout, --send-timeout
constexpr int kAttackers = 2;    // as many as the workers

// A raw connection doing something hostile on a thread of its own, for at
// most `kAttackFor`, until the server closes it or the test ends.
class Attacker {
 public:
  static constexpr seconds kAttackFor{8};
  using Behaviour = std::function<void(int fd, const std::atomic<bool>& stop)>;

  Attacker(Fd fd, Behaviour behaviour) : fd_(std::move(fd)) {
    thread_ = std::thread([this, behaviour] { behaviour(fd_.get(), stop_); });
  }
  ~Attacker() {
    stop_ = true;
    thread_.join();
  }
  // Whether the server has closed the connection: the unix socket shows its
  // peer gone (POLLHUP), without reading what the attacker never reads.
  bool ClosedByServer() const {
    pollfd watched{fd_.get(), POLLRDHUP, 0};
    return poll(&watched, 1, 0) == 1 && (watched.revents & (POLLHUP | POLLRDHUP)) != 0;
  }

 private:
  Fd fd_;
  std::atomic<bool> stop_ = false;
  std::thread thread_;
};

// Sends `bytes` a piece at a time, `piece` bytes every `every`, until done,
// stopped, refused, or kAttackFor.
Attacker::Behaviour Trickle(std::string bytes, size_t piece, milliseconds every) {
  return [bytes, piece, every](int fd, const std::atomic<bool>& stop) {
    auto until = Clock::now() + Attacker::kAttackFor;
    for (size_t at = 0; at < bytes.size() && !stop && Clock::now() < until; at += piece) {
      std::string_view part = std::string_view(bytes).substr(at, piece);
      if (send(fd, part.data(), part.size(), MSG_NOSIGNAL) < 0) return;
      std::this_thread::sleep_for(every);
    }
  };
}

// Sends `bytes` and then only waits, reading nothing.
Attacker::Behaviour SendAndNeverRead(std::string bytes) {
  return [bytes](int fd, const std::atomic<bool>& stop) {
    (void)send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    auto until = Clock::now() + Attacker::kAttackFor;
    while (!stop && Clock::now() < until) std::this_thread::sleep_for(milliseconds(20));
  };
}

// Sends `record` over and over, never reading what comes back, for as long
// as the socket takes more.
Attacker::Behaviour Flood(std::string record) {
  return [record](int fd, const std::atomic<bool>& stop) {
    std::string burst;
    for (int i = 0; i < 512; ++i) burst += record;
    auto until = Clock::now() + Attacker::kAttackFor;
    while (!stop && Clock::now() < until) {
      ssize_t sent = send(fd, burst.data(), burst.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent < 0 && errno != EAGAIN) return;
      if (sent < 0) std::this_thread::sleep_for(milliseconds(20));
    }
  };
}

Attacker::Behaviour Idle() { return SendAndNeverRead(""); }

std::string Begin() { return fastcgi::Record(1, std::string("\0\1\0\0\0\0\0\0", 8)); }

std::string NameValue(const std::string& name, const std::string& value) {
  return std::string(1, static_cast<char>(name.size())) +
         std::string(1, static_cast<char>(value.size())) + name + value;
}

// BEGIN_REQUEST and PARAMS for a POST to `uri` of `length` bytes.
std::string PostHead(const std::string& uri, size_t length) {
  std::string params = NameValue("REQUEST_METHOD", "POST") + NameValue("REQUEST_URI", uri) +
                       NameValue("SCRIPT_NAME", "") + NameValue("PATH_INFO", uri) +
                       NameValue("CONTENT_LENGTH", std::to_string(length));
  return Begin() + fastcgi::Record(4, params) + fastcgi::Record(4, "");
}

class HostileClientTest : public testing::Test {
 protected:
  void Start(const std::string& protocol = "fastcgi",
             const std::string& header_timeout = std::to_string(kDeadline.count())) {
    const std::string deadline = std::to_string(kDeadline.count());
    shoal_ = std::make_unique<ShoalProcess>(
        std::vector<std::string>{"--app", "probe:app", "--chdir", AppsDir().string(), "--bind",
                                 "unix:" + socket_.string(), "--protocol", protocol,
                                 "--workers", "2", "--header-timeout", header_timeout,
                                 "--body-timeout", deadline, "--send-timeout", deadline},
        dir_ / "shoal.log");
    ASSERT_TRUE(shoal_->WaitForSocket(socket_, seconds(15))) << shoal_->Log();
    ASSERT_TRUE(shoal_->WaitForWorkers(2, seconds(10))) << shoal_->Log();
    workers_ = shoal_->WorkerPids();
  }
  void TearDown() override {
    attackers_.clear();
    if (HasFailure() && shoal_) std::cerr << shoal_->Log();
  }

  void Attack(Attacker::Behaviour behaviour) {
    for (int i = 0; i < kAttackers; ++i) {
      Fd fd = fastcgi::ConnectUnix(socket_.string());
      ASSERT_TRUE(fd.valid());
      attackers_.push_back(std::make_unique<Attacker>(std::move(fd), behaviour));
    }
    std::this_thread::sleep_for(milliseconds(300));  // both workers have taken theirs
  }

  // How long a plain FastCGI GET / took to be answered; fails the test if
  // it was not answered in 15 s.
  milliseconds AnotherClientWaits(const std::string& what) {
    auto start = Clock::now();
    Fd fd = fastcgi::ConnectUnix(socket_.string());
    std::string request = fastcgi::GetRequest("/", /*keep_conn=*/false);
    EXPECT_EQ(send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    std::string response = fastcgi::ReadResponse(fd.get(), seconds(15));
    auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    EXPECT_TRUE(Has(response, "Hello from probe")) << "another client was not served";
    std::cout << "[figure] " << what << ": another client waited " << waited.count()
              << " ms with 2 workers (deadline " << kDeadline.count() << " s)\n";
    return waited;
  }

  // The attackers were cut off, each with a log line holding `line`; the
  // master and both of its workers (the same ones: a deadline costs no
  // worker) are alive.
  void ExpectCutOffAndPoolWhole(const std::string& line) {
    EXPECT_TRUE(WaitUntilClosed(seconds(3))) << "an attacker's connection is still open";
    // A worker closes the connection before it logs why (SocketConnection::
    // ReadRequest), so the last line may come a moment after the close.
    auto until = Clock::now() + seconds(3);
    while (CountOf(shoal_->Log(), line) < static_cast<size_t>(kAttackers) && Clock::now() < until) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    EXPECT_EQ(CountOf(shoal_->Log(), line), static_cast<size_t>(kAttackers))
        << "expected one line each: " << line;
    EXPECT_TRUE(shoal_->running());
    EXPECT_EQ(shoal_->WorkerPids(), workers_);
  }

  bool WaitUntilLogged(const std::string& part, seconds timeout) {
    auto until = Clock::now() + timeout;
    while (!Has(shoal_->Log(), part)) {
      if (Clock::now() > until) return false;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return true;
  }

  bool WaitUntilClosed(seconds timeout) {
    auto until = Clock::now() + timeout;
    for (;;) {
      bool all = true;
      for (const auto& attacker : attackers_) all = all && attacker->ClosedByServer();
      if (all) return true;
      if (Clock::now() > until) return false;
      std::this_thread::sleep_for(milliseconds(50));
    }
  }

  TempDir dir_{"shoal-hostile"};
  std::filesystem::path socket_ = dir_ / "shoal.sock";
  std::unique_ptr<ShoalProcess> shoal_;
  std::vector<pid_t> workers_;
  std::vector<std::unique_ptr<Attacker>> attackers_;
};

const milliseconds kAllowed = kDeadline + seconds(1);

TEST_F(HostileClientTest, IdleConnectionsAreClosedAtTheHeaderTimeout) {
  Start();
  Attack(Idle());
  EXPECT_LT(AnotherClientWaits("idle connections"), kAllowed);
  ExpectCutOffAndPoolWhole("fastcgi read of a request's head timed out (--header-timeout 2 s)");
}

TEST_F(HostileClientTest, AHeadTrickledAByteAtATimeIsClosedAtTheHeaderTimeout) {
  Start();
  // A byte every 100 ms: each read is well within any per-read timeout.
  Attack(Trickle(fastcgi::GetRequest("/", false), 1, milliseconds(100)));
  EXPECT_LT(AnotherClientWaits("a trickled head"), kAllowed);
  ExpectCutOffAndPoolWhole("fastcgi read of a request's head timed out (--header-timeout 2 s)");
}

TEST_F(HostileClientTest, ABodyTrickledBelowTheMinimumRateIsDropped) {
  Start();
  // One-byte STDIN records every 100 ms: 160 bytes a second on the wire,
  // under --min-rate's 500, though no wait comes near --body-timeout.
  std::string body;
  for (int i = 0; i < 1000; ++i) body += fastcgi::Record(5, "x");
  Attack([head = PostHead("/echo", 1000), body](int fd, const std::atomic<bool>& stop) {
    (void)send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    Trickle(body, 16, milliseconds(100))(fd, stop);
  });
  // Waiting allowed: 2 s plus 1 s per 500 bytes moved (0.32 s a second).
  EXPECT_LT(AnotherClientWaits("a trickled body"), kAllowed + seconds(1));
  ExpectCutOffAndPoolWhole("too slow (under --min-rate 500 bytes/s)");
}

TEST_F(HostileClientTest, ABodyThatStopsIsDroppedAtTheBodyTimeout) {
  Start();
  Attack(SendAndNeverRead(PostHead("/echo", 1000) + fastcgi::Record(5, "only this")));
  EXPECT_LT(AnotherClientWaits("a body that stops"), kAllowed);
  ExpectCutOffAndPoolWhole("timed out (--body-timeout 2 s)");
}

TEST_F(HostileClientTest, AClientThatNeverReadsItsResponseIsDroppedAtTheSendTimeout) {
  Start();
  Attack(SendAndNeverRead(fastcgi::GetRequest("/stream?mib=64", false)));
  EXPECT_LT(AnotherClientWaits("a response never read"), kAllowed);
  ExpectCutOffAndPoolWhole("fastcgi write timed out (--send-timeout 2 s)");
}

TEST_F(HostileClientTest, AManagementRecordFloodWithAnswersNeverReadEndsAtTheHeaderTimeout) {
  Start();
  Attack(Flood(fastcgi::GetValues({"FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"})));
  EXPECT_LT(AnotherClientWaits("a GET_VALUES flood"), kAllowed);
  ExpectCutOffAndPoolWhole("fastcgi write timed out (--header-timeout 2 s)");
}

TEST_F(HostileClientTest, ACpingFloodWithAnswersNeverReadEndsAtTheHeaderTimeout) {
  Start("ajp");
  Attack(Flood(std::string("\x12\x34\x00\x01\x0a", 5)));
  // The other client speaks AJP too: a CPING and its CPONG.
  auto start = Clock::now();
  Fd fd = fastcgi::ConnectUnix(socket_.string());
  ASSERT_EQ(send(fd.get(), "\x12\x34\x00\x01\x0a", 5, MSG_NOSIGNAL), 5);
  pollfd answered{fd.get(), POLLIN, 0};
  ASSERT_EQ(poll(&answered, 1, 15'000), 1);
  char pong[5];
  ASSERT_EQ(recv(fd.get(), pong, sizeof(pong), MSG_WAITALL), 5);
  EXPECT_EQ(std::string(pong, 5), std::string("AB\x00\x01\x09", 5));
  auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  std::cout << "[figure] a CPING flood: another client waited " << waited.count() << " ms\n";
  EXPECT_LT(waited, kAllowed);
  ExpectCutOffAndPoolWhole("ajp write timed out (--header-timeout 2 s)");
}

TEST_F(HostileClientTest, DeadlineLinesAreRateLimited) {
  Start("fastcgi", "0.05");
  const auto start = Clock::now();
  const std::string line = "timed out (--header-timeout 0.05 s)";
  auto count = [&](const std::string& part) {
    const std::string log = shoal_->Log();
    size_t lines = 0;
    for (size_t at = log.find(part); at != std::string::npos; at = log.find(part, at + 1)) ++lines;
    return lines;
  };
  // 100 idle connections: closed in about 2.5 s by the two workers, and
  // logged at most 10 times a worker in 10 s.
  std::vector<Fd> idle;
  for (int i = 0; i < 100; ++i) idle.push_back(fastcgi::ConnectUnix(socket_.string()));
  auto all_closed = [&] {
    for (const Fd& fd : idle) {
      char byte;
      if (recv(fd.get(), &byte, 1, MSG_DONTWAIT) != 0) return false;
    }
    return true;
  };
  while (!all_closed() && Clock::now() - start < seconds(9)) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_TRUE(all_closed()) << "idle connections still open after 9 s";
  EXPECT_GE(count(line), 10u);
  EXPECT_LE(count(line), 20u) << "deadline lines are not rate-limited";
  // The next period's first line says how many were held back.
  std::this_thread::sleep_until(start + seconds(11));
  std::vector<Fd> later;
  for (int i = 0; i < 2; ++i) later.push_back(fastcgi::ConnectUnix(socket_.string()));
  EXPECT_TRUE(WaitUntilLogged("more like it not logged", seconds(3)));
  EXPECT_TRUE(shoal_->running());
}

}  // namespace
}  // namespace shoal::tests
