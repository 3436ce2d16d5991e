// ReadBuffer: bytes read from a socket and not yet consumed, in one block
// that grows as needed and is never zero-filled. (Growing a std::string
// with resize() before each read clears the whole chunk first: 16 KiB of
// memset per request, a fifth of an SCGI worker's instructions.)
//
// Not thread-safe; one per connection.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string_view>

namespace shoal {

class ReadBuffer {
 public:
  // The bytes read and not yet consumed.
  std::string_view unread() const { return {data_.get() + begin_, end_ - begin_}; }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }

  // Drops the first `n` unread bytes. REQUIRES: n <= size().
  void Consume(size_t n);

  // One read(2) of up to `chunk` bytes from `fd`, appended to the unread
  // bytes (moving them to the front or growing the block first if the room
  // at the end is short). Returns what read(2) returned, errno as it left it.
  // Non-zero `recv_flags` (MSG_DONTWAIT...) make it a recv(2) on a socket.
  ssize_t ReadFrom(int fd, size_t chunk, int recv_flags = 0);

 private:
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t begin_ = 0;  // first unread byte
  size_t end_ = 0;    // one past the last
};

}  // namespace shoal
