"""Each call a script might make that shoal refuses: one line per case,
'CASE<TAB>ExceptionType<TAB>message' (or 'CASE<TAB>accepted'). Nothing is
served: every case fails before binding."""
import shoal
import shoal.inetd
from shoal.server import ajp_fork, fcgi_fork, scgi_fork
from wsgi_app import application

CASES = {
    'multiplexed': lambda: fcgi_fork.WSGIServer(application, multiplexed=True).run(),
    'roles': lambda: fcgi_fork.WSGIServer(application, roles=(2,)).run(),
    'forceCGI': lambda: fcgi_fork.WSGIServer(application, forceCGI=True).run(),
    'maxChildren': lambda: scgi_fork.WSGIServer(application, maxChildren='ten').run(),
    'unknown_flup': lambda: ajp_fork.WSGIServer(application, maxThreadz=3).run(),
    'unknown_serve': lambda: shoal.serve(application, wrokers=3),
    'workers_value': lambda: shoal.serve(application, bind='127.0.0.1:1', workers='many'),
    'workers_bool': lambda: shoal.serve(application, bind='127.0.0.1:1', workers=True),
    'protocol_value': lambda: shoal.serve(application, bind='127.0.0.1:1', protocol='http'),
    'lazy_apps': lambda: shoal.serve(application, bind='127.0.0.1:1', lazy_apps=True),
    'mount': lambda: shoal.serve(application, mount=['/x=probe:app']),
    'chdir': lambda: shoal.serve(application, bind='127.0.0.1:1', chdir='/srv'),
    'not_callable': lambda: shoal.serve(42, bind='127.0.0.1:1'),
}

for case, call in CASES.items():
    try:
        call()
        print(f'{case}\taccepted', flush=True)
    except Exception as error:  # noqa: BLE001 (each case's exception is the answer)
        print(f'{case}\t{type(error).__name__}\t{error}', flush=True)
