#include "protocols/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

namespace shoal::protocols {
namespace {

class ConnectionFactoryTest : public testing::Test {
 protected:
  // A connected pair: the shoal side (returned) and the web server's.
  UniqueFd Pair() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    peer_.Reset(fds[1]);
    return UniqueFd(fds[0]);
  }
  void Send(const std::string& bytes) {
    ASSERT_EQ(write(peer_.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  ConnectionConfig config_;
  UniqueFd peer_;
};

TEST_F(ConnectionFactoryTest, MakesTheConnectionOfTheProtocolAskedFor) {
  for (Protocol protocol : {Protocol::kFastCgi, Protocol::kScgi, Protocol::kAjp}) {
    UniqueFd fd = Pair();
    int raw = fd.get();
    std::unique_ptr<Connection> connection = MakeConnection(protocol, std::move(fd), config_);
    ASSERT_NE(connection, nullptr);
    EXPECT_EQ(connection->protocol(), protocol);
    EXPECT_EQ(connection->fd(), raw);
  }
}

TEST_F(ConnectionFactoryTest, DetectsTheProtocolFromTheFirstBytesAndLeavesThemToRead) {
  UniqueFd fd = Pair();
  const char kBlock[] = "CONTENT_LENGTH\0" "0\0" "SCGI\0" "1\0";
  std::string block(kBlock, sizeof(kBlock) - 1);
  Send(std::to_string(block.size()) + ":" + block + ",");
  Result<std::unique_ptr<Connection>> detected = DetectConnection(std::move(fd), config_);
  ASSERT_TRUE(detected.ok()) << detected.status().message();
  ASSERT_NE(detected.value(), nullptr);
  EXPECT_EQ(detected.value()->protocol(), Protocol::kScgi);
  Result<Incoming> incoming = detected.value()->ReadRequest();
  ASSERT_TRUE(incoming.ok()) << incoming.status().message();
  EXPECT_EQ(incoming.value(), Incoming::kRequest);
}

TEST_F(ConnectionFactoryTest, DetectionNamesUnknownBytesAndTakesAnEarlyCloseQuietly) {
  UniqueFd fd = Pair();
  Send("GET / HTTP/1.1\r\n");
  Result<std::unique_ptr<Connection>> unknown = DetectConnection(std::move(fd), config_);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "connection speaks no protocol shoal knows (first bytes 47 45); closed");

  fd = Pair();
  peer_.Reset();
  Result<std::unique_ptr<Connection>> closed = DetectConnection(std::move(fd), config_);
  ASSERT_TRUE(closed.ok()) << closed.status().message();
  EXPECT_EQ(closed.value(), nullptr);
}

}  // namespace
}  // namespace shoal::protocols
