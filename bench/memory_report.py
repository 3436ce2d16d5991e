"""The numbers and the markdown of bench/memory: PSS totals and "PSS per extra
worker" = (total with 4 workers - total with 1) / 3, medians over the rounds,
the shoal/uWSGI ratios against issue 7's target (<= 0.8), and the start-up
medians.

    summary = summarize(results["pss"]); text = markdown(results)

Used by bench/memory; not a program of its own.
"""
import statistics

TARGET = 0.8
LABELS = {"shoal preload": "shoal preload, gc.freeze (default)",
          "shoal preload-no-freeze": "shoal preload, --no-gc-freeze",
          "shoal lazy": "shoal --lazy-apps", "uwsgi preload": "uWSGI preload (default)",
          "uwsgi lazy": "uWSGI --lazy-apps"}
PHASES = ("after_full_collection", "warm")  # after gc.collect() in each worker; before it
MEASURES = ("group", "kernel", "anon")  # see read_pss in bench/memory
COMPARISONS = [("preload (defaults)", "shoal preload", "uwsgi preload"),
               ("lazy", "shoal lazy", "uwsgi lazy"),
               ("preload, neither freezing", "shoal preload-no-freeze", "uwsgi preload")]


def _figures(one, four):
    """MiB figures of one round from the 1-worker and 4-worker readings."""
    total1 = one["master"] + sum(one["workers"])
    total4 = four["master"] + sum(four["workers"])
    return {"total_1_worker": total1 / 1024, "master": four["master"] / 1024,
            "mean_worker": statistics.mean(four["workers"]) / 1024,
            "total_4_workers": total4 / 1024, "per_extra_worker": (total4 - total1) / 3 / 1024}


def summarize(rounds):
    """Medians over the rounds per configuration, phase and measure; the
    ratios; which measure is the headline ("group" when root could read
    page frames, else the kernel's Pss)."""
    basis = "group" if all(run[phase]["group"] for runs in rounds for run in runs.values()
                           for phase in PHASES) else "kernel"
    measures = [m for m in MEASURES if m != "group" or basis == "group"]
    configs = {}
    for name in LABELS:
        configs[name] = {}
        for phase in PHASES:
            configs[name][phase] = {}
            for measure in measures:
                per_round = [_figures(runs[f"{name} 1"][phase][measure],
                                      runs[f"{name} 4"][phase][measure]) for runs in rounds]
                medians = {key: statistics.median(r[key] for r in per_round)
                           for key in per_round[0]}
                medians["per_extra_worker_rounds"] = [r["per_extra_worker"] for r in per_round]
                configs[name][phase][measure] = medians
        # Workers whose own collector ran a full collection during the
        # warm-up (the gen2 count; preloaded workers inherit the master's,
        # which is the same with and without gc.freeze).
        gen2 = [int(counts.split(",")[2]) for runs in rounds for workers in (1, 4)
                for counts in runs[f"{name} {workers}"]["gc_collections_after_warm_up"].values()]
        configs[name]["full_gc_during_warm_up"] = [sum(n > 0 for n in gen2), len(gen2)]
    ratios = {}
    for label, shoal, uwsgi in COMPARISONS:
        ratios[label] = {}
        for phase in PHASES:
            for measure in measures:
                ratio = (configs[shoal][phase][measure]["per_extra_worker"]
                         / configs[uwsgi][phase][measure]["per_extra_worker"])
                ratios[label][f"{phase} {measure}"] = {"ratio": ratio, "met": ratio <= TARGET}
    return {"basis": basis, "configs": configs, "ratios": ratios, "target": TARGET,
            "rounds": len(rounds)}


def markdown(results):
    summary = results["summary"]
    configs, basis = summary["configs"], summary["basis"]
    head = "after_full_collection " + basis
    lines = ["### Memory: PSS with Django (MiB)", "",
             "| server, mode | 1 worker: total | 4 workers: master | mean worker | total "
             "| **per extra worker** (rounds' range) | kernel's Pss per extra worker "
             "| workers with a full GC of their own in the warm-up |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, label in LABELS.items():
        figures = configs[name]["after_full_collection"][basis]
        kernel = configs[name]["after_full_collection"]["kernel"]
        spread = figures["per_extra_worker_rounds"]
        ran, of = configs[name]["full_gc_during_warm_up"]
        lines.append(f"| {label} | {figures['total_1_worker']:.1f} | {figures['master']:.1f} "
                     f"| {figures['mean_worker']:.1f} | {figures['total_4_workers']:.1f} "
                     f"| **{figures['per_extra_worker']:.1f}** ({min(spread):.1f}-{max(spread):.1f}) "
                     f"| {kernel['per_extra_worker']:.1f} | {ran} of {of} |")
    lines += ["", f"### PSS per extra worker, shoal/uWSGI (target <= {TARGET})", "",
              "| comparison | shoal | uWSGI | **ratio** | met | before the gc.collect() "
              "| on the kernel's Pss |", "|---|---:|---:|---:|---|---:|---:|"]
    for label, shoal, uwsgi in COMPARISONS:
        ratios = summary["ratios"][label]
        lines.append(
            f"| {label} | {configs[shoal]['after_full_collection'][basis]['per_extra_worker']:.1f} "
            f"| {configs[uwsgi]['after_full_collection'][basis]['per_extra_worker']:.1f} "
            f"| **{ratios[head]['ratio']:.2f}** | {'yes' if ratios[head]['met'] else 'no'} "
            f"| {ratios['warm ' + basis]['ratio']:.2f} "
            f"| {ratios['after_full_collection kernel']['ratio']:.2f} |")
    lines += ["", "### Start-up to the first answered request (ms, 2 workers, default mode)", "",
              "| app | shoal | uWSGI | shoal/uWSGI |", "|---|---:|---:|---:|"]
    medians, tries = results["startup_median_seconds"], results["startup_seconds"]
    for app, label in (("hello", "examples/hello.py"), ("django", "Django (/notes/)")):
        cells = [f"{medians[f'{s} {app}'] * 1000:.0f} ({min(tries[f'{s} {app}']) * 1000:.0f}-"
                 f"{max(tries[f'{s} {app}']) * 1000:.0f})" for s in ("shoal", "uwsgi")]
        ratio = medians[f"shoal {app}"] / medians[f"uwsgi {app}"]
        lines.append(f"| {label} | {cells[0]} | {cells[1]} | {ratio:.2f} |")
    versions = results["versions"]
    counted = ("counted among the server's own processes (each page present in the master or a "
               "worker, from /proc/PID/pagemap, split among those of them that map it; the "
               "kernel's `Pss:` also splits shared libraries with every other program on this "
               "shared machine, so it moves with their load)" if basis == "group" else
               "the kernel's `Pss:` from /proc/PID/smaps_rollup (page frames unreadable: not root)")
    lines += ["", f"Method: PSS {counted}, of tests/apps/djangosite over FastCGI on a unix socket "
              f"with 1 and with 4 workers, after concurrent GETs of "
              f"{', '.join(results['django_uris'])} until every worker had answered at least "
              f"{results['requests_per_worker']} with a 200 (each answer names its worker), then "
              f"one gc.collect() in each worker (without it, whether a worker has run a full "
              f"collection depends on CPython's heuristics: last column); per extra worker = "
              f"(total with 4 - total with 1) / 3, median of {summary['rounds']} interleaved "
              f"rounds. Start-up: from spawning the server to its first 200, socket polled every "
              f"5 ms, median (min-max) of {len(tries['shoal hello'])} interleaved tries. "
              f"uWSGI {versions['uwsgi']}, {versions['shoal']}, Python {versions['python']}, "
              f"{results['machine']['cpus']} CPUs shared with other jobs."]
    if results["stops_needing_sigkill"]:
        lines.append(f"Still running 3 s after their stop signal, then killed: "
                     f"{', '.join(results['stops_needing_sigkill'])}.")
    return "\n".join(lines) + "\n"
