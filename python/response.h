// Response: the state of one WSGI response, between the app and the wire.
//
// Holds what start_response() stored (checked against PEP 3333: a str
// status of 3 digits and a reason, a list of (str, str) headers, latin-1,
// no CR/LF/NUL, no hop-by-hop headers), sends the headers with the first
// non-empty body chunk, and never sends more than a declared Content-Length.
// A response that must have no body (to HEAD, or a 1xx, 204 or 304 status)
// sends its headers unchanged, Content-Length included (the front end needs
// that length), and none of the body the app yields, which is read and
// dropped; its Content-Length is not held against it. Lives on the worker's
// stack for one request; used with the GIL held.
#pragma once

#include <Python.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocols/exchange.h"

namespace shoal::python {

class Response {
 public:
  // `head_request`: the request's method is HEAD, so no body is sent.
  Response(protocols::Exchange& exchange, bool head_request)
      : exchange_(exchange), head_request_(head_request) {}
  Response(const Response&) = delete;
  Response& operator=(const Response&) = delete;

  // start_response(status, headers, exc_info). Returns true, or false with a
  // Python exception set: a bad value (TypeError/ValueError naming it), a
  // second call without exc_info (RuntimeError), or exc_info re-raised
  // because headers were already sent.
  bool Start(PyObject* status, PyObject* headers, PyObject* exc_info);

  bool started() const { return started_; }
  bool headers_sent() const { return headers_sent_; }
  // True once a write failed because the front end closed the connection.
  bool client_gone() const { return client_gone_; }
  // Status code stored by start_response (for the access log), 0 if none.
  int status_code() const { return status_code_; }
  uint64_t body_bytes() const { return body_sent_; }
  // The status line ("200 OK") start_response (or SendError) stored; "" if
  // none.
  const std::string& status() const { return status_; }

  // Whether this response may have a body: not for HEAD, nor for a 1xx,
  // 204 or 304 status (RFC 9110 6.4.1). REQUIRES: started().
  bool body_allowed() const;

  // Sends one body chunk (headers first, if this is the first non-empty
  // one). Empty chunks send nothing; nor does any chunk when the body is not
  // allowed (the headers still go out with the first). Returns false with a Python exception
  // set: RuntimeError if start_response was never called, OSError if the
  // front end is gone (then client_gone() is true).
  bool Send(std::string_view chunk);

  // Pushes what has been sent so far out of the protocol's buffer (a no-op
  // before the headers went out). Returns false with OSError set, as Send.
  bool Flush();

  // True (with OSError set, and client_gone()) if the front end has given
  // up on the request; false otherwise.
  bool PeerAborted();

  // Sends the rest of a regular file as the body (headers first): from
  // `offset` to its end, or to the declared Content-Length. Returns false
  // with a Python exception set, as Send.
  bool SendFile(int fd, uint64_t offset, uint64_t size);

  // Ends a response whose app finished normally: sends headers if no body
  // went out, then finishes the exchange. A body shorter than its declared
  // Content-Length is logged and aborted instead. Returns false with a Python
  // exception set, as Send.
  bool Complete(const std::string& request_line);

  // Sends a whole error response and ends the exchange.
  // REQUIRES: !headers_sent().
  void SendError(const char* status, std::string_view body);

  // Ends the exchange as failed, unless it has already ended.
  void Abort();

  // Whether the exchange has been finished or aborted.
  bool ended() const { return ended_; }

 private:
  bool SendHeaders();
  bool Failed(const Status& status);

  protocols::Exchange& exchange_;
  const bool head_request_;
  bool started_ = false;
  bool headers_sent_ = false;
  bool client_gone_ = false;
  bool ended_ = false;
  bool overflow_logged_ = false;
  int status_code_ = 0;
  std::string status_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::optional<uint64_t> content_length_;
  uint64_t body_sent_ = 0;
};

}  // namespace shoal::python
