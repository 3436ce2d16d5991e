# A mod_wsgi-style script file (tests/python_options_test.cc): served with
# --wsgi-file; it imports a module that sits beside it and is not on sys.path
# otherwise, and has two apps, `application` (the default) and `other`.
import script_helper


def _respond(start_response, text):
    body = text.encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


def application(environ, start_response):
    return _respond(start_response, "application from site.wsgi, %s, module %s\n"
                    % (script_helper.NAME, __name__))


def other(environ, start_response):
    return _respond(start_response, "other from site.wsgi, %s\n" % script_helper.NAME)
