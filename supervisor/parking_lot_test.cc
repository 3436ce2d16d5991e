#include "supervisor/parking_lot.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <gtest/gtest.h>

#include <thread>

namespace shoal::supervisor {
namespace {

using namespace std::chrono_literals;

// A connected pair: the connection to park, and the web server's end.
struct Pair {
  UniqueFd parked;
  UniqueFd peer;
};

Pair MakePair() {
  int fds[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

bool PeerSeesEof(int peer) {
  char byte;
  timeval tv{1, 0};
  setsockopt(peer, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return read(peer, &byte, 1) == 0;
}

class ParkingLotTest : public testing::Test {
 protected:
  UniqueFd epoll_{epoll_create1(EPOLL_CLOEXEC)};
};

TEST(HandoffTest, AConnectionCrossesTheChannelWithItsProtocol) {
  auto channel = MakeHandoffChannel();
  ASSERT_TRUE(channel.ok());
  auto [receive, send] = std::move(channel).value();
  Pair pair = MakePair();
  Result<bool> sent = SendConnection(send.get(), protocols::Protocol::kAjp, pair.parked.get());
  ASSERT_TRUE(sent.ok() && sent.value());
  pair.parked.Reset();  // the receiver's copy keeps the connection open

  auto got = ReceiveConnection(receive.get());
  ASSERT_TRUE(got.ok() && got.value());
  EXPECT_EQ(got.value()->protocol, protocols::Protocol::kAjp);
  ASSERT_EQ(write(got.value()->fd.get(), "hi", 2), 2);
  char buffer[2];
  ASSERT_EQ(read(pair.peer.get(), buffer, 2), 2);
  EXPECT_EQ(std::string(buffer, 2), "hi");

  auto nothing = ReceiveConnection(receive.get());
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing.value());
}

TEST_F(ParkingLotTest, ARequestArrivingTakesTheConnectionOut) {
  ParkingLot lot(epoll_.get(), 60s, 10);
  Pair pair = MakePair();
  int fd = pair.parked.get();
  lot.Park({protocols::Protocol::kFastCgi, std::move(pair.parked)});
  EXPECT_TRUE(lot.Holds(fd));
  ASSERT_EQ(write(pair.peer.get(), "\x01\x01", 2), 2);
  epoll_event event{};
  ASSERT_EQ(epoll_wait(epoll_.get(), &event, 1, 1000), 1);
  EXPECT_EQ(event.data.fd, fd);
  std::optional<HandedConnection> request = lot.OnReadable(fd);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->fd.get(), fd);
  EXPECT_FALSE(lot.Holds(fd));
}

TEST_F(ParkingLotTest, PeerCloseDropsTheConnection) {
  ParkingLot lot(epoll_.get(), 60s, 10);
  Pair pair = MakePair();
  int fd = pair.parked.get();
  lot.Park({protocols::Protocol::kFastCgi, std::move(pair.parked)});
  pair.peer.Reset();
  EXPECT_FALSE(lot.OnReadable(fd));
  EXPECT_EQ(lot.size(), 0u);
}

TEST_F(ParkingLotTest, AjpCpingIsAnsweredAndTheConnectionStays) {
  ParkingLot lot(epoll_.get(), 60s, 10);
  Pair pair = MakePair();
  int fd = pair.parked.get();
  lot.Park({protocols::Protocol::kAjp, std::move(pair.parked)});
  const char cping[] = {0x12, 0x34, 0x00, 0x01, 0x0A};
  ASSERT_EQ(write(pair.peer.get(), cping, 5), 5);
  EXPECT_FALSE(lot.OnReadable(fd));
  EXPECT_TRUE(lot.Holds(fd));
  char cpong[5];
  ASSERT_EQ(read(pair.peer.get(), cpong, 5), 5);
  EXPECT_EQ(std::string(cpong, 5), std::string("AB\x00\x01\x09", 5));
}

// How many times epoll reports `fd` readable right now.
int ReadyNow(int epoll_fd, int fd) {
  epoll_event events[8];
  int count = epoll_wait(epoll_fd, events, 8, 0);
  int ready = 0;
  for (int i = 0; i < count; ++i) ready += events[i].data.fd == fd;
  return ready;
}

TEST_F(ParkingLotTest, APartialCpingDoesNotWakeTheMasterAgainAndIsClosedAfterItsDeadline) {
  ParkingLot lot(epoll_.get(), 60s, 10);
  Pair pair = MakePair();
  int fd = pair.parked.get();
  lot.Park({protocols::Protocol::kAjp, std::move(pair.parked)});
  const char cping[] = {0x12, 0x34, 0x00, 0x01, 0x0A};
  ASSERT_EQ(write(pair.peer.get(), cping, 1), 1);
  ASSERT_EQ(ReadyNow(epoll_.get(), fd), 1);
  EXPECT_FALSE(lot.OnReadable(fd));
  // Watched edge-triggered from here, it may wake the loop once more for
  // the byte already there, and then not again: no spinning on it.
  if (ReadyNow(epoll_.get(), fd) == 1) {
    EXPECT_FALSE(lot.OnReadable(fd));
  }
  EXPECT_EQ(ReadyNow(epoll_.get(), fd), 0);
  EXPECT_EQ(ReadyNow(epoll_.get(), fd), 0);
  // The rest, in time: answered, and watched as before.
  ASSERT_EQ(write(pair.peer.get(), cping + 1, 4), 4);
  ASSERT_EQ(ReadyNow(epoll_.get(), fd), 1);
  EXPECT_FALSE(lot.OnReadable(fd));
  char cpong[5];
  ASSERT_EQ(read(pair.peer.get(), cpong, 5), 5);
  EXPECT_EQ(std::string(cpong, 5), std::string("AB\x00\x01\x09", 5));
  EXPECT_TRUE(lot.Holds(fd));
  // Another start of one, never finished: closed after the deadline.
  ASSERT_EQ(write(pair.peer.get(), cping, 2), 2);
  EXPECT_FALSE(lot.OnReadable(fd));
  auto now = ParkingLot::Clock::now();
  std::optional<ParkingLot::Clock::time_point> next = lot.ExpireIdle(now);
  ASSERT_TRUE(next);
  EXPECT_LE(*next, now + ParkingLot::kPartialTimeout);
  EXPECT_TRUE(lot.Holds(fd));
  lot.ExpireIdle(now + ParkingLot::kPartialTimeout + 1ms);
  EXPECT_FALSE(lot.Holds(fd));
  // Closed with the partial CPING unread: the peer sees a reset (or EOF).
  char byte;
  ssize_t got = read(pair.peer.get(), &byte, 1);
  EXPECT_TRUE(got == 0 || (got < 0 && errno == ECONNRESET)) << got << " " << errno;
}

TEST_F(ParkingLotTest, WhenFullTheOldestIsClosed) {
  ParkingLot lot(epoll_.get(), 60s, 2);
  Pair first = MakePair(), second = MakePair(), third = MakePair();
  lot.Park({protocols::Protocol::kFastCgi, std::move(first.parked)});
  lot.Park({protocols::Protocol::kFastCgi, std::move(second.parked)});
  lot.Park({protocols::Protocol::kFastCgi, std::move(third.parked)});
  EXPECT_EQ(lot.size(), 2u);
  EXPECT_TRUE(PeerSeesEof(first.peer.get()));
}

TEST_F(ParkingLotTest, IdleConnectionsExpire) {
  ParkingLot lot(epoll_.get(), 50ms, 10);
  Pair pair = MakePair();
  lot.Park({protocols::Protocol::kFastCgi, std::move(pair.parked)});
  auto start = ParkingLot::Clock::now();
  std::optional<ParkingLot::Clock::time_point> next = lot.ExpireIdle(start);
  ASSERT_TRUE(next);
  EXPECT_EQ(lot.size(), 1u);
  EXPECT_FALSE(lot.ExpireIdle(*next));  // nothing left to expire
  EXPECT_EQ(lot.size(), 0u);
  EXPECT_TRUE(PeerSeesEof(pair.peer.get()));
}

}  // namespace
}  // namespace shoal::supervisor
