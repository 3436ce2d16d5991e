// FastCgiConnection, writing: the response as STDOUT records (small writes
// gathered in one buffer, large ones straight from the app's bytes), then
// END_REQUEST; or an abort.
#include "protocols/fastcgi.h"

#include <algorithm>

namespace shoal::protocols {
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
