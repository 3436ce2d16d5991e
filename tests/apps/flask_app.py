"""flask_app: an ordinary Flask app, served unmodified by the integration tests.

  POST /form             urlencoded fields back as "name=value" lines, in the
                         order sent (text/plain)
  POST /upload           multipart: the "file" field's size, SHA-256 and
                         filename, and the "note" field, as JSON
  POST /json             a JSON object {"name": str, "numbers": [...]} answered
                         with JSON: their count and sum, a greeting, the flag
  GET  /redirect         302 to /landing?from=redirect
  GET  /landing          "landed from <from>"
  GET  /cookie/set       sets the cookie "flavour" (from ?flavour=) and a Flask
                         session holding the same value
  GET  /cookie/show      the "flavour" cookie and the session's value
  GET  /stream           ?chunks=N&size=S: a generator under
                         stream_with_context yields N chunks of S bytes each:
                         "<i>:", then "x" filler, then a newline
"""
import hashlib

from flask import (Flask, Response, jsonify, redirect, request, session,
                   stream_with_context, url_for)

app = Flask(__name__)
app.secret_key = "shoal-tests-only"


@app.post("/form")
def form():
    lines = [f"{name}={value}\n" for name, value in request.form.items(multi=True)]
    return Response("".join(lines), mimetype="text/plain")


@app.post("/upload")
def upload():
    upload = request.files["file"]
    digest = hashlib.sha256()
    size = 0
    while True:
        block = upload.stream.read(1 << 16)
        if not block:
            break
        digest.update(block)
        size += len(block)
    return jsonify(size=size, sha256=digest.hexdigest(), filename=upload.filename,
                   note=request.form.get("note"))


@app.post("/json")
def json_sum():
    data = request.get_json()
    numbers = data["numbers"]
    return jsonify(count=len(numbers), sum=sum(numbers),
                   greeting="hello, " + data["name"], flag=not data["flag"])


@app.get("/redirect")
def go_elsewhere():
    return redirect(url_for("landing", **{"from": "redirect"}))


@app.get("/landing")
def landing():
    return Response("landed from " + request.args.get("from", "nowhere"),
                    mimetype="text/plain")


@app.get("/cookie/set")
def set_cookie():
    flavour = request.args["flavour"]
    session["flavour"] = flavour
    response = Response("cookie set\n", mimetype="text/plain")
    response.set_cookie("flavour", flavour, httponly=True)
    return response


@app.get("/cookie/show")
def show_cookie():
    cookie = request.cookies.get("flavour", "(none)")
    stored = session.get("flavour", "(none)")
    return Response(f"cookie={cookie} session={stored}\n", mimetype="text/plain")


@app.get("/stream")
def stream():
    @stream_with_context
    def generate():
        # request is only reachable here because of stream_with_context.
        chunks = int(request.args.get("chunks", "10"))
        size = int(request.args.get("size", "100"))
        for i in range(chunks):
            head = f"{i}:"
            yield head + "x" * (size - len(head) - 1) + "\n"

    return Response(generate(), mimetype="text/plain")
