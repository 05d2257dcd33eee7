"""The timing methodology of every skxent benchmark, in one place.

Design note
-----------
The machines skxent is measured on are small and shared, so a benchmark never quotes one absolute
time. ``compare`` runs every contender in the same process, interleaved (A, B, C, A, B, C, ...),
for several rounds after warm-up rounds, and reports medians: a burst of load then hits every
contender alike instead of whichever ran during it, and the median ignores the odd slow round.
Ratios are always **peer time / skxent time** (> 1: skxent is faster). The floor, ``np.sum`` over
the same input (``FLOOR``, ``floor``), is one read of the data: the memory-bandwidth bound a loss
kernel can approach but not beat, shown so the reader sees how far from it each contender is.

This module is the only copy: ``skxent-bench`` (``skxent._bench``), the repository's scripts in
``benchmarks/`` (through ``benchmarks/_harness.py``, a re-export) and the asv suite all use it.
It imports nothing from skxent, so the scripts can load it even from a checkout whose extension
is not built.

Two additions serve the command-line tool and cost the scripts nothing (their defaults keep the
old behaviour): ``on_error="record"`` turns a contender that raises (a peer missing an option, a
``MemoryError``) into a recorded error instead of a failed run, and a ``KeyboardInterrupt`` during
timing is re-raised as ``Interrupted`` carrying the rounds measured so far, so Ctrl-C keeps them.
"""

import gc
import statistics
import time

import numpy as np

__all__ = [
    "FLOOR",
    "Interrupted",
    "compare",
    "floor",
    "format_time",
    "markdown_table",
    "now",
    "print_table",
    "ratios",
]

#: Name of the floor row: one read of the input (``np.sum(y_pred)``).
FLOOR = "floor: np.sum(y_pred)"


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during ``compare``; ``partial`` holds the results of the rounds completed so far."""

    def __init__(self, partial):
        super().__init__("interrupted")
        self.partial = partial


def floor(a):
    """The floor contender for input ``a``: ``np.sum(a)``, one read of every element."""
    return lambda: np.sum(a)


def _error_text(exc):
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 500 else text[:497] + "..."


def _summarise(times, errors, order):
    out = {}
    for k in order:
        v = times.get(k, [])
        entry = {"median": statistics.median(v) if v else None, "times": list(v)}
        if k in errors:
            entry["error"] = errors[k]
            entry["median"] = None
        out[k] = entry
    return out


def compare(contenders, *, repeats=7, warmup=1, min_time=0.0, on_error="raise", progress=None,
            max_time=None, min_repeats=3):
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
    on_error : {"raise", "record"}
        ``"record"``: a contender that raises an ``Exception`` is dropped from the later rounds
        and its entry gets ``"error"`` (``"Type: message"``) and ``"median": None``; the others go
        on. ``"raise"`` (the default): the exception propagates.
    max_time : float, optional
        Time budget in seconds for the timed rounds: once it is spent and at least
        ``min_repeats`` rounds are complete, no further round starts (each contender then has
        fewer than ``repeats`` times; callers report the count). For slow contenders (fits) on
        a machine whose load makes them unpredictable. None: always ``repeats`` rounds.
    min_repeats : int
        Rounds always completed before ``max_time`` can stop the timing.
    progress : callable, optional
        Called as ``progress(stage, round_index, n_rounds, name)`` before every call, ``stage``
        being ``"warmup"`` or ``"round"``. For progress displays; must be cheap.

    Raises
    ------
    Interrupted
        On ``KeyboardInterrupt`` (Ctrl-C); its ``partial`` attribute has the same form as the
        return value, with the rounds completed so far.
    """
    if on_error not in ("raise", "record"):
        raise ValueError(f"on_error must be 'raise' or 'record', got {on_error!r}")
    order = [k for k, f in contenders.items() if f is not None]
    live = {k: contenders[k] for k in order}
    times = {k: [] for k in order}
    errors = {}

    def call(k, f):
        try:
            return f()
        except Exception as exc:  # noqa: BLE001 - recorded, see on_error
            if on_error == "raise":
                raise
            errors[k] = _error_text(exc)
            live.pop(k, None)
            return None

    gc_was_enabled = gc.isenabled()
    try:
        for i in range(warmup):
            for k, f in list(live.items()):
                if progress is not None:
                    progress("warmup", i, warmup, k)
                call(k, f)
        gc.disable()
        t_timed = time.perf_counter()
        for i in range(repeats):
            if (max_time is not None and i >= min_repeats
                    and time.perf_counter() - t_timed >= max_time):
                break
            for k, f in list(live.items()):
                if progress is not None:
                    progress("round", i, repeats, k)
                n = 0
                failed = False
                t0 = time.perf_counter()
                while True:
                    try:
                        f()
                    except Exception as exc:  # noqa: BLE001
                        if on_error == "raise":
                            raise
                        errors[k] = _error_text(exc)
                        live.pop(k, None)
                        failed = True
                        break
                    n += 1
                    el = time.perf_counter() - t0
                    if el >= min_time:
                        break
                if not failed:
                    times[k].append(el / n)
    except KeyboardInterrupt as exc:
        if isinstance(exc, Interrupted):
            raise
        raise Interrupted(_summarise(times, errors, order)) from None
    finally:
        if gc_was_enabled:
            gc.enable()
    return _summarise(times, errors, order)


def ratios(results, baseline):
    """``{name: median / baseline median}`` for the entries that have a median (else None)."""
    base = results.get(baseline, {}).get("median")
    out = {}
    for k, r in results.items():
        m = r.get("median")
        out[k] = m / base if (m is not None and base) else None
    return out


def print_table(title, results, *, baseline="skxent", floor=None, file=None):
    """Print medians (ms) and ratios ``peer / baseline``; return the ratio dict.

    Entries without a median (a recorded error) are printed with their error and get ratio None.
    """
    r = ratios(results, baseline)
    print(f"\n## {title}", file=file)
    print(f"{'contender':<34} {'median ms':>11} {'ratio (x)':>10}", file=file)
    for k, res in results.items():
        if res.get("median") is None:
            print(f"{k:<34} {'-':>11} {'-':>10}  {res.get('error', 'no timing')}", file=file)
            continue
        mark = "" if k != baseline else "  <- baseline"
        ratio = f"{r[k]:>10.2f}" if r[k] is not None else f"{'-':>10}"
        print(f"{k:<34} {res['median'] * 1e3:>11.3f} {ratio}{mark}", file=file)
    if floor is not None and r.get(floor):
        print(f"{baseline} / {floor} (distance to the floor): {1.0 / r[floor]:.2f}x", file=file)
    return r


def markdown_table(results, *, baseline, floor=None):
    """Lines of a Markdown table: contender, median (ms), rounds, ratio ``peer / baseline``."""
    r = ratios(results, baseline)
    lines = ["| contender | median ms | rounds | ratio (peer / skxent) |", "|---|---:|---:|---:|"]
    for k, res in results.items():
        name = f"**{k}**" if k == baseline else k
        if res.get("median") is None:
            lines.append(f"| {name} | - | {len(res.get('times', []))} | "
                         f"error: {res.get('error', 'no timing')} |")
            continue
        ratio = f"{r[k]:.2f}" if r[k] is not None else "-"
        lines.append(f"| {name} | {res['median'] * 1e3:.4g} | {len(res['times'])} | {ratio} |")
    if floor is not None and r.get(floor):
        lines.append("")
        lines.append(f"{baseline} / floor: {1.0 / r[floor]:.2f}x")
    return lines


def now():
    return time.perf_counter()


def format_time(t):
    """A duration in seconds as ``"1.23 s"``, ``"45.6 ms"`` or ``"789 us"`` (``"-"`` for None)."""
    if t is None:
        return "-"
    if t >= 1:
        return f"{t:.3g} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    return f"{t * 1e6:.3g} us"
