"""flup.server.scgi on shoal: flup's threaded SCGI server, with its
keywords and defaults (bindAddress=('localhost', 4000)), served by shoal's prefork core.

    from shoal.server.scgi import WSGIServer
    ret = WSGIServer(application, bindAddress=...).run()
"""
from . import scgi_fork

__all__ = ['WSGIServer']


class WSGIServer(scgi_fork.WSGIServer):
    """scgi_fork's WSGIServer, keywords and defaults alike, said to be threaded."""

    threaded = True
    name = __name__
