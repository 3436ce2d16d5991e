"""The Django site of tests/apps/djangosite, wrapped for bench/memory.

Every answer carries X-Bench-Pid (the worker that served it) and X-Bench-GC
(the collections each generation of that worker's garbage collector has run,
"gen0,gen1,gen2"), so the benchmark can verify that every worker served. A
request whose query string has bench_collect=1 first runs one full
collection, gc.collect(), once per worker (X-Bench-Collected: 1 says it has),
so that every configuration is measured as a long-running worker will be,
after a full collection has walked (and un-shared) every object not frozen:
whether a worker ran one by itself within a few hundred requests depends on
CPython's heuristics (here: yes without gc.freeze, no with it). Django
itself is unchanged; shoal and uWSGI serve this same module.

    shoal --app memory_app:application --pythonpath bench --chdir tests/apps/djangosite ...
    (DJANGOSITE_DB must name a migrated database, as for the site itself)
"""
import gc
import os

from djangosite.wsgi import application as django_application

_collected = False


def application(environ, start_response):
    global _collected
    if not _collected and "bench_collect=1" in environ.get("QUERY_STRING", ""):
        gc.collect()
        _collected = True

    def start(status, headers, exc_info=None):
        stats = ",".join(str(generation["collections"]) for generation in gc.get_stats())
        headers = list(headers) + [("X-Bench-Pid", str(os.getpid())), ("X-Bench-GC", stats),
                                   ("X-Bench-Collected", "1" if _collected else "0")]
        return start_response(status, headers, exc_info)

    return django_application(environ, start)
