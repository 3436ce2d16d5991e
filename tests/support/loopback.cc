#include "support/loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace shoal::tests {
namespace {

[[noreturn]] void ThrowErrno(const std::string& call) {
  throw std::runtime_error(call + " failed: " + std::strerror(errno));
}

sockaddr_in LoopbackAddress(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

}  // namespace

LoopbackListener::LoopbackListener(int port) {
  fd_ = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd_.valid()) ThrowErrno("socket(AF_INET)");
  sockaddr_in address = LoopbackAddress(port);
  if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ThrowErrno("bind(127.0.0.1:" + std::to_string(port) + ")");
  }
  if (::listen(fd_.get(), 16) != 0) ThrowErrno("listen()");
  socklen_t length = sizeof address;
  if (::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ThrowErrno("getsockname()");
  }
  port_ = ntohs(address.sin_port);
}

Fd LoopbackListener::Accept(std::chrono::milliseconds timeout) {
  pollfd waiting{fd_.get(), POLLIN, 0};
  if (::poll(&waiting, 1, static_cast<int>(timeout.count())) != 1) return Fd();
  return Fd(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
}

int FindFreeLoopbackPort() { return LoopbackListener(0).port(); }

bool IsListeningOnLoopback(int port) {
  // Lines read "sl local_address rem_address st ...", addresses as hex
  // "0100007F:1F90" (127.0.0.1:8080 in host order); st 0A is LISTEN.
  std::ostringstream local;
  local << "0100007F:" << std::uppercase << std::hex;
  local.width(4);
  local.fill('0');
  local << port;
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the column names
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local_address, remote_address, state;
    fields >> slot >> local_address >> remote_address >> state;
    if (local_address == local.str() && state == "0A") return true;
  }
  return false;
}

Fd ConnectLoopback(int port, std::chrono::milliseconds timeout) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) ThrowErrno("socket(AF_INET)");
  sockaddr_in address = LoopbackAddress(port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    return fd;
  }
  if (errno != EINPROGRESS) return Fd();
  pollfd waiting{fd.get(), POLLOUT, 0};
  if (::poll(&waiting, 1, static_cast<int>(timeout.count())) != 1) return Fd();
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
    return Fd();
  }
  return fd;
}

}  // namespace shoal::tests
