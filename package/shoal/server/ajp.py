"""flup.server.ajp on shoal: flup's threaded AJP server, with its
keywords and defaults (bindAddress=('localhost', 8009)), served by shoal's prefork core.

    from shoal.server.ajp import WSGIServer
    ret = WSGIServer(application, bindAddress=...).run()
"""
from . import ajp_fork

__all__ = ['WSGIServer']


class WSGIServer(ajp_fork.WSGIServer):
    """ajp_fork's WSGIServer, keywords and defaults alike, said to be threaded."""

    threaded = True
    name = __name__
