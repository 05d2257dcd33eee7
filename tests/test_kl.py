"""skxent.losses.kl_divergence: accuracy against 60 digits, behaviour, bad input, Dask.

Design note
-----------
The generic registry tests (``test_families.py``) already run the KL family through dtypes,
layouts, ``n_threads``, reductions, finite differences, the Hessian data and a small accuracy
check. This module pins what is particular to the divergence:

* **Tiny divergences** (the reason the family exists): a student within 1e-6 of its teacher,
  K = 200, KL ~ 5e-13, must come out within 1e-8 relative of the exact value of the very floats
  given (``_reference.kl_ref`` at 60 digits), also for K = 1000 down to KL ~ 1e-15 and with
  temperatures; the NumPy formulas ``CE - H`` and ``sum y (log y - log q)`` are checked to be
  off by far more on the same inputs, so the test shows the difference it claims.
* **Adversarial inputs** (as ``test_accuracy.py`` for the cross-entropies): logit scales 1e-6 ..
  1e4, offsets of 1e6 (float64) / 1e3 (float32), -inf logits where the targets are 0, targets
  with exact zeros and with masses of 1e-300, one-hot targets confidently right and wrong, K up
  to 1000, temperatures, probabilities, log targets, float32 and float64. Loss within 4 eps
  relative (close students in float64: 1e-9); gradient components within 8 eps relative where ``S q_k - y_k`` does not cancel
  (``|S q_k - y_k| >= max(S q_k, y_k) / 2``) and within 4 eps of ``max(S q_k, y_k)`` (times the
  weights) everywhere (the bound stated in the README).
* Behaviour: masks, infinite divergences with finite gradients, NaN propagation, zero
  denominators, ``axis`` without copying ``y_pred``, warnings, every bad input's error, the
  docstring's examples, PyTorch when installed, and the Dask backend.
"""

import doctest
import functools
import warnings

import numpy as np
import pytest

from _reference import assert_within, engine_kl, kl_ref
from skxent import _engine
from skxent.losses import kl_divergence
from skxent.special import log_softmax, softmax

DTYPES = (np.float32, np.float64)


def _eps(dtype):
    return float(np.finfo(dtype).eps), float(np.finfo(dtype).tiny)


def _dirichlet(rng, n, K, *, zeros=False, alpha=0.7):
    y = rng.dirichlet(np.full(K, alpha), size=n)
    if zeros:
        y[rng.random((n, K)) < 0.3] = 0.0
        y[:, 0] += y.sum(axis=1) == 0
        y /= y.sum(axis=1, keepdims=True)
    return y


# ------------------------------------------------------------------ adversarial inputs


def _cases(dtype):
    """name -> (y_true, y_pred, keyword arguments), in ``dtype``."""
    f64 = dtype == np.float64
    rng = np.random.default_rng(99 if f64 else 98)
    cases = {}

    def add(name, y, z, **kw):
        cases[name] = (np.asarray(y).astype(dtype), np.asarray(z).astype(dtype), kw)

    n = 6
    for scale in (1e-6, 1e-3, 1.0, 30.0, 1e3, 1e4):
        for K in (2, 10):
            add(f"scale{scale:g}_K{K}", _dirichlet(rng, n, K, zeros=K > 2),
                rng.standard_normal((n, K)) * scale)
    offset = 1e6 if f64 else 1e3
    for K in (3, 10):
        # the offset is added in the working dtype: these are the floats the kernel sees
        X = (rng.standard_normal((n, K)) * 3).astype(dtype) + dtype(offset)
        add(f"offset_K{K}", _dirichlet(rng, n, K), X)
        add(f"offset_neg_K{K}", _dirichlet(rng, n, K), X - dtype(2 * offset))
    y = _dirichlet(rng, 8, 10, zeros=True)
    z = rng.standard_normal((8, 10)) * 3
    z[y == 0] = -np.inf  # masked classes carry no target mass
    add("masked_K10", y, z)
    deltas = (40.0, 100.0, 300.0, 700.0) if f64 else (20.0, 40.0, 80.0, 100.0)
    for K in (2, 10, 1000):
        rows = 4 if K == 1000 else 2
        right = rng.standard_normal((rows * len(deltas), K))
        wrong = right.copy()
        t = rng.integers(0, K, len(right))
        for i in range(len(right)):
            right[i, t[i]] = np.delete(right[i], t[i]).max() + deltas[i % len(deltas)]
            wrong[i, t[i]] = np.delete(wrong[i], t[i]).min() - deltas[i % len(deltas)]
        add(f"confident_right_K{K}", np.eye(K)[t], right)  # KL = CE, far below 1e-16
        add(f"confident_wrong_K{K}", np.eye(K)[t], wrong)
    for K, noise in ((10, 1e-4), (200, 1e-6), (1000, 4.5e-8)):
        for T in (1.0, 3.0):
            zt = (rng.standard_normal((4, K)) * 2).astype(dtype)
            y = softmax(zt.astype(np.float64) / T).astype(dtype)
            noise_ = noise if f64 else max(noise, 1e-3)  # float32 logits cannot move by less
            add(f"close_K{K}_T{T:g}", y, zt + noise_ * rng.standard_normal((4, K)),
                temperature=T)
    for T in (0.5, 3.0):
        add(f"temperature{T:g}_K10", _dirichlet(rng, n, 10, zeros=True),
            rng.standard_normal((n, 10)) * 5, temperature=T)
    y = _dirichlet(rng, n, 10)
    y[:, 1] = 1e-30 if f64 else 1e-20
    y[:, 2] = 1e-300 if f64 else 1e-38
    add("tiny_targets_K10", y, rng.standard_normal((n, 10)) * 3)
    for K in (2, 10, 1000):
        y = _dirichlet(rng, 4, K, zeros=K > 2)
        add(f"proba_K{K}", y, _dirichlet(rng, 4, K), from_logits=False)
        close = y * (1 + (1e-6 if f64 else 1e-3) * rng.standard_normal(y.shape))
        close = np.where(y == 0, 1e-3, close)
        add(f"proba_close_K{K}", y, close / close.sum(axis=1, keepdims=True), from_logits=False)
    add("log_target_K10", np.log(_dirichlet(rng, n, 10)), rng.standard_normal((n, 10)) * 3,
        log_target=True)
    return cases


CASES = {dt: _cases(dt) for dt in DTYPES}


@functools.lru_cache(maxsize=None)
def _reference(dtype, name, reduction):
    y, z, kw = CASES[dtype][name]
    kw = dict(kw)
    from_logits = kw.pop("from_logits", True)
    sw = np.linspace(0.5, 2.0, y.shape[0])
    return kl_ref(y, z, from_logits=from_logits, sample_weight=sw, reduction=reduction, **kw)


def _skxent(dtype, name, reduction):
    y, z, kw = CASES[dtype][name]
    kw = dict(kw)
    from_logits = kw.pop("from_logits", True)
    sw = np.linspace(0.5, 2.0, y.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # float32 probability rows
        return kl_divergence(y, z, from_logits=from_logits, sample_weight=sw,
                             reduction=reduction, return_grad=True, **kw)


@pytest.mark.parametrize("reduction", ["none", "mean"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CASES[np.float64]))
def test_loss_within_4_eps_and_gradient_within_8_eps_of_the_exact_reference(name, dtype,
                                                                             reduction):
    loss, grad = _skxent(dtype, name, reduction)
    ref_loss, ref_grad, scale = _reference(dtype, name, reduction)
    eps, tiny = _eps(dtype)
    assert loss.dtype == dtype and grad.dtype == dtype
    # a close student's divergence (float64: 1e-17 .. 1e-9) is the difference of nearly equal
    # distributions: 1e-9 relative there (measured: 2e-14 .. 6e-11), 4 eps elsewhere
    close = dtype == np.float64 and name.startswith("close")
    assert_within(loss, ref_loss, rtol=1e-9 if close else 4 * eps, atol=tiny, what="loss")
    # where S q_k - y_k does not cancel: 8 eps of the component itself
    clean = np.abs(ref_grad) >= 0.5 * scale
    assert_within(np.where(clean, grad, 0.0), np.where(clean, ref_grad, 0.0), rtol=8 * eps,
                  atol=tiny, what="gradient (no cancellation)")
    # everywhere: 4 eps of the size of the terms that cancel
    assert_within(grad, ref_grad, rtol=4 * eps, atol=tiny, scale=scale, what="gradient")


# ------------------------------------------------------------------ tiny divergences


def _close_student(rng, n, K, noise, T):
    teacher = rng.standard_normal((n, K)) * 2
    student = teacher + noise * rng.standard_normal((n, K))
    return softmax(teacher / T), student


@pytest.mark.parametrize("T", [1.0, 2.0, 5.0])
@pytest.mark.parametrize("K, noise, n", [(200, 1e-6, 8), (1000, 4.5e-8, 3)])
def test_tiny_divergences_are_relatively_exact(K, noise, n, T):
    y, z = _close_student(np.random.default_rng(K), n, K, noise, T)
    got = kl_divergence(y, z, from_logits=True, temperature=T, reduction="none")
    ref, ref_grad, scale = kl_ref(y, z, from_logits=True, temperature=T, reduction="none")
    assert np.all(np.abs(ref) < (1e-11 if K == 200 else 1e-14))
    assert_within(got, ref, rtol=1e-8, atol=0.0, what="KL of a close student")
    _, grad = kl_divergence(y, z, from_logits=True, temperature=T, reduction="sum",
                            return_grad=True)
    # the gradient S q - y of a close student is itself a small difference: its error is a
    # few eps of max(S q, y), i.e. relative 1e-8 .. 1e-5 of the component, not 1e-10 .. 1e-3
    # as the rounded q - y would give
    assert_within(grad, ref_grad, rtol=4 * 2.0 ** -52, atol=0.0, scale=scale, what="gradient")


def test_naive_formulas_are_far_off_where_kl_divergence_is_not():
    """The claim of the README: on the same floats, CE - H and sum y (log y - log q) with a
    float64 log-softmax err by 1e-4 .. 1e-2 relative; kl_divergence by ~1e-12."""
    y, z = _close_student(np.random.default_rng(200), 8, 200, 1e-6, 1.0)
    ref = kl_ref(y, z, from_logits=True, reduction="none")[0]
    got = kl_divergence(y, z, from_logits=True, reduction="none")
    lq, ly = log_softmax(z), np.log(y)
    naive = np.sum(y * (ly - lq), axis=1)
    ce_minus_h = -np.sum(y * lq, axis=1) + np.sum(y * ly, axis=1)
    ours = np.max(np.abs(got / ref - 1))
    assert ours < 1e-9
    assert np.max(np.abs(naive / ref - 1)) > 1e4 * ours
    assert np.max(np.abs(ce_minus_h / ref - 1)) > 1e4 * ours


def test_a_teacher_against_itself_gives_the_exact_tiny_value():
    """softmax rounded to float64 is not exactly the teacher's distribution: the exact KL of
    those floats is a few 1e-17 (S - 1 and the rounding of each p_k), and that is returned."""
    z = np.random.default_rng(3).standard_normal((50, 7)) * 3
    for T in (1.0, 2.0):
        y = softmax(z / T)
        got = kl_divergence(y, z, from_logits=True, temperature=T, reduction="none")
        ref = kl_ref(y, z, from_logits=True, temperature=T, reduction="none")[0]
        assert np.max(np.abs(ref)) < 1e-15
        assert_within(got, ref, rtol=1e-6, atol=1e-30, what="KL(p || p)")


def test_log_targets_carry_the_rounding_of_exp_as_documented():
    """log_target=True: y = exp(log y) rounded moves KL by up to ~eps * S; moderate
    divergences are as accurate as with probabilities."""
    rng = np.random.default_rng(5)
    y = _dirichlet(rng, 20, 10)
    z = rng.standard_normal((20, 10)) * 2
    got = kl_divergence(np.log(y), z, from_logits=True, log_target=True, reduction="none")
    ref = kl_ref(np.log(y), z, from_logits=True, log_target=True, reduction="none")[0]
    assert_within(got, ref, rtol=4 * 2.0 ** -52, atol=0.0, what="log targets")
    ly, zs = np.log(softmax(z)), z + 1e-6 * rng.standard_normal(z.shape)
    got = kl_divergence(ly, zs, from_logits=True, log_target=True, reduction="none")
    ref = kl_ref(ly, zs, from_logits=True, log_target=True, reduction="none")[0]
    assert_within(got, ref, rtol=0.0, atol=2 * 2.0 ** -52, what="tiny KL, log targets")


@pytest.mark.parametrize("dtype", DTYPES)
def test_probabilities_close_to_the_targets_are_relatively_exact(dtype):
    """From probabilities the divergence of q = y (1 + v) is sum y g(v) + sum (y - q), with
    g(v) = v - log1p(v) from its series: relatively exact at any size, one class per row too."""
    rng = np.random.default_rng(11)
    y = rng.uniform(0.01, 0.5, 4000).astype(dtype)
    v = np.concatenate([np.linspace(-0.999, 3.0, 2000), np.expm1(rng.uniform(-30, 2, 2000))])
    q = np.clip(y * (1 + v), 0, 1).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # one class per row: rows do not sum to 1
        got = kl_divergence(y[:, None], q[:, None], from_logits=False, reduction="none")
    ref = kl_ref(y[:, None], q[:, None], from_logits=False, reduction="none")[0]
    eps, tiny = _eps(dtype)
    assert_within(got, ref, rtol=4 * eps, atol=tiny, what="y log(y / q)")


# ------------------------------------------------------------------ behaviour


@pytest.mark.parametrize("dtype", DTYPES)
def test_masked_classes_without_target_mass_have_zero_gradient_and_finite_loss(dtype):
    y = np.array([[0.5, 0.5, 0.0, 0.0], [0.0, 0.2, 0.8, 0.0]], dtype=dtype)
    z = np.array([[1.0, 2.0, -np.inf, 0.5], [-np.inf, 0.0, 1.0, -np.inf]], dtype=dtype)
    loss, grad = kl_divergence(y, z, from_logits=True, reduction="none", return_grad=True)
    assert np.all(np.isfinite(loss))
    assert grad[0, 2] == 0.0 and grad[1, 0] == 0.0 and grad[1, 3] == 0.0
    ref, ref_grad, _ = kl_ref(y, z, from_logits=True, reduction="none")
    eps, tiny = _eps(dtype)
    assert_within(loss, ref, rtol=4 * eps, atol=tiny)
    assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny)


def test_target_mass_on_a_minus_inf_logit_gives_inf_loss_and_a_finite_gradient():
    y = np.array([[0.25, 0.75, 0.0]])
    z = np.array([[-np.inf, 1.0, 0.0]])
    loss, grad = kl_divergence(y, z, from_logits=True, temperature=2.0, reduction="sum",
                               return_grad=True)
    assert loss == np.inf
    ref_grad = kl_ref(y, z, from_logits=True, temperature=2.0, reduction="sum")[1]
    assert np.all(np.isfinite(grad))
    assert grad[0, 0] == -0.25 / 2.0
    assert_within(grad, ref_grad, rtol=8 * 2.0 ** -52, atol=0.0)
    # from probabilities: q = 0 where y > 0
    loss, grad = kl_divergence(y, np.array([[0.0, 0.5, 0.5]]), from_logits=False,
                               reduction="none", return_grad=True)
    assert loss[0] == np.inf and grad[0, 0] == -np.inf and grad[0, 2] == 0.0


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_plus_inf_logits_make_the_sample_nan(bad):
    y = np.full((3, 4), 0.25)
    z = np.zeros((3, 4))
    z[1, 2] = bad
    loss, grad = kl_divergence(y, z, from_logits=True, reduction="none", return_grad=True)
    assert np.isnan(loss[1]) and np.all(np.isfinite(loss[[0, 2]]))
    assert np.all(np.isnan(grad[1])) and np.all(np.isfinite(grad[[0, 2]]))


def test_rows_without_target_mass_contribute_nothing():
    y = np.array([[0.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    z = np.array([[5.0, -1.0, 0.0], [0.0, 1.0, 2.0]])
    loss, grad = kl_divergence(y, z, from_logits=True, reduction="none", return_grad=True)
    assert loss[0] == 0.0 and np.all(grad[0] == 0.0)


@pytest.mark.parametrize("reduction", ["mean", "sum_over_batch_size", "sum_by_nonzero_weights"])
def test_zero_denominators_give_zero_loss_and_exactly_zero_gradient(reduction):
    y, z = np.full((4, 3), 1 / 3), np.arange(12.0).reshape(4, 3)
    loss, grad = kl_divergence(y, z, from_logits=True, sample_weight=np.zeros(4),
                               reduction=reduction, return_grad=True)
    assert loss == 0.0 and np.all(grad == 0.0)
    loss, grad = kl_divergence(np.zeros((0, 3)), np.zeros((0, 3)), from_logits=True,
                               reduction=reduction, return_grad=True)
    assert loss == 0.0 and grad.shape == (0, 3)


def test_mean_is_pytorchs_batchmean_and_weights_weight_samples():
    rng = np.random.default_rng(12)
    y, z = _dirichlet(rng, 9, 5), rng.standard_normal((9, 5))
    sw = rng.uniform(0.5, 2.0, 9)
    per = kl_divergence(y, z, from_logits=True, reduction="none")
    assert_within(kl_divergence(y, z, from_logits=True), per.sum() / 9, rtol=1e-15, atol=0)
    weighted = kl_divergence(y, z, from_logits=True, sample_weight=sw, reduction="none")
    np.testing.assert_allclose(weighted, sw * per, rtol=1e-15)
    np.testing.assert_allclose(
        kl_divergence(y, z, from_logits=True, sample_weight=sw),
        np.sum(sw * per) / sw.sum(), rtol=1e-14)


def test_temperature_divides_the_logits_and_the_gradient():
    rng = np.random.default_rng(13)
    y, z = _dirichlet(rng, 6, 4), rng.standard_normal((6, 4)) * 3
    T = 4.0
    loss, grad = kl_divergence(y, z, from_logits=True, temperature=T, reduction="sum",
                               return_grad=True)
    loss1, grad1 = kl_divergence(y, z / T, from_logits=True, reduction="sum", return_grad=True)
    np.testing.assert_allclose(loss, loss1, rtol=1e-14)
    np.testing.assert_allclose(grad, grad1 / T, rtol=1e-13, atol=1e-17)


def test_log_targets_equal_probability_targets():
    rng = np.random.default_rng(14)
    y, z = _dirichlet(rng, 7, 6, zeros=True), rng.standard_normal((7, 6))
    with np.errstate(divide="ignore"):
        ly = np.log(y)
    for from_logits, pred in ((True, z), (False, softmax(z))):
        a = kl_divergence(y, pred, from_logits=from_logits, reduction="none", return_grad=True)
        b = kl_divergence(ly, pred, from_logits=from_logits, log_target=True, reduction="none",
                          return_grad=True)
        np.testing.assert_allclose(b[0], a[0], rtol=1e-14)
        np.testing.assert_allclose(b[1], a[1], rtol=1e-14, atol=1e-16)


def test_probability_rows_not_summing_to_one_warn_and_are_used_as_given():
    y = np.array([[0.5, 0.5], [0.3, 0.7]])
    q = np.array([[0.4, 0.4], [0.3, 0.7]])
    with pytest.warns(UserWarning, match="1 of 2 rows of probabilities do not sum to 1"):
        got = kl_divergence(y, q, from_logits=False, reduction="none")
    np.testing.assert_allclose(got, [np.log(0.5 / 0.4), 0.0], rtol=1e-15, atol=1e-300)


# ------------------------------------------------------------------ axis


@pytest.mark.parametrize("axis", [0, -2])
@pytest.mark.parametrize("dtype", DTYPES)
def test_class_axis_0_equals_the_transposed_problem_and_reads_y_pred_in_place(axis, dtype):
    rng = np.random.default_rng(15)
    y, z = _dirichlet(rng, 30, 7).astype(dtype), rng.standard_normal((30, 7)).astype(dtype)
    ref = kl_divergence(y, z, from_logits=True, reduction="none", return_grad=True)
    yT, zT = np.ascontiguousarray(y.T), np.ascontiguousarray(z.T)  # (classes, samples)
    loss, grad = kl_divergence(yT, zT, from_logits=True, axis=axis, reduction="none",
                               return_grad=True)
    np.testing.assert_array_equal(loss, ref[0])
    assert grad.shape == zT.shape
    np.testing.assert_array_equal(grad, ref[1].T)
    # the kernel is handed a view of the caller's memory, not a copy
    yv, zv, moved = _engine.KL.class_axis_last(yT, zT, axis)
    prep = _engine.KL.prepare(yv, zv, from_logits=True)
    assert moved and np.shares_memory(prep.x, zT) and np.shares_memory(prep.kernel_args[0], yT)
    for r in ("mean", "sum"):
        assert kl_divergence(yT, zT, from_logits=True, axis=axis, reduction=r) == \
            kl_divergence(y, z, from_logits=True, reduction=r)


@pytest.mark.parametrize("axis", [-1, 1])
def test_class_axis_last_is_the_default(axis):
    rng = np.random.default_rng(16)
    y, z = _dirichlet(rng, 5, 3), rng.standard_normal((5, 3))
    assert kl_divergence(y, z, from_logits=True, axis=axis) == \
        kl_divergence(y, z, from_logits=True)


# ------------------------------------------------------------------ bad input


def _call(**kw):
    args = dict(y_true=np.full((3, 4), 0.25), y_pred=np.zeros((3, 4)), from_logits=True)
    args.update(kw)
    return kl_divergence(**args)


@pytest.mark.parametrize("kw, match", [
    (dict(temperature=0.0), "temperature"),
    (dict(temperature=-1.0), "temperature"),
    (dict(temperature=np.nan), "temperature"),
    (dict(temperature=np.inf), "temperature"),
    (dict(temperature=2.0, from_logits=False, y_pred=np.full((3, 4), 0.25)), "temperature"),
    (dict(axis=2), "axis 2 is out of range"),
    (dict(axis=-3), "axis -3 is out of range"),
    (dict(y_pred=np.zeros((3, 5))), r"y_true: shape \(3, 4\) does not match y_pred's \(3, 5\)"),
    (dict(y_true=np.full((4, 3), 0.25), axis=0), r"y_true: shape \(4, 3\) does not match"),
    (dict(y_true=np.full((3, 4), 0.5) - np.eye(3, 4)), r"y_true: value -0.5 at position \(0, 0\)"),
    (dict(y_true=np.full((3, 4), 1.5)), r"y_true: value 1.5 at position \(0, 0\)"),
    (dict(y_true=np.where(np.eye(3, 4) > 0, np.nan, 0.25)), r"y_true: NaN at position \(0, 0\)"),
    (dict(y_true=np.full((3, 4), 0.1), log_target=True), r"y_true: value 0.1 .*\(log-probabilities\)"),
    (dict(y_true=np.full((3, 4), np.nan), log_target=True), r"y_true: NaN at position \(0, 0\)"),
    (dict(from_logits=False, y_pred=np.full((3, 4), -0.1)), "y_pred: value -0.1"),
    (dict(sample_weight=[1.0, -1.0, 1.0]), "sample_weight: negative weight"),
    (dict(sample_weight=[1.0, np.nan, 1.0]), "sample_weight: NaN"),
    (dict(sample_weight=[1.0, 1.0]), "sample_weight: expected 3 values"),
    (dict(reduction="batchmean"), "reduction must be one of"),
    (dict(y_true=np.full((2, 3, 4), 0.25), y_pred=np.zeros((2, 3, 4)), axis=3),
     "axis 3 is out of range"),
    (dict(y_true=np.full(4, 0.25), y_pred=np.zeros(4)), "y_pred: expected a 2-D array"),
])
def test_bad_input_raises_value_error_naming_the_argument(kw, match):
    with pytest.raises(ValueError, match=match):
        _call(**kw)


@pytest.mark.parametrize("kw, match", [
    (dict(from_logits=1), "from_logits must be True or False"),
    (dict(log_target="yes"), "log_target must be True or False"),
    (dict(return_grad=None), "return_grad must be True or False"),
    (dict(axis=1.0), "axis must be an int"),
    (dict(temperature="2"), "temperature must be a float"),
    (dict(y_pred=np.full((3, 4), "a")), "y_pred"),
])
def test_bad_types_raise_type_error(kw, match):
    with pytest.raises(TypeError, match=match):
        _call(**kw)


# ------------------------------------------------------------------ docs, peers, Dask


def test_docstring_examples_run():
    import skxent.losses

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(skxent.losses.kl_divergence, "kl_divergence"):
        runner.run(test)
    assert runner.failures == 0 and runner.tries >= 5


def test_equals_pytorch_kl_div_with_batchmean_and_its_gradient():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(17)
    y, z = _dirichlet(rng, 40, 6, zeros=True), rng.standard_normal((40, 6)) * 2
    tz = torch.from_numpy(z).requires_grad_()
    ref = F.kl_div(F.log_softmax(tz, -1), torch.from_numpy(y), reduction="batchmean")
    ref.backward()
    loss, grad = kl_divergence(y, z, from_logits=True, return_grad=True)
    np.testing.assert_allclose(loss, ref.item(), rtol=1e-12)
    np.testing.assert_allclose(grad, tz.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_dask_arrays_give_the_in_memory_results(reduction, axis):
    da = pytest.importorskip("dask.array")
    import dask

    rng = np.random.default_rng(18)
    y, z = _dirichlet(rng, 50, 4, zeros=True), rng.standard_normal((50, 4))
    sw = rng.uniform(0.5, 2.0, 50)
    if axis == 0:
        y, z = y.T.copy(), z.T.copy()
    chunks = (4, 13) if axis == 0 else (13, 4)
    ref = kl_divergence(y, z, from_logits=True, temperature=2.0, sample_weight=sw, axis=axis,
                        reduction=reduction, return_grad=True)
    with dask.config.set(scheduler="synchronous"):
        loss, grad = kl_divergence(y, da.from_array(z, chunks=chunks), from_logits=True,
                                   temperature=2.0, sample_weight=sw, axis=axis,
                                   reduction=reduction, return_grad=True)
        assert isinstance(grad, da.Array)
        loss, grad = dask.compute(loss, grad)
    np.testing.assert_allclose(loss, ref[0], rtol=1e-12)
    np.testing.assert_allclose(grad, ref[1], rtol=1e-12, atol=1e-18)
