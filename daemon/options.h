// Options: everything the user can set, parsed from the command line, the
// SHOAL_<OPTION> environment variables and a --config file (in that order
// of precedence; daemon/config_sources.h).
//
// One table (Boost.Program_options) defines each option once; the name of a
// flag, its Options field and its log word are the same (`max_requests`).
// Parsing never exits or prints: it returns a CommandLine or a Status whose
// message is the one line main prints before exiting 2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/bind_address.h"
#include "protocols/protocol.h"
#include "service/privileges.h"
#include "service/logging.h"

namespace shoal::daemon {

// One app and where it is mounted.
struct Mount {
  std::string prefix;    // "" (the root) or "/prefix" without a trailing slash
  std::string app;       // as given: MODULE:CALLABLE, or config:/abs/FILE[#NAME] for --paste
  std::string module;    // MODULE part
  std::string callable;  // CALLABLE part ("application" when omitted, as gunicorn does)
  // CALLABLE was given as NAME(): a factory, called once with no arguments;
  // what it returns is the app.
  bool factory = false;
  // --wsgi-file: the script file (absolute) the app is taken from instead
  // of the module; "" for a module.
  std::string wsgi_file = {};
  // --paste: the PasteDeploy file (absolute) and app name ("": main) that
  // loadapp builds the app from, instead of module and callable.
  std::string paste_file;
  std::string paste_name;
};

// --reload-mechanism: how --reload-on-change reloads.
enum class ReloadMechanism {
  kProcess,  // a graceful reload of the workers, as HUP does
  kModule,   // each worker imports the app afresh before its next request
};

// The user's Python around the app and in its start (daemon/hook_options.h).
struct HookOptions {
  // --middleware MODULE:CALLABLE, in the order given: the first wraps the
  // app, each next one wraps the one before (the last given is outermost).
  std::vector<std::string> middleware;
  // --on-request, --after-request: MODULE:CALLABLE, or "" for none.
  std::string on_request;
  std::string after_request;
  // --exec code and --exec-file files (absolute), run in order (the files
  // first) in the module shoal_startup before the app is imported.
  std::vector<std::string> exec;
  std::vector<std::string> exec_files;
  bool reload_on_change = false;
  ReloadMechanism reload_mechanism = ReloadMechanism::kProcess;
  // --head-skip-body: for HEAD, stop iterating the app's body at its first
  // empty chunk after start_response.
  bool head_skip_body = false;
};

struct Options {
  // Every app served: `--app` (or `--paste`, or `--wsgi-file`) at `--script-name`, then each
  // `--mount`, in order. Never empty; prefixes are distinct.
  std::vector<Mount> mounts;
  std::string chdir;
  std::vector<std::string> pythonpath;
  // The interpreter and what the app sees (daemon/python_options.h):
  // --virtualenv and --python-home (absolute; "": none), --optimize (0-2),
  // --env (set in the process environment before the import), --wsgi-var
  // (added to every environ after the front end's params),
  // --strip-authorization (no HTTP_AUTHORIZATION in the environ).
  std::string virtualenv;
  std::string python_home;
  int optimize = 0;
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::pair<std::string, std::string>> wsgi_vars;
  bool strip_authorization = false;
  HookOptions hooks = {};
  // The protocol every connection speaks; nullopt (--protocol auto): told
  // from each connection's first bytes.
  std::optional<protocols::Protocol> protocol = protocols::Protocol::kFastCgi;
  size_t max_header_size = 64 * 1024;  // bound on a request's header block
  uint64_t max_body_size = 0;          // larger request bodies get 413; 0: no limit
  // Where a body without a length is spooled (absolute; $TMPDIR or /tmp).
  std::string spool_dir = "/tmp";
  bool spool_chunked = true;           // read a body without a length whole, then call the app
  size_t ajp_packet_size = 8192;       // Apache's ProxyIOBufferSize
  std::string ajp_secret;              // Apache's secret=; empty: none
  bool ajp_allow_insecure = false;     // AJP on a public address without a secret
  // --bind; nullopt: a listening socket inherited on fd 0 or from systemd
  // (service/inherited_socket.h), else an error when serving starts.
  std::optional<BindAddress> bind;
  // --inetd: fd 0 is one connection (inetd/xinetd `nowait`); serve it in
  // this process and exit. Never with bind, stats, a pool or lazy_apps.
  bool inetd = false;
  int workers = 2;  // the fixed pool's size, or where an adaptive one starts
  // An adaptive pool (flup's minSpare/maxSpare/maxChildren) instead of a
  // fixed one; set by --min-spare, --max-spare or --max-children.
  bool adaptive = false;
  int min_spare = 1;
  int max_spare = 5;
  int max_children = 50;
  unsigned socket_mode = 0660;  // permission bits of a unix socket
  double graceful_timeout = 30;  // seconds in-flight requests get on TERM
  // Idle persistent connections (FastCGI keep-conn, AJP): closed after this
  // long, and at most this many kept (the oldest goes first).
  int64_t idle_timeout_ms = 300'000;
  size_t max_idle_connections = 1000;
  // Deadlines on a connection's phases (protocols::ConnectionConfig).
  int64_t header_timeout_ms = 10'000;
  int64_t body_timeout_ms = 60'000;
  int64_t send_timeout_ms = 60'000;
  uint64_t min_rate = 500;  // bytes a second a client must move; 0: no minimum
  int64_t timeout_ms = 0;          // --timeout per request; 0: none
  int64_t heartbeat_timeout_ms = 10'000;  // an idle worker silent this long is killed; 0: never
  uint64_t max_requests = 0;        // recycle a worker after this many; 0: never
  uint64_t max_requests_jitter = 0; // plus up to this many more, per worker
  uint64_t reload_on_rss_mb = 0;    // recycle a worker above this resident size; 0: never
  bool debug = false;           // show tracebacks in 500 responses
  bool lazy_apps = false;       // each worker a fresh exec that imports the app itself
  bool gc_freeze = true;        // gc.freeze() after the preload import
  std::optional<BindAddress> stats;  // where the stats are served, if anywhere
  // Privileges and process hygiene. A unix path in `bind` and `stats`, and
  // `pidfile`, are absolute: resolved against the starting directory.
  std::optional<service::UserAccount> user;  // --user: dropped to after binding
  std::optional<gid_t> group;                // --group (alone: only the group changes)
  // --socket-owner as given; nullopt: the --user/--group, else unchanged.
  std::optional<service::FileOwner> socket_owner;
  std::optional<unsigned> umask;  // --umask, set first thing; nullopt: inherited
  bool daemonize = false;         // --daemonize: detach, then serve
  std::string pidfile;            // --pidfile; "": none
  // --ready-fd: s6's notification fd, written "\n" and closed once serving;
  // -1: none.
  int ready_fd = -1;
  spdlog::level::level_enum log_level = spdlog::level::info;         // --log-level
  service::LogTimestamps log_timestamps = service::LogTimestamps::kNone;  // --log-timestamps
  // --access-log: an absolute path, "-" (stdout), or "" (none).
  std::string access_log;
  // --stdout-log, --stderr-log (runfcgi's outlog=, errlog=): absolute paths
  // stdout and stderr are reopened on, appending, at start; "": unchanged.
  std::string stdout_log;
  std::string stderr_log;
};

struct CommandLine {
  enum class Action { kServe, kHelp, kVersion, kCheckConfig };
  Action action = Action::kServe;
  Options options;
  std::string help;  // the --help text, for kHelp
  // --check-config: every option's value and where it came from
  // (daemon/config_sources.h), for kCheckConfig.
  std::string effective;
  // Lines to log as warnings before serving (a --paste file's [server:main]
  // that shoal ignores); --check-config's text carries them too.
  std::vector<std::string> warnings;
};

// One row of the option table, for the man page (daemon/man_page.h).
struct OptionDoc {
  std::string long_name;    // "max-requests"
  char short_name = '\0';   // 'h' for --help; '\0' when there is none
  std::string value_name;   // "N"; empty for a switch
  std::string default_value;  // as --help shows it; empty when none
  std::string description;
};

// The usage lines --help begins with (one string, lines separated by '\n').
std::string UsageText();

// Every option --help lists, in its order.
std::vector<OptionDoc> DescribeOptions();

// Parses argv, then the environment and the --config file. Returns the
// command line, or an error whose message names the bad option or value
// (e.g. "unrecognised option '--bogus'"), and for one from the environment
// or the file, the variable or the file and line.
Result<CommandLine> ParseCommandLine(int argc, const char* const argv[]);

}  // namespace shoal::daemon
