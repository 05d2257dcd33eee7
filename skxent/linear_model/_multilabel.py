"""MultiLabelLogistic: one logistic regression per label, fitted together.

Design note
-----------
``MultiOutputClassifier(LogisticRegression(C=C))`` reads ``X`` twice per objective evaluation for
every label. Here all labels share each pass: the logits of a row block are ``X_b @ W.T`` for all
labels at once (one GEMM), the sigmoid kernel writes every label's pointwise gradient, and one
more GEMM accumulates the gradient. The per-label problems are independent, so minimising their
sum

    (1 / S) * sum_i s_i * sum_j loss_ij + ||W||^2 / (2 * C * S),   S = sum_i s_i

gives, label by label, the minimiser of binary ``LogisticRegression(C=C)``'s objective
(``loss_ij`` the binary cross-entropy with ``pos_weight_j`` on the positive term). The stop rule
``max |gradient| <= tol`` is the per-label rule applied to every label.

Targets. ``Y`` of shape ``(n_samples, n_labels)`` holds 0/1 indicators or soft targets in
[0, 1]; then ``classes_ = arange(n_labels)`` (scikit-learn's convention for multi-label
classifiers, e.g. ``MLPClassifier``), ``predict`` returns ``(n_samples, n_labels)`` 0/1 in ``Y``'s
dtype and ``predict_proba`` the probability of each label being on. A 1-D binary ``y`` (any two
labels; a single column ``Y`` is treated as 1-D with scikit-learn's ``DataConversionWarning``)
is one label and follows scikit-learn's binary classifier conventions: ``classes_`` holds the
two labels, ``predict`` returns them, ``predict_proba`` is ``(n_samples, 2)`` and
``decision_function`` is 1-D. A multiclass 1-D ``y`` raises (use ``SoftmaxRegression``).

Missing labels. NaN in a 2-D ``Y`` marks a label not observed for that sample (partially
labelled data, which no scikit-learn estimator fits): that (sample, label) term is out of the
loss, the gradient, the Hessian and every count (the binary family's ``where`` mask). Label
``j``'s objective is then ``LogisticRegression(C=C)``'s on the rows where it is observed,

    (1 / S_j) * sum_{i observed} s_i * loss_ij + ||w_j||^2 / (2 * C * S_j),
    S_j = sum_{i observed} s_i,

so each label is normalised by its own observed weight (a single ``S`` would change every
label's effective ``C``). ``pos_weight="balanced"`` counts the observed rows of each label.
Each label must, as ``LogisticRegression`` requires of its ``y``, have observed rows of both
classes: a label with no observed target, a zero observed weight or observed targets of one
class raises a ``ValueError`` naming it. Both objective paths of ``FusedLinearLoss`` take the
mask (the fused C pass hands it to the same chunk kernel as the BLAS path), so a ``Y`` with NaN
is fitted at the speed of a fully observed one.
"""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, column_or_1d

from .. import special as _special
from .._dask import any_dask, is_dask_array
from .._engine import BINARY, balanced_pos_weight
from . import _dask_loss
from ._base import (
    _COMMON_CONSTRAINTS,
    _balanced_pos_weight_per_label,
    _BaseFusedLinear,
    _check_no_nan_1d,
    _check_observed_labels,
    _check_two_classes,
)


class MultiLabelLogistic(ClassifierMixin, _BaseFusedLinear):
    """Independent L2-penalised logistic regressions for every label, fitted in one pass of X.

    Per label ``j`` the objective is binary ``LogisticRegression(C=C)``'s::

        (1 / S) * sum_i s_i * loss_ij + ||w_j||^2 / (2 * C * S),  S = sum_i s_i

    so each label's coefficients agree with ``MultiOutputClassifier(LogisticRegression(C=C))``
    at convergence (with ``pos_weight=None``).

    Missing labels: NaN in ``Y`` leaves that (sample, label) out of the objective. Label ``j``
    is then fitted as ``LogisticRegression(C=C)`` on the rows where it is observed (its own
    normaliser ``S_j``, the weight of those rows; ``pos_weight="balanced"`` counts them only),
    and ``predict``/``predict_proba`` are unchanged. When ``Y`` holds NaN every label needs
    observed rows of both classes (``LogisticRegression`` raises for one class): a label with
    none, or with observed targets of one class only, raises a ``ValueError`` naming it.
    :meth:`score` (subset accuracy) raises on NaN ``y``.

    Parameters
    ----------
    C : float in (0, inf], default=1.0
        Inverse of the regularisation strength. ``C=np.inf``: no penalty.
    fit_intercept : bool, default=True
        Fit an (unpenalised) intercept per label.
    pos_weight : None, "balanced" or array-like of shape (n_labels,), default=None
        Multiplies the positive term of each label's loss. ``"balanced"``: ``n_negative /
        n_positive`` per label (sample-weighted; labels with no positive or no negative
        sample get 1).
    label_smoothing : float in [0, 1], default=0.0
        Targets ``y`` become ``y * (1 - e) + e / 2``.
    solver : {"lbfgs", "newton-cg"}, default="lbfgs"
    tol : float, default=1e-4
        Stop when the largest gradient component is below ``tol``.
    max_iter : int, default=100
        Maximum number of solver iterations; a ``ConvergenceWarning`` is raised when reached.
    warm_start : bool, default=False
    n_threads : int or None, default=None
        Threads of the kernels.
    verbose : int, default=0
        ``>= 1`` prints one line per iteration.

    Attributes
    ----------
    classes_ : ndarray
        ``arange(n_labels)`` for 2-D ``Y`` (as ``MLPClassifier``); the two labels for a 1-D
        binary ``y``.
    coef_ : ndarray of shape (n_labels, n_features)
        In ``X``'s floating dtype (float32 for float32 ``X``).
    intercept_ : ndarray of shape (n_labels,)
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
    pos_weight_ : ndarray of shape (n_labels,) or None
        The positive weights used.

    See Also
    --------
    SoftmaxRegression : Mutually exclusive classes (softmax) instead of independent labels.
    skxent.metrics.multilabel_log_loss : The loss it minimises, as a metric.
    sklearn.multioutput.MultiOutputClassifier : With ``LogisticRegression``, the same model
        fitted one label at a time.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from skxent.linear_model import MultiLabelLogistic
    >>> X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    >>> clf = MultiLabelLogistic(max_iter=1000).fit(X, Y)
    >>> clf.predict(X[:3]).shape
    (3, 4)
    """

    _family = BINARY
    _lockstep_outputs = True
    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "pos_weight": [StrOptions({"balanced"}), "array-like", None],
    }

    def __init__(
        self,
        C=1.0,
        *,
        fit_intercept=True,
        pos_weight=None,
        label_smoothing=0.0,
        solver="lbfgs",
        tol=1e-4,
        max_iter=100,
        warm_start=False,
        n_threads=None,
        verbose=0,
    ):
        self.C = C
        self.fit_intercept = fit_intercept
        self.pos_weight = pos_weight
        self.label_smoothing = label_smoothing
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.n_threads = n_threads
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Fit one logistic regression per label.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_labels) or (n_samples,)
            ``Y``: 0/1 indicators or soft targets in [0, 1], NaN where a label is missing
            (that entry is left out; see the class notes); or a 1-D binary label vector
            (no NaN). (Named ``y`` as in every scikit-learn ``fit``, which passes it by
            keyword.)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        self._validate_params()
        if any_dask(X, y, sample_weight):
            return _dask_loss.fit_multilabel(self, X, y, sample_weight)
        X, Y = self._validate_X_fit(X, y, allow_nan_y=True)
        if Y.ndim == 2 and Y.shape[1] == 1:
            Y = column_or_1d(Y, warn=True)
        sw = self._sample_weight(sample_weight, X)

        where = None
        if Y.ndim == 1:
            _check_no_nan_1d(Y)
            check_classification_targets(Y)
            y_type = type_of_target(Y, input_name="y")
            classes = np.unique(Y)
            _check_two_classes(classes)
            if y_type != "binary":
                raise ValueError(
                    "Only binary classification is supported. The type of the target is "
                    f"{y_type}. For a multi-label problem pass Y as an (n_samples, n_labels) "
                    "indicator matrix; for multiclass use SoftmaxRegression."
                )
            self._is_1d = True
            self.classes_ = classes
            Yf = (Y == classes[1]).astype(X.dtype).reshape(-1, 1)
        else:
            self._is_1d = False
            self._y_dtype = Y.dtype
            Yf = check_array(Y, dtype=X.dtype, input_name="Y", order="C",
                             ensure_all_finite="allow-nan")
            missing = np.isnan(Yf)
            if missing.any():
                where = ~missing
            bad = (Yf < 0) | (Yf > 1)  # False at NaN
            if bad.any():
                i, j = np.argwhere(bad)[0]
                raise ValueError(
                    f"Y values must be in [0, 1] (indicators or soft targets); got "
                    f"Y[{i}, {j}] = {Yf[i, j]!r}."
                )
            # scikit-learn's convention for multi-label classifiers (LabelBinarizer,
            # MLPClassifier, RidgeClassifier): the label indices. Scorers then see a
            # non-binary classes_ and take predict_proba's (n_samples, n_labels) as is.
            self.classes_ = np.arange(Yf.shape[1])
        L = Yf.shape[1]
        if where is not None:
            w = np.ones(Yf.shape[0]) if sw is None else np.asarray(sw, np.float64)
            _check_observed_labels(
                n_observed=where.sum(axis=0),
                weight=w @ where,
                lo=np.fmin.reduce(Yf, axis=0),  # NaN left out (all NaN: NaN)
                hi=np.fmax.reduce(Yf, axis=0),
            )
        self.pos_weight_ = self._resolve_pos_weight(Yf, sw, L, where)
        pw = None if self.pos_weight_ is None else self.pos_weight_.astype(X.dtype)
        return self._solve(X, Yf, n_outputs=L, sample_weight=sw, pos_weight=pw, where=where)

    def _resolve_pos_weight(self, Yf, sw, L, where=None):
        if self.pos_weight is None:
            return None
        if isinstance(self.pos_weight, str):  # "balanced"
            w = np.ones(Yf.shape[0]) if sw is None else np.asarray(sw, np.float64)
            if where is None:
                return balanced_pos_weight(w @ np.asarray(Yf, np.float64), w.sum())
            # the observed entries only: each label's own positive and total weights
            n_pos = w @ np.where(where, np.asarray(Yf, np.float64), 0.0)
            return _balanced_pos_weight_per_label(n_pos, w @ where)
        pw = check_array(
            self.pos_weight, ensure_2d=False, dtype=np.float64, input_name="pos_weight"
        )
        if pw.ndim == 0:
            pw = np.full(L, float(pw))
        if pw.shape != (L,):
            raise ValueError(f"pos_weight must have shape ({L},) (n_labels); got {pw.shape}.")
        if (pw < 0).any():
            raise ValueError("pos_weight must be non-negative.")
        return pw

    def decision_function(self, X):
        """Logits: ``(n_samples, n_labels)``, or ``(n_samples,)`` for a 1-D binary ``y``."""
        if is_dask_array(X):
            return _dask_loss.map_blocks(self, "decision_function", X)
        raw = self._raw(X)
        return raw[:, 0] if self._is_1d else raw

    def predict_proba(self, X):
        """Probability of each label being on, ``(n_samples, n_labels)``.

        For a 1-D binary ``y``: ``(n_samples, 2)``, the probabilities of ``classes_``.
        """
        if is_dask_array(X):
            return _dask_loss.map_blocks(self, "predict_proba", X)
        raw = self._raw(X)
        p = _special.sigmoid(raw, n_threads=self.n_threads)
        if self._is_1d:
            # sigmoid(-z), not 1 - p, so the small probability keeps its relative precision.
            return np.hstack([_special.sigmoid(-raw, n_threads=self.n_threads), p])
        return p

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed stably from the logits."""
        if is_dask_array(X):
            return _dask_loss.map_blocks(self, "predict_log_proba", X)
        raw = self._raw(X)
        if self._is_1d:
            return np.hstack(
                [
                    _special.log_sigmoid(-raw, n_threads=self.n_threads),
                    _special.log_sigmoid(raw, n_threads=self.n_threads),
                ]
            )
        return _special.log_sigmoid(raw, n_threads=self.n_threads)

    def predict(self, X):
        """0/1 per label at probability 0.5 (``Y``'s dtype); or the class labels for 1-D y."""
        if is_dask_array(X):
            return _dask_loss.map_blocks(self, "predict", X)
        on = self._raw(X) > 0
        if self._is_1d:
            return self.classes_[on[:, 0].astype(np.intp)]
        return on.astype(self._y_dtype)

    def score(self, X, y, sample_weight=None):
        """Subset accuracy (scikit-learn's ``accuracy_score``: a row counts when every label
        is right), or the accuracy of a 1-D binary ``y``.

        ``y`` must be fully labelled: subset accuracy is not defined for a row with a missing
        label, so NaN in ``y`` raises a ``ValueError`` (score partially labelled data label by
        label on the observed rows, e.g. ``roc_auc_score(Y[obs, j], P[obs, j])``).
        """
        if not is_dask_array(y):
            yy = np.asarray(y) if not hasattr(y, "toarray") else y.toarray()
            if yy.dtype.kind == "f" and np.isnan(yy).any():
                raise ValueError(
                    "score: y contains NaN (missing labels). Subset accuracy needs every "
                    "label of a row; score the labels one by one on their observed rows."
                )
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.classifier_tags.multi_label = True
        tags.classifier_tags.multi_class = False
        return tags
