#include "base/bind_address.h"

#include <gtest/gtest.h>

namespace shoal {
namespace {

TEST(BindAddressTest, ParsesUnixPath) {
  auto a = ParseBindAddress("unix:/tmp/s.sock");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a.value().kind, BindAddress::Kind::kUnix);
  EXPECT_EQ(a.value().path, "/tmp/s.sock");
  EXPECT_EQ(a.value().ToString(), "unix:/tmp/s.sock");
}

TEST(BindAddressTest, ParsesHostAndPort) {
  auto a = ParseBindAddress("localhost:8000");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value().kind, BindAddress::Kind::kTcp);
  EXPECT_EQ(a.value().host, "localhost");
  EXPECT_EQ(a.value().port, 8000);
}

TEST(BindAddressTest, BarePortMeansLoopback) {
  auto a = ParseBindAddress(":9000");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value().host, "127.0.0.1");
  EXPECT_EQ(a.value().port, 9000);
}

TEST(BindAddressTest, ParsesBracketedIpv6) {
  auto a = ParseBindAddress("[::1]:8009");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value().host, "::1");
  EXPECT_EQ(a.value().ToString(), "[::1]:8009");
}

TEST(BindAddressTest, RejectsMalformedAddresses) {
  for (const char* bad : {"nonsense", "unix:", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:0",
                          "127.0.0.1:80x", "::1:80", "[::1]80"}) {
    auto a = ParseBindAddress(bad);
    EXPECT_FALSE(a.ok()) << bad;
    if (!a.ok()) {
      EXPECT_NE(a.status().message().find(bad), std::string::npos);
    }
  }
}

TEST(BindAddressTest, ParsesInheritedFd) {
  auto a = ParseBindAddress("fd:3");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a.value().kind, BindAddress::Kind::kFd);
  EXPECT_EQ(a.value().fd, 3);
  EXPECT_EQ(a.value().ToString(), "fd:3");
  auto zero = ParseBindAddress("fd:0");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero.value().fd, 0);
}

TEST(BindAddressTest, RejectsMalformedFd) {
  for (const char* bad : {"fd:", "fd:-1", "fd:x", "fd:3x", "fd: 3"}) {
    auto a = ParseBindAddress(bad);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_NE(a.status().message().find("expected fd:N"), std::string::npos) << bad;
    EXPECT_NE(a.status().message().find(bad), std::string::npos) << bad;
  }
}

TEST(BindAddressTest, RejectsOverlongUnixPath) {
  auto a = ParseBindAddress("unix:/" + std::string(200, 'x'));
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("longer than"), std::string::npos);
}

}  // namespace
}  // namespace shoal
