"""Fitting and predicting with skxent's linear models on dask arrays.

Design note
-----------
The objective of a linear model is a sum over samples plus a penalty (``_linear_loss.py``), so
on a dask array each evaluation is: for every chunk, where the chunk lives, the in-memory fused
pass (``FusedLinearLoss._sums``: ``X_b @ W.T``, the kernel, ``G.T @ X_b``) returns the chunk's
loss sum and gradient sums, ``(n_outputs, n_features)`` and ``(n_outputs,)`` floats; those small
results are added in a fixed tree (fan-in 8, in chunk order) and the client divides by ``S`` and
adds the penalty exactly as in memory (:class:`~._linear_loss._LinearObjective`). SciPy's
optimizer runs on the client on the coefficient vector, which reaches each worker once per
evaluation as one small task. Because the tree is fixed, a dask fit is deterministic: the same
data and chunking give the same iterates whichever worker computes which chunk, or whether a
worker was lost and its chunks recomputed.

``X`` (converted to float32/float64 as in memory), the encoded targets and the weights are
persisted once per fit, before the checks, so that the validation pass and every evaluation read
them from worker memory instead of recomputing them from their graph. If a worker dies, the
scheduler recomputes its chunks from that graph (dask.distributed's usual recovery) or, after
``distributed.scheduler.allowed-failures`` losses, raises ``KilledWorker``: a fit either
completes with the same model or raises, it never mixes partial sums.

The checks are the in-memory ones, computed from per-chunk facts in one pass (finiteness of
``X``, the unique labels (per-chunk ``np.unique``), the range of soft targets, the sign and finiteness
of the weights), and they raise the in-memory messages. Class weights ``"balanced"`` and
``pos_weight="balanced"`` come from weighted class counts summed over chunks.

Newton-CG's Hessian-vector products recompute the logits of each chunk at the stored point (one
more ``X_b @ W.T`` per product instead of keeping ``(n_samples, n_outputs)`` probabilities on the
workers between calls).

Kernels and BLAS inside a chunk task use one thread unless ``n_threads`` is set: the chunk
tasks are the parallelism (dask.distributed starts its workers with ``OMP_NUM_THREADS=1`` and
``OPENBLAS_NUM_THREADS=1``; the local threaded scheduler runs under the solver's
``threadpool_limits(1, "blas")``).
"""

import math
import warnings
from functools import partial

import numpy as np
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from .. import _dask
from .._engine import BINARY, CATEGORICAL, balanced_pos_weight, balanced_weights
from ._base import (
    _balanced_pos_weight_per_label,
    _binary_sample_weight,
    _binary_weight_plan,
    _check_no_nan_1d,
    _check_observed_labels,
    _check_two_classes,
)
from ._linear_loss import FusedLinearLoss, _LinearObjective

_FAN_IN = 8


# -- chunk tasks (run on the workers) ---------------------------------------------------------


def _local(Xb, yb, swb, spec):
    # X was realigned before it was persisted (_prepare); a chunk the scheduler later moves to
    # another worker arrives deserialized again, so the (free) address check stays here
    Xb = _dask.aligned(Xb)
    spec = dict(spec)
    # missing labels: the chunk's mask of observed targets, from its NaN
    where = ~np.isnan(yb) if spec.pop("masked", False) else None
    return FusedLinearLoss(Xb, yb, sample_weight=swb, require_weight=False, where=where,
                           **spec)


def _chunk_weight_sum(Xb, yb, swb, spec):
    return _local(Xb, yb, swb, spec).sw_sum


def _chunk_sums(Xb, yb, swb, spec, coef, per_output):
    loc = _local(Xb, yb, swb, spec)
    try:
        return loc._sums(coef, False, per_output)
    finally:
        loc.close()


def _chunk_hess_sums(Xb, yb, swb, spec, coef, v):
    loc = _local(Xb, yb, swb, spec)
    try:
        loc._sums(coef, True, False)
        return loc._hess_sums(v)
    finally:
        loc.close()


def _add(*parts):
    """Elementwise sum of tuples of floats/arrays, in the order given."""
    out = parts[0]
    for p in parts[1:]:
        out = tuple(a + b for a, b in zip(out, p))
    return out


def _tree_sum(dask, parts):
    while len(parts) > 1:
        parts = [
            dask.delayed(_add, pure=True)(*parts[i : i + _FAN_IN])
            for i in range(0, len(parts), _FAN_IN)
        ]
    return parts[0]


class DaskLinearLoss(_LinearObjective):
    """The objective of ``FusedLinearLoss`` over the chunks of dask arrays.

    Parameters
    ----------
    X : dask array of shape (n_samples, n_features)
        float32/float64, chunked along rows only, persisted.
    y : dask array
        Targets in the form ``FusedLinearLoss`` takes, with ``X``'s row chunks, persisted.
    sample_weight : dask array of shape (n_samples,) or None
    n_threads : int
        Kernel threads inside one chunk task.
    Other parameters : as :class:`FusedLinearLoss`.
    """

    def __init__(self, X, y, *, family, n_outputs, fit_intercept, sample_weight=None,
                 class_weight=None, pos_weight=None, label_smoothing=0.0, C=1.0, n_threads=1,
                 mass_sum=False, masked=False):
        self._dask, _ = _dask._modules()
        self._set_layout(X, family, n_outputs, fit_intercept)
        self._spec = dict(
            family=family, n_outputs=self.n_outputs, fit_intercept=self.fit_intercept,
            class_weight=class_weight, pos_weight=pos_weight,
            label_smoothing=float(label_smoothing), C=1.0, n_threads=int(n_threads),
            mass_sum=bool(mass_sum),
        )
        if masked:  # NaN targets are out of the objective (FusedLinearLoss's ``where``)
            self._spec["masked"] = True
        self._parts = [b for _, _, b in _dask.nonempty_blocks(X.chunks[0], X, y, sample_weight)]
        sums = self._dask.compute(
            *[self._dask.delayed(_chunk_weight_sum, pure=True)(*p, self._spec)
              for p in self._parts])
        if masked:  # one S_j per output, each summed exactly in chunk order
            self.sw_sum = np.array([math.fsum(col) for col in zip(*sums)], dtype=np.float64)
        else:
            self.sw_sum = math.fsum(sums)
        if not np.all(self.sw_sum > 0):
            raise ValueError(
                "The sum of the sample weights (times class weights) is zero; there is "
                "nothing to fit."
            )
        self.l2_reg_strength = 1.0 / (float(C) * self.sw_sum)

    def _sums(self, coef, store_hessian=False, per_output=False):
        d = self._dask
        c = d.delayed(np.array(coef, dtype=np.float64), pure=True)
        total = _tree_sum(d, [d.delayed(_chunk_sums, pure=True)(*p, self._spec, c, per_output)
                              for p in self._parts])
        return d.compute(total)[0]

    def _hess_sums(self, v):
        d = self._dask
        c = d.delayed(np.array(self._hess_coef, dtype=np.float64), pure=True)
        vv = d.delayed(np.array(v, dtype=np.float64), pure=True)
        total = _tree_sum(d, [d.delayed(_chunk_hess_sums, pure=True)(*p, self._spec, c, vv)
                              for p in self._parts])
        return d.compute(total)[0]


# -- fit ---------------------------------------------------------------------------------------


def _encode_block(yb, classes):
    return np.searchsorted(classes, yb).astype(np.int64)


def _positive_block(yb, positive, dtype):
    return (yb == positive).astype(dtype).reshape(-1, 1)


def _prepare(est, X, y, sample_weight):
    """Align, convert and persist ``X``, ``y``, ``sample_weight``; run the in-memory checks on
    per-chunk facts. Returns ``X, y, sw, facts`` (dask arrays; ``facts`` a dict)."""
    dask, da = _dask._modules()
    arrs, rows = _dask.align_rows({"X": X, "y": y, "sample_weight": sample_weight})
    X, y, sw = arrs["X"], arrs["y"], arrs["sample_weight"]
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-dimensional X (n_samples, n_features), got a dask array of shape "
            f"{X.shape}.")
    if X.dtype.kind not in "biuf":
        check_array(np.zeros((1, 1), dtype=X.dtype), input_name="X", estimator=est)
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    n, d = X.shape
    if n == 0 or d == 0:
        check_array(np.zeros((n, d), dtype=dtype), input_name="X", estimator=est)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the "
            "shape of y to (n_samples, ), for example using ravel().",
            DataConversionWarning, stacklevel=3)
        y = y[:, 0]
    if y.ndim not in (1, 2):
        raise ValueError(f"y: expected a 1-D or 2-D dask array, got shape {y.shape}")
    if sw is not None:
        if sw.ndim != 1:
            _check_sample_weight(np.zeros(sw.shape), np.zeros((n, d)))
        sw = sw.astype(dtype)
    # aligned once here, so the evaluations do not copy chunks (see _dask.aligned)
    X = X.astype(dtype).map_blocks(_dask.aligned, dtype=dtype)
    X, y, sw = dask.persist(X, y, sw)

    facts = _combine_facts(dask.compute(
        *[dask.delayed(_chunk_facts, pure=True)(*b)
          for _, _, b in _dask.nonempty_blocks(rows, X, y, sw)]))
    if facts["nan"] or facts["inf"]:
        bad = np.nan if facts["nan"] else np.inf
        check_array(np.array([[bad]], dtype=dtype), input_name="X", estimator=est)
    if sw is not None:
        _check_sample_weight(np.array([facts["sw_min"]]), np.zeros((1, 1)),
                             ensure_non_negative=True)

    est.n_features_in_ = d
    if hasattr(est, "feature_names_in_"):
        del est.feature_names_in_
    return X, y, sw, facts


def _chunk_facts(Xb, yb, swb):
    """What the in-memory checks need from one chunk (dask's own reductions mishandle empty
    chunks, so the facts are gathered per chunk and combined on the client)."""
    f = {"nan": bool(np.isnan(Xb).any()), "inf": bool(np.isinf(Xb).any())}
    if swb is not None:
        f["sw_min"] = float(swb.min())
    if yb.ndim == 1:
        f["classes"] = np.unique(yb)
    else:
        f["y_min"], f["y_max"] = float(yb.min()), float(yb.max())
        if yb.dtype.kind == "f":
            # per label, NaN (missing labels) left out: observed count, smallest, largest
            obs = ~np.isnan(yb)
            f["y_nobs"] = obs.sum(axis=0)
            f["y_lo"], f["y_hi"] = np.fmin.reduce(yb, axis=0), np.fmax.reduce(yb, axis=0)
    return f


def _combine_facts(parts):
    out = {"nan": any(p["nan"] for p in parts), "inf": any(p["inf"] for p in parts)}
    if "sw_min" in parts[0]:
        out["sw_min"] = np.min([p["sw_min"] for p in parts])
    if "classes" in parts[0]:
        out["classes"] = np.unique(np.concatenate([p["classes"] for p in parts]))
    else:
        out["y_min"] = np.min([p["y_min"] for p in parts])
        out["y_max"] = np.max([p["y_max"] for p in parts])
        if "y_nobs" in parts[0]:
            out["y_nobs"] = np.sum([p["y_nobs"] for p in parts], axis=0)
            out["y_lo"] = np.fmin.reduce([p["y_lo"] for p in parts], axis=0)
            out["y_hi"] = np.fmax.reduce([p["y_hi"] for p in parts], axis=0)
    return out


def _chunk_counts(Yb, swb, K):
    """Weighted class (label) counts of one chunk and its weight sum, float64."""
    w = np.ones(Yb.shape[0]) if swb is None else np.asarray(swb, dtype=np.float64)
    if Yb.ndim == 1:
        counts = np.bincount(Yb, weights=w, minlength=K).astype(np.float64)
    else:
        counts = w @ np.asarray(Yb, dtype=np.float64)
    return counts, math.fsum(w)


def _weighted_counts(Y, sw, K):
    """Weighted class (label) counts and the total weight, summed over the chunks."""
    dask, _ = _dask._modules()
    parts = dask.compute(*[dask.delayed(_chunk_counts, pure=True)(*b, K)
                           for _, _, b in _dask.nonempty_blocks(Y.chunks[0], Y, sw)])
    return np.sum([p[0] for p in parts], axis=0), math.fsum(p[1] for p in parts)


def _first_outside_unit(Y, name, allow_nan=False):
    """Position and value of the first target outside [0, 1] (only on the error path)."""
    _, da = _dask._modules()
    bad = (Y < 0) | (Y > 1)
    if not allow_nan:
        bad = bad | da.isnan(Y)
    # (argwhere's result has unknown chunks: computed before indexing)
    i, k = (int(v) for v in da.argwhere(bad).compute()[0])
    return f"{name}[{i}, {k}] = {Y[i, k].compute()!r}"


def _chunk_observed(Yb, swb):
    """Per label: the weight of the observed (non-NaN) targets and of their positive part."""
    w = np.ones(Yb.shape[0]) if swb is None else np.asarray(swb, dtype=np.float64)
    Y = np.asarray(Yb, dtype=np.float64)
    obs = ~np.isnan(Y)
    return w @ obs, w @ np.where(obs, Y, 0.0)


def _observed_weights(Y, sw):
    """``_chunk_observed`` summed over the chunks (in chunk order)."""
    dask, _ = _dask._modules()
    parts = dask.compute(*[dask.delayed(_chunk_observed, pure=True)(*b)
                           for _, _, b in _dask.nonempty_blocks(Y.chunks[0], Y, sw)])
    return (np.array([math.fsum(c) for c in zip(*[p[0] for p in parts])]),
            np.array([math.fsum(c) for c in zip(*[p[1] for p in parts])]))


def _classes(facts, no_nan=None):
    """The classes of a 1-D target from its unique labels, with the in-memory checks
    (``no_nan``: the in-memory check of NaN labels, raising its message)."""
    classes = np.unique(facts["classes"])
    if no_nan is not None:
        no_nan(classes)
    check_classification_targets(classes)
    _check_two_classes(classes)
    return classes


def fit_softmax(est, X, y, sample_weight):
    """``SoftmaxRegression.fit`` on dask arrays (see the module note). Two classes are the
    binomial model, as in memory (``_softmax._Problem``)."""
    from sklearn.utils.class_weight import compute_class_weight


    dask, _ = _dask._modules()
    X, y, sw, facts = _prepare(est, X, y, sample_weight)
    if y.ndim == 1:
        classes = _classes(facts)
        Y = y.map_blocks(_encode_block, classes, dtype=np.int64)
        K = classes.shape[0]
        cw = None
        if est.class_weight is not None:
            if isinstance(est.class_weight, str):  # "balanced", from weighted class counts
                counts, _ = _weighted_counts(Y, sw, K)
                cw = balanced_weights(counts, counts.sum())
            else:
                cw = compute_class_weight(est.class_weight, classes=classes, y=classes)
    else:
        if not (facts["y_min"] >= 0 and facts["y_max"] <= 1):
            raise ValueError(
                "Soft labels y (class probabilities) must be in [0, 1]; got "
                f"{_first_outside_unit(y, 'y')}."
            )
        Y = y.astype(X.dtype)
        K = y.shape[1]
        classes = np.arange(K)
        cw = None
        if est.class_weight is not None:
            if isinstance(est.class_weight, str):
                counts, wsum = _weighted_counts(Y, sw, K)
                cw = balanced_weights(counts, wsum)
            else:
                cw = est._soft_class_weight(np.zeros((0, K)), None)
    est.classes_ = classes
    family, n_outputs, pw, sign = CATEGORICAL, K, None, 1.0
    if K == 2:  # the binomial model on the probability (indicator) of classes_[1]
        hard = y.ndim == 1
        if hard:
            Y = Y.map_blocks(_positive_block, 1, X.dtype, dtype=X.dtype,
                             chunks=(Y.chunks[0], (1,)), new_axis=1)
        else:
            Y = Y[:, 1:]
        plan = _binary_weight_plan(cw, est.label_smoothing, hard)
        if plan is not None:
            w_neg, w_pos, pw, flip = plan
            if flip:
                Y, sign = 1 - Y, -1.0
            sw = _binary_sample_weight(Y, sw, w_neg, w_pos, X.dtype)
            pw = None if pw is None else np.array([pw], dtype=X.dtype)
        family, n_outputs, cw = BINARY, 1, None
    Y, sw = dask.persist(Y, sw)
    if cw is not None:
        cw = np.asarray(cw, dtype=X.dtype)
    loss = DaskLinearLoss(
        X, Y, family=family, n_outputs=n_outputs, fit_intercept=est.fit_intercept,
        sample_weight=sw, class_weight=cw, pos_weight=pw, label_smoothing=est.label_smoothing,
        C=est.C, n_threads=1 if est.n_threads is None else est.n_threads,
        mass_sum=n_outputs == 1,
    )
    return est._fit_objective(loss, sign=sign)


def fit_multilabel(est, X, y, sample_weight):
    """``MultiLabelLogistic.fit`` on dask arrays (see the module note)."""
    dask, _ = _dask._modules()
    X, Y, sw, facts = _prepare(est, X, y, sample_weight)
    masked = False
    if Y.ndim == 1:
        classes = _classes(facts, no_nan=_check_no_nan_1d)
        y_type = type_of_target(classes, input_name="y")
        if y_type != "binary":
            raise ValueError(
                "Only binary classification is supported. The type of the target is "
                f"{y_type}. For a multi-label problem pass Y as an (n_samples, n_labels) "
                "indicator matrix; for multiclass use SoftmaxRegression."
            )
        est._is_1d = True
        est.classes_ = classes
        Yf = Y.map_blocks(_positive_block, classes[1], X.dtype, dtype=X.dtype,
                          chunks=(Y.chunks[0], (1,)), new_axis=1)
    else:
        est._is_1d = False
        est._y_dtype = Y.dtype
        # NaN targets are missing labels (as in memory): the range is checked on the others
        masked = "y_nobs" in facts and bool(np.any(facts["y_nobs"] < Y.shape[0]))
        lo, hi = ((np.fmin.reduce(facts["y_lo"]), np.fmax.reduce(facts["y_hi"])) if masked
                  else (facts["y_min"], facts["y_max"]))
        if lo < 0 or hi > 1 or (not masked and not (lo >= 0 and hi <= 1)):
            raise ValueError(
                "Y values must be in [0, 1] (indicators or soft targets); got "
                f"{_first_outside_unit(Y, 'Y', allow_nan=masked)}."
            )
        est.classes_ = np.arange(Y.shape[1])
        Yf = Y.astype(X.dtype)
    (Yf,) = dask.persist(Yf)
    L = Yf.shape[1]
    if masked:
        w_obs, w_pos = _observed_weights(Yf, sw)
        _check_observed_labels(n_observed=facts["y_nobs"], weight=w_obs, lo=facts["y_lo"],
                               hi=facts["y_hi"])
    if isinstance(est.pos_weight, str):  # "balanced", from weighted label counts
        if masked:  # each label's observed rows only
            est.pos_weight_ = _balanced_pos_weight_per_label(w_pos, w_obs)
        else:
            n_pos, wsum = _weighted_counts(Yf, sw, L)
            est.pos_weight_ = balanced_pos_weight(n_pos, wsum)
    else:
        est.pos_weight_ = est._resolve_pos_weight(np.zeros((0, L)), None, L)
    pw = None if est.pos_weight_ is None else est.pos_weight_.astype(X.dtype)
    loss = DaskLinearLoss(
        X, Yf, family=est._family, n_outputs=L, fit_intercept=est.fit_intercept,
        sample_weight=sw, pos_weight=pw, label_smoothing=est.label_smoothing, C=est.C,
        n_threads=1 if est.n_threads is None else est.n_threads, masked=masked,
    )
    return est._fit_objective(loss)


# -- predict -----------------------------------------------------------------------------------


def _predict_block(est, method, tail, dtype, Xb):
    if Xb.shape[0] == 0:
        return np.empty((0,) + tail, dtype=dtype)
    return getattr(est, method)(Xb)


def map_blocks(est, method, X):
    """``est.<method>(X)`` on every row chunk of a dask ``X``: a lazy dask array."""
    check_is_fitted(est)
    arrs, rows = _dask.align_rows({"X": X})
    X = arrs["X"]
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-dimensional X (n_samples, n_features), got a dask array of shape "
            f"{X.shape}.")
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    # one row through the in-memory method: its checks (feature count) and its output's type
    probe = np.asarray(getattr(est, method)(np.zeros((1, X.shape[1]), dtype=dtype)))
    fn = partial(_predict_block, est, method, probe.shape[1:], probe.dtype)
    if probe.ndim == 1:
        return X.map_blocks(fn, dtype=probe.dtype, chunks=(rows,), drop_axis=1)
    return X.map_blocks(fn, dtype=probe.dtype, chunks=(rows, (probe.shape[1],)))
