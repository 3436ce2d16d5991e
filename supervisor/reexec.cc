#include "supervisor/reexec.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace shoal::supervisor {
namespace {

constexpr const char* kListen = "SHOAL_LISTEN_FD";
constexpr const char* kStats = "SHOAL_STATS_FD";
constexpr const char* kLifeline = "SHOAL_OLD_LIFELINE_FD";
constexpr const char* kParked = "SHOAL_PARKED_FDS";  // "fd:protocol,fd:protocol"

int TakeFd(const char* name) {
  const char* value = std::getenv(name);
  int fd = value == nullptr ? -1 : std::atoi(value);
  unsetenv(name);
  if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);  // not into the next exec of anything
  return fd;
}

void SetCloseOnExec(int fd, bool on) {
  if (fd >= 0) fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0);
}

}  // namespace

std::optional<Inheritance> TakeInheritance() {
  if (std::getenv(kListen) == nullptr) return std::nullopt;
  Inheritance inheritance;
  inheritance.listen_fd = TakeFd(kListen);
  inheritance.stats_fd = TakeFd(kStats);
  inheritance.old_lifeline_fd = TakeFd(kLifeline);
  if (const char* parked = std::getenv(kParked)) {
    std::string list = parked;
    size_t at = 0;
    while (at < list.size()) {
      size_t comma = list.find(',', at);
      std::string item = list.substr(at, comma == std::string::npos ? comma : comma - at);
      size_t colon = item.find(':');
      if (colon != std::string::npos) {
        int fd = std::atoi(item.c_str());
        int protocol = std::atoi(item.c_str() + colon + 1);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        inheritance.parked.push_back(
            {static_cast<protocols::Protocol>(protocol), UniqueFd(fd)});
      }
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
  }
  unsetenv(kParked);
  return inheritance;
}

Status Reexec(const std::string& program, const std::vector<std::string>& argv,
              const Inheritance& inheritance) {
  std::string parked;
  for (const HandedConnection& c : inheritance.parked) {
    if (!parked.empty()) parked += ",";
    parked += std::to_string(c.fd.get()) + ":" + std::to_string(static_cast<int>(c.protocol));
  }
  auto set_all = [&](bool close_on_exec) {
    SetCloseOnExec(inheritance.listen_fd, close_on_exec);
    SetCloseOnExec(inheritance.stats_fd, close_on_exec);
    SetCloseOnExec(inheritance.old_lifeline_fd, close_on_exec);
    for (const HandedConnection& c : inheritance.parked) SetCloseOnExec(c.fd.get(), close_on_exec);
  };
  set_all(false);
  setenv(kListen, std::to_string(inheritance.listen_fd).c_str(), 1);
  setenv(kStats, std::to_string(inheritance.stats_fd).c_str(), 1);
  setenv(kLifeline, std::to_string(inheritance.old_lifeline_fd).c_str(), 1);
  setenv(kParked, parked.c_str(), 1);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execv(program.c_str(), args.data());
  int saved = errno;
  set_all(true);
  for (const char* name : {kListen, kStats, kLifeline, kParked}) unsetenv(name);
  return PosixError("execv(" + program + ")", saved);
}

}  // namespace shoal::supervisor
