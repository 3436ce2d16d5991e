#include "python/wsgi_call.h"

#include <unistd.h>

#include <cstdio>

#include <gtest/gtest.h>

#include "python/test_app_module.h"
#include "python/test_exchange.h"

namespace shoal::python {
namespace {

FakeExchange Serve(const AppModule& module, const std::string& uri, std::string body = "",
                   bool debug = false) {
  std::vector<std::pair<std::string, std::string>> extra;
  if (!body.empty()) extra = {{"CONTENT_LENGTH", std::to_string(body.size())}};
  FakeExchange exchange(NginxParams(body.empty() ? "GET" : "POST", uri, extra), body);
  WsgiGateway gateway(AtRoot(module.app()), {debug});
  gateway.Handle(exchange);
  EXPECT_FALSE(PyErr_Occurred());
  return exchange;
}

TEST(WsgiGatewayTest, ServesHelloWorld) {
  AppModule m(R"(
def app(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'Hello, ', b'', b'World!\n']
)");
  FakeExchange ex = Serve(m, "/");
  EXPECT_EQ(ex.status, "200 OK");
  EXPECT_EQ(ex.Header("Content-Type"), "text/plain");
  EXPECT_EQ(ex.sent, "Hello, World!\n");
  EXPECT_TRUE(ex.finished);
  EXPECT_FALSE(ex.aborted);
}

TEST(WsgiGatewayTest, GeneratorBlocksAreFlushedBeforeTheNextIsAskedFor) {
  AppModule m(R"(
def app(environ, start_response):
    start_response('200 OK', [])
    yield b'one'
    yield b'two'
    yield b'three'
)");
  FakeExchange ex = Serve(m, "/");
  EXPECT_EQ(ex.sent, "onetwothree");
  EXPECT_EQ(ex.flushed_at, (std::vector<size_t>{3, 6, 11}));
}

TEST(WsgiGatewayTest, ListBlocksAreNotFlushedOneByOne) {
  AppModule m(R"(
def app(environ, start_response):
    start_response('200 OK', [])
    return [b'one', b'two']
)");
  FakeExchange ex = Serve(m, "/");
  EXPECT_EQ(ex.sent, "onetwo");
  EXPECT_EQ(ex.flushes, 0);
}

TEST(WsgiGatewayTest, ExceptionBeforeHeadersGives500WithoutTraceback) {
  AppModule m(R"(
def app(environ, start_response):
    raise RuntimeError('boom')
)");
  FakeExchange ex = Serve(m, "/raise");
  EXPECT_EQ(ex.status, "500 Internal Server Error");
  EXPECT_EQ(ex.sent, "Internal Server Error\n");
  EXPECT_TRUE(ex.finished);
}

TEST(WsgiGatewayTest, DebugShowsTheTracebackIn500) {
  AppModule m(R"(
def app(environ, start_response):
    raise RuntimeError('boom')
)");
  FakeExchange ex = Serve(m, "/raise", "", /*debug=*/true);
  EXPECT_EQ(ex.status, "500 Internal Server Error");
  EXPECT_NE(ex.sent.find("Traceback"), std::string::npos);
  EXPECT_NE(ex.sent.find("RuntimeError: boom"), std::string::npos);
}

TEST(WsgiGatewayTest, ExceptionAfterHeadersAbortsAndCloseIsCalled) {
  AppModule m(R"(
closed = []
class Body:
    def __iter__(self):
        yield b'part'
        raise ValueError('mid-body')
    def close(self):
        closed.append(True)
def app(environ, start_response):
    start_response('200 OK', [])
    return Body()
)");
  FakeExchange ex = Serve(m, "/");
  EXPECT_EQ(ex.status, "200 OK");
  EXPECT_EQ(ex.sent, "part");
  EXPECT_TRUE(ex.aborted);
  EXPECT_FALSE(ex.finished);
  EXPECT_EQ(m.Eval("closed"), "[True]");
}

TEST(WsgiGatewayTest, EchoesTheBodyThroughWsgiInput) {
  AppModule m(R"(
def app(environ, start_response):
    n = int(environ['CONTENT_LENGTH'])
    first = environ['wsgi.input'].readline()
    rest = environ['wsgi.input'].read()
    more = environ['wsgi.input'].read()
    start_response('200 OK', [])
    return [first, b'|', rest, b'|', more]
)");
  FakeExchange ex = Serve(m, "/echo", "line one\nand the rest");
  EXPECT_EQ(ex.sent, "line one\n|and the rest|");
}

TEST(WsgiGatewayTest, InputReadsInBoundedChunks) {
  AppModule m(R"(
def app(environ, start_response):
    total = 0
    while True:
        chunk = environ['wsgi.input'].read(4096)
        if not chunk:
            break
        total += len(chunk)
    start_response('200 OK', [])
    return [str(total).encode()]
)");
  FakeExchange ex = Serve(m, "/", std::string(1 << 20, 'x'));
  EXPECT_EQ(ex.sent, "1048576");
  EXPECT_LE(ex.max_read_, 64u * 1024);
}

TEST(WsgiGatewayTest, InputSupportsReadlinesAndIteration) {
  AppModule m(R"(
def app(environ, start_response):
    inp = environ['wsgi.input']
    first = inp.readline(3)
    lines = inp.readlines(1)
    rest = list(inp)
    start_response('200 OK', [])
    return [repr((first, lines, rest)).encode()]
)");
  FakeExchange ex = Serve(m, "/", "abcdef\nline2\nline3\nline4");
  EXPECT_EQ(ex.sent, "(b'abc', [b'def\\n'], [b'line2\\n', b'line3\\n', b'line4'])");
}

TEST(WsgiGatewayTest, BadStatusGives500NamingTheValue) {
  AppModule m(R"(
def app(environ, start_response):
    start_response('OK', [])
    return [b'x']
)");
  FakeExchange ex = Serve(m, "/", "", /*debug=*/true);
  EXPECT_EQ(ex.status, "500 Internal Server Error");
  EXPECT_NE(ex.sent.find("'OK'"), std::string::npos);
}

TEST(WsgiGatewayTest, HeaderWithNewlineGives500) {
  AppModule m(R"(
def app(environ, start_response):
    start_response('200 OK', [('X-Evil', 'a\r\nSet-Cookie: x=1')])
    return [b'x']
)");
  FakeExchange ex = Serve(m, "/");
  EXPECT_EQ(ex.status, "500 Internal Server Error");
}

TEST(WsgiGatewayTest, HopByHopHeaderGives500) {
  AppModule m(R"(
def app(environ, start_response):
    start_response('200 OK', [('Connection', 'close')])
    return [b'x']
)");
  FakeExchange ex = Serve(m, "/");
  EXPECT_EQ(ex.status, "500 Internal Server Error");
}

TEST(WsgiGatewayTest, WriteCallableSendsHeadersFirst) {
  AppModule m(R"(
def app(environ, start_response):
    write = start_response('201 Created', [('X-A', '1')])
    write(b'written ')
    return [b'returned']
)");
  FakeExchange ex = Serve(m, "/");
  EXPECT_EQ(ex.status, "201 Created");
  EXPECT_EQ(ex.header_calls, 1);
  EXPECT_EQ(ex.sent, "written returned");
}

TEST(WsgiGatewayTest, ExcInfoReplacesHeadersBeforeTheyAreSent) {
  AppModule m(R"(
import sys
def app(environ, start_response):
    start_response('200 OK', [('X-First', '1')])
    try:
        raise KeyError('x')
    except KeyError:
        start_response('503 Unavailable', [('X-Second', '2')], sys.exc_info())
    return [b'sorry']
)");
  FakeExchange ex = Serve(m, "/");
  EXPECT_EQ(ex.status, "503 Unavailable");
  EXPECT_EQ(ex.Header("X-First"), "");
  EXPECT_EQ(ex.Header("X-Second"), "2");
}

TEST(WsgiGatewayTest, SecondStartResponseWithoutExcInfoIsAnError) {
  AppModule m(R"(
def app(environ, start_response):
    start_response('200 OK', [])
    start_response('200 OK', [])
    return [b'x']
)");
  FakeExchange ex = Serve(m, "/");
  EXPECT_EQ(ex.status, "500 Internal Server Error");
}

TEST(WsgiGatewayTest, BodyLongerThanContentLengthIsCut) {
  AppModule m(R"(
def app(environ, start_response):
    start_response('200 OK', [('Content-Length', '5')])
    return [b'12345678']
)");
  FakeExchange ex = Serve(m, "/");
  EXPECT_EQ(ex.sent, "12345");
  EXPECT_TRUE(ex.finished);
}

TEST(WsgiGatewayTest, StrChunkIsAnError) {
  AppModule m(R"(
def app(environ, start_response):
    start_response('200 OK', [])
    return ['text']
)");
  FakeExchange ex = Serve(m, "/");
  EXPECT_EQ(ex.status, "500 Internal Server Error");
}

TEST(WsgiGatewayTest, ClientGoneStopsIterationAndCallsClose) {
  AppModule m(R"(
state = {'yielded': 0, 'closed': False}
class Body:
    def __iter__(self):
        for i in range(100):
            state['yielded'] += 1
            yield b'chunk'
    def close(self):
        state['closed'] = True
def app(environ, start_response):
    start_response('200 OK', [])
    return Body()
)");
  FakeExchange exchange(NginxParams("GET", "/"));
  exchange.fail_writes = true;
  WsgiGateway gateway(AtRoot(m.app()), {false});
  gateway.Handle(exchange);
  EXPECT_EQ(m.Eval("state['yielded']"), "1");
  EXPECT_EQ(m.Eval("state['closed']"), "True");
  EXPECT_TRUE(exchange.aborted);
}

TEST(WsgiGatewayTest, WebServerAbortStopsTheGeneratorAndCallsClose) {
  AppModule m(R"(
state = {'yielded': 0, 'closed': False}
class Body:
    def __iter__(self):
        for i in range(100):
            state['yielded'] += 1
            yield b'block'
    def close(self):
        state['closed'] = True
def app(environ, start_response):
    start_response('200 OK', [])
    return Body()
)");
  FakeExchange exchange(NginxParams("GET", "/"));
  exchange.abort_after_flushes = 2;
  WsgiGateway gateway(AtRoot(m.app()), {false});
  gateway.Handle(exchange);
  EXPECT_EQ(m.Eval("state['yielded']"), "2");
  EXPECT_EQ(m.Eval("state['closed']"), "True");
  EXPECT_TRUE(exchange.aborted);
}

TEST(WsgiGatewayTest, RequestOutsideTheMountGets404) {
  AppModule m(R"(
def app(environ, start_response):
    start_response('200 OK', [])
    return [b'x']
)");
  FakeExchange exchange(NginxParams("GET", "/other"));
  std::vector<MountedApp> apps;
  apps.push_back({"/blog", m.app()});
  WsgiGateway gateway(std::move(apps), {false});
  gateway.Handle(exchange);
  EXPECT_EQ(exchange.status, "404 Not Found");
}

TEST(WsgiGatewayTest, LongestMountPrefixPicksTheApp) {
  AppModule m(R"(
def make(name):
    def app(environ, start_response):
        start_response('200 OK', [])
        return [('%s|%s|%s' % (name, environ['SCRIPT_NAME'], environ['PATH_INFO'])).encode()]
    return app
root, api, api_v2 = make('root'), make('api'), make('api_v2')
)");
  auto serve = [&](const std::string& uri) {
    std::vector<MountedApp> apps;
    apps.push_back({"", m.Global("root")});
    apps.push_back({"/api", m.Global("api")});
    apps.push_back({"/api/v2", m.Global("api_v2")});
    FakeExchange exchange(NginxParams("GET", uri));
    WsgiGateway gateway(std::move(apps), {false});
    gateway.Handle(exchange);
    return exchange.sent;
  };
  EXPECT_EQ(serve("/x"), "root||/x");
  EXPECT_EQ(serve("/api"), "api|/api|");
  EXPECT_EQ(serve("/api/users?q=1"), "api|/api|/users");
  EXPECT_EQ(serve("/api/v2/users"), "api_v2|/api/v2|/users");
  EXPECT_EQ(serve("/api2"), "root||/api2");
}

TEST(WsgiGatewayTest, InputAfterTheRequestRaises) {
  AppModule m(R"(
kept = []
def app(environ, start_response):
    kept.append(environ['wsgi.input'])
    start_response('200 OK', [])
    return [b'x']
def read_late():
    try:
        kept[0].read()
    except ValueError as e:
        return str(e)
)");
  Serve(m, "/");
  EXPECT_EQ(m.Eval("read_late()"), "wsgi.input used after its request ended");
}

class FileWrapperTest : public testing::Test {
 protected:
  void SetUp() override {
    path_ = testing::TempDir() + "shoal-file-wrapper-" + std::to_string(getpid());
    FILE* f = std::fopen(path_.c_str(), "wb");
    for (int i = 0; i < 100000; ++i) std::fprintf(f, "%05d\n", i);
    std::fclose(f);
    // os.environ is a snapshot taken at start-up: set it from Python.
    std::string code = "import os; os.environ['SHOAL_TEST_FILE'] = '" + path_ + "'";
    ASSERT_EQ(PyRun_SimpleString(code.c_str()), 0);
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::string Expected(size_t from, size_t length) const {
    std::string all;
    char line[16];
    for (int i = 0; i < 100000; ++i) {
      std::snprintf(line, sizeof(line), "%05d\n", i);
      all += line;
    }
    return all.substr(from, length);
  }
  std::string path_;
};

TEST_F(FileWrapperTest, RegularFileGoesOutThroughSendFileFromItsPosition) {
  AppModule m(R"(
import os
files = []
def app(environ, start_response):
    f = open(os.environ['SHOAL_TEST_FILE'], 'rb')
    files.append(f)
    f.read(6)          # the body starts where the file object stands
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return environ['wsgi.file_wrapper'](f, 4096)
)");
  FakeExchange ex = Serve(m, "/");
  EXPECT_EQ(ex.send_file_calls, 1);
  EXPECT_EQ(ex.sent.size(), 600000u - 6);
  EXPECT_TRUE(ex.sent == Expected(6, std::string::npos));
  EXPECT_TRUE(ex.finished);
  EXPECT_EQ(m.Eval("files[0].closed"), "True");
}

TEST_F(FileWrapperTest, ContentLengthBoundsTheFile) {
  AppModule m(R"(
import os
def app(environ, start_response):
    start_response('200 OK', [('Content-Length', '12')])
    return environ['wsgi.file_wrapper'](open(os.environ['SHOAL_TEST_FILE'], 'rb'))
)");
  FakeExchange ex = Serve(m, "/");
  EXPECT_EQ(ex.sent, "00000\n00001\n");
  EXPECT_TRUE(ex.finished);
}

TEST_F(FileWrapperTest, NonFileObjectsAreIteratedInBlocks) {
  AppModule m(R"(
import io
class Reader(io.BytesIO):
    sizes = []
    def read(self, n=-1):
        Reader.sizes.append(n)
        return super().read(n)
def app(environ, start_response):
    start_response('200 OK', [])
    return environ['wsgi.file_wrapper'](Reader(b'abcdefghij'), 4)
)");
  FakeExchange ex = Serve(m, "/");
  EXPECT_EQ(ex.send_file_calls, 0);
  EXPECT_EQ(ex.sent, "abcdefghij");
  EXPECT_EQ(m.Eval("Reader.sizes"), "[4, 4, 4, 4]");
}

}  // namespace
}  // namespace shoal::python
