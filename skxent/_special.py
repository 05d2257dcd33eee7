"""Stable softmax-family and sigmoid-family functions (the computations of skxent.special).

Design note
-----------
Below the public :mod:`skxent.special` (which re-exports these functions) so that internal
modules (the metrics' computations) use them without importing a public module.

``logsumexp``, ``log_softmax`` and ``softmax`` share the kernels' softmax stage (max subtraction
with an error-free difference, vectorised exp, ``log1p`` of the non-argmax mass), so they are
within a few ulps of an exact reference and consistent with skxent.losses to the last bit. They
work along ``axis`` (default the last); a 1-D array is one row (``logsumexp`` then returns a
scalar); any other number of dimensions runs along ``axis`` (moved last as a view, never
copied: the kernels read strided memory, and results of ``a``'s shape are allocated in ``a``'s
layout and written through the same view). ``sigmoid`` and ``log_sigmoid`` are elementwise on
any shape and never form ``1 - p``.

The gradient of softmax cross-entropy with respect to soft labels (TensorFlow's ``_v2``
behaviour) is ``-log_softmax(logits)``.
"""

import numpy as np

from . import _core
from ._config import effective_n_threads
from ._validation import as_float_array, check_axis

__all__ = ["logsumexp", "log_softmax", "softmax", "log_sigmoid", "sigmoid"]

_LSE, _LOG_SOFTMAX, _SOFTMAX = 0, 1, 2
_SIGMOID, _LOG_SIGMOID = 0, 1


def _rows(a, mode, n_threads, axis=-1):
    x = as_float_array(a, "a")
    if x.ndim == 0:
        raise ValueError("a: expected an array of at least 1 dimension, got a scalar")
    if not (x.ndim <= 2 and (axis == -1 or axis == x.ndim - 1) and axis.__class__ is int):
        return _rows_nd(x, mode, n_threads, check_axis(axis, x.ndim, x.shape, "a"))
    nt = effective_n_threads(n_threads)
    x2 = x[np.newaxis, :] if x.ndim == 1 else x
    n, K = x2.shape
    if K == 0:
        if mode == _LSE:
            out = np.full(n, -np.inf, dtype=x.dtype)
            return out[0] if x.ndim == 1 else out
        return np.empty(x.shape, dtype=x.dtype)
    out = np.empty(n if mode == _LSE else (n, K), dtype=x.dtype)
    if n:
        _core.rows(x2, mode, out, nt)
    if x.ndim == 1:
        return out[0] if mode == _LSE else out[0]
    return out


def _rows_nd(x, mode, n_threads, ax):
    """Along axis ``ax`` of any array: the axis moved last as a view (never a copy); the
    result of ``x``'s shape is allocated in ``x``'s memory layout and written through the same
    moved view, so an ``(N, C, H, W)`` softmax along ``axis=1`` stores straight copies."""
    nt = effective_n_threads(n_threads)
    xm = np.moveaxis(x, ax, -1)
    K = xm.shape[-1]
    if mode == _LSE:
        out = np.full(xm.shape[:-1], -np.inf, dtype=x.dtype) if K == 0 else \
            np.empty(xm.shape[:-1], dtype=x.dtype)
        if K and out.size:
            _core.rows(xm, mode, out, nt)
        return out if out.ndim else out[()]
    full = np.empty_like(x, order="K")
    if K and full.size:
        _core.rows(xm, mode, np.moveaxis(full, ax, -1), nt)
    return full


def logsumexp(a, axis=-1, *, n_threads=None):
    """``log(sum(exp(a)))`` along ``axis``.

    Computed without overflow for any finite input (the row maximum is taken out with an
    error-free difference) and within a few ulps of an exact reference.

    Parameters
    ----------
    a : array-like of any shape (at least 1-D)
        Real numbers; float32 and float64 keep their dtype, other real dtypes become float64.
    axis : int, default=-1
        The axis the function runs along (the classes); every other position is a row.
        PyTorch's ``(N, C, H, W)`` layout is ``axis=1``. Any number of dimensions, any axis and
        any strides: ``a`` is read in place, never copied.
    n_threads : int >= 1 or None, default=None
        OpenMP threads; None uses OpenMP's default. The result does not depend on it.

    Returns
    -------
    lse : scalar or ndarray of ``a``'s shape without ``axis``
        A scalar for 1-D input, one value per row otherwise; dtype of ``a`` (float32 or
        float64). Rows of all ``-inf`` give ``-inf``; a NaN anywhere in a row gives NaN.

    Raises
    ------
    ValueError
        If ``a`` is a scalar, ``axis`` is out of range, or ``n_threads`` is below 1.
    TypeError
        If ``a`` is not real (complex, strings, objects), or ``axis`` or ``n_threads`` is not
        an int.

    See Also
    --------
    log_softmax : ``a - logsumexp(a)``, accurate where that difference would cancel.
    scipy.special.logsumexp : SciPy's, with ``axis`` and ``b`` but no threads.

    Examples
    --------
    >>> import numpy as np
    >>> from skxent.special import logsumexp
    >>> round(float(logsumexp(np.array([1000.0, 1000.0]))), 10)  # 1000 + log(2): no overflow
    1000.6931471806
    >>> logsumexp(np.array([[0.0, 0.0], [1.0, -np.inf]]))
    array([0.69314718, 1.        ])
    >>> logsumexp(np.array([[0.0, 0.0], [1.0, -np.inf]]), axis=0)
    array([1.31326169, 0.        ])
    """
    return _rows(a, _LSE, n_threads, axis)


def log_softmax(a, axis=-1, *, n_threads=None):
    """``a - logsumexp(a, axis)`` along ``axis``, shape and dtype of ``a``.

    The largest entry's value is ``-log1p(sum of the others' exp)``, accurate even when it is
    far below 1e-16 in magnitude (``a - logsumexp(a)`` rounds it to 0).

    Parameters
    ----------
    a : array-like of any shape (at least 1-D)
        Logits; float32 and float64 keep their dtype, other real dtypes become float64.
    axis : int, default=-1
        The axis the function runs along (the classes); every other position is a row.
        PyTorch's ``(N, C, H, W)`` layout is ``axis=1``. Any number of dimensions, any axis and
        any strides: ``a`` is read in place, never copied.
    n_threads : int >= 1 or None, default=None
        OpenMP threads; None uses OpenMP's default. The result does not depend on it.

    Returns
    -------
    log_p : ndarray of the shape of ``a``
        Log-probabilities, dtype of ``a`` (in ``a``'s memory layout when that is a permutation
        of a contiguous one). A ``-inf`` entry stays ``-inf`` (probability 0).

    Raises
    ------
    ValueError
        If ``a`` is a scalar, ``axis`` is out of range, or ``n_threads`` is below 1.
    TypeError
        If ``a`` is not real, or ``axis`` or ``n_threads`` is not an int.

    See Also
    --------
    softmax : The probabilities themselves.
    logsumexp : The normaliser.
    skxent.losses.categorical_cross_entropy : Its loss is ``-log_softmax`` at the true class.

    Examples
    --------
    >>> import numpy as np
    >>> from skxent.special import log_softmax
    >>> log_softmax(np.array([40.0, 0.0]))  # the first value is -exp(-40), not 0
    array([-4.24835426e-18, -4.00000000e+01])
    """
    return _rows(a, _LOG_SOFTMAX, n_threads, axis)


def softmax(a, axis=-1, *, n_threads=None):
    """``exp(a - logsumexp(a, axis))`` along ``axis``, shape and dtype of ``a``.

    ``-inf`` entries give probability exactly 0.

    Parameters
    ----------
    a : array-like of any shape (at least 1-D)
        Logits; float32 and float64 keep their dtype, other real dtypes become float64.
    axis : int, default=-1
        The axis the function runs along (the classes); every other position is a row.
        PyTorch's ``(N, C, H, W)`` layout is ``axis=1``. Any number of dimensions, any axis and
        any strides: ``a`` is read in place, never copied.
    n_threads : int >= 1 or None, default=None
        OpenMP threads; None uses OpenMP's default. The result does not depend on it.

    Returns
    -------
    p : ndarray of the shape of ``a``
        Probabilities (each row sums to 1 along ``axis`` up to rounding), dtype of ``a`` (in
        ``a``'s memory layout when that is a permutation of a contiguous one).

    Raises
    ------
    ValueError
        If ``a`` is a scalar, ``axis`` is out of range, or ``n_threads`` is below 1.
    TypeError
        If ``a`` is not real, or ``axis`` or ``n_threads`` is not an int.

    See Also
    --------
    log_softmax : The same in the log domain (use it for losses).
    sigmoid : The two-class case on one logit.

    Examples
    --------
    >>> import numpy as np
    >>> from skxent.special import softmax
    >>> softmax(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    >>> softmax(np.array([[1.0, -np.inf]]))  # a -inf logit is a masked class
    array([[1., 0.]])
    >>> x = np.zeros((2, 4, 3, 3))  # (N, C, H, W): the classes along axis 1
    >>> softmax(x, axis=1)[0, :, 0, 0]
    array([0.25, 0.25, 0.25, 0.25])
    """
    return _rows(a, _SOFTMAX, n_threads, axis)


def _elementwise(x, mode, n_threads):
    a = as_float_array(x, "x")
    nt = effective_n_threads(n_threads)
    if a.ndim == 0:
        return a.dtype.type(_elementwise(a.reshape(1), mode, n_threads)[0])
    if not (a.flags.c_contiguous or a.flags.f_contiguous):
        a = np.ascontiguousarray(a)
    out = np.empty_like(a, order="F" if (a.flags.f_contiguous and not a.flags.c_contiguous)
                        else "C")
    if a.size:
        _core.elementwise(a, mode, out, nt)
    return out


def sigmoid(x, *, n_threads=None):
    """Logistic function ``1 / (1 + exp(-x))``, elementwise, shape and dtype of ``x``.

    Computed from ``exp(-|x|)`` so neither tail underflows early: sigmoid(-700) ~ 1e-304.

    Parameters
    ----------
    x : array-like of any shape
        Logits; float32 and float64 keep their dtype, other real dtypes become float64.
    n_threads : int >= 1 or None, default=None
        OpenMP threads; None uses OpenMP's default. The result does not depend on it.

    Returns
    -------
    p : ndarray of the shape of ``x``
        Probabilities in [0, 1], dtype of ``x`` (a 0-d input gives a NumPy scalar).

    Raises
    ------
    ValueError
        If ``n_threads`` is below 1.
    TypeError
        If ``x`` is not real, or ``n_threads`` is not an int.

    See Also
    --------
    log_sigmoid : ``log(sigmoid(x))`` without rounding ``sigmoid(x)`` first.
    scipy.special.expit : SciPy's logistic function.

    Examples
    --------
    >>> import numpy as np
    >>> from skxent.special import sigmoid
    >>> sigmoid(np.array([-700.0, 0.0, 2.0]))
    array([9.85967654e-305, 5.00000000e-001, 8.80797078e-001])
    """
    return _elementwise(x, _SIGMOID, n_threads)


def log_sigmoid(x, *, n_threads=None):
    """``log(sigmoid(x)) = -softplus(-x)``, elementwise, shape and dtype of ``x``.

    Accurate for large positive ``x`` (where it is ``-exp(-x)``, not 0) and exact ``x`` for very
    negative ``x``.

    Parameters
    ----------
    x : array-like of any shape
        Logits; float32 and float64 keep their dtype, other real dtypes become float64.
    n_threads : int >= 1 or None, default=None
        OpenMP threads; None uses OpenMP's default. The result does not depend on it.

    Returns
    -------
    log_p : ndarray of the shape of ``x``
        ``log(sigmoid(x))``, non-positive, dtype of ``x`` (a 0-d input gives a NumPy scalar).

    Raises
    ------
    ValueError
        If ``n_threads`` is below 1.
    TypeError
        If ``x`` is not real, or ``n_threads`` is not an int.

    See Also
    --------
    sigmoid : The probability itself.
    skxent.losses.binary_cross_entropy : Its loss is ``-log_sigmoid`` of the signed logit.

    Examples
    --------
    >>> import numpy as np
    >>> from skxent.special import log_sigmoid
    >>> log_sigmoid(np.array([-800.0, 0.0, 40.0]))  # np.log(sigmoid(40)) would be 0.0
    array([-8.00000000e+02, -6.93147181e-01, -4.24835426e-18])
    """
    return _elementwise(x, _LOG_SIGMOID, n_threads)
