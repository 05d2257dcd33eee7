"""SoftmaxRegressionCV: SoftmaxRegression with C chosen by cross-validation.

Design note
-----------
The job is ``LogisticRegressionCV``'s for the L2 model (lbfgs / newton-cg): for each fold, one
path over ``Cs`` (each fit warm-started from the previous one, in the order given), each
solution scored on the held-out fold; the best ``C`` maximises the fold scores summed over folds
(the first on ties); with ``refit=True`` the model is fitted on all the data at that ``C``,
warm-started from the mean of the folds' solutions there. Same folds (``check_cv(cv, y,
classifier=True)``: ``StratifiedKFold(5)`` by default), same objective per fold as
``SoftmaxRegression(C)`` on the training rows, same solver options and stop rule, so the same
path as scikit-learn's and the same choice of ``C``. Class weights ``"balanced"`` are computed
once on all the data (as scikit-learn does) and held fixed in every fold; the scorer gets the
held-out rows' sample weights (without class weights), as scikit-learn's does.

Where the time goes, and why the folds share passes over ``X``. ``LogisticRegressionCV`` copies
each fold's training rows and runs each fold's path on its own: ``n_folds`` times the passes of
one path, each a pair of narrow GEMMs (``(n, d) @ (d, n_classes)`` and back) that BLAS runs far
below its peak. Here every fold keeps the whole ``X``, and the folds' L-BFGS-B runs, one thread
each, are served in lockstep: when every running fold has asked for its objective at its own
point, one pass over the row blocks of ``X`` computes the logits of all of them with one wide
GEMM (``X_b @ [W_1 ... W_F]^T``), runs the kernel on each fold's slice of the logits with that
fold's row weights (``FusedLinearLoss._pointwise``, the same call as a plain fit), and
accumulates all the gradients with one wide GEMM. A wide GEMM costs about twice a narrow one for
five times the work and ``X`` is read once per pass instead of once per fold. The rows a fold
does not train on, two ways:

* splits that partition the rows (every row held out by exactly one fold, trained on once by
  every other: K-fold, stratified K-fold, group K-fold, leave-one-group-out): the rows are sorted
  once by held-out fold (one copy of ``X``) and the blocks aligned to the folds, so a block holds
  the held-out rows of one fold, which skips it (its logits are not computed);
* any other splitter (shuffle splits, bootstraps): each fold weighs every row by the number of
  times the splitter draws it for training (zero outside its training rows), so its held-out
  rows are multiplied with zero weight.

A pass costs as much as the busiest fold needs: a fold that has finished its path drops out of
the quorum. Folds are grouped so that the logits of a group stay at most ``_MAX_WIDTH`` columns
wide (wider GEMMs gain nothing) and, for the row-weight form, their weights within a memory
budget (leave-one-out has as many folds as rows); groups run one after another. The sums of a
pass are added in block order, so a fit is bit-identical for every ``n_threads``, and each fold
follows the path a ``SoftmaxRegression`` warm-started along ``Cs`` follows on its training rows
(the same iterates up to rounding: the sums are grouped differently).

``newton-cg`` folds run one after another, each on its training rows (its Hessian-vector
products are requested at different moments by the folds' trust-region loops, so they do not
batch into shared passes). ``n_jobs`` is accepted for ``LogisticRegressionCV``'s signature but
does not parallelise folds: the passes already use ``n_threads`` cores (row blocks on worker
threads), and folds in separate joblib workers would each read ``X`` on their own, undoing the
shared passes (lbfgs), or compete for the same cores (newton-cg).

Scores. ``scoring=None`` is the negative log loss, computed from the logits of the held-out rows
(one GEMM and one ``skxent.special.log_softmax`` per fold for the whole path; for soft labels
the cross-entropy of the held-out rows' probabilities): stable, no clipping of probabilities.
It equals scikit-learn's ``"neg_log_loss"`` except where a held-out probability is below float
epsilon, which scikit-learn clips. Other scorers are called as ``LogisticRegressionCV`` calls them
(on a model holding the fold's coefficients; scorers taking ``labels`` get all the classes, so a
fold missing a class is scored correctly). ``score`` uses the same scoring.
"""

import inspect
import threading
import warnings
from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer, get_scorer_names, make_scorer
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from .. import special as _special
from .._config import effective_n_threads
from ._base import _COMMON_CONSTRAINTS
from ._linear_loss import (
    _BLOCK_BYTES,
    _MIN_BLOCK_ROWS,
    _PARTIALS_BYTES,
    FusedLinearLoss,
    _LinearObjective,
)
from ._softmax import SoftmaxRegression
from ._solvers import run_solver

# Logit columns of the folds sharing one pass (folds * n_outputs). The GEMMs' throughput was
# measured to level off from ~40 columns on; folds beyond the cap run in further groups.
_MAX_WIDTH = 128
# Bytes of a block of X's rows and their logits in a shared pass: four times a plain fit's, as
# every block costs one kernel call (and its Python overhead) per fold. Measured on 100k x 100,
# 5 folds of 10 classes: faster per pass than 512 KiB blocks; larger ones gained nothing more.
_CV_BLOCK_BYTES = 4 * _BLOCK_BYTES
# Bytes of the per-fold row weights of one group (splitters that do not partition the rows).
_FOLD_WEIGHT_BYTES = 256 << 20


class _FoldPasses:
    """Answers the objective requests of the folds of one group with shared passes over X.

    ``base`` is a ``FusedLinearLoss`` on all the (possibly reordered) rows: its row blocks,
    worker threads and kernel call. Row weights, one of two ways:

    * ``block_test`` (splits that partition the rows, e.g. K-fold): ``block_test[i]`` is the
      fold whose held-out rows make up block ``i`` (the rows are sorted by held-out fold and
      the blocks aligned to them); every other fold of the group weighs the block's rows with
      ``base``'s sample weights, that fold skips the block (its logits are not even computed);
    * ``weights`` (any other splitter): ``weights[g]``, the row weights of the group's fold
      ``g`` on all the rows (zero outside its training rows, the number of times the splitter
      draws a row).

    ``members`` are the folds of the group (global fold numbers). A fold's thread calls
    :meth:`request` with its coefficients and blocks until every running fold of the group has
    asked; the last one runs the pass for all.
    """

    def __init__(self, base, members, *, block_test=None, weights=None):
        self.base = base
        self.members = list(members)
        self.n_folds = len(self.members)
        self.block_test = block_test
        K = base.n_outputs
        rows = base.block_rows
        self.K = K
        # Each worker's scratch: the wide logits of a block and one fold's contiguous slice
        # (the kernel writes its gradient into a C-contiguous buffer). _map_blocks hands worker
        # w its base._bufs[w].
        base._bufs = [
            (np.empty(rows * self.n_folds * K, dtype=base.dtype),
             np.empty((rows, K), dtype=base.dtype))
            for _ in range(base.n_workers)
        ]
        if weights is None:
            self.sw_blocks = None
        else:
            self.sw_blocks = [[w[start:stop] for start, stop, *_ in base.blocks] for w in weights]
        self.cond = threading.Condition()
        self.active = set(range(self.n_folds))
        self.pending = {}
        self.out = {}
        self.error = None

    def request(self, g, coef):
        with self.cond:
            self.pending[g] = coef
            self._maybe_run()
            while g in self.pending and self.error is None:
                self.cond.wait()
            if self.error is not None:
                raise RuntimeError("the shared evaluation of the folds failed") from self.error
            return self.out.pop(g)

    def finish(self, g):
        with self.cond:
            self.active.discard(g)
            self._maybe_run()

    def _maybe_run(self):
        # Called with the lock held; every other running fold is waiting on it.
        if not self.pending or set(self.pending) != self.active:
            return
        try:
            folds = sorted(self.pending)
            results = self._pass(folds, [self.pending[g] for g in folds])
        except BaseException as exc:  # wake everyone; each raises
            self.error = exc
            self.cond.notify_all()
            return
        for g, res in zip(folds, results):
            self.out[g] = res
        self.pending.clear()
        self.cond.notify_all()

    def _pass(self, folds, coefs):
        """Loss sums and gradient sums (float64, not divided by S) of the group's folds
        ``folds`` (group-local numbers) at ``coefs``."""
        base, K = self.base, self.K
        R = len(folds)
        Ws, bs = zip(*(base.weight_intercept(c) for c in coefs))
        Wt = np.ascontiguousarray(np.vstack(Ws).T, dtype=base.dtype)  # (d, R * K)
        b = np.concatenate(bs).astype(base.dtype)
        # The requested folds each block computes, and their slice of the GEMM operands: all of
        # them, or all but the fold whose held-out rows the block holds.
        plans = {}
        tests = [-1] if self.block_test is None else sorted(set(self.block_test))
        for t in tests:
            rs = [r for r, g in enumerate(folds) if self.members[g] != t]
            cols = np.concatenate([np.arange(r * K, (r + 1) * K) for r in rs]) if rs else []
            plans[t] = (rs, np.ascontiguousarray(Wt[:, cols]), b[cols])
        sw_blocks = None if self.sw_blocks is None else [self.sw_blocks[g] for g in folds]

        def block(i, scratch):
            start, stop, Xb, _, yb, swb = base.blocks[i]
            rs, Wt_b, b_b = plans[-1 if self.block_test is None else self.block_test[i]]
            nb, Rb = stop - start, len(rs)
            if Rb == 0:
                return rs, None, None, None
            wide, seg = scratch
            raw = wide[: nb * Rb * K].reshape(nb, Rb * K)
            if base.is_sparse:
                raw[...] = Xb @ Wt_b
            else:
                np.matmul(Xb, Wt_b, out=raw)
            if base.fit_intercept:
                raw += b_b
            s = seg[:nb]
            losses = np.empty(Rb)
            for j, r in enumerate(rs):
                cols = slice(j * K, (j + 1) * K)
                s[...] = raw[:, cols]
                w = swb if sw_blocks is None else sw_blocks[r][i]
                losses[j] = base._pointwise(yb, s, w)[0]
                raw[:, cols] = s
            gW = np.asarray(raw.T @ Xb)
            gb = base._ones[:nb] @ raw if base.fit_intercept else None
            return rs, losses, gW, gb

        parts = base._map_blocks(block)
        # Summed in block order: the same floating-point result for every n_threads.
        loss = np.zeros(R)
        gW = np.zeros((R, K, base.n_features))
        gb = np.zeros((R, K))
        for rs, loss_b, gW_b, gb_b in parts:
            if loss_b is None:
                continue
            loss[rs] += loss_b
            gW[rs] += gW_b.reshape(len(rs), K, -1)
            if gb_b is not None:
                gb[rs] += gb_b.reshape(len(rs), K)
        return [(float(loss[r]), gW[r], gb[r]) for r in range(R)]


class _FoldObjective(_LinearObjective):
    """One fold's objective (``SoftmaxRegression``'s on the fold's weighted rows), its sums
    computed by the group's shared passes."""

    def __init__(self, passes, g, base, sw_sum):
        self.passes = passes
        self.g = g
        self.family = base.family
        self.n_outputs = base.n_outputs
        self.fit_intercept = base.fit_intercept
        self.n_samples = base.n_samples
        self.n_features = base.n_features
        self.n_dof = base.n_dof
        self.dtype = base.dtype
        self.sw_sum = sw_sum
        if not sw_sum > 0:
            raise ValueError(
                "A fold's training rows have a total weight (sample weight times class "
                "weight) of zero; there is nothing to fit."
            )

    def set_C(self, C):
        self.l2_reg_strength = 1.0 / (float(C) * self.sw_sum)

    def _sums(self, coef, store_hessian=False, per_output=False):
        return self.passes.request(self.g, coef)


def _fold_scorer(scoring, classes):
    """The scorer of a fold, as ``LogisticRegressionCV`` builds it: scorers whose metric takes
    ``labels`` get all the classes (a held-out fold may miss some), binary ones the positive
    class ``classes[-1]``."""
    scorer = get_scorer(scoring)
    sig = inspect.signature(scorer._score_func).parameters if hasattr(
        scorer, "_score_func") else {}
    if "labels" in sig:
        pos_label = {}
        if len(classes) <= 2 and "pos_label" in sig:
            pos_label["pos_label"] = classes[-1]
        scorer = make_scorer(
            scorer._score_func,
            greater_is_better=scorer._sign == 1,
            response_method=scorer._response_method,
            labels=classes,
            **pos_label,
            **getattr(scorer, "_kwargs", {}),
        )
    return scorer


def _indices(idx, n):
    """Row indices of a split (integer indices or a boolean mask)."""
    idx = np.asarray(idx)
    if idx.dtype == bool:
        return np.flatnonzero(idx)
    return idx.astype(np.intp, copy=False)


def _held_out_fold_of_rows(folds, n):
    """For splits that partition the rows (every row held out by exactly one fold and trained
    on, once, by every other fold: K-fold, stratified, group K-fold...), each row's held-out
    fold; None for any other splitter."""
    test_of = np.full(n, -1, dtype=np.intp)
    for f, (_, test) in enumerate(folds):
        if (test_of[test] != -1).any() or len(np.unique(test)) != len(test):
            return None
        test_of[test] = f
    if (test_of < 0).any():
        return None
    for f, (train, _) in enumerate(folds):
        if not np.array_equal(np.bincount(train, minlength=n), test_of != f):
            return None
    return test_of


def _fold_aligned_blocks(test_of, rows):
    """Row ranges of at most ``rows`` rows that never straddle two held-out folds (``test_of``
    sorted), and the held-out fold of each."""
    bounds, block_test = [], []
    edges = np.flatnonzero(np.diff(test_of)) + 1
    for a, b in zip(np.r_[0, edges], np.r_[edges, len(test_of)]):
        for start in range(int(a), int(b), rows):
            bounds.append((start, min(int(b), start + rows)))
            block_test.append(int(test_of[a]))
    return bounds, block_test


def _group_block_rows(X, width):
    """Rows per block of a group's passes: ``_CV_BLOCK_BYTES`` of X's rows and their logits
    ``width`` wide, with ``_linear_loss``'s cap on the blocks' float64 partial gradients. Sparse
    ``X``: None (``FusedLinearLoss``'s few large blocks)."""
    if sparse.issparse(X):
        return None
    n, d = X.shape
    rows = max(_MIN_BLOCK_ROWS, _CV_BLOCK_BYTES // ((d + width) * X.dtype.itemsize))
    max_blocks = max(1, _PARTIALS_BYTES // (8 * width * max(d, 1)))
    return max(1, min(n, max(rows, -(-n // max_blocks))))


class SoftmaxRegressionCV(SoftmaxRegression):
    """SoftmaxRegression with ``C`` chosen by cross-validation (``LogisticRegressionCV``'s job).

    For each fold, one path over ``Cs`` (each fit warm-started from the previous), each fit scored
    on the held-out rows; the ``C`` with the best score summed over folds is chosen and, with
    ``refit=True``, the model is fitted on all the data at that ``C``, warm-started from the mean
    of the folds' solutions. The folds' L-BFGS-B runs share every pass over ``X`` (one wide
    GEMM for all folds' logits), which makes it faster than ``LogisticRegressionCV`` on the same
    folds (``benchmarks/bench_cv.py``); the paths, the fold scores and the choice of ``C`` are
    the same.

    Parameters
    ----------
    Cs : int or array-like of floats in (0, inf], default=10
        The grid of ``C``; an int ``n`` means ``np.logspace(-4, 4, n)``. Paths follow the order
        given.
    cv : int, cross-validation generator or iterable, default=None
        As in ``LogisticRegressionCV``: None is ``StratifiedKFold(5)`` for class labels (``KFold``
        for soft labels), an int the number of folds, or a splitter (``GroupKFold`` with
        ``groups`` in :meth:`fit`, ...) or an iterable of ``(train, test)`` index arrays.
    scoring : str, callable or None, default=None
        None: negative log loss of the held-out rows, computed from their logits. Otherwise a
        scikit-learn scorer name or callable ``scorer(estimator, X, y)``.
    refit : bool, default=True
        Fit on all the data at the best ``C``. False: ``coef_`` is the mean over folds of each
        fold's best solution and ``C_`` the mean of those folds' best ``C``.
    fit_intercept, class_weight, label_smoothing, solver, tol, max_iter, n_threads :
        As in :class:`SoftmaxRegression`. ``class_weight="balanced"`` is computed on all the
        data and held fixed in every fold.
    n_jobs : int or None, default=None
        Accepted for ``LogisticRegressionCV``'s signature; folds are not run in separate jobs
        (they share passes over ``X``; ``n_threads`` sets the cores used).
    verbose : int, default=0
        ``>= 1``: one line per fold and ``C``; ``>= 2`` also the refit's iterations.

    Attributes
    ----------
    C_ : float
        The chosen ``C``.
    Cs_ : ndarray of shape (n_Cs,)
    scores_ : ndarray of shape (n_folds, n_Cs)
        Score of every fold at every ``C``.
    coefs_paths_ : ndarray of shape (n_folds, n_Cs, n_outputs, n_dof)
        Each fold's solution at each ``C``: ``n_outputs`` is ``n_classes`` (1 for two classes),
        ``n_dof = n_features + 1`` with the intercept last (``n_features`` without).
    n_iter_ : ndarray of shape (n_folds, n_Cs)
        Solver iterations of every fit of the paths.
    classes_, coef_, intercept_, n_features_in_, feature_names_in_ :
        The fitted model's, as in :class:`SoftmaxRegression` (X's dtype).

    See Also
    --------
    SoftmaxRegression : The model, at a given ``C``.
    sklearn.linear_model.LogisticRegressionCV : The scikit-learn estimator this replaces
        (lbfgs / newton-cg, L2).

    Notes
    -----
    Compared with scikit-learn 1.9's ``LogisticRegressionCV(use_legacy_attributes=False)``, the
    arrays have no ``l1_ratios`` axis (``scores_`` is ``(n_folds, n_Cs)`` instead of ``(n_folds,
    1, n_Cs)``, likewise ``coefs_paths_`` and ``n_iter_``); ``C_`` is a float, as there. ``X``
    keeps its float32/float64 dtype (scikit-learn converts to float64).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skxent.linear_model import SoftmaxRegressionCV
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxRegressionCV(Cs=5, max_iter=1000).fit(X, y)
    >>> clf.scores_.shape
    (5, 5)
    >>> clf.C_ in clf.Cs_
    True
    """

    _parameter_constraints = {
        **{k: v for k, v in _COMMON_CONSTRAINTS.items() if k not in ("C", "warm_start")},
        "Cs": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "refit": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        Cs=10,
        *,
        cv=None,
        scoring=None,
        refit=True,
        fit_intercept=True,
        class_weight=None,
        label_smoothing=0.0,
        solver="lbfgs",
        tol=1e-4,
        max_iter=100,
        n_jobs=None,
        n_threads=None,
        verbose=0,
    ):
        self.Cs = Cs
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.n_threads = n_threads
        self.verbose = verbose

    def _grid(self):
        if isinstance(self.Cs, Integral):
            return np.logspace(-4, 4, self.Cs)
        Cs = np.asarray(self.Cs, dtype=np.float64).ravel()
        if Cs.size == 0 or not np.all(Cs > 0) or np.isnan(Cs).any():
            raise ValueError(f"Cs must be positive (np.inf allowed); got {self.Cs!r}.")
        return Cs

    def fit(self, X, y, sample_weight=None, groups=None):
        """Cross-validate the path over ``Cs``, then (``refit=True``) fit at the best ``C``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, or class probabilities (soft labels).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the training rows of every fold and of the refit; the held-out rows'
            weights are passed to the scorer.
        groups : array-like of shape (n_samples,), default=None
            Group labels for the splitter (``GroupKFold``, ``LeaveOneGroupOut``...).

        Returns
        -------
        self
        """
        self._validate_params()
        Cs = self._grid()
        X, y = self._validate_X_fit(X, y)
        sw = self._sample_weight(sample_weight, X)
        pb = self._problem(X, y, sw)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        self.classes_ = pb.classes
        cv = check_cv(self.cv, y, classifier=True)
        folds = [(_indices(tr, X.shape[0]), _indices(te, X.shape[0]))
                 for tr, te in cv.split(X, y, groups)]
        n_folds, n_cs = len(folds), len(Cs)
        nt = effective_n_threads(self.n_threads)
        if any(len(train) == 0 for train, _ in folds):
            raise ValueError("A cross-validation split has no training rows.")

        with threadpool_limits(limits=1, user_api="blas"):
            paths, n_iter, failures = self._paths(X, pb, folds, Cs, nt)
        if failures:
            f, j, msg = failures[0]
            warnings.warn(
                f"{len(failures)} of {n_folds * n_cs} fits of the cross-validation paths did "
                f"not converge (e.g. fold {f}, C={Cs[j]:.6g}): {msg}",
                ConvergenceWarning,
                stacklevel=2,
            )

        K_out = pb.n_outputs
        coefs = paths  # the model's coefficients, float64
        self.scores_ = self._score_paths(X, y, sw, folds, coefs, Cs)
        self.Cs_ = Cs
        self.coefs_paths_ = coefs.astype(X.dtype)
        self.n_iter_ = n_iter

        if self.refit:
            best = int(np.argmax(self.scores_.sum(axis=0)))
            self.C_ = float(Cs[best])
            init = coefs[:, best].mean(axis=0)
            est = SoftmaxRegression(
                C=self.C_, fit_intercept=self.fit_intercept, class_weight=self.class_weight,
                label_smoothing=self.label_smoothing, solver=self.solver, tol=self.tol,
                max_iter=self.max_iter, warm_start=True, n_threads=self.n_threads,
                verbose=max(0, self.verbose - 1),
            )
            est.coef_ = init[:, : X.shape[1]]
            est.intercept_ = init[:, -1] if self.fit_intercept else np.zeros(K_out)
            est.fit(X, y, sample_weight=sw)
            self.coef_, self.intercept_ = est.coef_, est.intercept_
        else:
            best = np.argmax(self.scores_, axis=1)
            self.C_ = float(np.mean(Cs[best]))
            w = np.mean([coefs[f, best[f]] for f in range(n_folds)], axis=0)
            self.coef_ = np.ascontiguousarray(w[:, : X.shape[1]], dtype=X.dtype)
            self.intercept_ = (w[:, -1] if self.fit_intercept else np.zeros(K_out)).astype(
                X.dtype)
        return self

    # -- the paths -----------------------------------------------------------------------------

    def _paths(self, X, pb, folds, Cs, nt):
        """Every fold's path over ``Cs``: ``(paths (n_folds, n_Cs, n_outputs, n_dof) float64
        in the model's sign, n_iter (n_folds, n_Cs) int32, failures [(fold, C index, msg)])``."""
        n_folds, n_cs = len(folds), len(Cs)
        K = pb.n_outputs
        n_dof = X.shape[1] + int(self.fit_intercept)
        paths = np.zeros((n_folds, n_cs, K, n_dof))
        n_iter = np.zeros((n_folds, n_cs), dtype=np.int32)
        failures = []
        common = dict(fit_intercept=self.fit_intercept, label_smoothing=self.label_smoothing,
                      C=1.0, n_threads=nt, **pb.loss_kwargs())

        def record(f, j, coef, it, failure):
            # paths hold the model's coefficients (flat, scikit-learn's F order); sign -1 is
            # the binomial model fitted with the classes swapped
            paths[f, j] = pb.sign * coef.reshape((K, n_dof), order="F")
            n_iter[f, j] = it
            if failure is not None:
                failures.append((f, j, failure))
            if self.verbose:
                print(f"fold {f}: C={Cs[j]:.6g}, {it} iteration(s)"
                      f"{'' if failure is None else ' (not converged)'}", flush=True)

        if self.solver == "newton-cg":
            for f, (train, _) in enumerate(folds):
                # the fold's rows, repeated as the splitter repeats them
                w = None if pb.sample_weight is None else pb.sample_weight[train]
                loss = FusedLinearLoss(X[train], pb.Y[train], sample_weight=w, **common)
                try:
                    coef = loss.init_zero_coef()
                    for j, C in enumerate(Cs):
                        loss.l2_reg_strength = 1.0 / (float(C) * loss.sw_sum)
                        coef, it, failure = run_solver(loss, coef, solver="newton-cg",
                                                       tol=self.tol, max_iter=self.max_iter)
                        record(f, j, coef, it, failure)
                finally:
                    loss.close()
            return paths, n_iter, sorted(failures)

        # lbfgs: groups of folds in lockstep on shared passes
        n = X.shape[0]
        test_of = _held_out_fold_of_rows(folds, n)
        if test_of is not None:
            # a partition: rows sorted by held-out fold (one copy of X), blocks aligned to the
            # folds, each fold skipping the blocks of its own held-out rows
            order = np.argsort(test_of, kind="stable")
            Xs, Ys, test_of = X[order], pb.Y[order], test_of[order]
            sws = None if pb.sample_weight is None else pb.sample_weight[order]
            group = max(1, min(n_folds, _MAX_WIDTH // K))
        else:
            Xs, Ys, sws = X, pb.Y, None
            group = max(1, min(n_folds, _MAX_WIDTH // K,
                               _FOLD_WEIGHT_BYTES // max(1, n * X.dtype.itemsize)))
        for g0 in range(0, n_folds, group):
            members = list(range(g0, min(n_folds, g0 + group)))
            rows = _group_block_rows(X, len(members) * K)
            if test_of is not None:
                bounds, block_test = _fold_aligned_blocks(test_of, rows or n)
                base = FusedLinearLoss(Xs, Ys, sample_weight=sws, block_bounds=bounds,
                                       **common)
                mass = base.sample_mass if sws is None else sws * base.sample_mass
                S = [float(mass @ (test_of != f)) for f in members]
                passes = _FoldPasses(base, members, block_test=block_test)
            else:
                # each fold's row weights: the number of times the splitter draws a row for
                # training (zero outside its training rows) times the sample weight
                weights = [np.bincount(folds[f][0], minlength=n).astype(X.dtype)
                           for f in members]
                if pb.sample_weight is not None:
                    weights = [w * pb.sample_weight for w in weights]
                base = FusedLinearLoss(Xs, Ys, sample_weight=None, block_rows=rows, fused=False,
                                       **common)
                S = [float(w @ base.sample_mass) for w in weights]
                passes = _FoldPasses(base, members, weights=weights)
            objs = [_FoldObjective(passes, g, base, S[g]) for g in range(len(members))]
            errors = []

            def run(g):
                f = members[g]
                try:
                    coef = objs[g].init_zero_coef()
                    for j, C in enumerate(Cs):
                        objs[g].set_C(C)
                        coef, it, failure = run_solver(objs[g], coef, solver="lbfgs",
                                                       tol=self.tol, max_iter=self.max_iter)
                        record(f, j, coef, it, failure)
                except BaseException as exc:  # noqa: BLE001 - re-raised below
                    errors.append(exc)
                finally:
                    passes.finish(g)

            threads = [threading.Thread(target=run, args=(g,), daemon=True)
                       for g in range(len(members))]
            try:
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            finally:
                base.close()
            if errors:
                # a failed pass is reported by every fold; the original error is its cause
                raise errors[0]
        return paths, n_iter, sorted(failures)

    # -- scores ----------------------------------------------------------------------------------

    def _score_paths(self, X, y, sw, folds, coefs, Cs):
        n_folds, n_cs, K, n_dof = coefs.shape
        d = X.shape[1]
        scores = np.empty((n_folds, n_cs))
        scorer = None if self.scoring is None else _fold_scorer(self.scoring, self.classes_)
        for f, (_, test) in enumerate(folds):
            Xt, yt = X[test], y[test]
            swt = None if sw is None else sw[test]
            if scorer is None:
                # one GEMM and one log-softmax for the whole path: (n_test, n_Cs, K)
                W = coefs[f, :, :, :d].reshape(n_cs * K, d).astype(X.dtype)
                Z = np.asarray(Xt @ W.T).reshape(len(test), n_cs, K)
                if self.fit_intercept:
                    Z = Z + coefs[f, :, :, -1].astype(X.dtype)
                scores[f] = self._neg_log_loss(yt, Z, swt)
                continue
            shell = SoftmaxRegression(fit_intercept=self.fit_intercept, n_threads=self.n_threads)
            shell.classes_ = self.classes_
            shell.n_features_in_ = d
            for j in range(n_cs):
                shell.C = float(Cs[j])
                shell.coef_ = coefs[f, j, :, :d].astype(X.dtype)
                shell.intercept_ = (coefs[f, j, :, -1] if self.fit_intercept
                                    else np.zeros(K)).astype(X.dtype)
                kw = {} if swt is None else {"sample_weight": swt}
                scores[f, j] = scorer(shell, Xt, yt, **kw)
        return scores

    def _neg_log_loss(self, y, Z, sample_weight):
        """Negative log loss of logits ``Z`` of shape ``(n, K)`` or ``(n, n_models, K)`` (one
        score per model), from the logits (stable, no clipping), weighted mean over samples.
        Class labels: ``scikit-learn``'s ``log_loss``; soft labels: the cross-entropy of each
        row's probabilities (of its second column's binomial model for two classes)."""
        Z = np.asarray(Z)
        if Z.ndim == 1:  # the binomial model's decision function
            Z = Z[:, None]
        one = Z.ndim == 2
        if one:
            Z = Z[:, None, :]
        if Z.shape[2] == 1:  # the binomial model's logit z is [0, z]
            Z = np.concatenate([np.zeros_like(Z), Z], axis=2)
        n, m, K = Z.shape
        logp = _special.log_softmax(np.ascontiguousarray(Z).reshape(n * m, K),
                                    n_threads=self.n_threads).reshape(n, m, K)
        if np.ndim(y) == 1:
            idx = np.searchsorted(self.classes_, y)
            if (idx >= len(self.classes_)).any() or not np.array_equal(self.classes_[idx], y):
                raise ValueError("y contains labels not seen during fit.")
            ll = logp[np.arange(n), :, idx]  # (n, m)
        else:
            Y = np.asarray(y, dtype=logp.dtype)
            if Y.shape[1] == 2 and K == 2:
                Y = np.column_stack([1 - Y[:, 1], Y[:, 1]])
            ll = np.einsum("imk,ik->im", logp, Y)
        out = np.average(ll.astype(np.float64), axis=0, weights=sample_weight)
        return float(out[0]) if one else out

    def score(self, X, y, sample_weight=None):
        """The cross-validation's score of the fitted model on ``(X, y)``: with ``scoring=None``
        the negative log loss (from the logits), otherwise the scorer's value."""
        check_is_fitted(self)
        if self.scoring is None:
            return self._neg_log_loss(np.asarray(y) if np.ndim(y) == 1 else y,
                                      self.decision_function(X), sample_weight)
        kw = {} if sample_weight is None else {"sample_weight": sample_weight}
        return get_scorer(self.scoring)(self, X, y, **kw)
