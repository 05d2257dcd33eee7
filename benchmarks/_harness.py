"""Shared timing harness for skxent's benchmarks.

Design note
-----------
The machine is noisy, so a benchmark never quotes one absolute time. ``compare`` runs every
contender in the same process, interleaved (A, B, C, A, B, C, ...), for several repetitions after
a warm-up round, and reports medians. ``print_table`` prints each contender's median and its ratio
to the baseline (peer time / baseline time: > 1 means the baseline, skxent, is faster), plus an
optional floor (e.g. ``np.sum`` over the same input) so the reader sees how close to memory speed
the kernels run.
"""

import gc
import statistics
import time


def compare(contenders, *, repeats=7, warmup=1, min_time=0.0):
    """Time callables interleaved; return ``{name: {"median": s, "times": [...]}}``.

    Parameters
    ----------
    contenders : dict of str -> callable
        Zero-argument callables. Order is kept; ``None`` values are skipped.
    repeats : int
        Timed rounds; each round calls every contender once (or several times, see ``min_time``).
    warmup : int
        Untimed rounds before timing (first-call allocations, thread-pool start-up).
    min_time : float
        If > 0, each timed call is repeated until it has run at least this many seconds and the
        mean per call is recorded (for very fast functions).
    """
    items = [(k, f) for k, f in contenders.items() if f is not None]
    for _ in range(warmup):
        for _, f in items:
            f()
    times = {k: [] for k, _ in items}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            for k, f in items:
                n = 0
                t0 = time.perf_counter()
                while True:
                    f()
                    n += 1
                    el = time.perf_counter() - t0
                    if el >= min_time:
                        break
                times[k].append(el / n)
    finally:
        if gc_was_enabled:
            gc.enable()
    return {k: {"median": statistics.median(v), "times": v} for k, v in times.items()}


def print_table(title, results, *, baseline="skxent", floor=None, file=None):
    """Print medians (ms) and ratios ``peer / baseline``; return the ratio dict."""
    base = results[baseline]["median"]
    print(f"\n## {title}", file=file)
    print(f"{'contender':<34} {'median ms':>11} {'ratio (x)':>10}", file=file)
    ratios = {}
    for k, r in results.items():
        ratio = r["median"] / base
        ratios[k] = ratio
        mark = "" if k != baseline else "  <- baseline"
        print(f"{k:<34} {r['median'] * 1e3:>11.3f} {ratio:>10.2f}{mark}", file=file)
    if floor is not None and floor in results:
        print(
            f"{baseline} / {floor} (distance to the floor): "
            f"{base / results[floor]['median']:.2f}x",
            file=file,
        )
    return ratios


def now():
    return time.perf_counter()
