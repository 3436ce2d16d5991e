// The options that shape the embedded interpreter and what the app sees of
// its process and requests: --virtualenv (and uWSGI's --venv and --home for
// it), --python-home, --optimize, --env, --wsgi-var, --strip-authorization.
//
// Their rows are in the one option table (daemon/options.cc); this file
// checks their values into Options, and spells the command-line aliases.
// Master, at start-up, before anything is imported; pure except that the
// --virtualenv and --python-home checks look at the file system.
#pragma once

#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "base/status.h"
#include "daemon/options.h"

namespace shoal::daemon {

// `args` (argv without argv[0]) with uWSGI's names for --virtualenv,
// `--venv` and `--home` (also as `--venv=DIR`), written `--virtualenv`. They
// are command-line spellings only: the config file key and the environment
// variable are virtualenv and SHOAL_VIRTUALENV.
std::vector<std::string> SpellOptionAliases(std::vector<std::string> args);

// Fills o.virtualenv, o.python_home, o.optimize, o.env, o.wsgi_vars and
// o.strip_authorization from `vm`. Directories are made absolute against the
// current (starting) directory. Returns an error naming the option and the
// value: a --virtualenv without pyvenv.cfg, a --python-home that is not a
// directory (or is a venv), an --optimize other than 0, 1 or 2, a KEY=VALUE
// without '=' or with an empty KEY, an --env KEY naming a SHOAL_ variable,
// a --wsgi-var for wsgi.input or wsgi.errors.
Status FillPythonOptions(const boost::program_options::variables_map& vm, Options& o);

}  // namespace shoal::daemon
