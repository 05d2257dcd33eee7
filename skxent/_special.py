"""Stable softmax-family and sigmoid-family functions (the computations of skxent.special).

Design note
-----------
Below the public :mod:`skxent.special` (which re-exports these functions) so that internal
modules (the metrics' computations) use them without importing a public module.

``logsumexp``, ``log_softmax`` and ``softmax`` share the kernels' softmax stage (max subtraction
with an error-free difference, vectorised exp, ``log1p`` of the non-argmax mass), so they are
within a few ulps of an exact reference and consistent with skxent.losses to the last bit. They
work along the last axis of a 2-D array; a 1-D array is one row (``logsumexp`` then returns a
scalar). ``sigmoid`` and ``log_sigmoid`` are elementwise on any shape and never form ``1 - p``.

The gradient of softmax cross-entropy with respect to soft labels (TensorFlow's ``_v2``
behaviour) is ``-log_softmax(logits)``.
"""

import numpy as np

from . import _core
from ._config import effective_n_threads
from ._validation import as_float_array

__all__ = ["logsumexp", "log_softmax", "softmax", "log_sigmoid", "sigmoid"]

_LSE, _LOG_SOFTMAX, _SOFTMAX = 0, 1, 2
_SIGMOID, _LOG_SIGMOID = 0, 1


def _rows(a, mode, n_threads):
    x = as_float_array(a, "a", ndim=(1, 2))
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


def logsumexp(a, *, n_threads=None):
    """``log(sum(exp(a)))`` along the last axis.

    Parameters
    ----------
    a : array-like of shape (n,) or (n_rows, n)
    n_threads : int >= 1 or None

    Returns
    -------
    scalar (1-D input) or ndarray of shape (n_rows,), dtype of ``a`` (float32 or float64).
    Rows of all ``-inf`` give ``-inf``; a NaN anywhere in a row gives NaN.
    """
    return _rows(a, _LSE, n_threads)


def log_softmax(a, *, n_threads=None):
    """``a - logsumexp(a)`` along the last axis, shape and dtype of ``a``.

    The largest entry's value is ``-log1p(sum of the others' exp)``, accurate even when it is
    far below 1e-16 in magnitude.
    """
    return _rows(a, _LOG_SOFTMAX, n_threads)


def softmax(a, *, n_threads=None):
    """``exp(a - logsumexp(a))`` along the last axis, shape and dtype of ``a``.

    ``-inf`` entries give probability exactly 0.
    """
    return _rows(a, _SOFTMAX, n_threads)


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
    """
    return _elementwise(x, _SIGMOID, n_threads)


def log_sigmoid(x, *, n_threads=None):
    """``log(sigmoid(x)) = -softplus(-x)``, elementwise, shape and dtype of ``x``.

    Accurate for large positive ``x`` (where it is ``-exp(-x)``, not 0) and exact ``x`` for very
    negative ``x``.
    """
    return _elementwise(x, _LOG_SIGMOID, n_threads)
