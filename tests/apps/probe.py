"""probe: the WSGI app the integration tests talk to, one route per behaviour.

  /                  200 "Hello from probe\n"
  /echo              200, the request body exactly (read with CONTENT_LENGTH)
  /missing           404 with a short body
  /raise             raises RuntimeError("boom from probe") before start_response
  /slow?seconds=1.5  sleeps that long (at most 30 s), then 200 "slept\n";
                     with &started=PATH, first creates the file PATH, so a
                     test can tell the request is in the app
  /pid               200, the pid of the worker that served the request
"""
import os
import time
import urllib.parse


def _path(environ):
    # nginx's fastcgi_params sends REQUEST_URI but no PATH_INFO; accept either.
    path = environ.get("PATH_INFO", "")
    if not path:
        path = urllib.parse.urlsplit(environ.get("REQUEST_URI", "/")).path
    return path or "/"


def _respond(start_response, status, body, content_type="text/plain"):
    start_response(status, [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
    ])
    return [body]


def _echo(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    chunks = []
    while length > 0:
        chunk = stream.read(min(length, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        length -= len(chunk)
    return _respond(start_response, "200 OK", b"".join(chunks),
                    "application/octet-stream")


def _slow(environ, start_response):
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    seconds = min(float(query.get("seconds", ["1"])[0]), 30.0)
    for started in query.get("started", []):
        with open(started, "w"):
            pass
    time.sleep(seconds)
    return _respond(start_response, "200 OK", b"slept\n")


def app(environ, start_response):
    path = _path(environ)
    if path == "/":
        return _respond(start_response, "200 OK", b"Hello from probe\n")
    if path == "/echo":
        return _echo(environ, start_response)
    if path == "/raise":
        raise RuntimeError("boom from probe")
    if path == "/slow":
        return _slow(environ, start_response)
    if path == "/pid":
        return _respond(start_response, "200 OK", str(os.getpid()).encode())
    return _respond(start_response, "404 Not Found", b"no such page: probe\n")
