#include "base/status.h"

#include <cerrno>
#include <cstring>

namespace shoal {

Status PosixError(const std::string& context, int err) {
  return Status::Error(context + " failed: " + std::strerror(err));
}

Status SocketError(const std::string& context, int err) {
  if (err == EAGAIN || err == EWOULDBLOCK) return Status::Error(context + " timed out");
  return PosixError(context, err);
}

}  // namespace shoal
