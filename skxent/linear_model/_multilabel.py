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
from ._base import _COMMON_CONSTRAINTS, _BaseFusedLinear, _check_two_classes


def _check_no_nan_1d(y):
    """A 1-D ``y`` (one binary label) has no missing-label mode: NaN raises."""
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError(
            "Input y contains NaN. Missing labels (NaN) are supported in a 2-D Y of shape "
            "(n_samples, n_labels) with n_labels >= 2; for a single binary label drop the "
            "rows whose label is missing."
        )


def _check_observed_labels(n_observed, weight, lo, hi):
    """With missing labels each label is ``LogisticRegression`` on its observed rows: it needs
    observed rows of positive total weight, and both classes among their targets (scikit-learn
    raises "needs samples of at least 2 classes" for one class). Raises naming the label."""
    for j in range(n_observed.shape[0]):
        if n_observed[j] == 0:
            raise ValueError(
                f"Label {j} has no observed target (Y[:, {j}] is all NaN): there is nothing "
                "to fit for it. Drop the column."
            )
        if not weight[j] > 0:
            raise ValueError(
                f"Label {j}: the sample weights of its observed rows sum to zero; there is "
                "nothing to fit for it."
            )
        if hi[j] == 0 or lo[j] == 1:
            raise ValueError(
                f"Label {j}: its observed targets hold only one class ({hi[j]:g}); "
                "LogisticRegression on the rows where it is observed needs samples of at "
                "least 2 classes. Drop the column or label a row of the other class."
            )


def _balanced_pos_weight_per_label(n_pos, total):
    """``balanced_pos_weight`` with one total weight per label (observed rows only)."""
    n_pos = np.asarray(n_pos, dtype=np.float64)
    n_neg = np.asarray(total, dtype=np.float64) - n_pos
    pw = np.ones(n_pos.shape[0])
    ok = (n_pos > 0) & (n_neg > 0)
    pw[ok] = n_neg[ok] / n_pos[ok]
    return pw


class MultiLabelLogistic(ClassifierMixin, _BaseFusedLinear):
    """Independent L2-penalised logistic regressions for every label, fitted in one pass of X.

    Per label ``j`` the objective is binary ``LogisticRegression(C=C)``'s::

        (1 / S) * sum_i s_i * loss_ij + ||w_j||^2 / (2 * C * S),  S = sum_i s_i

    so each label's coefficients agree with ``MultiOutputClassifier(LogisticRegression(C=C))``
    at convergence (with ``pos_weight=None``).

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
            ``Y``: 0/1 indicators or soft targets in [0, 1]; or a 1-D binary label vector.
            (Named ``y`` as in every scikit-learn ``fit``, which passes it by keyword.)
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
                lo=np.nanmin(Yf, axis=0) if Yf.shape[0] else np.zeros(L),
                hi=np.nanmax(Yf, axis=0) if Yf.shape[0] else np.zeros(L),
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.classifier_tags.multi_label = True
        tags.classifier_tags.multi_class = False
        return tags
