#include "service/readiness.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace shoal::service {
namespace {

// A unix datagram socket bound at a fresh path (or abstract name), as
// systemd's notify socket is.
class NotifySocket {
 public:
  explicit NotifySocket(bool abstract = false) {
    fd_.Reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    path_ = (abstract ? "@shoal-readiness-test-" : "/tmp/shoal-readiness-test-") +
            std::to_string(getpid());
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path_.copy(address.sun_path, path_.size());
    if (abstract) address.sun_path[0] = '\0';
    unlink(path_.c_str());
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path_.size() +
                                               (abstract ? 0 : 1));
    EXPECT_EQ(bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
    timeval timeout{2, 0};
    setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~NotifySocket() {
    if (path_[0] == '/') unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }
  // The next datagram, or "" after 2 s.
  std::string Receive() {
    char buffer[512];
    ssize_t n = recv(fd_.get(), buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
  }
  // True if a datagram is waiting.
  bool HasMore() {
    char byte;
    return recv(fd_.get(), &byte, 1, MSG_DONTWAIT | MSG_PEEK) >= 0;
  }

 private:
  UniqueFd fd_;
  std::string path_;
};

TEST(ReadinessTest, ReadyWritesOneNewlineToTheFdThenClosesIt) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  UniqueFd read_end(pipe_fds[0]);
  Readiness readiness(UniqueFd(pipe_fds[1]), "");
  EXPECT_TRUE(readiness.wanted());
  EXPECT_EQ(readiness.pending_fd(), pipe_fds[1]);
  readiness.Ready("serving");
  readiness.Ready("serving again");  // once only
  EXPECT_EQ(readiness.pending_fd(), -1);
  char buffer[8];
  EXPECT_EQ(read(read_end.get(), buffer, sizeof(buffer)), 1);  // the newline...
  EXPECT_EQ(buffer[0], '\n');
  EXPECT_EQ(read(read_end.get(), buffer, sizeof(buffer)), 0);  // ...then EOF: closed
}

TEST(ReadinessTest, NotifySocketGetsReadyReloadingReadyStopping) {
  NotifySocket socket;
  Readiness readiness(UniqueFd(), socket.path());
  EXPECT_TRUE(readiness.wanted());
  readiness.Ready("serving probe:app");
  EXPECT_EQ(socket.Receive(), "READY=1\nSTATUS=serving probe:app");
  readiness.Ready("twice");
  EXPECT_FALSE(socket.HasMore());
  readiness.Reloading();
  std::string reloading = socket.Receive();
  EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
  EXPECT_GT(std::strtoll(reloading.c_str() + reloading.find('=', 12) + 1, nullptr, 10), 0);
  EXPECT_FALSE(readiness.told_ready());
  readiness.Ready("reloaded");
  EXPECT_EQ(socket.Receive(), "READY=1\nSTATUS=reloaded");
  readiness.Stopping();
  EXPECT_EQ(socket.Receive(), "STOPPING=1");
}

TEST(ReadinessTest, AbstractNotifySocketIsReached) {
  NotifySocket socket(/*abstract=*/true);
  ASSERT_TRUE(SdNotify(socket.path(), "READY=1").ok());
  EXPECT_EQ(socket.Receive(), "READY=1");
}

TEST(ReadinessTest, NotifyFailuresAreErrorsNamingTheSocket) {
  Status relative = SdNotify("relative/path", "READY=1");
  EXPECT_FALSE(relative.ok());
  EXPECT_NE(relative.message().find("relative/path"), std::string::npos);
  Status missing = SdNotify("/nonexistent/notify.sock", "READY=1");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("sendto(/nonexistent/notify.sock)"), std::string::npos)
      << missing.message();
}

TEST(ReadinessTest, NobodyToTellIsNotWanted) {
  Readiness readiness;
  EXPECT_FALSE(readiness.wanted());
  readiness.Ready("x");  // does nothing, fails nothing
  EXPECT_TRUE(readiness.told_ready());
}

TEST(ReadinessTest, TakeReadyFdRefusesAClosedFdAndMarksAnOpenOneCloseOnExec) {
  Result<UniqueFd> closed = TakeReadyFd(987);
  ASSERT_FALSE(closed.ok());
  EXPECT_NE(closed.status().message().find("--ready-fd 987: fd 987 is not open"),
            std::string::npos)
      << closed.status().message();
  int fd = dup(0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fcntl(fd, F_SETFD, 0), 0);
  Result<UniqueFd> taken = TakeReadyFd(fd);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken.value().get(), fd);
  EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

}  // namespace
}  // namespace shoal::service
