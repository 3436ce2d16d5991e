// A --paste file's [server:main] read as PasteDeploy would ([DEFAULT],
// %(here)s, continuation lines), flup's keywords mapped onto shoal's
// options, and their place under the command line, environment and
// --config file, through ParseCommandLine as main calls it.
#include "daemon/paste_server.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/ini_file.h"
#include "daemon/options.h"

namespace shoal::daemon {
namespace {

class PasteServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/shoal-paste-unit-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    ini_ = (dir_ / "app.ini").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& text) { std::ofstream(ini_) << text; }

  Result<CommandLine> Parse(std::vector<std::string> args) {
    args.insert(args.begin(), {"shoal", "--paste", ini_});
    std::vector<const char*> argv;
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    return ParseCommandLine(static_cast<int>(argv.size()), argv.data());
  }

  std::filesystem::path dir_;
  std::string ini_;
};

TEST_F(PasteServerTest, IniFileInterpolatesFromTheSectionDefaultAndHere) {
  Write("[DEFAULT]\nroot = %(here)s/var\n\n[server:main]\nsocket = %(root)s/s.sock\n"
        "  continued\npercent = 100%%\n; comment\n# comment\n");
  Result<IniFile> ini = IniFile::Read(ini_);
  ASSERT_TRUE(ini.ok()) << ini.status().message();
  const std::string section = ini.value().FindSection("server", "main");
  ASSERT_EQ(section, "server:main");
  const std::vector<IniFile::Entry> own = ini.value().OwnEntries(section);
  ASSERT_EQ(own.size(), 2u);
  EXPECT_EQ(own[0].line, 5);
  EXPECT_EQ(ini.value().Interpolate(section, own[0]).value(),
            dir_.string() + "/var/s.sock\ncontinued");
  EXPECT_EQ(ini.value().Interpolate(section, own[1]).value(), "100%");
}

TEST_F(PasteServerTest, FlupKeywordsBecomeOptionsUnderTheCommandLine) {
  Write("[DEFAULT]\ndebug = true\n\n[app:main]\nuse = call:x:y\n\n"
        "[server:main]\nuse = egg:Flup#fcgi_fork\nhost = 127.0.0.1\nport = 9009\n"
        "maxChildren = 6\nminSpare = 2\nmaxRequests = 100\numask = 022\n");
  Result<CommandLine> cl = Parse({"--max-requests", "7"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  EXPECT_EQ(o.protocol, protocols::Protocol::kFastCgi);
  ASSERT_TRUE(o.bind.has_value());
  EXPECT_EQ(o.bind->ToString(), "127.0.0.1:9009");
  EXPECT_TRUE(o.adaptive);
  EXPECT_EQ(o.max_children, 6);
  EXPECT_EQ(o.min_spare, 2);
  EXPECT_EQ(o.max_requests, 7u);  // the command line wins
  EXPECT_EQ(o.umask, 022u);
  EXPECT_TRUE(o.debug);           // [DEFAULT]'s, as flup reads global_conf
  ASSERT_EQ(o.mounts.size(), 1u);
  EXPECT_EQ(o.mounts[0].paste_file, ini_);
  EXPECT_EQ(o.mounts[0].paste_name, "");
}

TEST_F(PasteServerTest, ScgiAndAjpListenOnFlupsDefaultPorts) {
  for (const auto& [use, protocol, address] :
       {std::tuple{"egg:flup#scgi_thread", protocols::Protocol::kScgi, "127.0.0.1:4000"},
        std::tuple{"egg:PasteScript#flup_ajp_fork", protocols::Protocol::kAjp, "127.0.0.1:8009"},
        std::tuple{"call:flup.server.paste_factory:run_scgi_fork", protocols::Protocol::kScgi,
                   "127.0.0.1:4000"}}) {
    Write(std::string("[server:main]\nuse = ") + use + "\n");
    Result<CommandLine> cl = Parse({});
    ASSERT_TRUE(cl.ok()) << use << ": " << cl.status().message();
    EXPECT_EQ(cl.value().options.protocol, protocol) << use;
    ASSERT_TRUE(cl.value().options.bind.has_value()) << use;
    EXPECT_EQ(cl.value().options.bind->ToString(), address) << use;
    EXPECT_TRUE(cl.value().warnings.empty()) << use;
  }
}

TEST_F(PasteServerTest, AFixedPoolOrInetdElsewhereReplacesTheFilesPoolAndAddress) {
  Write("[server:main]\nuse = egg:Flup#scgi_fork\nsocket = x.sock\nmaxChildren = 6\n");
  Result<CommandLine> cl = Parse({"--workers", "3"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_FALSE(cl.value().options.adaptive);
  EXPECT_EQ(cl.value().options.workers, 3);
  cl = Parse({"--inetd"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_FALSE(cl.value().options.bind.has_value());
}

TEST_F(PasteServerTest, AnotherServerIsAWarningNotAnError) {
  Write("[server:main]\nuse = egg:waitress#main\nport = 8080\n");
  Result<CommandLine> cl = Parse({"--bind", ":9000"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  ASSERT_EQ(cl.value().warnings.size(), 1u);
  EXPECT_EQ(cl.value().warnings[0],
            ini_ + ":2 [server:main] names egg:waitress#main, not one of flup's: shoal ignores "
                   "it and its settings and serves as its own options say (--protocol, --bind)");
  EXPECT_EQ(cl.value().options.protocol, protocols::Protocol::kFastCgi);
}

TEST_F(PasteServerTest, ABadValueIsAttributedToItsLine) {
  Write("[server:main]\nuse = egg:Flup#scgi_fork\nmaxSpare = 1\nminSpare = 2\n");
  Result<CommandLine> cl = Parse({});
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message(),
            "invalid value '1' for --max-spare: must be at least --min-spare (--max-spare is set "
            "in " + ini_ + ":3 [server:main]; --min-spare is set in " + ini_ +
                ":4 [server:main])");
}

// One option set in all four places: command line > environment > --config
// file > the --paste file's [server:main] > default.
TEST_F(PasteServerTest, PrecedenceIsCommandLineEnvironmentFileThenPasteServer) {
  Write("[server:main]\nuse = egg:Flup#scgi_fork\nsocket = x.sock\nmaxRequests = 5\n");
  const std::string config = (dir_ / "shoal.ini").string();
  std::ofstream(config) << "max-requests = 10\n";
  Result<CommandLine> cl = Parse({});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl.value().options.max_requests, 5u);
  cl = Parse({"--config", config});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl.value().options.max_requests, 10u);
  ::setenv("SHOAL_MAX_REQUESTS", "20", 1);
  cl = Parse({"--config", config});
  EXPECT_EQ(cl.ok() ? cl.value().options.max_requests : 0u, 20u);
  cl = Parse({"--config", config, "--max-requests", "30", "--check-config"});
  ::unsetenv("SHOAL_MAX_REQUESTS");
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl.value().options.max_requests, 30u);
  EXPECT_NE(cl.value().effective.find("\nmax-requests = 30  # command line\n"),
            std::string::npos)
      << cl.value().effective;
  EXPECT_NE(cl.value().effective.find("\nbind = unix:x.sock"
                                      "  # paste " + ini_ + ":3 [server:main]\n"),
            std::string::npos)
      << cl.value().effective;
}

TEST_F(PasteServerTest, PasteSpecTakesANameAndDropsConfigColon) {
  Result<PasteSpec> spec = ParsePasteSpec("config:/srv/app.ini#blog");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec.value().file, "/srv/app.ini");
  EXPECT_EQ(spec.value().name, "blog");
  EXPECT_FALSE(ParsePasteSpec("/srv/app.ini#").ok());
  EXPECT_FALSE(ParsePasteSpec("#blog").ok());
}

}  // namespace
}  // namespace shoal::daemon
