#!/usr/bin/python3
"""hostile: how long another client waits while hostile clients hold shoal's workers.

Starts SHOAL (a shoal binary) with 2 workers on a unix socket, with the
probe app from tests/apps, then for each case opens 2 hostile connections
(as many as the workers) and times a plain FastCGI GET / from a third
client, capped at --cap seconds. Prints one line per case. Used for the
before/after figures of issue 14 (docs/BENCHMARKS.md):

    bench/hostile.py build/shoal [--cap 30] [--only NAME] [-- extra shoal options]
"""
import argparse
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APPS = os.path.join(ROOT, "tests", "apps")


def record(type_, content=b"", request_id=1):
    padding = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBx", 1, type_, request_id, len(content), padding) + content + b"\0" * padding


def name_value(name, value):
    return bytes([len(name), len(value)]) + name + value


def head(method, uri, length=None):
    params = name_value(b"REQUEST_METHOD", method) + name_value(b"REQUEST_URI", uri)
    params += name_value(b"SCRIPT_NAME", b"") + name_value(b"PATH_INFO", uri.split(b"?")[0])
    params += name_value(b"QUERY_STRING", uri.split(b"?")[1] if b"?" in uri else b"")
    if length is not None:
        params += name_value(b"CONTENT_LENGTH", str(length).encode())
    return record(1, b"\0\1\0\0\0\0\0\0") + record(4, params) + record(4)


def get(uri):
    return head(b"GET", uri) + record(5)


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def attack_for(stop, seconds):
    end = time.monotonic() + seconds
    while not stop.is_set() and time.monotonic() < end:
        time.sleep(0.05)


def idle(sock, stop, cap):
    attack_for(stop, cap)


def trickle_head(sock, stop, cap):
    end = time.monotonic() + cap
    for byte in get(b"/"):
        if stop.is_set() or time.monotonic() > end:
            return
        try:
            sock.send(bytes([byte]))
        except OSError:
            return
        time.sleep(1.0)


def trickle_body(sock, stop, cap):
    end = time.monotonic() + cap
    try:
        sock.send(head(b"POST", b"/echo", 100000))
        while not stop.is_set() and time.monotonic() < end:
            sock.send(record(5, b"x"))
            time.sleep(1.0)
    except OSError:
        return


def unread_response(sock, stop, cap):
    sock.send(get(b"/stream?mib=256"))
    attack_for(stop, cap)


def flood(message):
    def run(sock, stop, cap):
        sock.setblocking(False)
        burst = message * 512
        end = time.monotonic() + cap
        while not stop.is_set() and time.monotonic() < end:
            try:
                sock.send(burst)
            except BlockingIOError:
                time.sleep(0.02)
            except OSError:
                return
    return run


GET_VALUES = record(9, name_value(b"FCGI_MAX_CONNS", b"") + name_value(b"FCGI_MAX_REQS", b""), 0)
CPING = b"\x12\x34\x00\x01\x0a"

CASES = [
    ("idle connections", "fastcgi", idle),
    ("head trickled, a byte a second", "fastcgi", trickle_head),
    ("body trickled, a byte a second", "fastcgi", trickle_body),
    ("response never read", "fastcgi", unread_response),
    ("GET_VALUES flood, answers never read", "fastcgi", flood(GET_VALUES)),
    ("CPING flood, answers never read", "ajp", flood(CPING)),
]


def other_client_waits(path, protocol, cap):
    start = time.monotonic()
    sock = connect(path)
    sock.settimeout(cap)
    try:
        if protocol == "ajp":
            sock.send(CPING)
            ok = sock.recv(5) == b"AB\x00\x01\x09"
        else:
            sock.send(get(b"/"))
            data = b""
            while b"Hello from probe" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            ok = b"Hello from probe" in data
    except socket.timeout:
        ok = False
    finally:
        sock.close()
    return time.monotonic() - start, ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shoal")
    parser.add_argument("--cap", type=float, default=30)
    parser.add_argument("--only", default="", help="run the cases whose name holds this")
    parser.add_argument("extra", nargs="*")
    args = parser.parse_args()
    for name, protocol, behaviour in CASES:
        if args.only not in name:
            continue
        with tempfile.TemporaryDirectory() as scratch:
            path = os.path.join(scratch, "shoal.sock")
            server = subprocess.Popen(
                [args.shoal, "--app", "probe:app", "--chdir", APPS, "--bind", "unix:" + path,
                 "--protocol", protocol, "--workers", "2"] + args.extra,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                for _ in range(150):
                    if os.path.exists(path):
                        break
                    time.sleep(0.1)
                time.sleep(1.0)  # the workers are up
                stop = threading.Event()
                attackers = []
                for _ in range(2):
                    sock = connect(path)
                    thread = threading.Thread(target=behaviour, args=(sock, stop, args.cap))
                    thread.start()
                    attackers.append((sock, thread))
                time.sleep(0.3)
                waited, ok = other_client_waits(path, protocol, args.cap)
                stop.set()
                for sock, thread in attackers:
                    thread.join()
                    sock.close()
                verdict = "%.1f s" % waited if ok else "not served within %.0f s" % args.cap
                print("%-40s another client waited %s" % (name, verdict), flush=True)
            finally:
                server.terminate()
                try:
                    server.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
