"""crash_on_fork: imports fine, but every worker dies as soon as it is forked.

Stands for an app whose workers cannot start (a C extension that breaks
after fork, a post-fork hook that fails): the master must back off and
finally give up, not fork in a tight loop.
"""
import os

os.register_at_fork(after_in_child=lambda: os._exit(5))


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"never served\n"]
