#!/usr/bin/python3
"""bench/report.py: turns bench/throughput.py's JSON into bench/results/
latest.md (machine, versions, method, per-case tables with per-round
requests/s and ratios, median latency and CPU per request, the targets of
issue 7, problems) and a chart (latest.png, bench/report_chart.py), and
embeds the markdown of the other parts (memory.md, callgrind.md).

  /usr/bin/python3 bench/report.py --json bench/results/latest.json \\
      --md bench/results/latest.md --png bench/results/latest.png [--parts DIR]

DIR holds memory.md and callgrind.md (from bench/memory and bench/callgrind)
and timings.tsv (part, seconds, status: lines bench/run writes). Exit
status 3 when the results record problems (errors, wrong answers), else 0.
"""
import argparse
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

NAMES = {"shoal-fastcgi": "shoal", "package-fastcgi": "shoal (import shoal)", "uwsgi-fastcgi": "uWSGI", "c-fastcgi": "C libfcgi",
         "shoal-scgi": "shoal", "uwsgi-scgi": "uWSGI", "uwsgi-uwsgi": "uWSGI uwsgi_pass",
         "shoal-ajp": "shoal (AJP)",
         "gunicorn-http": "gunicorn (HTTP)", "shoal-ajp-noping": "shoal (AJP, no ping=)"}
PROTOCOLS = {"fastcgi": "FastCGI through nginx", "scgi": "SCGI through nginx",
             "ajp": "Apache: shoal over AJP, gunicorn over HTTP"}
KINDS = {"hello": "hello world", "json": "10 KiB JSON", "big": "1 MiB response",
         "upload": "1 MiB upload"}
FRONT = {"nginx": "nginx", "apache": "Apache"}

# (what, case, metric, shoal, peer, ">=" or "<=", bound): the ratio
# shoal/peer per round, its median over rounds against the bound.
TARGETS = [
    ("FastCGI hello req/s: shoal >= 1.2 x uWSGI", "fastcgi-hello", "rps",
     "shoal-fastcgi", "uwsgi-fastcgi", ">=", 1.2),
    # The package is the same core: the seed's script within 5 % of the daemon.
    ("FastCGI hello req/s: import shoal >= 0.95 x the daemon", "fastcgi-hello", "rps",
     "package-fastcgi", "shoal-fastcgi", ">=", 0.95),
    ("FastCGI hello req/s: shoal >= 0.85 x C libfcgi", "fastcgi-hello", "rps",
     "shoal-fastcgi", "c-fastcgi", ">=", 0.85),
    ("SCGI hello req/s: shoal >= 1.15 x uWSGI", "scgi-hello", "rps",
     "shoal-scgi", "uwsgi-scgi", ">=", 1.15),
    # uWSGI as its users run it, over its own protocol (uwsgi_pass): a
    # cheaper path than its FastCGI or SCGI socket, so the bar is parity.
    ("FastCGI hello req/s: shoal >= 1.0 x uWSGI uwsgi_pass", "fastcgi-hello", "rps",
     "shoal-fastcgi", "uwsgi-uwsgi", ">=", 1.0),
    ("SCGI hello req/s: shoal >= 1.0 x uWSGI uwsgi_pass", "scgi-hello", "rps",
     "shoal-scgi", "uwsgi-uwsgi", ">=", 1.0),
] + [
    ("%s %s p99 latency: shoal <= uWSGI" % (p, KINDS[k]), "%s-%s" % (p.lower(), k),
     "p99_ms", "shoal-" + p.lower(), "uwsgi-" + p.lower(), "<=", 1.0)
    for p in ("FastCGI", "SCGI") for k in KINDS
] + [
    # The same at a paced load (bench/paced.lua): every contender under the
    # same steady rate, below its capacity, so the tail is the server's and
    # not the queue's of a saturated machine.
    ("%s %s p99 latency at a paced load: shoal <= uWSGI" % (p, KINDS[k]),
     "%s-%s" % (p.lower(), k), "paced:p99_ms", "shoal-" + p.lower(), "uwsgi-" + p.lower(),
     "<=", 1.0)
    for p in ("FastCGI", "SCGI") for k in ("hello", "json")
] + [
    ("Apache hello req/s: shoal AJP >= 3 x gunicorn HTTP", "ajp-hello", "rps",
     "shoal-ajp", "gunicorn-http", ">=", 3.0),
    ("Apache hello req/s: shoal AJP without ping= >= 3 x gunicorn HTTP", "ajp-hello", "rps",
     "shoal-ajp-noping", "gunicorn-http", ">=", 3.0),
]


def title(case):
    protocol, kind = case.split("-")
    return "%s: %s" % (PROTOCOLS[protocol], KINDS[kind])


def ratios(case, metric, a, b):
    """shoal/peer per round (None for a round where the peer did 0). A
    metric "paced:NAME" is NAME in the paced rounds."""
    rounds = case["rounds"]
    if metric.startswith("paced:"):
        rounds, metric = case.get("paced") or [], metric[len("paced:"):]
    out = []
    for round_ in rounds:
        x, y = round_["results"][a][metric], round_["results"][b][metric]
        out.append(x / y if y else None)
    return out


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=2):
    return "n/a" if value is None else "%.*f" % (digits, value)


def errors(result):
    return sum(result["errors"].values()) + result["non2xx"]


def case_section(name, case, front):
    contenders = case["contenders"]
    shoal, peers = contenders[0], contenders[1:]
    lines = ["### %s" % title(name), "",
             "| round | " + " | ".join("%s req/s" % NAMES[c] for c in contenders) + " | "
             + " | ".join("%s/%s" % (NAMES[shoal], NAMES[p]) for p in peers) + " |",
             "|---" * (1 + len(contenders) + len(peers)) + "|"]
    per_peer = {p: ratios(case, "rps", shoal, p) for p in peers}
    for i, round_ in enumerate(case["rounds"]):
        cells = []
        for c in contenders:
            result = round_["results"][c]
            cells.append("%.0f%s" % (result["rps"], " (**%d errors**)" % errors(result)
                                     if errors(result) else ""))
        lines.append("| %d | %s | %s |" % (round_["round"], " | ".join(cells),
                                           " | ".join(fmt(per_peer[p][i]) for p in peers)))
    lines.append("| **median** | %s | %s |" % (
        " | ".join("%.0f" % median(r["results"][c]["rps"] for r in case["rounds"])
                   for c in contenders),
        " | ".join("**%s**" % fmt(median(per_peer[p])) for p in peers)))
    lines += ["", "| contender | p50 ms | p99 ms | server CPU µs/req | %s CPU µs/req | "
              "errors | log lines |" % FRONT[front], "|---|---|---|---|---|---|---|"]
    for c in contenders:
        results = [r["results"][c] for r in case["rounds"]]
        lines.append("| %s | %s | %s | %s | %s | %s | %d |" % (
            NAMES[c], fmt(median(r["p50_ms"] for r in results), 3),
            fmt(median(r["p99_ms"] for r in results), 3),
            fmt(median(r["backend_us_per_request"] for r in results), 0),
            fmt(median(r["front_us_per_request"] for r in results), 0),
            "**%d**" % sum(map(errors, results)) if sum(map(errors, results)) else "0",
            sum(r.get("log_lines", 0) for r in results)))
    if case.get("paced"):
        lines += ["", "At a paced load (each of wrk's connections waits %d ms before each "
                  "request; medians of %d rounds):" % (case["paced_ms"], len(case["paced"])), "",
                  "| contender | req/s | p50 ms | p99 ms | server CPU µs/req | errors |",
                  "|---|---|---|---|---|---|"]
        for c in contenders:
            results = [r["results"][c] for r in case["paced"]]
            lines.append("| %s | %.0f | %s | %s | %s | %s |" % (
                NAMES[c], median(r["rps"] for r in results),
                fmt(median(r["p50_ms"] for r in results), 3),
                fmt(median(r["p99_ms"] for r in results), 3),
                fmt(median(r["backend_us_per_request"] for r in results), 0),
                "**%d**" % sum(map(errors, results)) if sum(map(errors, results)) else "0"))
    return lines + [""]


def targets(data):
    rows = ["| target | measured (median of per-round ratios) | met |", "|---|---|---|"]
    met = {}
    for what, name, metric, a, b, op, bound in TARGETS:
        case = data["cases"].get(name)
        paced = metric.startswith("paced:")
        if not case or b not in case["contenders"] or (paced and not case.get("paced")):
            rows.append("| %s | not measured | - |" % what)
            continue
        value = median(ratios(case, metric, a, b))
        ok = value is not None and (value >= bound if op == ">=" else value <= bound)
        had_errors = any(errors(r["results"][c]) for r in case["paced" if paced else "rounds"]
                         for c in (a, b))
        met[name, metric, b] = ok
        rows.append("| %s | %s | %s%s |" % (what, fmt(value), "yes" if ok else "**no**",
                                             " (errors under load)" if had_errors else ""))
    return rows, met


def demote(markdown, levels=2):
    """Headings of an embedded fragment go `levels` deeper (not in code)."""
    out, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", line):
            line = "#" * min(6, line.index(" ") + levels) + line[line.index(" "):]
        out.append(line)
    return "\n".join(out)


def part_sections(parts):
    timings = {}
    if parts and os.path.exists(os.path.join(parts, "timings.tsv")):
        with open(os.path.join(parts, "timings.tsv")) as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if len(fields) == 3:
                    timings[fields[0]] = (fields[1], fields[2])
    lines = []
    for part, heading in (("memory", "Memory and start-up (bench/memory)"),
                          ("callgrind", "Instruction counts (bench/callgrind)")):
        lines += ["## " + heading, ""]
        path = os.path.join(parts, part + ".md") if parts else None
        status = timings.get(part, ("", "not run"))[1]
        if status != "ok":
            lines.append("_bench/%s: %s._" % (part, status))
        if path and os.path.exists(path):
            with open(path) as f:
                lines.append(demote(f.read().strip()))
        elif status == "ok":
            lines.append("_bench/%s wrote no %s.md._" % (part, part))
        lines.append("")
    if timings:
        lines += ["## Run time", "", "| part | seconds | status |", "|---|---|---|"]
        lines += ["| %s | %s | %s |" % (p, s, st) for p, (s, st) in timings.items()]
        lines.append("")
    return lines


def render(data, parts, png_name):
    meta, settings = data["meta"], data["settings"]
    lines = ["# shoal benchmark: %s" % meta["date"], ""]
    lines += ["Machine: %d CPUs (%s), Linux %s; load average %s at the start, %s at the end "
              "(the machine may be shared: only ratios within one run mean much)."
              % (meta["nproc"], meta["cpu"], meta["kernel"], " ".join(meta["loadavg_start"]),
                 " ".join(meta.get("loadavg_end", ["?"])), ), "",
              "| software | version |", "|---|---|"]
    lines += ["| %s | %s |" % (k, v.replace("\n", " ")) for k, v in meta["versions"].items()]
    lines += ["",
              "Method: one app (`bench/bench_app.py`), %d worker processes per server; nginx "
              "(1 worker, unix sockets) in front of FastCGI and SCGI, and of uWSGI over its own "
              "protocol (uwsgi_pass, stock uwsgi_params; a peer in the FastCGI and the SCGI "
              "cases), Apache (event MPM) in front "
              "of AJP (ping=%s as conf/apache-ajp.conf, packet %d; hello also without ping=, "
              "to a second shoal) and HTTP; wrk %s over loopback."
              % (settings["workers"], "2" if settings["ajp_ping"] else "off",
                 settings["ajp_packet_size"], settings["wrk"]),
              "Rounds interleave the contenders of a case (order rotated each round): hello %d x "
              "%g s, the others %d x %g s; CPU per request is utime+stime of the server's process "
              "tree (and the front end's) over the run, divided by the requests wrk completed."
              % (settings["rounds"], settings["seconds"], settings["big_rounds"],
                 settings["big_seconds"]), ""]
    target_rows, _ = targets(data)
    lines += ["## Targets", ""] + target_rows + [""]
    lines += ["## Problems", ""]
    if data["problems"]:
        lines += ["**%d problem(s):**" % len(data["problems"]), ""]
        lines += ["- " + p for p in data["problems"]]
    else:
        lines.append("None: no socket errors and no non-2xx responses from wrk, every answer "
                     "checked before and after the load, no warnings from nginx or Apache.")
    lines += ["", "## Throughput", "", "![requests/s and ratios](%s)" % png_name, ""]
    for name, case in data["cases"].items():
        front = data["contenders"][case["contenders"][0]]["front"]
        lines += case_section(name, case, front)
    if data["logs"]:
        lines += ["### Logs during the load", "",
                  "What the servers and front ends logged while wrk ran (backends mostly log "
                  "`client went away` when wrk stops with requests in flight). Last lines:", ""]
        for name, text in data["logs"].items():
            tail = "\n".join(text.strip().splitlines()[-8:])
            lines += ["<details><summary>%s</summary>" % name, "", "```", tail, "```", "",
                      "</details>", ""]
    lines += part_sections(parts)
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", required=True)
    parser.add_argument("--md", required=True)
    parser.add_argument("--png", required=True)
    parser.add_argument("--parts", help="directory with memory.md, callgrind.md, timings.tsv")
    args = parser.parse_args()
    with open(args.json) as f:
        data = json.load(f)
    import report_chart  # matplotlib is slow to import; only here
    report_chart.draw(data, TARGETS, ratios, median, NAMES, args.png)
    with open(args.md, "w") as f:
        f.write(render(data, args.parts, os.path.basename(args.png)))
    print("bench/report.py: wrote %s and %s" % (args.md, args.png))
    target_rows, met = targets(data)
    print("\n".join(target_rows))
    if data["problems"]:
        print("bench/report.py: PROBLEMS (see %s):\n  %s"
              % (args.md, "\n  ".join(data["problems"])), file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
