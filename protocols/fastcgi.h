// FastCGI (responder role) on one connection.
//
// A FastCgiConnection reads requests off its socket one at a time: records
// into the one ReadBuffer of its SocketConnection, each record of a
// request's head handed to the handler for its type (BEGIN_REQUEST,
// PARAMS, ABORT_REQUEST, management records, another request's records),
// the params decoded in place (no allocation per param). The response is
// gathered into one buffer of records so that a small response leaves in a
// single write(2) with its END_REQUEST, and large writes go out as 64 KiB
// records straight from the app's bytes with writev(2). shoal accepts and
// closes; a close is a plain close(2), never a wait for the web server's
// EOF.
//
// Management records (request id 0) are answered wherever they come; a
// second request id while one is in progress gets FCGI_CANT_MPX_CONN; a
// role other than responder gets FCGI_UNKNOWN_ROLE.
//
// Made by MakeConnection, owned by the worker; lives in a worker, after
// fork. fastcgi.cc reads requests and writes their responses.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocols/fastcgi_records.h"
#include "protocols/socket_connection.h"

namespace shoal::protocols {

class FastCgiConnection final : public SocketConnection {
 public:
  // `reused`: the connection has served requests before (it was handed
  // over from another process). `config.fastcgi_limits` answer
  // FCGI_GET_VALUES; `config.max_header_size` bounds a request's params
  // block. REQUIRES: `config` outlives the connection.
  FastCgiConnection(UniqueFd fd, const ConnectionConfig& config, bool reused = false);

  // Connection:
  Protocol protocol() const override { return Protocol::kFastCgi; }
  bool has_buffered_input() const override { return open() && !input_.empty(); }

  // Exchange:
  // Up to `size` body bytes from this request's STDIN records; other
  // records met on the way are answered or skipped. Returns the count
  // (fewer only at the body's end, 0 once the empty STDIN record came); or
  // an error (the web server's ABORT_REQUEST, after which PeerAborted is
  // true; a record out of place; an EOF; a failed read).
  Result<size_t> ReadBody(char* buffer, size_t size) override;
  // Appends the Status line and the headers to the buffered STDOUT record,
  // to leave with the first body bytes (or at Finish). Always OK.
  Status SendHeaders(std::string_view status, std::span<const Header> headers) override;
  // Appends `data` to the buffered STDOUT record (writing the buffer once
  // it holds 16 KiB), or from 16 KiB writes the buffer and then `data` as
  // records straight from it. Returns OK, or the write's error (the web
  // server is gone).
  Status Write(std::string_view data) override;
  // Writes what is buffered. Returns as Write. (Before a request's first
  // bytes go out, each of these first reads the rest of its body: see
  // TakeRestOfBody.)
  Status Flush() override;
  // An FCGI_ABORT_REQUEST for this request, or the web server closing
  // before the request's end (a half-close after it still gets the
  // response and END_REQUEST). After FCGI_ABORT_REQUEST, Abort ends the
  // request with END_REQUEST, as the spec asks.
  bool PeerAborted() override;
  // Drains unread STDIN, then sends the end of STDOUT and END_REQUEST with
  // what is buffered. Keeps the connection (keep_open) if the web server
  // asked for FCGI_KEEP_CONN and all went well, else closes it. Returns
  // OK, or the write's error.
  Status Finish() override;
  // After the web server's ABORT_REQUEST, ends the request as Finish does;
  // otherwise drops what is buffered, sends an FCGI_ABORT_REQUEST record
  // (which nginx rejects as an upstream error, so the client sees the
  // failure) and closes.
  void Abort() override;

 private:
  // What a record of a request's head leads to: nullopt to read on, or
  // what ReadRequest returns; or an error (the connection is then closed).
  using HeadStep = Result<std::optional<Incoming>>;
  static HeadStep ReadOn() { return std::optional<Incoming>(); }
  static HeadStep Done(Incoming incoming) { return std::optional<Incoming>(incoming); }

  // SocketConnection: answers management records that come first, then
  // reads BEGIN_REQUEST and PARAMS (blocking until they are in). Returns
  // kRequest once the params are in; kIdle if only management records had
  // arrived; kClosed on an EOF before a request began; or an error.
  Result<Incoming> ReadHead() override;

  // Reading a request's head (fastcgi.cc). Each returns a HeadStep.
  // Less than a record header is unread: reads more. Reads on; kIdle when
  // a management answer was the last thing and nothing more has arrived (a
  // web server may ask for values and go quiet, and that must not hold a
  // worker); kClosed at an EOF between requests; an error for an EOF in
  // the middle of a head or a failed read.
  HeadStep ReadMoreOfHead();
  // At least a record header is unread: reads the whole record and hands
  // it to OnHeadRecord, then drops it from the buffer. Returns what the
  // handler returned; an error for a record that is not FastCGI's, or an
  // EOF or failed read before its end.
  HeadStep ReadHeadRecord();
  // A whole record of the head, handed to the handler for its type.
  // Returns what the handler returned; an error for this request's record
  // of a type that has no place in a head.
  HeadStep OnHeadRecord(const RecordHeader& header, std::string_view content);
  // BEGIN_REQUEST: the request's id and FCGI_KEEP_CONN. Reads on; an error
  // for a short record, or a role other than responder (refused first with
  // FCGI_UNKNOWN_ROLE).
  HeadStep OnBeginRequest(const RecordHeader& header, std::string_view content);
  // PARAMS: appended to the params block. Reads on; kRequest at the empty
  // record that ends the stream, with the params decoded; an error past
  // --max-header-size or for pairs that run past the end.
  HeadStep OnParams(std::string_view content);
  // ABORT_REQUEST before the body: the request is ended with END_REQUEST.
  // Reads on (for the next request on a kept connection); kClosed without
  // FCGI_KEEP_CONN or when the answer cannot be sent.
  HeadStep OnAbortBeforeBody();
  // A management record or another request's was answered (`answer`).
  // Reads on; the answer's error.
  HeadStep OnAnswered(Status answer);

  // Records that may come anywhere (fastcgi.cc). Each returns OK, or the
  // error of sending its answer.
  // Request id 0: answered (FCGI_GET_VALUES_RESULT, FCGI_UNKNOWN_TYPE).
  Status OnManagementRecord(const RecordHeader& header, std::string_view content);
  // Another request's: a BEGIN_REQUEST is refused with FCGI_CANT_MPX_CONN;
  // the rest of a refused request is skipped.
  Status OnOtherRequestsRecord(const RecordHeader& header);

  // Reading the body (fastcgi.cc).
  // Up to `size` bytes of STDIN: what one record has, at least one byte
  // unless the body has ended (0); or an error.
  Result<size_t> ReadStdin(char* buffer, size_t size);
  // Reads the next record's header while the body is read. A STDIN record
  // of this request opens its content (an empty one ends the body); any
  // other is read whole and handed to OnBodyRecord. Returns OK to read on,
  // or an error.
  Status ReadBodyRecord();
  // A whole record met while reading the body that is not its STDIN.
  // Returns OK once answered or skipped; an error for this request's
  // ABORT_REQUEST (PeerAborted is then true), or for a record out of place
  // (left unread: nothing after it can be trusted).
  Status OnBodyRecord(const RecordHeader& header, std::string_view content);
  // Reads and drops what is left of STDIN, so that a kept connection stays
  // aligned and a close does not reset unread bytes. Returns false if it
  // could not (error, or more than a bounded amount left).
  bool DrainBody();
  // Before the response's first bytes go out (once a request): reads what
  // is left of STDIN, up to kMaxDrain, into early_body_, where ReadBody
  // serves it from. nginx stops sending a request body once it has the
  // response's headers, so a body still on its way then would never come,
  // and the app (or DrainBody) would wait for it until --body-timeout. A
  // read error here is left for the app's next read to meet. Past
  // kMaxDrain the rest stays in the socket: an app that reads more of such
  // a body after its first write waits for it, as nginx cannot do both.
  void TakeRestOfBody();

  // Errors for records that break the protocol.
  Status NotARecord(const RecordHeader& header) const;
  static Status OutOfPlace(const RecordHeader& header, const char* where);

  // Writing the response.
  // Appends body (or header) bytes to the buffer as STDOUT content.
  void AppendStdout(std::string_view data);
  // Writes what `output_` holds, then `data` as STDOUT records straight
  // from it. Returns OK or the write's error; the buffer is empty after.
  Status WriteOut(std::string_view data);
  // Drops what the output buffer holds.
  void ClearOutput();

  std::string params_block_;  // the PARAMS stream, which params_ points into
  std::string cookies_;       // HTTP_COOKIE rejoined (RejoinCookies), if it had to be
  std::string output_;        // records not yet written
  size_t open_record_ = std::string::npos;  // where output_'s last STDOUT record starts
  uint16_t request_id_ = 0;   // 0 between requests
  bool keep_conn_ = false;    // FCGI_KEEP_CONN was asked for
  bool answered_ = false;     // a management answer was sent while reading this head
  int requests_read_ = 0;
  size_t stdin_left_ = 0;     // content bytes of the current STDIN record not yet read
  size_t padding_left_ = 0;   // its padding, skipped before the next header
  bool stdin_ended_ = false;
  bool input_ended_ = false;  // the web server shut its side (EOF seen)
  bool abort_received_ = false;
  std::string early_body_;    // STDIN read ahead by TakeRestOfBody
  size_t early_used_ = 0;     // how much of it ReadBody has handed out
  bool rest_of_body_taken_ = false;  // TakeRestOfBody ran (or Finish drained)
};

}  // namespace shoal::protocols
