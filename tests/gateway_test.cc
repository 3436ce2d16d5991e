// PEP 3333 through real web servers (nginx, lighttpd, Apache): the environ
// shoal builds, mounting, the body in and out, and what shoal does with apps
// that break the rules.
//
// probe:app is wrapped in wsgiref's validator, so a slip in the environ or in
// how shoal drives the app fails the request; probe:raw_app misbehaves on
// purpose and is mounted at /raw.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <string>

#include "support/child_process.h"
#include "support/loopback.h"
#include "support/paths.h"
#include "support/serving_fixture.h"
#include "support/temp_dir.h"
#include "support/test_data.h"
#include "support/text.h"
#include "support/upload.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

std::string Absent(const std::map<std::string, std::string>& values, const std::string& key) {
  auto found = values.find(key);
  return found == values.end() ? "<absent>" : found->second;
}

// Sends a raw HTTP/1.0 request and reads the response to EOF, keeping only
// the head; returns it and the number of body bytes (bounded by `timeout`).
struct RawResult {
  std::string head;
  uint64_t body_bytes = 0;
  bool complete = false;  // the server closed the connection normally
};

RawResult RawGet(int port, const std::string& target, std::chrono::seconds timeout) {
  RawResult result;
  Fd fd = ConnectLoopback(port, std::chrono::seconds(5));
  if (!fd.valid()) return result;
  fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string request = "GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (write(fd.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    return result;
  }
  std::vector<char> buffer(1 << 20);
  bool in_head = true;
  for (;;) {
    ssize_t n = read(fd.get(), buffer.data(), buffer.size());
    if (n == 0) {
      result.complete = true;
      break;
    }
    if (n < 0) break;
    std::string_view data(buffer.data(), static_cast<size_t>(n));
    if (in_head) {
      result.head.append(data);
      size_t end = result.head.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      result.body_bytes = result.head.size() - end - 4;
      result.head.resize(end);
      in_head = false;
    } else {
      result.body_bytes += data.size();
    }
  }
  return result;
}

// Each test runs once per front end (kAllFrontEnds): nginx with FastCGI
// (with and without kept connections) and SCGI, Apache with AJP13, FastCGI
// and SCGI, lighttpd with SCGI. The front ends differ in a few ways the
// helpers below spell out, each behind one name.
class GatewayTest : public FrontEndTest {
 protected:
  // probe:app at the root, probe:raw_app at Path("/raw"), one worker.
  ServedApp& ServeProbe(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--mount", Path("/raw") + "=probe:raw_app"});
    return Serve({.workers = 1, .extra_args = extra, .front_end = GetParam()});
  }
  FrontEnd Is() const { return GetParam(); }
  // lighttpd's example config passes only /app/... on, with SCRIPT_NAME=/app
  // (see conf/lighttpd-scgi.conf); nginx and Apache pass everything. So the
  // same page is Path("/x"): "/x", or "/app/x" behind lighttpd.
  std::string Path(const std::string& path) const { return FrontEndPrefix(Is()) + path; }
  // SCGI over a unix socket, from nginx or lighttpd: one request per
  // connection, no framing, and no reset to mark a failed response.
  bool ScgiOverUnixSocket() const {
    return Is() == FrontEnd::kNginxScgi || Is() == FrontEnd::kLighttpdScgi;
  }
  std::string UploadLocation() const { return FrontEndUploadLocation(Is()); }
  bool LogHas(const std::string& part) {
    return WaitUntil(std::chrono::seconds(5), [&] { return Has(served_->shoal().Log(), part); });
  }
};

TEST_P(GatewayTest, EnvironFollowsCgiAndPep3333) {
  ServedApp& served = ServeProbe();

  HttpResponse response = served.Request(
      "POST", Path("/environ/a%20b?x=1&y=%20"), {{"Content-Type", "text/plain"},
                                          {"X-Dup", "one"}, {"X-Dup", "two"},
                                          {"Cookie", "a=1"}, {"Cookie", "b=2"},
                                          {"Proxy", "http://evil.example:1"}},
      "hello");

  ASSERT_EQ(response.status, 200) << response.body;
  auto env = Lines(response.body);
  EXPECT_EQ(env["REQUEST_METHOD"], "POST");
  EXPECT_EQ(env["SCRIPT_NAME"], FrontEndPrefix(Is()));
  EXPECT_EQ(env["PATH_INFO"], "/environ/a b");
  EXPECT_EQ(env["QUERY_STRING"], "x=1&y=%20");
  EXPECT_EQ(env["CONTENT_TYPE"], "text/plain");
  EXPECT_EQ(env["CONTENT_LENGTH"], "5");
  EXPECT_EQ(Absent(env, "HTTP_CONTENT_TYPE"), "<absent>");
  EXPECT_EQ(Absent(env, "HTTP_CONTENT_LENGTH"), "<absent>");
  EXPECT_EQ(Absent(env, "HTTP_PROXY"), "<absent>");
  EXPECT_EQ(env["HTTP_X_DUP"], "one, two");
  // Joined with "; " whoever joins them (Apache joins with ", " before AJP
  // carries it, and shoal turns that back into "; ").
  EXPECT_EQ(env["HTTP_COOKIE"], "a=1; b=2");
  EXPECT_EQ(env["SERVER_PROTOCOL"], "HTTP/1.1");
  // The example config has no server_name, so nginx sends it empty; PEP 3333
  // says it never is.
  EXPECT_EQ(env["SERVER_NAME"], "127.0.0.1");
  EXPECT_EQ(env["SERVER_PORT"], std::to_string(served.port()));
  EXPECT_EQ(env["wsgi.version"], "(1, 0)");
  EXPECT_EQ(env["wsgi.url_scheme"], "http");
  EXPECT_EQ(env["wsgi.multithread"], "False");
  EXPECT_EQ(env["wsgi.multiprocess"], "True");
  EXPECT_EQ(env["wsgi.run_once"], "False");
  EXPECT_EQ(env["wsgi.input_terminated"], "True");
  EXPECT_NE(Absent(env, "wsgi.errors"), "<absent>");
  EXPECT_NE(Absent(env, "wsgi.file_wrapper"), "<absent>");
}

TEST_P(GatewayTest, AuthorizationReachesTheAppForItsOwnAuth) {
  ServedApp& served = ServeProbe();

  // Apache's FastCGI and SCGI modules pass it only with CGIPassAuth On
  // (conf/apache-fastcgi.conf, apache-scgi.conf); the others always do.
  HttpResponse response = served.Request("GET", Path("/environ"),
                                         {{"Authorization", "Basic dXNlcjpzM2NyZXQ="}});

  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(Absent(Lines(response.body), "HTTP_AUTHORIZATION"), "Basic dXNlcjpzM2NyZXQ=");
}

TEST_P(GatewayTest, ScriptNameMountsAtASegmentBoundary) {
  if (Is() == FrontEnd::kLighttpdScgi) {
    GTEST_SKIP() << "lighttpd mounts the app itself (SCRIPT_NAME=/app and a PATH_INFO), "
                    "and shoal uses a split it is sent as it is: --script-name is for "
                    "front ends that send the whole path";
  }
  ServedApp& served =
      Serve({.workers = 1, .extra_args = {"--script-name", "/blog"}, .front_end = GetParam()});

  auto inside = Lines(served.Get("/blog/environ/x%2Fy").body);
  EXPECT_EQ(inside["SCRIPT_NAME"], "/blog");
  EXPECT_EQ(inside["PATH_INFO"], "/environ/x/y");
  HttpResponse root = served.Get("/blog");
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.body, "Hello from probe\n");

  HttpResponse outside = served.Get("/blog2/environ");
  EXPECT_EQ(outside.status, 404);
  EXPECT_EQ(outside.body, "Not Found\n");
  EXPECT_TRUE(LogHas("'/blog2/environ' is outside the mount point '/blog'"));
}

TEST_P(GatewayTest, SeveralAppsLongestPrefixWins) {
  ServedApp& served = Serve({.workers = 1,
                             .extra_args = {"--mount", Path("/raw") + "=probe:raw_app",
                                            "--mount", Path("/raw/probe") + "=probe:app"},
                             .front_end = GetParam()});

  EXPECT_EQ(served.Get(Path("/raw/write")).body, "written, then returned\n");
  auto deeper = Lines(served.Get(Path("/raw/probe/environ")).body);
  EXPECT_EQ(deeper["SCRIPT_NAME"], Path("/raw/probe"));
  EXPECT_EQ(deeper["PATH_INFO"], "/environ");
  EXPECT_EQ(served.Get(Path("/")).body, "Hello from probe\n");
}

TEST_P(GatewayTest, ExceptionGives500WithShortBodyAndNoTraceback) {
  ServedApp& served = ServeProbe();

  HttpResponse response = served.Get(Path("/raise"));

  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, "Internal Server Error\n");
  EXPECT_TRUE(LogHas("GET " + Path("/raise") + ": 500, exception in the app"));
  EXPECT_TRUE(LogHas("RuntimeError: boom from probe"));
}

TEST_P(GatewayTest, DebugShowsTheTracebackInThe500) {
  ServedApp& served = ServeProbe({"--debug"});

  HttpResponse response = served.Get(Path("/raise"));

  EXPECT_EQ(response.status, 500);
  EXPECT_TRUE(Has(response.body, "Traceback (most recent call last)")) << response.body;
  EXPECT_TRUE(Has(response.body, "RuntimeError: boom from probe")) << response.body;
}

TEST_P(GatewayTest, BadStatusGives500AndTheLogNamesIt) {
  ServedApp& served = ServeProbe();
  EXPECT_EQ(served.Get(Path("/raw/bad-status")).status, 500);
  EXPECT_TRUE(LogHas("status must be 3 digits and a reason"));
  EXPECT_TRUE(LogHas("'OK'"));
}

TEST_P(GatewayTest, HeaderWithCrLfGives500AndNothingIsInjected) {
  ServedApp& served = ServeProbe();
  HttpResponse response = served.Get(Path("/raw/bad-header"));
  EXPECT_EQ(response.status, 500);
  EXPECT_FALSE(response.SetCookie("stolen").has_value());
  EXPECT_TRUE(LogHas("header 'X-Evil' has a control character"));
}

TEST_P(GatewayTest, HopByHopHeaderGives500) {
  ServedApp& served = ServeProbe();
  EXPECT_EQ(served.Get(Path("/raw/hop-by-hop")).status, 500);
  EXPECT_TRUE(LogHas("hop-by-hop header 'Connection'"));
}

TEST_P(GatewayTest, ExceptionAfterHeadersWithContentLengthGivesAShortBody) {
  ServedApp& served = ServeProbe();

  EXPECT_THROW(served.Get(Path("/raw/after-headers-with-length")), std::runtime_error)
      << "the client took a cut-off body for a whole one";
  EXPECT_TRUE(LogHas("exception after the response started; response aborted"));
  EXPECT_EQ(served.Get(Path("/")).status, 200) << "the worker did not live on";
}

TEST_P(GatewayTest, ExceptionAfterHeadersTruncatesTheResponse) {
  if (ScgiOverUnixSocket()) {
    GTEST_SKIP() << "SCGI over a unix socket cannot mark a response without Content-Length "
                    "as failed: the body has no framing and the socket cannot reset "
                    "(see conf/nginx-scgi.conf)";
  }
  ServedApp& served = ServeProbe();

  // A chunked response must not end cleanly: the client sees the connection
  // cut (or reset) instead of the last chunk, so it cannot take the part for
  // the whole.
  EXPECT_THROW(served.Get(Path("/raw/after-headers")), std::runtime_error);
  EXPECT_TRUE(LogHas("exception after the response started; response aborted"));
  EXPECT_TRUE(LogHas("ValueError: failed after the headers"));
  EXPECT_EQ(served.Get(Path("/")).status, 200) << "the worker did not live on";
}

TEST_P(GatewayTest, EmptyChunkSendsNothingSoALaterErrorIsStillA500) {
  ServedApp& served = ServeProbe();
  HttpResponse response = served.Get(Path("/raw/empty-then-raise"));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, "Internal Server Error\n");
  EXPECT_TRUE(LogHas("LookupError: failed before any body byte"));
}

TEST_P(GatewayTest, InputLineMethodsSplitTheBodyAsFilesDo) {
  ServedApp& served = ServeProbe();
  const std::string body = "first line\nsecond line\nthird\nfourth\nfifth\nsixth\nseventh\ntail";
  const std::string expected =
      "(b'first line\\n', b'secon', [b'd line\\n', b'third\\n'], "
      "[b'fourth\\n', b'fifth\\n'], b'sixth\\nseventh\\ntail', b'')";
  for (const char* target : {"/lines", "/raw/lines"}) {
    HttpResponse response = served.Post(Path(target), body);
    EXPECT_EQ(response.status, 200) << target;
    EXPECT_EQ(response.body, expected) << target;
  }
}

TEST_P(GatewayTest, BodyLongerThanContentLengthIsCutThere) {
  ServedApp& served = ServeProbe();
  HttpResponse response = served.Get(Path("/raw/too-long"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "01234");
  EXPECT_TRUE(LogHas("response longer than its Content-Length 5; cut there"));
}

TEST_P(GatewayTest, ExcInfoReplacesHeadersNotYetSent) {
  ServedApp& served = ServeProbe();
  HttpResponse response = served.Get(Path("/raw/exc-info"));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.Header("X-Replaced").value_or(""), "yes");
  EXPECT_EQ(response.body, "replaced\n");
}

TEST_P(GatewayTest, WriteCallableAndIterableBothReachTheClient) {
  ServedApp& served = ServeProbe();
  HttpResponse response = served.Get(Path("/raw/write"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "written, then returned\n");
}

TEST_P(GatewayTest, YieldedBlockReachesTheClientBeforeTheNextIsReady) {
  ServedApp& served = ServeProbe();
  Fd fd = ConnectLoopback(served.port(), std::chrono::seconds(5));
  ASSERT_TRUE(fd.valid());
  std::string request = "GET " + Path("/raw/trickle") + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  ASSERT_EQ(write(fd.get(), request.data(), request.size()), static_cast<ssize_t>(request.size()));
  auto start = std::chrono::steady_clock::now();
  std::string received;
  bool first = WaitUntil(std::chrono::seconds(2), [&] {
    char buffer[4096];
    ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n > 0) received.append(buffer, static_cast<size_t>(n));
    return Has(received, "first\n");
  });
  EXPECT_TRUE(first) << "the first block was held back; got: " << received;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_FALSE(Has(received, "second")) << "the app cannot have produced it yet";
}

TEST_P(GatewayTest, ClientAbortStopsTheAppAndCallsClose) {
  ServedApp& served = ServeProbe();
  const std::filesystem::path marker = served.run_dir() / "closed";
  {
    Fd fd = ConnectLoopback(served.port(), std::chrono::seconds(5));
    ASSERT_TRUE(fd.valid());
    std::string request = "GET " + Path("/raw/closing?marker=") + marker.string() +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    ASSERT_EQ(write(fd.get(), request.data(), request.size()),
              static_cast<ssize_t>(request.size()));
    // Wait for the first bytes of the response, then hang up.
    char byte;
    ASSERT_TRUE(WaitUntil(std::chrono::seconds(5), [&] { return read(fd.get(), &byte, 1) == 1; }));
  }
  EXPECT_TRUE(WaitUntil(std::chrono::seconds(8), [&] { return std::filesystem::exists(marker); }))
      << "close() was not called after the client went away";
  EXPECT_TRUE(LogHas("client went away"));
  EXPECT_EQ(served.Get(Path("/")).status, 200) << "the worker is not free again";
}

TEST_P(GatewayTest, AppOutputAndLoggingGoToTheLogLineByLine) {
  ServedApp& served = ServeProbe();
  ASSERT_EQ(served.Get(Path("/print")).status, 200);
  for (const char* line : {"probe printed to stdout", "probe wrote to stderr",
                           "probe wrote to wsgi.errors", "probe logged a warning"}) {
    EXPECT_TRUE(LogHas(line)) << line;
  }
  // Each arrives whole on a line of its own, with shoal's prefix.
  std::istringstream log(served.shoal().Log());
  int prefixed = 0;
  for (std::string line; std::getline(log, line);) {
    if (std::regex_match(line, std::regex(R"((info|error) \[\d+ worker 0\] probe [a-z. ]+)"))) {
      ++prefixed;
    }
  }
  EXPECT_EQ(prefixed, 4) << served.shoal().Log();
}

class FileWrapperThroughNginxTest : public GatewayTest {
 protected:
  std::string MakeFile(const std::filesystem::path& path, size_t size) {
    std::mt19937 generator(7);
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(generator());
    std::ofstream(path, std::ios::binary) << bytes;
    return bytes;
  }
};

TEST_P(FileWrapperThroughNginxTest, FileComesBackWholeAndInSlices) {
  ServedApp& served = ServeProbe();
  const std::filesystem::path path = served.run_dir() / "data.bin";
  const std::string bytes = MakeFile(path, 3 * 1024 * 1024 + 17);

  HttpResponse fast = served.Get(Path("/raw/file?path=") + path.string());
  HttpResponse iterated = served.Get(Path("/file?path=") + path.string());
  HttpResponse slice =
      served.Get(Path("/raw/file?path=") + path.string() + "&offset=1000&length=5000");

  EXPECT_EQ(fast.status, 200);
  EXPECT_TRUE(fast.body == bytes) << "fast path: " << fast.body.size() << " bytes";
  EXPECT_TRUE(iterated.body == bytes) << "iterated: " << iterated.body.size() << " bytes";
  EXPECT_TRUE(slice.body == bytes.substr(1000, 5000)) << "slice: " << slice.body.size();
}

TEST_P(GatewayTest, GibibyteResponseStreamsInConstantMemory) {
  ServedApp& served = ServeProbe();
  HttpResponse pid = served.Get(Path("/pid"));
  ASSERT_EQ(pid.status, 200);
  auto peak_kib = [&] {
    std::ifstream status("/proc/" + pid.body + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1L;
  };
  long before = peak_kib();

  RawResult raw = RawGet(served.port(), Path("/stream?mib=1024"), std::chrono::seconds(120));

  EXPECT_TRUE(raw.complete);
  EXPECT_TRUE(Has(raw.head, "200 OK")) << raw.head;
  EXPECT_EQ(raw.body_bytes, uint64_t{1} << 30);
  long growth = peak_kib() - before;
  EXPECT_LT(growth, 16 * 1024) << "the worker's peak RSS grew by " << growth << " KiB";
}

TEST_P(GatewayTest, GibibyteUploadStreamsInConstantMemory) {
  ServedApp& served = ServeProbe();

  std::string body = StreamPost(served.port(), UploadLocation() + "count", 1 << 20, 1024,
                                /*chunked=*/false, std::chrono::seconds(120));

  auto counted = Lines(body);
  EXPECT_EQ(counted["bytes"], std::to_string(uint64_t{1} << 30)) << body;
#ifdef SHOAL_SANITIZE
  GTEST_SKIP() << "resident memory is not the worker's own under ASan: its quarantine keeps "
                  "up to 256 MiB of freed blocks (the transfer itself was checked above)";
#endif
  ASSERT_NE(Absent(counted, "rss_growth_kib"), "<absent>") << body;
  EXPECT_LT(std::stol(counted["rss_growth_kib"]), 16 * 1024);
}

TEST_P(GatewayTest, ChunkedUploadWithoutContentLengthIsReadToItsEnd) {
  ServedApp& served = ServeProbe();
  if (Is() == FrontEnd::kApacheScgi) {
    // mod_proxy_scgi refuses a body without a length itself (see
    // conf/apache-scgi.conf), before shoal sees the request.
    std::string response = StreamPost(served.port(), UploadLocation() + "count", 1000, 3,
                                      /*chunked=*/true, std::chrono::seconds(10), /*whole=*/true);
    EXPECT_TRUE(response.starts_with("HTTP/1.1 411 ")) << response;
    return;
  }

  std::string body = StreamPost(served.port(), UploadLocation() + "count", 100000, 30,
                                /*chunked=*/true, std::chrono::seconds(30));
  EXPECT_EQ(Lines(body)["bytes"], "3000000") << body;
}

TEST_F(ServingTest, HttpsThroughNginxMakesTheUrlSchemeHttps) {
  // A throwaway self-signed certificate for the TLS example config.
  TempDir keys("shoal-tls");
  ChildProcess openssl("/usr/bin/openssl",
                       {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-subj", "/CN=localhost", "-days", "1", "-keyout",
                        (keys / "key.pem").string(), "-out", (keys / "cert.pem").string()},
                       keys / "openssl.out");
  ASSERT_EQ(openssl.WaitForExit(std::chrono::seconds(20)), std::optional<int>(0))
      << openssl.Output();
  ServedApp& served =
      Serve({.workers = 1,
             .conf_template = SourceDir() / "conf" / "nginx-fastcgi-tls.conf",
             .conf_values = {{"CERT", (keys / "cert.pem").string()},
                              {"KEY", (keys / "key.pem").string()}}});

  ChildProcess curl("/usr/bin/curl",
                    {"--silent", "--show-error", "--insecure", "--max-time", "10",
                     "https://127.0.0.1:" + std::to_string(served.port()) + "/environ"},
                    keys / "curl.out");
  ASSERT_EQ(curl.WaitForExit(std::chrono::seconds(15)), std::optional<int>(0)) << curl.Output();

  auto env = Lines(curl.Output());
  EXPECT_EQ(env["wsgi.url_scheme"], "https") << curl.Output();
  EXPECT_EQ(env["HTTPS"], "on");
}

INSTANTIATE_TEST_SUITE_P(Protocols, GatewayTest, testing::ValuesIn(kAllFrontEnds),
                         FrontEndTestName);
INSTANTIATE_TEST_SUITE_P(Protocols, FileWrapperThroughNginxTest, testing::ValuesIn(kAllFrontEnds),
                         FrontEndTestName);

}  // namespace
}  // namespace shoal::tests
