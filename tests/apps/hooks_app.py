"""The app, middleware and request hooks tests/hooks_test.cc serves.

app: reports which middleware it passed, on the way in, as
"middleware<TAB>outer,inner" (the list in environ['hooks.passed']).
counting_app: a generator body that yields b'' right after start_response,
then five chunks; when it ends (or is closed) it appends
"METHOD<TAB>chunks produced" to the file $HOOKS_COUNT_FILE.
check_access: --on-request; /private/... is answered 403 by a WSGI app of
its own, /hook-error raises, anything else goes on to the app.
log_after: --after-request; appends "path<TAB>status<TAB>bytes<TAB>seconds"
to $HOOKS_AFTER_FILE.
"""
import os


def app(environ, start_response):
    passed = ','.join(environ.get('hooks.passed', []))
    body = ('middleware\t%s\npath\t%s\n' % (passed, environ.get('PATH_INFO', ''))).encode()
    start_response('200 OK', [('Content-Type', 'text/plain'),
                              ('Content-Length', str(len(body)))])
    return [body]


def _named(name):
    def wrap(inner):
        def middleware(environ, start_response):
            environ.setdefault('hooks.passed', []).append(name)
            return inner(environ, start_response)
        return middleware
    return wrap


first = _named('first')
second = _named('second')
third = _named('third')


def not_a_wrapper(inner):
    return None


def counting_app(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])

    def body():
        produced = 0
        try:
            yield b''
            for i in range(5):
                produced += 1
                yield b'chunk %d\n' % i
        finally:
            with open(os.environ['HOOKS_COUNT_FILE'], 'a') as out:
                out.write('%s\t%d\n' % (environ['REQUEST_METHOD'], produced))
    return body()


def _forbidden(environ, start_response):
    body = b'denied by the access hook\n'
    start_response('403 Forbidden', [('Content-Type', 'text/plain'),
                                     ('Content-Length', str(len(body)))])
    return [body]


def check_access(environ):
    path = environ.get('PATH_INFO', '')
    if path.startswith('/private'):
        return _forbidden
    if path == '/hook-error':
        raise RuntimeError('the access hook failed')
    return None


def log_after(environ, status, bytes_sent, seconds):
    with open(os.environ['HOOKS_AFTER_FILE'], 'a') as out:
        out.write('%s\t%s\t%d\t%s\n' % (environ.get('PATH_INFO', ''), status, bytes_sent,
                                        'positive' if seconds > 0 else repr(seconds)))


def failing_after(environ, status, bytes_sent, seconds):
    raise ValueError('after-request hook broke')
