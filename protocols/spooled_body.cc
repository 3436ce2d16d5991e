#include "protocols/spooled_body.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/retry.h"

namespace shoal::protocols {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

// An open, already unlinked, file in `dir` that only this process can
// reach: O_TMPFILE where the file system has it, else mkstemp and unlink.
Result<UniqueFd> OpenUnlinkedFile(const std::string& dir) {
  UniqueFd fd(open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (fd.valid()) return fd;
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
    return PosixError("open(" + dir + ", O_TMPFILE)", errno);
  }
  std::string path = dir + "/shoal-body-XXXXXX";
  fd.Reset(mkostemp(path.data(), O_CLOEXEC));
  if (!fd.valid()) return PosixError("mkstemp(" + path + ")", errno);
  unlink(path.c_str());
  return fd;
}

Status WriteWhole(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = RetryOnEintr([&] { return write(fd, data, size); });
    if (n < 0) return PosixError("write to the request body's spool file", errno);
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

SpooledBody::Failure SpooledBody::Fill(BodyReader& source, const SpoolConfig& config) {
  char chunk[kReadChunk];
  for (;;) {
    Result<size_t> got = source.ReadBody(chunk, sizeof(chunk));
    if (!got.ok()) {
      error_ = got.status().message();
      return Failure::kReadFailed;
    }
    if (got.value() == 0) return Failure::kNone;
    if (config.max_size > 0 && size_ + got.value() > config.max_size) {
      error_ = "request body over --max-body-size (" + std::to_string(config.max_size) + " bytes)";
      return Failure::kTooLarge;
    }
    if (!file_.valid() && memory_.size() + got.value() > config.memory_limit) {
      Status spilled = SpillToFile(config.dir);
      if (!spilled.ok()) {
        error_ = spilled.message();
        return Failure::kSpoolFailed;
      }
    }
    Status appended = Append(chunk, got.value());
    if (!appended.ok()) {
      error_ = appended.message();
      return Failure::kSpoolFailed;
    }
  }
}

Status SpooledBody::SpillToFile(const std::string& dir) {
  Result<UniqueFd> file = OpenUnlinkedFile(dir);
  if (!file.ok()) return file.status();
  file_ = std::move(file.value());
  Status written = WriteWhole(file_.get(), memory_.data(), memory_.size());
  memory_.clear();
  memory_.shrink_to_fit();
  return written;
}

Status SpooledBody::Append(const char* data, size_t size) {
  size_ += size;
  if (!file_.valid()) {
    memory_.append(data, size);
    return Status::Ok();
  }
  return WriteWhole(file_.get(), data, size);
}

Result<size_t> SpooledBody::ReadBody(char* buffer, size_t size) {
  size = static_cast<size_t>(std::min<uint64_t>(size, size_ - read_));
  if (!file_.valid()) {
    std::copy_n(memory_.data() + read_, size, buffer);
    read_ += size;
    return size;
  }
  size_t filled = 0;
  while (filled < size) {
    ssize_t n = RetryOnEintr([&] {
      return pread(file_.get(), buffer + filled, size - filled, static_cast<off_t>(read_ + filled));
    });
    if (n < 0) return PosixError("read of the request body's spool file", errno);
    if (n == 0) return Status::Error("the request body's spool file is shorter than written");
    filled += static_cast<size_t>(n);
  }
  read_ += filled;
  return filled;
}

}  // namespace shoal::protocols
