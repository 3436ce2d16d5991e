"""broken_import: an app module that fails while being imported.

shoal must exit 1 and name the exception, its message and this file (line 7).
"""


raise RuntimeError("broken at import")


def app(environ, start_response):  # never reached
    start_response("200 OK", [])
    return [b""]
