#include "support/fifo_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "support/wait.h"

namespace shoal::tests {

FifoReader::FifoReader(const std::filesystem::path& path) : path_(path) {
  if (mkfifo(path.c_str(), 0600) != 0) {
    throw std::system_error(errno, std::generic_category(), "mkfifo(" + path.string() + ")");
  }
  // Non-blocking: opening waits for no writer, and reads before the first
  // writer (or after the last) return 0 rather than block.
  fd_ = Fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd_.valid()) {
    throw std::system_error(errno, std::generic_category(), "open(" + path.string() + ")");
  }
  thread_ = std::thread([this] { Run(); });
}

FifoReader::~FifoReader() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::string FifoReader::Text() const {
  std::lock_guard lock(mutex_);
  return text_;
}

bool FifoReader::Finish(std::chrono::milliseconds timeout) {
  WaitUntil(timeout, [this] { return eof_.load(); });
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return eof_;
}

void FifoReader::Run() {
  char buffer[65536];
  bool written_to = false;  // a writer has opened the pipe, so 0 means EOF
  while (!stop_) {
    ssize_t n = read(fd_.get(), buffer, sizeof(buffer));
    if (n > 0) {
      written_to = true;
      std::lock_guard lock(mutex_);
      text_.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 && written_to) {
      eof_ = true;  // every writer closed it, and all it held was read
      return;
    }
    if (n < 0 && errno == EAGAIN) {
      // A writer is there and has nothing for us yet.
      written_to = true;
      pollfd readable{.fd = fd_.get(), .events = POLLIN, .revents = 0};
      poll(&readable, 1, 20);
    } else {
      // No writer yet (0), or an error: the pipe would poll as hung up, so
      // sleep rather than spin.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

}  // namespace shoal::tests
