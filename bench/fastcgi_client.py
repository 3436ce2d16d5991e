"""A minimal FastCGI client for the benchmarks: one GET per connection over a
unix socket, with raw records (BEGIN_REQUEST, PARAMS, empty STDIN; STDOUT
read until END_REQUEST), as nginx sends them without keep-alive.

    from fastcgi_client import get
    status, headers, body = get("/tmp/app.sock", "/notes/")

A failed exchange (refused, closed early, a protocol error, a non-complete
END_REQUEST) raises FastCGIError or OSError; the caller checks the status.
"""
import socket
import struct

FCGI_VERSION = 1
BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7
RESPONDER = 1
REQUEST_ID = 1


class FastCGIError(Exception):
    pass


def _record(kind, content=b""):
    padding = -len(content) % 8
    header = struct.pack("!BBHHBx", FCGI_VERSION, kind, REQUEST_ID, len(content), padding)
    return header + content + b"\0" * padding


def _length(n):
    return struct.pack("!B", n) if n < 128 else struct.pack("!I", n | 0x80000000)


def _params(params):
    data = b""
    for name, value in params.items():
        name, value = name.encode("latin-1"), value.encode("latin-1")
        data += _length(len(name)) + _length(len(value)) + name + value
    return data


def _read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise FastCGIError(f"connection closed after {len(data)} of {n} bytes of a record")
        data += chunk
    return data


def get(socket_path, uri, timeout=30.0):
    """GETs `uri`; returns (status int, [(name, value)], body bytes)."""
    path, _, query = uri.partition("?")
    params = {
        "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_SOFTWARE": "bench", "REQUEST_METHOD": "GET",
        "REQUEST_URI": uri, "DOCUMENT_URI": path, "SCRIPT_NAME": "", "PATH_INFO": path,
        "QUERY_STRING": query, "CONTENT_TYPE": "", "CONTENT_LENGTH": "",
        "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000", "HTTP_HOST": "localhost",
    }
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(socket_path)
        sock.sendall(_record(BEGIN_REQUEST, struct.pack("!HB5x", RESPONDER, 0))
                     + _record(PARAMS, _params(params)) + _record(PARAMS)
                     + _record(STDIN))
        stdout = b""
        while True:
            version, kind, request_id, length, padding = struct.unpack(
                "!BBHHBx", _read_exactly(sock, 8))
            content = _read_exactly(sock, length + padding)[:length]
            if version != FCGI_VERSION or request_id != REQUEST_ID:
                raise FastCGIError(f"bad record header: version {version}, id {request_id}")
            if kind == STDOUT:
                stdout += content
            elif kind == STDERR:
                pass  # the app's stderr; the servers log it themselves
            elif kind == END_REQUEST:
                app_status, protocol_status = struct.unpack("!IB3x", content)
                if protocol_status != 0:
                    raise FastCGIError(f"END_REQUEST protocol status {protocol_status}")
                break
            else:
                raise FastCGIError(f"unexpected record type {kind}")
    head, sep, body = stdout.partition(b"\r\n\r\n")
    if not sep:
        raise FastCGIError(f"no header block in the answer: {stdout[:200]!r}")
    headers = []
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    statuses = [value for name, value in headers if name.lower() == "status"]
    if not statuses:
        raise FastCGIError(f"no Status header in the answer: {head[:200]!r}")
    return int(statuses[0].split()[0]), headers, body
