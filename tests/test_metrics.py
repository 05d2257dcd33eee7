"""Tests of skxent.metrics: the drop-in log_loss, multilabel_log_loss, scorers.

Design note
-----------
``log_loss`` is checked against the installed ``sklearn.metrics.log_loss``
itself: same value (relative 1e-12 for float64, float32 precision for
float32, where scikit-learn computes in float32 and skxent accumulates in
float64), and for bad input the same exception type and message, and the same
warnings. scikit-learn's own test-suite is run separately
(test_sklearn_log_loss_suite.py). ``multilabel_log_loss`` is checked against a
hand-written NumPy formula. The scorers are exercised in real
``cross_val_score`` / ``cross_validate`` / ``GridSearchCV`` runs.
"""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.metrics import log_loss as sk_log_loss

from skxent.metrics import (
    log_loss,
    multilabel_log_loss,
    neg_log_loss_logits_scorer,
    neg_log_loss_scorer,
    neg_multilabel_log_loss_scorer,
)

RTOL = {np.float64: 1e-12, np.float32: 2e-6, np.float16: 5e-3}


def _proba(rng, n, k, dtype=np.float64):
    p = rng.random((n, k)) + 0.01
    p /= p.sum(axis=1, keepdims=True)
    return p.astype(dtype)


def _layout(a, layout):
    if layout == "C":
        return np.ascontiguousarray(a)
    if layout == "F":
        return np.asfortranarray(a)
    # strided: every other row of a twice-as-tall array
    big = np.repeat(a, 2, axis=0)
    return big[::2]


def _same_outcome(args, kwargs=None, rtol=1e-12):
    """Both implementations return the same value or raise the same error,
    and emit the same warnings (category and message)."""
    kwargs = kwargs or {}
    outcomes = []
    for func in (sk_log_loss, log_loss):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            try:
                result = ("value", func(*args, **kwargs))
            except Exception as exc:  # noqa: BLE001 - compared below
                result = ("error", type(exc), str(exc))
        warns = sorted(
            (w.category.__name__, str(w.message))
            for w in rec
            if not issubclass(w.category, (DeprecationWarning, ResourceWarning))
            or issubclass(w.category, FutureWarning)
        )
        outcomes.append((result, warns))
    (sk_res, sk_warns), (sx_res, sx_warns) = outcomes
    assert sk_warns == sx_warns
    assert sk_res[0] == sx_res[0], (sk_res, sx_res)
    if sk_res[0] == "value":
        assert_allclose(sx_res[1], sk_res[1], rtol=rtol, atol=0)
        assert isinstance(sx_res[1], float)
    else:
        assert sx_res[1] is sk_res[1]
        assert sx_res[2] == sk_res[2]
    return sx_res


# -- agreement on valid input --------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_log_loss_matches_sklearn_multiclass(dtype, layout, normalize, weighted):
    rng = np.random.default_rng(0)
    n, k = 300, 7
    p = _layout(_proba(rng, n, k, dtype), layout)
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)
    sw = rng.random(n) if weighted else None
    _same_outcome((y, p), dict(normalize=normalize, sample_weight=sw), rtol=RTOL[dtype])


@pytest.mark.parametrize(
    "make_labels",
    [
        pytest.param(lambda i: i, id="int64"),
        pytest.param(lambda i: (i * 3 + 2).astype(np.int8) - 9, id="int8-negative"),
        pytest.param(lambda i: i.astype(np.uint16) + 1000, id="uint16-offset"),
        pytest.param(lambda i: i * 10**9, id="huge-span"),
        pytest.param(lambda i: i.astype(np.uint64) + np.uint64(2**63 + 7), id="uint64-top"),
        pytest.param(lambda i: i + np.iinfo(np.int64).min, id="int64-bottom"),
        pytest.param(lambda i: i.astype(np.float64) + 1.0, id="float-integral"),
        pytest.param(lambda i: np.array(["b", "a", "d", "c"])[i], id="str"),
        pytest.param(lambda i: np.array(["b", "a", "d", "c"], dtype=object)[i],
                     id="object-str"),
        pytest.param(lambda i: list(np.array(["x", "yy", "z", "w"])[i]), id="list-str"),
        pytest.param(lambda i: i.tolist(), id="list-int"),
    ],
)
def test_log_loss_matches_sklearn_label_types(make_labels):
    rng = np.random.default_rng(1)
    n, k = 200, 4
    idx = rng.integers(0, k, n)
    idx[:k] = np.arange(k)
    _same_outcome((make_labels(idx), _proba(rng, n, k)))


def test_log_loss_matches_sklearn_sparse_integer_labels():
    """Labels 0, 5, 9 (gaps): the lookup table maps them to columns 0, 1, 2."""
    rng = np.random.default_rng(2)
    y = rng.choice([0, 5, 9], 100)
    y[:3] = [0, 5, 9]
    _same_outcome((y, _proba(rng, 100, 3)))


@pytest.mark.parametrize("labels", [[0, 1], np.array([True, False]), ["a", "b"]])
@pytest.mark.parametrize("shape", ["1d", "column"])
def test_log_loss_matches_sklearn_binary_positive_class(labels, shape):
    rng = np.random.default_rng(3)
    n = 150
    idx = rng.integers(0, 2, n)
    idx[:2] = [0, 1]
    y = np.asarray(labels)[idx]
    p = rng.random(n)
    p[:4] = [0.0, 1.0, 1e-20, 1 - 1e-17]  # clipping at both ends
    if shape == "column":
        p = p[:, None]
    _same_outcome((y, p))
    _same_outcome((y, p), dict(sample_weight=rng.random(n), normalize=False))


def test_log_loss_matches_sklearn_bool_labels_two_columns():
    rng = np.random.default_rng(4)
    y = rng.random(50) < 0.5
    y[:2] = [True, False]
    _same_outcome((y, _proba(rng, 50, 2)))


@pytest.mark.parametrize(
    "y, labels, k",
    [
        ([1, 2, 2], [1, 2, 3], 3),
        ([2, 2], [1, 2], 2),
        (["b", "a", "b"], ["a", "b", "c", "d"], 4),
        ([0, 1, 1], [2, 1, 0], 3),  # unsorted labels: warning, same value
    ],
)
def test_log_loss_matches_sklearn_with_labels(y, labels, k):
    rng = np.random.default_rng(5)
    p = _proba(rng, len(y), k)
    if k == 2:
        p = p[:, 1]
    _same_outcome((y, p), dict(labels=labels))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64, bool])
def test_log_loss_matches_sklearn_input_dtypes(dtype):
    rng = np.random.default_rng(6)
    p = _proba(rng, 40, 3)
    if np.dtype(dtype).kind in "ib":
        p = (p == p.max(axis=1, keepdims=True)).astype(dtype)
    else:
        p = p.astype(dtype)
    y = rng.integers(0, 3, 40)
    y[:3] = [0, 1, 2]
    _same_outcome((y, p), rtol=RTOL.get(dtype, 1e-12))


def test_log_loss_matches_sklearn_pandas():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(7)
    p = _proba(rng, 60, 3)
    y = np.array(["ham", "spam", "eggs"])[rng.integers(0, 3, 60)]
    _same_outcome((pd.Series(y), pd.DataFrame(p)))
    _same_outcome((pd.Series(y, dtype="category"), pd.DataFrame(p)))
    w = pd.Series(rng.random(60))
    _same_outcome((pd.Series(y), pd.DataFrame(p)), dict(sample_weight=w))
    idx = rng.integers(0, 3, 60)
    idx[:3] = [0, 1, 2]
    for series in (pd.Series(idx), pd.Series(idx.astype(np.int8), index=np.arange(60) * 2),
                   pd.Series(idx, dtype="Int64"), pd.Series(idx == 1),
                   pd.Series(idx, dtype="category")):
        _same_outcome((series, p))
        _same_outcome((series, p), dict(labels=[0, 1, 2]))


@pytest.mark.parametrize("weights", [[1, 2, 0, 3], [2.0, -1.0, 0.5, 1.0]])
@pytest.mark.parametrize("normalize", [True, False])
def test_log_loss_matches_sklearn_integer_and_negative_weights(weights, normalize):
    y = [0, 1, 2, 1]
    p = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3]]
    _same_outcome((y, p), dict(sample_weight=weights, normalize=normalize))


def test_log_loss_matches_sklearn_multilabel_indicator_y_true():
    """scikit-learn scores an indicator y_true as soft categorical labels."""
    rng = np.random.default_rng(8)
    y = (rng.random((50, 4)) < 0.4).astype(int)
    p = _proba(rng, 50, 4)
    _same_outcome((y, p))
    _same_outcome((y, p), dict(normalize=False, sample_weight=rng.random(50)))
    _same_outcome((sp.csr_matrix(y), p))


def test_log_loss_clips_like_sklearn():
    y = [0, 1, 2]
    p = np.array([[0.0, 0.5, 0.5], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    res = _same_outcome((y, p))
    assert np.isfinite(res[1])
    assert_allclose(log_loss(y, p), -np.log(np.finfo(float).eps) * 2 / 3, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_log_loss_range_check_edge_values_like_sklearn(dtype):
    """-0.0 is in range; the smallest subnormal and 1.0 are; the next float
    above 1 and the largest negative are not (the bit-pattern range check)."""
    tiny = np.finfo(dtype).smallest_subnormal
    ok = np.array([[1.0, -0.0, 0.0], [tiny, 1 - tiny, 0.0]], dtype=dtype)
    _same_outcome(([0, 1], ok), rtol=RTOL[dtype])
    above = ok.copy()
    above[0, 0] = np.nextafter(dtype(1), dtype(2))
    _same_outcome(([0, 1], above))
    below = ok.copy()
    below[1, 0] = -tiny
    _same_outcome(([0, 1], below))


def test_log_loss_y_pred_keyword_deprecated_like_sklearn():
    y = [0, 1]
    p = [[0.8, 0.2], [0.3, 0.7]]
    _same_outcome((y,), dict(y_pred=p))
    _same_outcome((y,), dict(y_pred=p, y_proba=p))
    assert log_loss(y_true=y, y_proba=p) == pytest.approx(sk_log_loss(y, p), rel=1e-12)


def test_log_loss_does_not_modify_inputs():
    rng = np.random.default_rng(9)
    p = _proba(rng, 30, 3)
    p.flags.writeable = False
    y = rng.integers(0, 3, 30)
    y[:3] = [0, 1, 2]
    p_copy, y_copy = p.copy(), y.copy()
    log_loss(y, p)
    log_loss(y, np.log(p), from_logits=True)
    np.testing.assert_array_equal(p, p_copy)
    np.testing.assert_array_equal(y, y_copy)


# -- same errors and warnings ----------------------------------------------------


_P3 = [[0.2, 0.7, 0.1], [0.6, 0.2, 0.2], [0.6, 0.1, 0.3]]

_BAD_INPUTS = {
    "greater-than-1": (([0, 1, 2], [[0.2, 0.7, 0.1], [1.5, 0.2, 0.2], [0.6, 0.1, 0.3]]), {}),
    "lower-than-0": (([0, 1, 2], [[0.2, 0.7, 0.1], [-0.5, 0.2, 0.2], [0.6, 0.1, 0.3]]), {}),
    "nan": (([0, 1, 2], np.array([[0.2, np.nan, 0.1]] + _P3[1:])), {}),
    "inf": (([0, 1, 2], np.array([[0.2, np.inf, 0.1]] + _P3[1:])), {}),
    "nan-float32": (([0, 1, 2], np.array([[0.2, np.nan, 0.1]] + _P3[1:], np.float32)), {}),
    "nan-and-class-mismatch": (([0, 1, 3, 4], np.full((4, 3), np.nan)), {}),
    "length-mismatch": (([0, 1], _P3), {}),
    "one-label": (([2, 2], [[0.2, 0.8], [0.6, 0.4]]), {}),
    "one-label-and-greater-than-1": ((np.array([True]), np.array([1.5])), {}),
    "one-label-and-nan": ((np.array([3, 3]), np.array([[0.5, np.nan], [0.5, 0.5]])), {}),
    "one-label-in-labels": (([2, 2], [[0.2, 0.8], [0.6, 0.4]]), {"labels": [2]}),
    "class-count-mismatch": (([1, 0, 2], [[0.3, 0.7], [0.6, 0.4], [0.4, 0.6]]), {}),
    "class-count-mismatch-str": ((["a", "b", "c"], [[0.3, 0.7]] * 3), {}),
    "class-count-mismatch-binary": (([0, 1, 1], _P3), {}),
    "labels-count-mismatch": (([0, 1, 2], [[0.3, 0.7]] * 3), {"labels": [0, 1, 2]}),
    "undeclared-labels": ((["a", "b", "c"], _P3), {"labels": ["a", "c", "d"]}),
    "not-normalized": (([0, 1, 1, 0], [[0.2, 0.7], [0.6, 0.3], [0.4, 0.7], [0.8, 0.3]]), {}),
    "not-normalized-and-mismatch": (([0, 1, 2], [[0.2, 0.7], [0.6, 0.3], [0.4, 0.7]]), {}),
    "unsorted-labels": ((["eggs", "spam", "ham"], np.eye(3)), {"labels": ["spam", "eggs", "ham"]}),
    "continuous-y": (([0.5, 1.5, 2.5], _P3), {}),
    "nan-y": (([0.0, np.nan, 1.0], _P3), {}),
    "mixed-str-int-y": ((np.array(["a", 1, "b"], dtype=object), _P3), {}),
    "multioutput-y": ((np.array([[0, 1], [2, 1], [1, 0]]), _P3), {}),
    "empty": (([], np.empty((0, 2))), {}),
    "3d-proba": (([0, 1], np.full((2, 2, 1), 0.5)), {}),
    "string-proba": (([0, 1], [["a", "b"], ["c", "d"]]), {}),
    "complex-proba": (([0, 1], np.array([[0.5, 0.5j], [0.5, 0.5]])), {}),
    "bad-normalize": (([0, 1], [0.2, 0.7]), {"normalize": "yes"}),
    "bad-labels-type": (([0, 1], [0.2, 0.7]), {"labels": 3}),
    "scalar-y": ((3, [0.2, 0.7]), {}),
    "weights-wrong-length": (([0, 1, 2], _P3), {"sample_weight": [1.0, 2.0]}),
    "weights-2d": (([0, 1, 2], _P3), {"sample_weight": np.ones((3, 1))}),
    "weights-all-zero": (([0, 1, 2], _P3), {"sample_weight": [0, 0, 0]}),
    "weights-sum-to-zero": (([0, 1, 2], _P3), {"sample_weight": [1.0, -1.0, 0.0]}),
    "weights-nan": (([0, 1, 2], _P3), {"sample_weight": [1.0, np.nan, 1.0]}),
    "multilabel-y-with-labels": ((np.array([[0, 1], [1, 0]]), [[0.3, 0.7], [0.6, 0.4]]),
                                 {"labels": [0, 1]}),
}


@pytest.mark.parametrize("case", sorted(_BAD_INPUTS))
def test_log_loss_bad_input_raises_and_warns_like_sklearn(case):
    args, kwargs = _BAD_INPUTS[case]
    _same_outcome(args, kwargs)


# -- from_logits -------------------------------------------------------------------


def _log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_log_loss_from_logits_matches_softmax_probabilities(dtype, weighted):
    rng = np.random.default_rng(10)
    n, k = 200, 5
    z = (rng.standard_normal((n, k)) * 3).astype(dtype)
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)
    sw = rng.random(n) if weighted else None
    lsm = _log_softmax(z)
    expected = np.average(-lsm[np.arange(n), y], weights=sw)
    got = log_loss(y, z, from_logits=True, sample_weight=sw)
    assert_allclose(got, expected, rtol=1e-12 if dtype == np.float64 else 1e-6)
    # same as scikit-learn on the probabilities (no clipping active here)
    assert_allclose(got, sk_log_loss(y, np.exp(lsm), sample_weight=sw),
                    rtol=1e-10 if dtype == np.float64 else 1e-6)


@pytest.mark.parametrize("shape", ["1d", "column"])
def test_log_loss_from_logits_binary_uses_sigmoid(shape):
    rng = np.random.default_rng(11)
    z = rng.standard_normal(100) * 4
    y = np.array(["neg", "pos"])[rng.integers(0, 2, 100)]
    pos = y == "pos"
    # -log sigmoid(z) = logaddexp(0, -z); -log(1 - sigmoid(z)) = logaddexp(0, z)
    expected = np.mean(np.where(pos, np.logaddexp(0, -z), np.logaddexp(0, z)))
    zz = z if shape == "1d" else z[:, None]
    assert_allclose(log_loss(y, zz, from_logits=True), expected, rtol=1e-12)
    p = 1 / (1 + np.exp(-z))
    assert_allclose(log_loss(y, zz, from_logits=True), sk_log_loss(y, p), rtol=1e-9)


def test_log_loss_from_logits_is_exact_where_probabilities_clip():
    """Scores of +-800 give exact losses (800, 0), not clipped -log(eps)."""
    z = np.array([[800.0, 0.0, -800.0], [0.0, 0.0, 0.0]])
    got = log_loss([2, 1], z, from_logits=True, normalize=False, labels=[0, 1, 2])
    assert_allclose(got, 1600.0 + np.log(3), rtol=1e-14)
    # binary: -log sigmoid(-745) = 745 (+ e^-745), -log(1 - sigmoid(40)) = 40 + log1p(e^-40)
    assert_allclose(log_loss([1, 0], np.array([-745.0, 40.0]), from_logits=True,
                             normalize=False), 785.0 + np.log1p(np.exp(-40.0)), rtol=1e-14)
    assert_allclose(log_loss([0, 1], np.array([-745.0, 40.0]), from_logits=True,
                             normalize=False), np.log1p(np.exp(-40.0)), rtol=1e-12)


def test_log_loss_from_logits_validates_labels_like_probabilities():
    z = np.zeros((3, 2))
    with pytest.raises(ValueError, match="contain different number of classes: 3 vs 2"):
        log_loss([0, 1, 2], z, from_logits=True)
    with pytest.raises(ValueError, match="only one label"):
        log_loss([1, 1, 1], z, from_logits=True)
    with pytest.raises(ValueError, match="Input contains NaN"):
        log_loss([0, 1, 1], np.array([0.0, np.nan, 1.0]), from_logits=True)
    with pytest.raises(ValueError, match="from_logits"):
        log_loss([0, 1], [0.1, 0.2], from_logits="yes")
    # with labels: classes absent from y_true still get their column
    z3 = np.log(np.array([[0.7, 0.1, 0.2], [0.2, 0.7, 0.1], [0.1, 0.7, 0.2]]))
    assert_allclose(log_loss([1, 2, 2], z3, labels=[1, 2, 3], from_logits=True),
                    -np.log(0.7), rtol=1e-12)


# -- multilabel_log_loss -----------------------------------------------------------


def _bce_reference(y, p, sw=None, normalize=True):
    eps = np.finfo(p.dtype).eps
    p = np.clip(p.astype(np.float64), eps, 1 - eps)
    y = y.astype(np.float64)
    terms = -(y * np.log(p) + (1 - y) * np.log1p(-p))
    per_sample = terms.sum(axis=1) if terms.ndim == 2 else terms
    sw = np.ones(p.shape[0]) if sw is None else sw
    n_labels = 1 if p.ndim == 1 else p.shape[1]
    total = np.dot(per_sample, sw)
    return total / (n_labels * sw.sum()) if normalize else total


def test_multilabel_log_loss_hand_computed():
    y = np.array([[1, 0, 1], [0, 0, 1]])
    p = np.array([[0.9, 0.2, 0.6], [0.3, 0.1, 0.8]])
    by_hand = -(np.log(0.9) + np.log(0.8) + np.log(0.6)
                + np.log(0.7) + np.log(0.9) + np.log(0.8))
    assert_allclose(multilabel_log_loss(y, p, normalize=False), by_hand, rtol=1e-14)
    assert_allclose(multilabel_log_loss(y, p), by_hand / 6, rtol=1e-14)
    w = np.array([2.0, 0.5])
    by_hand_w = -(2 * (np.log(0.9) + np.log(0.8) + np.log(0.6))
                  + 0.5 * (np.log(0.7) + np.log(0.9) + np.log(0.8)))
    assert_allclose(multilabel_log_loss(y, p, sample_weight=w, normalize=False),
                    by_hand_w, rtol=1e-14)
    assert_allclose(multilabel_log_loss(y, p, sample_weight=w), by_hand_w / (3 * 2.5),
                    rtol=1e-14)


def test_multilabel_log_loss_differs_from_sklearn_indicator_log_loss():
    """scikit-learn ignores the negative labels (issue scikit-learn#10157)."""
    y = np.array([[1, 0], [0, 1]])
    p = np.array([[0.9, 0.9], [0.9, 0.9]])
    assert_allclose(multilabel_log_loss(y, p), -(np.log(0.9) + np.log(0.1)) / 2)
    with pytest.warns(UserWarning):
        assert_allclose(sk_log_loss(y, p), -np.log(0.9))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_log_loss_matches_reference(dtype, layout, normalize, weighted):
    rng = np.random.default_rng(12)
    n, L = 120, 6
    y = (rng.random((n, L)) < 0.3).astype(np.int64)
    p = _layout(rng.random((n, L)).astype(dtype), layout)
    p[0, 0], p[1, 1] = 0.0, 1.0  # clipping
    sw = rng.random(n) if weighted else None
    expected = _bce_reference(y, p, sw, normalize)
    got = multilabel_log_loss(y, p, sample_weight=sw, normalize=normalize)
    assert isinstance(got, float)
    assert_allclose(got, expected, rtol=1e-12 if dtype == np.float64 else 1e-5)


def test_multilabel_log_loss_soft_targets_bool_sparse_and_1d():
    rng = np.random.default_rng(13)
    p = rng.random((40, 3))
    ysoft = rng.random((40, 3))
    assert_allclose(multilabel_log_loss(ysoft, p), _bce_reference(ysoft, p), rtol=1e-12)
    yb = rng.random((40, 3)) < 0.5
    assert_allclose(multilabel_log_loss(yb, p), _bce_reference(yb, p), rtol=1e-12)
    assert_allclose(multilabel_log_loss(sp.csr_matrix(yb.astype(int)), p),
                    _bce_reference(yb, p), rtol=1e-12)
    assert_allclose(multilabel_log_loss(yb[:, 0], p[:, 0]),
                    _bce_reference(yb[:, 0], p[:, 0]), rtol=1e-12)
    assert_allclose(multilabel_log_loss(yb.tolist(), p.tolist()),
                    _bce_reference(yb, p), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_multilabel_log_loss_from_logits_matches_probabilities(dtype):
    rng = np.random.default_rng(14)
    z = (rng.standard_normal((80, 4)) * 3).astype(dtype)
    y = rng.random((80, 4)) < 0.5
    sw = rng.random(80)
    p = 1 / (1 + np.exp(-z.astype(np.float64)))
    expected = _bce_reference(y, p, sw)
    got = multilabel_log_loss(y, z, sample_weight=sw, from_logits=True)
    assert_allclose(got, expected, rtol=1e-10 if dtype == np.float64 else 1e-5)
    # exact for extreme logits
    big = np.array([[1000.0, -1000.0]])
    assert_allclose(multilabel_log_loss(np.array([[0, 1]]), big, from_logits=True,
                                        normalize=False), 2000.0, rtol=1e-14)


@pytest.mark.parametrize(
    "y, p, kwargs, match",
    [
        ([[0, 1]], [[0.1, 0.2, 0.3]], {}, "same shape"),
        ([[0, 2]], [[0.1, 0.2]], {}, r"y_true must contain values in \[0, 1\]"),
        ([[0, -0.5]], [[0.1, 0.2]], {}, r"y_true must contain values in \[0, 1\]"),
        ([[0, np.nan]], [[0.1, 0.2]], {}, "y_true contains NaN"),
        (np.array([["a", "b"]]), [[0.1, 0.2]], {}, "y_true"),
        ([[0, 1]], [[0.1, 1.2]], {}, "y_proba contains values greater than 1"),
        ([[0, 1]], [[-0.1, 0.2]], {}, "y_proba contains values lower than 0"),
        ([[0, 1]], [[np.nan, 0.2]], {}, "y_proba contains NaN"),
        ([[0, 1]], np.array([[np.inf, 0.2]]), {}, "y_proba contains infinity"),
        ([[0, 1]], np.array([[-0.0, 0.2]]), {"normalize": True}, None),
        ([[0, 1], [1, 0]], [[0.1, 0.2], [0.3, 0.4]], {"sample_weight": [1.0, -1.0]},
         "sample_weight"),
        ([[0, 1], [1, 0]], [[0.1, 0.2], [0.3, 0.4]], {"sample_weight": [1.0]},
         "sample_weight"),
        ([[0, 1]], [[0.1, 0.2]], {"normalize": "no"}, "normalize"),
    ],
)
def test_multilabel_log_loss_rejects_bad_input(y, p, kwargs, match):
    if match is None:  # -0.0 is a valid probability
        assert np.isfinite(multilabel_log_loss(y, p, **kwargs))
        return
    with pytest.raises(ValueError, match=match):
        multilabel_log_loss(y, p, **kwargs)


# -- scorers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def multiclass_data():
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=240, n_features=8, n_informative=5,
                               n_classes=3, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def binary_data():
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=200, n_features=6, random_state=1)
    return X, np.array(["no", "yes"])[y]


def _classifiers():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB

    return [
        LogisticRegression(max_iter=500),
        GaussianNB(),
        RandomForestClassifier(n_estimators=10, random_state=0),
    ]


@pytest.mark.parametrize("data", ["multiclass_data", "binary_data"])
@pytest.mark.parametrize("clf_index", [0, 1, 2])
def test_neg_log_loss_scorer_equals_sklearn_neg_log_loss(data, clf_index, request):
    from sklearn.model_selection import cross_val_score

    X, y = request.getfixturevalue(data)
    clf = _classifiers()[clf_index]
    ours = cross_val_score(clf, X, y, cv=4, scoring=neg_log_loss_scorer)
    theirs = cross_val_score(clf, X, y, cv=4, scoring="neg_log_loss")
    assert_allclose(ours, theirs, rtol=1e-12)
    assert np.all(ours < 0)


@pytest.mark.parametrize("data", ["multiclass_data", "binary_data"])
def test_neg_log_loss_logits_scorer_matches_proba_for_logistic_regression(data, request):
    """LogisticRegression's probabilities are the softmax/sigmoid of its decision."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    X, y = request.getfixturevalue(data)
    clf = LogisticRegression(max_iter=500)
    logits = cross_val_score(clf, X, y, cv=3, scoring=neg_log_loss_logits_scorer)
    proba = cross_val_score(clf, X, y, cv=3, scoring="neg_log_loss")
    assert_allclose(logits, proba, rtol=1e-9)


def test_scorers_in_grid_search_and_cross_validate(multiclass_data):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, cross_validate
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = multiclass_data
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    grid = {"logisticregression__C": [0.01, 1.0]}
    ours = GridSearchCV(pipe, grid, cv=3, scoring=neg_log_loss_logits_scorer).fit(X, y)
    ref = GridSearchCV(pipe, grid, cv=3, scoring="neg_log_loss").fit(X, y)
    assert ours.best_params_ == ref.best_params_
    assert_allclose(ours.cv_results_["mean_test_score"],
                    ref.cv_results_["mean_test_score"], rtol=1e-9)
    res = cross_validate(
        pipe, X, y, cv=3,
        scoring={"proba": neg_log_loss_scorer, "logits": neg_log_loss_logits_scorer,
                 "sklearn": "neg_log_loss"},
    )
    assert_allclose(res["test_proba"], res["test_sklearn"], rtol=1e-12)
    assert_allclose(res["test_logits"], res["test_sklearn"], rtol=1e-9)


def test_neg_log_loss_scorer_passes_sample_weight_metadata(multiclass_data):
    import sklearn
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_validate

    X, y = multiclass_data
    w = np.random.default_rng(0).random(len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = neg_log_loss_scorer.set_score_request(sample_weight=True)
        clf = LogisticRegression(max_iter=500).set_fit_request(sample_weight=False)
        res = cross_validate(clf, X, y, cv=3, scoring=scorer,
                             params={"sample_weight": w}, return_estimator=True)
    for est, score, (_, test) in zip(
        res["estimator"], res["test_score"],
        __import__("sklearn.model_selection", fromlist=["StratifiedKFold"])
        .StratifiedKFold(3).split(X, y),
    ):
        expected = -sk_log_loss(y[test], est.predict_proba(X[test]), sample_weight=w[test])
        assert_allclose(score, expected, rtol=1e-12)


@pytest.fixture(scope="module")
def multilabel_data():
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(n_samples=150, n_features=6, n_classes=3,
                                          random_state=0)
    return X, Y


def test_neg_multilabel_log_loss_scorer_list_of_proba(multilabel_data):
    """MultiOutputClassifier.predict_proba: one (n, 2) array per label."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.multioutput import MultiOutputClassifier

    X, Y = multilabel_data
    clf = MultiOutputClassifier(LogisticRegression(max_iter=500))
    cv = KFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(clf, X, Y, cv=cv, scoring=neg_multilabel_log_loss_scorer)
    for score, (train, test) in zip(scores, cv.split(X)):
        proba = clf.fit(X[train], Y[train]).predict_proba(X[test])
        p = np.stack([q[:, 1] for q in proba], axis=1)
        assert_allclose(score, -_bce_reference(Y[test], p), rtol=1e-12)


def test_neg_multilabel_log_loss_scorer_matrix_proba(multilabel_data):
    """ClassifierChain.predict_proba: an (n, n_labels) matrix."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.multioutput import ClassifierChain

    X, Y = multilabel_data
    search = GridSearchCV(
        ClassifierChain(LogisticRegression(max_iter=500), random_state=0),
        {"estimator__C": [0.1, 1.0]}, cv=3, scoring=neg_multilabel_log_loss_scorer,
    ).fit(X, Y)
    p = search.best_estimator_.predict_proba(X)
    assert_allclose(neg_multilabel_log_loss_scorer(search.best_estimator_, X, Y),
                    -_bce_reference(Y, p), rtol=1e-12)


def test_neg_multilabel_log_loss_scorer_single_class_label_is_an_error(multilabel_data):
    from sklearn.dummy import DummyClassifier
    from sklearn.multioutput import MultiOutputClassifier

    X, Y = multilabel_data
    Y = Y.copy()
    Y[:, 1] = 0
    clf = MultiOutputClassifier(DummyClassifier()).fit(X, Y)
    with pytest.raises(ValueError, match="label 1 has shape"):
        neg_multilabel_log_loss_scorer(clf, X, Y)


def test_scorers_pickle_and_repr():
    import pickle

    for scorer in (neg_log_loss_scorer, neg_log_loss_logits_scorer,
                   neg_multilabel_log_loss_scorer):
        clone = pickle.loads(pickle.dumps(scorer))
        assert repr(clone) == repr(scorer)
        assert "greater_is_better=False" in repr(scorer)


# -- fast path details --------------------------------------------------------------


def test_log_loss_fast_and_exact_label_paths_agree():
    """The O(n) integer/string encodings give the same value as scikit-learn's
    LabelBinarizer path (forced here with labels=)."""
    rng = np.random.default_rng(15)
    n, k = 500, 6
    p = _proba(rng, n, k)
    for y in (rng.integers(0, k, n) * 7 - 3, np.array(list("abcdef"))[rng.integers(0, k, n)]):
        y[:k] = np.unique(y)[:k] if len(np.unique(y)) == k else y[:k]
        classes = np.unique(y)
        assert_allclose(log_loss(y, p), log_loss(y, p, labels=classes), rtol=1e-15)
        assert_allclose(log_loss(y, p), sk_log_loss(y, p), rtol=1e-12)


def test_log_loss_skip_parameter_validation_config():
    import sklearn

    with sklearn.config_context(skip_parameter_validation=True):
        assert_allclose(log_loss((0, 1), (0.2, 0.7)), sk_log_loss([0, 1], [0.2, 0.7]),
                        rtol=1e-12)
    with pytest.raises(ValueError, match=re.escape("The 'normalize' parameter of log_loss")):
        log_loss([0, 1], [0.2, 0.7], normalize=None)


@pytest.mark.parametrize(
    "y, labels",
    [
        (np.array([3, 1, 3, 2]), [1, 2, 3]),
        (np.array([3, 1, 3, 2]), np.array([3, 2, 1], dtype=np.int32)),  # unsorted: warns
        (np.array([3, 1, 3, 2], dtype=np.int8), [1, 2, 300]),  # does not fit y's dtype
        (np.array([3, 1, 3, 2], dtype=np.uint8), np.array([1, 2, 3])),
        (np.array([3, 1, 3, 2]), [1, 2, 2, 3]),  # duplicates
        (np.array([3, 1, 3, 2]), [1, 2, 4]),  # undeclared label 3
        (np.array(["b", "a", "b", "c"]), ["c", "b", "a"]),
        (np.array(["b", "a", "b", "c"]), np.array(["a", "b", "c"])),
        (np.array(["b", "a", "b", "c"]), [1, 2, 3]),  # mixed kinds
        (np.array([1, 0, 1, 1]), [0, 1]),
        (np.array([1, 1, 1, 1]), [1, 0]),
    ],
)
def test_log_loss_labels_fast_path_same_as_sklearn(y, labels):
    k = len(labels) if len(set(np.asarray(labels).tolist())) == len(labels) else 3
    p = _proba(np.random.default_rng(16), len(y), k)
    _same_outcome((y, p), dict(labels=labels))
    if k == 2:
        _same_outcome((y, p[:, 1]), dict(labels=labels))


def test_string_label_hash_collision_falls_back_to_exact_strings(monkeypatch):
    """With a deliberately weak hash two different labels collide: the
    verification notices and the string path gives the right classes."""
    import itertools
    import string

    import skxent._metrics_labels as ml

    monkeypatch.setattr(ml, "_HASH_MULT", np.uint64(1))

    def weak_hash(s):
        codes = np.array([ord(c) for c in s], dtype=np.uint64)
        h = np.uint64(0)
        for j, c in enumerate(codes):
            h = (h ^ (c * np.uint64(2 * j + 1))) * np.uint64(1)
            h ^= h >> np.uint64(29)
        return int(h)

    seen = {}
    pair = None
    for a, b in itertools.product(string.ascii_lowercase, repeat=2):
        h = weak_hash(a + b)
        if h in seen:
            pair = (seen[h], a + b)
            break
        seen[h] = a + b
    assert pair is not None
    names = np.array([pair[0], pair[1], "zz"])
    y = names[np.random.default_rng(17).integers(0, 3, 200)]
    y[:3] = names
    assert ml._encode_strings_by_hash(y) is None
    enc = ml._encode_fast(y)
    np.testing.assert_array_equal(enc.indices, np.unique(y, return_inverse=True)[1])
    _same_outcome((y, _proba(np.random.default_rng(18), 200, 3)))


@pytest.fixture
def speculate_always(monkeypatch):
    """Run log_loss's concurrent kernel path (normally for >= 2**20 values)
    on the small inputs of these tests."""
    import skxent._log_loss as _log_loss

    monkeypatch.setattr(_log_loss, "_SPECULATE_MIN_ELEMENTS", 0)


@pytest.mark.parametrize("case", sorted(_BAD_INPUTS))
def test_log_loss_concurrent_kernel_path_same_errors(case, speculate_always):
    args, kwargs = _BAD_INPUTS[case]
    args = tuple(np.asarray(a) if isinstance(a, list) and a and not isinstance(a[0], str)
                 else a for a in args)
    _same_outcome(args, kwargs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("shape", ["2d", "1d"])
@pytest.mark.parametrize("weights", [None, "positive", "signed", "nan"])
def test_log_loss_concurrent_kernel_path_same_values(dtype, normalize, shape, weights,
                                                     speculate_always):
    rng = np.random.default_rng(19)
    p = _proba(rng, 500, 4, dtype)
    y = rng.integers(0, 4, 500)
    if shape == "1d":
        p, y = p[:, 0], y % 2
    sw = None
    if weights is not None:
        sw = rng.random(500)
        if weights == "signed":
            sw -= 0.3
        elif weights == "nan":
            sw[7] = np.nan
    _same_outcome((y, p), dict(normalize=normalize, sample_weight=sw), rtol=RTOL[dtype])
    # unnormalised rows: the warning, then the value
    if shape == "2d":
        _same_outcome((y, p * 0.9), dict(normalize=normalize, sample_weight=sw),
                      rtol=RTOL[dtype])


def test_log_loss_large_input_uses_concurrent_path_same_as_sklearn():
    rng = np.random.default_rng(20)
    n, k = (1 << 20) // 8, 8
    p = _proba(rng, n, k)
    y = rng.integers(0, k, n)
    _same_outcome((y, p))
    p[n // 2, 3] = np.nan
    _same_outcome((y, p))
