#include "daemon/argument_words.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/options.h"
#include "daemon/parse_for_test.h"

namespace shoal::daemon {
namespace {

using Args = std::vector<std::string>;

// A small stand-in for the option table: --bind, --app and --pidfile take a
// value, --daemonize does not.
OptionShape Lookup(std::string_view name) {
  for (const char* with_value : {"bind", "app", "pidfile", "max-children", "mount", "protocol"}) {
    if (name == with_value) return {with_value, true};
  }
  if (name == "daemonize" || name == "debug") return {std::string(name), false};
  return {};
}

Result<Args> Translate(const Args& args) { return TranslateWords(args, Lookup); }

void ExpectError(const Args& args, const std::string& message) {
  Result<Args> out = Translate(args);
  ASSERT_FALSE(out.ok()) << "accepted: " << args.back();
  EXPECT_EQ(out.status().message(), message);
}

TEST(ArgumentWordsTest, OptionsAndTheirValuesPassUntouched) {
  Result<Args> out = Translate({"--app", "a:b", "--mount", "/x=m:app", "--bind=unix:s", "-h"});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out.value(), (Args{"--app", "a:b", "--mount", "/x=m:app", "--bind=unix:s", "-h"}));
}

TEST(ArgumentWordsTest, EachRunfcgiWordBecomesItsOption) {
  Result<Args> out = Translate({"protocol=SCGI", "host=127.0.0.1", "port=8040", "method=prefork",
                                "minspare=2", "maxspare=5", "maxchildren=10", "maxrequests=500",
                                "daemonize=true", "pidfile=/run/x.pid", "workdir=/srv",
                                "umask=002", "outlog=out.log", "errlog=err.log", "debug=yes"});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out.value(),
            (Args{"--protocol=scgi", "--bind=127.0.0.1:8040", "--min-spare=2", "--max-spare=5",
                  "--max-children=10", "--max-requests=500", "--daemonize",
                  "--pidfile=/run/x.pid", "--chdir=/srv", "--umask=002",
                  "--stdout-log=out.log", "--stderr-log=err.log", "--debug"}));
}

TEST(ArgumentWordsTest, FlupKeywordsInAnyCase) {
  Result<Args> out = Translate({"minSpare=1", "maxSpare=3", "maxChildren=4", "maxRequests=9",
                                "scriptName=/blog", "bindAddress=/tmp/app.sock", "UMASK=022",
                                "multiplexed=False", "Debug=False"});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out.value(), (Args{"--min-spare=1", "--max-spare=3", "--max-children=4",
                               "--max-requests=9", "--script-name=/blog",
                               "--bind=unix:/tmp/app.sock", "--umask=022"}));
}

TEST(ArgumentWordsTest, WhereToListen) {
  EXPECT_EQ(Translate({"socket=/tmp/a.sock"}).value(), (Args{"--bind=unix:/tmp/a.sock"}));
  EXPECT_EQ(Translate({"port=9000"}).value(), (Args{"--bind=127.0.0.1:9000"}));
  EXPECT_EQ(Translate({"host=::1", "port=9000"}).value(), (Args{"--bind=[::1]:9000"}));
  EXPECT_EQ(Translate({"bindAddress=localhost:9000"}).value(), (Args{"--bind=localhost:9000"}));
  EXPECT_EQ(Translate({"bindaddress=app.sock"}).value(), (Args{"--bind=unix:app.sock"}));
  ExpectError({"host=127.0.0.1"},
              "'host=127.0.0.1' needs port= as well (runfcgi listens on host= and port= "
              "together)");
  ExpectError({"socket=/a", "host=h", "port=1"},
              "'host=h' and 'port=1' and 'socket=/a' both say where to listen: give "
              "socket=PATH, or host= and port=, or bindAddress=");
  ExpectError({"port=http", "host=h"}, "invalid value 'http' for port=: expected a whole number");
}

TEST(ArgumentWordsTest, FalseSwitchesAddNothing) {
  EXPECT_EQ(Translate({"daemonize=false", "debug=0", "daemonize=no"}).ok(), false);
  EXPECT_EQ(Translate({"daemonize=FALSE", "debug=no"}).value(), Args{});
}

TEST(ArgumentWordsTest, RefusedWords) {
  ExpectError({"method=threaded"},
              "'method=threaded' is refused: shoal has no threaded mode (each worker is a "
              "process serving one request at a time); use method=prefork, or leave method= out");
  ExpectError({"method=thread"},
              "'method=thread' is refused: shoal has no threaded mode (each worker is a "
              "process serving one request at a time); use method=prefork, or leave method= out");
  ExpectError({"method=spawn"}, "invalid value 'spawn' for method=: expected prefork (shoal's "
                                "only method)");
  ExpectError({"multiplexed=True"},
              "'multiplexed=True' is refused: shoal serves one FastCGI request per connection "
              "at a time (flup ran a thread per multiplexed request; nginx never multiplexes); "
              "leave it out");
  ExpectError({"maxThreads=10"}, "'maxThreads=10' is refused: shoal has no threaded mode; give "
                                 "maxchildren= for the number of worker processes");
}

TEST(ArgumentWordsTest, BadValues) {
  ExpectError({"debug=maybe"}, "invalid value 'maybe' for debug=: expected true or false "
                               "(yes/no, 1/0)");
  ExpectError({"daemonize="}, "invalid value '' for daemonize=: expected true or false "
                              "(yes/no, 1/0)");
  ExpectError({"maxchildren=ten"}, "invalid value 'ten' for maxchildren=: expected a whole "
                                   "number");
  ExpectError({"minSpare=-1"}, "invalid value '-1' for minspare=: expected a whole number");
  ExpectError({"protocol=http"}, "invalid value 'http' for protocol=: expected fcgi, scgi or "
                                 "ajp");
}

TEST(ArgumentWordsTest, UnknownWordsAndPositionalArguments) {
  Result<Args> out = Translate({"--app", "a:b", "loggingLevel=10"});
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(out.status().message().starts_with(
      "unknown word 'loggingLevel=10' (shoal knows runfcgi's protocol, host, port,"))
      << out.status().message();
  ExpectError({"--app", "a:b", "runfcgi"},
              "unexpected argument 'runfcgi': options begin with --, and runfcgi's and flup's "
              "settings are words KEY=VALUE");
  ExpectError({"=x"}, "unexpected argument '=x': options begin with --, and runfcgi's and "
                      "flup's settings are words KEY=VALUE");
  ExpectError({"--", "app.py"}, "unexpected argument 'app.py' after '--'");
}

TEST(ArgumentWordsTest, AWordTwiceOrAWordAndItsOption) {
  ExpectError({"maxChildren=3", "maxchildren=4"},
              "'maxChildren=3' and 'maxchildren=4' both set maxchildren=: give it once");
  ExpectError({"--pidfile", "/a", "pidfile=/b"},
              "'pidfile=/b' and --pidfile both set --pidfile: give one");
  ExpectError({"port=9000", "--bind=unix:x"}, "'port=9000' and --bind both set --bind: give one");
  ExpectError({"daemonize=false", "--daemonize"},
              "'daemonize=false' and --daemonize both set --daemonize: give one");
}

// Through the real option table.
TEST(ArgumentWordsTest, ParseCommandLineTakesARunfcgiLine) {
  auto cl = Parse({"--app", "hello:app", "method=prefork", "protocol=scgi", "host=127.0.0.1",
                   "port=8040", "maxchildren=10", "maxspare=5", "minspare=2",
                   "maxrequests=500", "daemonize=false", "scriptName=/blog"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  const Options& o = cl.value().options;
  EXPECT_EQ(o.protocol, protocols::Protocol::kScgi);
  ASSERT_TRUE(o.bind.has_value());
  EXPECT_EQ(o.bind->ToString(), "127.0.0.1:8040");
  EXPECT_TRUE(o.adaptive);
  EXPECT_EQ(o.min_spare, 2);
  EXPECT_EQ(o.max_spare, 5);
  EXPECT_EQ(o.max_children, 10);
  EXPECT_EQ(o.max_requests, 500u);
  EXPECT_FALSE(o.daemonize);
  EXPECT_EQ(o.mounts[0].prefix, "/blog");
}

TEST(ArgumentWordsTest, ParseCommandLineRefusesPositionalsAndConflicts) {
  auto positional = Parse({"--app", "hello:app", "serve"});
  ASSERT_FALSE(positional.ok());
  EXPECT_TRUE(positional.status().message().starts_with("unexpected argument 'serve'"));
  // An abbreviated option still counts as the option.
  auto both = Parse({"--app", "hello:app", "--max-child", "4", "maxchildren=5"});
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.status().message(),
            "'maxchildren=5' and --max-child both set --max-children: give one");
  // A value after an option is the option's, even with '=' in it.
  auto mount = Parse({"--app", "hello:app", "--mount", "/x=other:app"});
  ASSERT_TRUE(mount.ok()) << mount.status().message();
  EXPECT_EQ(mount.value().options.mounts.size(), 2u);
}

TEST(ArgumentWordsTest, OutlogAndErrlogAreMadeAbsolute) {
  auto cl = Parse({"--app", "hello:app", "outlog=out.log", "errlog=/var/log/e.log"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_TRUE(cl.value().options.stdout_log.starts_with("/"));
  EXPECT_TRUE(cl.value().options.stdout_log.ends_with("/out.log"));
  EXPECT_EQ(cl.value().options.stderr_log, "/var/log/e.log");
  auto empty = Parse({"--app", "hello:app", "errlog="});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "invalid value '' for errlog=: expected a value");
  auto root = Parse({"--app", "hello:app", "scriptName="});
  ASSERT_TRUE(root.ok()) << root.status().message();
  EXPECT_EQ(root.value().options.mounts[0].prefix, "");
  auto directory = Parse({"--app", "hello:app", "outlog=logs/"});
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.status().message(),
            "invalid value 'logs/' for --stdout-log: expected a file name");
}

TEST(ArgumentWordsTest, AppGivenAsAFileSuggestsChdir) {
  for (const char* app : {"path/to/file.py", "file.py", "file.py:app"}) {
    auto cl = Parse({"--app", app});
    ASSERT_FALSE(cl.ok()) << app;
    EXPECT_EQ(cl.status().message(),
              std::string("invalid value '") + app +
                  "' for --app: expected a module name, not a file: give --chdir DIR --app "
                  "MODULE (for path/to/file.py: --chdir path/to --app file), or --wsgi-file FILE");
  }
}

TEST(ArgumentWordsTest, BindWithASchemeNamesTheForms) {
  auto cl = Parse({"--app", "hello:app", "--bind", "tcp://127.0.0.1:9000"});
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message(),
            "invalid bind address 'tcp://127.0.0.1:9000': expected unix:PATH, HOST:PORT, "
            "[IPv6]:PORT, :PORT or fd:N, without a scheme such as tcp://");
}

}  // namespace
}  // namespace shoal::daemon
