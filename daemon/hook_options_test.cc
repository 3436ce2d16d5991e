// The hook, middleware, start-up code, reload and HEAD options
// (daemon/hook_options.h), as parsed by the option table.
#include "daemon/hook_options.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/parse_for_test.h"

namespace shoal::daemon {
namespace {

class HookOptionsTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "shoal-hookopt-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    for (const char* name : {"SHOAL_MIDDLEWARE", "SHOAL_RELOAD_MECHANISM", "SHOAL_EXEC",
                             "SHOAL_EXEC_FILE", "SHOAL_AFTER_REQUEST", "SHOAL_HEAD_SKIP_BODY"}) {
      ::unsetenv(name);
    }
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
};

TEST_F(HookOptionsTest, DefaultsAddNothing) {
  auto cl = Parse({"--app", "a:b", "--bind", ":1"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const HookOptions& h = cl.value().options.hooks;
  EXPECT_TRUE(h.middleware.empty());
  EXPECT_EQ(h.on_request, "");
  EXPECT_EQ(h.after_request, "");
  EXPECT_TRUE(h.exec.empty());
  EXPECT_TRUE(h.exec_files.empty());
  EXPECT_FALSE(h.reload_on_change);
  EXPECT_EQ(h.reload_mechanism, ReloadMechanism::kProcess);
  EXPECT_FALSE(h.head_skip_body);
}

TEST_F(HookOptionsTest, EveryOptionIsTakenInOrder) {
  const std::string file = (dir_ / "start.py").string();
  std::ofstream(file) << "X = 1\n";
  auto cl = Parse({"--app", "a:b", "--bind", ":1", "--middleware", "m1:wrap", "--middleware",
                   "pkg.m2:Wrapper.make", "--on-request", "h:before", "--after-request",
                   "h:after", "--exec", "A = 1", "--exec", "B = A + 1", "--exec-file",
                   file.c_str(), "--reload-on-change", "--reload-mechanism", "module",
                   "--head-skip-body"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const HookOptions& h = cl.value().options.hooks;
  EXPECT_EQ(h.middleware, (std::vector<std::string>{"m1:wrap", "pkg.m2:Wrapper.make"}));
  EXPECT_EQ(h.on_request, "h:before");
  EXPECT_EQ(h.after_request, "h:after");
  EXPECT_EQ(h.exec, (std::vector<std::string>{"A = 1", "B = A + 1"}));
  EXPECT_EQ(h.exec_files, std::vector<std::string>{file});
  EXPECT_TRUE(h.reload_on_change);
  EXPECT_EQ(h.reload_mechanism, ReloadMechanism::kModule);
  EXPECT_TRUE(h.head_skip_body);
}

TEST_F(HookOptionsTest, ARelativeExecFileIsMadeAbsolute) {
  std::ofstream(dir_ / "rel.py") << "X = 1\n";
  const std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::current_path(dir_);
  auto cl = Parse({"--app", "a:b", "--bind", ":1", "--exec-file", "rel.py"});
  std::filesystem::current_path(before);
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl.value().options.hooks.exec_files,
            std::vector<std::string>{(dir_ / "rel.py").string()});
}

TEST_F(HookOptionsTest, TheEnvironmentGivesThemToo) {
  const std::string file = (dir_ / "env.py").string();
  std::ofstream(file) << "X = 1\n";
  ::setenv("SHOAL_MIDDLEWARE", "envmw:wrap", 1);
  ::setenv("SHOAL_RELOAD_MECHANISM", "module", 1);
  ::setenv("SHOAL_EXEC", "A = 1", 1);
  ::setenv("SHOAL_EXEC_FILE", file.c_str(), 1);
  ::setenv("SHOAL_AFTER_REQUEST", "env:after", 1);
  ::setenv("SHOAL_HEAD_SKIP_BODY", "true", 1);
  auto cl = Parse({"--app", "a:b", "--bind", ":1"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const HookOptions& h = cl.value().options.hooks;
  EXPECT_EQ(h.middleware, std::vector<std::string>{"envmw:wrap"});
  EXPECT_EQ(h.reload_mechanism, ReloadMechanism::kModule);
  EXPECT_EQ(h.exec, std::vector<std::string>{"A = 1"});
  EXPECT_EQ(h.exec_files, std::vector<std::string>{file});
  EXPECT_EQ(h.after_request, "env:after");
  EXPECT_TRUE(h.head_skip_body);
  // The command line over the environment.
  auto over = Parse({"--app", "a:b", "--bind", ":1", "--reload-mechanism", "process"});
  ASSERT_TRUE(over.ok()) << over.status().message();
  EXPECT_EQ(over.value().options.hooks.reload_mechanism, ReloadMechanism::kProcess);
}

TEST_F(HookOptionsTest, ABadValueFromTheEnvironmentNamesTheVariable) {
  ::setenv("SHOAL_RELOAD_MECHANISM", "thread", 1);
  EXPECT_NE(ErrorOf({"--app", "a:b", "--bind", ":1"}).find("SHOAL_RELOAD_MECHANISM"),
            std::string::npos)
      << ErrorOf({"--app", "a:b", "--bind", ":1"});
}

TEST_F(HookOptionsTest, AConfigFileGivesThemToo) {
  const std::string config = (dir_ / "shoal.ini").string();
  const std::string file = (dir_ / "cfg.py").string();
  std::ofstream(file) << "X = 1\n";
  std::ofstream(config) << "[shoal]\nmiddleware = cfgmw:wrap\non-request = cfg:before\n"
                           "after-request = cfg:after\nexec = B = 2\nexec-file = " << file
                        << "\nhead-skip-body = true\nreload-on-change = true\n"
                           "reload-mechanism = module\n";
  auto cl = Parse({"--app", "a:b", "--bind", ":1", "--config", config.c_str()});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const HookOptions& h = cl.value().options.hooks;
  EXPECT_EQ(h.middleware, std::vector<std::string>{"cfgmw:wrap"});
  EXPECT_EQ(h.on_request, "cfg:before");
  EXPECT_EQ(h.after_request, "cfg:after");
  EXPECT_EQ(h.exec, std::vector<std::string>{"B = 2"});
  EXPECT_EQ(h.exec_files, std::vector<std::string>{file});
  EXPECT_TRUE(h.head_skip_body);
  EXPECT_TRUE(h.reload_on_change);
  EXPECT_EQ(h.reload_mechanism, ReloadMechanism::kModule);
}

TEST_F(HookOptionsTest, BadValuesAreRefusedByName) {
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--reload-mechanism", "thread"}),
            "invalid value 'thread' for --reload-mechanism: expected process or module");
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--middleware", "nocolon"}),
            "invalid value 'nocolon' for --middleware: expected MODULE:CALLABLE");
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--on-request", "m:"}),
            "invalid value 'm:' for --on-request: expected MODULE:CALLABLE");
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--after-request", "dir/h.py:after"}),
            "invalid value 'dir/h.py:after' for --after-request: expected a module name, not a "
            "file (put its directory on --pythonpath)");
  const std::string missing = (dir_ / "missing.py").string();
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--exec-file", missing.c_str()}),
            "invalid value '" + missing + "' for --exec-file: not a file");
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--bind", ":1", "--exec", " "}),
            "invalid value ' ' for --exec: expected Python code");
  EXPECT_EQ(ErrorOf({"--app", "a:b", "--inetd", "--reload-on-change"}),
            "--inetd serves the one connection on fd 0 in this process: --reload-on-change "
            "cannot go with it");
}

}  // namespace
}  // namespace shoal::daemon
