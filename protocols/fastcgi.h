// FastCGI (responder role) on one connection.
//
// A FastCgiConnection owns an accepted socket and reads requests off it one
// at a time: records into one ReadBuffer, the params decoded in place (no
// allocation per param), the response gathered into one buffer of records
// so that a small response leaves in a single write(2) with its
// END_REQUEST, and large writes sent as 64 KiB records straight from the
// app's bytes with writev(2). shoal accepts and closes; a close is a plain
// close(2), never a wait for the web server's EOF.
//
// Management records (request id 0) are answered wherever they come; a
// second request id while one is in progress gets FCGI_CANT_MPX_CONN; a
// role other than responder gets FCGI_UNKNOWN_ROLE.
//
// Lives in a worker, after fork.
#pragma once

#include <string>
#include <vector>

#include "base/read_buffer.h"
#include "base/unique_fd.h"
#include "protocols/connection.h"
#include "protocols/fastcgi_management.h"
#include "protocols/fastcgi_records.h"

namespace shoal::protocols {

class FastCgiConnection final : public Connection {
 public:
  // `reused`: the connection has served requests before (it was handed
  // over from another process). `config.fastcgi_limits` answer
  // FCGI_GET_VALUES; `config.max_header_size` bounds a request's params
  // block. REQUIRES: `config` outlives the connection.
  FastCgiConnection(UniqueFd fd, const ConnectionConfig& config, bool reused = false);
  ~FastCgiConnection() override = default;
  FastCgiConnection(const FastCgiConnection&) = delete;
  FastCgiConnection& operator=(const FastCgiConnection&) = delete;

  // Connection:
  int fd() const override { return fd_.get(); }
  Protocol protocol() const override { return Protocol::kFastCgi; }
  // Answers management records that come first, then reads BEGIN_REQUEST
  // and PARAMS (blocking until they are in); kIdle if only management
  // records had arrived, kClosed on an EOF before a request began.
  Result<Incoming> ReadRequest() override;
  // The web server asked for FCGI_KEEP_CONN and all went well.
  bool keep_open() const override { return keep_open_; }
  bool has_buffered_input() const override { return fd_.valid() && !input_.empty(); }

  // Exchange:
  std::span<const Param> params() const override { return params_; }
  Result<size_t> ReadBody(char* buffer, size_t size) override;
  Status SendHeaders(std::string_view status, std::span<const Header> headers) override;
  Status Write(std::string_view data) override;
  Status Flush() override;
  // An FCGI_ABORT_REQUEST for this request, or the web server closing.
  // Abort then ends the request with END_REQUEST, as the spec asks.
  bool PeerAborted() override;
  Status Finish() override;
  void Abort() override;

 private:
  // Reads until at least `size` bytes are unread, blocking (the socket's
  // receive timeout bounds the wait).
  Status Fill(size_t size, const char* what);
  // Up to `size` bytes of STDIN: what one record has, at least one byte
  // unless the body has ended (0).
  Result<size_t> ReadStdin(char* buffer, size_t size);
  // Reads and drops what is left of STDIN, so that a kept connection stays
  // aligned and a close does not reset unread bytes. Returns false if it
  // could not (error, or more than a bounded amount left).
  bool DrainBody();
  // Deals with a whole record that is not this request's STDIN: answers a
  // management record or a second BEGIN_REQUEST, skips another request's
  // records. Returns false for a record that breaks the protocol.
  bool HandleOtherRecord(const RecordHeader& header, std::string_view content);
  // Appends body (or header) bytes to the buffer as STDOUT content.
  void AppendStdout(std::string_view data);
  // Sends `bytes` now (answers that cannot wait for the response).
  Status SendNow(std::string_view bytes);
  // Writes what `output_` holds, then `data` as STDOUT records straight
  // from it.
  Status WriteOut(std::string_view data);
  // Drops what the output buffer holds.
  void ClearOutput();
  void Close();

  UniqueFd fd_;
  const ConnectionConfig& config_;
  ReadBuffer input_;
  std::string params_block_;  // the PARAMS stream, which params_ points into
  std::vector<Param> params_;
  std::string output_;        // records not yet written
  size_t open_record_ = std::string::npos;  // where output_'s last STDOUT record starts
  uint16_t request_id_ = 0;   // 0 between requests
  bool keep_conn_ = false;    // FCGI_KEEP_CONN was asked for
  bool keep_open_ = false;
  int requests_read_ = 0;
  size_t stdin_left_ = 0;     // content bytes of the current STDIN record not yet read
  size_t padding_left_ = 0;   // its padding, skipped before the next header
  bool stdin_ended_ = false;
  bool abort_received_ = false;
};

}  // namespace shoal::protocols
