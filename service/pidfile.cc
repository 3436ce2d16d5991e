#include "service/pidfile.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include <spdlog/spdlog.h>

#include "base/unique_fd.h"
#include "base/write_all.h"

namespace shoal::service {
namespace {

// The pid `path` holds, or nullopt (missing, unreadable, not a pid).
std::optional<pid_t> ReadPid(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!in || !std::getline(in, text)) return std::nullopt;
  pid_t pid = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (err != std::errc() || end != text.data() + text.size() || pid <= 0) return std::nullopt;
  return pid;
}

// The program name of `pid` (/proc/PID/comm, readable for any user's
// processes), or "".
std::string CommandName(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

}  // namespace

Status Pidfile::CheckNotRunning(const std::string& path) {
  std::optional<pid_t> pid = ReadPid(path);
  if (!pid || *pid == getpid()) return Status::Ok();
  if (kill(*pid, 0) != 0 && errno == ESRCH) return Status::Ok();
  if (CommandName(std::to_string(*pid)) != CommandName("self")) return Status::Ok();
  return Status::Error("--pidfile " + path + ": shoal is already running as pid " +
                       std::to_string(*pid) + " (stop it first, or remove the file if it is not)");
}

Result<Pidfile> Pidfile::Write(const std::string& path) {
  Pidfile pidfile;
  pidfile.path_ = path;
  pidfile.owner_pid_ = getpid();
  if (ReadPid(path) == getpid()) return pidfile;  // a re-exec of this master
  const std::string temporary = path + ".new" + std::to_string(getpid());
  UniqueFd fd(open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd.valid()) {
    pidfile.path_.clear();
    return PosixError("open(" + temporary + ")", errno);
  }
  const std::string text = std::to_string(getpid()) + "\n";
  iovec part{.iov_base = const_cast<char*>(text.data()), .iov_len = text.size()};
  Status written = Status::Ok();
  if (int err = WriteAll(fd.get(), &part, 1); err != 0) {
    written = PosixError("write(" + temporary + ")", err);
  } else if (rename(temporary.c_str(), path.c_str()) != 0) {
    written = PosixError("rename(" + temporary + ", " + path + ")", errno);
  }
  if (!written.ok()) {
    unlink(temporary.c_str());
    pidfile.path_.clear();
    return written;
  }
  return pidfile;
}

Pidfile& Pidfile::operator=(Pidfile&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::exchange(other.path_, std::string());
    owner_pid_ = std::exchange(other.owner_pid_, -1);
  }
  return *this;
}

Pidfile::~Pidfile() { Remove(); }

void Pidfile::Remove() {
  if (path_.empty() || owner_pid_ != getpid()) return;
  if (ReadPid(path_) == owner_pid_ && unlink(path_.c_str()) != 0 && errno != ENOENT) {
    spdlog::warn("pidfile {} left behind: unlink failed: {} (let --user write its directory)",
                 path_, strerror(errno));
  }
  path_.clear();
}

}  // namespace shoal::service
