"""Run the points of a benchmark plan, with progress on stderr and a clean Ctrl-C.

Design note
-----------
The plan of a case is its size ladder at the largest thread count (the fewest for fits, see
``_cases``), then its largest size at every other thread count: the first shows how the cost grows with the input, the second how it
scales with cores, and together they cost ``sizes + threads - 1`` points instead of the full grid.
Each point runs under ``threadpool_limits(t)`` (every OpenMP and BLAS pool of the process, the
view scikit-learn's estimators and NumPy act on) with PyTorch's pool set to ``t`` too and the
contenders built with ``n_threads=t``; the limit is entered once per point, outside the timed
calls (entering it costs milliseconds).

Failures are data, not crashes: a contender that raises (a peer missing an option, a
``MemoryError`` at a large size) is recorded with its error and the run goes on; so is a size
whose data cannot be made. Ctrl-C stops the run where it is: the rounds already measured at the
current point are kept (``_harness.Interrupted``), the run is marked interrupted, and the caller
writes the files as usual.

Progress goes to stderr: on a terminal one status line refreshed in place (case, contender,
round, time left), elsewhere (CI logs, tests) a line per finished point and one every few seconds
during a long point. The time left is the plan's rough cost model (``Case.cost``) rescaled by the
pace measured so far.
"""

import sys
import time

from ._cases import value_of
from ._harness import Interrupted, compare, format_time

__all__ = ["Progress", "RunResult", "plan", "run"]


def plan(cases, level, quick, threads):
    """``[(case, size, [thread counts])]`` in execution order (see the design note)."""
    threads = sorted(set(threads))
    out = []
    for case in cases:
        t_ladder = threads[0] if case.ladder_at == "min" else threads[-1]
        sizes = case.sizes_for(level, quick)
        for s in sizes[:-1]:
            out.append((case, s, [t_ladder]))
        out.append((case, sizes[-1], [t_ladder] + [t for t in reversed(threads)
                                                   if t != t_ladder]))
    return out


def _settings(case, quick, repeats, warmup):
    """``(repeats, warmup, min_time, max_time, min_repeats)`` of the case's points."""
    r = case.repeats if repeats is None else repeats
    w = case.warmup if warmup is None else warmup
    m, budget, floor_r = case.min_time, case.max_time, min(3, r)
    if quick:
        r, w, m = min(r, 3), min(w, 1), min(m, 0.002)
        budget, floor_r = 2.0, 1
    if repeats is not None:  # asked for explicitly: no time budget cuts it short
        budget = None
    return r, w, m, budget, floor_r


def _fmt_s(s):
    s = max(0, int(round(s)))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


class Progress:
    """Progress lines on ``stream`` (see the design note); ``quiet`` prints nothing."""

    def __init__(self, stream=None, *, quiet=False):
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        try:
            self.tty = self.stream.isatty()
        except (AttributeError, ValueError):
            self.tty = False
        self.t_start = time.perf_counter()
        self.total = self.done = 0.0
        self.point = None
        self._last = 0.0
        self._status_len = 0

    def begin(self, total_weight, n_points):
        self.total, self.n_points = total_weight, n_points
        self.t_start = time.perf_counter()

    def _eta(self, frac_of_point=0.0):
        elapsed = time.perf_counter() - self.t_start
        done = self.done + (self.point["weight"] * frac_of_point if self.point else 0.0)
        left = max(0.0, self.total - done)
        pace = elapsed / done if done > 0 and elapsed > 1 else 1.0
        return elapsed, left * pace

    def _write(self, text, *, status):
        if self.quiet:
            return
        if self.tty:
            pad = max(0, self._status_len - len(text))
            self.stream.write("\r" + text + " " * pad + ("" if status else "\n"))
            self._status_len = len(text) if status else 0
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def start(self, index, case, size_label, threads, weight, n_rounds):
        self.point = {"index": index, "case": case, "size": size_label, "threads": threads,
                      "weight": weight, "rounds": n_rounds, "t0": time.perf_counter()}
        if self.tty:
            self._last = 0.0
            self.tick("setup", 0, 1, "")
        self._last = time.perf_counter()

    def tick(self, stage, i, n, name):
        """The harness's ``progress`` callback."""
        now = time.perf_counter()
        if now - self._last < (0.2 if self.tty else 10.0):
            return
        self._last = now
        p = self.point
        frac = (i / n) if stage == "round" and n else 0.0
        elapsed, left = self._eta(frac)
        what = {"setup": "preparing data and checking values",
                "warmup": f"warm-up {i + 1}/{n}", "round": f"round {i + 1}/{n}"}[stage]
        text = (f"[{p['index'] + 1}/{self.n_points}] {p['case']} {p['size']}, "
                f"{p['threads']} thr: {what} {name} | {_fmt_s(elapsed)} elapsed, "
                f"~{_fmt_s(left)} left")
        self._write(text[:160] if self.tty else text, status=self.tty)

    def finish(self, summary):
        p = self.point
        self.done += p["weight"]
        elapsed, left = self._eta()
        took = time.perf_counter() - p["t0"]
        self._write(f"[{p['index'] + 1}/{self.n_points}] {p['case']} {p['size']}, "
                    f"{p['threads']} thr ({took:.1f} s): {summary} | ~{_fmt_s(left)} left",
                    status=False)
        self.point = None

    def message(self, text):
        self._write(text, status=False)


class RunResult:
    def __init__(self):
        self.rows = []
        self.errors = []  # case-level: data that could not be made
        self.interrupted = False
        self.points_done = 0
        self.points_total = 0


def _point_summary(rows):
    base = next((r for r in rows if r["role"] == "skxent"), None)
    parts = []
    if base is not None:
        parts.append(f"skxent {format_time(base['median_s'])}")
    for r in rows:
        if r["role"] == "skxent":
            continue
        if r.get("error"):
            parts.append(f"{r['contender']}: error")
        elif r.get("ratio") is not None:
            parts.append(f"{r['contender']} {r['ratio']:.2f}x")
    return "; ".join(parts) if parts else "nothing measured"


def run(cases, *, level, quick, threads, peers, progress, repeats=None, warmup=None):
    """Measure every point of the plan; return a ``RunResult`` (also when interrupted)."""
    result = RunResult()
    steps = plan(cases, level, quick, threads)
    tmax = max(threads)
    weights = []
    for case, size, ts in steps:
        r, w, m, _, _ = _settings(case, quick, repeats, warmup)
        per_call = max(m, case.cost(size))
        for t in ts:
            weights.append(0.05 + (r + w + 1) * case.n_contenders * per_call
                           * (tmax / t) ** 0.7)
    result.points_total = len(weights)
    progress.begin(sum(weights), len(weights))
    index = 0
    try:
        for case, size, ts in steps:
            settings = _settings(case, quick, repeats, warmup)
            label = case.size_label(size)
            base_row = {
                "suite": case.suite, "case": case.name, "title": case.title,
                "size": case.size_info(size), "size_label": label,
                "x": case.x_value(size), "dtype": case.dtype,
            }
            data = None
            try:
                data = case.data(size)
            except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
                err = f"{type(exc).__name__}: {exc}"[:500]
                result.errors.append({**base_row, "error": f"making the data: {err}"})
                progress.message(f"{case.suite}/{case.name} {label}: data failed ({err})")
                index += len(ts)
                continue
            for t in ts:
                progress.start(index, f"{case.suite}/{case.name}", label, t, weights[index],
                               settings[0])
                rows = _run_point(case, data, t, peers, base_row, settings, progress, result)
                result.points_done += 1  # before the line that says so (a Ctrl-C may follow it)
                progress.finish(_point_summary(rows))
                for row in rows:
                    if row.get("agrees") is False:
                        progress.message(
                            f"WARNING: {row['contender']} returned {row['value']!r}, the "
                            f"reference is {row['reference']!r} ({case.suite}/{case.name} "
                            f"{label}): its time does not measure the same computation")
                index += 1
            del data
    except KeyboardInterrupt:
        result.interrupted = True
        progress.message("interrupted: keeping what was measured")
    return result


def _run_point(case, data, threads, peers, base_row, settings, progress, result):
    from threadpoolctl import threadpool_limits

    repeats, warmup, min_time, max_time, min_repeats = settings
    rows = []
    point = None
    values = {}
    errors = {}
    res = None
    try:
        with threadpool_limits(limits=threads):
            peers.set_threads(threads)
            point = case.point(data, threads, peers)
            live = {}
            for name, con in point.contenders.items():
                if con.check and point.reference is not None:
                    try:
                        values[name] = value_of(con.fn())
                    except Exception as exc:  # noqa: BLE001
                        errors[name] = f"{type(exc).__name__}: {exc}"[:500]
                        continue
                live[name] = con.fn
            try:
                res = compare(live, repeats=repeats, warmup=warmup, min_time=min_time,
                              on_error="record", progress=progress.tick, max_time=max_time,
                              min_repeats=min_repeats)
            except Interrupted as exc:
                res = exc.partial
                _collect(rows, case, point, res, values, errors, base_row, threads, settings,
                         partial=True)
                result.rows.extend(rows)
                raise
            extras = {}
            if point.after is not None:
                try:
                    extras = point.after()
                except Exception as exc:  # noqa: BLE001
                    extras = {"skxent": {"after_error": f"{type(exc).__name__}: {exc}"[:500]}}
    except Interrupted:
        raise
    except KeyboardInterrupt:
        # Ctrl-C while building contenders or checking values: keep nothing of this point.
        raise
    except Exception as exc:  # noqa: BLE001 - building the point failed: record, go on
        err = f"{type(exc).__name__}: {exc}"[:500]
        result.errors.append({**base_row, "threads": threads, "error": f"building: {err}"})
        return rows
    _collect(rows, case, point, res, values, errors, base_row, threads, settings,
             extras=extras)
    result.rows.extend(rows)
    return rows


def _collect(rows, case, point, res, values, errors, base_row, threads, settings, *,
             extras=None, partial=False):
    repeats, warmup, min_time, max_time, _ = settings
    res = res or {}
    base = res.get("skxent", {}).get("median")
    for name, con in point.contenders.items():
        entry = res.get(name, {"median": None, "times": []})
        err = errors.get(name) or entry.get("error")
        median = entry.get("median")
        row = {
            **base_row,
            "threads": threads,
            "contender": name,
            "role": con.role,
            "library": con.library,
            "median_s": median,
            "times_s": list(entry.get("times", [])),
            "rounds": len(entry.get("times", [])),
            "repeats": repeats,
            "warmup": warmup,
            "min_time_s": min_time,
            "max_time_s": max_time,
            "ratio": (median / base) if (median is not None and base) else None,
            "error": err,
        }
        if partial:
            row["partial"] = True
        if name in values:
            ref = point.reference
            row["value"] = values[name]
            row["reference"] = ref
            row["agrees"] = bool(abs(values[name] - ref) <= point.rtol * max(abs(ref), 1e-300))
        if extras and name in extras:
            row.update(extras[name])
        rows.append(row)
    for name, why in point.skipped.items():
        rows.append({**base_row, "threads": threads, "contender": name, "role": "reference",
                     "library": None, "median_s": None, "times_s": [], "rounds": 0,
                     "repeats": repeats, "warmup": warmup, "min_time_s": min_time,
                     "max_time_s": max_time, "ratio": None, "error": None, "skipped": why})
