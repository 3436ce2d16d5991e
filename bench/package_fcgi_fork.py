"""The seed's daemontools script on shoal.server.fcgi_fork (`import shoal`,
package/) serving bench_app, for bench/run's "package-fastcgi" row beside
the daemon serving the same app: the package is the same core, so the two
should be within a few per cent.

    PYTHONPATH=build-bench/python python3 bench/package_fcgi_fork.py SOCKET WORKERS

A fixed pool of WORKERS (shoal's workers= keyword, as the daemon's
--workers), the socket mode and grace the daemon's row gets.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from shoal.server.fcgi_fork import WSGIServer  # noqa: E402
from bench_app import app as application  # noqa: E402

server = WSGIServer(application, bindAddress=sys.argv[1], workers=int(sys.argv[2]),
                    socket_mode='0666', graceful_timeout=2)
ret = server.run()
sys.exit(ret and 42 or 0)
