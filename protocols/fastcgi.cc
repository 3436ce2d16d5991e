#include "protocols/fastcgi.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/write_all.h"

namespace shoal::protocols {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
// How much unread request body Finish will read and drop to keep a
// connection usable; past this the connection is closed instead.
constexpr size_t kMaxDrain = 4 << 20;
// Writes this large go out straight from the app's bytes; smaller ones are
// gathered in the output buffer, which is written once it holds this much.
constexpr size_t kDirectWrite = 16 * 1024;

Status IoError(const char* what) { return SocketError(std::string("fastcgi ") + what, errno); }

}  // namespace

FastCgiConnection::FastCgiConnection(UniqueFd fd, const ConnectionConfig& config, bool reused)
    : fd_(std::move(fd)), config_(config), requests_read_(reused ? 1 : 0) {}

void FastCgiConnection::ClearOutput() {
  output_.clear();
  open_record_ = std::string::npos;
}

void FastCgiConnection::Close() {
  fd_.Reset();
  keep_open_ = false;
}

Status FastCgiConnection::Fill(size_t size, const char* what) {
  while (input_.size() < size) {
    ssize_t got = input_.ReadFrom(fd_.get(), std::max(kReadChunk, size - input_.size()));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return IoError(what);
    if (got == 0) {
      return Status::Error(std::string("fastcgi connection closed in the middle of ") + what);
    }
  }
  return Status::Ok();
}

Status FastCgiConnection::SendNow(std::string_view bytes) {
  iovec part{const_cast<char*>(bytes.data()), bytes.size()};
  if (int error = WriteAll(fd_.get(), &part, 1); error != 0) {
    errno = error;
    return IoError("write");
  }
  return Status::Ok();
}

bool FastCgiConnection::HandleOtherRecord(const RecordHeader& header, std::string_view content) {
  if (header.request_id == 0) {
    return SendNow(ManagementReply(header.type, content, config_.fastcgi_limits)).ok();
  }
  if (header.request_id == request_id_) return false;  // this request's, out of place
  if (header.type == FCGI_BEGIN_REQUEST) {
    std::string refusal;
    AppendEndRequest(refusal, header.request_id, FCGI_CANT_MPX_CONN);
    return SendNow(refusal).ok();
  }
  return true;  // the rest of a request refused earlier: ignored
}

Result<Incoming> FastCgiConnection::ReadRequest() {
  if (padding_left_ > 0) {
    // The previous request's last record's padding, sent with it.
    if (Status filled = Fill(padding_left_, "a record's padding"); !filled.ok()) {
      Close();
      return filled;
    }
    input_.Consume(padding_left_);
  }
  keep_open_ = false;
  abort_received_ = false;
  stdin_ended_ = false;
  stdin_left_ = padding_left_ = 0;
  request_id_ = 0;
  params_.clear();
  params_block_.clear();
  ClearOutput();
  bool answered = false;
  for (;;) {
    if (input_.size() < FCGI_HEADER_LEN) {
      // After a management answer, look only at what is already here: a
      // web server may ask for values and go quiet, and that must not hold
      // a worker.
      bool look_only = answered && request_id_ == 0 && input_.empty();
      ssize_t got = input_.ReadFrom(fd_.get(), kReadChunk, look_only ? MSG_DONTWAIT : 0);
      if (look_only && got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        keep_open_ = true;
        return Incoming::kIdle;
      }
      if (got < 0 && errno == EINTR) continue;
      if (got == 0 && input_.empty() && request_id_ == 0) {
        Close();
        return Incoming::kClosed;  // closed between requests: a normal end
      }
      if (got <= 0) {
        Status failed = got == 0 ? Status::Error("fastcgi connection closed in the middle of a request's head")
                                 : IoError("read of a request's head");
        Close();
        return failed;
      }
      continue;
    }
    RecordHeader header = ParseRecordHeader(input_.unread());
    if (header.version != FCGI_VERSION_1) {
      Close();
      return Status::Error(requests_read_ == 0
                               ? "no valid FastCGI request on a new connection (not a FastCGI record)"
                               : "FastCGI record of version " + std::to_string(header.version) +
                                     " on a kept connection");
    }
    if (Status filled = Fill(header.record_size(), "a record"); !filled.ok()) {
      Close();
      return filled;
    }
    std::string_view content = input_.unread().substr(FCGI_HEADER_LEN, header.content_length);
    bool ours = request_id_ != 0 && header.request_id == request_id_;
    if (header.type == FCGI_BEGIN_REQUEST && request_id_ == 0 && header.request_id != 0) {
      if (content.size() < 8) {
        Close();
        return Status::Error("FastCGI BEGIN_REQUEST record too short");
      }
      int role = static_cast<uint8_t>(content[0]) << 8 | static_cast<uint8_t>(content[1]);
      request_id_ = header.request_id;
      keep_conn_ = (static_cast<uint8_t>(content[2]) & FCGI_KEEP_CONN) != 0;
      input_.Consume(header.record_size());
      if (role != FCGI_RESPONDER) {
        std::string refusal;
        AppendEndRequest(refusal, request_id_, FCGI_UNKNOWN_ROLE);
        (void)SendNow(refusal);
        Close();
        return Status::Error("FastCGI role " + std::to_string(role) +
                             " is not supported (only the responder role is)");
      }
      continue;
    }
    if (ours && header.type == FCGI_PARAMS) {
      if (params_block_.size() + content.size() > config_.max_header_size) {
        Close();
        return Status::Error("FastCGI params larger than --max-header-size " +
                             std::to_string(config_.max_header_size));
      }
      params_block_.append(content);
      input_.Consume(header.record_size());
      if (!content.empty()) continue;
      if (!ParseNameValuePairs(params_block_, params_)) {
        Close();
        return Status::Error("malformed FastCGI params (a name or value runs past the end)");
      }
      ++requests_read_;
      return Incoming::kRequest;
    }
    if (ours && header.type == FCGI_ABORT_REQUEST) {
      // Given up before it began: end it, and wait for what comes next.
      input_.Consume(header.record_size());
      std::string ended;
      AppendEndRequest(ended, request_id_, FCGI_REQUEST_COMPLETE);
      request_id_ = 0;
      if (!SendNow(ended).ok() || !keep_conn_) {
        Close();
        return Incoming::kClosed;
      }
      answered = true;
      continue;
    }
    if (!HandleOtherRecord(header, content)) {  // (false for our own, out of place)
      Close();
      return Status::Error("FastCGI record of type " + std::to_string(header.type) +
                           " out of place in a request's head");
    }
    input_.Consume(header.record_size());
    answered = true;
  }
}

Result<size_t> FastCgiConnection::ReadBody(char* buffer, size_t size) {
  size_t filled = 0;
  while (filled < size) {
    Result<size_t> got = ReadStdin(buffer + filled, size - filled);
    if (!got.ok()) return got;
    if (got.value() == 0) break;  // the body ended
    filled += got.value();
  }
  return filled;
}

Result<size_t> FastCgiConnection::ReadStdin(char* buffer, size_t size) {
  while (!stdin_ended_) {
    if (stdin_left_ > 0) {
      size_t want = std::min(size, stdin_left_);
      size_t got = std::min(want, input_.size());
      if (got > 0) {
        std::memcpy(buffer, input_.unread().data(), got);
        input_.Consume(got);
      } else {
        // Nothing buffered: straight into the caller's buffer.
        ssize_t n = read(fd_.get(), buffer, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return IoError("read of the request body");
        if (n == 0) return Status::Error("fastcgi connection closed in the middle of the body");
        got = static_cast<size_t>(n);
      }
      stdin_left_ -= got;
      return got;
    }
    if (Status filled = Fill(padding_left_ + FCGI_HEADER_LEN, "the body"); !filled.ok()) {
      return filled;
    }
    input_.Consume(padding_left_);
    padding_left_ = 0;
    RecordHeader header = ParseRecordHeader(input_.unread());
    if (header.version != FCGI_VERSION_1) {
      return Status::Error("not a FastCGI record in the middle of the body");
    }
    if (header.type == FCGI_STDIN && header.request_id == request_id_) {
      input_.Consume(FCGI_HEADER_LEN);
      stdin_left_ = header.content_length;
      padding_left_ = header.padding_length;
      if (stdin_left_ == 0) stdin_ended_ = true;
      continue;
    }
    if (Status filled = Fill(header.record_size(), "the body"); !filled.ok()) return filled;
    std::string_view content = input_.unread().substr(FCGI_HEADER_LEN, header.content_length);
    if (header.type == FCGI_ABORT_REQUEST && header.request_id == request_id_) {
      input_.Consume(header.record_size());
      abort_received_ = true;
      return Status::Error("the web server aborted the request (FCGI_ABORT_REQUEST)");
    }
    if (!HandleOtherRecord(header, content)) {
      return Status::Error("FastCGI record of type " + std::to_string(header.type) +
                           " in the middle of the body");
    }
    input_.Consume(header.record_size());
  }
  // The padding of the closing record, when it is here already, so that a
  // kept connection's buffer is empty between requests.
  if (padding_left_ > 0 && input_.size() >= padding_left_) {
    input_.Consume(padding_left_);
    padding_left_ = 0;
  }
  return size_t{0};
}

void FastCgiConnection::AppendStdout(std::string_view data) {
  // Into the STDOUT record that ends the buffer while it has room, so the
  // headers and a small body travel as one record.
  while (!data.empty()) {
    if (open_record_ == std::string::npos ||
        output_.size() - open_record_ - FCGI_HEADER_LEN == kMaxRecordContent) {
      open_record_ = output_.size();
      AppendRecordHeader(output_, FCGI_STDOUT, request_id_, 0);
    }
    size_t length = output_.size() - open_record_ - FCGI_HEADER_LEN;
    size_t take = std::min(data.size(), kMaxRecordContent - length);
    output_.append(data.substr(0, take));
    data.remove_prefix(take);
    length += take;
    output_[open_record_ + 4] = static_cast<char>(length >> 8);
    output_[open_record_ + 5] = static_cast<char>(length & 0xff);
  }
}

Status FastCgiConnection::SendHeaders(std::string_view status,
                                      std::span<const Header> headers) {
  AppendStdout("Status: ");
  AppendStdout(status);
  AppendStdout("\r\n");
  for (const Header& h : headers) {
    AppendStdout(h.name);
    AppendStdout(": ");
    AppendStdout(h.value);
    AppendStdout("\r\n");
  }
  AppendStdout("\r\n");
  return Status::Ok();
}

Status FastCgiConnection::Write(std::string_view data) {
  if (data.size() >= kDirectWrite) return WriteOut(data);
  AppendStdout(data);
  if (output_.size() >= kDirectWrite) return WriteOut(std::string_view());
  return Status::Ok();
}

Status FastCgiConnection::WriteOut(std::string_view data) {
  // What the buffer holds (the headers, earlier small writes) first, then
  // whole FCGI_STDOUT records straight from `data`, as many per writev(2)
  // as kMaxIov allows.
  constexpr size_t kMaxIov = 33;
  char headers[kMaxIov / 2][FCGI_HEADER_LEN];
  iovec parts[kMaxIov];
  size_t count = 0;
  if (!output_.empty()) parts[count++] = {output_.data(), output_.size()};
  do {
    size_t batch = 0;
    while (count + 2 <= kMaxIov && batch < data.size()) {
      size_t length = std::min(kMaxRecordContent, data.size() - batch);
      char (&slot)[FCGI_HEADER_LEN] = headers[count / 2];
      EncodeRecordHeader(slot, FCGI_STDOUT, request_id_, length);
      parts[count++] = {slot, FCGI_HEADER_LEN};
      parts[count++] = {const_cast<char*>(data.data() + batch), length};
      batch += length;
    }
    int error = count > 0 ? WriteAll(fd_.get(), parts, count) : 0;
    ClearOutput();
    if (error != 0) {
      errno = error;
      return IoError("write");
    }
    data.remove_prefix(batch);
    count = 0;
  } while (!data.empty());
  return Status::Ok();
}

Status FastCgiConnection::Flush() { return WriteOut(std::string_view()); }

bool FastCgiConnection::DrainBody() {
  char scratch[16384];
  size_t drained = 0;
  for (;;) {
    Result<size_t> got = ReadBody(scratch, sizeof(scratch));
    if (!got.ok()) return false;
    if (got.value() == 0) return true;
    drained += got.value();
    if (drained > kMaxDrain) return false;
  }
}

Status FastCgiConnection::Finish() {
  bool drained = !abort_received_ && DrainBody();
  // The end of STDOUT and END_REQUEST go with what is buffered: a small
  // response leaves in one write(2).
  AppendRecordHeader(output_, FCGI_STDOUT, request_id_, 0);
  AppendEndRequest(output_, request_id_, FCGI_REQUEST_COMPLETE);
  Status written = WriteOut(std::string_view());
  keep_open_ = keep_conn_ && written.ok() && (drained || stdin_ended_);
  request_id_ = 0;
  if (!keep_open_) Close();
  return written;
}

bool FastCgiConnection::PeerAborted() {
  if (request_id_ == 0 || !fd_.valid()) return false;
  // Only what is buffered or waiting is looked at; this never blocks.
  if (input_.size() < padding_left_ + FCGI_HEADER_LEN) {
    ssize_t got = input_.ReadFrom(fd_.get(), kReadChunk, MSG_DONTWAIT);
    if (got == 0) return true;  // the web server closed the connection
    if (input_.size() < padding_left_ + FCGI_HEADER_LEN) return false;
  }
  // The end of STDIN, if the app left it unread, is stepped over.
  RecordHeader header = ParseRecordHeader(input_.unread().substr(padding_left_));
  if (stdin_left_ == 0 && !stdin_ended_ && header.type == FCGI_STDIN &&
      header.request_id == request_id_ && header.content_length == 0) {
    input_.Consume(padding_left_ + FCGI_HEADER_LEN);
    padding_left_ = header.padding_length;
    stdin_ended_ = true;
    return PeerAborted();
  }
  // Behind unread body bytes nothing else can be seen.
  if (stdin_left_ > 0 || header.type != FCGI_ABORT_REQUEST || header.request_id != request_id_ ||
      input_.size() < padding_left_ + header.record_size()) {
    return false;
  }
  input_.Consume(padding_left_ + header.record_size());
  padding_left_ = 0;
  abort_received_ = true;
  return true;
}

void FastCgiConnection::Abort() {
  if (abort_received_) {
    // The web server asked for it: end the request properly, so a kept
    // connection stays usable.
    ClearOutput();
    (void)Finish();
    return;
  }
  // The web server must not pass what was sent off as a complete response.
  // An EOF will not do: nginx takes EOF after the headers as a normal end
  // when keep-conn is off, and a unix socket cannot be reset. So end with a
  // record a responder never sends (FCGI_ABORT_REQUEST goes the other way),
  // which nginx rejects as an upstream error and cuts the client off.
  // Whatever is still buffered is dropped.
  if (request_id_ != 0 && fd_.valid()) {
    char marker[FCGI_HEADER_LEN];
    EncodeRecordHeader(marker, FCGI_ABORT_REQUEST, request_id_, 0);
    ::send(fd_.get(), marker, sizeof(marker), MSG_NOSIGNAL);
  }
  ClearOutput();
  request_id_ = 0;
  Close();
}

}  // namespace shoal::protocols
