"""log_flood: the app the logging tests (tests/logs_test.cc) drive.

  /flood?n=N&seq=S  writes N lines to wsgi.errors and one to sys.stdout, then
                    200 with the worker's pid. Line i of request S is
                    "flood pid=P seq=S.i len=L " and L copies of one letter,
                    L cycling through 10, 1000 and 3800 bytes, so a torn or
                    interleaved line cannot pass for a whole one
  /pid?seconds=X    sleeps X seconds (at most 5), then 200 with the pid
  /drip             200, then a 1 KiB chunk every 50 ms for 10 s: for clients
                    that go away in the middle
  anything else     404 "not here\\n"
"""
import os
import string
import sys
import time
import urllib.parse

_LENGTHS = (10, 1000, 3800)


def _query(environ):
    return urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))


def _respond(start_response, status, body):
    start_response(status, [("Content-Type", "text/plain"),
                            ("Content-Length", str(len(body)))])
    return [body]


def _flood(environ, start_response):
    query = _query(environ)
    count = min(int(query.get("n", ["3"])[0]), 100)
    seq = query.get("seq", ["0"])[0]
    errors = environ["wsgi.errors"]
    pid = os.getpid()
    for i in range(count):
        length = _LENGTHS[i % len(_LENGTHS)]
        letter = string.ascii_letters[(pid + i) % len(string.ascii_letters)]
        errors.write("flood pid=%d seq=%s.%d len=%d %s\n" % (pid, seq, i, length, letter * length))
    errors.flush()
    print("flood pid=%d seq=%s.stdout len=1 x" % (pid, seq))
    sys.stdout.flush()
    return _respond(start_response, "200 OK", str(pid).encode())


def _pid(environ, start_response):
    seconds = min(float(_query(environ).get("seconds", ["0"])[0]), 5.0)
    time.sleep(seconds)
    return _respond(start_response, "200 OK", str(os.getpid()).encode())


def _drip(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    for _ in range(200):
        yield b"d" * 1024
        time.sleep(0.05)


def app(environ, start_response):
    path = environ.get("PATH_INFO", "") or "/"
    if path == "/flood":
        return _flood(environ, start_response)
    if path == "/pid":
        return _pid(environ, start_response)
    if path == "/drip":
        return _drip(environ, start_response)
    return _respond(start_response, "404 Not Found", b"not here\n")
