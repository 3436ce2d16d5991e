#include "daemon/man_page.h"

#include <sstream>
#include <string_view>

#include "daemon/options.h"
#include "service/exit_codes.h"

namespace shoal::daemon {
namespace {

// Text as roff shows it literally: backslashes escaped, every '-' a minus
// (so options copied from the page work), and a line that would begin with
// a control character ('.' or '\'') guarded.
std::string Roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    line_start = c == '\n';
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  return out;
}

// The usage lines of --help, one per line, without "Usage:" and the indent.
std::string Synopsis() {
  std::istringstream usage(UsageText());
  std::string synopsis;
  for (std::string line; std::getline(usage, line);) {
    const size_t shoal = line.find("shoal ");
    if (shoal == std::string::npos || line.starts_with("shoal:")) continue;
    synopsis += Roff(line.substr(shoal)) + "\n.br\n";
  }
  return synopsis;
}

void RenderOption(const OptionDoc& option, std::ostringstream& page) {
  page << ".TP\n.B ";
  if (option.short_name != '\0') page << Roff(std::string("-") + option.short_name) << ", ";
  page << Roff("--" + option.long_name);
  if (!option.value_name.empty()) page << " \\fI" << Roff(option.value_name) << "\\fR";
  page << "\n" << Roff(option.description);
  if (!option.default_value.empty()) page << " (default: " << Roff(option.default_value) << ")";
  page << "\n";
}

}  // namespace

std::string RenderManPage(const std::string& version) {
  std::ostringstream page;
  page << ".TH SHOAL 1 \"\" \"shoal " << Roff(version) << "\" \"User Commands\"\n"
       << ".nh\n.SH NAME\n"
       << "shoal \\- serve a Python WSGI application over FastCGI, SCGI or AJP13\n"
       << ".SH SYNOPSIS\n" << Synopsis()
       << ".SH DESCRIPTION\n"
       << Roff("shoal imports a WSGI application once into an embedded CPython, forks a pool "
               "of workers from it and serves it to a front end (nginx, Apache, lighttpd) over "
               "FastCGI, SCGI or AJP13 on one unix or TCP socket. It runs in the foreground, "
               "logs one line per event on stderr, and is meant to be run by a supervisor "
               "(daemontools, runit, s6, systemd).")
       << "\n.PP\n"
       << Roff("Django runfcgi's and flup's KEY=VALUE words (protocol=scgi host=127.0.0.1 "
               "port=8040 maxchildren=10 daemonize=false, minSpare=, scriptName=, ...) may be "
               "mixed with the options: each becomes the option that carries the same setting "
               "(see \"Coming from flup or runfcgi\" in the README). Any other argument is an "
               "error.")
       << "\n.SH OPTIONS\n";
  for (const OptionDoc& option : DescribeOptions()) RenderOption(option, page);
  page << ".SH ENVIRONMENT\n"
       << ".TP\n.B SHOAL_\\fIOPTION\\fP\n"
       << Roff("each option's value, its name upper-cased with - as _ (SHOAL_WORKERS=4, "
               "SHOAL_MAX_REQUESTS=100), under the command line and over the --config file; a "
               "SHOAL_ variable that names no option is an error (exit 2)")
       << "\n.TP\n.B SHOAL_CONFIG\n" << Roff("the --config file when none is given")
       << "\n.SH FILES\n"
       << Roff("The --config FILE is an INI file whose keys are the options' long names "
               "(workers = 4), at its top or in a [shoal] section; mount and pythonpath may "
               "repeat; a switch is key = true. shoal --check-config prints every value and "
               "where it came from.")
       << "\n";
  page << ".SH SIGNALS\n"
       << ".TP\n.B TERM\n"
       << Roff("graceful stop: in-flight requests finish (up to --graceful-timeout), then exit 0")
       << "\n.TP\n.B INT, QUIT\nfast stop\n"
       << ".TP\n.B HUP\n"
       << Roff("graceful reload: re-execute in place, import the app afresh, replace the "
               "workers; no request fails")
       << "\n.TP\n.B USR2\n" << Roff("the same, for a new binary at the same path")
       << "\n.TP\n.B TTIN, TTOU\none worker more, one fewer\n"
       << ".TP\n.B USR1\n" << Roff("reopen the --access-log file (after logrotate moved it)") << "\n"
       << ".SH EXIT STATUS\n"
       << ".TP\n.B " << service::kExitOk << "\nstopped by a signal\n"
       << ".TP\n.B " << service::kExitFailure << "\n"
       << Roff("could not start (the app failed to import, the address is in use, ...); one "
               "log line says why")
       << "\n.TP\n.B " << service::kExitUsage << "\n"
       << Roff("bad usage: an unknown option or a malformed value") << "\n"
       << ".SH SEE ALSO\n"
       << Roff("nginx(8), apache2(8), svscan(8), multilog(8), runsv(8), s6-supervise(8), "
               "systemd.socket(5); the README in /usr/share/doc/shoal")
       << "\n";
  return page.str();
}

}  // namespace shoal::daemon
