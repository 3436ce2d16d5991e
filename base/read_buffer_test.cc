#include "base/read_buffer.h"

#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "base/unique_fd.h"

namespace shoal {
namespace {

struct SocketPair {
  SocketPair() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    writer = UniqueFd(fds[0]);
    reader = UniqueFd(fds[1]);
  }
  void Send(const std::string& data) {
    ASSERT_EQ(write(writer.get(), data.data(), data.size()), static_cast<ssize_t>(data.size()));
  }
  UniqueFd writer, reader;
};

TEST(ReadBufferTest, AppendsReadsAndConsumesFromTheFront) {
  SocketPair pair;
  ReadBuffer buffer;
  EXPECT_TRUE(buffer.empty());
  pair.Send("hello ");
  EXPECT_EQ(buffer.ReadFrom(pair.reader.get(), 64), 6);
  pair.Send("world");
  EXPECT_EQ(buffer.ReadFrom(pair.reader.get(), 64), 5);
  EXPECT_EQ(buffer.unread(), "hello world");
  buffer.Consume(6);
  EXPECT_EQ(buffer.unread(), "world");
  EXPECT_EQ(buffer.size(), 5u);
  buffer.Consume(5);
  EXPECT_TRUE(buffer.empty());
}

TEST(ReadBufferTest, KeepsUnreadBytesWhenItMovesOrGrows) {
  SocketPair pair;
  ReadBuffer buffer;
  std::string sent;
  // Chunks of 10 with some consumed each time: the block must move its
  // unread bytes to the front, and grow, without losing or reordering any.
  for (int i = 0; i < 50; ++i) {
    std::string piece(10, static_cast<char>('a' + i % 26));
    pair.Send(piece);
    sent += piece;
    ASSERT_EQ(buffer.ReadFrom(pair.reader.get(), 16), 10);
    if (i % 3 == 0) {
      buffer.Consume(7);
      sent.erase(0, 7);
    }
    ASSERT_EQ(buffer.unread(), sent) << "after chunk " << i;
  }
}

TEST(ReadBufferTest, ReportsEndOfStreamAndErrorsAsReadDoes) {
  SocketPair pair;
  ReadBuffer buffer;
  pair.writer.Reset();
  EXPECT_EQ(buffer.ReadFrom(pair.reader.get(), 64), 0);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.ReadFrom(-1, 64), -1);
  EXPECT_EQ(errno, EBADF);
}

}  // namespace
}  // namespace shoal
