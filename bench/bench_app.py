"""The WSGI app every contender of bench/throughput.py serves (shoal, uWSGI,
gunicorn), dispatching on PATH_INFO:

  /hello   "Hello, World!\\n", as cheap as examples/hello.py
  /json    a dict built and json.dumps'ed per request, about 10 KiB
  /big     a prebuilt 1 MiB body, one-element list
  /upload  reads wsgi.input fully (CONTENT_LENGTH bytes, in chunks) and
           answers the byte count as text

Serve it with:  build/shoal --app bench_app:app --chdir bench --bind unix:/tmp/b.sock
"""
import json

HELLO = b"Hello, World!\n"  # the same bytes as bench/c_responder.c answers
BIG = b"x" * (1 << 20)
BIG_LENGTH = str(len(BIG))
CHUNK = 64 * 1024
JSON_ITEMS = 59  # makes the body 10 KiB, give or take a few bytes


def make_json():
    """About 10 KiB of JSON, rebuilt on every call (the work is the point)."""
    return json.dumps({
        "status": "ok",
        "count": JSON_ITEMS,
        "items": [{
            "id": i,
            "name": "item-%d" % i,
            "email": "user%d@example.com" % i,
            "active": i % 3 != 0,
            "score": i * 1.25,
            "tags": ["alpha", "beta", "gamma"][: 1 + i % 3],
            "address": {"city": "Springfield", "zip": "%05d" % (i * 37)},
        } for i in range(JSON_ITEMS)],
    }).encode()


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/hello":
        start_response("200 OK", [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", "14"),
        ])
        return [HELLO]
    if path == "/json":
        body = make_json()
        start_response("200 OK", [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
        ])
        return [body]
    if path == "/big":
        start_response("200 OK", [
            ("Content-Type", "application/octet-stream"),
            ("Content-Length", BIG_LENGTH),
        ])
        return [BIG]
    if path == "/upload":
        remaining = int(environ.get("CONTENT_LENGTH") or 0)
        read = environ["wsgi.input"].read
        total = 0
        while remaining > 0:
            chunk = read(min(CHUNK, remaining))
            if not chunk:
                break
            total += len(chunk)
            remaining -= len(chunk)
        body = str(total).encode()
        start_response("200 OK", [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ])
        return [body]
    body = b"not found\n"
    start_response("404 Not Found", [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
    ])
    return [body]
