#include "python/response.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string_view>

#include <spdlog/spdlog.h>

#include "base/ascii.h"

namespace shoal::python {
namespace {

constexpr std::array<std::string_view, 8> kHopByHop = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te",         "trailers",   "transfer-encoding",  "upgrade"};

bool IsTokenChar(unsigned char c) {
  return c > 0x20 && c < 0x7f && std::string_view("()<>@,;:\\\"/[]?={}").find(static_cast<char>(c)) ==
                                     std::string_view::npos;
}

// A str encoded as latin-1 into `out`, or false with TypeError/ValueError
// naming `what` and the bad value.
bool Latin1(PyObject* value, const char* what, std::string& out) {
  if (!PyUnicode_Check(value)) {
    PyErr_Format(PyExc_TypeError, "%s must be str, not %s: %R", what, Py_TYPE(value)->tp_name,
                 value);
    return false;
  }
  // A str whose characters all fit in a byte stores them as latin-1
  // already: copy them out, with no bytes object in between.
  if (PyUnicode_READY(value) != 0) return false;
  if (PyUnicode_KIND(value) != PyUnicode_1BYTE_KIND) {
    PyErr_Format(PyExc_ValueError, "%s must be latin-1 text: %R", what, value);
    return false;
  }
  out.assign(reinterpret_cast<const char*>(PyUnicode_1BYTE_DATA(value)),
             static_cast<size_t>(PyUnicode_GET_LENGTH(value)));
  return true;
}

bool CheckStatus(PyObject* value, std::string& status, int& code) {
  if (!Latin1(value, "status", status)) return false;
  bool shape = status.size() >= 3 && std::isdigit(static_cast<unsigned char>(status[0])) &&
               std::isdigit(static_cast<unsigned char>(status[1])) &&
               std::isdigit(static_cast<unsigned char>(status[2])) &&
               (status.size() == 3 || status[3] == ' ');
  bool clean = std::none_of(status.begin(), status.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (!shape || !clean || status[0] == '0') {
    PyErr_Format(PyExc_ValueError,
                 "status must be 3 digits and a reason, like '200 OK', without control "
                 "characters: %R",
                 value);
    return false;
  }
  code = (status[0] - '0') * 100 + (status[1] - '0') * 10 + (status[2] - '0');
  return true;
}

bool CheckHeader(PyObject* item, std::string& name, std::string& value) {
  if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
    PyErr_Format(PyExc_TypeError, "each header must be a (name, value) tuple, not %R", item);
    return false;
  }
  if (!Latin1(PyTuple_GET_ITEM(item, 0), "header name", name) ||
      !Latin1(PyTuple_GET_ITEM(item, 1), "header value", value)) {
    return false;
  }
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
        return IsTokenChar(static_cast<unsigned char>(c));
      })) {
    PyErr_Format(PyExc_ValueError, "invalid header name %R", PyTuple_GET_ITEM(item, 0));
    return false;
  }
  if (std::any_of(value.begin(), value.end(), [](char c) {
        return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
      })) {
    PyErr_Format(PyExc_ValueError, "header %R has a control character in its value: %R",
                 PyTuple_GET_ITEM(item, 0), PyTuple_GET_ITEM(item, 1));
    return false;
  }
  for (std::string_view hop : kHopByHop) {
    if (EqualsIgnoringAsciiCase(name, hop)) {
      PyErr_Format(PyExc_ValueError, "hop-by-hop header %R is not allowed from a WSGI app",
                   PyTuple_GET_ITEM(item, 0));
      return false;
    }
  }
  return true;
}

}  // namespace

bool Response::Start(PyObject* status, PyObject* headers, PyObject* exc_info) {
  if (exc_info != nullptr && exc_info != Py_None) {
    if (headers_sent_) {
      // PEP 3333: re-raise the app's exception; the response cannot change now.
      if (!PyTuple_Check(exc_info) || PyTuple_GET_SIZE(exc_info) != 3) {
        PyErr_SetString(PyExc_TypeError, "exc_info must be a (type, value, traceback) tuple");
        return false;
      }
      PyObject* type = PyTuple_GET_ITEM(exc_info, 0);
      PyObject* value = PyTuple_GET_ITEM(exc_info, 1);
      PyObject* traceback = PyTuple_GET_ITEM(exc_info, 2);
      Py_INCREF(type);
      Py_INCREF(value);
      Py_INCREF(traceback);
      PyErr_Restore(type, value, traceback);
      return false;
    }
  } else if (started_) {
    PyErr_SetString(PyExc_RuntimeError, "start_response() called a second time without exc_info");
    return false;
  }

  std::string new_status;
  int code = 0;
  if (!CheckStatus(status, new_status, code)) return false;
  if (!PyList_Check(headers)) {
    PyErr_Format(PyExc_TypeError, "headers must be a list, not %s", Py_TYPE(headers)->tp_name);
    return false;
  }
  std::vector<std::pair<std::string, std::string>> new_headers;
  std::optional<uint64_t> content_length;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(headers); ++i) {
    std::string name;
    std::string value;
    if (!CheckHeader(PyList_GET_ITEM(headers, i), name, value)) return false;
    if (EqualsIgnoringAsciiCase(name, "content-length")) {
      uint64_t length = 0;
      auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (value.empty() || err != std::errc() || end != value.data() + value.size()) {
        PyErr_Format(PyExc_ValueError, "Content-Length must be a whole number: %R",
                     PyTuple_GET_ITEM(PyList_GET_ITEM(headers, i), 1));
        return false;
      }
      content_length = length;
    }
    new_headers.emplace_back(std::move(name), std::move(value));
  }
  started_ = true;
  status_ = std::move(new_status);
  status_code_ = code;
  headers_ = std::move(new_headers);
  content_length_ = content_length;
  return true;
}

bool Response::Failed(const Status& status) {
  client_gone_ = true;
  PyErr_Format(PyExc_OSError, "client went away: %s", status.message().c_str());
  return false;
}

bool Response::SendHeaders() {
  std::vector<protocols::Header> headers;
  headers.reserve(headers_.size());
  for (const auto& [name, value] : headers_) headers.push_back({name, value});
  headers_sent_ = true;
  Status sent = exchange_.SendHeaders(status_, headers);
  return sent.ok() || Failed(sent);
}

bool Response::body_allowed() const {
  return !head_request_ && status_code_ >= 200 && status_code_ != 204 && status_code_ != 304;
}

bool Response::Send(std::string_view chunk) {
  if (!started_) {
    PyErr_SetString(PyExc_RuntimeError, "the app sent body data before calling start_response()");
    return false;
  }
  if (chunk.empty()) return true;
  if (!body_allowed()) return headers_sent_ || SendHeaders();
  if (content_length_ && body_sent_ + chunk.size() > *content_length_) {
    if (!overflow_logged_) {
      spdlog::warn("response longer than its Content-Length {}; cut there", *content_length_);
      overflow_logged_ = true;
    }
    chunk = chunk.substr(0, *content_length_ - body_sent_);
    if (chunk.empty()) return true;
  }
  if (!headers_sent_ && !SendHeaders()) return false;
  Status written = exchange_.Write(chunk);
  if (!written.ok()) return Failed(written);
  body_sent_ += chunk.size();
  return true;
}

bool Response::Flush() {
  if (!headers_sent_) return true;
  Status flushed = exchange_.Flush();
  return flushed.ok() || Failed(flushed);
}

bool Response::PeerAborted() {
  if (!exchange_.PeerAborted()) return false;
  client_gone_ = true;
  PyErr_SetString(PyExc_OSError, "the web server aborted the request");
  return true;
}

bool Response::SendFile(int fd, uint64_t offset, uint64_t size) {
  if (!started_) {
    PyErr_SetString(PyExc_RuntimeError, "the app sent body data before calling start_response()");
    return false;
  }
  if (!body_allowed()) return headers_sent_ || SendHeaders();
  uint64_t length = size > offset ? size - offset : 0;
  if (content_length_) length = std::min(length, *content_length_ - std::min(body_sent_, *content_length_));
  if (!headers_sent_ && !SendHeaders()) return false;
  Result<uint64_t> sent = exchange_.SendFile(fd, offset, length);
  if (!sent.ok()) return Failed(sent.status());
  body_sent_ += sent.value();
  return true;
}

bool Response::Complete(const std::string& request_line) {
  if (!started_) {
    PyErr_SetString(PyExc_RuntimeError, "the app returned without calling start_response()");
    return false;
  }
  if (!headers_sent_ && !SendHeaders()) return false;
  if (content_length_ && body_sent_ < *content_length_ && body_allowed()) {
    spdlog::error("{}: response shorter than its Content-Length ({} of {} bytes); aborted",
                  request_line, body_sent_, *content_length_);
    Abort();
    return true;
  }
  ended_ = true;
  Status finished = exchange_.Finish();
  return finished.ok() || Failed(finished);
}

void Response::SendError(const char* status, std::string_view body) {
  std::string length = std::to_string(body.size());
  protocols::Header headers[] = {{"Content-Type", "text/plain; charset=utf-8"},
                                 {"Content-Length", length}};
  headers_sent_ = true;
  status_code_ = std::atoi(status);
  status_ = status;
  bool sent = exchange_.SendHeaders(status, headers).ok() && exchange_.Write(body).ok();
  if (sent) body_sent_ = body.size();
  ended_ = true;
  if (sent && exchange_.Finish().ok()) return;
  client_gone_ = true;
  if (!sent) exchange_.Abort();
}

void Response::Abort() {
  if (ended_) return;
  ended_ = true;
  exchange_.Abort();
}

}  // namespace shoal::python
