"""Semantics of ``skxent.losses.categorical_cross_entropy``: every parameter, every reduction.

Design note
-----------
These tests pin *what* is computed, not how accurately (that is ``test_accuracy.py``, against
mpmath). The expected values come from ``_np_cce`` below, a direct numpy transcription of the
API page's definitions (terms ``t_i``, weights ``w_i``, the five reductions, the exact gradient
``(sum_k c_k y'_k) p - c * y'``), evaluated in float64 on well-conditioned inputs, plus a few
values computed by hand (uniform logits give ``log K``; PyTorch's class-weighted mean). Gradients
are also checked against central finite differences of the returned loss, which validates the
"derivative of the returned (reduced) loss" contract independently of the closed form.
Parametrized over dtype, memory layout and ``n_threads`` where those could change the code path.
"""

import math
import warnings

import numpy as np
import pytest
from scipy.special import log_softmax as sp_log_softmax

from _reference import LAYOUTS, assert_matches_numpy, check_fd, make_layout
from skxent.losses import categorical_cross_entropy as cce

REDUCTIONS = ("none", "sum", "mean", "sum_over_batch_size", "sum_by_nonzero_weights")
DTYPES = (np.float32, np.float64)
RTOL = {np.float32: 2e-6, np.float64: 1e-12}


def _onehot(y, K):
    Y = np.zeros((len(y), K))
    Y[np.arange(len(y)), np.asarray(y, dtype=np.int64)] = 1.0
    return Y


def _np_cce(y_true, y_pred, *, from_logits, sample_weight=None, class_weight=None,
            label_smoothing=0.0, ignore_index=None, eps=None, reduction="mean"):
    """The API page's definitions, transcribed to numpy float64. Returns (loss, grad)."""
    X = np.asarray(y_pred, dtype=np.float64)
    n, K = X.shape
    dt = np.asarray(y_pred).dtype
    eps = np.finfo(dt if dt in (np.float32, np.float64) else np.float64).eps if eps is None else eps
    y_true = np.asarray(y_true)
    valid = np.ones(n, bool)
    if y_true.ndim == 1:
        lab = y_true.astype(np.int64)
        if ignore_index is not None:
            valid = lab != ignore_index
        Y = np.zeros((n, K))
        Y[np.flatnonzero(valid), lab[valid]] = 1.0
    else:
        Y = y_true.astype(np.float64)
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
    cw = np.ones(K) if class_weight is None else np.asarray(class_weight, np.float64)
    w = sw * (Y @ cw) * valid
    Ys = Y * (1 - label_smoothing) + label_smoothing / K
    CY = Ys * cw
    if from_logits:
        logp = sp_log_softmax(X, axis=1)
        with np.errstate(invalid="ignore"):
            t = -np.where(CY == 0, 0.0, CY * logp).sum(1)
        g = CY.sum(1, keepdims=True) * np.exp(logp) - CY
    else:
        pc = np.clip(X, eps, 1.0)
        t = -(CY * np.log(pc)).sum(1)
        g = np.where((X < eps) | (X > 1.0), 0.0, -CY / pc)
    t = sw * t * valid
    g = sw[:, None] * g * valid[:, None]
    if reduction == "none":
        return t, g
    denom = {
        "sum": 1.0,
        "mean": w.sum(),
        "sum_over_batch_size": float(valid.sum()),
        "sum_by_nonzero_weights": float(np.count_nonzero(w)),
    }[reduction]
    if denom == 0:
        return 0.0, np.zeros_like(g)  # a zero denominator: loss 0, gradient 0 (divide no nan)
    return t.sum() / denom, g / denom


def _problem(rng, n=13, K=5, dtype=np.float64, scale=2.0):
    X = (rng.standard_normal((n, K)) * scale).astype(dtype)
    y = rng.integers(0, K, n)
    return X, y


def _check(got, exp, dtype, what=""):
    np.testing.assert_allclose(np.asarray(got, np.float64), exp, rtol=RTOL[dtype],
                               atol=RTOL[dtype] * 1e-3, err_msg=what)


# ------------------------------------------------------------------ exact known answers


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("K", [2, 3, 10, 1000])
@pytest.mark.parametrize("form", ["int", "onehot"])
def test_uniform_logits_give_log_K(dtype, K, form):
    n = 4
    X = np.full((n, K), 3.25, dtype=dtype)
    y = np.arange(n) % K
    yt = y if form == "int" else _onehot(y, K).astype(dtype)
    loss, grad = cce(yt, X, from_logits=True, reduction="none", return_grad=True)
    eps = float(np.finfo(dtype).eps)
    np.testing.assert_allclose(loss, math.log(K), rtol=2 * eps)
    exp_grad = np.full((n, K), 1.0 / K) - _onehot(y, K)
    np.testing.assert_allclose(grad, exp_grad, rtol=4 * eps, atol=0)


def test_hand_computed_three_class_value():
    X = np.array([[1.0, 2.0, 3.0]])
    lse = math.log(math.exp(1) + math.exp(2) + math.exp(3))
    assert cce(np.array([2]), X, from_logits=True) == pytest.approx(lse - 3, rel=1e-15)
    assert cce(np.array([0]), X, from_logits=True) == pytest.approx(lse - 1, rel=1e-15)
    P = np.array([[0.2, 0.3, 0.5]])
    assert cce(np.array([1]), P, from_logits=False) == pytest.approx(-math.log(0.3), rel=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_single_class_has_zero_loss_and_gradient(dtype):
    X = np.array([[5.0], [-3.0]], dtype=dtype)
    loss, grad = cce(np.array([0, 0]), X, from_logits=True, reduction="none", return_grad=True)
    assert np.all(loss == 0) and np.all(grad == 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_single_sample(dtype):
    X = np.array([[0.5, -1.0, 2.0]], dtype=dtype)
    loss, grad = cce(np.array([1]), X, from_logits=True, return_grad=True)
    exp_loss, exp_grad = _np_cce(np.array([1]), X, from_logits=True)
    _check(loss, exp_loss, dtype)
    _check(grad, exp_grad, dtype)
    assert np.ndim(loss) == 0 and grad.shape == (1, 3)


# ------------------------------------------------------------------ labels


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("label_dtype", [np.int64, np.int32, np.uint8, np.float64, np.float32,
                                         "onehot"])
def test_label_forms_agree(rng, dtype, label_dtype):
    X, y = _problem(rng, dtype=dtype)
    exp_loss, exp_grad = _np_cce(y, X, from_logits=True, reduction="none")
    yt = _onehot(y, X.shape[1]) if label_dtype == "onehot" else y.astype(label_dtype)
    loss, grad = cce(yt, X, from_logits=True, reduction="none", return_grad=True)
    _check(loss, exp_loss, dtype)
    _check(grad, exp_grad, dtype)


def test_labels_as_python_lists():
    X = [[0.0, 1.0, 2.0], [3.0, -1.0, 0.5]]
    got = cce([2, 0], X, from_logits=True, reduction="none")
    exp, _ = _np_cce(np.array([2, 0]), np.array(X), from_logits=True, reduction="none")
    np.testing.assert_allclose(got, exp, rtol=1e-14)
    assert np.asarray(got).dtype == np.float64


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_labels(rng, dtype, reduction):
    X, _ = _problem(rng, dtype=dtype)
    Y = rng.dirichlet(np.ones(X.shape[1]), size=X.shape[0])
    loss, grad = cce(Y, X, from_logits=True, reduction=reduction, return_grad=True)
    exp_loss, exp_grad = _np_cce(Y, X, from_logits=True, reduction=reduction)
    _check(loss, exp_loss, dtype)
    _check(grad, exp_grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("row_sum", [0.5, "over_one", 0.0])
def test_soft_labels_not_summing_to_one_get_exact_gradient(rng, dtype, row_sum):
    X, _ = _problem(rng, n=6, K=4, dtype=dtype)
    if row_sum == "over_one":  # every entry in [0, 1], rows summing to ~2
        Y = rng.random((6, 4))
    else:
        Y = rng.dirichlet(np.ones(4), size=6) * row_sum
    loss, grad = cce(Y, X, from_logits=True, reduction="sum", return_grad=True)
    p = np.exp(sp_log_softmax(X.astype(np.float64), axis=1))
    exp_grad = Y.sum(1, keepdims=True) * p - Y  # not the p - y shortcut
    _check(grad, exp_grad, dtype)
    if row_sum == 0:
        assert loss == 0 and np.all(grad == 0)
    # the gradient is the gradient of the loss: finite differences in float64
    if dtype == np.float64:
        check_fd(lambda Z: cce(Y, Z, from_logits=True, reduction="sum"), X, grad)


# ------------------------------------------------------------------ weights


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("form", ["int", "onehot", "soft"])
def test_sample_and_class_weights_every_reduction(rng, dtype, reduction, form):
    X, y = _problem(rng, dtype=dtype)
    n, K = X.shape
    sw = rng.random(n) * 2
    sw[[1, 4]] = 0.0  # zero weights must count for sum_by_nonzero_weights
    cw = rng.random(K) + 0.5
    yt = {"int": y, "onehot": _onehot(y, K),
          "soft": rng.dirichlet(np.ones(K), size=n)}[form]
    loss, grad = cce(yt, X, from_logits=True, sample_weight=sw, class_weight=cw,
                     reduction=reduction, return_grad=True)
    exp_loss, exp_grad = _np_cce(yt, X, from_logits=True, sample_weight=sw, class_weight=cw,
                                 reduction=reduction)
    _check(loss, exp_loss, dtype, reduction)
    _check(grad, exp_grad, dtype, reduction)


def test_class_weighted_mean_divides_by_sum_of_weights_like_pytorch():
    # Hand computation of torch.nn.functional.cross_entropy(weight=cw) semantics.
    X = np.array([[1.0, 0.0], [0.0, 2.0], [0.5, 0.5]])
    y = np.array([0, 1, 1])
    cw = np.array([1.0, 3.0])
    sw = np.array([1.0, 2.0, 0.5])
    nll = [math.log1p(math.exp(-1.0)), math.log1p(math.exp(-2.0)), math.log(2.0)]
    terms = [sw[i] * cw[y[i]] * nll[i] for i in range(3)]
    expected = sum(terms) / (1 * 1 + 2 * 3 + 0.5 * 3)
    got = cce(y, X, from_logits=True, sample_weight=sw, class_weight=cw)
    assert got == pytest.approx(expected, rel=1e-14)
    assert cce(y, X, from_logits=True, sample_weight=sw, class_weight=cw,
               reduction="sum") == pytest.approx(sum(terms), rel=1e-14)
    assert cce(y, X, from_logits=True, sample_weight=sw, class_weight=cw,
               reduction="sum_over_batch_size") == pytest.approx(sum(terms) / 3, rel=1e-14)


def test_mean_without_weights_is_plain_average(rng):
    X, y = _problem(rng)
    per = cce(y, X, from_logits=True, reduction="none")
    assert cce(y, X, from_logits=True) == pytest.approx(per.mean(), rel=1e-14)
    assert cce(y, X, from_logits=True, reduction="sum") == pytest.approx(per.sum(), rel=1e-14)


def test_sum_by_nonzero_weights_counts_nonzero_weights():
    X = np.zeros((4, 2))
    y = np.array([0, 1, 0, 1])
    sw = np.array([2.0, 0.0, 1.0, 0.0])
    got = cce(y, X, from_logits=True, sample_weight=sw, reduction="sum_by_nonzero_weights")
    assert got == pytest.approx(3 * math.log(2) / 2, rel=1e-15)
    got = cce(y, X, from_logits=True, sample_weight=sw, reduction="sum_over_batch_size")
    assert got == pytest.approx(3 * math.log(2) / 4, rel=1e-15)
    got = cce(y, X, from_logits=True, sample_weight=sw, reduction="mean")
    assert got == pytest.approx(3 * math.log(2) / 3, rel=1e-15)


# ------------------------------------------------------------------ smoothing, ignore_index


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("e", [0.1, 0.5, 1.0])
@pytest.mark.parametrize("form", ["int", "onehot", "soft"])
def test_label_smoothing(rng, dtype, e, form):
    X, y = _problem(rng, dtype=dtype)
    n, K = X.shape
    cw = rng.random(K) + 0.5
    yt = {"int": y, "onehot": _onehot(y, K),
          "soft": rng.dirichlet(np.ones(K), size=n)}[form]
    loss, grad = cce(yt, X, from_logits=True, label_smoothing=e, class_weight=cw,
                     reduction="mean", return_grad=True)
    exp_loss, exp_grad = _np_cce(yt, X, from_logits=True, label_smoothing=e, class_weight=cw)
    _check(loss, exp_loss, dtype)
    _check(grad, exp_grad, dtype)


def test_full_smoothing_targets_uniform_distribution():
    X = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])
    loss = cce(np.array([0, 2]), X, from_logits=True, label_smoothing=1.0, reduction="none")
    exp = -sp_log_softmax(X, axis=1).mean(1)
    np.testing.assert_allclose(loss, exp, rtol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ignore_index", [-100, 0, 3])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ignore_index_drops_samples_from_everything(rng, dtype, ignore_index, reduction):
    X, y = _problem(rng, n=12, K=4, dtype=dtype)
    y[[2, 5, 9]] = ignore_index
    sw = rng.random(12) + 0.1
    cw = np.array([1.0, 2.0, 0.5, 1.5])
    kw = dict(from_logits=True, sample_weight=sw, class_weight=cw, reduction=reduction)
    loss, grad = cce(y, X, ignore_index=ignore_index, return_grad=True, **kw)
    exp_loss, exp_grad = _np_cce(y, X, ignore_index=ignore_index, **kw)
    _check(loss, exp_loss, dtype)
    _check(grad, exp_grad, dtype)
    assert np.all(grad[[2, 5, 9]] == 0)
    if reduction == "none":
        assert np.all(loss[[2, 5, 9]] == 0)
    else:
        # same as removing the samples altogether
        keep = y != ignore_index
        sub = cce(y[keep], X[keep], sample_weight=sw[keep], class_weight=cw,
                  from_logits=True, reduction=reduction)
        _check(loss, float(sub), dtype)


# ------------------------------------------------------------------ probabilities


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_from_probabilities(rng, dtype, reduction):
    X, y = _problem(rng, dtype=np.float64)
    P = np.exp(sp_log_softmax(X, axis=1)).astype(dtype)
    P = (P / P.sum(1, keepdims=True, dtype=np.float64)).astype(dtype)
    sw = rng.random(len(y)) + 0.1
    loss, grad = cce(y, P, from_logits=False, sample_weight=sw, reduction=reduction,
                     return_grad=True)
    exp_loss, exp_grad = _np_cce(y, P, from_logits=False, sample_weight=sw, reduction=reduction)
    _check(loss, exp_loss, dtype)
    _check(grad, exp_grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_probabilities_are_clipped_below_at_eps_with_zero_gradient(dtype):
    P = np.array([[0.0, 1.0], [0.25, 0.75], [1.0, 0.0]], dtype=dtype)
    y = np.array([0, 1, 0])
    eps = float(np.finfo(dtype).eps)
    loss, grad = cce(y, P, from_logits=False, reduction="none", return_grad=True)
    np.testing.assert_allclose(loss, [-math.log(eps), -math.log(0.75), 0.0], rtol=4 * eps)
    assert grad[0, 0] == 0  # clipped: the clipped loss is flat there
    assert grad[1, 1] == pytest.approx(-1 / 0.75, rel=4 * eps)
    assert grad[2, 0] == pytest.approx(-1.0, rel=4 * eps)
    assert np.all(grad[:, :][np.array([[0, 1], [1, 0], [0, 1]]) == 1] == 0)


def test_custom_eps():
    P = np.array([[1e-5, 1 - 1e-5], [0.5, 0.5]])
    y = np.array([0, 0])
    loss, grad = cce(y, P, from_logits=False, eps=1e-3, reduction="none", return_grad=True)
    np.testing.assert_allclose(loss, [-math.log(1e-3), math.log(2)], rtol=1e-15)
    assert grad[0, 0] == 0 and grad[1, 0] == pytest.approx(-2.0)


def test_probability_rows_not_summing_to_one_warn(rng):
    P = np.array([[0.2, 0.3, 0.4], [0.3, 0.3, 0.4]])
    with pytest.warns(UserWarning):
        loss = cce(np.array([0, 1]), P, from_logits=False, reduction="none")
    # no silent renormalisation
    np.testing.assert_allclose(loss, [-math.log(0.2), -math.log(0.3)], rtol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_probability_rows_summing_to_one_within_sqrt_eps_do_not_warn(dtype):
    eps = float(np.finfo(dtype).eps)
    P = np.array([[0.25, 0.25, 0.5 + 0.1 * math.sqrt(eps)], [0.1, 0.2, 0.7]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cce(np.array([0, 1]), P, from_logits=False)


# ------------------------------------------------------------------ gradients


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("form", ["int", "soft"])
def test_gradient_is_derivative_of_returned_loss(rng, reduction, form):
    X, y = _problem(rng, n=5, K=4)
    sw = rng.random(5) + 0.2
    cw = rng.random(4) + 0.5
    yt = y if form == "int" else rng.dirichlet(np.ones(4), size=5)
    kw = dict(from_logits=True, sample_weight=sw, class_weight=cw, label_smoothing=0.05,
              reduction=reduction)
    _, grad = cce(yt, X, return_grad=True, **kw)
    # for "none" the gradient is elementwise: row i of grad is d t_i / d x_i, so the gradient of
    # the sum of the terms is the whole array
    check_fd(lambda Z: cce(yt, Z, **kw), X, grad)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_probability_gradient_is_derivative_of_returned_loss(rng, reduction):
    X, y = _problem(rng, n=4, K=3)
    P = np.exp(sp_log_softmax(X, axis=1))
    kw = dict(from_logits=False, reduction=reduction, sample_weight=rng.random(4) + 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # perturbed rows no longer sum to 1
        _, grad = cce(y, P, return_grad=True, **kw)
        check_fd(lambda Z: cce(y, Z, **kw), P, grad, h=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_return_grad_shapes_and_dtypes(rng, dtype):
    X, y = _problem(rng, dtype=dtype)
    for reduction in REDUCTIONS:
        loss, grad = cce(y, X, from_logits=True, reduction=reduction, return_grad=True)
        assert grad.shape == X.shape and grad.dtype == dtype
        assert np.asarray(loss).dtype == dtype
        assert np.shape(loss) == ((X.shape[0],) if reduction == "none" else ())


# ------------------------------------------------------------------ -inf, NaN, +inf


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", ["int", "onehot", "soft"])
def test_minus_inf_logits_mask_classes(rng, dtype, form):
    X, y = _problem(rng, n=6, K=5, dtype=dtype)
    y = np.array([0, 1, 2, 3, 4, 0])
    mask = np.zeros_like(X, dtype=bool)
    mask[:, 2:] = True
    mask[np.arange(6), y] = False  # never mask the target
    X[mask] = -np.inf
    if form == "soft":
        yt = _onehot(y, 5) * 0.7
        yt[np.arange(6), (y + 1) % 5] += 0.3
        yt[mask] = 0.0
        yt = yt / yt.sum(1, keepdims=True)
    else:
        yt = y if form == "int" else _onehot(y, 5)
    loss, grad = cce(yt, X, from_logits=True, reduction="none", return_grad=True)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
    assert np.all(grad[mask] == 0)
    Xm = np.where(mask, -np.inf, X.astype(np.float64))
    exp_loss, exp_grad = _np_cce(yt, Xm, from_logits=True, reduction="none")
    _check(loss, exp_loss, dtype)
    _check(grad, exp_grad, dtype)


def test_minus_inf_on_target_class_gives_infinite_loss():
    X = np.array([[-np.inf, 0.0, 1.0], [0.0, 0.0, 0.0]])
    loss = cce(np.array([0, 0]), X, from_logits=True, reduction="none")
    assert loss[0] == np.inf and loss[1] == pytest.approx(math.log(3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_plus_inf_logits_propagate_without_raising(dtype, bad):
    X = np.array([[0.0, 1.0, 2.0], [0.0, bad, 2.0], [1.0, 1.0, 1.0]], dtype=dtype)
    y = np.array([0, 0, 1])
    loss, grad = cce(y, X, from_logits=True, reduction="none", return_grad=True)
    assert np.isnan(loss[1])
    assert np.all(np.isfinite(loss[[0, 2]]))
    assert np.all(np.isfinite(grad[[0, 2]]))
    assert np.isnan(cce(y, X, from_logits=True))


# ------------------------------------------------------------------ dtypes, layouts, inputs


@pytest.mark.parametrize("in_dtype", [np.float16, np.int64, np.int32, np.uint8])
def test_other_real_dtypes_compute_in_float64(in_dtype):
    X = np.array([[0, 1, 2], [2, 1, 0]]).astype(in_dtype)
    loss, grad = cce(np.array([0, 1]), X, from_logits=True, reduction="none", return_grad=True)
    assert loss.dtype == np.float64 and grad.dtype == np.float64
    exp_loss, exp_grad = _np_cce(np.array([0, 1]), X.astype(np.float64), from_logits=True,
                                 reduction="none")
    np.testing.assert_allclose(loss, exp_loss, rtol=1e-14)
    np.testing.assert_allclose(grad, exp_grad, rtol=1e-14, atol=1e-16)


def test_bool_probabilities_compute_in_float64():
    P = np.array([[True, False], [False, True]])
    loss = cce(np.array([0, 1]), P, from_logits=False, reduction="none")
    assert loss.dtype == np.float64 and np.all(loss == 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_float32_output_with_float64_weights(rng, dtype):
    X, y = _problem(rng, dtype=dtype)
    loss, grad = cce(y, X, from_logits=True, sample_weight=np.ones(len(y)),
                     class_weight=np.ones(X.shape[1]), return_grad=True)
    assert np.asarray(loss).dtype == dtype and grad.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("form", ["int", "soft"])
def test_memory_layouts_give_the_same_results(rng, dtype, layout, n_threads, form):
    X, y = _problem(rng, n=40, K=7, dtype=dtype)
    sw = rng.random(40)
    yt = y if form == "int" else rng.dirichlet(np.ones(7), size=40).astype(dtype)
    kw = dict(from_logits=True, reduction="none", return_grad=True, n_threads=n_threads)
    ref_loss, ref_grad = cce(yt, X, sample_weight=sw, **kw)
    loss, grad = cce(make_layout(yt, layout), make_layout(X, layout),
                     sample_weight=make_layout(sw, layout), **kw)
    eps = float(np.finfo(dtype).eps)
    np.testing.assert_allclose(loss, ref_loss, rtol=4 * eps)
    np.testing.assert_allclose(grad, ref_grad, rtol=4 * eps, atol=eps * 1e-3)
    assert grad.shape == X.shape and grad.dtype == dtype
    for reduction in ("mean", "sum"):
        a = cce(yt, X, from_logits=True, reduction=reduction, sample_weight=sw)
        b = cce(make_layout(yt, layout), make_layout(X, layout), from_logits=True,
                reduction=reduction, sample_weight=make_layout(sw, layout))
        assert float(b) == pytest.approx(float(a), rel=4 * eps)


def test_memmap_inputs(tmp_path, rng):
    X, y = _problem(rng, n=30, K=6)
    mx = np.memmap(tmp_path / "x.dat", dtype=np.float64, mode="w+", shape=X.shape)
    mx[:] = X
    mx.flush()
    my = np.memmap(tmp_path / "y.dat", dtype=np.int64, mode="w+", shape=y.shape)
    my[:] = y
    my.flush()
    rx = np.memmap(tmp_path / "x.dat", dtype=np.float64, mode="r", shape=X.shape)
    ry = np.memmap(tmp_path / "y.dat", dtype=np.int64, mode="r", shape=y.shape)
    got = cce(ry, rx, from_logits=True, return_grad=True)
    exp = cce(y, X, from_logits=True, return_grad=True)
    assert got[0] == exp[0] and np.array_equal(got[1], exp[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_caller_arrays_are_never_modified(rng, dtype):
    X, y = _problem(rng, dtype=dtype)
    X[0, 1] = -np.inf
    Y = rng.dirichlet(np.ones(X.shape[1]), size=X.shape[0]).astype(dtype)
    sw, cw = rng.random(len(y)), rng.random(X.shape[1]) + 0.5
    arrays = [X, y, Y, sw, cw]
    copies = [a.copy() for a in arrays]
    for yt in (y, Y):
        for rd in REDUCTIONS:
            cce(yt, X, from_logits=True, sample_weight=sw, class_weight=cw, label_smoothing=0.1,
                reduction=rd, return_grad=True)
    P = np.exp(sp_log_softmax(X.astype(np.float64), axis=1)).astype(dtype)
    Pc = P.copy()
    cce(y, P, from_logits=False, return_grad=True)
    for a, c in zip(arrays + [P], copies + [Pc]):
        assert np.array_equal(a, c)
    # read-only inputs are accepted
    for a in arrays + [P]:
        a.setflags(write=False)
    cce(y, X, from_logits=True, sample_weight=sw, class_weight=cw, return_grad=True)
    cce(Y, X, from_logits=True, return_grad=True)
    cce(y, P, from_logits=False, return_grad=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_very_many_classes(rng, dtype):
    K = 100_000
    X = (rng.standard_normal((3, K)) * 3).astype(dtype)
    y = np.array([0, K // 2, K - 1])
    loss, grad = cce(y, X, from_logits=True, reduction="none", return_grad=True)
    exp_loss, exp_grad = _np_cce(y, X, from_logits=True, reduction="none")
    _check(loss, exp_loss, dtype)
    np.testing.assert_allclose(grad, exp_grad, rtol=RTOL[dtype], atol=1e-3 * RTOL[dtype] / K)
    U = np.zeros((2, K), dtype=dtype)
    assert cce(np.array([5, 7]), U, from_logits=True) == pytest.approx(math.log(K),
                                                                       rel=4 * float(np.finfo(dtype).eps))


@pytest.mark.parametrize("n_threads", [1, 2])
def test_n_threads_values_agree(rng, n_threads):
    X, y = _problem(rng, n=500, K=9)
    a = cce(y, X, from_logits=True, return_grad=True, n_threads=n_threads)
    b = cce(y, X, from_logits=True, return_grad=True)
    assert a[0] == b[0] and np.array_equal(a[1], b[1])


# ------------------------------------------------------------------ degenerate denominators


def test_zero_total_weight_follows_pytorch_and_tensorflow_conventions():
    # documented in skxent.losses: a zero denominator gives 0 for every reduction (TensorFlow's
    # divide_no_nan; PyTorch's "mean" would be NaN); nothing raises
    X = np.zeros((3, 2))
    y = np.array([0, 1, 0])
    sw = np.zeros(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no RuntimeWarning from a 0/0
        assert cce(y, X, from_logits=True, sample_weight=sw) == 0
        assert cce(y, X, from_logits=True, sample_weight=sw, reduction="sum") == 0
        assert cce(y, X, from_logits=True, sample_weight=sw,
                   reduction="sum_by_nonzero_weights") == 0
        y_ign = np.full(3, -100)
        assert cce(y_ign, X, from_logits=True, ignore_index=-100,
                   reduction="sum_over_batch_size") == 0


# ------------------------------------------------------------------ private entry points


@pytest.mark.parametrize("dtype", DTYPES)
def test_private_cce_grad_out_matches_return_grad(rng, dtype):
    from _reference import engine_cce as _cce

    X, y = _problem(rng, dtype=dtype)
    loss, grad = cce(y, X, from_logits=True, return_grad=True)
    buf = np.empty_like(X)
    loss2, out = _cce(y, X, from_logits=True, grad_out=buf)
    assert out is buf and loss2 == loss and np.array_equal(buf, grad)
    # in place: the gradient overwrites the logits
    Z = X.copy()
    loss3, out = _cce(y.astype(np.int64), Z, from_logits=True, grad_out=Z)
    assert out is Z and loss3 == loss and np.array_equal(Z, grad)


def test_private_cce_clip_max():
    from _reference import engine_cce as _cce

    P = np.array([[1.0, 0.0], [0.5, 0.5]])
    y = np.array([0, 1])
    eps = np.finfo(np.float64).eps
    loss = _cce(y, P, from_logits=False, clip_max=1 - eps, reduction="none")
    np.testing.assert_allclose(loss, [-math.log1p(-eps), math.log(2)], rtol=1e-15)


# ------------------------------------------------------------------ property-based semantics

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_random_parameter_combinations_match_the_formula(data):
    n = data.draw(st.integers(1, 9), label="n")
    K = data.draw(st.integers(1, 6), label="K")
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((n, K)) * data.draw(st.sampled_from([0.1, 3.0, 30.0]))).astype(dtype)
    form = data.draw(st.sampled_from(["int", "onehot", "soft"]), label="form")
    y = rng.integers(0, K, n)
    yt = {"int": y, "onehot": _onehot(y, K), "soft": rng.dirichlet(np.ones(K), size=n)}[form]
    kw = dict(from_logits=True, reduction=data.draw(st.sampled_from(REDUCTIONS)),
              label_smoothing=data.draw(st.sampled_from([0.0, 0.1, 1.0])))
    if data.draw(st.booleans(), label="sample_weight"):
        kw["sample_weight"] = rng.random(n) * (rng.random(n) < 0.8)
    if data.draw(st.booleans(), label="class_weight"):
        kw["class_weight"] = rng.random(K) + 0.1
    if form == "int" and n > 1 and data.draw(st.booleans(), label="ignore_index"):
        kw["ignore_index"] = int(y[0])
    if data.draw(st.booleans(), label="probabilities"):
        kw["from_logits"] = False
        X = np.exp(sp_log_softmax(X.astype(np.float64), axis=1)).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # float32 probability rows
        with np.errstate(invalid="ignore", divide="ignore"):
            exp_loss, exp_grad = _np_cce(yt, X, **kw)
        loss, grad = cce(yt, X, return_grad=True, **kw)
    assert_matches_numpy(loss, grad, exp_loss, exp_grad, dtype)


# ------------------------------------------------------------------ big offsets, memory


def _sparse_memmap_rows(tmp_path, n_rows_total, K, step, dtype=np.float64):
    """Rows ``0, step, 2 step, ...`` of a huge sparse memmap: byte offsets far past 2**31."""
    try:
        big = np.memmap(tmp_path / "big.dat", dtype=dtype, mode="w+", shape=(n_rows_total, K))
    except (OSError, ValueError) as exc:  # no sparse files / 32-bit address space
        pytest.skip(f"cannot create a sparse {n_rows_total}x{K} memmap: {exc}")
    return big[::step]


@pytest.mark.parametrize("dtype", DTYPES)
def test_row_offsets_past_2_31_elements(tmp_path, rng, dtype):
    # A view whose rows are 2**30 elements apart (the last one 2**32 elements in): any 32-bit
    # index or offset arithmetic in the kernels reads the wrong memory here. Only 5 rows are
    # touched, so the sparse file costs nothing.
    X = _sparse_memmap_rows(tmp_path, 2**28 + 1, 16, 2**26, dtype)
    assert X.shape == (5, 16) and X.strides[0] // X.itemsize == 2**30
    vals = rng.standard_normal(X.shape).astype(dtype)
    X[:] = vals
    y = np.arange(5) % 16
    got = cce(y, X, from_logits=True, reduction="none", return_grad=True)
    exp = cce(y, vals, from_logits=True, reduction="none", return_grad=True)
    assert np.array_equal(got[0], exp[0]) and np.array_equal(got[1], exp[1])
    assert cce(y, X, from_logits=True) == cce(y, vals, from_logits=True)
    Y = (vals > 0).astype(dtype)
    from skxent.losses import binary_cross_entropy
    from skxent.special import log_softmax

    assert np.array_equal(binary_cross_entropy(Y, X, from_logits=True, reduction="none"),
                          binary_cross_entropy(Y, vals, from_logits=True, reduction="none"))
    assert np.array_equal(log_softmax(X), log_softmax(vals))
    del X


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", ["int", "onehot"])
def test_reduced_loss_allocates_no_n_by_k_temporary(dtype, form):
    # numpy reports its allocations to tracemalloc: a reduced loss on C-contiguous input must
    # not make an (n, K) copy or temporary (O(n) extra at most)
    import tracemalloc

    n, K = 100_000, 20
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, K)).astype(dtype)
    y = rng.integers(0, K, n)
    yt = y if form == "int" else _onehot(y, K).astype(dtype)
    cce(yt, X, from_logits=True)  # warm up (imports, caches)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        cce(yt, X, from_logits=True)
        cce(yt, X, from_logits=True, reduction="sum", sample_weight=np.ones(n))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 4, f"peak {peak} bytes for an input of {X.nbytes} bytes"


@pytest.mark.parametrize("reduction", ["sum", "mean", "sum_over_batch_size"])
def test_infinite_terms_reduce_to_inf_not_nan(reduction):
    # +inf terms (target masked by -inf, or finite logits so far apart that the loss
    # overflows) must give +inf: a compensated sum must not turn inf into inf - inf = NaN
    masked = np.array([[-np.inf, 0.0, 1.0], [0.0, 1.0, 2.0]])
    assert cce(np.array([0, 0]), masked, from_logits=True, reduction=reduction) == np.inf
    assert cce(np.array([0]), masked[:1], from_logits=True, reduction=reduction) == np.inf
    huge = np.array([[0.0, 2.0**1023], [0.0, 2.0**1023]])  # each term 2**1023, sum overflows
    assert cce(np.array([0, 0]), huge, from_logits=True, reduction="sum") == np.inf


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("K", [1, 2, 3, 5, 8, 17, 100])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_logits_do_not_contaminate_other_rows(dtype, K, bad):
    # the kernels process blocks of rows together (transposed SIMD for small K): a NaN/inf in
    # one row must change that row only, bit for bit
    rng = np.random.default_rng(K)
    X = rng.standard_normal((200, K)).astype(dtype)
    y = rng.integers(0, K, 200)
    rows = [37, 101, 199]
    Xb = X.copy()
    Xb[rows, 0] = bad
    Xb[rows, K - 1] = bad
    l0, g0 = cce(y, X, from_logits=True, reduction="none", return_grad=True)
    l1, g1 = cce(y, Xb, from_logits=True, reduction="none", return_grad=True)
    keep = np.setdiff1d(np.arange(200), rows)
    assert np.array_equal(l1[keep], l0[keep]) and np.array_equal(g1[keep], g0[keep])
    if not np.isneginf(bad):  # -inf masks (finite or +inf loss); NaN and +inf give NaN
        assert np.all(np.isnan(l1[rows]))
    from skxent.special import log_softmax

    assert np.array_equal(log_softmax(Xb)[keep], log_softmax(X)[keep])


def test_pandas_inputs(rng):
    pd = pytest.importorskip("pandas")
    X, y = _problem(rng, n=10, K=3)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    s = pd.Series(y, index=np.arange(10) * 3)  # a non-default index must not matter
    sw = pd.Series(rng.random(10))
    got = cce(s, df, from_logits=True, sample_weight=sw, return_grad=True)
    exp = cce(y, X, from_logits=True, sample_weight=sw.to_numpy(), return_grad=True)
    assert got[0] == exp[0] and np.array_equal(got[1], exp[1])
    assert isinstance(got[1], np.ndarray)
