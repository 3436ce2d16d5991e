"""Process helpers for bench/throughput.py: start servers each in a session of
its own (so one killpg stops a master and every child it forked, even
workers that outlive their master), stop them all, wait for a socket to
accept, and sum the CPU time (utime + stime) of a process tree from /proc.

Not run by itself; imported by bench/throughput.py (Python 3, Linux).
"""
import os
import signal
import socket
import subprocess
import time

TICK = os.sysconf("SC_CLK_TCK")


class Processes:
    """The servers of one benchmark run; stop_all() is safe to call twice."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.started = []  # (name, Popen)

    def start(self, name, argv, cwd=None, env=None):
        log = open(os.path.join(self.logdir, name + ".log"), "wb")
        try:
            process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        finally:
            log.close()
        self.started.append((name, process))
        return process

    def log(self, name, tail=4000):
        try:
            with open(os.path.join(self.logdir, name + ".log"), "rb") as f:
                return f.read().decode("utf-8", "replace")[-tail:]
        except OSError:
            return ""

    def check_alive(self):
        """Raises if a server has exited (it must run for the whole bench)."""
        for name, process in self.started:
            if process.poll() is not None:
                raise RuntimeError("%s exited with status %s; its log ends:\n%s"
                                   % (name, process.returncode, self.log(name)))

    def stop_all(self, grace=5.0):
        """TERM to every group, then KILL to what is left after `grace` s."""
        for _, process in self.started:
            _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for _, process in self.started:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for _, process in self.started:
            _signal_group(process.pid, signal.SIGKILL)  # stragglers, orphans
            try:
                process.wait(2)
            except subprocess.TimeoutExpired:
                pass
        self.started = []


def _signal_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def wait_accepting(address, process, name, procs, timeout=30.0):
    """Waits until `address` (a unix path or a (host, port)) accepts."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError("%s exited with status %s while starting; its log:\n%s"
                               % (name, process.returncode, procs.log(name)))
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            try:
                s.connect(address)
                return
            except OSError:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError("%s does not accept on %s after %.0f s; its log:\n%s"
                               % (name, address, timeout, procs.log(name)))
        time.sleep(0.1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat_all():
    """{pid: (ppid, cpu ticks)} for every process now in /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as f:
                data = f.read()
        except OSError:
            continue  # gone meanwhile
        # The name (field 2) may hold spaces and parentheses: split after
        # the last ')'. Then state, ppid, ... utime is field 14, stime 15.
        fields = data[data.rindex(b")") + 2:].split()
        table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


def tree_cpu(roots):
    """{root: CPU seconds (user + system) of root and all its descendants}."""
    table = _stat_all()
    children = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    result = {}
    for root in roots:
        ticks, todo = 0, [root]
        while todo:
            pid = todo.pop()
            if pid in table:
                ticks += table[pid][1]
            todo.extend(children.get(pid, ()))
        result[root] = ticks / TICK
    return result
