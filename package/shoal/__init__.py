"""shoal: serve a WSGI application over FastCGI, SCGI or AJP13 from a Python
program, with the same C++ core as the shoal daemon.

    import shoal
    shoal.serve(application, bind='unix:/run/app.sock', protocol='scgi', workers=4)

Every option of the daemon is a keyword, its name with '_' for '-'
(``max_requests=1000`` is ``--max-requests=1000``), checked as the daemon
checks it. ``serve`` returns True when HUP or USR2 stopped it (the program
decides whether to start again: the daemon re-executes itself), False after
TERM, INT or QUIT. flup's servers are in ``shoal.server``; one request on
stdin is ``shoal.inetd.run_app``.
"""
from . import _shoal

__version__ = _shoal.__version__
__all__ = ['serve', '__version__']

# The option table: name (with dashes) -> whether it takes a value.
_OPTIONS = dict(_shoal.options())

# The daemon's options a program cannot use, and why.
_REFUSED = {
    'app': "the application is serve()'s first argument",
    'paste': "the application is serve()'s first argument",
    'wsgi-file': "the application is serve()'s first argument",
    'callable': "the application is serve()'s first argument",
    'mount': 'a program serves the one application it gives (dispatch in it, e.g. '
             'werkzeug.middleware.dispatcher)',
    'lazy-apps': 'the application is already imported in this program',
    'daemonize': 'a program is started by its supervisor (or detaches itself)',
    'inetd': 'use shoal.inetd.run_app(app)',
    'virtualenv': 'the interpreter is already running: start the program with the venv\'s '
                  'python',
    'python-home': 'the interpreter is already running',
    'optimize': 'the interpreter is already running: start the program with python3 -O',
    'chdir': 'the application is already imported: call os.chdir() before run()',
    'pythonpath': 'the application is already imported: extend sys.path before importing it',
    'env': 'the application is already imported: set os.environ before importing it',
    'middleware': 'the application is already made: wrap it before passing it',
    'exec': 'the program runs its own start-up code before importing the application',
    'exec-file': 'the program runs its own start-up code before importing the application',
    'on-request': 'wrap the application in the program (a WSGI middleware) instead',
    'after-request': 'wrap the application in the program (a WSGI middleware) instead',
    'reload-on-change': 'a program is restarted by its supervisor (run() returns True on HUP)',
    'reload-mechanism': 'a program is restarted by its supervisor (run() returns True on HUP)',
    'help': 'see shoal --help',
    'version': 'see shoal.__version__',
    'check-config': 'see shoal --check-config',
}


def _value_word(name, value):
    """The text of --NAME's value for the Python `value`."""
    if isinstance(value, bool):
        raise TypeError(f"{name.replace('-', '_')}={value!r}: expected a value, not a bool")
    if name in ('bind', 'stats') and isinstance(value, tuple):
        host, port = value
        host = host or '127.0.0.1'
        if ':' in host and not host.startswith('['):
            host = f'[{host}]'
        return f'{host}:{port}'
    if name == 'umask' and isinstance(value, int):
        return f'{value:04o}'
    return str(value)


def option_words(keywords, caller):
    """The daemon's option words for shoal's own keywords (`workers=3` ->
    ['--workers=3']). An unknown keyword is a TypeError naming it, as Python
    says it; one the daemon has but a program cannot use is a ValueError
    naming it and why."""
    words = []
    for key, value in keywords.items():
        name = key.replace('_', '-')
        if name not in _OPTIONS:
            raise TypeError(f"{caller}() got an unexpected keyword argument '{key}'")
        if name in _REFUSED:
            raise ValueError(f'{key}=: {_REFUSED[name]}')
        if value is None:
            continue
        if not _OPTIONS[name]:
            if not isinstance(value, bool):
                raise TypeError(f'{key}={value!r}: expected True or False')
            if value:
                words.append(f'--{name}')
            continue
        if isinstance(value, dict):
            values = [f'{k}={v}' for k, v in value.items()]
        elif isinstance(value, (list, tuple)) and name not in ('bind', 'stats'):
            values = list(value)
        else:
            values = [value]
        words.extend(f'--{name}={_value_word(name, v)}' for v in values)
    return words


def _which_keyword(message, keywords):
    """The keyword the daemon's error line names (it says --NAME), or None."""
    for key in keywords:
        if f"--{key.replace('_', '-')}" in message:
            return key
    return None


def run(app, words, keywords=None, notes=()):
    """Serves `app` with the daemon's option `words`; see serve(). A bad
    value is a ValueError naming its keyword (from `keywords`, if the
    daemon's line names one)."""
    try:
        return _shoal.serve(app, list(words), list(notes))
    except ValueError as error:
        key = _which_keyword(str(error), keywords or {})
        if key is None:
            raise
        raise ValueError(f'{key}={keywords[key]!r}: {error}') from None


def serve(app, **options):
    """Serves the WSGI callable `app` in this process, which becomes
    shoal's master: it binds (`bind=`), forks the workers from this
    program as it is, supervises them, and returns once stopped: True after
    HUP or USR2, False after TERM, INT or QUIT. Keywords are the daemon's
    options (shoal --help), '_' for '-': bind, protocol, workers,
    min_spare, max_spare, max_children, max_requests, script_name, stats,
    access_log, timeout, user, ..."""
    return run(app, option_words(options, 'serve'), options)
