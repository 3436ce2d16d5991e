// IniFile: an INI file read as PasteDeploy reads it (Python's configparser
// under PasteDeploy's settings), for the few values shoal itself needs from
// a --paste file before anything is imported (daemon/paste_server.h).
//
// What it follows of configparser: `[section]` headers; `key = value` or
// `key: value`; keys keep their case (PasteDeploy sets optionxform = str);
// whole-line comments starting with `#` or `;` (no inline comments); an
// indented line continues the value above it; [DEFAULT]'s keys are seen
// from every section; `here` (the file's directory) and `__file__` are
// defaults, as PasteDeploy adds them; values are interpolated on reading,
// `%(key)s` from the section and the defaults, `%%` for a `%`. A key given
// twice in one section is an error, as configparser's strict mode has it.
// Start-up only; pure apart from reading the file.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace shoal::daemon {

// `text` without the spaces, tabs and carriage returns around it: how both
// INI readers (this and daemon/config_file.h) take keys and values.
std::string TrimIniSpace(const std::string& text);

class IniFile {
 public:
  struct Entry {
    std::string key;    // as written
    std::string value;  // raw, before interpolation; continuation lines joined by '\n'
    int line = 0;       // of the key, 1-based
  };

  // Reads `path` (absolute). Returns the file, or an error naming the file
  // (and line) that cannot be read or is not INI.
  static Result<IniFile> Read(const std::string& path);

  const std::string& path() const { return path_; }

  // The section whose name, split at its first ':' and trimmed, is
  // `kind`:`name` (`[server:main]`, `[server: main]`); "" when none.
  std::string FindSection(const std::string& kind, const std::string& name) const;

  // The keys written in `section` itself (not [DEFAULT]'s), in file order.
  // Empty for a section that does not exist.
  std::vector<Entry> OwnEntries(const std::string& section) const;

  // `key` in `section`, else in [DEFAULT]; nullptr when in neither.
  // Includes `here` and `__file__`.
  const Entry* Find(const std::string& section, const std::string& key) const;

  // `entry`'s value with `%(name)s` replaced from `section` and the
  // defaults. Errors name the file and line: a missing key, a bad `%`, or
  // references more than 10 deep.
  Result<std::string> Interpolate(const std::string& section, const Entry& entry) const;

 private:
  std::string path_;
  std::map<std::string, std::vector<Entry>> sections_;  // "DEFAULT" among them
};

}  // namespace shoal::daemon
