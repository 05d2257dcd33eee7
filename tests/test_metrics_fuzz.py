"""Randomised parity of skxent.metrics.log_loss with scikit-learn (hypothesis).

Design note
-----------
test_metrics.py pins chosen cases; this file lets hypothesis draw the inputs a
drop-in must survive: label kinds (ints with gaps, negative ints, strings,
bools, floats), 1-D / one-column / 2-D probabilities that may be unnormalised,
out of range, NaN or infinite, class counts that may not match, ``labels=``
that may be incomplete or unsorted, weights, ``normalize``. For every draw the
two implementations must return the same value (float64: relative 1e-12), or
raise the same exception type with the same message, with the same warnings.
"""

from unittest import mock

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_metrics import _same_outcome

import skxent._log_loss as _log_loss
import skxent.metrics as metrics

LABEL_KINDS = ["int", "int-gaps", "negative", "str", "bool", "float"]


def _labels_of(kind, idx):
    if kind == "int":
        return idx
    if kind == "int-gaps":
        return idx * 7 + 3
    if kind == "negative":
        return idx - 5
    if kind == "str":
        return np.array(["c", "a", "b", "zz", "y", "x"])[idx]
    if kind == "bool":
        return (idx % 2).astype(bool)
    return idx.astype(np.float64) * 0.5 + 1.0


@st.composite
def cases(draw):
    n = draw(st.integers(1, 12))
    k = draw(st.integers(1, 5))
    kind = draw(st.sampled_from(LABEL_KINDS))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_label_values = 2 if kind == "bool" else draw(st.integers(1, 6))
    idx = rng.integers(0, n_label_values, n)
    y = _labels_of(kind, idx)
    shape = draw(st.sampled_from(["1d", "column", "2d"]))
    cols = 1 if shape != "2d" else k
    p = rng.random((n, cols))
    if shape == "2d" and draw(st.booleans()):
        p /= p.sum(axis=1, keepdims=True)
    corruption = draw(st.sampled_from(["none", "none", "none", "above", "below", "nan", "inf",
                                       "zero", "one"]))
    i, j = rng.integers(0, n), rng.integers(0, cols)
    p[i, j] = {"none": p[i, j], "above": 1.5, "below": -0.25, "nan": np.nan, "inf": np.inf,
               "zero": 0.0, "one": 1.0}[corruption]
    if shape == "1d":
        p = p[:, 0]
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    p = p.astype(dtype)
    kwargs = {}
    if draw(st.booleans()):
        kwargs["normalize"] = draw(st.booleans())
    if draw(st.booleans()):
        kwargs["sample_weight"] = rng.random(n + draw(st.sampled_from([0, 0, 0, 1])))
    if draw(st.booleans()):
        universe = np.unique(_labels_of(kind, np.arange(6 if kind != "bool" else 2)))
        pick = rng.permutation(universe)[: draw(st.integers(1, len(universe)))]
        if draw(st.booleans()):
            pick = np.sort(pick)
        kwargs["labels"] = list(pick)
    as_list = draw(st.booleans())
    y_arg = y.tolist() if as_list else y
    speculate = draw(st.booleans())
    return y_arg, p, kwargs, dtype, speculate


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_log_loss_random_inputs_same_as_sklearn(case):
    """Also with log_loss's concurrent kernel path forced on (``speculate``)."""
    y, p, kwargs, dtype, speculate = case
    threshold = 0 if speculate else _log_loss._SPECULATE_MIN_ELEMENTS
    with mock.patch.object(_log_loss, "_SPECULATE_MIN_ELEMENTS", threshold):
        _same_outcome((y, p), kwargs, rtol=1e-12 if dtype == np.float64 else 2e-6)
