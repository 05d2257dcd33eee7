"""Cross-entropy losses: one binary (sigmoid) and one categorical (softmax) function.

Design note
-----------
Each public function validates its arguments (``skxent._validation``), picks the outputs the
reduction needs, and makes one pass of the C kernel (``skxent._core``), which computes the loss,
the per-sample weights of API.md and, when asked, the gradient in the same pass. The semantics
(weights, smoothing, reductions) are those of ``../shared/API.md``:

* term ``t_i = sample_weight_i * (-sum_k class_weight_k y'_ik log p_ik)`` (binary: per element,
  with ``pos_weight`` on the positive part);
* weight ``w_i = sample_weight_i * sum_k class_weight_k y_ik`` with the labels *before* smoothing
  (``class_weight[label_i]`` for integer labels, as in PyTorch); 0 for ignored samples;
* ``"mean"`` = sum(t) / sum(w) (PyTorch), ``"sum_over_batch_size"`` = sum(t) / number of terms
  (Keras), ``"sum_by_nonzero_weights"`` = sum(t) / count_nonzero(w) (TensorFlow's tf.losses).
  The two Keras/TensorFlow reductions divide "no nan" (0 when nothing is counted), as those
  libraries do; ``"mean"`` over zero weight is NaN, as in PyTorch.

When the gradient of a reduced loss is requested the denominator is needed *before* the pass
that writes the gradient; a cheap weights-only pass of the same kernel provides it (O(n) for
integer labels), and the loss reuses those sums so that ``return_grad`` never changes the loss.

The private ``_cce`` / ``_bce`` are the entry points of skxent.metrics, skxent.linear_model and
the sampled losses: same semantics plus ``clip_max`` (scikit-learn's log_loss clips to
``1 - eps``), ``validate=False`` (skip O(n K) value scans already done by the caller) and
``grad_out`` (write the gradient into a caller-owned buffer, possibly ``y_pred`` itself).
"""

import math
import warnings

import numpy as np

from . import _core, _dask
from ._config import effective_n_threads
from ._validation import (
    as_float_array,
    check_bool,
    check_ignore_index,
    check_int_labels,
    check_range,
    check_reduction,
    check_smoothing,
    check_weights,
    resolve_eps,
)

__all__ = [
    "binary_cross_entropy",
    "categorical_cross_entropy",
    "log_uniform_candidate_sampler",
    "sampled_softmax_loss",
    "nce_loss",
]


def _divide(num, den, *, no_nan):
    """num / den with IEEE semantics (0/0 = nan, x/0 = +-inf), or 0 where den == 0 if no_nan.

    Plain float arithmetic: np.errstate costs ~8 us per call, a real share of a small call.
    """
    num, den = float(num), float(den)
    if den != 0.0:
        return num / den
    if no_nan or num != num or num == 0.0:
        return 0.0 if no_nan else math.nan
    return math.copysign(math.inf, num)


def _grad_out_array(grad_out, shape, dtype):
    if grad_out is None:
        return np.empty(shape, dtype=dtype)
    if not isinstance(grad_out, np.ndarray) or grad_out.shape != shape or grad_out.dtype != dtype:
        raise ValueError(f"grad_out must be an ndarray of shape {shape} and dtype {dtype}")
    if not (grad_out.flags.c_contiguous and grad_out.flags.writeable):
        raise ValueError("grad_out must be C-contiguous and writeable")
    return grad_out


def _reduce(reduction, s, wsum, nnz, nterms):
    if reduction == "sum":
        return s, 1.0
    if reduction == "mean":
        return _divide(s, wsum, no_nan=False), _divide(1.0, wsum, no_nan=False)
    if reduction == "sum_over_batch_size":
        return _divide(s, nterms, no_nan=True), _divide(1.0, nterms, no_nan=True)
    # sum_by_nonzero_weights
    return _divide(s, nnz, no_nan=True), _divide(1.0, nnz, no_nan=True)


def _result(reduction, loss_out, sums, dtype, grad, return_grad):
    """The public return value: the reduced loss (in y_pred's dtype) or the per-sample terms."""
    loss = loss_out if reduction == "none" else dtype.type(_reduce(reduction, *sums)[0])
    return (loss, grad) if return_grad else loss


def _cce_prepare(y_true, y_pred, *, from_logits, sample_weight=None, class_weight=None,
                 label_smoothing=0.0, ignore_index=None, eps="auto", clip_max=1.0,
                 n_threads=None, validate=True, warn=True):
    """Validate the arguments of a categorical pass.

    Returns ``(args, x, nt, nbad)``: the argument tuple of ``_core.cce`` (before its output
    buffers), the validated ``y_pred``, the thread count and the number of probability rows that
    do not sum to 1 (warned about here if ``warn``; skxent._dask counts them over chunks).
    """
    from_logits = check_bool(from_logits, "from_logits")
    smooth = check_smoothing(label_smoothing)
    ignore = check_ignore_index(ignore_index)
    nt = effective_n_threads(n_threads)

    x = as_float_array(y_pred, "y_pred", ndim=(2,))
    n, K = x.shape
    if K == 0:
        raise ValueError("y_pred: needs at least one class (got shape (n, 0))")

    yt = np.asarray(y_true)
    if yt.dtype.kind in "OUSVc":
        # one error path for strings, objects, complex
        as_float_array(yt, "y_true")
    t = y = None
    if yt.ndim == 1:
        if yt.shape[0] != n:
            raise ValueError(
                f"y_true: {yt.shape[0]} labels for {n} samples in y_pred (shapes {yt.shape} "
                f"and {x.shape})")
        if validate:
            t = check_int_labels(yt, K, "y_true", ignore_index=ignore)
        else:
            t = np.ascontiguousarray(yt, dtype=np.int64)
    elif yt.ndim == 2:
        if yt.shape != x.shape:
            raise ValueError(
                f"y_true: shape {yt.shape} does not match y_pred's {x.shape}")
        if ignore is not None:
            raise ValueError("ignore_index applies to integer labels only (y_true is 2-D)")
        y = as_float_array(yt, "y_true")
        if validate:
            check_range(y, "y_true", 0.0, 1.0, what="label probabilities", n_threads=nt)
    else:
        raise ValueError(
            f"y_true: expected 1-D integer labels or a 2-D label matrix, got shape {yt.shape}")

    sw = check_weights(sample_weight, "sample_weight", n)
    cw = check_weights(class_weight, "class_weight", K, what="class")

    clip_lo, clip_hi = 0.0, 1.0
    nbad = 0
    if not from_logits:
        clip_lo = resolve_eps(eps, x.dtype)
        clip_hi = float(clip_max)
        if validate:
            tol = _row_tolerance(clip_lo, x.dtype)
            nbad = check_range(x, "y_pred", 0.0, 1.0, what="probabilities", n_threads=nt,
                               row_tol=tol)
            if nbad and warn:
                _warn_rows(nbad, n, tol, stacklevel=4)
    return (x, t, y, sw, cw, smooth, ignore, from_logits, clip_lo, clip_hi), x, nt, nbad


def _row_tolerance(clip_lo, dtype):
    return math.sqrt(max(clip_lo, float(np.finfo(dtype).eps)))


def _warn_rows(nbad, n, tol, stacklevel):
    warnings.warn(
        f"y_pred: {nbad} of {n} rows of probabilities do not sum to 1 "
        f"(tolerance {tol:.3g}); they are used as given, not renormalised. "
        "Pass from_logits=True if these are raw scores.",
        UserWarning, stacklevel=stacklevel + 1)


def _cce_pass(args, nt, *, loss_out=None, grad=None, scale=1.0, weights_only=False):
    """One pass of the categorical kernel: ``(s, wsum, nnz, nterms)``; fills the buffers.

    ``scale`` multiplies the gradient (the reduction's 1 / denominator); ``weights_only``
    computes the weight sums alone (O(n) for integer labels).
    """
    if weights_only:
        return _core.cce(*args, None, None, 1.0, nt, True)
    return _core.cce(*args, loss_out, grad, scale, nt)


def _cce(y_true, y_pred, *, from_logits, sample_weight=None, class_weight=None,
         label_smoothing=0.0, ignore_index=None, eps="auto", clip_max=1.0, reduction="mean",
         return_grad=False, n_threads=None, validate=True, grad_out=None):
    """Categorical cross-entropy; see :func:`categorical_cross_entropy` and the module note."""
    return_grad = check_bool(return_grad, "return_grad") or grad_out is not None
    reduction = check_reduction(reduction)
    args, x, nt, _ = _cce_prepare(
        y_true, y_pred, from_logits=from_logits, sample_weight=sample_weight,
        class_weight=class_weight, label_smoothing=label_smoothing, ignore_index=ignore_index,
        eps=eps, clip_max=clip_max, n_threads=n_threads, validate=validate)

    loss_out = np.empty(x.shape[0], dtype=x.dtype) if reduction == "none" else None
    grad = _grad_out_array(grad_out, x.shape, x.dtype) if return_grad else None

    scale = 1.0
    stats = None
    if grad is not None and reduction not in ("none", "sum"):
        # the denominator must be known before the gradient pass
        stats = _cce_pass(args, nt, weights_only=True)[1:]
        scale = _reduce(reduction, 0.0, *stats)[1]
    s, wsum, nnz, nterms = _cce_pass(args, nt, loss_out=loss_out, grad=grad, scale=scale)
    if stats is not None:
        wsum, nnz, nterms = stats

    return _result(reduction, loss_out, (s, wsum, nnz, nterms), x.dtype, grad, return_grad)


def _bce_prepare(y_true, y_pred, *, from_logits, sample_weight=None, pos_weight=None,
                 label_smoothing=0.0, eps="auto", clip_max="auto", n_threads=None,
                 validate=True):
    """Validate the arguments of a binary pass.

    Returns ``(args, x, nt, (wsum, nnz, nterms))``: the argument tuple of ``_core.bce`` (before
    its output buffers), the validated ``y_pred``, the thread count and the weight sums of
    API.md (every element is a term, ``w_ij = sample_weight_i``).
    """
    from_logits = check_bool(from_logits, "from_logits")
    smooth = check_smoothing(label_smoothing)
    nt = effective_n_threads(n_threads)

    x = as_float_array(y_pred, "y_pred", ndim=(1, 2))
    y = as_float_array(y_true, "y_true")
    if y.shape != x.shape:
        raise ValueError(f"y_true: shape {y.shape} does not match y_pred's {x.shape}")
    n = x.shape[0]
    L = x.shape[1] if x.ndim == 2 else 1
    if validate:
        check_range(y, "y_true", 0.0, 1.0, what="targets", n_threads=nt)
    sw = check_weights(sample_weight, "sample_weight", n)
    pw = check_weights(pos_weight, "pos_weight", L, what="label")

    clip_lo, clip_hi = 0.0, 1.0
    if not from_logits:
        clip_lo = resolve_eps(eps, x.dtype)
        clip_hi = 1.0 - clip_lo if isinstance(clip_max, str) and clip_max == "auto" \
            else float(clip_max)
        if validate:
            check_range(x, "y_pred", 0.0, 1.0, what="probabilities", n_threads=nt)

    nterms = float(n * L)
    if sw is None:
        wsum, nnz = nterms, nterms
    else:
        wsum, nnz = float(L * sw.sum()), float(L * np.count_nonzero(sw))
    args = (x, y, sw, pw, smooth, from_logits, clip_lo, clip_hi)
    return args, x, nt, (wsum, nnz, nterms)


def _bce_pass(args, nt, *, loss_out=None, grad=None, scale=1.0):
    """One pass of the binary kernel: the loss sum; fills the buffers."""
    return _core.bce(*args, loss_out, grad, scale, nt)


def _bce(y_true, y_pred, *, from_logits, sample_weight=None, pos_weight=None,
         label_smoothing=0.0, eps="auto", clip_max="auto", reduction="mean",
         return_grad=False, n_threads=None, validate=True, grad_out=None):
    """Binary cross-entropy; see :func:`binary_cross_entropy` and the module note."""
    return_grad = check_bool(return_grad, "return_grad") or grad_out is not None
    reduction = check_reduction(reduction)
    args, x, nt, stats = _bce_prepare(
        y_true, y_pred, from_logits=from_logits, sample_weight=sample_weight,
        pos_weight=pos_weight, label_smoothing=label_smoothing, eps=eps, clip_max=clip_max,
        n_threads=n_threads, validate=validate)
    loss_out = np.empty(x.shape, dtype=x.dtype) if reduction == "none" else None
    grad = _grad_out_array(grad_out, x.shape, x.dtype) if return_grad else None
    scale = 1.0 if reduction in ("none", "sum") else _reduce(reduction, 0.0, *stats)[1]
    s = _bce_pass(args, nt, loss_out=loss_out, grad=grad, scale=scale)
    return _result(reduction, loss_out, (s, *stats), x.dtype, grad, return_grad)


def binary_cross_entropy(y_true, y_pred, *, from_logits, sample_weight=None, pos_weight=None,
                         label_smoothing=0.0, eps="auto", reduction="mean", return_grad=False,
                         n_threads=None):
    """Binary and multi-label (independent labels) cross-entropy: the sigmoid family.

    ``loss = -(pos_weight * y * log p + (1 - y) * log(1 - p))`` per element, computed from logits
    as ``pos_weight * y * softplus(-x) + (1 - y) * softplus(x)`` (stable for any finite logit,
    accurate to a few ulps even when the loss is far below 1e-16).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_labels)
        Targets in [0, 1]: hard 0/1 or soft; bool and int accepted.
    y_pred : array-like of the same shape
        Logits (``from_logits=True``) or probabilities in [0, 1] (``from_logits=False``).
    from_logits : bool
        Required: say which of the two ``y_pred`` holds.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative; broadcast over labels.
    pos_weight : float or array-like of shape (n_labels,), default=None
        Multiplies the positive term (TensorFlow's weighted_cross_entropy_with_logits, PyTorch's
        BCEWithLogitsLoss pos_weight).
    label_smoothing : float in [0, 1], default=0.0
        ``y <- y * (1 - e) + e / 2``.
    eps : "auto" or float, default="auto"
        Probabilities are clipped to ``[eps, 1 - eps]`` (``from_logits=False`` only); "auto" is
        ``np.finfo(y_pred.dtype).eps``. The gradient is 0 where clipping is active.
    reduction : {"mean", "sum", "none", "sum_over_batch_size", "sum_by_nonzero_weights"}
        See the module note; ``"none"`` returns the weighted elementwise losses.
    return_grad : bool, default=False
        Also return the derivative of the returned loss with respect to ``y_pred``.
    n_threads : int >= 1 or None
        OpenMP threads; None uses OpenMP's default. Results do not depend on it.

    Returns
    -------
    loss : float32/float64 scalar, or ndarray of y_pred's shape for ``reduction="none"``
    grad : ndarray of y_pred's shape and dtype (only with ``return_grad=True``)
    """
    if _dask.any_dask(y_true, y_pred, sample_weight):
        return _dask.loss("bce", y_true, y_pred, from_logits=from_logits,
                          sample_weight=sample_weight, pos_weight=pos_weight,
                          label_smoothing=label_smoothing, eps=eps, reduction=reduction,
                          return_grad=return_grad, n_threads=n_threads)
    return _bce(y_true, y_pred, from_logits=from_logits, sample_weight=sample_weight,
                pos_weight=pos_weight, label_smoothing=label_smoothing, eps=eps,
                reduction=reduction, return_grad=return_grad, n_threads=n_threads)


def categorical_cross_entropy(y_true, y_pred, *, from_logits, sample_weight=None,
                              class_weight=None, label_smoothing=0.0, ignore_index=None,
                              eps="auto", reduction="mean", return_grad=False, n_threads=None):
    """Cross-entropy of mutually exclusive classes: the softmax family.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Integer class indices in ``[0, n_classes)`` (integral floats accepted), or a matrix of
        class probabilities (one-hot or soft, values in [0, 1]). Rows of soft labels need not
        sum to 1: the gradient is then exactly ``(sum_k y_k) p - y``.
    y_pred : array-like of shape (n_samples, n_classes)
        Logits (``from_logits=True``) or probabilities (``from_logits=False``, clipped to
        ``[eps, 1]``; rows that do not sum to 1 within ``sqrt(eps)`` give a UserWarning).
    from_logits : bool
        Required.
    sample_weight : array-like of shape (n_samples,), default=None
    class_weight : array-like of shape (n_classes,), default=None
        A sample of class k is weighted by ``class_weight[k]``; with soft labels
        ``loss_i = -sum_k class_weight[k] y_ik log p_ik``. ``"mean"`` divides by
        ``sum_i sample_weight_i class_weight[label_i]`` (PyTorch's convention).
    label_smoothing : float in [0, 1], default=0.0
        ``y <- y * (1 - e) + e / n_classes``.
    ignore_index : int, default=None
        Samples with this integer label contribute nothing (loss 0, gradient 0) and are left
        out of every denominator. Integer labels only.
    eps : "auto" or float, default="auto"
        Probability clipping (``from_logits=False`` only); "auto" = ``np.finfo(dtype).eps``.
    reduction : {"mean", "sum", "none", "sum_over_batch_size", "sum_by_nonzero_weights"}
        ``"none"`` returns the weighted per-sample losses, shape (n_samples,).
    return_grad : bool, default=False
        Also return the derivative of the returned loss w.r.t. ``y_pred``, (n_samples, n_classes).
    n_threads : int >= 1 or None

    Returns
    -------
    loss : float32/float64 scalar, or ndarray of shape (n_samples,) for ``reduction="none"``
    grad : ndarray of shape (n_samples, n_classes) (only with ``return_grad=True``)
    """
    if _dask.any_dask(y_true, y_pred, sample_weight):
        return _dask.loss("cce", y_true, y_pred, from_logits=from_logits,
                          sample_weight=sample_weight, class_weight=class_weight,
                          label_smoothing=label_smoothing, ignore_index=ignore_index, eps=eps,
                          reduction=reduction, return_grad=return_grad, n_threads=n_threads)
    return _cce(y_true, y_pred, from_logits=from_logits, sample_weight=sample_weight,
                class_weight=class_weight, label_smoothing=label_smoothing,
                ignore_index=ignore_index, eps=eps, reduction=reduction,
                return_grad=return_grad, n_threads=n_threads)


# Sampled losses for very many classes (TensorFlow semantics); built on _cce / _bce above.
from ._sampled import log_uniform_candidate_sampler, nce_loss, sampled_softmax_loss  # noqa: E402
