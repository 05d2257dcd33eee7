"""The fused linear-model pass (skxent/_fused.h): one evaluation against its floor, thread
scaling, the crossover to BLAS, and how fit time grows with the data.

Design note
-----------
Four parts, each timed with ``_harness.compare`` (peers in one process, interleaved, medians
after a warm-up round); every printed block starts with the load average, because the machine
is shared:

``--eval``
    One objective + gradient evaluation (``FusedLinearLoss.loss_gradient``, what L-BFGS calls)
    for the README's cases: the fused pass on 1 and 2 threads, the BLAS path it replaces (row
    blocks, two GEMMs around the kernel, 2 worker threads), scikit-learn's
    ``LinearModelLoss.loss_gradient`` and the floor: the larger of one read of ``X``
    (``np.sum(X)``; ``X.data.sum()`` for CSR) and the evaluation's multiply-adds
    (``2 n p K``, forward and backward) at this machine's large-GEMM rate (``np.dot`` of two
    square matrices of X's dtype, BLAS on every core). Targets: within 2x of the floor (dense),
    2 threads >= 1.8x faster than 1. Then the same single-threaded, in this thread's CPU time
    (fused on 1 thread, scikit-learn with BLAS on 1 thread, the read of ``X``): the per-core
    cost, which a busy machine can still measure when the wall clock is mostly waiting.
    ``--baseline DIR`` adds a built checkout's fused pass (``bench_versions.load_baseline``) to
    the same interleaved rounds, on 1 and 2 threads: old against new on the same arrays, wall
    and single-thread CPU time.
``--fit-breakdown``
    Where a fit's time goes (the sparse case by default, ``--only``): ``SoftmaxRegression`` and
    ``LogisticRegression`` fitted one after the other with ``scipy.optimize.minimize`` wrapped,
    counting the objective evaluations and the time inside them; the rest of ``minimize`` is
    L-BFGS-B's own work (its two-loop recursion over ``(n_features + 1) * n_classes`` variables
    and 10 correction pairs), the rest of the fit is set-up (validation, the CSR copy). Then
    L-BFGS-B alone on a cheap quadratic of the same size (1 and the default BLAS threads): the
    solver's share of the floor of a fit, which neither library's evaluation can remove.
``--crossover``
    Fused pass against the BLAS path for outputs K and features p on a grid, float64 and
    float32, one thread each, timed in CPU time (per-core efficiency decides which path is
    faster, and CPU time is what a busy machine can still measure): where BLAS's blocked GEMM
    starts to win.
    ``_linear_loss._use_fused`` encodes it (``p * K <= _FUSED_MAX_COEFS``).
``--growth``
    Fit time (``SoftmaxRegression(n_threads=2)`` vs ``LogisticRegression()``, lbfgs, C=1,
    make_classification data, 10 classes) against n_samples (10k .. 1M, 100 features) and
    n_features (10 .. 1000, 50k samples), one fit each (interleaved), plus the crossover grid;
    written to ``benchmarks/results/fused_growth.{json,csv,png}``.

Runs: ``--eval`` ~2 min (~4 with ``--baseline``), ``--fit-breakdown`` ~2 min, ``--crossover`` ~1 min,
``--growth`` ~8 min on 2 busy cores.
``--quick`` shrinks everything (smoke run).
"""

import argparse
import csv
import importlib
import json
import os
import sys
import time
import warnings

import numpy as np
from scipy import sparse

sys.path.insert(0, os.path.dirname(__file__))
from _harness import compare, print_table  # noqa: E402
from bench_linear_model import dense_data, multilabel_data, sparse_data  # noqa: E402

from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.linear_model._linear_loss import LinearModelLoss  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from skxent import _fused  # noqa: E402
from skxent._engine import BINARY, CATEGORICAL  # noqa: E402
from skxent.linear_model import SoftmaxRegression  # noqa: E402
from skxent.linear_model import _linear_loss as LL  # noqa: E402

FAMILY = {"softmax": CATEGORICAL, "sigmoid": BINARY}
DEFAULT_ONLY = "dense-float64,dense-float32,sparse,multilabel"

RESULTS = os.path.join(os.path.dirname(__file__), "results")


def load():
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def gemm_rate(dtype, n=2000):
    """Flops per second of a large square GEMM (BLAS on every core), median of 5."""
    A = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    r = compare({"gemm": lambda: A @ A}, repeats=5)
    return 2.0 * n**3 / r["gemm"]["median"]


def compare_cpu(contenders, repeats):
    """``_harness.compare`` for single-threaded callables, timed in this thread's CPU time
    (interleaved, warm-up round, medians): what the code costs, whatever the other tenants of
    the machine take from the wall clock."""
    for f in contenders.values():
        f()
    times = {k: [] for k in contenders}
    for _ in range(repeats):
        for k, f in contenders.items():
            t0 = time.thread_time()
            f()
            times[k].append(time.thread_time() - t0)
    return {k: {"median": float(np.median(v)), "times": v} for k, v in times.items()}


BASE = None  # (FusedLinearLoss, families) of the --baseline checkout


def make_loss(X, y, link, K, n_threads, fused=True, base=False):
    if base:
        cls, fam = BASE
        return cls(X, y, family=fam[link], n_outputs=K, fit_intercept=True, n_threads=n_threads)
    old = LL._use_fused
    if not fused:
        LL._use_fused = lambda X, K: False
    try:
        return LL.FusedLinearLoss(X, y, family=FAMILY[link], n_outputs=K, fit_intercept=True,
                                  n_threads=n_threads)
    finally:
        LL._use_fused = old


def eval_case(title, X, y, link, K, repeats):
    """One objective + gradient evaluation: fused (1, 2 threads), BLAS path, sklearn, floor."""
    print(f"\n### {title}: X {X.shape} {X.dtype}{' CSR' if sparse.issparse(X) else ''}, "
          f"K={K}; {load()}")
    yl = y.astype(np.int64) if link == "softmax" else y.astype(X.dtype)
    n, p = X.shape
    f1 = make_loss(X, yl, link, K, 1)
    f2 = make_loss(X, yl, link, K, 2)
    blas = make_loss(X, yl, link, K, 2, fused=False)
    coef = np.random.default_rng(0).standard_normal(f1.n_dof * K) * 0.01
    # scikit-learn, as its lbfgs calls it (multinomial; for sigmoid: one binary call per label)
    l2 = 1.0 / n
    if link == "softmax":
        sk = LinearModelLoss(HalfMultinomialLoss(n_classes=K), fit_intercept=True)
        ysk, csk = y.astype(X.dtype), coef.astype(X.dtype)

        def peer():
            sk.loss_gradient(csk, X, ysk, None, l2, 1)
    else:
        sk = LinearModelLoss(HalfBinomialLoss(), fit_intercept=True)
        cols = [np.ascontiguousarray(y[:, j], dtype=X.dtype) for j in range(K)]
        c2 = coef.reshape(f1.n_dof, K)
        cj = [np.ascontiguousarray(c2[:, j], dtype=X.dtype) for j in range(K)]

        def peer():
            for j in range(K):
                sk.loss_gradient(cj[j], X, cols[j], None, l2, 1)
    read = (lambda: X.data.sum()) if sparse.issparse(X) else (lambda: np.sum(X))
    rate = gemm_rate(X.dtype)
    nnz = X.nnz if sparse.issparse(X) else n * p
    t_flops = 2.0 * 2.0 * nnz * K / rate
    ours = {
        "skxent fused, 2 threads": lambda: f2.loss_gradient(coef),
        "skxent fused, 1 thread": lambda: f1.loss_gradient(coef),
        "skxent BLAS path, 2 workers": lambda: blas.loss_gradient(coef),
    }
    if BASE is not None:
        b1 = make_loss(X, yl, link, K, 1, base=True)
        b2 = make_loss(X, yl, link, K, 2, base=True)
        ours["baseline fused, 2 threads"] = lambda: b2.loss_gradient(coef)
        ours["baseline fused, 1 thread"] = lambda: b1.loss_gradient(coef)
        fb, gb = b1.loss_gradient(coef)
        fn, gn = f1.loss_gradient(coef)
        print(f"baseline vs new: objective difference {fn - fb:+.2e}, max gradient difference "
              f"{np.max(np.abs(gn - gb)):.2e}")
    with threadpool_limits(1, user_api="blas"):  # as in fit (skxent limits BLAS itself)
        res = compare(ours, repeats=repeats)
    res.update(compare({"sklearn LinearModelLoss": peer, "read: np.sum(X)": read},
                       repeats=repeats))
    print_table(f"{title}: one objective + gradient evaluation", res,
                baseline="skxent fused, 2 threads")
    t2 = res["skxent fused, 2 threads"]["median"]
    t1 = res["skxent fused, 1 thread"]["median"]
    t_read = res["read: np.sum(X)"]["median"]
    floor = max(t_read, t_flops)
    print(f"GEMM rate {rate / 1e9:.1f} GFlop/s -> the evaluation's {4 * nnz * K / 1e9:.2f} "
          f"GFlop take {t_flops * 1e3:.2f} ms; one read {t_read * 1e3:.2f} ms; "
          f"floor {floor * 1e3:.2f} ms")
    print(f"fused (2 threads) / floor: {t2 / floor:.2f}x (target <= 2 for dense)   "
          f"1 thread / 2 threads: {t1 / t2:.2f}x (target >= 1.8)   "
          f"sklearn / fused: {res['sklearn LinearModelLoss']['median'] / t2:.1f}x")
    # Per-core cost, in this thread's CPU time (what a busy machine can still measure): every
    # contender on one thread, BLAS included.
    cpu_cases = {"fused": lambda: f1.loss_gradient(coef), "sklearn": peer, "read": read}
    if BASE is not None:
        cpu_cases["baseline"] = lambda: b1.loss_gradient(coef)
    with threadpool_limits(1, user_api="blas"):
        cpu = compare_cpu(cpu_cases, repeats=repeats)
    c_f, c_s, c_r = (cpu[k]["median"] for k in ("fused", "sklearn", "read"))
    if BASE is not None:
        c_b = cpu["baseline"]["median"]
        t_b1 = res["baseline fused, 1 thread"]["median"]
        t_b2 = res["baseline fused, 2 threads"]["median"]
        print(f"baseline / new: wall 1 thread {t_b1 / t1:.2f}x, 2 threads {t_b2 / t2:.2f}x; "
              f"CPU time (1 thread) {c_b * 1e3:.2f} ms / {c_f * 1e3:.2f} ms = {c_b / c_f:.2f}x")
    print(f"one thread, CPU time: fused {c_f * 1e3:.2f} ms, sklearn {c_s * 1e3:.2f} ms "
          f"(sklearn / fused {c_s / c_f:.1f}x), one read {c_r * 1e3:.2f} ms "
          f"(fused / read {c_f / c_r:.2f}x)")
    for obj in (f1, f2, blas):
        obj.close()
    return dict(case=title, fused2=t2, fused1=t1, blas=res["skxent BLAS path, 2 workers"]["median"],
                sklearn=res["sklearn LinearModelLoss"]["median"], read=t_read, flops=t_flops,
                floor=floor, load=os.getloadavg()[0], cpu_fused=c_f, cpu_sklearn=c_s,
                cpu_read=c_r)


def run_eval(args):
    n = 20_000 if args.quick else 100_000
    only = set(args.only.split(","))
    out = []
    for dt in (np.float64, np.float32):
        if f"dense-{np.dtype(dt).name}" in only:
            X, y = dense_data(n, 100, 10, dt)
            out.append(eval_case(f"dense-{np.dtype(dt).name}", X, y, "softmax", 10,
                                 args.repeats))
    if "sparse" in only:
        X, y = sparse_data(n, 5_000 if args.quick else 50_000, 20, 100)
        out.append(eval_case("sparse", X, y, "softmax", 20, args.repeats))
    if "multilabel" in only:
        X, Y = multilabel_data(n // 2, 100, 20)
        out.append(eval_case("multilabel", X, Y, "sigmoid", 20, args.repeats))
    print("\n## Summary (ms): fused 2 thr | 1 thr | BLAS path | sklearn | floor; ratios")
    for r in out:
        print(f"{r['case']:<14} {r['fused2'] * 1e3:8.2f} {r['fused1'] * 1e3:8.2f} "
              f"{r['blas'] * 1e3:8.2f} {r['sklearn'] * 1e3:9.2f} {r['floor'] * 1e3:8.2f}   "
              f"/floor {r['fused2'] / r['floor']:.2f}x  1thr/2thr {r['fused1'] / r['fused2']:.2f}x"
              f"  sklearn/fused {r['sklearn'] / r['fused2']:.1f}x  (load {r['load']:.1f})")
    print("\n## One thread, CPU time (ms): fused | sklearn (1 BLAS thread) | one read of X")
    for r in out:
        print(f"{r['case']:<14} {r['cpu_fused'] * 1e3:8.2f} {r['cpu_sklearn'] * 1e3:9.2f} "
              f"{r['cpu_read'] * 1e3:8.2f}   sklearn/fused {r['cpu_sklearn'] / r['cpu_fused']:.1f}x"
              f"  fused/read {r['cpu_fused'] / r['cpu_read']:.2f}x")
    return out


def fit_breakdown(args):
    """Evaluations, time in them and in L-BFGS-B, for skxent's and scikit-learn's fits."""
    from scipy import optimize
    from threadpoolctl import threadpool_info

    only = set(args.only.split(","))
    if "sparse" in only or args.only == DEFAULT_ONLY:
        n, d = (20_000, 5_000) if args.quick else (100_000, 50_000)
        X, y = sparse_data(n, d, 20, 100)
        title = f"sparse CSR {n} x {d}, ~100 values per row, 20 classes"
    else:
        X, y = dense_data(20_000 if args.quick else 100_000, 100, 10, np.float64)
        title = "dense float64 100k x 100, 10 classes"
    orig = optimize.minimize
    stats = {}

    def wrapped(fun, x0, *a, **k):
        st = dict(nfev=0, t_fun=0.0)

        def f(x, *aa):
            t0 = time.perf_counter()
            r = fun(x, *aa)
            st["t_fun"] += time.perf_counter() - t0
            st["nfev"] += 1
            return r

        t0 = time.perf_counter()
        res = orig(f, x0, *a, **k)
        st.update(t_min=time.perf_counter() - t0, nit=int(res.nit), n=x0.size)
        stats["last"] = st
        return res

    print(f"\n### fit breakdown: {title}; {load()}")
    print(f"{'contender':<34} {'fit s':>7} {'minimize s':>10} {'in evals s':>10} "
          f"{'L-BFGS-B s':>10} {'set-up s':>8} {'evals':>5} {'iters':>5} {'ms/eval':>8} "
          f"{'ms/iter LBFGS':>13}")
    optimize.minimize = wrapped
    rows = []
    try:
        for rep in range(args.fit_repeats):
            for name, make in (("skxent SoftmaxRegression(n_threads=2)",
                                lambda: SoftmaxRegression(C=1.0, n_threads=2)),
                               ("sklearn LogisticRegression", lambda: LogisticRegression(C=1.0))):
                t = fit_once(make, X, y)
                st = stats["last"]
                solver = st["t_min"] - st["t_fun"]
                rows.append((name, t, st))
                print(f"{name:<34} {t:>7.2f} {st['t_min']:>10.2f} {st['t_fun']:>10.2f} "
                      f"{solver:>10.2f} {t - st['t_min']:>8.2f} {st['nfev']:>5} {st['nit']:>5} "
                      f"{st['t_fun'] / st['nfev'] * 1e3:>8.1f} {solver / st['nit'] * 1e3:>13.1f}"
                      f"  ({load()})", flush=True)
    finally:
        optimize.minimize = orig
    # L-BFGS-B alone, on a diagonal quadratic with as many variables
    nvar = rows[0][2]["n"]
    dq = np.random.default_rng(0).uniform(1, 100, nvar)
    x0 = np.random.default_rng(1).standard_normal(nvar)
    blas = max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
    for lim in (1, blas):
        with threadpool_limits(lim, user_api="blas"):
            t0 = time.perf_counter()
            r = optimize.minimize(lambda x: (0.5 * float(x @ (dq * x)), dq * x), x0,
                                  method="L-BFGS-B", jac=True,
                                  options=dict(maxiter=30, maxls=50, gtol=1e-30, ftol=0))
            tt = time.perf_counter() - t0
        print(f"L-BFGS-B alone, {nvar} variables, BLAS {lim} thread(s): "
              f"{tt / r.nit * 1e3:.1f} ms per iteration ({r.nit} iterations; {load()})")
    return rows


def crossover(args, n=None):
    """Fused vs BLAS path, one thread each, over a (p, K) grid; returns rows of dicts."""
    n = n or (5_000 if args.quick else 20_000)
    rows = []
    grid = [(20, 256), (100, 64), (400, 64), (1000, 128)] if args.quick else [
        (p, K) for p in (20, 100, 400, 1000, 3000) for K in (2, 10, 32, 64, 128, 256)
        if p * K <= 400_000]
    rng = np.random.default_rng(0)
    for dt in (np.float64, np.float32):
        print(f"\n### crossover: fused vs BLAS path, n={n}, {np.dtype(dt).name}, 1 thread; "
              f"{load()}")
        print(f"{'p':>6} {'K':>5} {'p*K':>8} {'fused ms':>10} {'BLAS ms':>10} {'BLAS/fused':>11}")
        for p, K in grid:
            X = rng.standard_normal((n, p)).astype(dt)
            y = rng.integers(0, K, n)
            old = LL._use_fused
            LL._use_fused = lambda X, K: True  # both paths, whichever _use_fused picks
            try:
                fu = make_loss(X, y, "softmax", K, 1)
            finally:
                LL._use_fused = old
            bl = make_loss(X, y, "softmax", K, 1, fused=False)
            coef = rng.standard_normal(fu.n_dof * K) * 0.01
            with threadpool_limits(1, user_api="blas"):
                r = compare_cpu({"fused": lambda: fu.loss_gradient(coef),
                                 "blas": lambda: bl.loss_gradient(coef)},
                                repeats=max(3, args.repeats // 2))
            tf, tb = r["fused"]["median"], r["blas"]["median"]
            chosen = "fused" if LL._use_fused(X, K) else "blas"
            rows.append(dict(n=n, p=p, K=K, dtype=np.dtype(dt).name, fused_ms=tf * 1e3,
                             blas_ms=tb * 1e3, chosen=chosen))
            print(f"{p:>6} {K:>5} {p * K:>8} {tf * 1e3:>10.2f} {tb * 1e3:>10.2f} "
                  f"{tb / tf:>11.2f}  (chosen: {chosen})", flush=True)
            fu.close()
            bl.close()
    return rows


def fit_once(make, X, y):
    est = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        est.fit(X, y)
        return time.perf_counter() - t0


def growth(args):
    """Fit time against n_samples and n_features, skxent and scikit-learn (one fit each)."""
    ns = [10_000, 30_000, 100_000] if args.quick else [10_000, 30_000, 100_000, 300_000,
                                                       1_000_000]
    ps = [10, 100, 300] if args.quick else [10, 30, 100, 300, 1000]
    n_p = 10_000 if args.quick else 50_000
    rows = []
    print(f"\n### growth: fit time, lbfgs, C=1, 10 classes, float64; {load()}")
    print(f"{'sweep':>10} {'n':>9} {'p':>6} {'skxent s':>9} {'sklearn s':>10} {'ratio':>7}")
    for sweep, grid in (("n_samples", [(n, 100) for n in ns]),
                        ("n_features", [(n_p, p) for p in ps])):
        for n, p in grid:
            X, y = make_data(n, p)
            t_sk = fit_once(lambda: LogisticRegression(C=1.0), X, y)
            t_us = fit_once(lambda: SoftmaxRegression(C=1.0, n_threads=2), X, y)
            rows.append(dict(sweep=sweep, n_samples=n, n_features=p, skxent_s=t_us,
                             sklearn_s=t_sk, load=os.getloadavg()[0]))
            print(f"{sweep:>10} {n:>9} {p:>6} {t_us:>9.3f} {t_sk:>10.3f} {t_sk / t_us:>7.1f}",
                  flush=True)
    return rows


def make_data(n, p):
    from sklearn.datasets import make_classification

    return make_classification(n, p, n_informative=min(p, 20), n_redundant=0, n_classes=10,
                               n_clusters_per_class=1, random_state=0)


def save_growth(rows, cross):
    os.makedirs(RESULTS, exist_ok=True)
    meta = dict(machine=f"{os.cpu_count()} cores, fused ISA {_fused.isa_name()}",
                load_at_end=os.getloadavg(), note="one fit each, interleaved; see "
                "benchmarks/bench_fused.py")
    with open(os.path.join(RESULTS, "fused_growth.json"), "w") as f:
        json.dump(dict(meta=meta, growth=rows, crossover=cross), f, indent=1)
    with open(os.path.join(RESULTS, "fused_growth.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kind", "sweep", "n_samples", "n_features", "n_outputs", "skxent",
                    "sklearn_or_blas", "unit"])
        for r in rows:
            w.writerow(["fit", r["sweep"], r["n_samples"], r["n_features"], 10,
                        f"{r['skxent_s']:.4f}", f"{r['sklearn_s']:.4f}", "s"])
        for r in cross:
            w.writerow([f"eval-{r['dtype']}", "p*K", r["n"], r["p"], r["K"],
                        f"{r['fused_ms']:.3f}", f"{r['blas_ms']:.3f}", "ms"])
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed; no PNG written")
        return
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, sweep, key in ((axes[0], "n_samples", "n_samples"),
                           (axes[1], "n_features", "n_features")):
        rs = [r for r in rows if r["sweep"] == sweep]
        x = [r[key] for r in rs]
        ax.loglog(x, [r["skxent_s"] for r in rs], "o-", label="skxent SoftmaxRegression")
        ax.loglog(x, [r["sklearn_s"] for r in rs], "s-", label="sklearn LogisticRegression")
        for r in rs:
            ax.annotate(f"{r['sklearn_s'] / r['skxent_s']:.0f}x", (r[key], r["skxent_s"]),
                        textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
        ax.set_xlabel(key)
        ax.set_ylabel("fit time (s)")
        fixed = "100 features" if sweep == "n_samples" else f"{rs[0]['n_samples']} samples"
        ax.set_title(f"fit time vs {key} ({fixed}, 10 classes)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    ax = axes[2]
    for dt, mk in (("float64", "o"), ("float32", "s")):
        for p in sorted({r["p"] for r in cross}):
            rs = [r for r in cross if r["p"] == p and r["dtype"] == dt]
            if rs:
                ax.semilogx([r["p"] * r["K"] for r in rs],
                            [r["blas_ms"] / r["fused_ms"] for r in rs], mk + "-",
                            label=f"{dt}, p={p}", alpha=0.8)
    ax.axhline(1.0, color="black", lw=0.8)
    ax.axvline(LL._FUSED_MAX_COEFS, color="gray", lw=0.8, ls="--")
    ax.text(LL._FUSED_MAX_COEFS, ax.get_ylim()[1], " fused up to here", va="top", fontsize=8,
            color="gray")
    ax.set_xlabel("coefficients p * K")
    ax.set_ylabel("BLAS path time / fused time (> 1: fused faster)")
    ax.set_title(f"crossover to BLAS (n={cross[0]['n']}, 1 thread, CPU time)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6, ncol=2)
    fig.suptitle(f"skxent fused pass vs scikit-learn / BLAS ({meta['machine']})", fontsize=10)
    fig.tight_layout()
    path = os.path.join(RESULTS, "fused_growth.png")
    fig.savefig(path, dpi=110)
    print(f"written: {path} (+ .json, .csv)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--eval", action="store_true")
    p.add_argument("--crossover", action="store_true")
    p.add_argument("--growth", action="store_true", help="also runs the crossover grid")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--only", default=DEFAULT_ONLY,
                   help="--eval cases (comma-separated); --fit-breakdown: sparse (default) or "
                   "dense-float64")
    p.add_argument("--fit-breakdown", action="store_true")
    p.add_argument("--fit-repeats", type=int, default=1)
    p.add_argument("--baseline", metavar="DIR", default=None,
                   help="--eval: also time this built checkout's fused pass (old vs new)")
    args = p.parse_args(argv)
    if args.baseline:
        global BASE
        from bench_versions import load_baseline

        base = load_baseline(args.baseline)
        bll = importlib.import_module(base.__name__ + ".linear_model._linear_loss")
        beng = importlib.import_module(base.__name__ + "._engine")
        BASE = (bll.FusedLinearLoss, {"softmax": beng.CATEGORICAL, "sigmoid": beng.BINARY})
        print(f"baseline: {args.baseline}")
    if not (args.eval or args.crossover or args.growth or args.fit_breakdown):
        args.eval = True
    if args.quick:
        args.repeats = 3
    print(f"skxent fused pass: ISA {_fused.isa_name()}, {os.cpu_count()} cores; {load()}")
    if args.eval:
        run_eval(args)
    if args.fit_breakdown:
        fit_breakdown(args)
    if args.crossover and not args.growth:
        crossover(args)
    if args.growth:
        cross = crossover(args)
        rows = growth(args)
        save_growth(rows, cross)


if __name__ == "__main__":
    main()
