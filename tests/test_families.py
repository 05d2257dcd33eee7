"""Tests run over every loss family of the engine's registry (``skxent._engine.FAMILIES``).

Design note
-----------
Modelled on scikit-learn's ``sklearn/_loss/tests/test_loss.py`` (parametrised over
``LOSS_INSTANCES``): a family added to the registry gets these tests without new test code:
dtypes, memory layouts, read-only inputs, ``n_threads`` bit-identity, every reduction against its
definition from the per-term losses, finite-difference gradients, the Hessian data the kernels
write (against finite differences of the gradient, and without changing the loss or the
gradient), the family's total weight, pickling, and accuracy against the 60-digit reference of
``_reference.py``. The only per-family test code is :data:`REFERENCES` (the exact definition of
a family's loss) and the label generator, which reads the family's ``integer_labels`` and
``distribution_labels`` attributes; label smoothing is passed to the families whose
``smoothing`` attribute says they take it.

Inputs are logits: the probability paths and each family's own options (ignore_index,
pos_weight, ...) have family-specific tests in ``test_losses_*.py``.
"""

import pickle

import numpy as np
import pytest

from _reference import LAYOUTS, assert_within, bce_ref, cce_ref, check_fd, kl_ref, make_layout
from skxent import _engine
from skxent._engine import FAMILIES

FAMILY_LIST = [FAMILIES[name] for name in sorted(FAMILIES)]
DTYPES = (np.float32, np.float64)
REDUCTIONS = _engine.REDUCTIONS

#: The exact (mpmath) definition of each family's loss, same keywords as the engine.
REFERENCES = {"categorical": cce_ref, "binary": bce_ref, "kl_divergence": kl_ref}


def _labels(family, rng, shape, *, soft=False):
    """Valid labels of ``family`` for logits of ``shape``: integer class indices when the
    family takes them, else rows of class probabilities (one-hot, or soft) when it takes
    those, else targets in [0, 1] of the logits' shape."""
    n, K = shape
    if family.integer_labels and not soft:
        return rng.integers(0, K, size=n)
    if family.distribution_labels:
        return rng.dirichlet(np.ones(K), size=n) if soft else np.eye(K)[rng.integers(0, K, n)]
    return (rng.random(shape) < 0.4).astype(np.float64) if not soft else rng.random(shape)


def _smoothing(family, e):
    """``label_smoothing=e`` for the families that take it."""
    return {"label_smoothing": e} if family.smoothing else {}


def _problem(family, rng, *, n=37, K=5, dtype=np.float64, soft=False, weighted=True):
    z = (3 * rng.standard_normal((n, K))).astype(dtype)
    y = _labels(family, rng, (n, K), soft=soft)
    sw = rng.random(n) + 0.1 if weighted else None
    return y, z, sw


def _loss(family, y, z, **kw):
    kw.setdefault("from_logits", True)
    return _engine.loss(family, y, z, **kw)


@pytest.fixture(params=FAMILY_LIST, ids=lambda f: f.name)
def family(request):
    return request.param


def _takes(family, option):
    """Whether ``family`` takes the keyword ``option`` (its ``prepare``'s signature says)."""
    import inspect

    return option in inspect.signature(family.prepare).parameters


FOCAL_FAMILIES = [f for f in FAMILY_LIST if _takes(f, "focal_gamma")]


@pytest.fixture(params=FOCAL_FAMILIES, ids=lambda f: f.name)
def focal_family(request):
    return request.param


def test_every_family_has_an_exact_reference():
    assert set(REFERENCES) == set(FAMILIES)


def test_family_pickles_to_its_registry_instance(family):
    assert pickle.loads(pickle.dumps(family)) is family


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_dtype_is_kept_for_loss_and_gradient(family, dtype, reduction):
    y, z, sw = _problem(family, np.random.default_rng(0), dtype=dtype)
    loss, grad = _loss(family, y, z, sample_weight=sw, reduction=reduction, return_grad=True)
    assert np.asarray(loss).dtype == dtype and grad.dtype == dtype
    assert grad.shape == z.shape
    assert np.shape(loss) == (family.loss_shape(z.shape) if reduction == "none" else ())


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_memory_layout_gives_bit_identical_results(family, layout, dtype):
    y, z, sw = _problem(family, np.random.default_rng(1), dtype=dtype, soft=True)
    ref = _loss(family, y, z, sample_weight=sw, reduction="none", return_grad=True)
    zl, yl = make_layout(z, layout), make_layout(y, layout)
    zc, yc = zl.copy(), yl.copy()
    got = _loss(family, yl, zl, sample_weight=sw, reduction="none", return_grad=True)
    np.testing.assert_array_equal(got[0], ref[0])
    np.testing.assert_array_equal(got[1], ref[1])
    np.testing.assert_array_equal(zl, zc)  # inputs never written
    np.testing.assert_array_equal(yl, yc)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_results_are_bit_identical_for_every_n_threads(family, reduction):
    # large enough for the kernels to split the work (more than 65536 elements)
    y, z, sw = _problem(family, np.random.default_rng(2), n=40_000, K=7)
    runs = [_loss(family, y, z, sample_weight=sw, reduction=reduction, return_grad=True,
                  n_threads=nt) for nt in (1, 2, 3)]
    for loss, grad in runs[1:]:
        np.testing.assert_array_equal(loss, runs[0][0])
        np.testing.assert_array_equal(grad, runs[0][1])


@pytest.mark.parametrize("soft", [False, True])
def test_reductions_are_their_definitions_over_the_per_term_losses(family, soft):
    rng = np.random.default_rng(3)
    y, z, sw = _problem(family, rng, soft=soft)
    sw[[2, 5]] = 0.0
    terms = _loss(family, y, z, sample_weight=sw, reduction="none")
    prep = family.prepare(y, z, from_logits=True, sample_weight=sw)
    sums = family.denominators(prep)
    total = terms.sum(dtype=np.float64)
    expected = {
        "sum": total,
        "mean": total / sums.wsum,
        "sum_over_batch_size": total / sums.nterms,
        "sum_by_nonzero_weights": total / sums.nnz,
    }
    for reduction, value in expected.items():
        got = _loss(family, y, z, sample_weight=sw, reduction=reduction)
        np.testing.assert_allclose(got, value, rtol=1e-13, err_msg=reduction)
    # the per-term weights are what the API says: zero-weight terms are out of the count
    n_per_sample = terms.size // terms.shape[0]
    assert sums.nnz == n_per_sample * np.count_nonzero(sw) or family.integer_labels


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("soft", [False, True])
def test_gradient_matches_finite_differences(family, reduction, soft):
    y, z, sw = _problem(family, np.random.default_rng(4), n=6, K=4, soft=soft)
    smooth = _smoothing(family, 0.1)
    _, grad = _loss(family, y, z, sample_weight=sw, reduction=reduction, return_grad=True,
                    **smooth)
    check_fd(lambda Z: _loss(family, y, Z, sample_weight=sw, reduction=reduction, **smooth),
             z, grad)


@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_hessian_data_from_the_kernel_matches_finite_differences_of_the_gradient(
        family, soft, smoothing):
    if smoothing and not family.smoothing:
        pytest.skip("the family takes no label_smoothing")
    rng = np.random.default_rng(5)
    y, z, sw = _problem(family, rng, n=9, K=4, soft=soft)
    kw = dict(sample_weight=sw, **_smoothing(family, smoothing))
    prep = family.prepare(y, z, from_logits=True, **kw)
    hess = family.hessian_buffers(prep)
    family.run(prep, **hess)
    U = rng.standard_normal(z.shape)
    HU = family.apply_hessian(hess, U.copy())
    h = 1e-6
    gp = _loss(family, y, z + h * U, reduction="sum", return_grad=True, **kw)[1]
    gm = _loss(family, y, z - h * U, reduction="sum", return_grad=True, **kw)[1]
    np.testing.assert_allclose(HU, (gp - gm) / (2 * h), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", DTYPES)
def test_writing_the_hessian_data_changes_neither_loss_nor_gradient(family, dtype):
    y, z, sw = _problem(family, np.random.default_rng(6), dtype=dtype, soft=True)
    plain_prep = family.prepare(y, z, from_logits=True, sample_weight=sw)
    g1 = np.empty_like(z)
    s1 = family.run(plain_prep, grad_out=g1)
    prep = family.prepare(y, z, from_logits=True, sample_weight=sw)
    g2 = np.empty_like(z)
    hess = family.hessian_buffers(prep)
    s2 = family.run(prep, grad_out=g2, **hess)
    assert s1 == s2
    np.testing.assert_array_equal(g1, g2)
    assert all(b.dtype == dtype for b in hess.values())


def test_total_weight_is_the_mean_denominator_per_output(family):
    y, z, sw = _problem(family, np.random.default_rng(7))
    S = family.total_weight(y, z.shape[1], sample_weight=sw)
    prep = family.prepare(y, z, from_logits=True, sample_weight=sw)
    per_output = family.loss_shape(z.shape)[1:] or (1,)
    np.testing.assert_allclose(S * np.prod(per_output), family.denominators(prep).wsum,
                               rtol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_loss_and_gradient_within_4_and_8_eps_of_the_exact_reference(family, dtype, reduction):
    rng = np.random.default_rng(8)
    z = (rng.standard_normal((25, 6)) * np.array([1e-6, 1.0, 30.0, 1.0, 300.0, 1e3])[:, None]
         .repeat(5, axis=0)[:25]).astype(dtype)
    y = _labels(family, rng, z.shape)
    sw = rng.random(25) + 0.5
    loss, grad = _loss(family, y, z, sample_weight=sw, reduction=reduction, return_grad=True)
    ref_loss, ref_grad, _ = REFERENCES[family.name](y, z, from_logits=True, sample_weight=sw,
                                                    reduction=reduction)
    eps = float(np.finfo(dtype).eps)
    tiny = float(np.finfo(dtype).tiny)
    assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what="loss")
    assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, what="gradient")


# -- options every family has: focal_gamma, return_hess ---------------------------------------

GAMMAS = (0.5, 2.0)


@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_focal_gamma_zero_is_bit_identical_to_plain_cross_entropy(focal_family, from_logits,
                                                                  reduction):
    family = focal_family
    rng = np.random.default_rng(9)
    y, z, sw = _problem(family, rng, soft=True)
    if not from_logits:  # probabilities of the family's kind
        z = np.exp(z) / np.exp(z).sum(1, keepdims=True) if family.integer_labels \
            else 1 / (1 + np.exp(-z))
    kw = dict(sample_weight=sw, reduction=reduction, return_grad=True, from_logits=from_logits,
              label_smoothing=0.1)
    plain = _loss(family, y, z, **kw)
    focal0 = _loss(family, y, z, focal_gamma=0.0, **kw)
    for a, b in zip(plain, focal0):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("soft", [False, True])
def test_focal_gradient_matches_finite_differences(focal_family, gamma, reduction, soft):
    family = focal_family
    y, z, sw = _problem(family, np.random.default_rng(10), n=6, K=4, soft=soft)
    kw = dict(sample_weight=sw, reduction=reduction, label_smoothing=0.1, focal_gamma=gamma)
    _, grad = _loss(family, y, z, return_grad=True, **kw)
    check_fd(lambda Z: _loss(family, y, Z, **kw), z, grad)


@pytest.mark.parametrize("gamma", (0.0,) + GAMMAS)
@pytest.mark.parametrize("reduction", ["sum", "mean", "none"])
@pytest.mark.parametrize("soft", [False, True])
def test_hessian_diagonal_matches_finite_differences_of_the_gradient(focal_family, gamma, reduction,
                                                                     soft):
    family = focal_family
    rng = np.random.default_rng(11)
    y, z, sw = _problem(family, rng, n=7, K=4, soft=soft)
    kw = dict(sample_weight=sw, reduction=reduction, label_smoothing=0.1, focal_gamma=gamma)
    loss, grad, hess = _loss(family, y, z, return_hess=True, **kw)
    assert hess.shape == z.shape and hess.dtype == z.dtype
    np.testing.assert_array_equal(grad, _loss(family, y, z, return_grad=True, **kw)[1])
    h = 1e-6
    fd = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        fd[idx] = (_loss(family, y, zp, return_grad=True, **kw)[1][idx]
                   - _loss(family, y, zm, return_grad=True, **kw)[1][idx]) / (2 * h)
    np.testing.assert_allclose(hess, fd, rtol=1e-6, atol=1e-7 * np.abs(fd).max())


@pytest.mark.parametrize("gamma", (0.0, 2.0))
@pytest.mark.parametrize("dtype", DTYPES)
def test_hessian_is_bit_identical_for_every_layout_and_n_threads(focal_family, gamma, dtype):
    family = focal_family
    y, z, sw = _problem(family, np.random.default_rng(12), n=20_000, K=7, dtype=dtype,
                        soft=True)
    kw = dict(sample_weight=sw, focal_gamma=gamma, return_hess=True)
    ref = _loss(family, y, z, n_threads=1, **kw)
    runs = [_loss(family, y, z, n_threads=3, **kw),
            _loss(family, make_layout(y, "F"), make_layout(z, "negative"), n_threads=2, **kw)]
    for run in runs:
        for a, b in zip(ref, run):
            np.testing.assert_array_equal(a, b)


def test_return_hess_needs_logits(family):
    y, z, _ = _problem(family, np.random.default_rng(13))
    p = 1 / (1 + np.exp(-z))
    with pytest.raises(ValueError, match="return_hess"):
        _loss(family, y, p / p.sum(1, keepdims=True), from_logits=False, return_hess=True)


@pytest.mark.parametrize("bad", [-0.5, np.nan, np.inf])
def test_negative_or_non_finite_focal_gamma_is_a_value_error(focal_family, bad):
    family = focal_family
    y, z, _ = _problem(family, np.random.default_rng(14))
    with pytest.raises(ValueError, match="focal_gamma"):
        _loss(family, y, z, focal_gamma=bad)
    with pytest.raises(TypeError, match="focal_gamma"):
        _loss(family, y, z, focal_gamma="2")


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_focal_loss_gradient_and_hessian_within_tolerance_of_the_exact_reference(
        focal_family, gamma, dtype):
    family = focal_family
    rng = np.random.default_rng(15)
    z = (rng.standard_normal((25, 6)) * np.array([1e-6, 1.0, 30.0, 1.0, 300.0, 1e3])[:, None]
         .repeat(5, axis=0)[:25]).astype(dtype)
    y = _labels(family, rng, z.shape)
    sw = rng.random(25) + 0.5
    loss, grad, hess = _loss(family, y, z, sample_weight=sw, reduction="none",
                             focal_gamma=gamma, return_hess=True)
    ref_loss, ref_grad, ref_gs, ref_hess, ref_hs = REFERENCES[family.name](
        y, z, from_logits=True, sample_weight=sw, focal_gamma=gamma, reduction="none",
        return_hess=True)
    eps = float(np.finfo(dtype).eps)
    tiny = float(np.finfo(dtype).tiny)
    assert_within(loss, ref_loss, rtol=4 * eps, atol=tiny, what="loss")
    assert_within(grad, ref_grad, rtol=8 * eps, atol=tiny, scale=ref_gs, what="gradient")
    # the Hessian's diagonal is a genuine difference (focal loss is not convex): within
    # 16 eps of the size of its cancelling parts
    assert_within(hess, ref_hess, rtol=16 * eps, atol=tiny, scale=ref_hs, what="hessian")
