#include "daemon/options.h"

#include <cstdlib>
#include <filesystem>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/parse_for_test.h"

namespace shoal::daemon {
namespace {

TEST(OptionsTest, ParsesTheFullCommandLine) {
  auto cl = Parse({"--app", "hello:app", "--chdir", "examples", "--pythonpath", "/a",
                   "--pythonpath", "/b", "--protocol", "fcgi", "--bind", "unix:/tmp/s.sock",
                   "--workers", "3", "--script-name", "/blog/", "--socket-mode", "0600",
                   "--no-gc-freeze"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  EXPECT_EQ(cl.value().action, CommandLine::Action::kServe);
  ASSERT_EQ(o.mounts.size(), 1u);
  EXPECT_EQ(o.mounts[0].module, "hello");
  EXPECT_EQ(o.mounts[0].callable, "app");
  EXPECT_EQ(o.chdir, "examples");
  EXPECT_EQ(o.pythonpath, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(o.protocol, protocols::Protocol::kFastCgi);
  ASSERT_TRUE(o.bind.has_value());
  EXPECT_EQ(o.bind->path, "/tmp/s.sock");
  EXPECT_EQ(o.workers, 3);
  EXPECT_EQ(o.mounts[0].prefix, "/blog");
  EXPECT_EQ(o.socket_mode, 0600u);
  EXPECT_FALSE(o.gc_freeze);
}

TEST(OptionsTest, Defaults) {
  auto cl = Parse({"--app", "pkg.wsgi", "--bind", ":8000"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  ASSERT_EQ(o.mounts.size(), 1u);
  EXPECT_EQ(o.mounts[0].module, "pkg.wsgi");
  EXPECT_EQ(o.mounts[0].callable, "application");
  EXPECT_EQ(o.workers, 2);
  EXPECT_EQ(o.socket_mode, 0660u);
  EXPECT_EQ(o.mounts[0].prefix, "");
  EXPECT_FALSE(o.debug);
  EXPECT_TRUE(o.gc_freeze);
  EXPECT_EQ(o.max_body_size, 0u);
  EXPECT_TRUE(o.spool_chunked);
  EXPECT_EQ(o.heartbeat_timeout_ms, 10'000);
  EXPECT_EQ(o.header_timeout_ms, 10'000);
  EXPECT_EQ(o.body_timeout_ms, 60'000);
  EXPECT_EQ(o.send_timeout_ms, 60'000);
  EXPECT_EQ(o.min_rate, 500u);
}

TEST(OptionsTest, LoggingDefaultsToInfoWithoutTimestampsOrAccessLog) {
  auto cl = Parse({"--app", "a:b", "--bind", ":1"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl.value().options.log_level, spdlog::level::info);
  EXPECT_EQ(cl.value().options.log_timestamps, service::LogTimestamps::kNone);
  EXPECT_EQ(cl.value().options.access_log, "");
}

TEST(OptionsTest, LogLevelsWithWarnForWarning) {
  for (auto [text, level] : std::vector<std::pair<const char*, spdlog::level::level_enum>>{
           {"debug", spdlog::level::debug},
           {"info", spdlog::level::info},
           {"warning", spdlog::level::warn},
           {"warn", spdlog::level::warn},
           {"error", spdlog::level::err}}) {
    auto cl = Parse({"--app", "a:b", "--bind", ":1", "--log-level", text});
    ASSERT_TRUE(cl.ok()) << text << ": " << cl.status().message();
    EXPECT_EQ(cl.value().options.log_level, level) << text;
  }
}

TEST(OptionsTest, LogTimestampStyles) {
  for (auto [text, style] : std::vector<std::pair<const char*, service::LogTimestamps>>{
           {"none", service::LogTimestamps::kNone},
           {"iso8601", service::LogTimestamps::kIso8601},
           {"tai64n", service::LogTimestamps::kTai64n}}) {
    auto cl = Parse({"--app", "a:b", "--bind", ":1", "--log-timestamps", text});
    ASSERT_TRUE(cl.ok()) << text << ": " << cl.status().message();
    EXPECT_EQ(cl.value().options.log_timestamps, style) << text;
  }
}

TEST(OptionsTest, AccessLogIsMadeAbsoluteExceptStdout) {
  auto relative = Parse({"--app", "a:b", "--bind", ":1", "--access-log", "logs/../access.log"});
  ASSERT_TRUE(relative.ok()) << relative.status().message();
  EXPECT_EQ(relative.value().options.access_log,
            (std::filesystem::current_path() / "access.log").string());
  auto absolute = Parse({"--app", "a:b", "--bind", ":1", "--access-log", "/var/log/shoal.log"});
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(absolute.value().options.access_log, "/var/log/shoal.log");
  auto stdout_log = Parse({"--app", "a:b", "--bind", ":1", "--access-log", "-"});
  ASSERT_TRUE(stdout_log.ok());
  EXPECT_EQ(stdout_log.value().options.access_log, "-");
}

TEST(OptionsTest, DeadlinesInSecondsAndAMinimumRate) {
  auto cl = Parse({"--app", "a:b", "--bind", ":1", "--header-timeout", "2.5", "--body-timeout",
                   "30", "--send-timeout", "0.25", "--min-rate", "1k"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  EXPECT_EQ(o.header_timeout_ms, 2500);
  EXPECT_EQ(o.body_timeout_ms, 30'000);
  EXPECT_EQ(o.send_timeout_ms, 250);
  EXPECT_EQ(o.min_rate, 1024u);
  EXPECT_EQ(Parse({"--app", "a:b", "--bind", ":1", "--min-rate", "0"}).value().options.min_rate, 0u);
}

TEST(OptionsTest, HeartbeatTimeoutIsOffAtZeroAndAtLeastTwoBeats) {
  for (auto [text, ms] : std::vector<std::pair<const char*, int64_t>>{
           {"0", 0}, {"2", 2000}, {"2.5", 2500}, {"600", 600'000}}) {
    auto cl = Parse({"--app", "a:b", "--bind", ":1", "--heartbeat-timeout", text});
    ASSERT_TRUE(cl.ok()) << text << ": " << cl.status().message();
    EXPECT_EQ(cl.value().options.heartbeat_timeout_ms, ms) << text;
  }
  for (const char* text : {"1", "0.5", "-1", "86401", "nan", "soon"}) {
    auto cl = Parse({"--app", "a:b", "--bind", ":1", "--heartbeat-timeout", text});
    ASSERT_FALSE(cl.ok()) << text;
    EXPECT_NE(cl.status().message().find("--heartbeat-timeout"), std::string::npos)
        << cl.status().message();
  }
}

TEST(OptionsTest, BodySizesTakeNginxSuffixes) {
  for (auto [text, bytes] : std::vector<std::pair<const char*, uint64_t>>{
           {"1048576", 1048576}, {"512k", 512 << 10}, {"10M", 10 << 20}, {"2g", 2ull << 30}}) {
    auto cl = Parse({"--app", "a:b", "--bind", ":1", "--max-body-size", text});
    ASSERT_TRUE(cl.ok()) << text << ": " << cl.status().message();
    EXPECT_EQ(cl.value().options.max_body_size, bytes) << text;
  }
  for (const char* bad : {"", "10x", "k", "-1", "1.5m", "99999999999999999999",
                          "17179869184g"}) {
    auto cl = Parse({"--app", "a:b", "--bind", ":1", "--max-body-size", bad});
    ASSERT_FALSE(cl.ok()) << bad;
    EXPECT_EQ(cl.status().message(), std::string("invalid value '") + bad +
                                         "' for --max-body-size: expected a size in bytes, "
                                         "such as 1048576, 512k, 10m or 1g");
  }
}

TEST(OptionsTest, SpoolDirDefaultsToTmpdirAndIsMadeAbsolute) {
  setenv("TMPDIR", "/var/tmp", 1);
  auto from_env = Parse({"--app", "a:b", "--bind", ":1"});
  unsetenv("TMPDIR");
  auto fallback = Parse({"--app", "a:b", "--bind", ":1"});
  auto relative = Parse({"--app", "a:b", "--bind", ":1", "--spool-dir", "spool/", "--no-spool-chunked"});
  ASSERT_TRUE(from_env.ok() && fallback.ok() && relative.ok());
  EXPECT_EQ(from_env.value().options.spool_dir, "/var/tmp");
  EXPECT_EQ(fallback.value().options.spool_dir, "/tmp");
  EXPECT_EQ(relative.value().options.spool_dir,
            (std::filesystem::current_path() / "spool/").string());
  EXPECT_FALSE(relative.value().options.spool_chunked);
}

TEST(OptionsTest, HelpAndVersionNeedNothingElse) {
  auto help = Parse({"--help"});
  ASSERT_TRUE(help.ok());
  EXPECT_EQ(help.value().action, CommandLine::Action::kHelp);
  EXPECT_NE(help.value().help.find("--app"), std::string::npos);
  auto version = Parse({"--version"});
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version.value().action, CommandLine::Action::kVersion);
}

TEST(OptionsTest, ProtocolWords) {
  auto scgi = Parse({"--app", "a:b", "--bind", ":1", "--protocol", "scgi"});
  ASSERT_TRUE(scgi.ok());
  EXPECT_EQ(scgi.value().options.protocol, protocols::Protocol::kScgi);
  auto detect = Parse({"--app", "a:b", "--bind", ":1", "--protocol", "auto"});
  ASSERT_TRUE(detect.ok());
  EXPECT_EQ(detect.value().options.protocol, std::nullopt);
  auto size = Parse({"--app", "a:b", "--bind", ":1", "--max-header-size", "100"});
  EXPECT_FALSE(size.ok());
  auto ajp = Parse({"--app", "a:b", "--bind", ":1", "--protocol", "ajp", "--ajp-secret", "s3",
                    "--ajp-packet-size", "65536"});
  ASSERT_TRUE(ajp.ok()) << ajp.status().message();
  EXPECT_EQ(ajp.value().options.protocol, protocols::Protocol::kAjp);
  EXPECT_EQ(ajp.value().options.ajp_secret, "s3");
  EXPECT_EQ(ajp.value().options.ajp_packet_size, 65536u);
  EXPECT_FALSE(Parse({"--app", "a:b", "--bind", ":1", "--ajp-packet-size", "4096"}).ok());
}

TEST(OptionsTest, AdaptivePoolWithFlupsDefaults) {
  auto cl = Parse({"--app", "a:b", "--bind", ":1", "--max-spare", "3"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  EXPECT_TRUE(o.adaptive);
  EXPECT_EQ(o.min_spare, 1);
  EXPECT_EQ(o.max_spare, 3);
  EXPECT_EQ(o.max_children, 50);
  EXPECT_EQ(o.workers, 1);  // starts with min-spare workers
  auto both = Parse({"--app", "a:b", "--bind", ":1", "--workers", "4", "--min-spare", "2"});
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("give one or the other"), std::string::npos);
  EXPECT_FALSE(Parse({"--app", "a:b", "--bind", ":1", "--min-spare", "4", "--max-spare", "2"}).ok());
}

TEST(OptionsTest, MountsSeveralApps) {
  auto cl = Parse({"--mount", "/a/=pkg.a:app", "--mount", "/b=pkg.b", "--bind", ":8000"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const auto& mounts = cl.value().options.mounts;
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[0].prefix, "/a");
  EXPECT_EQ(mounts[0].module, "pkg.a");
  EXPECT_EQ(mounts[1].prefix, "/b");
  EXPECT_EQ(mounts[1].callable, "application");
}

TEST(OptionsTest, AppAndMountsTogether) {
  auto cl = Parse({"--app", "root:app", "--mount", "/api=api:app", "--bind", ":8000"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const auto& mounts = cl.value().options.mounts;
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[0].prefix, "");
  EXPECT_EQ(mounts[1].prefix, "/api");
}

struct BadCase {
  std::vector<const char*> args;
  const char* expected;
};

TEST(OptionsTest, BadUsageNamesTheProblem) {
  std::vector<BadCase> cases = {
      {{"--app", "a:b", "--bind", ":1", "--bogus"}, "unrecognised option '--bogus'"},
      {{"--bind", ":1"}, "'--app' is required"},
      {{"--app", "a:b", "--bind", "nonsense"}, "invalid bind address 'nonsense'"},
      {{"--app", ":b", "--bind", ":1"}, "expected MODULE:CALLABLE"},
      {{"--app", "a:b", "--bind", ":1", "--workers", "0"}, "--workers"},
      {{"--app", "a:b", "--bind", ":1", "--workers", "two"}, "--workers"},
      {{"--app", "a:b", "--bind", ":1", "--protocol", "http"}, "--protocol"},
      {{"--app", "a:b", "--bind", ":1", "--script-name", "blog"}, "must start with '/'"},
      {{"--app", "a:b", "--bind", ":1", "--socket-mode", "0999"}, "--socket-mode"},
      {{"--mount", "/a", "--bind", ":1"}, "expected /PREFIX=MODULE:CALLABLE"},
      {{"--mount", "a=x:y", "--bind", ":1"}, "must start with '/'"},
      {{"--mount", "/a=x:y", "--mount", "/a/=z:w", "--bind", ":1"}, "already mounted"},
      {{"--app", "r:app", "--mount", "/=x:y", "--bind", ":1"}, "already mounted"},
      {{"--app", "a:b", "--bind", ":1", "--header-timeout", "0"}, "for --header-timeout"},
      {{"--app", "a:b", "--bind", ":1", "--body-timeout", "-1"}, "for --body-timeout"},
      {{"--app", "a:b", "--bind", ":1", "--send-timeout", "90000"}, "for --send-timeout"},
      {{"--app", "a:b", "--bind", ":1", "--min-rate", "fast"}, "for --min-rate"},
      {{"--app", "a:b", "--bind", ":1", "--user", "no-such-user-here"}, "no such user"},
      {{"--app", "a:b", "--bind", ":1", "--group", "no-such-group-here"}, "no such group"},
      {{"--app", "a:b", "--bind", ":1", "--user", "4000321"}, "give --group too"},
      {{"--app", "a:b", "--bind", ":1", "--socket-owner", "no-such-user-here"}, "--socket-owner"},
      {{"--app", "a:b", "--bind", ":1", "--socket-owner", "www-data:no-such-group"},
       "no such group"},
      {{"--app", "a:b", "--bind", ":1", "--socket-owner", ":"}, "--socket-owner"},
      {{"--app", "a:b", "--bind", ":1", "--umask", "0800"}, "for --umask"},
      {{"--app", "a:b", "--bind", ":1", "--umask", "u=rwx"}, "for --umask"},
      {{"--app", "a:b", "--bind", ":1", "--umask", "01777"}, "for --umask"},
      {{"--app", "a:b", "--bind", ":1", "--pidfile", ""}, "for --pidfile"},
      {{"--app", "a:b", "--bind", ":1", "--log-level", "verbose"},
       "invalid value 'verbose' for --log-level: expected debug, info, warning or error"},
      {{"--app", "a:b", "--bind", ":1", "--log-level", "WARNING"}, "for --log-level"},
      {{"--app", "a:b", "--bind", ":1", "--log-level", "critical"}, "for --log-level"},
      {{"--app", "a:b", "--bind", ":1", "--log-timestamps", "tai64"},
       "invalid value 'tai64' for --log-timestamps: expected none, iso8601 or tai64n"},
      {{"--app", "a:b", "--bind", ":1", "--log-timestamps", ""}, "for --log-timestamps"},
      {{"--app", "a:b", "--bind", ":1", "--access-log", ""}, "for --access-log"},
      {{"--app", "a:b", "--bind", ":1", "--access-log", "/var/log/"}, "is a directory"},
  };
  for (const BadCase& c : cases) {
    auto cl = Parse(c.args);
    ASSERT_FALSE(cl.ok()) << c.expected;
    EXPECT_NE(cl.status().message().find(c.expected), std::string::npos)
        << cl.status().message();
  }
}

TEST(OptionsTest, BindIsOptionalForAnInheritedSocket) {
  auto none = Parse({"--app", "a:b"});
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_FALSE(none.value().options.bind.has_value());
  EXPECT_FALSE(none.value().options.inetd);
  auto fd = Parse({"--app", "a:b", "--bind", "fd:3"});
  ASSERT_TRUE(fd.ok()) << fd.status().message();
  ASSERT_TRUE(fd.value().options.bind.has_value());
  EXPECT_EQ(fd.value().options.bind->kind, BindAddress::Kind::kFd);
  EXPECT_EQ(fd.value().options.bind->fd, 3);
  auto bad = Parse({"--app", "a:b", "--bind", "fd:three"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "invalid bind address 'fd:three': expected fd:N, N a file descriptor number (0 or more)");
}

TEST(OptionsTest, StatsCannotBeAnInheritedFd) {
  auto cl = Parse({"--app", "a:b", "--bind", ":1", "--stats", "fd:4"});
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message(),
            "invalid value 'fd:4' for --stats: expected unix:PATH or HOST:PORT");
}

TEST(OptionsTest, InetdServesAlone) {
  auto cl = Parse({"--app", "a:b", "--inetd", "--protocol", "auto", "--idle-timeout", "5"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_TRUE(cl.value().options.inetd);
  EXPECT_FALSE(cl.value().options.protocol.has_value());
  for (std::vector<const char*> extra :
       {std::vector<const char*>{"--bind", ":1"}, {"--workers", "2"}, {"--min-spare", "1"},
        {"--max-spare", "3"}, {"--max-children", "9"}, {"--stats", ":2"}, {"--lazy-apps"},
        {"--daemonize"}, {"--pidfile", "/run/shoal.pid"}}) {
    std::vector<const char*> args = {"--app", "a:b", "--inetd"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto refused = Parse(args);
    ASSERT_FALSE(refused.ok()) << extra[0];
    EXPECT_EQ(refused.status().message(),
              std::string("--inetd serves the one connection on fd 0 in this process: ") +
                  extra[0] + " cannot go with it");
  }
}

TEST(OptionsTest, UserAndGroupByNameOrNumber) {
  auto cl = Parse({"--app", "a:b", "--bind", ":1", "--user", "nobody", "--group", "33"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  ASSERT_TRUE(o.user.has_value());
  EXPECT_EQ(o.user->name, "nobody");
  EXPECT_EQ(o.user->uid, 65534u);
  EXPECT_EQ(o.user->gid, 65534u);
  EXPECT_EQ(o.group, std::optional<gid_t>(33));

  auto numeric = Parse({"--app", "a:b", "--bind", ":1", "--user", "33"});
  ASSERT_TRUE(numeric.ok()) << numeric.status().message();
  EXPECT_EQ(numeric.value().options.user->name, "www-data");
  EXPECT_EQ(numeric.value().options.group, std::nullopt);

  auto group_alone = Parse({"--app", "a:b", "--bind", ":1", "--group", "www-data"});
  ASSERT_TRUE(group_alone.ok()) << group_alone.status().message();
  EXPECT_FALSE(group_alone.value().options.user.has_value());
  EXPECT_EQ(group_alone.value().options.group, std::optional<gid_t>(33));
}

TEST(OptionsTest, SocketOwnerLikeChown) {
  struct Case {
    const char* text;
    uid_t uid;
    gid_t gid;
  };
  const uid_t kSame = static_cast<uid_t>(-1);
  for (Case c : {Case{"www-data", 33, kSame}, Case{"www-data:nogroup", 33, 65534},
                 Case{":www-data", kSame, 33}, Case{"65534:33", 65534, 33}}) {
    auto cl = Parse({"--app", "a:b", "--bind", ":1", "--socket-owner", c.text});
    ASSERT_TRUE(cl.ok()) << c.text << ": " << cl.status().message();
    ASSERT_TRUE(cl.value().options.socket_owner.has_value()) << c.text;
    EXPECT_EQ(cl.value().options.socket_owner->uid, c.uid) << c.text;
    EXPECT_EQ(cl.value().options.socket_owner->gid, c.gid) << c.text;
  }
}

TEST(OptionsTest, UmaskDaemonizeAndPidfile) {
  auto cl = Parse({"--app", "a:b", "--bind", ":1", "--umask", "027", "--daemonize", "--pidfile",
                   "run/shoal.pid"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  EXPECT_EQ(o.umask, std::optional<unsigned>(027));
  EXPECT_TRUE(o.daemonize);
  EXPECT_EQ(o.pidfile, (std::filesystem::current_path() / "run/shoal.pid").string());

  auto defaults = Parse({"--app", "a:b", "--bind", ":1"});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults.value().options.umask, std::nullopt);
  EXPECT_FALSE(defaults.value().options.daemonize);
  EXPECT_EQ(defaults.value().options.pidfile, "");
  EXPECT_FALSE(defaults.value().options.user.has_value());
  EXPECT_FALSE(defaults.value().options.socket_owner.has_value());
}

TEST(OptionsTest, RelativeUnixSocketPathsAreMadeAbsoluteOnceAtStart) {
  auto cl = Parse({"--app", "a:b", "--bind", "unix:run/app.sock", "--stats", "unix:./st.sock",
                   "--chdir", "/srv"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const std::filesystem::path here = std::filesystem::current_path();
  EXPECT_EQ(cl.value().options.bind->path, (here / "run/app.sock").string());
  EXPECT_EQ(cl.value().options.stats->path, (here / "st.sock").string());

  std::string deep = "unix:" + std::string(100, 'x') + ".sock";
  auto too_long = Parse({"--app", "a:b", "--bind", deep.c_str()});
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("made absolute"), std::string::npos)
      << too_long.status().message();
}

TEST(OptionsTest, ReadyFdIsOffByDefaultAndNeverAStandardStream) {
  EXPECT_EQ(Parse({"--app", "a:b", "--bind", ":1"}).value().options.ready_fd, -1);
  auto three = Parse({"--app", "a:b", "--bind", ":1", "--ready-fd", "3"});
  ASSERT_TRUE(three.ok()) << three.status().message();
  EXPECT_EQ(three.value().options.ready_fd, 3);
  for (const char* bad : {"0", "2", "-1"}) {
    auto cl = Parse({"--app", "a:b", "--bind", ":1", "--ready-fd", bad});
    ASSERT_FALSE(cl.ok()) << bad;
    EXPECT_EQ(cl.status().message(),
              std::string("invalid value '") + bad +
                  "' for --ready-fd: expected 3 or more (0, 1 and 2 are stdin, stdout and stderr)");
  }
  EXPECT_FALSE(Parse({"--app", "a:b", "--bind", ":1", "--ready-fd", "x"}).ok());
}

TEST(OptionsTest, HelpListsTheServiceDirCommand) {
  auto help = Parse({"--help"});
  ASSERT_TRUE(help.ok());
  EXPECT_NE(help.value().help.find("shoal service-dir DIR --kind daemontools|runit|s6"),
            std::string::npos)
      << help.value().help;
  EXPECT_NE(help.value().help.find("--ready-fd N"), std::string::npos);
}

}  // namespace
}  // namespace shoal::daemon
