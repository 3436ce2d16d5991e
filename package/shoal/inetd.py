"""One request on stdin, as inetd (nowait) gives it, answered on stdout.

    import shoal.inetd
    shoal.inetd.run_app(application)

The drop-in for seed 002's ``inetd_scgi.run_app``: the connection on fd 0
speaks SCGI, FastCGI or AJP13 (told from its first bytes, unless
``protocol=`` says which), its requests are served in this process, and
run_app returns once the front end closes it. fd 0 (and fd 1, when it is
the connection too) is reopened on /dev/null first, so the app's own
reads and prints never touch the connection. Keywords are shoal's options
as for shoal.serve (script_name, debug, max_body_size, ...).
"""
import shoal

__all__ = ['run_app']


def run_app(app, **options):
    """Serves the connection on stdin with `app`; returns None once it ends.
    Raises RuntimeError when stdin is no connected socket."""
    options.setdefault('protocol', 'auto')
    words = ['--inetd'] + shoal.option_words(options, 'run_app')
    shoal.run(app, words, options)
