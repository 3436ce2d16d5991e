#!/usr/bin/python3
"""Compares a third-party WSGI app served by shoal with the same app under wsgiref.

    compare.py httpbin|radicale --shoal URL --front-end NAME [--prefix /app]
               [--group NAME] [--work DIR] [--only CHECK[,CHECK...]] [--list]

Starts the reference server, wsgiref's make_server on a free 127.0.0.1 port
in a thread, for the same app object shoal serves (mounted under --prefix
when the front end mounts it there), then runs each check's requests against
the reference and then against shoal's front end at --shoal, and compares
every exchange: the status line, the app's headers (by name, case aside;
a repeated header's values in order), and the body bytes as they came over
the wire (before any Content-Encoding is undone).
Prints one line per check and a final verdict; exits 0 if every check
matched, 1 if any did not, 2 if the comparison could not run.

Only what the front end (or wsgiref) adds or owns is left out, all of it
named in FRONT_END_HEADERS and framing_differences(), and what one front end
does that the others do not in FRONT_ENDS. Where the app's own
answer legitimately differs from one request to the next (the clock, a
random nonce) a check names an allowance from ALLOWANCES; nothing else is
normalised.

Needs Debian's python3-httpbin, python3-requests, radicale and
python3-caldav: run it with /usr/bin/python3.
"""

import argparse
import gzip
import importlib
import re
import sys
import threading
import time
import traceback
import urllib.parse
import zlib
from dataclasses import dataclass, field
from wsgiref import simple_server

import requests
import requests.adapters

import registry

# The Host header every check sends, to both servers. httpbin echoes Host
# and builds absolute URLs from it; a fixed name keeps the port each server
# happens to listen on out of the app's answer.
HOST = "shoal.test"

TIMEOUT = 10  # seconds, for any one request

# Response headers that belong to the HTTP server in front of the app (the
# front end before shoal, or wsgiref), not to the app: they are left out of
# the comparison on both sides.
FRONT_END_HEADERS = {
    "date": "the server's clock; wsgiref adds one, as do nginx, Apache and lighttpd",
    "server": "the server's name (nginx/..., Apache/..., WSGIServer/0.2 ...)",
    "connection": "hop-by-hop: the front end's own persistence (keep-alive or close)",
    "keep-alive": "hop-by-hop: Apache's persistence parameters",
    "transfer-encoding": "hop-by-hop framing: the front end chunks a body of unknown length",
}
# Content-Length is framing too when the app sent none: see
# framing_differences().


@dataclass
class FrontEndRules:
    """What one front end legitimately does to the app's answer, each with
    its reason; an empty reason means the thing is compared as it is."""

    # The status line's reason phrase is the front end's own, not the app's.
    own_reason_phrase: str = ""
    # Headers the front end adds where the app sent none: lower name -> reason.
    added_headers: dict = field(default_factory=dict)
    # The protocol gives the app CONTENT_LENGTH "0" on a request with no
    # body; the reference's environ is given the same.
    zero_content_length: str = ""
    # The front end passes no request header whose value is empty; the
    # reference's environ drops them too.
    drops_empty_request_headers: str = ""
    # Request headers the front end acts on itself and does not pass on:
    # environ key -> reason. The reference's environ drops them too.
    consumed_request_headers: dict = field(default_factory=dict)
    # The front end joins a header the app sent more than once into one
    # value, with ", " (RFC 9110 5.3: the same field); Set-Cookie excepted.
    merges_repeated_headers: str = ""
    # The front end drops the app's Content-Type from a 204 No Content.
    drops_content_type_of_204: str = ""
    # Checks this front end cannot pass: name -> reason.
    skips: dict = field(default_factory=dict)


SCGI_CONTENT_LENGTH = ("SCGI requires a CONTENT_LENGTH on every request, so the app sees "
                       "\"0\" where no body came (httpbin echoes it as a request header)")

APACHE_CGI_MERGES = ("Apache reads a FastCGI or SCGI backend's headers as a CGI script's "
                     "and joins repeated ones (X-Two: 1 and X-Two: 2 become X-Two: 1, 2)")
APACHE_CGI_204 = ("Apache sends a CGI-like backend's 204 without its Content-Type "
                  "(nginx passes shoal's on, so shoal sends it)")

# Every front end the suite runs (tests/support/served_app.h, kAllFrontEnds),
# by its FrontEndName. A front end missing here makes compare.py refuse to run.
FRONT_ENDS = {
    "nginx-fastcgi": FrontEndRules(),
    "nginx-fastcgi-keepalive": FrontEndRules(),
    "nginx-scgi": FrontEndRules(zero_content_length=SCGI_CONTENT_LENGTH),
    "lighttpd-scgi": FrontEndRules(
        zero_content_length=SCGI_CONTENT_LENGTH,
        drops_empty_request_headers="lighttpd leaves out a request header with an empty "
                                    "value (X-Empty:), so the app never sees it",
        consumed_request_headers={"HTTP_EXPECT": "lighttpd answers Expect: 100-continue "
                                                 "itself and does not pass the header on"},
        own_reason_phrase="lighttpd writes its own reason phrase for the status code "
                          "(\"Found\" where Werkzeug wrote \"FOUND\")",
        added_headers={"accept-ranges": "lighttpd announces ranges on every response"},
        skips={"whole-range": "lighttpd cuts Range requests out of the app's 200 itself, so "
                              "httpbin's 200 for a range that is the whole body becomes its 206",
               "get-with-body": "lighttpd answers a GET that has a body with its own 400"}),
    "apache-ajp": FrontEndRules(
        skips={"percent-in-path": "mod_proxy_ajp re-escapes the decoded path and answers 400 "
                                  "itself when a '%' in it is not followed by two hex digits "
                                  "(/x/%25zz), even with shoal stopped"}),
    "apache-fastcgi": FrontEndRules(
        merges_repeated_headers=APACHE_CGI_MERGES,
        drops_content_type_of_204=APACHE_CGI_204),
    "apache-scgi": FrontEndRules(
        zero_content_length=SCGI_CONTENT_LENGTH,
        merges_repeated_headers=APACHE_CGI_MERGES,
        drops_content_type_of_204=APACHE_CGI_204,
        skips={"chunked-put": "mod_proxy_scgi refuses a chunked request body with 411 Length "
                              "Required before shoal sees it (conf/apache-scgi.conf)"}),
}

front_end = FrontEndRules()  # the rules of the front end before shoal, set by main()


@dataclass
class Exchange:
    """One request and its response as it came over the wire."""

    method: str
    path: str
    status: int
    reason: str
    headers: list  # [(name, value)], in order, repeated names repeated
    body: bytes  # as received: still compressed if Content-Encoding says so

    def header(self, name):
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return values[0] if values else None

    def title(self):
        path = self.path if len(self.path) <= 100 else self.path[:100] + "..."
        return f"{self.method} {path}"


def decoded(body, encoding):
    """The body with its Content-Encoding undone (gzip or deflate)."""
    encoding = (encoding or "").strip().lower()
    if not body:
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    return body


class RecordingAdapter(requests.adapters.HTTPAdapter):
    """A requests adapter that keeps every exchange's raw bytes.

    Reads the whole body undecoded, records it, and hands requests (and so
    caldav) the decoded body as usual. Every hop of a redirect or an auth
    retry goes through here, so each is recorded and compared.
    """

    def __init__(self, log):
        super().__init__(max_retries=0)
        self.log = log

    def send(self, request, **kwargs):
        kwargs["stream"] = True
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = TIMEOUT
        response = super().send(request, **kwargs)
        raw = response.raw.read(decode_content=False)  # b"" for HEAD; either way ends the response
        response.raw.release_conn()
        exchange = Exchange(request.method, request.path_url, response.status_code,
                            response.reason, list(response.raw.headers.iteritems()), raw)
        self.log.append(exchange)
        response._content = decoded(raw, exchange.header("Content-Encoding"))
        response._content_consumed = True
        return response


class Client:
    """What a check talks to: one server's base URL and a recording session."""

    def __init__(self, base, is_reference):
        self.base = base.rstrip("/")
        self.base_path = urllib.parse.urlsplit(self.base).path  # the mount prefix, or ""
        self.is_reference = is_reference
        self.exchanges = []
        self.session = requests.Session()
        adapter = RecordingAdapter(self.exchanges)
        self.session.mount("http://", adapter)
        # Host first, as browsers send it (and any front end passes it on).
        self.session.headers = {"Host": HOST, **self.session.headers,
                                "User-Agent": "shoal-compare"}

    def url(self, path):
        return self.base + path

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.request(method, self.url(path), **kwargs)

    def close(self):
        self.session.close()


# --- Allowances: parts of the app's own answer that differ between any two
# runs of the same request, whoever serves it. A check names the ones it
# needs; each rewrites both sides' body (decoded) or headers the same way.

HTTP_DATE = rb"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT"


def _radicale_clock_body(body):
    return re.sub(rb"(getlastmodified[^>]*>)" + HTTP_DATE, rb"\1<clock>", body)


def _radicale_sync_token_body(body):
    return re.sub(rb"http://radicale\.org/ns/sync/[0-9a-f]{64}",
                  rb"http://radicale.org/ns/sync/<random>", body)


def _sorted_methods(value):
    return ", ".join(sorted(m.strip() for m in value.split(",")))


def _scrub_digest_nonce(value):
    return re.sub(r'(nonce|opaque)="[^"]*"', r'\1="<random>"', value)


@dataclass
class Allowance:
    reason: str
    body: object = None  # bytes -> bytes, on the decoded body
    headers: dict = field(default_factory=dict)  # lower-case name -> (value -> value)
    gzip_mtime: bool = False  # the 4-byte MTIME of a gzip member's header


ALLOWANCES = {
    "gzip-mtime": Allowance(
        "httpbin's /gzip compresses with GzipFile, which stamps the current time "
        "into bytes 4-7 of the gzip header", gzip_mtime=True),
    "radicale-clock": Allowance(
        "Radicale's Last-Modified and DAV:getlastmodified are its files' mtimes, "
        "so they move with the clock", body=_radicale_clock_body,
        headers={"last-modified": lambda value: "<clock>"}),
    "radicale-sync-token": Allowance(
        "Radicale seeds each item's sync history with os.urandom, so a sync-token "
        "differs between any two storages", body=_radicale_sync_token_body),
    "allow-order": Allowance(
        "Werkzeug lists a 405's or OPTIONS' Allow methods from a set, whose order "
        "follows the process's string hash seed", headers={"allow": _sorted_methods}),
    "digest-nonce": Allowance(
        "httpbin's digest challenge carries a fresh random nonce and opaque",
        headers={"www-authenticate": _scrub_digest_nonce}),
}


# --- Comparison.

def framing_differences(ref, own, bodies_may_differ):
    """Problems with Content-Length, or [].

    The reference server sends exactly the app's Content-Length or none
    (ReferenceHandler adds none of its own). Where the app sent one, shoal's
    side must carry the same. Where it sent none, the front end frames the
    body its own way: chunked, or a Content-Length it counted itself, which
    must then equal the body. `bodies_may_differ` (an allowance covers a
    difference in the bodies, so in their lengths) asks only that shoal's
    side has a Content-Length where the app sent one, and that it is true."""
    problems = []
    ref_length, own_length = ref.header("Content-Length"), own.header("Content-Length")
    lengths_may_differ = bodies_may_differ and own_length is not None
    if ref_length is not None and own_length != ref_length and not lengths_may_differ:
        problems.append(f"Content-Length {ref_length} (reference) != {own_length} (shoal)")
    if own_length is not None and own.method != "HEAD" and own.status not in (204, 304):
        if not own_length.isdigit() or int(own_length) != len(own.body):
            problems.append(f"shoal: Content-Length {own_length} but {len(own.body)} body bytes")
    if ref_length is None and own_length is not None and (own.method == "HEAD" or
                                                         own.status in (204, 304)):
        if own_length != "0" or own.method == "HEAD":
            problems.append(f"shoal: Content-Length {own_length} that the app did not send")
    return problems


def app_headers(ex):
    """`ex`'s headers to compare: by lower-case name, each name's values in
    order, without FRONT_END_HEADERS and Content-Length (which
    framing_differences checks). Names are case-insensitive and the order
    among different names is the front end's to choose (nginx writes
    Content-Type, Content-Length, Last-Modified, Location and ETag first);
    the order of a repeated name's values (Set-Cookie) is the app's."""
    grouped = {}
    for n, v in ex.headers:
        if n.lower() not in FRONT_END_HEADERS and n.lower() != "content-length":
            grouped.setdefault(n.lower(), []).append(v)
    return sorted(grouped.items())


def shown(headers):
    """Headers as compared, long values cut short."""
    return repr([(n, [v if len(v) <= 100 else v[:100] + "..." for v in vs]) for n, vs in headers])


def first_difference(a, b):
    n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    lo = max(0, n - 40)
    return (f"first difference at byte {n} of {len(a)} (reference) and {len(b)} (shoal):\n"
            f"        reference: {a[lo:n + 60]!r}\n"
            f"        shoal:     {b[lo:n + 60]!r}")


def compare_exchange(ref, own, allowances):
    """A list of differences between two exchanges of the same request."""
    problems = []
    if ref.status != own.status or (ref.reason != own.reason and not front_end.own_reason_phrase):
        problems.append(f"status {ref.status} {ref.reason!r} (reference) != "
                        f"{own.status} {own.reason!r} (shoal)")
    body_allowed = any(ALLOWANCES[a].body or ALLOWANCES[a].gzip_mtime for a in allowances)
    problems += framing_differences(ref, own, body_allowed and ref.body != own.body)
    ref_headers, own_headers = app_headers(ref), app_headers(own)
    ref_names = {n for n, _ in ref_headers}
    own_headers = [(n, vs) for n, vs in own_headers
                   if n in ref_names or n not in front_end.added_headers]
    if front_end.merges_repeated_headers:
        ref_headers = [(n, vs if n == "set-cookie" else [", ".join(vs)]) for n, vs in ref_headers]
    if front_end.drops_content_type_of_204 and ref.status == 204:
        ref_headers = [(n, vs) for n, vs in ref_headers if n != "content-type"]
        own_headers = [(n, vs) for n, vs in own_headers if n != "content-type"]
    for rules in (ALLOWANCES[a].headers for a in allowances if ALLOWANCES[a].headers):
        ref_headers = [(n, [rules.get(n, str)(v) for v in vs]) for n, vs in ref_headers]
        own_headers = [(n, [rules.get(n, str)(v) for v in vs]) for n, vs in own_headers]
    if ref_headers != own_headers:
        problems.append("headers differ:\n        reference: " + shown(ref_headers) +
                        "\n        shoal:     " + shown(own_headers))
    if ref.body != own.body:
        problems += body_differences(ref, own, allowances)
    return problems


def body_differences(ref, own, allowances):
    """Why two different bodies are not the same answer, or [] if an
    allowance explains the difference."""
    ref_body, own_body = ref.body, own.body
    if any(ALLOWANCES[a].gzip_mtime for a in allowances):
        if len(ref_body) > 8 and len(own_body) > 8 and ref_body[:2] == own_body[:2] == b"\x1f\x8b":
            ref_body = ref_body[:4] + b"\0\0\0\0" + ref_body[8:]
            own_body = own_body[:4] + b"\0\0\0\0" + own_body[8:]
    if ref_body == own_body:
        return []
    body_rules = [ALLOWANCES[a].body for a in allowances if ALLOWANCES[a].body]
    if body_rules:
        try:
            ref_text = decoded(ref_body, ref.header("Content-Encoding"))
            own_text = decoded(own_body, own.header("Content-Encoding"))
        except (OSError, zlib.error) as e:
            return [f"body cannot be decoded: {e}"]
        for rule in body_rules:
            ref_text, own_text = rule(ref_text), rule(own_text)
        if ref_text == own_text:
            return []
        return ["decoded body differs after allowances, " +
                first_difference(ref_text, own_text)]
    return ["body differs, " + first_difference(ref_body, own_body)]


@dataclass
class Outcome:
    problems: list = field(default_factory=list)
    exchanges: int = 0


def run_check(check, reference_base, shoal_base):
    """Runs `check` against the reference, then against shoal, each with a
    fresh session; returns what differs (nothing if the check matched)."""
    outcome = Outcome()
    results = []
    clients = [Client(reference_base, True), Client(shoal_base, False)]
    for client in clients:
        side = "reference" if client.is_reference else "shoal"
        try:
            results.append(check.run(client))
        except Exception as e:  # a check's own assertion or a client error
            detail = "".join(traceback.format_exception_only(type(e), e)).strip()
            outcome.problems.append(f"{side} run raised {detail}")
            results.append(None)
        finally:
            client.close()
    ref_log, own_log = clients[0].exchanges, clients[1].exchanges
    outcome.exchanges = len(own_log)
    if outcome.problems and outcome.problems[0].startswith("reference"):
        return outcome  # the check is wrong about the app itself: nothing to compare
    for i, (ref, own) in enumerate(zip(ref_log, own_log), 1):
        if (ref.method, ref.path) != (own.method, own.path):
            outcome.problems.append(f"exchange {i}: {ref.title()} (reference) but "
                                    f"{own.title()} (shoal)")
            break
        for problem in compare_exchange(ref, own, check.allowances):
            outcome.problems.append(f"exchange {i} {own.title()}: {problem}")
    if len(ref_log) != len(own_log):
        outcome.problems.append(f"{len(ref_log)} exchanges with the reference, "
                                f"{len(own_log)} with shoal")
    if not outcome.problems and results[0] != results[1]:
        outcome.problems.append(f"results differ: {results[0]!r} (reference) != "
                                f"{results[1]!r} (shoal)")
    return outcome


# --- The reference server.

class ReferenceHandler(simple_server.ServerHandler):
    """wsgiref's handler, minus the Content-Length it adds of its own (for
    a one-chunk body, or 0 for an empty one): the reference sends the app's
    headers and nothing else but Date and Server, and ends a body of
    unknown length by closing the connection (it speaks HTTP/1.0). Nor does
    it copy the driver's own environment into the app's environ (an
    HTTP_PROXY there would look like a request header to httpbin)."""

    os_environ = {}  # the app's environ is the request's, as a web server makes it

    def set_content_length(self):
        pass

    def finish_content(self):
        if not self.headers_sent:
            self.send_headers()


class QuietRequestHandler(simple_server.WSGIRequestHandler):
    """wsgiref's request handler, without its access log and without the
    CONTENT_TYPE of "text/plain" it makes up for a request that has none (a
    web server sends none; httpbin would echo it as a request header). Where
    the front end's protocol or habits change the request the app sees
    (FrontEndRules), the reference's environ is changed the same way."""

    def get_environ(self):
        environ = super().get_environ()
        if self.headers.get("Content-Type") is None:
            environ.pop("CONTENT_TYPE", None)
        if front_end.zero_content_length and self.headers.get("Content-Length") is None:
            environ["CONTENT_LENGTH"] = "0"
        for key in front_end.consumed_request_headers:
            environ.pop(key, None)
        if front_end.drops_empty_request_headers:
            for key in [k for k, v in environ.items() if k.startswith("HTTP_") and v == ""]:
                del environ[key]
        return environ

    def log_message(self, *args):
        pass


def mounted(app, prefix):
    """`app` under `prefix`, as shoal's --script-name mounts it: SCRIPT_NAME
    is the prefix, PATH_INFO the rest; anything outside gets 404."""
    if not prefix:
        return app

    def under_prefix(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path != prefix and not path.startswith(prefix + "/"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"outside the mount\n"]
        environ["SCRIPT_NAME"] = prefix
        environ["PATH_INFO"] = path[len(prefix):]
        return app(environ, start_response)
    return under_prefix


def start_reference(app, prefix):
    """Serves `app` on 127.0.0.1 in a daemon thread; returns its base URL."""
    simple_server.ServerHandler = ReferenceHandler  # what WSGIRequestHandler.handle makes
    server = simple_server.make_server("127.0.0.1", 0, mounted(app, prefix),
                                       handler_class=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_port}{prefix}"


# --- The checks (httpbin_checks.py, radicale_checks.py) register themselves
# in registry.CHECKS when imported.

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", choices=["httpbin", "radicale"])
    parser.add_argument("--shoal", required=True, help="shoal's base URL through the front end")
    parser.add_argument("--front-end", required=True, choices=sorted(FRONT_ENDS),
                        help="the front end before shoal, for its rules (FRONT_ENDS)")
    parser.add_argument("--prefix", default="", help="where the front end mounts the app")
    parser.add_argument("--group", default=None, help="run only this group of checks")
    parser.add_argument("--only", default=None, help="run only these checks (comma-separated)")
    parser.add_argument("--work", default=None, help="a directory for the reference's files")
    parser.add_argument("--list", action="store_true", help="list the checks and allowances")
    args = parser.parse_args()
    global front_end
    front_end = FRONT_ENDS[args.front_end]

    checks = importlib.import_module(f"{args.app}_checks")  # registers its checks
    for c in registry.CHECKS:
        for a in c.allowances:
            assert a in ALLOWANCES, f"{c.name}: no allowance {a}"
    chosen = [c for c in registry.CHECKS
              if (args.group is None or c.group == args.group)
              and (args.only is None or c.name in args.only.split(","))]
    if args.list:
        for c in chosen:
            doc = " ".join(c.doc.split())
            print(f"{c.group:9} {c.name:27} allow={','.join(c.allowances) or '-'}\n    {doc}")
        print("headers left out as the front end's:")
        for name, reason in FRONT_END_HEADERS.items():
            print(f"    {name}: {reason}")
        print("allowances:")
        for name, allowance in ALLOWANCES.items():
            print(f"    {name}: {allowance.reason}")
        print(f"{args.front_end}: {front_end}")
        return 0
    skips = front_end.skips
    if not chosen:
        print("no checks chosen", file=sys.stderr)
        return 2

    try:
        app = checks.reference_app(args.work)
    except Exception as e:
        print(f"cannot load {args.app}: {e}", file=sys.stderr)
        return 2
    reference = start_reference(app, args.prefix)
    shoal = args.shoal.rstrip("/")

    started = time.monotonic()
    failed = 0
    for c in chosen:
        if c.name in skips:
            print(f"skip {args.app} {c.name}: {skips[c.name]}")
            continue
        try:
            outcome = run_check(c, reference, shoal)
        except Exception:  # a bug in the comparison itself: report it as this check's failure
            outcome = Outcome(problems=["comparison raised:\n" + traceback.format_exc()])
        if outcome.problems:
            failed += 1
            print(f"FAIL {args.app} {c.name} ({outcome.exchanges} exchanges)")
            for problem in outcome.problems:
                print(f"    {problem}")
        else:
            print(f"ok   {args.app} {c.name} ({outcome.exchanges} exchanges)")
        sys.stdout.flush()
    elapsed = time.monotonic() - started
    ran = len([c for c in chosen if c.name not in skips])
    print(f"verdict: {args.app}: {ran - failed} of {ran} checks match the reference"
          f"{f', {len(chosen) - ran} skipped' if ran < len(chosen) else ''} ({elapsed:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
