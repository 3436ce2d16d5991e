#include "service/web_server_addrs.h"

#include <arpa/inet.h>
#include <sys/un.h>

#include <cstdlib>

#include <gtest/gtest.h>

namespace shoal::service {
namespace {

sockaddr_storage V4(const char* text) {
  sockaddr_storage peer{};
  auto& v4 = reinterpret_cast<sockaddr_in&>(peer);
  v4.sin_family = AF_INET;
  inet_pton(AF_INET, text, &v4.sin_addr);
  return peer;
}

sockaddr_storage V6(const char* text) {
  sockaddr_storage peer{};
  auto& v6 = reinterpret_cast<sockaddr_in6&>(peer);
  v6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, text, &v6.sin6_addr);
  return peer;
}

TEST(WebServerAddrsTest, AllowsListedAddressesOnly) {
  auto addrs = WebServerAddrs::Parse("127.0.0.1, 10.0.0.5,::1");
  ASSERT_TRUE(addrs.ok()) << addrs.status().message();
  EXPECT_TRUE(addrs.value().Allows(V4("127.0.0.1")));
  EXPECT_TRUE(addrs.value().Allows(V4("10.0.0.5")));
  EXPECT_FALSE(addrs.value().Allows(V4("127.0.0.2")));
  EXPECT_TRUE(addrs.value().Allows(V6("::1")));
  EXPECT_FALSE(addrs.value().Allows(V6("::2")));
  EXPECT_EQ(addrs.value().ToString(), "127.0.0.1, 10.0.0.5, ::1");
}

TEST(WebServerAddrsTest, MatchesAnIpv4PeerOnAnIpv6Listener) {
  auto addrs = WebServerAddrs::Parse("10.0.0.5");
  ASSERT_TRUE(addrs.ok());
  EXPECT_TRUE(addrs.value().Allows(V6("::ffff:10.0.0.5")));
  EXPECT_FALSE(addrs.value().Allows(V6("::ffff:10.0.0.6")));
}

TEST(WebServerAddrsTest, UnixPeersAreNotChecked) {
  auto addrs = WebServerAddrs::Parse("127.0.0.1");
  ASSERT_TRUE(addrs.ok());
  sockaddr_storage peer{};
  peer.ss_family = AF_UNIX;
  EXPECT_TRUE(addrs.value().Allows(peer));
}

TEST(WebServerAddrsTest, RejectsWhatIsNotAnAddress) {
  for (const char* bad : {"localhost", "127.0.0.1,", "1.2.3", "127.0.0.1;10.0.0.1", "::1,nope"}) {
    auto addrs = WebServerAddrs::Parse(bad);
    ASSERT_FALSE(addrs.ok()) << bad;
    EXPECT_NE(addrs.status().message().find("FCGI_WEB_SERVER_ADDRS: '"), std::string::npos);
    EXPECT_NE(addrs.status().message().find("is not an IPv4 or IPv6 address"), std::string::npos);
  }
}

TEST(WebServerAddrsTest, UnsetOrEmptyMeansEveryone) {
  unsetenv(WebServerAddrs::kVariable);
  auto unset = WebServerAddrs::FromEnvironment();
  ASSERT_TRUE(unset.ok());
  EXPECT_FALSE(unset.value().has_value());
  setenv(WebServerAddrs::kVariable, " ", 1);
  auto empty = WebServerAddrs::FromEnvironment();
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty.value().has_value());
  setenv(WebServerAddrs::kVariable, "192.168.1.1", 1);
  auto set = WebServerAddrs::FromEnvironment();
  ASSERT_TRUE(set.ok());
  ASSERT_TRUE(set.value().has_value());
  EXPECT_TRUE(set.value()->Allows(V4("192.168.1.1")));
  unsetenv(WebServerAddrs::kVariable);
}

}  // namespace
}  // namespace shoal::service
