"""The exps of ``skxent/_simd.h`` alone: speed (ns per value) and accuracy (max ulp error).

Design note
-----------
Two double exps exist: the portable ``sk_exp_neg2`` (auto-vectorised in each target_clones
clone; on an AVX-512 machine this script runs its x86-64-v4 clone) and the table-driven AVX-512
exp (``vpermi2pd`` table of 2**(j/16), ``vscalefpd`` scaling). Both are reached through the
private ``skxent._core.exp_array`` (variant 0/2, and 1/3 for their float32-data forms), so
they are timed in one build, in one process, interleaved (``_harness.compare``: several rounds
after warm-up, medians, ratio = portable time / AVX-512 time). Sizes: 4096 values (L1
resident, as a kernel block is) and 1e6 (memory traffic included); ``np.exp`` (NumPy's own
SIMD exp) and the ``np.sum`` floor are printed for scale.

Accuracy: the max ulp error of each exp over a dense sweep of [-745.13, 0] (the kernels'
range, subnormal results included) and, for the AVX-512 exp, [0, 709.78], against NumPy's
80-bit long double exp (checked against mpmath in tests/test_exp.py).

The kernels' ratios against ``sklearn._loss`` are ``benchmarks/bench_losses.py``'s job; why the
kernels do not use the AVX-512 exp is in ``skxent/_simd.h`` and ``benchmarks/results_exp.txt``.
Run ``python benchmarks/bench_exp.py [--repeats 9]``.
"""

import argparse
import datetime
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import _harness  # noqa: E402

PORTABLE, PORTABLE_LOWP, AVX512, AVX512_LOWP = 0, 1, 2, 3


def _ulp_max(core, x, variant):
    out = np.empty_like(x)
    if not core.exp_array(x, None, out, variant):
        return None
    ref = np.exp(x.astype(np.longdouble))
    ulp = np.spacing(np.abs(ref.astype(np.float64))).astype(np.longdouble)
    err = np.abs((out.astype(np.longdouble) - ref) / ulp).astype(np.float64)
    return float(err.max()), float(x[err.argmax()])


def _rel_max(core, x, variant):
    out = np.empty_like(x)
    if not core.exp_array(x, None, out, variant):
        return None
    ref = np.exp(x.astype(np.longdouble))
    return float(np.abs((out.astype(np.longdouble) - ref) / ref).max())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--warmup", type=int, default=2)
    args = p.parse_args(argv)

    import skxent
    from skxent import _core

    print(f"# skxent exp micro-benchmark ({datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC)")
    print(f"SIMD dispatch: {_core.simd_level()}")
    if hasattr(os, "getloadavg"):
        print("load average at start (1, 5, 15 min): %.2f %.2f %.2f" % os.getloadavg())
    have = _core.exp_array(np.zeros(1), None, np.empty(1), AVX512)
    if not have:
        print("this CPU has no AVX-512: only the portable exp is measured")

    print("\n## accuracy (max error against an 80-bit long double exp)")
    if np.finfo(np.longdouble).nmant < 63:
        print("skipped: long double is not 80-bit here")
    else:
        neg = np.linspace(-745.13, 0.0, 2_000_001)
        pos = np.linspace(0.0, 709.78, 1_000_001)
        for name, v in (("portable sk_exp_neg2", PORTABLE), ("AVX-512 exp", AVX512)):
            r = _ulp_max(_core, neg, v)
            if r is not None:
                print(f"{name:22s} [-745.13, 0]:   max {r[0]:.3f} ulp (at x = {r[1]:.6f})")
        r = _ulp_max(_core, pos, AVX512)
        if r is not None:
            print(f"{'AVX-512 exp':22s} [0, 709.78]:    max {r[0]:.3f} ulp (at x = {r[1]:.6f})")
        lowp = np.linspace(-700.0, 0.0, 1_000_001)
        for name, v in (("portable lowp", PORTABLE_LOWP), ("AVX-512 lowp", AVX512_LOWP)):
            r = _rel_max(_core, lowp, v)
            if r is not None:
                print(f"{name:22s} [-700, 0]:      max relative error {r:.3g}")

    print(f"\n## speed (medians of {args.repeats} interleaved rounds; ratio = time / AVX-512 time)")
    rng = np.random.default_rng(0)
    for n, min_time in ((4096, 0.02), (1_000_000, 0.0)):
        x = -rng.uniform(0.0, 20.0, n)
        xlo = x * 2.0**-60
        out = np.empty_like(x)
        c = {}
        if have:
            c["AVX-512 exp"] = lambda: _core.exp_array(x, None, out, AVX512)
        c["portable exp"] = lambda: _core.exp_array(x, None, out, PORTABLE)
        if have:
            c["AVX-512 exp(x + xlo)"] = lambda: _core.exp_array(x, xlo, out, AVX512)
        c["portable exp(x + xlo)"] = lambda: _core.exp_array(x, xlo, out, PORTABLE)
        if have:
            c["AVX-512 lowp"] = lambda: _core.exp_array(x, None, out, AVX512_LOWP)
        c["portable lowp"] = lambda: _core.exp_array(x, None, out, PORTABLE_LOWP)
        c["np.exp (out=)"] = lambda: np.exp(x, out=out)
        c[_harness.FLOOR] = _harness.floor(x)
        res = _harness.compare(c, repeats=args.repeats, warmup=args.warmup, min_time=min_time)
        base = next(iter(res))
        print(f"\n{n} values, x in [-20, 0], single thread")
        print(f"{'contender':26s} {'ns/value':>9s} {'ratio':>7s}")
        for k, r in res.items():
            print(f"{k:26s} {r['median'] / n * 1e9:9.3f} {r['median'] / res[base]['median']:7.2f}")
        if have:
            print("portable / AVX-512: exp %.2fx, exp(x + xlo) %.2fx, lowp %.2fx" % (
                res["portable exp"]["median"] / res["AVX-512 exp"]["median"],
                res["portable exp(x + xlo)"]["median"] / res["AVX-512 exp(x + xlo)"]["median"],
                res["portable lowp"]["median"] / res["AVX-512 lowp"]["median"]))
    if hasattr(os, "getloadavg"):
        print("\nload average at end (1, 5, 15 min): %.2f %.2f %.2f" % os.getloadavg())
    del skxent
    return 0


if __name__ == "__main__":
    sys.exit(main())
