"""Classification metrics built on skxent's cross-entropy kernels.

Design note
-----------
``log_loss`` is a drop-in replacement for the installed scikit-learn's
``sklearn.metrics.log_loss`` (1.9): same signature (including the deprecated
``y_pred=`` keyword), same values, same exceptions and warnings, in the same
order. This public module owns the contract: the docstrings, scikit-learn's
parameter validation, the deprecated keyword, and the scorers. The computation
is the backend's (:mod:`skxent._backends`): in memory it is
:mod:`skxent._log_loss` (label encoding in O(n), one kernel pass reading one
probability per row, scikit-learn's checks made without ``n x K``
temporaries; its design note says how), on dask arrays :mod:`skxent._dask`,
which raises the same errors from facts gathered per chunk.

Per-call overhead matters (``cross_val_score`` calls the metric on small
folds), so the common path (NumPy arrays or lists, no ``labels``) checks the
parameter types with ``type(...) is`` tests and runs scikit-learn's full
parameter validation only when those fail.

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

import warnings

import numpy as np
from sklearn import get_config
from sklearn.metrics import make_scorer
from sklearn.utils._param_validation import Hidden, validate_parameter_constraints

from . import _backends, _proba_metrics

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

    Raises
    ------
    ValueError
        Exactly when scikit-learn raises, with its message: inconsistent lengths, a single
        class in ``y_true`` without ``labels``, probability columns that do not match the
        classes, probabilities outside [0, 1] or non-finite, invalid sample weights, both
        ``y_pred`` and ``y_proba`` given.

    Warns
    -----
    UserWarning
        When rows of ``y_proba`` do not sum to one (scikit-learn's warning; not renormalised).
    FutureWarning
        When the deprecated ``y_pred`` keyword is used.

    See Also
    --------
    multilabel_log_loss : The binary cross-entropy of a multi-label problem.
    d2_log_loss_score : The fraction of log loss explained.
    neg_log_loss_scorer : The ``scoring=`` object.
    skxent.losses.categorical_cross_entropy : The loss with weights, smoothing and reductions.
    sklearn.metrics.log_loss : The scikit-learn function this replaces.

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

    From raw scores (``decision_function``), without clipping:

    >>> import numpy as np
    >>> scores = np.array([[60.0, 0.0], [0.0, 60.0]])
    >>> print(f"{log_loss([0, 1], scores, from_logits=True):.6e}")  # exp(-60)
    8.756511e-27

    (Probabilities would be clipped: ``log_loss([0, 1], softmax(scores))`` is 2.2e-16.)
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

    backend = _backends.for_arrays(y_true, y_proba, sample_weight)
    return backend.log_loss(y_true, y_proba, normalize=normalize, sample_weight=sample_weight,
                            labels=labels, from_logits=from_logits)


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

    See Also
    --------
    log_loss : Mutually exclusive classes.
    neg_multilabel_log_loss_scorer : The ``scoring=`` object.
    skxent.losses.binary_cross_entropy : The loss with weights, smoothing and reductions.
    skxent.linear_model.MultiLabelLogistic : A model fitted on this loss.

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
    backend = _backends.for_arrays(y_true, y_proba, sample_weight)
    return backend.multilabel_log_loss(y_true, y_proba, normalize=normalize,
                                       sample_weight=sample_weight, from_logits=from_logits)


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



# Each scorer is an ordinary ``make_scorer`` object given its own docstring (``help()`` and the
# API reference show it; its Examples run as doctests). ``{call}`` in a docstring becomes the
# Parameters and Returns of the call ``scorer(estimator, X, y_true)``.

_SCORER_CALL = """
    Parameters
    ----------
    estimator : fitted estimator
        Its ``{method}`` output is scored.
    X : array-like or sparse matrix of shape (n_samples, n_features)
        The data passed to ``estimator.{method}``.
    y_true : array-like
        The true targets of ``X``.
    sample_weight : array-like of shape (n_samples,), default=None
        Passed to the metric.
    **kwargs : dict
        Other metric arguments routed by scikit-learn's metadata routing.

    Returns
    -------
    score : float
        The metric's value, negated for losses: greater is better.
"""

_SCORER_EXAMPLE = """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import cross_val_score
    >>> from skxent.linear_model import SoftmaxRegression
    >>> from skxent.metrics import {name}
    >>> X, y = load_iris(return_X_y=True)
    >>> scores = cross_val_score(SoftmaxRegression(max_iter=1000), X, y, cv=3,
    ...                          scoring={name})
    >>> scores.shape
    (3,)
"""


def _scorer(metric, name, doc, *, response_method="predict_proba", example=None, **kwargs):
    scorer = make_scorer(metric, response_method=response_method, **kwargs)
    scorer.__doc__ = (doc.replace("{call}", _SCORER_CALL.format(method=response_method))
                      + (example or _SCORER_EXAMPLE.format(name=name)))
    return scorer


neg_log_loss_scorer = _scorer(log_loss, "neg_log_loss_scorer", greater_is_better=False, doc="""\
Negated :func:`log_loss` of ``predict_proba``: the ``scoring="neg_log_loss"`` equivalent.

    Greater is better. Same scores as scikit-learn's ``"neg_log_loss"``, computed by skxent's
    :func:`log_loss`.
{call}
    See Also
    --------
    neg_log_loss_logits_scorer : The same from ``decision_function``, computed stably.
    log_loss : The metric.
""")

neg_log_loss_logits_scorer = _scorer(
    log_loss, "neg_log_loss_logits_scorer", greater_is_better=False,
    response_method="decision_function", from_logits=True, doc="""\
Negated :func:`log_loss` of ``decision_function`` scores (``from_logits=True``).

    Sigmoid for a binary (1-D) decision, softmax for a multi-class one, computed stably in the
    log domain: no probabilities are formed and nothing is clipped. Greater is better.
{call}
    See Also
    --------
    neg_log_loss_scorer : The same from ``predict_proba``.
    log_loss : The metric (``from_logits=True``).
""")

neg_multilabel_log_loss_scorer = _scorer(
    _multilabel_log_loss_of_response, "neg_multilabel_log_loss_scorer", greater_is_better=False,
    doc="""\
Negated :func:`multilabel_log_loss` of a multi-label estimator's ``predict_proba``.

    Takes either output form of ``predict_proba``: a list with one ``(n_samples, 2)`` array per
    label (``MultiOutputClassifier``, random forests, k-NN) or an ``(n_samples, n_labels)``
    matrix (``MultiLabelLogistic``, ``MLPClassifier``). Greater is better.
{call}
    See Also
    --------
    multilabel_log_loss : The metric.
    skxent.linear_model.MultiLabelLogistic : A multi-label estimator.
""", example="""
    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.model_selection import cross_val_score
    >>> from skxent.linear_model import MultiLabelLogistic
    >>> from skxent.metrics import neg_multilabel_log_loss_scorer
    >>> X, Y = make_multilabel_classification(n_samples=300, n_classes=4, random_state=0)
    >>> scores = cross_val_score(MultiLabelLogistic(max_iter=1000), X, Y, cv=3,
    ...                          scoring=neg_multilabel_log_loss_scorer)
    >>> bool((scores < 0).all())
    True
""")

neg_brier_score_scorer = _scorer(
    brier_score_loss, "neg_brier_score_scorer", greater_is_better=False, doc="""\
Negated :func:`brier_score_loss` of ``predict_proba``: the ``"neg_brier_score"`` equivalent.

    Greater is better.
{call}
    See Also
    --------
    brier_score_loss : The metric.
    d2_brier_scorer : The skill score relative to the class priors.
""")

d2_log_loss_scorer = _scorer(d2_log_loss_score, "d2_log_loss_scorer", doc="""\
:func:`d2_log_loss_score` of ``predict_proba``: the ``"d2_log_loss_score"`` equivalent.

    Greater is better (1 is perfect, the class priors score 0).
{call}
    See Also
    --------
    d2_log_loss_score : The metric.
    neg_log_loss_scorer : The log loss itself.
""")

d2_brier_scorer = _scorer(d2_brier_score, "d2_brier_scorer", doc="""\
:func:`d2_brier_score` of ``predict_proba``: the ``"d2_brier_score"`` equivalent.

    Greater is better (1 is perfect, the class priors score 0).
{call}
    See Also
    --------
    d2_brier_score : The metric.
    neg_brier_score_scorer : The Brier score itself.
""")
