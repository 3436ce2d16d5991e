// FastCgiConnection: reading a request's head record by record, each type
// to its handler, then STDIN as the body; writing the response as STDOUT
// records and END_REQUEST.
#include "protocols/fastcgi.h"

#include <algorithm>
#include <cstring>

#include "protocols/cgi_params.h"
#include "protocols/fastcgi_management.h"

namespace shoal::protocols {
namespace {

// How much unread request body Finish will read and drop to keep a
// connection usable; past this the connection is closed instead.
constexpr size_t kMaxDrain = 4 << 20;

}  // namespace

FastCgiConnection::FastCgiConnection(UniqueFd fd, const ConnectionConfig& config, bool reused)
    : SocketConnection(std::move(fd), config), requests_read_(reused ? 1 : 0) {}

Result<Incoming> FastCgiConnection::ReadHead() {
  if (padding_left_ > 0) {
    // The previous request's last record's padding, sent with it.
    if (Status filled = Fill(padding_left_, "a record's padding"); !filled.ok()) return filled;
    input_.Consume(padding_left_);
  }
  abort_received_ = false;
  input_ended_ = false;
  stdin_ended_ = false;
  stdin_left_ = padding_left_ = 0;
  std::string().swap(early_body_);  // its memory too: it may have held megabytes
  early_used_ = 0;
  rest_of_body_taken_ = false;
  request_id_ = 0;
  answered_ = false;
  params_.clear();
  params_block_.clear();
  ClearOutput();
  for (;;) {
    HeadStep step = input_.size() < FCGI_HEADER_LEN ? ReadMoreOfHead() : ReadHeadRecord();
    if (!step.ok()) return step.status();
    if (step.value()) return *step.value();
  }
}

FastCgiConnection::HeadStep FastCgiConnection::ReadHeadRecord() {
  RecordHeader header = ParseRecordHeader(input_.unread());
  if (header.version != FCGI_VERSION_1) return NotARecord(header);
  if (Status filled = Fill(header.record_size(), "a record"); !filled.ok()) return filled;
  HeadStep step =
      OnHeadRecord(header, input_.unread().substr(FCGI_HEADER_LEN, header.content_length));
  input_.Consume(header.record_size());
  return step;
}

FastCgiConnection::HeadStep FastCgiConnection::ReadMoreOfHead() {
  // After a management answer, look only at what is already here.
  bool look_only = answered_ && request_id_ == 0 && input_.empty();
  Result<Received> got = ReadMore("read of a request's head", look_only ? Wait::kNoWait : Wait::kBlock);
  if (!got.ok()) return got.status();
  switch (got.value()) {
    case Received::kBytes:
      return ReadOn();
    case Received::kNothingYet:
      return Done(Incoming::kIdle);
    case Received::kEof:
      break;
  }
  if (input_.empty() && request_id_ == 0) return Done(Incoming::kClosed);  // a normal end
  return Status::Error("fastcgi connection closed in the middle of a request's head");
}

FastCgiConnection::HeadStep FastCgiConnection::OnHeadRecord(const RecordHeader& header,
                                                            std::string_view content) {
  if (header.request_id == 0) return OnAnswered(OnManagementRecord(header, content));
  if (request_id_ == 0 && header.type == FCGI_BEGIN_REQUEST) return OnBeginRequest(header, content);
  if (header.request_id != request_id_) return OnAnswered(OnOtherRequestsRecord(header));
  switch (header.type) {
    case FCGI_PARAMS:
      return OnParams(content);
    case FCGI_ABORT_REQUEST:
      return OnAbortBeforeBody();
  }
  return OutOfPlace(header, "out of place in a request's head");
}

FastCgiConnection::HeadStep FastCgiConnection::OnBeginRequest(const RecordHeader& header,
                                                              std::string_view content) {
  if (content.size() < 8) return Status::Error("FastCGI BEGIN_REQUEST record too short");
  int role = static_cast<uint8_t>(content[0]) << 8 | static_cast<uint8_t>(content[1]);
  request_id_ = header.request_id;
  keep_conn_ = (static_cast<uint8_t>(content[2]) & FCGI_KEEP_CONN) != 0;
  if (role != FCGI_RESPONDER) {
    std::string refusal;
    AppendEndRequest(refusal, request_id_, FCGI_UNKNOWN_ROLE);
    (void)Send(refusal);  // the connection is closed either way
    return Status::Error("FastCGI role " + std::to_string(role) +
                         " is not supported (only the responder role is)");
  }
  return ReadOn();
}

FastCgiConnection::HeadStep FastCgiConnection::OnParams(std::string_view content) {
  if (params_block_.size() + content.size() > config_.max_header_size) {
    return Status::Error("FastCGI params larger than --max-header-size " +
                         std::to_string(config_.max_header_size));
  }
  params_block_.append(content);
  if (!content.empty()) return ReadOn();
  if (!ParseNameValuePairs(params_block_, params_)) {
    return Status::Error("malformed FastCGI params (a name or value runs past the end)");
  }
  RejoinCookies(params_, cookies_);  // Apache's mod_proxy_fcgi joins with ", "
  ++requests_read_;
  return Done(Incoming::kRequest);
}

FastCgiConnection::HeadStep FastCgiConnection::OnAbortBeforeBody() {
  // Given up before it began: end it, and wait for what comes next.
  std::string ended;
  AppendEndRequest(ended, request_id_, FCGI_REQUEST_COMPLETE);
  request_id_ = 0;
  if (!Send(ended).ok() || !keep_conn_) return Done(Incoming::kClosed);
  answered_ = true;
  return ReadOn();
}

FastCgiConnection::HeadStep FastCgiConnection::OnAnswered(Status answer) {
  if (!answer.ok()) return answer;
  answered_ = true;
  return ReadOn();
}

Status FastCgiConnection::OnManagementRecord(const RecordHeader& header,
                                             std::string_view content) {
  return Send(ManagementReply(header.type, content, config_.fastcgi_limits));
}

Status FastCgiConnection::OnOtherRequestsRecord(const RecordHeader& header) {
  if (header.type != FCGI_BEGIN_REQUEST) return Status::Ok();  // the rest of a refused request
  std::string refusal;
  AppendEndRequest(refusal, header.request_id, FCGI_CANT_MPX_CONN);
  return Send(refusal);
}

Status FastCgiConnection::NotARecord(const RecordHeader& header) const {
  return Status::Error(requests_read_ == 0
                           ? "no valid FastCGI request on a new connection (not a FastCGI record)"
                           : "FastCGI record of version " + std::to_string(header.version) +
                                 " on a kept connection");
}

Status FastCgiConnection::OutOfPlace(const RecordHeader& header, const char* where) {
  return Status::Error("FastCGI record of type " + std::to_string(header.type) + " " + where);
}

Result<size_t> FastCgiConnection::ReadBody(char* buffer, size_t size) {
  size_t filled = std::min(size, early_body_.size() - early_used_);
  std::memcpy(buffer, early_body_.data() + early_used_, filled);
  early_used_ += filled;
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
      Result<size_t> got = ReadBodyBytes(buffer, std::min(size, stdin_left_));
      if (got.ok()) stdin_left_ -= got.value();
      return got;
    }
    if (Status read = ReadBodyRecord(); !read.ok()) return read;
  }
  // The padding of the closing record, when it is here already, so that a
  // kept connection's buffer is empty between requests.
  if (padding_left_ > 0 && input_.size() >= padding_left_) {
    input_.Consume(padding_left_);
    padding_left_ = 0;
  }
  return size_t{0};
}

Status FastCgiConnection::ReadBodyRecord() {
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
    stdin_ended_ = stdin_left_ == 0;
    return Status::Ok();
  }
  if (Status filled = Fill(header.record_size(), "the body"); !filled.ok()) return filled;
  return OnBodyRecord(header, input_.unread().substr(FCGI_HEADER_LEN, header.content_length));
}

Status FastCgiConnection::OnBodyRecord(const RecordHeader& header, std::string_view content) {
  Status handled;
  if (header.request_id == 0) {
    handled = OnManagementRecord(header, content);
  } else if (header.request_id != request_id_) {
    handled = OnOtherRequestsRecord(header);
  } else if (header.type == FCGI_ABORT_REQUEST) {
    abort_received_ = true;
    handled = Status::Error("the web server aborted the request (FCGI_ABORT_REQUEST)");
  } else {
    return OutOfPlace(header, "in the middle of the body");
  }
  input_.Consume(header.record_size());
  return handled;
}

void FastCgiConnection::TakeRestOfBody() {
  rest_of_body_taken_ = true;
  char scratch[16384];
  while (!stdin_ended_ && !abort_received_ && early_body_.size() - early_used_ <= kMaxDrain) {
    Result<size_t> got = ReadStdin(scratch, sizeof(scratch));
    if (!got.ok() || got.value() == 0) return;  // an error shows again at the app's next read
    early_body_.append(scratch, got.value());
  }
}

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

bool FastCgiConnection::PeerAborted() {
  if (request_id_ == 0 || !open()) return false;
  // Only what is buffered or waiting is looked at; this never blocks.
  if (!input_ended_ && input_.size() < padding_left_ + FCGI_HEADER_LEN) {
    Result<Received> got = ReadMore("read", Wait::kNoWait);
    if (got.ok() && got.value() == Received::kEof) input_ended_ = true;
  }
  if (input_.size() >= padding_left_ + FCGI_HEADER_LEN) {
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
    if (stdin_left_ == 0 && header.type == FCGI_ABORT_REQUEST && header.request_id == request_id_ &&
        input_.size() >= padding_left_ + header.record_size()) {
      input_.Consume(padding_left_ + header.record_size());
      padding_left_ = 0;
      abort_received_ = true;
      return true;
    }
  }
  // The web server shut its side. Before the body's end that is an abort.
  // After the whole request it may be a half-close (shutdown(SHUT_WR)) that
  // still waits for the response, unless the socket shows the peer gone
  // both ways (a unix socket's peer closed; TCP tells only at a write).
  return input_ended_ && (!stdin_ended_ || PeerHungUp());
}


// Writing: the response as STDOUT records (small writes gathered in one
// buffer, large ones straight from the app's bytes), then END_REQUEST; or
// an abort.
namespace {

// Writes this large go out straight from the app's bytes; smaller ones are
// gathered in the output buffer, which is written once it holds this much.
constexpr size_t kDirectWrite = 16 * 1024;

}  // namespace

void FastCgiConnection::ClearOutput() {
  output_.clear();
  open_record_ = std::string::npos;
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
  if (request_id_ != 0 && !rest_of_body_taken_) TakeRestOfBody();
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
    Status written = count > 0 ? Send(parts, count) : Status::Ok();
    ClearOutput();
    if (!written.ok()) return written;
    data.remove_prefix(batch);
    count = 0;
  } while (!data.empty());
  return Status::Ok();
}

Status FastCgiConnection::Flush() { return WriteOut(std::string_view()); }

Status FastCgiConnection::Finish() {
  bool drained = !abort_received_ && DrainBody();
  rest_of_body_taken_ = true;  // what DrainBody left is not to be kept
  // The end of STDOUT and END_REQUEST go with what is buffered: a small
  // response leaves in one write(2).
  AppendRecordHeader(output_, FCGI_STDOUT, request_id_, 0);
  AppendEndRequest(output_, request_id_, FCGI_REQUEST_COMPLETE);
  Status written = WriteOut(std::string_view());
  keep_open_ = keep_conn_ && !input_ended_ && written.ok() && (drained || stdin_ended_);
  request_id_ = 0;
  if (!keep_open_) Close();
  return written;
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
  if (request_id_ != 0 && open()) {
    char marker[FCGI_HEADER_LEN];
    EncodeRecordHeader(marker, FCGI_ABORT_REQUEST, request_id_, 0);
    (void)Send(std::string_view(marker, sizeof(marker)));
  }
  ClearOutput();
  request_id_ = 0;
  Close();
}

}  // namespace shoal::protocols
