"""probe: the WSGI apps the integration tests talk to, one route per behaviour.

`app` is wrapped in the standard library's wsgiref.validate.validator, so any
slip in the environ or in how shoal drives the app (start_response, the
iterable, close(), wsgi.input) fails the request that exposed it.

  /                  200 "Hello from probe\\n"
  /echo              200, the request body exactly (read with CONTENT_LENGTH)
  /missing           404 with a short body
  /raise             raises RuntimeError("boom from probe") before start_response
  /slow?seconds=1.5  sleeps that long (at most 30 s), then 200 "slept\\n";
                     with &started=PATH, first creates the file PATH, so a
                     test can tell the request is in the app
  /pid               200, the pid of the worker that served the request
  /imported-by       200, "IMPORTER SERVER": the pid that imported this module
                     and the pid serving the request
  /environ...        200, one "KEY<TAB>VALUE" line per environ entry, sorted:
                     str values as they are, others as repr()
  /count, /unbuffered/count, /large/count (the config's upload locations)
                     200, "bytes<TAB>N" (body bytes wsgi.input gave, read in
                     64 KiB blocks; without CONTENT_LENGTH, to the end),
                     "rss_growth_kib<TAB>K" (the worker's peak RSS growth)
                     and "content_length<TAB>CONTENT_LENGTH" as it came
  /length (and under the upload locations)
                     200, "content_length<TAB>CONTENT_LENGTH", then
                     "bytes<TAB>N" and "sha256<TAB>HEX" of the body read as
                     Django reads it: exactly CONTENT_LENGTH bytes (none
                     when it is absent or empty)
  /read?bytes=N      200, how many bytes one wsgi.input.read(N) gave; the
                     rest of the body is left unread
  /stream?mib=N      200, N MiB of b"x" in 64 KiB chunks from a generator
  /file?path=P       200, the file P through wsgi.file_wrapper (offset=K skips
                     K bytes first; length=L sets Content-Length L)
  /lines             200, repr() of what readline(), readline(5),
                     readlines(10), iteration and read(-1) return, in turn
  /grow?mib=N        200, after keeping N more MiB alive in this worker
  /print             prints to sys.stdout and sys.stderr, writes wsgi.errors,
                     and logs through the logging module's last resort handler

`raw_app` is not validated: it misbehaves on purpose, to show what shoal does
with apps that break the rules (mount it with --mount /raw=probe:raw_app).

  /raw/bad-status        start_response("OK", ...)
  /raw/bad-header        a header value with CR LF in it
  /raw/hop-by-hop        a Connection header
  /raw/after-headers     sends a chunk, then raises
  /raw/after-headers-with-length
                         the same, with a Content-Length the body never reaches
  /raw/too-long          Content-Length 5 with a 10-byte body
  /raw/exc-info          start_response, then again with exc_info: 503
  /raw/write             the write() callable, then an iterable
  /raw/trickle           a generator: b"first\n", then 3 s later b"second\n"
  /raw/empty-then-raise  start_response, yields b"", then raises
  /raw/lines             as /lines, with read() (no argument: the validator
                         would refuse it)
  /raw/closing?marker=P  streams a chunk every 50 ms for 10 s; close()
                         creates the file P (for client aborts)
  /raw/file?path=P       as /file, unwrapped, so shoal sees its own
                         file_wrapper and takes the file fast path
  /raw/crash?how=H       kills the worker in the middle of the request: H is
                         segfault (a NULL read through ctypes), exit
                         (os._exit(3)) or abort (os.abort())
  /raw/bodyless?status=S&length=L&body=B&marker=P
                         start_response(S), with Content-Length L unless L
                         is empty, and ETag "v1"; body B is none (an empty
                         list, as Flask answers HEAD), list (L bytes of b"b"
                         in a list) or yield (the same from a generator whose
                         close() creates the file P)
"""
import gc
import hashlib
import logging
import os
import sys
import time
import urllib.parse
from wsgiref.validate import validator


def _path(environ):
    return environ.get("PATH_INFO", "") or "/"


def _query(environ):
    return urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))


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


def _read(environ, start_response):
    got = environ["wsgi.input"].read(int(_query(environ)["bytes"][0]))
    return _respond(start_response, "200 OK", str(len(got)).encode())


def _slow(environ, start_response):
    query = _query(environ)
    seconds = min(float(query.get("seconds", ["1"])[0]), 30.0)
    for started in query.get("started", []):
        with open(started, "w"):
            pass
    time.sleep(seconds)
    return _respond(start_response, "200 OK", b"slept\n")


def _status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _count(environ, start_response):
    before = _status_kib("VmRSS")
    stream = environ["wsgi.input"]
    total = 0
    while True:
        chunk = stream.read(65536)
        if not chunk:
            break
        total += len(chunk)
    growth = _status_kib("VmHWM") - before
    body = "bytes\t%d\nrss_growth_kib\t%d\ncontent_length\t%s\n" % (
        total, growth, environ.get("CONTENT_LENGTH", "<absent>"))
    return _respond(start_response, "200 OK", body.encode())


def _length(environ, start_response):
    declared = environ.get("CONTENT_LENGTH", "<absent>")
    left = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    digest = hashlib.sha256()
    total = 0
    while left > 0:
        chunk = stream.read(min(left, 65536))
        if not chunk:
            break
        digest.update(chunk)
        total += len(chunk)
        left -= len(chunk)
    body = "content_length\t%s\nbytes\t%d\nsha256\t%s\n" % (
        declared, total, digest.hexdigest())
    return _respond(start_response, "200 OK", body.encode())


def _stream(environ, start_response):
    mib = int(_query(environ).get("mib", ["1"])[0])
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    chunk = b"x" * 65536

    def generate():
        for _ in range(mib * 16):
            yield chunk
    return generate()


def _file(environ, start_response):
    query = _query(environ)
    handle = open(query["path"][0], "rb")
    handle.seek(int(query.get("offset", ["0"])[0]))
    headers = [("Content-Type", "application/octet-stream")]
    if "length" in query:
        headers.append(("Content-Length", query["length"][0]))
    start_response("200 OK", headers)
    return environ["wsgi.file_wrapper"](handle, 65536)


def _lines(environ, start_response, read_rest=lambda stream: stream.read(-1)):
    stream = environ["wsgi.input"]
    first = stream.readline()
    limited = stream.readline(5)
    some = stream.readlines(10)
    iterated = []
    for line in stream:
        iterated.append(line)
        if len(iterated) == 2:
            break
    rest = read_rest(stream)
    after = stream.read(10)
    body = repr((first, limited, some, iterated, rest, after)).encode()
    return _respond(start_response, "200 OK", body)


_kept = []
_IMPORTED_BY = os.getpid()


def _grow(environ, start_response):
    mib = int(_query(environ).get("mib", ["1"])[0])
    _kept.append(bytearray(mib << 20))  # zero-filled and touched: resident
    for block in _kept[-1:]:
        for i in range(0, len(block), 4096):
            block[i] = 1
    return _respond(start_response, "200 OK", str(os.getpid()).encode())


def _print(environ, start_response):
    print("probe printed to stdout")
    sys.stderr.write("probe wrote to stderr\n")
    environ["wsgi.errors"].write("probe wrote to wsgi.errors\n")
    environ["wsgi.errors"].flush()
    # No handler is configured: the logging module's last resort writes to
    # sys.stderr.
    logging.getLogger("probe").warning("probe logged a warning")
    return _respond(start_response, "200 OK", b"printed\n")


def _environ(environ, start_response):
    lines = []
    for key in sorted(environ):
        value = environ[key]
        lines.append("%s\t%s\n" % (key, value if isinstance(value, str) else repr(value)))
    return _respond(start_response, "200 OK", "".join(lines).encode("latin-1"))


_ROUTES = {
    "/echo": _echo,
    "/read": _read,
    "/slow": _slow,
    "/count": _count,
    "/length": _length,
    "/stream": _stream,
    "/file": _file,
    "/print": _print,
    "/grow": _grow,
    "/lines": _lines,
    "/environ": _environ,
}


def _probe(environ, start_response):
    path = _path(environ)
    if path == "/":
        return _respond(start_response, "200 OK", b"Hello from probe\n")
    if path == "/raise":
        raise RuntimeError("boom from probe")
    if path == "/pid":
        return _respond(start_response, "200 OK", str(os.getpid()).encode())
    if path == "/imported-by":
        body = "%d %d" % (_IMPORTED_BY, os.getpid())
        return _respond(start_response, "200 OK", body.encode())
    if path == "/gc-frozen":
        # How many objects gc.freeze() moved out of the collector's reach.
        return _respond(start_response, "200 OK", str(gc.get_freeze_count()).encode())
    if path.startswith("/environ"):
        path = "/environ"
    for upload_location in ("/unbuffered/", "/large/"):
        if path.startswith(upload_location):
            path = path.replace(upload_location, "/", 1)
    route = _ROUTES.get(path)
    if route is not None:
        return route(environ, start_response)
    return _respond(start_response, "404 Not Found", b"no such page: probe\n")


app = validator(_probe)


class _Closing:
    """Streams slowly; close() leaves a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __iter__(self):
        for _ in range(200):
            time.sleep(0.05)
            yield b"tick\n" * 1000

    def close(self):
        with open(self.marker, "w") as marker:
            marker.write("closed")


class _Generated:
    """An iterable over `blocks` whose close() creates the file `marker`."""

    def __init__(self, blocks, marker):
        self._blocks = iter(blocks)
        self._marker = marker

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._blocks)

    def close(self):
        if self._marker:
            open(self._marker, "w").close()


def _bodyless(environ, start_response):
    query = _query(environ)
    status = query.get("status", ["200"])[0]
    length = query.get("length", [""])[0]
    body = query.get("body", ["none"])[0]
    headers = [("Content-Type", "text/plain"), ("ETag", '"v1"')]
    if length:
        headers.append(("Content-Length", length))
    start_response(status + " Reason", headers)
    size = int(length or 10)
    if body == "list":
        return [b"b" * size]
    if body == "yield":
        return _Generated([b"b" * (size // 2), b"b" * (size - size // 2)],
                          query.get("marker", [""])[0])
    return []


def raw_app(environ, start_response):
    path = _path(environ)
    if path == "/bad-status":
        start_response("OK", [("Content-Type", "text/plain")])
        return [b"never sent"]
    if path == "/bad-header":
        start_response("200 OK", [("X-Evil", "a\r\nSet-Cookie: stolen=1")])
        return [b"never sent"]
    if path == "/hop-by-hop":
        start_response("200 OK", [("Connection", "close")])
        return [b"never sent"]
    if path == "/after-headers":
        start_response("200 OK", [("Content-Type", "text/plain")])

        def fail_midway():
            yield b"partial body " * 1000
            raise ValueError("failed after the headers")
        return fail_midway()
    if path == "/after-headers-with-length":
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", "20000")])

        def fail_before_the_end():
            yield b"partial body " * 1000
            raise ValueError("failed after the headers")
        return fail_before_the_end()
    if path == "/too-long":
        start_response("200 OK", [("Content-Length", "5")])
        return [b"0123456789"]
    if path == "/exc-info":
        start_response("200 OK", [("X-Replaced", "no")])
        try:
            raise KeyError("lookup failed")
        except KeyError:
            start_response("503 Service Unavailable", [("X-Replaced", "yes")],
                           sys.exc_info())
        return [b"replaced\n"]
    if path == "/trickle":
        # As streaming apps do: without it nginx holds small responses back.
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("X-Accel-Buffering", "no")])

        def trickle():
            yield b"first\n"
            time.sleep(3)
            yield b"second\n"
        return trickle()
    if path == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written, ")
        return [b"then returned\n"]
    if path == "/file":
        return _file(environ, start_response)
    if path == "/lines":
        return _lines(environ, start_response, lambda stream: stream.read())
    if path == "/empty-then-raise":
        start_response("200 OK", [("Content-Type", "text/plain")])

        def empty_then_fail():
            yield b""
            raise LookupError("failed before any body byte")
        return empty_then_fail()
    if path == "/bodyless":
        return _bodyless(environ, start_response)
    if path == "/crash":
        how = _query(environ).get("how", ["segfault"])[0]
        if how == "exit":
            os._exit(3)
        if how == "abort":
            os.abort()
        import ctypes
        ctypes.string_at(0)
    if path == "/closing":
        marker = _query(environ)["marker"][0]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _Closing(marker)
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"no such raw page\n"]
