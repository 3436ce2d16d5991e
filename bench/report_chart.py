"""The chart of bench/report.py (matplotlib, Agg backend): left, the median
over rounds of shoal's requests/s over each peer's, per case, with the
targets of issue 7 as red marks; right, median requests/s per case and
contender on a log scale.

Not run by itself; bench/report.py calls draw().
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"shoal": "#1f77b4", "package": "#17becf", "uwsgi": "#ff7f0e",
          "uwsgi_pass": "#9467bd", "c": "#7f7f7f", "gunicorn": "#2ca02c"}
LABELS = {"shoal": "shoal", "package": "shoal (import shoal)", "uwsgi": "uWSGI",
          "uwsgi_pass": "uWSGI uwsgi_pass", "c": "C libfcgi", "gunicorn": "gunicorn"}


def family(contender):
    """The colour and legend of a contender: uWSGI over uwsgi_pass has its own."""
    return "uwsgi_pass" if contender == "uwsgi-uwsgi" else contender.split("-")[0]


def draw(data, targets, ratios, median, names, path):
    cases = data["cases"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 6))

    labels, values, colors, bounds = [], [], [], []
    for name, case in cases.items():
        shoal = case["contenders"][0]
        for peer in case["contenders"][1:]:
            labels.append("%s\nvs %s" % (name, names[peer]))
            values.append(median(ratios(case, "rps", shoal, peer)) or 0)
            colors.append(COLORS[family(peer)])
            bounds.append(next((t[6] for t in targets
                                if t[1] == name and t[2] == "rps" and t[4] == peer), None))
    x = range(len(labels))
    left.bar(x, values, color=colors)
    labelled = False
    for i, bound in enumerate(bounds):
        if bound is not None:
            left.hlines(bound, i - 0.45, i + 0.45, colors="red", linewidth=2.5,
                        label=None if labelled else "target")
            labelled = True
    left.axhline(1.0, color="black", linestyle="--", linewidth=0.8)
    for i, value in enumerate(values):
        left.text(i, value, "%.2f" % value, ha="center", va="bottom", fontsize=7)
    left.set_xticks(list(x))
    left.set_xticklabels(labels, rotation=90, fontsize=7)
    left.set_ylabel("shoal req/s / peer req/s (median of rounds)")
    left.set_title("shoal over its peer, per case (red: target)")
    if any(b is not None for b in bounds):
        left.legend(loc="upper right", fontsize=8)

    width = 0.8 / max(len(case["contenders"]) for case in cases.values())
    seen = set()
    for i, (name, case) in enumerate(cases.items()):
        for j, contender in enumerate(case["contenders"]):
            rps = median(r["results"][contender]["rps"] for r in case["rounds"]) or 0
            label = LABELS[family(contender)]
            offset = (j - (len(case["contenders"]) - 1) / 2) * width
            right.bar(i + offset, rps, width, color=COLORS[family(contender)],
                      label=label if label not in seen else None)
            seen.add(label)
    right.set_yscale("log")
    right.set_xticks(range(len(cases)))
    right.set_xticklabels(list(cases), rotation=90, fontsize=7)
    right.set_ylabel("requests/s (median of rounds, log scale)")
    right.set_title("requests/s per case and contender")
    right.legend(fontsize=8)

    fig.suptitle("shoal benchmark %s (wrk -t2 -c8, loopback)" % data["meta"]["date"])
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
