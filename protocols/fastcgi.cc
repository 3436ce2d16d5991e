#include "protocols/fastcgi.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "base/write_all.h"

namespace shoal::protocols {
namespace {

// How much unread request body Finish will read and drop to keep a
// connection usable; past this the connection is closed instead.
constexpr size_t kMaxDrain = 4 << 20;
// Writes this large skip libfcgi's buffer (see WriteRecords).
constexpr size_t kDirectWrite = 16 * 1024;

std::string StreamError(const char* what, FCGX_Stream* stream) {
  int err = FCGX_GetError(stream);
  if (err > 0) return std::string("fastcgi ") + what + " failed: " + std::strerror(err);
  if (err == 0) return std::string("fastcgi ") + what + " failed: end of stream";
  return std::string("fastcgi ") + what + " failed: protocol error " + std::to_string(err);
}

// Reads the whole record whose header `header` was peeked at; returns its
// content (padding dropped), or nullopt if the connection ended first.
std::optional<std::string> ReadRecord(int fd, const unsigned char (&header)[FCGI_HEADER_LEN]) {
  size_t content_length = size_t{header[4]} << 8 | header[5];
  size_t length = FCGI_HEADER_LEN + content_length + header[6];
  std::string record(length, '\0');
  if (recv(fd, record.data(), length, MSG_WAITALL) != static_cast<ssize_t>(length)) {
    return std::nullopt;
  }
  return record.substr(FCGI_HEADER_LEN, content_length);
}

}  // namespace

Status InitFastCgi() {
  if (FCGX_Init() != 0) return Status::Error("FCGX_Init failed");
  return Status::Ok();
}

FastCgiConnection::FastCgiConnection(UniqueFd fd, FastCgiLimits limits, bool reused)
    : fd_(std::move(fd)), limits_(limits), requests_read_(reused ? 1 : 0) {
  FCGX_InitRequest(&request_, -1, 0);
}

FastCgiConnection::~FastCgiConnection() {
  if (in_request_) ReleaseRequest(/*close_connection=*/true);
}

Result<std::optional<Incoming>> FastCgiConnection::AnswerManagementRecords() {
  for (bool answered = false;; answered = true) {
    unsigned char header[FCGI_HEADER_LEN];
    // After an answer, look only at what is already here: a web server may
    // ask for values and go quiet, and that must not hold a worker.
    ssize_t got = recv(fd_.get(), header, sizeof(header),
                       MSG_PEEK | (answered ? MSG_DONTWAIT : MSG_WAITALL));
    if (answered && got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      keep_open_ = true;
      return std::optional<Incoming>(Incoming::kIdle);
    }
    // EOF, an error, or anything but a whole management record header:
    // libfcgi reads it and judges.
    if (got != FCGI_HEADER_LEN || header[0] != FCGI_VERSION_1 || header[2] != 0 ||
        header[3] != 0 || header[1] == FCGI_BEGIN_REQUEST) {
      return std::optional<Incoming>();
    }
    std::optional<std::string> content = ReadRecord(fd_.get(), header);
    if (!content) {
      fd_.Reset();
      return Status::Error("FastCGI management record cut short");
    }
    std::string reply = ManagementReply(header[1], *content, limits_);
    if (send(fd_.get(), reply.data(), reply.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(reply.size())) {
      fd_.Reset();
      return Status::Error("cannot answer a FastCGI management record: " +
                           std::string(std::strerror(errno)));
    }
  }
}

Result<Incoming> FastCgiConnection::ReadRequest() {
  keep_open_ = false;
  abort_received_ = false;
  Result<std::optional<Incoming>> management = AnswerManagementRecords();
  if (!management.ok()) return management.status();
  if (management.value()) return *management.value();
  request_.ipcFd = fd_.get();
  request_.keepConnection = 1;  // the Finish inside FCGX_Accept_r must not close
  request_.detached = 1;        // if libfcgi closes on an error, no lingering wait
  int rc = FCGX_Accept_r(&request_);
  if (rc != 0) {
    // libfcgi closed the connection (peer EOF or a protocol error) and then
    // failed to accept on listen_sock -1, which hands control back to us.
    if (request_.ipcFd < 0) fd_.Release();
    fd_.Reset();
    if (requests_read_ == 0) return Status::Error("no valid FastCGI request on a new connection");
    return Incoming::kClosed;
  }
  ++requests_read_;
  in_request_ = true;
  keep_open_ = request_.keepConnection != 0;
  if (request_.role != FCGI_RESPONDER) {
    ReleaseRequest(/*close_connection=*/true);
    return Status::Error("FastCGI role " + std::to_string(request_.role) +
                         " is not supported (only the responder role is)");
  }
  params_.clear();
  for (char** p = request_.envp; p != nullptr && *p != nullptr; ++p) {
    std::string_view pair(*p);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    params_.push_back({pair.substr(0, eq), pair.substr(eq + 1)});
  }
  return Incoming::kRequest;
}

Result<size_t> FastCgiConnection::ReadBody(char* buffer, size_t size) {
  int want = static_cast<int>(std::min<size_t>(size, INT_MAX));
  int got = FCGX_GetStr(buffer, want, request_.in);
  if (got < want && FCGX_GetError(request_.in) != 0) {
    return Status::Error(StreamError("read of the request body", request_.in));
  }
  return static_cast<size_t>(std::max(got, 0));
}

Status FastCgiConnection::SendHeaders(std::string_view status,
                                      std::span<const Header> headers) {
  header_block_.clear();
  header_block_.append("Status: ").append(status).append("\r\n");
  for (const Header& h : headers) {
    header_block_.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  header_block_.append("\r\n");
  return Write(header_block_);
}

Status FastCgiConnection::Write(std::string_view data) {
  if (data.size() >= kDirectWrite) return WriteRecords(data);
  while (!data.empty()) {
    int n = static_cast<int>(std::min<size_t>(data.size(), 1 << 30));
    if (FCGX_PutStr(data.data(), n, request_.out) != n) {
      return Status::Error(StreamError("write", request_.out));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status FastCgiConnection::WriteRecords(std::string_view data) {
  // What libfcgi holds (the headers, earlier small writes) goes first.
  if (FCGX_FFlush(request_.out) != 0) return Status::Error(StreamError("write", request_.out));
  // Then whole FCGI_STDOUT records straight from `data`, as many per
  // writev(2) as kMaxIov allows: libfcgi would copy every byte into its
  // 8 KiB buffer and write each buffer on its own, 128 writes for 1 MiB.
  constexpr size_t kMaxIov = 32;
  constexpr size_t kRecordData = 65528;  // the largest multiple of 8 under 64 KiB
  unsigned char headers[kMaxIov / 2][FCGI_HEADER_LEN];
  iovec parts[kMaxIov];
  while (!data.empty()) {
    size_t count = 0;
    size_t batch = 0;
    while (count < kMaxIov && batch < data.size()) {
      size_t length = std::min(kRecordData, data.size() - batch);
      unsigned char* header = headers[count / 2];
      header[0] = FCGI_VERSION_1;
      header[1] = FCGI_STDOUT;
      header[2] = static_cast<unsigned char>(request_.requestId >> 8);
      header[3] = static_cast<unsigned char>(request_.requestId & 0xff);
      header[4] = static_cast<unsigned char>(length >> 8);
      header[5] = static_cast<unsigned char>(length & 0xff);
      header[6] = 0;  // no padding
      header[7] = 0;
      parts[count++] = {header, FCGI_HEADER_LEN};
      parts[count++] = {const_cast<char*>(data.data() + batch), length};
      batch += length;
    }
    if (int error = WriteAll(fd_.get(), parts, count); error != 0) {
      return Status::Error(std::string("fastcgi write failed: ") + std::strerror(error));
    }
    data.remove_prefix(batch);
  }
  return Status::Ok();
}

Status FastCgiConnection::Flush() {
  if (FCGX_FFlush(request_.out) != 0) return Status::Error(StreamError("write", request_.out));
  return Status::Ok();
}

bool FastCgiConnection::DrainBody() {
  char scratch[16384];
  size_t drained = 0;
  for (;;) {
    int got = FCGX_GetStr(scratch, sizeof(scratch), request_.in);
    if (FCGX_GetError(request_.in) != 0) return false;
    if (got < static_cast<int>(sizeof(scratch))) return true;
    drained += static_cast<size_t>(got);
    if (drained > kMaxDrain) return false;
  }
}

Status FastCgiConnection::Finish() {
  bool drained = DrainBody();
  // Closing stderr then stdout writes the stream ends and END_REQUEST, and
  // flushes: a small response leaves in one write(2).
  bool written = FCGX_FClose(request_.err) == 0 && FCGX_FClose(request_.out) == 0;
  Status result = written ? Status::Ok() : Status::Error(StreamError("write", request_.out));
  keep_open_ = keep_open_ && written && drained;
  ReleaseRequest(/*close_connection=*/!keep_open_);
  return result;
}

bool FastCgiConnection::PeerAborted() {
  if (!in_request_) return false;
  unsigned char header[FCGI_HEADER_LEN];
  ssize_t got = recv(fd_.get(), header, sizeof(header), MSG_PEEK | MSG_DONTWAIT);
  if (got == 0) return true;  // the web server closed the connection
  if (got != FCGI_HEADER_LEN || header[1] != FCGI_ABORT_REQUEST ||
      (header[2] << 8 | header[3]) != request_.requestId) {
    return false;
  }
  abort_received_ = ReadRecord(fd_.get(), header).has_value();
  return true;
}

void FastCgiConnection::Abort() {
  if (abort_received_) {
    // The web server asked for it: end the request properly, so a kept
    // connection stays usable.
    (void)Finish();
    return;
  }
  // The web server must not pass what was sent off as a complete response.
  // An EOF will not do: nginx takes EOF after the headers as a normal end
  // when keep-conn is off, and a unix socket cannot be reset. So end with a
  // record a responder never sends (FCGI_ABORT_REQUEST goes the other way),
  // which nginx rejects as an upstream error and cuts the client off.
  // Whatever libfcgi still buffers is dropped.
  if (in_request_ && fd_.valid()) {
    const unsigned char marker[FCGI_HEADER_LEN] = {
        FCGI_VERSION_1, FCGI_ABORT_REQUEST, static_cast<unsigned char>(request_.requestId >> 8),
        static_cast<unsigned char>(request_.requestId & 0xff), 0, 0, 0, 0};
    ::send(fd_.get(), marker, sizeof(marker), MSG_NOSIGNAL);
  }
  keep_open_ = false;
  ReleaseRequest(/*close_connection=*/true);
}

void FastCgiConnection::ReleaseRequest(bool close_connection) {
  FCGX_Free(&request_, /*close=*/0);  // frees streams and params; never closes
  params_.clear();
  in_request_ = false;
  if (close_connection) fd_.Reset();
}

}  // namespace shoal::protocols
