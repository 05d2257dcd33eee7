"""The in-memory computations of skxent.metrics' log losses, and their checks.

Design note
-----------
``skxent.metrics`` is the public module (parameter checks, the deprecated ``y_pred`` keyword,
docstrings, scorers); this module is what its functions compute once the backend is known to be
in memory, plus the pieces the Dask backend shares with it (the facts of a probability array and
the errors raised from them, the kernel call and its reduction). It is below both, so neither
imports the other's internals.

``log_loss`` is scikit-learn's ``log_loss`` computed differently:

* scikit-learn one-hot encodes ``y_true`` (an ``n x K`` integer matrix), clips a copy of
  ``y_proba``, takes ``xlogy`` of the whole matrix (two more ``n x K`` temporaries) and sums
  rows. skxent maps ``y_true`` to int64 class indices (:mod:`skxent._metrics_labels`, O(n) for
  integer labels) and runs the categorical family's kernel, which reads one probability per row.
* Validation is the part that must stay bit-for-bit scikit-learn. The checks scikit-learn makes
  over the whole ``y_proba`` are kept, as vectorised passes with no ``n x K`` temporary: the range
  [0, 1] is one ``max`` over the IEEE bit patterns viewed as unsigned integers (which also rules
  out NaN and inf); only when it fails are the array's :class:`ProbaFacts` computed and
  scikit-learn's error raised from them (:func:`raise_for_proba_facts`, which the Dask backend
  calls with facts combined over chunks). An ``einsum`` row sum gives the "do not sum to one"
  warning (:func:`warn_if_rows_off`, shared likewise).
* Large plain inputs (>= 2**20 probabilities, NumPy labels, no ``labels=``): once the labels are
  encoded and the class counts match, the kernel starts on a helper thread while the main thread
  validates (both release the GIL). The helper's result is returned only if validation passes;
  otherwise validation raises scikit-learn's error after the helper has been joined.

Layer: below the backends (``_dask``, ``_backends``) and the public ``metrics``; imports the
engine and the label encoder.
"""

import math
import threading
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils.validation import _check_sample_weight

from ._config import effective_n_threads
from ._engine import BINARY, CATEGORICAL
from ._engine import loss as _family_loss
from ._metrics_labels import _encode_fast, classes_for_message, encode_labels

_FLOAT_DTYPES = (np.float64, np.float32)
# scikit-learn's check_array keeps these (supported_float_dtypes(numpy)); the
# kernels take float16 as float64, with float16's eps for the clipping.
_SK_FLOAT_DTYPES = [np.float64, np.float32, np.float16]


def is_plain_float_array(a):
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


def all_in_unit_interval(a):
    """True if every value of ``a`` is in [+0, 1] (so finite and not NaN).

    One vectorised ``max`` over the bit patterns instead of ``max``, ``min`` and
    a finiteness pass. False also for -0.0, which the caller's exact checks
    then accept, like scikit-learn.
    """
    uint, one = _ONE_BITS[a.dtype]
    return bool(a.view(uint).max() <= one)


def check_unit_range(vmax, vmin, name):
    """scikit-learn's range errors for probabilities (``name``: "y_prob" in log_loss)."""
    if vmax > 1:
        raise ValueError(f"{name} contains values greater than 1: {vmax}")
    if vmin < 0:
        raise ValueError(f"{name} contains values lower than 0: {vmin}")


def check_proba_array(y_proba):
    return check_array(y_proba, ensure_2d=False, dtype=_SK_FLOAT_DTYPES)


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
            self._value = reduce_log_loss(
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
    if not all_in_unit_interval(proba):
        # Rare path, scikit-learn's exact checks and messages. On the fast path
        # check_array's finiteness check was skipped: NaN/inf raise it here.
        raise_for_proba_facts(ProbaFacts.of(proba), proba.dtype)

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
        sums = row_sums(proba)
        warn_if_rows_off(ProbaFacts(row_sum_min=sums.min(), row_sum_max=sums.max()), eps,
                         stacklevel=4)

    if enc.n_classes != n_proba_classes:
        raise_class_count_mismatch(enc, y_true, labels, n_proba_classes)
    return enc, sample_weight


def row_sums(proba):
    """Row sums in the input dtype, like scikit-learn's ``xp.sum``, without an n x K
    temporary."""
    if proba.dtype == np.float16:
        return proba.sum(axis=1)  # numpy's float16 reduction, as scikit-learn's
    return np.einsum("ij->i", proba)


def sums_near_one(smin, smax, eps):
    """scikit-learn's ``xpx.isclose(row_sum, 1, rtol=sqrt(eps), atol=1e-8)`` for every row,
    from the smallest and largest row sums: ``|s - 1| <= 1e-8 + sqrt(eps)``."""
    tol = 1e-8 + math.sqrt(eps)
    return bool(smax - 1 <= tol and 1 - smin <= tol)


def raise_class_count_mismatch(enc, y_true, labels, n_proba_classes):
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


def reduce_log_loss(enc, scores, sample_weight, normalize, binary, *, from_logits, eps,
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
        return _family_loss(
            CATEGORICAL, y, scores, sample_weight=weights, reduction=reduction, **kwargs
        )
    indices = enc.indices
    if binary:
        pos = scores if scores.ndim == 1 else scores[:, 0]
        if enc.has_unknown:  # pragma: no cover - only multi-class has unknowns
            raise AssertionError
        return _family_loss(
            BINARY, indices.astype(pos.dtype), pos, sample_weight=weights,
            reduction=reduction, **kwargs
        )
    if enc.has_unknown:
        # An all-zero one-hot row contributes exactly 0: drop it from the sum
        # (the caller divides by the full count, as scikit-learn does).
        kwargs = dict(kwargs, ignore_index=-1)
    return _family_loss(
        CATEGORICAL, indices, scores, sample_weight=weights, reduction=reduction, **kwargs
    )


def _log_loss_from_logits(y_true, y_score, normalize, sample_weight, labels):
    """``log_loss(from_logits=True)``: scikit-learn's label and shape checks,
    no probability checks, sigmoid/softmax inside the kernels."""
    scores = check_proba_array(y_score)
    check_consistent_length(scores, y_true, sample_weight)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(
            sample_weight, scores, force_float_dtype=False
        )
    enc = encode_labels(y_true, labels)
    binary = scores.ndim == 1 or scores.shape[1] == 1
    n_score_classes = 2 if binary else scores.shape[1]
    if enc.n_classes != n_score_classes:
        raise_class_count_mismatch(enc, y_true, labels, n_score_classes)
    return reduce_log_loss(
        enc, scores, sample_weight, normalize, binary, from_logits=True, eps=None
    )


def check_multilabel_scores(y_proba):
    return check_array(
        y_proba, ensure_2d=False, dtype=list(_FLOAT_DTYPES), input_name="y_proba"
    )



def log_loss(y_true, y_proba, *, normalize, sample_weight, labels, from_logits):
    """``skxent.metrics.log_loss`` in memory, after the public parameter checks."""
    if from_logits:
        return _log_loss_from_logits(
            y_true, y_proba, normalize, sample_weight, labels
        )

    # -- check_array(y_proba): deferred finiteness check on the fast path -----
    fast = is_plain_float_array(y_proba)
    proba = y_proba if fast else check_proba_array(y_proba)

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
    return reduce_log_loss(
        enc, proba, sample_weight, normalize, binary_proba,
        from_logits=False, eps=float(eps),
    )


def multilabel_log_loss(y_true, y_proba, *, normalize, sample_weight, from_logits,
                        allow_all_zero_weights=False):
    """``skxent.metrics.multilabel_log_loss`` in memory, after the public parameter checks.

    ``allow_all_zero_weights``: for one chunk of a larger array (the Dask backend checks the
    total weight of all chunks instead)."""
    # As in log_loss: for plain float arrays of probabilities, max/min reveal
    # NaN and inf, and check_array only runs to raise its message.
    fast = not from_logits and is_plain_float_array(y_proba)
    if fast:
        scores = y_proba
    else:
        scores = check_multilabel_scores(y_proba)
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
    if not from_logits and not all_in_unit_interval(scores):
        vmax, vmin = scores.max(), scores.min()
        if fast and not (math.isfinite(vmax) and math.isfinite(vmin)):
            check_multilabel_scores(scores)
        check_unit_range(vmax, vmin, "y_proba")
    weights = None
    if sample_weight is not None:
        weights = _check_sample_weight(
            sample_weight, scores, dtype=np.float64, ensure_non_negative=True,
            allow_all_zero_weights=allow_all_zero_weights
        )

    kwargs = {"from_logits": from_logits, "validate": False}
    if not from_logits:
        eps = float(np.finfo(scores.dtype).eps)
        kwargs["eps"] = eps
        kwargs["clip_max"] = 1.0 - eps
    y = np.asarray(y, dtype=scores.dtype)
    loss = _family_loss(
        BINARY, y, scores, sample_weight=weights,
        reduction="mean" if normalize else "sum",
        n_threads=1 if scores.size < _PARALLEL_MIN_ELEMENTS else None, **kwargs
    )
    return float(loss)


class ProbaFacts:
    """What scikit-learn's checks need to know of a score array (and its weights), computed
    over a whole array or a chunk and combined over chunks (:meth:`combine`).

    Attributes: ``vmin``, ``vmax`` (smallest and largest value; probabilities only),
    ``has_nan``, ``has_inf``, ``row_sum_min``, ``row_sum_max`` (2-D probabilities),
    ``weight_sum``, ``weight_has_nan``, ``weight_has_inf``.
    """

    __slots__ = ("vmin", "vmax", "has_nan", "has_inf", "row_sum_min", "row_sum_max",
                 "weight_sum", "weight_has_nan", "weight_has_inf")

    def __init__(self, vmin=math.inf, vmax=-math.inf, has_nan=False, has_inf=False,
                 row_sum_min=1.0, row_sum_max=1.0, weight_sum=0.0, weight_has_nan=False,
                 weight_has_inf=False):
        self.vmin, self.vmax = vmin, vmax
        self.has_nan, self.has_inf = has_nan, has_inf
        self.row_sum_min, self.row_sum_max = row_sum_min, row_sum_max
        self.weight_sum = weight_sum
        self.weight_has_nan, self.weight_has_inf = weight_has_nan, weight_has_inf

    @classmethod
    def of(cls, scores, sample_weight=None, *, from_logits=False, binary=True):
        """The facts of one array (or chunk) of scores and its weights."""
        yp = np.asarray(scores)
        f = cls()
        if not from_logits and yp.size:
            f.vmin, f.vmax = float(yp.min()), float(yp.max())
            finite = math.isfinite(f.vmin) and math.isfinite(f.vmax)
        else:
            finite = yp.dtype.kind != "f" or bool(np.isfinite(yp).all())
        if not finite:
            f.has_nan = bool(np.isnan(yp).any())
            f.has_inf = bool(np.isinf(yp).any())
        elif not from_logits and not binary and yp.size:
            sums = row_sums(yp)
            f.row_sum_min, f.row_sum_max = float(sums.min()), float(sums.max())
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float64)
            f.weight_sum = float(w.sum())
            f.weight_has_nan = bool(np.isnan(w).any())
            f.weight_has_inf = bool(np.isinf(w).any())
        return f

    @classmethod
    def combine(cls, parts):
        """The facts of the concatenation of the chunks whose facts are ``parts``."""
        f = cls()
        f.vmin = min((p.vmin for p in parts), default=math.inf)
        f.vmax = max((p.vmax for p in parts), default=-math.inf)
        f.has_nan = any(p.has_nan for p in parts)
        f.has_inf = any(p.has_inf for p in parts)
        f.row_sum_min = min((p.row_sum_min for p in parts), default=1.0)
        f.row_sum_max = max((p.row_sum_max for p in parts), default=1.0)
        f.weight_sum = math.fsum(p.weight_sum for p in parts)
        f.weight_has_nan = any(p.weight_has_nan for p in parts)
        f.weight_has_inf = any(p.weight_has_inf for p in parts)
        return f


def raise_for_proba_facts(facts, dtype, *, from_logits=False, name="y_prob"):
    """scikit-learn's errors for a score array, in its order: non-finite values
    (``check_array``'s message: NaN wins over infinity), then the probability range."""
    if facts.has_nan or facts.has_inf:
        check_proba_array(np.array([np.nan if facts.has_nan else np.inf], dtype=dtype))
    if not from_logits:
        check_unit_range(dtype.type(facts.vmax), dtype.type(facts.vmin), name)


def raise_for_weight_facts(facts):
    """``_check_sample_weight``'s error for non-finite weights."""
    if facts.weight_has_nan or facts.weight_has_inf:
        _check_sample_weight(np.array([np.nan if facts.weight_has_nan else np.inf]),
                             np.zeros(1))


def warn_if_rows_off(facts, eps, stacklevel):
    """scikit-learn's warning when rows of probabilities do not sum to one."""
    if not sums_near_one(facts.row_sum_min, facts.row_sum_max, eps):
        warnings.warn(
            "The y_prob values do not sum to one. Make sure to pass probabilities.",
            UserWarning,
            stacklevel=stacklevel + 1,
        )
