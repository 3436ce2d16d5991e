#include "base/read_buffer.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace shoal {

void ReadBuffer::Consume(size_t n) {
  begin_ += n;
  if (begin_ == end_) begin_ = end_ = 0;
}

ssize_t ReadBuffer::ReadFrom(int fd, size_t chunk, int recv_flags) {
  if (capacity_ - end_ < chunk) {
    size_t unread_bytes = end_ - begin_;
    if (unread_bytes + chunk <= capacity_) {
      std::memmove(data_.get(), data_.get() + begin_, unread_bytes);
    } else {
      size_t capacity = std::max(unread_bytes + chunk, capacity_ * 2);
      std::unique_ptr<char[]> grown = std::make_unique_for_overwrite<char[]>(capacity);
      if (unread_bytes > 0) std::memcpy(grown.get(), data_.get() + begin_, unread_bytes);
      data_ = std::move(grown);
      capacity_ = capacity;
    }
    begin_ = 0;
    end_ = unread_bytes;
  }
  ssize_t got = recv_flags == 0 ? read(fd, data_.get() + end_, chunk)
                                : recv(fd, data_.get() + end_, chunk, recv_flags);
  if (got > 0) end_ += static_cast<size_t>(got);
  return got;
}

}  // namespace shoal
