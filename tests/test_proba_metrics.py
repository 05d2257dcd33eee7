"""skxent.metrics.brier_score_loss, d2_brier_score and d2_log_loss_score.

Design note
-----------
The drop-in contract is tested against the installed scikit-learn directly: the same inputs
go to both implementations and the results must agree (float64 to a relative 1e-12; float32,
which scikit-learn computes in float32 and skxent accumulates in float64, to float32
precision), and so must the exception (type and message) and the warnings (category and
message, in order). ``tests/test_sklearn_proba_metrics_suite.py`` runs scikit-learn's own tests.

The additions are tested against references: ``from_logits`` against the probabilities it
stands for and against mpmath (within 4 eps, float32 and float64, with adversarial margins that
make the loss tiny), the Brier kernel's row form against mpmath on confident rows (where
``sum p^2 - 2 p_t + 1`` would cancel), the null model's exact zero, float64 accumulation of
float32 input, thread-count independence and memory layouts of the kernel, and the scorers
inside ``cross_val_score``.
"""

import ast
import math
import warnings
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sklearn.metrics as skm
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.preprocessing import StandardScaler
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

import skxent.metrics as sxm
from skxent import _brier
from skxent.special import softmax

NAMES = ("brier_score_loss", "d2_brier_score", "d2_log_loss_score")
EPS64 = np.finfo(np.float64).eps


def _run(func, *args, **kwargs):
    """(value, (exception type, message) or None, [(warning category, message)...])."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value, error = func(*args, **kwargs), None
        except Exception as exc:  # noqa: BLE001 - compared, not handled
            value, error = None, (type(exc), str(exc))
    return value, error, [(w.category, str(w.message)) for w in caught]


def _assert_same(name, *args, rtol=1e-12, **kwargs):
    """skxent's and scikit-learn's function agree on value, exception and warnings."""
    sk_value, sk_error, sk_warnings = _run(getattr(skm, name), *args, **kwargs)
    sx_value, sx_error, sx_warnings = _run(getattr(sxm, name), *args, **kwargs)
    assert sx_error == sk_error
    assert sx_warnings == sk_warnings
    if sk_error is None:
        assert type(sx_value) is float
        if math.isnan(sk_value) or math.isinf(sk_value):
            assert sx_value == sk_value or (math.isnan(sx_value) and math.isnan(sk_value))
        else:
            assert abs(sx_value - sk_value) <= rtol * abs(sk_value) + 1e-15, (sx_value, sk_value)
    return sx_value


def _probabilities(rng, n, k, dtype=np.float64):
    p = rng.random((n, k))
    p /= p.sum(axis=1, keepdims=True)
    return p.astype(dtype)


def _labels(rng, n, k):
    y = rng.integers(0, k, n)
    y[: min(n, k)] = np.arange(min(n, k))
    return y


# -- values, errors and warnings: the drop-in contract ---------------------------------------


def _value_cases():
    rng = np.random.default_rng(0)
    n = 40
    P5, P2 = _probabilities(rng, n, 5), _probabilities(rng, n, 2)
    y5, y2 = _labels(rng, n, 5), _labels(rng, n, 2)
    w, w_int = rng.random(n), rng.integers(0, 4, n).tolist()
    w_neg = rng.normal(size=n) + 0.5
    names5 = np.array(["ant", "bee", "cat", "dog", "eel"])
    return {
        "multiclass": ((y5, P5), {}),
        "multiclass-weights": ((y5, P5), {"sample_weight": w}),
        "multiclass-int-weights-list": ((y5.tolist(), P5.tolist()), {"sample_weight": w_int}),
        "multiclass-negative-weights": ((y5, P5), {"sample_weight": w_neg}),
        "multiclass-strings": ((names5[y5], P5), {}),
        "multiclass-labels": ((y5[y5 < 4], P5[y5 < 4]), {"labels": [0, 1, 2, 3, 4]}),
        "multiclass-unsorted-labels": ((y5, P5), {"labels": [4, 2, 0, 1, 3]}),
        "multiclass-fortran": ((y5, np.asfortranarray(P5)), {}),
        "multiclass-float16": ((y5, P5.astype(np.float16)), {}),
        "multiclass-rows-off-one": ((y5, P5 * 0.9), {}),
        "multiclass-indicator": ((np.eye(5, dtype=int)[y5], P5), {}),
        "two-columns": ((y2, P2), {"sample_weight": w}),
        "binary-1d": ((y2, P2[:, 1]), {}),
        "binary-1d-weights": ((y2, P2[:, 1]), {"sample_weight": w}),
        "binary-column": ((y2, P2[:, 1:]), {}),
        "binary-bool": ((y2.astype(bool), P2[:, 1]), {}),
        "binary-minus-one-one": ((2 * y2 - 1, P2[:, 1]), {}),
        "binary-minus-one-zero": ((y2 - 1, P2[:, 1]), {}),
        "binary-three-four": ((y2 + 3, P2[:, 1]), {}),
        "binary-float-labels": ((y2 + 0.5, P2[:, 1]), {}),
        "binary-strings-pos-label": ((np.array(["no", "yes"])[y2], P2[:, 1]), {"pos_label": "no"}),
        "binary-list": ((y2.tolist(), P2[:, 1].tolist()), {}),
        "one-sample": (([1], [[0.3, 0.7]]), {"labels": [0, 1]}),
    }


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", list(_value_cases()))
@pytest.mark.parametrize("name", NAMES)
def test_values_warnings_and_errors_match_sklearn(name, case, dtype):
    (y_true, y_proba), kwargs = _value_cases()[case]
    if isinstance(y_proba, np.ndarray) and y_proba.dtype == np.float64:
        y_proba = y_proba.astype(dtype)
    pos_label = kwargs.pop("pos_label", None)
    if pos_label is not None and name != "d2_log_loss_score":
        kwargs["pos_label"] = pos_label
    rtol = 1e-12 if np.asarray(y_proba).dtype == np.float64 else 2e-5
    if np.asarray(y_proba).dtype == np.float16:
        rtol = 2e-2  # scikit-learn computes in float16
    _assert_same(name, y_true, y_proba, rtol=rtol, **kwargs)


@pytest.mark.parametrize("scale_by_half", ["auto", True, False])
@pytest.mark.parametrize("k", [2, 3])
def test_brier_scale_by_half_matches_sklearn(scale_by_half, k):
    rng = np.random.default_rng(1)
    P, y = _probabilities(rng, 30, k), _labels(rng, 30, k)
    _assert_same("brier_score_loss", y, P, scale_by_half=scale_by_half)
    _assert_same("brier_score_loss", y % 2, P[:, 0], scale_by_half=scale_by_half)


def _error_cases():
    rng = np.random.default_rng(2)
    P, y = _probabilities(rng, 20, 3), _labels(rng, 20, 3)
    p, yb = P[:, 0], y % 2
    with_nan, with_inf, above, below = P.copy(), P.copy(), P.copy(), P.copy()
    with_nan[3, 1], with_inf[4, 2], above[5, 0], below[6, 1] = np.nan, np.inf, 1.5, -0.25
    return {
        "nan": ((y, with_nan), {}),
        "inf": ((y, with_inf), {}),
        "above-one": ((y, above), {}),
        "below-zero": ((y, below), {}),
        "above-one-and-one-label": ((np.zeros(20, dtype=int), above), {}),
        "binary-above-one": ((yb, p + 1), {}),
        "binary-below-zero": ((yb, p - 1), {}),
        "binary-nan": ((yb, np.r_[np.nan, p[1:]]), {}),
        "binary-multiclass-target": ((y, p), {}),
        "binary-strings-no-pos-label": ((np.array(["a", "b"])[yb], p), {}),
        "binary-2d-y-true": ((np.c_[yb, yb], p), {}),
        "binary-nan-y-true": ((np.r_[np.nan, yb[1:]], p), {}),
        "lengths": ((y[:-1], P), {}),
        "weights-length": ((y, P), {"sample_weight": np.ones(19)}),
        "weights-nan": ((y, P), {"sample_weight": np.r_[np.nan, np.ones(19)]}),
        "weights-2d": ((y, P), {"sample_weight": np.ones((20, 1))}),
        "weights-all-zero": ((y, P), {"sample_weight": np.zeros(20)}),
        "weights-sum-zero": ((y, P), {"sample_weight": np.r_[1.0, -1.0, np.zeros(18)]}),
        "binary-weights-sum-zero": ((yb, p), {"sample_weight": np.r_[1.0, -1.0, np.zeros(18)]}),
        "one-label": ((np.ones(20, dtype=int), P), {}),
        "one-label-in-labels": ((np.ones(20, dtype=int), P), {"labels": [1]}),
        "class-count": ((yb, P), {}),
        "class-count-labels": ((y, P), {"labels": [0, 1, 2, 3]}),
        "undeclared-label": ((y, P), {"labels": [0, 1, 5]}),
        "multioutput": ((np.c_[y, y], P), {}),
        "3d-proba": ((y, P[:, :, None]), {}),
        "empty": ((np.array([], dtype=int), np.empty((0, 3))), {}),
        "zero-null-score": ((np.zeros(20, dtype=int), P), {"labels": [0, 1, 2]}),
    }


# skxent.metrics.log_loss (the numerator of d2_log_loss_score) raises for a two-column
# indicator y_true with 1-D y_proba, which scikit-learn scores as [1 - p, p]: a deviation of
# log_loss itself, reported; strict, so that the fix shows up here.
_LOG_LOSS_DEVIATION = pytest.mark.xfail(
    strict=True, reason="skxent.metrics.log_loss rejects 2-column indicators with 1-D y_proba"
)


@pytest.mark.parametrize(
    "name, case",
    [
        pytest.param(
            name, case,
            marks=_LOG_LOSS_DEVIATION
            if (name, case) == ("d2_log_loss_score", "binary-2d-y-true") else (),
        )
        for name in NAMES
        for case in _error_cases()
    ],
)
def test_errors_and_warnings_match_sklearn(name, case):
    (y_true, y_proba), kwargs = _error_cases()[case]
    _assert_same(name, y_true, y_proba, **kwargs)


_INVALID_PARAMETERS = [
    {"sample_weight": "heavy"},
    {"labels": 3},
    {"pos_label": [1]},
    {"scale_by_half": "half"},
    {"scale_by_half": 1},
    {"y_true": None},
    {"y_proba": 0.5},
]


@pytest.mark.parametrize(
    "name, kwargs",
    [
        pytest.param(name, kw, id=f"{name}-{next(iter(kw))}={next(iter(kw.values()))!r}")
        for name in NAMES
        for kw in _INVALID_PARAMETERS
        if not ("scale_by_half" in kw and name != "brier_score_loss")
        and not ("pos_label" in kw and name == "d2_log_loss_score")
    ],
)
def test_parameter_validation_matches_sklearn(name, kwargs):
    rng = np.random.default_rng(3)
    args = {"y_true": _labels(rng, 10, 3), "y_proba": _probabilities(rng, 10, 3)}
    args.update(kwargs)
    y_true, y_proba = args.pop("y_true"), args.pop("y_proba")
    _assert_same(name, y_true, y_proba, **args)


@pytest.mark.parametrize("name", NAMES)
def test_from_logits_parameter_is_validated(name):
    with pytest.raises(ValueError, match="'from_logits' parameter of " + name):
        getattr(sxm, name)([0, 1], [0.2, 0.7], from_logits="yes")


def test_deprecated_keywords_as_in_sklearn():
    """scikit-learn 1.9.1 renamed d2_log_loss_score's ``y_pred`` (deprecated, still accepted);
    brier_score_loss and d2_brier_score take no ``y_prob``/``y_pred`` keyword any more."""
    y = np.array([0, 1, 1, 0])
    p = np.array([[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]])
    value = _assert_same("d2_log_loss_score", y, y_pred=p)
    assert value == sxm.d2_log_loss_score(y, p)
    _assert_same("d2_log_loss_score", y, p, y_pred=p)
    for name in ("brier_score_loss", "d2_brier_score"):
        for keyword in ("y_prob", "y_pred"):
            for module in (skm, sxm):
                with pytest.raises(TypeError):
                    getattr(module, name)(y, **{keyword: p[:, 1]})


def test_pandas_inputs_match_sklearn():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(4)
    P, y = _probabilities(rng, 30, 3), _labels(rng, 30, 3)
    for name in NAMES:
        _assert_same(name, pd.Series(y), pd.DataFrame(P))
        _assert_same(name, pd.Series(y % 2), pd.Series(P[:, 0]),
                     sample_weight=pd.Series(rng.random(30)))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_large_inputs_match_sklearn(name, weighted):
    """Enough rows for several chunks and threads of the kernel."""
    rng = np.random.default_rng(5)
    n, k = 200_000, 10
    P, y = _probabilities(rng, n, k), rng.integers(0, k, n)
    kwargs = {"sample_weight": rng.random(n)} if weighted else {}
    _assert_same(name, y, P, **kwargs)
    _assert_same(name, y % 2, P[:, 0], **kwargs)


# -- the null model -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["d2_brier_score", "d2_log_loss_score"])
def test_null_model_scores_exactly_zero(name):
    """Predicting the weighted class priors gives exactly 0 (same arithmetic for both)."""
    rng = np.random.default_rng(6)
    n, k = 100_000, 7
    y = rng.integers(0, k, n)
    for weights in (None, rng.random(n), rng.integers(0, 5, n).astype(float)):
        counts = np.bincount(y, weights=weights, minlength=k)
        prior = counts / (n if weights is None else np.sum(weights))
        P = np.tile(prior, (n, 1))
        assert getattr(sxm, name)(y, P, sample_weight=weights) == 0.0
        assert getattr(sxm, name)(y, np.asfortranarray(P), sample_weight=weights) == 0.0


@pytest.mark.parametrize("case", ["multiclass", "weights", "negative-weights", "binary",
                                  "labels", "indicator"])
def test_null_log_loss_from_class_totals_equals_the_row_by_row_pass(case):
    """d2_log_loss_score's null loss: -sum_c W_c log(prior_c), or (D^2 within rounding of 0)
    the kernel's row-by-row pass; the two agree to rounding."""
    from skxent._proba_metrics import _null_log_loss

    rng = np.random.default_rng(15)
    n, k = 5000, 4
    y, P, kwargs = _labels(rng, n, k), _probabilities(rng, n, k), {}
    if case == "weights":
        kwargs["sample_weight"] = rng.random(n)
    elif case == "negative-weights":
        kwargs["sample_weight"] = rng.normal(size=n) + 0.7
    elif case == "binary":
        y, P = y % 2, P[:, 0]
    elif case == "labels":
        y, kwargs["labels"] = np.minimum(y, 2), [0, 1, 2, 3]
    elif case == "indicator":
        y = np.eye(k, dtype=int)[y]
    args = (y, P, kwargs.get("sample_weight"), kwargs.get("labels"))
    totals = _null_log_loss(*args, numerator=np.inf)  # far: from the class totals
    rows = _null_log_loss(*args, numerator=totals)  # close: row by row
    assert totals == pytest.approx(rows, rel=1e-13)
    assert totals == pytest.approx(-skm.log_loss(y, P, normalize=False, **kwargs)
                                   / (skm.d2_log_loss_score(y, P, **kwargs) - 1), rel=1e-12)


def test_null_model_of_a_binary_problem_scores_zero_like_sklearn():
    y = np.array([0, 1, 1, 0, 0, 1])
    w = np.array([2, 2, 3, 1, 1, 1])
    for p, kwargs in ((0.5, {}), (0.6, {"sample_weight": w})):
        assert _assert_same("d2_brier_score", y, np.full(6, p), **kwargs) == 0.0


# -- additions: from_logits ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_from_logits_equals_the_probabilities(name, dtype):
    rng = np.random.default_rng(7)
    n, k = 3000, 6
    Z = (3 * rng.normal(size=(n, k))).astype(dtype)
    y = rng.integers(0, k, n)
    w = rng.random(n)
    P = softmax(Z.astype(np.float64))
    f = getattr(sxm, name)
    # float32 scores: the Brier metrics compute in float64; log_loss (d2_log_loss_score's
    # numerator) returns float32 sums for float32 input
    rel = 1e-6 if (name, dtype) == ("d2_log_loss_score", np.float32) else 1e-12
    for kwargs in ({}, {"sample_weight": w}):
        assert f(y, Z, from_logits=True, **kwargs) == pytest.approx(f(y, P, **kwargs), rel=rel)
        z = Z[:, 0]
        p = 1 / (1 + np.exp(-z.astype(np.float64)))
        assert f(y % 2, z, from_logits=True, **kwargs) == pytest.approx(
            f(y % 2, p, **kwargs), rel=rel
        )


def test_from_logits_skips_only_the_probability_checks():
    y = np.array([0, 1, 2, 1])
    Z = np.array([[3.0, -1, 0], [0, 2, 1], [-5, 0, 7], [1, 1, 1]])  # outside [0, 1], rows != 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in NAMES:
            getattr(sxm, name)(y, Z, from_logits=True)
            getattr(sxm, name)(y % 2, Z[:, 0], from_logits=True)
    with pytest.raises(ValueError, match="different number of classes"):
        sxm.brier_score_loss(y, Z[:, :2], from_logits=True)
    with pytest.raises(ValueError, match="should be binary"):
        sxm.d2_brier_score(y, Z[:, 0], from_logits=True)
    with pytest.raises(ValueError, match="Input contains NaN"):
        sxm.brier_score_loss(y, np.where(Z > 6, np.nan, Z), from_logits=True)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        sxm.d2_log_loss_score(y[:3], Z, from_logits=True)


def _mp_brier_logits_row(t, z):
    """Exact two-norm of onehot(t) - softmax(z); 1 - p_t as the others' mass (no cancellation
    in the reference either)."""
    e = [mpmath.exp(mpmath.mpf(float(v))) for v in z]
    s = mpmath.fsum(e)
    others = mpmath.fsum(e[k] for k in range(len(z)) if k != t)
    return (others / s) ** 2 + mpmath.fsum((e[k] / s) ** 2 for k in range(len(z)) if k != t)


def _mp_brier_row(t, p):
    return mpmath.fsum((mpmath.mpf(int(k == t)) - mpmath.mpf(float(v))) ** 2
                       for k, v in enumerate(p))


def _relative_error_in_eps(value, reference):
    ref = float(reference)
    return abs(value - ref) / ref / EPS64


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_from_logits_accuracy_against_mpmath(dtype):
    """Within 4 eps (float64) of the exact Brier score of the given scores, with margins up to
    600 that make the loss as small as 1e-250: never 1 - p, so no cancellation."""
    rng = np.random.default_rng(8)
    with mpmath.workdps(40):
        for _ in range(60):
            k = int(rng.integers(2, 9))
            z = (rng.normal(size=k) * rng.choice([1, 10, 50])).astype(dtype)
            t = int(rng.integers(0, k))
            z[t] += dtype(rng.choice([0, 5, 30, 100, 300]))
            value = sxm.brier_score_loss([t], z[None, :], labels=list(range(k)),
                                         scale_by_half=False, from_logits=True)
            reference = _mp_brier_logits_row(t, z)
            if float(reference) > 1e-290:
                assert _relative_error_in_eps(value, reference) <= 4, (z, t)
            # binary logit: 2 sigmoid(-margin)^2 / 2
            zb, yb = dtype(z[0]), int(rng.integers(0, 2))
            value = sxm.brier_score_loss([yb], [zb], from_logits=True)
            wrong = 1 / (1 + mpmath.exp((2 * yb - 1) * mpmath.mpf(float(zb))))
            if float(wrong**2) > 1e-290:
                assert _relative_error_in_eps(value, wrong**2) <= 4, (zb, yb)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_confident_rows_accuracy_against_mpmath(dtype):
    """Probabilities within delta of 1 for the true class: the loss is ~delta^2, which
    ``sum p^2 - 2 p_t + 1`` would bury under rounding noise of order eps; the kernel's
    ``sum_{k != t} p_k^2 + (1 - p_t)^2`` stays within 4 eps of the exact value (also for float32
    input, accumulated in float64)."""
    rng = np.random.default_rng(9)
    with mpmath.workdps(60):
        for delta in (1e-3, 1e-6, 1e-7, 1e-12, 1e-15):
            k, n = 4, 50
            rest = rng.random((n, k - 1))
            rest *= delta / rest.sum(axis=1, keepdims=True)
            P = np.c_[1 - rest.sum(axis=1), rest].astype(dtype)
            y = np.zeros(n, dtype=int)
            value = sxm.brier_score_loss(y, P, labels=list(range(k)), scale_by_half=False)
            reference = mpmath.fsum(_mp_brier_row(0, row) for row in P) / n
            assert _relative_error_in_eps(value, reference) <= 4, delta
            naive = float(np.mean((P.astype(np.float64) ** 2).sum(axis=1) - 2 * P[:, 0] + 1))
            if delta <= 1e-7 and dtype == np.float64:
                assert abs(naive - float(reference)) > 1e3 * EPS64 * float(reference)


@pytest.mark.filterwarnings("ignore:The y_prob values do not sum to one")  # float32 rounding
def test_float32_input_accumulates_in_float64():
    """The Brier metrics of float32 probabilities equal those of the same values in float64.
    (d2_log_loss_score's numerator is log_loss's, which rounds float32 sums to float32.)"""
    rng = np.random.default_rng(10)
    P32, y = _probabilities(rng, 50_000, 10, np.float32), rng.integers(0, 10, 50_000)
    w = rng.random(50_000)
    for name in ("brier_score_loss", "d2_brier_score"):
        f = getattr(sxm, name)
        exact = f(y, P32.astype(np.float64), sample_weight=w)
        assert f(y, P32, sample_weight=w) == pytest.approx(exact, rel=1e-13)


# -- the kernel -------------------------------------------------------------------------------


def _onehot_rows(P, t):
    n, k = P.shape
    Y = np.zeros((n, k))
    keep = t >= 0
    Y[np.arange(n)[keep], t[keep]] = 1
    return ((Y - P.astype(np.float64)) ** 2).sum(axis=1)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 7, 10, 33])
def test_kernel_rows_and_layouts(k):
    rng = np.random.default_rng(11)
    n = 257
    P, t = _probabilities(rng, n, k), rng.integers(-1, k, n)
    w = rng.random(n)
    expected = float(np.dot(_onehot_rows(P, t), w))
    layouts = {
        "C": P, "F": np.asfortranarray(P), "reversed": P[::-1, ::-1].copy()[::-1, ::-1],
        "strided": np.repeat(P, 2, axis=1)[:, ::2], "float32": P.astype(np.float32),
    }
    for layout, x in layouts.items():
        total, ok, smin, smax = _brier.brier(x, t, w, False, False, 1)
        ref = float(np.dot(_onehot_rows(x, t), w))
        assert total == pytest.approx(ref, rel=1e-14), layout
        sums = x.astype(np.float64).sum(axis=1)
        assert ok and smin == pytest.approx(sums.min(), abs=1e-15)
        assert smax == pytest.approx(sums.max(), abs=1e-15)
    assert expected == pytest.approx(_brier.brier(P, t, w, False, False, 1)[0], rel=1e-14)


@pytest.mark.parametrize("k", [2, 3, 5, 10])
def test_kernel_constant_rows_match_materialised_rows_exactly(k):
    """The null model's stride-0 view and the same rows written out give identical sums."""
    rng = np.random.default_rng(12)
    n = 70_000
    t, w = rng.integers(0, k, n), rng.random(n)
    for dtype in (np.float64, np.float32):
        row = _probabilities(rng, 1, k, dtype)[0]
        view = np.broadcast_to(row, (n, k))
        for others in (False, True):
            a = _brier.brier(view, t, w, False, others, 2)
            for written in (np.ascontiguousarray(view), np.asfortranarray(view)):
                assert _brier.brier(written, t, w, False, others, 2)[0] == a[0]


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 1.0000001, -1e-300])
def test_kernel_flags_values_outside_the_unit_interval(value):
    rng = np.random.default_rng(13)
    P, t = _probabilities(rng, 40, 5), rng.integers(0, 5, 40)
    P[17, 3] = value
    for x in (P, np.asfortranarray(P), P[:, 3].copy()):
        binary = x.ndim == 1
        assert not _brier.brier(x, (t % 2) if binary else t, None, binary, False, 1)[1]
    P[17, 3] = -0.0
    assert _brier.brier(P, t, None, False, False, 1)[1]


def test_results_do_not_depend_on_the_thread_count():
    rng = np.random.default_rng(14)
    n, k = 300_000, 10
    P, t, w = _probabilities(rng, n, k), rng.integers(0, k, n), rng.random(n)
    results = {_brier.brier(P, t, w, False, False, nt) for nt in (1, 2, 3, 8)}
    assert len(results) == 1
    values = set()
    for limit in (1, 2):
        with threadpool_limits(limit, user_api="openmp"):
            values.add(tuple(getattr(sxm, name)(t, P, sample_weight=w) for name in NAMES))
    assert len(values) == 1


# -- scorers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scorer, sklearn_name",
    [
        ("neg_brier_score_scorer", "neg_brier_score"),
        ("d2_log_loss_scorer", "d2_log_loss_score"),
        ("d2_brier_scorer", "d2_brier_score"),
    ],
)
@pytest.mark.parametrize("dataset", ["binary", "multiclass"])
def test_scorers_in_cross_val_score_match_sklearn(scorer, sklearn_name, dataset):
    if dataset == "binary":  # the scorer passes predict_proba's positive column
        X, y = load_breast_cancer(return_X_y=True)
        X, y = X[::2], y[::2]
    else:
        X, y = load_iris(return_X_y=True)
        y = np.array(["setosa", "versicolor", "virginica"])[y]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    ours = cross_val_score(model, X, y, cv=3, scoring=getattr(sxm, scorer))
    theirs = cross_val_score(model, X, y, cv=3, scoring=sklearn_name)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert (ours < 0).all() if scorer == "neg_brier_score_scorer" else (ours > 0).all()


# -- module graph -----------------------------------------------------------------------------


def test_proba_metrics_does_not_import_metrics_or_losses():
    """skxent._proba_metrics sits below skxent.metrics (no import cycle)."""
    import skxent._proba_metrics as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ("skxent." + (node.module or "")) if node.level else node.module
            imported.add(base.rstrip("."))
            imported.update(base.rstrip(".") + "." + alias.name for alias in node.names)
    for forbidden in ("skxent.metrics", "skxent.losses"):
        assert not any(m == forbidden or m.startswith(forbidden + ".") for m in imported)
