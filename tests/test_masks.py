"""Binary cross-entropy with per-element weights (``sample_weight`` of any broadcastable shape)
and masks (``where``).

Design note
-----------
The contract: an element where ``where`` is False contributes nothing (loss, gradient and
Hessian exactly 0) and is out of every count of the reductions (sum of weights, nonzero
weights, number of terms); ``y_true`` may hold NaN there (a missing label), nowhere else.
``sample_weight`` 1-D is one weight per sample; any other shape broadcasts to ``y_pred`` with
NumPy's rules (PyTorch's element-wise ``weight=``). Both are read through strided views, never
materialised: a ``(1, L)`` weight or an ``(L,)`` mask costs no ``n x L`` array, which a
tracemalloc test pins.

The expected values come from the definition itself: a masked loss equals the plain loss of the
kept elements alone (``mean`` over the kept weights, and so on), and from the 60-digit reference
``bce_ref`` (which takes the same ``where`` and weights).
"""

import tracemalloc

import numpy as np
import pytest

from _reference import LAYOUTS, assert_within, bce_ref, make_layout
from skxent.losses import binary_cross_entropy as bce

DTYPES = (np.float32, np.float64)
REDUCTIONS = ("none", "sum", "mean", "sum_over_batch_size", "sum_by_nonzero_weights")


def _problem(rng, shape=(40, 5), dtype=np.float64):
    X = (rng.standard_normal(shape) * 2).astype(dtype)
    Y = (rng.random(shape) < 0.4).astype(np.float64)
    M = rng.random(shape) < 0.7
    return X, Y, M


def _denominator(reduction, w):
    return {"sum": 1.0, "mean": w.sum(), "sum_over_batch_size": float(w.size),
            "sum_by_nonzero_weights": float(np.count_nonzero(w))}[reduction]


# ------------------------------------------------------------------ where


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("from_logits", [True, False])
def test_masked_loss_is_the_loss_of_the_kept_elements_alone(dtype, reduction, from_logits):
    rng = np.random.default_rng(0)
    X, Y, M = _problem(rng, dtype=dtype)
    if not from_logits:
        X = (1 / (1 + np.exp(-X))).astype(dtype)
    sw = rng.random(40)
    Y[~M] = np.nan  # missing labels
    loss, grad = bce(Y, X, from_logits=from_logits, where=M, sample_weight=sw,
                     reduction=reduction, return_grad=True)
    kept_w = np.broadcast_to(sw[:, None], X.shape)[M]
    terms = bce(Y[M], X[M], from_logits=from_logits, sample_weight=kept_w, reduction="none")
    g_kept = bce(Y[M], X[M], from_logits=from_logits, sample_weight=kept_w, reduction="sum",
                 return_grad=True)[1]
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    if reduction == "none":
        assert np.all(loss[~M] == 0) and np.all(grad[~M] == 0)
        np.testing.assert_allclose(loss[M], terms, rtol=rtol)
        np.testing.assert_allclose(grad[M], g_kept, rtol=rtol)
        return
    den = _denominator(reduction, kept_w)
    np.testing.assert_allclose(loss, terms.sum(dtype=np.float64) / den, rtol=rtol)
    np.testing.assert_allclose(grad[M], g_kept / den, rtol=rtol)
    assert np.all(grad[~M] == 0)


@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_masked_elements_have_zero_hessian_and_any_values(gamma):
    rng = np.random.default_rng(1)
    X, Y, M = _problem(rng)
    X[~M] = np.nan  # not read either
    Y[~M] = np.nan
    loss, grad, hess = bce(Y, X, from_logits=True, where=M, focal_gamma=gamma,
                           reduction="none", return_hess=True)
    for a in (loss, grad, hess):
        assert np.all(a[~M] == 0) and np.all(np.isfinite(a[M]))


def test_nan_label_outside_where_is_an_error():
    rng = np.random.default_rng(2)
    X, Y, M = _problem(rng)
    Y[~M] = np.nan
    i, j = np.argwhere(M)[3]
    Y[i, j] = np.nan
    with pytest.raises(ValueError, match=rf"y_true: NaN at position \({i}, {j}\)"):
        bce(Y, X, from_logits=True, where=M)
    with pytest.raises(ValueError, match="y_true"):
        bce(Y, X, from_logits=True)  # no mask: every NaN is an error
    Y[i, j] = 1.5
    with pytest.raises(ValueError, match=r"y_true: value 1.5"):
        bce(Y, X, from_logits=True, where=M)


def test_probabilities_out_of_range_outside_where_are_an_error():
    rng = np.random.default_rng(3)
    X, Y, M = _problem(rng)
    P = 1 / (1 + np.exp(-X))
    P[~M] = -1.0  # padding, not read
    bce(Y, P, from_logits=False, where=M)
    i, j = np.argwhere(M)[0]
    P[i, j] = 2.0
    with pytest.raises(ValueError, match="y_pred"):
        bce(Y, P, from_logits=False, where=M)


@pytest.mark.parametrize("shape", [(5,), (1, 5), (40, 1), (40, 5), ()])
def test_where_broadcasts_like_numpy(shape):
    rng = np.random.default_rng(4)
    X, Y, _ = _problem(rng)
    w = rng.random(shape) < 0.6 if shape else np.bool_(True)
    if shape:
        w.flat[0] = True
    full = np.broadcast_to(w, X.shape).copy()
    for reduction in ("mean", "none", "sum_over_batch_size"):
        got = bce(Y, X, from_logits=True, where=w, reduction=reduction, return_grad=True)
        ref = bce(Y, X, from_logits=True, where=full, reduction=reduction, return_grad=True)
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_array_equal(got[1], ref[1])


def test_where_on_one_dimensional_input_is_per_sample():
    x = np.array([0.5, -1.0, 2.0])
    y = np.array([1.0, np.nan, 0.0])
    w = np.array([True, False, True])
    np.testing.assert_allclose(bce(y, x, from_logits=True, where=w),
                               bce(y[w], x[w], from_logits=True), rtol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_all_false_where_gives_zero_loss_and_gradient(reduction):
    X, Y, _ = _problem(np.random.default_rng(5))
    loss, grad, hess = bce(Y, X, from_logits=True, where=np.zeros(X.shape, bool),
                           reduction=reduction, return_hess=True)
    assert np.all(loss == 0) and np.all(grad == 0) and np.all(hess == 0)


@pytest.mark.parametrize("bad", [np.ones((3, 5), bool), np.ones((40, 2), bool),
                                 np.ones((2, 40, 5), bool)])
def test_where_not_broadcastable_is_a_value_error(bad):
    X, Y, _ = _problem(np.random.default_rng(6))
    with pytest.raises(ValueError, match="where"):
        bce(Y, X, from_logits=True, where=bad)


def test_where_must_be_boolean():
    X, Y, M = _problem(np.random.default_rng(7))
    with pytest.raises(TypeError, match="where"):
        bce(Y, X, from_logits=True, where=M.astype(np.int64))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("n_threads", [1, 3])
def test_where_and_weights_in_any_layout_give_bit_identical_results(layout, n_threads):
    rng = np.random.default_rng(8)
    X, Y, M = _problem(rng, shape=(30_000, 5))
    W = rng.random(X.shape)
    kw = dict(from_logits=True, focal_gamma=1.5, return_hess=True)
    ref = bce(Y, X, where=M, sample_weight=W, n_threads=1, **kw)
    got = bce(make_layout(Y, layout), make_layout(X, layout), where=make_layout(M, layout),
              sample_weight=make_layout(W, layout), n_threads=n_threads, **kw)
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_masked_and_weighted_loss_within_4_eps_of_the_exact_reference(dtype, reduction):
    rng = np.random.default_rng(9)
    X = (rng.standard_normal((12, 4)) * np.array([1e-6, 1.0, 30.0, 300.0])).astype(dtype)
    Y = rng.random((12, 4))
    M = rng.random((12, 4)) < 0.7
    W = rng.random((12, 4))
    W[0] = 0.0
    for kw in (dict(where=M), dict(sample_weight=W), dict(sample_weight=W[1:2], where=M,
                                                          focal_gamma=2.0)):
        ref_loss, ref_grad, ref_scale = bce_ref(Y, X, from_logits=True, reduction=reduction,
                                                **kw)
        loss, grad = bce(Y, X, from_logits=True, reduction=reduction, return_grad=True, **kw)
        eps, tiny = float(np.finfo(dtype).eps), float(np.finfo(dtype).tiny)
        assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what=f"loss {sorted(kw)}")
        assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, scale=ref_scale,
                      what=f"grad {sorted(kw)}")


# ------------------------------------------------------------------ per-element weights


@pytest.mark.parametrize("shape", [(40, 5), (1, 5), (40, 1), (5,), ()])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sample_weight_of_any_broadcastable_shape_weights_its_elements(shape, reduction):
    rng = np.random.default_rng(10)
    X, Y, _ = _problem(rng)
    if shape == (5,):
        # 1-D weights are one per sample (the API's convention), whatever their length
        w = rng.random(40)
        full = np.broadcast_to(w[:, None], X.shape)
    else:
        w = rng.random(shape) if shape else 0.7
        full = np.broadcast_to(w, X.shape)
    got = bce(Y, X, from_logits=True, sample_weight=w, reduction=reduction, return_grad=True)
    terms = full * bce(Y, X, from_logits=True, reduction="none")
    if reduction == "none":
        np.testing.assert_allclose(got[0], terms, rtol=1e-13)
        return
    den = _denominator(reduction, full)
    np.testing.assert_allclose(got[0], terms.sum() / den, rtol=1e-13)
    g1 = bce(Y, X, from_logits=True, reduction="none", return_grad=True)[1]
    np.testing.assert_allclose(got[1], full * g1 / den, rtol=1e-13)


def test_per_element_weights_match_pytorch_weight():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    X, Y, _ = _problem(rng)
    W = rng.random(X.shape)
    got = bce(Y, X, from_logits=True, sample_weight=W, reduction="sum_over_batch_size")
    ref = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.from_numpy(X), torch.from_numpy(Y), weight=torch.from_numpy(W))
    np.testing.assert_allclose(got, ref.item(), rtol=1e-12)


@pytest.mark.parametrize("bad,match", [
    (np.ones((3, 5)), "sample_weight: shape"),
    (np.ones((2, 40, 5)), "sample_weight: shape"),
    (np.full((40, 5), -1.0), r"sample_weight: negative weight -1.0 at position \(0, 0\)"),
    (np.array([[1.0, np.nan, 1.0, 1.0, 1.0]]), r"sample_weight: NaN at position \(0, 1\)"),
])
def test_bad_element_weights_are_value_errors(bad, match):
    X, Y, _ = _problem(np.random.default_rng(12))
    with pytest.raises(ValueError, match=match):
        bce(Y, X, from_logits=True, sample_weight=bad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcast_weights_and_mask_allocate_no_n_by_l_array(dtype):
    rng = np.random.default_rng(13)
    X, Y, _ = _problem(rng, shape=(200_000, 8), dtype=dtype)
    Y = Y.astype(dtype)
    w = rng.random((1, 8))
    m = rng.random(8) < 0.7
    bce(Y, X, from_logits=True, sample_weight=w, where=m)  # warm-up (workspaces)
    tracemalloc.start()
    bce(Y, X, from_logits=True, sample_weight=w, where=m, focal_gamma=2.0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < X.nbytes / 10, peak


# ------------------------------------------------------------------ Dask


def test_where_and_element_weights_on_dask_arrays_equal_in_memory():
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(14)
    X, Y, M = _problem(rng, shape=(50, 4))
    Y[~M] = np.nan
    W = rng.random((50, 4))
    with dask.config.set(scheduler="synchronous"):
        for kw in (dict(where=M), dict(where=M[:1]), dict(sample_weight=W),
                   dict(sample_weight=W[:1], where=M)):
            Yk = Y if kw.get("where") is not None and kw["where"].shape[0] == 50 \
                else np.nan_to_num(Y)
            ref = bce(Yk, X, from_logits=True, return_grad=True, **kw)
            dkw = {k: da.from_array(v, chunks=(20, 4)) if v.shape[0] == 50 else v
                   for k, v in kw.items()}
            got = bce(da.from_array(Yk, chunks=(20, 4)), da.from_array(X, chunks=(20, 4)),
                      from_logits=True, return_grad=True, **dkw)
            np.testing.assert_allclose(got[0], ref[0], rtol=1e-14)
            np.testing.assert_allclose(got[1].compute(), ref[1], rtol=1e-14)
