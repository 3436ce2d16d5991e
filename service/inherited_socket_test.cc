#include "service/inherited_socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

namespace shoal::service {
namespace {

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A TCP socket on 127.0.0.1 (an ephemeral port), listening if `listen`.
UniqueFd LoopbackSocket(bool listen) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  if (listen) {
    EXPECT_EQ(::listen(fd.get(), 4), 0);
  }
  return fd;
}

TEST(InheritedSocketTest, AcceptsAListeningSocketAndSaysWhereItIsBound) {
  UniqueFd listening = LoopbackSocket(true);
  EXPECT_TRUE(CheckListening(listening.get(), "fd:9").ok());
  EXPECT_TRUE(DescribeSocket(listening.get()).starts_with("127.0.0.1:"))
      << DescribeSocket(listening.get());
}

TEST(InheritedSocketTest, SaysWhatAnFdIsInsteadOfAListeningSocket) {
  UniqueFd bound = LoopbackSocket(false);
  Status not_listening = CheckListening(bound.get(), "fd:7");
  ASSERT_FALSE(not_listening.ok());
  EXPECT_TRUE(Has(not_listening.message(), "fd:7 is a socket but not a listening one"))
      << not_listening.message();
  EXPECT_TRUE(Has(not_listening.message(), "--inetd")) << not_listening.message();

  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  Status pipe = CheckListening(read_end.get(), "fd:5");
  ASSERT_FALSE(pipe.ok());
  EXPECT_EQ(pipe.message(), "fd:5 is not a socket (it is a pipe)");

  int datagram_fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, datagram_fds), 0);
  UniqueFd a(datagram_fds[0]), b(datagram_fds[1]);
  Status datagram = CheckListening(a.get(), "fd:6");
  ASSERT_FALSE(datagram.ok());
  EXPECT_EQ(datagram.message(), "fd:6 is not a stream socket");

  int unused = read_end.Release();
  ::close(unused);
  Status closed = CheckListening(unused, "fd:" + std::to_string(unused));
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.message(), "fd:" + std::to_string(unused) + " is not open");
}

TEST(InheritedSocketTest, SocketActivationForThisProcessIsFdThreeAndIsUnset) {
  const std::string pid = std::to_string(::getpid());
  ::setenv("LISTEN_PID", pid.c_str(), 1);
  ::setenv("LISTEN_FDS", "1", 1);
  ::setenv("LISTEN_FDNAMES", "shoal.socket", 1);
  Result<std::optional<int>> one = TakeSocketActivation();
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(one.value(), std::optional<int>(3));
  EXPECT_EQ(std::getenv("LISTEN_PID"), nullptr);
  EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);
  EXPECT_EQ(std::getenv("LISTEN_FDNAMES"), nullptr);

  ::setenv("LISTEN_PID", pid.c_str(), 1);
  ::setenv("LISTEN_FDS", "2", 1);
  Result<std::optional<int>> two = TakeSocketActivation();
  ASSERT_FALSE(two.ok());
  EXPECT_TRUE(Has(two.status().message(), "systemd passed 2 sockets")) << two.status().message();
  EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);
}

TEST(InheritedSocketTest, SocketActivationForAnotherProcessIsIgnoredAndUnset) {
  ::setenv("LISTEN_PID", std::to_string(::getpid() + 1).c_str(), 1);
  ::setenv("LISTEN_FDS", "1", 1);
  Result<std::optional<int>> other = TakeSocketActivation();
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other.value().has_value());
  EXPECT_EQ(std::getenv("LISTEN_PID"), nullptr);
  ::unsetenv("LISTEN_PID");
  Result<std::optional<int>> none = TakeSocketActivation();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value().has_value());
}

TEST(InheritedSocketTest, AListenerOnStdinMovesOffItAndStdinBecomesDevNull) {
  UniqueFd saved_stdin(::fcntl(0, F_DUPFD_CLOEXEC, 3));
  ASSERT_TRUE(saved_stdin.valid());
  UniqueFd listening = LoopbackSocket(true);
  const std::string where = DescribeSocket(listening.get());
  ASSERT_EQ(::dup2(listening.get(), 0), 0);
  EXPECT_TRUE(StdinIsListening());

  Result<UniqueFd> adopted = AdoptInheritedFd(0);
  ASSERT_TRUE(adopted.ok()) << adopted.status().message();
  EXPECT_GT(adopted.value().get(), 2);
  EXPECT_EQ(DescribeSocket(adopted.value().get()), where);
  EXPECT_TRUE(::fcntl(adopted.value().get(), F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(::fcntl(adopted.value().get(), F_GETFD) & FD_CLOEXEC);
  struct stat st {};
  ASSERT_EQ(::fstat(0, &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));  // /dev/null
  EXPECT_FALSE(StdinIsListening());

  ASSERT_EQ(::dup2(saved_stdin.get(), 0), 0);
}

}  // namespace
}  // namespace shoal::service
