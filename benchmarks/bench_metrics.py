"""skxent.metrics vs sklearn.metrics (log_loss, Brier score, D^2), side by side in one process.

Design note
-----------
Two sections (``--only log_loss,proba``; both by default). Cases of ``log_loss``
(each timed interleaved with ``_harness.compare``, medians and ratios
``sklearn time / skxent time``):

* ``large``: 1e6 x 10 float64 probabilities with int64 labels (target >= 10x);
* ``large-f32``: the same in float32;
* ``small``: 100 x 10, the per-call overhead a cross-validation loop pays
  (target: no slower, ideally several times faster);
* ``small-labels``: the same with ``labels=`` (cross-validation folds that may
  miss a class);
* ``small-binary``: 100 samples, 1-D positive-class probabilities (what the
  ``neg_log_loss`` scorer passes for a binary classifier);
* ``strings``: 2e5 x 10 with string labels (scikit-learn sorts the strings);
* ``weights``: the large case with sample weights;
* ``multilabel``: ``multilabel_log_loss`` on 1e6 x 10 against a correct NumPy
  reference (scikit-learn has no correct equivalent to compare with).

Section ``proba``: ``brier_score_loss``, ``d2_brier_score`` and
``d2_log_loss_score``, each on

* ``large``: 1e6 x 10 float64 probabilities, int64 labels (target >= 10x);
* ``large-f32``: the same in float32 (scikit-learn computes in float32, skxent
  accumulates in float64: values compared to 1e-5);
* ``weights``: the large case with sample weights;
* ``binary-large``: 1e6 samples, 1-D positive-class probabilities;
* ``small``: 100 x 10 (per-call overhead in cross-validation: no slower);
* ``small-binary``: 100 samples, 1-D (what the scorers pass for a binary
  classifier).

Every case first checks that both contenders return the same value, so a
fast wrong answer cannot be reported. ``--quick`` shrinks the sizes for a
smoke run. The load average is printed before and after (the machine is
shared: read the ratios, not the absolute times).
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _harness import compare, print_table  # noqa: E402

import sklearn.metrics as skm  # noqa: E402
from sklearn.metrics import log_loss as sk_log_loss  # noqa: E402

import skxent.metrics as sxm  # noqa: E402
from skxent.metrics import log_loss, multilabel_log_loss  # noqa: E402

SECTIONS = ("log_loss", "proba")
PROBA_METRICS = ("brier_score_loss", "d2_brier_score", "d2_log_loss_score")


def _probabilities(rng, n, k, dtype=np.float64):
    p = rng.random((n, k))
    p /= p.sum(axis=1, keepdims=True)
    return p.astype(dtype)


def _numpy_multilabel(y, p):
    eps = np.finfo(p.dtype).eps
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def _case(title, contenders, repeats, check_rtol=1e-12, min_time=0.0, return_results=False):
    values = {k: f() for k, f in contenders.items()}
    ref = values["skxent"]
    for k, v in values.items():
        if abs(v - ref) > check_rtol * abs(ref):
            raise AssertionError(f"{title}: {k} = {v!r} but skxent = {ref!r}")
    res = compare(contenders, repeats=repeats, min_time=min_time)
    ratios = print_table(title, res)
    return res if return_results else ratios


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, smoke run")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--only", default=",".join(SECTIONS),
        help="comma-separated sections: " + ", ".join(SECTIONS),
    )
    args = parser.parse_args(argv)
    only = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    big = 100_000 if args.quick else 1_000_000
    mid = 20_000 if args.quick else 200_000
    reps = 3 if args.quick else args.repeats
    print("load average (1, 5, 15 min) before: %.2f %.2f %.2f" % os.getloadavg())
    summary = {}
    if "log_loss" in only:
        summary.update(_log_loss_cases(big, mid, reps))
    if "proba" in only:
        summary.update(_proba_cases(big, reps))

    print("\n## summary (peer time / skxent time)")
    for k, v in summary.items():
        print(f"{k:<32} {v:8.2f}x")
    print("load average (1, 5, 15 min) after: %.2f %.2f %.2f" % os.getloadavg())
    return summary


def _proba_cases(big, reps):
    """brier_score_loss, d2_brier_score, d2_log_loss_score vs scikit-learn's."""
    rng = np.random.default_rng(1)
    K = 10
    P = _probabilities(rng, big, K)
    y = rng.integers(0, K, big)
    P32 = P.astype(np.float32)
    w = rng.random(big)
    pb = rng.random(big)
    yb = rng.integers(0, 2, big)
    Ps = _probabilities(rng, 100, K)
    ys = rng.integers(0, K, 100)
    ys[:K] = np.arange(K)
    pbs, ybs = pb[:100].copy(), yb[:100].copy()
    cases = [
        ("large", f"{big} x {K} float64, int labels", (y, P), {}, 1e-12, 0.0),
        ("large-f32", f"{big} x {K} float32, int labels", (y, P32), {}, 1e-5, 0.0),
        ("weights", f"{big} x {K} float64, sample_weight", (y, P), {"sample_weight": w},
         1e-12, 0.0),
        ("binary-large", f"{big} samples, 1-D binary", (yb, pb), {}, 1e-12, 0.0),
        ("small", f"100 x {K} (per-call overhead)", (ys, Ps), {}, 1e-12, 0.05),
        ("small-binary", "100 samples, 1-D binary", (ybs, pbs), {}, 1e-12, 0.05),
    ]
    summary = {}
    medians = {}
    for name in PROBA_METRICS:
        sx, sk = getattr(sxm, name), getattr(skm, name)
        for key, title, data, kwargs, rtol, min_time in cases:
            res = _case(
                f"{name} {title}",
                {
                    "skxent": lambda: sx(*data, **kwargs),
                    "sklearn": lambda: sk(*data, **kwargs),
                },
                reps,
                check_rtol=rtol, min_time=min_time, return_results=True,
            )
            summary[f"{name} {key}"] = res["sklearn"]["median"] / res["skxent"]["median"]
            medians[name, key] = (res["skxent"]["median"], res["sklearn"]["median"])

    print("\n## Markdown: skxent ms / scikit-learn ms (ratio = scikit-learn time / skxent time)")
    print("\n| case | " + " | ".join(f"`{m}`" for m in PROBA_METRICS) + " |")
    print("|---|" + "---:|" * len(PROBA_METRICS))
    for key, title, *_ in cases:
        cells = []
        for name in PROBA_METRICS:
            a, b = medians[name, key]
            cells.append(f"{_ms(a)} / {_ms(b)} ms, **{b / a:.1f}x**")
        print(f"| {title} | " + " | ".join(cells) + " |")
    return summary


def _ms(seconds):
    ms = seconds * 1e3
    return f"{ms:.3f}" if ms < 1 else f"{ms:.1f}"


def _log_loss_cases(big, mid, reps):
    rng = np.random.default_rng(0)
    summary = {}
    K = 10
    P = _probabilities(rng, big, K)
    y = rng.integers(0, K, big)
    summary["large"] = _case(
        f"log_loss {big} x {K} float64, int labels",
        {"skxent": lambda: log_loss(y, P), "sklearn": lambda: sk_log_loss(y, P)},
        reps,
    )["sklearn"]

    P32 = P.astype(np.float32)
    summary["large-f32"] = _case(
        f"log_loss {big} x {K} float32, int labels",
        {"skxent": lambda: log_loss(y, P32), "sklearn": lambda: sk_log_loss(y, P32)},
        reps, check_rtol=1e-5,
    )["sklearn"]

    w = rng.random(big)
    summary["weights"] = _case(
        f"log_loss {big} x {K} float64, sample_weight",
        {
            "skxent": lambda: log_loss(y, P, sample_weight=w),
            "sklearn": lambda: sk_log_loss(y, P, sample_weight=w),
        },
        reps,
    )["sklearn"]

    Ps = _probabilities(rng, 100, K)
    ys = rng.integers(0, K, 100)
    ys[:K] = np.arange(K)
    summary["small"] = _case(
        f"log_loss 100 x {K} (per-call overhead)",
        {"skxent": lambda: log_loss(ys, Ps), "sklearn": lambda: sk_log_loss(ys, Ps)},
        reps, min_time=0.05,
    )["sklearn"]

    summary["small-labels"] = _case(
        f"log_loss 100 x {K}, labels= given",
        {
            "skxent": lambda: log_loss(ys, Ps, labels=np.arange(K)),
            "sklearn": lambda: sk_log_loss(ys, Ps, labels=np.arange(K)),
        },
        reps, min_time=0.05,
    )["sklearn"]

    pb = rng.random(100)
    yb = rng.integers(0, 2, 100)
    summary["small-binary"] = _case(
        "log_loss 100 samples, 1-D binary probabilities",
        {"skxent": lambda: log_loss(yb, pb), "sklearn": lambda: sk_log_loss(yb, pb)},
        reps, min_time=0.05,
    )["sklearn"]

    Pm = P[:mid]
    names = np.array([f"class_{k:02d}" for k in range(K)])
    ystr = names[y[:mid]]
    summary["strings"] = _case(
        f"log_loss {mid} x {K}, string labels",
        {
            "skxent": lambda: log_loss(ystr, Pm),
            "sklearn": lambda: sk_log_loss(ystr, Pm),
        },
        max(3, reps // 2),
    )["sklearn"]

    Y = (rng.random((big, K)) < 0.3).astype(np.float64)
    Q = rng.random((big, K))
    summary["multilabel"] = _case(
        f"multilabel_log_loss {big} x {K} vs NumPy reference",
        {
            "skxent": lambda: multilabel_log_loss(Y, Q),
            "numpy": lambda: _numpy_multilabel(Y, Q),
        },
        reps,
    )["numpy"]

    return summary


if __name__ == "__main__":
    main()
