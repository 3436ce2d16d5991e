#include "protocols/fastcgi.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace shoal::protocols {
namespace {

// Encodes FastCGI records as a web server sends them.
std::string Record(int type, std::string_view content, int request_id = 1) {
  std::string r;
  size_t padding = (8 - content.size() % 8) % 8;
  r += static_cast<char>(1);
  r += static_cast<char>(type);
  r += static_cast<char>(request_id >> 8);
  r += static_cast<char>(request_id & 0xff);
  r += static_cast<char>(content.size() >> 8);
  r += static_cast<char>(content.size() & 0xff);
  r += static_cast<char>(padding);
  r += '\0';
  r += content;
  r.append(padding, '\0');
  return r;
}

std::string Begin(bool keep_conn) {
  std::string body = {0, 1, static_cast<char>(keep_conn ? 1 : 0), 0, 0, 0, 0, 0};
  return Record(1, body);
}

std::string Params(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string content;
  for (const auto& [name, value] : params) {
    content += static_cast<char>(name.size());
    content += static_cast<char>(value.size());
    content += name + value;
  }
  return Record(4, content) + Record(4, "");
}

std::string Request(bool keep_conn, const std::string& body) {
  std::string stdin_records = body.empty() ? "" : Record(5, body);
  return Begin(keep_conn) +
         Params({{"REQUEST_METHOD", "POST"}, {"CONTENT_LENGTH", std::to_string(body.size())}}) +
         stdin_records + Record(5, "");
}

// Decodes the records a response holds: (type, content) pairs.
std::vector<std::pair<int, std::string>> Records(const std::string& wire) {
  std::vector<std::pair<int, std::string>> out;
  size_t at = 0;
  while (at + 8 <= wire.size()) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(wire[at + i]); };
    size_t length = byte(4) << 8 | byte(5);
    out.emplace_back(byte(1), wire.substr(at + 8, length));
    at += 8 + length + byte(6);
  }
  return out;
}

class FastCgiTest : public testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    connection_ = std::make_unique<FastCgiConnection>(UniqueFd(fds[0]), config_);
    peer_.Reset(fds[1]);
  }
  void Send(const std::string& bytes) {
    ASSERT_EQ(write(peer_.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // Everything the connection wrote, once it is closed or after `expect` bytes.
  std::string Received() {
    std::string all;
    char buffer[65536];
    timeval timeout{2, 0};
    setsockopt(peer_.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    for (;;) {
      ssize_t n = read(peer_.get(), buffer, sizeof(buffer));
      if (n <= 0) break;
      all.append(buffer, static_cast<size_t>(n));
      if (Records(all).size() > 0 && Records(all).back().first == 3) break;  // END_REQUEST
    }
    return all;
  }

  // Serves a request without a body on a kept connection: an empty 200.
  void ServeAKeptRequest() {
    Send(Request(/*keep_conn=*/true, ""));
    ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
    ASSERT_TRUE(connection_->SendHeaders("200 OK", {}).ok());
    ASSERT_TRUE(connection_->Finish().ok());
    ASSERT_TRUE(connection_->keep_open());
  }

  ConnectionConfig config_;  // outlives connection_
  std::unique_ptr<FastCgiConnection> connection_;
  UniqueFd peer_;
};

TEST_F(FastCgiTest, ReadsParamsAndBodyAndWritesARecordFramedResponse) {
  Send(Request(/*keep_conn=*/false, "hello body"));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  std::vector<std::pair<std::string, std::string>> params;
  for (const Param& p : connection_->params()) params.emplace_back(p.name, p.value);
  EXPECT_NE(std::find(params.begin(), params.end(),
                      std::make_pair(std::string("REQUEST_METHOD"), std::string("POST"))),
            params.end());
  char body[64];
  Result<size_t> got = connection_->ReadBody(body, sizeof(body));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(body, got.value()), "hello body");

  Header headers[] = {{"Content-Type", "text/plain"}};
  ASSERT_TRUE(connection_->SendHeaders("201 Created", headers).ok());
  ASSERT_TRUE(connection_->Write("made").ok());
  ASSERT_TRUE(connection_->Finish().ok());
  EXPECT_FALSE(connection_->keep_open());

  auto records = Records(Received());
  ASSERT_GE(records.size(), 3u);
  EXPECT_EQ(records[0].first, 6);  // STDOUT
  EXPECT_EQ(records[0].second, "Status: 201 Created\r\nContent-Type: text/plain\r\n\r\nmade");
  EXPECT_EQ(records[records.size() - 2], std::make_pair(6, std::string()));  // end of STDOUT
  EXPECT_EQ(records.back().first, 3);  // END_REQUEST, COMPLETE
  EXPECT_EQ(records.back().second[4], 0);
  char eof;
  EXPECT_EQ(read(peer_.get(), &eof, 1), 0) << "not keep-conn: the connection is closed";
}

TEST_F(FastCgiTest, CookiesApacheJoinedWithACommaArriveAsOneCookieHeader) {
  // mod_proxy_fcgi joins two Cookie headers with ", ", as any repeated header.
  Send(Begin(/*keep_conn=*/false) +
       Params({{"REQUEST_METHOD", "GET"}, {"HTTP_COOKIE", "a=1, b=2"}, {"HTTP_ACCEPT", "x, y"}}) +
       Record(5, ""));

  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);

  std::map<std::string, std::string> params;
  for (const Param& p : connection_->params()) params.emplace(p.name, p.value);
  EXPECT_EQ(params["HTTP_COOKIE"], "a=1; b=2");
  EXPECT_EQ(params["HTTP_ACCEPT"], "x, y");
}

TEST_F(FastCgiTest, KeepConnServesTwoRequestsOnOneConnectionEvenWithUnreadBody) {
  Send(Request(/*keep_conn=*/true, "first body nobody reads"));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  ASSERT_TRUE(connection_->SendHeaders("200 OK", {}).ok());
  ASSERT_TRUE(connection_->Finish().ok());
  EXPECT_TRUE(connection_->keep_open());
  Received();

  Send(Request(/*keep_conn=*/true, "second"));
  Result<Incoming> second = connection_->ReadRequest();
  ASSERT_TRUE(second.ok() && second.value() == Incoming::kRequest)
      << "the unread first body broke the stream";
  char body[16];
  Result<size_t> got = connection_->ReadBody(body, sizeof(body));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(body, got.value()), "second");
}

TEST_F(FastCgiTest, PeerClosingAKeptConnectionIsANormalEnd) {
  ASSERT_NO_FATAL_FAILURE(ServeAKeptRequest());
  Received();
  peer_.Reset();
  Result<Incoming> next = connection_->ReadRequest();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.value(), Incoming::kClosed);
}

// nginx closes a kept connection whose client left before END_REQUEST
// arrived; with that record unread in its socket, the close is a reset.
TEST_F(FastCgiTest, APeerResettingAKeptConnectionBetweenRequestsIsANormalEndToo) {
  ASSERT_NO_FATAL_FAILURE(ServeAKeptRequest());
  peer_.Reset();  // the response unread
  Result<Incoming> next = connection_->ReadRequest();
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_EQ(next.value(), Incoming::kClosed);
}

// nginx stops sending a request body once the response's headers come, so
// they must not leave before the body is in, even when the app reads none.
TEST_F(FastCgiTest, TheResponseWaitsForTheRestOfAnUnreadBodyWhichTheAppCanStillRead) {
  const std::string first(20000, 'a'), second(30000, 'b');
  Send(Begin(/*keep_conn=*/true) + Params({{"REQUEST_METHOD", "POST"}, {"CONTENT_LENGTH", "50000"}}) +
       Record(5, first.substr(0, 10000)) + Record(5, first.substr(10000)));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  std::thread app([&] {
    EXPECT_TRUE(connection_->SendHeaders("200 OK", {}).ok());
    EXPECT_TRUE(connection_->Write("first block").ok());
    EXPECT_TRUE(connection_->Flush().ok());
  });
  pollfd response{peer_.get(), POLLIN, 0};
  EXPECT_EQ(poll(&response, 1, 300), 0) << "the response left before the body was in";
  Send(Record(5, second.substr(0, 15000)) + Record(5, second.substr(15000)) + Record(5, ""));
  app.join();

  std::string body(60000, '\0');
  Result<size_t> got = connection_->ReadBody(body.data(), body.size());
  ASSERT_TRUE(got.ok());
  body.resize(got.value());
  EXPECT_EQ(body, first + second);
  ASSERT_TRUE(connection_->Finish().ok());
  auto records = Records(Received());
  ASSERT_FALSE(records.empty());
  EXPECT_NE(records.front().second.find("first block"), std::string::npos);
  EXPECT_EQ(records.back().first, 3);
  EXPECT_TRUE(connection_->keep_open());

  Send(Request(/*keep_conn=*/true, "next"));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  char next[8];
  Result<size_t> read = connection_->ReadBody(next, sizeof(next));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(std::string(next, read.value()), "next");
}

TEST_F(FastCgiTest, GarbageIsAProtocolErrorAndClosesTheConnection) {
  Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  Result<Incoming> result = connection_->ReadRequest();
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("no valid FastCGI request"), std::string::npos);
  char byte;
  EXPECT_EQ(read(peer_.get(), &byte, 1), 0);
}

TEST_F(FastCgiTest, AbortEndsWithARecordTheWebServerRejectsAndNoEndRequest) {
  Send(Request(/*keep_conn=*/true, ""));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  ASSERT_TRUE(connection_->SendHeaders("200 OK", {}).ok());
  ASSERT_TRUE(connection_->Write("partial").ok());
  connection_->Abort();
  EXPECT_FALSE(connection_->keep_open());
  std::string wire = Received();
  auto records = Records(wire);
  ASSERT_FALSE(records.empty());
  for (const auto& record : records) EXPECT_NE(record.first, 3) << "END_REQUEST sent";
  EXPECT_EQ(records.back().first, 2) << "no FCGI_ABORT_REQUEST marker at the end";
  char eof;
  EXPECT_EQ(read(peer_.get(), &eof, 1), 0) << "the connection stays open";
}

std::string NameValue(const std::string& name, const std::string& value) {
  return std::string(1, static_cast<char>(name.size())) +
         std::string(1, static_cast<char>(value.size())) + name + value;
}

TEST_F(FastCgiTest, GetValuesIsAnsweredWithThePoolsLimitsAndTheConnectionWaits) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  config_ = {.fastcgi_limits = {.max_conns = 1002, .max_reqs = 2}};
  connection_ = std::make_unique<FastCgiConnection>(UniqueFd(fds[0]), config_);
  peer_.Reset(fds[1]);
  Send(Record(9, NameValue("FCGI_MAX_CONNS", "") + NameValue("FCGI_MAX_REQS", "") +
                     NameValue("FCGI_MPXS_CONNS", "") + NameValue("FCGI_UNKNOWN_NAME", ""),
              /*request_id=*/0));

  Result<Incoming> idle = connection_->ReadRequest();
  ASSERT_TRUE(idle.ok()) << idle.status().message();
  EXPECT_EQ(idle.value(), Incoming::kIdle);
  EXPECT_TRUE(connection_->keep_open());
  char reply[256];
  ssize_t n = read(peer_.get(), reply, sizeof(reply));
  auto records = Records(std::string(reply, static_cast<size_t>(std::max<ssize_t>(n, 0))));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].first, 10);  // FCGI_GET_VALUES_RESULT
  EXPECT_EQ(records[0].second, NameValue("FCGI_MAX_CONNS", "1002") +
                                   NameValue("FCGI_MAX_REQS", "2") +
                                   NameValue("FCGI_MPXS_CONNS", "0"));

  Send(Request(/*keep_conn=*/true, ""));
  EXPECT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
}

TEST_F(FastCgiTest, UnknownManagementTypeGetsUnknownType) {
  Send(Record(42, "", /*request_id=*/0) + Request(/*keep_conn=*/false, ""));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  char reply[64];
  ssize_t n = read(peer_.get(), reply, sizeof(reply));
  auto records = Records(std::string(reply, static_cast<size_t>(std::max<ssize_t>(n, 0))));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].first, 11);  // FCGI_UNKNOWN_TYPE
  EXPECT_EQ(records[0].second[0], 42);
}

TEST_F(FastCgiTest, SecondConcurrentRequestIdIsRefusedWithCantMpxConn) {
  std::string second_begin = Begin(true);
  second_begin[3] = 2;  // request id 2, while 1 is still sending its body
  Send(Begin(true) + Params({{"REQUEST_METHOD", "POST"}}) + second_begin + Record(5, "body") +
       Record(5, ""));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  char body[16];
  Result<size_t> got = connection_->ReadBody(body, sizeof(body));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(body, got.value()), "body");
  ASSERT_TRUE(connection_->SendHeaders("200 OK", {}).ok());
  ASSERT_TRUE(connection_->Finish().ok());
  bool refused = false;
  for (const auto& [type, content] : Records(Received())) {
    if (type == 3 && content.size() == 8 && content[4] == 1) refused = true;  // CANT_MPX_CONN
  }
  EXPECT_TRUE(refused) << "no END_REQUEST{CANT_MPX_CONN} for request 2";
}

TEST_F(FastCgiTest, AbortRequestIsSeenAndTheRequestEndsProperly) {
  Send(Request(/*keep_conn=*/true, ""));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  ASSERT_TRUE(connection_->SendHeaders("200 OK", {}).ok());
  ASSERT_TRUE(connection_->Write("first block").ok());
  ASSERT_TRUE(connection_->Flush().ok());
  EXPECT_FALSE(connection_->PeerAborted());
  Send(Record(2, ""));  // FCGI_ABORT_REQUEST for request 1
  EXPECT_TRUE(connection_->PeerAborted());
  connection_->Abort();
  auto records = Records(Received());
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().first, 3) << "no END_REQUEST after the abort";
  EXPECT_TRUE(connection_->keep_open());
}

TEST_F(FastCgiTest, AHalfCloseAfterACompleteRequestStillGetsTheResponseAndEndRequest) {
  Send(Request(/*keep_conn=*/true, "body"));
  ASSERT_EQ(shutdown(peer_.get(), SHUT_WR), 0);
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  ASSERT_TRUE(connection_->SendHeaders("200 OK", {}).ok());
  EXPECT_FALSE(connection_->PeerAborted());
  ASSERT_TRUE(connection_->Write("answer").ok());
  EXPECT_FALSE(connection_->PeerAborted());
  ASSERT_TRUE(connection_->Finish().ok());
  auto records = Records(Received());
  ASSERT_GE(records.size(), 2u);
  EXPECT_EQ(records.front().second.substr(records.front().second.size() - 6), "answer");
  EXPECT_EQ(records.back().first, 3) << "no END_REQUEST after a half-close";
  EXPECT_EQ(connection_->ReadRequest().value(), Incoming::kClosed);
}

TEST_F(FastCgiTest, ClosingBeforeTheBodysEndOrForGoodIsAnAbort) {
  Send(Begin(true) + Params({{"CONTENT_LENGTH", "10"}}) + Record(5, "abc"));
  ASSERT_EQ(shutdown(peer_.get(), SHUT_WR), 0);
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  char body[3];
  ASSERT_EQ(connection_->ReadBody(body, sizeof(body)).value(), 3u);
  EXPECT_TRUE(connection_->PeerAborted()) << "a body cut short is an abort";

  SetUp();  // a fresh connection; this time the web server closes outright
  Send(Request(/*keep_conn=*/true, ""));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  EXPECT_FALSE(connection_->PeerAborted());
  peer_.Reset();
  EXPECT_TRUE(connection_->PeerAborted()) << "a closed unix socket peer shows POLLHUP";
}

// The deadlines (socket_connection.h), with short timeouts.
TEST_F(FastCgiTest, AHeadTricklingPastTheHeaderTimeoutIsDroppedAtTheDeadline) {
  config_.header_timeout = std::chrono::milliseconds(300);
  std::string request = Request(/*keep_conn=*/false, "");
  std::thread trickle([&] {
    for (size_t i = 0; i < 10 && i < request.size(); ++i) {  // a byte every 100 ms: 1 s in all
      if (send(peer_.get(), &request[i], 1, MSG_NOSIGNAL) != 1) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  auto start = std::chrono::steady_clock::now();
  Result<Incoming> read = connection_->ReadRequest();
  auto took = std::chrono::steady_clock::now() - start;
  trickle.join();
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(read.status().timed_out());
  EXPECT_EQ(read.status().message(),
            "fastcgi read of a request's head timed out (--header-timeout 0.3 s)");
  EXPECT_GE(took, std::chrono::milliseconds(290));
  EXPECT_LT(took, std::chrono::milliseconds(900)) << "the bytes kept coming, the deadline held";
}

TEST_F(FastCgiTest, AFloodOfManagementRecordsWhoseAnswersAreNeverReadEndsAtTheHeaderTimeout) {
  config_.header_timeout = std::chrono::milliseconds(300);
  std::string flood;
  for (int i = 0; i < 20000; ++i) flood += Record(9, "", 0);  // FCGI_GET_VALUES, 160 KB
  std::thread send([&] { (void)::send(peer_.get(), flood.data(), flood.size(), MSG_NOSIGNAL); });
  auto start = std::chrono::steady_clock::now();
  Result<Incoming> read = connection_->ReadRequest();
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(read.ok()) << "answers piled up unread; the worker must not wait for ever";
  EXPECT_TRUE(read.status().timed_out()) << read.status().message();
  EXPECT_LT(took, std::chrono::seconds(2));
  peer_.Reset();
  send.join();
}

TEST_F(FastCgiTest, ABodyThatStopsComingEndsAtTheBodyTimeout) {
  config_.body_timeout = std::chrono::milliseconds(200);
  Send(Begin(true) + Params({{"CONTENT_LENGTH", "10"}}) + Record(5, "abc"));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  char buffer[10];
  auto start = std::chrono::steady_clock::now();
  Result<size_t> read = connection_->ReadBody(buffer, sizeof(buffer));
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(read.status().timed_out());
  EXPECT_EQ(read.status().message(),
            "fastcgi read of the body timed out (--body-timeout 0.2 s)");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(190));
}

TEST_F(FastCgiTest, AFrontEndThatDoesNotReadIsDroppedAtTheSendTimeout) {
  config_.send_timeout = std::chrono::milliseconds(200);
  Send(Request(/*keep_conn=*/true, ""));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  ASSERT_TRUE(connection_->SendHeaders("200 OK", {}).ok());
  std::string big(8 << 20, 'x');  // far more than the socket buffers hold
  auto start = std::chrono::steady_clock::now();
  Status written = connection_->Write(big);
  ASSERT_FALSE(written.ok());
  EXPECT_TRUE(written.timed_out());
  EXPECT_EQ(written.message(), "fastcgi write timed out (--send-timeout 0.2 s)");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(FastCgiTest, ABodyTrickledBelowTheMinimumRateEndsThoughEachByteComesInTime) {
  config_.body_timeout = std::chrono::milliseconds(300);  // each wait is well within it
  config_.min_rate = 1000;  // bytes a second; the trickle gives 320 (16 on the wire per 50 ms)
  Send(Begin(true) + Params({{"CONTENT_LENGTH", "1000"}}));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  std::atomic<bool> stop = false;
  std::thread trickle([&] {
    for (int i = 0; i < 40 && !stop; ++i) {  // a one-byte record every 50 ms, 2 s at most
      std::string record = Record(5, "x");
      if (send(peer_.get(), record.data(), record.size(), MSG_NOSIGNAL) < 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  char buffer[1000];
  auto start = std::chrono::steady_clock::now();
  Result<size_t> read = connection_->ReadBody(buffer, sizeof(buffer));
  auto took = std::chrono::steady_clock::now() - start;
  stop = true;
  trickle.join();
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(read.status().timed_out());
  EXPECT_NE(read.status().message().find("too slow (under --min-rate 1000 bytes/s)"),
            std::string::npos) << read.status().message();
  // Allowed: 0.3 s of waiting plus 1 s per 1000 bytes moved: about 0.45 s
  // (0.3 + 0.32 t = t); never the trickle's 2 s.
  EXPECT_LT(took, std::chrono::milliseconds(1500));
}

TEST_F(FastCgiTest, ParamsSplitAcrossRecordsAndPairsAreJoined) {
  std::string pair = NameValue("SCRIPT_FILENAME", "/srv/app.py");
  std::string params = Record(4, pair.substr(0, 5)) + Record(4, pair.substr(5)) + Record(4, "");
  Send(Begin(false) + params + Record(5, ""));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  ASSERT_EQ(connection_->params().size(), 1u);
  EXPECT_EQ(connection_->params()[0].name, "SCRIPT_FILENAME");
  EXPECT_EQ(connection_->params()[0].value, "/srv/app.py");
}

TEST_F(FastCgiTest, ParamsPastTheBoundAreRefused) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  config_ = {.max_header_size = 1024};
  connection_ = std::make_unique<FastCgiConnection>(UniqueFd(fds[0]), config_);
  peer_.Reset(fds[1]);
  std::string params;
  for (int i = 0; i < 5; ++i) params += Record(4, NameValue("HTTP_X", std::string(120, 'x')) +
                                                      NameValue("HTTP_Y", std::string(100, 'y')));
  Send(Begin(false) + params);  // 5 x 232 bytes, and no end yet
  Result<Incoming> result = connection_->ReadRequest();
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("--max-header-size 1024"), std::string::npos)
      << result.status().message();
}

TEST_F(FastCgiTest, MalformedParamsAreAnError) {
  Send(Begin(false) + Record(4, "\x05\x05" "ab") + Record(4, "") + Record(5, ""));
  Result<Incoming> result = connection_->ReadRequest();
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("malformed FastCGI params"), std::string::npos);
}

TEST_F(FastCgiTest, OtherRolesGetUnknownRole) {
  std::string authorizer = {0, 2, 0, 0, 0, 0, 0, 0};  // FCGI_AUTHORIZER
  Send(Record(1, authorizer) + Params({}) + Record(5, ""));
  Result<Incoming> result = connection_->ReadRequest();
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("role 2"), std::string::npos);
  auto records = Records(Received());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].first, 3);  // END_REQUEST
  EXPECT_EQ(records[0].second[4], 3) << "protocol status FCGI_UNKNOWN_ROLE";
}

TEST_F(FastCgiTest, AbortBeforeTheParamsEndEndsTheRequestAndTheNextIsServed) {
  Send(Begin(true) + Record(4, NameValue("A", "b")) + Record(2, "") + Request(true, "next"));
  Result<Incoming> result = connection_->ReadRequest();
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result.value(), Incoming::kRequest);
  char body[16];
  Result<size_t> got = connection_->ReadBody(body, sizeof(body));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(body, got.value()), "next");
  auto records = Records(Received());
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records[0].first, 3) << "the aborted request ends with END_REQUEST";
}

TEST_F(FastCgiTest, APipelinedRequestIsLeftBufferedAndServedNext) {
  Send(Request(/*keep_conn=*/true, "one") + Request(/*keep_conn=*/true, "two"));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  ASSERT_TRUE(connection_->SendHeaders("200 OK", {}).ok());
  ASSERT_TRUE(connection_->Finish().ok());
  ASSERT_TRUE(connection_->keep_open());
  EXPECT_TRUE(connection_->has_buffered_input())
      << "the second request was read with the first; the socket will not wake for it";
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  char body[16];
  Result<size_t> got = connection_->ReadBody(body, sizeof(body));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(body, got.value()), "two");
  ASSERT_TRUE(connection_->SendHeaders("200 OK", {}).ok());
  ASSERT_TRUE(connection_->Finish().ok());
  EXPECT_FALSE(connection_->has_buffered_input());
}

TEST_F(FastCgiTest, AHeaderBlockPastOneRecordIsSplitIntoWholeRecords) {
  Send(Request(/*keep_conn=*/false, ""));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  std::string big(70000, 'v');
  Header headers[] = {{"X-Big", big}};
  std::string wire;
  std::thread web_server([&] { wire = Received(); });
  ASSERT_TRUE(connection_->SendHeaders("200 OK", headers).ok());
  ASSERT_TRUE(connection_->Write("body").ok());
  ASSERT_TRUE(connection_->Finish().ok());
  web_server.join();
  auto records = Records(wire);
  ASSERT_EQ(records.size(), 4u) << "two STDOUT records, the end of STDOUT, END_REQUEST";
  EXPECT_EQ(records[0].second.size(), kMaxRecordContent);
  EXPECT_EQ(records[0].second + records[1].second,
            "Status: 200 OK\r\nX-Big: " + big + "\r\n\r\nbody");
  EXPECT_EQ(records[2], std::make_pair(6, std::string()));
  EXPECT_EQ(records[3].first, 3);
}

TEST_F(FastCgiTest, SmallResponseLeavesInOneWriteWithItsEndRequest) {
  Send(Request(/*keep_conn=*/false, ""));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  ASSERT_TRUE(connection_->SendHeaders("200 OK", {}).ok());
  ASSERT_TRUE(connection_->Write("hello").ok());
  ASSERT_TRUE(connection_->Write(" world").ok());
  ASSERT_TRUE(connection_->Finish().ok());
  char wire[4096];
  ssize_t n = recv(peer_.get(), wire, sizeof(wire), MSG_DONTWAIT);
  ASSERT_GT(n, 0);
  auto records = Records(std::string(wire, static_cast<size_t>(n)));
  ASSERT_EQ(records.size(), 3u) << "one STDOUT record, the end of STDOUT, END_REQUEST";
  EXPECT_EQ(records[0].second, "Status: 200 OK\r\n\r\nhello world");
  EXPECT_EQ(records[2].first, 3);
}

}  // namespace
}  // namespace shoal::protocols
