#include "daemon/config_sources.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "daemon/config_file.h"
#include "daemon/paste_server.h"

namespace shoal::daemon {
namespace po = boost::program_options;
namespace {

using Setting = ConfigSources::Setting;

constexpr const char* kPrefix = "SHOAL_";

// Set by shoal for its own processes (supervisor/reexec.cc,
// supervisor/lazy_worker.cc, supervisor/reload_preflight.cc) or read by the
// sanitizer build (base/sanitizer_options.cc): never options.
bool IsOwnVariable(const std::string& variable) {
  return variable == "SHOAL_REEXEC" || variable == "SHOAL_LAZY_WORKER" ||
         variable == "SHOAL_RELOAD_CHECK" ||
         variable == "SHOAL_SANITIZER_REPORTS";
}

// "max-requests" for "SHOAL_MAX_REQUESTS"; "" unless the part after the
// prefix is upper case, digits and '_'.
std::string OptionName(const std::string& variable) {
  std::string option = variable.substr(std::string(kPrefix).size());
  for (char& c : option) {
    if (c == '_') {
      c = '-';
    } else if (std::isupper(static_cast<unsigned char>(c)) ||
               std::isdigit(static_cast<unsigned char>(c))) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      return "";
    }
  }
  return option;
}

// One variable may carry several values of a repeatable option: a
// pythonpath as PYTHONPATH does (DIR:DIR), mounts apart by spaces.
std::vector<std::string> SplitValues(const std::string& option, const std::string& value) {
  const char* separators = option == "pythonpath" ? ":" : option == "mount" ? " \t" : "";
  if (*separators == '\0') return {value};
  std::vector<std::string> values;
  size_t start = 0;
  while (start <= value.size()) {
    const size_t end = std::min(value.find_first_of(separators, start), value.size());
    if (end > start) values.push_back(value.substr(start, end - start));
    start = end + 1;
  }
  return values;
}

std::string SourceText(const Setting& setting) {
  switch (setting.source) {
    case Setting::Source::kCommandLine: return "command line";
    case Setting::Source::kEnvironment: return "environment " + setting.where;
    case Setting::Source::kFile: return "file " + setting.where;
    case Setting::Source::kPasteServer: return "paste " + setting.where;
  }
  return "";
}

// Stores `parsed` into `vm`; a Boost error is prefixed with where the
// option it names was set (`where_of`), found among `settings`.
Status StoreFrom(const po::parsed_options& parsed, po::variables_map& vm,
                 const std::vector<Setting>& settings) {
  try {
    po::store(parsed, vm);
    return Status::Ok();
  } catch (const po::error_with_option_name& e) {
    std::string option = e.get_option_name();
    option.erase(0, option.find_first_not_of('-'));
    const std::string message = e.what();
    const Setting* found = nullptr;
    for (const Setting& setting : settings) {
      if (setting.option != option) continue;
      if (found == nullptr || message.find("'" + setting.value + "'") != std::string::npos) {
        found = &setting;
      }
    }
    return Status::Error((found != nullptr ? found->where + ": " : "") + message);
  } catch (const po::error& e) {
    return Status::Error(e.what());
  }
}

}  // namespace

std::string EnvironmentName(const std::string& option) {
  std::string name = kPrefix + option;
  for (char& c : name) {
    c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

Result<ConfigSources> ConfigSources::Store(const po::options_description& desc,
                                           const po::parsed_options& command_line,
                                           po::variables_map& vm) {
  ConfigSources sources;
  for (const po::option& given : command_line.options) {
    if (given.string_key.empty() || given.unregistered) continue;
    // A switch given bare has no value.
    const std::vector<std::string> values =
        given.value.empty() ? std::vector<std::string>{"true"} : given.value;
    for (const std::string& value : values) {
      sources.settings_.push_back({given.string_key, value, Setting::Source::kCommandLine, ""});
    }
  }

  std::set<std::string> unknown;  // sorted, so the message is the same each time
  po::parsed_options environment = po::parse_environment(
      desc, [&](const std::string& variable) -> std::string {
        if (!variable.starts_with(kPrefix) || IsOwnVariable(variable)) return "";
        const std::string option = OptionName(variable);
        const po::option_description* known =
            option.empty() ? nullptr : desc.find_nothrow(option, false);
        if (known == nullptr || known->long_name() != option || IsCommandOption(option)) {
          unknown.insert(variable);
          return "";
        }
        return option;
      });
  if (!unknown.empty()) {
    const std::string& variable = *unknown.begin();
    const std::string option = OptionName(variable);
    if (IsCommandOption(option)) {
      return Status::Error("environment " + variable + ": --" + option +
                           " is a command, not a setting");
    }
    return Status::Error("unknown environment variable " + variable +
                         ": SHOAL_ variables name options, as SHOAL_WORKERS sets --workers");
  }
  std::vector<Setting> from_environment;
  for (po::option& given : environment.options) {
    given.value = SplitValues(given.string_key, given.value.at(0));
    for (const std::string& value : given.value) {
      from_environment.push_back({given.string_key, value, Setting::Source::kEnvironment,
                                  EnvironmentName(given.string_key)});
    }
  }
  if (Status stored = StoreFrom(environment, vm, from_environment); !stored.ok()) return stored;
  sources.settings_.insert(sources.settings_.end(), from_environment.begin(),
                           from_environment.end());

  if (vm.count("config")) {
    const std::string path = vm["config"].as<std::string>();
    Result<std::vector<ConfigFileEntry>> entries = ReadConfigFile(path, desc);
    if (!entries.ok()) return entries.status();
    std::ostringstream text;
    std::vector<Setting> from_file;
    for (const ConfigFileEntry& entry : entries.value()) {
      text << entry.key << '=' << entry.value << '\n';
      from_file.push_back({entry.key, entry.value, Setting::Source::kFile,
                           path + ":" + std::to_string(entry.line)});
    }
    std::istringstream in(text.str());
    Status stored = Status::Ok();
    try {
      stored = StoreFrom(po::parse_config_file(in, desc), vm, from_file);
    } catch (const po::error& e) {
      stored = Status::Error("--config " + path + ": " + e.what());
    }
    if (!stored.ok()) return stored;
    sources.settings_.insert(sources.settings_.end(), from_file.begin(), from_file.end());
  }
  if (Status paste = sources.StorePasteServer(desc, vm); !paste.ok()) return paste;
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    return Status::Error(e.what());
  }
  return sources;
}

Status ConfigSources::StorePasteServer(const po::options_description& desc,
                                       po::variables_map& vm) {
  if (!vm.count("paste")) return Status::Ok();
  Result<PasteSpec> spec = ParsePasteSpec(vm["paste"].as<std::string>());
  if (!spec.ok()) return spec.status();
  Result<PasteServer> server = ReadPasteServer(spec.value());
  if (!server.ok()) return server.status();
  if (!server.value().warning.empty()) warnings_.push_back(server.value().warning);
  auto given = [&vm](const char* option) { return vm.count(option) && !vm[option].defaulted(); };
  std::vector<std::string> tokens;
  std::vector<Setting> from_paste;
  for (const PasteServer::Setting& setting : server.value().settings) {
    const std::string& option = setting.option;
    // Overridden, and also what would clash with the option that overrides:
    // a fixed pool given elsewhere replaces flup's adaptive one; --inetd
    // (one connection, no pool) the address and the pool.
    const bool pool = option == "min-spare" || option == "max-spare" || option == "max-children";
    const bool inetd = vm["inetd"].as<bool>();
    if (given(option.c_str()) || (pool && (given("workers") || inetd)) ||
        (option == "bind" && inetd)) {
      continue;
    }
    tokens.push_back(setting.token);
    from_paste.push_back({option, setting.value, Setting::Source::kPasteServer, setting.where});
  }
  try {
    Status stored = StoreFrom(po::command_line_parser(tokens).options(desc).run(), vm, from_paste);
    if (!stored.ok()) return stored;
  } catch (const po::error& e) {
    return Status::Error("--paste " + spec.value().file + ": " + e.what());
  }
  settings_.insert(settings_.end(), from_paste.begin(), from_paste.end());
  return Status::Ok();
}

std::vector<Setting> ConfigSources::SettingsOf(const std::string& option) const {
  std::vector<Setting> found;
  for (const Setting& setting : settings_) {
    if (setting.option == option) found.push_back(setting);
  }
  return found;
}

Status ConfigSources::Attribute(const Status& error) const {
  const std::string& message = error.message();
  std::vector<std::string> notes;
  std::set<std::string> seen;
  for (size_t dashes = message.find("--"); dashes != std::string::npos;
       dashes = message.find("--", dashes + 2)) {
    size_t end = dashes + 2;
    while (end < message.size() && (std::islower(static_cast<unsigned char>(message[end])) ||
                                    std::isdigit(static_cast<unsigned char>(message[end])) ||
                                    message[end] == '-')) {
      ++end;
    }
    const std::string option = message.substr(dashes + 2, end - dashes - 2);
    if (option.empty() || !seen.insert(option).second) continue;
    const std::vector<Setting> settings = SettingsOf(option);
    if (settings.empty()) continue;
    const Setting* chosen = &settings.front();  // the one in force
    for (const Setting& setting : settings) {
      if (message.find("'" + setting.value + "'") != std::string::npos) chosen = &setting;
    }
    if (chosen->source == Setting::Source::kFile ||
        chosen->source == Setting::Source::kPasteServer) {
      notes.push_back("--" + option + " is set in " + chosen->where);
    } else if (chosen->source == Setting::Source::kEnvironment) {
      notes.push_back("--" + option + " is set by " + chosen->where);
    }
  }
  if (notes.empty()) return error;
  std::string attributed = message + " (";
  for (size_t i = 0; i < notes.size(); ++i) attributed += (i > 0 ? "; " : "") + notes[i];
  return Status::Error(attributed + ")");
}

std::string ConfigSources::Describe(const po::options_description& desc) const {
  std::ostringstream out;
  for (const auto& option : desc.options()) {
    const std::string& name = option->long_name();
    if (IsCommandOption(name)) continue;
    std::vector<Setting> settings = SettingsOf(name);
    if (!option->semantic()->is_composing() && settings.size() > 1) settings.resize(1);
    for (const Setting& setting : settings) {
      out << name << " = " << setting.value << "  # " << SourceText(setting) << '\n';
    }
    if (!settings.empty()) continue;
    // format_parameter() is "NAME (=default)" when there is a default.
    const std::string parameter = option->format_parameter();
    const size_t open = parameter.find(" (=");
    if (option->semantic()->max_tokens() == 0) {
      out << name << " = false  # default\n";
    } else if (open != std::string::npos && parameter.ends_with(")")) {
      out << name << " = " << parameter.substr(open + 3, parameter.size() - open - 4)
          << "  # default\n";
    } else {
      out << "# " << name << ": not set\n";
    }
  }
  return out.str();
}

}  // namespace shoal::daemon
