"""``skxent-bench``: benchmark skxent against the installed peers on this machine's cores.

Design note
-----------
The command a user runs to see what skxent does on *their* machine, so it must not waste their
time: every input is checked before anything is measured (unknown suite, size or peer, a thread
count below 1 or above the logical cores, an output folder that cannot be written: a message on
stderr and exit code 2, nothing written), and the files are written once, at the end, atomically
(``results.json``, ``results.md``, the PNGs). Ctrl-C stops the measuring, not the writing: what
was measured is written, marked interrupted, and the exit code is 130. Exit code 0 otherwise,
also when a contender failed (its error is in the results).
"""

import argparse
import datetime
import os
import sys
import tempfile
import time

__all__ = ["main"]

SUITES = ("losses", "metrics", "fit", "sampled")
EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 2, 130


class UsageError(Exception):
    pass


def default_threads(logical=None):
    """1, 2, 4, ... up to the logical core count (which is added if not a power of two)."""
    logical = logical or os.cpu_count() or 1
    out, t = [], 1
    while t <= logical:
        out.append(t)
        t *= 2
    if out[-1] != logical:
        out.append(logical)
    return out


def _parser():
    p = argparse.ArgumentParser(
        prog="skxent-bench",
        description="Benchmark skxent against whichever peers are installed (scikit-learn "
                    "always; PyTorch, TensorFlow, dask-ml when present) on this machine's cores. "
                    "Writes DIR/results.json (every timing, the machine), DIR/results.md "
                    "(tables of medians and ratios) and, with matplotlib (the 'plot' extra), "
                    "PNG plots. Ratios are peer time / skxent time (> 1: skxent is faster).",
    )
    p.add_argument("--suite", default="all",
                   help="comma-separated: losses, metrics, fit, sampled, or all (default all)")
    p.add_argument("--threads", nargs="+", default=None, metavar="N",
                   help="thread counts to sweep, e.g. '1 2 4' or 1,2,4 (default: 1, 2, 4, ... up "
                        "to the logical core count)")
    p.add_argument("--size", default="default",
                   help="input sizes: small, default or large (default: default)")
    p.add_argument("--peers", default="auto",
                   help="auto (every installed peer), none (skxent alone), or comma-separated "
                        "names: sklearn, torch, tensorflow, dask-ml")
    p.add_argument("--quick", action="store_true",
                   help="small sizes, 3 rounds: a run of seconds to check the setup")
    p.add_argument("--out", default="skxent-bench-results", metavar="DIR",
                   help="output folder (created if needed; default ./skxent-bench-results)")
    p.add_argument("--no-plot", action="store_true", help="do not write PNG plots")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed rounds per point (default: per suite, 3 to 7)")
    p.add_argument("--warmup", type=int, default=None,
                   help="warm-up rounds per point (default: per suite, 0 to 3)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return p


def _parse_suites(text):
    names = [s.strip().lower() for s in text.replace(" ", ",").split(",") if s.strip()]
    if not names:
        raise UsageError("--suite is empty")
    out = []
    for n in names:
        if n == "all":
            out.extend(SUITES)
        elif n in SUITES:
            out.append(n)
        else:
            raise UsageError(f"unknown suite {n!r}: choose among {', '.join(SUITES)}, all")
    return list(dict.fromkeys(out))


def _parse_threads(values, logical):
    if values is None:
        return default_threads(logical)
    out = []
    for v in values:
        for part in v.replace(",", " ").split():
            try:
                t = int(part)
            except ValueError:
                raise UsageError(f"--threads: {part!r} is not an integer") from None
            if t < 1:
                raise UsageError(f"--threads: {t} is below 1")
            if t > logical:
                raise UsageError(f"--threads: {t} is above this machine's {logical} logical "
                                 "cores")
            out.append(t)
    if not out:
        raise UsageError("--threads is empty")
    return sorted(set(out))


def _check_out_dir(path):
    """Create ``path`` if needed and prove a file can be written there; return whether created."""
    path = os.path.abspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"--out {path}: exists and is not a folder")
    created = not os.path.exists(path)
    try:
        os.makedirs(path, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".skxent-bench-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"--out {path}: cannot write there ({exc.strerror or exc})") from None
    return created


def _validate(args):
    from ._cases import SIZE_LEVELS
    from ._peers import find_missing, parse_peers

    logical = os.cpu_count() or 1
    suites = _parse_suites(args.suite)
    size = args.size.strip().lower()
    if size not in SIZE_LEVELS:
        raise UsageError(f"unknown size {args.size!r}: choose among {', '.join(SIZE_LEVELS)}")
    threads = _parse_threads(args.threads, logical)
    try:
        mode, names = parse_peers(args.peers)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if mode == "names":
        missing = find_missing(names)
        if missing:
            raise UsageError(f"--peers: {', '.join(missing)} requested but not installed")
    for opt in ("repeats", "warmup"):
        v = getattr(args, opt)
        if v is not None and v < (1 if opt == "repeats" else 0):
            raise UsageError(f"--{opt}: {v} is too small")
    return suites, size, threads, mode, names


def _select_cases(suites, peer_names=()):
    from . import _suite_fit, _suite_losses, _suite_metrics, _suite_sampled

    out = []
    for s in suites:
        if s == "fit":
            out.extend(_suite_fit.cases(with_dask_ml="dask-ml" in peer_names))
        else:
            out.extend({"losses": _suite_losses, "metrics": _suite_metrics,
                        "sampled": _suite_sampled}[s].cases())
    return out


def _utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S")


def execute(*, cases, out_dir, threads, size, quick, peers_mode, peer_names, plot,
            argv, repeats=None, warmup=None, progress=None, notes=()):
    """Run ``cases`` and write the results into ``out_dir``; return the exit code.

    The library entry point behind ``main`` (tests pass their own cases). ``out_dir`` must be
    writable (``main`` checks it before calling).
    """
    from ._machine import library_versions, load_average, machine_info
    from ._peers import Peers
    from ._plots import available, write_plots
    from ._report import SCHEMA_VERSION, atomic_write, markdown, to_json_text
    from ._runner import Progress, run

    progress = progress or Progress()
    t_start = time.time()
    load_before = load_average()
    peers = Peers(peer_names, max_threads=max(threads), strict=(peers_mode == "names"))
    notes = list(notes) + peers.notes
    for name, st in peers.status.items():
        if not st["available"] and st["reason"] != "not requested":
            notes.append(f"{name} not available: {st['reason']}")
    if peers_mode == "none":
        notes.append("--peers none: skxent alone, with the floor and reference rows")
    machine = machine_info()
    progress.message(
        f"skxent-bench: {len(cases)} cases, threads {threads}, size "
        f"{'small (--quick)' if quick else size}, peers: "
        f"{', '.join(n for n in peer_names if peers.status[n]['available']) or 'none'}; "
        f"{machine['cpu_model']}, {machine['logical_cores']} logical cores, SIMD "
        f"{machine['simd']}, load {load_before[0] if load_before else '?'}")
    result = run(cases, level=size, quick=quick, threads=threads, peers=peers,
                 progress=progress, repeats=repeats, warmup=warmup)
    t_end = time.time()
    machine["load_average_before"] = load_before
    machine["load_average_after"] = load_average()
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tool": "skxent-bench",
        "started_utc": _utc(t_start),
        "finished_utc": _utc(t_end),
        "duration_s": round(t_end - t_start, 3),
        "interrupted": result.interrupted,
        "points": {"done": result.points_done, "planned": result.points_total},
        "command": ["skxent-bench"] + list(argv),
        "options": {"suites": list(dict.fromkeys(c.suite for c in cases)),
                    "threads": threads, "size": "small" if quick else size, "quick": quick,
                    "peers": peers_mode, "peer_names": peer_names, "repeats": repeats,
                    "warmup": warmup, "plot": plot},
        "machine": machine,
        "versions": library_versions(),
        "peers": peers.status,
        "notes": notes,
        "cases": [{"suite": c.suite, "case": c.name, "title": c.title,
                   "short_title": c.short or c.title, "dtype": c.dtype,
                   "x_label": c.x_label, "notes": list(c.notes)} for c in cases],
        "results": result.rows,
        "errors": result.errors,
        "plots": [],
    }
    if plot:
        if available():
            try:
                doc["plots"] = [os.path.basename(p) for p in write_plots(doc, out_dir)]
            except Exception as exc:  # noqa: BLE001 - the numbers matter more than the plots
                doc["notes"].append(f"plots failed: {type(exc).__name__}: {exc}")
                progress.message(f"plots failed: {type(exc).__name__}: {exc}")
        else:
            doc["notes"].append("matplotlib not installed: no plots (pip install "
                                "'skxent[plot]')")
            progress.message("matplotlib is not installed: no plots (pip install "
                             "'skxent[plot]')")
    atomic_write(os.path.join(out_dir, "results.json"), to_json_text(doc))
    atomic_write(os.path.join(out_dir, "results.md"), markdown(doc))
    files = ["results.json", "results.md"] + doc["plots"]
    progress.message(f"wrote {', '.join(files)} to {out_dir} "
                     f"({'INTERRUPTED, ' if result.interrupted else ''}"
                     f"{result.points_done}/{result.points_total} points, "
                     f"{t_end - t_start:.0f} s)")
    return EXIT_INTERRUPTED if result.interrupted else EXIT_OK


def main(argv=None):
    """Console-script entry point; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse's own errors already exit 2 with a message
        return int(exc.code or 0)
    try:
        suites, size, threads, mode, names = _validate(args)
        created = _check_out_dir(args.out)
    except UsageError as exc:
        print(f"skxent-bench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from . import _peers
    from ._peers import PeerUnavailable
    from ._runner import Progress

    try:
        installed = [n for n in names if n not in _peers.find_missing([n])]
        cases = _select_cases(suites, installed)
        notes = []
        if "fit" in suites and "dask-ml" not in installed:
            notes.append("fit: the binary case runs only with dask-ml, its peer (not installed "
                         "or not requested)")
        if "metrics" in suites:
            from ._suite_metrics import missing_optional

            missing = missing_optional()
            if missing:
                notes.append("skxent.metrics has no " + ", ".join(missing)
                             + " in this version: those cases are not run")
        if args.quick and args.size.strip().lower() != "small":
            notes.append("--quick uses the small sizes (first two of each ladder)")
        return execute(cases=cases, out_dir=os.path.abspath(args.out), threads=threads,
                       size=size, quick=args.quick, peers_mode=mode, peer_names=names,
                       plot=not args.no_plot, argv=argv, repeats=args.repeats,
                       warmup=args.warmup, progress=Progress(quiet=args.quiet), notes=notes)
    except (PeerUnavailable, KeyboardInterrupt) as exc:
        # A named peer that is installed but does not import, or Ctrl-C before the first
        # measurement (the run itself turns Ctrl-C into an interrupted result): nothing written.
        if created:
            try:
                os.rmdir(args.out)
            except OSError:
                pass
        if isinstance(exc, KeyboardInterrupt):
            print("skxent-bench: interrupted before anything was measured", file=sys.stderr)
            return EXIT_INTERRUPTED
        print(f"skxent-bench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
