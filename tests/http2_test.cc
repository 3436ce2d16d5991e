// nginx serving HTTPS over HTTP/2 in front of shoal
// (conf/nginx-fastcgi-http2.conf), as an HTTP/2 site reaches a WSGI app:
// the response comes back over HTTP/2, the app sees SERVER_PROTOCOL
// HTTP/2.0, an upload with a length and one streamed without arrive whole,
// and HEAD is answered. Each test runs over FastCGI (the config's /) and
// SCGI (its /scgi/, where shoal mounts the same app), on one shoal with
// --protocol auto.
//
// The client is Debian's curl, built with nghttp2; the uploads without a
// length come from a pipe through `curl -T -`, which in HTTP/2 sends no
// content-length (and no chunked coding, which HTTP/2 does not have).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/paths.h"
#include "support/serving_fixture.h"
#include "support/sha256.h"
#include "support/temp_dir.h"
#include "support/test_data.h"

namespace shoal::tests {
namespace {

// What one curl run got.
struct CurlResult {
  std::string failure;   // empty when curl exited 0; else its exit and output
  std::string version;   // %{http_version}: "2" for HTTP/2
  int status = 0;        // %{http_code}
  long downloaded = -1;  // %{size_download}: body bytes received
  std::string headers;   // the response head as curl wrote it (-D)
  std::string body;      // the response body (-o)
};

// Which of the config's locations a test goes through.
struct Route {
  const char* name;    // for the test's name
  const char* prefix;  // "" for FastCGI at /, "/scgi" for SCGI at /scgi/
};

class Http2Test : public ServingTest, public ::testing::WithParamInterface<Route> {
 protected:
  // A throwaway self-signed certificate, once for the suite.
  static void SetUpTestSuite() {
    keys_.emplace("shoal-h2-keys");
    ChildProcess openssl("/usr/bin/openssl",
                         {"req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost",
                          "-days", "1", "-keyout", (*keys_ / "key.pem").string(), "-out",
                          (*keys_ / "cert.pem").string()},
                         *keys_ / "openssl.out");
    if (openssl.WaitForExit(std::chrono::seconds(20)) != std::optional<int>(0)) {
      setup_error_ = "openssl failed: " + openssl.Output();
    }
  }
  static void TearDownTestSuite() { keys_.reset(); }

  // shoal --protocol auto behind the HTTP/2 example: probe:app at / for the
  // FastCGI location and at /scgi for the SCGI one.
  ServedApp& ServeOverHttp2() {
    EXPECT_TRUE(setup_error_.empty()) << setup_error_;
    return Serve({.workers = 1,
                  .extra_args = {"--mount", "/scgi=probe:app"},
                  .protocol = "auto",
                  .conf_template = SourceDir() / "conf" / "nginx-fastcgi-http2.conf",
                  .conf_values = {{"CERT", (*keys_ / "cert.pem").string()},
                                  {"KEY", (*keys_ / "key.pem").string()}}});
  }

  std::string Url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(served_->port()) + GetParam().prefix + path;
  }

  // Runs curl over HTTP/2 with `args` before the URL of `path`; with
  // `pipe_from`, curl's stdin is a pipe that file is copied into (for
  // `-T -`). Bounded at 20 s.
  CurlResult Curl(const std::vector<std::string>& args, const std::string& path,
                  const std::filesystem::path& pipe_from = {}) {
    const std::filesystem::path dir = served_->run_dir();
    const int run = ++runs_;
    const std::filesystem::path body = dir / ("curl-body-" + std::to_string(run));
    const std::filesystem::path head = dir / ("curl-head-" + std::to_string(run));
    std::vector<std::string> argv{"-c", "cat \"$0\" | exec /usr/bin/curl \"$@\"",
                                  pipe_from.empty() ? "/dev/null" : pipe_from.string(),
                                  "--http2", "--silent", "--show-error", "--insecure",
                                  "--max-time", "15", "-o", body.string(), "-D", head.string(),
                                  "-w", "%{http_version} %{http_code} %{size_download}"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(Url(path));
    ChildProcess curl("/bin/sh", argv, dir / ("curl-" + std::to_string(run) + ".out"));
    std::optional<int> exit = curl.WaitForExit(std::chrono::seconds(20));
    CurlResult result;
    if (exit != 0) {
      result.failure = "curl " + (exit ? "exited " + std::to_string(*exit) : "timed out") +
                       ": " + curl.Output();
      return result;
    }
    std::istringstream written(curl.Output());
    written >> result.version >> result.status >> result.downloaded;
    result.headers = ReadFileOrEmpty(head);
    result.body = ReadFileOrEmpty(body);
    return result;
  }

  // Writes `bytes` to a file in the run directory; returns its path.
  std::filesystem::path WriteFile(const std::string& name, const std::string& bytes) {
    std::filesystem::path path = served_->run_dir() / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

 private:
  static inline std::optional<TempDir> keys_;
  static inline std::string setup_error_;
  int runs_ = 0;
};

TEST_P(Http2Test, ResponseComesBackOverHttp2AndTheAppSeesHttp20) {
  ServeOverHttp2();

  CurlResult got = Curl({}, "/environ");

  ASSERT_EQ(got.failure, "");
  EXPECT_EQ(got.version, "2") << got.headers;
  EXPECT_EQ(got.status, 200) << got.body;
  auto env = Lines(got.body);
  EXPECT_EQ(env["SERVER_PROTOCOL"], "HTTP/2.0");
  EXPECT_EQ(env["wsgi.url_scheme"], "https");
  EXPECT_EQ(env["SCRIPT_NAME"], GetParam().prefix);
  EXPECT_EQ(env["PATH_INFO"], "/environ");
}

TEST_P(Http2Test, UploadWithContentLengthArrivesWhole) {
  ServeOverHttp2();
  const std::string sent = RandomBytes(3 * 1024 * 1024 + 5, 2026);
  const std::filesystem::path file = WriteFile("upload.bin", sent);

  CurlResult got = Curl({"--data-binary", "@" + file.string(), "-H",
                         "Content-Type: application/octet-stream"},
                        "/echo");

  ASSERT_EQ(got.failure, "");
  EXPECT_EQ(got.version, "2");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body.size(), sent.size());
  EXPECT_EQ(Sha256Hex(got.body), Sha256Hex(sent)) << "the app echoed other bytes";
}

TEST_P(Http2Test, UploadStreamedWithoutLengthArrivesWhole) {
  ServeOverHttp2();
  const std::string sent = RandomBytes(3 * 1024 * 1024 + 5, 2027);
  const std::filesystem::path file = WriteFile("upload.bin", sent);

  CurlResult counted = Curl({"-X", "POST", "-T", "-"}, "/count", file);
  CurlResult seen = Curl({"-X", "POST", "-T", "-"}, "/environ", file);

  ASSERT_EQ(counted.failure, "");
  EXPECT_EQ(counted.version, "2");
  EXPECT_EQ(counted.status, 200) << counted.body;
  EXPECT_EQ(Lines(counted.body)["bytes"], std::to_string(sent.size())) << counted.body;
  ASSERT_EQ(seen.failure, "");
  // The app is told the length all the same: nginx spools the body for SCGI,
  // which needs one; the FastCGI location passes it on as it arrives,
  // without one, and shoal reads it whole before the app runs.
  EXPECT_EQ(Lines(seen.body)["CONTENT_LENGTH"], std::to_string(sent.size()));
}

TEST_P(Http2Test, HeadGetsTheHeadersAndNoBody) {
  ServeOverHttp2();

  CurlResult got = Curl({"--head"}, "/");

  ASSERT_EQ(got.failure, "");
  EXPECT_EQ(got.version, "2");
  EXPECT_EQ(got.status, 200) << got.headers;
  EXPECT_NE(got.headers.find("content-length: 17\r\n"), std::string::npos) << got.headers;
  EXPECT_EQ(got.downloaded, 0);
  // With --head curl writes the head where the body would go: nothing after it.
  EXPECT_EQ(got.body, got.headers);
}

std::string RouteName(const ::testing::TestParamInfo<Route>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Locations, Http2Test,
                         testing::Values(Route{"fastcgi", ""}, Route{"scgi", "/scgi"}),
                         RouteName);

}  // namespace
}  // namespace shoal::tests
