"""``results.json`` and ``results.md``: every timing, and tables a person reads.

Design note
-----------
The JSON is the record: every round of every contender at every point (not only medians, so a
reader can recompute any statistic), the machine and the library versions, the load average
before and after, the options, the notes (peers absent, TensorFlow's fixed pool) and whether the
run was interrupted. It carries ``schema_version``, bumped on any incompatible change;
``validate`` states the schema in code and the tests use it. The Markdown is derived from the
JSON rows only (never from the plan), so an interrupted run renders whatever it measured.

Files are written atomically (a temporary file in the output folder, then ``os.replace``): a
crash or a Ctrl-C while writing leaves the previous file or the new one, never half of one.
"""

import json
import math
import os
import tempfile

from ._harness import format_time

__all__ = ["SCHEMA_VERSION", "atomic_write", "markdown", "validate"]

SCHEMA_VERSION = 1

_ROW_KEYS = {
    "suite": str, "case": str, "title": str, "size": dict, "size_label": str, "x": (int, float),
    "dtype": (str, type(None)), "threads": int, "contender": str, "role": str,
    "library": (str, type(None)), "median_s": (float, type(None)), "times_s": list,
    "rounds": int, "repeats": int, "warmup": int, "min_time_s": (int, float),
    "ratio": (float, type(None)), "error": (str, type(None)),
}
_TOP_KEYS = {
    "schema_version": int, "tool": str, "started_utc": str, "finished_utc": str,
    "duration_s": (int, float), "interrupted": bool, "points": dict, "command": list,
    "options": dict, "machine": dict, "versions": dict, "peers": dict, "notes": list,
    "cases": list, "results": list, "errors": list, "plots": list,
}
_MACHINE_KEYS = ("cpu_model", "physical_cores", "logical_cores", "simd", "openmp_runtimes",
                 "blas", "threadpools", "load_average_before", "load_average_after")


def validate(doc):
    """Raise ValueError unless ``doc`` follows the results.json schema (version 1)."""
    for k, t in _TOP_KEYS.items():
        if k not in doc:
            raise ValueError(f"missing top-level key {k!r}")
        if not isinstance(doc[k], t) or isinstance(doc[k], bool) and t is int:
            raise ValueError(f"{k!r} has type {type(doc[k]).__name__}")
    if doc["schema_version"] != SCHEMA_VERSION:
        raise ValueError(f"schema_version {doc['schema_version']} != {SCHEMA_VERSION}")
    for k in _MACHINE_KEYS:
        if k not in doc["machine"]:
            raise ValueError(f"machine lacks {k!r}")
    for i, row in enumerate(doc["results"]):
        for k, t in _ROW_KEYS.items():
            if k not in row:
                raise ValueError(f"results[{i}] lacks {k!r}")
            v = row[k]
            if not isinstance(v, t) or (isinstance(v, bool) and k != "agrees"):
                raise ValueError(f"results[{i}][{k!r}] has type {type(v).__name__}")
        if row["median_s"] is not None:
            if not row["times_s"] or not all(isinstance(x, float) and x >= 0
                                             for x in row["times_s"]):
                raise ValueError(f"results[{i}] has a median but no valid times")
        if row["rounds"] != len(row["times_s"]):
            raise ValueError(f"results[{i}]: rounds != len(times_s)")
    return True


def _jsonable(o):
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if hasattr(o, "item") and callable(o.item):  # NumPy scalars
        return _jsonable(o.item())
    return o


def to_json_text(doc):
    return json.dumps(_jsonable(doc), indent=1) + "\n"


def atomic_write(path, data, *, binary=False):
    """Write ``data`` (str or bytes) to ``path`` through a temporary file and ``os.replace``."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if binary else "w") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# -- Markdown --------------------------------------------------------------------------------


def _by_case(rows):
    out = {}
    for r in rows:
        out.setdefault((r["suite"], r["case"]), []).append(r)
    return out


def _contenders(rows):
    seen = []
    for r in rows:
        if r["contender"] not in seen:
            seen.append(r["contender"])
    return seen


def _cell(row):
    if row is None:
        return ""
    if row.get("skipped"):
        return "skipped"
    if row.get("error"):
        return "error"
    return format_time(row["median_s"])


def case_views(rows):
    """One case's rows seen three ways.

    Returns ``(t_top, top_x, at_top, t_ladder, xs, by_size, ts, by_threads)``: the largest size
    ``top_x`` and the largest thread count measured there ``t_top`` with the rows of that point
    (``at_top``: the summary and the ratio bars); the thread count of the size ladder (the one
    with the most sizes, ``t_ladder``), its sizes ``xs`` and rows by ``(contender, x)``; the
    thread counts measured at the largest size ``ts`` and rows by ``(contender, threads)``.
    """
    top_x = max(r["x"] for r in rows)
    top_rows = [r for r in rows if r["x"] == top_x]
    ts = sorted({r["threads"] for r in top_rows})
    t_top = ts[-1]
    at_top = [r for r in top_rows if r["threads"] == t_top]
    n_sizes = {}
    for r in rows:
        n_sizes.setdefault(r["threads"], set()).add(r["x"])
    t_ladder = max(n_sizes, key=lambda t: (len(n_sizes[t]), t))
    ladder = [r for r in rows if r["threads"] == t_ladder]
    xs = sorted({r["x"] for r in ladder})
    by_size = {(r["contender"], r["x"]): r for r in ladder}
    by_threads = {(r["contender"], r["threads"]): r for r in top_rows}
    return t_top, top_x, at_top, t_ladder, xs, by_size, ts, by_threads


def markdown(doc):
    m = doc["machine"]
    lines = ["# skxent-bench results", ""]
    if doc["interrupted"]:
        lines += ["**Interrupted (Ctrl-C)**: these are the points measured before it "
                  f"({doc['points']['done']} of {doc['points']['planned']}).", ""]
    cores = f"{m.get('physical_cores') or '?'} physical / {m.get('logical_cores')} logical cores"
    la_b, la_a = m.get("load_average_before"), m.get("load_average_after")
    fmt_la = (lambda la: " / ".join(f"{x:.2f}" for x in la) if la else "n/a")
    v = doc["versions"]
    lines += [
        f"- machine: {m['cpu_model']}, {cores}, SIMD level dispatched: {m['simd']}; "
        f"OpenMP: {', '.join(m['openmp_runtimes']) or 'none'}; BLAS: {', '.join(m['blas']) or '?'}",
        f"- load average (1/5/15 min): before {fmt_la(la_b)}, after {fmt_la(la_a)}",
        "- versions: " + ", ".join(f"{k} {x}" for k, x in v.items() if x),
        f"- run: {doc['started_utc']} UTC, {doc['duration_s']:.0f} s; "
        f"`{' '.join(doc['command'])}`",
        "- method: contenders interleaved in one process, warm-up rounds, then timed rounds; "
        "medians; **ratio = peer median / skxent median** (> 1: skxent is faster). The floor, "
        "`np.sum` of the input, is one read of the data.",
    ]
    for note in doc["notes"]:
        lines.append(f"- note: {note}")
    cases = {(c["suite"], c["case"]): c for c in doc["cases"]}
    grouped = _by_case(doc["results"])

    lines += ["", "## Summary: ratios at the largest size, per thread count", "",
              "| suite | case | size | threads | skxent | contender | ratio |",
              "|---|---|---|---:|---:|---|---:|"]
    for key, rows in grouped.items():
        *_, ts, by_threads = case_views(rows)
        for t in ts:
            point = [r for (n, tt), r in by_threads.items() if tt == t]
            base = next((r for r in point if r["role"] == "skxent"), None)
            for r in point:
                if r["role"] in ("skxent", "skxent-variant") or r["median_s"] is None:
                    continue
                ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "-"
                lines.append(f"| {key[0]} | {key[1]} | {r['size_label']} | {t} | "
                             f"{format_time(base['median_s'] if base else None)} | "
                             f"{r['contender']} | {ratio} |")

    suite = None
    for key, rows in grouped.items():
        if key[0] != suite:
            suite = key[0]
            lines += ["", f"## {suite}"]
            pngs = [p for p in doc["plots"] if os.path.basename(p).startswith(suite + "_")]
            if pngs:
                lines.append("")
                lines += [f"![{os.path.splitext(os.path.basename(p))[0]}]({os.path.basename(p)})"
                          for p in pngs]
        title = cases.get(key, {}).get("title", key[1])
        tmax, top_x, at_top, t_ladder, xs, by_size, ts, by_threads = case_views(rows)
        lines += ["", f"### {title} (`{key[1]}`)", "",
                  f"At {at_top[0]['size_label']}, {tmax} thread(s):", "",
                  "| contender | median | rounds | ratio (peer / skxent) | note |",
                  "|---|---:|---:|---:|---|"]
        for r in at_top:
            note = r.get("skipped") or r.get("error") or ""
            if r.get("agrees") is False:
                note = f"value {r['value']:.10g} != reference {r['reference']:.10g}"
            if "objective" in r:
                note = f"final objective {r['objective']:.10f}, {r.get('n_iter')} iterations"
            if r.get("partial"):
                note = (note + "; " if note else "") + "partial (interrupted)"
            ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "-"
            name = f"**{r['contender']}**" if r["role"] == "skxent" else r["contender"]
            lines.append(f"| {name} | {_cell(r)} | {r['rounds']} | {ratio} | {note} |")
        names = _contenders(rows)
        if len(xs) > 1:
            labels = {r["x"]: r["size_label"] for r in rows}
            lines += ["", f"Median by input size, {t_ladder} thread(s):", "",
                      "| contender | " + " | ".join(labels[x] for x in xs) + " |",
                      "|---|" + "---:|" * len(xs)]
            for n in names:
                lines.append(f"| {n} | " + " | ".join(_cell(by_size.get((n, x))) for x in xs)
                             + " |")
        if len(ts) > 1:
            lines += ["", f"Median by thread count at {at_top[0]['size_label']} "
                          f"(speed-up over {ts[0]} thread(s)):", "",
                      "| contender | " + " | ".join(f"{t} thr" for t in ts) + " |",
                      "|---|" + "---:|" * len(ts)]
            for n in names:
                cells = []
                first = by_threads.get((n, ts[0]))
                for t in ts:
                    r = by_threads.get((n, t))
                    c = _cell(r)
                    if (r is not None and first is not None and r["median_s"]
                            and first["median_s"] and t != ts[0]):
                        c += f" ({first['median_s'] / r['median_s']:.2f}x)"
                    cells.append(c)
                lines.append(f"| {n} | " + " | ".join(cells) + " |")
    if doc["errors"]:
        lines += ["", "## Errors", ""]
        for e in doc["errors"]:
            lines.append(f"- {e['suite']}/{e['case']} {e['size_label']}: {e['error']}")
    return "\n".join(lines) + "\n"
