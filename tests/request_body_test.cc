// Request bodies before the app runs, behind every front end: a body that
// arrives without a length (Apache's mod_proxy_fcgi and mod_proxy_ajp
// stream chunked uploads so, and nginx with request buffering off) is
// spooled and given its CONTENT_LENGTH, so an app that reads by length
// (Django) gets every byte; --max-body-size answers 413; --no-spool-chunked
// streams as before.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/paths.h"
#include "support/serving_fixture.h"
#include "support/sha256.h"
#include "support/test_data.h"
#include "support/upload.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

// Whether the front end passes a chunked upload on as it streams in,
// without a length, in the location UploadPath() names.
bool StreamsWithoutALength(FrontEnd front_end) {
  return front_end == FrontEnd::kNginxFastCgi || front_end == FrontEnd::kNginxFastCgiKeepalive ||
         front_end == FrontEnd::kApacheFastCgi || front_end == FrontEnd::kApacheAjp;
}

class RequestBodyTest : public FrontEndTest {
 protected:
  FrontEnd Is() const { return GetParam(); }
  // The probe's `route` where the front end takes uploads of any size.
  std::string UploadPath(const std::string& route) const {
    return FrontEndUploadLocation(Is()) + route;
  }
  // mod_proxy_scgi answers 411 to a chunked upload itself.
  bool RefusesChunked() const { return Is() == FrontEnd::kApacheScgi; }
  bool LogHas(const std::string& part) {
    return WaitUntil(std::chrono::seconds(5),
                     [&] { return served_->shoal().Log().find(part) != std::string::npos; });
  }
};

TEST_P(RequestBodyTest, ChunkedUploadReachesAnAppReadingByLength) {
  ServedApp& served = Serve({.workers = 1, .front_end = GetParam()});

  std::string response = StreamPost(served.port(), UploadPath("length"), 100000, 30,
                                    /*chunked=*/true, std::chrono::seconds(30), /*whole=*/true);
  if (RefusesChunked()) {
    EXPECT_TRUE(response.starts_with("HTTP/1.1 411 ")) << response;
    return;
  }
  ASSERT_TRUE(response.starts_with("HTTP/1.1 200 ")) << response;
  auto fields = Lines(response.substr(response.find("\r\n\r\n") + 4));
  EXPECT_EQ(fields["content_length"], "3000000");
  EXPECT_EQ(fields["bytes"], "3000000");
  EXPECT_EQ(fields["sha256"], Sha256Hex(std::string(3000000, 'u')));
}

TEST_P(RequestBodyTest, BodyOverMaxBodySizeGets413) {
  ServedApp& served = Serve({.workers = 1, .extra_args = {"--max-body-size", "1m"},
                             .front_end = GetParam()});

  // A declared length over the limit: refused before the body is read.
  std::string declared = StreamPost(served.port(), UploadPath("length"), 1 << 20, 3,
                                    /*chunked=*/false, std::chrono::seconds(30), /*whole=*/true);
  EXPECT_TRUE(declared.starts_with("HTTP/1.1 413 ")) << declared.substr(0, 300);
  EXPECT_TRUE(LogHas("413, CONTENT_LENGTH 3145728 is over --max-body-size (1048576 bytes)"));

  // One at the limit passes.
  std::string fits = StreamPost(served.port(), UploadPath("length"), 1 << 20, 1,
                                /*chunked=*/false, std::chrono::seconds(30));
  EXPECT_EQ(Lines(fits)["bytes"], "1048576") << fits.substr(0, 300);

  // No length: refused once the spool passes the limit.
  std::string chunked = StreamPost(served.port(), UploadPath("length"), 1 << 20, 3,
                                   /*chunked=*/true, std::chrono::seconds(30), /*whole=*/true);
  if (RefusesChunked()) {
    EXPECT_TRUE(chunked.starts_with("HTTP/1.1 411 ")) << chunked.substr(0, 300);
    return;
  }
  EXPECT_TRUE(chunked.starts_with("HTTP/1.1 413 ")) << chunked.substr(0, 300);
  if (StreamsWithoutALength(Is())) {
    EXPECT_TRUE(LogHas("413, request body over --max-body-size (1048576 bytes)"));
  }
  // The worker serves on.
  EXPECT_EQ(served.Get(FrontEndPrefix(Is()) + "/").body, "Hello from probe\n");
}

TEST_P(RequestBodyTest, NoSpoolChunkedPassesTheBodyOnWithoutALength) {
  if (!StreamsWithoutALength(Is())) {
    GTEST_SKIP() << "this front end reads a chunked body whole itself and sends its length";
  }
  ServedApp& served = Serve({.workers = 1, .extra_args = {"--no-spool-chunked"},
                             .front_end = GetParam()});

  std::string body = StreamPost(served.port(), UploadPath("count"), 100000, 30,
                                /*chunked=*/true, std::chrono::seconds(30));
  auto fields = Lines(body);
  EXPECT_EQ(fields["bytes"], "3000000") << body;
  // As the front end sent it: nginx an empty CONTENT_LENGTH, Apache none.
  EXPECT_TRUE(fields["content_length"] == "" || fields["content_length"] == "<absent>") << body;
}

INSTANTIATE_TEST_SUITE_P(FrontEnds, RequestBodyTest, testing::ValuesIn(kAllFrontEnds),
                         FrontEndTestName);

// The Django site's upload view behind the front ends that stream chunked
// uploads without a length: Django reads request.body by CONTENT_LENGTH.
class DjangoChunkedUploadTest : public FrontEndTest {};

TEST_P(DjangoChunkedUploadTest, ViewReceivesTheExactBytesAndLength) {
  // nginx streams only in its /unbuffered/ location: mount the site there.
  const bool nginx = GetParam() == FrontEnd::kNginxFastCgi;
  std::vector<std::string> extra;
  if (nginx) extra = {"--script-name", "/unbuffered"};
  TempDir db("shoal-django-upload");
  ServedApp& served = Serve({.app = "djangosite.wsgi:application",
                             .chdir = AppsDir() / "djangosite",
                             .workers = 1,
                             .extra_args = extra,
                             .env = {{"DJANGOSITE_DB", (db / "db.sqlite3").string()}},
                             .front_end = GetParam()});

  // 300 KB: Apache streams a chunked body this large without a length.
  std::string body = StreamPost(served.port(), std::string(nginx ? "/unbuffered" : "") +
                                                   "/notes/upload/",
                                10000, 30, /*chunked=*/true, std::chrono::seconds(30));
  auto fields = Lines(body);
  EXPECT_EQ(fields["content_length"], "300000") << body;
  EXPECT_EQ(fields["bytes"], "300000");
  EXPECT_EQ(fields["sha256"], Sha256Hex(std::string(300000, 'u')));
}

INSTANTIATE_TEST_SUITE_P(FrontEnds, DjangoChunkedUploadTest,
                         testing::Values(FrontEnd::kApacheFastCgi, FrontEnd::kApacheAjp,
                                         FrontEnd::kNginxFastCgi),
                         FrontEndTestName);

TEST_F(ServingTest, GibibyteChunkedUploadIsSpooledInConstantMemory) {
  TempDir spool("shoal-spool");
  ServedApp& served = Serve({.workers = 1, .extra_args = {"--spool-dir", spool.path().string()}});

  std::string body = StreamPost(served.port(), "/unbuffered/count", 1 << 20, 1024,
                                /*chunked=*/true, std::chrono::seconds(120));

  auto fields = Lines(body);
  EXPECT_EQ(fields["bytes"], std::to_string(uint64_t{1} << 30)) << body;
  // Read whole first, so the app was told its length.
  EXPECT_EQ(fields["content_length"], std::to_string(uint64_t{1} << 30));
  // The spool file had no name: nothing is left in the directory.
  EXPECT_TRUE(std::filesystem::is_empty(spool.path()));
#ifdef SHOAL_SANITIZE
  GTEST_SKIP() << "resident memory is not the worker's own under ASan: its quarantine keeps "
                  "up to 256 MiB of freed blocks (the transfer itself was checked above)";
#endif
  ASSERT_NE(fields["rss_growth_kib"], "") << body;
  EXPECT_LT(std::stol(fields["rss_growth_kib"]), 16 * 1024);
}

TEST_F(ServingTest, SpoolDirThatIsMissingStopsShoalAtStart) {
  TempDir dir("shoal-spool-missing");
  ShoalProcess shoal({"--app", "probe:app", "--chdir", AppsDir().string(), "--bind",
                      "unix:" + (dir / "s.sock").string(), "--spool-dir",
                      (dir / "missing").string()},
                     dir / "shoal.log");
  EXPECT_EQ(shoal.WaitForExit(std::chrono::seconds(10)), 1);
  EXPECT_NE(shoal.Log().find("--spool-dir: stat(" + (dir / "missing").string() +
                             ") failed: No such file or directory"),
            std::string::npos)
      << shoal.Log();
}

}  // namespace
}  // namespace shoal::tests
