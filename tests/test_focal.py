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
* the adversarial inputs of ``test_accuracy.py`` (huge offsets, confident rows whose loss is
  far below 1e-16, ``-inf`` masks, ties) against the 60-digit reference ``_reference``: loss
  within 4 eps, gradient within 8 eps (relative to the cancelling terms for soft labels), float32
  and float64; the powers ``(1 - p)**g`` are where a naive ``exp(g log(1 - p))`` loses hundreds
  of ulps;
* the hard-label loop of the binary kernel (one power per element) against the general one;
* Dask, one test.
"""

import functools

import numpy as np
import pytest
from scipy.special import expit, log_expit, log_softmax, softmax

import test_accuracy as TA
from _reference import assert_within, bce_ref, cce_ref, check_fd
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


# ------------------------------------------------------------------ adversarial accuracy

CASES = [c for c in TA.CASE_NAMES if "K1000" not in c]


@functools.lru_cache(maxsize=None)
def _cce_focal_reference(case, dtype_name, form, gamma):
    X, y = TA._CASES[np.dtype(dtype_name).type][case]
    yt = TA._soft_labels(X, y, 7) if form == "soft" else y
    return cce_ref(yt, X, from_logits=True, reduction="none", focal_gamma=gamma)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("form", ["int", "soft"])
@pytest.mark.parametrize("case", CASES)
def test_categorical_focal_loss_4_eps_grad_8_eps_on_adversarial_logits(case, form, gamma,
                                                                       dtype):
    X, y = TA._CASES[dtype][case]
    eps, tiny = TA._eps(dtype)
    ref_loss, ref_grad, ref_scale = _cce_focal_reference(case, np.dtype(dtype).name, form, gamma)
    yt = TA._soft_labels(X, y, 7) if form == "soft" else y
    loss, grad = cce(yt, X, from_logits=True, reduction="none", focal_gamma=gamma,
                     return_grad=True)
    assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what=f"focal loss {case}")
    assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny,
                  scale=ref_scale if form == "soft" else None, what=f"focal grad {case}")
    assert np.all(grad[np.isneginf(X)] == 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ["confident_right_K1000", "masked_K1000"])
def test_categorical_focal_with_a_thousand_classes(case, dtype):
    X, y = TA._CASES[dtype][case]
    X, y = X[:1], y[:1]  # one row: the reference is the slow part
    eps, tiny = TA._eps(dtype)
    ref_loss, ref_grad, _ = cce_ref(y, X, from_logits=True, reduction="none", focal_gamma=2.0)
    loss, grad = cce(y, X, from_logits=True, reduction="none", focal_gamma=2.0,
                     return_grad=True)
    assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what=f"focal loss {case}")
    assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, what=f"focal grad {case}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum_by_nonzero_weights"])
@pytest.mark.parametrize("case", TA.REDUCED_CASES)
def test_categorical_focal_weighted_reductions_within_tolerance(case, reduction, dtype):
    X, y = TA._CASES[dtype][case]
    eps, tiny = TA._eps(dtype)
    kw = TA._weights(X.shape, np.dtype(dtype).name)
    # smoothing puts label mass on every class: not on -inf (masked) ones
    kw["label_smoothing"] = 0.0 if case.startswith("masked") else 0.1
    ref_loss, ref_grad, scale = cce_ref(y, X, from_logits=True, reduction=reduction,
                                        focal_gamma=2.0, **kw)
    loss, grad = cce(y, X, from_logits=True, reduction=reduction, focal_gamma=2.0,
                     return_grad=True, **kw)
    assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what=f"{reduction} {case}")
    assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, scale=scale, what=f"grad {case}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("target", ["zeros", "ones", "soft"])
def test_binary_focal_logits_4_eps_grad_8_eps(dtype, gamma, target):
    x = TA._binary_logits(dtype)
    rng = np.random.default_rng(11)
    Y = {"zeros": np.zeros(len(x)), "ones": np.ones(len(x)), "soft": rng.random(len(x))}[target]
    X, Y = x.reshape(-1, 2), Y.reshape(-1, 2)
    eps, tiny = TA._eps(dtype)
    for kw in (dict(), dict(pos_weight=np.array([1.0, 2.5]), label_smoothing=0.1)):
        ref_loss, ref_grad, ref_scale = bce_ref(Y, X, from_logits=True, reduction="none",
                                                focal_gamma=gamma, **kw)
        loss, grad = bce(Y, X, from_logits=True, reduction="none", focal_gamma=gamma,
                         return_grad=True, **kw)
        assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what=f"bce focal {target}")
        assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, scale=ref_scale,
                      what=f"bce focal grad {target}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_binary_focal_probabilities_4_eps_grad_8_eps(dtype, gamma):
    eps, tiny = TA._eps(dtype)
    small = [1e-10, 1e-7, 1e-5] if dtype == np.float64 else [1e-6, 1e-5, 1e-3]
    edges = [tiny, eps / 2, 1.5 * eps, 3 * eps, 1 - 3 * eps, 1 - 1.5 * eps, 1 - eps / 2]
    p = np.array(small + [0.5, 0.25, 0.75] + [1 - s for s in small] + [0.0, 1.0] + edges)
    P = np.concatenate([p, p, p]).astype(dtype)
    Y = np.concatenate([np.zeros_like(p), np.ones_like(p), np.full_like(p, 0.3)])
    ref_loss, ref_grad, ref_scale = bce_ref(Y, P, from_logits=False, reduction="none",
                                            focal_gamma=gamma, pos_weight=2.0)
    loss, grad = bce(Y, P, from_logits=False, reduction="none", focal_gamma=gamma,
                     pos_weight=2.0, return_grad=True)
    assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what="prob focal loss")
    assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, scale=ref_scale,
                  what="prob focal grad")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_categorical_focal_probabilities_4_eps_grad_8_eps(dtype, gamma):
    tiny_p = 1e-300 if dtype == np.float64 else 1e-30
    P = np.array([[1 - 1e-7, 5e-8, 5e-8], [tiny_p, 0.5, 0.5 - tiny_p], [0.2, 0.3, 0.5],
                  [1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0]]).astype(dtype)
    eps, tiny = TA._eps(dtype)
    for y in (np.array([0, 0, 1, 0, 2, 0]), np.array([[0.7, 0.2, 0.1]] * 6)):
        ref_loss, ref_grad, ref_scale = cce_ref(y, P, from_logits=False, reduction="none",
                                                focal_gamma=gamma)
        loss, grad = cce(y, P, from_logits=False, reduction="none", focal_gamma=gamma,
                         return_grad=True)
        assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what="prob focal loss")
        assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, scale=ref_scale,
                      what="prob focal grad")


@pytest.mark.parametrize("dtype", DTYPES)
def test_tiny_focal_losses_are_not_rounded_to_zero(dtype):
    # a confident right prediction: the focal loss is (1 - p)**g times a loss already far
    # below eps; both factors come from the other classes' mass, never from 1 - p
    delta = 40.0 if dtype == np.float64 else 20.0
    X = np.array([[delta, 0.0, -1.0]], dtype=dtype)
    ref, _, _ = cce_ref(np.array([0]), X, from_logits=True, reduction="none", focal_gamma=2.0)
    got = cce(np.array([0]), X, from_logits=True, reduction="none", focal_gamma=2.0)
    assert 0 < ref[0] < 1e-20
    assert_within(got, ref, rtol=4 * TA._eps(dtype)[0], atol=0, what="tiny focal")
    xb = np.array([delta / 2, delta], dtype=dtype)  # (1 - p)**2 log p ~ exp(-3 x)
    ref, _, _ = bce_ref(np.ones(2), xb, from_logits=True, reduction="none", focal_gamma=2.0)
    got = bce(np.ones(2), xb, from_logits=True, reduction="none", focal_gamma=2.0)
    assert np.all(got > 0)
    assert_within(got, ref, rtol=4 * TA._eps(dtype)[0], atol=0, what="tiny binary focal")


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
