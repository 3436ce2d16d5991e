"""Starting, inspecting and stopping the servers bench/memory compares: shoal
and uWSGI serving one WSGI app over FastCGI on a unix socket, each in a
process group of its own so that nothing it starts outlives the benchmark.

    with Server(command("shoal", "preload", ...), log_path, env) as server:
        wait_first_answer(server, socket_path, "/")
        worker_pids(server.pid)

Used by bench/memory; not a program of its own.
"""
import os
import signal
import subprocess
import time

import fastcgi_client

# Preload with gc.freeze (shoal's default), preload without it, lazy apps.
SHOAL_MODES = {"preload": [], "preload-no-freeze": ["--no-gc-freeze"], "lazy": ["--lazy-apps"]}
UWSGI_MODES = {"preload": [], "lazy": ["--lazy-apps"]}
_RUNNING = []  # Servers started and not yet stopped, for stop_all()


def command(server, mode, *, shoal, app, chdir, socket_path, workers, pythonpath=None,
            stats_path=None):
    """The argv that serves `app` (MODULE:CALLABLE) with `workers` workers."""
    if server == "shoal":
        argv = [shoal, "--app", app, "--chdir", chdir, "--bind", "unix:" + socket_path,
                "--workers", str(workers)] + SHOAL_MODES[mode]
        if pythonpath:
            argv += ["--pythonpath", pythonpath]
        if stats_path:
            argv += ["--stats", "unix:" + stats_path]
        return argv
    argv = ["uwsgi", "--plugin", "python3", "--master", "--processes", str(workers),
            "--fastcgi-socket", socket_path, "--chdir", chdir, "--module", app,
            "--need-app", "--disable-logging"] + UWSGI_MODES[mode]
    if pythonpath:
        argv += ["--pythonpath", pythonpath]
    return argv


class Server:
    """A running server; leaving the `with` block stops its whole group."""

    def __init__(self, argv, log_path, env):
        self.argv = argv
        self.log_path = log_path
        self.env = env
        self.process = None
        self.forced = False

    def __enter__(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, env=self.env,
                                            start_new_session=True)
        _RUNNING.append(self)
        return self

    @property
    def pid(self):
        return self.process.pid

    def exited(self):
        """True once the master has exited; it is left unreaped (a zombie)
        until stop(), so that its pid, the group's id, cannot be reused."""
        return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None

    def log_tail(self, lines=15):
        with open(self.log_path, "rb") as log:
            return b"\n".join(log.read().splitlines()[-lines:]).decode(errors="replace")

    def __exit__(self, *exc):
        self.stop()

    def stop(self, grace=3.0):
        """Stops gracefully (uWSGI takes SIGTERM as "reload", so it gets
        SIGINT), then kills whatever is left of the group; `forced` says
        whether the master was still running after `grace` seconds."""
        if self.process is None:
            return
        if not self.exited():
            uwsgi = os.path.basename(self.argv[0]) == "uwsgi"
            os.kill(self.pid, signal.SIGINT if uwsgi else signal.SIGTERM)
            deadline = time.monotonic() + grace
            while not self.exited() and time.monotonic() < deadline:
                time.sleep(0.01)
            self.forced = not self.exited()
        try:
            # The master is unreaped, so the group (start_new_session made
            # its id the master's pid) is still this server's.
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.process = None
        _RUNNING.remove(self)


def stop_all():
    """Stops every server still running (for a `finally` that an interrupt
    may have reached between a start and its `with`)."""
    for server in list(_RUNNING):
        server.stop()


def worker_pids(master_pid):
    """The pids of `master_pid`'s children, sorted."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == master_pid:
            children.append(int(entry))
    return sorted(children)


def wait_first_answer(server, socket_path, uri, timeout=60.0, poll=0.005):
    """Polls `uri` every `poll` seconds until it is answered; returns the
    status and headers. Fails if the server exits or the time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if server.exited():
            raise RuntimeError(f"{server.argv[0]} exited before answering:\n{server.log_tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.argv[0]} did not answer in {timeout} s:\n{server.log_tail()}")
        try:
            status, headers, _ = fastcgi_client.get(socket_path, uri, timeout=timeout)
            return status, headers
        except (FileNotFoundError, ConnectionRefusedError):
            time.sleep(poll)
