"""flup.server.fcgi on shoal: flup's threaded FCGI server, with its
keywords and defaults (bindAddress=None), served by shoal's prefork core.

    from shoal.server.fcgi import WSGIServer
    ret = WSGIServer(application, bindAddress=...).run()
"""
from . import _flup

__all__ = ['WSGIServer']


class WSGIServer(_flup.Server):
    protocol = 'fastcgi'
    threaded = True
    name = __name__

    def __init__(self, application, scriptName=_flup.NoDefault, environ=None, bindAddress=None,
                 **keywords):
        super().__init__(application, scriptName=scriptName, environ=environ,
                         bindAddress=bindAddress, **keywords)
