"""Label handling for :func:`skxent.metrics.log_loss`, replicating scikit-learn.

Design note
-----------
``sklearn.metrics.log_loss`` one-hot encodes ``y_true`` with a ``LabelBinarizer``
and multiplies the ``(n_samples, n_classes)`` indicator matrix with
``log(y_proba)``. skxent's drop-in never builds that matrix: the kernels take
integer class indices, so all we need from the labels is

* the sorted array of classes ``LabelBinarizer`` would find (for the class count
  checks and the error messages), and
* for every sample the column index of its class (int64, shape ``(n_samples,)``),
  or, for a multi-label indicator ``y_true``, the indicator matrix itself
  (scikit-learn treats it as soft labels of a categorical loss).

Two paths compute these:

``_encode_fast``
    Plain 1-D NumPy arrays of integers, booleans or unicode strings without
    ``labels=``: the overwhelmingly common case (scorers, cross-validation).
    Integers use a bincount lookup table (O(n), no sort); strings are hashed to
    uint64 (verified against collisions) and then handled as integers.
    For these inputs ``type_of_target``/``LabelBinarizer`` cannot raise anything
    except "only one label", so the fast path returns ``None`` (meaning "use the
    exact path") whenever fewer than two classes are found.

``_encode_fast_with_labels``
    The same arrays with ``labels=`` (integers or strings, distinct, every
    ``y_true`` value among them): a binary search in the sorted labels.

``_encode_exact``
    Everything else (lists, pandas, object or float labels, column vectors,
    multi-label indicators, sparse matrices, ``labels=``). It runs the same
    scikit-learn helpers in the same order as scikit-learn does, so every
    exception and warning is the one scikit-learn raises, and mirrors
    ``label_binarize`` step by step except that it stops at the indices instead
    of materialising the one-hot matrix.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_array, column_or_1d

try:  # scikit-learn >= 1.6 (array-API aware); np.isin is its NumPy branch
    from sklearn.utils._array_api import _isin
except ImportError:  # pragma: no cover - older scikit-learn

    def _isin(element, test_elements, xp=np):
        return np.isin(element, test_elements)

from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import _num_samples

# Hash-based unique (NumPy >= 2.0); sorting is the fallback.
_unique_values = getattr(np, "unique_values", np.unique)

# A lookup table of this many entries (int64) per sample is still cheaper than
# sorting; beyond it (sparse, huge integer labels) we fall back to np.unique.
_LUT_FACTOR = 4


class EncodedLabels:
    """Result of the label encoding.

    Attributes
    ----------
    indices : ndarray of shape (n_samples,), dtype int64, or None
        Column of each sample's class; ``-1`` marks a sample whose label is not
        one of the classes (scikit-learn gives it an all-zero one-hot row, so
        it contributes a zero loss but still counts in the mean).
    indicator : ndarray of shape (n_samples, n_labels) or None
        The multi-label indicator matrix when ``y_true`` is one.
    n_classes : int
    classes : ndarray of shape (n_classes,) or None
        Only computed on the exact path (needed for error messages).
    has_unknown : bool
        Whether some index is -1.
    """

    __slots__ = ("indices", "indicator", "n_classes", "classes", "has_unknown")

    def __init__(self, indices, indicator, n_classes, classes, has_unknown=False):
        self.indices = indices
        self.indicator = indicator
        self.n_classes = n_classes
        self.classes = classes
        self.has_unknown = has_unknown


def _encode_fast(y_true):
    """Encode plain 1-D integer/bool/unicode labels, or return None.

    Returns None when the input is not of a supported kind or when it holds
    fewer than two distinct labels (the exact path then raises scikit-learn's
    error).
    """
    if type(y_true) is not np.ndarray or y_true.ndim != 1:
        return None
    kind = y_true.dtype.kind
    n = y_true.shape[0]
    if n == 0:
        return None
    if kind == "b":
        # np.bool_ labels: classes [False, True]; both must be present.
        n_true = np.count_nonzero(y_true)
        if n_true == 0 or n_true == n:
            return None
        return EncodedLabels(y_true.astype(np.int64), None, 2, None)
    if kind in "iu":
        lo = int(y_true.min())
        hi = int(y_true.max())
        if lo == hi:
            return None
        span = hi - lo + 1
        if span <= _LUT_FACTOR * n + 1024 and hi < 2**62:
            # Widen before shifting: int8 labels -100..100 would overflow.
            shifted = y_true.astype(np.intp, copy=False)
            if lo != 0:
                shifted = shifted - lo
            counts = np.bincount(shifted, minlength=span)
            present = counts > 0
            n_classes = int(np.count_nonzero(present))
            if n_classes == span:
                # Every value between min and max occurs: the index is the
                # shifted label itself (no lookup, and no copy for int64 0..K-1).
                indices = shifted.astype(np.int64, copy=False)
            else:
                lut = np.cumsum(present, dtype=np.int64)
                lut -= 1
                indices = lut[shifted]
            return EncodedLabels(indices, None, n_classes, None)
        classes, indices = np.unique(y_true, return_inverse=True)
        return EncodedLabels(indices.astype(np.int64, copy=False), None,
                             classes.shape[0], None)
    if kind == "U":
        indices = _encode_strings_by_hash(y_true)
        if indices is not None:
            return indices
        # Hash-based unique of the distinct strings, then a binary search among
        # them: O(n log K) instead of sklearn's O(n log n) string sort.
        classes = np.sort(_unique_values(y_true))
        if classes.shape[0] < 2:
            return None
        indices = np.searchsorted(classes, y_true).astype(np.int64, copy=False)
        return EncodedLabels(indices, None, classes.shape[0], None)
    return None


_HASH_MULT = np.uint64(0xBF58476D1CE4E5B9)


def _encode_strings_by_hash(y):
    """Encode a contiguous unicode array through a 64-bit hash of each string.

    The fixed-width UCS-4 strings are read as ``(n, width)`` uint32 code points
    and folded into one uint64 per string (``width`` vectorised passes), so the
    distinct values and every sample's rank come from integer operations. A
    hash collision cannot go unnoticed: a representative string of every hash
    value must equal, element by element, the string of every sample mapped to
    it, or this returns None and the caller uses the string path. Returns None
    also for fewer than two classes (the exact path raises).
    """
    if not y.flags.c_contiguous:
        return None
    n = y.shape[0]
    width = y.dtype.itemsize // 4
    if width == 0:
        return None
    codes = y.view(np.uint32).reshape(n, width)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(width):
            h ^= codes[:, j].astype(np.uint64) * np.uint64(2 * j + 1)
            h *= _HASH_MULT
            h ^= h >> np.uint64(29)
    hashes = np.sort(_unique_values(h))
    n_hashes = hashes.shape[0]
    if n_hashes < 2:
        return None
    pos = np.searchsorted(hashes, h)
    representative = np.empty(n_hashes, dtype=np.intp)
    representative[pos] = np.arange(n)  # any sample of each hash will do
    strings = y[representative]
    if not np.array_equal(strings[pos], y):
        return None  # a collision (two strings, one hash)
    # Columns follow the sorted strings, as LabelBinarizer's classes_.
    order = np.argsort(strings, kind="stable")
    rank = np.empty(n_hashes, dtype=np.int64)
    rank[order] = np.arange(n_hashes)
    return EncodedLabels(rank[pos], None, n_hashes, None)


def _encode_exact(y_true, labels):
    """scikit-learn's ``_one_hot_encoding_multiclass_target`` without the one-hot.

    Same checks, same order, same messages and warnings as scikit-learn 1.9.
    """
    xp = np
    lb = LabelBinarizer()
    if labels is not None:
        lb = lb.fit(labels)
        # LabelBinarizer does not respect the order implied by labels, which
        # can be misleading.
        if not xp.all(lb.classes_ == labels):
            warnings.warn(
                f"Labels passed were {labels}. But this function "
                "assumes labels are ordered lexicographically. "
                f"Pass the ordered labels={lb.classes_.tolist()} and ensure that "
                "the columns of y_prob correspond to this ordering.",
                UserWarning,
                stacklevel=3,
            )
        if not xp.all(_isin(y_true, labels, xp=xp)):
            undeclared_labels = set(y_true) - set(labels)
            raise ValueError(
                f"y_true contains values {undeclared_labels} not belonging "
                f"to the passed labels {labels}."
            )
    else:
        lb = lb.fit(y_true)

    if lb.classes_.shape[0] == 1:
        if labels is None:
            raise ValueError(
                "y_true contains only one label ({0}). Please "
                "provide the list of all expected class labels explicitly through the "
                "labels argument.".format(lb.classes_[0])
            )
        else:
            raise ValueError(
                "The labels array needs to contain at least two "
                "labels, got {0}.".format(lb.classes_)
            )

    # LabelBinarizer.transform
    y_is_multilabel = type_of_target(y_true).startswith("multilabel")
    if y_is_multilabel and not lb.y_type_.startswith("multilabel"):
        raise ValueError("The object was not fitted with multilabel input.")
    return _label_indices(y_true, lb.classes_)


def _label_indices(y, classes):
    """``label_binarize(y, classes=classes)`` returning indices, not one-hot.

    Binary targets keep scikit-learn's quirk: ``label_binarize`` returns the
    positive column only and ``log_loss`` rebuilds ``[1 - Y, Y]``, so a label
    outside ``classes`` becomes the negative class (index 0); for multi-class
    targets it gets an all-zero row (index -1, zero loss).
    """
    if not isinstance(y, list):
        y = check_array(
            y, input_name="y", accept_sparse="csr", ensure_2d=False, dtype=None
        )
    else:
        if _num_samples(y) == 0:
            raise ValueError("y has 0 samples: %r" % y)

    y_type = type_of_target(y)
    if "multioutput" in y_type:
        raise ValueError(
            "Multioutput target data is not supported with label binarization"
        )
    if y_type == "unknown":
        raise ValueError("The type of target data is not known")

    classes = np.asarray(classes)
    n_classes = classes.shape[0]
    if hasattr(y, "dtype") and y.dtype.kind in "iu":
        classes = classes.astype(y.dtype, copy=False)

    if y_type == "binary" and n_classes >= 3:
        y_type = "multiclass"

    sorted_class = np.sort(classes)
    if y_type == "multilabel-indicator":
        y_n_classes = y.shape[1] if hasattr(y, "shape") else len(y[0])
        if n_classes != y_n_classes:
            raise ValueError(
                "classes {0} mismatch with the labels {1} found in the data".format(
                    classes, unique_labels(y)
                )
            )
        indicator = y.toarray() if sp.issparse(y) else np.asarray(y)
        return EncodedLabels(None, indicator, n_classes, classes)

    if y_type in ("binary", "multiclass"):
        y = column_or_1d(y)
        in_classes = _isin(y, classes, xp=np)
        indices = np.searchsorted(sorted_class, y)
        # searchsorted gives the sorted position; map back to the column order
        # of ``classes`` (they coincide: LabelBinarizer's classes are sorted).
        if np.any(classes != sorted_class):  # pragma: no cover - defensive
            order = np.argsort(classes, kind="stable")
            indices = order[np.minimum(indices, n_classes - 1)]
        indices = np.asarray(indices, dtype=np.int64)
        has_unknown = not bool(np.all(in_classes))
        if has_unknown:
            if y_type == "binary":
                indices[~in_classes] = 0
                has_unknown = False
            else:
                indices[~in_classes] = -1
        return EncodedLabels(indices, None, n_classes, classes, has_unknown)

    raise ValueError(
        "%s target data is not supported with label binarization" % y_type
    )


def _encode_fast_with_labels(y_true, labels):
    """``labels=`` given, plain 1-D integer or unicode arrays: or None.

    Handles the case where scikit-learn raises nothing: ``labels`` distinct,
    at least two, of the same kind as ``y_true`` (so no casting surprises), and
    every ``y_true`` value among them. It then emits scikit-learn's "labels
    are not ordered" warning itself. Any other case returns None *before*
    warning, and the exact path replays scikit-learn's warnings and errors.
    """
    if type(y_true) is not np.ndarray or y_true.ndim != 1 or y_true.shape[0] == 0:
        return None
    if type(labels) not in (list, np.ndarray):
        return None
    kind = y_true.dtype.kind
    if kind not in "iuU":
        return None
    lab = np.asarray(labels)
    if lab.ndim != 1 or lab.shape[0] < 2:
        return None
    if kind == "U":
        if lab.dtype.kind != "U":
            return None
    else:
        if lab.dtype.kind not in "iu":
            return None
        # label_binarize casts the classes to y's integer dtype: require that
        # to be exact.
        if not np.array_equal(lab.astype(y_true.dtype), lab):
            return None
    classes = np.sort(lab)
    if np.any(classes[1:] == classes[:-1]):
        return None  # duplicates: scikit-learn's comparisons misbehave
    n_classes = classes.shape[0]
    pos = np.searchsorted(classes, y_true)
    np.minimum(pos, n_classes - 1, out=pos)
    if not np.array_equal(classes[pos], y_true):
        return None  # undeclared labels: the exact path raises
    if not np.array_equal(classes, lab):
        warnings.warn(
            f"Labels passed were {labels}. But this function "
            "assumes labels are ordered lexicographically. "
            f"Pass the ordered labels={classes.tolist()} and ensure that "
            "the columns of y_prob correspond to this ordering.",
            UserWarning,
            stacklevel=4,
        )
    return EncodedLabels(pos.astype(np.int64, copy=False), None, n_classes, classes)


def _plain_numpy_view(y_true):
    """A pandas Series of a plain NumPy integer/bool dtype -> its ndarray.

    (``model_selection`` hands the scorers ``y.iloc[test]`` when ``y`` is a
    Series.) Extension dtypes (nullable integers, categoricals, strings) are
    left to the exact path.
    """
    if type(y_true).__name__ == "Series" and type(y_true).__module__.startswith("pandas"):
        dtype = y_true.dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "iub":
            return y_true.to_numpy()
    return y_true


def encode_labels(y_true, labels):
    """Encode ``y_true`` as scikit-learn's log_loss would (see module note)."""
    y_true = _plain_numpy_view(y_true)
    if labels is None:
        enc = _encode_fast(y_true)
    else:
        enc = _encode_fast_with_labels(y_true, labels)
    if enc is not None:
        return enc
    return _encode_exact(y_true, labels)


def classes_for_message(y_true, labels):
    """The ``lb.classes_`` scikit-learn prints in its class-count error."""
    lb = LabelBinarizer().fit(y_true if labels is None else labels)
    return lb.classes_
