"""Accuracy of the losses and their gradients against exact (mpmath) references.

Design note
-----------
The claim under test (issue 2): on adversarial inputs, every loss value is within 4 eps of the
exact value *relative to its own size*, every gradient component within 8 eps relative, and no
finite input gives NaN, in float32 and float64, per sample and reduced. "Exact" means
``_reference`` evaluated in 60 digits on the very floats the kernel saw.

The inputs are built to break the usual shortcuts:

* scales 1e-6 .. 1e4 (tiny logits make ``p`` nearly uniform; huge ones underflow most classes);
* a huge common offset (1e6 in float64, 1e3 in float32): ``lse - x_t`` computed as a difference of
  two numbers ~1e6 loses ~10 digits, so it must be computed relative to the row maximum;
* confident-and-right rows (target 40..700 above the rest in float64, 20..100 in float32): the loss
  is ~exp(-delta), far below 1e-16, and so is the target's gradient ``p_t - 1``; both round to 0
  unless computed from the other classes' mass (``log1p(sum of the rest)``);
* confident-and-wrong rows (large losses, gradients ~ -1);
* ``-inf`` masks (probability exactly 0; gradient exactly 0 where there is no target mass);
* ties, and K from 2 to 1000.

The focal losses (``focal_gamma``: 0.5, 2 and 5) are held to the same bounds on the same inputs
(K up to 10 for the full matrix: the 60-digit reference is the slow part; one row of K = 1000):
their powers ``(1 - p)**g`` are where a naive ``exp(g log(1 - p))`` loses up to ``g |log(1 - p)|
/ 2`` ulps, and ``1 - p`` of a confident row is the other classes' mass, never a difference.

Tolerances: ``|got - ref| <= rtol * |ref| + tiny`` with ``rtol`` 4 eps (losses) or 8 eps
(gradients), ``eps``/``tiny`` of the output dtype; the ``tiny`` absolute term covers references
in the subnormal range. Soft labels make the gradient ``C p_j - c_j y_j`` a genuine difference
that can cancel, so there the bound is relative to ``max(|C p_j|, |c_j y_j|)`` (times weights).
References are cached per case: the mpmath evaluation is the slow part of this module.
"""

import functools

import numpy as np
import pytest

from _reference import assert_within, bce_ref, cce_ref
from skxent.losses import binary_cross_entropy, categorical_cross_entropy

DTYPES = (np.float32, np.float64)
REDUCTIONS = ("none", "sum", "mean", "sum_over_batch_size", "sum_by_nonzero_weights")


def _eps(dtype):
    return float(np.finfo(dtype).eps), float(np.finfo(dtype).tiny)


# ------------------------------------------------------------------ adversarial inputs


def _categorical_cases(dtype):
    """name -> (logits of dtype, shape (n, K); integer labels (n,))."""
    f64 = dtype == np.float64
    rng = np.random.default_rng(1234 if f64 else 4321)
    cases = {}

    def add(name, X, y):
        cases[name] = (np.asarray(X).astype(dtype), np.asarray(y, dtype=np.int64))

    n = 6
    for scale in (1e-6, 1e-3, 1.0, 30.0, 1e3, 1e4):
        for K in (2, 10):
            X = rng.standard_normal((n, K)) * scale
            add(f"scale{scale:g}_K{K}", X, rng.integers(0, K, n))
    offset = 1e6 if f64 else 1e3
    for K in (3, 10):
        X = rng.standard_normal((n, K)) * 3
        # the offset is added in the working dtype: these are the floats the kernel sees
        X = X.astype(dtype) + dtype(offset)
        add(f"offset_K{K}", X, rng.integers(0, K, n))
        add(f"offset_neg_K{K}", X - dtype(2 * offset), rng.integers(0, K, n))
    deltas = (40.0, 100.0, 300.0, 700.0) if f64 else (20.0, 40.0, 80.0, 100.0)
    for K in (2, 10, 1000):
        rows = 4 if K == 1000 else 2
        X = rng.standard_normal((rows * len(deltas), K))
        y = rng.integers(0, K, len(X))
        for i in range(len(X)):
            others = np.delete(X[i], y[i])
            X[i, y[i]] = others.max() + deltas[i % len(deltas)]
        add(f"confident_right_K{K}", X, y)
        X2 = rng.standard_normal((rows * len(deltas), K))
        for i in range(len(X2)):
            others = np.delete(X2[i], y[i])
            X2[i, y[i]] = others.min() - deltas[i % len(deltas)]
        add(f"confident_wrong_K{K}", X2, y)
        # one wrong class far above everything, target among the rest
        X3 = rng.standard_normal((rows * len(deltas), K))
        for i in range(len(X3)):
            j = (y[i] + 1) % K
            X3[i, j] = X3[i].max() + deltas[i % len(deltas)]
        if K > 1:
            add(f"one_wrong_dominates_K{K}", X3, y)
    # confident-right with a huge offset: the small loss must survive the big common value
    X = rng.standard_normal((4, 5))
    y = np.array([0, 1, 2, 3])
    for i in range(4):
        X[i, y[i]] = np.delete(X[i], y[i]).max() + deltas[i]
    add("confident_right_offset", X.astype(dtype) + dtype(offset), y)
    for K in (3, 10, 1000):
        rows = 3 if K == 1000 else 6
        X = rng.standard_normal((rows, K)) * 4
        y = rng.integers(0, K, rows)
        mask = rng.random((rows, K)) < 0.5
        mask[np.arange(rows), y] = False
        X[mask] = -np.inf
        add(f"masked_K{K}", X, y)
    X = np.array([[0.0] * 4, [5.0, 5.0, 1.0, 5.0], [-3.0, 7.0, 7.0, 7.0]])
    add("ties_K4", X, [2, 0, 1])
    add("ties_K1000", np.full((2, 1000), 2.5), [0, 999])
    add("ties_K2_offset", np.full((2, 2), offset), [0, 1])
    X = rng.standard_normal((4, 1000)) * 5
    add("random_K1000", X, rng.integers(0, 1000, 4))
    X = rng.standard_normal((8, 7)) * np.array([1e-6, 1e-3, 1, 10, 100, 1e3, 1e4, 30.0])[:, None]
    add("mixed_scales_K7", X, rng.integers(0, 7, 8))
    return cases


_CASES = {dt: _categorical_cases(dt) for dt in DTYPES}
CASE_NAMES = sorted(_CASES[np.float64])


def _soft_labels(X, y, seed):
    """Soft labels with zeros where the logit is -inf, mass concentrated on y."""
    rng = np.random.default_rng(seed)
    n, K = X.shape
    Y = rng.dirichlet(np.full(K, 0.5), size=n) * 0.3
    Y[np.arange(n), y] += 0.7
    Y[np.isneginf(X)] = 0.0
    Y /= Y.sum(1, keepdims=True)
    return Y


@functools.lru_cache(maxsize=None)
def _cce_reference(case, dtype_name, form, reduction="none", weighted=False):
    X, y = _CASES[np.dtype(dtype_name).type][case]
    yt = _soft_labels(X, y, 7) if form == "soft" else y
    kw = {}
    if weighted:
        kw = _weights(X.shape, dtype_name)
    return cce_ref(yt, X, from_logits=True, reduction=reduction, **kw)


def _weights(shape, dtype_name):
    rng = np.random.default_rng(99)
    n, K = shape
    sw = (rng.random(n) * 2).astype(dtype_name)
    sw[0] = 0.0
    cw = (rng.random(K) + 0.25).astype(dtype_name)
    return dict(sample_weight=sw, class_weight=cw)


def _labels(X, y, form):
    if form == "int":
        return y
    if form == "onehot":
        Y = np.zeros(X.shape, dtype=X.dtype)
        Y[np.arange(len(y)), y] = 1
        return Y
    return _soft_labels(X, y, 7)


# ------------------------------------------------------------------ categorical, per sample


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", ["int", "onehot"])
@pytest.mark.parametrize("case", CASE_NAMES)
def test_categorical_hard_labels_loss_4_eps_grad_8_eps(case, dtype, form):
    X, y = _CASES[dtype][case]
    eps, tiny = _eps(dtype)
    ref_loss, ref_grad, _ = _cce_reference(case, np.dtype(dtype).name, "int")
    yt = _labels(X, y, form)
    loss = categorical_cross_entropy(yt, X, from_logits=True, reduction="none")
    assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what=f"loss {case}")
    loss2, grad = categorical_cross_entropy(yt, X, from_logits=True, reduction="none",
                                            return_grad=True)
    assert_within(loss2, ref_loss, rtol=4 * eps, atol=tiny, what=f"loss(+grad) {case}")
    assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, what=f"grad {case}")
    assert loss.dtype == dtype and grad.dtype == dtype
    # -inf logits: probability exactly 0, so the gradient is exactly 0 there
    assert np.all(grad[np.isneginf(X)] == 0)
    assert not np.any(np.isnan(loss)) and not np.any(np.isnan(grad))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASE_NAMES)
def test_categorical_soft_labels_loss_4_eps_grad_8_eps_of_cancelling_terms(case, dtype):
    X, y = _CASES[dtype][case]
    eps, tiny = _eps(dtype)
    ref_loss, ref_grad, ref_scale = _cce_reference(case, np.dtype(dtype).name, "soft")
    Y = _labels(X, y, "soft")
    loss, grad = categorical_cross_entropy(Y, X, from_logits=True, reduction="none",
                                           return_grad=True)
    assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what=f"soft loss {case}")
    assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, scale=ref_scale,
                  what=f"soft grad {case}")
    assert np.all(grad[np.isneginf(X)] == 0)


# ------------------------------------------------------------------ categorical, reduced

REDUCED_CASES = [
    "scale1_K10", "scale10000_K10", "scale30_K10", "offset_K10", "confident_right_K10", "confident_wrong_K10",
    "masked_K10", "ties_K4", "mixed_scales_K7", "confident_right_offset",
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", REDUCED_CASES)
def test_categorical_weighted_reductions_within_tolerance(case, dtype, reduction):
    X, y = _CASES[dtype][case]
    eps, tiny = _eps(dtype)
    ref_loss, ref_grad, _ = _cce_reference(case, np.dtype(dtype).name, "int", reduction, True)
    kw = _weights(X.shape, np.dtype(dtype).name)
    loss, grad = categorical_cross_entropy(y, X, from_logits=True, reduction=reduction,
                                           return_grad=True, **kw)
    assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what=f"{reduction} loss {case}")
    assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, what=f"{reduction} grad {case}")
    loss_only = categorical_cross_entropy(y, X, from_logits=True, reduction=reduction, **kw)
    assert_within(loss_only, ref_loss, rtol=4 * eps, atol=tiny, what=f"{reduction} loss-only")
    assert np.asarray(loss).dtype == dtype


SMOOTHING_CASES = [c for c in CASE_NAMES if "K1000" not in c and not c.startswith("masked")]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", SMOOTHING_CASES)
def test_categorical_label_smoothing_within_tolerance(case, dtype):
    # smoothing puts mass e/K on every class: the loss gains (e/K) * sum_k (lse - x_k), which
    # must be summed without cancelling against the offset; the gradient becomes soft-label-like
    X, y = _CASES[dtype][case]
    eps, tiny = _eps(dtype)
    e = 0.1
    ref_loss, ref_grad, ref_scale = cce_ref(y, X, from_logits=True, label_smoothing=e,
                                            reduction="none")
    loss, grad = categorical_cross_entropy(y, X, from_logits=True, label_smoothing=e,
                                           reduction="none", return_grad=True)
    assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what=f"smoothed loss {case}")
    assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, scale=ref_scale,
                  what=f"smoothed grad {case}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_tiny_mean_loss_is_not_rounded_to_zero(dtype):
    # every sample confidently right: the mean loss is ~1e-17 (float64: 3e-18 .. 1e-300)
    delta = 40.0 if dtype == np.float64 else 20.0
    X = np.zeros((50, 4))
    y = np.arange(50) % 4
    X[np.arange(50), y] = delta + np.arange(50) / 50
    X = X.astype(dtype)
    eps, tiny = _eps(dtype)
    ref_loss, ref_grad, _ = cce_ref(y, X, from_logits=True, reduction="mean")
    loss, grad = categorical_cross_entropy(y, X, from_logits=True, return_grad=True)
    assert 0 < ref_loss < 1e-7
    assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what="mean loss")
    assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, what="mean grad")
    assert np.all(grad[np.arange(50), y] < 0)  # p_t - 1 is tiny but not 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_float32_sums_accumulate_in_float64(dtype):
    # a million-term float32 sum: naive float32 accumulation is off by ~1e-3 relative here
    rng = np.random.default_rng(5)
    n, K = 1_000_000, 2
    X = (rng.standard_normal((n, K))).astype(dtype)
    y = rng.integers(0, K, n)
    per = categorical_cross_entropy(y, X, from_logits=True, reduction="none")
    exact = np.sum(per.astype(np.float64))  # float64 sum of the (rounded) per-sample terms
    got = categorical_cross_entropy(y, X, from_logits=True, reduction="sum")
    assert abs(float(got) - exact) <= 4 * np.finfo(dtype).eps * exact + 1e-9 * exact


# ------------------------------------------------------------------ probabilities


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_probabilities_within_4_eps(dtype):
    tiny_p = 1e-300 if dtype == np.float64 else 1e-30
    P = np.array([
        [1 - 1e-7, 5e-8, 5e-8],
        [tiny_p, 0.5, 0.5 - tiny_p],
        [0.2, 0.3, 0.5],
        [1.0, 0.0, 0.0],
        [1 / 3, 1 / 3, 1 / 3],
        [0.0, 1.0, 0.0],  # target probability 0: clipped to eps
    ]).astype(dtype)
    y = np.array([0, 0, 1, 0, 2, 0])
    eps, tiny = _eps(dtype)
    for reduction in ("none", "mean"):
        ref_loss, ref_grad, _ = cce_ref(y, P, from_logits=False, reduction=reduction)
        loss, grad = categorical_cross_entropy(y, P, from_logits=False, reduction=reduction,
                                               return_grad=True)
        assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what=f"prob loss {reduction}")
        assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, what=f"prob grad {reduction}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_probabilities_within_4_eps(dtype):
    eps, tiny = _eps(dtype)
    small = [1e-10, 1e-7, 1e-5] if dtype == np.float64 else [1e-6, 1e-5, 1e-3]
    # around the clipping bounds (never exactly on them: the derivative is one-sided there)
    edges = [tiny, eps / 2, 1.5 * eps, 3 * eps, 1 - 3 * eps, 1 - 1.5 * eps, 1 - eps / 2]
    p = np.array(small + [0.5, 0.25, 0.75] + [1 - s for s in small] + [0.0, 1.0] + edges)
    P = np.concatenate([p, p, p]).astype(dtype)
    Y = np.concatenate([np.zeros_like(p), np.ones_like(p), np.full_like(p, 0.3)])
    for reduction in ("none", "sum"):
        for pw in (None, 2.0):
            ref_loss, ref_grad, ref_scale = bce_ref(Y, P, from_logits=False, reduction=reduction,
                                                    pos_weight=pw)
            loss, grad = binary_cross_entropy(Y, P, from_logits=False, reduction=reduction,
                                              pos_weight=pw, return_grad=True)
            # -log(1 - p) for small p needs log1p(-p): log(1 - p) loses digits
            assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what=f"prob bce {reduction}")
            assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, scale=ref_scale,
                          what=f"prob bce grad {reduction}")


# ------------------------------------------------------------------ binary from logits


def _binary_logits(dtype):
    f64 = dtype == np.float64
    big = [40.0, 100.0, 300.0, 700.0, 745.0, 1e4] if f64 else [17.0, 20.0, 40.0, 80.0, 100.0]
    small = [0.0, 1e-300, 1e-30, 1e-6, 1e-3, 0.5, 1.0, 2.0, 10.0] if f64 else \
        [0.0, 1e-30, 1e-6, 1e-3, 0.5, 1.0, 2.0, 10.0]
    vals = np.array(small + big)
    x = np.concatenate([vals, -vals])
    rng = np.random.default_rng(3)
    x = np.concatenate([x, rng.standard_normal(12) * 30])
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", ["zeros", "ones", "soft"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_logits_within_4_eps(dtype, target, reduction):
    x = _binary_logits(dtype)
    rng = np.random.default_rng(11)
    Y = {"zeros": np.zeros(len(x)), "ones": np.ones(len(x)),
         "soft": rng.random(len(x))}[target]
    eps, tiny = _eps(dtype)
    X = x.reshape(-1, 2)
    Y = Y.reshape(-1, 2)
    pw = np.array([1.0, 2.5])
    sw = (rng.random(len(X)) + 0.5).astype(dtype)
    sw[3] = 0.0
    ref_loss, ref_grad, ref_scale = bce_ref(Y, X, from_logits=True, pos_weight=pw,
                                            sample_weight=sw, reduction=reduction)
    loss, grad = binary_cross_entropy(Y, X, from_logits=True, pos_weight=pw, sample_weight=sw,
                                      reduction=reduction, return_grad=True)
    assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what=f"bce loss {target}")
    scale = ref_scale if target == "soft" else None
    assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, scale=scale,
                  what=f"bce grad {target}")
    assert not np.any(np.isnan(loss)) and not np.any(np.isnan(grad))


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_tiny_losses_are_not_rounded_to_zero(dtype):
    x = np.array([40.0, 60.0] if dtype == np.float64 else [20.0, 40.0], dtype=dtype)
    loss = binary_cross_entropy(np.ones(2), x, from_logits=True, reduction="none")
    assert np.all(loss > 0)
    ref, _, _ = bce_ref(np.ones(2), x, from_logits=True, reduction="none")
    assert_within(loss, ref, rtol=4 * _eps(dtype)[0], atol=0, what="tiny bce")


# ------------------------------------------------------------------ the reference itself


def test_reference_agrees_with_scipy_on_ordinary_inputs():
    # Guards _reference against transcription mistakes: on tame inputs float64 scipy is
    # accurate to ~1e-13, far tighter than any mistake in a formula would be.
    from scipy.special import expit, log_expit, log_softmax

    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 4)) * 2
    y = rng.integers(0, 4, 5)
    sw, cw = rng.random(5) + 0.5, rng.random(4) + 0.5
    loss, grad, _ = cce_ref(y, X, from_logits=True, sample_weight=sw, class_weight=cw,
                            label_smoothing=0.2, reduction="mean")
    Y = np.eye(4)[y]
    Ys = Y * 0.8 + 0.05
    lp = log_softmax(X, axis=1)
    t = -sw * (Ys * cw * lp).sum(1)
    w = sw * (Y @ cw)
    C = (Ys * cw).sum(1, keepdims=True)
    np.testing.assert_allclose(loss, t.sum() / w.sum(), rtol=1e-13)
    np.testing.assert_allclose(grad, sw[:, None] * (C * np.exp(lp) - Ys * cw) / w.sum(),
                               rtol=1e-12, atol=1e-15)
    Yb = rng.random((5, 4))
    loss, grad, _ = bce_ref(Yb, X, from_logits=True, pos_weight=cw, reduction="none")
    np.testing.assert_allclose(loss, -(cw * Yb * log_expit(X) + (1 - Yb) * log_expit(-X)),
                               rtol=1e-13)
    np.testing.assert_allclose(grad, (1 - Yb) * expit(X) - cw * Yb * expit(-X), rtol=1e-12,
                               atol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("from_logits", [True, False])
def test_binary_label_smoothing_within_4_eps(dtype, from_logits):
    # y' = y (1 - e) + e / 2 and 1 - y' = (1 - y)(1 - e) + e / 2 are both exact functions of the
    # inputs; computing 1 - y' by subtracting a rounded y' from 1 costs ~5 eps on the small
    # coefficient, which dominates the loss when the prediction is confidently wrong for it
    x = np.array([4.4655, 10.0, 30.0, 0.5, -4.4655, -10.0, -30.0, -0.5])
    if not from_logits:
        x = 1 / (1 + np.exp(-x))
    X = np.concatenate([x, x]).astype(dtype).reshape(-1, 4)
    Y = np.concatenate([np.ones_like(x), np.zeros_like(x)]).reshape(-1, 4)
    eps, tiny = _eps(dtype)
    for e in (0.1, 0.3):
        ref_loss, ref_grad, ref_scale = bce_ref(Y, X, from_logits=from_logits, label_smoothing=e,
                                                reduction="none")
        loss, grad = binary_cross_entropy(Y, X, from_logits=from_logits, label_smoothing=e,
                                          reduction="none", return_grad=True)
        assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what=f"smoothed bce e={e}")
        assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, scale=ref_scale,
                      what=f"smoothed bce grad e={e}")


# ------------------------------------------------------------------ long reductions


N_IDENTICAL = 2**20 + 1


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("K", [2, 10])
def test_categorical_reduction_of_a_million_identical_terms_within_4_eps(dtype, reduction, K):
    # Identical terms make the rounding errors of a naive running sum add up coherently
    # (random terms hide it: their errors cancel). The exact answer is n * term; the
    # float64-rounded reference term times n is within ~1 ulp of it.
    n = N_IDENTICAL
    X = np.tile(np.linspace(-3, 3, K).astype(dtype), (n, 1))
    y = np.full(n, K - 1)
    eps, tiny = _eps(dtype)
    t, _, _ = cce_ref(y[:1], X[:1], from_logits=True, reduction="none")
    got = categorical_cross_entropy(y, X, from_logits=True, reduction=reduction)
    assert_within(got, float(t[0]) * (n if reduction == "sum" else 1), rtol=4 * eps, atol=tiny,
                  what=f"categorical {reduction} of {n} identical terms")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("K", [1, 10])
def test_binary_reduction_of_a_million_identical_rows_within_4_eps(dtype, reduction, K):
    n = N_IDENTICAL
    X = np.full((n, K), 0.5, dtype=dtype)
    Y = np.ones((n, K))
    eps, tiny = _eps(dtype)
    t, _, _ = bce_ref(Y[:1], X[:1], from_logits=True, reduction="sum")
    got = binary_cross_entropy(Y, X, from_logits=True, reduction=reduction)
    assert_within(got, float(t) * (n if reduction == "sum" else 1.0 / K), rtol=4 * eps,
                  atol=tiny, what=f"binary {reduction} of {n}x{K} identical terms")


# ------------------------------------------------------------------ focal loss

FOCAL_CASES = [c for c in CASE_NAMES if "K1000" not in c]  # the references' cost
GAMMAS = (0.5, 2.0, 5.0)
bce, cce = binary_cross_entropy, categorical_cross_entropy


@functools.lru_cache(maxsize=None)
def _cce_focal_reference(case, dtype_name, form, gamma):
    X, y = _CASES[np.dtype(dtype_name).type][case]
    yt = _soft_labels(X, y, 7) if form == "soft" else y
    return cce_ref(yt, X, from_logits=True, reduction="none", focal_gamma=gamma)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("form", ["int", "soft"])
@pytest.mark.parametrize("case", FOCAL_CASES)
def test_categorical_focal_loss_4_eps_grad_8_eps_on_adversarial_logits(case, form, gamma,
                                                                       dtype):
    X, y = _CASES[dtype][case]
    eps, tiny = _eps(dtype)
    ref_loss, ref_grad, ref_scale = _cce_focal_reference(case, np.dtype(dtype).name, form, gamma)
    yt = _soft_labels(X, y, 7) if form == "soft" else y
    loss, grad = cce(yt, X, from_logits=True, reduction="none", focal_gamma=gamma,
                     return_grad=True)
    assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what=f"focal loss {case}")
    assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny,
                  scale=ref_scale if form == "soft" else None, what=f"focal grad {case}")
    assert np.all(grad[np.isneginf(X)] == 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ["confident_right_K1000", "masked_K1000"])
def test_categorical_focal_with_a_thousand_classes(case, dtype):
    X, y = _CASES[dtype][case]
    X, y = X[:1], y[:1]  # one row: the reference is the slow part
    eps, tiny = _eps(dtype)
    ref_loss, ref_grad, _ = cce_ref(y, X, from_logits=True, reduction="none", focal_gamma=2.0)
    loss, grad = cce(y, X, from_logits=True, reduction="none", focal_gamma=2.0,
                     return_grad=True)
    assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what=f"focal loss {case}")
    assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, what=f"focal grad {case}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum_by_nonzero_weights"])
@pytest.mark.parametrize("case", REDUCED_CASES)
def test_categorical_focal_weighted_reductions_within_tolerance(case, reduction, dtype):
    X, y = _CASES[dtype][case]
    eps, tiny = _eps(dtype)
    kw = _weights(X.shape, np.dtype(dtype).name)
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
    x = _binary_logits(dtype)
    rng = np.random.default_rng(11)
    Y = {"zeros": np.zeros(len(x)), "ones": np.ones(len(x)), "soft": rng.random(len(x))}[target]
    X, Y = x.reshape(-1, 2), Y.reshape(-1, 2)
    eps, tiny = _eps(dtype)
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
    eps, tiny = _eps(dtype)
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
    eps, tiny = _eps(dtype)
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
    assert_within(got, ref, rtol=4 * _eps(dtype)[0], atol=0, what="tiny focal")
    xb = np.array([delta / 2, delta], dtype=dtype)  # (1 - p)**2 log p ~ exp(-3 x)
    ref, _, _ = bce_ref(np.ones(2), xb, from_logits=True, reduction="none", focal_gamma=2.0)
    got = bce(np.ones(2), xb, from_logits=True, reduction="none", focal_gamma=2.0)
    assert np.all(got > 0)
    assert_within(got, ref, rtol=4 * _eps(dtype)[0], atol=0, what="tiny binary focal")
