"""``return_hess=True``: the diagonal of the Hessian of the returned loss with respect to the
logits.

Design note
-----------
Three independent checks:

* the reference's own formulas (``_reference.cce_ref``/``bce_ref`` with ``return_hess``, the
  derivation written out in their docstrings) against ``mpmath.diff`` of the reference *loss*
  in 60 digits, so a slip in the derivation cannot hide in both the kernel and the reference;
* the kernels against that reference on the adversarial logits of ``test_accuracy.py``
  (confident rows, huge offsets, ``-inf`` masks): within 16 eps of the size of the cancelling
  parts (plain cross-entropy: no cancellation, 4 eps relative); the plain categorical diagonal
  ``a p (1 - p)`` takes ``1 - p`` from the other classes' mass, so a confident row keeps a
  Hessian of 1e-20 where ``p (1 - p)`` from the rounded ``p`` gives 0;
* finite differences of the gradient (``test_families.py``, every family, every option).

Plus the contract: shapes and dtypes, reductions scale it like the gradient, the plain
categorical diagonal agrees with the full-Hessian data the estimators' newton-cg uses, and Dask.
"""

import functools

import numpy as np
import pytest
from mpmath import mp

import test_accuracy as TA
from _reference import DPS, assert_within, bce_ref, cce_ref
from skxent import _engine
from skxent.losses import binary_cross_entropy as bce
from skxent.losses import categorical_cross_entropy as cce

DTYPES = (np.float32, np.float64)


# ------------------------------------------------------------------ the reference's derivation


def _mp_row_loss(x, y, cw, g, e):
    """One categorical term in mpmath, straight from the definition."""
    K = len(x)
    m = max(x)
    s = mp.fsum(mp.exp(v - m) for v in x)
    lse = m + mp.log(s)
    ys = [v * (1 - e) + e / K for v in y]
    return mp.fsum(-cw[k] * ys[k] * (1 - mp.exp(x[k] - lse)) ** g * (x[k] - lse)
                   for k in range(K))


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.5])
def test_categorical_reference_hessian_is_the_second_derivative_of_the_loss(gamma):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 4)) * 2
    Y = rng.dirichlet(np.ones(4), 3)
    cw = rng.random(4) + 0.5
    _, grad, _, hess, _ = cce_ref(Y, X, from_logits=True, class_weight=cw, label_smoothing=0.1,
                                  focal_gamma=gamma, reduction="sum", return_hess=True)
    with mp.workdps(DPS):
        for i in range(3):
            for j in range(4):
                def f(t, i=i, j=j):
                    x = [mp.mpf(float(v)) for v in X[i]]
                    x[j] = t
                    return _mp_row_loss(x, [mp.mpf(float(v)) for v in Y[i]],
                                        [mp.mpf(float(v)) for v in cw], mp.mpf(gamma),
                                        mp.mpf(0.1))
                x0 = mp.mpf(float(X[i, j]))
                assert abs(float(mp.diff(f, x0, 1)) - grad[i, j]) <= 1e-14 * abs(grad[i, j])
                assert abs(float(mp.diff(f, x0, 2)) - hess[i, j]) <= 1e-14 * abs(hess[i, j])


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.5])
def test_binary_reference_hessian_is_the_second_derivative_of_the_loss(gamma):
    x = np.array([-30.0, -3.0, -0.2, 0.0, 0.7, 4.0, 25.0])
    y = np.array([0.3, 1.0, 0.0, 0.6, 1.0, 0.0, 0.9])
    _, grad, _, hess, _ = bce_ref(y, x, from_logits=True, pos_weight=1.7, focal_gamma=gamma,
                                  label_smoothing=0.1, reduction="sum", return_hess=True)
    with mp.workdps(DPS):
        for i in range(len(x)):
            yy = mp.mpf(float(y[i])) * mp.mpf(0.9) + mp.mpf(0.1) / 2

            def f(t, yy=yy):
                p = 1 / (1 + mp.exp(-t))
                return -(mp.mpf(1.7) * yy * (1 - p) ** gamma * mp.log(p)
                         + (1 - yy) * p ** gamma * mp.log(1 - p))
            x0 = mp.mpf(float(x[i]))
            assert abs(float(mp.diff(f, x0, 1)) - grad[i]) <= 1e-14 * abs(grad[i])
            assert abs(float(mp.diff(f, x0, 2)) - hess[i]) <= 1e-14 * abs(hess[i])


# ------------------------------------------------------------------ the kernels, adversarial

CASES = [c for c in TA.CASE_NAMES if "K1000" not in c]


@functools.lru_cache(maxsize=None)
def _hess_reference(case, dtype_name, form, gamma):
    X, y = TA._CASES[np.dtype(dtype_name).type][case]
    yt = TA._soft_labels(X, y, 7) if form == "soft" else y
    _, _, _, h, hs = cce_ref(yt, X, from_logits=True, reduction="none", focal_gamma=gamma,
                             return_hess=True)
    return h, hs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("form", ["int", "soft"])
@pytest.mark.parametrize("case", CASES)
def test_categorical_hessian_on_adversarial_logits(case, form, gamma, dtype):
    X, y = TA._CASES[dtype][case]
    eps, tiny = TA._eps(dtype)
    ref, scale = _hess_reference(case, np.dtype(dtype).name, form, gamma)
    yt = TA._soft_labels(X, y, 7) if form == "soft" else y
    _, _, hess = cce(yt, X, from_logits=True, reduction="none", focal_gamma=gamma,
                     return_hess=True)
    assert hess.dtype == dtype and hess.shape == X.shape
    if gamma == 0.0:  # a p (1 - p): a product, no cancellation
        assert_within(hess, ref, rtol=4 * eps, atol=tiny, what=f"hess {case}")
    else:
        assert_within(hess, ref, rtol=16 * eps, atol=tiny, scale=scale, what=f"hess {case}")
    assert np.all(hess[np.isneginf(X)] == 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("target", ["zeros", "ones", "soft"])
def test_binary_hessian_on_adversarial_logits(target, gamma, dtype):
    x = TA._binary_logits(dtype)
    rng = np.random.default_rng(11)
    Y = {"zeros": np.zeros(len(x)), "ones": np.ones(len(x)), "soft": rng.random(len(x))}[target]
    X, Y = x.reshape(-1, 2), Y.reshape(-1, 2)
    eps, tiny = TA._eps(dtype)
    kw = dict(pos_weight=np.array([1.0, 2.5]), label_smoothing=0.1, focal_gamma=gamma,
              sample_weight=rng.random((len(X), 2)))
    _, _, _, ref, scale = bce_ref(Y, X, from_logits=True, reduction="none", return_hess=True,
                                  **kw)
    _, _, hess = bce(Y, X, from_logits=True, reduction="none", return_hess=True, **kw)
    rtol = 4 * eps if gamma == 0 else 16 * eps
    assert_within(hess, ref, rtol=rtol, atol=tiny, scale=scale, what=f"bce hess {target}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_confident_rows_keep_their_tiny_hessian(dtype):
    # p_t = 1 - 1e-20: p (1 - p) from the rounded p is exactly 0; from the other classes'
    # mass it is 1e-20
    delta = 46.0 if dtype == np.float64 else 20.0
    X = np.array([[delta, 0.0, 0.0]], dtype=dtype)
    _, _, hess = cce(np.array([0]), X, from_logits=True, reduction="sum", return_hess=True)
    _, _, _, ref, _ = cce_ref(np.array([0]), X, from_logits=True, reduction="sum",
                              return_hess=True)
    P = np.exp(X - X.max()) / np.exp(X - X.max()).sum()
    assert P[0, 0] * (1 - P[0, 0]) == 0  # the naive diagonal
    assert hess[0, 0] > 0
    assert_within(hess, ref, rtol=4 * TA._eps(dtype)[0], atol=0, what="tiny hessian")
    _, _, hb = bce(np.ones(1), np.array([2 * delta], dtype=dtype), from_logits=True,
                   return_hess=True)
    assert hb[0] > 0


# ------------------------------------------------------------------ the contract


@pytest.mark.parametrize("reduction", ["mean", "sum_over_batch_size", "sum_by_nonzero_weights"])
@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_reduced_hessian_is_the_summed_hessian_over_the_denominator(reduction, gamma):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 4))
    t = rng.integers(0, 4, 30)
    sw = rng.random(30)
    sw[3] = 0
    kw = dict(from_logits=True, sample_weight=sw, focal_gamma=gamma)
    _, g_sum, h_sum = cce(t, X, reduction="sum", return_hess=True, **kw)
    loss, grad, hess = cce(t, X, reduction=reduction, return_hess=True, **kw)
    ratio = g_sum[0, 0] / grad[0, 0]
    np.testing.assert_allclose(g_sum / ratio, grad, rtol=1e-14)
    np.testing.assert_allclose(h_sum / ratio, hess, rtol=1e-14)


@pytest.mark.parametrize("gamma", [0.0, 1.5])
def test_hessian_with_every_family_option_matches_finite_differences(gamma):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((8, 4)) * 2
    h = 1e-6
    t = rng.integers(0, 4, 8)
    t[2] = -1
    cases = [
        (cce, t, dict(class_weight=rng.random(4) + 0.5, ignore_index=-1, label_smoothing=0.1,
                      sample_weight=rng.random(8))),
        (bce, rng.random((8, 4)), dict(pos_weight=rng.random(4) + 0.5, label_smoothing=0.1,
                                       sample_weight=rng.random((1, 4)),
                                       where=rng.random((8, 4)) < 0.7)),
    ]
    for fn, y, kw in cases:
        kw = dict(kw, from_logits=True, focal_gamma=gamma, reduction="mean")
        _, _, hess = fn(y, X, return_hess=True, **kw)
        fd = np.empty_like(X)
        for idx in np.ndindex(X.shape):
            Xp, Xm = X.copy(), X.copy()
            Xp[idx] += h
            Xm[idx] -= h
            fd[idx] = (fn(y, Xp, return_grad=True, **kw)[1][idx]
                       - fn(y, Xm, return_grad=True, **kw)[1][idx]) / (2 * h)
        np.testing.assert_allclose(hess, fd, rtol=1e-6, atol=1e-8 * np.abs(fd).max())


def test_plain_categorical_diagonal_agrees_with_the_newton_cg_hessian_data():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((20, 5))
    Y = rng.dirichlet(np.ones(5), 20) * 0.9  # rows summing to 0.9: a_i = 0.9 w_i
    sw = rng.random(20)
    fam = _engine.CATEGORICAL
    prep = fam.prepare(Y, X, from_logits=True, sample_weight=sw)
    data = fam.hessian_buffers(prep)
    fam.run(prep, **data)
    # the diagonal of a_i (diag(p) - p p^T), column by column through apply_hessian
    diag = np.empty_like(X)
    for k in range(5):
        U = np.zeros_like(X)
        U[:, k] = 1.0
        diag[:, k] = fam.apply_hessian(data, U)[:, k]
    _, _, hess = cce(Y, X, from_logits=True, sample_weight=sw, reduction="sum",
                     return_hess=True)
    np.testing.assert_allclose(hess, diag, rtol=1e-13)


def test_focal_has_no_full_hessian_data():
    prep = _engine.CATEGORICAL.prepare(np.array([0]), np.zeros((1, 3)), from_logits=True,
                                       focal_gamma=2.0)
    with pytest.raises(ValueError, match="focal_gamma"):
        _engine.CATEGORICAL.hessian_buffers(prep)


@pytest.mark.parametrize("fn", [bce, cce])
def test_return_hess_with_probabilities_is_a_value_error_naming_it(fn):
    with pytest.raises(ValueError, match="return_hess"):
        fn(np.array([0, 1]), np.array([[0.3, 0.7], [0.6, 0.4]]), from_logits=False,
           return_hess=True)


def test_ignored_samples_have_zero_hessian():
    X = np.random.default_rng(3).standard_normal((4, 3))
    _, _, hess = cce(np.array([0, -1, 2, -1]), X, from_logits=True, ignore_index=-1,
                     return_hess=True, focal_gamma=1.0)
    assert np.all(hess[[1, 3]] == 0) and np.all(hess[[0, 2]] > 0)
    _, _, hess = cce(np.array([-1, -1]), X[:2], from_logits=True, ignore_index=-1,
                     return_hess=True)
    assert np.all(hess == 0)  # zero denominator


# ------------------------------------------------------------------ Dask


def test_return_hess_on_dask_arrays_equals_in_memory():
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(4)
    X = rng.standard_normal((60, 5))
    t = rng.integers(0, 5, 60)
    Y = rng.random((60, 5))
    with dask.config.set(scheduler="synchronous"):
        for fn, lab in ((cce, t), (bce, Y)):
            for reduction in ("mean", "none"):
                ref = fn(lab, X, from_logits=True, focal_gamma=1.0, reduction=reduction,
                         return_hess=True)
                got = fn(da.from_array(lab, chunks=(25,) + lab.shape[1:]),
                         da.from_array(X, chunks=(25, 5)), from_logits=True, focal_gamma=1.0,
                         reduction=reduction, return_hess=True)
                for a, b in zip(ref, dask.compute(*got)):
                    np.testing.assert_allclose(b, a, rtol=1e-14)
