"""interp_probe: what the interpreter options made of the process serving.

For tests/python_options_test.cc. Every route answers 200 with one
"KEY<TAB>VALUE" line per fact:

  prefix, base_prefix, executable   sys.prefix, sys.base_prefix, sys.executable
  optimize                          sys.flags.optimize
  assert_runs                       "yes" if an assert statement runs, else "no"
  venv_package                      onlyinvenv.WHERE, a package only the test's
                                    venv has, or "<absent>"
  pid                               the pid serving the request
  factory_calls                     the pids that called make_app(), in order
  env:NAME                          os.environ[NAME] (or "<absent>") for each
                                    NAME in the query string (?A&B)

`app` is the app; `make_app()` is a factory returning it, and
`failing_factory()` one that raises.
"""
import os
import sys

try:
    import onlyinvenv
    venv_package = onlyinvenv.WHERE
except ImportError:
    venv_package = "<absent>"

factory_calls = []


def _assert_runs():
    try:
        assert False
    except AssertionError:
        return "yes"
    return "no"


def app(environ, start_response):
    facts = [
        ("prefix", sys.prefix),
        ("base_prefix", sys.base_prefix),
        ("executable", sys.executable),
        ("optimize", sys.flags.optimize),
        ("assert_runs", _assert_runs()),
        ("venv_package", venv_package),
        ("pid", os.getpid()),
        ("factory_calls", ",".join(str(pid) for pid in factory_calls)),
    ]
    for name in environ.get("QUERY_STRING", "").split("&"):
        if name:
            facts.append(("env:" + name, os.environ.get(name, "<absent>")))
    body = "".join("%s\t%s\n" % fact for fact in facts).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


def make_app():
    factory_calls.append(os.getpid())
    return app


def failing_factory():
    raise RuntimeError("no database for the factory")
