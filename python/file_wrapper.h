// FileWrapper: wsgi.file_wrapper (PEP 3333's optional platform-specific
// file handling).
//
// `environ['wsgi.file_wrapper'](filelike, blksize=65536)` returns an
// iterable that reads `filelike` in blksize blocks, and whose close() closes
// it. When the app returns one around a regular file with a descriptor, the
// gateway skips iteration and hands the descriptor to the protocol
// (Exchange::SendFile): sendfile(2) where the wire carries raw bytes, a
// bounded copy otherwise. It starts at the file's current position and
// honours a Content-Length the app set. REQUIRES: the GIL for everything.
#pragma once

#include <cstdint>
#include <optional>

#include "python/py_ref.h"

namespace shoal::python {

// The type, for the environ. Null with a Python error set on failure.
PyObject* FileWrapperType();

struct FileSource {
  int fd;           // borrowed from the file object; valid while it is open
  uint64_t offset;  // the file object's current position
  uint64_t size;    // the file's size now
};

// If `result` is a FileWrapper around an open regular file, where to read
// it from; otherwise nullopt (and no Python error set).
std::optional<FileSource> RegularFileOf(PyObject* result);

}  // namespace shoal::python
