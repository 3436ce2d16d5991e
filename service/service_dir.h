// Service directories: shoal's files for daemontools, runit and s6.
//
// `shoal service-dir DIR --kind K -- OPTIONS` (daemon/service_dir_command.*)
// writes DIR from the templates in service/templates/, embedded at build
// time (service/embed_templates.cmake), so a written directory holds the
// very text a packager installs. Three things in a template's example are
// replaced, each of which the template must hold exactly once: the program
// path `/usr/bin/shoal` (by this shoal's absolute path), the example
// options (by OPTIONS, each quoted for /bin/sh), and the user that
// `setuidgid`, `chpst -u` or `s6-setuidgid` switches to (by --user in
// `run` and --log-user in `log/run`, or dropped with its command when none
// is given). Run in a short-lived command process; not thread-safe.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace shoal::service {

enum class ServiceKind { kDaemontools, kRunit, kS6 };

// "daemontools", "runit", "s6" → the kind; anything else: nullopt.
std::optional<ServiceKind> ServiceKindNamed(std::string_view name);
const char* ServiceKindName(ServiceKind kind);

struct ServiceDirSpec {
  std::string dir = {};                    // where to write it
  ServiceKind kind = ServiceKind::kDaemontools;
  std::string user = {};                   // run shoal as this user; "": as the supervisor runs it
  std::string log_user = {};               // run the logger as this user; "": likewise
  std::string program = {};                // shoal's absolute path
  std::vector<std::string> options = {};   // shoal's options, as the user gave them
  bool force = false;                      // write into a directory that is not empty
};

// One file of a service directory.
struct ServiceFile {
  std::string path;  // relative to the directory: "run", "log/run", "notification-fd"
  std::string text;
  mode_t mode = 0644;  // 0755 for the run scripts
};

// The arguments a kind's `run` passes shoal before the user's options
// ({"--ready-fd", "3"} for s6, whose notification-fd says 3; none else).
// The command checks the options together with these.
std::vector<std::string> FixedArguments(ServiceKind kind);

// `word` as one /bin/sh word: as it is if it is made only of characters
// the shell leaves alone (letters, digits, and @%+=:,./_-), else in single
// quotes, with each ' written '\''.
std::string ShellQuote(std::string_view word);

// The files of `spec`'s directory, rendered (no file system access).
// Fails only if a template lost one of its examples (a bug: tested).
Result<std::vector<ServiceFile>> RenderServiceDir(const ServiceDirSpec& spec);

// Whether `user` names an account of this system (getpwnam); an error
// naming it if not.
Status CheckUser(const std::string& user);

// Writes `spec`'s directory: refuses one that exists and is not empty
// unless `force`; creates it, log/, log/main/ (owned by the log user when
// run as root) and, for daemontools, env/; writes each file whole (a
// temporary file renamed over it) with its mode. Returns one line per
// thing done ("wrote /etc/sv/app/run"), or an error naming what failed.
Result<std::vector<std::string>> WriteServiceDir(const ServiceDirSpec& spec);

// The next commands to type, and what the user must see to, as lines.
std::vector<std::string> NextSteps(const ServiceDirSpec& spec);

}  // namespace shoal::service
