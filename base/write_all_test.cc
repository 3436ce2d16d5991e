#include "base/write_all.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "base/await_fd.h"
#include "base/unique_fd.h"

namespace shoal {
namespace {

TEST(WriteAllTest, WritesEveryPartInOrderAcrossPartialWrites) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  UniqueFd writer(fds[0]), reader(fds[1]);
  // Far more than a socket buffer holds, so writev returns short.
  std::string head = "head:", body(3 << 20, 'b'), tail = ":tail";
  body[12345] = 'x';
  std::string received;
  std::thread read_all([&] {
    char buffer[65536];
    ssize_t got;
    while ((got = read(reader.get(), buffer, sizeof(buffer))) > 0) received.append(buffer, got);
  });
  iovec parts[4] = {{head.data(), head.size()}, {nullptr, 0}, {body.data(), body.size()},
                    {tail.data(), tail.size()}};
  EXPECT_EQ(WriteAll(writer.get(), parts, 4), 0);
  writer.Reset();
  read_all.join();
  EXPECT_EQ(received, head + body + tail);
}

TEST(WriteAllTest, ReturnsTheErrnoOfAFailedWrite) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  UniqueFd writer(fds[0]), reader(fds[1]);
  reader.Reset();
  std::signal(SIGPIPE, SIG_IGN);  // as shoal runs: EPIPE, not a signal
  std::string data = "lost";
  iovec part = {data.data(), data.size()};
  EXPECT_EQ(WriteAll(writer.get(), &part, 1), EPIPE);
}

TEST(WriteAllTest, ResumesAfterEagainOnANonBlockingSocket) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  UniqueFd writer(fds[0]), reader(fds[1]);
  std::string head = "head:", body(1 << 20, 'b'), tail = ":tail";
  body[777] = 'x';
  iovec parts[3] = {{head.data(), head.size()}, {body.data(), body.size()},
                    {tail.data(), tail.size()}};
  std::string received;
  int calls = 0;
  for (int error = EAGAIN; error == EAGAIN; ++calls) {
    error = WriteAll(writer.get(), parts, 3);
    ASSERT_TRUE(error == 0 || error == EAGAIN) << error;
    char buffer[65536];
    ssize_t got;
    while ((got = read(reader.get(), buffer, sizeof(buffer))) > 0) received.append(buffer, got);
  }
  EXPECT_GT(calls, 1);  // the socket's buffer really did fill
  EXPECT_EQ(received, head + body + tail);
}

TEST(AwaitFdTest, ReadyAtOnceOrTimedOutAtTheDeadline) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  UniqueFd one(fds[0]), other(fds[1]);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(AwaitFd(one.get(), POLLIN, start + std::chrono::milliseconds(100)), ETIMEDOUT);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
  EXPECT_EQ(AwaitFd(one.get(), POLLOUT, start + std::chrono::seconds(5)), 0);
  ASSERT_EQ(write(other.get(), "x", 1), 1);
  EXPECT_EQ(AwaitFd(one.get(), POLLIN, std::chrono::steady_clock::now() + std::chrono::seconds(5)), 0);
  // A deadline already past is a timeout without a wait.
  EXPECT_EQ(AwaitFd(one.get(), POLLIN, start), ETIMEDOUT);
}

}  // namespace
}  // namespace shoal
