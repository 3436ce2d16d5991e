#include "supervisor/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

namespace shoal::supervisor {
namespace {

std::filesystem::path TempSocketPath() {
  return std::filesystem::temp_directory_path() /
         ("shoal-listener-test-" + std::to_string(getpid()) + ".sock");
}

BindAddress Unix(const std::filesystem::path& path) {
  return ParseBindAddress("unix:" + path.string()).value();
}

TEST(ListenerTest, UnixSocketGetsTheModeAndIsRemovedOnDestruction) {
  std::filesystem::path path = TempSocketPath();
  {
    Result<Listener> listener = Listener::Bind(Unix(path), 0640, 16);
    ASSERT_TRUE(listener.ok()) << listener.status().message();
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0640u);
    EXPECT_EQ(listener.value().name(), "unix:" + path.string());
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ListenerTest, MovedFromListenerDoesNotRemoveTheSocket) {
  std::filesystem::path path = TempSocketPath();
  Result<Listener> listener = Listener::Bind(Unix(path), 0600, 16);
  ASSERT_TRUE(listener.ok());
  {
    Listener moved = std::move(listener.value());
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ListenerTest, TcpPortInUseNamesTheAddress) {
  // Hold a port with a plain socket, then ask for the same one.
  UniqueFd holder(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(holder.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(holder.get(), 4), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(getsockname(holder.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  std::string bind = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  Result<Listener> second = Listener::Bind(ParseBindAddress(bind).value(), 0, 16);

  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), "bind(" + bind + ") failed: Address already in use");
}

TEST(ListenerTest, ATcpListenerDefersAcceptUntilTheFirstBytes) {
  BindAddress any_port = ParseBindAddress("127.0.0.1:1").value();
  any_port.port = 0;  // the kernel picks a free one
  Result<Listener> listener = Listener::Bind(any_port, 0, 16);
  ASSERT_TRUE(listener.ok()) << listener.status().message();
  listener.value().DeferAccept(std::chrono::milliseconds(2500));
  int seconds = 0;
  socklen_t length = sizeof(seconds);
  ASSERT_EQ(getsockopt(listener.value().fd(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, &length), 0);
  EXPECT_GE(seconds, 3);  // rounded up (and by the kernel to its SYN-ACK retries)
}

TEST(ListenerTest, UnresolvableHostIsAnError) {
  Result<Listener> listener =
      Listener::Bind(ParseBindAddress("no-such-host.invalid:8000").value(), 0, 16);
  ASSERT_FALSE(listener.ok());
  EXPECT_NE(listener.status().message().find("no-such-host.invalid"), std::string::npos);
}

}  // namespace
}  // namespace shoal::supervisor
