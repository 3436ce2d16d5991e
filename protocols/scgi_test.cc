#include "protocols/scgi.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include "protocols/scgi_parser.h"

namespace shoal::protocols {
namespace {

// An SCGI request as nginx sends it.
std::string Request(const std::string& body, std::string extra = "") {
  std::string headers = std::string("CONTENT_LENGTH") + '\0' + std::to_string(body.size()) + '\0' +
                        "SCGI" + '\0' + "1" + '\0' + "REQUEST_METHOD" + '\0' + "POST" + '\0' +
                        extra;
  return std::to_string(headers.size()) + ":" + headers + "," + body;
}

std::string Pair(const std::string& name, const std::string& value) {
  return name + '\0' + value + '\0';
}

TEST(ScgiParserTest, ParsesAWholeHeader) {
  std::string wire = Request("hello", Pair("HTTP_X", "a") + Pair("HTTP_X", "b"));
  auto parsed = ParseScgiHead(wire, 65536);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_TRUE(parsed.value());
  const ScgiHead& head = *parsed.value();
  EXPECT_EQ(head.content_length, 5u);
  EXPECT_EQ(wire.substr(head.header_bytes), "hello");
  ASSERT_EQ(head.params.size(), 5u);
  EXPECT_EQ(head.params[2].name, "REQUEST_METHOD");
  EXPECT_EQ(head.params[2].value, "POST");
  EXPECT_EQ(head.params[4].value, "b");  // repeated names kept, in order
}

TEST(ScgiParserTest, AsksForMoreUntilTheNetstringIsWhole) {
  std::string wire = Request("");
  for (size_t cut = 0; cut < wire.size(); ++cut) {
    auto parsed = ParseScgiHead(wire.substr(0, cut), 65536);
    ASSERT_TRUE(parsed.ok()) << cut << ": " << parsed.status().message();
    EXPECT_FALSE(parsed.value()) << "parsed from only " << cut << " bytes";
  }
  auto whole = ParseScgiHead(wire, 65536);
  ASSERT_TRUE(whole.ok() && whole.value());
}

TEST(ScgiParserTest, RefusesMalformedHeaders) {
  struct Case {
    std::string wire;
    const char* says;
  };
  std::string no_scgi = Pair("CONTENT_LENGTH", "0") + Pair("REQUEST_METHOD", "GET");
  std::string length_second = Pair("SCGI", "1") + Pair("CONTENT_LENGTH", "0");
  std::string bad_length = Pair("CONTENT_LENGTH", "12x") + Pair("SCGI", "1");
  std::string no_nul = Pair("CONTENT_LENGTH", "0") + "SCGI" + '\0' + "1";
  std::string empty_name = Pair("CONTENT_LENGTH", "0") + Pair("SCGI", "1") + Pair("", "x");
  auto net = [](const std::string& h) { return std::to_string(h.size()) + ":" + h + ","; };
  std::vector<Case> cases = {
      {"x5:hello,", "not a number"},
      {":abc,", "no length"},
      {"12345678901:", "more than 10 digits"},
      {net(no_scgi), "no SCGI=1"},
      {net(length_second), "CONTENT_LENGTH is not the first"},
      {net(bad_length), "'12x' is not a number"},
      {net(no_nul), "no NUL"},
      {net(empty_name), "empty name"},
      {std::to_string(no_scgi.size()) + ":" + no_scgi + ";", "does not end with ','"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseScgiHead(c.wire, 65536);
    ASSERT_FALSE(parsed.ok()) << c.says;
    EXPECT_NE(parsed.status().message().find(c.says), std::string::npos)
        << parsed.status().message();
  }
}

TEST(ScgiParserTest, BoundsTheHeaderSize) {
  auto parsed = ParseScgiHead("70000:", 65536);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("over --max-header-size (65536)"), std::string::npos);
}

class ScgiConnectionTest : public testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    connection_ = std::make_unique<ScgiConnection>(UniqueFd(fds[0]), config_);
    peer_.Reset(fds[1]);
  }
  std::string ReadAll() {
    std::string all;
    char buffer[65536];
    for (ssize_t n; (n = read(peer_.get(), buffer, sizeof(buffer))) > 0;) all.append(buffer, n);
    return all;
  }
  ConnectionConfig config_{.max_header_size = 65536};  // outlives connection_
  std::unique_ptr<ScgiConnection> connection_;
  UniqueFd peer_;
};

TEST_F(ScgiConnectionTest, ReadsHeaderAndBodySentInPiecesAndAnswersWithStatus) {
  std::string wire = Request("0123456789");
  std::thread sender([&] {
    for (char c : wire) ASSERT_EQ(write(peer_.get(), &c, 1), 1);  // worst case: a byte at a time
  });
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  char body[4];
  std::string got;
  for (;;) {
    Result<size_t> n = connection_->ReadBody(body, sizeof(body));
    ASSERT_TRUE(n.ok());
    if (n.value() == 0) break;
    got.append(body, n.value());
  }
  sender.join();
  EXPECT_EQ(got, "0123456789");

  Header headers[] = {{"Content-Type", "text/plain"}};
  ASSERT_TRUE(connection_->SendHeaders("200 OK", headers).ok());
  ASSERT_TRUE(connection_->Write("hi").ok());
  ASSERT_TRUE(connection_->Finish().ok());
  EXPECT_EQ(ReadAll(), "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nhi");
}

TEST_F(ScgiConnectionTest, CookiesApacheJoinedWithACommaArriveAsOneCookieHeader) {
  // mod_proxy_scgi joins two Cookie headers with ", ", as any repeated header.
  std::string wire = Request("", Pair("HTTP_COOKIE", "a=1, b=2") + Pair("HTTP_ACCEPT", "x, y"));
  ASSERT_EQ(write(peer_.get(), wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));

  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);

  std::map<std::string, std::string> params;
  for (const Param& p : connection_->params()) params.emplace(p.name, p.value);
  EXPECT_EQ(params["HTTP_COOKIE"], "a=1; b=2");
  EXPECT_EQ(params["HTTP_ACCEPT"], "x, y");
}

TEST_F(ScgiConnectionTest, SendsFilesWithSendfileAfterTheHeaders) {
  std::string wire = Request("");
  ASSERT_EQ(write(peer_.get(), wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  FILE* file = tmpfile();
  std::fputs("0123456789abcdef", file);
  std::fflush(file);
  ASSERT_TRUE(connection_->SendHeaders("200 OK", {}).ok());
  Result<uint64_t> sent = connection_->SendFile(fileno(file), 4, 100);
  std::fclose(file);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent.value(), 12u);  // the file ended first
  ASSERT_TRUE(connection_->Finish().ok());
  EXPECT_EQ(ReadAll(), "Status: 200 OK\r\n\r\n456789abcdef");
}

TEST_F(ScgiConnectionTest, HeadersGoOutAtFinishWhenThereIsNoBody) {
  std::string wire = Request("unread body");
  ASSERT_EQ(write(peer_.get(), wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  ASSERT_TRUE(connection_->SendHeaders("204 No Content", {}).ok());
  ASSERT_TRUE(connection_->Finish().ok());
  EXPECT_EQ(ReadAll(), "Status: 204 No Content\r\n\r\n");
}

TEST_F(ScgiConnectionTest, EarlyCloseIsAnErrorNamingIt) {
  ASSERT_EQ(write(peer_.get(), "20:CONTENT", 10), 10);
  peer_.Reset();
  Result<Incoming> ready = connection_->ReadRequest();
  ASSERT_FALSE(ready.ok());
  EXPECT_NE(ready.status().message().find("closed before a whole header"), std::string::npos);
}

TEST_F(ScgiConnectionTest, TruncatedBodyIsAnError) {
  std::string wire = Request("0123456789");
  wire.resize(wire.size() - 4);
  ASSERT_EQ(write(peer_.get(), wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
  shutdown(peer_.get(), SHUT_WR);
  ASSERT_EQ(connection_->ReadRequest().value(), Incoming::kRequest);
  char body[16];
  Result<size_t> got = connection_->ReadBody(body, sizeof(body));
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("closed in the middle of the body"), std::string::npos);
}

}  // namespace
}  // namespace shoal::protocols
