#include "daemon/config_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

#include "daemon/ini_file.h"

namespace shoal::daemon {
namespace po = boost::program_options;
namespace {

constexpr const char* kSection = "shoal";

}  // namespace

bool IsCommandOption(const std::string& option) {
  return option == "help" || option == "version" || option == "check-config";
}

Result<std::vector<ConfigFileEntry>> ReadConfigFile(const std::string& path,
                                                    const po::options_description& desc) {
  std::ifstream in(path);
  if (!in) return Status::Error("--config " + path + ": " + std::strerror(errno));
  std::vector<ConfigFileEntry> entries;
  std::map<std::string, int> first_line;  // of each key that may not repeat
  std::string section;                    // "": the top, before any section
  bool has_shoal_section = false;
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    const std::string at = path + ":" + std::to_string(line) + ": ";
    std::string content = TrimIniSpace(text);
    if (content.starts_with(';')) continue;
    content = TrimIniSpace(content.substr(0, content.find('#')));
    if (content.empty()) continue;
    if (content.starts_with('[')) {
      if (!content.ends_with(']')) return Status::Error(at + "expected [SECTION]");
      section = TrimIniSpace(content.substr(1, content.size() - 2));
      if (section == kSection) has_shoal_section = true;
      continue;
    }
    if (!section.empty() && section != kSection) continue;  // another program's
    const size_t equals = content.find('=');
    if (equals == std::string::npos) {
      return Status::Error(at + "expected KEY = VALUE (a switch is KEY = true), not '" + content +
                           "'");
    }
    ConfigFileEntry entry{.key = TrimIniSpace(content.substr(0, equals)),
                          .value = TrimIniSpace(content.substr(equals + 1)),
                          .line = line};
    const po::option_description* option = desc.find_nothrow(entry.key, false);
    if (option == nullptr || entry.key != option->long_name()) {
      return Status::Error(at + "unknown key '" + entry.key + "'");
    }
    if (IsCommandOption(entry.key)) {
      return Status::Error(at + "'" + entry.key + "' is a command, not a setting: give --" +
                           entry.key + " on the command line");
    }
    if (entry.key == "config") {
      return Status::Error(at + "a config file cannot name another ('config')");
    }
    if (!option->semantic()->is_composing()) {
      auto [earlier, first] = first_line.emplace(entry.key, line);
      if (!first) {
        return Status::Error(at + "'" + entry.key + "' is already set on line " +
                             std::to_string(earlier->second));
      }
    }
    entries.push_back(std::move(entry));
  }
  if (in.bad()) return Status::Error("--config " + path + ": " + std::strerror(errno));
  if (entries.empty() && !has_shoal_section && !section.empty()) {
    return Status::Error("--config " + path +
                         ": no shoal settings (put them at the top or in a [shoal] section)");
  }
  return entries;
}

}  // namespace shoal::daemon
