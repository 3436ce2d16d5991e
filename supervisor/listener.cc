#include "supervisor/listener.h"

#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace shoal::supervisor {
namespace {

sockaddr_un UnixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);  // length checked by the parser
  return addr;
}

// Clears the way for binding `path`: removes a stale socket file, refuses a
// live one or a file that is not a socket.
Status RemoveStaleSocket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? Status::Ok() : PosixError("stat(" + path + ")", errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Status::Error("cannot bind unix:" + path + ": the path exists and is not a socket");
  }
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe.valid()) return PosixError("socket(AF_UNIX)", errno);
  sockaddr_un addr = UnixAddress(path);
  if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    return Status::Error("cannot bind unix:" + path +
                         ": Address already in use (another process is listening on it)");
  }
  if (errno != ECONNREFUSED) return PosixError("connect(unix:" + path + ")", errno);
  if (::unlink(path.c_str()) != 0) return PosixError("unlink(" + path + ")", errno);
  return Status::Ok();
}

}  // namespace

Result<Listener> Listener::Bind(const BindAddress& address, unsigned socket_mode,
                                int backlog, service::FileOwner owner) {
  if (address.kind == BindAddress::Kind::kFd) {
    return Status::Error("cannot bind " + address.ToString() + ": an inherited socket is taken, "
                         "not bound (Listener::Inherit)");
  }
  Listener listener;
  listener.name_ = address.ToString();
  const std::string& name = listener.name_;

  if (address.kind == BindAddress::Kind::kUnix) {
    Status cleared = RemoveStaleSocket(address.path);
    if (!cleared.ok()) return cleared;
    listener.fd_.Reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!listener.fd_.valid()) return PosixError("socket(AF_UNIX)", errno);
    // Bind a temporary name, set its mode, listen, then rename it into
    // place: the socket appears whole, already accepting, with its mode, so
    // a web server never finds it refusing connections or too open.
    std::string temporary = address.path + ".new" + std::to_string(::getpid());
    if (temporary.size() >= sizeof(sockaddr_un::sun_path)) temporary = address.path;
    ::unlink(temporary.c_str());
    sockaddr_un addr = UnixAddress(temporary);
    if (::bind(listener.fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return PosixError("bind(" + name + ")", errno);
    }
    Status placed;
    if (::chmod(temporary.c_str(), socket_mode) != 0) {
      placed = PosixError("chmod(" + temporary + ")", errno);
    } else if (!owner.empty() && ::chown(temporary.c_str(), owner.uid, owner.gid) != 0) {
      placed = PosixError("chown(" + temporary + ", " + std::to_string(static_cast<int>(owner.uid)) +
                              ", " + std::to_string(static_cast<int>(owner.gid)) + ")",
                          errno);
    } else if (::listen(listener.fd_.get(), backlog) != 0) {
      placed = PosixError("listen(" + name + ")", errno);
    } else if (::rename(temporary.c_str(), address.path.c_str()) != 0) {
      placed = PosixError("rename(" + temporary + ", " + address.path + ")", errno);
    }
    if (!placed.ok()) {
      ::unlink(temporary.c_str());
      return placed;
    }
    listener.OwnSocketFile(address.path);
    return listener;
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    std::string port = std::to_string(address.port);
    int rc = ::getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) {
      return Status::Error("cannot resolve '" + address.host + "': " + ::gai_strerror(rc));
    }
    // Prefer IPv4 when a name has both (localhost), as users expect 127.0.0.1.
    const addrinfo* chosen = found;
    for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
      if (ai->ai_family == AF_INET) {
        chosen = ai;
        break;
      }
    }
    listener.fd_.Reset(
        ::socket(chosen->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    int saved_errno = errno;
    if (listener.fd_.valid()) {
      int on = 1;
      ::setsockopt(listener.fd_.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
      if (::bind(listener.fd_.get(), chosen->ai_addr, chosen->ai_addrlen) != 0) {
        saved_errno = errno;
        listener.fd_.Reset();
      }
    }
    ::freeaddrinfo(found);
    if (!listener.fd_.valid()) return PosixError("bind(" + name + ")", saved_errno);
  }
  if (::listen(listener.fd_.get(), backlog) != 0) {
    return PosixError("listen(" + name + ")", errno);
  }
  return listener;
}

void Listener::DeferAccept(std::chrono::milliseconds timeout) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      (address.ss_family != AF_INET && address.ss_family != AF_INET6)) {
    return;
  }
  int seconds = static_cast<int>(std::chrono::ceil<std::chrono::seconds>(timeout).count());
  ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, sizeof(seconds));
}

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    RemoveSocketFile();
    fd_ = std::move(other.fd_);
    name_ = std::move(other.name_);
    unix_path_ = std::exchange(other.unix_path_, std::string());
    owner_pid_ = std::exchange(other.owner_pid_, -1);
    dev_ = other.dev_;
    ino_ = other.ino_;
  }
  return *this;
}

Listener Listener::Adopt(UniqueFd fd, const std::optional<BindAddress>& address) {
  Listener listener;
  listener.fd_ = std::move(fd);
  if (!address || address->kind == BindAddress::Kind::kFd) {
    listener.name_ = "fd:" + std::to_string(listener.fd_.get()) + " (" +
                     service::DescribeSocket(listener.fd_.get()) + ")";
    return listener;
  }
  listener.name_ = address->ToString();
  if (address->kind == BindAddress::Kind::kUnix) listener.OwnSocketFile(address->path);
  return listener;
}

Result<Listener> Listener::Inherit(int fd, const std::string& origin) {
  if (Status listening = service::CheckListening(fd, origin); !listening.ok()) return listening;
  Result<UniqueFd> adopted = service::AdoptInheritedFd(fd);
  if (!adopted.ok()) return adopted.status();
  Listener listener;
  listener.fd_ = std::move(adopted).value();
  listener.name_ = origin + " (" + service::DescribeSocket(listener.fd_.get()) + ")";
  return listener;
}

bool Listener::tcp() const {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  return getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
         (address.ss_family == AF_INET || address.ss_family == AF_INET6);
}

Listener::~Listener() { RemoveSocketFile(); }

bool Listener::reachable_from_outside() const {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) return false;
  if (address.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    return (ntohl(v4->sin_addr.s_addr) >> 24) != 127;
  }
  if (address.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    return !IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
  }
  return false;  // a unix socket
}

void Listener::OwnSocketFile(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  std::error_code ignored;
  unix_path_ = std::filesystem::absolute(path, ignored).lexically_normal().string();
  if (unix_path_.empty()) unix_path_ = path;
  owner_pid_ = ::getpid();
  dev_ = st.st_dev;
  ino_ = st.st_ino;
}

void Listener::RemoveSocketFile() {
  if (unix_path_.empty() || owner_pid_ != ::getpid()) return;
  struct stat st {};
  if (::lstat(unix_path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) {
    ::unlink(unix_path_.c_str());
  }
  unix_path_.clear();
}

}  // namespace shoal::supervisor
