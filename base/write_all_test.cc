#include "base/write_all.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string>
#include <thread>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace shoal
