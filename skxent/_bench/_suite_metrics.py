"""Suite ``metrics``: skxent.metrics' drop-ins against scikit-learn's functions.

Design note
-----------
``log_loss`` (float64 and float32 probabilities) always; ``brier_score_loss``,
``d2_log_loss_score`` and ``d2_brier_score`` when the installed ``skxent.metrics`` has them
(looked up with ``getattr`` at run time, so the suite works with versions that do not). Inputs
are the multiclass case of ``benchmarks/bench_metrics.py``: ``n x 10`` probabilities (rows
normalised) with integer labels, every class present. The size ladder starts at 100 rows, the
per-call overhead a cross-validation loop pays, and ends at 1e6 rows (default size), where the
kernels' speed shows. Threads: the metrics take no ``n_threads``; they use OpenMP's current
maximum, which ``threadpool_limits`` sets per point (scikit-learn's metrics are NumPy code and
single-threaded, so their speed-up stays ~1). The value of every contender is checked against
scikit-learn's before timing.
"""

import numpy as np

from ._cases import Case, Contender, Point
from ._harness import FLOOR, floor

K = 10
ROWS = {
    "small": [100, 1_000, 10_000],
    "default": [100, 1_000, 10_000, 100_000, 1_000_000],
    "large": [100, 1_000, 10_000, 100_000, 1_000_000, 4_000_000],
}
OPTIONAL = ("brier_score_loss", "d2_log_loss_score", "d2_brier_score")


def _data(n, dtype):
    rng = np.random.default_rng(0)
    p = rng.random((n, K))
    p /= p.sum(axis=1, keepdims=True)
    y = rng.integers(0, K, n)
    y[:K] = np.arange(K)  # every class present (d2 scores and labels inference need it)
    return {"proba": p.astype(dtype), "y": y}


def _point(fname):
    def point(d, threads, peers):
        import sklearn.metrics as skm

        import skxent.metrics as xm

        ours, theirs = getattr(xm, fname), getattr(skm, fname)
        y, p = d["y"], d["proba"]
        c = {"skxent": Contender(lambda: ours(y, p), role="skxent")}
        if peers.sklearn is not None:
            c[f"sklearn.metrics.{fname}"] = Contender(lambda: theirs(y, p), library="sklearn")
        c[FLOOR] = Contender(floor(p), role="floor", check=False)
        # scikit-learn is skxent's dependency, so the reference exists even with --peers none.
        ref = float(theirs(y, p))
        rtol = 1e-5 if p.dtype == np.float32 else 1e-9
        return Point(c, reference=ref, rtol=rtol)

    return point


def cases():
    import skxent.metrics as xm

    specs = [("log_loss", "float64"), ("log_loss", "float32")]
    specs += [(f, "float64") for f in OPTIONAL if hasattr(xm, f)]
    out = []
    for fname, dtype in specs:
        short = "f64" if dtype == "float64" else "f32"
        out.append(Case(
            suite="metrics", name=f"{fname}_{short}", title=f"{fname}, {dtype}", dtype=dtype,
            sizes=ROWS, size_info=lambda n: {"n_samples": n, "n_classes": K},
            size_label=lambda n: f"{n} x {K}", x_label=f"probabilities (n x {K})",
            x_value=lambda n: n * K,
            data=lambda n, dt=dtype: _data(n, np.dtype(dt)), point=_point(fname),
            # scikit-learn's metrics dominate: label encoding, clipping, per-call validation.
            cost=lambda n: 5e-5 + 3e-8 * n * K, n_contenders=3, repeats=7, warmup=2,
        ))
    return out


def missing_optional():
    """The optional metrics this skxent does not have (reported in the results' notes)."""
    import skxent.metrics as xm

    return [f for f in OPTIONAL if not hasattr(xm, f)]
