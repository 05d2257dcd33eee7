"""Machinery shared by SoftmaxRegression and MultiLabelLogistic.

Design note
-----------
The two estimators differ only in how they read their targets (class labels or class
probabilities vs. label indicators or soft targets), which kernel family they use (softmax vs.
sigmoid) and how they turn logits into predictions. Everything else (validation of ``X`` and
``sample_weight`` with scikit-learn's own helpers so the errors are scikit-learn's, the dtype
policy, warm starts, building :class:`FusedLinearLoss` and running the solver) lives here.

Input policy (the same as ``LogisticRegression``): ``X`` is validated by
``sklearn.utils.validation.validate_data`` (float64/float32 kept, other dtypes to float64, NaN/inf
rejected, CSR/CSC accepted, CSC converted once to CSR because row blocks of CSR are free views of
contiguous memory). ``coef_`` and ``intercept_`` take ``X``'s dtype, as scikit-learn's do (the
optimizer state stays float64); predictions are computed in ``X``'s dtype. ``C`` is in
``(0, inf]``: ``C=np.inf`` is the unpenalised fit, as in ``LogisticRegression``.
"""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from .._config import effective_n_threads
from ._linear_loss import FusedLinearLoss
from ._solvers import minimize, minimize_separable_lbfgs

# Above this many labels MultiLabelLogistic's lbfgs runs one L-BFGS-B on the sum of the
# per-label objectives (same minimiser, more iterations) instead of one optimizer thread per label.
_MAX_LOCKSTEP = 256

_COMMON_CONSTRAINTS = {
    "C": [Interval(Real, 0, None, closed="right")],  # C=np.inf: no penalty
    "fit_intercept": ["boolean"],
    "label_smoothing": [Interval(Real, 0, 1, closed="both")],
    "solver": [StrOptions({"lbfgs", "newton-cg"})],
    "tol": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 0, None, closed="left")],
    "warm_start": ["boolean"],
    "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    "verbose": ["verbose"],
}


def _check_two_classes(classes):
    """The classes of a 1-D target: at least two, as scikit-learn's solvers require."""
    if classes.shape[0] < 2:
        raise ValueError(
            "This solver needs samples of at least 2 classes in the data, but the "
            f"data contains only one class: {classes[0]!r}"
        )


# -- MultiLabelLogistic's missing labels (in memory and on dask arrays) ---------------------


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


# -- SoftmaxRegression's binomial model (in memory and on dask arrays) ----------------------


def _binary_weight_plan(class_weight, label_smoothing, hard):
    """How the class weights ``(c_0, c_1)`` of the binomial model reach the sigmoid kernel.

    Returns ``None`` (no class weights) or ``(w_neg, w_pos, pos_weight, flip)``: the sample
    weight of the samples of class 0 / class 1 (they multiply ``sample_weight``), the kernel's
    ``pos_weight`` (None or a float) and whether the target is ``1 - y`` (classes swapped, the
    coefficients negated after the fit).
    """
    if class_weight is None:
        return None
    c0, c1 = float(class_weight[0]), float(class_weight[1])
    if hard and label_smoothing == 0:
        # scikit-learn's rule: sample_weight *= class_weight[y]
        return c0, c1, None, False
    # -(c1 y' log p + c0 (1 - y') log(1 - p)) = c0 * bce(y', p, pos_weight=c1 / c0)
    if c0 > 0:
        return c0, c0, c1 / c0, False
    if c1 > 0:  # the same with the classes swapped: c1 * bce(1 - y', 1 - p, pos_weight=0)
        return c1, c1, 0.0, True
    return 0.0, 0.0, 1.0, False  # no weight at all: the loss raises "nothing to fit"


def _binary_sample_weight(T, sample_weight, w_neg, w_pos, dtype):
    """Sample weights of the binomial model: ``sample_weight * (w_pos if T > 0.5 else w_neg)``
    (NumPy or dask arrays; ``T`` is the ``(n, 1)`` target column)."""
    w = np.where(T[:, 0] > 0.5, w_pos, w_neg)  # dask dispatches np.where to da.where
    if sample_weight is not None:
        w = w * sample_weight
    return w.astype(dtype)


class _BaseFusedLinear(BaseEstimator):
    """Common fit/predict plumbing (not public)."""

    _family = None  # the loss family (skxent._engine) of the estimator
    # independent outputs fitted by per-output L-BFGS-B runs in lockstep (MultiLabelLogistic)
    _lockstep_outputs = False

    def _validate_X_fit(self, X, y, allow_nan_y=False):
        """``allow_nan_y``: NaN in ``y`` passes (MultiLabelLogistic's missing labels); ``X``
        and the lengths are checked as ``validate_data(..., multi_output=True)`` does."""
        if allow_nan_y and y is not None:
            X = validate_data(self, X, accept_sparse=["csr", "csc"],
                              dtype=[np.float64, np.float32])
            y = check_array(y, accept_sparse="csr", ensure_all_finite="allow-nan",
                            ensure_2d=False, dtype=None, input_name="y", estimator=self)
            check_consistent_length(X, y)
        else:
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse=["csr", "csc"],
                dtype=[np.float64, np.float32],
                multi_output=True,
            )
        if sparse.issparse(X):
            X = X.tocsr()
            if not X.has_sorted_indices:
                X = X.sorted_indices()
        if sparse.issparse(y):
            y = y.toarray()
        return X, y

    def _validate_X_predict(self, X):
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32], reset=False
        )
        return X

    def _sample_weight(self, sample_weight, X):
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)

    def _solve(self, X, Y, *, n_outputs, sample_weight, class_weight=None, pos_weight=None,
               family=None, mass_sum=False, sign=1.0, where=None):
        """Build the fused objective on in-memory data and fit it (``where``: the mask of the
        observed targets, see :class:`FusedLinearLoss`)."""
        loss = FusedLinearLoss(
            X,
            Y,
            family=family or self._family,
            n_outputs=n_outputs,
            fit_intercept=self.fit_intercept,
            sample_weight=sample_weight,
            class_weight=class_weight,
            pos_weight=pos_weight,
            label_smoothing=self.label_smoothing,
            C=self.C,
            n_threads=effective_n_threads(self.n_threads),
            mass_sum=mass_sum,
            where=where,
        )
        return self._fit_objective(loss, sign=sign)

    def _fit_objective(self, loss, sign=1.0):
        """Warm-start if asked, run the solver on ``loss`` (a ``_LinearObjective``: in memory
        or on dask chunks), store ``coef_``, ``intercept_`` (in ``loss.dtype``, X's), ``n_iter_``.

        ``sign=-1``: ``loss`` is the model with the classes swapped (the binary model fitted
        on ``1 - y``, see ``_softmax._binary_problem``); the stored coefficients are negated.
        """
        n_outputs = loss.n_outputs
        coef0 = loss.init_zero_coef()
        if (
            self.warm_start
            and getattr(self, "coef_", None) is not None
            and self.coef_.shape == (n_outputs, loss.n_features)
        ):
            b0 = sign * np.asarray(self.intercept_, np.float64) if self.fit_intercept else None
            coef0 = loss.pack(sign * np.asarray(self.coef_, np.float64), b0)
        if self._lockstep_outputs and self.solver == "lbfgs" and n_outputs <= _MAX_LOCKSTEP:
            # Independent labels: scikit-learn's per-label L-BFGS-B, in lockstep on shared
            # passes (see _solvers.minimize_separable_lbfgs).
            coef, n_iter = minimize_separable_lbfgs(
                loss, coef0, tol=self.tol, max_iter=self.max_iter, verbose=self.verbose
            )
        else:
            coef, n_iter = minimize(
                loss, coef0, solver=self.solver, tol=self.tol, max_iter=self.max_iter,
                verbose=self.verbose,
            )
        W, b = loss.weight_intercept(coef)
        dtype = loss.dtype
        self.coef_ = np.array(sign * W, dtype=dtype, order="C")
        self.intercept_ = (
            np.array(sign * b, dtype=dtype) if self.fit_intercept
            else np.zeros(n_outputs, dtype=dtype)
        )
        self.n_iter_ = int(n_iter)
        return self

    def _raw(self, X):
        """Logits ``X @ coef_.T + intercept_`` in X's dtype, shape (n_samples, n_outputs)."""
        X = self._validate_X_predict(X)
        coef = self.coef_.astype(X.dtype, copy=False)
        raw = X @ coef.T
        if sparse.issparse(raw):
            raw = raw.toarray()
        raw = np.asarray(raw)
        raw += self.intercept_.astype(X.dtype, copy=False)
        return np.ascontiguousarray(raw)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
