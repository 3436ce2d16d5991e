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

TEST(BindAddressTest, AnAddressWithASchemeNamesTheAcceptedForms) {
  for (const char* bad : {"tcp://127.0.0.1:9000", "unix:///tmp/a.sock:1"}) {
    auto a = ParseBindAddress(bad);
    if (std::string(bad).starts_with("unix:")) {
      ASSERT_TRUE(a.ok()) << bad;  // unix: takes any path, even one with "//" in it
      continue;
    }
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_EQ(a.status().message(),
              std::string("invalid bind address '") + bad +
                  "': expected unix:PATH, HOST:PORT, [IPv6]:PORT, :PORT or fd:N, without a "
                  "scheme such as tcp://");
  }
  auto none = ParseBindAddress("app.sock");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(), "invalid bind address 'app.sock': expected unix:PATH, "
                                     "HOST:PORT, [IPv6]:PORT, :PORT or fd:N");
  auto bare_ipv6 = ParseBindAddress("::1:9000");
  ASSERT_FALSE(bare_ipv6.ok());
  EXPECT_EQ(bare_ipv6.status().message(),
            "invalid bind address '::1:9000': write an IPv6 host in brackets, as [::1]:PORT "
            "(forms: unix:PATH, HOST:PORT, [IPv6]:PORT, :PORT or fd:N)");
}

}  // namespace
}  // namespace shoal
