"""Old against new: the same cases timed alternately on two builds of skxent in one process.

Design note
-----------
A refactor must show "no slowdown beyond noise", and on a noisy machine that is only measurable
when the old and the new code run in the same process, interleaved, on the same arrays. This
script imports the checkout it runs in (``skxent``) and a second, already built checkout given by
``--baseline DIR`` (its ``skxent`` folder is copied to a temporary folder and imported as
``skxent_baseline``: every import inside the package is relative, and a Cython module's init
symbol does not depend on its package), then times each case on both with the shared harness
(warm-up, interleaved rounds, medians). Ratio = baseline time / new time (> 1: the new code is
faster).

Cases: the kernels (softmax cross-entropy 1e6 x 10 loss, and loss + gradient, float64/float32;
sigmoid 5e5 x 20 loss + gradient), the metric (``log_loss`` 1e6 x 10 and the per-call overhead
at 100 x 10, 1-D binary at 100), and the estimator (one objective + gradient evaluation of
``SoftmaxRegression``'s objective on 100k x 100 x 10, and a whole fit).

    python benchmarks/bench_versions.py --baseline /path/to/old/checkout [--quick]
"""

import argparse
import importlib
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import compare  # noqa: E402


def load_baseline(path):
    tmp = tempfile.mkdtemp(prefix="skxent-baseline-")
    shutil.copytree(os.path.join(path, "skxent"), os.path.join(tmp, "skxent_baseline"))
    sys.path.insert(0, tmp)
    return importlib.import_module("skxent_baseline")


def cases(quick):
    rng = np.random.default_rng(0)
    n = 200_000 if quick else 1_000_000
    z64 = rng.standard_normal((n, 10))
    z32 = z64.astype(np.float32)
    t = rng.integers(0, 10, n)
    p = np.exp(z64 - z64.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    zb = rng.standard_normal((n // 2, 20))
    yb = (rng.random((n // 2, 20)) < 0.3).astype(np.float64)
    small_t = rng.integers(0, 10, 100)
    small_p = p[:100] / p[:100].sum(1, keepdims=True)
    bin_y = rng.integers(0, 2, 100)
    bin_p = rng.uniform(0.05, 0.95, 100)
    yield ("softmax CE loss f64", lambda m: m.losses.categorical_cross_entropy(
        t, z64, from_logits=True))
    yield ("softmax CE loss f32", lambda m: m.losses.categorical_cross_entropy(
        t, z32, from_logits=True))
    yield ("softmax CE loss+grad f64", lambda m: m.losses.categorical_cross_entropy(
        t, z64, from_logits=True, return_grad=True))
    yield ("softmax CE loss+grad f32", lambda m: m.losses.categorical_cross_entropy(
        t, z32, from_logits=True, return_grad=True))
    yield ("sigmoid CE loss+grad f64", lambda m: m.losses.binary_cross_entropy(
        yb, zb, from_logits=True, return_grad=True))
    yield ("log_loss 1e6 x 10" if not quick else "log_loss 2e5 x 10",
           lambda m: m.metrics.log_loss(t, p))
    yield ("log_loss 100 x 10", lambda m: m.metrics.log_loss(small_t, small_p))
    yield ("log_loss 100 binary", lambda m: m.metrics.log_loss(bin_y, bin_p))


def objective_cases(quick):
    from sklearn.datasets import make_classification

    n = 20_000 if quick else 100_000
    X, y = make_classification(n, 100, n_informative=20, n_classes=10, random_state=0)

    def evaluation(m):
        est = m.linear_model.SoftmaxRegression()
        # one evaluation of the fitted objective: build once, time loss_gradient
        from importlib import import_module

        ll = import_module(m.__name__ + ".linear_model._linear_loss")
        kw = {"link": "softmax"} if not hasattr(import_module(m.__name__ + ".linear_model._base")
                                                ._BaseFusedLinear, "_family") \
            else {"family": est._family}
        loss = ll.FusedLinearLoss(X, y.astype(np.int64), n_outputs=10, fit_intercept=True,
                                  n_threads=2, **kw)
        coef = np.random.default_rng(1).standard_normal(loss.n_outputs * loss.n_dof) * 0.01
        return lambda: loss.loss_gradient(coef)

    yield ("objective+gradient 1e5x100x10" if not quick else "objective+gradient 2e4x100x10",
           evaluation, True)
    yield ("SoftmaxRegression fit", lambda m: (lambda: m.linear_model.SoftmaxRegression()
                                               .fit(X, y)), True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", required=True, help="an already built checkout (old code)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args(argv)

    # the new build first: Cython returns an already initialised extension module when a
    # second one of the same name is loaded first, so the order matters (checked below)
    import skxent
    import skxent._core
    import skxent.linear_model  # noqa: F401
    import skxent.metrics  # noqa: F401

    base = load_baseline(args.baseline)
    assert importlib.import_module("skxent_baseline._core") is not skxent._core
    importlib.import_module("skxent_baseline.metrics")
    importlib.import_module("skxent_baseline.linear_model")
    print(f"new: {os.path.dirname(skxent.__file__)}  baseline: {args.baseline}; "
          f"load average {os.getloadavg()}")
    print("| case | baseline ms | new ms | baseline / new |\n|---|---:|---:|---:|")
    rows = [(name, (lambda fn: (lambda m: (lambda: fn(m))))(fn), False)
            for name, fn in cases(args.quick)]
    rows += list(objective_cases(args.quick))
    for name, make, factory in rows:
        fb, fn = make(base), make(skxent)
        if factory:
            repeats = 3 if "fit" in name else args.repeats
        else:
            repeats = args.repeats
        min_time = 0.02 if "100" in name and "x100" not in name else 0.0
        res = compare({"baseline": fb, "new": fn}, repeats=repeats, warmup=2, min_time=min_time)
        b, n = res["baseline"]["median"], res["new"]["median"]
        print(f"| {name} | {b * 1e3:.4g} | {n * 1e3:.4g} | {b / n:.2f} |", flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
