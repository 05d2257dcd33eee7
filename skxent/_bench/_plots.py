"""PNG plots of a skxent-bench run (needs matplotlib: ``pip install "skxent[plot]"``).

Design note
-----------
Three figures per suite, each drawn from the JSON rows alone (so an interrupted run plots what
it measured), one small panel per case:

* ``<suite>_speedup.png``: speed-up (median at the fewest threads / median at t) against the
  thread count, one line per contender, with the ideal line (speed-up = t / t_min). Drawn only
  when the run had at least two thread counts.
* ``<suite>_size.png``: median time against the input size on log-log axes, one line per
  contender: a slope of 1 is linear cost; a flat start is per-call overhead.
* ``<suite>_ratios.png``: horizontal bars of peer time / skxent time per case and contender, at
  the largest size, one bar per thread count measured there (fewer threads: hatched), on a log
  axis with the parity line at 1 (right of it, skxent is faster). Both thread counts, because on
  a busy machine a ratio at the largest count alone can be a story about the other jobs.

Every figure has a title, units and legend, and a caption naming the machine (CPU, cores, SIMD
level, load average), because a plot copied out of its folder loses the JSON beside it.
Contenders keep one colour across all panels of a run. The Agg backend is selected (no
display needed); figures are saved through a temporary file and renamed (``_report``).
"""

import io
import math
import os

from ._report import atomic_write, case_views

__all__ = ["available", "write_plots"]


def available():
    """Whether matplotlib imports (the ``plot`` extra)."""
    try:
        import matplotlib  # noqa: F401
    except Exception:  # noqa: BLE001 - a broken install counts as absent
        return False
    return True


def _caption(doc):
    m = doc["machine"]
    cores = f"{m.get('physical_cores') or '?'} physical / {m.get('logical_cores')} logical cores"
    la = m.get("load_average_before")
    la_a = m.get("load_average_after")
    load = (f"load avg {la[0]:.2f} before, {la_a[0]:.2f} after" if la and la_a else "")
    v = doc["versions"]
    libs = ", ".join(f"{k} {v[k]}" for k in ("skxent", "numpy", "scikit-learn", "torch",
                                             "tensorflow", "dask-ml") if v.get(k))
    text = (f"{m['cpu_model']}, {cores}, SIMD {m['simd']}; {load}; "
            f"{doc['started_utc'][:16]} UTC. {libs}")
    if doc["interrupted"]:
        text = "INTERRUPTED RUN (partial). " + text
    return text


def _grid(n):
    cols = min(4, n)
    return math.ceil(n / cols), cols


def _colours(rows):
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    names = []
    for r in rows:
        if r["contender"] not in names:
            names.append(r["contender"])
    fixed = {"skxent": "#1f4e9c"}
    out, i = {}, 0
    for n in names:
        if n in fixed:
            out[n] = fixed[n]
        elif n.startswith("floor"):
            out[n] = "0.45"
        else:
            i += 1
            out[n] = cmap(1 + (i - 1) % 9)  # tab10's first blue is skxent's look-alike
    return out


def _style(name):
    if name == "skxent":
        return dict(linewidth=2.4, marker="o", zorder=5)
    if name.startswith("floor"):
        return dict(linewidth=1.2, linestyle=":", marker=".")
    return dict(linewidth=1.4, marker="s", markersize=4)


def _save(fig, path):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    atomic_write(path, buf.getvalue(), binary=True)


def _short(title, width=46):
    """Wrap a case title for a panel heading."""
    import textwrap

    return "\n".join(textwrap.wrap(title, width))


def _panels(plt, n):
    """A figure with ``n`` panels (at most 4 a row) and room below for legend and caption."""
    nr, nc = _grid(n)
    fig, axes = plt.subplots(nr, nc, figsize=(max(9.0, 4.2 * nc), 3.3 * nr + 1.6),
                             squeeze=False)
    flat = axes.ravel()
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _finish(fig, doc, suptitle, handles, labels):
    """Title on top; legend, then the machine caption, below the panels (sizes in inches)."""
    h = fig.get_figheight()
    ncol = min(4, max(1, len(labels)))
    legend_lines = math.ceil(len(labels) / ncol) if labels else 0
    caption_in, legend_in = 0.42, 0.24 * legend_lines + 0.12
    fig.tight_layout(rect=(0, (caption_in + legend_in) / h, 1, 1 - 0.45 / h))
    fig.suptitle(suptitle, fontsize=13, fontweight="bold", y=1 - 0.12 / h, va="top")
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=9, frameon=False,
                   bbox_to_anchor=(0.5, caption_in / h))
    _caption_text(fig, doc)


def _caption_text(fig, doc):
    import textwrap

    width = int(fig.get_figwidth() * 15)
    fig.text(0.5, 0.06 / fig.get_figheight(), "\n".join(textwrap.wrap(_caption(doc), width)),
             ha="center", va="bottom", fontsize=7.5, color="0.3")


def _legend_union(axes):
    seen = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    return list(seen.values()), list(seen.keys())


def _plot_speedup(plt, doc, suite, groups, colours, path):
    groups = [(k, rows) for k, rows in groups
              if len(case_views(rows)[6]) > 1]
    if not groups:
        return None
    fig, flat = _panels(plt, len(groups))
    for ax, (key, rows) in zip(flat, groups):
        _, top_x, at_top, _, _, _, ts, by_threads = case_views(rows)
        t0 = ts[0]
        ax.plot(ts, [t / t0 for t in ts], color="0.6", linestyle="--", linewidth=1,
                label="ideal (linear speed-up)")
        for name in dict.fromkeys(r["contender"] for r in rows if r["x"] == top_x):
            pts = [(t, by_threads.get((name, t))) for t in ts]
            base = pts[0][1]
            if base is None or not base["median_s"]:
                continue
            xs, ys = [], []
            for t, r in pts:
                if r is not None and r["median_s"]:
                    xs.append(t)
                    ys.append(base["median_s"] / r["median_s"])
            if len(xs) > 1:
                ax.plot(xs, ys, color=colours[name], label=name, **_style(name))
        ax.set_title(_short(f"{doc_title(doc, key)} ({at_top[0]['size_label']})"), fontsize=9)
        ax.set_xlabel("threads")
        ax.set_ylabel(f"speed-up over {t0} thread" + ("s" if t0 > 1 else ""))
        ax.set_xticks(ts)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    h, lab = _legend_union(flat)
    _finish(fig, doc, f"skxent-bench: {suite}: speed-up against threads (median times)", h, lab)
    _save(fig, path)
    plt.close(fig)
    return path


def _plot_size(plt, doc, suite, groups, colours, path):
    groups = [(k, rows) for k, rows in groups if len(case_views(rows)[4]) > 1]
    if not groups:
        return None
    fig, flat = _panels(plt, len(groups))
    cases = {(c["suite"], c["case"]): c for c in doc["cases"]}
    for ax, (key, rows) in zip(flat, groups):
        _, _, _, t_ladder, xs, by_size, _, _ = case_views(rows)
        for name in dict.fromkeys(r["contender"] for r in rows):
            pts = [(x, by_size[(name, x)]["median_s"]) for x in xs
                   if (name, x) in by_size and by_size[(name, x)]["median_s"]]
            if len(pts) > 1:
                ax.plot(*zip(*pts), color=colours[name], label=name, **_style(name))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(_short(f"{doc_title(doc, key)}, {t_ladder} thr"), fontsize=9)
        ax.set_xlabel(cases.get(key, {}).get("x_label", "input size"))
        ax.set_ylabel("median time per call (s)")
        ax.grid(alpha=0.3, which="both")
    h, lab = _legend_union(flat)
    _finish(fig, doc, f"skxent-bench: {suite}: time against input size (log-log)", h, lab)
    _save(fig, path)
    plt.close(fig)
    return path


def _plot_ratios(plt, doc, suite, groups, colours, path):
    groups_bars = []  # (case heading, [(contender, threads, ratio)])
    for key, rows in groups:
        _, _, at_top, _, _, _, ts, by_threads = case_views(rows)
        names = dict.fromkeys(r["contender"] for r in at_top
                              if r["role"] not in ("skxent", "floor"))
        bars = [(n, t, by_threads[(n, t)]["ratio"]) for n in names for t in ts
                if (n, t) in by_threads and by_threads[(n, t)]["ratio"] is not None]
        if bars:
            groups_bars.append((f"{doc_title(doc, key)}: {at_top[0]['size_label']}", bars))
    if not groups_bars:
        return None
    t_max = max(t for _, b in groups_bars for _, t, _ in b)
    n_rows = sum(len(b) + 1 for _, b in groups_bars)
    height = 0.3 * n_rows + 1.9
    fig, ax = plt.subplots(figsize=(10, height))
    y = 0
    yticks, ylabels, seen = [], [], set()
    for heading, bars in groups_bars:
        ax.text(0.003, y - 0.05, heading, transform=ax.get_yaxis_transform(), ha="left",
                va="center", fontsize=8.5, fontweight="bold", zorder=6,
                bbox=dict(facecolor="white", edgecolor="none", pad=1.0))
        y += 1
        for name, t, ratio in bars:
            # fewer threads than the most: the same colour, lighter and hatched
            style = {} if t == t_max else dict(alpha=0.55, hatch="//", edgecolor="white")
            ax.barh(y, ratio, color=colours[name], height=0.75,
                    label=name if name not in seen else None, **style)
            seen.add(name)
            ax.text(ratio * 1.03, y, f"{ratio:.2f}x", va="center", fontsize=8)
            yticks.append(y)
            ylabels.append(f"{name}, {t} thr")
            y += 1
        y += 0.2
    ax.set_xscale("log")
    ax.axvline(1.0, color="k", linewidth=1)
    ax.set_yticks(yticks, ylabels, fontsize=8)
    ax.set_ylim(y - 0.4, -0.6)
    values = [r for _, b in groups_bars for _, _, r in b]
    ax.set_xlim(min(0.5, min(values) / 1.5), max(2.0, max(values) * 2.0))
    ax.set_xlabel("peer time / skxent time (log scale; > 1: skxent is faster)")
    ax.grid(alpha=0.3, axis="x", which="both")
    # room on the left for the longest contender label (8 pt: ~0.065 inch a character)
    left = min(0.55, 0.04 + 0.065 * max(len(label) for label in ylabels) / 10)
    fig.subplots_adjust(left=left, right=0.97, top=1 - 0.6 / height, bottom=1.1 / height)
    fig.suptitle(f"skxent-bench: {suite}: time ratios at the largest size, per thread count",
                 fontsize=13, fontweight="bold", y=1 - 0.12 / height, va="top")
    _caption_text(fig, doc)
    _save(fig, path)
    plt.close(fig)
    return path


def doc_title(doc, key):
    for c in doc["cases"]:
        if (c["suite"], c["case"]) == key:
            return c.get("short_title") or c["title"]
    return key[1]


def write_plots(doc, out_dir):
    """Write the PNGs of ``doc`` (a results.json dict) into ``out_dir``; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in doc["results"] if r.get("median_s") is not None]
    colours = _colours(rows)
    written = []
    suites = list(dict.fromkeys(r["suite"] for r in rows))
    for suite in suites:
        groups = {}
        for r in rows:
            if r["suite"] == suite:
                groups.setdefault((r["suite"], r["case"]), []).append(r)
        groups = list(groups.items())
        for kind, fn in (("speedup", _plot_speedup), ("size", _plot_size),
                         ("ratios", _plot_ratios)):
            path = os.path.join(out_dir, f"{suite}_{kind}.png")
            if fn(plt, doc, suite, groups, colours, path):
                written.append(path)
    return written
