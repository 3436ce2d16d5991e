// Argument words: Django runfcgi's and flup's `key=value` settings, mixed
// freely with `--long` options, turned into shoal's own options before the
// option table (daemon/options.cc) parses them.
//
// `manage.py runfcgi protocol=scgi host=127.0.0.1 port=8040 maxchildren=10`
// and flup's keyword names (`maxChildren=`, `scriptName=`, `bindAddress=`)
// are read in any case. Each word becomes the option that carries the same
// setting (`maxchildren=10` → `--max-children=10`); words that shoal cannot
// honour (`method=threaded`, `multiplexed=true`) are refused with the reason.
// Runs in the master, before anything else; pure: it only reads its input.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace shoal::daemon {

// What TranslateWords needs to know of the option table: for the long
// option `name` (as typed after "--", possibly abbreviated), its full name,
// and whether it takes a value. An empty name: not an option of the table
// (left for the table's parser to report).
struct OptionShape {
  std::string long_name;
  bool takes_value = false;
};
using OptionLookup = std::function<OptionShape(std::string_view name)>;

// Translates `args` (argv without argv[0]). Returns them with every word
// replaced by `--option=value` (or `--switch`, or nothing), options and their
// values untouched and in order. Errors, one line each, naming what was typed:
//  - a word shoal does not know, or an argument that is neither an option
//    nor a word ("unexpected argument 'foo'");
//  - a refused word (method=threaded, multiplexed=true) and why;
//  - a bad value for a word (maxchildren=ten, debug=maybe, host= without port=);
//  - a word given twice (maxChildren= and maxchildren= count as one), two
//    words that set the same option (socket= and host=), or a word and the
//    option it stands for (pidfile= and --pidfile).
Result<std::vector<std::string>> TranslateWords(const std::vector<std::string>& args,
                                                const OptionLookup& lookup);

// What one word (or the host=/port=/socket= group) of TranslateKeywords
// becomes.
struct TranslatedWord {
  std::string option;                // the long option it sets; "" for none (method=prefork)
  std::optional<std::string> token;  // "--option=value", "--switch", or none (debug=false)
  size_t word = 0;                   // the index of the (first) word it came from
};

// Translates `words`, each KEY=VALUE and nothing else (as a PasteDeploy
// [server:main] section gives flup's settings, daemon/paste_server.h), in
// the order typed. Errors as TranslateWords's, but for options.
Result<std::vector<TranslatedWord>> TranslateKeywords(const std::vector<std::string>& words);

}  // namespace shoal::daemon
