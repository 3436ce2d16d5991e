// FastCGI (responder role) on one connection, through libfcgi.
//
// A FastCgiConnection owns an accepted socket and reads requests off it one
// at a time with libfcgi's FCGX_Request. shoal, not libfcgi, accepts and
// closes: the request's ipcFd is set before FCGX_Accept_r, keepConnection is
// forced on so FCGX_Finish_r never closes, and `detached` is set so libfcgi's
// own error path closes without its 2 s lingering wait. A close is a plain
// close(2); the worker never waits for the web server's EOF.
//
// Lives in a worker, after fork. Call InitFastCgi() once in the master before
// forking (libfcgi's global set-up; it installs signal handlers, which the
// master replaces afterwards).
#pragma once

#include <fastcgi.h>
#include <fcgiapp.h>

#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "protocols/connection.h"
#include "protocols/fastcgi_management.h"

namespace shoal::protocols {

// REQUIRES: called once, in the master, before fork and before the master
// sets its own signal dispositions.
Status InitFastCgi();

class FastCgiConnection final : public Connection {
 public:
  // `reused`: the connection has served requests before (it was handed
  // over from another process), so an EOF before the next is a normal end.
  // `limits` answer FCGI_GET_VALUES.
  explicit FastCgiConnection(UniqueFd fd, FastCgiLimits limits = {}, bool reused = false);
  ~FastCgiConnection() override;
  FastCgiConnection(const FastCgiConnection&) = delete;
  FastCgiConnection& operator=(const FastCgiConnection&) = delete;

  // Connection:
  int fd() const override { return fd_.get(); }
  Protocol protocol() const override { return Protocol::kFastCgi; }
  // Answers management records (FCGI_GET_VALUES, unknown types) that come
  // first, then reads BEGIN_REQUEST and PARAMS (blocking until they are
  // in); kIdle if only management records had arrived. libfcgi closes the
  // connection on a protocol error without saying which, so a failure on a
  // new connection is reported as malformed input, and one on a kept
  // connection as the web server closing it.
  Result<Incoming> ReadRequest() override;
  // The web server asked for FCGI_KEEP_CONN and all went well.
  bool keep_open() const override { return keep_open_; }

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
  // Reads and drops what is left of STDIN, so that a kept connection stays
  // aligned and a close does not reset unread bytes. Returns false if it
  // could not (error, or more than a bounded amount left).
  bool DrainBody();
  // Reads and answers management records at the head of the input. Returns
  // nullopt when a request record comes next, or what ReadRequest returns.
  Result<std::optional<Incoming>> AnswerManagementRecords();
  void ReleaseRequest(bool close_connection);
  // Sends `data` as FCGI_STDOUT records of up to 64 KiB written straight
  // from it, after flushing what libfcgi buffers.
  Status WriteRecords(std::string_view data);

  UniqueFd fd_;
  FastCgiLimits limits_;
  FCGX_Request request_{};
  bool in_request_ = false;
  bool keep_open_ = false;
  int requests_read_ = 0;
  bool abort_received_ = false;
  std::vector<Param> params_;
  std::string header_block_;
};

}  // namespace shoal::protocols
