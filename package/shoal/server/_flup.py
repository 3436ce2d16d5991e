"""What flup's WSGIServer classes share here: flup's keywords mapped onto
shoal's option words, and run().

flup's keyword names become the words the daemon reads from a runfcgi or
flup command line (``maxChildren=10``, ``bindAddress=HOST:PORT``), so the
daemon's table checks them and refuses what shoal cannot honour
(``multiplexed=True``) with the reason; any other keyword is one of shoal's
own options (``stats='unix:/run/app.stats'``)."""
import logging
import os

import shoal

FCGI_RESPONDER = 1


class _NoDefault:
    def __repr__(self):
        return 'NoDefault'


NoDefault = _NoDefault()


def _level_name(level):
    if level <= logging.DEBUG:
        return 'debug'
    if level <= logging.INFO:
        return 'info'
    if level <= logging.WARNING:
        return 'warning'
    return 'error'


def _bind_word(address):
    """flup's bindAddress as the word bindAddress=: (host, port) or a path."""
    if isinstance(address, (tuple, list)):
        host, port = address
        if host in ('', 'localhost'):
            host = '127.0.0.1'
        if ':' in host and not host.startswith('['):
            host = f'[{host}]'
        return f'bindAddress={host}:{int(port)}'
    if isinstance(address, (str, bytes, os.PathLike)):
        return f'bindAddress={os.fsdecode(address)}'
    raise TypeError(f'bindAddress={address!r}: expected (host, port) or a socket path')


class Server:
    """One of flup's WSGIServer classes (see the modules beside this one).

    `protocol`: shoal's --protocol; `threaded`: flup's class was a threaded
    server (a log line says shoal prefork serves it); `name`: the module, for
    that line and for errors."""

    protocol = 'fastcgi'
    threaded = False
    name = 'shoal.server'

    def __init__(self, application, scriptName=NoDefault, environ=None, bindAddress=None,
                 umask=None, multiplexed=False, debug=False, roles=(FCGI_RESPONDER,),
                 forceCGI=False, timeout=None, allowedServers=None, loggingLevel=logging.INFO,
                 minSpare=None, maxSpare=None, maxChildren=None, maxRequests=None,
                 maxThreads=None, **options):
        if not callable(application):
            raise TypeError(f'application={application!r}: expected a WSGI callable')
        self.application = application
        words = [f'--protocol={self.protocol}']
        keywords = dict(options)
        if scriptName is not NoDefault and scriptName is not None:
            words.append(f'scriptName={scriptName}')
        if bindAddress is not None:
            words.append(_bind_word(bindAddress))
        if umask is not None:
            words.append(f'umask={umask:04o}' if isinstance(umask, int) else f'umask={umask}')
        words.append(f'multiplexed={multiplexed}')
        words.append(f'debug={bool(debug)}')
        if tuple(roles) != (FCGI_RESPONDER,):
            raise ValueError(f'roles={roles!r}: shoal serves the FastCGI Responder role only '
                             f'(FCGI_RESPONDER); leave roles out')
        if forceCGI:
            raise ValueError('forceCGI=True: shoal serves FastCGI, SCGI or AJP13, never CGI on '
                             'stdin; leave it out')
        if timeout is not None:
            words.append(f'--timeout={timeout}')
        if allowedServers is not None:
            servers = [allowedServers] if isinstance(allowedServers, str) else allowedServers
            # The daemon reads flup's allowedServers from the environment,
            # as FastCGI's own FCGI_WEB_SERVER_ADDRS.
            os.environ['FCGI_WEB_SERVER_ADDRS'] = ','.join(servers)
        words.append(f'--log-level={_level_name(loggingLevel)}')
        self.notes = []
        if maxThreads is not None:
            if not self.threaded:
                raise TypeError(f"{self.name}.WSGIServer() got an unexpected keyword argument "
                                f"'maxThreads'")
            maxChildren = maxThreads if maxChildren is None else maxChildren
        pool = {'minSpare': minSpare, 'maxSpare': maxSpare, 'maxChildren': maxChildren,
                'maxRequests': maxRequests}
        # flup's fork servers always grow and shrink (1 to 5 spare, at most
        # 50), unless shoal's own workers= asks for a fixed pool.
        if 'workers' not in options:
            if pool['maxChildren'] is None:
                pool['maxChildren'] = 50
            # (A small maxChildren caps the defaults under it.)
            cap = pool['maxChildren'] if isinstance(pool['maxChildren'], int) else 50
            for key, default in (('minSpare', 1), ('maxSpare', 5)):
                if pool[key] is None:
                    pool[key] = max(min(default, cap), 1)
        for key, value in pool.items():
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f'{key}={value!r}: expected an int')
                words.append(f'{key}={value}')
        if environ:
            words.extend(f'--wsgi-var={key}={value}' for key, value in environ.items())
        if self.threaded:
            self.notes.append(f"{self.name}: flup's threaded server is served by shoal's "
                              f"prefork core: a worker process per request in flight, not a "
                              f"thread")
        words.extend(shoal.option_words(keywords, 'WSGIServer'))
        self.words = words
        self.keywords = keywords

    def run(self):
        """Serves until stopped: True after HUP (or USR2), False after TERM,
        INT or QUIT, as flup's run() returns."""
        return shoal.run(self.application, self.words, self.keywords, self.notes)
