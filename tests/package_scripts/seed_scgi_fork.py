# The seed's daemontools script with only its import line changed (flup's
# `from flup.server.scgi_fork import WSGIServer`); its port comes from the
# test (the seed's was 8040).
import os
import sys
from shoal.server.scgi_fork import WSGIServer
from wsgi_app import application
server = WSGIServer(application, scriptName='/blog', bindAddress=('127.0.0.1', int(os.environ['SEED_PORT'])))
ret = server.run()
sys.exit(ret and 42 or 0)
