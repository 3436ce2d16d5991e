// The request body before the app runs: --max-body-size, and a body without
// a length (chunked) spooled so the app is given its CONTENT_LENGTH.
#include <gtest/gtest.h>

#include "python/test_app_module.h"
#include "python/test_exchange.h"

namespace shoal::python {
namespace {

// Answers with what the app was told and read: "CONTENT_LENGTH=<value or
// absent> read=<bytes read by that length (Django's way)>".
constexpr const char* kReadsByLength = R"(
def app(environ, start_response):
    length = environ.get('CONTENT_LENGTH', 'absent')
    body = environ['wsgi.input'].read(int(length or 0) if length != 'absent' else 0)
    start_response('200 OK', [])
    return [('CONTENT_LENGTH=%s read=%d' % (length, len(body))).encode()]
)";

// Answers with the number of body bytes read to the end, and a hash of them.
constexpr const char* kReadsToTheEnd = R"(
import hashlib
def app(environ, start_response):
    body = environ['wsgi.input'].read()
    start_response('200 OK', [])
    return [('%s read=%d %s' % (environ.get('CONTENT_LENGTH', 'absent'), len(body),
                               hashlib.sha256(body).hexdigest()[:16])).encode()]
)";

FakeExchange Send(const AppModule& module, std::vector<std::pair<std::string, std::string>> extra,
                  std::string body, GatewayConfig config = {}) {
  FakeExchange exchange(NginxParams("POST", "/upload", std::move(extra)), std::move(body));
  WsgiGateway gateway(AtRoot(module.app()), config);
  gateway.Handle(exchange);
  EXPECT_FALSE(PyErr_Occurred());
  return exchange;
}

TEST(RequestBodyTest, BodyWithoutALengthIsSpooledAndGivenOne) {
  AppModule m(kReadsByLength);
  // Apache's mod_proxy_fcgi streaming a chunked upload: no CONTENT_LENGTH.
  FakeExchange ex = Send(m, {{"HTTP_TRANSFER_ENCODING", "chunked"}}, std::string(300000, 'u'));
  EXPECT_EQ(ex.status, "200 OK");
  EXPECT_EQ(ex.sent, "CONTENT_LENGTH=300000 read=300000");
}

TEST(RequestBodyTest, SpooledBodyPastMemoryGoesThroughAFileIntact) {
  AppModule m(kReadsToTheEnd);
  std::string body;
  for (int i = 0; body.size() < (3 << 20); ++i) body += std::to_string(i) + ",";
  FakeExchange spooled = Send(m, {}, body, {.spool = {.dir = ::testing::TempDir()}});
  FakeExchange streamed = Send(m, {}, body, {.spool_chunked = false});
  EXPECT_EQ(spooled.sent.substr(0, spooled.sent.find(' ')), std::to_string(body.size()));
  // The same bytes either way.
  EXPECT_EQ(spooled.sent.substr(spooled.sent.find(' ')), streamed.sent.substr(streamed.sent.find(' ')));
  EXPECT_EQ(streamed.sent.substr(0, streamed.sent.find(' ')), "");
}

TEST(RequestBodyTest, EmptyBodyWithoutALengthLeavesTheEnvironAsSent) {
  AppModule m(kReadsByLength);
  FakeExchange ex = Send(m, {}, "");
  EXPECT_EQ(ex.sent, "CONTENT_LENGTH= read=0");
}

TEST(RequestBodyTest, NoSpoolChunkedStreamsWithoutALength) {
  AppModule m(kReadsToTheEnd);
  FakeExchange ex = Send(m, {}, "streamed body", {.spool_chunked = false});
  // CONTENT_LENGTH stays as nginx sends it then: empty.
  EXPECT_TRUE(ex.sent.starts_with(" read=13 ")) << ex.sent;
}

TEST(RequestBodyTest, ChunkedBodyOverTheMaximumGets413AndTheAppIsNotCalled) {
  AppModule m(kReadsByLength);
  FakeExchange ex = Send(m, {}, std::string(5000, 'x'), {.spool = {.max_size = 4096}});
  EXPECT_EQ(ex.status, "413 Request Entity Too Large");
  EXPECT_EQ(ex.sent, "Request Entity Too Large\n");
  EXPECT_TRUE(ex.finished);
}

TEST(RequestBodyTest, DeclaredLengthOverTheMaximumGets413WithoutReadingTheBody) {
  AppModule m(kReadsByLength);
  FakeExchange ex = Send(m, {{"CONTENT_LENGTH", "5000"}}, std::string(5000, 'x'),
                         {.spool = {.max_size = 4096}});
  EXPECT_EQ(ex.status, "413 Request Entity Too Large");
  EXPECT_EQ(ex.read_, 0u);
  FakeExchange fits = Send(m, {{"CONTENT_LENGTH", "4096"}}, std::string(4096, 'x'),
                           {.spool = {.max_size = 4096}});
  EXPECT_EQ(fits.sent, "CONTENT_LENGTH=4096 read=4096");
}

TEST(RequestBodyTest, StreamedBodyOverTheMaximumGets413WhenTheAppLetsTheErrorThrough) {
  AppModule m(kReadsToTheEnd);
  FakeExchange ex = Send(m, {}, std::string(200000, 'x'),
                         {.spool = {.max_size = 100000}, .spool_chunked = false});
  EXPECT_EQ(ex.status, "413 Request Entity Too Large");
  FakeExchange fits = Send(m, {}, std::string(100000, 'x'),
                           {.spool = {.max_size = 100000}, .spool_chunked = false});
  EXPECT_TRUE(fits.sent.starts_with(" read=100000 ")) << fits.sent;
}

TEST(RequestBodyTest, StreamedBodyOverTheMaximumRaisesOSErrorInTheApp) {
  AppModule m(R"(
def app(environ, start_response):
    try:
        environ['wsgi.input'].read()
        answer = b'read it all'
    except OSError as error:
        answer = str(error).encode()
    start_response('200 OK', [])
    return [answer]
)");
  FakeExchange ex = Send(m, {}, std::string(200000, 'x'),
                         {.spool = {.max_size = 100000}, .spool_chunked = false});
  EXPECT_EQ(ex.sent, "request body over --max-body-size");
}

TEST(RequestBodyTest, SpoolThatCannotBeWrittenGives500) {
  AppModule m(kReadsByLength);
  FakeExchange ex = Send(m, {}, std::string(3 << 20, 'x'), {.spool = {.dir = "/nonexistent"}});
  EXPECT_EQ(ex.status, "500 Internal Server Error");
}

}  // namespace
}  // namespace shoal::python
