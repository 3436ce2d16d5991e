// Third-party WSGI apps from Debian, served unmodified behind every front
// end and compared with the same app under a reference server: httpbin
// (python3-httpbin, a Flask app) through requests, and Radicale (a CalDAV
// server) through python3-caldav.
//
// The comparison is tests/apps/third_party/compare.py: it serves the same
// app with wsgiref's make_server in a thread, sends the same requests to it
// and to shoal's front end, and compares each exchange's status line, the
// app's headers and the body bytes. What a front end adds (Date, Server,
// Connection, Keep-Alive, chunked framing) is named in compare.py's
// FRONT_END_HEADERS, what one front end does that others do not (lighttpd's
// own reason phrases, SCGI's CONTENT_LENGTH of 0) in its FRONT_ENDS, and the
// few parts of an app's answer that change from one run to the next (the
// clock, a random nonce) in its ALLOWANCES; `compare.py httpbin --shoal URL
// --front-end NAME --list` shows them and each check. Each test
// here runs all of one app's checks and asserts the driver's verdict, with its
// output (one line per check, the differences under a failed one) and the
// logs on failure.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/conf_template.h"
#include "support/paths.h"
#include "support/serving_fixture.h"
#include "support/temp_dir.h"

namespace shoal::tests {
namespace {

using namespace std::chrono_literals;

std::filesystem::path ThirdPartyDir() { return AppsDir() / "third_party"; }

// Debian's python3 (the packages under test are installed for it only).
constexpr char kSystemPython[] = "/usr/bin/python3";

class ThirdPartyTest : public FrontEndTest {
 protected:
  // Stops the front end and shoal before work_, which holds Radicale's
  // storage, goes away under them.
  void TearDown() override {
    FrontEndTest::TearDown();
    served_.reset();
  }

  ServedApp& ServeHttpbin() { return Serve({.app = "httpbin:app", .front_end = GetParam()}); }

  // Serves radicale:application with its config (radicale.conf) and storage
  // in work_, named to it by RADICALE_CONFIG as Radicale's WSGI entry expects.
  ServedApp& ServeRadicale() {
    const std::filesystem::path conf = work_ / "shoal-radicale.conf";
    WriteRenderedTemplate(ThirdPartyDir() / "radicale.conf",
                          {{"STORAGE", (work_ / "shoal-collections").string()}}, conf);
    return Serve({.app = "radicale:application",
                  .env = {{"RADICALE_CONFIG", conf.string()}},
                  .front_end = GetParam()});
  }

  // Runs compare.py for all of `app`'s checks against the served app and
  // expects every one to match the reference. The driver's checks must all
  // have run: a verdict line "N of N checks" with N > 0 (checks the front end
  // cannot pass are listed as skipped, with the reason, in compare.py).
  void ExpectSameAnswersAsReference(const std::string& app) {
    ASSERT_TRUE(served_);
    const std::string prefix = FrontEndPrefix(GetParam());
    const std::string shoal_url = "http://127.0.0.1:" + std::to_string(served_->port()) + prefix;
    const std::vector<std::string> args{(ThirdPartyDir() / "compare.py").string(),
                                        app,
                                        "--shoal",
                                        shoal_url,
                                        "--front-end",
                                        FrontEndName(GetParam()),
                                        "--prefix",
                                        prefix,
                                        "--work",
                                        work_.path().string()};
    ChildProcess driver(kSystemPython, args, work_ / ("compare-" + app + ".out"),
                        SIGTERM, {{"PYTHONDONTWRITEBYTECODE", "1"}});
    const std::optional<int> status = driver.WaitForExit(60s);
    const std::string output = driver.Output();
    ASSERT_TRUE(status) << "compare.py did not finish within 60 s:\n" << output;
    EXPECT_EQ(*status, 0) << output;
    std::smatch verdict;
    const bool has_verdict = std::regex_search(
        output, verdict, std::regex(R"(verdict: \w+: (\d+) of (\d+) checks match)"));
    ASSERT_TRUE(has_verdict) << "no verdict from compare.py:\n" << output;
    EXPECT_EQ(verdict[1], verdict[2]) << output;
    EXPECT_NE(verdict[2], "0") << "no checks ran:\n" << output;
    if (HasFailure()) return;
    // The verdict and what was skipped, and why, even when all went well.
    static const std::regex kSkipLine(R"(^skip .*$)", std::regex::multiline);
    for (std::sregex_iterator it(output.begin(), output.end(), kSkipLine), end; it != end; ++it) {
      std::cout << it->str() << "\n";
    }
    std::cout << verdict[0] << "\n";
  }

  TempDir work_{"shoal-third-party"};
};

// Methods, forms, JSON, multipart upload, gzip and deflate, streams, ranges,
// cookies, redirects, basic, bearer and digest auth, status lines, escaped
// paths; HEAD (Content-Length and no body) and 304 Not Modified
// (tests/apps/third_party/httpbin_checks.py).
TEST_P(ThirdPartyTest, HttpbinAnswersAsUnderTheReferenceServer) {
  ServeHttpbin();
  ExpectSameAnswersAsReference("httpbin");
}

// caldav: make a calendar, add, query, change and delete events; PUT and
// DELETE with If-Match and If-None-Match; PROPFIND and refusals; a 12 KB
// event, sync-collection, OPTIONS and MOVE; a chunked PUT; HEAD of an event
// and of a calendar
// (tests/apps/third_party/radicale_checks.py).
TEST_P(ThirdPartyTest, RadicaleAnswersAsUnderTheReferenceServer) {
  ServeRadicale();
  ExpectSameAnswersAsReference("radicale");
}

INSTANTIATE_TEST_SUITE_P(FrontEnds, ThirdPartyTest, testing::ValuesIn(kAllFrontEnds),
                         FrontEndTestName);

}  // namespace
}  // namespace shoal::tests
