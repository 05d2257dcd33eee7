"""Cross-entropy losses: binary (sigmoid), categorical (softmax) and the KL divergence.

Design note
-----------
A public module: it states the contract (the docstrings below), chooses the backend for the
arrays it is given (:mod:`skxent._backends`: in memory, or Dask) and hands the call to a loss
family of the engine (:mod:`skxent._engine`), which validates the arguments and runs the C
kernel once. Nothing here computes: the semantics of weights, smoothing and reductions live in
the engine and the kernels, so the metrics, the estimators and the sampled losses, which call
the engine directly, get exactly the same numbers.

The conventions (``docs/api_reference.md`` in the repository):

* term ``t_i = sample_weight_i * (-sum_k class_weight_k y'_ik (1 - p_ik)**gamma log p_ik)``
  (``gamma`` the focal exponent, 0 by default; binary: per element, with ``pos_weight`` on the
  positive part and ``p**gamma`` on the negative one, and a weight per element if given);
* weight ``w_i = sample_weight_i * sum_k class_weight_k y_ik`` with the labels *before* smoothing
  (``class_weight[label_i]`` for integer labels, as in PyTorch); 0 for ignored samples and for
  masked elements (binary ``where``), which are out of every count;
* ``"mean"`` = sum(t) / sum(w) (PyTorch), ``"sum_over_batch_size"`` = sum(t) / number of terms
  (Keras), ``"sum_by_nonzero_weights"`` = sum(t) / count_nonzero(w) (TensorFlow's tf.losses);
* a zero denominator (empty input, all weights 0, every sample ignored) gives loss 0 and a
  gradient of exactly 0 (TensorFlow's ``divide_no_nan``; PyTorch gives NaN for "mean");
* N-D inputs: the class axis is ``axis`` (PyTorch's ``(N, C, d1, ...)`` is ``axis=1``) and every
  other position is a sample for the reductions; ``y_pred`` is never copied (the class axis is
  moved last as a view, the kernels read strided memory), and outputs of ``y_pred``'s shape come
  back in its shape and memory layout.
"""


import numpy as np

from . import _backends
from ._engine import BINARY, CATEGORICAL, KL
from ._sampled import log_uniform_candidate_sampler, nce_loss, sampled_softmax_loss

__all__ = [
    "binary_cross_entropy",
    "categorical_cross_entropy",
    "kl_divergence",
    "log_uniform_candidate_sampler",
    "sampled_softmax_loss",
    "nce_loss",
]


def binary_cross_entropy(y_true, y_pred, *, from_logits, sample_weight=None, pos_weight=None,
                         label_smoothing=0.0, focal_gamma=0.0, where=None, eps="auto",
                         reduction="mean", return_grad=False, return_hess=False, n_threads=None):
    """Binary and multi-label (independent labels) cross-entropy: the sigmoid family.

    ``loss = -(pos_weight * y * (1 - p)**gamma * log p + (1 - y) * p**gamma * log(1 - p))`` per
    element (``gamma = focal_gamma``, 0 for plain cross-entropy), computed from logits as
    ``pos_weight * y * (1 - p)**gamma * softplus(-x) + (1 - y) * p**gamma * softplus(x)`` with
    ``(1 - p)**gamma = exp(-gamma * softplus(x))`` (stable for any finite logit, accurate to a
    few ulps even when the loss is far below 1e-16).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,), (n_samples, n_labels) or any N-D shape
        Targets in [0, 1]: hard 0/1 or soft; bool and int accepted. Entries where ``where`` is
        False are not read (NaN there marks a missing label).
    y_pred : array-like of the same shape
        Logits (``from_logits=True``) or probabilities in [0, 1] (``from_logits=False``).
        Elementwise for any number of dimensions (read in place, any strides); the last axis
        is the labels' (``pos_weight``).
    from_logits : bool
        Required: say which of the two ``y_pred`` holds.
    sample_weight : array-like, default=None
        Non-negative. 1-D (n_samples,): one weight per entry of the first axis, broadcast over
        the other axes; any other shape broadcastable to ``y_pred.shape`` with NumPy's rules:
        (n_samples, n_labels) one weight per element (PyTorch's ``weight=``), (1, n_labels) one
        per label. Broadcasts are read in place, never materialised.
    pos_weight : float or array-like of shape (n_labels,), default=None
        Multiplies the positive term (TensorFlow's weighted_cross_entropy_with_logits, PyTorch's
        BCEWithLogitsLoss pos_weight; focal loss's alpha is ``alpha / (1 - alpha)`` here times
        an overall ``1 - alpha``).
    label_smoothing : float in [0, 1], default=0.0
        ``y <- y * (1 - e) + e / 2``.
    focal_gamma : float >= 0, default=0.0
        Focal loss exponent (Lin et al. 2017). 0 is plain cross-entropy, bit for bit.
    where : array-like of bool, broadcastable to ``y_pred.shape``, default=None
        Elements where it is False contribute nothing (loss 0, gradient 0, Hessian 0) and are
        out of every count of the reductions (sum of weights, nonzero weights, number of
        terms). Read in place (a broadcast costs nothing).
    eps : "auto" or float, default="auto"
        Probabilities are clipped to ``[eps, 1 - eps]`` (``from_logits=False`` only); "auto" is
        ``np.finfo(y_pred.dtype).eps``. The gradient is 0 where clipping is active.
    reduction : {"mean", "sum", "none", "sum_over_batch_size", "sum_by_nonzero_weights"}
        See the module note; ``"none"`` returns the weighted elementwise losses.
    return_grad : bool, default=False
        Also return the derivative of the returned loss with respect to ``y_pred``.
    return_hess : bool, default=False
        Also return the gradient and the second derivative of the returned loss with respect
        to each logit (``from_logits=True`` only): the ``(grad, hess)`` pair of an XGBoost or
        LightGBM custom objective.
    n_threads : int >= 1 or None
        OpenMP threads; None uses OpenMP's default. Results do not depend on it.

    Returns
    -------
    loss : float32/float64 scalar, or ndarray of y_pred's shape for ``reduction="none"``
    grad : ndarray of y_pred's shape and dtype (with ``return_grad`` or ``return_hess``)
    hess : ndarray of y_pred's shape and dtype (with ``return_hess``)

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
    backend = _backends.for_arrays(y_true, y_pred, sample_weight, where)
    return backend.loss(BINARY, y_true, y_pred, from_logits=from_logits,
                        sample_weight=sample_weight, pos_weight=pos_weight,
                        label_smoothing=label_smoothing, focal_gamma=focal_gamma, where=where,
                        eps=eps, reduction=reduction, return_grad=return_grad,
                        return_hess=return_hess, n_threads=n_threads)


def categorical_cross_entropy(y_true, y_pred, *, from_logits, sample_weight=None,
                              class_weight=None, label_smoothing=0.0, focal_gamma=0.0,
                              ignore_index=None, axis=-1, eps="auto", reduction="mean",
                              return_grad=False, return_hess=False, n_threads=None):
    """Cross-entropy of mutually exclusive classes: the softmax family.

    Per sample ``-sum_k class_weight_k * y'_k * (1 - p_k)**gamma * log p_k`` (``y'`` the
    smoothed labels, ``gamma = focal_gamma``: 0 is plain cross-entropy).

    Parameters
    ----------
    y_true : array-like of y_pred's shape without the class axis, or of y_pred's shape
        Integer class indices in ``[0, n_classes)`` (integral floats accepted; ``(n_samples,)``
        in 2-D), or class probabilities of ``y_pred``'s shape (one-hot or soft, values in
        [0, 1]). Soft labels need not sum to 1 along ``axis``: the gradient is then exactly
        ``(sum_k y_k) p - y`` (plain cross-entropy).
    y_pred : array-like of shape (n_samples, n_classes), or N-D with the classes along ``axis``
        Logits (``from_logits=True``) or probabilities (``from_logits=False``, clipped to
        ``[eps, 1]``; rows that do not sum to 1 within ``sqrt(eps)`` give a UserWarning). Read
        in place for any axis and strides: never copied.
    from_logits : bool
        Required.
    sample_weight : array-like, default=None
        Non-negative: ``y_pred``'s shape without the class axis (one weight per sample), or
        (n_samples,) -- the first of those axes -- broadcast over the other non-class axes.
    class_weight : array-like of shape (n_classes,), default=None
        A sample of class k is weighted by ``class_weight[k]``; with soft labels
        ``loss_i = -sum_k class_weight[k] y_ik log p_ik``. ``"mean"`` divides by
        ``sum_i sample_weight_i class_weight[label_i]`` (PyTorch's convention). Keras's
        ``CategoricalFocalCrossentropy`` alpha is a class weight (or an overall scale).
    label_smoothing : float in [0, 1], default=0.0
        ``y <- y * (1 - e) + e / n_classes``.
    focal_gamma : float >= 0, default=0.0
        Focal loss exponent: each class's term is multiplied by ``(1 - p_k)**gamma``, with
        ``1 - p_k`` computed as the other classes' mass (never a difference), so confident rows
        keep their tiny losses. 0 is plain cross-entropy, bit for bit.
    ignore_index : int, default=None
        Samples with this integer label contribute nothing (loss 0, gradient 0) and are left
        out of every denominator. Integer labels only.
    axis : int, default=-1
        The class axis. Every position other than it is a sample for the reductions (PyTorch's
        and Keras's convention): PyTorch's
        ``F.cross_entropy(logits (N, C, H, W), labels (N, H, W))`` is
        ``categorical_cross_entropy(labels, logits, from_logits=True, axis=1)``. Every option
        works along any axis.
    eps : "auto" or float, default="auto"
        Probability clipping (``from_logits=False`` only); "auto" = ``np.finfo(dtype).eps``.
    reduction : {"mean", "sum", "none", "sum_over_batch_size", "sum_by_nonzero_weights"}
        ``"none"`` returns the weighted per-sample losses, ``y_pred``'s shape without the
        class axis ((n_samples,) in 2-D).
    return_grad : bool, default=False
        Also return the derivative of the returned loss w.r.t. ``y_pred``, of its shape.
    return_hess : bool, default=False
        Also return the gradient and the diagonal of each sample's K x K Hessian of the returned
        loss with respect to its logits, of ``y_pred``'s shape (``from_logits=True`` only; plain
        cross-entropy: ``a_i p_ik (1 - p_ik)``, ``a_i`` the sample's label mass times its
        weights): the ``(grad, hess)`` pair of an XGBoost or LightGBM custom objective.
    n_threads : int >= 1 or None

    Returns
    -------
    loss : float32/float64 scalar, or ndarray of y_pred's shape without the class axis for
        ``reduction="none"``
    grad : ndarray of y_pred's shape and dtype, in its memory layout where that is a
        permutation of a contiguous one (with ``return_grad`` or ``return_hess``)
    hess : ndarray of y_pred's shape (with ``return_hess``)

    Raises
    ------
    ValueError
        Bad input as the API reference lists it (each message names the argument), including
        ``axis`` out of range, ``y_true`` of neither accepted shape, a ``sample_weight`` of
        neither accepted shape.
    TypeError
        Non-boolean flags, a non-integer ``axis``, non-numeric data.

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

    N-D logits with the classes along axis 1 (PyTorch's layout), one label per pixel:

    >>> z4 = np.zeros((2, 3, 4, 4))                  # (N, C, H, W)
    >>> t3 = np.zeros((2, 4, 4), dtype=np.int64)     # (N, H, W)
    >>> loss, grad = categorical_cross_entropy(t3, z4, from_logits=True, axis=1,
    ...                                        return_grad=True)
    >>> round(float(loss), 6), grad.shape
    (1.098612, (2, 3, 4, 4))
    """
    backend = _backends.for_arrays(y_true, y_pred, sample_weight)
    if axis != -1 or axis.__class__ is not int:
        # (the default axis is not passed on: a keyword is a real share of a small call)
        return backend.loss(
            CATEGORICAL, y_true, y_pred, from_logits=from_logits,
            sample_weight=sample_weight, class_weight=class_weight,
            label_smoothing=label_smoothing, focal_gamma=focal_gamma,
            ignore_index=ignore_index, axis=axis, eps=eps, reduction=reduction,
            return_grad=return_grad, return_hess=return_hess, n_threads=n_threads)
    return backend.loss(CATEGORICAL, y_true, y_pred, from_logits=from_logits,
                        sample_weight=sample_weight, class_weight=class_weight,
                        label_smoothing=label_smoothing, focal_gamma=focal_gamma,
                        ignore_index=ignore_index, eps=eps, reduction=reduction,
                        return_grad=return_grad, return_hess=return_hess, n_threads=n_threads)


def kl_divergence(y_true, y_pred, *, from_logits, log_target=False, temperature=1.0,
                  sample_weight=None, axis=-1, reduction="mean", return_grad=False,
                  n_threads=None):
    """Kullback-Leibler divergence ``KL(y_true || q)`` of each sample: knowledge distillation.

    ``KL_i = sum_k y_ik (log y_ik - log q_ik)`` with ``0 log 0 = 0``, where ``q`` is
    ``softmax(y_pred / temperature)`` (``from_logits=True``) or the probabilities ``y_pred``
    (``from_logits=False``, used as given). For distillation,
    ``kl_divergence(softmax(teacher / T), student_logits, from_logits=True, temperature=T)``
    (multiply by ``T**2`` for Hinton's scaling of the gradient).

    Relatively exact for tiny divergences: a student within 1e-6 of its teacher (K = 200,
    KL ~ 1e-13) gets its divergence to ~1e-12 relative in float64, where ``CE - H`` or
    ``sum y (log y - log q)`` with a log-softmax carry an absolute error of a few eps times the
    entropy (relative errors of 1e-3 to 1e-2 there). The log-partition is centred on the
    targets' weighted log-ratio and only non-negative quantities are summed (see
    ``skxent/_kernels.h``). Elsewhere the loss is within 4 eps of the exact value, gradient
    components within 8 eps where ``S q - y`` does not cancel and within 4 eps of
    ``max(S q_k, y_k)`` where it does. ``log_target=True``: ``exp(log y)`` is rounded, which
    moves the result by up to ~eps ``S`` (absolute).

    Parameters
    ----------
    y_true : array-like of y_pred's shape
        The target distributions along ``axis``: probabilities in [0, 1]
        (``log_target=False``; rows need not sum to 1 exactly: the definition above is used
        as it stands), or log-probabilities in [-inf, 0] (``log_target=True``).
    y_pred : array-like of shape (n_samples, n_classes), or N-D with the classes along ``axis``
        Logits (``from_logits=True``) or probabilities in [0, 1] (``from_logits=False``; not
        renormalised: rows that do not sum to 1 within ``sqrt(eps)`` give a UserWarning, and a
        zero probability where ``y_true`` has mass gives an infinite divergence).
    from_logits : bool
        Required: say which of the two ``y_pred`` holds.
    log_target : bool, default=False
        ``y_true`` holds log-probabilities (PyTorch's ``log_target=True``).
    temperature : float > 0, default=1.0
        The logits are divided by it (``from_logits=True``); must be 1 with probabilities.
    sample_weight : array-like, default=None
        Non-negative; the weight of a sample is its sample_weight. ``y_pred``'s shape without
        the class axis, or (n_samples,) -- the first of those axes -- broadcast over the others.
    axis : int, default=-1
        The class axis, for any number of dimensions: every other position is a sample
        (``axis=0`` of a 2-D input: columns are samples; ``axis=1`` of ``(N, C, H, W)``:
        pixels are). ``y_pred`` and ``y_true`` are read in place, never copied.
    reduction : {"mean", "sum", "none", "sum_over_batch_size", "sum_by_nonzero_weights"}
        ``"mean"`` = ``sum(t) / sum(sample_weight)`` (PyTorch's ``"batchmean"`` without
        weights), ``"sum_over_batch_size"`` = ``sum(t) / n_samples`` (Keras),
        ``"sum_by_nonzero_weights"`` = ``sum(t) / count_nonzero(sample_weight)``; a zero
        denominator gives 0 and a gradient of exactly 0. ``"none"`` returns the weighted
        per-sample divergences, ``y_pred``'s shape without the class axis.
    return_grad : bool, default=False
        Also return the derivative of the returned loss with respect to ``y_pred``: for logits
        ``sample_weight_i * (S_i q_ik - y_ik) / temperature`` times the reduction's factor
        (``S_i = sum_k y_ik``), computed without forming ``q - y`` from rounded values; for
        probabilities ``-sample_weight_i * y_ik / q_ik``.
    n_threads : int >= 1 or None
        OpenMP threads; None uses OpenMP's default. Results do not depend on it.

    Returns
    -------
    loss : float32/float64 scalar, or ndarray of y_pred's shape without the class axis for
        ``reduction="none"``
    grad : ndarray of y_pred's shape and dtype (only with ``return_grad=True``)

    Raises
    ------
    ValueError
        Shapes that differ; ``temperature <= 0`` (or not 1 with probabilities); ``axis`` out of
        range; probabilities outside [0, 1] or NaN in ``y_true`` (or, with
        ``log_target=True``, log-probabilities above 0 or NaN) or in probability ``y_pred``;
        negative or NaN ``sample_weight``; an unknown ``reduction``. Each message names the
        argument (and the position of a bad value).
    TypeError
        Non-boolean ``from_logits``, ``log_target`` or ``return_grad``; non-numeric data.

    See Also
    --------
    categorical_cross_entropy : ``CE(y, q) = H(y) + KL(y || q)``, the same gradient.

    Notes
    -----
    Peers: PyTorch ``F.kl_div(F.log_softmax(z, -1), p, reduction="batchmean")`` is
    ``kl_divergence(p, z, from_logits=True)`` (``reduction="mean"``); with
    ``log_target=True`` pass ``log_target=True``. Keras ``KLDivergence()(p, q)`` clips both
    arguments to ``[1e-7, 1]``: ``kl_divergence(np.clip(p, 1e-7, 1), np.clip(q, 1e-7, 1),
    from_logits=False, reduction="sum_over_batch_size")``. optax ``kl_divergence(log_q, p)``
    is ``reduction="none"`` with ``log_q`` as logits.

    Examples
    --------
    A student within 1e-6 of its teacher, at temperature 2:

    >>> import numpy as np
    >>> from skxent.losses import kl_divergence
    >>> from skxent.special import softmax
    >>> teacher = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])
    >>> student = teacher + np.array([[1e-6, 0.0, -1e-6], [0.0, 2e-6, 0.0]])
    >>> p = softmax(teacher / 2.0)
    >>> loss, grad = kl_divergence(p, student, from_logits=True, temperature=2.0,
    ...                            return_grad=True)
    >>> print(f"{loss:.10e}")
    9.4555194739e-14
    >>> grad.shape
    (2, 3)

    (The exact value for these floats, at 60 digits, is 9.4555194739e-14; ``CE - H`` with
    NumPy's ``log_softmax`` gives 9.4647e-14, off by 1e-3.) Samples along the columns
    (``axis=0``), read in place:

    >>> print(f"{kl_divergence(p.T, student.T, from_logits=True, temperature=2.0, axis=0):.6e}")
    9.455519e-14

    Probabilities, per sample:

    >>> kl_divergence([[0.5, 0.5]], [[0.25, 0.75]], from_logits=False, reduction="none")
    array([0.14384104])
    """
    backend = _backends.for_arrays(y_true, y_pred, sample_weight)
    if backend is _backends.IN_MEMORY or len(np.shape(y_pred)) > 2:
        return backend.loss(KL, y_true, y_pred, from_logits=from_logits, log_target=log_target,
                            temperature=temperature, sample_weight=sample_weight, axis=axis,
                            reduction=reduction, return_grad=return_grad, n_threads=n_threads)
    y_true, y_pred, moved = KL.class_axis_last(y_true, y_pred, axis)
    out = backend.loss(KL, y_true, y_pred, from_logits=from_logits, log_target=log_target,
                       temperature=temperature, sample_weight=sample_weight,
                       reduction=reduction, return_grad=return_grad, n_threads=n_threads)
    if moved and isinstance(out, tuple):  # the gradient back in the caller's layout (a view)
        return out[0], out[1].T
    return out
