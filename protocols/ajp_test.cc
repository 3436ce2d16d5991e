#include "protocols/ajp.h"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

#include <map>
#include <string>
#include <thread>

#include "protocols/ajp_codec.h"

namespace shoal::protocols {
namespace {

// Builds web server → container packets, as Apache does.
class Packet {
 public:
  Packet& Byte(uint8_t b) {
    payload_.push_back(static_cast<char>(b));
    return *this;
  }
  Packet& U16(uint16_t v) {
    return Byte(static_cast<uint8_t>(v >> 8)).Byte(static_cast<uint8_t>(v & 0xff));
  }
  Packet& Str(std::string_view s) {
    U16(static_cast<uint16_t>(s.size()));
    payload_.append(s);
    return Byte(0);
  }
  Packet& Null() { return U16(0xFFFF); }
  std::string Wire() const {
    std::string wire = {0x12, 0x34, static_cast<char>(payload_.size() >> 8),
                        static_cast<char>(payload_.size() & 0xff)};
    return wire + payload_;
  }
  const std::string& payload() const { return payload_; }

 private:
  std::string payload_;
};

// A FORWARD_REQUEST like Apache's for a POST of `length` bytes (or chunked).
Packet Forward(std::optional<size_t> length, std::string secret = "",
               std::vector<std::pair<std::string, std::string>> attributes = {}) {
  Packet p;
  p.Byte(ajp::kForwardRequest).Byte(4 /* POST */).Str("HTTP/1.1").Str("/app/a%20b")
      .Str("127.0.0.1").Null().Str("localhost").U16(8080).Byte(0);
  p.U16(3);
  p.U16(0xA00B).Str("localhost:8080");       // Host
  p.U16(0xA007).Str("text/plain");           // Content-Type
  if (length) {
    p.U16(0xA008).Str(std::to_string(*length));  // Content-Length
  } else {
    p.Str("Transfer-Encoding").Str("chunked");
  }
  if (!secret.empty()) p.Byte(0x0C).Str(secret);
  p.Byte(0x05).Str("q=1");
  p.Byte(0x06).Str("node1");
  p.Byte(0x0A).Str("AJP_REMOTE_PORT").Str("51234");
  for (const auto& [name, value] : attributes) p.Byte(0x0A).Str(name).Str(value);
  p.Byte(0xFF);
  return p;
}

std::string BodyPacket(std::string_view data) {
  Packet p;
  p.U16(static_cast<uint16_t>(data.size()));
  std::string wire = p.Wire();
  // The length field of the packet covers the chunk length and the data.
  std::string payload = p.payload() + std::string(data);
  return std::string{0x12, 0x34, static_cast<char>(payload.size() >> 8),
                     static_cast<char>(payload.size() & 0xff)} + payload;
}

std::map<std::string, std::string> ParamMap(std::span<const Param> params) {
  std::map<std::string, std::string> map;
  for (const Param& p : params) map[std::string(p.name)] = std::string(p.value);
  return map;
}

TEST(AjpRequestTest, MapsAForwardRequestToCgi) {
  auto parsed = ajp::ParseForwardRequest(
      Forward(11, "", {{"PATH_INFO", "/evil"}, {"AJP_LOCAL_ADDR", "10.0.0.1"}}).payload());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  auto cgi = ajp::ToCgi(parsed.value());
  ASSERT_TRUE(cgi.ok());
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : cgi.value().params) env[k] = v;
  EXPECT_EQ(env["REQUEST_METHOD"], "POST");
  EXPECT_EQ(env["REQUEST_URI"], "/app/a%20b?q=1");
  EXPECT_EQ(env["QUERY_STRING"], "q=1");
  EXPECT_EQ(env["SERVER_PORT"], "8080");
  EXPECT_EQ(env["HTTP_HOST"], "localhost:8080");
  EXPECT_EQ(env["CONTENT_TYPE"], "text/plain");
  EXPECT_EQ(env["CONTENT_LENGTH"], "11");
  EXPECT_EQ(env["REMOTE_PORT"], "51234");
  EXPECT_EQ(env["SERVER_ADDR"], "10.0.0.1");
  EXPECT_EQ(env["AJP_ROUTE"], "node1");
  EXPECT_EQ(env.count("REMOTE_HOST"), 0u);  // the null string
  // An attribute can never set a CGI key shoal owns.
  EXPECT_EQ(env.count("PATH_INFO"), 0u);
  EXPECT_EQ(env["AJP_PATH_INFO"], "/evil");
  EXPECT_EQ(cgi.value().content_length, 11u);
}

TEST(AjpRequestTest, RefusesMalformedRequests) {
  std::string good = Forward(0).payload();
  for (size_t cut = 1; cut < good.size(); ++cut) {
    EXPECT_FALSE(ajp::ParseForwardRequest(good.substr(0, cut)).ok()) << "cut at " << cut;
  }
  Packet bad_method;
  bad_method.Byte(ajp::kForwardRequest).Byte(99);
  auto refused = ajp::ParseForwardRequest(bad_method.payload());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("unknown method code 99"), std::string::npos);
}

TEST(AjpRequestTest, TwoContentLengthsAreRefused) {
  auto parsed = ajp::ParseForwardRequest(Forward(5).payload());
  ASSERT_TRUE(parsed.ok());
  ajp::ForwardRequest request = parsed.value();
  request.headers.emplace_back("Content-Length", "6");
  auto cgi = ajp::ToCgi(request);
  ASSERT_FALSE(cgi.ok());
  EXPECT_NE(cgi.status().message().find("two Content-Lengths"), std::string::npos);
}

class AjpConnectionTest : public testing::Test {
 protected:
  void SetUp() override { Connect(ConnectionConfig{}); }
  void Connect(const ConnectionConfig& config) {
    config_ = config;
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    connection_ = std::make_unique<AjpConnection>(UniqueFd(fds[0]), config_);
    peer_.Reset(fds[1]);
    timeval tv{2, 0};
    setsockopt(peer_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  void Send(const std::string& bytes) {
    ASSERT_EQ(write(peer_.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // Reads container packets until END_RESPONSE; returns their payloads.
  std::vector<std::string> Response() {
    std::vector<std::string> packets;
    std::string buffer;
    char chunk[65536];
    for (;;) {
      while (buffer.size() >= 4) {
        size_t length = static_cast<uint8_t>(buffer[2]) << 8 | static_cast<uint8_t>(buffer[3]);
        if (buffer.size() < 4 + length) break;
        EXPECT_EQ(buffer.substr(0, 2), "AB");
        packets.push_back(buffer.substr(4, length));
        buffer.erase(0, 4 + length);
        if (packets.back()[0] == ajp::kEndResponse || packets.back()[0] == ajp::kCpong ||
            packets.back()[0] == ajp::kGetBodyChunk) {
          return packets;
        }
      }
      ssize_t n = read(peer_.get(), chunk, sizeof(chunk));
      if (n <= 0) return packets;
      buffer.append(chunk, static_cast<size_t>(n));
    }
  }
  std::string ReadAllBody() {
    std::string body;
    char buffer[1000];
    for (;;) {
      Result<size_t> n = connection_->ReadBody(buffer, sizeof(buffer));
      EXPECT_TRUE(n.ok()) << n.status().message();
      if (!n.ok() || n.value() == 0) return body;
      body.append(buffer, n.value());
    }
  }
  ConnectionConfig config_;  // outlives connection_
  std::unique_ptr<AjpConnection> connection_;
  UniqueFd peer_;
};

TEST_F(AjpConnectionTest, LoneCpingIsAnsweredAndLeavesTheConnectionIdle) {
  Send(Packet().Byte(ajp::kCping).Wire());
  Result<Incoming> idle = connection_->ReadRequest();
  ASSERT_TRUE(idle.ok()) << idle.status().message();
  EXPECT_EQ(idle.value(), Incoming::kIdle);
  EXPECT_TRUE(connection_->keep_open());
  auto packets = Response();
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0], std::string(1, ajp::kCpong));

  Send(Forward(0).Wire());
  Result<Incoming> ready = connection_->ReadRequest();
  ASSERT_TRUE(ready.ok() && ready.value() == Incoming::kRequest);
  EXPECT_EQ(ParamMap(connection_->params())["REQUEST_METHOD"], "POST");
}

TEST_F(AjpConnectionTest, CpingFollowedByARequestIsServedAtOnce) {
  Send(Packet().Byte(ajp::kCping).Wire() + Forward(0).Wire());
  Result<Incoming> ready = connection_->ReadRequest();
  ASSERT_TRUE(ready.ok() && ready.value() == Incoming::kRequest);
  EXPECT_EQ(Response()[0], std::string(1, ajp::kCpong));
}

TEST_F(AjpConnectionTest, ALargeWriteIsSentAsWholePacketsOfTheAppsBytes) {
  Send(Forward(0).Wire());
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  std::string big(200 * 1024 + 5, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  std::vector<std::string> packets;
  std::thread apache([&] { packets = Response(); });
  ASSERT_TRUE(connection_->SendHeaders("200 OK", {}).ok());
  ASSERT_TRUE(connection_->Write("small first ").ok());
  ASSERT_TRUE(connection_->Write(big).ok());
  ASSERT_TRUE(connection_->Finish().ok());
  apache.join();
  ASSERT_GE(packets.size(), 3u);
  EXPECT_EQ(static_cast<uint8_t>(packets.front()[0]), ajp::kSendHeaders);
  EXPECT_EQ(static_cast<uint8_t>(packets.back()[0]), ajp::kEndResponse);
  std::string body;
  for (size_t i = 1; i + 1 < packets.size(); ++i) {
    const std::string& packet = packets[i];
    ASSERT_EQ(static_cast<uint8_t>(packet[0]), ajp::kSendBodyChunk);
    size_t length = static_cast<uint8_t>(packet[1]) << 8 | static_cast<uint8_t>(packet[2]);
    ASSERT_EQ(packet.size(), 3 + length + 1) << "packet " << i;
    EXPECT_EQ(packet.back(), '\0') << "packet " << i << " lacks its trailing NUL";
    EXPECT_LE(packet.size() + 4, 8192u) << "packet " << i << " is over the packet size";
    body += packet.substr(3, length);
  }
  EXPECT_EQ(body, "small first " + big);
}

TEST_F(AjpConnectionTest, CpingThenCloseIsANormalEnd) {
  Send(Packet().Byte(ajp::kCping).Wire());
  shutdown(peer_.get(), SHUT_WR);  // Apache gives the connection up after its CPONG
  Result<Incoming> closed = connection_->ReadRequest();
  ASSERT_TRUE(closed.ok()) << closed.status().message();
  EXPECT_EQ(closed.value(), Incoming::kClosed);
  EXPECT_FALSE(connection_->keep_open());
}

TEST_F(AjpConnectionTest, BodyWithLengthFirstPacketUnaskedThenOnRequest) {
  Send(Forward(10).Wire() + BodyPacket("01234"));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  std::string body;
  std::thread apache([&] {
    auto asked = Response();  // GET_BODY_CHUNK for the rest
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(static_cast<uint8_t>(asked[0][0]), ajp::kGetBodyChunk);
    Send(BodyPacket("56789"));
  });
  body = ReadAllBody();
  apache.join();
  EXPECT_EQ(body, "0123456789");
}

// Apache answers each GET_BODY_CHUNK with a packet of body, so every ask
// must find body left (an empty answer would end the body early); within
// that, several are in flight and the body arrives whole.
TEST_F(AjpConnectionTest, BodyAsksAreSeveralInFlightButNeverMoreThanTheBodyLeft) {
  const size_t most = 8192 - 6;  // the most body an 8 KiB packet of Apache's holds
  std::string sent_body;
  for (size_t i = 0; i < 100000; ++i) sent_body += static_cast<char>('a' + i % 26);
  Send(Forward(sent_body.size()).Wire() + BodyPacket(sent_body.substr(0, most)));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  size_t at = most, asks = 0, empty_asks = 0, most_unanswered = 0;
  std::thread apache([&] {
    // Answers the asks in batches, as they come, until END_RESPONSE.
    std::string buffer;
    char chunk[65536];
    for (;;) {
      size_t unanswered = 0;
      std::string answers;
      bool ended = false;
      while (buffer.size() >= 4) {
        size_t length = static_cast<uint8_t>(buffer[2]) << 8 | static_cast<uint8_t>(buffer[3]);
        if (buffer.size() < 4 + length) break;
        const uint8_t type = static_cast<uint8_t>(buffer[4]);
        buffer.erase(0, 4 + length);
        if (type == ajp::kEndResponse) ended = true;
        if (type != ajp::kGetBodyChunk) continue;
        ++asks;
        ++unanswered;
        if (at == sent_body.size()) {
          ++empty_asks;
          answers += std::string("\x12\x34\x00\x02\x00\x00", 6);
          continue;
        }
        const size_t n = std::min(most, sent_body.size() - at);
        answers += BodyPacket(sent_body.substr(at, n));
        at += n;
      }
      most_unanswered = std::max(most_unanswered, unanswered);
      if (!answers.empty()) Send(answers);
      if (ended) return;
      ssize_t n = read(peer_.get(), chunk, sizeof(chunk));
      if (n <= 0) return;
      buffer.append(chunk, static_cast<size_t>(n));
    }
  });
  std::string body = ReadAllBody();
  ASSERT_TRUE(connection_->SendHeaders("200 OK", {}).ok());
  ASSERT_TRUE(connection_->Finish().ok());
  apache.join();
  EXPECT_EQ(body, sent_body);
  EXPECT_EQ(asks, (sent_body.size() - most + most - 1) / most) << "one ask per packet left";
  EXPECT_EQ(empty_asks, 0u);
  EXPECT_GT(most_unanswered, 1u) << "the asks came one at a time";
  EXPECT_TRUE(connection_->keep_open());
}

TEST_F(AjpConnectionTest, ChunkedBodyEndsWithAnEmptyPacket) {
  Send(Forward(std::nullopt).Wire());
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  std::thread apache([&] {
    for (std::string piece : {"abc", "def", ""}) {
      auto asked = Response();
      ASSERT_EQ(asked.size(), 1u);
      EXPECT_EQ(static_cast<uint8_t>(asked[0][0]), ajp::kGetBodyChunk);
      Send(piece.empty() ? std::string("\x12\x34\x00\x02\x00\x00", 6) : BodyPacket(piece));
    }
  });
  std::string body = ReadAllBody();
  apache.join();
  EXPECT_EQ(body, "abcdef");
}

TEST_F(AjpConnectionTest, ResponsePacketsAndReuseWithUnreadBodyDrained) {
  Send(Forward(5).Wire() + BodyPacket("hello"));  // the app never reads it
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  Header headers[] = {{"Content-Type", "text/plain"}, {"X-Custom", "1"}};
  ASSERT_TRUE(connection_->SendHeaders("201 Created", headers).ok());
  ASSERT_TRUE(connection_->Write(std::string(20000, 'x')).ok());
  ASSERT_TRUE(connection_->Finish().ok());
  EXPECT_TRUE(connection_->keep_open());

  auto packets = Response();
  ASSERT_GE(packets.size(), 3u);
  ajp::Reader headers_in(packets[0]);
  EXPECT_EQ(headers_in.Byte(), ajp::kSendHeaders);
  EXPECT_EQ(headers_in.Uint16(), 201);
  EXPECT_EQ(headers_in.String().value_or(""), "Created");
  EXPECT_EQ(headers_in.Uint16(), 2);
  EXPECT_EQ(headers_in.Uint16(), 0xA001);  // Content-Type, coded
  EXPECT_EQ(headers_in.String().value_or(""), "text/plain");
  EXPECT_EQ(headers_in.String().value_or(""), "X-Custom");
  size_t body = 0;
  for (size_t i = 1; i + 1 < packets.size(); ++i) {
    ajp::Reader chunk(packets[i]);
    EXPECT_EQ(chunk.Byte(), ajp::kSendBodyChunk);
    uint16_t n = chunk.Uint16();
    EXPECT_LE(n, ajp::MaxSendData(8192));
    EXPECT_EQ(packets[i].size(), 1u + 2 + n + 1);
    EXPECT_EQ(packets[i].back(), '\0');  // Apache answers 503 without it
    body += n;
  }
  EXPECT_EQ(body, 20000u);
  EXPECT_EQ(packets.back(), std::string("\x05\x01", 2));  // END_RESPONSE, reuse

  // The next request on the same connection starts aligned.
  Send(Forward(0).Wire());
  Result<Incoming> next = connection_->ReadRequest();
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_EQ(next.value(), Incoming::kRequest);
}

TEST_F(AjpConnectionTest, RequestWithoutTheSecretGets403AndIsClosed) {
  Connect({.ajp_packet_size = 8192, .ajp_secret = "s3cret"});
  Send(Forward(0, "wrong").Wire());
  Result<Incoming> ready = connection_->ReadRequest();
  ASSERT_FALSE(ready.ok());
  EXPECT_NE(ready.status().message().find("wrong secret"), std::string::npos);
  auto packets = Response();
  ASSERT_FALSE(packets.empty());
  ajp::Reader headers(packets[0]);
  headers.Byte();
  EXPECT_EQ(headers.Uint16(), 403);
  EXPECT_EQ(packets.back(), std::string("\x05\x00", 2));
}

TEST_F(AjpConnectionTest, RequestWithTheSecretIsServed) {
  Connect({.ajp_packet_size = 8192, .ajp_secret = "s3cret"});
  Send(Forward(0, "s3cret").Wire());
  Result<Incoming> ready = connection_->ReadRequest();
  ASSERT_TRUE(ready.ok()) << ready.status().message();
  EXPECT_EQ(ready.value(), Incoming::kRequest);
}

TEST_F(AjpConnectionTest, OversizedPacketIsRefused) {
  std::string wire = {0x12, 0x34, 0x30, 0x00};  // 12288 bytes, over 8192
  Send(wire);
  Result<Incoming> ready = connection_->ReadRequest();
  ASSERT_FALSE(ready.ok());
  EXPECT_NE(ready.status().message().find("over --ajp-packet-size (8192)"), std::string::npos);
}

TEST_F(AjpConnectionTest, AbortSendsNoEndResponse) {
  Send(Forward(0).Wire());
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  ASSERT_TRUE(connection_->SendHeaders("200 OK", {}).ok());
  ASSERT_TRUE(connection_->Write("partial").ok());
  ASSERT_TRUE(connection_->Flush().ok());
  connection_->Abort();
  auto packets = Response();
  for (const std::string& p : packets) EXPECT_NE(p[0], ajp::kEndResponse);
  ASSERT_GE(packets.size(), 3u);
  EXPECT_EQ(packets[2], std::string("\x03\x00\x00\x00", 4)) << "no flush packet after the block";
  EXPECT_FALSE(connection_->keep_open());
}

}  // namespace
}  // namespace shoal::protocols
