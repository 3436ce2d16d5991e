#include "protocols/ajp.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/ascii.h"
#include "protocols/ajp_codec.h"

namespace shoal::protocols {
namespace {

constexpr size_t kFlushAt = 64 * 1024;
// Writes this large go out as packets straight from the app's bytes.
constexpr size_t kDirectWrite = 16 * 1024;

// Response header codes 0xA001..0xA00B.
constexpr std::string_view kResponseHeaders[] = {
    "Content-Type", "Content-Language", "Content-Length", "Date",
    "Last-Modified", "Location",        "Set-Cookie",     "Set-Cookie2",
    "Servlet-Engine", "Status",         "WWW-Authenticate"};

std::optional<uint16_t> ResponseHeaderCode(std::string_view name) {
  for (size_t i = 0; i < std::size(kResponseHeaders); ++i) {
    std::string_view known = kResponseHeaders[i];
    if (EqualsIgnoringAsciiCase(known, name)) {
      return static_cast<uint16_t>(0xA001 + i);
    }
  }
  return std::nullopt;
}

// Compares in time that depends only on the length, as Tomcat does, so the
// secret cannot be guessed byte by byte from response times.
bool SecretMatches(const std::optional<std::string>& given, const std::string& expected) {
  if (!given || given->size() != expected.size()) return false;
  volatile unsigned char difference = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    difference = difference | static_cast<unsigned char>((*given)[i] ^ expected[i]);
  }
  return difference == 0;
}

}  // namespace

AjpConnection::AjpConnection(UniqueFd fd, const ConnectionConfig& config)
    : SocketConnection(std::move(fd), config) {}

Result<bool> AjpConnection::ReadPacket(std::string& payload) {
  for (;;) {
    std::string_view unread = input_.unread();
    if (unread.size() >= ajp::kHeaderSize) {
      if (unread[0] != 0x12 || unread[1] != 0x34) {
        return Status::Error("AJP packet without the 0x1234 magic");
      }
      size_t length = static_cast<uint8_t>(unread[2]) << 8 | static_cast<uint8_t>(unread[3]);
      if (length > config_.ajp_packet_size - ajp::kHeaderSize) {
        return Status::Error("AJP packet of " + std::to_string(length + ajp::kHeaderSize) +
                             " bytes is over --ajp-packet-size (" +
                             std::to_string(config_.ajp_packet_size) + ")");
      }
      if (unread.size() >= ajp::kHeaderSize + length) {
        payload.assign(unread.substr(ajp::kHeaderSize, length));
        input_.Consume(ajp::kHeaderSize + length);
        return true;
      }
    }
    Result<Received> got = ReadMore("read of a packet");
    if (!got.ok()) return got.status();
    if (got.value() == Received::kEof) {
      if (input_.empty()) return false;
      return Status::Error("AJP connection closed in the middle of a packet");
    }
  }
}

Result<Incoming> AjpConnection::ReadHead() {
  std::string payload;
  bool answered_cping = false;
  for (;;) {
    // After a CPING, wait for more only if it is already here (buffered, or
    // in the socket): Apache may send a CPING alone, and an idle connection
    // must not hold a worker.
    if (answered_cping && input_.empty()) {
      Result<Received> got = ReadMore("read", Wait::kNoWait);
      if (!got.ok()) return got.status();
      if (got.value() == Received::kNothingYet) return Incoming::kIdle;
      if (got.value() == Received::kEof) return Incoming::kClosed;
    }
    Result<bool> read = ReadPacket(payload);
    if (!read.ok()) return read.status();
    if (!read.value()) return Incoming::kClosed;
    uint8_t type = payload.empty() ? 0 : static_cast<uint8_t>(payload[0]);
    if (type == ajp::kCping) {
      std::string pong;
      ajp::PacketBuilder(pong).Byte(ajp::kCpong).Finish();
      if (Status sent = Send(pong); !sent.ok()) return sent;
      answered_cping = true;
      continue;
    }
    if (type != ajp::kForwardRequest) {
      if (type == ajp::kShutdown) return Status::Error("AJP SHUTDOWN from the web server ignored");
      return Status::Error("unexpected AJP message type " + std::to_string(type));
    }
    Result<ajp::ForwardRequest> request = ajp::ParseForwardRequest(payload);
    if (!request.ok()) return request.status();
    if (!config_.ajp_secret.empty() && !SecretMatches(request.value().secret, config_.ajp_secret)) {
      Refuse("403 Forbidden");
      return Status::Error(std::string("AJP request ") +
                           (request.value().secret ? "with a wrong secret" : "without a secret") +
                           " refused (--ajp-secret is set)");
    }
    Result<ajp::CgiRequest> cgi = ajp::ToCgi(request.value());
    if (!cgi.ok()) {
      Refuse("400 Bad Request");
      return cgi.status();
    }
    owned_params_ = std::move(cgi.value().params);
    params_.clear();
    for (const auto& [name, value] : owned_params_) params_.push_back({name, value});
    length_known_ = cgi.value().content_length.has_value();
    body_left_ = cgi.value().content_length.value_or(0);
    // With a Content-Length, Apache sends the first body packet unasked; a
    // chunked body comes only when asked for; otherwise there is none.
    packets_in_flight_ = body_left_ > 0 ? 1 : 0;
    body_done_ = length_known_ ? body_left_ == 0 : !cgi.value().chunked;
    body_.clear();
    body_used_ = 0;
    out_.clear();
    return Incoming::kRequest;
  }
}

Status AjpConnection::FetchBody() {
  // Each GET_BODY_CHUNK is a round trip to Apache. With a Content-Length,
  // up to kAsksInFlight go at once, so Apache sends the next packets while
  // the app reads this one; but only while the packets in flight, each at
  // most a full packet, could not take every byte still to come: each ask
  // must find body left, or Apache would answer it with an empty packet
  // this connection does not expect. A chunked body is asked for one
  // packet at a time (its end is only known from that empty packet). Asks
  // go in batches, once half of those in flight have come: one write for
  // several.
  constexpr size_t kAsksInFlight = 8;
  const size_t most_in_flight = length_known_ ? kAsksInFlight : 1;
  const size_t most_per_packet = config_.ajp_packet_size - 6;
  const bool top_up = packets_in_flight_ <= most_in_flight / 2;
  std::string asks;
  while (top_up && packets_in_flight_ < most_in_flight &&
         (!length_known_ || packets_in_flight_ * most_per_packet < body_left_)) {
    ajp::PacketBuilder(asks)
        .Byte(ajp::kGetBodyChunk)
        .Uint16(static_cast<uint16_t>(most_per_packet))
        .Finish();
    ++packets_in_flight_;
  }
  if (!asks.empty()) {
    Status flushed = Send(out_ + asks);
    if (!flushed.ok()) return flushed;
    out_.clear();
  }
  std::string payload;
  Result<bool> read = ReadPacket(payload);
  --packets_in_flight_;
  if (!read.ok()) return read.status();
  if (!read.value()) return Status::Error("AJP connection closed in the middle of the body");
  // A body packet: uint16 length and the bytes (no type byte, no NUL). An
  // empty packet, or one of length 0, ends the body.
  uint16_t length = 0;
  std::string_view data;
  if (!payload.empty()) {
    ajp::Reader in(payload);
    length = in.Uint16();
    if (in.failed() || in.left() < length) return Status::Error("malformed AJP body packet");
    data = std::string_view(payload).substr(2, length);
  }
  if (length == 0) {
    body_done_ = true;
    return Status::Ok();
  }
  if (length_known_) {
    if (length > body_left_) return Status::Error("AJP body longer than its Content-Length");
    body_left_ -= length;
    body_done_ = body_left_ == 0;
  }
  body_.append(data);
  return Status::Ok();
}

Result<size_t> AjpConnection::ReadBody(char* buffer, size_t size) {
  size_t filled = 0;
  while (filled < size) {
    if (body_used_ == body_.size()) {
      body_.clear();
      body_used_ = 0;
      if (body_done_) break;
      Status fetched = FetchBody();
      if (!fetched.ok()) return fetched;
      continue;
    }
    size_t n = std::min(size - filled, body_.size() - body_used_);
    std::copy_n(body_.data() + body_used_, n, buffer + filled);
    body_used_ += n;
    filled += n;
  }
  return filled;
}

Status AjpConnection::SendHeaders(std::string_view status, std::span<const Header> headers) {
  uint16_t code = 0;
  std::from_chars(status.data(), status.data() + std::min<size_t>(3, status.size()), code);
  std::string_view reason = status.size() > 4 ? status.substr(4) : std::string_view();
  size_t start = out_.size();
  ajp::PacketBuilder packet(out_);
  packet.Byte(ajp::kSendHeaders).Uint16(code).String(reason);
  packet.Uint16(static_cast<uint16_t>(headers.size()));
  for (const Header& h : headers) {
    if (std::optional<uint16_t> coded = ResponseHeaderCode(h.name)) {
      packet.Uint16(*coded);
    } else {
      packet.String(h.name);
    }
    packet.String(h.value);
  }
  size_t payload = packet.Finish();
  if (payload > config_.ajp_packet_size - ajp::kHeaderSize) {
    out_.resize(start);
    return Status::Error("response headers (" + std::to_string(payload) +
                         " bytes) do not fit one AJP packet of --ajp-packet-size " +
                         std::to_string(config_.ajp_packet_size));
  }
  return Status::Ok();
}

Status AjpConnection::Write(std::string_view data) {
  if (data.size() >= kDirectWrite) return WriteChunksDirect(data);
  ajp::AppendBodyChunks(out_, data, ajp::MaxSendData(config_.ajp_packet_size));
  return out_.size() >= kFlushAt ? WriteBuffered() : Status::Ok();
}

Status AjpConnection::WriteChunksDirect(std::string_view data) {
  // What is buffered (the headers, earlier small writes) first, then
  // SEND_BODY_CHUNK packets whose data is the app's own bytes, up to
  // kMaxPackets per writev(2): no copy, and no buffer growing to the size
  // of the response.
  constexpr size_t kMaxPackets = 64;
  static const char kNul = '\0';
  char prefixes[kMaxPackets][ajp::kBodyChunkPrefix];
  iovec parts[1 + 3 * kMaxPackets];
  size_t max_data = ajp::MaxSendData(config_.ajp_packet_size);
  while (!data.empty() || !out_.empty()) {
    size_t count = 0;
    if (!out_.empty()) parts[count++] = {out_.data(), out_.size()};
    size_t batch = 0;
    for (size_t packet = 0; packet < kMaxPackets && batch < data.size(); ++packet) {
      size_t length = std::min(max_data, data.size() - batch);
      ajp::EncodeBodyChunkPrefix(prefixes[packet], length);
      parts[count++] = {prefixes[packet], ajp::kBodyChunkPrefix};
      parts[count++] = {const_cast<char*>(data.data() + batch), length};
      parts[count++] = {const_cast<char*>(&kNul), 1};
      batch += length;
    }
    Status written = Send(parts, count);
    out_.clear();
    if (!written.ok()) return written;
    data.remove_prefix(batch);
  }
  return Status::Ok();
}

Status AjpConnection::Flush() {
  // An empty SEND_BODY_CHUNK tells Apache to pass on what it has now
  // (Tomcat's flush); without it Apache buffers a streamed response.
  ajp::PacketBuilder(out_).Byte(ajp::kSendBodyChunk).Uint16(0).Byte(0).Finish();
  return WriteBuffered();
}

Status AjpConnection::WriteBuffered() {
  Status written = Send(out_);
  out_.clear();
  return written;
}

Status AjpConnection::Finish() {
  // A body packet Apache already sent (or was asked for) must be read, or
  // the next request on this connection would start with it.
  bool aligned = true;
  for (; packets_in_flight_ > 0 && aligned; --packets_in_flight_) {
    std::string payload;
    Result<bool> read = ReadPacket(payload);
    aligned = read.ok() && read.value();
  }
  packets_in_flight_ = 0;
  ajp::PacketBuilder(out_).Byte(ajp::kEndResponse).Byte(aligned ? 1 : 0).Finish();
  Status written = WriteBuffered();
  keep_open_ = written.ok() && aligned;
  if (!keep_open_) Close();
  return written;
}

void AjpConnection::Refuse(const char* status) {
  std::string_view body = std::string_view(status).substr(4);
  std::string length = std::to_string(body.size() + 1);
  Header headers[] = {{"Content-Type", "text/plain"}, {"Content-Length", length}};
  out_.clear();
  if (SendHeaders(status, headers).ok()) {
    ajp::AppendBodyChunks(out_, std::string(body) + "\n", ajp::MaxSendData(config_.ajp_packet_size));
    ajp::PacketBuilder(out_).Byte(ajp::kEndResponse).Byte(0).Finish();
    (void)Send(out_);  // best effort: the connection is closed either way
  }
  Close();
}

}  // namespace shoal::protocols
