#include "daemon/paste_server.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>

#include "base/ascii.h"
#include "daemon/argument_words.h"
#include "daemon/ini_file.h"

namespace shoal::daemon {
namespace {

constexpr const char* kServerSection = "[server:main]";

// flup's paste_factory keywords (run_{fcgi,scgi,ajp}_{thread,fork}), lower-cased.
constexpr const char* kFlupKeys[] = {"host",        "port",        "socket",      "umask",
                                     "scriptname",  "debug",       "minspare",    "maxspare",
                                     "maxchildren", "maxrequests", "multiplexed", "maxthreads",
                                     "allowedservers"};
constexpr const char* kFlupKeyList =
    "host, port, socket, umask, scriptName, debug, minSpare, maxSpare, maxChildren, "
    "maxRequests, allowedServers, multiplexed, maxThreads";

// "fcgi_fork" → "fastcgi"; nullopt for a name that is not one of flup's
// servers (fcgi, scgi, ajp, each also _thread and _fork).
std::optional<std::string> FlupProtocol(const std::string& server) {
  const std::string base = server.substr(0, server.find('_'));
  const std::string variant = server.size() > base.size() ? server.substr(base.size()) : "";
  if (variant != "" && variant != "_thread" && variant != "_fork") return std::nullopt;
  if (base == "fcgi") return "fastcgi";
  if (base == "scgi" || base == "ajp") return base;
  return std::nullopt;
}

// The protocol of the flup server `use` names: egg:Flup#scgi_fork (any
// case, with or without a version), egg:PasteScript#flup_scgi_fork, or
// call:flup.server.paste_factory:run_scgi_fork. nullopt: another server.
std::optional<std::string> ProtocolOfUse(const std::string& use) {
  const std::string lower = AsciiLower(use);
  if (lower.starts_with("egg:")) {
    const size_t hash = lower.find('#');
    if (hash == std::string::npos) return std::nullopt;  // the egg's "main": not flup's
    std::string dist = lower.substr(4, hash - 4);
    dist = dist.substr(0, dist.find_first_of("=<>![ "));
    const std::string entry = lower.substr(hash + 1);
    if (dist == "flup") return FlupProtocol(entry);
    if (dist == "pastescript" && entry.starts_with("flup_")) return FlupProtocol(entry.substr(5));
    return std::nullopt;
  }
  constexpr std::string_view kCall = "call:flup.server.paste_factory:run_";
  if (lower.starts_with(kCall)) return FlupProtocol(lower.substr(kCall.size()));
  return std::nullopt;
}

bool IsLoopback(const std::string& host) {
  return host.starts_with("127.") || host == "::1" || host == "[::1]" ||
         AsciiLower(host) == "localhost";
}

// One flup setting as a word for TranslateKeywords, and where it was.
struct FlupWord {
  std::string word;   // "maxChildren=4"
  std::string where;  // "/srv/app.ini:12 [server:main]"
};

}  // namespace

Result<PasteSpec> ParsePasteSpec(const std::string& value) {
  std::string text = value;
  if (text.starts_with("config:")) text.erase(0, 7);
  const size_t hash = text.find('#');
  PasteSpec spec;
  spec.file = text.substr(0, hash);
  if (hash != std::string::npos) spec.name = text.substr(hash + 1);
  if (spec.file.empty() || spec.file.ends_with('/')) {
    return Status::Error("invalid value '" + value + "' for --paste: expected FILE[#NAME]");
  }
  if (hash != std::string::npos && spec.name.empty()) {
    return Status::Error("invalid value '" + value +
                         "' for --paste: expected an app name after '#'");
  }
  spec.file = std::filesystem::absolute(spec.file).lexically_normal().string();
  return spec;
}

Result<PasteServer> ReadPasteServer(const PasteSpec& spec) {
  Result<IniFile> read = IniFile::Read(spec.file);
  if (!read.ok()) return Status::Error("--paste " + read.status().message());
  const IniFile& ini = read.value();
  const std::string section = ini.FindSection("server", "main");
  if (section.empty()) return PasteServer{};
  auto where = [&](int line) {
    return spec.file + ":" + std::to_string(line) + " " + kServerSection;
  };
  const IniFile::Entry* use = ini.Find(section, "use");
  std::string use_value;
  if (use != nullptr) {
    Result<std::string> interpolated = ini.Interpolate(section, *use);
    if (!interpolated.ok()) return interpolated.status();
    use_value = interpolated.value();
  }
  const std::optional<std::string> protocol = ProtocolOfUse(use_value);
  PasteServer server;
  if (!protocol) {
    server.warning = (use == nullptr ? spec.file + " " + kServerSection + " names no server"
                                     : where(use->line) + " names " + use_value) +
                     ", not one of flup's: shoal ignores it and its settings and serves as its "
                     "own options say (--protocol, --bind)";
    return server;
  }
  server.settings.push_back({"protocol", "--protocol=" + *protocol, *protocol, where(use->line)});

  std::vector<FlupWord> words;
  std::map<std::string, std::string> given;  // lower-cased key → value
  std::optional<int> allowed_servers_line;  // OwnEntries returns a copy: keep the line
  for (const IniFile::Entry& entry : ini.OwnEntries(section)) {
    if (entry.key == "use") continue;
    const std::string key = AsciiLower(entry.key);
    if (std::find(std::begin(kFlupKeys), std::end(kFlupKeys), key) == std::end(kFlupKeys)) {
      return Status::Error(where(entry.line) + ": unknown key '" + entry.key +
                           "' (flup's servers take " + kFlupKeyList + ")");
    }
    Result<std::string> value = ini.Interpolate(section, entry);
    if (!value.ok()) return value.status();
    given[key] = value.value();
    if (key == "allowedservers") {
      allowed_servers_line = entry.line;
      continue;
    }
    words.push_back({entry.key + "=" + value.value(), where(entry.line)});
  }
  // flup's factories read debug from global_conf ([DEFAULT]) when the
  // section has none.
  if (!given.contains("debug")) {
    if (const IniFile::Entry* debug = ini.Find(section, "debug"); debug != nullptr) {
      Result<std::string> value = ini.Interpolate(section, *debug);
      if (!value.ok()) return value.status();
      words.push_back({"debug=" + value.value(),
                       spec.file + ":" + std::to_string(debug->line) + " [DEFAULT]"});
    }
  }
  // flup's SCGI and AJP servers listen on localhost:4000 and :8009 unless told.
  if (*protocol != "fastcgi" && !given.contains("socket")) {
    const std::string flups_default = spec.file + " " + kServerSection + " (flup's default)";
    if (!given.contains("host")) words.push_back({"host=127.0.0.1", flups_default});
    if (!given.contains("port")) {
      words.push_back({*protocol == "scgi" ? "port=4000" : "port=8009", flups_default});
    }
  }
  if (allowed_servers_line) {
    std::istringstream list(given["allowedservers"]);
    bool loopback_only = true;
    for (std::string address; list >> address;) loopback_only = loopback_only && IsLoopback(address);
    const bool listens_on_loopback =
        given.contains("socket") || !given.contains("host") || IsLoopback(given["host"]);
    if (!loopback_only || !listens_on_loopback) {
      return Status::Error(where(*allowed_servers_line) + ": allowedServers = " +
                           given["allowedservers"] +
                           " is refused: shoal takes the web servers it accepts from "
                           "FCGI_WEB_SERVER_ADDRS (comma-separated) in its environment; set "
                           "that, and leave allowedServers out or at loopback addresses");
    }
    // Only loopback peers can reach a loopback or unix listener: as asked.
  }

  std::vector<std::string> typed;
  for (const FlupWord& word : words) typed.push_back(word.word);
  Result<std::vector<TranslatedWord>> translated = TranslateKeywords(typed);
  if (!translated.ok()) {
    // Name the line of the word the message is about.
    const std::string& message = translated.status().message();
    for (const FlupWord& word : words) {
      const std::string key = AsciiLower(word.word.substr(0, word.word.find('=')));
      if (message.find("'" + word.word + "'") != std::string::npos ||
          message.find(" for " + key + "=") != std::string::npos) {
        return Status::Error(word.where + ": " + message);
      }
    }
    return Status::Error(spec.file + " " + kServerSection + ": " + message);
  }
  for (const TranslatedWord& word : translated.value()) {
    if (!word.token) continue;
    const size_t equals = word.token->find('=');
    server.settings.push_back({word.option, *word.token,
                               equals == std::string::npos ? "true" : word.token->substr(equals + 1),
                               words[word.word].where});
  }
  return server;
}

}  // namespace shoal::daemon
