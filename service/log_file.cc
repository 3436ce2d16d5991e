#include "service/log_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace shoal::service {
namespace {

Result<UniqueFd> OpenForAppend(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return PosixError("open(" + path + ")", errno);
  return fd;
}

}  // namespace

Result<LogFile> LogFile::Open(const std::string& path) {
  if (path == "-") return LogFile(path, UniqueFd());
  Result<UniqueFd> fd = OpenForAppend(path);
  if (!fd.ok()) return fd.status();
  return LogFile(path, std::move(fd).value());
}

Status LogFile::Reopen() {
  if (path_ == "-") return Status::Ok();
  Result<UniqueFd> fd = OpenForAppend(path_);
  if (!fd.ok()) return fd.status();
  fd_ = std::move(fd).value();
  return Status::Ok();
}

Status LogFile::Write(std::string_view line) {
  for (;;) {
    ssize_t n = ::write(fd(), line.data(), line.size());
    if (n >= 0 && static_cast<size_t>(n) == line.size()) return Status::Ok();
    if (n >= 0) return Status::Error("write(" + path_ + ") was short");
    if (errno != EINTR) return PosixError("write(" + path_ + ")", errno);
  }
}

}  // namespace shoal::service
