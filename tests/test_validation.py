"""Bad input: every case of the API reference (docs/api_reference.md) raises ValueError/TypeError naming the argument.

Design note
-----------
The API page lists what counts as bad input (shapes that do not match, labels outside
``[0, n_classes)`` or not integral, NaN in labels or weights, values outside [0, 1] where [0, 1]
is required, negative weights, unknown reductions, ``label_smoothing`` outside [0, 1], ``n_threads``
< 1, complex/object/string data, a missing ``from_logits``). Each is a parametrized case here:
the exception type must be ValueError or TypeError and the message must contain the argument's
name; for a bad integer label also its first position and value (placed at a distinctive index
so a stray digit cannot satisfy the check). Hypothesis then throws random shapes and values at
both losses: valid input never crashes and never gives NaN for finite logits, and invalid shapes
always raise cleanly.
"""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skxent.losses import binary_cross_entropy as bce
from skxent.losses import categorical_cross_entropy as cce
from skxent.special import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax

N, K = 20, 3
X = np.linspace(-2, 2, N * K).reshape(N, K)
Y = np.arange(N) % K
P = np.full((N, K), 1 / 3)
XB = np.linspace(-2, 2, N * 2).reshape(N, 2)
YB = (np.arange(N * 2).reshape(N, 2) % 2).astype(float)


def _raises(func, *args, match, **kw):
    with pytest.raises((ValueError, TypeError)) as info:
        func(*args, **kw)
    msg = str(info.value)
    assert re.search(match, msg), f"message {msg!r} does not name {match!r}"
    return msg


# ------------------------------------------------------------------ categorical


def _bad_label(value, pos=13):
    y = Y.astype(np.float64 if isinstance(value, float) else np.int64).copy()
    y[pos] = value
    return y


@pytest.mark.parametrize("value", [7, -1, 3, 1000])
def test_bad_integer_label_names_position_and_value(value):
    msg = _raises(cce, _bad_label(value), X, from_logits=True, match="y_true")
    assert re.search(r"\b13\b", msg), msg
    assert re.search(rf"(?<![\d.]){re.escape(str(value))}\b", msg), msg


def test_bad_label_reports_the_first_offender():
    y = Y.copy()
    y[11] = 9
    y[17] = 5
    msg = _raises(cce, y, X, from_logits=True, match="y_true")
    assert re.search(r"\b11\b", msg) and re.search(r"\b9\b", msg), msg


@pytest.mark.parametrize("value", [1.5, 0.25, -0.5])
def test_non_integral_float_label_names_position_and_value(value):
    msg = _raises(cce, _bad_label(value), X, from_logits=True, match="y_true")
    assert re.search(r"\b13\b", msg) and str(value) in msg, msg


def test_nan_integer_label():
    _raises(cce, _bad_label(np.nan), X, from_logits=True, match="y_true")


def test_ignore_index_label_is_allowed_out_of_range():
    y = _bad_label(-100)
    loss = cce(y, X, from_logits=True, ignore_index=-100)
    assert np.isfinite(loss)
    _raises(cce, y, X, from_logits=True, match="y_true")  # without ignore_index: bad


@pytest.mark.parametrize("from_logits", [True, False])
def test_soft_labels_outside_unit_interval_or_nan(from_logits):
    pred = X if from_logits else P
    for bad in (1.5, -0.1, np.nan):
        Yb = np.full((N, K), 1 / 3)
        Yb[4, 2] = bad
        _raises(cce, Yb, pred, from_logits=from_logits, match="y_true")


@pytest.mark.parametrize("bad", [1.5, -0.1, np.nan])
def test_probabilities_outside_unit_interval(bad):
    Pb = P.copy()
    Pb[6, 1] = bad
    _raises(cce, Y, Pb, from_logits=False, match="y_pred")


@pytest.mark.parametrize("kwargs, name", [
    (dict(sample_weight=-np.ones(N)), "sample_weight"),
    (dict(sample_weight=np.r_[np.ones(N - 1), np.nan]), "sample_weight"),
    (dict(sample_weight=np.ones(N + 1)), "sample_weight"),
    (dict(sample_weight=np.ones((N, 1))), "sample_weight"),
    (dict(class_weight=np.ones(K + 1)), "class_weight"),
    (dict(class_weight=np.array([1.0, -1.0, 1.0])), "class_weight"),
    (dict(class_weight=np.array([1.0, np.nan, 1.0])), "class_weight"),
    (dict(label_smoothing=-0.1), "label_smoothing"),
    (dict(label_smoothing=1.5), "label_smoothing"),
    (dict(label_smoothing=np.nan), "label_smoothing"),
    (dict(reduction="average"), "reduction"),
    (dict(reduction="MEAN"), "reduction"),
    (dict(reduction=None), "reduction"),
    (dict(n_threads=0), "n_threads"),
    (dict(n_threads=-2), "n_threads"),
    (dict(n_threads=1.5), "n_threads"),
    (dict(n_threads="2"), "n_threads"),
])
def test_bad_keyword_arguments_categorical(kwargs, name):
    _raises(cce, Y, X, from_logits=True, match=name, **kwargs)


@pytest.mark.parametrize("n_threads", [0, -1])
def test_n_threads_zero_or_negative_is_value_error(n_threads):
    with pytest.raises(ValueError, match="n_threads"):
        cce(Y, X, from_logits=True, n_threads=n_threads)
    with pytest.raises(ValueError, match="n_threads"):
        bce(YB, XB, from_logits=True, n_threads=n_threads)


def test_unknown_reduction_is_value_error():
    with pytest.raises(ValueError, match="reduction"):
        cce(Y, X, from_logits=True, reduction="batch")
    with pytest.raises(ValueError, match="reduction"):
        bce(YB, XB, from_logits=True, reduction="batch")


@pytest.mark.parametrize("y_true, y_pred, name", [
    (Y[:-1], X, "y_true|y_pred"),
    (np.zeros((N, K + 1)), X, "y_true|y_pred"),
    (Y, X[:, :, None], "y_pred"),
    (Y, X[:, 0], "y_pred"),
    (Y.reshape(-1, 1, 1), X, "y_true"),
])
def test_shapes_that_do_not_match(y_true, y_pred, name):
    _raises(cce, y_true, y_pred, from_logits=True, match=name)


def test_ignore_index_with_soft_labels_is_rejected():
    _raises(cce, np.full((N, K), 1 / 3), X, from_logits=True, ignore_index=0,
            match="ignore_index")


def test_from_logits_is_required():
    with pytest.raises(TypeError):
        cce(Y, X)
    with pytest.raises(TypeError):
        bce(YB, XB)


@pytest.mark.parametrize("bad", [
    X.astype(np.complex128),
    X.astype(object),
    np.full((N, K), "a"),
])
def test_complex_object_string_predictions_raise(bad):
    _raises(cce, Y, bad, from_logits=True, match="y_pred")
    _raises(bce, YB.ravel()[:N], bad[:, 0], from_logits=True, match="y_pred")


@pytest.mark.parametrize("bad", [
    Y.astype(np.complex128),
    Y.astype(object),
    Y.astype(str),
])
def test_complex_object_string_labels_raise(bad):
    _raises(cce, bad, X, from_logits=True, match="y_true")


def test_complex_or_string_weights_raise():
    _raises(cce, Y, X, from_logits=True, sample_weight=np.ones(N, complex), match="sample_weight")
    _raises(cce, Y, X, from_logits=True, class_weight=np.array(["a", "b", "c"]),
            match="class_weight")


def test_ragged_lists_raise_value_error():
    with pytest.raises((ValueError, TypeError)):
        cce([0, 1], [[0.0, 1.0], [1.0]], from_logits=True)


def test_empty_input_does_not_crash():
    # the API is silent on n = 0; it must either raise cleanly or return a number
    for reduction in ("none", "sum", "mean"):
        try:
            out = cce(np.zeros(0, np.int64), np.zeros((0, 3)), from_logits=True,
                      reduction=reduction)
        except (ValueError, TypeError):
            continue
        if reduction == "none":
            assert np.shape(out) == (0,)
        elif reduction == "sum":
            assert out == 0


def test_caller_arrays_unchanged_after_errors():
    y = _bad_label(7)
    yc, xc = y.copy(), X.copy()
    with pytest.raises(ValueError):
        cce(y, X, from_logits=True)
    assert np.array_equal(y, yc) and np.array_equal(X, xc)


# ------------------------------------------------------------------ binary


@pytest.mark.parametrize("bad", [1.5, -0.1, np.nan, 2])
def test_binary_labels_outside_unit_interval_or_nan(bad):
    Yb = YB.copy()
    Yb[8, 1] = bad
    msg = _raises(bce, Yb, XB, from_logits=True, match="y_true")
    assert re.search(r"\b8\b", msg), msg


@pytest.mark.parametrize("bad", [1.5, -0.1, np.nan])
def test_binary_probabilities_outside_unit_interval(bad):
    Pb = np.full((N, 2), 0.5)
    Pb[3, 0] = bad
    _raises(bce, YB, Pb, from_logits=False, match="y_pred")


@pytest.mark.parametrize("kwargs, name", [
    (dict(sample_weight=-np.ones(N)), "sample_weight"),
    (dict(sample_weight=np.r_[np.ones(N - 1), np.nan]), "sample_weight"),
    (dict(sample_weight=np.ones(N - 1)), "sample_weight"),
    (dict(pos_weight=-1.0), "pos_weight"),
    (dict(pos_weight=np.nan), "pos_weight"),
    (dict(pos_weight=np.ones(3)), "pos_weight"),
    (dict(pos_weight=np.array([1.0, -2.0])), "pos_weight"),
    (dict(label_smoothing=-0.5), "label_smoothing"),
    (dict(label_smoothing=1.01), "label_smoothing"),
    (dict(reduction="avg"), "reduction"),
    (dict(n_threads=0), "n_threads"),
])
def test_bad_keyword_arguments_binary(kwargs, name):
    _raises(bce, YB, XB, from_logits=True, match=name, **kwargs)


@pytest.mark.parametrize("y_true, y_pred, name", [
    (YB[:-1], XB, "y_true|y_pred"),
    (YB[:, :1], XB, "y_true|y_pred"),
    (YB.ravel(), XB, "y_true|y_pred"),
    (YB[..., None], np.repeat(XB[..., None], 2, axis=-1), "y_pred|y_true"),  # N-D
])
def test_binary_shapes_that_do_not_match(y_true, y_pred, name):
    _raises(bce, y_true, y_pred, from_logits=True, match=name)


def test_binary_complex_labels_raise():
    _raises(bce, YB.astype(complex), XB, from_logits=True, match="y_true")


# ------------------------------------------------------------------ special


@pytest.mark.parametrize("func", [logsumexp, log_softmax, softmax, log_sigmoid, sigmoid])
def test_special_rejects_complex_object_string_and_bad_threads(func):
    for bad in (np.ones(3, complex), np.array([1.0, 2.0], dtype=object), np.array(["a"])):
        with pytest.raises((TypeError, ValueError)):
            func(bad)
    with pytest.raises(ValueError, match="n_threads"):
        func(np.ones(3), n_threads=0)


# ------------------------------------------------------------------ property-based

finite64 = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, width=64)
anyfinite64 = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def categorical_problems(draw):
    n = draw(st.integers(1, 12))
    k = draw(st.integers(1, 9))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    elems = st.floats(allow_nan=False, allow_infinity=False, width=32) \
        if dtype == np.float32 else anyfinite64
    x = draw(hnp.arrays(dtype, (n, k), elements=elems))
    y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1)))
    return x, y


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(categorical_problems(), st.sampled_from(["none", "sum", "mean"]),
       st.floats(0, 1), st.booleans())
def test_random_finite_logits_never_nan_categorical(problem, reduction, smoothing, soft):
    x, y = problem
    yt = y
    if soft:
        yt = np.zeros(x.shape)
        yt[np.arange(len(y)), y] = 1.0
    loss, grad = cce(yt, x, from_logits=True, reduction=reduction,
                     label_smoothing=smoothing, return_grad=True)
    assert not np.any(np.isnan(loss)), (x, y)
    assert not np.any(np.isnan(grad)), (x, y)
    assert np.all(np.asarray(loss) >= 0)
    assert grad.shape == x.shape and grad.dtype == x.dtype


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([np.float32, np.float64]), st.data())
def test_random_finite_logits_never_nan_binary(dtype, data):
    x = data.draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=2, max_side=8),
                             elements=st.floats(allow_nan=False, allow_infinity=False,
                                                width=32 if dtype == np.float32 else 64)))
    y = data.draw(hnp.arrays(np.float64, x.shape, elements=st.floats(0, 1)))
    pw = data.draw(st.floats(0, 10))
    e = data.draw(st.sampled_from([0.0, 0.1]))
    loss, grad = bce(y, x, from_logits=True, reduction="none", pos_weight=pw, return_grad=True,
                     label_smoothing=e)
    assert not np.any(np.isnan(loss)) and not np.any(np.isnan(grad))
    assert np.all(loss >= 0)
    assert loss.shape == x.shape == grad.shape and grad.dtype == dtype
    for reduction in ("sum", "mean"):
        red, g = bce(y, x, from_logits=True, reduction=reduction, pos_weight=pw,
                     return_grad=True)
        assert not np.isnan(red) and not np.any(np.isnan(g))


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=8),
                  elements=anyfinite64))
def test_random_finite_inputs_never_nan_special(x):
    for f in (logsumexp, log_softmax, softmax, log_sigmoid, sigmoid):
        assert not np.any(np.isnan(f(x))), f.__name__
    s = softmax(x)
    assert np.all((s >= 0) & (s <= 1))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 5), st.integers(1, 5), st.integers(0, 5), st.integers(0, 5))
def test_random_shape_mismatches_raise_cleanly(n1, k1, n2, k2):
    x = np.zeros((n1, k1))
    y = np.zeros((n2, k2)) if k2 else np.zeros(n2, np.int64)
    ok = (n1 == n2) and (k2 == 0 or k2 == k1)
    try:
        cce(y, x, from_logits=True, reduction="sum")
    except (ValueError, TypeError) as exc:
        assert not ok or n1 == 0, exc  # n = 0 may legitimately be rejected
        assert re.search("y_true|y_pred", str(exc)), exc
    else:
        assert ok


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 50), st.integers(1, 8), st.data())
def test_random_bad_label_reports_first_position_and_value(n, k, data):
    y = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1)))
    pos = data.draw(st.integers(0, n - 1))
    bad = data.draw(st.one_of(st.integers(k, 10**9), st.integers(-10**9, -1)))
    y[pos] = bad
    layout = data.draw(st.sampled_from(["int64", "int32", "float64"]))
    if layout == "int32":
        y = y.astype(np.int32) if abs(bad) < 2**31 else y
    elif layout == "float64":
        y = y.astype(np.float64)
    x = np.zeros((n, k))
    with pytest.raises(ValueError) as info:
        cce(y, x, from_logits=True)
    msg = str(info.value)
    assert "y_true" in msg
    assert re.search(rf"(?<!\d){pos}(?!\d)", msg), msg
    assert re.search(rf"(?<![\d.]){bad}(?![1-9])", msg), msg
