"""SoftmaxRegression: multinomial logistic regression on skxent's fused kernels.

Design note
-----------
The objective is ``LogisticRegression(C=C)``'s multinomial L2 objective (see
``_linear_loss.py``); the estimator adds what scikit-learn's lacks: soft labels (a 2-D
``(n_samples, n_classes)`` probability matrix as ``y``, e.g. for distillation), label smoothing,
float32 kernels and multithreaded kernels.

Binary problems are the binomial model, exactly as ``LogisticRegression(C=C)`` fits them: one
coefficient vector (``coef_`` of shape ``(1, n_features)``, ``intercept_`` ``(1,)``), the logit of
``classes_[1]``, the sigmoid kernels with one output. The multinomial parametrisation of two
classes would be a different model: its minimiser is symmetric (``W_1 = -W_0``) and its penalty
``||W_0||^2 + ||W_1||^2`` is half of ``||W_1 - W_0||^2``, so it equals ``LogisticRegression(C=2 *
C)``; it is also twice the work. Class weights: with hard labels and no label smoothing they are
folded into the sample weights (``s_i * class_weight[y_i]``, scikit-learn's rule). With soft labels
or label smoothing each class's (smoothed) mass must carry its own weight, ``-(c_1 y' log p +
c_0 (1 - y') log(1 - p))``: that is the sigmoid kernel with sample weight ``c_0`` and
``pos_weight = c_1 / c_0`` (when ``c_0 = 0`` the model is fitted with the classes swapped and the
coefficients negated). A 2-column soft ``y`` is the binomial model on its second column.

With three or more classes, class weights are passed to the kernel (``loss_i = -sum_k c_k y'_ik
log p_ik``), which for hard labels without smoothing is exactly scikit-learn's "multiply the
sample weight by ``class_weight[y_i]``"; with label smoothing the smoothed mass of each class
carries that class's weight (PyTorch's convention). In every case ``S`` is the class-weighted label mass before
smoothing, ``sum_i s_i sum_k c_k y_ik``.
"""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d

from .. import special as _special
from .._dask import any_dask, is_dask_array
from .._engine import BINARY, CATEGORICAL, balanced_weights
from . import _dask_loss
from ._base import (
    _COMMON_CONSTRAINTS,
    _BaseFusedLinear,
    _binary_sample_weight,
    _binary_weight_plan,
    _check_two_classes,
)


class _Problem:
    """What ``FusedLinearLoss`` needs for SoftmaxRegression's model of a target (see the module
    note): ``classes``, the loss ``family``, ``n_outputs``, the encoded target ``Y`` (int64 class
    indices or X-dtype probabilities for the categorical family, an ``(n, 1)`` X-dtype column for
    the binomial model), ``sample_weight``, ``class_weight``, ``pos_weight``, ``sign`` (-1:
    classes swapped)."""

    def __init__(self, classes, family, n_outputs, Y, sample_weight, class_weight=None,
                 pos_weight=None, sign=1.0):
        self.classes = classes
        self.family = family
        self.n_outputs = n_outputs
        self.Y = Y
        self.sample_weight = sample_weight
        self.class_weight = class_weight
        self.pos_weight = pos_weight
        self.sign = sign

    def loss_kwargs(self):
        # the binomial model (one output) normalises by the class-weighted mass, as the
        # multinomial one does
        return dict(family=self.family, n_outputs=self.n_outputs,
                    class_weight=self.class_weight, pos_weight=self.pos_weight,
                    mass_sum=self.n_outputs == 1)


class SoftmaxRegression(ClassifierMixin, _BaseFusedLinear):
    """Multinomial logistic regression (softmax cross-entropy with L2 penalty).

    Minimises, over ``W`` of shape ``(n_classes, n_features)`` and the intercept ``b``::

        (1 / S) * sum_i s_i * loss_i + ||W||^2 / (2 * C * S)

    where ``loss_i`` is the cross-entropy of sample ``i``, ``s_i`` its sample weight times its
    class weight and ``S = sum_i s_i``. This is ``LogisticRegression(C=C)``'s objective, so the
    coefficients and probabilities agree with scikit-learn's at convergence. Two classes are the
    binomial model, as in ``LogisticRegression``: one coefficient vector for the logit of
    ``classes_[1]``. The objective and its gradient are evaluated in one streaming pass over ``X``
    with skxent's multithreaded kernels.

    Parameters
    ----------
    C : float in (0, inf], default=1.0
        Inverse of the regularisation strength. ``C=np.inf``: no penalty.
    fit_intercept : bool, default=True
        Fit an (unpenalised) intercept per class.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, as in ``LogisticRegression``. With soft labels the keys are the
        column indices.
    label_smoothing : float in [0, 1], default=0.0
        Labels ``y`` become ``y * (1 - e) + e / n_classes``.
    solver : {"lbfgs", "newton-cg"}, default="lbfgs"
        SciPy's L-BFGS-B, or SciPy's Newton-CG with exact Hessian-vector products.
    tol : float, default=1e-4
        Stop when the largest gradient component is below ``tol`` (as scikit-learn).
    max_iter : int, default=100
        Maximum number of solver iterations; a ``ConvergenceWarning`` is raised when reached.
    warm_start : bool, default=False
        Start from the previous solution when the shapes match.
    n_threads : int or None, default=None
        Threads of the kernels (None: OpenMP's default).
    verbose : int, default=0
        ``>= 1`` prints one line per iteration (iteration, objective, largest gradient
        component, elapsed seconds).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (``arange(n_classes)`` when fitted on soft labels).
    coef_ : ndarray of shape (n_classes, n_features), or (1, n_features) for two classes
        In ``X``'s floating dtype (float32 for float32 ``X``), as scikit-learn's.
    intercept_ : ndarray of shape (n_classes,), or (1,) for two classes
        Same dtype as ``coef_``; zeros when ``fit_intercept=False``.
    n_iter_ : int
        Solver iterations.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Only when ``X`` had string column names.

    See Also
    --------
    SoftmaxRegressionCV : ``C`` chosen by cross-validation.
    MultiLabelLogistic : Independent labels (sigmoid) instead of exclusive classes.
    sklearn.linear_model.LogisticRegression : The scikit-learn estimator this replaces
        (lbfgs / newton-cg, L2).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skxent.linear_model import SoftmaxRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxRegression(C=1.0, max_iter=1000).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    >>> clf.fit(X, y == 2).coef_.shape  # two classes: the binomial model
    (1, 4)

    Soft labels, e.g. a teacher's probabilities (distillation):

    >>> teacher = SoftmaxRegression(max_iter=1000).fit(X, y).predict_proba(X)
    >>> student = SoftmaxRegression(C=0.1, max_iter=1000).fit(X, teacher)
    >>> student.classes_
    array([0, 1, 2])
    """

    _family = CATEGORICAL
    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        C=1.0,
        *,
        fit_intercept=True,
        class_weight=None,
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
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.n_threads = n_threads
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            float32 data is fitted in float32 kernels.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels of any type, or class probabilities (soft labels, values in [0, 1]).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.

        Returns
        -------
        self
        """
        self._validate_params()
        if any_dask(X, y, sample_weight):
            return _dask_loss.fit_softmax(self, X, y, sample_weight)
        X, y = self._validate_X_fit(X, y)
        sw = self._sample_weight(sample_weight, X)
        pb = self._problem(X, y, sw)
        self.classes_ = pb.classes
        return self._solve(X, pb.Y, sample_weight=pb.sample_weight, sign=pb.sign,
                           **pb.loss_kwargs())

    def _problem(self, X, y, sw):
        """Encode the target of an in-memory fit (``X``, ``sw`` validated): a :class:`_Problem`."""
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim == 1:
            check_classification_targets(y)
            le = LabelEncoder()
            Y = le.fit_transform(y).astype(np.int64)
            classes = le.classes_
            _check_two_classes(classes)
            cw = None
            if self.class_weight is not None:
                try:
                    cw = compute_class_weight(
                        self.class_weight, classes=classes, y=y, sample_weight=sw
                    )
                except TypeError:  # older scikit-learn: no sample_weight parameter
                    cw = compute_class_weight(self.class_weight, classes=classes, y=y)
        else:
            Y = check_array(y, dtype=X.dtype, input_name="y", order="C")
            if Y.min() < 0 or Y.max() > 1:
                i, k = np.argwhere((Y < 0) | (Y > 1))[0]
                raise ValueError(
                    "Soft labels y (class probabilities) must be in [0, 1]; got "
                    f"y[{i}, {k}] = {Y[i, k]!r}."
                )
            classes = np.arange(Y.shape[1])
            cw = None
            if self.class_weight is not None:
                cw = self._soft_class_weight(Y, sw)
        K = classes.shape[0]
        if K != 2:
            if cw is not None:
                cw = np.asarray(cw, dtype=X.dtype)
            return _Problem(classes, CATEGORICAL, K, Y, sw, class_weight=cw)
        # the binomial model on the probability (indicator) of classes_[1]
        hard = Y.ndim == 1
        T = (Y == 1).astype(X.dtype)[:, None] if hard else np.ascontiguousarray(Y[:, 1:])
        plan = _binary_weight_plan(cw, self.label_smoothing, hard)
        if plan is None:
            return _Problem(classes, BINARY, 1, T, sw)
        w_neg, w_pos, pw, flip = plan
        if flip:
            T = 1 - T
        sw = _binary_sample_weight(T, sw, w_neg, w_pos, X.dtype)
        pw = None if pw is None else np.array([pw], dtype=X.dtype)
        return _Problem(classes, BINARY, 1, T, sw, pos_weight=pw,
                        sign=-1.0 if flip else 1.0)

    def _soft_class_weight(self, Y, sw):
        K = Y.shape[1]
        if isinstance(self.class_weight, str):  # "balanced"
            w = np.ones(Y.shape[0]) if sw is None else np.asarray(sw, np.float64)
            return balanced_weights(w @ np.asarray(Y, np.float64), w.sum())
        cw = np.ones(K)
        for key, value in self.class_weight.items():
            if not (isinstance(key, (int, np.integer)) and 0 <= key < K):
                raise ValueError(
                    f"class_weight keys must be class indices in [0, {K}) when y holds "
                    f"class probabilities; got {key!r}."
                )
            cw[key] = value
        return cw

    def _is_binomial(self):
        return self.coef_.shape[0] == 1

    def decision_function(self, X):
        """Logits.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes (the logit of
        ``classes_[1]``, scikit-learn's convention).
        """
        if is_dask_array(X):
            return _dask_loss.map_blocks(self, "decision_function", X)
        raw = self._raw(X)
        return raw[:, 0] if self._is_binomial() else raw

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes)."""
        if is_dask_array(X):
            return _dask_loss.map_blocks(self, "predict_proba", X)
        raw = self._raw(X)
        if self._is_binomial():
            # sigmoid(-z), not 1 - p, so the small probability keeps its relative precision.
            return np.hstack([_special.sigmoid(-raw, n_threads=self.n_threads),
                              _special.sigmoid(raw, n_threads=self.n_threads)])
        return _special.softmax(raw, n_threads=self.n_threads)

    def predict_log_proba(self, X):
        """Log of the class probabilities (computed stably), shape (n_samples, n_classes)."""
        if is_dask_array(X):
            return _dask_loss.map_blocks(self, "predict_log_proba", X)
        raw = self._raw(X)
        if self._is_binomial():
            return np.hstack([_special.log_sigmoid(-raw, n_threads=self.n_threads),
                              _special.log_sigmoid(raw, n_threads=self.n_threads)])
        return _special.log_softmax(raw, n_threads=self.n_threads)

    def predict(self, X):
        """Most probable class, shape (n_samples,)."""
        if is_dask_array(X):
            return _dask_loss.map_blocks(self, "predict", X)
        raw = self._raw(X)  # first: raises NotFittedError before classes_ is touched
        if self._is_binomial():
            return self.classes_[(raw[:, 0] > 0).astype(np.intp)]
        return self.classes_[np.argmax(raw, axis=1)]
