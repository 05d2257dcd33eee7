"""Classification metrics built on skxent's cross-entropy kernels.

Design note
-----------
``log_loss`` is a drop-in replacement for the installed scikit-learn's
``sklearn.metrics.log_loss`` (1.9): same signature (including the deprecated
``y_pred=`` keyword), same values, same exceptions and warnings, in the same
order. It differs only in *how* it computes:

* scikit-learn one-hot encodes ``y_true`` (an ``n x K`` integer matrix), clips a
  copy of ``y_proba``, takes ``xlogy`` of the whole matrix (two more ``n x K``
  temporaries) and sums rows. skxent maps ``y_true`` to int64 class indices
  (:mod:`skxent._metrics_labels`, O(n) for integer labels) and calls the
  categorical kernel, which reads one probability per row: the arithmetic makes
  no ``n x K`` temporary at all.
* Validation is the part that must stay bit-for-bit scikit-learn. The checks
  scikit-learn makes over the whole ``y_proba`` are kept, as two vectorised
  passes with no ``n x K`` temporary: the range [0, 1] is one ``max`` over
  the IEEE bit patterns viewed as unsigned integers (which also rules out NaN
  and inf, so check_array's finiteness pass is skipped; only when it fails do
  scikit-learn's ``max``/``min``/``check_array`` run, to raise its exact
  message), and an ``einsum`` row sum gives the "do not sum to one" warning.
  Label encoding has fast paths for NumPy (and plain-dtype pandas) integer,
  boolean and string labels, with or without ``labels=``; everything else
  (lists, object or float labels, extension dtypes, multi-label indicators,
  anything scikit-learn would reject) goes through scikit-learn's own
  helpers, in scikit-learn's order.
* Large plain inputs (>= 2**20 probabilities, NumPy labels, no ``labels=``):
  once the labels are encoded and the class counts match, the kernel starts
  on a helper thread while the main thread validates (both release the GIL),
  so the validation passes and the loss overlap on two cores. The helper's
  result is returned only if validation passes; otherwise validation raises
  scikit-learn's error after the helper has been joined. Nothing the helper
  does is observable: the fast label encoders neither warn nor raise, and the
  kernel only reads.
* Per-call overhead matters (``cross_val_score`` calls the metric on small
  folds), so the common path (NumPy arrays, no ``labels``) avoids
  ``validate_params`` introspection and ``LabelBinarizer``: the parameter types
  are checked with ``type(...) is`` tests first and the full scikit-learn
  parameter validation runs only when those fail.

``from_logits=True`` (an addition) takes raw scores and never forms
probabilities: a 1-D score (or a single column) is a binary logit (sigmoid),
a 2-D score matrix goes through log-softmax, both inside the kernels, so
extreme scores give exact, finite losses where ``log_loss(y, softmax(z))``
would clip at ``eps``.

``multilabel_log_loss`` is the binary cross-entropy of an indicator matrix,
which scikit-learn's ``log_loss`` does not compute for multi-label targets (it
treats the indicator rows as soft labels of one categorical distribution, see
scikit-learn issue #10157).

``brier_score_loss``, ``d2_brier_score`` and ``d2_log_loss_score`` are drop-ins
for scikit-learn's functions of the same names, implemented (validation in
scikit-learn's order, a one-pass Brier kernel, the null model in O(n)) in
:mod:`skxent._proba_metrics`; ``d2_log_loss_score`` takes its numerator from
``log_loss`` above.

The scorers are ordinary ``sklearn.metrics.make_scorer`` objects.
"""

import math
import threading
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.metrics import make_scorer
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils._param_validation import Hidden, validate_parameter_constraints
from sklearn.utils.validation import _check_sample_weight

from . import _dask
from . import _proba_metrics
from . import losses as _losses
from ._config import effective_n_threads
from ._metrics_labels import _encode_fast, classes_for_message, encode_labels

__all__ = [
    "log_loss",
    "multilabel_log_loss",
    "brier_score_loss",
    "d2_log_loss_score",
    "d2_brier_score",
    "neg_log_loss_scorer",
    "neg_log_loss_logits_scorer",
    "neg_multilabel_log_loss_scorer",
    "neg_brier_score_scorer",
    "d2_log_loss_scorer",
    "d2_brier_scorer",
]

_FLOAT_DTYPES = (np.float64, np.float32)
# scikit-learn's check_array keeps these (supported_float_dtypes(numpy)); the
# kernels take float16 as float64, with float16's eps for the clipping.
_SK_FLOAT_DTYPES = [np.float64, np.float32, np.float16]

_LOG_LOSS_CONSTRAINTS = {
    "y_true": ["array-like"],
    "y_proba": ["array-like", Hidden(None)],
    "normalize": ["boolean"],
    "sample_weight": ["array-like", None],
    "labels": ["array-like", None],
    "from_logits": ["boolean"],
    "y_pred": ["array-like", str],
}

_MULTILABEL_CONSTRAINTS = {
    "y_true": ["array-like", "sparse matrix"],
    "y_proba": ["array-like"],
    "normalize": ["boolean"],
    "sample_weight": ["array-like", None],
    "from_logits": ["boolean"],
}

# Types for which scikit-learn's "array-like" / "boolean" constraints are known
# to hold without running the (comparatively slow) generic validation.
_ARRAY_TYPES = (np.ndarray, list)
_BOOL_TYPES = (bool, np.bool_)


def _is_plain_float_array(a):
    """Whether ``check_array(a, ensure_2d=False, dtype=float64/32)`` is a no-op
    apart from its finiteness check (which the caller then does itself)."""
    return (
        type(a) is np.ndarray
        and (a.dtype == np.float64 or a.dtype == np.float32)
        and 1 <= a.ndim <= 2
        and a.shape[0] >= 1
        and (a.ndim == 1 or a.shape[1] >= 1)
    )


# IEEE-754 bit patterns of 1.0: viewed as unsigned integers, the floats in
# [+0, 1] are exactly the patterns <= that of 1.0 (negative numbers and -0.0
# have the sign bit set, NaN and inf have larger exponents).
_ONE_BITS = {
    np.dtype(np.float64): (np.uint64, np.float64(1).view(np.uint64)),
    np.dtype(np.float32): (np.uint32, np.float32(1).view(np.uint32)),
    np.dtype(np.float16): (np.uint16, np.float16(1).view(np.uint16)),
}


def _all_in_unit_interval(a):
    """True if every value of ``a`` is in [+0, 1] (so finite and not NaN).

    One vectorised ``max`` over the bit patterns instead of ``max``, ``min`` and
    a finiteness pass. False also for -0.0, which the caller's exact checks
    then accept, like scikit-learn.
    """
    uint, one = _ONE_BITS[a.dtype]
    return bool(a.view(uint).max() <= one)


def _check_unit_range(vmax, vmin, name):
    """scikit-learn's range errors for probabilities (``name``: "y_prob" in log_loss)."""
    if vmax > 1:
        raise ValueError(f"{name} contains values greater than 1: {vmax}")
    if vmin < 0:
        raise ValueError(f"{name} contains values lower than 0: {vmin}")


def _check_proba_array(y_proba):
    return check_array(y_proba, ensure_2d=False, dtype=_SK_FLOAT_DTYPES)


def log_loss(
    y_true,
    y_proba=None,
    *,
    normalize=True,
    sample_weight=None,
    labels=None,
    from_logits=False,
    y_pred="deprecated",
):
    r"""Log loss, aka logistic loss or cross-entropy loss (drop-in for scikit-learn).

    Same parameters, results, exceptions and warnings as
    ``sklearn.metrics.log_loss`` of the installed scikit-learn (1.9), computed
    by skxent's kernels: several times faster on small inputs and more than an
    order of magnitude faster on large ones. For a sample with true class
    :math:`k` the loss is :math:`-\log p_k`, with the probabilities clipped to
    ``[eps, 1 - eps]``, ``eps = np.finfo(y_proba.dtype).eps``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or label indicator matrix
        Ground truth labels (any type scikit-learn accepts: integers, strings,
        booleans...). The classes are the sorted unique labels, as found by
        :class:`~sklearn.preprocessing.LabelBinarizer`. A 2-D indicator matrix
        is accepted for compatibility and, exactly like scikit-learn, scored
        as soft labels of one categorical distribution
        (:math:`-\sum_k y_{ik} \log p_{ik}`); for the binary cross-entropy of a
        multi-label problem use :func:`multilabel_log_loss`.

    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, as returned by ``predict_proba``, columns in
        the sorted order of the classes. A 1-D array (or a single column) is
        the probability of the positive (second) class of a binary problem.
        With ``from_logits=True``: raw scores instead (``decision_function``).
        Positional use is the same as scikit-learn's.

    normalize : bool, default=True
        If True, return the (weighted) mean loss per sample, otherwise the
        (weighted) sum.

    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    labels : array-like, default=None
        All the class labels; inferred from ``y_true`` when None.

    from_logits : bool, default=False
        skxent addition. If True, ``y_proba`` holds raw scores: 1-D (or one
        column) binary logits, passed through the sigmoid, or a 2-D matrix of
        class scores, passed through the softmax. Computed stably in the log
        domain without clipping; the probability checks (range, rows summing
        to one) do not apply.

    y_pred : array-like, deprecated
        scikit-learn 1.9's deprecated name of ``y_proba``, accepted as a keyword
        with the same ``FutureWarning`` (and the same ``ValueError`` when both
        are given).

    Returns
    -------
    loss : float

    Notes
    -----
    For float64 input the value equals scikit-learn's to a relative 1e-12.
    For float32 input scikit-learn computes and averages in float32, while
    skxent accumulates in float64, so the two agree to float32 precision
    (skxent's being the more accurate).

    Examples
    --------
    >>> from skxent.metrics import log_loss
    >>> round(log_loss(["spam", "ham", "ham", "spam"],
    ...                [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]), 5)
    0.21616
    """
    if not (
        type(y_true) in _ARRAY_TYPES
        and type(y_proba) in _ARRAY_TYPES
        and type(normalize) in _BOOL_TYPES
        and type(from_logits) in _BOOL_TYPES
        and (sample_weight is None or type(sample_weight) in _ARRAY_TYPES)
        and (labels is None or type(labels) in _ARRAY_TYPES)
        and type(y_pred) is str
    ) and not get_config()["skip_parameter_validation"]:
        validate_parameter_constraints(
            _LOG_LOSS_CONSTRAINTS,
            {
                "y_true": y_true,
                "y_proba": y_proba,
                "normalize": normalize,
                "sample_weight": sample_weight,
                "labels": labels,
                "from_logits": from_logits,
                "y_pred": y_pred,
            },
            caller_name="log_loss",
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
            stacklevel=2,
        )
        y_proba = y_pred

    if _dask.any_dask(y_true, y_proba, sample_weight):
        return _dask.log_loss(y_true, y_proba, normalize=normalize,
                              sample_weight=sample_weight, labels=labels,
                              from_logits=from_logits)
    if from_logits:
        return _log_loss_from_logits(
            y_true, y_proba, normalize, sample_weight, labels
        )

    # -- check_array(y_proba): deferred finiteness check on the fast path -----
    fast = _is_plain_float_array(y_proba)
    proba = y_proba if fast else _check_proba_array(y_proba)

    binary_proba = proba.ndim == 1 or proba.shape[1] == 1
    eps = np.finfo(proba.dtype).eps

    # Large plain input: start the kernel on a second thread while this one
    # validates (both release the GIL). Its result is used only if validation
    # passes, and it is only started when its inputs are already known to be
    # safe for the kernel (labels encoded, class counts matching).
    spec = None
    if (
        fast
        and labels is None
        and (sample_weight is None or _is_plain_weights(sample_weight, proba.shape[0]))
        and proba.size >= _SPECULATE_MIN_ELEMENTS
        and type(y_true) is np.ndarray
        and y_true.ndim == 1
        and y_true.shape[0] == proba.shape[0]
    ):
        # _encode_fast neither warns nor raises (None: use the exact path later)
        enc = _encode_fast(y_true)
        if enc is not None and not enc.has_unknown and enc.n_classes == (
            2 if binary_proba else proba.shape[1]
        ):
            spec = _SpeculativeLoss(
                enc, proba, sample_weight, normalize, binary_proba, float(eps)
            )

    try:
        enc, sample_weight = _validate_probabilities(
            y_true, proba, fast, binary_proba, eps, sample_weight, labels,
            spec.enc if spec is not None else None,
        )
    except BaseException:
        if spec is not None:
            spec.join()  # never leave a kernel running on the caller's arrays
        raise
    if spec is not None:
        return spec.result()
    return _reduce(
        enc, proba, sample_weight, normalize, binary_proba,
        from_logits=False, eps=float(eps),
    )


_SPECULATE_MIN_ELEMENTS = 1 << 20


def _is_plain_weights(sample_weight, n):
    """A float ndarray of shape (n,): _check_sample_weight returns it as is
    when valid, so the helper thread may use it before it is validated."""
    return (
        type(sample_weight) is np.ndarray
        and sample_weight.dtype in _FLOAT_DTYPES
        and sample_weight.shape == (n,)
    )


class _SpeculativeLoss:
    """The kernel's loss computed on a helper thread (see ``log_loss``)."""

    def __init__(self, enc, proba, sample_weight, normalize, binary, eps):
        self.enc = enc
        self._value = None
        self._error = None
        self._thread = threading.Thread(
            target=self._run, args=(enc, proba, sample_weight, normalize, binary, eps),
            daemon=True,
        )
        self._thread.start()

    def _run(self, enc, proba, sample_weight, normalize, binary, eps):
        # Weights not yet validated: invalid ones make the main thread raise
        # scikit-learn's error, and whatever happened here is discarded.
        # One core stays with the validation running on the main thread.
        n_threads = max(1, effective_n_threads(None) - 1)
        try:
            self._value = _reduce(
                enc, proba, sample_weight, normalize, binary, from_logits=False,
                eps=eps, n_threads=n_threads,
            )
        except BaseException as exc:  # re-raised by result()
            self._error = exc

    def join(self):
        self._thread.join()

    def result(self):
        self.join()
        if self._error is not None:
            raise self._error
        return self._value


def _validate_probabilities(
    y_true, proba, fast, binary_proba, eps, sample_weight, labels, enc
):
    """scikit-learn's ``_validate_multiclass_probabilistic_prediction``, in its
    order, with the same errors and warnings; returns the encoded labels and
    the validated sample weights.

    ``enc``: labels already encoded by the fast encoder (which neither warns nor
    raises, so encoding them early changes nothing observable), or None.
    """
    if not _all_in_unit_interval(proba):
        # Rare path, scikit-learn's exact checks and messages. On the fast path
        # check_array's finiteness check was skipped: NaN/inf raise it here.
        vmax = proba.max()
        vmin = proba.min()
        if fast and not (math.isfinite(vmax) and math.isfinite(vmin)):
            _check_proba_array(proba)
        _check_unit_range(vmax, vmin, "y_prob")

    if not (
        fast
        and type(y_true) is np.ndarray
        and y_true.ndim >= 1
        and y_true.shape[0] == proba.shape[0]
        and sample_weight is None
    ):
        check_consistent_length(proba, y_true, sample_weight)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(
            sample_weight, proba, force_float_dtype=False
        )

    if enc is None:
        enc = encode_labels(y_true, labels)

    n_proba_classes = 2 if binary_proba else proba.shape[1]

    # [1 - p, p] always sums to one within rounding: only 2-D input can warn.
    if not binary_proba:
        sums = _row_sums(proba)
        if not _sums_near_one(sums.min(), sums.max(), eps):
            warnings.warn(
                "The y_prob values do not sum to one. Make sure to pass probabilities.",
                UserWarning,
                stacklevel=3,
            )

    if enc.n_classes != n_proba_classes:
        _raise_class_count_mismatch(enc, y_true, labels, n_proba_classes)
    return enc, sample_weight


def _row_sums(proba):
    """Row sums in the input dtype, like scikit-learn's ``xp.sum``, without an n x K
    temporary."""
    if proba.dtype == np.float16:
        return proba.sum(axis=1)  # numpy's float16 reduction, as scikit-learn's
    return np.einsum("ij->i", proba)


def _sums_near_one(smin, smax, eps):
    """scikit-learn's ``xpx.isclose(row_sum, 1, rtol=sqrt(eps), atol=1e-8)`` for every row,
    from the smallest and largest row sums: ``|s - 1| <= 1e-8 + sqrt(eps)``."""
    tol = 1e-8 + math.sqrt(eps)
    return bool(smax - 1 <= tol and 1 - smin <= tol)


def _raise_class_count_mismatch(enc, y_true, labels, n_proba_classes):
    classes = enc.classes
    if classes is None:
        classes = classes_for_message(y_true, labels)
    if labels is None:
        raise ValueError(
            "y_true and y_prob contain different number of "
            "classes: {0} vs {1}. Please provide the true "
            "labels explicitly through the labels argument. "
            "Classes found in "
            "y_true: {2}".format(enc.n_classes, n_proba_classes, classes)
        )
    raise ValueError(
        "The number of classes in labels is different "
        "from that in y_prob. Classes found in "
        "labels: {0}".format(classes)
    )


def _reduce(enc, scores, sample_weight, normalize, binary, *, from_logits, eps,
            n_threads="auto"):
    """Run the kernel and reduce like ``np.average``/``np.dot`` would.

    ``scores``: probabilities (clipped to ``[eps, 1 - eps]`` in the kernel) or,
    with ``from_logits``, raw scores. ``binary``: scores are the positive-class
    column only (1-D or one column).
    """
    weights = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float64)
    if scores.dtype == np.float16:
        # Clipping to float16's [eps, 1 - eps] (exact in float64) as scikit-learn
        # does; the kernels then compute in float64.
        scores = scores.astype(np.float64)

    # The kernel's "mean" divides by the sum of the sample weights: scikit-learn's
    # np.average. It cannot be used when that denominator differs: multi-label
    # indicator rows (the kernel would weight a row by its label mass) and
    # labels outside the classes (scikit-learn counts them, the kernel's
    # ignore_index does not). Negative weights (allowed by scikit-learn) are
    # handled here too, as the kernels reject them.
    own_division = enc.indicator is not None or enc.has_unknown
    negative = weights is not None and weights.min() < 0
    if normalize and weights is not None:
        total_weight = weights.sum()
        if total_weight == 0:
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")

    kwargs = {"from_logits": from_logits, "validate": False}
    if not from_logits:
        kwargs["eps"] = eps
        kwargs["clip_max"] = 1.0 - eps
    if n_threads == "auto":
        n_threads = _n_threads(enc, scores, from_logits)
    kwargs["n_threads"] = n_threads

    if negative:
        losses = _kernel_call(enc, scores, None, "none", binary, kwargs)
        losses = np.asarray(losses, dtype=np.float64)
        if normalize:
            return float(np.average(losses, weights=weights))
        return float(np.dot(losses, weights))

    if own_division or not normalize:
        total = float(_kernel_call(enc, scores, weights, "sum", binary, kwargs))
        if not normalize:
            return total
        denom = scores.shape[0] if weights is None else total_weight
        return total / float(denom)
    return float(_kernel_call(enc, scores, weights, "mean", binary, kwargs))


# Below these sizes the kernels run on one thread: a metric call on a small
# fold is dominated by the start-up of the OpenMP team (milliseconds when the
# machine is busy), and with integer labels and probabilities the kernel reads
# one value per row, so its work grows with n_samples, not n_samples x K.
_PARALLEL_MIN_ROWS_GATHER = 1 << 18
_PARALLEL_MIN_ELEMENTS = 1 << 17


def _n_threads(enc, scores, from_logits):
    if enc.indicator is None and not from_logits:
        small = scores.shape[0] < _PARALLEL_MIN_ROWS_GATHER
    else:
        small = scores.size < _PARALLEL_MIN_ELEMENTS
    return 1 if small else None


def _kernel_call(enc, scores, weights, reduction, binary, kwargs):
    if enc.indicator is not None:
        y = np.asarray(enc.indicator, dtype=scores.dtype)
        if binary:  # pragma: no cover - scikit-learn rejects 1-column indicators
            raise ValueError("multilabel y_true needs one column per label")
        return _losses._cce(
            y, scores, sample_weight=weights, reduction=reduction, **kwargs
        )
    indices = enc.indices
    if binary:
        pos = scores if scores.ndim == 1 else scores[:, 0]
        if enc.has_unknown:  # pragma: no cover - only multi-class has unknowns
            raise AssertionError
        return _losses._bce(
            indices.astype(pos.dtype), pos, sample_weight=weights,
            reduction=reduction, **kwargs
        )
    if enc.has_unknown:
        # An all-zero one-hot row contributes exactly 0: drop it from the sum
        # (the caller divides by the full count, as scikit-learn does).
        kwargs = dict(kwargs, ignore_index=-1)
    return _losses._cce(
        indices, scores, sample_weight=weights, reduction=reduction, **kwargs
    )


def _log_loss_from_logits(y_true, y_score, normalize, sample_weight, labels):
    """``log_loss(from_logits=True)``: scikit-learn's label and shape checks,
    no probability checks, sigmoid/softmax inside the kernels."""
    scores = _check_proba_array(y_score)
    check_consistent_length(scores, y_true, sample_weight)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(
            sample_weight, scores, force_float_dtype=False
        )
    enc = encode_labels(y_true, labels)
    binary = scores.ndim == 1 or scores.shape[1] == 1
    n_score_classes = 2 if binary else scores.shape[1]
    if enc.n_classes != n_score_classes:
        _raise_class_count_mismatch(enc, y_true, labels, n_score_classes)
    return _reduce(
        enc, scores, sample_weight, normalize, binary, from_logits=True, eps=None
    )


def multilabel_log_loss(
    y_true, y_proba, *, normalize=True, sample_weight=None, from_logits=False
):
    r"""Binary cross-entropy of a multi-label problem, averaged over labels and samples.

    For an indicator matrix ``y_true`` (``y_ij`` in [0, 1], hard 0/1 or soft
    targets) and predicted probabilities ``p_ij`` that label ``j`` is on:

    .. math::
        L = \frac{\sum_i s_i \sum_j -(y_{ij} \log p_{ij} + (1 - y_{ij}) \log(1 - p_{ij}))}
                 {n_\text{labels} \sum_i s_i}

    with ``s_i`` the sample weights (1 by default) and the probabilities clipped
    to ``[eps, 1 - eps]``, ``eps = np.finfo(y_proba.dtype).eps``, as in
    :func:`log_loss`. This is the mean over all ``n_samples x n_labels`` binary
    decisions, which is what the loss of ``MultiOutputClassifier``,
    ``MultiLabelLogistic`` or a Keras/PyTorch sigmoid output layer means.
    (``sklearn.metrics.log_loss`` given an indicator matrix computes
    ``-sum_j y_ij log p_ij`` instead, ignoring the negative labels.)

    Parameters
    ----------
    y_true : array-like or sparse matrix of shape (n_samples, n_labels) or (n_samples,)
        Indicator matrix (0/1, bool or soft targets in [0, 1]). A 1-D array is
        a single label.
    y_proba : array-like of shape (n_samples, n_labels) or (n_samples,)
        Probability of each label being on (``predict_proba`` of a multi-label
        estimator returning one column per label); logits when
        ``from_logits=True``. Same shape as ``y_true``.
    normalize : bool, default=True
        If True, the (weighted) mean over samples and labels. If False, the
        (weighted) sum over samples *and* labels: the total negative
        log-likelihood of all binary decisions, so that
        ``normalize=True`` is ``normalize=False / (n_labels * sum(s))``.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights, applied to every label of the sample.
    from_logits : bool, default=False
        If True, ``y_proba`` holds logits, passed through the sigmoid stably
        inside the kernel (no clipping).

    Returns
    -------
    loss : float

    Raises
    ------
    ValueError
        If the shapes differ, ``y_true`` is not numeric, holds NaN or values
        outside [0, 1], ``y_proba`` (probabilities) is outside [0, 1] or
        non-finite, or ``sample_weight`` is invalid (wrong length, negative,
        all zero). The message names the argument.

    Examples
    --------
    >>> import numpy as np
    >>> from skxent.metrics import multilabel_log_loss
    >>> y = np.array([[1, 0], [0, 1]])
    >>> p = np.array([[0.9, 0.2], [0.4, 0.7]])
    >>> expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    >>> bool(np.isclose(multilabel_log_loss(y, p), expected))
    True
    """
    if not (
        type(y_true) in _ARRAY_TYPES
        and type(y_proba) in _ARRAY_TYPES
        and type(normalize) in _BOOL_TYPES
        and type(from_logits) in _BOOL_TYPES
        and (sample_weight is None or type(sample_weight) in _ARRAY_TYPES)
    ) and not get_config()["skip_parameter_validation"]:
        validate_parameter_constraints(
            _MULTILABEL_CONSTRAINTS,
            {
                "y_true": y_true,
                "y_proba": y_proba,
                "normalize": normalize,
                "sample_weight": sample_weight,
                "from_logits": from_logits,
            },
            caller_name="multilabel_log_loss",
        )
    if _dask.any_dask(y_true, y_proba, sample_weight):
        return _dask.multilabel_log_loss(y_true, y_proba, normalize=normalize,
                                         sample_weight=sample_weight, from_logits=from_logits)
    # As in log_loss: for plain float arrays of probabilities, max/min reveal
    # NaN and inf, and check_array only runs to raise its message.
    fast = not from_logits and _is_plain_float_array(y_proba)
    if fast:
        scores = y_proba
    else:
        scores = _check_multilabel_scores(y_proba)
    if sp.issparse(y_true):
        y_true = y_true.toarray()
    y = check_array(
        y_true, ensure_2d=False, dtype=None, ensure_all_finite=False, input_name="y_true"
    )
    if y.dtype.kind not in "biuf":
        raise ValueError(
            "y_true must be a numeric indicator matrix (0/1, bool or values in "
            f"[0, 1]); got dtype {y.dtype}."
        )
    if y.shape != scores.shape:
        raise ValueError(
            f"y_true and y_proba must have the same shape; got y_true of shape "
            f"{y.shape} and y_proba of shape {scores.shape}."
        )
    if y.dtype.kind != "b":
        ymin, ymax = y.min(), y.max()
        if np.isnan(ymin) or np.isnan(ymax):
            raise ValueError("Input y_true contains NaN.")
        if ymin < 0 or ymax > 1:
            raise ValueError(
                "y_true must contain values in [0, 1] (an indicator matrix or "
                f"soft targets); got values in [{ymin}, {ymax}]."
            )
    if not from_logits and not _all_in_unit_interval(scores):
        vmax, vmin = scores.max(), scores.min()
        if fast and not (math.isfinite(vmax) and math.isfinite(vmin)):
            _check_multilabel_scores(scores)
        _check_unit_range(vmax, vmin, "y_proba")
    weights = None
    if sample_weight is not None:
        weights = _check_sample_weight(
            sample_weight, scores, dtype=np.float64, ensure_non_negative=True
        )

    kwargs = {"from_logits": from_logits, "validate": False}
    if not from_logits:
        eps = float(np.finfo(scores.dtype).eps)
        kwargs["eps"] = eps
        kwargs["clip_max"] = 1.0 - eps
    y = np.asarray(y, dtype=scores.dtype)
    loss = _losses._bce(
        y, scores, sample_weight=weights,
        reduction="mean" if normalize else "sum",
        n_threads=1 if scores.size < _PARALLEL_MIN_ELEMENTS else None, **kwargs
    )
    return float(loss)


def _check_multilabel_scores(y_proba):
    return check_array(
        y_proba, ensure_2d=False, dtype=list(_FLOAT_DTYPES), input_name="y_proba"
    )


# -- Brier score and D^2 (implementation: skxent._proba_metrics) ----------------


def brier_score_loss(
    y_true,
    y_proba,
    *,
    sample_weight=None,
    pos_label=None,
    labels=None,
    scale_by_half="auto",
    from_logits=False,
):
    r"""Brier score loss, the squared error of predicted probabilities (drop-in for scikit-learn).

    Same parameters, results, exceptions and warnings as
    ``sklearn.metrics.brier_score_loss`` of the installed scikit-learn (1.9), computed in one
    read of ``y_proba`` without a one-hot matrix: an order of magnitude faster on large inputs
    and many times faster on small ones. For :math:`N` samples and classes :math:`c`,

    .. math::
        \frac{1}{N}\sum_{i=1}^{N}\sum_{c}(y_{ic} - \hat{p}_{ic})^{2}

    (the weighted mean with ``sample_weight``), which lies in [0, 2]; for binary problems it is
    halved to lie in [0, 1] (``scale_by_half="auto"``).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (any type scikit-learn accepts). With a 2-D ``y_proba`` a label indicator
        matrix is accepted too and, as in scikit-learn, compared with it row by row.

    y_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities. A 1-D array (or a single column) is the probability of the
        positive class of a binary problem (see ``pos_label``); otherwise the columns follow
        the sorted classes, as :class:`~sklearn.preprocessing.LabelBinarizer` orders them.
        With ``from_logits=True``: raw scores instead (``decision_function``).

    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    pos_label : int, float, bool or str, default=None
        Label of the positive class when ``y_proba`` is 1-D. If None: 1 when ``y_true`` takes
        values in {0, 1} or {-1, 1}; an error for string labels; otherwise the greatest label.

    labels : array-like of shape (n_classes,), default=None
        Class labels when ``y_proba`` is 2-D; inferred from ``y_true`` when None.

    scale_by_half : bool or "auto", default="auto"
        Halve the score. ``"auto"`` halves for two columns (binary problems: the customary
        [0, 1] range) and keeps the [0, 2] range for three or more classes.

    from_logits : bool, default=False
        skxent addition. If True, ``y_proba`` holds raw scores: 1-D (or one column) binary
        logits, passed through the sigmoid, or a 2-D matrix of class scores, passed through the
        softmax, both computed stably (the true class's squared error comes from the other
        classes' probability, never from ``1 - p``). The probability checks (range, rows
        summing to one) do not apply.

    Returns
    -------
    score : float

    Raises
    ------
    ValueError
        Exactly when scikit-learn raises, with its message: probabilities outside [0, 1] or
        non-finite, inconsistent lengths, invalid weights, a multi-class ``y_true`` with 1-D
        ``y_proba``, string labels without ``pos_label``, a single label without ``labels``,
        labels missing from ``labels``, class counts that differ.
    ZeroDivisionError
        If the sample weights sum to zero.

    Warns
    -----
    UserWarning
        When rows of a 2-D ``y_proba`` do not sum to one, or ``labels`` is not sorted (as in
        scikit-learn).

    See Also
    --------
    d2_brier_score : Fraction of the Brier score explained, relative to the class priors.
    log_loss : The logarithmic scoring rule.
    sklearn.metrics.brier_score_loss : The scikit-learn function this replaces.

    Notes
    -----
    For float64 input the value equals scikit-learn's to a relative 1e-12 (the rows are the
    same; skxent adds them with compensated summation). For float32 input scikit-learn
    computes and averages in float32, while skxent accumulates in float64, so the two agree to
    float32 precision.

    Examples
    --------
    >>> import numpy as np
    >>> from skxent.metrics import brier_score_loss
    >>> y_true = np.array([0, 1, 1, 0])
    >>> y_proba = np.array([0.1, 0.9, 0.8, 0.3])
    >>> round(brier_score_loss(y_true, y_proba), 6)
    0.0375
    >>> round(brier_score_loss(["eggs", "ham", "spam"],
    ...                        [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.2, 0.6]]), 6)
    0.146667

    From raw scores, e.g. a ``decision_function``:

    >>> scores = np.log(y_proba / (1 - y_proba))
    >>> round(brier_score_loss(y_true, scores, from_logits=True), 6)
    0.0375
    """
    return _proba_metrics.brier_score_loss(
        y_true, y_proba, sample_weight=sample_weight, pos_label=pos_label, labels=labels,
        scale_by_half=scale_by_half, from_logits=from_logits,
    )


def d2_log_loss_score(
    y_true,
    y_proba=None,
    *,
    sample_weight=None,
    labels=None,
    from_logits=False,
    y_pred="deprecated",
):
    r""":math:`D^2` score, the fraction of log loss explained (drop-in for scikit-learn).

    Same parameters, results, exceptions and warnings as
    ``sklearn.metrics.d2_log_loss_score`` of the installed scikit-learn (1.9):

    .. math::
        D^2 = 1 - \frac{\mathrm{log\_loss}(y, \hat{p})}{\mathrm{log\_loss}(y, \bar{p})}

    where :math:`\bar{p}` is the null model, the constant prediction of the (weighted) class
    proportions of ``y_true``. The best score is 1, the null model scores 0, worse models
    score below 0. The numerator is :func:`log_loss` (``normalize=False``); the null model's
    loss is computed from the class counts in O(n_samples), never as an ``n x K`` matrix.

    Parameters
    ----------
    y_true : array-like or label indicator matrix
        True labels, as for :func:`log_loss`.

    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, as returned by ``predict_proba``, columns in the sorted order
        of the classes; a 1-D array is the positive-class probability of a binary problem.
        With ``from_logits=True``: raw scores (``decision_function``).

    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    labels : array-like, default=None
        All the class labels; inferred from ``y_true`` when None.

    from_logits : bool, default=False
        skxent addition. If True, the model's ``y_proba`` holds raw scores (sigmoid for 1-D,
        softmax for 2-D, as in :func:`log_loss`); the null model is unchanged.

    y_pred : array-like, deprecated
        scikit-learn 1.9's deprecated name of ``y_proba``, accepted as a keyword with the same
        ``FutureWarning`` (and the same ``ValueError`` when both are given).

    Returns
    -------
    d2 : float
        NaN (with an ``UndefinedMetricWarning``) for fewer than two samples, as in
        scikit-learn.

    Raises
    ------
    ValueError
        Exactly when scikit-learn raises, with its message (those of :func:`log_loss`, after a
        first check of consistent lengths).
    ZeroDivisionError
        If the sample weights sum to zero.

    See Also
    --------
    log_loss : The numerator.
    d2_brier_score : The same skill score for the Brier score.
    sklearn.metrics.d2_log_loss_score : The scikit-learn function this replaces.

    Examples
    --------
    >>> from skxent.metrics import d2_log_loss_score
    >>> y_true = [0, 0, 0, 1, 1, 1]
    >>> round(d2_log_loss_score(y_true, [[.9, .1], [.8, .2], [.9, .1],
    ...                                  [.1, .9], [.2, .8], [.1, .9]]), 6)
    0.791355
    >>> d2_log_loss_score(y_true, [[.5, .5]] * 6)  # the null model
    0.0
    """
    return _proba_metrics.d2_log_loss_score(
        y_true, y_proba, sample_weight=sample_weight, labels=labels, from_logits=from_logits,
        y_pred=y_pred, log_loss=log_loss,
    )


def d2_brier_score(
    y_true,
    y_proba,
    *,
    sample_weight=None,
    pos_label=None,
    labels=None,
    from_logits=False,
):
    r""":math:`D^2` score of the Brier score, the Brier skill score (drop-in for scikit-learn).

    Same parameters, results, exceptions and warnings as ``sklearn.metrics.d2_brier_score``
    of the installed scikit-learn (1.9):

    .. math::
        D^2 = 1 - \frac{\mathrm{brier}(y, \hat{p})}{\mathrm{brier}(y, \bar{p})}

    where :math:`\bar{p}` is the null model, the constant prediction of the (weighted) class
    proportions of ``y_true`` (the scaling of the Brier score cancels). The best score is 1,
    the null model scores exactly 0, worse models score below 0. Both scores come from the same
    one-pass kernel, the null model's in O(n_samples).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.

    y_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities, as for :func:`brier_score_loss`. With ``from_logits=True``:
        raw scores.

    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    pos_label : int, float, bool or str, default=None
        Label of the positive class when ``y_proba`` is 1-D, inferred as in
        :func:`brier_score_loss` when None.

    labels : array-like of shape (n_classes,), default=None
        Class labels when ``y_proba`` is 2-D; inferred from ``y_true`` when None.

    from_logits : bool, default=False
        skxent addition. If True, the model's ``y_proba`` holds raw scores (sigmoid for 1-D,
        softmax for 2-D, as in :func:`brier_score_loss`); the null model is unchanged.

    Returns
    -------
    d2 : float
        NaN (with an ``UndefinedMetricWarning``) for fewer than two samples, as in
        scikit-learn.

    Raises
    ------
    ValueError
        Exactly when scikit-learn raises, with its message (those of
        :func:`brier_score_loss`, after a first check of consistent lengths).
    ZeroDivisionError
        If the sample weights sum to zero.

    See Also
    --------
    brier_score_loss : The Brier score itself.
    d2_log_loss_score : The same skill score for the log loss.
    sklearn.metrics.d2_brier_score : The scikit-learn function this replaces.

    Examples
    --------
    >>> from skxent.metrics import d2_brier_score
    >>> y_true = [0, 1, 1, 0, 0, 1]
    >>> round(d2_brier_score(y_true, [0.3, 0.5, 0.6, 0.7, 0.9, 0.8]), 6)
    -0.226667
    >>> d2_brier_score(y_true, [0.5] * 6)  # the null model
    0.0
    """
    return _proba_metrics.d2_brier_score(
        y_true, y_proba, sample_weight=sample_weight, pos_label=pos_label, labels=labels,
        from_logits=from_logits,
    )

# -- scorers -------------------------------------------------------------------


def _multilabel_response_to_matrix(y_proba):
    """``predict_proba`` of a multi-label estimator -> (n_samples, n_labels).

    ``MultiOutputClassifier``, random forests and k-NN return a list with one
    ``(n_samples, 2)`` array per label (columns: classes 0 and 1); others
    (MLPClassifier, skxent's MultiLabelLogistic) return the matrix directly.
    """
    if isinstance(y_proba, (list, tuple)):
        columns = []
        for j, p in enumerate(y_proba):
            p = np.asarray(p)
            if p.ndim != 2 or p.shape[1] != 2:
                raise ValueError(
                    f"predict_proba for label {j} has shape {p.shape}; expected "
                    "(n_samples, 2). The estimator for this label probably saw a "
                    "single class during fit, so the probability of the "
                    "positive class is unknown."
                )
            columns.append(p[:, 1])
        return np.stack(columns, axis=1)
    return y_proba


def _multilabel_log_loss_of_response(y_true, y_proba, **kwargs):
    return multilabel_log_loss(
        y_true, _multilabel_response_to_matrix(y_proba), **kwargs
    )


#: ``scoring=`` equivalent of scikit-learn's ``"neg_log_loss"`` (predict_proba).
neg_log_loss_scorer = make_scorer(
    log_loss, greater_is_better=False, response_method="predict_proba"
)

#: Negated log loss from ``decision_function`` scores: sigmoid for a binary
#: (1-D) decision, softmax for a multi-class one, computed stably.
neg_log_loss_logits_scorer = make_scorer(
    log_loss,
    greater_is_better=False,
    response_method="decision_function",
    from_logits=True,
)

#: Negated :func:`multilabel_log_loss` from ``predict_proba`` of a multi-label
#: estimator (a list of ``(n_samples, 2)`` arrays or an ``(n_samples, n_labels)``
#: matrix).
neg_multilabel_log_loss_scorer = make_scorer(
    _multilabel_log_loss_of_response,
    greater_is_better=False,
    response_method="predict_proba",
)

#: ``scoring=`` equivalent of scikit-learn's ``"neg_brier_score"`` (negated
#: :func:`brier_score_loss` from ``predict_proba``).
neg_brier_score_scorer = make_scorer(
    brier_score_loss, greater_is_better=False, response_method="predict_proba"
)

#: ``scoring=`` equivalent of scikit-learn's ``"d2_log_loss_score"`` (greater is better).
d2_log_loss_scorer = make_scorer(d2_log_loss_score, response_method="predict_proba")

#: ``scoring=`` equivalent of scikit-learn's ``"d2_brier_score"`` (greater is better).
d2_brier_scorer = make_scorer(d2_brier_score, response_method="predict_proba")
