"""Runs one bounded wrk load (wrk -t 2 -c 8 -d S --latency [-s script]) and
parses its output: requests/s, requests completed, p50 and p99 latency,
socket errors and non-2xx/3xx responses.

Not run by itself; imported by bench/throughput.py. `python3 throughput_wrk.py
FILE` parses a saved wrk output, for checking the parser.
"""
import re
import subprocess
import sys

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text):
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError("latency %r" % text)
    return float(match.group(1)) * UNITS[match.group(2)]


def parse(output):
    """wrk's --latency output as a dict; raises if a field is missing."""
    result = {"errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0}, "non2xx": 0}
    match = re.search(r"^\s*(\d+) requests in ([0-9.]+)(us|ms|s|m|h)", output, re.M)
    if not match:
        raise ValueError("no request count in wrk output:\n" + output)
    result["requests"] = int(match.group(1))
    result["duration_s"] = _ms(match.group(2) + match.group(3)) / 1e3
    match = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.M)
    if not match:
        raise ValueError("no Requests/sec in wrk output:\n" + output)
    result["rps"] = float(match.group(1))
    for percent in ("50", "99"):
        match = re.search(r"^\s+%s%%\s+(\S+)" % percent, output, re.M)
        if not match:
            raise ValueError("no %s%% latency in wrk output:\n%s" % (percent, output))
        result["p%s_ms" % percent] = _ms(match.group(1))
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                      output)
    if match:
        result["errors"] = dict(zip(("connect", "read", "write", "timeout"),
                                    map(int, match.groups())))
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if match:
        result["non2xx"] = int(match.group(1))
    return result


def run(url, seconds, script=None, threads=2, connections=8, script_args=()):
    """One wrk run against `url`; the parsed result plus wrk's own text."""
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", "%gs" % seconds,
            "--latency"]
    if script:
        argv += ["-s", script]
    argv.append(url)
    if script_args:
        argv += ["--"] + [str(a) for a in script_args]
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=seconds + 30)
    output = done.stdout.decode("utf-8", "replace")
    if done.returncode != 0:
        raise RuntimeError("wrk failed (status %d): %s\n%s"
                           % (done.returncode, " ".join(argv), output))
    result = parse(output)
    result["wrk_output"] = output
    return result


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print(parse(f.read()))
