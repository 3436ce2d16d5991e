"""slow_import: an app whose import takes TEST_IMPORT_SECONDS (default 1),
as a large Django project's does, to test what happens while workers boot.

  /    200 "imported slowly\\n"
"""
import os
import time

time.sleep(float(os.environ.get("TEST_IMPORT_SECONDS", "1")))


def app(environ, start_response):
    body = b"imported slowly\n"
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
