"""``skxent.special``: logsumexp, log_softmax, softmax, log_sigmoid, sigmoid.

Design note
-----------
Shapes and dtypes follow the API page: 1-D input is one row, 2-D input works along the last
axis (the sigmoid pair is elementwise), float32 stays float32, other real dtypes become float64.
Values are checked against scipy on ordinary inputs and against exact mpmath references
(``_reference``) on extreme ones (4 eps relative, elementwise), and the identities that users
rely on are pinned: softmax rows sum to 1, ``exp(log_softmax) == softmax``,
``log_sigmoid(x) = -softplus(-x)``, and the gradient of soft-label cross-entropy with respect to
the labels is ``-log_softmax(logits)`` (finite differences on ``categorical_cross_entropy``).
"""

import numpy as np
import pytest
import scipy.special as sps

from _reference import (
    LAYOUTS,
    assert_within,
    log_sigmoid_ref,
    log_softmax_ref,
    logsumexp_ref,
    make_layout,
    sigmoid_ref,
    softmax_ref,
)
from skxent.losses import categorical_cross_entropy
from skxent.special import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax

DTYPES = (np.float32, np.float64)
ROW_FUNCS = {
    "logsumexp": (logsumexp, lambda a: sps.logsumexp(a, axis=-1)),
    "log_softmax": (log_softmax, lambda a: sps.log_softmax(a, axis=-1)),
    "softmax": (softmax, lambda a: sps.softmax(a, axis=-1)),
}
ELEM_FUNCS = {
    "log_sigmoid": (log_sigmoid, sps.log_expit),
    "sigmoid": (sigmoid, sps.expit),
}
ALL_FUNCS = {**ROW_FUNCS, **ELEM_FUNCS}


def _expected_shape(name, shape):
    return shape[:-1] if name == "logsumexp" else shape


@pytest.mark.parametrize("name", sorted(ALL_FUNCS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(7,), (5, 7), (1, 1), (3, 1)])
def test_matches_scipy_shapes_and_dtypes(rng, name, dtype, shape):
    func, ref = ALL_FUNCS[name]
    a = (rng.standard_normal(shape) * 4).astype(dtype)
    got = func(a)
    exp = ref(a.astype(np.float64))
    assert np.shape(got) == _expected_shape(name, shape)
    assert np.asarray(got).dtype == dtype
    # scipy is itself only accurate to ~1e-13 here (its log_softmax loses digits near 0); the
    # ulp-level claims are checked against mpmath below
    rtol = 1e-12 if dtype == np.float64 else 4 * float(np.finfo(dtype).eps)
    np.testing.assert_allclose(np.asarray(got, np.float64), exp, rtol=rtol, atol=rtol * 1e-3)


@pytest.mark.parametrize("name", sorted(ALL_FUNCS))
@pytest.mark.parametrize("in_dtype", [np.float16, np.int64, np.int32, bool])
def test_other_real_dtypes_give_float64(name, in_dtype):
    func, ref = ALL_FUNCS[name]
    a = np.array([[0, 1, 1], [1, 0, 1]]).astype(in_dtype)
    got = func(a)
    assert np.asarray(got).dtype == np.float64
    np.testing.assert_allclose(got, ref(a.astype(np.float64)), rtol=1e-15)


@pytest.mark.parametrize("name", sorted(ALL_FUNCS))
def test_lists_accepted(name):
    func, ref = ALL_FUNCS[name]
    a = [[0.5, -1.0, 3.0], [2.0, 2.0, 2.0]]
    np.testing.assert_allclose(func(a), ref(np.array(a)), rtol=1e-15)


@pytest.mark.parametrize("name", sorted(ALL_FUNCS))
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_threads", [1, 2])
def test_layouts_and_threads_agree(rng, name, layout, dtype, n_threads):
    func, _ = ALL_FUNCS[name]
    a = (rng.standard_normal((31, 6)) * 3).astype(dtype)
    exp = func(a)
    b = make_layout(a, layout)
    before = b.copy()
    got = func(b, n_threads=n_threads)
    assert np.array_equal(b, before)  # input untouched
    assert np.asarray(got).dtype == dtype
    np.testing.assert_allclose(got, exp, rtol=2 * float(np.finfo(dtype).eps))


@pytest.mark.parametrize("name", sorted(ALL_FUNCS))
def test_input_never_modified_and_readonly_ok(rng, name):
    func, _ = ALL_FUNCS[name]
    a = rng.standard_normal((4, 5))
    c = a.copy()
    a.setflags(write=False)
    func(a)
    assert np.array_equal(a, c)


# ------------------------------------------------------------------ extreme inputs vs mpmath


def _extreme_rows(dtype):
    big = 1e6 if dtype == np.float64 else 1e3
    lim = 700.0 if dtype == np.float64 else 80.0
    rows = [
        [0.0, 0.0, 0.0, 0.0],
        [lim, 0.0, -lim, 1.0],
        [-lim, -lim - 1, -lim - 2, -lim - 3],
        [big, big + 1, big - 1, big + 0.5],
        [-big, -big + 1, -big - 1, -big + 0.5],
        [1e-6, -2e-6, 3e-6, 0.0],
        [1e4, -1e4, 0.5, 1e4 - 30],
        [40.0, 0.0, 0.0, 0.0],
        [-np.inf, 1.0, 2.0, -np.inf],
        [3.0, 3.0, -np.inf, 3.0],
        [-np.inf] * 4,  # 0 / 0: logsumexp -inf, (log_)softmax NaN as in scipy
    ]
    return np.array(rows, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp_extreme_rows_within_4_eps(dtype):
    a = _extreme_rows(dtype)
    got = logsumexp(a)
    ref, scale = logsumexp_ref(a)
    eps, tiny = float(np.finfo(dtype).eps), np.finfo(dtype).tiny
    # relative to the size of the two added parts |m| + log1p(rest) (they can cancel)
    assert_within(got, ref, rtol=4 * eps, atol=tiny, scale=scale, what="logsumexp")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", ["log_softmax", "softmax"])
def test_log_softmax_and_softmax_extreme_rows_elementwise_within_4_eps(dtype, which):
    a = _extreme_rows(dtype)
    func, ref = {"log_softmax": (log_softmax, log_softmax_ref),
                 "softmax": (softmax, softmax_ref)}[which]
    got = func(a)
    eps, tiny = float(np.finfo(dtype).eps), np.finfo(dtype).tiny
    assert_within(got, ref(a), rtol=4 * eps, atol=tiny, what=which)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", ["log_sigmoid", "sigmoid"])
def test_sigmoid_pair_extreme_inputs_within_4_eps(dtype, which):
    vals = [0.0, 1e-30, -1e-30, 1e-6, -1e-6, 0.5, -0.5, 1.0, 10.0, -10.0, 17.0, 20.0, 36.0,
            37.0, 40.0, -40.0, 80.0, -80.0, 88.0, -88.0, 103.0, -103.0]
    if dtype == np.float64:
        vals += [700.0, -700.0, 709.0, -709.0, 745.0, -745.0, 750.0, -750.0, 1e4, -1e4,
                 1e300, -1e300]
    x = np.array(vals, dtype=dtype)
    func, ref = {"log_sigmoid": (log_sigmoid, log_sigmoid_ref),
                 "sigmoid": (sigmoid, sigmoid_ref)}[which]
    got = func(x)
    eps, tiny = float(np.finfo(dtype).eps), np.finfo(dtype).tiny
    assert_within(got, ref(x), rtol=4 * eps, atol=tiny, what=which)
    assert not np.any(np.isnan(got))


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_sigmoid_of_large_positive_is_tiny_not_zero(dtype):
    x = np.array([30.0, 40.0] if dtype == np.float32 else [40.0, 600.0], dtype=dtype)
    got = log_sigmoid(x)
    assert np.all(got < 0)
    assert_within(got, log_sigmoid_ref(x), rtol=4 * float(np.finfo(dtype).eps), atol=0,
                  what="log_sigmoid")


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_rows_at_many_scales_within_4_eps(rng, dtype):
    eps, tiny = float(np.finfo(dtype).eps), np.finfo(dtype).tiny
    for scale in (1e-6, 1.0, 30.0, 1e3):
        a = (rng.standard_normal((3, 9)) * scale).astype(dtype)
        assert_within(log_softmax(a), log_softmax_ref(a), rtol=4 * eps, atol=tiny,
                      what=f"log_softmax scale {scale}")
        assert_within(softmax(a), softmax_ref(a), rtol=4 * eps, atol=tiny,
                      what=f"softmax scale {scale}")
        v, sc = logsumexp_ref(a)
        assert_within(logsumexp(a), v, rtol=4 * eps, atol=tiny, scale=sc,
                      what=f"logsumexp scale {scale}")
        assert_within(log_sigmoid(a), log_sigmoid_ref(a), rtol=4 * eps, atol=tiny,
                      what=f"log_sigmoid scale {scale}")
        assert_within(sigmoid(a), sigmoid_ref(a), rtol=4 * eps, atol=tiny,
                      what=f"sigmoid scale {scale}")


def test_nan_propagates_and_minus_inf_masks():
    a = np.array([[np.nan, 0.0, 1.0], [-np.inf, 0.0, 0.0]])
    assert np.isnan(logsumexp(a)[0]) and logsumexp(a)[1] == pytest.approx(np.log(2))
    assert np.all(np.isnan(softmax(a)[0]))
    assert softmax(a)[1, 0] == 0.0 and log_softmax(a)[1, 0] == -np.inf
    assert np.isnan(sigmoid(np.array([np.nan]))[0])
    assert sigmoid(np.array([-np.inf, np.inf])).tolist() == [0.0, 1.0]


def test_no_nan_for_huge_finite_inputs():
    a = np.array([[1e308, -1e308, 0.0], [-1e308, -1e308, -1e308], [1e308, 1e308, 1e308]])
    for f in (logsumexp, log_softmax, softmax, log_sigmoid, sigmoid):
        assert not np.any(np.isnan(f(a))), f.__name__
    np.testing.assert_allclose(softmax(a)[2], 1 / 3, rtol=1e-15)


# ------------------------------------------------------------------ identities


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_rows_sum_to_one(rng, dtype):
    a = (rng.standard_normal((50, 13)) * 10).astype(dtype)
    s = softmax(a).astype(np.float64).sum(1)
    np.testing.assert_allclose(s, 1.0, rtol=0, atol=13 * float(np.finfo(dtype).eps))


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_log_softmax_equals_softmax(rng, dtype):
    a = (rng.standard_normal((20, 8)) * 5).astype(dtype)
    np.testing.assert_allclose(np.exp(log_softmax(a).astype(np.float64)), softmax(a),
                               rtol=8 * float(np.finfo(dtype).eps) * 20)


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_sigmoid_is_minus_softplus_of_minus_x(rng, dtype):
    x = (rng.standard_normal(100) * 20).astype(dtype)
    softplus = np.logaddexp(0.0, -x.astype(np.float64))
    np.testing.assert_allclose(log_sigmoid(x), -softplus, rtol=4 * float(np.finfo(dtype).eps))
    np.testing.assert_allclose(sigmoid(x) + sigmoid(-x), 1.0, rtol=2 * float(np.finfo(dtype).eps))


def test_logsumexp_minus_log_softmax_recovers_logits(rng):
    a = rng.standard_normal((6, 4)) * 3
    np.testing.assert_allclose(logsumexp(a)[:, None] + log_softmax(a), a, rtol=1e-14, atol=1e-14)


def test_gradient_wrt_soft_labels_is_minus_log_softmax(rng):
    X = rng.standard_normal((3, 5)) * 2
    Y = rng.dirichlet(np.ones(5), size=3)
    h = 1e-6
    fd = np.empty_like(Y)
    for idx in np.ndindex(Y.shape):
        Yp, Ym = Y.copy(), Y.copy()
        Yp[idx] += h
        Ym[idx] -= h
        fd[idx] = (categorical_cross_entropy(Yp, X, from_logits=True, reduction="sum")
                   - categorical_cross_entropy(Ym, X, from_logits=True, reduction="sum")) / (2 * h)
    np.testing.assert_allclose(fd, -log_softmax(X), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(ALL_FUNCS))
def test_n_threads_validation(name):
    func, _ = ALL_FUNCS[name]
    a = np.zeros((2, 3))
    for bad in (0, -1):
        with pytest.raises(ValueError, match="n_threads"):
            func(a, n_threads=bad)
