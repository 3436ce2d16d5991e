// Responses that must have no body (HEAD; 1xx, 204 and 304 statuses): their
// headers go out as the app set them, Content-Length included, and no body.
#include <gtest/gtest.h>

#include "python/test_app_module.h"
#include "python/test_exchange.h"

namespace shoal::python {
namespace {

// An app answering with `status` and Content-Length 264 (as Flask answers
// HEAD, and as a 304 may carry its representation's length), whose body is
// the Python expression `body`; its close() counts in `closed`.
AppModule BodylessApp(const std::string& status, const std::string& body) {
  std::string source = R"(
closed = 0
consumed = 0
class Body:
    def __init__(self, blocks):
        self.blocks = iter(blocks)
    def __iter__(self):
        return self
    def __next__(self):
        global consumed
        block = next(self.blocks)
        consumed += 1
        return block
    def close(self):
        global closed
        closed += 1
def app(environ, start_response):
    start_response(')" + status + R"(', [('Content-Length', '264'), ('ETag', '"v1"')])
    return Body()" + body + R"()
)";
  return AppModule(source.c_str());
}

FakeExchange Request(const AppModule& module, const std::string& method) {
  FakeExchange exchange(NginxParams(method, "/resource"));
  WsgiGateway gateway(AtRoot(module.app()), {});
  gateway.Handle(exchange);
  EXPECT_FALSE(PyErr_Occurred());
  return exchange;
}

TEST(BodylessResponseTest, HeadWithContentLengthAndNoBodyIsComplete) {
  AppModule m = BodylessApp("200 OK", "[]");
  FakeExchange ex = Request(m, "HEAD");
  EXPECT_EQ(ex.status, "200 OK");
  EXPECT_EQ(ex.Header("Content-Length"), "264");
  EXPECT_EQ(ex.Header("ETag"), "\"v1\"");
  EXPECT_EQ(ex.sent, "");
  EXPECT_TRUE(ex.finished);
  EXPECT_FALSE(ex.aborted);
  EXPECT_EQ(m.Eval("closed"), "1");
}

TEST(BodylessResponseTest, BodyYieldedForHeadIsConsumedAndDropped) {
  AppModule m = BodylessApp("200 OK", "[b'a' * 200, b'', b'b' * 64]");
  FakeExchange ex = Request(m, "HEAD");
  EXPECT_EQ(ex.header_calls, 1);
  EXPECT_EQ(ex.Header("Content-Length"), "264");
  EXPECT_EQ(ex.sent, "");
  EXPECT_TRUE(ex.finished);
  EXPECT_FALSE(ex.aborted);
  EXPECT_EQ(m.Eval("consumed"), "3");
  EXPECT_EQ(m.Eval("closed"), "1");
}

TEST(BodylessResponseTest, StatusesWithoutABodyKeepTheirLengthAndSendNone) {
  for (const char* status : {"100 Continue", "103 Early Hints", "204 No Content",
                             "304 Not Modified"}) {
    for (const char* body : {"[]", "[b'x' * 264]"}) {
      SCOPED_TRACE(std::string(status) + " with body " + body);
      AppModule m = BodylessApp(status, body);
      FakeExchange ex = Request(m, "GET");
      EXPECT_EQ(ex.status, status);
      EXPECT_EQ(ex.Header("Content-Length"), "264");
      EXPECT_EQ(ex.sent, "");
      EXPECT_TRUE(ex.finished);
      EXPECT_FALSE(ex.aborted);
      EXPECT_EQ(m.Eval("closed"), "1");
    }
  }
}

TEST(BodylessResponseTest, GetShorterThanItsContentLengthIsStillAborted) {
  AppModule m = BodylessApp("200 OK", "[b'x' * 10]");
  FakeExchange ex = Request(m, "GET");
  EXPECT_EQ(ex.sent, std::string(10, 'x'));
  EXPECT_FALSE(ex.finished);
  EXPECT_TRUE(ex.aborted);
}

TEST(BodylessResponseTest, GetWithTheWholeBodySendsIt) {
  AppModule m = BodylessApp("200 OK", "[b'x' * 264]");
  FakeExchange ex = Request(m, "GET");
  EXPECT_EQ(ex.sent, std::string(264, 'x'));
  EXPECT_TRUE(ex.finished);
}

TEST(BodylessResponseTest, WriteCallableSendsNothingForHead) {
  AppModule m(R"(
def app(environ, start_response):
    write = start_response('200 OK', [('Content-Length', '12')])
    write(b'hello, ')
    return [b'world']
)");
  FakeExchange ex = Request(m, "HEAD");
  EXPECT_EQ(ex.Header("Content-Length"), "12");
  EXPECT_EQ(ex.sent, "");
  EXPECT_TRUE(ex.finished);
}

TEST(BodylessResponseTest, FileWrapperSendsNoFileForHead) {
  AppModule m(R"(
def app(environ, start_response):
    start_response('200 OK', [('Content-Length', '5')])
    f = open('/proc/self/exe', 'rb')
    return environ['wsgi.file_wrapper'](f)
)");
  FakeExchange ex = Request(m, "HEAD");
  EXPECT_EQ(ex.send_file_calls, 0);
  EXPECT_EQ(ex.sent, "");
  EXPECT_TRUE(ex.finished);
  EXPECT_FALSE(ex.aborted);
}

}  // namespace
}  // namespace shoal::python
