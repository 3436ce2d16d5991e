// Exchange: one request and its response, whatever the wire protocol.
//
// This is the only thing python/ sees of a connection: CGI params and a body
// stream in, status, headers and body bytes out. A protocol implements it;
// the Python side never learns which protocol it talks to, and a protocol
// never touches a PyObject. One Exchange serves one request, in one worker,
// on one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace shoal::protocols {

struct Param {
  std::string_view name;
  std::string_view value;
};

struct Header {
  std::string_view name;
  std::string_view value;
};

// Where a request body is read from: the connection (an Exchange), or a
// body spooled before the app ran (SpooledBody).
class BodyReader {
 public:
  virtual ~BodyReader() = default;

  // Reads up to `size` bytes of the request body into `buffer`. Returns the
  // count, 0 once the body has ended, or an error (the peer went away, or
  // broke the protocol). Blocks until `size` bytes are there: fewer only
  // when the body ends first (wsgi.input relies on it).
  virtual Result<size_t> ReadBody(char* buffer, size_t size) = 0;
};

class Exchange : public BodyReader {
 public:

  // The CGI params as the front end sent them, in order, duplicates kept.
  // The views live until the exchange ends.
  virtual std::span<const Param> params() const = 0;

  // The request body, as BodyReader::ReadBody says.
  Result<size_t> ReadBody(char* buffer, size_t size) override = 0;

  // Starts the response: `status` is like "200 OK". REQUIRES: called once,
  // before any Write.
  virtual Status SendHeaders(std::string_view status, std::span<const Header> headers) = 0;

  // Sends body bytes. An error means the front end is gone (client abort).
  virtual Status Write(std::string_view data) = 0;

  // Pushes body bytes written so far out to the front end now, instead of
  // leaving them in a buffer. PEP 3333 forbids delaying a block the app
  // yielded while it produces the next one. Default: nothing is buffered.
  virtual Status Flush() { return Status::Ok(); }

  // True when the front end has given up on this request (it closed the
  // connection, or sent FastCGI's FCGI_ABORT_REQUEST): the app should stop
  // producing the response. Never blocks. Checked between a generator's
  // blocks. Default: never.
  virtual bool PeerAborted() { return false; }

  // Sends up to `length` bytes of the regular file `fd` from `offset` as
  // body bytes. Returns how many were sent (fewer if the file ended first),
  // or an error as Write. The default copies through Write in bounded
  // chunks; a protocol that can put raw file bytes on the wire overrides it
  // with sendfile(2).
  virtual Result<uint64_t> SendFile(int fd, uint64_t offset, uint64_t length);

  // Ends the response as complete. REQUIRES: SendHeaders was called.
  virtual Status Finish() = 0;

  // Ends the response as failed, so the front end cannot mistake what was
  // sent for a complete response (used when the app fails mid-body).
  virtual void Abort() = 0;
};

// The value of the first param named `name`, or "" if there is none.
std::string_view FindParam(std::span<const Param> params, std::string_view name);

// "GET /path?query" (REQUEST_URI, else DOCUMENT_URI), for log lines and the
// scoreboard.
std::string RequestLine(std::span<const Param> params);

}  // namespace shoal::protocols
