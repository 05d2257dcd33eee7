"""Brier score and D^2 metrics: the in-memory implementation behind ``skxent.metrics``.

Design note
-----------
``brier_score_loss``, ``d2_brier_score`` and ``d2_log_loss_score`` are drop-ins for the installed
scikit-learn's (1.9) functions of the same names: same values, same exceptions and warnings in
the same order. The public functions (docstrings, scorers) live in :mod:`skxent.metrics`; this
module holds the validation and the arithmetic, and imports neither ``skxent.metrics`` nor
``skxent.losses`` (``d2_log_loss_score`` receives ``log_loss`` from its caller).

What changes is the cost:

* scikit-learn one-hot encodes ``y_true`` (``LabelBinarizer``), stacks ``[1 - p, p]`` for binary
  input, forms ``(Y - P) ** 2`` and, for D^2, tiles the null model to ``n x K``. skxent encodes
  the labels as class indices (:mod:`skxent._metrics_labels`, O(n) for integer labels) and the
  Brier kernel (:mod:`skxent._brier`) reads each probability once:
  ``q_i = sum_{k != t_i} p_ik^2 + (1 - p_it_i)^2``, accumulated with compensated sums in float64
  (also for float32 input). The same pass returns what scikit-learn's validation needs (every
  value in [0, 1]; smallest and largest row sum), so on the common path (NumPy arrays, integer
  labels, no ``labels=``) the whole metric is one read of ``y_proba``. The kernel runs before
  the checks there, which is not observable: the fast label encoder neither warns nor raises,
  the kernel only reads, and the checks then run in scikit-learn's order and raise its errors
  before any value is returned.
* The null model (constant predictions equal to the weighted class priors) costs O(n): priors
  from ``np.bincount`` (bit-identical to scikit-learn's ``np.average`` of the one-hot matrix).
  ``d2_brier_score`` then runs the same kernel on a row-stride-0 view of the priors (a table
  lookup per row), so model and null model go through identical arithmetic: a model that
  predicts the priors scores exactly 0, as in scikit-learn. ``d2_log_loss_score`` takes its
  numerator from skxent's ``log_loss`` and the null model's loss from the K class totals,
  ``-sum_c W_c log(prior_c)``; only when the two are within rounding of each other is the null
  loss recomputed row by row by the categorical kernel call ``log_loss`` makes (on the prior
  view), so that there too the priors score exactly 0.
* Per-call overhead matters (scorers in cross-validation call these on small folds): the common
  parameter types are recognised with ``type(...) is`` tests, and scikit-learn's
  ``validate_params`` machinery only runs when those fail (to raise its exact message).

``from_logits=True`` (an addition) takes ``decision_function`` scores: a 1-D score (or one
column) is a binary logit, ``sigmoid((1 - 2 t) z)`` being the probability of the wrong class,
whose square is the row (no ``1 - p`` cancellation); a score matrix goes through skxent's
softmax in blocks of rows (no ``n x K`` temporary), and the kernel takes ``1 - p_t`` as the sum
of the other classes' probabilities. The probability checks (range, rows summing to one) do not
apply; everything else (lengths, weights, labels, class counts) does.

Floating point: for float64 input the values agree with scikit-learn's to a few ulps (the row
terms are the same, only the summation order differs). float32 input is accumulated in float64
here, but in float32 by scikit-learn, so the two agree to float32 precision.
"""

import math
import numbers
import warnings

import numpy as np
from sklearn import get_config
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import assert_all_finite, check_consistent_length, column_or_1d
from sklearn.utils._param_validation import Hidden, StrOptions, validate_parameter_constraints
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _check_pos_label_consistency,
    _check_sample_weight,
    _num_samples,
)

from . import _brier
from ._config import effective_n_threads
from ._engine import CATEGORICAL
from ._engine import loss as _family_loss
from ._log_loss import all_in_unit_interval as _all_in_unit_interval
from ._log_loss import check_proba_array as _check_proba_array
from ._log_loss import is_plain_float_array as _is_plain_float_array
from ._log_loss import raise_class_count_mismatch as _raise_class_count_mismatch
from ._log_loss import row_sums as _row_sums
from ._log_loss import sums_near_one as _sums_near_one
from ._metrics_labels import (
    _encode_fast,
    _encode_fast_with_labels,
    _label_indices,
    _plain_numpy_view,
    encode_labels,
)
from ._special import sigmoid, softmax

_BRIER_CONSTRAINTS = {
    "y_true": ["array-like"],
    "y_proba": ["array-like"],
    "sample_weight": ["array-like", None],
    "pos_label": [numbers.Real, str, "boolean", None],
    "labels": ["array-like", None],
    "scale_by_half": ["boolean", StrOptions({"auto"})],
    "from_logits": ["boolean"],
}

_D2_BRIER_CONSTRAINTS = {
    "y_true": ["array-like"],
    "y_proba": ["array-like"],
    "sample_weight": ["array-like", None],
    "pos_label": [numbers.Real, str, "boolean", None],
    "labels": ["array-like", None],
    "from_logits": ["boolean"],
}

_D2_LOG_LOSS_CONSTRAINTS = {
    "y_true": ["array-like"],
    "y_proba": ["array-like", Hidden(None)],
    "sample_weight": ["array-like", None],
    "labels": ["array-like", None],
    "from_logits": ["boolean"],
    "y_pred": ["array-like", str],
}

# Types for which scikit-learn's constraints are known to hold without running the
# (comparatively slow) generic validation.
_ARRAY_TYPES = (np.ndarray, list)
_BOOL_TYPES = (bool, np.bool_)
_FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
# scikit-learn's check_array keeps these (supported_float_dtypes(numpy))
_SK_FLOAT_DTYPES = [np.float64, np.float32, np.float16]

# Rows of logits turned into probabilities at a time (from_logits=True): a block of about this
# many elements is softmaxed, scored and dropped, so no n x K temporary exists.
_LOGIT_BLOCK_ELEMS = 1 << 17


# -- parameters -----------------------------------------------------------------------------


def _check_params(constraints, params, caller_name, fast):
    """scikit-learn's ``validate_params``, skipped when ``fast`` says the common types hold."""
    if fast or get_config()["skip_parameter_validation"]:
        return
    validate_parameter_constraints(constraints, params, caller_name=caller_name)


def _from_array_api(*arrays):
    """With scikit-learn's ``array_api_dispatch`` on, inputs of other array libraries (a CPU
    torch tensor...) as NumPy arrays: the kernels read NumPy memory, and these metrics return
    Python floats whatever the namespace, as scikit-learn's do."""
    if not get_config()["array_api_dispatch"]:
        return arrays
    return tuple(
        np.asarray(a) if (
            a is not None
            and not isinstance(a, (np.ndarray, list, tuple, str))
            and hasattr(a, "__dlpack__")
        ) else a
        for a in arrays
    )


def _plain_types(y_true, y_proba, sample_weight, labels, from_logits):
    return (
        type(y_true) in _ARRAY_TYPES
        and type(y_proba) in _ARRAY_TYPES
        and (sample_weight is None or type(sample_weight) in _ARRAY_TYPES)
        and (labels is None or type(labels) in _ARRAY_TYPES)
        and type(from_logits) in _BOOL_TYPES
    )


def _plain_pos_label(pos_label):
    return pos_label is None or type(pos_label) in (int, float, str, bool, np.bool_)


def _is_number(pos_label):
    """A pos_label that compares with integer labels the way NumPy compares numbers."""
    return isinstance(pos_label, (numbers.Real, np.bool_)) and not isinstance(pos_label, str)


# -- arrays -------------------------------------------------------------------------------------


def _is_plain_weights(sample_weight, n):
    """A float ndarray of shape (n,): valid weights are used as they are, so the kernel may read
    them before ``_check_sample_weight`` has run (invalid ones make it raise afterwards)."""
    return (
        type(sample_weight) is np.ndarray
        and sample_weight.dtype in _FLOAT_DTYPES
        and sample_weight.shape == (n,)
    )


def _kernel_weights(sample_weight):
    if sample_weight is None:
        return None
    return np.ascontiguousarray(sample_weight, dtype=np.float64)


def _kernel_floats(a):
    """float32/float64 as they are; float16 (kept by check_array) widened to float64."""
    return a if a.dtype in _FLOAT_DTYPES else a.astype(np.float64)


def _raise_multiclass_range(proba, fast):
    """scikit-learn's range errors of ``_validate_multiclass_probabilistic_prediction``."""
    vmax = proba.max()
    vmin = proba.min()
    if fast and not (math.isfinite(vmax) and math.isfinite(vmin)):
        _check_proba_array(proba)  # check_array's NaN/inf error, skipped on the fast path
    if vmax > 1:
        raise ValueError(f"y_prob contains values greater than 1: {vmax}")
    if vmin < 0:
        raise ValueError(f"y_prob contains values lower than 0: {vmin}")





def _weight_total(weights, n):
    """The denominator of ``np.average``: ``sum(weights)`` (pairwise, as NumPy sums), or n."""
    if weights is None:
        return float(n)
    total = float(np.sum(weights))
    if total == 0:
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    return total


def _n_threads():
    # the kernels cap this by the amount of work, and their results do not depend on it
    return effective_n_threads(None)


# -- the Brier score ----------------------------------------------------------------------------


class _BrierParts:
    """Weighted sums of the model's rows (``total``) and of the null model's (``null_total``,
    when asked for), their common denominator ``wsum``, and whether ``scale_by_half="auto"``
    halves (two columns)."""

    __slots__ = ("total", "null_total", "wsum", "two_columns")

    def __init__(self, total, null_total, wsum, two_columns):
        self.total = total
        self.null_total = null_total
        self.wsum = wsum
        self.two_columns = two_columns


def _brier_parts(y_true, y_proba, sample_weight, pos_label, labels, from_logits, null):
    """scikit-learn's ``brier_score_loss`` / ``d2_brier_score`` from ``check_array`` on."""
    # scores (from_logits) always get check_array's finiteness check: no kernel flag stands in
    fast = not from_logits and _is_plain_float_array(y_proba)
    proba = y_proba if fast else _check_proba_array(y_proba)
    if proba.ndim == 1 or proba.shape[1] == 1:
        return _binary_parts(y_true, proba, fast, sample_weight, pos_label, from_logits, null)
    return _multiclass_parts(y_true, proba, fast, sample_weight, labels, from_logits, null)


# binary: scikit-learn's _validate_binary_probabilistic_prediction


def _binary_targets_fast(y, pos_label):
    """``(y == pos_label)`` as int64 for 1-D integer or boolean labels, with ``pos_label``
    inferred as scikit-learn infers it; None when ``y`` has more than two values (then
    ``type_of_target`` is "multiclass" and the exact path raises)."""
    if y.dtype.kind == "b":
        # classes are a subset of [False, True], which compare equal to [0, 1]: pos_label 1
        pos = 1 if pos_label is None else pos_label
        return (y == pos).astype(np.int64)
    lo = y.min()
    hi = y.max()
    if lo != hi:
        if np.count_nonzero(y == lo) + np.count_nonzero(y == hi) != y.shape[0]:
            return None
    if pos_label is None:
        classes = (int(lo),) if lo == hi else (int(lo), int(hi))
        # _check_pos_label_consistency accepts these; otherwise the greatest label
        pos = 1 if classes in ((0, 1), (-1, 1), (0,), (-1,), (1,)) else hi
    else:
        pos = pos_label
    return (y == pos).astype(np.int64)


def _binary_validate_exact(y_true, proba, sample_weight, pos_label, from_logits):
    """Step by step as scikit-learn; returns (targets int64, scores 1-D)."""
    y_true = column_or_1d(y_true)
    p = column_or_1d(proba)
    assert_all_finite(y_true)
    assert_all_finite(p)
    check_consistent_length(p, y_true, sample_weight)
    if sample_weight is not None:
        _check_sample_weight(sample_weight, p, force_float_dtype=False)
    y_type = type_of_target(y_true, input_name="y_true")
    if y_type != "binary":
        raise ValueError(
            f"The type of the target inferred from y_true is {y_type} but should be "
            "binary according to the shape of y_prob."
        )
    if not from_logits:
        _raise_binary_range(p)
    try:
        pos_label = _check_pos_label_consistency(pos_label, y_true)
    except ValueError:
        classes = np.unique(y_true)
        # For backward compatibility, if classes are not string then `pos_label` will
        # correspond to the greater label.
        if classes.dtype.kind not in "OUS":
            pos_label = classes[-1]
        else:
            raise
    return np.asarray(y_true == pos_label, dtype=np.int64), p


def _raise_binary_range(p):
    if p.max() > 1:
        raise ValueError(f"y_prob contains values greater than 1: {p.max()}")
    if p.min() < 0:
        raise ValueError(f"y_prob contains values less than 0: {p.min()}")


def _binary_parts(y_true, proba, fast, sample_weight, pos_label, from_logits, null):
    p = proba if proba.ndim == 1 else proba[:, 0]
    n = p.shape[0]
    nt = _n_threads()
    total = None
    t = None
    if (
        fast
        and not from_logits
        and type(y_true) is np.ndarray
        and y_true.ndim == 1
        and y_true.dtype.kind in "biu"
        and y_true.shape[0] == n
        and (pos_label is None or _is_number(pos_label))
        and (sample_weight is None or _is_plain_weights(sample_weight, n))
    ):
        # Integer or boolean labels: nothing before the range check can fail except the
        # weights and "not binary" (t is None: the exact path raises it).
        t = _binary_targets_fast(y_true, pos_label)
        if t is not None:
            weights = _kernel_weights(sample_weight)
            total, ok, _, _ = _brier.brier(p, t, weights, True, False, nt)
            if not ok:
                _check_proba_array(proba)  # NaN/inf: check_array's error comes first
            if sample_weight is not None:
                _check_sample_weight(sample_weight, p, force_float_dtype=False)
            if not ok:
                _raise_binary_range(p)
    if t is None:
        t, p = _binary_validate_exact(y_true, proba, sample_weight, pos_label, from_logits)
        weights = _kernel_weights(sample_weight)
        x = _kernel_floats(p)
        if from_logits:
            total = _binary_logit_total(x, t, weights)
        else:
            total = _brier.brier(x, t, weights, True, False, nt)[0]

    wsum = _weight_total(weights, n)
    null_total = None
    if null:
        counts = np.bincount(t, weights=weights, minlength=2)
        prior = counts / wsum
        # scikit-learn's null model is the two-column [W0, W1] / W; its rows are those of a
        # two-class problem
        null_total = _brier.brier(np.broadcast_to(prior, (n, 2)), t, weights, False, False,
                                  nt)[0]
    return _BrierParts(total, null_total, wsum, True)


def _binary_logit_total(z, t, weights):
    """Sum of w_i * 2 sigmoid((1 - 2 t_i) z_i)^2: the two-column Brier row of a binary logit,
    from the probability of the wrong class (never 1 - p), in float64 for any input."""
    z = z.astype(np.float64, copy=False)
    wrong = sigmoid(np.where(t == 1, -z, z))
    rows = 2.0 * (wrong * wrong)
    if weights is None:
        return float(np.sum(rows))
    return float(np.dot(rows, weights))


# multi-class: scikit-learn's _validate_multiclass_probabilistic_prediction


def _multiclass_parts(y_true, proba, fast, sample_weight, labels, from_logits, null):
    n, K = proba.shape
    nt = _n_threads()
    enc = None
    stats = None
    weights = None
    if (
        fast
        and not from_logits
        and labels is None
        and type(y_true) is np.ndarray
        and y_true.ndim == 1
        and y_true.shape[0] == n
        and (sample_weight is None or _is_plain_weights(sample_weight, n))
    ):
        enc = _encode_fast(y_true)  # neither warns nor raises (None: exact path later)
        if enc is not None and not enc.has_unknown and enc.n_classes == K:
            weights = _kernel_weights(sample_weight)
            t = np.ascontiguousarray(enc.indices, dtype=np.int64)
            stats = _brier.brier(proba, t, weights, False, False, nt)

    enc, sample_weight = _validate_multiclass(
        y_true, proba, fast, sample_weight, labels, not from_logits, stats, enc
    )
    if stats is not None:
        total = stats[0]
    else:
        weights = _kernel_weights(sample_weight)
        total = _multiclass_total(enc, proba, weights, from_logits, nt)

    wsum = _weight_total(weights, n)
    null_total = None
    if null:
        null_total = _multiclass_null_total(enc, n, K, weights, wsum, nt)
    return _BrierParts(total, null_total, wsum, K < 3)


def _validate_multiclass(y_true, proba, fast, sample_weight, labels, check_proba, stats, enc):
    """The checks in scikit-learn's order; returns (encoded labels, validated weights).

    ``stats``: the kernel's (sum, in range, smallest row sum, largest row sum), or None.
    ``enc``: labels from the fast encoder (no warnings, no errors), or None.
    """
    n, K = proba.shape
    if check_proba:
        ok = stats[1] if stats is not None else _all_in_unit_interval(proba)
        if not ok:
            _raise_multiclass_range(proba, fast)

    if not (
        fast
        and type(y_true) is np.ndarray
        and y_true.ndim >= 1
        and y_true.shape[0] == n
        and sample_weight is None
    ):
        check_consistent_length(proba, y_true, sample_weight)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(sample_weight, proba, force_float_dtype=False)

    if enc is None:
        enc = encode_labels(y_true, labels)

    if check_proba:
        if stats is not None:
            smin, smax = stats[2], stats[3]
        else:
            sums = _row_sums(proba)
            smin, smax = sums.min(), sums.max()
        if not _sums_near_one(smin, smax, np.finfo(proba.dtype).eps):
            warnings.warn(
                "The y_prob values do not sum to one. Make sure to pass probabilities.",
                UserWarning,
                stacklevel=6,  # the caller of skxent.metrics' function
            )

    if enc.n_classes != K:
        _raise_class_count_mismatch(enc, y_true, labels, K)
    return enc, sample_weight


def _multiclass_total(enc, proba, weights, from_logits, nt):
    x = _kernel_floats(proba)
    if enc.indicator is not None:
        # a multi-label indicator y_true, scored (like scikit-learn) as soft labels of one
        # categorical distribution: the matrix is the caller's, the rare path stays simple
        p = softmax(x.astype(np.float64, copy=False)) if from_logits else x
        d = np.asarray(enc.indicator, dtype=np.float64) - p
        return _weighted_rows_total(np.einsum("ij,ij->i", d, d), weights)
    t = np.ascontiguousarray(enc.indices, dtype=np.int64)
    if from_logits:
        return _softmax_total(x, t, weights, nt)
    return _brier.brier(x, t, weights, False, False, nt)[0]


def _softmax_total(z, t, weights, nt):
    """Brier rows of softmax(z), a block of rows at a time, 1 - p_t as the others' mass.

    Blocks are widened to float64 first: float32 scores then get float64 probabilities
    (a probability of 1e-60 is a square of 1e-120, not 0)."""
    n, K = z.shape
    rows = max(1, _LOGIT_BLOCK_ELEMS // K)
    parts = []
    for a in range(0, n, rows):
        b = min(n, a + rows)
        p = softmax(z[a:b].astype(np.float64, copy=False))
        w = None if weights is None else weights[a:b]
        parts.append(_brier.brier(p, t[a:b], w, False, True, nt)[0])
    return math.fsum(parts)


def _weighted_rows_total(rows, weights):
    if weights is None:
        return float(np.sum(rows))
    return float(np.dot(rows, weights))


def _multiclass_null_total(enc, n, K, weights, wsum, nt):
    """Sum of the weighted Brier rows of the constant prediction of the weighted class priors."""
    if enc.indicator is not None:
        y = np.asarray(enc.indicator, dtype=np.float64)
        prior = np.average(y, axis=0, weights=weights)
        d = y - prior
        return _weighted_rows_total(np.einsum("ij,ij->i", d, d), weights)
    t = np.ascontiguousarray(enc.indices, dtype=np.int64)
    prior = _class_counts(t, weights, K, enc.has_unknown) / wsum
    return _brier.brier(np.broadcast_to(prior, (n, K)), t, weights, False, False, nt)[0]


def _class_counts(t, weights, K, has_unknown):
    """Weighted class counts, summed in sample order like scikit-learn's column sums of the
    one-hot matrix (a label outside the classes has an all-zero row: it counts nowhere)."""
    if has_unknown:
        keep = t >= 0
        t = t[keep]
        weights = None if weights is None else weights[keep]
    return np.bincount(t, weights=weights, minlength=K)


# -- public entry points (called by skxent.metrics) ---------------------------------------------


def brier_score_loss(y_true, y_proba, *, sample_weight, pos_label, labels, scale_by_half,
                     from_logits):
    fast = (
        _plain_types(y_true, y_proba, sample_weight, labels, from_logits)
        and _plain_pos_label(pos_label)
        and (type(scale_by_half) in _BOOL_TYPES
             or (type(scale_by_half) is str and scale_by_half == "auto"))
    )
    _check_params(
        _BRIER_CONSTRAINTS,
        {"y_true": y_true, "y_proba": y_proba, "sample_weight": sample_weight,
         "pos_label": pos_label, "labels": labels, "scale_by_half": scale_by_half,
         "from_logits": from_logits},
        "brier_score_loss", fast,
    )
    y_true, y_proba, sample_weight, labels = _from_array_api(
        y_true, y_proba, sample_weight, labels
    )
    parts = _brier_parts(y_true, y_proba, sample_weight, pos_label, labels, from_logits,
                         null=False)
    score = parts.total / parts.wsum
    if isinstance(scale_by_half, str):  # "auto": halve for two columns, as customary
        scale_by_half = parts.two_columns
    if scale_by_half:
        score *= 0.5
    return float(score)


def _lengths_match(y_true, y_proba, sample_weight):
    """Whether check_consistent_length is known to pass (plain arrays of equal length)."""
    if not (type(y_true) is np.ndarray and type(y_proba) is np.ndarray):
        return False
    if y_true.ndim == 0 or y_proba.ndim == 0 or y_true.shape[0] != y_proba.shape[0]:
        return False
    return sample_weight is None


def _d2_undefined(y_true, y_proba, sample_weight):
    """scikit-learn's first D^2 steps: lengths, then NaN (with a warning) below two samples."""
    if not _lengths_match(y_true, y_proba, sample_weight):
        check_consistent_length(y_proba, y_true, sample_weight)
    if _num_samples(y_proba) < 2:
        warnings.warn(
            "D^2 score is not well-defined with less than two samples.",
            UndefinedMetricWarning,
            stacklevel=4,
        )
        return True
    return False


def d2_brier_score(y_true, y_proba, *, sample_weight, pos_label, labels, from_logits):
    fast = (
        _plain_types(y_true, y_proba, sample_weight, labels, from_logits)
        and _plain_pos_label(pos_label)
    )
    _check_params(
        _D2_BRIER_CONSTRAINTS,
        {"y_true": y_true, "y_proba": y_proba, "sample_weight": sample_weight,
         "pos_label": pos_label, "labels": labels, "from_logits": from_logits},
        "d2_brier_score", fast,
    )
    y_true, y_proba, sample_weight, labels = _from_array_api(
        y_true, y_proba, sample_weight, labels
    )
    if _d2_undefined(y_true, y_proba, sample_weight):
        return float("nan")
    parts = _brier_parts(y_true, y_proba, sample_weight, pos_label, labels, from_logits,
                         null=True)
    # 0-d arrays, as in scikit-learn: a zero null score gives inf/nan with NumPy's warning
    score = np.asarray(parts.total / parts.wsum)
    null_score = np.asarray(parts.null_total / parts.wsum)
    return float(1 - score / null_score)


def d2_log_loss_score(y_true, y_proba, *, sample_weight, labels, from_logits, y_pred,
                      log_loss):
    """``1 - log_loss(model) / log_loss(null model)``; ``log_loss`` is skxent's."""
    fast = _plain_types(y_true, y_proba, sample_weight, labels, from_logits) and (
        type(y_pred) is str
    )
    _check_params(
        _D2_LOG_LOSS_CONSTRAINTS,
        {"y_true": y_true, "y_proba": y_proba, "sample_weight": sample_weight,
         "labels": labels, "from_logits": from_logits, "y_pred": y_pred},
        "d2_log_loss_score", fast,
    )
    y_true, y_proba, sample_weight, labels, y_pred = _from_array_api(
        y_true, y_proba, sample_weight, labels, y_pred
    )
    # TODO(sklearn 1.11): scikit-learn removes `y_pred`; keep in step.
    if not (isinstance(y_pred, str) and y_pred == "deprecated"):
        if y_proba is not None:
            raise ValueError(
                "Cannot use both `y_pred` and `y_proba`. `y_pred` is deprecated, "
                "use `y_proba` instead."
            )
        warnings.warn(
            "`y_pred` was renamed to `y_proba` in version 1.9 and will be removed "
            "in 1.11. Use `y_proba` instead.",
            FutureWarning,
            stacklevel=3,
        )
        y_proba = y_pred

    if _d2_undefined(y_true, y_proba, sample_weight):
        return float("nan")
    # log_loss makes every check scikit-learn's d2_log_loss_score makes from here on, in the
    # same order, with the same errors and warnings
    numerator = log_loss(
        y_true, y_proba, normalize=False, sample_weight=sample_weight, labels=labels,
        from_logits=from_logits,
    )
    denominator = _null_log_loss(y_true, y_proba, sample_weight, labels, numerator)
    return float(1 - (numerator / denominator))


def _encode_validated(y_true, labels):
    """The labels ``log_loss`` has just validated and encoded, encoded again without its
    warnings (with ``labels=``: against the sorted classes, which is what it does)."""
    if labels is None:
        return encode_labels(y_true, None)  # warns only with labels=
    classes = LabelBinarizer().fit(labels).classes_
    enc = _encode_fast_with_labels(_plain_numpy_view(y_true), classes)
    if enc is None:
        enc = _label_indices(y_true, classes)
    return enc


def _null_log_loss(y_true, y_proba, sample_weight, labels, numerator):
    """Unnormalised log loss of the weighted class priors, as scikit-learn's ``_log_loss`` of
    the tiled null model: probabilities in float64, clipped to [eps, 1 - eps].

    The term of a sample only depends on its class, so the loss is
    ``-sum_c W_c log(prior_c)`` over the K weighted class totals W_c: O(n) for the counts, O(K)
    for the rest, and more accurate than a sum over n rows. When the model's loss
    (``numerator``) is that close to the null model's that D^2 is within rounding of 0, the
    loss is recomputed row by row by the categorical kernel, with exactly the arguments
    ``log_loss`` gives it for the model, on a row-stride-0 view of the priors: a model equal to
    the priors then scores exactly 0, as in scikit-learn.
    """
    shape = np.shape(y_proba)
    n = shape[0]
    K = 2 if len(shape) == 1 or shape[1] == 1 else shape[1]
    enc = _encode_validated(y_true, labels)
    weights = _kernel_weights(sample_weight)
    wsum = _weight_total(weights, n)
    eps = float(np.finfo(np.float64).eps)

    t = y = None
    ignore = None
    if enc.indicator is not None:
        y = np.asarray(enc.indicator, dtype=np.float64)
        totals = y.sum(axis=0) if weights is None else weights @ y
        prior = np.average(y, axis=0, weights=weights)
    else:
        t = np.ascontiguousarray(enc.indices, dtype=np.int64)
        totals = _class_counts(t, weights, K, enc.has_unknown)
        prior = totals / wsum
        if enc.has_unknown:
            ignore = -1  # an all-zero one-hot row contributes 0
    terms = totals * -np.log(np.clip(prior, eps, 1.0 - eps))
    loss = math.fsum(terms[totals != 0].tolist())  # 0 * log(0) is 0, as xlogy's
    if not abs(numerator - loss) <= _NULL_RECHECK * abs(loss):
        return loss

    x = np.broadcast_to(prior, (n, K))
    labels_ = t if t is not None else y
    kw = dict(from_logits=False, eps=eps, clip_max=1.0 - eps, ignore_index=ignore,
              validate=False, n_threads=_n_threads())
    if weights is not None and weights.min() < 0:
        # as log_loss does for negative weights (the kernel sums non-negative ones)
        losses = _family_loss(CATEGORICAL, labels_, x, reduction="none", **kw)
        return float(np.dot(losses, weights))
    return float(_family_loss(CATEGORICAL, labels_, x, sample_weight=weights, reduction="sum",
                              **kw))


# D^2 of the log loss within this (relative) of 0: the null model's loss is recomputed with the
# model's own arithmetic. Far above the rounding differences of the two ways (~1e-13), far below
# any D^2 worth telling from 0.
_NULL_RECHECK = 1e-9
