"""flup.server.ajp on shoal: flup's threaded AJP server, with its
keywords and defaults (bindAddress=('localhost', 8009)), served by shoal's prefork core.

    from shoal.server.ajp import WSGIServer
    ret = WSGIServer(application, bindAddress=...).run()
"""
from . import _flup

__all__ = ['WSGIServer']


class WSGIServer(_flup.Server):
    protocol = 'ajp'
    threaded = True
    name = __name__

    def __init__(self, application, scriptName='', environ=None, bindAddress=('localhost', 8009),
                 **keywords):
        super().__init__(application, scriptName=scriptName, environ=environ,
                         bindAddress=bindAddress, **keywords)
