// InputStream: wsgi.input, the request body as a Python file-like object.
//
// read(size), read(), readline(size), readlines(hint) and iteration, per
// PEP 3333. Never reads past CONTENT_LENGTH; with no length (a streamed
// chunked upload) reads to the end of the body. Holds at most one chunk
// (64 KiB) of unread body, so bodies of any size stream. A read error (the
// web server went away) raises OSError. Once the request is over the stream
// is detached and any read raises ValueError.
#pragma once

#include <cstdint>

#include "protocols/exchange.h"
#include "python/py_ref.h"

namespace shoal::python {

// A new wsgi.input over `body` (the exchange, or its spooled body);
// `content_length` < 0 means unknown. Reading more than `max_size` bytes
// (0: no limit; --max-body-size, for a body streamed without a length)
// raises OSError. REQUIRES: the GIL; `body` outlives the stream or
// DetachInputStream is called first.
PyRef NewInputStream(protocols::BodyReader* body, int64_t content_length, uint64_t max_size = 0);

// Whether a read from `stream` failed because the body passed `max_size`.
bool InputStreamOverLimit(PyObject* stream);

// Cuts the stream off its body. REQUIRES: the GIL.
void DetachInputStream(PyObject* stream);

}  // namespace shoal::python
