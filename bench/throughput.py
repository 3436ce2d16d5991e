#!/usr/bin/python3
"""bench/throughput.py: the throughput part of bench/run. Starts shoal,
uWSGI and the C libfcgi responder behind one nginx (FastCGI and SCGI, unix
sockets; uWSGI also over its own protocol, uwsgi_pass, a peer in both the
FastCGI and the SCGI cases) and shoal (AJP) and gunicorn (HTTP) behind one
Apache, checks that each answers each case right, then runs interleaved
rounds of wrk (the contenders of a case one after the other, their order
rotated each round), at full speed and then, for hello and JSON, paced
(bench/paced.lua: each connection waits a few ms before each request, so
latency is compared at the same load) and writes every raw result, with
the CPU time of each server's process tree per run, to one JSON file
(bench/report.py turns it into markdown).

  /usr/bin/python3 bench/throughput.py --shoal build-bench/shoal \\
      --c-responder build-bench/c_responder --json bench/results/latest.json \\
      [--rounds 5] [--seconds 4] [--big-rounds 3] [--big-seconds 3] \\
      [--paced-seconds 2] [--only fastcgi-hello,scgi-hello]

Defaults come from BENCH_ROUNDS, BENCH_SECONDS, BENCH_BIG_ROUNDS,
BENCH_BIG_SECONDS, BENCH_PACED_SECONDS, BENCH_ONLY when set; BENCH_KEEP=1 keeps the temporary
directory (configs, logs). bench/run builds what it needs and calls it.
Exit status: 0 done; 3 done, but with errors under load or a wrong answer
after the load (all recorded in the JSON, "problems"); 1 nothing measured.
"""
import argparse
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_app  # noqa: E402  (the expected answers)
import throughput_wrk as wrk  # noqa: E402
import throughput_procs as procs  # noqa: E402
import throughput_servers as servers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UPLOAD = b"x" * (1 << 20)

# case name: its path, wrk script, group ("hello" or "big": which rounds and
# duration) and contenders (shoal first, then its peers; the C responder
# serves hello only).
CASES = {}
for _protocol, _peers in (("fastcgi", ["package-fastcgi", "uwsgi-fastcgi", "c-fastcgi",
                                       "uwsgi-uwsgi"]),
                          ("scgi", ["uwsgi-scgi", "uwsgi-uwsgi"]),
                          ("ajp", ["gunicorn-http", "shoal-ajp-noping"])):
    for _kind, _path in (("hello", "/hello"), ("json", "/json"), ("big", "/big"),
                         ("upload", "/upload")):
        CASES["%s-%s" % (_protocol, _kind)] = {
            "path": _path,
            "script": "upload.lua" if _kind == "upload" else None,
            # The paced runs: each connection waits this many ms between
            # requests (bench/paced.lua), for latency at the same load
            # (nginx's cases: the latency targets are shoal's against uWSGI).
            "paced_ms": {"hello": 2, "json": 5}.get(_kind) if _protocol != "ajp" else None,
            "group": "hello" if _kind == "hello" else "big",
            "contenders": ["shoal-" + _protocol]
            + [p for p in _peers if _kind == "hello" or not servers.CONTENDERS[p][2]],
        }


def expected(path):
    """The body a right answer has: the app's own, or the upload's size."""
    if path == "/upload":
        return str(len(UPLOAD)).encode()
    return b"".join(bench_app.app({"PATH_INFO": path}, lambda status, headers: None))


def check(url, path):
    """None when url+path answers 200 with the expected body, else why not."""
    host, port = url[len("http://"):].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        if path == "/upload":
            connection.request("POST", path, body=UPLOAD,
                               headers={"Content-Type": "application/octet-stream"})
        else:
            connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as error:
        return "%s%s: %s" % (url, path, error)
    finally:
        connection.close()
    want = expected(path)
    if response.status != 200 or body != want:
        return ("%s%s: status %d, %d bytes (%r...), expected 200 and %d bytes (%r...)"
                % (url, path, response.status, len(body), body[:60], len(want), want[:60]))
    return None


def check_all(cases, contenders):
    problems = []
    for case in cases.values():
        for name in case["contenders"]:
            for _ in range(2):  # two requests, perhaps two workers
                problem = check(contenders[name]["url"], case["path"])
                if problem:
                    problems.append("%s answers wrong: %s" % (name, problem))
                    break
    return problems


def command_output(argv):
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=20)
        return done.stdout.decode("utf-8", "replace").strip()
    except OSError as error:
        return "(%s)" % error


def machine(shoal):
    model = re.search(r"^model name\s*:\s*(.*)$", open("/proc/cpuinfo").read(), re.M)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "nproc": os.cpu_count(),
        "cpu": model.group(1) if model else "?",
        "kernel": os.uname().release,
        "loadavg_start": open("/proc/loadavg").read().split()[:3],
        "versions": {
            "shoal": command_output(["git", "-C", ROOT, "describe", "--always", "--dirty",
                                     "--tags"]),
            "shoal --version": command_output([shoal, "--version"]),
            "nginx": command_output(["nginx", "-v"]).replace("nginx version: ", ""),
            "uWSGI": command_output(["uwsgi", "--version"]),
            "Apache": command_output(["apache2", "-v"]).splitlines()[0].replace(
                "Server version: ", ""),
            "gunicorn": command_output(["gunicorn", "--version"]),
            "Python": command_output(["/usr/bin/python3", "--version"]),
            "libfcgi": command_output(["dpkg-query", "-W", "-f=${Version}", "libfcgi-dev"]),
            "wrk": command_output(["wrk", "-v"]).splitlines()[0],
        },
    }


def log_since(path, offset):
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def measure(contender, fronts, case, seconds, paced_ms=None):
    """One wrk run (paced by bench/paced.lua when `paced_ms` is set); adds
    the CPU seconds of the backend's process tree and of its front end's,
    and both per completed request in microseconds."""
    roots = [contender["pid"], fronts[contender["front"]]]
    log_offset = log_size(contender["log"])
    started = datetime.datetime.now().strftime("%H:%M:%S.%f")[:-3]
    before = procs.tree_cpu(roots)
    script = os.path.join(ROOT, "bench", case["script"]) if case["script"] else None
    if paced_ms:
        script = os.path.join(ROOT, "bench", "paced.lua")
    result = wrk.run(contender["url"] + case["path"], seconds, script,
                     script_args=[paced_ms] if paced_ms else ())
    after = procs.tree_cpu(roots)
    result["started"] = started  # local time, to match log lines to runs
    # Lines the backend logged, mostly "client went away" when wrk stops
    # with requests in flight.
    result["log_lines"] = len(log_since(contender["log"], log_offset).splitlines())
    result["cpu_backend_s"] = after[roots[0]] - before[roots[0]]
    result["cpu_front_s"] = after[roots[1]] - before[roots[1]]
    n = result["requests"]
    result["backend_us_per_request"] = result["cpu_backend_s"] / n * 1e6 if n else None
    result["front_us_per_request"] = result["cpu_front_s"] / n * 1e6 if n else None
    if not any(result["errors"].values()) and not result["non2xx"]:
        del result["wrk_output"]  # kept only to show what went wrong
    return result


def run_rounds(cases, contenders, fronts, plan, procs_, problems, paced=False):
    """Interleaved rounds of every case; with `paced`, of the cases that have
    a paced_ms, at that pace (plan["paced"])."""
    results = {name: [] for name in cases}
    total = max(rounds for rounds, _ in plan.values())
    for round_ in range(1, total + 1):
        for name, case in cases.items():
            if paced and not case["paced_ms"]:
                continue
            rounds, seconds = plan["paced" if paced else case["group"]]
            if round_ > rounds:
                continue
            shift = (round_ - 1) % len(case["contenders"])
            order = case["contenders"][shift:] + case["contenders"][:shift]
            row = {}
            for contender in order:
                procs_.check_alive()
                result = measure(contenders[contender], fronts, case, seconds,
                                 case["paced_ms"] if paced else None)
                row[contender] = result
                failed = sum(result["errors"].values()) + result["non2xx"]
                note = ("  ERRORS: socket %s, non-2xx %d" % (result["errors"], result["non2xx"])
                        if failed else "")
                print("%s %d %-15s %-14s %9.0f req/s  p50 %7.3f ms  p99 %7.3f ms  %6.0f us/req%s"
                      % ("paced" if paced else "round", round_, name, contender, result["rps"], result["p50_ms"],
                         result["p99_ms"], result["backend_us_per_request"] or 0, note),
                      flush=True)
                if failed:
                    problems.append("%s round %d %s: socket errors %s, non-2xx responses %d"
                                    " (of %d)" % (name, round_, contender, result["errors"],
                                                  result["non2xx"], result["requests"]))
            results[name].append({"round": round_, "order": order, "results": row})
    return results


def parse_args():
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shoal", default=os.path.join(ROOT, "build-bench", "shoal"))
    parser.add_argument("--c-responder", default=os.path.join(ROOT, "build-bench", "c_responder"))
    parser.add_argument("--json", default=os.path.join(ROOT, "bench", "results", "latest.json"))
    parser.add_argument("--rounds", type=int, default=int(env("BENCH_ROUNDS", 5)),
                        help="rounds of the hello cases")
    parser.add_argument("--seconds", type=float, default=float(env("BENCH_SECONDS", 4)),
                        help="seconds per wrk run, hello cases")
    parser.add_argument("--big-rounds", type=int, default=int(env("BENCH_BIG_ROUNDS", 3)),
                        help="rounds of the json, big and upload cases")
    parser.add_argument("--big-seconds", type=float,
                        default=float(env("BENCH_BIG_SECONDS", 3)),
                        help="seconds per wrk run, json, big and upload cases")
    parser.add_argument("--paced-seconds", type=float,
                        default=float(env("BENCH_PACED_SECONDS", 2)),
                        help="seconds per paced wrk run (as many rounds as --big-rounds)")
    parser.add_argument("--only", default=env("BENCH_ONLY", ""),
                        help="comma-separated cases, e.g. fastcgi-hello,ajp-upload")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ajp-packet-size", type=int, default=8192)
    parser.add_argument("--no-ajp-ping", action="store_true",
                        help="ProxyPass without ping=2 (conf/apache-ajp.conf has it)")
    args = parser.parse_args()
    unknown = [c for c in args.only.split(",") if c and c not in CASES]
    if unknown:
        parser.error("unknown case(s) %s; cases: %s" % (unknown, ", ".join(CASES)))
    return args


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally
    os.chdir(ROOT)
    cases = {n: c for n, c in CASES.items() if not args.only or n in args.only.split(",")}
    plan = {"hello": (args.rounds, args.seconds), "big": (args.big_rounds, args.big_seconds),
            "paced": (args.big_rounds, args.paced_seconds)}
    names = sorted({c for case in cases.values() for c in case["contenders"]},
                   key=list(servers.CONTENDERS).index)
    run = tempfile.mkdtemp(prefix="shoal-throughput-")
    procs_ = procs.Processes(run)
    started = time.monotonic()
    try:
        meta = machine(args.shoal)
        contenders, front_pids = servers.start(names, run, procs_, args.shoal, args.c_responder,
                                               args.workers, args.ajp_packet_size,
                                               not args.no_ajp_ping)
        problems = check_all(cases, contenders)
        if problems:
            print("bench/throughput.py: a contender answers wrong, nothing measured:\n  "
                  + "\n  ".join(problems), file=sys.stderr)
            return 1
        logs = {name: os.path.join(run, name + ".log") for name in names}
        front_logs = {"nginx error.log": os.path.join(run, "nginx", "error.log"),
                      "apache error.log": os.path.join(run, "apache", "error.log")}
        logs.update(front_logs)
        for name in names:
            contenders[name]["log"] = logs[name]
        offsets = {name: log_size(path) for name, path in logs.items()}
        results = run_rounds(cases, contenders, front_pids, plan, procs_, problems)
        paced = run_rounds(cases, contenders, front_pids, plan, procs_, problems, paced=True)
        procs_.check_alive()
        problems += ["after the load, " + p for p in check_all(cases, contenders)]
        log_output = {name: log_since(path, offsets[name]) for name, path in logs.items()}
        for name in front_logs:  # warnings: upstream errors, temporary files
            lines = log_output[name].strip().splitlines()
            if lines:
                problems.append("%s logged %d line(s) during the load, the last: %s"
                                % (name, len(lines), lines[-1][-240:]))
        meta["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
        meta["seconds"] = round(time.monotonic() - started, 1)
        data = {
            "meta": meta,
            "settings": {"rounds": args.rounds, "seconds": args.seconds,
                         "paced_seconds": args.paced_seconds,
                         "big_rounds": args.big_rounds, "big_seconds": args.big_seconds,
                         "workers": args.workers, "wrk": "-t 2 -c 8 --latency",
                         "ajp_packet_size": args.ajp_packet_size,
                         "ajp_ping": not args.no_ajp_ping},
            "contenders": {n: {"front": c["front"], "argv": c["argv"]}
                           for n, c in contenders.items()},
            "cases": {n: dict(c, rounds=results[n], paced=paced[n]) for n, c in cases.items()},
            "problems": problems,
            "logs": {n: t[-4000:] for n, t in log_output.items() if t.strip()},
        }
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json + ".tmp", "w") as f:
            json.dump(data, f, indent=1)
        os.replace(args.json + ".tmp", args.json)
        print("bench/throughput.py: %s in %.0f s" % (args.json, meta["seconds"]))
        if problems:
            print("bench/throughput.py: PROBLEMS:\n  " + "\n  ".join(problems), file=sys.stderr)
            return 3
        return 0
    except RuntimeError as error:
        print("bench/throughput.py: %s" % error, file=sys.stderr)
        return 1
    finally:
        procs_.stop_all()
        if os.environ.get("BENCH_KEEP"):
            print("bench/throughput.py: kept %s (BENCH_KEEP)" % run, file=sys.stderr)
        else:
            shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
