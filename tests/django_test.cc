// A real Django 3.2 project (tests/apps/djangosite), served unmodified behind
// each front end (kAllFrontEnds): admin login with CSRF, a POST/redirect/GET,
// Django's 404, and the whole site mounted under a prefix with --script-name.
//
// The suite prepares one SQLite database (manage.py migrate, a superuser)
// before any shoal starts; each test serves its own copy of it.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/child_process.h"
#include "support/paths.h"
#include "support/serving_fixture.h"
#include "support/temp_dir.h"
#include "support/text.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

constexpr char kUser[] = "admin";
constexpr char kPassword[] = "shoal-Admin-pw-42";

std::filesystem::path SiteDir() { return AppsDir() / "djangosite"; }

// Runs `python3 manage.py args...` with `env` added, up to 60 s. Returns ""
// on exit 0, else what went wrong with the command's output.
std::string RunManage(const std::vector<std::string>& args, const EnvVars& env,
                      const std::filesystem::path& output) {
  std::vector<std::string> argv{(SiteDir() / "manage.py").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess manage("/usr/bin/python3", argv, output, SIGTERM, env);
  std::optional<int> status = manage.WaitForExit(std::chrono::seconds(60));
  if (status == 0) return "";
  std::string what = "manage.py " + args.front() + " ";
  what += status ? "exited with " + std::to_string(*status) : std::string("timed out");
  return what + ":\n" + manage.Output();
}

// application/x-www-form-urlencoded escaping of one name or value.
std::string FormEscape(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

// Form fields as (name, value) pairs, in order.
using FormFields = std::vector<std::pair<std::string, std::string>>;

std::string FormBody(const FormFields& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';  // (GCC 12 -O3 warns of `"&" + string`: -Wrestrict)
    body += FormEscape(name) + "=" + FormEscape(value);
  }
  return body;
}

// The value of the first input named `name` in `html`, or "" (Django's
// templates write `name="..." value="..."` in that order).
std::string InputValue(const std::string& html, const std::string& name) {
  const std::string marker = "name=\"" + name + "\" value=\"";
  size_t start = html.find(marker);
  if (start == std::string::npos) return "";
  start += marker.size();
  return html.substr(start, html.find('"', start) - start);
}

class DjangoTest : public FrontEndTest {
 protected:
  // Migrates a fresh database and adds the superuser, once for the suite.
  static void SetUpTestSuite() {
    prepared_.emplace("shoal-django");
    const EnvVars env{{"DJANGOSITE_DB", (*prepared_ / "db.sqlite3").string()},
                      {"PYTHONDONTWRITEBYTECODE", "1"},
                      {"DJANGO_SUPERUSER_PASSWORD", kPassword}};
    setup_error_ = RunManage({"migrate", "--noinput"}, env, *prepared_ / "migrate.out");
    if (setup_error_.empty()) {
      setup_error_ = RunManage({"createsuperuser", "--noinput", "--username", kUser, "--email",
                                "admin@example.com"},
                               env, *prepared_ / "createsuperuser.out");
    }
  }
  static void TearDownTestSuite() { prepared_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    std::filesystem::copy_file(*prepared_ / "db.sqlite3", db_dir_ / "db.sqlite3");
  }

  // Stops nginx and shoal before db_dir_, a member of this class, goes away
  // under them.
  void TearDown() override {
    FrontEndTest::TearDown();
    served_.reset();
  }

  // The page `path` of the site: "/x", or "/app/x" behind lighttpd, whose
  // example config mounts the app there (FrontEndPrefix).
  std::string Path(const std::string& path) const { return FrontEndPrefix(GetParam()) + path; }

  // Why a test of --script-name is skipped behind lighttpd.
  static constexpr char kLighttpdMountsTheApp[] =
      "lighttpd mounts the app itself (SCRIPT_NAME=/app and a PATH_INFO), and shoal uses a "
      "split it is sent as it is: --script-name is for front ends that send the whole path";

  // Serves djangosite.wsgi on this test's copy of the database.
  ServedApp& ServeSite(std::vector<std::string> extra_args = {}) {
    return Serve({.app = "djangosite.wsgi:application",
                  .chdir = SiteDir(),
                  .extra_args = std::move(extra_args),
                  .env = {{"DJANGOSITE_DB", (db_dir_ / "db.sqlite3").string()}},
                  .front_end = GetParam()});
  }

  // GETs `login_path`, then POSTs the form back as a browser would: the
  // superuser's credentials, the hidden `next`, the csrftoken cookie and, if
  // `with_form_token`, the form's csrfmiddlewaretoken. Returns the POST's
  // response, or nullopt (with a test failure) if the form was not as
  // expected.
  std::optional<HttpResponse> PostAdminLogin(const std::string& login_path, bool with_form_token) {
    HttpResponse form = served_->Get(login_path);
    std::string cookie = form.SetCookie("csrftoken").value_or("");
    std::string token = InputValue(form.body, "csrfmiddlewaretoken");
    EXPECT_EQ(form.status, 200);
    EXPECT_FALSE(cookie.empty()) << "no csrftoken cookie";
    EXPECT_FALSE(token.empty()) << "no csrfmiddlewaretoken in the form";
    if (form.status != 200 || cookie.empty() || token.empty()) return std::nullopt;
    FormFields fields{{"username", kUser}, {"password", kPassword},
                      {"next", InputValue(form.body, "next")}};
    if (with_form_token) fields.insert(fields.begin(), {"csrfmiddlewaretoken", token});
    return served_->Request("POST", login_path,
                            {{"Cookie", "csrftoken=" + cookie},
                             {"Content-Type", "application/x-www-form-urlencoded"}},
                            FormBody(fields));
  }

  TempDir db_dir_{"shoal-django-db"};

 private:
  static inline std::optional<TempDir> prepared_;
  static inline std::string setup_error_;
};

TEST_P(DjangoTest, AdminLoginWithCsrfTokenRedirectsToAdminAndShowsSiteAdministration) {
  ServeSite();

  std::optional<HttpResponse> login = PostAdminLogin(Path("/admin/login/"), true);

  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 302) << login->body;
  EXPECT_EQ(login->Header("Location").value_or(""), Path("/admin/"));
  std::string session = login->SetCookie("sessionid").value_or("");
  ASSERT_FALSE(session.empty()) << "no sessionid cookie after login";
  HttpResponse index =
      served_->Request("GET", Path("/admin/"), {{"Cookie", "sessionid=" + session}});
  EXPECT_EQ(index.status, 200);
  EXPECT_TRUE(Has(index.body, "Site administration")) << index.body;
  EXPECT_TRUE(Has(index.body, "<strong>admin</strong>")) << "not greeted as the superuser";
  EXPECT_TRUE(Has(index.body, "href=\"" + Path("/admin/notes/note/") + "\""))
      << "the notes model is missing";
}

TEST_P(DjangoTest, AdminLoginPostWithoutCsrfTokenIsForbidden) {
  ServeSite();

  std::optional<HttpResponse> login = PostAdminLogin(Path("/admin/login/"), false);

  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 403);
  EXPECT_TRUE(Has(login->body, "CSRF verification failed")) << login->body;
  EXPECT_EQ(login->SetCookie("sessionid"), std::nullopt) << "logged in without a token";
}

TEST_P(DjangoTest, PostRedirectsAndTheFollowingGetShowsTheResult) {
  ServeSite();
  HttpResponse list = served_->Get(Path("/notes/"));
  ASSERT_EQ(list.status, 200);
  std::string csrf = list.SetCookie("csrftoken").value_or("");
  std::string token = InputValue(list.body, "csrfmiddlewaretoken");
  ASSERT_FALSE(csrf.empty() || token.empty()) << list.body;

  HttpResponse added = served_->Request(
      "POST", Path("/notes/add/"),
      {{"Cookie", "csrftoken=" + csrf}, {"Content-Type", "application/x-www-form-urlencoded"}},
      FormBody({{"csrfmiddlewaretoken", token}, {"text", "shoal says hi & bye"}}));

  EXPECT_EQ(added.status, 302) << added.body;
  std::string location = added.Header("Location").value_or("");
  ASSERT_EQ(location, Path("/notes/1/"));
  // The success message travels in the messages cookie to the next GET.
  std::string messages = added.SetCookie("messages").value_or("");
  EXPECT_FALSE(messages.empty()) << "no messages cookie";
  HttpResponse shown = served_->Request("GET", location, {{"Cookie", "messages=" + messages}});
  EXPECT_EQ(shown.status, 200);
  EXPECT_TRUE(Has(shown.body, "<p id=\"text\">shoal says hi &amp; bye</p>")) << shown.body;
  EXPECT_TRUE(Has(shown.body, "added note 1")) << shown.body;
  // The note is stored: the list links to it.
  EXPECT_TRUE(Has(served_->Get(Path("/notes/")).body,
                  "href=\"" + Path("/notes/1/") + "\">shoal says hi &amp; bye<"));
}

TEST_P(DjangoTest, UnknownUrlGetsTheSites404Page) {
  ServeSite();

  HttpResponse unknown = served_->Get(Path("/no/such/page/"));
  HttpResponse no_note = served_->Get(Path("/notes/999/"));

  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(Has(unknown.body, "djangosite: no page at " + Path("/no/such/page/")))
      << unknown.body;
  EXPECT_EQ(no_note.status, 404);
  EXPECT_TRUE(Has(no_note.body, "djangosite: no page at " + Path("/notes/999/"))) << no_note.body;
}

TEST_P(DjangoTest, MountedUnderPrefixLinksAndAdminRedirectsStartWithThePrefix) {
  if (GetParam() == FrontEnd::kLighttpdScgi) GTEST_SKIP() << kLighttpdMountsTheApp;
  ServeSite({"--script-name", "/site"});

  HttpResponse list = served_->Get("/site/notes/");
  HttpResponse admin = served_->Get("/site/admin/");
  std::optional<HttpResponse> login = PostAdminLogin("/site/admin/login/", true);

  EXPECT_EQ(list.status, 200);
  EXPECT_TRUE(Has(list.body, "action=\"/site/notes/add/\"")) << list.body;
  EXPECT_TRUE(Has(list.body, "id=\"admin\" href=\"/site/admin/\"")) << list.body;
  EXPECT_TRUE(Has(list.body, "id=\"self\" href=\"/site/notes/\"")) << list.body;
  // Not logged in: the admin sends the browser to its login page.
  EXPECT_EQ(admin.status, 302);
  EXPECT_EQ(admin.Header("Location").value_or(""), "/site/admin/login/?next=/site/admin/");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 302) << login->body;
  EXPECT_EQ(login->Header("Location").value_or(""), "/site/admin/");
  std::string session = login->SetCookie("sessionid").value_or("");
  HttpResponse index =
      served_->Request("GET", "/site/admin/", {{"Cookie", "sessionid=" + session}});
  EXPECT_EQ(index.status, 200);
  EXPECT_TRUE(Has(index.body, "Site administration")) << index.body;
}

TEST_P(DjangoTest, MountedUnderPrefixUrlOutsideItGets404FromShoal) {
  if (GetParam() == FrontEnd::kLighttpdScgi) GTEST_SKIP() << kLighttpdMountsTheApp;
  ServedApp& served = ServeSite({"--script-name", "/site"});

  HttpResponse elsewhere = served.Get("/elsewhere/");
  HttpResponse lookalike = served.Get("/sitemap/");  // shares characters, not a segment

  EXPECT_EQ(elsewhere.status, 404);
  EXPECT_EQ(lookalike.status, 404);
  // shoal's own answer, not the site's 404 page.
  EXPECT_FALSE(Has(elsewhere.body, "djangosite")) << elsewhere.body;
  EXPECT_FALSE(Has(lookalike.body, "djangosite")) << lookalike.body;
  bool logged = WaitUntil(5s, [&] {
    std::string log = served.shoal().Log();
    return Has(log, "/elsewhere/") && Has(log, "/sitemap/");
  });
  EXPECT_TRUE(logged) << "no log line for the requests outside the mount";
}

INSTANTIATE_TEST_SUITE_P(Protocols, DjangoTest, testing::ValuesIn(kAllFrontEnds),
                         FrontEndTestName);

}  // namespace
}  // namespace shoal::tests
