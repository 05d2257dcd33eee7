"""Suite ``fit``: skxent.linear_model's estimators against scikit-learn's (and dask-ml's).

Design note
-----------
The cases of ``benchmarks/bench_linear_model.py``, each fitted from scratch in every round
(interleaved, no warm-up round: a fit's first-call costs are small next to the fit), with the
estimators' defaults (``C=1``, ``tol=1e-4``, ``max_iter=100``):

* ``softmax_dense``: ``make_classification(n, 100, n_informative=20, n_classes=10)``;
  ``SoftmaxRegression`` vs ``LogisticRegression`` (lbfgs);
* ``softmax_sparse``: a text-like CSR matrix (``n x 20000``, 50 stored values per row, labels
  drawn from a sparse linear model); the same contenders;
* ``multilabel``: ``make_multilabel_classification(n, 100, n_classes=20)``, standardised;
  ``MultiLabelLogistic`` vs ``MultiOutputClassifier(LogisticRegression())``;
* ``binary`` (only when dask-ml is installed: without it, the case adds nothing the others do
  not show): ``make_classification(n, 100, n_classes=2)``; ``SoftmaxRegression(C)`` vs
  ``LogisticRegression(C=2C)`` (the same minimiser: the softmax keeps two coefficient vectors,
  ``W_1 = -W_0``, and its penalty is half of ``||W_1 - W_0||^2``) and, when installed, dask-ml's
  ``LogisticRegression(solver="lbfgs", C=2C, tol=tol * n)`` on the same in-memory arrays (dask-glm
  minimises the *sum* of the losses, so its tolerance is scaled by ``n``; it also standardises
  and penalises the intercept, see ``benchmarks/bench_dask.py``).

Threads: skxent gets ``n_threads``; scikit-learn's fit runs under ``threadpool_limits(t)`` (BLAS
and OpenMP) set by the runner, so its BLAS uses the point's thread count too. The size ladder
runs at the fewest threads of the sweep (``ladder_at="min"``, see ``_cases``), the largest size
at every thread count. Sizes stop at 20000 rows at the default size so that the whole default
run stays under 10 minutes on a busy 2-core machine, where a scikit-learn fit with a spinning
2-thread BLAS pool can take ten seconds whatever its size. A fast fit that
stops early proves nothing, so after timing every final model is scored by one float64 formula
(the objective ``LogisticRegression`` minimises; per label, summed, for the multi-label case)
and the objectives and iteration counts are recorded with the timings.
"""

import warnings

import numpy as np

from ._cases import Case, Contender, Point

D = 100
K = 10
LABELS = 20
SPARSE_D = 20_000
SPARSE_NNZ = 50
ROWS = {
    "small": [2_000, 5_000, 10_000],
    "default": [5_000, 10_000, 20_000],
    "large": [5_000, 20_000, 50_000, 200_000],
}


class Fitter:
    """Zero-argument callable that fits a fresh estimator and keeps the last one."""

    def __init__(self, make, X, y):
        self.make, self.X, self.y = make, X, y
        self.est = None

    def __call__(self):
        from sklearn.exceptions import ConvergenceWarning

        est = self.make()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", FutureWarning)
            est.fit(self.X, self.y)
        self.est = est


def _dense(n, k):
    from sklearn.datasets import make_classification

    X, y = make_classification(n, D, n_informative=20, n_classes=k, random_state=0)
    return {"X": X, "y": y}


def _sparse(n):
    from scipy import sparse

    rng = np.random.default_rng(0)
    X = sparse.random(n, SPARSE_D, density=SPARSE_NNZ / SPARSE_D, format="csr", random_state=0,
                      data_rvs=lambda m: rng.standard_normal(m))
    W = rng.standard_normal((K, SPARSE_D)) * (rng.random((K, SPARSE_D)) < 0.2)
    logits = np.asarray(X @ W.T) + rng.gumbel(size=(n, K))
    return {"X": X, "y": logits.argmax(axis=1)}


def _multilabel(n):
    from sklearn.datasets import make_multilabel_classification
    from sklearn.preprocessing import StandardScaler

    X, Y = make_multilabel_classification(n, D, n_classes=LABELS, random_state=0)
    return {"X": StandardScaler().fit_transform(X), "y": Y}


def _coef(est):
    from sklearn.multioutput import MultiOutputClassifier

    if isinstance(est, MultiOutputClassifier):
        return (np.vstack([e.coef_ for e in est.estimators_]),
                np.concatenate([e.intercept_ for e in est.estimators_]))
    return np.asarray(est.coef_), np.asarray(est.intercept_)


def _n_iter(est):
    from sklearn.multioutput import MultiOutputClassifier

    if isinstance(est, MultiOutputClassifier):
        return int(max(np.max(e.n_iter_) for e in est.estimators_))
    n = getattr(est, "n_iter_", None)
    return None if n is None else int(np.max(n))


def softmax_objective(coef, intercept, X, y, C):
    """``LogisticRegression``'s multinomial objective in float64."""
    from scipy.special import log_softmax

    raw = np.asarray(X @ coef.T.astype(np.float64)) + intercept
    n = X.shape[0]
    return float(-log_softmax(raw, axis=1)[np.arange(n), y].mean()
                 + np.sum(coef.astype(np.float64) ** 2) / (2 * C * n))


def binary_objectives(coef, intercept, X, Y, C):
    """Per-label binary ``LogisticRegression`` objectives (float64), shape (n_labels,)."""
    from scipy.special import log_expit

    z = np.asarray(X @ coef.T.astype(np.float64)) + intercept
    n = X.shape[0]
    loss = -(Y * log_expit(z) + (1 - Y) * log_expit(-z)).mean(axis=0)
    return loss + np.sum(coef.astype(np.float64) ** 2, axis=1) / (2 * C * n)


def _softmax_point(d, threads, peers):
    from skxent.linear_model import SoftmaxRegression

    X, y = d["X"], d["y"]
    c = {"skxent": Contender(Fitter(lambda: SoftmaxRegression(C=1.0, n_threads=threads), X, y),
                             role="skxent", check=False)}
    if peers.sklearn is not None:
        from sklearn.linear_model import LogisticRegression

        c["sklearn LogisticRegression"] = Contender(
            Fitter(lambda: LogisticRegression(C=1.0), X, y), library="sklearn", check=False)

    def after():
        out = {}
        for name, con in c.items():
            if con.fn.est is not None:
                W, b = _coef(con.fn.est)
                out[name] = {"objective": softmax_objective(W, b, X, y, 1.0),
                             "n_iter": _n_iter(con.fn.est)}
        return out

    return Point(c, after=after)


def _multilabel_point(d, threads, peers):
    from skxent.linear_model import MultiLabelLogistic

    X, Y = d["X"], d["y"]
    c = {"skxent": Contender(Fitter(lambda: MultiLabelLogistic(C=1.0, n_threads=threads), X, Y),
                             role="skxent", check=False)}
    if peers.sklearn is not None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.multioutput import MultiOutputClassifier

        c["sklearn MultiOutputClassifier(LogisticRegression)"] = Contender(
            Fitter(lambda: MultiOutputClassifier(LogisticRegression(C=1.0)), X, Y),
            library="sklearn", check=False)

    def after():
        out = {}
        for name, con in c.items():
            if con.fn.est is not None:
                W, b = _coef(con.fn.est)
                out[name] = {"objective": float(binary_objectives(W, b, X, Y, 1.0).sum()),
                             "n_iter": _n_iter(con.fn.est)}
        return out

    return Point(c, after=after)


def _binary_point(d, threads, peers):
    from skxent.linear_model import SoftmaxRegression

    X, y = d["X"], d["y"]
    n = X.shape[0]
    C, tol = 1.0, 1e-4
    c = {"skxent": Contender(Fitter(lambda: SoftmaxRegression(C=C, tol=tol, n_threads=threads),
                                    X, y), role="skxent", check=False)}
    if peers.sklearn is not None:
        from sklearn.linear_model import LogisticRegression

        c["sklearn LogisticRegression"] = Contender(
            Fitter(lambda: LogisticRegression(C=2 * C, tol=tol), X, y), library="sklearn",
            check=False)
    if peers.dask_ml is not None:
        from dask_ml.linear_model import LogisticRegression as DaskLR

        c["dask-ml LogisticRegression"] = Contender(
            Fitter(lambda: DaskLR(solver="lbfgs", C=2 * C, tol=tol * n), X, y),
            library="dask-ml", check=False)

    def after():
        out = {}
        for name, con in c.items():
            est = con.fn.est
            if est is None:
                continue
            W, b = _coef(est)
            W, b = np.atleast_2d(W), np.atleast_1d(b)
            if W.shape[0] == 2:  # the softmax's two vectors -> one logistic vector
                W, b = W[1:] - W[:1], b[1:] - b[:1]
            obj = binary_objectives(W, b, X, y.reshape(-1, 1).astype(np.float64), 2 * C)
            out[name] = {"objective": float(obj[0]), "n_iter": _n_iter(est)}
        return out

    return Point(c, after=after)


def cases(with_dask_ml=False):
    """The fit cases; ``binary`` only when dask-ml (the peer it exists for) is installed."""
    common = dict(suite="fit", dtype="float64", n_contenders=2, repeats=3, warmup=0,
                  min_time=0.0, max_time=None, ladder_at="min")
    out = [
        Case(name="softmax_dense", title=f"SoftmaxRegression vs LogisticRegression, "
             f"dense n x {D}, {K} classes", sizes=ROWS,
             size_info=lambda n: {"n_samples": n, "n_features": D, "n_classes": K},
             size_label=lambda n: f"{n} x {D}", x_label=f"rows (x {D} features)",
             x_value=lambda n: n, data=lambda n: _dense(n, K), point=_softmax_point,
             cost=lambda n: 3e-5 * n, short="softmax fit, dense, 10 classes", **common),
        Case(name="softmax_sparse", title=f"SoftmaxRegression vs LogisticRegression, CSR "
             f"n x {SPARSE_D} ({SPARSE_NNZ} values per row), {K} classes", sizes=ROWS,
             size_info=lambda n: {"n_samples": n, "n_features": SPARSE_D, "n_classes": K,
                                  "nnz_per_row": SPARSE_NNZ},
             size_label=lambda n: f"{n} x {SPARSE_D} CSR", x_label="rows (CSR, 50 values each)",
             x_value=lambda n: n, data=_sparse, point=_softmax_point,
             cost=lambda n: 8e-5 * n, short="softmax fit, sparse CSR, 10 classes", **common),
        Case(name="multilabel", title=f"MultiLabelLogistic vs MultiOutputClassifier("
             f"LogisticRegression), n x {D}, {LABELS} labels", sizes=ROWS,
             size_info=lambda n: {"n_samples": n, "n_features": D, "n_labels": LABELS},
             size_label=lambda n: f"{n} x {D}", x_label=f"rows (x {D} features)",
             x_value=lambda n: n, data=_multilabel, point=_multilabel_point,
             cost=lambda n: 0.3 + 5e-5 * n, short="multi-label fit, 20 labels", **common),
        Case(name="binary", title=f"SoftmaxRegression vs binary LogisticRegression (and "
             f"dask-ml), dense n x {D}", sizes=ROWS,
             size_info=lambda n: {"n_samples": n, "n_features": D, "n_classes": 2},
             size_label=lambda n: f"{n} x {D}", x_label=f"rows (x {D} features)",
             x_value=lambda n: n, data=lambda n: _dense(n, 2), point=_binary_point,
             cost=lambda n: 5e-6 * n, short="binary fit", **common),
    ]
    return out if with_dask_ml else [c for c in out if c.name != "binary"]
