"""Input validation shared by skxent.losses, skxent.special and skxent.metrics.

Design note
-----------
One place for the API's conventions (``docs/api_reference.md`` in the repository):

* arrays in: anything ``np.asarray`` accepts; float32/float64 keep their dtype, other real dtypes
  (ints, bools, float16, longdouble) become float64; complex, object and string data raise
  ``TypeError``. Arrays are never copied when the kernels can read them as they are (any strides,
  C or Fortran order, read-only, memmaps), and never written to.
* every error names the argument; a bad label also gives its position and value.
* value checks that read a whole ``(n, K)`` array (probability or label ranges, NaN) run in the
  parallel C scan ``_core.scan`` and allocate nothing of size ``n * K``; with a mask (``where``)
  they skip the masked positions, read through the mask's (possibly broadcast) strides.
* options that broadcast to ``y_pred`` (``where``, a per-element ``sample_weight``) are checked
  on the array as given and returned as ``np.broadcast_to`` views: never materialised.
* N-D inputs: the class axis is moved last as a view (``np.moveaxis``), never copied; the scans
  read such views in place and report positions in the caller's layout (``class_axis``).
"""

import math
import numbers
import re

import numpy as np

from . import _core

REDUCTIONS = ("none", "sum", "mean", "sum_over_batch_size", "sum_by_nonzero_weights")


def as_float_array(a, name, *, ndim=None):
    """``np.asarray(a)`` with the API's dtype rules.

    Parameters
    ----------
    a : array-like
    name : str
        Argument name used in error messages.
    ndim : tuple of int or None
        Allowed numbers of dimensions.

    Returns
    -------
    ndarray of dtype float32 or float64 (a view of ``a`` whenever possible).
    """
    try:
        arr = np.asarray(a)
    except Exception as exc:  # ragged lists etc.
        raise ValueError(f"{name}: could not convert to an array ({exc})") from None
    kind = arr.dtype.kind
    if kind == "f":
        if arr.dtype not in (np.float32, np.float64):
            arr = arr.astype(np.float64)
    elif kind in "iub":
        arr = arr.astype(np.float64)
    elif kind == "c":
        raise TypeError(f"{name}: complex data is not supported (dtype {arr.dtype})")
    else:
        raise TypeError(f"{name}: expected real numbers, got an array of dtype {arr.dtype}")
    if ndim is not None and arr.ndim not in ndim:
        allowed = " or ".join(f"{d}-D" for d in ndim)
        raise ValueError(f"{name}: expected a {allowed} array, got shape {arr.shape}")
    return arr


def check_bool(value, name):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r}")


def check_reduction(reduction):
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def check_smoothing(label_smoothing):
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
        raise TypeError(f"label_smoothing must be a float in [0, 1], got {label_smoothing!r}")
    e = float(label_smoothing)
    if not 0.0 <= e <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing!r}")
    return e


def resolve_eps(eps, dtype):
    """``"auto"`` -> machine epsilon of the prediction dtype; else a float in [0, 0.5)."""
    if isinstance(eps, str):
        if eps != "auto":
            raise ValueError(f"eps must be 'auto' or a float in [0, 0.5), got {eps!r}")
        return float(np.finfo(dtype).eps)
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"eps must be 'auto' or a float in [0, 0.5), got {eps!r}")
    e = float(eps)
    if not 0.0 <= e < 0.5:
        raise ValueError(f"eps must be in [0, 0.5), got {eps!r}")
    return e


def _describe_position(flat, shape):
    if len(shape) <= 1:
        return f"position {flat}"
    return f"position {tuple(int(i) for i in np.unravel_index(flat, shape))}"


def check_axis(axis, ndim, shape, name="y_pred"):
    """The class axis ``axis`` (an int in ``[-ndim, ndim)``) of an ``ndim``-D array, as a
    non-negative int; the errors name ``axis`` and the array's shape."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an int, got {axis!r}")
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(
            f"axis {axis} is out of range for a {ndim}-D {name} (shape {tuple(shape)})")
    return int(axis) % max(ndim, 1)


def check_range(arr, name, lo, hi, *, what="values", n_threads=1, row_tol=0.0, where=None,
                class_axis=None):
    """Raise ValueError at the first value outside [lo, hi] or NaN; return rows off by row_tol.

    Parameters
    ----------
    arr : ndarray (n,), (n, K) or N-D (rows: the leading axes, in C order), float32/float64,
        any strides.
    where : bool ndarray of ``arr``'s shape (any strides: a broadcast view) or None
        Only the positions where it is True are checked (no row sums then).
    class_axis : int or None
        ``arr`` is the caller's array with this axis moved last (a view): positions in the
        messages are given in the caller's layout.
    """
    if arr.size == 0:
        return 0
    first, nbad_rows = _core.scan(arr, lo, hi, False, row_tol, n_threads, where)
    if first >= 0:
        shape = arr.shape
        idx = np.unravel_index(first, shape)
        v = arr[idx].item()
        pos = _describe_position(first, shape)
        if class_axis is not None:
            orig = list(int(i) for i in idx[:-1])
            orig.insert(class_axis, int(idx[-1]))
            pos = f"position {tuple(orig)}"
        if v != v:
            raise ValueError(f"{name}: NaN at {pos}; {what} must be in [{lo:g}, {hi:g}]")
        raise ValueError(f"{name}: value {v!r} at {pos} is outside [{lo:g}, {hi:g}] ({what})")
    return nbad_rows


def check_int_labels(y, n_classes, name="y_true", ignore_index=None, shape=None):
    """Validate sparse class labels; return them as a contiguous int64 array.

    Parameters
    ----------
    y : ndarray (n,) of integer or integral-float dtype.
    n_classes : int
    ignore_index : int or None
        This value is allowed (even outside [0, n_classes)).
    shape : tuple or None
        ``y`` is an N-D label array of this shape flattened in C order: positions in the
        messages are given as indices of that shape.
    """
    try:
        return _check_int_labels(y, n_classes, name, ignore_index)
    except ValueError as exc:
        if shape is None or len(shape) <= 1:
            raise
        msg = str(exc)
        m = re.search(r"at position (\d+)", msg)
        if m is None:
            raise
        pos = tuple(int(i) for i in np.unravel_index(int(m.group(1)), shape))
        raise ValueError(msg.replace(m.group(0), f"at position {pos}")) from None


def _check_int_labels(y, n_classes, name, ignore_index):
    kind = y.dtype.kind
    if kind == "b":
        y = y.astype(np.int64)
        kind = "i"
    if kind == "f":
        bad = ~np.isfinite(y)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name}: label {y[i].item()!r} at position {i} is not a class index")
        frac = y != np.floor(y)
        if frac.any():
            i = int(np.flatnonzero(frac)[0])
            raise ValueError(
                f"{name}: label {y[i].item()!r} at position {i} is not an integer class index")
        if y.size and (np.abs(y).max() > 2**62):
            i = int(np.flatnonzero(np.abs(y) > 2**62)[0])
            raise ValueError(
                f"{name}: label {y[i].item()!r} at position {i} is outside [0, {n_classes})")
        t = y.astype(np.int64)
    elif kind == "u":
        if y.size and y.max() > 2**62:
            i = int(np.flatnonzero(y > 2**62)[0])
            raise ValueError(
                f"{name}: label {y[i].item()!r} at position {i} is outside [0, {n_classes})")
        t = y.astype(np.int64)
    elif kind == "i":
        t = y if y.dtype == np.int64 else y.astype(np.int64)
    else:
        raise TypeError(f"{name}: integer class labels expected, got dtype {y.dtype}")
    t = np.ascontiguousarray(t)
    if t.size:
        lo, hi = t.min(), t.max()
        if lo < 0 or hi >= n_classes:
            bad = (t < 0) | (t >= n_classes)
            if ignore_index is not None:
                bad &= t != ignore_index
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"{name}: label {y[i].item()!r} at position {i} is outside [0, {n_classes})")
    return t


def check_weights(w, name, length, *, what="samples"):
    """Non-negative, finite-or-inf, NaN-free float64 weights of the given length (C-contiguous).

    A scalar is broadcast to ``length``.
    """
    if w is None:
        return None
    arr = as_float_array(w, name, ndim=(0, 1))
    if arr.ndim == 0:
        arr = np.full(length, float(arr), dtype=np.float64)
    if arr.shape[0] != length:
        raise ValueError(
            f"{name}: expected {length} values (one per {what}), got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if arr.size:
        nan = np.isnan(arr)
        if nan.any():
            i = int(np.flatnonzero(nan)[0])
            raise ValueError(f"{name}: NaN at position {i}")
        neg = arr < 0
        if neg.any():
            i = int(np.flatnonzero(neg)[0])
            raise ValueError(f"{name}: negative weight {arr[i].item()!r} at position {i}")
    return arr


def check_ignore_index(ignore_index):
    if ignore_index is None:
        return None
    if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(
            ignore_index, numbers.Integral):
        raise TypeError(f"ignore_index must be an int or None, got {ignore_index!r}")
    return int(ignore_index)


def check_focal_gamma(focal_gamma):
    """The focal exponent: a finite real >= 0 (0 is plain cross-entropy)."""
    if focal_gamma.__class__ is float and focal_gamma == 0.0:  # the default, fast
        return 0.0
    if isinstance(focal_gamma, (bool, np.bool_)) or not isinstance(focal_gamma, numbers.Real):
        raise TypeError(f"focal_gamma must be a float >= 0, got {focal_gamma!r}")
    g = float(focal_gamma)
    if not (g >= 0.0 and math.isfinite(g)):
        raise ValueError(f"focal_gamma must be a finite float >= 0, got {focal_gamma!r}")
    return g


def check_where(where, shape):
    """``where``: a boolean array broadcastable to ``shape`` (NumPy's rules); returned as a
    (zero-strided where broadcast) read-only view of that shape, or None. Never copied."""
    if where is None:
        return None
    try:
        w = np.asarray(where)
    except Exception as exc:
        raise ValueError(f"where: could not convert to an array ({exc})") from None
    if w.dtype != np.bool_:
        raise TypeError(f"where must be a boolean array, got dtype {w.dtype}")
    try:
        return np.broadcast_to(w, shape)
    except ValueError:
        raise ValueError(
            f"where: shape {w.shape} cannot be broadcast to y_pred's shape {tuple(shape)}"
        ) from None


def check_elementwise_weights(w, name, shape):
    """Weights for elementwise terms of ``shape`` (n, ...).

    A scalar or 1-D array weights the samples (length n, one weight per sample: the API's
    1-D convention); any other shape must broadcast to ``shape`` with NumPy's rules (an
    ``(n, L)`` weight per element, ``(1, L)`` per label).

    Returns
    -------
    (weights, total, nonzero)
        ``weights`` a float64 array: the (n,) vector, or a (zero-strided where broadcast) view
        of ``shape``; ``total`` and ``nonzero`` the sum and the count of nonzero weights over
        every element of ``shape`` (a broadcast repeats each given weight the same number of
        times, so both come from the given array, without materialising the broadcast).
    """
    if w is None:
        return None, None, None
    n = shape[0]
    per_element = math.prod(shape[1:])  # not np.prod: microseconds on a small call
    arr = np.asarray(w) if not isinstance(w, np.ndarray) else w
    if arr.ndim <= 1:
        v = check_weights(w, name, n)
        return v, float(per_element * v.sum()), float(per_element * np.count_nonzero(v))
    arr = as_float_array(arr, name)
    if arr.ndim > len(shape):
        raise ValueError(
            f"{name}: shape {arr.shape} cannot be broadcast to y_pred's shape {tuple(shape)}")
    try:
        np.broadcast_shapes(arr.shape, tuple(shape))
        view = np.broadcast_to(arr, shape)
    except ValueError:
        raise ValueError(
            f"{name}: shape {arr.shape} cannot be broadcast to y_pred's shape "
            f"{tuple(shape)}") from None
    if arr.size:
        nan = np.isnan(arr)
        if nan.any():
            pos = tuple(int(i) for i in np.unravel_index(int(np.flatnonzero(nan)[0]), arr.shape))
            raise ValueError(f"{name}: NaN at position {pos}")
        neg = arr < 0
        if neg.any():
            pos = tuple(int(i) for i in np.unravel_index(int(np.flatnonzero(neg)[0]), arr.shape))
            raise ValueError(f"{name}: negative weight {arr[pos].item()!r} at position {pos}")
    arr64 = arr if arr.dtype == np.float64 else arr.astype(np.float64)
    view = np.broadcast_to(arr64, shape)
    size = math.prod(shape)
    repeat = size // arr64.size if arr64.size else 0
    return view, float(repeat * arr64.sum()), float(repeat * np.count_nonzero(arr64))
