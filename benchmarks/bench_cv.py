"""SoftmaxRegressionCV vs LogisticRegressionCV, side by side in one process.

Design note
-----------
Case: ``make_classification(100_000, 100, n_informative=20, n_classes=10, random_state=0)``
(``bench_linear_model.py``'s dense data: its ``dense_data``, and its ``Fitter`` times the fits),
``Cs=10`` (``np.logspace(-4, 4, 10)``), the same five folds for both (``StratifiedKFold(5)``,
passed explicitly), the same ``tol=1e-4`` and ``max_iter=100`` (both defaults), the negative log
loss as the score.

Contenders (fits timed interleaved with ``_harness.compare``, medians, ratio ``peer / skxent``):

* ``skxent``: ``SoftmaxRegressionCV(Cs=10, cv=folds, n_threads=2)`` (its folds share every pass
  over ``X``; see ``skxent/linear_model/_softmax_cv.py``);
* ``sklearn LogisticRegressionCV``: ``LogisticRegressionCV(Cs=10, cv=folds,
  scoring="neg_log_loss", l1_ratios=(0,), use_legacy_attributes=False)`` with its defaults
  otherwise (``n_jobs=None``: folds one after another; its BLAS uses every core);
* the same with BLAS limited to one thread (``--no-sklearn-1thread`` drops it): on a shared
  machine multithreaded BLAS can be erratic, so the smaller ratio is the conservative one.

Besides the times it reports what must agree: each contender's ``C_``, the largest difference of
the fold scores (``scores_``), the iteration counts of the paths and of the refit. The load
average is printed before and after (the machine is shared).

A scikit-learn fit takes from tens of seconds to minutes here, so the default is two timed rounds
and no warm-up round (first-call costs are milliseconds, the fits tens of seconds); a default run
takes ~5-8 minutes on 2 busy cores. ``--quick`` (20_000 x 50, 5 classes, 1 round) is a smoke run.
``--markdown`` prints the summary as a Markdown table (README.md's estimator section).
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _harness import compare, print_table  # noqa: E402
# the estimator benchmark's dense data and fitting wrapper, so both measure the same thing
from bench_linear_model import Fitter, dense_data  # noqa: E402

from sklearn.linear_model import LogisticRegressionCV  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from skxent.linear_model import SoftmaxRegressionCV  # noqa: E402


def scores_of(est):
    s = np.asarray(est.scores_)
    return s[:, 0, :] if s.ndim == 3 else s  # LogisticRegressionCV: (n_folds, 1, n_Cs)


def n_iter_of(est):
    n = np.asarray(est.n_iter_)
    return n[:, 0, :] if n.ndim == 3 else n


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="20_000 x 50, 5 classes, 1 round")
    p.add_argument("--threads", type=int, default=2, help="skxent n_threads (default 2)")
    p.add_argument("--repeats", type=int, default=2, help="timed rounds (default 2)")
    p.add_argument("--no-sklearn-1thread", action="store_true")
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args(argv)

    n, d, k = (20_000, 50, 5) if args.quick else (100_000, 100, 10)
    repeats = 1 if args.quick else args.repeats
    X, y = dense_data(n, d, k, np.float64)
    folds = list(StratifiedKFold(5).split(X, y))
    load0 = os.getloadavg()
    print(f"data {n} x {d}, {k} classes, Cs=10, 5 folds; skxent n_threads={args.threads}; "
          f"{repeats} round(s)")
    print(f"load average before: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} "
          f"(cores: {os.cpu_count()})")

    def lrcv():
        return LogisticRegressionCV(Cs=10, cv=folds, scoring="neg_log_loss", l1_ratios=(0,),
                                    use_legacy_attributes=False)

    contenders = {
        "skxent": Fitter(lambda: SoftmaxRegressionCV(Cs=10, cv=folds, n_threads=args.threads),
                         X, y),
        "sklearn LogisticRegressionCV": Fitter(lrcv, X, y),
    }
    if not args.no_sklearn_1thread:
        contenders["sklearn LogisticRegressionCV (1 BLAS thread)"] = Fitter(lrcv, X, y,
                                                                            blas_limit=1)
    t0 = time.perf_counter()
    res = compare(contenders, repeats=repeats, warmup=0)
    elapsed = time.perf_counter() - t0
    load1 = os.getloadavg()
    ratios = print_table("cross-validated fit (Cs=10, 5 folds) + refit", res)

    ours = contenders["skxent"].est
    print()
    for name, f in contenders.items():
        est = f.est
        print(f"  {name:<46} C_ = {float(np.ravel(est.C_)[0]):.6g}   path iterations "
              f"{int(n_iter_of(est).sum())}")
    for name, f in contenders.items():
        if name == "skxent":
            continue
        ds = np.abs(scores_of(ours) - scores_of(f.est)).max()
        dn = np.abs(n_iter_of(ours) - n_iter_of(f.est)).max()
        print(f"  skxent vs {name}: max |scores_ difference| {ds:.2e}, "
              f"max |n_iter_ difference| {dn}")
    print(f"load average after: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}; "
          f"benchmark {elapsed:.0f} s")

    peer = "sklearn LogisticRegressionCV"
    worst = min(r for k2, r in ratios.items() if k2 != "skxent")
    same_C = all(float(np.ravel(f.est.C_)[0]) == ours.C_ for f in contenders.values())
    ok = ratios[peer] >= 5 and same_C
    if args.markdown:
        print()
        print("| case | fit: sklearn / skxent | target | C_ (skxent, sklearn) | "
              "max fold-score difference | load before / after | verdict |")
        print("|---|---|---|---|---|---|---|")
        ds = np.abs(scores_of(ours) - scores_of(contenders[peer].est)).max()
        one = (f" (1 BLAS thread: {ratios[peer + ' (1 BLAS thread)']:.1f}x)"
               if not args.no_sklearn_1thread else "")
        print(f"| {n // 1000}k x {d}, {k} classes, Cs=10, cv=5 | **{ratios[peer]:.1f}x**{one} "
              f"({res[peer]['median']:.1f} s / {res['skxent']['median']:.1f} s) | >= 5x | "
              f"{ours.C_:.4g}, {float(np.ravel(contenders[peer].est.C_)[0]):.4g} | {ds:.1e} | "
              f"{load0[0]:.1f} / {load1[0]:.1f} | {'PASS' if ok else 'MISS'} |")
    print(f"\nsummary: {ratios[peer]:.2f}x vs LogisticRegressionCV defaults, "
          f"{worst:.2f}x conservative; same C_: {same_C}; target >= 5x: "
          f"{'PASS' if ok else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
