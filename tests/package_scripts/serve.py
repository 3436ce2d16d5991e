"""shoal's own names: serve.py KEY=VALUE... calls
shoal.serve(wsgi_app.application, KEY=VALUE...), VALUE a Python literal
when it is one; exits 42 after HUP, 0 after TERM."""
import ast
import sys

import shoal
from wsgi_app import application


def literal(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


keywords = {key: literal(value) for key, value in (arg.split('=', 1) for arg in sys.argv[1:])}
sys.exit(42 if shoal.serve(application, **keywords) else 0)
