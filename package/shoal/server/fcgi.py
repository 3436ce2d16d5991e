"""flup.server.fcgi on shoal: flup's threaded FCGI server, with its
keywords and defaults (bindAddress=None), served by shoal's prefork core.

    from shoal.server.fcgi import WSGIServer
    ret = WSGIServer(application, bindAddress=...).run()
"""
from . import fcgi_fork

__all__ = ['WSGIServer']


class WSGIServer(fcgi_fork.WSGIServer):
    """fcgi_fork's WSGIServer, keywords and defaults alike, said to be threaded."""

    threaded = True
    name = __name__
