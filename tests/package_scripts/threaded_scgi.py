"""flup's threaded SCGI server (flup.server.scgi) on shoal:
threaded_scgi.py SOCKET."""
import sys

from shoal.server.scgi import WSGIServer
from wsgi_app import application

sys.exit(WSGIServer(application, bindAddress=sys.argv[1], maxThreads=4).run() and 42 or 0)
