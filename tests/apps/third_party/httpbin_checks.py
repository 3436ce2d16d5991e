"""httpbin (Debian's python3-httpbin 0.7, a Flask app) through requests.

Each check is a short conversation; compare.py runs it against the reference
and against shoal and compares every exchange. The requests are fixed (no
random multipart boundary, a fixed Host) so the app's answers are too.
"""

import json

import urllib3
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

from registry import check, expect


def reference_app(work):
    """httpbin's Flask app, for the reference server (`work` is unused)."""
    import httpbin
    return httpbin.app


def echoed(response):
    """httpbin's JSON echo of a request."""
    expect(response.status_code == 200, f"{response.url}: {response.status_code}")
    return response.json()


@check("get-query-and-headers")
def get_query_and_headers(client):
    """GET with a repeated, escaped and UTF-8 query, and a custom header."""
    r = client.request("GET", "/get?b=2&a=1&a=%C3%A9+x&empty=&amp%26=%3D",
                       headers={"X-Shoal-Check": "one, two", "Accept": "application/json"})
    body = echoed(r)
    expect(body["args"]["a"] == ["1", "\u00e9 x"], body["args"])
    client.request("GET", "/headers", headers={"X-Empty": "", "Cookie": "a=1; b=2"})
    client.request("GET", "/user-agent")
    client.request("GET", "/ip")


@check("methods", allow=("allow-order",))
def methods(client):
    """PUT, PATCH, DELETE and POST to /anything; OPTIONS (CORS preflight); a
    method the route refuses (405). Not TRACE: the front ends answer it
    themselves (nginx with 405, Apache per TraceEnable)."""
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        body = echoed(client.request(method, "/anything/some/path?x=1", data=b"payload " + method.encode()))
        expect(body["method"] == method, body)
    client.request("PUT", "/put", data=b"put body", headers={"Content-Type": "text/plain"})
    client.request("PATCH", "/patch", data=b"patch body")
    client.request("DELETE", "/delete")
    r = client.request("OPTIONS", "/anything",
                       headers={"Origin": "http://example.test",
                                "Access-Control-Request-Headers": "X-Shoal"})
    expect(r.status_code == 200, f"OPTIONS: {r.status_code}")
    r = client.request("POST", "/get", data=b"x")
    expect(r.status_code == 405, f"POST /get: {r.status_code}")


@check("get-with-body")
def get_with_body(client):
    """A GET that carries a body: the app reads it."""
    body = echoed(client.request("GET", "/anything/with-body", data=b"a GET with a body",
                                 headers={"Content-Type": "text/plain"}))
    expect(body["data"] == "a GET with a body", body["data"])


@check("form-and-json")
def form_and_json(client):
    """An urlencoded form (repeated names, UTF-8, escapes) and a JSON body."""
    body = echoed(client.request("POST", "/post", data=[("tag", "first"), ("name", "Ada Lovelace"),
                                                        ("city", "Z\u00fcrich"), ("expr", "a&b=c"),
                                                        ("empty", ""), ("tag", "second")]))
    expect(body["form"]["tag"] == ["first", "second"], body["form"])
    body = echoed(client.request("POST", "/post", json={"name": "Zo\u00eb", "n": [1, 2.5], "ok": False}))
    expect(body["json"]["name"] == "Zo\u00eb", body["json"])
    client.request("POST", "/post", data=b"\x00\xff raw bytes \r\n",
                   headers={"Content-Type": "application/octet-stream"})


@check("multipart-upload")
def multipart_upload(client):
    """A multipart form with a text field, a text file and 256 KiB of binary
    file, under a fixed boundary."""
    binary = bytes(range(256)) * 1024
    fields = [("note", "two files"),
              ("text", ("notes.txt", "line one\nline two \u2713\n", "text/plain")),
              ("blob", ("blob.bin", binary, "application/octet-stream"))]
    data, content_type = urllib3.encode_multipart_formdata(fields, boundary="shoal-5d1f0c9e7b2a4e63")
    body = echoed(client.request("POST", "/post", data=data, headers={"Content-Type": content_type}))
    expect(body["form"] == {"note": "two files"}, body["form"])
    expect(set(body["files"]) == {"text", "blob"}, list(body["files"]))
    expect(len(data) > 256 * 1024, len(data))


@check("gzip-and-deflate", allow=("gzip-mtime",))
def gzip_and_deflate(client):
    """Compressed answers come through still compressed, byte for byte."""
    r = client.request("GET", "/gzip")
    expect(r.headers.get("Content-Encoding") == "gzip" and r.json()["gzipped"], r.headers)
    r = client.request("GET", "/deflate")
    expect(r.headers.get("Content-Encoding") == "deflate" and r.json()["deflated"], r.headers)


@check("streams")
def streams(client):
    """Generated responses of unknown length (the front end chunks them), and
    ones with a Content-Length."""
    r = client.request("GET", "/stream/20")
    lines = r.content.splitlines()
    expect(len(lines) == 20 and json.loads(lines[19])["id"] == 19, f"{len(lines)} lines")
    r = client.request("GET", "/stream-bytes/65536?seed=7&chunk_size=1000")
    expect(len(r.content) == 65536, len(r.content))
    r = client.request("GET", "/bytes/102400?seed=3")
    expect(len(r.content) == 102400, len(r.content))
    r = client.request("GET", "/drip?numbytes=5&duration=0&code=200")
    expect(r.content == b"*****", r.content)
    # One byte every 50 ms, with a Content-Length: each is flushed as the
    # generator yields it, and the whole arrives.
    r = client.request("GET", "/drip?numbytes=4&duration=0.2&code=201")
    expect(r.status_code == 201 and r.content == b"****", (r.status_code, r.content))


@check("ranges")
def ranges(client):
    """206 with Content-Range, a streamed open-ended range, and 416."""
    r = client.request("GET", "/range/1000", headers={"Range": "bytes=10-99"})
    expect(r.status_code == 206 and len(r.content) == 90, (r.status_code, len(r.content)))
    r = client.request("GET", "/range/102400?chunk_size=4096", headers={"Range": "bytes=100-"})
    expect(r.status_code == 206 and len(r.content) == 102300, (r.status_code, len(r.content)))
    r = client.request("GET", "/range/1000", headers={"Range": "bytes=2000-3000"})
    expect(r.status_code == 416, r.status_code)


@check("whole-range")
def whole_range(client):
    """A Range that covers the whole body: httpbin answers 200 with Content-Range."""
    r = client.request("GET", "/range/1000", headers={"Range": "bytes=0-999"})
    expect(r.status_code == 200 and len(r.content) == 1000, (r.status_code, len(r.content)))


@check("cookies")
def cookies(client):
    """Set (302 with two Set-Cookie), followed to the echo; deleted; read back."""
    r = client.request("GET", "/cookies/set?flavour=oatmeal&count=2")
    expect(r.json()["cookies"] == {"flavour": "oatmeal", "count": "2"}, r.text)
    r = client.request("GET", "/cookies/set/chip/choc")
    expect(r.json()["cookies"].get("chip") == "choc", r.text)
    r = client.request("GET", "/cookies/delete?flavour=")
    expect("flavour" not in r.json()["cookies"], r.text)


@check("redirects")
def redirects(client):
    """Relative and absolute redirect chains (followed hop by hop), 307 and
    303 from /redirect-to, and a Location made from the Host header."""
    r = client.request("GET", "/redirect/3")
    expect(len(r.history) == 3 and r.status_code == 200, (len(r.history), r.status_code))
    r = client.request("GET", "/absolute-redirect/2", allow_redirects=False)
    expect(r.status_code == 302, r.status_code)
    r = client.request("GET", "/redirect-to?url=/get&status_code=307", allow_redirects=False)
    expect(r.status_code == 307, r.status_code)
    r = client.request("POST", "/redirect-to?url=/anything&status_code=303", data=b"a=1",
                       allow_redirects=False)
    expect(r.status_code == 303, r.status_code)
    r = client.request("GET", "/relative-redirect/2")
    expect(r.status_code == 200, r.status_code)


@check("auth", allow=("digest-nonce",))
def auth(client):
    """Basic (wrong: 401 with WWW-Authenticate; right: 200), hidden basic
    (404), bearer, and a digest handshake."""
    r = client.request("GET", "/basic-auth/ada/pw", auth=HTTPBasicAuth("ada", "wrong"))
    expect(r.status_code == 401, r.status_code)
    r = client.request("GET", "/basic-auth/ada/pw", auth=HTTPBasicAuth("ada", "pw"))
    expect(r.status_code == 200, r.status_code)
    r = client.request("GET", "/hidden-basic-auth/ada/pw")
    expect(r.status_code == 404, r.status_code)
    r = client.request("GET", "/bearer")
    expect(r.status_code == 401, r.status_code)
    r = client.request("GET", "/bearer", headers={"Authorization": "Bearer t0ken"})
    expect(r.status_code == 200, r.status_code)
    r = client.request("GET", "/digest-auth/auth/ada/pw", auth=HTTPDigestAuth("ada", "pw"))
    expect(r.status_code == 200 and len(r.history) == 1, (r.status_code, len(r.history)))


@check("status-codes")
def status_codes(client):
    """Status lines from the app: 418 with its body, 201, 204, 500, 404."""
    for path, status in (("/status/418", 418), ("/status/201", 201), ("/status/204", 204),
                         ("/status/500", 500), ("/no/such/page", 404), ("/status/599", 599)):
        r = client.request("GET", path)
        expect(r.status_code == status, f"{path}: {r.status_code}")


@check("response-headers-and-pages")
def response_headers_and_pages(client):
    """Headers the app is asked to send (repeated, in order), HTML, XML, an
    image, a big UTF-8 page, robots.txt, Cache-Control, If-Match (412 and 200)."""
    # (Not a second Content-Type, which httpbin would add beside its own:
    # nginx passes on only the last of two.)
    r = client.request("GET", "/response-headers?X-Two=1&X-Two=2&Cache-Control=no-store")
    expect(r.headers.get("X-Two") == "1, 2", r.headers)
    for path in ("/html", "/xml", "/image/png", "/image/svg", "/encoding/utf8", "/robots.txt",
                 "/deny", "/cache/60", "/base64/c2hvYWwgd2FzIGhlcmU=", "/links/5/2"):
        r = client.request("GET", path)
        expect(r.status_code == 200, f"{path}: {r.status_code}")
    r = client.request("GET", "/etag/abc", headers={"If-Match": '"other"'})
    expect(r.status_code == 412, r.status_code)
    r = client.request("GET", "/etag/abc", headers={"If-Match": '"abc"'})
    expect(r.status_code == 200, r.status_code)


@check("header-edges")
def header_edges(client):
    """A response header with Latin-1 text (Werkzeug encodes it so), a 2000
    byte response header (within nginx's 4 KiB fastcgi_buffer_size for the
    whole head: past it nginx answers 502 itself), a 4000 byte request
    Cookie, an empty POST, and a POST that waits for 100 Continue."""
    r = client.request("GET", "/response-headers?X-Latin=caf%C3%A9&X-Long=" + "L" * 2000)
    expect(r.status_code == 200 and len(r.headers.get("X-Long", "")) == 2000, r.status_code)
    r = client.request("GET", "/cookies", headers={"Cookie": "big=" + "c" * 4000 + "; small=1"})
    expect(r.json()["cookies"].get("small") == "1", r.text[:200])
    body = echoed(client.request("POST", "/post", data=b""))
    expect(body["data"] == "", body["data"])
    body = echoed(client.request("POST", "/post", data=b"after continue",
                                 headers={"Expect": "100-continue", "Content-Type": "text/plain"}))
    expect(body["data"] == "after continue", body["data"])


@check("escaped-paths")
def escaped_paths(client):
    """Percent-escaped UTF-8 and spaces in the path and query as the app sees
    them (httpbin echoes the URL it rebuilt from PATH_INFO)."""
    body = echoed(client.request("GET", "/anything/caf%C3%A9/a%20b/%7Euser?q=%E2%9C%93&r=a+b"))
    expect(body["url"].endswith("/anything/caf\u00e9/a%20b/~user?q=\u2713&r=a+b"), body["url"])
    client.request("GET", "/anything/semi;colon/plus+sign/at@?x=%25&y=%2B")
    client.request("GET", "/anything/%E2%82%AC/%F0%9F%90%9F?fish=%F0%9F%90%9F")
    client.request("GET", "/anything/dot/./and/../dotdot")


@check("percent-in-path")
def percent_in_path(client):
    """An escaped '%' in the path (%25): PATH_INFO has the '%' itself."""
    body = echoed(client.request("GET", "/anything/100%25/%25zz"))
    expect(body["url"].endswith("/anything/100%25/%25zz"), body["url"])


@check("head", group="head-304")
def head(client):
    """HEAD: the headers GET would have (Content-Length included), no body;
    of a streamed answer (no length), of a 404 and a 418."""
    for path in ("/get", "/bytes/100?seed=1", "/html", "/anything/x"):
        r = client.request("HEAD", path)
        expect(r.status_code == 200 and r.headers.get("Content-Length"), f"HEAD {path}: "
               f"{r.status_code} {dict(r.headers)}")
    for path, status in (("/stream/3", 200), ("/drip?numbytes=3&duration=0", 200),
                         ("/no/such/page", 404), ("/status/418", 418)):
        r = client.request("HEAD", path)
        expect(r.status_code == status, f"HEAD {path}: {r.status_code}")
    r = client.request("HEAD", "/range/1000", headers={"Range": "bytes=0-9"})
    expect(r.status_code == 206, r.status_code)


@check("not-modified", group="head-304")
def not_modified(client):
    """304 with the ETag for If-None-Match, and from /cache."""
    r = client.request("GET", "/etag/abc", headers={"If-None-Match": '"abc"'})
    expect(r.status_code == 304 and r.headers.get("ETag") == "abc", (r.status_code, r.headers))
    r = client.request("GET", "/etag/abc", headers={"If-None-Match": '"x", "abc"'})
    expect(r.status_code == 304, r.status_code)
    r = client.request("GET", "/etag/abc", headers={"If-None-Match": '"x"'})
    expect(r.status_code == 200, r.status_code)
    r = client.request("GET", "/cache", headers={"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})
    expect(r.status_code == 304, r.status_code)
    r = client.request("GET", "/status/304")
    expect(r.status_code == 304, r.status_code)
