// PasteServer: what a PasteDeploy file's [server:main] tells shoal, read at
// option-parsing time (before anything is bound or imported).
//
// `--paste FILE[#NAME]` gives the app (python/paste_app.h loads it). When
// the same file's [server:main] names one of flup's servers
// (`use = egg:Flup#scgi_fork`, `egg:flup#fcgi`, the `_thread` and `_fork`
// variants, or PasteScript's old `egg:PasteScript#flup_scgi_fork`), shoal
// stands in for it: the protocol comes from the server's name, and flup's
// settings in the section become shoal's options through the same mapping
// as runfcgi's and flup's argument words (daemon/argument_words.h).
// ConfigSources stores them under every source of shoal's own, so the
// command line, the environment and a --config file override them.
//
// flup's keys, in any case: host, port, socket, umask, scriptName, debug
// (else [DEFAULT]'s debug, as flup reads global_conf), minSpare, maxSpare,
// maxChildren, maxRequests, multiplexed (refused when true), maxThreads
// (refused), allowedServers (only loopback addresses, with shoal listening
// on loopback or a unix socket: anything else is FCGI_WEB_SERVER_ADDRS's
// job). Any other key is an error naming it and its line. Without host,
// port or socket, flup's SCGI server listens on localhost:4000 and its AJP
// server on localhost:8009, and so does shoal; flup's FastCGI server then
// takes the socket on fd 0, as shoal does without --bind.
//
// Any other server (`egg:Paste#http`, `egg:waitress#main`, ...) is not an
// error: the same file often starts the development server too. It comes
// back as a warning naming the server; its settings are ignored.
// Master, at start-up; pure apart from reading the file.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace shoal::daemon {

// `--paste FILE[#NAME]` taken apart; `file` made absolute against the
// current directory (a leading "config:", as loadapp's URIs have it, is
// dropped). Errors name --paste and the value.
struct PasteSpec {
  std::string file;
  std::string name;  // "" for loadapp's default, main
};
Result<PasteSpec> ParsePasteSpec(const std::string& value);

struct PasteServer {
  struct Setting {
    std::string option;  // "max-children"
    std::string token;   // "--max-children=4", "--debug"
    std::string value;   // "4" ("true" for a switch), for --check-config
    std::string where;   // "/srv/app.ini:12 [server:main]"
  };
  std::vector<Setting> settings;  // empty: no [server:main], or not flup's
  std::string warning;            // "": nothing to say
};

// Reads `spec.file`'s [server:main]. Errors: the file cannot be read or is
// not INI; a key flup's servers do not take, or whose value shoal refuses,
// with the file and line.
Result<PasteServer> ReadPasteServer(const PasteSpec& spec);

}  // namespace shoal::daemon
