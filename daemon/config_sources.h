// ConfigSources: the option values that come from outside the command line
// (SHOAL_<OPTION> environment variables and a --config file), and where
// every value came from, for --check-config and for error messages.
//
// Both sources are read against the same Boost.Program_options table as
// the command line: a key or variable is an option's long name (`workers`,
// SHOAL_WORKERS). Precedence is command line > environment > file >
// the --paste file's [server:main] (daemon/paste_server.h) > defaults,
// which is Boost's "first stored wins" with the command line stored
// first. Options that repeat (`mount`, `pythonpath`) compose across
// sources, in that order.
//
// The file: keys at its top, before any section, and in a [shoal] section
// are shoal's; other sections belong to other programs (a PasteDeploy file
// can carry a [shoal] section, as uWSGI reads [uwsgi]). `#` starts a
// comment anywhere in a line (as Boost has it), `;` a whole-line one.
//
// Variables that shoal sets for its own re-exec and workers (SHOAL_REEXEC,
// SHOAL_LAZY_WORKER) and the sanitizer's SHOAL_SANITIZER_REPORTS are not
// options; any other SHOAL_ variable must name one. A re-executed master
// (HUP) and a --lazy-apps worker keep argv and the environment and read
// the file again, so they see the same precedence.
//
// Master, at start-up, before anything is bound or imported, and again
// before a HUP's re-exec (daemon/reload_check.h); not thread-safe (reads
// the environment).
#pragma once

#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "base/status.h"

namespace shoal::daemon {

class ConfigSources {
 public:
  // Where one value was set.
  struct Setting {
    enum class Source { kCommandLine, kEnvironment, kFile, kPasteServer };
    std::string option;  // the long name: "max-requests"
    std::string value;   // as given ("true" for a switch given bare)
    Source source = Source::kCommandLine;
    // "SHOAL_MAX_REQUESTS", "/etc/shoal/app.ini:3", "/srv/app.ini:9 [server:main]";
    // "" on the command line
    std::string where;
  };

  // Stores the environment's SHOAL_ variables, then the file that --config
  // (or SHOAL_CONFIG) names, into `vm`, which already holds `command_line`.
  // Returns the sources, or an error naming the variable, or the file and
  // line, that is unknown or bad.
  static Result<ConfigSources> Store(const boost::program_options::options_description& desc,
                                     const boost::program_options::parsed_options& command_line,
                                     boost::program_options::variables_map& vm);

  // `error` (from checking the values) with, for each --option it names
  // that was set in the environment or the file, where it was set.
  Status Attribute(const Status& error) const;

  // The --check-config text: for each option in `desc`, a line
  // "name = value  # source" (command line, environment SHOAL_X,
  // file:line, default), one per value for a repeated option, or
  // "# name: not set".
  std::string Describe(const boost::program_options::options_description& desc) const;

  // The settings of `option`, in precedence order.
  std::vector<Setting> SettingsOf(const std::string& option) const;

  // Lines to log at start (a --paste file's [server:main] shoal ignores).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  // Stores what a --paste file's [server:main] sets, under everything else.
  Status StorePasteServer(const boost::program_options::options_description& desc,
                          boost::program_options::variables_map& vm);

  std::vector<Setting> settings_;  // command line, environment, file, paste server
  std::vector<std::string> warnings_;
};

// "SHOAL_MAX_REQUESTS" for "max-requests".
std::string EnvironmentName(const std::string& option);

}  // namespace shoal::daemon
