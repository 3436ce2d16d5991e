"""flup.server.scgi_fork on shoal: flup's preforking SCGI server, with its
keywords and defaults (bindAddress=('localhost', 4000)), served by shoal's prefork core.

    from shoal.server.scgi_fork import WSGIServer
    ret = WSGIServer(application, bindAddress=...).run()
"""
from . import _flup

__all__ = ['WSGIServer']


class WSGIServer(_flup.Server):
    protocol = 'scgi'
    threaded = False
    name = __name__

    def __init__(self, application, scriptName=_flup.NoDefault, environ=None, bindAddress=('localhost', 4000),
                 **keywords):
        super().__init__(application, scriptName=scriptName, environ=environ,
                         bindAddress=bindAddress, **keywords)
