"""The loss-family engine: one object per cross-entropy family, a registry, the reductions.

Design note
-----------
Everything that computes a cross-entropy (the public losses, the metrics, the estimators'
objective, sampled softmax and NCE, the Dask backend) goes through a *family object* and never
branches on a family's name. A family knows

* how to validate and prepare its arguments (:meth:`LossFamily.prepare` returns a
  :class:`Prepared`: the validated ``y_pred``, the keyword arguments of its C kernel, the thread
  count, the number of probability rows that do not sum to one);
* how to run its kernel (:meth:`LossFamily.run`): the loss sum and the three denominators of the
  reductions, and, as asked, the per-sample terms, the gradient, the Hessian data an objective
  needs (:meth:`LossFamily.hessian_buffers`, :meth:`LossFamily.apply_hessian`) and the diagonal
  of the Hessian with respect to the logits (:meth:`LossFamily.diagonal_hessian_buffers`,
  ``return_hess``: a boosting library's custom objective), all from the same pass of the
  kernel;
* the denominators alone (:meth:`LossFamily.denominators`), which a reduced loss's gradient
  needs before the pass that writes it;
* which of its keyword options are arrays laid out like ``y_pred`` (``row_options``: the binary
  ``where``), so that the Dask backend cuts them to the row chunks without knowing the family.

Options shared by every family (``focal_gamma``, ``return_hess``) are keywords of every
family's ``prepare`` and kernel; options of one family (``where``, ``pos_weight``,
``ignore_index``...) are that family's alone.

Its C side is one point function per formula (``_kernels.h``) behind a binding with named
arguments (``_core.pyx``). This is scikit-learn's ``sklearn/_loss/loss.py`` composition (a
``BaseLoss`` per loss, a ``_LOSSES`` registry), with the C kernel doing the link inside.

Adding a family means: its C point functions and binding, a subclass here with its entry in
:data:`FAMILIES`, and its tests (``tests/test_families.py`` runs the generic dtype, layout,
read-only, ``n_threads``, finite-difference and reduction tests over every registered family).

Reductions (the API's conventions; ``t`` the weighted terms, ``w`` the per-term weights)::

    "none": t;  "sum": sum(t);  "mean": sum(t) / sum(w);
    "sum_over_batch_size": sum(t) / number of terms;  "sum_by_nonzero_weights": sum(t) / nnz(w)

A reduction whose denominator is 0 (an empty input, all weights 0, every sample ignored, a zero
total class weight) gives loss 0 and a gradient of exactly 0, never NaN or inf: TensorFlow's and
Keras's ``divide_no_nan``, for every reduction. (PyTorch returns NaN for ``"mean"`` there, which
poisons a training loop.)

Layer: imports the kernels (``_core``), the argument conventions (``_validation``) and the
thread resolution (``_config``) only.
"""

import math
import numbers
import warnings
from collections import namedtuple

import numpy as np

from . import _core
from ._config import effective_n_threads
from ._validation import (
    REDUCTIONS,
    _check_int_labels,
    as_float_array,
    check_axis,
    check_bool,
    check_elementwise_weights,
    check_focal_gamma,
    check_ignore_index,
    check_int_labels,
    check_range,
    check_reduction,
    check_smoothing,
    check_weights,
    check_where,
    resolve_eps,
)

__all__ = [
    "Sums",
    "Prepared",
    "LossFamily",
    "CategoricalFamily",
    "BinaryFamily",
    "KLDivergenceFamily",
    "CATEGORICAL",
    "BINARY",
    "KL",
    "FAMILIES",
    "REDUCTIONS",
    "divide",
    "reduce",
    "loss",
    "balanced_weights",
    "row_tolerance",
    "warn_rows_off",
]

#: The results of one kernel pass: the sum of the weighted terms and the three denominators.
Sums = namedtuple("Sums", ["loss", "wsum", "nnz", "nterms"])


class Prepared:
    """The validated arguments of one kernel pass (see :meth:`LossFamily.prepare`).

    Attributes
    ----------
    x : ndarray
        The validated ``y_pred`` (float32 or float64, the caller's memory whenever possible).
    kernel_args : dict
        Keyword arguments of the family's ``_core`` binding, without the outputs (only those
        that differ from the binding's defaults: keyword parsing is a real share of a small
        call).
    n_threads : int
    nbad : int
        Rows of probabilities that do not sum to one (categorical, ``from_logits=False``).
    sums : Sums or None
        Denominators known without a kernel pass (binary family), else None.
    axis : int or None
        The class axis of the caller's ``y_pred`` when ``x`` is that array with the axis moved
        last (a view: N-D input, or a 2-D input with ``axis=0``); None when ``x`` is ``y_pred``
        as given. Outputs of ``y_pred``'s shape are then allocated in its layout and the
        kernel writes them through the same moved view.
    """

    __slots__ = ("x", "kernel_args", "n_threads", "nbad", "sums", "axis")

    def __init__(self, x, kernel_args, n_threads, nbad=0, sums=None, axis=None):
        self.x = x
        self.kernel_args = kernel_args
        self.n_threads = n_threads
        self.nbad = nbad
        self.sums = sums
        self.axis = axis


# -- reductions ------------------------------------------------------------------------------


def divide(num, den, *, no_nan):
    """num / den with IEEE semantics (0/0 = nan, x/0 = +-inf), or 0 where den == 0 if no_nan.

    Plain float arithmetic: np.errstate costs microseconds, a real share of a small call.
    """
    num, den = float(num), float(den)
    if den != 0.0:
        return num / den
    if no_nan or num != num or num == 0.0:
        return 0.0 if no_nan else math.nan
    return math.copysign(math.inf, num)


_DENOMINATOR = {"mean": 1, "sum_over_batch_size": 3, "sum_by_nonzero_weights": 2}


def reduce(reduction, sums):
    """``(reduced loss, gradient scale)`` of a reduction, from a pass's :class:`Sums`.

    The gradient scale is ``d reduced / d sum(t)``: the factor the kernel multiplies the
    gradient by. A zero denominator gives ``(0, 0)`` (see the module note).
    """
    if reduction == "sum" or reduction == "none":
        return sums.loss, 1.0
    den = sums[_DENOMINATOR[reduction]]
    return divide(sums.loss, den, no_nan=True), divide(1.0, den, no_nan=True)


def row_tolerance(clip_lo, dtype):
    """How far a row of probabilities may sum from 1 before it is warned about."""
    return math.sqrt(max(clip_lo, float(np.finfo(dtype).eps)))


def warn_rows_off(nbad, n, tol, stacklevel):
    """The warning for ``nbad`` probability rows (of ``n``) that do not sum to one."""
    warnings.warn(
        f"y_pred: {nbad} of {n} rows of probabilities do not sum to 1 "
        f"(tolerance {tol:.3g}); they are used as given, not renormalised. "
        "Pass from_logits=True if these are raw scores.",
        UserWarning, stacklevel=stacklevel + 1)


def balanced_weights(counts, total):
    """scikit-learn's "balanced" weights from (weighted) counts: ``total / (n * counts)``.

    Used for class weights (``counts`` the weighted class counts, ``total`` their sum) by the
    estimators in memory and on Dask chunks alike. A class with no mass gets weight 1 (its
    weight multiplies nothing).
    """
    counts = np.asarray(counts, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = float(total) / (counts.shape[0] * counts)
    w[~np.isfinite(w)] = 1.0
    return w


def balanced_pos_weight(n_pos, total):
    """``n_negative / n_positive`` per label from weighted positive counts and the total weight;
    1 for a label with no positive or no negative mass."""
    n_pos = np.asarray(n_pos, dtype=np.float64)
    n_neg = float(total) - n_pos
    pw = np.ones(n_pos.shape[0])
    ok = (n_pos > 0) & (n_neg > 0)
    pw[ok] = n_neg[ok] / n_pos[ok]
    return pw


# -- the families ----------------------------------------------------------------------------


class LossFamily:
    """A cross-entropy family: argument preparation, its kernel, its Hessian data.

    Subclasses set the class attributes and implement :meth:`prepare`, :meth:`_kernel` and the
    Hessian methods.

    Attributes
    ----------
    name : str
        Registry key.
    min_pred_ndim : int
        The fewest dimensions ``y_pred`` may have (more are N-D samples: the class axis
        ``axis`` for the row-wise families, elementwise for the binary one).
    separable_outputs : bool
        The outputs (columns) of ``y_pred`` are independent problems (each its own loss), so
        a per-output objective exists.
    integer_labels : bool
        ``y_true`` may hold integer class indices (one per row).
    distribution_labels : bool
        ``y_true`` may hold rows of class probabilities of ``y_pred``'s shape.
    smoothing : bool
        The family takes ``label_smoothing``.
    row_options : tuple of str
        Keyword options that are arrays laid out like ``y_pred`` (indexed by its first axis
        when they have its number of rows and dimensions; otherwise broadcast over the
        rows): the Dask backend cuts them to ``y_pred``'s row chunks.
    """

    name = None
    min_pred_ndim = 2
    separable_outputs = False
    integer_labels = False
    #: The kernel of the linear models' fused C pass for this family (``skxent._fused``), or
    #: None when the family has none (the objective then uses the BLAS path).
    fused_kernel = None
    distribution_labels = False
    smoothing = True
    row_options = ()

    def __repr__(self):
        return f"<skxent loss family {self.name!r}>"

    def __reduce__(self):  # the registry's instance after unpickling (dask ships families)
        return (_family_by_name, (self.name,))

    # -- to implement ----------------------------------------------------------------------

    def check_options(self, *, from_logits, dtype, n_outputs, eps="auto", label_smoothing=0.0,
                      focal_gamma=0.0, pred_shape=None, **options):
        """The checks of the non-array arguments, in the order :meth:`prepare` makes them
        (the Dask backend runs them once on the client; ``pred_shape`` the whole
        ``y_pred``'s shape, for options that must broadcast to it)."""
        raise NotImplementedError

    def prepare(self, y_true, y_pred, *, from_logits, sample_weight=None, n_threads=None,
                validate=True, warn=True, **options):
        """Validate the arguments; return a :class:`Prepared`.

        ``validate=False`` skips the O(n K) value scans already done by the caller;
        ``warn=False`` counts probability rows not summing to one without warning.
        """
        raise NotImplementedError

    def loss_shape(self, pred_shape, axis=-1):
        """Shape of the per-term losses (``reduction="none"``) for ``y_pred`` of this shape
        (``axis``: the class axis of the row-wise families; the binary family ignores it)."""
        raise NotImplementedError

    def check_label_shape(self, label_shape, pred_shape, axis=-1):
        """Raise the in-memory error for labels whose shape cannot go with ``y_pred``'s."""
        raise NotImplementedError

    def hessian_buffers(self, prep):
        """Output buffers (kernel keyword -> array) for the Hessian data of :meth:`run`."""
        raise NotImplementedError

    def sample_curvature(self, y_true, n_outputs, *, sample_weight=None, dtype=np.float64,
                         **options):
        """Each sample's curvature ``a_i`` (the scale of its Hessian with respect to its
        logits), as the kernel writes it, or None for a family whose Hessian is elementwise."""
        return None

    def sample_mass(self, y_true, n_outputs, **options):
        """Each sample's weight per output per unit of sample weight, float64 ``(n_samples,)``:
        the API's ``w_i / sample_weight_i`` (labels before smoothing), divided among the outputs.
        """
        raise NotImplementedError

    def diagonal_hessian_buffers(self, prep):
        """The output buffer (kernel keyword -> array) for the diagonal of the Hessian of each
        term with respect to its logits: an array of ``y_pred``'s shape (logits only)."""
        return {"hess_out": np.empty(prep.x.shape, dtype=prep.x.dtype)}

    def total_weight(self, y_true, n_outputs, *, sample_weight=None, **options):
        """``S``: the total weight of one output, the normaliser of a linear model's objective
        (the kernel's ``"mean"`` denominator divided among the outputs)."""
        mass = self.sample_mass(y_true, n_outputs, **options)
        if sample_weight is None:
            return float(mass.sum())
        return float(np.asarray(sample_weight, dtype=np.float64) @ mass)

    def apply_hessian(self, data, U):
        """``U <- H U`` row by row, in place: ``H`` the per-sample Hessians with respect to
        the logits described by ``data`` (the buffers of :meth:`hessian_buffers` after
        :meth:`run`), ``U`` ``(n, n_outputs)`` directions."""
        raise NotImplementedError

    def _kernel(self, x, **kwargs):
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------

    def run(self, prep, *, loss_out=None, grad_out=None, scale=1.0, **hessian):
        """One pass of the kernel; returns :class:`Sums` and fills the given buffers.

        ``loss_out``: per-term losses; ``grad_out``: the gradient times ``scale`` (may be
        ``prep.x`` itself); ``hessian``: the buffers of :meth:`hessian_buffers`.
        """
        kw = prep.kernel_args
        if loss_out is not None or grad_out is not None or hessian:
            kw = dict(kw, loss_out=loss_out, grad_out=grad_out, grad_scale=scale, **hessian)
        return self._kernel(prep.x, n_threads=prep.n_threads, **kw)

    def denominators(self, prep):
        """The reductions' denominators (``Sums`` with loss 0), before any gradient pass."""
        return self._kernel(prep.x, n_threads=prep.n_threads, weights_only=True,
                            **prep.kernel_args)


def _clip(from_logits, eps, dtype, clip_max):
    """The probability clipping range ``[eps, clip_max]`` (``from_logits``: none)."""
    if from_logits:
        return 0.0, 1.0
    lo = resolve_eps(eps, dtype)
    return lo, clip_max(lo)


def _class_last(x, axis):
    """``(xm, ax)``: ``y_pred`` with its class axis ``axis`` moved last (``np.moveaxis``: a
    view, never a copy) and that axis as a non-negative int; ``(x, None)`` for the 2-D
    ``axis=-1`` fast path (the caller's array as it is)."""
    if x.ndim == 2 and (axis == -1 or axis == 1) and axis.__class__ is int:
        return x, None
    if x.ndim < 2:
        raise ValueError(
            f"y_pred: expected a 2-D array (samples, classes) or one of more dimensions, got "
            f"shape {x.shape}")
    ax = check_axis(axis, x.ndim, x.shape)
    return np.moveaxis(x, ax, -1), ax


def _without(shape, ax):
    return tuple(d for j, d in enumerate(shape) if j != ax)


def _nd_sample_weight(sample_weight, sample_shape):
    """``sample_weight`` of N-D samples as one float64 weight per sample, flattened in C order
    (a copy of O(n_samples)): the shape of the samples, or ``(n_samples,)`` (the first sample
    axis) broadcast over the others; a scalar weights every sample."""
    if sample_weight is None:
        return None
    n = math.prod(sample_shape)
    w = np.asarray(sample_weight) if not isinstance(sample_weight, np.ndarray) else \
        sample_weight
    if w.ndim == 0:
        return check_weights(w, "sample_weight", n)
    if w.shape == tuple(sample_shape):
        return check_weights(w.reshape(-1), "sample_weight", n)
    if w.ndim == 1 and len(sample_shape) > 1 and w.shape[0] == sample_shape[0]:
        v = check_weights(w, "sample_weight", sample_shape[0])
        return np.repeat(v, n // sample_shape[0] if sample_shape[0] else 0)
    raise ValueError(
        f"sample_weight: shape {w.shape} is neither the samples' shape {tuple(sample_shape)} "
        f"(y_pred's shape without the class axis) nor ({sample_shape[0]},) (one weight per "
        "entry of the first sample axis)")


class CategoricalFamily(LossFamily):
    """Mutually exclusive classes: the softmax family (``categorical_cross_entropy``)."""

    name = "categorical"
    fused_kernel = "softmax"
    min_pred_ndim = 2
    separable_outputs = False
    integer_labels = True
    distribution_labels = True

    def check_options(self, *, from_logits, dtype, n_outputs, eps="auto", label_smoothing=0.0,
                      focal_gamma=0.0, ignore_index=None, class_weight=None, **unused):
        if not check_bool(from_logits, "from_logits"):
            resolve_eps(eps, dtype)
        check_smoothing(label_smoothing)
        check_focal_gamma(focal_gamma)
        check_ignore_index(ignore_index)
        check_weights(class_weight, "class_weight", n_outputs, what="class")

    def check_label_shape(self, label_shape, pred_shape, axis=-1):
        label_shape, pred_shape = tuple(label_shape), tuple(pred_shape)
        if label_shape == pred_shape:
            return
        ax = axis % len(pred_shape)
        if label_shape != _without(pred_shape, ax) and (
                len(pred_shape) > 2 or len(label_shape) == 2):
            raise ValueError(
                f"y_true: shape {label_shape} is neither y_pred's {pred_shape} (class "
                f"probabilities) nor y_pred's without the class axis {axis} "
                f"{_without(pred_shape, ax)} (integer class indices)")

    def loss_shape(self, pred_shape, axis=-1):
        return _without(pred_shape, axis % len(pred_shape))

    def prepare(self, y_true, y_pred, *, from_logits, sample_weight=None, class_weight=None,
                label_smoothing=0.0, focal_gamma=0.0, ignore_index=None, eps="auto",
                clip_max=1.0, axis=-1, n_threads=None, validate=True, warn=True):
        from_logits = check_bool(from_logits, "from_logits")
        smooth = check_smoothing(label_smoothing)
        gamma = check_focal_gamma(focal_gamma)
        ignore = check_ignore_index(ignore_index)
        nt = effective_n_threads(n_threads)

        x = as_float_array(y_pred, "y_pred")
        if not (x.ndim == 2 and (axis == -1 or axis == 1) and axis.__class__ is int):
            x, ax = _class_last(x, axis)  # (the test above is _class_last's fast path, inline)
            x, t, y, sw, cw = self._prepare_nd(
                y_true, x, ax, sample_weight=sample_weight, class_weight=class_weight,
                ignore=ignore, nt=nt, validate=validate)
            return self._finish(x, t, y, sw, cw, from_logits, smooth, gamma, ignore, eps,
                                clip_max, nt, validate, warn, ax)
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
                    f"y_true: {yt.shape[0]} labels for {n} samples in y_pred (shapes "
                    f"{yt.shape} and {x.shape})")
            if validate:
                t = _check_int_labels(yt, K, "y_true", ignore)
            else:
                t = np.ascontiguousarray(yt, dtype=np.int64)
        elif yt.ndim == 2:
            self.check_label_shape(yt.shape, x.shape)
            if ignore is not None:
                raise ValueError("ignore_index applies to integer labels only (y_true is 2-D)")
            y = as_float_array(yt, "y_true")
            if validate:
                check_range(y, "y_true", 0.0, 1.0, what="label probabilities", n_threads=nt)
        else:
            raise ValueError(
                "y_true: expected 1-D integer labels or a 2-D label matrix, got shape "
                f"{yt.shape}")

        sw = check_weights(sample_weight, "sample_weight", n)
        cw = check_weights(class_weight, "class_weight", K, what="class")
        return self._finish(x, t, y, sw, cw, from_logits, smooth, gamma, ignore, eps, clip_max,
                            nt, validate, warn, None)

    def _prepare_nd(self, y_true, x, ax, *, sample_weight, class_weight, ignore, nt,
                    validate):
        """N-D (or 2-D ``axis=0``) ``y_pred`` ``x`` with its class axis ``ax`` moved last:
        ``(x, t, y, sw, cw)``, the labels and weights flattened over the samples."""
        K = x.shape[-1]
        pred_shape = np.moveaxis(x, -1, ax).shape
        if K == 0:
            raise ValueError(f"y_pred: needs at least one class along axis {ax} (got shape "
                             f"{pred_shape})")
        sample_shape = x.shape[:-1]
        yt = np.asarray(y_true)
        if yt.dtype.kind in "OUSVc":
            as_float_array(yt, "y_true")
        t = y = None
        if yt.shape == sample_shape:
            flat = yt.reshape(-1)
            if validate:
                t = check_int_labels(flat, K, "y_true", ignore_index=ignore, shape=yt.shape)
            else:
                t = np.ascontiguousarray(flat, dtype=np.int64)
        elif yt.shape == pred_shape:
            if ignore is not None:
                raise ValueError("ignore_index applies to integer labels only (y_true holds "
                                 "class probabilities of y_pred's shape)")
            y = np.moveaxis(as_float_array(yt, "y_true"), ax, -1)
            if validate:
                check_range(y, "y_true", 0.0, 1.0, what="label probabilities", n_threads=nt,
                            class_axis=ax)
        else:
            self.check_label_shape(yt.shape, pred_shape, ax)
        sw = _nd_sample_weight(sample_weight, sample_shape)
        cw = check_weights(class_weight, "class_weight", K, what="class")
        return x, t, y, sw, cw

    def _finish(self, x, t, y, sw, cw, from_logits, smooth, gamma, ignore, eps, clip_max, nt,
                validate, warn, ax):
        """The tail of :meth:`prepare`: thresholds, the probability scan, the kernel's arguments."""
        clip_lo, clip_hi = _clip(from_logits, eps, x.dtype, lambda lo: float(clip_max))
        nbad = 0
        if not from_logits and validate:
            tol = row_tolerance(clip_lo, x.dtype)
            nbad = check_range(x, "y_pred", 0.0, 1.0, what="probabilities", n_threads=nt,
                               row_tol=tol, class_axis=ax)
            if nbad and warn:
                warn_rows_off(nbad, x.size // x.shape[-1], tol, stacklevel=5)
        args = {"t": t} if t is not None else {"y": y}
        args["from_logits"] = from_logits
        if sw is not None:
            args["sw"] = sw
        if cw is not None:
            args["cw"] = cw
        if smooth:
            args["smooth"] = smooth
        if gamma:
            args["gamma"] = gamma
        if ignore is not None:
            args["ignore"] = ignore
        if not from_logits:
            args["clip_lo"], args["clip_hi"] = clip_lo, clip_hi
        return Prepared(x, args, nt, nbad, None, ax)

    def _kernel(self, x, **kwargs):
        return Sums(*_core.cce(x, **kwargs))

    def sample_curvature(self, y_true, n_outputs, *, sample_weight=None, dtype=np.float64,
                         **options):
        # the kernel's curvature a_i = sample_weight_i * sum_k c_k y'_k does not depend on the
        # logits: one pass over zero-strided stand-in logits writes it
        n = np.shape(y_true)[0]
        stand_in = np.broadcast_to(np.zeros(1, dtype=dtype), (n, n_outputs))
        prep = self.prepare(y_true, stand_in, from_logits=True, sample_weight=sample_weight,
                            validate=False, **options)
        buffers = self.hessian_buffers(prep)
        self.run(prep, **buffers)
        return buffers["curv_out"].astype(np.float64)

    def sample_mass(self, y_true, n_outputs, *, class_weight=None, **unused):
        y = np.asarray(y_true)
        cw = None if class_weight is None else np.asarray(class_weight, dtype=np.float64)
        if y.ndim == 1:
            return np.ones(y.shape[0]) if cw is None else cw[y]
        Y = np.asarray(y, dtype=np.float64)
        return Y.sum(axis=1) if cw is None else Y @ cw

    def hessian_buffers(self, prep):
        if prep.kernel_args.get("gamma"):
            raise ValueError(
                "the full Hessian data (softmax and curvature) describe the plain "
                "cross-entropy; with focal_gamma only its diagonal is available")
        n, K = prep.x.shape
        return {"proba_out": np.empty((n, K), dtype=prep.x.dtype),
                "curv_out": np.empty(n, dtype=prep.x.dtype)}

    def apply_hessian(self, data, U):
        # a_i (diag(p_i) - p_i p_i^T) u_i = a_i p_i * (u_i - p_i . u_i)
        P, a = data["proba_out"], data["curv_out"]
        pu = np.einsum("ij,ij->i", P, U)
        U -= pu[:, None]
        U *= P
        U *= a[:, None]
        return U


class BinaryFamily(LossFamily):
    """Independent yes/no targets, elementwise: the sigmoid family (``binary_cross_entropy``).

    Its own options: ``pos_weight`` (per label), ``where`` (a mask broadcastable to
    ``y_pred``), ``sample_weight`` per sample or per element (broadcastable). The denominators
    are known without a kernel pass (from the weights alone) unless there is a mask; with a
    mask the kernel counts them, in the loss pass or a weights-only pre-pass.
    """

    name = "binary"
    fused_kernel = "sigmoid"
    min_pred_ndim = 1
    separable_outputs = True
    integer_labels = False
    row_options = ("where",)

    def check_options(self, *, from_logits, dtype, n_outputs, eps="auto", label_smoothing=0.0,
                      focal_gamma=0.0, pos_weight=None, where=None, pred_shape=None, **unused):
        if not check_bool(from_logits, "from_logits"):
            resolve_eps(eps, dtype)
        check_smoothing(label_smoothing)
        check_focal_gamma(focal_gamma)
        check_weights(pos_weight, "pos_weight", n_outputs, what="label")
        if where is not None and pred_shape is not None:
            check_where(np.empty(np.shape(where), dtype=_where_dtype(where)), pred_shape)

    def check_label_shape(self, label_shape, pred_shape, axis=-1):
        if tuple(label_shape) != tuple(pred_shape):
            raise ValueError(
                f"y_true: shape {tuple(label_shape)} does not match y_pred's "
                f"{tuple(pred_shape)}")

    def loss_shape(self, pred_shape, axis=-1):
        return tuple(pred_shape)

    def prepare(self, y_true, y_pred, *, from_logits, sample_weight=None, pos_weight=None,
                label_smoothing=0.0, focal_gamma=0.0, where=None, eps="auto", clip_max="auto",
                n_threads=None, validate=True, warn=True):
        from_logits = check_bool(from_logits, "from_logits")
        smooth = check_smoothing(label_smoothing)
        gamma = check_focal_gamma(focal_gamma)
        nt = effective_n_threads(n_threads)

        x = as_float_array(y_pred, "y_pred")
        if x.ndim == 0:
            raise ValueError("y_pred: expected an array of at least 1 dimension, got a scalar")
        y = as_float_array(y_true, "y_true")
        self.check_label_shape(y.shape, x.shape)
        mask = check_where(where, x.shape)
        n = x.shape[0]
        L = x.shape[-1] if x.ndim >= 2 else 1
        if validate:
            check_range(y, "y_true", 0.0, 1.0, what="targets", n_threads=nt, where=mask)
        sw, wsum, nnz = check_elementwise_weights(sample_weight, "sample_weight", x.shape)
        if sw is not None and x.ndim > 2 and sw.ndim == 1:
            # N-D: one weight per entry of the first axis, read through a broadcast view
            sw = np.broadcast_to(sw.reshape((n,) + (1,) * (x.ndim - 1)), x.shape)
        pw = check_weights(pos_weight, "pos_weight", L, what="label")

        auto_max = isinstance(clip_max, str) and clip_max == "auto"
        clip_lo, clip_hi = _clip(from_logits, eps, x.dtype,
                                 lambda lo: 1.0 - lo if auto_max else float(clip_max))
        if not from_logits and validate:
            check_range(x, "y_pred", 0.0, 1.0, what="probabilities", n_threads=nt, where=mask)

        args = {"from_logits": from_logits}
        if sw is not None:
            args["sw"] = sw
        if mask is not None:
            args["where"] = mask
            args["count"] = True
        if pw is not None:
            args["pw"] = pw
        if smooth:
            args["smooth"] = smooth
        if gamma:
            args["gamma"] = gamma
        if not from_logits:
            args["clip_lo"], args["clip_hi"] = clip_lo, clip_hi
        sums = None
        if mask is None:
            # every element is a term weighing its sample weight: no pass needed
            nterms = float(x.size)
            sums = Sums(0.0, nterms, nterms, nterms) if sw is None else \
                Sums(0.0, wsum, nnz, nterms)
        return Prepared(x, (y, args), nt, 0, sums)

    def run(self, prep, *, loss_out=None, grad_out=None, scale=1.0, **hessian):
        y, kw = prep.kernel_args
        if loss_out is not None or grad_out is not None or hessian:
            kw = dict(kw, loss_out=loss_out, grad_out=grad_out, grad_scale=scale, **hessian)
        s = _core.bce(prep.x, y, n_threads=prep.n_threads, **kw)
        if prep.sums is None:
            return Sums(*s)
        d = prep.sums
        return Sums(s[0], d.wsum, d.nnz, d.nterms)

    def denominators(self, prep):
        if prep.sums is not None:
            return prep.sums
        y, kw = prep.kernel_args
        return Sums(*_core.bce(prep.x, y, n_threads=prep.n_threads, weights_only=True, **kw))

    def sample_mass(self, y_true, n_outputs, **unused):
        # every output of a sample carries the sample's weight
        return np.ones(np.shape(y_true)[0])

    def total_weight(self, y_true, n_outputs, *, sample_weight=None, **options):
        # per-element weights: their total divided among the outputs
        if sample_weight is not None and np.ndim(sample_weight) > 1:
            shape = (np.shape(y_true)[0], n_outputs)
            return check_elementwise_weights(sample_weight, "sample_weight", shape)[1] / n_outputs
        return super().total_weight(y_true, n_outputs, sample_weight=sample_weight, **options)

    def hessian_buffers(self, prep):
        return {"hess_out": np.empty(prep.x.shape, dtype=prep.x.dtype)}

    def apply_hessian(self, data, U):
        U *= data["hess_out"].reshape(U.shape)
        return U


def _check_temperature(temperature, from_logits):
    """A finite float > 0; only 1 with probabilities (it divides logits)."""
    if isinstance(temperature, (bool, np.bool_)) or not isinstance(temperature, numbers.Real):
        raise TypeError(f"temperature must be a float > 0, got {temperature!r}")
    T = float(temperature)
    if not (T > 0.0 and math.isfinite(T)):
        raise ValueError(f"temperature must be a finite float > 0, got {temperature!r}")
    if not from_logits and T != 1.0:
        raise ValueError(
            f"temperature={temperature!r} divides logits: with probabilities "
            "(from_logits=False) it must be 1.0")
    return T


class KLDivergenceFamily(LossFamily):
    """``KL(y_true || q)`` along the classes of each row: the distillation family
    (``kl_divergence``); ``q = softmax(y_pred / temperature)`` or the probabilities ``y_pred``.

    The weight of a sample is its ``sample_weight`` (the targets' mass does not weight it), so
    the reductions' denominators are known without a kernel pass, as for the binary family.
    The Hessian with respect to the logits is the softmax family's, ``a_i (diag(q) - q q^T)``
    with ``a_i = sum_k y_ik / T**2`` times the weights: the kernel writes the same data.
    """

    name = "kl_divergence"
    min_pred_ndim = 2
    separable_outputs = False
    integer_labels = False
    distribution_labels = True
    smoothing = False

    def check_options(self, *, from_logits, dtype, n_outputs, log_target=False,
                      temperature=1.0, **unused):
        from_logits = check_bool(from_logits, "from_logits")
        check_bool(log_target, "log_target")
        _check_temperature(temperature, from_logits)

    def check_label_shape(self, label_shape, pred_shape, axis=-1):
        if tuple(label_shape) != tuple(pred_shape):
            raise ValueError(
                f"y_true: shape {tuple(label_shape)} does not match y_pred's "
                f"{tuple(pred_shape)} (both hold a distribution over the classes per sample)")

    def loss_shape(self, pred_shape, axis=-1):
        return _without(pred_shape, axis % len(pred_shape))

    def class_axis_last(self, y_true, y_pred, axis):
        """``(y_true, y_pred, moved)`` for the Dask backend: 2-D views with the class axis last
        (a transpose, dask arrays stay lazy), and whether they were transposed. Arrays (NumPy or
        dask) are taken as they are, anything else through ``np.asarray``. (In memory,
        :meth:`prepare` takes ``axis`` itself, for any number of dimensions.)

        Checks ``axis`` against ``y_pred``'s dimensions and the two shapes against each other
        in the caller's layout (so errors show the shapes as given).
        """
        y_pred, y_true = (a if hasattr(a, "T") and hasattr(a, "ndim") else np.asarray(a)
                          for a in (y_pred, y_true))
        ndim = y_pred.ndim
        if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
            raise TypeError(f"axis must be an int, got {axis!r}")
        if not -max(ndim, 1) <= axis < max(ndim, 1):
            raise ValueError(
                f"axis {axis} is out of range for a {ndim}-D y_pred (shape "
                f"{tuple(y_pred.shape)})")
        self.check_label_shape(np.shape(y_true), y_pred.shape)
        if ndim == 2 and axis % 2 == 0:
            return y_true.T, y_pred.T, True
        return y_true, y_pred, False

    def prepare(self, y_true, y_pred, *, from_logits, sample_weight=None, log_target=False,
                temperature=1.0, axis=-1, n_threads=None, validate=True, warn=True):
        from_logits = check_bool(from_logits, "from_logits")
        log_target = check_bool(log_target, "log_target")
        T = _check_temperature(temperature, from_logits)
        nt = effective_n_threads(n_threads)

        x = as_float_array(y_pred, "y_pred")
        x, ax = _class_last(x, axis)
        pred_shape = x.shape if ax is None else np.moveaxis(x, -1, ax).shape
        K = x.shape[-1]
        sample_shape = x.shape[:-1]
        n = math.prod(sample_shape)
        if K == 0:
            raise ValueError(f"y_pred: needs at least one class (got shape {pred_shape})")
        y = as_float_array(y_true, "y_true")
        self.check_label_shape(y.shape, pred_shape)
        if ax is not None:
            y = np.moveaxis(y, ax, -1)
        if validate:
            if log_target:
                check_range(y, "y_true", -math.inf, 0.0, what="log-probabilities",
                            n_threads=nt, class_axis=ax)
            else:
                check_range(y, "y_true", 0.0, 1.0, what="probabilities", n_threads=nt,
                            class_axis=ax)
        if ax is None:
            sw = check_weights(sample_weight, "sample_weight", n)
        else:
            sw = _nd_sample_weight(sample_weight, sample_shape)
        nbad = 0
        if not from_logits and validate:
            tol = row_tolerance(0.0, x.dtype)
            nbad = check_range(x, "y_pred", 0.0, 1.0, what="probabilities", n_threads=nt,
                               row_tol=tol, class_axis=ax)
            if nbad and warn:
                warn_rows_off(nbad, n, tol, stacklevel=4)

        # one term per sample, w_i = sample_weight_i: the denominators need no pass
        nterms = float(n)
        if sw is None:
            wsum, nnz = nterms, nterms
        else:
            wsum, nnz = float(sw.sum()), float(np.count_nonzero(sw))
        args = {"from_logits": from_logits}
        if sw is not None:
            args["sw"] = sw
        if log_target:
            args["log_target"] = True
        if T != 1.0:
            args["temperature"] = T
        return Prepared(x, (y, args), nt, nbad, Sums(0.0, wsum, nnz, nterms), ax)

    def run(self, prep, *, loss_out=None, grad_out=None, scale=1.0, **hessian):
        y, kw = prep.kernel_args
        if loss_out is not None or grad_out is not None or hessian:
            kw = dict(kw, loss_out=loss_out, grad_out=grad_out, grad_scale=scale, **hessian)
        s = _core.kl(prep.x, y, n_threads=prep.n_threads, **kw)
        return prep.sums._replace(loss=s)

    def denominators(self, prep):
        return prep.sums

    def sample_mass(self, y_true, n_outputs, **unused):
        # the weight of a sample is its sample_weight (the targets' mass does not weight it)
        return np.ones(np.shape(y_true)[0])

    # the softmax family's Hessian data: probabilities q and a per-sample curvature
    def hessian_buffers(self, prep):
        n, K = prep.x.shape
        return {"proba_out": np.empty((n, K), dtype=prep.x.dtype),
                "curv_out": np.empty(n, dtype=prep.x.dtype)}

    apply_hessian = CategoricalFamily.apply_hessian


def _where_dtype(where):
    dt = getattr(where, "dtype", None)
    return dt if dt is not None else np.asarray(where).dtype


CATEGORICAL = CategoricalFamily()
BINARY = BinaryFamily()
KL = KLDivergenceFamily()

#: The registry: every family by name. Generic tests run over it.
FAMILIES = {f.name: f for f in (CATEGORICAL, BINARY, KL)}


def _family_by_name(name):
    return FAMILIES[name]


# -- the reduced loss ------------------------------------------------------------------------


def _grad_out_array(grad_out, shape, dtype):
    if grad_out is None:
        return np.empty(shape, dtype=dtype)
    if not isinstance(grad_out, np.ndarray) or grad_out.shape != shape or grad_out.dtype != dtype:
        raise ValueError(f"grad_out must be an ndarray of shape {shape} and dtype {dtype}")
    if not (grad_out.flags.c_contiguous and grad_out.flags.writeable):
        raise ValueError("grad_out must be C-contiguous and writeable")
    return grad_out


Outputs = namedtuple("Outputs", "loss_out grad_out hess_kw grad hess")
Outputs.__doc__ = """Output buffers of one kernel pass: what the kernel writes (``loss_out``, the
per-term losses or None; ``grad_out``, the gradient in the kernel's class-last view or None;
``hess_kw``, the Hessian keyword of :meth:`LossFamily.run`) and what the caller gets back
(``grad``, ``hess``: arrays of ``y_pred``'s shape, or None)."""


def output_buffers(family, prep, *, losses=False, grad=False, hess=False, grad_out=None):
    """The :class:`Outputs` of one pass of ``family``'s kernel over ``prep``.

    For a ``y_pred`` whose class axis was moved last (``prep.axis`` set: N-D input), the
    gradient and the Hessian are allocated in ``y_pred``'s shape and memory layout (where that
    is a permutation of a contiguous one) and the kernel writes them through the same moved
    view as it reads ``y_pred``. ``grad_out``: a caller-owned gradient buffer.
    """
    x = prep.x
    loss_out = np.empty(family.loss_shape(x.shape), dtype=x.dtype) if losses else None
    ax = prep.axis
    if ax is None:
        g = _grad_out_array(grad_out, x.shape, x.dtype) if (grad or hess) else None
        hess_kw = family.diagonal_hessian_buffers(prep) if hess else {}
        h = next(iter(hess_kw.values())) if hess else None
        return Outputs(loss_out, g, hess_kw, g, h)
    shape = np.moveaxis(x, -1, ax).shape
    g_full = h_full = None
    if grad or hess:
        g_full = _grad_out_array(grad_out, shape, x.dtype) if grad_out is not None else \
            np.empty_like(np.moveaxis(x, -1, ax), order="K")
    hess_kw = {}
    if hess:
        h_full = np.empty_like(g_full)
        hess_kw = {"hess_out": np.moveaxis(h_full, ax, -1)}
    g = None if g_full is None else np.moveaxis(g_full, ax, -1)
    return Outputs(loss_out, g, hess_kw, g_full, h_full)


def loss(family, y_true, y_pred, *, from_logits, reduction="mean", return_grad=False,
         return_hess=False, grad_out=None, n_threads=None, validate=True, **options):
    """A family's loss with the API's reductions, its gradient and its Hessian's diagonal.

    ``options``: the family's keywords (weights, smoothing, ``focal_gamma``, ``eps``,
    ``ignore_index``, ``where``...; ``clip_max`` for scikit-learn's clipping at ``1 - eps``).
    ``validate=False`` skips value scans the caller has done; ``grad_out`` writes the gradient
    into a caller-owned buffer (possibly ``y_pred`` itself).

    Returns the reduced loss (a NumPy scalar of ``y_pred``'s dtype) or the per-term losses
    (``reduction="none"``); with ``return_grad`` also the gradient; with ``return_hess``
    (logits only) the gradient and the diagonal of the Hessian with respect to the logits.

    A reduced loss's gradient needs the denominator before the pass that writes it: a cheap
    weights-only pass gives it (O(n) for integer labels; none for the binary family without a
    mask), and the loss reuses those sums, so ``return_grad`` never changes the loss.
    """
    if return_hess is not False:  # (the default skips the checks: a small call's overhead)
        return_hess = check_bool(return_hess, "return_hess")
        if return_hess and not check_bool(from_logits, "from_logits"):
            raise ValueError("return_hess=True needs from_logits=True: the Hessian is taken "
                             "with respect to the logits")
    return_grad = check_bool(return_grad, "return_grad") or grad_out is not None or return_hess
    reduction = check_reduction(reduction)
    prep = family.prepare(y_true, y_pred, from_logits=from_logits, n_threads=n_threads,
                          validate=validate, **options)
    x = prep.x
    out = output_buffers(family, prep, losses=reduction == "none", grad=return_grad,
                         hess=return_hess, grad_out=grad_out)
    loss_out, grad, hess = out.loss_out, out.grad_out, out.hess_kw

    scale = 1.0
    stats = None
    if grad is not None and reduction not in ("none", "sum"):
        stats = family.denominators(prep)
        scale = reduce(reduction, stats)[1]
    sums = family.run(prep, loss_out=loss_out, grad_out=grad, scale=scale, **hess)
    if stats is not None:
        sums = stats._replace(loss=sums.loss)
    value = loss_out if reduction == "none" else x.dtype.type(reduce(reduction, sums)[0])
    if return_hess:
        return value, out.grad, out.hess
    return (value, out.grad) if return_grad else value
