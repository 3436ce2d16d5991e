#include "daemon/argument_words.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "base/ascii.h"

namespace shoal::daemon {
namespace {

constexpr const char* kKnownWords =
    "runfcgi's protocol, host, port, socket, method, minspare, maxspare, maxchildren, "
    "maxrequests, daemonize, pidfile, workdir, umask, outlog, errlog, debug; flup's "
    "bindAddress, scriptName, multiplexed";

// One `key=value` word as typed; `key` lower-cased.
struct Word {
  std::string typed;
  std::string key;
  std::string value;
};

Status BadValue(const Word& word, const std::string& why) {
  return Status::Error("invalid value '" + word.value + "' for " + word.key + "=: " + why);
}

// runfcgi's true/yes/t and false/no/f, paste's on/off, and 1/0, in any case.
Result<bool> ParseBool(const Word& word) {
  const std::string value = AsciiLower(word.value);
  for (const char* yes : {"true", "yes", "y", "t", "on", "1"}) {
    if (value == yes) return true;
  }
  for (const char* no : {"false", "no", "n", "f", "off", "0"}) {
    if (value == no) return false;
  }
  return BadValue(word, "expected true or false (yes/no, 1/0)");
}

Status CheckNumber(const Word& word) {
  const bool digits = !word.value.empty() && word.value.size() <= 9 &&
                      std::all_of(word.value.begin(), word.value.end(),
                                  [](unsigned char c) { return std::isdigit(c); });
  return digits ? Status::Ok() : BadValue(word, "expected a whole number");
}

// What one word (or the host/port/socket group) becomes.
struct Translation {
  std::string option;               // the long option it sets, for conflicts
  std::optional<std::string> token;  // "--option=value", "--switch", or none
};

// host=, port=, socket=, bindAddress= → --bind.
Result<std::optional<Translation>> TranslateBind(const std::map<std::string, Word>& words) {
  auto find = [&](const char* key) -> const Word* {
    auto it = words.find(key);
    return it == words.end() ? nullptr : &it->second;
  };
  const Word* host = find("host");
  const Word* port = find("port");
  const Word* socket = find("socket");
  const Word* bind_address = find("bindaddress");
  std::vector<const Word*> given;
  for (const Word* word : {host, port, socket, bind_address}) {
    if (word != nullptr) given.push_back(word);
  }
  if (given.empty()) return std::optional<Translation>();
  const bool tcp = host != nullptr || port != nullptr;
  if ((socket != nullptr && tcp) || (bind_address != nullptr && given.size() > 1)) {
    std::string typed;
    for (const Word* word : given) typed += (typed.empty() ? "'" : " and '") + word->typed + "'";
    return Status::Error(typed + " both say where to listen: give socket=PATH, or host= and "
                         "port=, or bindAddress=");
  }
  std::string address;
  if (socket != nullptr) {
    if (socket->value.empty()) return BadValue(*socket, "expected a socket path");
    address = "unix:" + socket->value;
  } else if (bind_address != nullptr) {
    // flup's bindAddress: a string is a unix socket path; a (host, port)
    // tuple is written here as HOST:PORT, as --bind takes it.
    const std::string& value = bind_address->value;
    if (value.empty()) return BadValue(*bind_address, "expected PATH or HOST:PORT");
    const bool looks_tcp = value.find(':') != std::string::npos && value[0] != '/' &&
                           value[0] != '.';
    address = looks_tcp ? value : "unix:" + value;
  } else {
    if (port == nullptr) {
      return Status::Error("'" + host->typed + "' needs port= as well (runfcgi listens on "
                           "host= and port= together)");
    }
    if (Status number = CheckNumber(*port); !number.ok()) return number;
    // Without host=: loopback, as flup's 'localhost' default.
    std::string name = host == nullptr ? "127.0.0.1" : host->value;
    if (name.empty()) return BadValue(*host, "expected a host name or address");
    if (name.find(':') != std::string::npos && !name.starts_with('[')) name = "[" + name + "]";
    address = name + ":" + port->value;
  }
  return std::optional<Translation>(Translation{"bind", "--bind=" + address});
}

// Every other word, alone. nullopt: not a word shoal knows.
Result<std::optional<Translation>> TranslateOne(const Word& word) {
  using Found = std::optional<Translation>;
  const std::string& key = word.key;
  const std::string& value = word.value;
  // Words that carry their value to an option as they are.
  static const std::map<std::string, std::string> kPlain = {
      {"pidfile", "pidfile"},       {"workdir", "chdir"},         {"umask", "umask"},
      {"scriptname", "script-name"}, {"outlog", "stdout-log"},     {"errlog", "stderr-log"}};
  static const std::map<std::string, std::string> kNumbers = {{"minspare", "min-spare"},
                                                              {"maxspare", "max-spare"},
                                                              {"maxchildren", "max-children"},
                                                              {"maxrequests", "max-requests"}};
  if (auto it = kPlain.find(key); it != kPlain.end()) {
    if (value.empty()) {
      // flup's scriptName='' is the root, shoal's default.
      if (key == "scriptname") return Found(Translation{it->second, std::nullopt});
      return BadValue(word, "expected a value");
    }
    return Found(Translation{it->second, "--" + it->second + "=" + value});
  }
  if (auto it = kNumbers.find(key); it != kNumbers.end()) {
    if (Status number = CheckNumber(word); !number.ok()) return number;
    return Found(Translation{it->second, "--" + it->second + "=" + value});
  }
  if (key == "protocol") {
    const std::string name = AsciiLower(value);
    if (name != "fcgi" && name != "fastcgi" && name != "scgi" && name != "ajp") {
      return BadValue(word, "expected fcgi, scgi or ajp");
    }
    return Found(Translation{"protocol", "--protocol=" + name});
  }
  if (key == "daemonize" || key == "debug") {
    Result<bool> on = ParseBool(word);
    if (!on.ok()) return on.status();
    return Found(Translation{key, on.value() ? std::optional<std::string>("--" + key)
                                             : std::nullopt});
  }
  if (key == "method") {
    const std::string method = AsciiLower(value);
    if (method == "prefork" || method == "fork") return Found(Translation{"", std::nullopt});
    if (method == "thread" || method == "threaded") {
      return Status::Error("'" + word.typed + "' is refused: shoal has no threaded mode (each "
                           "worker is a process serving one request at a time); use "
                           "method=prefork, or leave method= out");
    }
    return BadValue(word, "expected prefork (shoal's only method)");
  }
  if (key == "multiplexed") {
    Result<bool> on = ParseBool(word);
    if (!on.ok()) return on.status();
    if (on.value()) {
      return Status::Error("'" + word.typed + "' is refused: shoal serves one FastCGI request "
                           "per connection at a time (flup ran a thread per multiplexed "
                           "request; nginx never multiplexes); leave it out");
    }
    return Found(Translation{"", std::nullopt});
  }
  if (key == "maxthreads") {
    return Status::Error("'" + word.typed + "' is refused: shoal has no threaded mode; give "
                         "maxchildren= for the number of worker processes");
  }
  return Found();
}

bool IsBindWord(const std::string& key) {
  return key == "host" || key == "port" || key == "socket" || key == "bindaddress";
}

}  // namespace

Result<std::vector<TranslatedWord>> TranslateKeywords(const std::vector<std::string>& typed) {
  std::map<std::string, Word> words;  // by lower-cased key
  std::vector<std::string> order;     // keys, in the order typed
  std::map<std::string, size_t> index_of;  // key → its index in `typed`
  for (size_t i = 0; i < typed.size(); ++i) {
    const std::string& arg = typed[i];
    const size_t equals = arg.find('=');
    if (equals == std::string::npos || equals == 0) {
      return Status::Error("unexpected argument '" + arg +
                           "': options begin with --, and runfcgi's and flup's settings are "
                           "words KEY=VALUE");
    }
    Word word{arg, AsciiLower(arg.substr(0, equals)), arg.substr(equals + 1)};
    if (auto seen = words.find(word.key); seen != words.end()) {
      return Status::Error("'" + seen->second.typed + "' and '" + arg + "' both set " + word.key +
                           "=: give it once");
    }
    order.push_back(word.key);
    index_of.emplace(word.key, i);
    words.emplace(word.key, std::move(word));
  }

  std::vector<TranslatedWord> out;
  std::map<std::string, std::string> set_by;  // long option → the word(s) that set it
  bool bind_done = false;
  for (const std::string& key : order) {
    const Word& word = words.at(key);
    std::optional<Translation> translation;
    if (IsBindWord(key)) {
      if (bind_done) continue;
      bind_done = true;
      Result<std::optional<Translation>> bind = TranslateBind(words);
      if (!bind.ok()) return bind.status();
      translation = bind.value();
    } else {
      Result<std::optional<Translation>> one = TranslateOne(word);
      if (!one.ok()) return one.status();
      if (!one.value()) {
        return Status::Error("unknown word '" + word.typed + "' (shoal knows " + kKnownWords +
                             ")");
      }
      translation = one.value();
    }
    if (!translation->option.empty()) {
      if (auto other = set_by.find(translation->option); other != set_by.end()) {
        return Status::Error("'" + other->second + "' and '" + word.typed + "' both set --" +
                             translation->option + ": give one");
      }
      set_by.emplace(translation->option, word.typed);
    }
    out.push_back({translation->option, translation->token, index_of.at(key)});
  }
  return out;
}

Result<std::vector<std::string>> TranslateWords(const std::vector<std::string>& args,
                                                const OptionLookup& lookup) {
  std::vector<std::string> out;
  std::map<std::string, std::string> options_given;  // long name → as typed
  std::vector<std::string> words;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      if (i + 1 < args.size()) {
        return Status::Error("unexpected argument '" + args[i + 1] + "' after '--'");
      }
      continue;
    }
    if (arg.starts_with("--")) {
      const size_t equals = arg.find('=');
      const std::string name = arg.substr(2, equals == std::string::npos ? std::string::npos
                                                                         : equals - 2);
      const OptionShape shape = lookup(name);
      out.push_back(arg);
      if (shape.long_name.empty()) continue;  // the option table reports it
      options_given.emplace(shape.long_name, "--" + name);
      if (equals == std::string::npos && shape.takes_value && i + 1 < args.size()) {
        out.push_back(args[++i]);
      }
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-') {  // -h, -V
      out.push_back(arg);
      continue;
    }
    words.push_back(arg);
  }
  Result<std::vector<TranslatedWord>> translated = TranslateKeywords(words);
  if (!translated.ok()) return translated.status();
  for (const TranslatedWord& word : translated.value()) {
    if (auto given = options_given.find(word.option);
        !word.option.empty() && given != options_given.end()) {
      return Status::Error("'" + words[word.word] + "' and " + given->second + " both set --" +
                           word.option + ": give one");
    }
    if (word.token) out.push_back(*word.token);
  }
  return out;
}

}  // namespace shoal::daemon
