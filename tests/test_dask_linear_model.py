"""SoftmaxRegression and MultiLabelLogistic on Dask arrays (issue 6; contract: shared/dask_spec.md).

Design note
-----------
The contract: a fit on dask arrays equals the in-memory fit on the computed arrays (objective
within 1e-8 relative, coefficients close, same ``classes_``), fitted attributes are NumPy, and
predictions on a dask ``X`` are lazy dask arrays with ``X``'s row chunks. The objective is
computed here, independently of the estimators' code, from the formula of the contract:
``f = sum_i s_i loss_i / S + ||W||^2 / (2 C S)`` with ``loss_i`` from ``skxent.losses`` on the
logits ``X @ W.T + b`` (in float64, whatever the fit's dtype).

Data (``_dask_cluster``): 1e6 rows x 12 features, 4 classes (or 4 labels), drawn from a random
linear model, in 33 ragged chunks: empty chunks at both ends and in the middle, a one-row chunk,
and one chunk (rows 400000:420000) holding only class 0. The workers generate their chunks; the
in-memory arrays hold the same values. A float64 fit at ``tol=1e-8`` takes ~25 L-BFGS
iterations (a few seconds on the cluster). Float32 fits use ``tol=1e-4``: float32 sums cannot
resolve gradient components much below 1e-5, and near that floor L-BFGS-B spends dozens of
line-search evaluations per iteration in memory and on dask alike (seconds each on the cluster);
at 1e-4 both fits stop on the gradient rule. Variants (string labels, weights, soft labels,
NumPy companions, local schedulers) use 2e5 rows in ~15 chunks, newton-cg 5e4 rows. Every test
fails if a large dask array is converted to NumPy on the client (``__array__`` is guarded).

Fault tolerance: a fit runs in a background thread; after its third iteration (read from its
``verbose`` output) one worker process is killed with SIGKILL; its nanny restarts it. The fit
must then either finish with the undisturbed dask fit's coefficients (the per-chunk sums are
added in a fixed tree, so rtol 1e-10) or raise, never return a different model, and never hang.

Two classes are the binomial model in memory and on dask alike (``coef_`` ``(1, n_features)``):
the objective below is then the softmax of ``[0, z]``, with class weights folded in as in memory.

Run with the in-place build on the worker processes' path:
``cd /work/main && PYTHONPATH=/work/main python -m pytest tests/test_dask_linear_model.py``.
"""

import os
import signal
import threading
import time
import warnings

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from sklearn.utils.class_weight import compute_class_weight  # noqa: E402

from _dask_cluster import (  # noqa: E402
    client_fixture,
    eager,
    ensure_workers,
    even_chunks,
    forbid_large_numpy_conversion,
    lazy,
    ragged_chunks,
    worker_pids,
)
from skxent.linear_model import MultiLabelLogistic, SoftmaxRegression  # noqa: E402
from skxent.losses import binary_cross_entropy, categorical_cross_entropy  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    # tol=1e-8 may end on L-BFGS-B's ftol rule (as in memory); float32 fits near the noise floor.
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

N, D, K, L = 1_000_000, 12, 4, 4
ONE_CLASS = (400_000, 420_000)
CHUNKS = ragged_chunks(N, ONE_CLASS, n_cuts=24)
N_MED = 200_000
ONE_CLASS_MED = (50_000, 60_000)
CHUNKS_MED = ragged_chunks(N_MED, ONE_CLASS_MED, n_cuts=12)
C = 0.5
FIT = {
    np.float64: dict(C=C, tol=1e-8, max_iter=500),
    np.float32: dict(C=C, tol=1e-4, max_iter=500),  # see the design note
}
# Variants: |grad| <= 1e-6 already puts the objective within ~1e-11 and the coefficients
# within ~1e-5 of the optimum (curvature ~0.1), inside the contract's tolerances.
FIT_MED = dict(C=C, tol=1e-6, max_iter=500)
DTYPES = [np.float32, np.float64]
ESTIMATORS = {"softmax": SoftmaxRegression, "multilabel": MultiLabelLogistic}

dask_client = client_fixture("module")


@pytest.fixture(autouse=True)
def _large_dask_arrays_stay_off_the_client(monkeypatch):
    # Fits and predictions work where the chunks live: X never becomes NumPy on the client.
    forbid_large_numpy_conversion(monkeypatch)


@pytest.fixture
def client(dask_client):
    """The module's cluster client, with both workers up (a test may have killed one)."""
    return ensure_workers(dask_client)


# -- data and the objective ----------------------------------------------------------------------


def _X(n=N, chunks=CHUNKS, dtype=np.float64):
    return eager("design", n, (D,), dtype), lazy("design", n, chunks, (D,), dtype)


def _y(n=N, chunks=CHUNKS, one_class=ONE_CLASS, maker="design_labels", k=K):
    args = (D, k, one_class)
    return eager(maker, n, args), lazy(maker, n, chunks, args)


def _Y(n=N, chunks=CHUNKS):
    return eager("design_multilabel", n, (D, L)), lazy("design_multilabel", n, chunks, (D, L))


def _sw(n, chunks):
    return eager("design_weights", n), lazy("design_weights", n, chunks)


def _objective(model, X, y, *, sample_weight=None, class_weight=None):
    """The contract's objective at ``model``'s coefficients, in float64."""
    X = np.asarray(X, dtype=np.float64)
    W, b = model.coef_, model.intercept_
    raw = X @ W.T + b
    s = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, np.float64)
    if isinstance(model, SoftmaxRegression):
        if raw.shape[1] == 1:
            # two classes: the binomial model, the logit of classes_[1] (softmax([0, z]))
            raw = np.hstack([np.zeros_like(raw), raw])
            if y.ndim == 2:  # on the second column of soft labels
                y = np.column_stack([1 - y[:, 1], y[:, 1]])
        if y.ndim == 1:
            t = np.searchsorted(model.classes_, y)
            assert np.array_equal(model.classes_[t], y)
            mass = np.ones(len(t)) if class_weight is None else class_weight[t]
            losses = categorical_cross_entropy(t, raw, from_logits=True, reduction="none",
                                               class_weight=class_weight)
        else:  # soft labels: S weighs each row by its (class-weighted) label mass
            mass = y.sum(axis=1) if class_weight is None else y @ class_weight
            losses = categorical_cross_entropy(y, raw, from_logits=True, reduction="none",
                                               class_weight=class_weight)
        S = float(s @ mass)
    else:
        Y = (y == model.classes_[1]).reshape(-1, 1) if y.ndim == 1 else y
        losses = binary_cross_entropy(Y.astype(np.float64), raw, from_logits=True,
                                      reduction="none").sum(axis=1)
        S = float(s.sum())
    return float(s @ losses / S + np.sum(W**2) / (2 * C * S))


def _assert_same_fit(m_dask, m_mem, objective, dtype=np.float64):
    """The dask fit is the in-memory fit: NumPy attributes, classes_, objective, coefficients."""
    for name in ["coef_", "intercept_", "classes_"]:
        value = getattr(m_dask, name)
        assert type(value) is np.ndarray, (name, type(value))
    # coef_ takes X's dtype, as in memory (and as scikit-learn's)
    assert m_dask.coef_.dtype == m_mem.coef_.dtype == np.dtype(dtype)
    assert m_dask.coef_.shape == m_mem.coef_.shape
    assert type(m_dask.n_iter_) is int and m_dask.n_iter_ > 0
    assert m_dask.n_features_in_ == m_mem.n_features_in_ == D
    np.testing.assert_array_equal(m_dask.classes_, m_mem.classes_)
    assert m_dask.classes_.dtype == m_mem.classes_.dtype
    f_dask, f_mem = objective(m_dask), objective(m_mem)
    assert abs(f_dask - f_mem) <= 1e-8 * abs(f_mem), (f_dask, f_mem)
    rtol = 1e-4 if dtype == np.float64 else 1e-3
    scale = np.abs(m_mem.coef_).max()
    np.testing.assert_allclose(m_dask.coef_, m_mem.coef_, rtol=rtol, atol=rtol * 1e-2 * scale)
    np.testing.assert_allclose(m_dask.intercept_, m_mem.intercept_, rtol=rtol,
                               atol=rtol * 1e-2 * scale)


@pytest.fixture(scope="module")
def big_fits(dask_client):
    """``fits(est, dtype) -> (dask fit, in-memory fit)`` on the 1e6-row data, once per module."""
    cache = {}

    def get(est, dtype):
        if (est, dtype) not in cache:
            X, X_d = _X(dtype=dtype)
            y, y_d = _y() if est == "softmax" else _Y()
            Est = ESTIMATORS[est]
            m_dask = Est(**FIT[dtype]).fit(X_d, y_d)
            m_mem = Est(**FIT[dtype]).fit(X, y)
            cache[est, dtype] = (m_dask, m_mem)
        return cache[est, dtype]

    yield get
    cache.clear()


# -- fits on the cluster: 1e6 rows ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_fit_on_dask_equals_in_memory_fit(client, big_fits, dtype):
    m_dask, m_mem = big_fits("softmax", dtype)
    X, y = eager("design", N, (D,)), _y()[0]
    assert set(np.unique(y[ONE_CLASS[0]:ONE_CLASS[1]])) == {0}  # the one-class chunk
    _assert_same_fit(m_dask, m_mem, lambda m: _objective(m, X, y), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_multilabel_fit_on_dask_equals_in_memory_fit(client, big_fits, dtype):
    m_dask, m_mem = big_fits("multilabel", dtype)
    X, Y = eager("design", N, (D,)), _Y()[0]
    _assert_same_fit(m_dask, m_mem, lambda m: _objective(m, X, Y), dtype)


N_PRED = 300_000
PREDICT_METHODS = ["predict", "predict_proba", "predict_log_proba", "decision_function"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("est", ["softmax", "multilabel"])
def test_predictions_on_dask_X_are_lazy_with_X_row_chunks_and_equal_in_memory(
    client, big_fits, est, dtype
):
    model, in_memory = big_fits(est, dtype)
    # 3e5 rows (the first ones of the training data) in ragged chunks, empty ones included.
    X, X_d = _X(N_PRED, ragged_chunks(N_PRED, (100_000, 110_000), n_cuts=20), dtype)
    assert 0 in X_d.chunks[0] and 1 in X_d.chunks[0]
    lazy_out = {m: getattr(model, m)(X_d) for m in PREDICT_METHODS}
    for method, out in lazy_out.items():
        assert isinstance(out, da.Array), method
        assert out.chunks[0] == X_d.chunks[0], method
    computed = dict(zip(lazy_out, dask.compute(*lazy_out.values())))
    for method in PREDICT_METHODS:
        expected = getattr(model, method)(X)
        got = computed[method]
        assert lazy_out[method].dtype == expected.dtype == got.dtype, method
        assert lazy_out[method].shape == expected.shape == got.shape, method
        if method == "predict":
            assert got.dtype == in_memory.predict(X[:10]).dtype  # labels' / Y's dtype
            np.testing.assert_array_equal(got, expected)
        else:
            tol = 1e-10 if dtype == np.float64 else 1e-5
            np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * 1e-2, err_msg=method)
    # NumPy in, NumPy out, as before.
    assert type(model.predict_proba(X[:100])) is np.ndarray


# -- variants: 2e5 rows ----------------------------------------------------------------------------


def _fit_both(Est, kw, X, X_d, y, y_d, sw=None, sw_d=None):
    fit_kw = {} if sw is None else dict(sample_weight=sw)
    fit_kw_d = {} if sw_d is None else dict(sample_weight=sw_d)
    return Est(**kw).fit(X_d, y_d, **fit_kw_d), Est(**kw).fit(X, y, **fit_kw)


def test_softmax_string_labels_give_the_same_classes_and_predictions(client):
    X, X_d = _X(N_MED, CHUNKS_MED)
    y, y_d = _y(N_MED, CHUNKS_MED, ONE_CLASS_MED, maker="design_string_labels")
    assert y_d.dtype.kind == "U"
    m_dask, m_mem = _fit_both(SoftmaxRegression, FIT_MED, X, X_d, y, y_d)
    _assert_same_fit(m_dask, m_mem, lambda m: _objective(m, X, y))
    pred = m_dask.predict(X_d)
    assert isinstance(pred, da.Array) and pred.chunks[0] == X_d.chunks[0]
    np.testing.assert_array_equal(pred.compute(), m_mem.predict(X))


@pytest.fixture(scope="module")
def weighted_cluster_fit(dask_client):
    """SoftmaxRegression on 2e5 rows with dask sample weights: (cluster fit, in-memory fit)."""
    X, X_d = _X(N_MED, CHUNKS_MED)
    y, y_d = _y(N_MED, CHUNKS_MED, ONE_CLASS_MED)
    sw, sw_d = _sw(N_MED, CHUNKS_MED)
    return _fit_both(SoftmaxRegression, FIT_MED, X, X_d, y, y_d, sw, sw_d)


def test_softmax_dask_sample_weight_equals_in_memory(client, weighted_cluster_fit):
    X, y = eager("design", N_MED, (D,)), _y(N_MED, CHUNKS_MED, ONE_CLASS_MED)[0]
    sw = eager("design_weights", N_MED)
    m_dask, m_mem = weighted_cluster_fit
    _assert_same_fit(m_dask, m_mem, lambda m: _objective(m, X, y, sample_weight=sw))


@pytest.mark.filterwarnings("ignore:Sending large graph:UserWarning")  # the NumPy companions
def test_numpy_y_and_sample_weight_next_to_dask_X_with_balanced_class_weight(client):
    X, X_d = _X(N_MED, CHUNKS_MED)
    y, _ = _y(N_MED, CHUNKS_MED, ONE_CLASS_MED)
    sw, _ = _sw(N_MED, CHUNKS_MED)
    kw = dict(FIT_MED, class_weight="balanced")
    m_dask, m_mem = _fit_both(SoftmaxRegression, kw, X, X_d, y, y, sw, sw)
    cw = compute_class_weight("balanced", classes=m_mem.classes_, y=y, sample_weight=sw)
    _assert_same_fit(m_dask, m_mem,
                     lambda m: _objective(m, X, y, sample_weight=sw, class_weight=cw))


def test_softmax_soft_labels_on_dask_equal_in_memory(client):
    X, X_d = _X(N_MED, CHUNKS_MED)
    Y, Y_d = eager("soft_labels", N_MED, (K,)), lazy("soft_labels", N_MED, CHUNKS_MED, (K,))
    m_dask, m_mem = _fit_both(SoftmaxRegression, FIT_MED, X, X_d, Y, Y_d)
    np.testing.assert_array_equal(m_dask.classes_, np.arange(K))
    _assert_same_fit(m_dask, m_mem, lambda m: _objective(m, X, Y))


def test_softmax_binary_on_dask_is_the_binomial_model_as_in_memory(client):
    # two string classes, dask sample weights, class weights folded into the sample weights
    X, X_d = _X(N_MED, CHUNKS_MED)
    y, y_d = _y(N_MED, CHUNKS_MED, ONE_CLASS_MED, maker="design_string_labels", k=2)
    sw, sw_d = _sw(N_MED, CHUNKS_MED)
    cw = {"ant": 0.7, "bee": 2.0}
    kw = dict(FIT_MED, class_weight=cw)
    m_dask, m_mem = _fit_both(SoftmaxRegression, kw, X, X_d, y, y_d, sw, sw_d)
    assert m_dask.coef_.shape == (1, D) and m_dask.intercept_.shape == (1,)
    np.testing.assert_array_equal(m_dask.classes_, ["ant", "bee"])
    _assert_same_fit(m_dask, m_mem, lambda m: _objective(
        m, X, y, sample_weight=sw, class_weight=np.array([0.7, 2.0])))
    dec, proba = m_dask.decision_function(X_d), m_dask.predict_proba(X_d)
    assert isinstance(dec, da.Array) and dec.shape == (N_MED,)
    got_dec, got_proba = dask.compute(dec, proba)
    np.testing.assert_allclose(got_proba, m_dask.predict_proba(X), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got_dec, m_dask.decision_function(X), rtol=1e-10, atol=1e-12)


def test_softmax_two_column_soft_labels_with_class_weights_on_dask(client):
    # the binomial model on the second column; class weights through pos_weight (soft labels)
    X, X_d = _X(N_MED, CHUNKS_MED)
    Y, Y_d = eager("soft_labels", N_MED, (2,)), lazy("soft_labels", N_MED, CHUNKS_MED, (2,))
    kw = dict(FIT_MED, class_weight={0: 0.5, 1: 1.5})
    m_dask, m_mem = _fit_both(SoftmaxRegression, kw, X, X_d, Y, Y_d)
    assert m_dask.coef_.shape == (1, D)
    _assert_same_fit(m_dask, m_mem, lambda m: _objective(m, X, Y,
                                                         class_weight=np.array([0.5, 1.5])))


def test_multilabel_1d_binary_string_labels_with_numpy_weights(client):
    X, X_d = _X(N_MED, CHUNKS_MED)
    y, y_d = _y(N_MED, CHUNKS_MED, ONE_CLASS_MED, maker="design_string_labels", k=2)
    sw, _ = _sw(N_MED, CHUNKS_MED)
    m_dask, m_mem = _fit_both(MultiLabelLogistic, FIT_MED, X, X_d, y, y_d, sw, sw)
    np.testing.assert_array_equal(m_dask.classes_, ["ant", "bee"])
    _assert_same_fit(m_dask, m_mem, lambda m: _objective(m, X, y, sample_weight=sw))
    proba, pred = m_dask.predict_proba(X_d), m_dask.predict(X_d)
    assert isinstance(proba, da.Array) and proba.shape == (N_MED, 2)
    got_proba, got_pred = dask.compute(proba, pred)
    np.testing.assert_allclose(got_proba, m_dask.predict_proba(X), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(got_pred, m_dask.predict(X))


def test_multilabel_missing_labels_on_the_cluster_equal_in_memory(client):
    # NaN in Y (missing labels) on the workers: per-chunk masks, one S_j per label summed over
    # the chunks, pos_weight="balanced" from the observed rows; the ragged chunks include empty
    # ones and a one-row chunk
    X, X_d = _X(N_MED, CHUNKS_MED)
    Y, Y_d = _Y(N_MED, CHUNKS_MED)
    missing = ((np.arange(N_MED)[:, None] * 7919 + np.arange(L) * 104729) % 10) < 3
    Y_nan = np.where(missing, np.nan, Y)
    Y_nan_d = da.where(da.from_array(missing, chunks=(Y_d.chunks[0], (L,))), np.nan, Y_d)
    kw = dict(FIT_MED, pos_weight="balanced")
    m_dask, m_mem = _fit_both(MultiLabelLogistic, kw, X, X_d, Y_nan, Y_nan_d)
    assert type(m_dask.coef_) is np.ndarray and m_dask.coef_.shape == (L, D)
    np.testing.assert_allclose(m_dask.pos_weight_, m_mem.pos_weight_, rtol=1e-12)
    scale = np.abs(m_mem.coef_).max()
    np.testing.assert_allclose(m_dask.coef_, m_mem.coef_, rtol=1e-4, atol=1e-6 * scale)
    np.testing.assert_allclose(m_dask.intercept_, m_mem.intercept_, rtol=1e-4,
                               atol=1e-6 * scale)


def test_softmax_newton_cg_on_dask_equals_in_memory(client):
    # One pass per Hessian-vector product: a smaller problem.
    n, one_class = 50_000, (10_000, 12_000)
    chunks = ragged_chunks(n, one_class, n_cuts=4)
    X, X_d = _X(n, chunks)
    y, y_d = _y(n, chunks, one_class)
    kw = dict(FIT_MED, solver="newton-cg")
    m_dask, m_mem = _fit_both(SoftmaxRegression, kw, X, X_d, y, y_d)
    _assert_same_fit(m_dask, m_mem, lambda m: _objective(m, X, y))


@pytest.mark.parametrize("scheduler", ["threads", "synchronous"])
def test_fit_on_a_local_scheduler_equals_the_cluster_fit(client, weighted_cluster_fit,
                                                          scheduler):
    on_cluster, in_memory = weighted_cluster_fit
    X, X_d = _X(N_MED, CHUNKS_MED)
    y, y_d = _y(N_MED, CHUNKS_MED, ONE_CLASS_MED)
    sw, sw_d = _sw(N_MED, CHUNKS_MED)
    with dask.config.set(scheduler=scheduler):
        local = SoftmaxRegression(**FIT_MED).fit(X_d, y_d, sample_weight=sw_d)
        proba = local.predict_proba(X_d)
        assert isinstance(proba, da.Array)
        proba = proba.compute()
    _assert_same_fit(local, in_memory, lambda m: _objective(m, X, y, sample_weight=sw))
    # Same chunks, same fixed summation tree: the same iterates as on the cluster.
    np.testing.assert_allclose(local.coef_, on_cluster.coef_, rtol=1e-10, atol=0)
    np.testing.assert_allclose(proba, in_memory.predict_proba(X), rtol=1e-6, atol=1e-9)


# -- bad input -------------------------------------------------------------------------------------


N_ERR = 20_000


@pytest.mark.parametrize("Est", [SoftmaxRegression, MultiLabelLogistic])
def test_misaligned_chunks_of_X_y_or_sample_weight_raise(client, Est):
    chunks = even_chunks(N_ERR, 8)
    X_d = lazy("design", N_ERR, chunks, (D,))
    y_d = (lazy("design_labels", N_ERR, chunks, (D, K)) if Est is SoftmaxRegression
           else lazy("design_multilabel", N_ERR, chunks, (D, L)))
    sw_d = lazy("design_weights", N_ERR, chunks)
    with pytest.raises(ValueError):
        Est().fit(X_d, y_d.rechunk({0: even_chunks(N_ERR, 5)}))
    with pytest.raises(ValueError):
        Est().fit(X_d, y_d, sample_weight=sw_d.rechunk((even_chunks(N_ERR, 5),)))


@pytest.mark.parametrize("Est", [SoftmaxRegression, MultiLabelLogistic])
def test_X_chunked_along_features_raises(client, Est):
    chunks = even_chunks(N_ERR, 8)
    X_d = lazy("design", N_ERR, chunks, (D,)).rechunk({1: 5})
    assert X_d.numblocks[1] > 1
    y_d = (lazy("design_labels", N_ERR, chunks, (D, K)) if Est is SoftmaxRegression
           else lazy("design_multilabel", N_ERR, chunks, (D, L)))
    with pytest.raises(ValueError):
        Est().fit(X_d, y_d)


def test_unknown_chunk_sizes_raise(client):
    chunks = even_chunks(N_ERR, 8)
    X_d = lazy("design", N_ERR, chunks, (D,))
    y_d = lazy("design_labels", N_ERR, chunks, (D, K))
    keep = X_d[:, 0] > -np.inf  # every row, but the chunk sizes are unknown
    assert np.isnan(X_d[keep].shape[0])
    with pytest.raises(ValueError):
        SoftmaxRegression().fit(X_d[keep], y_d[keep])
    with pytest.raises(ValueError):
        SoftmaxRegression().fit(X_d, y_d[keep])


# -- fault tolerance -------------------------------------------------------------------------------


def test_killing_a_worker_mid_fit_gives_the_undisturbed_model_or_an_error(
    client, big_fits, capsys
):
    undisturbed = big_fits("softmax", np.float64)[0]
    _, X_d = _X()
    _, y_d = _y()
    pids = worker_pids(client)
    assert len(pids) == 2
    outcome = {}

    def fit():
        try:
            outcome["model"] = SoftmaxRegression(verbose=1, **FIT[np.float64]).fit(X_d, y_d)
        except BaseException as exc:  # noqa: BLE001 - the outcome under test
            outcome["error"] = exc

    thread = threading.Thread(target=fit, daemon=True)
    thread.start()
    out, deadline = "", time.monotonic() + 120
    while out.count("iter ") < 3 and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
        out += capsys.readouterr().out
    assert thread.is_alive(), "the fit ended before the kill: the test needs a longer fit"
    assert out.count("iter ") >= 3, out
    victim = sorted(pids)[0]
    os.kill(pids[victim], signal.SIGKILL)
    thread.join(timeout=240)
    out += capsys.readouterr().out
    assert not thread.is_alive(), "the fit hangs after a worker was killed"
    # The kill landed: the nanny restarted the worker (a new process).
    ensure_workers(client)
    assert pids[victim] not in worker_pids(client).values()
    if "error" in outcome:  # allowed: an error, never a silently wrong model
        warnings.warn(f"the fit raised after the kill: {outcome['error']!r}", UserWarning)
        assert isinstance(outcome["error"], Exception)
        return
    model = outcome["model"]
    np.testing.assert_allclose(model.coef_, undisturbed.coef_, rtol=1e-10, atol=0)
    np.testing.assert_allclose(model.intercept_, undisturbed.intercept_, rtol=1e-10, atol=1e-14)
    assert model.n_iter_ == undisturbed.n_iter_
