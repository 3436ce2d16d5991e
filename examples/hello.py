"""The smallest WSGI app: answers every request with "Hello, World!".

Serve it with:  build/shoal --app hello:app --chdir examples --bind unix:/tmp/shoal.sock
"""


def app(environ, start_response):
    # WSGI bodies are bytes; send the length so nginx need not chunk.
    body = b"Hello, World!\n"
    start_response("200 OK", [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
    ])
    # The body is any iterable of bytes; a one-element list is simplest.
    return [body]
