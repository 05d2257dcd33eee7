"""Cross-entropy losses: one binary (sigmoid) and one categorical (softmax) function.

Design note
-----------
A public module: it states the contract (the docstrings below), chooses the backend for the
arrays it is given (:mod:`skxent._backends`: in memory, or Dask) and hands the call to a loss
family of the engine (:mod:`skxent._engine`), which validates the arguments and runs the C
kernel once. Nothing here computes: the semantics of weights, smoothing and reductions live in
the engine and the kernels, so the metrics, the estimators and the sampled losses, which call
the engine directly, get exactly the same numbers.

The conventions (``docs/api_reference.md`` in the repository):

* term ``t_i = sample_weight_i * (-sum_k class_weight_k y'_ik log p_ik)`` (binary: per element,
  with ``pos_weight`` on the positive part);
* weight ``w_i = sample_weight_i * sum_k class_weight_k y_ik`` with the labels *before* smoothing
  (``class_weight[label_i]`` for integer labels, as in PyTorch); 0 for ignored samples;
* ``"mean"`` = sum(t) / sum(w) (PyTorch), ``"sum_over_batch_size"`` = sum(t) / number of terms
  (Keras), ``"sum_by_nonzero_weights"`` = sum(t) / count_nonzero(w) (TensorFlow's tf.losses);
* a zero denominator (empty input, all weights 0, every sample ignored) gives loss 0 and a
  gradient of exactly 0 (TensorFlow's ``divide_no_nan``; PyTorch gives NaN for "mean").
"""

from . import _backends
from ._engine import BINARY, CATEGORICAL
from ._sampled import log_uniform_candidate_sampler, nce_loss, sampled_softmax_loss

__all__ = [
    "binary_cross_entropy",
    "categorical_cross_entropy",
    "log_uniform_candidate_sampler",
    "sampled_softmax_loss",
    "nce_loss",
]


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

    See Also
    --------
    categorical_cross_entropy : Mutually exclusive classes (softmax).
    skxent.metrics.multilabel_log_loss : The multi-label metric, scikit-learn style.
    skxent.special.log_sigmoid : ``log(sigmoid(x))``, the loss's building block.

    Examples
    --------
    >>> import numpy as np
    >>> from skxent.losses import binary_cross_entropy
    >>> y = np.array([1.0, 0.0, 1.0])
    >>> z = np.array([2.0, -1.0, 40.0])  # logits
    >>> binary_cross_entropy(y, z, from_logits=True, reduction="none")
    array([1.26928011e-01, 3.13261688e-01, 4.24835426e-18])
    >>> round(float(binary_cross_entropy(y, z, from_logits=True)), 12)
    0.14672989952

    Multi-label targets, a positive weight per label, and the gradient:

    >>> Y = np.array([[1, 0], [0, 1]])
    >>> Z = np.array([[3.0, -2.0], [0.5, 9.0]])
    >>> loss, grad = binary_cross_entropy(Y, Z, from_logits=True, pos_weight=[2.0, 1.0],
    ...                                   reduction="sum", return_grad=True)
    >>> round(float(loss), 12), grad.shape
    (1.19830310056, (2, 2))

    From probabilities (clipped to ``[eps, 1 - eps]``):

    >>> binary_cross_entropy(np.array([1, 0]), np.array([0.9, 0.2]), from_logits=False,
    ...                      reduction="none")
    array([0.10536052, 0.22314355])
    """
    backend = _backends.for_arrays(y_true, y_pred, sample_weight)
    return backend.loss(BINARY, y_true, y_pred, from_logits=from_logits,
                        sample_weight=sample_weight, pos_weight=pos_weight,
                        label_smoothing=label_smoothing, eps=eps, reduction=reduction,
                        return_grad=return_grad, n_threads=n_threads)


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

    See Also
    --------
    binary_cross_entropy : Independent yes/no targets (sigmoid).
    sampled_softmax_loss : Training with very many classes.
    skxent.metrics.log_loss : The scikit-learn metric (labels of any type).
    skxent.special.log_softmax : The log-probabilities themselves.

    Examples
    --------
    >>> import numpy as np
    >>> from skxent.losses import categorical_cross_entropy
    >>> logits = np.array([[40.0, 0.0, -3.0], [0.0, -np.inf, 5.0]])
    >>> labels = np.array([0, 2])
    >>> loss, grad = categorical_cross_entropy(labels, logits, from_logits=True,
    ...                                        reduction="none", return_grad=True)
    >>> loss  # exp(-40) + exp(-43) for the first row, not 0
    array([4.45986736e-18, 6.71534849e-03])
    >>> float(grad[1, 1])  # a -inf logit is a masked class: gradient exactly 0
    0.0

    Soft labels, and ``ignore_index`` (left out of the mean's denominator):

    >>> Y = np.array([[0.9, 0.1, 0.0], [0.0, 0.0, 1.0]])
    >>> categorical_cross_entropy(Y, logits, from_logits=True, reduction="none")
    array([4.        , 0.00671535])
    >>> z = np.zeros((2, 3), dtype=np.float32)
    >>> loss = categorical_cross_entropy(np.array([0, -1]), z, from_logits=True, ignore_index=-1)
    >>> loss.dtype, round(float(loss), 6)  # float32 in, float32 out; log(3)
    (dtype('float32'), 1.098612)
    """
    backend = _backends.for_arrays(y_true, y_pred, sample_weight)
    return backend.loss(CATEGORICAL, y_true, y_pred, from_logits=from_logits,
                        sample_weight=sample_weight, class_weight=class_weight,
                        label_smoothing=label_smoothing, ignore_index=ignore_index, eps=eps,
                        reduction=reduction, return_grad=return_grad, n_threads=n_threads)
