"""flup's servers on shoal's core: change ``from flup.server.scgi_fork
import WSGIServer`` to ``from shoal.server.scgi_fork import WSGIServer``.

fcgi_fork, scgi_fork, ajp_fork: flup's preforking servers, with flup's
signatures and defaults. fcgi, scgi, ajp: flup's threaded ones, served by
the same prefork core (one process per request in flight), which a log line
says when run() starts.
"""
