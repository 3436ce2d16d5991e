#include "service/inherited_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace shoal::service {
namespace {

// A decimal environment variable, or nullopt if unset or not a number.
std::optional<long> NumberFromEnvironment(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr) return std::nullopt;
  std::string_view value(text);
  long number = 0;
  auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || err != std::errc() || end != value.data() + value.size()) {
    return std::nullopt;
  }
  return number;
}

}  // namespace

Result<std::optional<int>> TakeSocketActivation() {
  std::optional<long> pid = NumberFromEnvironment("LISTEN_PID");
  std::optional<long> count = NumberFromEnvironment("LISTEN_FDS");
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  if (!pid || !count || *pid != ::getpid() || *count <= 0) return std::optional<int>();
  if (*count > 1) {
    return Status::Error("systemd passed " + std::to_string(*count) +
                         " sockets (LISTEN_FDS); shoal serves one: give its .socket unit "
                         "one Listen line");
  }
  constexpr int kSdListenFdsStart = 3;
  return std::optional<int>(kSdListenFdsStart);
}

Status CheckListening(int fd, const std::string& what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    if (errno == EBADF) return Status::Error(what + " is not open");
    return PosixError("fstat(" + what + ")", errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Status::Error(what + " is not a socket (it is a " +
                         (S_ISREG(st.st_mode)    ? "regular file"
                          : S_ISFIFO(st.st_mode) ? "pipe"
                          : S_ISCHR(st.st_mode)  ? "character device"
                          : S_ISDIR(st.st_mode)  ? "directory"
                                                 : "file") +
                         ")");
  }
  int type = 0;
  socklen_t length = sizeof(type);
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0) {
    return PosixError("getsockopt(" + what + ", SO_TYPE)", errno);
  }
  if (type != SOCK_STREAM) return Status::Error(what + " is not a stream socket");
  int listening = 0;
  length = sizeof(listening);
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0) {
    return PosixError("getsockopt(" + what + ", SO_ACCEPTCONN)", errno);
  }
  if (!listening) {
    return Status::Error(what + " is a socket but not a listening one (a connection, as inetd "
                                "passes? then use --inetd)");
  }
  return Status::Ok();
}

bool StdinIsListening() { return CheckListening(0, "fd:0").ok(); }

std::string DescribeSocket(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "unknown";
  char text[INET6_ADDRSTRLEN] = {};
  switch (address.ss_family) {
    case AF_UNIX: {
      auto* un = reinterpret_cast<sockaddr_un*>(&address);
      if (length <= offsetof(sockaddr_un, sun_path) || un->sun_path[0] == '\0') {
        return "unix:(unnamed)";
      }
      return "unix:" + std::string(un->sun_path, strnlen(un->sun_path, sizeof(un->sun_path)));
    }
    case AF_INET: {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
      ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
      return std::string(text) + ":" + std::to_string(ntohs(v4->sin_port));
    }
    case AF_INET6: {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
      ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
      return "[" + std::string(text) + "]:" + std::to_string(ntohs(v6->sin6_port));
    }
    default:
      return "unknown";
  }
}

Status ReopenOnDevNull(int fd) {
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null.valid()) return PosixError("open(/dev/null)", errno);
  if (::dup2(null.get(), fd) < 0) return PosixError("dup2(/dev/null, " + std::to_string(fd) + ")", errno);
  return Status::Ok();
}

Result<UniqueFd> AdoptInheritedFd(int fd) {
  UniqueFd owned;
  if (fd == 0) {
    owned.Reset(::fcntl(0, F_DUPFD_CLOEXEC, 3));
    if (!owned.valid()) return PosixError("fcntl(0, F_DUPFD_CLOEXEC)", errno);
    if (Status reopened = ReopenOnDevNull(0); !reopened.ok()) return reopened;
  } else {
    owned.Reset(fd);
    if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return PosixError("fcntl(F_SETFD)", errno);
  }
  int flags = ::fcntl(owned.get(), F_GETFL);
  if (flags < 0 || ::fcntl(owned.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return PosixError("fcntl(O_NONBLOCK)", errno);
  }
  return owned;
}

bool SameFile(int a, int b) {
  struct stat sa {}, sb {};
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace shoal::service
