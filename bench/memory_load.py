"""Concurrent FastCGI load for bench/memory: several client threads GET the
given URIs in turn until a condition on what each worker has answered holds,
and every answer must be a 200 from a known worker, or this raises.

    tally = drive(socket_path, ["/notes/"], worker_pids, concurrency=8,
                  done=lambda tally: all(n >= 200 for n in tally.counts.values()))

Answers must carry X-Bench-Pid (bench/memory_app.py adds it). Used by
bench/memory; not a program of its own.
"""
import threading
import time

import fastcgi_client


class Tally:
    """Requests answered per worker pid, and each worker's last headers."""

    def __init__(self, pids):
        self.counts = {pid: 0 for pid in pids}
        self.last = {}

    def add(self, headers):
        fields = dict(headers)
        pid = int(fields["X-Bench-Pid"])
        if pid not in self.counts:
            raise RuntimeError(f"answered by pid {pid}, not one of the workers {sorted(self.counts)}")
        self.counts[pid] += 1
        self.last[pid] = fields


def drive(socket_path, uris, tally, concurrency, done, timeout=40.0):
    """Sends requests from `concurrency` threads until done(tally) is true;
    raises on a failed or non-200 answer, or if `timeout` seconds pass."""
    lock = threading.Lock()
    stop = threading.Event()
    errors = []
    deadline = time.monotonic() + timeout

    def client(offset):
        n = offset
        try:
            while not stop.is_set():
                uri = uris[n % len(uris)]
                n += 1
                status, headers, body = fastcgi_client.get(socket_path, uri)
                if status != 200:
                    raise RuntimeError(f"GET {uri} answered {status}: {body[:300]!r}")
                with lock:
                    tally.add(headers)
                    if done(tally):
                        stop.set()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"not done after {timeout} s; requests per worker: "
                                       f"{tally.counts}")
        except Exception as error:  # reported by the caller's thread
            errors.append(error)
            stop.set()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"load on {socket_path} failed: {errors[0]}") from errors[0]
    return tally
