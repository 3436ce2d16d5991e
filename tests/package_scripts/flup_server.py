"""A flup-style script for the tests: flup_server.py MODULE BIND [KEY=VALUE...]

Serves wsgi_app.application with shoal.server.MODULE's WSGIServer, bound to
BIND (HOST:PORT as a (host, port) tuple, 'none' as None: fcgi_fork's
listening socket on fd 0, else a unix socket path), with
each KEY=VALUE a keyword (VALUE read as a Python literal when it is one),
and exits as the seed's script does: 42 after HUP, 0 after TERM."""
import ast
import importlib
import sys

from wsgi_app import application


def literal(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


module = importlib.import_module('shoal.server.' + sys.argv[1])
bind = sys.argv[2]
if bind == 'none':
    bind = None
elif ':' in bind:
    host, port = bind.rsplit(':', 1)
    bind = (host, int(port))
keywords = dict(arg.split('=', 1) for arg in sys.argv[3:])
server = module.WSGIServer(application, bindAddress=bind,
                           **{key: literal(value) for key, value in keywords.items()})
ret = server.run()
sys.exit(ret and 42 or 0)
