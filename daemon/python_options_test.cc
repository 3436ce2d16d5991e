// The interpreter and environ options (daemon/python_options.h) and the
// app forms (--app MODULE:FACTORY(), --wsgi-file, --callable), as parsed by
// the option table.
#include "daemon/python_options.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/parse_for_test.h"

namespace shoal::daemon {
namespace {

// A directory of its own under $TMPDIR, removed at the end of the test.
class PythonOptionsTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "shoal-pyopt-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A directory that looks like a venv: pyvenv.cfg with `version`.
  std::string MakeVenv(const std::string& name, const std::string& version = "3.11.2") {
    std::filesystem::create_directories(dir_ / name);
    std::ofstream(dir_ / name / "pyvenv.cfg")
        << "home = /usr/bin\ninclude-system-site-packages = false\nversion = " << version << "\n";
    return (dir_ / name).string();
  }

  std::filesystem::path dir_;
};

TEST_F(PythonOptionsTest, DefaultsLeaveTheInterpreterAndEnvironAsTheyAre) {
  auto cl = Parse({"--app", "a:b", "--bind", ":1"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  EXPECT_EQ(o.virtualenv, "");
  EXPECT_EQ(o.python_home, "");
  EXPECT_EQ(o.optimize, 0);
  EXPECT_TRUE(o.env.empty());
  EXPECT_TRUE(o.wsgi_vars.empty());
  EXPECT_FALSE(o.strip_authorization);
  EXPECT_FALSE(o.mounts[0].factory);
  EXPECT_EQ(o.mounts[0].wsgi_file, "");
}

TEST_F(PythonOptionsTest, VirtualenvAndItsUwsgiAliasesNameTheSameAbsoluteDirectory) {
  const std::string venv = MakeVenv("venv");
  for (const char* option : {"--virtualenv", "--venv", "--home"}) {
    auto cl = Parse({"--app", "a:b", "--bind", ":1", option, (venv + "/").c_str()});
    ASSERT_TRUE(cl.ok()) << option << ": " << cl.status().message();
    EXPECT_EQ(cl.value().options.virtualenv, venv) << option;
  }
  const std::string joined = "--venv=" + venv;
  auto cl = Parse({"--app", "a:b", "--bind", ":1", joined.c_str()});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl.value().options.virtualenv, venv);
}

TEST_F(PythonOptionsTest, VirtualenvWithoutPyvenvCfgIsRefused) {
  std::filesystem::create_directories(dir_ / "plain");
  const std::string plain = (dir_ / "plain").string();
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--virtualenv", plain.c_str()}),
            "invalid value '" + plain +
                "' for --virtualenv: no pyvenv.cfg in it, so not a venv (make one with "
                "/usr/bin/python3 -m venv DIR; for a Python installation prefix, use "
                "--python-home)");
  const std::string missing = (dir_ / "missing").string();
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--home", missing.c_str()}),
            "invalid value '" + missing + "' for --virtualenv: not a directory");
}

TEST_F(PythonOptionsTest, VirtualenvOfAnotherPythonVersionIsRefused) {
  const std::string venv = MakeVenv("other", "3.12.1");
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--virtualenv", venv.c_str()}),
            "invalid value '" + venv +
                "' for --virtualenv: made by Python 3.12, and shoal embeds Python 3.11 (its "
                "packages would not be found)");
}

TEST_F(PythonOptionsTest, PythonHomeMustBeAPythonPrefixAndNotAVenv) {
  auto usr = Parse({"--app", "a:b", "--bind", ":1", "--python-home", "/usr"});
  ASSERT_TRUE(usr.ok()) << usr.status().message();
  EXPECT_EQ(usr.value().options.python_home, "/usr");

  const std::string missing = (dir_ / "missing").string();
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--python-home", missing.c_str()}),
            "invalid value '" + missing + "' for --python-home: not a directory");
  const std::string venv = MakeVenv("venv");
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--python-home", venv.c_str()}),
            "invalid value '" + venv + "' for --python-home: a venv: give it as --virtualenv");
  const std::string empty = dir_.string();
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--python-home", empty.c_str()}),
            "invalid value '" + empty +
                "' for --python-home: no lib/python3.11/encodings under it, so not the prefix "
                "of a Python 3.11 installation (such as /usr)");
}

TEST_F(PythonOptionsTest, OptimizeIsZeroOneOrTwo) {
  for (int level : {0, 1, 2}) {
    const std::string text = std::to_string(level);
    auto cl = Parse({"--app", "a:b", "--bind", ":1", "--optimize", text.c_str()});
    ASSERT_TRUE(cl.ok()) << cl.status().message();
    EXPECT_EQ(cl.value().options.optimize, level);
  }
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--optimize", "3"}),
            "invalid value '3' for --optimize: expected 0, 1 (as python -O) or 2 (as python -OO)");
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--optimize=-1"}),
            "invalid value '-1' for --optimize: expected 0, 1 (as python -O) or 2 (as python -OO)");
  EXPECT_NE(ErrorOf({"--app", "a:b", "--bind", ":1", "--optimize", "high"}), "<parsed>");
}

TEST_F(PythonOptionsTest, EnvAndWsgiVarKeepEveryPairInOrderWithTheValueAfterTheFirstEquals) {
  auto cl = Parse({"--app", "a:b", "--bind", ":1", "--env", "A=1", "--env", "B=x=y", "--env",
                   "EMPTY=", "--wsgi-var", "wsgi.url_scheme=https", "--wsgi-var",
                   "myapp.site=blue", "--strip-authorization"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(o.env, (Pairs{{"A", "1"}, {"B", "x=y"}, {"EMPTY", ""}}));
  EXPECT_EQ(o.wsgi_vars, (Pairs{{"wsgi.url_scheme", "https"}, {"myapp.site", "blue"}}));
  EXPECT_TRUE(o.strip_authorization);
}

TEST_F(PythonOptionsTest, BadEnvAndWsgiVarPairsAreNamed) {
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--env", "NOEQUALS"}),
            "invalid value 'NOEQUALS' for --env: expected KEY=VALUE");
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--env", "=x"}),
            "invalid value '=x' for --env: expected KEY=VALUE");
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--env", "SHOAL_WORKERS=4"}),
            "invalid value 'SHOAL_WORKERS=4' for --env: SHOAL_ variables are shoal's own "
            "options: give the option itself");
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--wsgi-var", "x"}),
            "invalid value 'x' for --wsgi-var: expected KEY=VALUE");
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--wsgi-var", "wsgi.input=x"}),
            "invalid value 'wsgi.input=x' for --wsgi-var: wsgi.input is the request's own stream");
}

TEST_F(PythonOptionsTest, AFactoryIsACallableWithParentheses) {
  auto cl = Parse({"--app", "pkg.wsgi:create_app()", "--bind", ":1", "--mount",
                   "/b=other:make()"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  ASSERT_EQ(o.mounts.size(), 2u);
  EXPECT_EQ(o.mounts[0].module, "pkg.wsgi");
  EXPECT_EQ(o.mounts[0].callable, "create_app");
  EXPECT_TRUE(o.mounts[0].factory);
  EXPECT_EQ(o.mounts[1].callable, "make");
  EXPECT_TRUE(o.mounts[1].factory);
  EXPECT_EQ(ErrorOf({"--app", "pkg:()", "--bind", ":1"}),
            "invalid value 'pkg:()' for --app: expected MODULE:CALLABLE or MODULE:FACTORY()");
}

TEST_F(PythonOptionsTest, WsgiFileIsTheAppAtScriptNameWithItsCallable) {
  auto cl = Parse({"--wsgi-file", "site/app.wsgi", "--bind", ":1", "--script-name", "/x/"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  ASSERT_EQ(o.mounts.size(), 1u);
  EXPECT_EQ(o.mounts[0].wsgi_file, (std::filesystem::current_path() / "site/app.wsgi").string());
  EXPECT_EQ(o.mounts[0].callable, "application");
  EXPECT_FALSE(o.mounts[0].factory);
  EXPECT_EQ(o.mounts[0].prefix, "/x");

  auto named = Parse({"--wsgi-file", "/srv/app.py", "--callable", "make()", "--bind", ":1",
                      "--mount", "/other=probe:app"});
  ASSERT_TRUE(named.ok()) << named.status().message();
  EXPECT_EQ(named.value().options.mounts[0].callable, "make");
  EXPECT_TRUE(named.value().options.mounts[0].factory);
  EXPECT_EQ(named.value().options.mounts[1].module, "probe");
}

TEST_F(PythonOptionsTest, WsgiFileAndAppAreOneOrTheOther) {
  EXPECT_EQ(ErrorOf({"--wsgi-file", "/srv/app.wsgi", "--app", "a:b", "--bind", ":1"}),
            "--app and --wsgi-file both give the root app: give one (--mount adds others)");
  std::ofstream(dir_ / "app.ini") << "[app:main]\nuse = call:site:make\n";
  const std::string ini = (dir_ / "app.ini").string();
  EXPECT_EQ(ErrorOf({"--wsgi-file", "/srv/app.wsgi", "--paste", ini.c_str(), "--bind", ":1"}),
            "--paste and --wsgi-file both give the root app: give one (--mount adds others)");
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--callable", "app", "--bind", ":1"}),
            "--callable names the app in --wsgi-file: give --wsgi-file too (or --app "
            "MODULE:CALLABLE)");
  EXPECT_EQ(ErrorOf({"--bind", ":1"}),
            "the option '--app' is required but missing (or give --paste FILE.ini or --wsgi-file "
            "PATH)");
  EXPECT_EQ(ErrorOf({"--wsgi-file", "/srv/", "--bind", ":1"}),
            "invalid value '/srv/' for --wsgi-file: expected a file");
}

TEST_F(PythonOptionsTest, TheNewOptionsAreConfigKeysAndEnvironmentVariablesToo) {
  const std::string venv = MakeVenv("venv");
  std::ofstream(dir_ / "shoal.ini") << "virtualenv = " << venv << "\noptimize = 2\n"
                                    << "wsgi-var = a=1\nstrip-authorization = true\n";
  const std::string config = (dir_ / "shoal.ini").string();
  ::setenv("SHOAL_ENV", "FROM_ENV=yes", 1);
  auto cl = Parse({"--app", "a:b", "--bind", ":1", "--config", config.c_str()});
  ::unsetenv("SHOAL_ENV");
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  EXPECT_EQ(o.virtualenv, venv);
  EXPECT_EQ(o.optimize, 2);
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(o.wsgi_vars, (Pairs{{"a", "1"}}));
  EXPECT_EQ(o.env, (Pairs{{"FROM_ENV", "yes"}}));
  EXPECT_TRUE(o.strip_authorization);
}

TEST_F(PythonOptionsTest, AliasesAreSpelledOnlyAsOptionsBeforeTheDoubleDash) {
  EXPECT_EQ(SpellOptionAliases({"--venv", "/v", "--home=/h", "--homer", "--", "--home"}),
            (std::vector<std::string>{"--virtualenv", "/v", "--virtualenv=/h", "--homer", "--",
                                      "--home"}));
}

TEST_F(PythonOptionsTest, HelpListsTheOptions) {
  auto help = Parse({"--help"});
  ASSERT_TRUE(help.ok());
  // Words as --help wraps them, each run of spaces and newlines one space.
  std::string text;
  for (char c : help.value().help) {
    const bool space = c == ' ' || c == '\n';
    if (!space || (!text.empty() && text.back() != ' ')) text.push_back(space ? ' ' : c);
  }
  for (const char* option : {"--virtualenv DIR", "--python-home DIR", "--optimize LEVEL",
                             "--env KEY=VALUE", "--wsgi-var KEY=VALUE", "--strip-authorization",
                             "--wsgi-file PATH", "--callable NAME",
                             "uWSGI's --venv and --home are accepted for it on the command line",
                             "MODULE:FACTORY() calls FACTORY once"}) {
    EXPECT_NE(text.find(option), std::string::npos) << option << "\n" << text;
  }
}

}  // namespace
}  // namespace shoal::daemon
