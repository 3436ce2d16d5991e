#include "daemon/ini_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace shoal::daemon {
namespace {

constexpr const char* kDefault = "DEFAULT";
constexpr int kMaxDepth = 10;  // configparser's MAX_INTERPOLATION_DEPTH

}  // namespace

std::string TrimIniSpace(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  const size_t last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

Result<IniFile> IniFile::Read(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error(path + ": " + std::strerror(errno));
  IniFile file;
  file.path_ = path;
  file.sections_[kDefault] = {
      {"here", std::filesystem::path(path).parent_path().string(), 0},
      {"__file__", path, 0}};
  std::vector<Entry>* section = nullptr;
  Entry* last = nullptr;  // the entry an indented line continues
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    const std::string content = TrimIniSpace(text);
    if (content.empty() || content[0] == '#' || content[0] == ';') {
      if (content.empty()) last = nullptr;
      continue;
    }
    const std::string at = path + ":" + std::to_string(line) + ": ";
    if ((text[0] == ' ' || text[0] == '\t') && last != nullptr) {
      last->value += (last->value.empty() ? "" : "\n") + content;
      continue;
    }
    if (content[0] == '[') {
      if (content.back() != ']') return Status::Error(at + "expected [SECTION]");
      const std::string name = content.substr(1, content.size() - 2);
      section = &file.sections_[name];
      last = nullptr;
      continue;
    }
    const size_t delimiter = content.find_first_of("=:");
    if (delimiter == std::string::npos || delimiter == 0) {
      return Status::Error(at + "expected KEY = VALUE, not '" + content + "'");
    }
    if (section == nullptr) return Status::Error(at + "a key before any [section]");
    Entry entry{TrimIniSpace(content.substr(0, delimiter)), TrimIniSpace(content.substr(delimiter + 1)), line};
    for (const Entry& other : *section) {
      if (other.key == entry.key && other.line > 0) {
        return Status::Error(at + "'" + entry.key + "' is already set on line " +
                             std::to_string(other.line));
      }
    }
    section->push_back(std::move(entry));
    last = &section->back();
  }
  if (in.bad()) return Status::Error(path + ": " + std::strerror(errno));
  return file;
}

std::string IniFile::FindSection(const std::string& kind, const std::string& name) const {
  for (const auto& [section, entries] : sections_) {
    const size_t colon = section.find(':');
    if (colon == std::string::npos) continue;
    if (TrimIniSpace(section.substr(0, colon)) == kind && TrimIniSpace(section.substr(colon + 1)) == name) {
      return section;
    }
  }
  return "";
}

std::vector<IniFile::Entry> IniFile::OwnEntries(const std::string& section) const {
  if (section == kDefault) return {};
  auto it = sections_.find(section);
  return it == sections_.end() ? std::vector<Entry>{} : it->second;
}

const IniFile::Entry* IniFile::Find(const std::string& section, const std::string& key) const {
  for (const std::string& name : {section, std::string(kDefault)}) {
    auto it = sections_.find(name);
    if (it == sections_.end()) continue;
    // The last of a key wins: [DEFAULT]'s own `here` over the implicit one.
    for (auto entry = it->second.rbegin(); entry != it->second.rend(); ++entry) {
      if (entry->key == key) return &*entry;
    }
  }
  return nullptr;
}

Result<std::string> IniFile::Interpolate(const std::string& section, const Entry& entry) const {
  const std::string at = path_ + ":" + std::to_string(entry.line) + ": ";
  std::string value = entry.value;
  for (int depth = 0;; ++depth) {
    if (value.find("%(") == std::string::npos) break;
    if (depth == kMaxDepth) {
      return Status::Error(at + "'" + entry.key + "' refers to itself (%(...)s more than " +
                           std::to_string(kMaxDepth) + " deep)");
    }
    std::string out;
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] != '%') {
        out += value[i];
        continue;
      }
      if (i + 1 < value.size() && value[i + 1] == '%') {
        out += "%%";  // kept until the last round
        ++i;
        continue;
      }
      const size_t close = value.find(")s", i);
      if (i + 1 >= value.size() || value[i + 1] != '(' || close == std::string::npos) {
        return Status::Error(at + "'%' must be followed by '%' or '(name)s' in '" + entry.value +
                             "'");
      }
      const std::string name = value.substr(i + 2, close - i - 2);
      const Entry* found = Find(section, name);
      if (found == nullptr) {
        return Status::Error(at + "'" + entry.key + "' refers to %(" + name +
                             ")s, which is not set in [" + section + "] or [DEFAULT]");
      }
      out += found->value;
      i = close + 1;
    }
    value = out;
  }
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    out += value[i];
    if (value[i] == '%' && i + 1 < value.size() && value[i + 1] == '%') ++i;
  }
  return out;
}

}  // namespace shoal::daemon
