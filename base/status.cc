#include "base/status.h"

#include <cerrno>
#include <cstring>

namespace shoal {

Status PosixError(const std::string& context, int err) {
  return Status::Error(context + " failed: " + std::strerror(err));
}

}  // namespace shoal
