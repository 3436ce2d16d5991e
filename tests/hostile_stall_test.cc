// Hostile clients and faults that stall rather than crash: a worker
// SIGSTOPped while idle (the master's heartbeat check), idle clients of the
// --stats socket, and a parked AJP connection that sends one byte of a CPING
// (the master must not spin on it).
//
// shoal runs alone here and is spoken to with raw sockets, as an attacker
// would. Bounds are generous against the wrong answer (which takes forever,
// or a whole core) and tight enough to tell it from the right one.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/fastcgi_client.h"
#include "support/loopback.h"
#include "support/paths.h"
#include "support/proc.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/text.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The body of a FastCGI response: its STDOUT records after the headers.
std::string Body(const std::string& wire) {
  std::string out;
  for (const auto& [type, content] : fastcgi::Records(wire)) {
    if (type == 6) out += content;
  }
  size_t end = out.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : out.substr(end + 4);
}

// Waits up to `timeout` for the peer to close `fd` (EOF or a reset),
// reading and dropping whatever else comes. Returns how long that took, or
// nullopt if `fd` was still open at the bound.
std::optional<Clock::duration> WaitForClose(int fd, milliseconds timeout,
                                            Clock::time_point since = Clock::now()) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd wait{fd, POLLIN, 0};
    if (poll(&wait, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    ssize_t n = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return Clock::now() - since;
  }
}

// shoal alone, on a unix socket or a loopback port, with raw clients.
class StallTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> extra) {
    std::vector<std::string> args = {"--app", "probe:app", "--chdir", AppsDir().string()};
    if (port_ == 0) {
      args.insert(args.end(), {"--bind", "unix:" + socket_.string()});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    shoal_ = std::make_unique<ShoalProcess>(args, dir_ / "shoal.log");
    if (port_ == 0) {
      ASSERT_TRUE(shoal_->WaitForSocket(socket_, seconds(15))) << shoal_->Log();
    } else {
      ASSERT_TRUE(shoal_->WaitForPort(port_, seconds(15))) << shoal_->Log();
    }
  }
  void TearDown() override {
    // A worker left stopped would outlive the test (TERM waits for CONT).
    for (pid_t pid : stopped_) kill(pid, SIGCONT);
    if (HasFailure() && shoal_) std::cerr << shoal_->Log();
  }
  Fd Connect() { return fastcgi::ConnectUnix(socket_.string()); }
  // (MSG_NOSIGNAL: a peer that shoal closed fails the test, not kills it.)
  static void Send(int fd, const std::string& bytes) {
    ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // One request on a new connection. Returns the response's body ("" if
  // none came within `timeout`).
  std::string Get(const std::string& uri, milliseconds timeout = seconds(5)) {
    Fd fd = Connect();
    if (!fd.valid()) return "";
    std::string request = fastcgi::GetRequest(uri, /*keep_conn=*/false);
    if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      return "";
    }
    return Body(fastcgi::ReadResponse(fd.get(), timeout));
  }
  // Two workers again, `victim` not among them, within a second of now
  // (its kill): replaced at once.
  void ExpectReplacedWithinASecond(pid_t victim) {
    const Clock::time_point killed = Clock::now();
    bool replaced = WaitUntil(seconds(1), [&] {
      std::vector<pid_t> now = shoal_->WorkerPids();
      return now.size() == 2 && std::find(now.begin(), now.end(), victim) == now.end();
    });
    EXPECT_TRUE(replaced) << "workers " << shoal_->WorkerPids().size() << " after "
                          << Seconds(Clock::now() - killed) << " s";
  }
  void Stop(pid_t pid) {
    ASSERT_EQ(kill(pid, SIGSTOP), 0);
    stopped_.push_back(pid);
  }

  TempDir dir_{"shoal-stall"};
  std::filesystem::path socket_ = dir_ / "shoal.sock";
  int port_ = 0;  // set before Start to serve on 127.0.0.1:port_ instead
  std::unique_ptr<ShoalProcess> shoal_;
  std::vector<pid_t> stopped_;
};

// ---------------------------------------------------------------- heartbeat

TEST_F(StallTest, IdleWorkerThatStopsIsKilledAndReplacedAndItsKeptConnectionClosed) {
  Start({"--workers", "2", "--heartbeat-timeout", "2"});
  ASSERT_TRUE(shoal_->WaitForWorkers(2, seconds(10)));
  // A kept connection, held by the worker that served it while it is idle.
  Fd kept = Connect();
  Send(kept.get(), fastcgi::GetRequest("/pid", /*keep_conn=*/true));
  const std::string pid_text = Body(fastcgi::ReadResponse(kept.get(), seconds(5)));
  ASSERT_FALSE(pid_text.empty());
  const pid_t victim = static_cast<pid_t>(std::stol(pid_text));
  const std::vector<pid_t> before = shoal_->WorkerPids();
  ASSERT_NE(std::find(before.begin(), before.end(), victim), before.end()) << pid_text;

  // Stopped only once back in its wait for work: stopped between the
  // response and that wait, its heartbeat would still be paused (0: judged
  // by --timeout alone), which is not the case under test.
  ASSERT_TRUE(WaitUntil(seconds(5), [&] { return WaitingInEpoll(victim); })) << pid_text;
  Stop(victim);
  const Clock::time_point stopped = Clock::now();

  // A new connection is served by the other worker at once, or, if its
  // wake-up went to the stopped one (EPOLLEXCLUSIVE wakes one waiter, and a
  // worker that the stop has not yet taken off its epoll's wait queue still
  // counts), by the stopped one's replacement: within the heartbeat timeout
  // (2 s), the master's check interval (0.5 s) and a second. Before the
  // heartbeat that client waited for the next connection to come along.
  auto asked = Clock::now();
  EXPECT_EQ(Get("/", seconds(6)), "Hello from probe\n");
  EXPECT_LT(Clock::now() - asked, milliseconds(3500));

  // The stopped worker's last beat was at most a second before the stop:
  // it is killed one to three seconds after it (2 s, checked every 0.5 s),
  // which closes the connection it held. (Before the heartbeat: never.)
  std::optional<Clock::duration> closed = WaitForClose(kept.get(), seconds(8), stopped);
  ASSERT_TRUE(closed) << "the kept connection of a stopped worker is still open after 8 s";
  EXPECT_GE(*closed, milliseconds(900));
  EXPECT_LE(*closed, milliseconds(3500)) << Seconds(*closed) << " s";
  ExpectReplacedWithinASecond(victim);
  EXPECT_FALSE(IsAlive(victim));
  const std::string log = shoal_->Log();
  EXPECT_TRUE(Has(log, "pid " + std::to_string(victim) + " idle and silent for ")) << log;
  EXPECT_TRUE(Has(log, "pid " + std::to_string(victim) +
                           " killed by signal 9 (Killed) after it stopped responding while idle; "
                           "respawning"))
      << log;
  EXPECT_FALSE(Has(log, "respawning in")) << "a replaced ready worker waits for no backoff";
  EXPECT_EQ(Get("/"), "Hello from probe\n");
  EXPECT_TRUE(shoal_->running());
}

// A worker stopped in the middle of a request: other clients are served by
// the other worker meanwhile, and --timeout (busy workers cannot beat) has
// it killed and replaced; the pool is back at size within a second of it.
TEST_F(StallTest, BusyWorkerThatStopsIsKilledAtTheTimeoutAndReplaced) {
  Start({"--workers", "2", "--timeout", "2"});
  ASSERT_TRUE(shoal_->WaitForWorkers(2, seconds(10)));
  const std::filesystem::path started = dir_ / "started";
  Fd busy = Connect();
  Send(busy.get(), fastcgi::GetRequest("/slow?seconds=20&started=" + started.string(), false));
  ASSERT_TRUE(WaitUntil(seconds(5), [&] { return std::filesystem::exists(started); }));
  // The busy one is the worker that is not answering /pid.
  const std::string other = Get("/pid");
  ASSERT_FALSE(other.empty());
  pid_t victim = 0;
  for (pid_t pid : shoal_->WorkerPids()) {
    if (pid != static_cast<pid_t>(std::stol(other))) victim = pid;
  }
  ASSERT_NE(victim, 0);
  Stop(victim);
  const Clock::time_point stopped = Clock::now();

  auto asked = Clock::now();
  EXPECT_EQ(Get("/"), "Hello from probe\n");
  EXPECT_LT(Clock::now() - asked, seconds(1)) << "the other worker did not serve at once";

  // Killed at --timeout (its request began at most a second before the stop).
  std::optional<Clock::duration> closed = WaitForClose(busy.get(), seconds(8), stopped);
  ASSERT_TRUE(closed) << "the stopped worker's request is still open after 8 s";
  EXPECT_LE(*closed, milliseconds(3500)) << Seconds(*closed) << " s";
  ExpectReplacedWithinASecond(victim);
  EXPECT_TRUE(Has(shoal_->Log(), "ran past --timeout")) << shoal_->Log();
  EXPECT_EQ(Get("/"), "Hello from probe\n");
  EXPECT_TRUE(shoal_->running());
}

TEST_F(StallTest, BusyOrReadingWorkersAreNotJudgedByTheirHeartbeat) {
  Start({"--workers", "1", "--heartbeat-timeout", "2"});
  ASSERT_TRUE(shoal_->WaitForWorkers(1, seconds(10)));
  ASSERT_EQ(Get("/"), "Hello from probe\n");
  const std::vector<pid_t> before = shoal_->WorkerPids();

  // A request running twice the heartbeat timeout: busy workers cannot beat
  // (that is --timeout's business).
  EXPECT_EQ(Get("/slow?seconds=4", seconds(10)), "slept\n");

  // A request whose head trickles in over twice the heartbeat timeout: the
  // worker is out of its wait, reading, and under the read deadlines.
  Fd slow = Connect();
  const std::string request = fastcgi::GetRequest("/", /*keep_conn=*/false);
  Send(slow.get(), request.substr(0, 20));
  std::this_thread::sleep_for(seconds(4));
  Send(slow.get(), request.substr(20));
  EXPECT_EQ(Body(fastcgi::ReadResponse(slow.get(), seconds(5))), "Hello from probe\n");

  EXPECT_EQ(shoal_->WorkerPids(), before);
  EXPECT_FALSE(Has(shoal_->Log(), "silent for"));
}

// ------------------------------------------------------------- stats socket

// Sends `request` on a new connection to the stats socket and reads the
// answer until the server closes. Returns it ("" if none came in `timeout`).
std::string QueryStats(const std::filesystem::path& path, const std::string& request,
                       milliseconds timeout) {
  Fd fd = fastcgi::ConnectUnix(path.string());
  if (!fd.valid()) return "";
  if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return "";
  }
  std::string answer;
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    pollfd wait{fd.get(), POLLIN, 0};
    if (left.count() <= 0 || poll(&wait, 1, static_cast<int>(left.count())) <= 0) return "";
    char buffer[65536];
    ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n <= 0) return answer;
    answer.append(buffer, static_cast<size_t>(n));
  }
}

TEST_F(StallTest, StatsSocketServesAQueryWhateverIdleClientsDoAndClosesThem) {
  const std::filesystem::path stats = dir_ / "stats.sock";
  Start({"--workers", "1", "--stats", "unix:" + stats.string()});
  ASSERT_TRUE(shoal_->WaitForSocket(stats, seconds(10)));

  // 100 clients that connect and send nothing (64 used to lock it out).
  std::vector<Fd> idle;
  for (int i = 0; i < 100; ++i) {
    idle.push_back(fastcgi::ConnectUnix(stats.string()));
    ASSERT_TRUE(idle.back().valid()) << "connection " << i;
  }
  const Clock::time_point connected = Clock::now();

  // A normal query is answered within a second plus the idle limit.
  auto asked = Clock::now();
  std::string answer = QueryStats(stats, "GET / HTTP/1.0\r\n\r\n", seconds(5));
  auto waited = Clock::now() - asked;
  EXPECT_TRUE(answer.starts_with("HTTP/1.0 200 OK\r\n")) << answer;
  EXPECT_TRUE(Has(answer, "\"workers\"")) << answer;
  EXPECT_LT(waited, seconds(3)) << Seconds(waited) << " s";

  // The server closes every one of them (the newest after about 2 s).
  for (size_t i = 0; i < idle.size(); ++i) {
    auto left = std::chrono::duration_cast<milliseconds>(connected + seconds(4) - Clock::now());
    ASSERT_TRUE(WaitForClose(idle[i].get(), std::max(left, milliseconds(0))))
        << "idle stats client " << i << " still open 4 s after connecting";
  }

  // One idle client alone is closed after about 2 s, not sooner.
  Fd lone = fastcgi::ConnectUnix(stats.string());
  ASSERT_TRUE(lone.valid());
  std::optional<Clock::duration> closed = WaitForClose(lone.get(), seconds(6));
  ASSERT_TRUE(closed) << "an idle stats client is still open after 6 s";
  EXPECT_GE(*closed, milliseconds(1500)) << Seconds(*closed) << " s";
  EXPECT_LE(*closed, milliseconds(3500)) << Seconds(*closed) << " s";

  // A client that sends half its request and stops is closed too, and the
  // socket still answers.
  Fd partial = fastcgi::ConnectUnix(stats.string());
  Send(partial.get(), "GET /met");
  closed = WaitForClose(partial.get(), seconds(6));
  ASSERT_TRUE(closed) << "a stats client with half a request is still open after 6 s";
  EXPECT_LE(*closed, milliseconds(3500)) << Seconds(*closed) << " s";
  EXPECT_TRUE(QueryStats(stats, "GET /metrics HTTP/1.0\r\n\r\n", seconds(5))
                  .starts_with("HTTP/1.0 200 OK\r\n"));
  EXPECT_TRUE(shoal_->running());
}

// ------------------------------------------------- partial CPING, parked

// Sends a whole AJP CPING on `fd` and reads its CPONG (within 5 s).
bool Cping(int fd) {
  const char cping[] = {0x12, 0x34, 0x00, 0x01, 0x0A};
  if (send(fd, cping, sizeof(cping), MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof(cping))) {
    return false;
  }
  std::string reply;
  const Clock::time_point deadline = Clock::now() + seconds(5);
  while (reply.size() < 5 && Clock::now() < deadline) {
    pollfd wait{fd, POLLIN, 0};
    if (poll(&wait, 1, 100) <= 0) continue;
    char buffer[5];
    ssize_t n = recv(fd, buffer, 5 - reply.size(), MSG_DONTWAIT);
    if (n <= 0) return false;
    reply.append(buffer, static_cast<size_t>(n));
  }
  return reply == std::string("AB\x00\x01\x09", 5);
}

TEST_F(StallTest, ParkedAjpConnectionWithHalfACpingCostsTheMasterNoCpuAndIsClosed) {
  port_ = FindFreeLoopbackPort();
  Start({"--protocol", "ajp", "--bind", "127.0.0.1:" + std::to_string(port_), "--workers", "1"});
  ASSERT_TRUE(shoal_->WaitForWorkers(1, seconds(10)));

  // The one worker answers a CPING on `parked` and holds it while idle;
  // a second connection makes it park `parked` with the master first.
  Fd parked = ConnectLoopback(port_, seconds(5));
  ASSERT_TRUE(parked.valid());
  ASSERT_TRUE(Cping(parked.get()));
  Fd other = ConnectLoopback(port_, seconds(5));
  ASSERT_TRUE(other.valid());
  ASSERT_TRUE(Cping(other.get()));
  // The master answers CPINGs on parked connections itself.
  ASSERT_TRUE(Cping(parked.get()));

  // One byte of the next CPING, and nothing more.
  const char first_byte = 0x12;
  ASSERT_EQ(send(parked.get(), &first_byte, 1, MSG_NOSIGNAL), 1);
  const Clock::time_point sent = Clock::now();
  const std::optional<milliseconds> cpu_before = CpuTime(shoal_->pid());
  ASSERT_TRUE(cpu_before);

  std::optional<Clock::duration> closed = WaitForClose(parked.get(), milliseconds(2900), sent);
  std::this_thread::sleep_until(sent + seconds(3));
  const std::optional<milliseconds> cpu_after = CpuTime(shoal_->pid());
  ASSERT_TRUE(cpu_after);
  if (!closed) closed = WaitForClose(parked.get(), seconds(2), sent);

  // A spinning master uses the whole 3 s.
  EXPECT_LT(*cpu_after - *cpu_before, milliseconds(100))
      << "the master used " << (*cpu_after - *cpu_before).count() << " ms of CPU in 3 s";
  ASSERT_TRUE(closed) << "the connection with half a CPING is still open after 5 s";
  EXPECT_GE(*closed, milliseconds(1500)) << Seconds(*closed) << " s";
  EXPECT_LE(*closed, milliseconds(3500)) << Seconds(*closed) << " s";
  EXPECT_TRUE(Has(shoal_->Log(), "sent part of a CPING and not the rest within 2 s; closed"));
  // The rest of shoal is unaffected.
  EXPECT_TRUE(Cping(other.get()));
  EXPECT_TRUE(shoal_->running());
}

}  // namespace
}  // namespace shoal::tests
