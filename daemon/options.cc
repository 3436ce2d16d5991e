#include "daemon/options.h"

#include <sys/un.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <boost/program_options.hpp>

#include "daemon/config_sources.h"
#include "daemon/argument_words.h"
#include "daemon/hook_options.h"
#include "daemon/python_options.h"
#include "daemon/paste_server.h"

namespace shoal::daemon {
namespace po = boost::program_options;
namespace {

constexpr const char* kUsage =
    "shoal: serves a Python WSGI application over FastCGI, SCGI or AJP13 with preforked "
    "workers\n\n"
    "Usage: shoal --app MODULE:CALLABLE --bind unix:PATH|HOST:PORT|fd:N [options]\n"
    "       shoal --paste FILE.ini[#NAME] [options]\n"
    "       shoal --app MODULE:CALLABLE --inetd [options]\n"
    "       shoal status --stats ADDRESS [--json | --metrics]\n"
    "       shoal service-dir DIR --kind daemontools|runit|s6 [--user U] [--log-user U] "
    "[--force] -- OPTIONS\n";

po::options_description MakeDescription() {
  po::options_description desc(std::string(kUsage) + "\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "print this help and exit")
    ("version,V", "print the version and exit")
    ("config", po::value<std::string>()->value_name("FILE"),
        "read options from FILE, an INI file whose keys are these options' names (workers = 4), "
        "at its top or in a [shoal] section; options given here and SHOAL_<OPTION> environment "
        "variables (SHOAL_WORKERS=4) take precedence over it (default: $SHOAL_CONFIG)")
    ("check-config", po::bool_switch(),
        "print every option's value and where it came from (command line, environment, file "
        "and line, default), then exit: 0, or 2 naming a bad value; binds and imports nothing")
    ("app", po::value<std::string>()->value_name("MODULE:CALLABLE"),
        "the WSGI application, e.g. myproject.wsgi:application; MODULE:FACTORY() calls "
        "FACTORY once, with no arguments, and serves what it returns")
    ("paste", po::value<std::string>()->value_name("FILE[#NAME]"),
        "instead of --app: the app PasteDeploy's loadapp builds from FILE's [app:NAME] "
        "(or [pipeline:], [composite:]; NAME defaults to main); when FILE's [server:main] "
        "is one of flup's (use = egg:Flup#scgi_fork...), its protocol and settings (host, "
        "port, socket, maxChildren, scriptName...) are taken, under every option given here")
    ("mount", po::value<std::vector<std::string>>()->value_name("/PREFIX=MODULE:CALLABLE")
        ->composing(),
        "also serve an app under /PREFIX (repeatable; the longest matching prefix wins)")
    ("chdir", po::value<std::string>()->value_name("DIR"),
        "change to DIR before importing the app (DIR is put first on sys.path)")
    ("pythonpath", po::value<std::vector<std::string>>()->value_name("DIR")->composing(),
        "add DIR to sys.path (repeatable)")
    ("wsgi-file", po::value<std::string>()->value_name("PATH"),
        "the WSGI application from a script file, as mod_wsgi's WSGIScriptAlias: PATH (any "
        "suffix, e.g. .wsgi) runs as a module of its own, with its directory on sys.path, and "
        "--callable is taken from it; instead of --app, served at --script-name")
    ("callable", po::value<std::string>()->value_name("NAME")->default_value("application"),
        "the name of --wsgi-file's app in it; NAME() is a factory, called once")
    ("virtualenv", po::value<std::string>()->value_name("DIR"),
        "run the app in the venv DIR (made by python3 -m venv with this Python): its "
        "site-packages come first, as DIR/bin/python would have them (uWSGI's --venv and "
        "--home are accepted for it on the command line)")
    ("python-home", po::value<std::string>()->value_name("DIR"),
        "the prefix of the Python installation whose standard library to use (PYTHONHOME, "
        "mod_wsgi's python-home); for a venv, use --virtualenv")
    ("optimize", po::value<int>()->value_name("LEVEL")->default_value(0),
        "Python's optimization level: 1 as python -O (assert statements and __debug__ "
        "blocks are skipped), 2 as python -OO (docstrings dropped too)")
    ("env", po::value<std::vector<std::string>>()->value_name("KEY=VALUE")->composing(),
        "set KEY in the process environment before the app is imported, in the master and "
        "every worker (os.environ; repeatable)")
    ("wsgi-var", po::value<std::vector<std::string>>()->value_name("KEY=VALUE")->composing(),
        "add KEY to every request's WSGI environ, after (and over) the front end's params, "
        "e.g. wsgi.url_scheme=https (repeatable; mod_wsgi's wsgi_var)")
    ("strip-authorization", po::bool_switch(),
        "remove HTTP_AUTHORIZATION from the environ; by default the Authorization header the "
        "front end passes on reaches the app")
    ("middleware", po::value<std::vector<std::string>>()->value_name("MODULE:CALLABLE")
        ->composing(),
        "wrap every app in CALLABLE(app) (repeatable, applied in order: the first given wraps "
        "the app, the last given is outermost and sees each request first)")
    ("on-request", po::value<std::string>()->value_name("MODULE:CALLABLE"),
        "call CALLABLE(environ) before the app for every request: None lets the app run; a "
        "WSGI application it returns answers the request instead (e.g. a 403 for an access "
        "check); an exception gives a 500")
    ("after-request", po::value<std::string>()->value_name("MODULE:CALLABLE"),
        "call CALLABLE(environ, status, bytes_sent, seconds) once each response is finished "
        "(status as '200 OK', '' if none was sent); an exception is logged")
    ("exec", po::value<std::vector<std::string>>()->value_name("CODE")->composing(),
        "run Python CODE before the app is imported, in the module shoal_startup, which the "
        "app can import from (repeatable; after every --exec-file)")
    ("exec-file", po::value<std::vector<std::string>>()->value_name("PATH")->composing(),
        "run the Python file PATH before the app is imported, in the module shoal_startup "
        "(repeatable, in order, before any --exec)")
    ("reload-on-change", po::bool_switch(),
        "for development: watch the app's source files (inotify) and reload when one changes, "
        "as --reload-mechanism says")
    ("reload-mechanism", po::value<std::string>()->value_name("HOW")->default_value("process"),
        "how --reload-on-change reloads: process (the workers replaced as on HUP) or module "
        "(each worker imports the app afresh before its next request, and keeps the old one "
        "if the new one fails to import)")
    ("head-skip-body", po::bool_switch(),
        "for a HEAD request, stop iterating the app's body at its first empty chunk after "
        "start_response and close it (nginx mod_wsgi's wsgi_optimize_send_headers); the body "
        "of a HEAD response is never sent either way")
    ("protocol", po::value<std::string>()->value_name("NAME")->default_value("fastcgi"),
        "wire protocol: fastcgi, scgi, ajp, or auto (each connection's first bytes decide); "
        "flup's fcgi, scgi and ajp are accepted")
    ("max-header-size", po::value<size_t>()->value_name("BYTES")->default_value(64 * 1024),
        "largest request header block accepted (an SCGI netstring, FastCGI params)")
    ("max-body-size", po::value<std::string>()->value_name("BYTES")->default_value("0"),
        "refuse a request body larger than this with 413 (suffix k, m or g as in nginx; "
        "0: no limit)")
    ("spool-dir", po::value<std::string>()->value_name("DIR"),
        "where a request body that arrives without a length is spooled past 1 MiB, as an "
        "unlinked temporary file (default: $TMPDIR, else /tmp)")
    ("no-spool-chunked", po::bool_switch(),
        "pass a body without a length (chunked) to the app as it streams in, without "
        "CONTENT_LENGTH, instead of reading it whole first (for apps that honour "
        "wsgi.input_terminated)")
    ("ajp-packet-size", po::value<size_t>()->value_name("BYTES")->default_value(8192),
        "AJP packet size, 8192 to 65536; must match Apache's ProxyIOBufferSize")
    ("ajp-secret", po::value<std::string>()->value_name("SECRET"),
        "refuse AJP requests without this secret (Apache's secret= on the worker)")
    ("ajp-allow-insecure", po::bool_switch(),
        "allow AJP on a non-loopback address without --ajp-secret (Ghostcat: don't)")
    ("bind", po::value<std::string>()->value_name("ADDRESS"),
        "listen on unix:PATH, HOST:PORT, [IPv6]:PORT or :PORT (127.0.0.1), or serve on fd:N, "
        "a listening socket shoal was started with; without --bind, a listening socket on "
        "fd 0 (spawn-fcgi, mod_fcgid) or from systemd socket activation is used")
    ("inetd", po::bool_switch(),
        "fd 0 is one connection, as inetd and xinetd (nowait) pass it: import the app, serve "
        "that connection's requests in this process, then exit (no workers)")
    ("workers", po::value<int>()->value_name("N"), "a fixed pool of N workers (default 2)")
    ("min-spare", po::value<int>()->value_name("N"),
        "adaptive pool: start workers while fewer than N are idle (flup's minSpare, default 1)")
    ("max-spare", po::value<int>()->value_name("N"),
        "adaptive pool: retire workers while more than N are idle (flup's maxSpare, default 5)")
    ("max-children", po::value<int>()->value_name("N"),
        "adaptive pool: never more than N workers (flup's maxChildren, default 50)")
    ("script-name", po::value<std::string>()->value_name("/PREFIX")->default_value(""),
        "mount the app under /PREFIX (SCRIPT_NAME)")
    ("socket-mode", po::value<std::string>()->value_name("MODE")->default_value("0660"),
        "permission bits of a unix socket, in octal")
    ("graceful-timeout", po::value<double>()->value_name("SECONDS")->default_value(30),
        "on TERM, how long in-flight requests may run before workers are killed; on HUP, "
        "how long the new image may take to import the app, if above 60 s")
    ("idle-timeout", po::value<double>()->value_name("SECONDS")->default_value(300),
        "close persistent connections idle this long (keep it above the front end's own "
        "keep-alive timeout: nginx's is 60 s)")
    ("max-idle-connections", po::value<size_t>()->value_name("N")->default_value(1000),
        "keep at most N idle persistent connections; beyond, the oldest is closed")
    ("header-timeout", po::value<double>()->value_name("SECONDS")->default_value(10),
        "a request's whole head (and any control records before it) must arrive within this, "
        "from its first read; else the connection is closed")
    ("body-timeout", po::value<double>()->value_name("SECONDS")->default_value(60),
        "the longest wait for the next bytes of a request body; then the request is dropped")
    ("send-timeout", po::value<double>()->value_name("SECONDS")->default_value(60),
        "the longest wait for the front end to take more of a response; then it is dropped")
    ("min-rate", po::value<std::string>()->value_name("BYTES")->default_value("500"),
        "a client must move at least BYTES a second of request body and of response, on "
        "average over the time spent waiting on it (as Apache's mod_reqtimeout MinRate); "
        "0: no minimum")
    ("timeout", po::value<double>()->value_name("SECONDS")->default_value(0),
        "a request running longer has its Python traceback logged and its worker killed "
        "(0: no limit)")
    ("heartbeat-timeout", po::value<double>()->value_name("SECONDS")->default_value(10),
        "an idle worker whose scoreboard heartbeat is older (stopped, or stuck in C code) is "
        "killed and replaced; busy workers are under --timeout (0: off)")
    ("max-requests", po::value<uint64_t>()->value_name("N")->default_value(0),
        "replace a worker after it has served N requests (0: never)")
    ("max-requests-jitter", po::value<uint64_t>()->value_name("N")->default_value(0),
        "add up to N to --max-requests per worker, so workers are not all replaced together")
    ("reload-on-rss", po::value<uint64_t>()->value_name("MB")->default_value(0),
        "replace a worker whose resident memory is above MB after a request (0: never)")
    ("stats", po::value<std::string>()->value_name("ADDRESS"),
        "serve the scoreboard on unix:PATH or HOST:PORT: GET / (JSON), /metrics (Prometheus), "
        "/table; `shoal status --stats ADDRESS` prints it")
    ("ready-fd", po::value<int>()->value_name("N"),
        "once the first worker serves, write a newline to fd N and close it (s6's "
        "notification-fd); with $NOTIFY_SOCKET set, systemd is told READY=1 as well")
    ("lazy-apps", po::bool_switch(),
        "each worker is a fresh exec of shoal and imports the app itself (for apps that start "
        "threads or connections at import); the default imports once, before forking")
    ("no-gc-freeze", po::bool_switch(),
        "do not call gc.freeze() after the preload import (for comparing memory; the workers' "
        "collections then touch, and un-share, the pages of every object the import made)")
    ("user", po::value<std::string>()->value_name("USER"),
        "after binding, before importing the app, become USER (name or uid): the app and the "
        "workers never run as root; the unix socket is chowned to USER first")
    ("group", po::value<std::string>()->value_name("GROUP"),
        "become GROUP (name or gid); default: the --user's primary group. Alone, only the group "
        "changes")
    ("socket-owner", po::value<std::string>()->value_name("USER[:GROUP]"),
        "owner of the unix sockets (--bind, --stats), e.g. www-data so that nginx's workers may "
        "connect (default: the --user and --group)")
    ("umask", po::value<std::string>()->value_name("MODE"),
        "set the umask (octal) at start, before binding (default: inherited)")
    ("daemonize", po::bool_switch(),
        "detach and run in the background; the command returns once the socket is bound and the "
        "app imported (exit 0), or with the error (exit 1). Not under a supervisor")
    ("pidfile", po::value<std::string>()->value_name("FILE"),
        "write the master's pid to FILE once the socket is bound; removed on exit; refuse to "
        "start if it names a running shoal")
    ("log-level", po::value<std::string>()->value_name("LEVEL")->default_value("info"),
        "log lines at LEVEL and above: debug, info, warning (or warn) or error")
    ("log-timestamps", po::value<std::string>()->value_name("STYLE")->default_value("none"),
        "begin each log line with the time: none (multilog t, svlogd -tt and s6-log t add "
        "their own), iso8601 (UTC, microseconds) or tai64n (multilog's form, for tai64nlocal)")
    ("access-log", po::value<std::string>()->value_name("FILE"),
        "append a line per request in Apache's combined format to FILE (- for stdout); "
        "USR1 reopens it")
    ("debug", po::bool_switch(), "show Python tracebacks in 500 responses (never in production)")
    ("stdout-log", po::value<std::string>()->value_name("FILE"),
        "at start, reopen standard output on FILE, appending (runfcgi's outlog=)")
    ("stderr-log", po::value<std::string>()->value_name("FILE"),
        "at start, reopen standard error, where the log goes, on FILE, appending (runfcgi's "
        "errlog=)");
  // clang-format on
  return desc;
}

Status Invalid(const std::string& option, const std::string& value, const std::string& why) {
  return Status::Error("invalid value '" + value + "' for --" + option + ": " + why);
}

// "/blog/" → "/blog", "/" → ""; an error unless empty or starting with '/'.
Result<std::string> MountPrefix(const std::string& option, std::string prefix) {
  if (!prefix.empty() && prefix[0] != '/') return Invalid(option, prefix, "must start with '/'");
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return prefix;
}

// `prefix_option` and `app_option` name where each part came from, for errors.
Result<Mount> MakeMount(const std::string& prefix_option, const std::string& prefix,
                        const std::string& app_option, const std::string& app) {
  Result<std::string> normal = MountPrefix(prefix_option, prefix);
  if (!normal.ok()) return normal.status();
  Mount mount;
  mount.prefix = normal.value();
  mount.app = app;
  size_t colon = app.find(':');
  mount.module = app.substr(0, colon);
  mount.callable = colon == std::string::npos ? "application" : app.substr(colon + 1);
  mount.factory = mount.callable.ends_with("()");
  if (mount.factory) mount.callable.resize(mount.callable.size() - 2);
  if (mount.module.empty() || mount.callable.empty()) {
    return Invalid(app_option, app, "expected MODULE:CALLABLE or MODULE:FACTORY()");
  }
  if (mount.module.find('/') != std::string::npos || mount.module.ends_with(".py")) {
    return Invalid(app_option, app,
                   "expected a module name, not a file: give --chdir DIR --app MODULE (for "
                   "path/to/file.py: --chdir path/to --app file), or --wsgi-file FILE");
  }
  return mount;
}

// --wsgi-file PATH with --callable NAME (or NAME()), at --script-name.
Result<Mount> WsgiFileMount(const po::variables_map& vm) {
  for (const char* other : {"app", "paste"}) {
    if (vm.count(other)) {
      return Status::Error(std::string("--") + other +
                           " and --wsgi-file both give the root app: give one (--mount adds "
                           "others)");
    }
  }
  const std::string& file = vm["wsgi-file"].as<std::string>();
  if (file.empty() || file.ends_with('/')) return Invalid("wsgi-file", file, "expected a file");
  Result<std::string> prefix = MountPrefix("script-name", vm["script-name"].as<std::string>());
  if (!prefix.ok()) return prefix.status();
  Mount mount;
  mount.prefix = prefix.value();
  mount.wsgi_file = std::filesystem::absolute(file).lexically_normal().string();
  mount.callable = vm["callable"].as<std::string>();
  mount.app = mount.wsgi_file + ":" + mount.callable;
  mount.factory = mount.callable.ends_with("()");
  if (mount.factory) mount.callable.resize(mount.callable.size() - 2);
  if (mount.callable.empty()) {
    return Invalid("callable", vm["callable"].as<std::string>(), "expected NAME or NAME()");
  }
  return mount;
}

Status FillMounts(const po::variables_map& vm, Options& o) {
  if (vm.count("wsgi-file")) {
    Result<Mount> mount = WsgiFileMount(vm);
    if (!mount.ok()) return mount.status();
    o.mounts.push_back(mount.value());
  } else if (!vm["callable"].defaulted()) {
    return Status::Error("--callable names the app in --wsgi-file: give --wsgi-file too (or "
                         "--app MODULE:CALLABLE)");
  }
  if (vm.count("paste")) {
    if (vm.count("app")) {
      return Status::Error("--paste and --app both give the root app: give one (--mount adds "
                           "others, or a [composite:] section in the paste file)");
    }
    Result<PasteSpec> spec = ParsePasteSpec(vm["paste"].as<std::string>());
    if (!spec.ok()) return spec.status();
    Result<std::string> prefix = MountPrefix("script-name", vm["script-name"].as<std::string>());
    if (!prefix.ok()) return prefix.status();
    o.mounts.push_back({.prefix = prefix.value(),
                        .app = "config:" + spec.value().file +
                               (spec.value().name.empty() ? "" : "#" + spec.value().name),
                        .module = "",
                        .callable = "",
                        .paste_file = spec.value().file,
                        .paste_name = spec.value().name});
  }
  if (vm.count("app")) {
    Result<Mount> mount = MakeMount("script-name", vm["script-name"].as<std::string>(), "app",
                                    vm["app"].as<std::string>());
    if (!mount.ok()) return mount.status();
    o.mounts.push_back(mount.value());
  }
  if (vm.count("mount")) {
    for (const std::string& spec : vm["mount"].as<std::vector<std::string>>()) {
      size_t equals = spec.find('=');
      if (equals == std::string::npos) return Invalid("mount", spec, "expected /PREFIX=MODULE:CALLABLE");
      Result<Mount> mount =
          MakeMount("mount", spec.substr(0, equals), "mount", spec.substr(equals + 1));
      if (!mount.ok()) return mount.status();
      for (const Mount& other : o.mounts) {
        if (other.prefix == mount.value().prefix) {
          return Invalid("mount", spec, "'" + (other.prefix.empty() ? "/" : other.prefix) +
                                            "' is already mounted (" + other.app + ")");
        }
      }
      o.mounts.push_back(mount.value());
    }
  }
  if (o.mounts.empty()) {
    return Status::Error("the option '--app' is required but missing (or give --paste FILE.ini "
                         "or --wsgi-file PATH)");
  }
  return Status::Ok();
}

// "1048576", "512k", "10m", "1g" (nginx's size suffixes, any case).
Result<uint64_t> ParseSize(const std::string& option, const std::string& text) {
  uint64_t number = 0;
  const char* last = text.data() + text.size();
  auto [end, err] = std::from_chars(text.data(), last, number);
  unsigned shift = 0;
  if (end != last && end + 1 == last) {
    switch (*end | 0x20) {
      case 'k': shift = 10; break;
      case 'm': shift = 20; break;
      case 'g': shift = 30; break;
      default: shift = 64;
    }
    ++end;
  }
  if (text.empty() || err != std::errc() || end != last || shift == 64 ||
      number > (UINT64_MAX >> shift)) {
    return Invalid(option, text, "expected a size in bytes, such as 1048576, 512k, 10m or 1g");
  }
  return number << shift;
}

// A unix socket path made absolute against the starting directory, once,
// so that --chdir changes nothing about where it is or what stop removes.
Status MakeAbsolute(const std::string& option, BindAddress& address) {
  if (address.kind != BindAddress::Kind::kUnix || address.path.starts_with('/')) {
    return Status::Ok();
  }
  std::string absolute = std::filesystem::absolute(address.path).lexically_normal().string();
  if (absolute.size() >= sizeof(sockaddr_un::sun_path)) {
    return Invalid(option, address.ToString(),
                   "made absolute, the socket path is longer than " +
                       std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  }
  address.path = absolute;
  return Status::Ok();
}

// --user, --group, --socket-owner, --umask, --daemonize, --pidfile.
Status FillPrivilegesAndProcess(const po::variables_map& vm, Options& o) {
  if (vm.count("user")) {
    const std::string& text = vm["user"].as<std::string>();
    Result<service::UserAccount> user = service::LookUpUser(text);
    if (!user.ok()) return Invalid("user", text, user.status().message());
    o.user = user.value();
  }
  if (vm.count("group")) {
    const std::string& text = vm["group"].as<std::string>();
    Result<gid_t> group = service::LookUpGroup(text);
    if (!group.ok()) return Invalid("group", text, group.status().message());
    o.group = group.value();
  }
  if (o.user && !o.user->has_entry && !o.group) {
    return Invalid("user", vm["user"].as<std::string>(),
                   "uid without a passwd entry: give --group too");
  }
  if (vm.count("socket-owner")) {
    const std::string& text = vm["socket-owner"].as<std::string>();
    Result<service::FileOwner> owner = service::ParseFileOwner(text);
    if (!owner.ok()) return Invalid("socket-owner", text, owner.status().message());
    o.socket_owner = owner.value();
  }
  if (vm.count("umask")) {
    const std::string& mode = vm["umask"].as<std::string>();
    unsigned bits = 0;
    auto [end, err] = std::from_chars(mode.data(), mode.data() + mode.size(), bits, 8);
    if (mode.empty() || err != std::errc() || end != mode.data() + mode.size() || bits > 0777) {
      return Invalid("umask", mode, "expected octal permission bits such as 022");
    }
    o.umask = bits;
  }
  o.daemonize = vm["daemonize"].as<bool>();
  // (--inetd, which serves the connection on stdin, refuses --daemonize and
  // --pidfile: see FillOptions.)
  if (vm.count("pidfile")) {
    const std::string& file = vm["pidfile"].as<std::string>();
    if (file.empty() || file.ends_with('/')) return Invalid("pidfile", file, "expected a file name");
    o.pidfile = std::filesystem::absolute(file).lexically_normal().string();
  }
  if (o.bind) {
    if (Status bind = MakeAbsolute("bind", *o.bind); !bind.ok()) return bind;
  }
  if (o.stats) {
    if (Status stats = MakeAbsolute("stats", *o.stats); !stats.ok()) return stats;
  }
  return Status::Ok();
}

Status FillOptions(const po::variables_map& vm, Options& o) {
  Status mounts = FillMounts(vm, o);
  if (!mounts.ok()) return mounts;
  o.inetd = vm["inetd"].as<bool>();
  if (o.inetd) {
    for (const char* option : {"bind", "workers", "min-spare", "max-spare", "max-children",
                               "stats", "lazy-apps", "daemonize", "pidfile",
                               "reload-on-change"}) {
      if (vm.count(option) && !vm[option].defaulted()) {
        return Status::Error(std::string("--inetd serves the one connection on fd 0 in this "
                                         "process: --") +
                             option + " cannot go with it");
      }
    }
  }

  if (vm.count("chdir")) o.chdir = vm["chdir"].as<std::string>();
  if (vm.count("pythonpath")) o.pythonpath = vm["pythonpath"].as<std::vector<std::string>>();
  if (Status python = FillPythonOptions(vm, o); !python.ok()) return python;
  if (Status hooks = FillHookOptions(vm, o); !hooks.ok()) return hooks;

  const std::string& protocol = vm["protocol"].as<std::string>();
  if (protocol == "fastcgi" || protocol == "fcgi") {
    o.protocol = protocols::Protocol::kFastCgi;
  } else if (protocol == "scgi") {
    o.protocol = protocols::Protocol::kScgi;
  } else if (protocol == "ajp") {
    o.protocol = protocols::Protocol::kAjp;
  } else if (protocol == "auto") {
    o.protocol = std::nullopt;
  } else {
    return Invalid("protocol", protocol, "expected fastcgi, scgi, ajp or auto");
  }
  o.max_header_size = vm["max-header-size"].as<size_t>();
  if (o.max_header_size < 1024 || o.max_header_size > (64u << 20)) {
    return Invalid("max-header-size", std::to_string(o.max_header_size), "expected 1024 to 67108864");
  }

  if (vm.count("bind")) {
    auto bind = ParseBindAddress(vm["bind"].as<std::string>());
    if (!bind.ok()) return bind.status();
    o.bind = bind.value();
  }

  o.adaptive = vm.count("min-spare") || vm.count("max-spare") || vm.count("max-children");
  if (o.adaptive && vm.count("workers")) {
    return Status::Error(
        "--workers sets a fixed pool; --min-spare, --max-spare and --max-children an adaptive "
        "one: give one or the other");
  }
  if (vm.count("workers")) o.workers = vm["workers"].as<int>();
  if (o.workers < 1 || o.workers > 1024) {
    return Invalid("workers", std::to_string(o.workers), "expected 1 to 1024");
  }
  if (o.adaptive) {
    if (vm.count("min-spare")) o.min_spare = vm["min-spare"].as<int>();
    if (vm.count("max-spare")) o.max_spare = vm["max-spare"].as<int>();
    if (vm.count("max-children")) o.max_children = vm["max-children"].as<int>();
    if (o.min_spare < 1) return Invalid("min-spare", std::to_string(o.min_spare), "expected 1 or more");
    if (o.max_spare < o.min_spare) {
      return Invalid("max-spare", std::to_string(o.max_spare), "must be at least --min-spare");
    }
    o.max_children = std::max(o.max_children, o.max_spare);  // as flup does
    if (o.max_children > 1024) {
      return Invalid("max-children", std::to_string(o.max_children), "expected at most 1024");
    }
    o.workers = o.min_spare;
  }

  const std::string& mode = vm["socket-mode"].as<std::string>();
  unsigned bits = 0;
  auto [end, err] = std::from_chars(mode.data(), mode.data() + mode.size(), bits, 8);
  if (mode.empty() || err != std::errc() || end != mode.data() + mode.size() || bits > 0777) {
    return Invalid("socket-mode", mode, "expected octal permission bits such as 0660");
  }
  o.socket_mode = bits;

  o.graceful_timeout = vm["graceful-timeout"].as<double>();
  if (!(o.graceful_timeout >= 0)) {
    return Invalid("graceful-timeout", std::to_string(o.graceful_timeout), "must be >= 0");
  }
  double idle_timeout = vm["idle-timeout"].as<double>();
  if (!(idle_timeout > 0 && idle_timeout <= 86400)) {
    return Invalid("idle-timeout", std::to_string(idle_timeout), "expected 0 to 86400 seconds");
  }
  o.idle_timeout_ms = static_cast<int64_t>(idle_timeout * 1000);
  o.max_idle_connections = vm["max-idle-connections"].as<size_t>();
  if (o.max_idle_connections < 1) return Invalid("max-idle-connections", "0", "expected at least 1");
  for (auto [name, field] : {std::pair{"header-timeout", &o.header_timeout_ms},
                             std::pair{"body-timeout", &o.body_timeout_ms},
                             std::pair{"send-timeout", &o.send_timeout_ms}}) {
    double seconds = vm[name].as<double>();
    if (!(seconds >= 0.001 && seconds <= 86400)) {
      return Invalid(name, std::to_string(seconds), "expected 0.001 to 86400 seconds");
    }
    *field = static_cast<int64_t>(seconds * 1000);
  }
  Result<uint64_t> min_rate = ParseSize("min-rate", vm["min-rate"].as<std::string>());
  if (!min_rate.ok()) return min_rate.status();
  o.min_rate = min_rate.value();
  double timeout = vm["timeout"].as<double>();
  if (!(timeout >= 0 && timeout <= 86400)) {
    return Invalid("timeout", std::to_string(timeout), "expected 0 to 86400 seconds");
  }
  o.timeout_ms = static_cast<int64_t>(timeout * 1000);
  // Idle workers beat once a second (Scoreboard::kBeatInterval): a shorter
  // limit than two beats would kill healthy ones.
  double heartbeat_timeout = vm["heartbeat-timeout"].as<double>();
  if (!(heartbeat_timeout == 0 || (heartbeat_timeout >= 2 && heartbeat_timeout <= 86400))) {
    return Invalid("heartbeat-timeout", std::to_string(heartbeat_timeout),
                   "expected 0 (off) or 2 to 86400 seconds");
  }
  o.heartbeat_timeout_ms = static_cast<int64_t>(heartbeat_timeout * 1000);
  o.max_requests = vm["max-requests"].as<uint64_t>();
  o.max_requests_jitter = vm["max-requests-jitter"].as<uint64_t>();
  o.reload_on_rss_mb = vm["reload-on-rss"].as<uint64_t>();
  Result<uint64_t> max_body_size = ParseSize("max-body-size", vm["max-body-size"].as<std::string>());
  if (!max_body_size.ok()) return max_body_size.status();
  o.max_body_size = max_body_size.value();
  if (vm.count("spool-dir")) {
    o.spool_dir = vm["spool-dir"].as<std::string>();
    if (o.spool_dir.empty()) return Invalid("spool-dir", "", "must not be empty");
  } else {
    const char* tmpdir = std::getenv("TMPDIR");
    o.spool_dir = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  }
  // Before --chdir moves the working directory under a relative path.
  o.spool_dir = std::filesystem::absolute(o.spool_dir).lexically_normal().string();
  o.spool_chunked = !vm["no-spool-chunked"].as<bool>();
  o.ajp_packet_size = vm["ajp-packet-size"].as<size_t>();
  if (o.ajp_packet_size < 8192 || o.ajp_packet_size > 65536) {
    return Invalid("ajp-packet-size", std::to_string(o.ajp_packet_size), "expected 8192 to 65536");
  }
  if (vm.count("ajp-secret")) {
    o.ajp_secret = vm["ajp-secret"].as<std::string>();
    if (o.ajp_secret.empty()) return Invalid("ajp-secret", "", "must not be empty");
  }
  o.ajp_allow_insecure = vm["ajp-allow-insecure"].as<bool>();
  if (vm.count("stats")) {
    auto stats = ParseBindAddress(vm["stats"].as<std::string>());
    if (!stats.ok()) return stats.status();
    if (stats.value().kind == BindAddress::Kind::kFd) {
      return Invalid("stats", vm["stats"].as<std::string>(), "expected unix:PATH or HOST:PORT");
    }
    o.stats = stats.value();
  }
  Status hygiene = FillPrivilegesAndProcess(vm, o);
  if (!hygiene.ok()) return hygiene;
  if (vm.count("ready-fd")) {
    o.ready_fd = vm["ready-fd"].as<int>();
    if (o.ready_fd < 3) {
      return Invalid("ready-fd", std::to_string(o.ready_fd),
                     "expected 3 or more (0, 1 and 2 are stdin, stdout and stderr)");
    }
  }
  const std::string& log_level = vm["log-level"].as<std::string>();
  if (log_level == "debug") {
    o.log_level = spdlog::level::debug;
  } else if (log_level == "info") {
    o.log_level = spdlog::level::info;
  } else if (log_level == "warning" || log_level == "warn") {
    o.log_level = spdlog::level::warn;
  } else if (log_level == "error") {
    o.log_level = spdlog::level::err;
  } else {
    return Invalid("log-level", log_level, "expected debug, info, warning or error");
  }
  const std::string& log_timestamps = vm["log-timestamps"].as<std::string>();
  if (log_timestamps == "none") {
    o.log_timestamps = service::LogTimestamps::kNone;
  } else if (log_timestamps == "iso8601") {
    o.log_timestamps = service::LogTimestamps::kIso8601;
  } else if (log_timestamps == "tai64n") {
    o.log_timestamps = service::LogTimestamps::kTai64n;
  } else {
    return Invalid("log-timestamps", log_timestamps, "expected none, iso8601 or tai64n");
  }
  if (vm.count("access-log")) {
    o.access_log = vm["access-log"].as<std::string>();
    if (o.access_log.empty()) return Invalid("access-log", "", "expected a file, or - for stdout");
    // Before --chdir moves the working directory under a relative path; the
    // same file after a reopen, whatever the app did to the directory.
    if (o.access_log != "-") {
      if (o.access_log.back() == '/') return Invalid("access-log", o.access_log, "is a directory");
      o.access_log = std::filesystem::absolute(o.access_log).lexically_normal().string();
    }
  }
  o.debug = vm["debug"].as<bool>();
  o.lazy_apps = vm["lazy-apps"].as<bool>();
  o.gc_freeze = !vm["no-gc-freeze"].as<bool>();
  for (auto [name, field] : {std::pair{"stdout-log", &o.stdout_log},
                             std::pair{"stderr-log", &o.stderr_log}}) {
    if (!vm.count(name)) continue;
    const std::string& file = vm[name].as<std::string>();
    if (file.empty() || file.ends_with('/')) return Invalid(name, file, "expected a file name");
    *field = std::filesystem::absolute(file).lexically_normal().string();
  }
  return Status::Ok();
}

}  // namespace

std::string UsageText() { return kUsage; }

std::vector<OptionDoc> DescribeOptions() {
  std::vector<OptionDoc> docs;
  const po::options_description description = MakeDescription();
  for (const auto& option : description.options()) {
    OptionDoc doc;
    doc.long_name = option->long_name();
    // canonical_display_name(dashed_short) is "-h" when there is a short name.
    const std::string short_form = option->canonical_display_name(
        po::command_line_style::allow_dash_for_short);
    if (short_form.size() == 2 && short_form[0] == '-') doc.short_name = short_form[1];
    doc.description = option->description();
    if (const auto semantic = option->semantic(); semantic->max_tokens() > 0) {
      // format_parameter() is "NAME" or "NAME (=default)".
      std::string parameter = option->format_parameter();
      const size_t open = parameter.find(" (=");
      if (open != std::string::npos && parameter.ends_with(")")) {
        doc.default_value = parameter.substr(open + 3, parameter.size() - open - 4);
        parameter.resize(open);
      }
      doc.value_name = parameter;
    }
    docs.push_back(std::move(doc));
  }
  return docs;
}

Result<CommandLine> ParseCommandLine(int argc, const char* const argv[]) {
  po::options_description desc = MakeDescription();
  // runfcgi's and flup's KEY=VALUE words become options first
  // (daemon/argument_words.h); any other positional argument is an error.
  Result<std::vector<std::string>> args = TranslateWords(
      SpellOptionAliases(std::vector<std::string>(argv + std::min(argc, 1), argv + argc)),
      [&desc](std::string_view name) -> OptionShape {
        try {
          const po::option_description* found = desc.find_nothrow(std::string(name), true);
          if (found == nullptr) return {};
          return {found->long_name(), found->semantic()->max_tokens() > 0};
        } catch (const po::error&) {
          return {};  // ambiguous: the parser below says so
        }
      });
  if (!args.ok()) return args.status();
  CommandLine cl;
  po::variables_map vm;
  po::parsed_options parsed(&desc);
  try {
    parsed = po::command_line_parser(args.value()).options(desc).run();
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return Status::Error(e.what());
  }
  if (vm.count("help")) {
    std::ostringstream out;
    out << desc;
    cl.action = CommandLine::Action::kHelp;
    cl.help = out.str();
    return cl;
  }
  if (vm.count("version")) {
    cl.action = CommandLine::Action::kVersion;
    return cl;
  }
  // Then the SHOAL_ environment and the --config file, under the command line.
  Result<ConfigSources> sources = ConfigSources::Store(desc, parsed, vm);
  if (!sources.ok()) return sources.status();
  Status filled = FillOptions(vm, cl.options);
  if (!filled.ok()) return sources.value().Attribute(filled);
  cl.warnings = sources.value().warnings();
  if (vm["check-config"].as<bool>()) {
    cl.action = CommandLine::Action::kCheckConfig;
    cl.effective = sources.value().Describe(desc);
    for (const std::string& warning : cl.warnings) cl.effective += "# warning: " + warning + "\n";
  }
  return cl;
}

}  // namespace shoal::daemon
