"""An app that needs what --exec-file and --exec defined in shoal_startup:
FROM_FILE (set by tests' startup file) and FROM_EXEC (set by --exec, which
runs after the files and may use what they defined); and the --middleware
it passed (environ['hooks.passed'], as tests/apps/hooks_app.py's add it)."""
from shoal_startup import FROM_EXEC, FROM_FILE


def app(environ, start_response):
    body = ('from_file\t%s\nfrom_exec\t%s\nmiddleware\t%s\n'
            % (FROM_FILE, FROM_EXEC, ','.join(environ.get('hooks.passed', [])))).encode()
    start_response('200 OK', [('Content-Type', 'text/plain'),
                              ('Content-Length', str(len(body)))])
    return [body]
