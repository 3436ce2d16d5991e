// ReadConfigFile: the shoal settings in a --config INI file, each with its
// line, checked against the option table before Boost.Program_options
// parses their values.
//
// Keys at the top of the file (before any section) and in a [shoal]
// section are read; other sections are skipped. A key is an option's long
// name; a repeatable option (`mount`, `pythonpath`) may repeat, any other
// key may not. `#` starts a comment anywhere in a line (as in Boost's own
// parser), and a line starting with `;` is a comment too. Start-up only.
#pragma once

#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "base/status.h"

namespace shoal::daemon {

struct ConfigFileEntry {
  std::string key;    // "workers"
  std::string value;  // "4", trimmed
  int line = 0;       // 1-based
};

// Returns the file's shoal entries in file order, or an error naming the
// file and line ("/etc/shoal/app.ini:3: unknown key 'wrokers'"), or the
// file when it cannot be read or holds no shoal settings at all.
Result<std::vector<ConfigFileEntry>> ReadConfigFile(
    const std::string& path, const boost::program_options::options_description& desc);

// True for the options that are commands, not settings (help, version,
// check-config): never read from a file or the environment.
bool IsCommandOption(const std::string& option);

}  // namespace shoal::daemon
