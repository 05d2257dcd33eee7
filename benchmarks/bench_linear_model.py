"""skxent.linear_model vs scikit-learn, side by side in one process.

Design note
-----------
Cases (fits timed interleaved with ``_harness.compare``, medians, ratio ``peer / skxent``):

* ``dense-f64`` / ``dense-f32``: ``make_classification(100_000, 100, n_informative=20,
  n_classes=10)``; ``SoftmaxRegression()`` vs ``LogisticRegression()`` (lbfgs), both with their
  defaults (``C=1``, ``tol=1e-4``, ``max_iter=100``). Target: >= 10x at a final objective no
  worse.
* ``sparse``: a text-like CSR matrix (100_000 x 50_000, 100 stored values per row, 20 classes
  drawn from a sparse linear model); same contenders. Target: >= 5x.
* ``multilabel``: ``make_multilabel_classification(50_000, 100, n_classes=20)`` (standardised);
  ``MultiLabelLogistic()`` vs ``MultiOutputClassifier(LogisticRegression())``. Target: >= 20x,
  per-label objectives no worse.

Every fit case also reports both final objectives evaluated by the same float64 NumPy formula
(``LogisticRegression``'s objective; per label for the multi-label case), and the time of one
objective+gradient evaluation: skxent's fused pass, scikit-learn's ``LinearModelLoss.loss_gradient``
(what its L-BFGS calls; for the multi-label case, one call per label, as MultiOutputClassifier
does) and the floor, ``np.sum(X)`` (one read of ``X``).

scikit-learn runs with its defaults (its BLAS uses every core). On a shared machine multithreaded
BLAS can be erratic (it was measured 10x slower than one thread on this busy 2-core box), so the
dense and multi-label cases also time scikit-learn with BLAS limited to one thread
(``--no-sklearn-1thread`` drops those rows): the smaller of the two ratios is the conservative
one and the summary shows both. skxent's fits limit BLAS to one thread themselves.

Default run: ~3-4 minutes on 2 busy cores, dominated by scikit-learn's fits. ``--quick`` shrinks
everything for a smoke run (~20 s). ``--plot DIR`` writes PNG bar charts
(needs matplotlib; skipped with a note otherwise). ``--markdown`` prints the summary as a
Markdown table (for README.md's estimator section).
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
from scipy import sparse
from scipy.special import log_expit, log_softmax

sys.path.insert(0, os.path.dirname(__file__))
from _harness import compare, print_table  # noqa: E402

from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss  # noqa: E402
from sklearn.datasets import make_classification, make_multilabel_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.linear_model._linear_loss import LinearModelLoss  # noqa: E402
from sklearn.multioutput import MultiOutputClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from skxent.linear_model import MultiLabelLogistic, SoftmaxRegression  # noqa: E402
from skxent._engine import BINARY, CATEGORICAL  # noqa: E402
from skxent.linear_model._linear_loss import FusedLinearLoss  # noqa: E402

# -- data ------------------------------------------------------------------------------------


def dense_data(n, d, k, dtype):
    X, y = make_classification(n, d, n_informative=20, n_classes=k, random_state=0)
    return X.astype(dtype), y


def sparse_data(n, d, k, nnz_per_row, seed=0):
    """Text-like CSR: ``nnz_per_row`` uniform random columns per row (duplicates merged),
    standard-normal values; labels drawn from a sparse linear model plus Gumbel noise.
    Built directly (``scipy.sparse.random`` permutes all ``n * d`` positions)."""
    rng = np.random.default_rng(seed)
    cols = np.sort(rng.integers(0, d, size=(n, nnz_per_row)), axis=1)
    X = sparse.csr_matrix(
        (rng.standard_normal(n * nnz_per_row), cols.ravel(),
         np.arange(0, n * nnz_per_row + 1, nnz_per_row)),
        shape=(n, d),
    )
    X.sum_duplicates()
    W = rng.standard_normal((k, d)) * (rng.random((k, d)) < 0.2)
    logits = np.asarray(X @ W.T) + rng.gumbel(size=(n, k))
    return X, logits.argmax(axis=1)


def multilabel_data(n, d, k):
    X, Y = make_multilabel_classification(n, d, n_classes=k, random_state=0)
    return StandardScaler().fit_transform(X), Y


# -- objectives by one formula ---------------------------------------------------------------


def softmax_objective(coef, intercept, X, y, C):
    """LogisticRegression's multinomial objective, float64."""
    raw = np.asarray(X @ coef.T.astype(np.float64)) + intercept
    logp = log_softmax(raw, axis=1)
    n = X.shape[0]
    return float(-logp[np.arange(n), y].mean() + np.sum(coef**2) / (2 * C * n))


def binary_objectives(coef, intercept, X, Y, C):
    """Per-label binary LogisticRegression objectives, float64, shape (n_labels,)."""
    z = np.asarray(X @ coef.T) + intercept
    n = X.shape[0]
    loss = -(Y * log_expit(z) + (1 - Y) * log_expit(-z)).mean(axis=0)
    return loss + np.sum(coef**2, axis=1) / (2 * C * n)


# -- helpers ---------------------------------------------------------------------------------


class Fitter:
    """Zero-argument callable that fits a fresh estimator and keeps the last one."""

    def __init__(self, make, X, y, blas_limit=None):
        self.make, self.X, self.y, self.blas_limit = make, X, y, blas_limit
        self.est = None

    def __call__(self):
        est = self.make()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if self.blas_limit is None:
                est.fit(self.X, self.y)
            else:
                with threadpool_limits(self.blas_limit, user_api="blas"):
                    est.fit(self.X, self.y)
        self.est = est


def coef_of(est):
    if isinstance(est, MultiOutputClassifier):
        return (np.vstack([e.coef_ for e in est.estimators_]),
                np.concatenate([e.intercept_ for e in est.estimators_]))
    return est.coef_, est.intercept_


def n_iter_of(est):
    if isinstance(est, MultiOutputClassifier):
        return int(max(e.n_iter_[0] for e in est.estimators_))
    n = est.n_iter_
    return int(np.max(n))


SUMMARY = []


def _load():
    return "%.2f %.2f %.2f" % os.getloadavg()


def softmax_case(title, X, y, args, with_1thread=False):
    K = int(y.max()) + 1
    C = 1.0
    contenders = {
        "skxent": Fitter(lambda: SoftmaxRegression(C=C, n_threads=args.threads), X, y),
        "sklearn LogisticRegression": Fitter(lambda: LogisticRegression(C=C), X, y),
    }
    if with_1thread:
        contenders["sklearn LogisticRegression (1 BLAS thread)"] = Fitter(
            lambda: LogisticRegression(C=C), X, y, blas_limit=1
        )
    res = compare(contenders, repeats=args.fit_repeats, warmup=0)
    ratios = print_table(f"{title}: fit time (load average {_load()})", res)
    objs = {}
    for name, f in contenders.items():
        W, b = coef_of(f.est)
        objs[name] = softmax_objective(W, b, X, y, C)
        print(f"  {name:<44} objective {objs[name]:.12f}  n_iter {n_iter_of(f.est)}")
    f_ours, f_sk = objs["skxent"], objs["sklearn LogisticRegression"]
    no_worse = f_ours <= f_sk + 1e-9 * abs(f_sk)
    print(f"  objective skxent - sklearn: {f_ours - f_sk:+.3e} ({'no worse' if no_worse else 'WORSE'})")

    # One objective+gradient evaluation at skxent's solution.
    W, b = coef_of(contenders["skxent"].est)
    loss = FusedLinearLoss(X.tocsr() if sparse.issparse(X) else X, y.astype(np.int64),
                           family=CATEGORICAL, n_outputs=K, fit_intercept=True, C=C,
                           n_threads=args.threads)
    coef = loss.pack(W, b)
    sk = LinearModelLoss(HalfMultinomialLoss(n_classes=K), fit_intercept=True)
    yf = y.astype(X.dtype)
    l2 = 1.0 / (C * X.shape[0])
    coef_sk = coef.astype(X.dtype)

    # BLAS limited once, outside the timed calls, as in fit (threadpool_limits itself costs ms).
    with threadpool_limits(1, user_api="blas"):
        ev_ours = compare({"skxent": lambda: loss.loss_gradient(coef)},
                          repeats=args.eval_repeats)
    ev = compare(
        {
            "sklearn LinearModelLoss.loss_gradient": lambda: sk.loss_gradient(
                coef_sk, X, yf, None, l2, 1
            ),
            "floor: np.sum(X)": (lambda: X.data.sum()) if sparse.issparse(X) else (lambda: np.sum(X)),
        },
        repeats=args.eval_repeats,
    )
    ev = {**ev_ours, **ev}
    ev_ratios = print_table(f"{title}: one objective + gradient evaluation", ev,
                            floor="floor: np.sum(X)")
    loss.close()
    target = ratios["sklearn LogisticRegression"]
    worst = min(r for k, r in ratios.items() if k != "skxent")
    goal = 5 if sparse.issparse(X) else 10
    SUMMARY.append(dict(
        case=title, target=f">= {goal}x", ratio=target, ratio_min=worst,
        t_ours=res["skxent"]["median"], t_peer=res["sklearn LogisticRegression"]["median"],
        obj=f"{f_ours:.10f} vs {f_sk:.10f}", ok=(target >= goal and no_worse),
        eval_ours=ev["skxent"]["median"],
        eval_peer=ev["sklearn LinearModelLoss.loss_gradient"]["median"],
        eval_floor=ev["floor: np.sum(X)"]["median"], eval_ratio=ev_ratios[
            "sklearn LinearModelLoss.loss_gradient"],
    ))


def multilabel_case(title, X, Y, args, with_1thread=False):
    C = 1.0
    contenders = {
        "skxent": Fitter(lambda: MultiLabelLogistic(C=C, n_threads=args.threads), X, Y),
        "sklearn MultiOutputClassifier(LogisticRegression)": Fitter(
            lambda: MultiOutputClassifier(LogisticRegression(C=C)), X, Y
        ),
    }
    if with_1thread:
        contenders["sklearn MultiOutputClassifier(LR) (1 BLAS thread)"] = Fitter(
            lambda: MultiOutputClassifier(LogisticRegression(C=C)), X, Y, blas_limit=1
        )
    res = compare(contenders, repeats=args.fit_repeats, warmup=0)
    ratios = print_table(f"{title}: fit time (load average {_load()})", res)
    objs = {}
    for name, f in contenders.items():
        W, b = coef_of(f.est)
        objs[name] = binary_objectives(W, b, X, Y, C)
        print(f"  {name:<52} sum of per-label objectives {objs[name].sum():.12f}  "
              f"n_iter {n_iter_of(f.est)}")
    peer = "sklearn MultiOutputClassifier(LogisticRegression)"
    diff = objs["skxent"] - objs[peer]
    no_worse = bool(np.all(diff <= 1e-9 * np.abs(objs[peer])))
    print(f"  per-label objective skxent - sklearn: max {diff.max():+.3e}, min {diff.min():+.3e} "
          f"({'no worse' if no_worse else 'WORSE on some label'})")

    W, b = coef_of(contenders["skxent"].est)
    L = Y.shape[1]
    loss = FusedLinearLoss(X, Y.astype(X.dtype), family=BINARY, n_outputs=L,
                           fit_intercept=True, C=C, n_threads=args.threads)
    coef = loss.pack(W, b)
    sk = LinearModelLoss(HalfBinomialLoss(), fit_intercept=True)
    l2 = 1.0 / (C * X.shape[0])
    Ycols = [np.ascontiguousarray(Y[:, j], dtype=X.dtype) for j in range(L)]
    coefs_j = [np.concatenate([W[j], b[j:j + 1]]) for j in range(L)]

    def peer_eval():
        for j in range(L):
            sk.loss_gradient(coefs_j[j], X, Ycols[j], None, l2, 1)

    with threadpool_limits(1, user_api="blas"):
        ev_ours = compare({"skxent": lambda: loss.loss_gradient(coef)},
                          repeats=args.eval_repeats)
    ev = compare({f"sklearn, {L} binary loss_gradient calls": peer_eval,
                  "floor: np.sum(X)": lambda: np.sum(X)}, repeats=args.eval_repeats)
    ev = {**ev_ours, **ev}
    ev_ratios = print_table(f"{title}: one objective + gradient evaluation (all labels)", ev,
                            floor="floor: np.sum(X)")
    loss.close()
    SUMMARY.append(dict(
        case=title, target=">= 20x", ratio=ratios[peer],
        ratio_min=min(r for k, r in ratios.items() if k != "skxent"),
        t_ours=res["skxent"]["median"], t_peer=res[peer]["median"],
        obj=f"max per-label diff {diff.max():+.1e}", ok=(ratios[peer] >= 20 and no_worse),
        eval_ours=ev["skxent"]["median"],
        eval_peer=ev[f"sklearn, {L} binary loss_gradient calls"]["median"],
        eval_floor=ev["floor: np.sum(X)"]["median"],
        eval_ratio=ev_ratios[f"sklearn, {L} binary loss_gradient calls"],
    ))


def print_summary(markdown):
    print("\n## Summary")
    if markdown:
        print("| case | fit: sklearn / skxent | target | final objective (skxent vs sklearn) "
              "| one evaluation: skxent / sklearn / floor (ms) | verdict |")
        print("|---|---|---|---|---|---|")
        for s in SUMMARY:
            rmin = f" (>= {s['ratio_min']:.1f}x)" if s["ratio_min"] < s["ratio"] else ""
            print(f"| {s['case']} | **{s['ratio']:.1f}x**{rmin} ({s['t_peer']:.2f} s / "
                  f"{s['t_ours']:.2f} s) | {s['target']} | {s['obj']} | "
                  f"{s['eval_ours'] * 1e3:.1f} / {s['eval_peer'] * 1e3:.1f} / "
                  f"{s['eval_floor'] * 1e3:.1f} | {'PASS' if s['ok'] else 'MISS'} |")
    else:
        for s in SUMMARY:
            print(f"{s['case']:<12} fit ratio {s['ratio']:6.1f}x (min over peers "
                  f"{s['ratio_min']:.1f}x; target {s['target']})  eval {s['eval_ours'] * 1e3:.1f}"
                  f" ms vs {s['eval_peer'] * 1e3:.1f} ms (floor {s['eval_floor'] * 1e3:.1f} ms)"
                  f"  objective {s['obj']}  {'PASS' if s['ok'] else 'MISS'}")


def plot(outdir):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plot: matplotlib is not installed; no PNGs written")
        return
    os.makedirs(outdir, exist_ok=True)
    names = [s["case"] for s in SUMMARY]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(x - 0.2, [s["t_peer"] for s in SUMMARY], 0.4, label="scikit-learn")
    ax.bar(x + 0.2, [s["t_ours"] for s in SUMMARY], 0.4, label="skxent")
    for i, s in enumerate(SUMMARY):
        ax.text(i, max(s["t_peer"], s["t_ours"]), f"{s['ratio']:.1f}x", ha="center",
                va="bottom")
    ax.set_xticks(x, names)
    ax.set_ylabel("fit time (s, median)")
    ax.set_title("Fit time: skxent.linear_model vs scikit-learn")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "linear_model_fit_time.png"), dpi=120)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(x - 0.27, [s["eval_peer"] * 1e3 for s in SUMMARY], 0.27, label="scikit-learn")
    ax.bar(x, [s["eval_ours"] * 1e3 for s in SUMMARY], 0.27, label="skxent (fused)")
    ax.bar(x + 0.27, [s["eval_floor"] * 1e3 for s in SUMMARY], 0.27, label="floor: np.sum(X)")
    ax.set_xticks(x, names)
    ax.set_ylabel("ms per objective + gradient")
    ax.set_yscale("log")
    ax.set_title("One objective evaluation")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "linear_model_eval_time.png"), dpi=120)
    print(f"PNGs written to {outdir}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, 1 round (smoke run)")
    p.add_argument("--threads", type=int, default=2, help="skxent n_threads (default 2)")
    p.add_argument("--fit-repeats", type=int, default=2)
    p.add_argument("--eval-repeats", type=int, default=5)
    p.add_argument("--only", default="dense-f64,dense-f32,sparse,multilabel")
    p.add_argument("--no-sklearn-1thread", action="store_true")
    p.add_argument("--plot", metavar="DIR", default=None)
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args(argv)
    only = set(args.only.split(","))
    if args.quick:
        args.fit_repeats, args.eval_repeats = 1, 3
        n, nl, ns, ds = 10_000, 5_000, 10_000, 5_000
    else:
        n, nl, ns, ds = 100_000, 50_000, 100_000, 50_000
    t0 = time.perf_counter()
    if "dense-f64" in only:
        X, y = dense_data(n, 100, 10, np.float64)
        softmax_case("dense-f64", X, y, args, with_1thread=not args.no_sklearn_1thread)
    if "dense-f32" in only:
        X, y = dense_data(n, 100, 10, np.float32)
        softmax_case("dense-f32", X, y, args, with_1thread=not args.no_sklearn_1thread)
    if "sparse" in only:
        X, y = sparse_data(ns, ds, 20, 100)
        softmax_case("sparse", X, y, args)
    if "multilabel" in only:
        X, Y = multilabel_data(nl, 100, 20)
        multilabel_case("multilabel", X, Y, args, with_1thread=not args.no_sklearn_1thread)
    print_summary(args.markdown)
    print(f"\n(total {time.perf_counter() - t0:.0f} s; load average at the end {_load()})")
    if args.plot:
        plot(args.plot)


if __name__ == "__main__":
    main()
