// WriteAll: writev(2) until every byte is written, across partial writes
// and EINTR; the one loop the protocols share for a header plus body.
#pragma once

#include <sys/uio.h>

#include <cstddef>

namespace shoal {

// Writes all of `parts` (which it consumes: entries written are left empty,
// the one written in part is advanced) to `fd`. Returns 0, or the errno of
// the write that failed; after EAGAIN (a non-blocking `fd` that is full),
// calling it again with the same `parts` writes the rest.
int WriteAll(int fd, iovec* parts, size_t count);

}  // namespace shoal
