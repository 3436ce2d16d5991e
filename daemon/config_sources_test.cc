// --config files, SHOAL_ environment variables, their precedence, and
// --check-config, through ParseCommandLine as main calls it.
#include "daemon/config_sources.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/options.h"
#include "daemon/parse_for_test.h"

namespace shoal::daemon {
namespace {

// Sets environment variables for one test and removes them after.
class ScopedEnvironment {
 public:
  ScopedEnvironment() = default;
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;
  ~ScopedEnvironment() {
    for (const std::string& name : names_) ::unsetenv(name.c_str());
  }
  void Set(const std::string& name, const std::string& value) {
    ::setenv(name.c_str(), value.c_str(), 1);
    names_.push_back(name);
  }

 private:
  std::vector<std::string> names_;
};

class ConfigSourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("shoal-config-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `text` to a file in the test's directory; returns its path.
  std::string Write(const std::string& name, const std::string& text) {
    const std::filesystem::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path dir_;
  ScopedEnvironment env_;
};

TEST_F(ConfigSourcesTest, FileKeysAreTheLongOptionNames) {
  const std::string file = Write("app.ini",
                                 "# shoal for the blog\n"
                                 "app = blog.wsgi:application\n"
                                 "bind = unix:/run/shoal/blog.sock\n"
                                 "workers = 4   # two per core\n"
                                 "max-requests = 100\n"
                                 "script-name = /blog\n"
                                 "protocol = scgi\n"
                                 "debug = true\n"
                                 "no-gc-freeze = false\n");
  auto cl = Parse({"--config", file.c_str()});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  ASSERT_EQ(o.mounts.size(), 1u);
  EXPECT_EQ(o.mounts[0].module, "blog.wsgi");
  EXPECT_EQ(o.mounts[0].prefix, "/blog");
  ASSERT_TRUE(o.bind.has_value());
  EXPECT_EQ(o.bind->path, "/run/shoal/blog.sock");
  EXPECT_EQ(o.workers, 4);
  EXPECT_EQ(o.max_requests, 100u);
  EXPECT_EQ(o.protocol, protocols::Protocol::kScgi);
  EXPECT_TRUE(o.debug);
  EXPECT_TRUE(o.gc_freeze);
}

TEST_F(ConfigSourcesTest, RepeatedKeysCompose) {
  const std::string file = Write("app.ini",
                                 "app = main:app\n"
                                 "mount = /blog=blog:app\n"
                                 "mount = /shop=shop:app\n"
                                 "pythonpath = /srv/a\n"
                                 "pythonpath = /srv/b\n");
  auto cl = Parse({"--config", file.c_str(), "--pythonpath", "/first"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  ASSERT_EQ(o.mounts.size(), 3u);
  EXPECT_EQ(o.mounts[1].prefix, "/blog");
  EXPECT_EQ(o.mounts[2].prefix, "/shop");
  EXPECT_EQ(o.pythonpath, (std::vector<std::string>{"/first", "/srv/a", "/srv/b"}));
}

TEST_F(ConfigSourcesTest, ShoalSectionIsReadAndOtherSectionsSkipped) {
  const std::string file = Write("site.ini",
                                 "[app:main]\n"
                                 "use = egg:blog\n"
                                 "workers = 9\n"
                                 "[shoal]\n"
                                 "; a comment\n"
                                 "app = blog:app\n"
                                 "workers = 3\n"
                                 "[server:main]\n"
                                 "use = egg:Flup#scgi_fork\n");
  auto cl = Parse({"--config", file.c_str()});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl.value().options.workers, 3);
}

TEST_F(ConfigSourcesTest, FileWithOnlyOtherSectionsIsAnError) {
  const std::string file = Write("paste.ini", "[app:main]\nuse = egg:blog\n");
  auto cl = Parse({"--app", "a:b", "--config", file.c_str()});
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message(),
            "--config " + file +
                ": no shoal settings (put them at the top or in a [shoal] section)");
}

TEST_F(ConfigSourcesTest, UnknownKeyNamesTheFileAndLine) {
  const std::string file = Write("app.ini", "app = a:b\n\n# pool\nwrokers = 4\n");
  auto cl = Parse({"--config", file.c_str()});
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message(), file + ":4: unknown key 'wrokers'");
}

TEST_F(ConfigSourcesTest, CommandsAndRepeatsAreRefusedWithTheLine) {
  for (const auto& [text, message] :
       std::vector<std::pair<std::string, std::string>>{
           {"app = a:b\nhelp = true\n",
            ":2: 'help' is a command, not a setting: give --help on the command line"},
           {"config = other.ini\n", ":1: a config file cannot name another ('config')"},
           {"workers = 2\nworkers = 3\n", ":2: 'workers' is already set on line 1"},
           {"workers 2\n", ":1: expected KEY = VALUE (a switch is KEY = true), not 'workers 2'"},
           {"--workers = 2\n", ":1: unknown key '--workers'"}}) {
    const std::string file = Write("bad.ini", text);
    auto cl = Parse({"--app", "a:b", "--config", file.c_str()});
    ASSERT_FALSE(cl.ok()) << text;
    EXPECT_EQ(cl.status().message(), file + message) << text;
  }
}

TEST_F(ConfigSourcesTest, BadValueFromTheFileNamesTheFile) {
  const std::string file = Write("app.ini", "app = a:b\nworkers = four\n");
  auto cl = Parse({"--config", file.c_str()});
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message().rfind(file + ":2: ", 0), 0u) << cl.status().message();
  EXPECT_NE(cl.status().message().find("'four'"), std::string::npos) << cl.status().message();

  const std::string out_of_range = Write("range.ini", "app = a:b\n\nworkers = 0\n");
  cl = Parse({"--config", out_of_range.c_str()});
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message(), "invalid value '0' for --workers: expected 1 to 1024 "
                                   "(--workers is set in " + out_of_range + ":3)");

  const std::string bad_switch = Write("switch.ini", "app = a:b\ndebug = maybe\n");
  cl = Parse({"--config", bad_switch.c_str()});
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message().rfind(bad_switch + ":2: ", 0), 0u) << cl.status().message();
}

TEST_F(ConfigSourcesTest, MissingFileIsNamed) {
  auto cl = Parse({"--app", "a:b", "--config", "/nonexistent/shoal.ini"});
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message(), "--config /nonexistent/shoal.ini: No such file or directory");
}

TEST_F(ConfigSourcesTest, EnvironmentVariablesSetOptions) {
  env_.Set("SHOAL_APP", "blog:app");
  env_.Set("SHOAL_WORKERS", "4");
  env_.Set("SHOAL_MAX_REQUESTS", "100");
  env_.Set("SHOAL_BIND", "unix:/run/shoal/blog.sock");
  env_.Set("SHOAL_DEBUG", "true");
  env_.Set("SHOAL_PYTHONPATH", "/srv/a:/srv/b");
  env_.Set("SHOAL_MOUNT", "/x=x:app /y=y:app");
  // shoal's own, for its re-exec, reload check and lazy workers: not options.
  env_.Set("SHOAL_REEXEC", "listen=3");
  env_.Set("SHOAL_RELOAD_CHECK", "3");
  env_.Set("SHOAL_LAZY_WORKER", "index=0");
  env_.Set("SHOAL_SANITIZER_REPORTS", "/tmp");
  auto cl = Parse({});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  EXPECT_EQ(o.workers, 4);
  EXPECT_EQ(o.max_requests, 100u);
  ASSERT_TRUE(o.bind.has_value());
  EXPECT_EQ(o.bind->path, "/run/shoal/blog.sock");
  EXPECT_TRUE(o.debug);
  EXPECT_EQ(o.pythonpath, (std::vector<std::string>{"/srv/a", "/srv/b"}));
  ASSERT_EQ(o.mounts.size(), 3u);
  EXPECT_EQ(o.mounts[2].prefix, "/y");
}

TEST_F(ConfigSourcesTest, UnknownShoalVariableIsNamed) {
  env_.Set("SHOAL_WROKERS", "4");
  auto cl = Parse({"--app", "a:b"});
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message(),
            "unknown environment variable SHOAL_WROKERS: SHOAL_ variables name options, as "
            "SHOAL_WORKERS sets --workers");
}

TEST_F(ConfigSourcesTest, LowerCaseOrCommandVariablesAreRefused) {
  env_.Set("SHOAL_workers", "4");
  auto cl = Parse({"--app", "a:b"});
  ASSERT_FALSE(cl.ok());
  EXPECT_NE(cl.status().message().find("SHOAL_workers"), std::string::npos);
  ::unsetenv("SHOAL_workers");
  env_.Set("SHOAL_CHECK_CONFIG", "1");
  cl = Parse({"--app", "a:b"});
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message(),
            "environment SHOAL_CHECK_CONFIG: --check-config is a command, not a setting");
}

TEST_F(ConfigSourcesTest, BadValueFromTheEnvironmentNamesTheVariable) {
  env_.Set("SHOAL_MAX_REQUESTS", "lots");
  auto cl = Parse({"--app", "a:b"});
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message().rfind("SHOAL_MAX_REQUESTS: ", 0), 0u) << cl.status().message();
  EXPECT_NE(cl.status().message().find("'lots'"), std::string::npos);
  ::unsetenv("SHOAL_MAX_REQUESTS");
  env_.Set("SHOAL_PROTOCOL", "http");
  cl = Parse({"--app", "a:b"});
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message(),
            "invalid value 'http' for --protocol: expected fastcgi, scgi, ajp or auto "
            "(--protocol is set by SHOAL_PROTOCOL)");
}

TEST_F(ConfigSourcesTest, ConfigFileFromTheEnvironment) {
  const std::string file = Write("app.ini", "app = a:b\nworkers = 5\n");
  env_.Set("SHOAL_CONFIG", file);
  auto cl = Parse({});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl.value().options.workers, 5);
  // --config on the command line wins over SHOAL_CONFIG.
  const std::string other = Write("other.ini", "app = a:b\nworkers = 6\n");
  cl = Parse({"--config", other.c_str()});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl.value().options.workers, 6);
}

// One option in all four places: default < file < environment < command line.
TEST_F(ConfigSourcesTest, PrecedenceIsCommandLineEnvironmentFileDefault) {
  const std::string file = Write("app.ini", "app = a:b\nmax-requests = 10\n");
  auto cl = Parse({"--app", "a:b"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl.value().options.max_requests, 0u);  // the default

  cl = Parse({"--config", file.c_str()});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl.value().options.max_requests, 10u);

  env_.Set("SHOAL_MAX_REQUESTS", "20");
  cl = Parse({"--config", file.c_str()});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl.value().options.max_requests, 20u);

  cl = Parse({"--config", file.c_str(), "--max-requests", "30", "--check-config"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl.value().options.max_requests, 30u);
  EXPECT_EQ(cl.value().action, CommandLine::Action::kCheckConfig);
  const std::string& effective = cl.value().effective;
  EXPECT_NE(effective.find("\nmax-requests = 30  # command line\n"), std::string::npos)
      << effective;
  EXPECT_EQ(effective.find("max-requests = 20"), std::string::npos) << effective;
}

TEST_F(ConfigSourcesTest, CheckConfigSaysWhereEachValueCameFrom) {
  const std::string file = Write("app.ini", "app = a:b\n\nworkers = 3\nmount = /x=x:app\n");
  env_.Set("SHOAL_MAX_REQUESTS", "20");
  auto cl = Parse({"--check-config", "--config", file.c_str(), "--debug", "--mount", "/y=y:app"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  ASSERT_EQ(cl.value().action, CommandLine::Action::kCheckConfig);
  const std::string& effective = cl.value().effective;
  for (const std::string& line : std::vector<std::string>{
           "config = " + file + "  # command line", "app = a:b  # file " + file + ":1",
        "workers = 3  # file " + file + ":3",
        std::string("max-requests = 20  # environment SHOAL_MAX_REQUESTS"),
        std::string("debug = true  # command line"),
        std::string("mount = /y=y:app  # command line"),
        "mount = /x=x:app  # file " + file + ":4", std::string("protocol = fastcgi  # default"),
        std::string("lazy-apps = false  # default"), std::string("# bind: not set")}) {
    EXPECT_NE(("\n" + effective).find("\n" + line + "\n"), std::string::npos)
        << line << "\n" << effective;
  }
  EXPECT_EQ(effective.find("help"), std::string::npos) << effective;
}

TEST(EnvironmentNameTest, IsUpperCaseWithUnderscores) {
  EXPECT_EQ(EnvironmentName("max-requests-jitter"), "SHOAL_MAX_REQUESTS_JITTER");
  EXPECT_EQ(EnvironmentName("workers"), "SHOAL_WORKERS");
}

}  // namespace
}  // namespace shoal::daemon
