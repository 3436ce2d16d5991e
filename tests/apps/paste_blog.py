"""paste_blog: a PasteDeploy app factory and filter factory for
tests/paste_test.cc, loaded through `use = call:paste_blog:make_app` and
`use = call:paste_blog:make_filter` in the .ini files that test writes.

The app answers every path with one "KEY<TAB>VALUE" line each for: the
factory's `title` and `greeting` settings (greeting interpolated from
[DEFAULT] and %(here)s by PasteDeploy), the filter's tag (or "none" when no
filter wraps it), SCRIPT_NAME, PATH_INFO, SCGI (or "-"), and the serving pid.
"""

import os


def make_app(global_conf, **local_conf):
    if local_conf.get("fail"):
        raise RuntimeError("paste_blog refuses to start: " + local_conf["fail"])
    title = local_conf.get("title", "untitled")
    greeting = local_conf.get("greeting", global_conf.get("greeting", "-"))

    def app(environ, start_response):
        lines = [
            ("title", title),
            ("greeting", greeting),
            ("filter", environ.get("paste_blog.filter", "none")),
            ("SCRIPT_NAME", environ.get("SCRIPT_NAME", "")),
            ("PATH_INFO", environ.get("PATH_INFO", "")),
            ("SCGI", environ.get("SCGI", "-")),
            ("pid", str(os.getpid())),
        ]
        body = "".join("%s\t%s\n" % line for line in lines).encode("utf-8")
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    return app


def make_filter(global_conf, **local_conf):
    tag = local_conf.get("tag", "filtered")

    def wrap(app):
        def filtered(environ, start_response):
            environ["paste_blog.filter"] = tag
            return app(environ, start_response)
        return filtered

    return wrap
