"""The checks compare.py runs: each app's checks module registers its own here.

A check is a function of a compare.Client that makes its requests through
client.session (or client.request) and returns a value that the runs against
the reference and against shoal must agree on (None if only the exchanges
matter). It may raise AssertionError, through expect(), when an answer is not
what the check is about, so that it cannot pass by two servers failing alike.
"""

from dataclasses import dataclass


@dataclass
class Check:
    name: str
    group: str  # "main", or "head-304": HEAD requests and 304 answers
    allowances: tuple  # names from compare.ALLOWANCES
    run: object
    doc: str = ""


CHECKS = []


def check(name, group="main", allow=()):
    """Registers the decorated function as the check `name`."""
    def register(fn):
        CHECKS.append(Check(name, group, tuple(allow), fn, (fn.__doc__ or "").strip()))
        return fn
    return register


def expect(condition, what):
    """Raises AssertionError(what) unless `condition`."""
    if not condition:
        raise AssertionError(what)
