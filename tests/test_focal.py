"""Focal loss (``focal_gamma``) in both families: semantics, accuracy, options, Dask.

Design note
-----------
The registry-wide facts (``focal_gamma=0`` is bit-identical to plain cross-entropy, finite
differences, the exact reference on random logits, bad values) live in ``test_families.py``.
Here, per family:

* the loss against a NumPy float64 transcription of its definition on well-conditioned inputs
  (binary: ``-(pos_weight y' (1 - p)**g log p + (1 - y') p**g log(1 - p))``; categorical:
  ``-sum_k class_weight_k y'_k (1 - p_k)**g log p_k``), from logits and from probabilities,
  with every option of the family (weights, smoothing, ``pos_weight``, ``class_weight``,
  ``ignore_index``), every reduction;
* (the accuracy claim, loss within 4 eps and gradient within 8 eps of the 60-digit reference on
  adversarial inputs, is tested with the others in ``test_accuracy.py``);
* the hard-label loop of the binary kernel (one power per element) against the general one;
* Dask, one test.
"""

import numpy as np
import pytest
from scipy.special import expit, log_expit, log_softmax, softmax

from _reference import check_fd
from skxent.losses import binary_cross_entropy as bce
from skxent.losses import categorical_cross_entropy as cce

DTYPES = (np.float32, np.float64)
REDUCTIONS = ("none", "sum", "mean", "sum_over_batch_size", "sum_by_nonzero_weights")
GAMMAS = (0.5, 2.0, 5.0)


def _np_binary_focal(Y, X, g, *, from_logits, pw=1.0, e=0.0, sw=None, eps=None):
    Ys = Y * (1 - e) + e / 2
    if from_logits:
        lp, l1p = log_expit(X), log_expit(-X)
    else:
        pc = np.clip(X, eps, 1 - eps)
        lp, l1p = np.log(pc), np.log1p(-pc)
    t = -(pw * Ys * np.exp(g * l1p) * lp + (1 - Ys) * np.exp(g * lp) * l1p)
    return t if sw is None else sw[:, None] * t


def _np_categorical_focal(Y, X, g, *, from_logits, cw=1.0, e=0.0, eps=None):
    K = X.shape[1]
    Ys = Y * (1 - e) + e / K
    if from_logits:
        lp, p = log_softmax(X, axis=1), softmax(X, axis=1)
    else:
        p = np.clip(X, eps, 1.0)
        lp = np.log(p)
    return -(cw * Ys * (1 - p) ** g * lp).sum(1)


# ------------------------------------------------------------------ the definitions


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("soft", [False, True])
def test_binary_focal_loss_is_its_definition(dtype, gamma, from_logits, soft):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4)) * 2
    if not from_logits:
        X = expit(X)
    X = X.astype(dtype)
    Y = rng.random(X.shape) if soft else (rng.random(X.shape) < 0.4).astype(np.float64)
    pw, sw, e = rng.random(4) + 0.5, rng.random(30), 0.1
    got = bce(Y, X, from_logits=from_logits, focal_gamma=gamma, pos_weight=pw, sample_weight=sw,
              label_smoothing=e, reduction="none")
    exp = _np_binary_focal(Y, X.astype(np.float64), gamma, from_logits=from_logits, pw=pw, e=e,
                           sw=sw, eps=np.finfo(dtype).eps)
    rtol = 1e-12 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(got, exp, rtol=rtol)
    assert got.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("form", ["int", "soft"])
def test_categorical_focal_loss_is_its_definition(dtype, gamma, from_logits, form):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 5)) * 2
    if not from_logits:
        X = softmax(X, axis=1)
    X = X.astype(dtype)
    t = rng.integers(0, 5, 30)
    Y = np.eye(5)[t] if form == "int" else rng.dirichlet(np.ones(5), 30)
    cw, e = rng.random(5) + 0.5, 0.1
    got = cce(t if form == "int" else Y, X, from_logits=from_logits, focal_gamma=gamma,
              class_weight=cw, label_smoothing=e, reduction="none")
    exp = _np_categorical_focal(Y, X.astype(np.float64), gamma, from_logits=from_logits, cw=cw,
                                e=e, eps=np.finfo(dtype).eps)
    rtol = 1e-12 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(got, exp, rtol=rtol)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_focal_reductions_use_the_plain_denominators(reduction):
    # focal only changes the terms: the weights w_i (and so every denominator) are the same
    rng = np.random.default_rng(2)
    X = rng.standard_normal((20, 4))
    t = rng.integers(0, 4, 20)
    t[:3] = -1
    sw, cw = rng.random(20), rng.random(4) + 0.5
    sw[5] = 0.0
    kw = dict(from_logits=True, sample_weight=sw, class_weight=cw, ignore_index=-1)
    terms = cce(t, X, focal_gamma=2.0, reduction="none", **kw)
    plain_terms = cce(t, X, reduction="none", **kw)
    assert np.all(terms[:3] == 0)
    if reduction != "none":
        ratio = cce(t, X, focal_gamma=2.0, reduction=reduction, **kw) / \
            cce(t, X, reduction=reduction, **kw)
        np.testing.assert_allclose(ratio, terms.sum() / plain_terms.sum(), rtol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("from_logits", [True, False])
def test_binary_focal_gradient_is_derivative_of_returned_loss(reduction, from_logits):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((5, 3))
    if not from_logits:
        X = np.clip(expit(X), 0.01, 0.99)
    Y = rng.random((5, 3))
    kw = dict(from_logits=from_logits, focal_gamma=1.5, pos_weight=2.0, reduction=reduction,
              sample_weight=rng.random(5))
    _, grad = bce(Y, X, return_grad=True, **kw)
    check_fd(lambda Z: bce(Y, Z, **kw), X, grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("form", ["int", "soft"])
def test_categorical_focal_probability_gradient_is_derivative_of_returned_loss(reduction, form):
    rng = np.random.default_rng(4)
    P = rng.dirichlet(np.ones(4), 5)
    y = rng.integers(0, 4, 5) if form == "int" else rng.dirichlet(np.ones(4), 5)
    kw = dict(from_logits=False, focal_gamma=1.5, reduction=reduction)
    _, grad = cce(y, P, return_grad=True, **kw)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # perturbed rows do not sum to 1
        check_fd(lambda Z: cce(y, Z, **kw), P, grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_focal_probabilities_are_clipped_with_zero_gradient(dtype):
    eps = float(np.finfo(dtype).eps)
    P = np.array([0.0, 1.0, 0.5], dtype=dtype)
    Y = np.array([1.0, 0.0, 1.0])
    loss, grad = bce(Y, P, from_logits=False, focal_gamma=2.0, reduction="none",
                     return_grad=True)
    np.testing.assert_allclose(loss[:2], -np.log(np.float64(dtype(eps))) *
                               (1 - np.float64(dtype(eps))) ** 2, rtol=1e-6)
    assert grad[0] == 0 and grad[1] == 0 and grad[2] != 0
    Pc = np.array([[1.0, 0.0, 0.0]], dtype=dtype)
    loss, grad = cce(np.array([1]), Pc, from_logits=False, focal_gamma=2.0, return_grad=True)
    assert grad[0, 1] == 0 and np.isfinite(loss)


def test_focal_down_weights_easy_examples():
    # the point of focal loss: a confident right prediction loses more of its weight than a
    # wrong one
    z = np.array([[4.0, 0.0], [0.0, 4.0]])
    t = np.array([0, 0])
    plain = cce(t, z, from_logits=True, reduction="none")
    focal = cce(t, z, from_logits=True, reduction="none", focal_gamma=2.0)
    assert focal[0] / plain[0] < 1e-3 < focal[1] / plain[1]


def test_minus_inf_logits_stay_masked_with_focal():
    z = np.array([[2.0, -np.inf, 0.5], [-np.inf, 1.0, 3.0]])
    loss, grad, hess = cce(np.array([0, 2]), z, from_logits=True, focal_gamma=2.0,
                           reduction="none", return_hess=True)
    assert np.all(np.isfinite(loss))
    assert grad[0, 1] == 0 and grad[1, 0] == 0 and hess[0, 1] == 0 and hess[1, 0] == 0
    lb, gb = bce(np.array([0.0, 1.0]), np.array([-np.inf, -np.inf]), from_logits=True,
                 focal_gamma=2.0, reduction="none", return_grad=True)
    assert lb[0] == 0 and gb[0] == 0 and lb[1] == np.inf and gb[1] == -1.0


def test_nan_and_plus_inf_logits_propagate_with_focal():
    loss = bce(np.ones(3), np.array([np.nan, np.inf, 1.0]), from_logits=True, focal_gamma=2.0,
               reduction="none")
    assert np.isnan(loss[0]) and np.isnan(loss[1]) and np.isfinite(loss[2])
    loss = cce(np.array([0, 0]), np.array([[np.nan, 1.0], [0.0, 1.0]]), from_logits=True,
               focal_gamma=2.0, reduction="none")
    assert np.isnan(loss[0]) and np.isfinite(loss[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_hard_label_loop_agrees_with_the_general_loop(dtype):
    # 0/1 targets take a loop with one power per element; a block holding one soft target
    # takes the general loop (two powers): the same numbers to a few ulps
    rng = np.random.default_rng(5)
    X = (rng.standard_normal((64, 8)) * 5).astype(dtype)
    Y = (rng.random((64, 8)) < 0.5).astype(np.float64)
    hard = bce(Y, X, from_logits=True, focal_gamma=2.0, reduction="none", return_grad=True)
    Ysoft = Y.copy()
    Ysoft[0, 0] = 0.5  # the whole (single) block now runs the general loop
    general = bce(Ysoft, X, from_logits=True, focal_gamma=2.0, reduction="none",
                  return_grad=True)
    eps = float(np.finfo(dtype).eps)
    for a, b in zip(hard, general):
        np.testing.assert_allclose(a.ravel()[1:], b.ravel()[1:], rtol=4 * eps, atol=0)


# ------------------------------------------------------------------ Dask


def test_focal_gamma_on_dask_arrays_equals_in_memory():
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(6)
    X = rng.standard_normal((60, 5))
    t = rng.integers(0, 5, 60)
    Y = (rng.random((60, 5)) < 0.3).astype(np.float64)
    with dask.config.set(scheduler="synchronous"):
        for fn, lab in ((cce, t), (bce, Y)):
            ref = fn(lab, X, from_logits=True, focal_gamma=2.0, return_grad=True)
            got = fn(da.from_array(lab, chunks=(25,) + lab.shape[1:]),
                     da.from_array(X, chunks=(25, 5)), from_logits=True, focal_gamma=2.0,
                     return_grad=True)
            np.testing.assert_allclose(got[0], ref[0], rtol=1e-14)
            np.testing.assert_allclose(got[1].compute(), ref[1], rtol=1e-14)
