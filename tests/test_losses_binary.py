"""Semantics of ``skxent.losses.binary_cross_entropy``: every parameter, every reduction.

Design note
-----------
As for the categorical loss, expected values come from ``_np_bce``, a numpy float64 transcription
of the API page (``loss = -(pos_weight * y' * log p + (1 - y') * log(1 - p))``, ``y'`` smoothed
towards 1/2, weights ``w_ij = sample_weight_i``, the five reductions), evaluated on
well-conditioned inputs, plus hand-computed values and central finite differences for the
gradient. 1-D (binary) and 2-D (multi-label) inputs, logits and probabilities, float32 and
float64, memory layouts and ``n_threads``.
"""

import math
import warnings

import numpy as np
import pytest
from scipy.special import expit, log_expit

from _reference import LAYOUTS, assert_matches_numpy, check_fd, make_layout
from skxent.losses import binary_cross_entropy as bce

REDUCTIONS = ("none", "sum", "mean", "sum_over_batch_size", "sum_by_nonzero_weights")
DTYPES = (np.float32, np.float64)
RTOL = {np.float32: 2e-6, np.float64: 1e-12}


def _np_bce(y_true, y_pred, *, from_logits, sample_weight=None, pos_weight=None,
            label_smoothing=0.0, eps=None, reduction="mean"):
    """The API page's definitions in numpy float64. Returns (loss, grad)."""
    X = np.asarray(y_pred, dtype=np.float64)
    shape = X.shape
    X2 = X.reshape(shape[0], -1)
    n, L = X2.shape
    Y = np.asarray(y_true, dtype=np.float64).reshape(n, L)
    dt = np.asarray(y_pred).dtype
    eps = np.finfo(dt if dt in (np.float32, np.float64) else np.float64).eps if eps is None else eps
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
    pw = np.broadcast_to(1.0 if pos_weight is None else np.asarray(pos_weight, np.float64), (L,))
    Ys = Y * (1 - label_smoothing) + label_smoothing / 2
    a, b = pw * Ys, 1 - Ys
    if from_logits:
        t = -(a * log_expit(X2) + b * log_expit(-X2))
        g = b * expit(X2) - a * expit(-X2)
    else:
        pc = np.clip(X2, eps, 1 - eps)
        t = -(a * np.log(pc) + b * np.log1p(-pc))
        g = np.where((X2 < eps) | (X2 > 1 - eps), 0.0, b / (1 - pc) - a / pc)
    t = sw[:, None] * t
    g = sw[:, None] * g
    if reduction == "none":
        return t.reshape(shape), g.reshape(shape)
    denom = {
        "sum": 1.0,
        "mean": sw.sum() * L,
        "sum_over_batch_size": float(n * L),
        "sum_by_nonzero_weights": float(np.count_nonzero(sw) * L),
    }[reduction]
    if denom == 0:
        return 0.0, np.zeros(shape)  # a zero denominator: loss 0, gradient 0 (divide no nan)
    return t.sum() / denom, (g / denom).reshape(shape)


def _problem(rng, shape=(11, 4), dtype=np.float64, soft=False):
    X = (rng.standard_normal(shape) * 2).astype(dtype)
    Y = rng.random(shape) if soft else (rng.random(shape) < 0.4).astype(np.float64)
    return X, Y


def _check(got, exp, dtype, what=""):
    np.testing.assert_allclose(np.asarray(got, np.float64), exp, rtol=RTOL[dtype],
                               atol=RTOL[dtype] * 1e-3, err_msg=what)


# ------------------------------------------------------------------ exact known answers


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5,), (5, 3)])
def test_zero_logits_give_log_2(dtype, shape):
    X = np.zeros(shape, dtype=dtype)
    Y = (np.arange(np.prod(shape)).reshape(shape) % 2).astype(dtype)
    loss, grad = bce(Y, X, from_logits=True, reduction="none", return_grad=True)
    eps = float(np.finfo(dtype).eps)
    np.testing.assert_allclose(loss, math.log(2), rtol=2 * eps)
    np.testing.assert_allclose(grad, 0.5 - Y, rtol=2 * eps)
    assert loss.shape == shape and grad.shape == shape


def test_hand_computed_values_with_pos_weight():
    # x = 1, y = 1, pos_weight = 3: 3 * log(1 + e^-1); x = -2, y = 0: log(1 + e^-2)
    X = np.array([1.0, -2.0])
    Y = np.array([1.0, 0.0])
    loss = bce(Y, X, from_logits=True, pos_weight=3.0, reduction="none")
    np.testing.assert_allclose(loss, [3 * math.log1p(math.exp(-1)), math.log1p(math.exp(-2))],
                               rtol=1e-15)
    P = np.array([0.8, 0.3])
    loss = bce(Y, P, from_logits=False, pos_weight=3.0, reduction="none")
    np.testing.assert_allclose(loss, [-3 * math.log(0.8), -math.log(0.7)], rtol=1e-15)


# ------------------------------------------------------------------ every parameter


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(13,), (13, 4)])
@pytest.mark.parametrize("soft", [False, True])
def test_logits_with_weights_every_reduction(rng, dtype, reduction, shape, soft):
    X, Y = _problem(rng, shape, dtype, soft)
    sw = rng.random(shape[0]) * 2
    sw[[0, 5]] = 0.0
    pw = rng.random(shape[1]) + 0.5 if len(shape) == 2 else 1.7
    kw = dict(from_logits=True, sample_weight=sw, pos_weight=pw, reduction=reduction)
    loss, grad = bce(Y, X, return_grad=True, **kw)
    exp_loss, exp_grad = _np_bce(Y, X, **kw)
    _check(loss, exp_loss, dtype, reduction)
    _check(grad, exp_grad, dtype, reduction)
    assert grad.shape == X.shape and grad.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(13,), (13, 4)])
def test_probabilities_with_weights_every_reduction(rng, dtype, reduction, shape):
    X, Y = _problem(rng, shape, np.float64, soft=True)
    P = expit(X).astype(dtype)
    sw = rng.random(shape[0]) + 0.1
    kw = dict(from_logits=False, sample_weight=sw, pos_weight=2.0, reduction=reduction)
    loss, grad = bce(Y, P, return_grad=True, **kw)
    exp_loss, exp_grad = _np_bce(Y, P, **kw)
    _check(loss, exp_loss, dtype, reduction)
    _check(grad, exp_grad, dtype, reduction)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("e", [0.1, 1.0])
@pytest.mark.parametrize("from_logits", [True, False])
def test_label_smoothing_moves_targets_towards_one_half(rng, dtype, e, from_logits):
    X, Y = _problem(rng, (9, 3), dtype)
    P = X if from_logits else expit(X.astype(np.float64)).astype(dtype)
    kw = dict(from_logits=from_logits, label_smoothing=e, reduction="sum")
    loss, grad = bce(Y, P, return_grad=True, **kw)
    exp_loss, exp_grad = _np_bce(Y, P, **kw)
    _check(loss, exp_loss, dtype)
    _check(grad, exp_grad, dtype)
    if e == 1.0 and from_logits:
        # the target is 1/2 everywhere: same as passing 0.5 without smoothing
        half = bce(np.full(Y.shape, 0.5), P, from_logits=True, reduction="sum")
        assert float(loss) == pytest.approx(float(half), rel=4 * float(np.finfo(dtype).eps))


def test_per_label_pos_weight_applies_to_its_column():
    X = np.zeros((2, 3))
    Y = np.ones((2, 3))
    loss = bce(Y, X, from_logits=True, pos_weight=np.array([1.0, 2.0, 0.0]), reduction="none")
    np.testing.assert_allclose(loss, [[math.log(2), 2 * math.log(2), 0.0]] * 2, rtol=1e-15)


def test_mean_divides_by_sum_of_sample_weights_times_labels():
    X = np.zeros((3, 2))
    Y = np.ones((3, 2))
    sw = np.array([1.0, 3.0, 0.0])
    assert bce(Y, X, from_logits=True, sample_weight=sw) == pytest.approx(math.log(2), rel=1e-15)
    assert bce(Y, X, from_logits=True, sample_weight=sw,
               reduction="sum_over_batch_size") == pytest.approx(4 * 2 * math.log(2) / 6)
    assert bce(Y, X, from_logits=True, sample_weight=sw,
               reduction="sum_by_nonzero_weights") == pytest.approx(8 * math.log(2) / 4)


@pytest.mark.parametrize("label_dtype", [bool, np.int64, np.int32, np.float32, np.float64])
def test_label_dtypes(rng, label_dtype):
    X, Y = _problem(rng, (10, 3))
    got = bce(Y.astype(label_dtype), X, from_logits=True, reduction="none")
    exp, _ = _np_bce(Y, X, from_logits=True, reduction="none")
    np.testing.assert_allclose(got, exp, rtol=1e-13)


def test_lists_are_accepted():
    got = bce([1, 0, 1], [0.5, -1.0, 2.0], from_logits=True, reduction="none")
    exp, _ = _np_bce(np.array([1, 0, 1]), np.array([0.5, -1.0, 2.0]), from_logits=True,
                     reduction="none")
    np.testing.assert_allclose(got, exp, rtol=1e-14)


# ------------------------------------------------------------------ clipping


@pytest.mark.parametrize("dtype", DTYPES)
def test_probabilities_clipped_to_eps_one_minus_eps_with_zero_gradient(dtype):
    eps = float(np.finfo(dtype).eps)
    P = np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype=dtype)
    Y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    loss, grad = bce(Y, P, from_logits=False, reduction="none", return_grad=True)
    lo = float(np.asarray(eps, np.float64))
    hi = float(np.asarray(1 - np.asarray(eps, dtype), np.float64))
    exp = [-math.log(lo), -math.log1p(-hi), -math.log1p(-lo), -math.log(hi), math.log(2)]
    np.testing.assert_allclose(loss, exp, rtol=4 * eps)
    assert np.all(grad[:4] == 0)
    assert grad[4] == pytest.approx(-2.0, rel=4 * eps)


def test_custom_eps_binary():
    P = np.array([1e-4, 0.9999, 0.5])
    Y = np.array([1.0, 0.0, 1.0])
    loss, grad = bce(Y, P, from_logits=False, eps=1e-2, reduction="none", return_grad=True)
    np.testing.assert_allclose(loss, [-math.log(1e-2), -math.log(1e-2), math.log(2)], rtol=1e-13)
    assert grad[0] == 0 and grad[1] == 0 and grad[2] == pytest.approx(-2.0)


# ------------------------------------------------------------------ gradients


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("from_logits", [True, False])
def test_gradient_is_derivative_of_returned_loss(rng, reduction, from_logits):
    X, Y = _problem(rng, (4, 3), soft=True)
    P = X if from_logits else expit(X)
    kw = dict(from_logits=from_logits, sample_weight=rng.random(4) + 0.5,
              pos_weight=np.array([1.0, 2.5, 0.5]), label_smoothing=0.1, reduction=reduction)
    _, grad = bce(Y, P, return_grad=True, **kw)
    check_fd(lambda Z: bce(Y, Z, **kw), P, grad, h=1e-6 if from_logits else 1e-7)


# ------------------------------------------------------------------ NaN, inf


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_logits_propagate_without_raising(dtype):
    X = np.array([[0.0, np.nan], [1.0, 2.0]], dtype=dtype)
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    loss, grad = bce(Y, X, from_logits=True, reduction="none", return_grad=True)
    assert np.isnan(loss[0, 1]) and np.all(np.isfinite(loss[1])) and np.isfinite(loss[0, 0])
    assert np.all(np.isfinite(grad[1]))
    assert np.isnan(bce(Y, X, from_logits=True))


@pytest.mark.parametrize("dtype", DTYPES)
def test_minus_inf_logit_means_probability_zero(dtype):
    # -inf: probability exactly 0. With no positive target mass the loss and gradient are 0;
    # with a positive target the loss is +inf (never NaN).
    X = np.array([-np.inf, -np.inf, 0.0], dtype=dtype)
    Y = np.array([0.0, 1.0, 1.0])
    loss, grad = bce(Y, X, from_logits=True, reduction="none", return_grad=True)
    assert loss[0] == 0 and grad[0] == 0
    assert loss[1] == np.inf
    assert loss[2] == pytest.approx(math.log(2))


def test_plus_inf_logits_do_not_raise():
    X = np.array([np.inf, 0.0])
    Y = np.array([1.0, 0.0])
    loss = bce(Y, X, from_logits=True, reduction="none")
    assert loss.shape == (2,) and loss[1] == pytest.approx(math.log(2))


# ------------------------------------------------------------------ dtypes, layouts, inputs


@pytest.mark.parametrize("in_dtype", [np.float16, np.int64, np.int8, bool])
def test_other_real_dtypes_compute_in_float64(in_dtype):
    X = np.array([[0, 1], [1, 0]]).astype(in_dtype)
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    loss, grad = bce(Y, X, from_logits=True, reduction="none", return_grad=True)
    assert loss.dtype == np.float64 and grad.dtype == np.float64
    exp_loss, exp_grad = _np_bce(Y, X.astype(np.float64), from_logits=True, reduction="none")
    np.testing.assert_allclose(loss, exp_loss, rtol=1e-14)
    np.testing.assert_allclose(grad, exp_grad, rtol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
def test_output_dtype_follows_y_pred(rng, dtype):
    X, Y = _problem(rng, (6, 2), dtype)
    for reduction in REDUCTIONS:
        loss, grad = bce(Y.astype(np.float64), X, from_logits=True, reduction=reduction,
                         sample_weight=np.ones(6), return_grad=True)
        assert np.asarray(loss).dtype == dtype and grad.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("shape", [(30,), (30, 5)])
def test_memory_layouts_give_the_same_results(rng, dtype, layout, n_threads, shape):
    X, Y = _problem(rng, shape, dtype, soft=True)
    sw = rng.random(shape[0])
    kw = dict(from_logits=True, reduction="none", return_grad=True, n_threads=n_threads)
    ref = bce(Y, X, sample_weight=sw, **kw)
    got = bce(make_layout(Y, layout), make_layout(X, layout),
              sample_weight=make_layout(sw, layout), **kw)
    eps = float(np.finfo(dtype).eps)
    np.testing.assert_allclose(got[0], ref[0], rtol=4 * eps)
    np.testing.assert_allclose(got[1], ref[1], rtol=4 * eps)
    assert got[1].shape == X.shape and got[1].dtype == dtype
    a = bce(Y, X, from_logits=True, sample_weight=sw)
    b = bce(make_layout(Y, layout), make_layout(X, layout), from_logits=True,
            sample_weight=make_layout(sw, layout))
    assert float(b) == pytest.approx(float(a), rel=4 * eps)


def test_memmap_inputs(tmp_path, rng):
    X, Y = _problem(rng, (20, 3))
    mx = np.memmap(tmp_path / "x.dat", dtype=np.float64, mode="w+", shape=X.shape)
    mx[:] = X
    mx.flush()
    rx = np.memmap(tmp_path / "x.dat", dtype=np.float64, mode="r", shape=X.shape)
    got = bce(Y, rx, from_logits=True, return_grad=True)
    exp = bce(Y, X, from_logits=True, return_grad=True)
    assert got[0] == exp[0] and np.array_equal(got[1], exp[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_caller_arrays_are_never_modified(rng, dtype):
    X, Y = _problem(rng, (8, 3), dtype, soft=True)
    P = expit(X.astype(np.float64)).astype(dtype)
    sw, pw = rng.random(8), rng.random(3) + 0.5
    arrays = [X, Y, P, sw, pw]
    copies = [a.copy() for a in arrays]
    for rd in REDUCTIONS:
        bce(Y, X, from_logits=True, sample_weight=sw, pos_weight=pw, label_smoothing=0.2,
            reduction=rd, return_grad=True)
        bce(Y, P, from_logits=False, sample_weight=sw, pos_weight=pw, reduction=rd,
            return_grad=True)
    for a, c in zip(arrays, copies):
        assert np.array_equal(a, c)
    for a in arrays:
        a.setflags(write=False)
    bce(Y, X, from_logits=True, sample_weight=sw, pos_weight=pw, return_grad=True)
    bce(Y, P, from_logits=False, return_grad=True)


def test_single_sample_and_single_label(rng):
    for shape in [(1,), (1, 1), (5, 1)]:
        X, Y = _problem(rng, shape)
        loss, grad = bce(Y, X, from_logits=True, return_grad=True)
        exp_loss, exp_grad = _np_bce(Y, X, from_logits=True)
        _check(loss, exp_loss, np.float64)
        _check(grad, exp_grad, np.float64)
        assert grad.shape == shape


def test_soft_targets_do_not_warn(rng):
    X, Y = _problem(rng, (5, 2), soft=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bce(Y, expit(X), from_logits=False)
        bce(Y, X, from_logits=True)


def test_private_bce_grad_out_and_clip_max(rng):
    from _reference import engine_bce as _bce

    X, Y = _problem(rng, (7, 3))
    loss, grad = bce(Y, X, from_logits=True, return_grad=True)
    buf = np.empty_like(X)
    loss2, out = _bce(Y, X, from_logits=True, grad_out=buf)
    assert out is buf and loss2 == loss and np.array_equal(buf, grad)
    P = np.array([0.0, 1.0, 0.5])
    l1 = _bce(np.array([1.0, 0.0, 1.0]), P, from_logits=False, eps=1e-3, clip_max=0.9,
              reduction="none")
    np.testing.assert_allclose(l1, [-math.log(1e-3), -math.log(0.1), math.log(2)], rtol=1e-13)


# ------------------------------------------------------------------ property-based semantics

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_random_parameter_combinations_match_the_formula(data):
    n = data.draw(st.integers(1, 9), label="n")
    two_d = data.draw(st.booleans(), label="2-D")
    L = data.draw(st.integers(1, 5), label="L") if two_d else 1
    shape = (n, L) if two_d else (n,)
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    X = (rng.standard_normal(shape) * data.draw(st.sampled_from([0.1, 3.0, 30.0]))).astype(dtype)
    soft = data.draw(st.booleans(), label="soft")
    Y = rng.random(shape) if soft else (rng.random(shape) < 0.5).astype(np.float64)
    kw = dict(from_logits=True, reduction=data.draw(st.sampled_from(REDUCTIONS)),
              label_smoothing=data.draw(st.sampled_from([0.0, 0.1, 1.0])))
    if data.draw(st.booleans(), label="sample_weight"):
        kw["sample_weight"] = rng.random(n) * (rng.random(n) < 0.8)
    pw = data.draw(st.sampled_from(["none", "scalar", "vector"]), label="pos_weight")
    if pw == "scalar":
        kw["pos_weight"] = float(rng.random() * 3)
    elif pw == "vector" and two_d:
        kw["pos_weight"] = rng.random(L) * 3
    if data.draw(st.booleans(), label="probabilities"):
        kw["from_logits"] = False
        X = expit(X.astype(np.float64)).astype(dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        exp_loss, exp_grad = _np_bce(Y, X, **kw)
    loss, grad = bce(Y, X, return_grad=True, **kw)
    assert_matches_numpy(loss, grad, exp_loss, exp_grad, dtype)
    assert grad.shape == shape and grad.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_reduced_loss_allocates_no_n_by_k_temporary(dtype):
    import tracemalloc

    n, L = 100_000, 20
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, L)).astype(dtype)
    Y = (rng.random((n, L)) < 0.5).astype(dtype)
    bce(Y, X, from_logits=True)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        bce(Y, X, from_logits=True)
        bce(Y, X, from_logits=True, reduction="sum", sample_weight=np.ones(n), pos_weight=2.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 4, f"peak {peak} bytes for an input of {X.nbytes} bytes"


@pytest.mark.parametrize("reduction", ["sum", "mean", "sum_over_batch_size"])
def test_infinite_terms_reduce_to_inf_not_nan(reduction):
    X = np.array([-np.inf, 0.0])
    Y = np.array([1.0, 0.0])
    assert bce(Y, X, from_logits=True, reduction=reduction) == np.inf
    huge = np.array([-2.0**1023, -2.0**1023])  # each term 2**1023, sum overflows
    assert bce(np.ones(2), huge, from_logits=True, reduction="sum") == np.inf


def test_pandas_inputs(rng):
    pd = pytest.importorskip("pandas")
    X, Y = _problem(rng, (10, 2))
    got = bce(pd.DataFrame(Y), pd.DataFrame(X), from_logits=True, reduction="none")
    exp = bce(Y, X, from_logits=True, reduction="none")
    assert np.array_equal(got, exp) and isinstance(got, np.ndarray)
    got = bce(pd.Series(Y[:, 0]), pd.Series(X[:, 0]), from_logits=True)
    assert got == bce(Y[:, 0], X[:, 0], from_logits=True)
