"""The estimators' showcase: skxent's linear models next to scikit-learn's, on data it ships.

Design note
-----------
``estimators_showcase()`` is what the README's first command ends in. It cross-validates, in
``Pipeline(StandardScaler(), estimator)``:

- ``SoftmaxRegression`` vs ``LogisticRegression`` on ``load_digits`` (10 classes), scored with
  ``"neg_log_loss"`` (and skxent's ``neg_log_loss_scorer`` / ``neg_log_loss_logits_scorer`` when
  ``skxent.metrics`` is importable);
- ``MultiLabelLogistic`` vs ``MultiOutputClassifier(LogisticRegression())`` on
  ``make_multilabel_classification``, scored with the multi-label log loss (skxent's
  ``neg_multilabel_log_loss_scorer`` when available, else the same formula in NumPy;
  scikit-learn's ``"neg_log_loss"`` does not handle multi-label targets correctly);

and prints one table per task: mean fit time per fold, the log losses and accuracy. BLAS is
limited to one thread for every contender while it runs: multithreaded BLAS on a busy machine
makes timings erratic (skxent limits it during its own fits anyway), and the point is a stable,
like-for-like table in well under a minute.
"""

import sys
import time
import warnings

import numpy as np


def _multilabel_log_loss_np(y_true, proba):
    eps = np.finfo(np.float64).eps
    p = np.clip(np.asarray(proba, dtype=np.float64), eps, 1 - eps)
    y = np.asarray(y_true, dtype=np.float64)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def _proba_matrix(proba):
    if isinstance(proba, list):  # MultiOutputClassifier: one (n, 2) array per label
        return np.column_stack([p[:, 1] for p in proba])
    return proba


def _scorers(multilabel):
    from sklearn.metrics import make_scorer

    try:
        from . import metrics as skm
    except ImportError:  # the metrics module is optional for the showcase
        skm = None
    if multilabel:
        if skm is not None and hasattr(skm, "neg_multilabel_log_loss_scorer"):
            ml = skm.neg_multilabel_log_loss_scorer
        else:
            ml = make_scorer(
                lambda y, p: _multilabel_log_loss_np(y, _proba_matrix(p)),
                greater_is_better=False,
                response_method="predict_proba",
            )
        return {"multilabel log loss": ml, "subset accuracy": "accuracy"}
    scorers = {"log loss (sklearn scorer)": "neg_log_loss"}
    if skm is not None:
        if hasattr(skm, "neg_log_loss_scorer"):
            scorers["log loss (skxent scorer)"] = skm.neg_log_loss_scorer
        if hasattr(skm, "neg_log_loss_logits_scorer"):
            scorers["log loss from logits (skxent)"] = skm.neg_log_loss_logits_scorer
    scorers["accuracy"] = "accuracy"
    return scorers


def _table(title, rows, columns, file):
    print(f"\n{title}", file=file)
    widths = [max(len(c), 12) for c in columns]
    name_w = max(len(r[0]) for r in rows) + 2
    print(" " * name_w + "  ".join(f"{c:>{w}}" for c, w in zip(columns, widths)), file=file)
    for name, values in rows:
        cells = []
        for v, w in zip(values, widths):
            cells.append(f"{v:>{w}}" if isinstance(v, str) else f"{v:>{w}.4f}")
        print(f"{name:<{name_w}}" + "  ".join(cells), file=file)


def _run(task, contenders, X, y, scorers, cv, file):
    from sklearn.model_selection import cross_validate

    rows = []
    times = {}
    for name, est in contenders.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning of the defaults, both sides
            res = cross_validate(est, X, y, cv=cv, scoring=scorers)
        fit_time = float(np.mean(res["fit_time"]))
        times[name] = fit_time
        values = [f"{fit_time * 1e3:.1f} ms"]
        for key, sc in scorers.items():
            v = float(np.mean(res[f"test_{key}"]))
            values.append(-v if "loss" in key else v)
        rows.append((name, values))
    _table(task, rows, ["fit / fold"] + list(scorers), file)
    names = list(contenders)
    print(f"  fit time ratio {names[1]} / {names[0]}: {times[names[1]] / times[names[0]]:.1f}x",
          file=file)


def estimators_showcase(file=None):
    """Fit skxent's estimators and scikit-learn's side by side and print the comparison.

    Parameters
    ----------
    file : file-like or None
        Where to print (default ``sys.stdout``).
    """
    from sklearn.datasets import load_digits, make_multilabel_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold
    from sklearn.multioutput import MultiOutputClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    from .linear_model import MultiLabelLogistic, SoftmaxRegression

    file = sys.stdout if file is None else file
    t0 = time.perf_counter()
    print("skxent.linear_model vs scikit-learn: 5-fold cross-validation, "
          "Pipeline(StandardScaler(), model), default parameters (C=1, lbfgs, tol=1e-4, "
          "max_iter=100); BLAS limited to one thread for every contender.", file=file)
    cv = KFold(5, shuffle=True, random_state=0)
    with threadpool_limits(limits=1, user_api="blas"):
        X, y = load_digits(return_X_y=True)
        _run(
            f"load_digits ({X.shape[0]} x {X.shape[1]}, 10 classes): multinomial",
            {
                "skxent SoftmaxRegression": make_pipeline(StandardScaler(),
                                                          SoftmaxRegression()),
                "sklearn LogisticRegression": make_pipeline(StandardScaler(),
                                                            LogisticRegression()),
            },
            X, y, _scorers(multilabel=False), cv, file,
        )
        X, Y = make_multilabel_classification(
            n_samples=5000, n_features=50, n_classes=10, n_labels=3, random_state=0
        )
        _run(
            f"make_multilabel_classification ({X.shape[0]} x {X.shape[1]}, {Y.shape[1]} "
            "labels): one logistic regression per label",
            {
                "skxent MultiLabelLogistic": make_pipeline(StandardScaler(),
                                                           MultiLabelLogistic()),
                "sklearn MultiOutputClassifier(LR)": make_pipeline(
                    StandardScaler(), MultiOutputClassifier(LogisticRegression())
                ),
            },
            X, Y, _scorers(multilabel=True), cv, file,
        )
    print(f"\n(showcase ran in {time.perf_counter() - t0:.1f} s)", file=file)


if __name__ == "__main__":
    estimators_showcase()


def dask_showcase(file=None):
    """Section 6: the same losses, metric and estimator on dask arrays over a 2-worker cluster.

    ``load_digits`` (standardised) is cut into 6 row chunks and fitted on a
    ``dask.distributed.LocalCluster`` of two worker processes; the model, the loss and the log
    loss equal the in-memory ones. Returns False (after a note) when dask is not installed.
    """
    file = sys.stdout if file is None else file
    try:
        import dask.array as da
        from distributed import Client, LocalCluster
    except ImportError:
        print("  (dask is not installed: pip install \"skxent[dask]\" to run this part)",
              file=file)
        return False
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    from . import losses, metrics
    from .linear_model import SoftmaxRegression

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    t0 = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        startup = time.perf_counter() - t0
        Xd = da.from_array(X, chunks=(300, -1))
        yd = da.from_array(y, chunks=300)
        print(f"  LocalCluster: {len(client.scheduler_info()['workers'])} worker processes "
              f"(started in {startup:.1f} s); X as a dask array of {Xd.numblocks[0]} row "
              "chunks", file=file)
        t0 = time.perf_counter()
        model = SoftmaxRegression(C=0.1, tol=1e-6, max_iter=1000).fit(Xd, yd)
        t_dask = time.perf_counter() - t0
        ref = SoftmaxRegression(C=0.1, tol=1e-6, max_iter=1000).fit(X, y)
        print(f"  SoftmaxRegression.fit(dask X, dask y): {model.n_iter_} iterations in "
              f"{t_dask:.2f} s; max |coef - in-memory coef| = "
              f"{np.abs(model.coef_ - ref.coef_).max():.1e}", file=file)
        scores = model.decision_function(Xd)  # a lazy dask array, row chunks of X
        proba = model.predict_proba(Xd)
        ce = losses.categorical_cross_entropy(yd, scores, from_logits=True)
        ce_ref = losses.categorical_cross_entropy(y, ref.decision_function(X), from_logits=True)
        ll = metrics.log_loss(yd, proba)
        ll_ref = metrics.log_loss(y, ref.predict_proba(X))
        print(f"  categorical_cross_entropy on dask logits: {ce:.12f} (in memory "
              f"{ce_ref:.12f})", file=file)
        print(f"  log_loss on dask probabilities:           {ll:.12f} (in memory "
              f"{ll_ref:.12f})", file=file)
    return True
