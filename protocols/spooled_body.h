// SpooledBody: a request body read to its end before the app runs, so the
// app can be told its length.
//
// A body that arrives without a length (FastCGI STDIN after no
// CONTENT_LENGTH, as Apache's mod_proxy_fcgi and nginx with
// `fastcgi_request_buffering off` stream a chunked upload; AJP's chunked
// body) can only be read to its end, and an app that reads CONTENT_LENGTH
// bytes (Django, most frameworks) would see nothing. So, as nginx does by
// default, the body is read whole first: kept in memory up to
// `memory_limit`, then in an unlinked temporary file in `dir` (so memory
// stays the same for a body of any size), and the app is then given its
// real size. `max_size` bounds it.
//
// One per request, in a worker, after the request's head is read. Not
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/status.h"
#include "base/unique_fd.h"
#include "protocols/exchange.h"

namespace shoal::protocols {

struct SpoolConfig {
  std::string dir = "/tmp";          // where bodies past memory_limit go (--spool-dir)
  size_t memory_limit = 1 << 20;     // kept in memory up to this many bytes
  uint64_t max_size = 0;             // larger bodies are refused (--max-body-size); 0: no limit
};

class SpooledBody final : public BodyReader {
 public:
  SpooledBody() = default;
  SpooledBody(const SpooledBody&) = delete;
  SpooledBody& operator=(const SpooledBody&) = delete;

  enum class Failure {
    kNone,
    kTooLarge,     // the body passed config.max_size (413)
    kReadFailed,   // the front end went away or broke the protocol mid-body
    kSpoolFailed,  // the temporary file could not be made or written (500)
  };

  // Reads `source` to the end of its body. Returns kNone, or why it
  // stopped, with the reason for the log in error(). REQUIRES: called once.
  Failure Fill(BodyReader& source, const SpoolConfig& config);

  // The body's size. REQUIRES: Fill returned kNone.
  uint64_t size() const { return size_; }
  // Whether the body went to a file (it passed memory_limit).
  bool on_disk() const { return file_.valid(); }
  // Why Fill failed.
  const std::string& error() const { return error_; }

  // Reads the spooled body from the start, as Exchange::ReadBody does: fills
  // `buffer` unless the body ends first; 0 at its end.
  Result<size_t> ReadBody(char* buffer, size_t size) override;

 private:
  // Moves what is in memory into a new unlinked file in `dir`.
  Status SpillToFile(const std::string& dir);
  Status Append(const char* data, size_t size);

  std::string memory_;
  UniqueFd file_;
  uint64_t size_ = 0;
  uint64_t read_ = 0;  // how far ReadBody has come
  std::string error_;
};

}  // namespace shoal::protocols
