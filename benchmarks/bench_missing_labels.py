"""MultiLabelLogistic on partially labelled Y vs scikit-learn's per-label LogisticRegression loop.

Design note
-----------
Case: ``X`` 50,000 x 100 standard normal, 20 labels drawn from a random linear model
(``Y_ij ~ Bernoulli(sigmoid(x_i . w_j + b_j))``), then 30% of the entries of ``Y`` set to NaN at
random (missing completely at random). scikit-learn has no estimator that fits partially
labelled data, so its equivalent is a loop over the labels: ``LogisticRegression()`` fitted on
the rows where that label is observed (``MultiLabelLogistic`` minimises exactly those
objectives; its label ``j`` is that fit, see ``skxent/linear_model/_multilabel.py``). Both use
their defaults (``C=1``, ``lbfgs``, ``tol=1e-4``, ``max_iter=100``).

Contenders (fits timed interleaved with ``_harness.compare``, medians, ratio ``peer / skxent``):

* ``skxent``: ``MultiLabelLogistic(n_threads=2).fit(X, Y_nan)`` (the fused C pass with the
  mask of the observed entries; ``--blas`` forces the BLAS path of ``FusedLinearLoss``, for
  comparison);
* ``sklearn loop``: ``[LogisticRegression().fit(X[obs_j], Y[obs_j, j]) for j in labels]`` with
  its BLAS on every core; the row selection ``X[obs_j]`` (a copy per label) is part of the time,
  as it is of any user's loop;
* the same loop with BLAS limited to one thread (``--no-sklearn-1thread`` drops it);
* ``skxent, Y imputed 0``: for reference, the unmasked fit of the same shape (a different
  problem: every entry observed), which shows what the mask costs.

A second table times one objective + gradient evaluation (what a lockstep round of the fit
costs; BLAS pinned to one thread, as the solvers do) on the same data: the masked evaluation on
the fused C pass and on the BLAS path, the unmasked one (``Y`` imputed 0) on both, and the floor
``np.sum(X)`` (one read of ``X``). It isolates what the mask costs per pass, which the fit times
do not (the imputed problem needs a different number of iterations).

It reports the agreement of the coefficients with the loop's (both stop at ``tol=1e-4``, so they
agree to about that; the tests pin the equality at a tight tolerance) and the load average
before and after (the machine is shared). A default run takes ~1-3 minutes on 2 busy cores;
``--quick`` (10,000 x 50, 10 labels, 1 round) is a smoke run. ``--append FILE`` also appends the
report to ``FILE`` (e.g. ``benchmarks/results_missing_labels.txt``).
"""

import argparse
import contextlib
import io
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _harness import compare, print_table  # noqa: E402

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from skxent.linear_model import MultiLabelLogistic  # noqa: E402


def _commit():
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                               text=True, cwd=os.path.dirname(os.path.abspath(__file__)),
                               check=True).stdout.strip()
    except Exception:  # noqa: BLE001 - not a checkout
        return "unknown"


def make_data(n, d, L, frac, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((L, d)) / np.sqrt(d) * 3.0
    b = rng.normal(-0.5, 1.0, L)
    Y = (rng.random((n, L)) < 1.0 / (1.0 + np.exp(-(X @ W.T + b)))).astype(np.float64)
    Y_nan = Y.copy()
    Y_nan[rng.random((n, L)) < frac] = np.nan
    return X, Y_nan


class SkxentFit:
    def __init__(self, X, Y, threads):
        self.X, self.Y, self.threads = X, Y, threads
        self.est = None

    def __call__(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.est = MultiLabelLogistic(n_threads=self.threads).fit(self.X, self.Y)


class SklearnLoop:
    def __init__(self, X, Y, blas_limit=None):
        self.X, self.Y, self.blas_limit = X, Y, blas_limit
        self.coef = None

    def _fit(self):
        coef = []
        for j in range(self.Y.shape[1]):
            obs = ~np.isnan(self.Y[:, j])
            r = LogisticRegression().fit(self.X[obs], self.Y[obs, j])
            coef.append(np.r_[r.coef_[0], r.intercept_])
        self.coef = np.array(coef)

    def __call__(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if self.blas_limit is None:
                self._fit()
            else:
                with threadpool_limits(self.blas_limit, user_api="blas"):
                    self._fit()


def evaluation_table(X, Y, threads, repeats):
    from skxent._engine import BINARY
    from skxent.linear_model._linear_loss import FusedLinearLoss

    L = Y.shape[1]
    kw = dict(family=BINARY, n_outputs=L, fit_intercept=True, C=1.0, n_threads=threads)
    obs = ~np.isnan(Y)
    Y0 = np.nan_to_num(Y)
    losses = {
        "masked, fused pass": FusedLinearLoss(X, Y, where=obs, **kw),
        "masked, BLAS path": FusedLinearLoss(X, Y, where=obs, fused=False, **kw),
        "unmasked, fused pass": FusedLinearLoss(X, Y0, **kw),
        "unmasked, BLAS path": FusedLinearLoss(X, Y0, fused=False, **kw),
    }
    coef = np.random.default_rng(1).standard_normal(L * (X.shape[1] + 1)) * 0.1
    contenders = {k: (lambda lo=lo: lo.loss_gradient(coef, per_output=True))
                  for k, lo in losses.items()}
    contenders["np.sum(X) (floor)"] = lambda: np.sum(X)
    with threadpool_limits(1, user_api="blas"):
        res = compare(contenders, repeats=repeats, warmup=2)
    for lo in losses.values():
        lo.close()
    return print_table(f"one objective + gradient evaluation, n_threads={threads}", res,
                       baseline="masked, fused pass", floor="np.sum(X) (floor)")


def run(args):
    n, d, L = (10_000, 50, 10) if args.quick else (args.n, args.d, args.labels)
    repeats = 1 if args.quick else args.repeats
    X, Y = make_data(n, d, L, args.frac)
    load0 = os.getloadavg()
    print(f"# benchmarks/bench_missing_labels.py {' '.join(sys.argv[1:])}  "
          f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {_commit()})")
    print(f"data {n} x {d}, {L} labels, {Y.size and np.isnan(Y).mean():.1%} of Y missing; "
          f"skxent n_threads={args.threads}"
          f"{', BLAS path forced' if args.blas else ', fused pass'}; "
          f"{repeats} round(s) after {args.warmup} warm-up")
    print(f"load average before: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} "
          f"(cores: {os.cpu_count()})")
    contenders = {
        "skxent": SkxentFit(X, Y, args.threads),
        "sklearn loop": SklearnLoop(X, Y),
    }
    if not args.no_sklearn_1thread:
        contenders["sklearn loop (1 BLAS thread)"] = SklearnLoop(X, Y, blas_limit=1)
    contenders["skxent, Y imputed 0"] = SkxentFit(X, np.nan_to_num(Y), args.threads)
    t0 = time.perf_counter()
    res = compare(contenders, repeats=repeats, warmup=args.warmup)
    elapsed = time.perf_counter() - t0
    load1 = os.getloadavg()
    ratios = print_table(f"fit, {L} labels with missing entries", res)
    est = contenders["skxent"].est
    ours = np.c_[est.coef_, est.intercept_]
    ref = contenders["sklearn loop"].coef
    print(f"\n  skxent n_iter_ {est.n_iter_}; max |coef - loop coef| "
          f"{np.abs(ours - ref).max():.2e} (both at tol=1e-4)")
    print(f"load average after: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}; "
          f"benchmark {elapsed:.0f} s")
    ev = evaluation_table(X, Y, args.threads, 3 * repeats)
    worst = min(r for k, r in ratios.items() if k.startswith("sklearn"))
    print(f"\nsummary: {ratios['sklearn loop']:.2f}x vs the LogisticRegression loop "
          f"(defaults), {worst:.2f}x conservative"
          f"{' (BLAS path forced)' if args.blas else ''}; one masked evaluation costs "
          f"{1.0 / ev['unmasked, fused pass']:.2f}x an unmasked one (fused pass), the BLAS "
          f"path's {ev['masked, BLAS path']:.2f}x the fused pass's")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="10,000 x 50, 10 labels, 1 round")
    p.add_argument("--n", type=int, default=50_000)
    p.add_argument("--d", type=int, default=100)
    p.add_argument("--labels", type=int, default=20)
    p.add_argument("--frac", type=float, default=0.3, help="fraction of Y missing")
    p.add_argument("--threads", type=int, default=2, help="skxent n_threads (default 2)")
    p.add_argument("--repeats", type=int, default=5, help="timed rounds (default 5)")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--no-sklearn-1thread", action="store_true")
    p.add_argument("--append", metavar="FILE", help="also append the report to FILE")
    p.add_argument("--blas", action="store_true",
                   help="skxent on the BLAS path of FusedLinearLoss (no fused C pass)")
    args = p.parse_args(argv)
    if args.blas:
        from skxent.linear_model import _linear_loss

        _linear_loss._use_fused = lambda X, n_outputs: False
    buf = io.StringIO()

    class Tee:
        def write(self, s):
            sys.__stdout__.write(s)
            buf.write(s)

        def flush(self):
            sys.__stdout__.flush()

    with contextlib.redirect_stdout(Tee()):
        run(args)
    if args.append:
        with open(args.append, "a") as f:
            f.write(buf.getvalue() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
