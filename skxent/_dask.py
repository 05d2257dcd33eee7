"""Dask arrays in skxent's losses and metrics (the estimators: ``linear_model/_dask_loss.py``).

Design note
-----------
skxent never imports dask unless it is handed a dask array: :func:`is_dask_array` looks for
``dask.array`` in ``sys.modules`` (a dask array cannot exist before that module is imported), so
the in-memory path pays one dictionary lookup. Install with ``pip install "skxent[dask]"``.

Every computation here is the in-memory one applied to each chunk *where the chunk lives*, plus
a combination of small per-chunk results on the client:

* Reduced losses and metrics are sums. Each chunk task runs the kernel and returns its partial
  sums: the loss sum ``sum(t)`` and the three denominators of the API reference (``sum(w)``,
  ``count_nonzero(w)``, the number of terms), computed exactly as the in-memory kernels do. The
  client adds the partials with ``math.fsum`` (exactly rounded, independent of the chunking)
  and divides as the in-memory reduction does, so the result equals the in-memory one to
  rounding (the kernels' own per-chunk sums are Kahan-compensated).
* A reduced loss's gradient needs its denominator first: the partial-sum pass that gives the
  loss gives the denominator too, and the gradient is then a lazy dask array whose chunk tasks
  pass ``1 / denominator`` to the kernel, as the in-memory two-step does.
* ``reduction="none"`` (and its gradient) are lazy dask arrays built from one task per chunk
  (``dask.delayed`` with ``nout=2``, so computing the losses and the gradient together runs the
  kernel once per chunk).
* ``log_loss`` discovers the classes with ``da.unique`` (only the unique labels travel to the
  client) and checks them with the in-memory label encoder (same errors as scikit-learn). Then
  one task per chunk reads ``y_proba`` once for both the facts scikit-learn's checks need
  (minimum and maximum probability, extreme row sums, weight sums) and the chunk's loss sum
  (its labels encoded against the classes with ``np.searchsorted``), so
  ``log_loss(y, clf.predict_proba(X))`` computes the probabilities once; the client then raises
  or warns exactly as the in-memory function would, or adds the sums.

Arrays must be chunked along samples only (a row of logits is one softmax; the kernels need whole
rows) and dask inputs must share their row chunks; NumPy companions (labels, weights) are cut to
the chunks of the dask input. Array options (a per-element ``sample_weight``, a family's
``row_options`` such as the binary ``where``) are cut the same way when they have ``y_pred``'s
rows, and handed whole to every chunk when they broadcast over the rows (a ``(1, L)`` weight).
Errors found inside a chunk (a label out of range, a negative weight) are re-raised with their
positions made global and the chunk's row range appended.

Chunk tasks run the kernels on one thread unless ``n_threads`` is given: Dask supplies the
parallelism (one task per chunk), and dask.distributed starts its workers with
``OMP_NUM_THREADS=1`` anyway.
"""

import math
import numbers
import re
import sys
import warnings
from types import SimpleNamespace

import numpy as np

from . import _engine, _log_loss
from ._config import effective_n_threads
from ._engine import Sums, divide, reduce, row_tolerance, warn_rows_off
from ._validation import as_float_array, check_bool, check_reduction, resolve_eps

__all__ = ["is_dask_array", "any_dask", "BACKEND"]


def is_dask_array(x):
    """Whether ``x`` is a ``dask.array.Array`` (without importing dask)."""
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(x, da.Array)


def any_dask(*arrays):
    """Whether any of ``arrays`` is a dask array."""
    if "dask.array" not in sys.modules:
        return False
    return any(is_dask_array(a) for a in arrays)


def _modules():
    import dask
    import dask.array as da

    return dask, da


# -- chunk alignment ---------------------------------------------------------------------------


def align_rows(arrays, *, ensure_column_chunk=True):
    """Dask arrays of ``arrays`` (name -> array or None) sharing one row chunking.

    The first dask array (in the order given) sets the row chunks. Every dask array must have
    known chunk sizes, be chunked along rows only (``ensure_column_chunk``) and share those row
    chunks; non-dask arrays are converted with ``np.asarray`` and cut to them. ``None`` stays
    ``None``.

    Returns
    -------
    dict name -> dask array or None, and the row chunks (tuple of ints)
    """
    _, da = _modules()
    ref_name, ref = next((k, a) for k, a in arrays.items() if is_dask_array(a))
    for name, a in arrays.items():
        if not is_dask_array(a):
            continue
        if any(math.isnan(c) for cs in a.chunks for c in cs):
            raise ValueError(
                f"{name}: dask array with unknown chunk sizes {a.chunks}; call "
                f"{name}.compute_chunk_sizes() first (e.g. after boolean indexing)."
            )
        if a.ndim == 0:
            raise ValueError(f"{name}: expected an array of samples, got a dask scalar")
        if ensure_column_chunk and a.ndim >= 2 and any(len(c) > 1 for c in a.chunks[1:]):
            raise ValueError(
                f"{name}: dask array chunked along axis 1 (chunks {a.chunks[1]}); skxent needs "
                f"whole rows in a chunk, chunked along samples only. Use "
                f"{name}.rechunk({{1: -1}})."
            )
    rows = ref.chunks[0]
    out = {}
    for name, a in arrays.items():
        if a is None:
            out[name] = None
        elif is_dask_array(a):
            if a.chunks[0] != rows:
                if a.shape[0] != ref.shape[0]:
                    raise ValueError(
                        f"{name}: {a.shape[0]} rows for {ref.shape[0]} samples in {ref_name}"
                    )
                raise ValueError(
                    f"{name}: row chunks {_short(a.chunks[0])} do not align with {ref_name}'s "
                    f"{_short(rows)}; rechunk one to the other's chunks, e.g. "
                    f"{name}.rechunk({{0: {ref_name}.chunks[0]}})."
                )
            out[name] = a
        else:
            arr = np.asarray(a)
            if arr.ndim == 0 or arr.shape[0] != ref.shape[0]:
                raise ValueError(
                    f"{name}: shape {arr.shape} does not have the {ref.shape[0]} rows of "
                    f"{ref_name}"
                )
            chunks = (rows,) + tuple((s,) for s in arr.shape[1:])
            out[name] = da.from_array(arr, chunks=chunks)
    return out, rows


def _short(chunks, n=4):
    chunks = tuple(int(c) for c in chunks)
    if len(chunks) <= n:
        return str(chunks)
    return f"({', '.join(map(str, chunks[:n]))}, ... {len(chunks)} chunks)"


def blocks(a, nblocks):
    """Delayed chunks of a row-chunked dask array (or ``[None] * nblocks``)."""
    if a is None:
        return [None] * nblocks
    return list(a.to_delayed().ravel())


def nonempty_blocks(rows, *arrays):
    """``[(start, stop, chunks)]`` for the non-empty row chunks, ``chunks`` holding the delayed
    chunk of each of ``arrays`` (``None`` for ``None``). Empty chunks add nothing to a sum, and
    the in-memory functions reject zero samples, so the sums skip them."""
    nb = len(rows)
    starts = row_starts(rows)
    per_array = [blocks(a, nb) for a in arrays]
    return [(starts[i], starts[i + 1], tuple(b[i] for b in per_array))
            for i in range(nb) if rows[i] > 0]


def aligned(a):
    """``a``, copied if its data is not aligned to its item size.

    Arrays deserialized by dask.distributed (scattered, or moved between workers) can start at
    any byte offset of a message buffer; a float32 chunk at an odd address made one fused pass
    3.7x slower here (misaligned vector loads in BLAS and the kernels). A copy costs one read.
    """
    if isinstance(a, np.ndarray) and a.size and a.ctypes.data % a.dtype.alignment:
        return np.array(a, copy=True)
    return a


def row_starts(rows):
    starts = [0]
    for r in rows:
        starts.append(starts[-1] + int(r))
    return starts


# -- errors from inside a chunk ----------------------------------------------------------------

_POS_1D = re.compile(r"position (\d+)")
_POS_ND = re.compile(r"position \((\d+)")


def _globalize(message, start, stop):
    message = _POS_ND.sub(lambda m: f"position ({int(m.group(1)) + start}", message)
    message = _POS_1D.sub(lambda m: f"position {int(m.group(1)) + start}", message)
    return f"{message} (rows {start}:{stop} of the dask array)"


class chunk_errors:
    """Re-raise a chunk's ValueError/TypeError with global positions and its row range."""

    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __enter__(self):
        return self

    def __exit__(self, typ, exc, tb):
        if typ is not None and typ in (ValueError, TypeError):
            raise typ(_globalize(str(exc), self.start, self.stop)) from None
        return False


# -- losses ------------------------------------------------------------------------------------


def _float_dtype(dtype):
    dtype = np.dtype(dtype)
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _check_dtype(a, name, ndim):
    """In-memory dtype/ndim errors, raised on the client from an empty array of ``a``'s kind."""
    as_float_array(np.empty((0,) * a.ndim, dtype=a.dtype), name, ndim=ndim)


def _loss_chunk(family, yt, yp, sw, rowkw, start, stop, kw, mode, scale, grad, hess):
    """One chunk of a loss: ``mode="sums"`` returns ``[sum(t), sum(w), count_nonzero(w),
    number of terms, rows not summing to 1]``; otherwise ``(per-term losses or None, gradient
    or None, Hessian diagonal or None)``. ``rowkw``: the chunks of the family's row options."""
    yp = aligned(yp)
    with chunk_errors(start, stop):
        prep = family.prepare(yt, yp, sample_weight=sw, warn=(mode == "none"), **rowkw, **kw)
    if mode == "sums":
        return np.array([*family.run(prep), prep.nbad], dtype=np.float64)
    out = _engine.output_buffers(family, prep, losses=mode == "none", grad=grad, hess=hess)
    family.run(prep, loss_out=out.loss_out, grad_out=out.grad_out, scale=scale, **out.hess_kw)
    return out.loss_out, out.grad, out.hess


def _combine(parts):
    """Exactly rounded column sums of the per-chunk partial sums."""
    if not parts:
        return [0.0] * 5
    P = np.stack(parts)
    return [math.fsum(P[:, j]) for j in range(P.shape[1])]


def _row_shaped(name, a, y_pred, sample_shape):
    """Whether an array option is indexed by ``y_pred``'s rows (then it is cut to its row
    chunks) rather than broadcast over them (then every chunk gets all of it): a 1-D
    ``sample_weight`` always is (one weight per entry of the first axis); otherwise it must
    have the samples' shape (``y_pred``'s without the class axis), or ``y_pred``'s number of
    dimensions and of rows."""
    if np.ndim(a) == 1 and name == "sample_weight":
        return True
    if np.ndim(a) >= 1 and tuple(np.shape(a)) == tuple(sample_shape):
        return True
    return np.ndim(a) == len(y_pred.shape) and np.shape(a)[0] == y_pred.shape[0]


def _class_axis(axis, y_pred):
    """``axis`` as a non-negative int; the class axis must not be the chunked first axis."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an int, got {axis!r}")
    ndim = len(np.shape(y_pred))
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis={axis} is out of range for y_pred with {ndim} dimensions")
    ax = int(axis) % ndim
    if ax == 0 and ndim > 1 and getattr(y_pred, "numblocks", (1,))[0] > 1:
        raise ValueError(
            f"axis={axis}: the class axis of a dask y_pred must be in one chunk, and dask arrays "
            "are chunked along their first axis (the samples); put the classes on another axis "
            "(e.g. y_pred.T) or rechunk({0: -1})")
    return ax


def loss(family, y_true, y_pred, *, sample_weight, reduction, return_grad, n_threads,
         return_hess=False, **kw):
    """A loss family's loss on dask arrays (``kw``: the family's remaining keywords).

    See the module note for what is computed where. ``sample_weight`` and the family's
    ``row_options`` (e.g. the binary ``where``) are cut to ``y_pred``'s row chunks when they
    have its rows, and handed whole to every chunk when they broadcast over the rows.
    """
    dask, da = _modules()
    return_hess = check_bool(return_hess, "return_hess")
    return_grad = check_bool(return_grad, "return_grad") or return_hess
    reduction = check_reduction(reduction)
    if return_hess and not check_bool(kw.get("from_logits"), "from_logits"):
        raise ValueError("return_hess=True needs from_logits=True: the Hessian is taken with "
                         "respect to the logits")
    arrays = {"y_pred": y_pred, "y_true": y_true}
    whole = {}
    options = [("sample_weight", sample_weight)] + \
        [(k, kw.pop(k)) for k in family.row_options if kw.get(k) is not None]
    pred_shape = tuple(np.shape(y_pred))
    if len(pred_shape) < family.min_pred_ndim:
        raise ValueError(f"y_pred: expected an array of at least {family.min_pred_ndim} "
                         f"dimensions, got shape {pred_shape}")
    # the class axis of the row-wise families (a keyword of theirs; the binary family is
    # elementwise: its "outputs" are the last axis)
    ax = _class_axis(kw["axis"], y_pred) if "axis" in kw else len(pred_shape) - 1
    sample_shape = family.loss_shape(pred_shape, ax)
    for name, a in options:
        if a is None:
            continue
        if _row_shaped(name, a, y_pred, sample_shape):
            arrays[name] = a
        else:
            whole[name] = np.asarray(a)  # small: broadcast over the rows (computed if dask)
    if not any(is_dask_array(a) for a in arrays.values()):  # only a broadcast option was dask
        return _engine.loss(family, y_true, y_pred, sample_weight=whole.get("sample_weight"),
                            reduction=reduction, return_grad=return_grad,
                            return_hess=return_hess, n_threads=n_threads,
                            **{k: v for k, v in whole.items() if k != "sample_weight"}, **kw)
    arrs, rows = align_rows(arrays)
    yp, yt = arrs["y_pred"], arrs["y_true"]
    _check_dtype(yp, "y_pred", None)
    dtype = _float_dtype(yp.dtype)
    family.check_label_shape(yt.shape, yp.shape, ax)
    given = {k: arrs.get(k, whole.get(k)) for k, a in options if a is not None}
    family.check_options(dtype=dtype, n_outputs=yp.shape[ax] if yp.ndim >= 2 else 1,
                         pred_shape=yp.shape, **{k: v for k, v in given.items()
                                                 if k != "sample_weight"}, **kw)
    effective_n_threads(n_threads)
    kw = dict(kw, n_threads=1 if n_threads is None else n_threads)
    nb = len(rows)
    starts = row_starts(rows)
    chunked = [k for k in arrs if k not in ("y_pred", "y_true")]
    per_option = {k: blocks(arrs[k], nb) for k in chunked}
    parts = list(zip(blocks(yt, nb), blocks(yp, nb)))

    def task(i, mode, scale=1.0, grad=False, hess=False):
        ytb, ypb = parts[i]
        opts = dict(whole)
        opts.update({k: per_option[k][i] for k in chunked})
        swb = opts.pop("sample_weight", None)
        return dask.delayed(_loss_chunk, pure=True, nout=3 if mode != "sums" else None)(
            family, ytb, ypb, swb, opts, starts[i], starts[i + 1], kw, mode, scale, grad,
            hess)

    if reduction == "none":
        tasks = [task(i, "none", 1.0, return_grad, return_hess) for i in range(nb)]
        tail = sample_shape[1:]
        losses = from_blocks([t[0] for t in tasks], (rows,) + _whole(tail), dtype, "losses")
        if not return_grad:
            return losses
        grad = from_blocks([t[1] for t in tasks], yp.chunks, dtype, "grad")
        if not return_hess:
            return losses, grad
        return losses, grad, from_blocks([t[2] for t in tasks], yp.chunks, dtype, "hess")

    *sums, nbad = _combine(dask.compute(*[task(i, "sums") for i in range(nb)]))
    if nbad:
        tol = row_tolerance(resolve_eps(kw.get("eps", "auto"), dtype), dtype)
        warn_rows_off(int(nbad), math.prod(sample_shape), tol, stacklevel=3)
    value, scale = reduce(reduction, Sums(*sums))
    value = dtype.type(value)
    if not return_grad:
        return value
    tasks = [task(i, "grad", scale, True, return_hess) for i in range(nb)]
    grad = from_blocks([t[1] for t in tasks], yp.chunks, dtype, "grad")
    if not return_hess:
        return value, grad
    return value, grad, from_blocks([t[2] for t in tasks], yp.chunks, dtype, "hess")


def _whole(shape):
    return tuple((int(s),) for s in shape)


def from_blocks(delayed_blocks, chunks, dtype, prefix):
    """A dask array whose i-th row chunk is the value of ``delayed_blocks[i]``.

    Unlike ``da.concatenate`` of ``da.from_delayed`` pieces this keeps empty chunks, so the
    result has exactly the row chunks of the input it was computed from.
    """
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    _, da = _modules()
    name = f"skxent-{prefix}-" + tokenize(*[d.key for d in delayed_blocks], chunks)
    tail = (0,) * (len(chunks) - 1)
    layer = {(name, i) + tail: d.key for i, d in enumerate(delayed_blocks)}
    graph = HighLevelGraph.from_collections(name, layer, dependencies=delayed_blocks)
    return da.Array(graph, name, chunks, dtype=dtype)


# -- metrics -----------------------------------------------------------------------------------


def _log_loss_chunk(yt, yp, sw, start, stop, classes, binary, from_logits, eps):
    """The chunk's :class:`~skxent._log_loss.ProbaFacts` and, when the classes are known, its
    loss sum, from one read of the chunk. The sum is discarded by the client if a check fails."""
    from ._metrics_labels import EncodedLabels, encode_labels

    facts = _log_loss.ProbaFacts.of(yp, sw, from_logits=from_logits, binary=binary)
    if classes is None:
        return facts, 0.0
    yt = np.asarray(yt)
    scores = aligned(np.asarray(yp))
    if scores.dtype not in (np.float64, np.float32, np.float16):
        scores = scores.astype(np.float64)
    K = classes.shape[0]
    n_columns = 2 if binary else scores.shape[1]
    if facts.has_nan or facts.has_inf or K != n_columns:  # the client raises
        return facts, 0.0                                  # scikit-learn's error
    idx = np.minimum(np.searchsorted(classes, yt), K - 1)
    if np.array_equal(classes[idx], yt):
        enc = EncodedLabels(idx.astype(np.int64, copy=False), None, K, classes)
    else:  # labels the binary search cannot place exactly (mixed types): the exact encoder
        with chunk_errors(start, stop):
            enc = encode_labels(yt, classes)
    w = None if sw is None else np.asarray(sw, dtype=np.float64)
    total = _log_loss.reduce_log_loss(enc, scores, w, False, binary, from_logits=from_logits,
                                      eps=eps, n_threads=1)
    return facts, total


def log_loss(y_true, y_proba, *, normalize, sample_weight, labels, from_logits):
    """``skxent.metrics.log_loss`` on dask arrays: scikit-learn's checks and errors, in its
    order, from per-chunk facts; the sum from per-chunk kernel calls (see the module note).

    Two passes: the unique labels (``y_true`` only), then one task per chunk that reads
    ``y_proba`` once for both the checks' facts and the loss sum, so that
    ``log_loss(y, clf.predict_proba(X))`` computes the probabilities once.
    """
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils.validation import _check_sample_weight

    from ._metrics_labels import encode_labels

    dask, da = _modules()
    arrays = {"y_proba": y_proba, "y_true": y_true, "sample_weight": sample_weight}
    lengths = [np.shape(a)[0] if np.ndim(a) else 1 for a in arrays.values() if a is not None]
    if not any(math.isnan(v) for v in lengths) and len(set(lengths)) > 1:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"{[int(v) for v in lengths]}")
    if not is_dask_array(y_proba) and not is_dask_array(y_true):
        sample_weight = np.asarray(sample_weight)  # only the weights are dask: compute them
        return _log_loss.log_loss(y_true, y_proba, normalize=normalize,
                                  sample_weight=sample_weight, labels=labels,
                                  from_logits=from_logits)
    arrs, rows = align_rows(arrays)
    yp, yt, sw = arrs["y_proba"], arrs["y_true"], arrs["sample_weight"]
    if yt.ndim != 1:
        raise ValueError(
            "log_loss on dask arrays takes 1-D labels y_true; for a multi-label indicator "
            "matrix use skxent.metrics.multilabel_log_loss (the binary cross-entropy of every "
            "label).")
    if yp.ndim not in (1, 2) or yp.dtype.kind not in "biuf":
        _log_loss.check_proba_array(np.zeros((1,) * max(yp.ndim, 1), dtype=yp.dtype)
                                    if yp.ndim in (1, 2) else np.zeros((1,) * yp.ndim))
    dtype = yp.dtype if yp.dtype in (np.float64, np.float32, np.float16) else np.dtype(
        np.float64)
    if sw is not None and sw.ndim != 1:
        _check_sample_weight(np.zeros(sw.shape), np.zeros(yp.shape[0]))
    binary = yp.ndim == 1 or yp.shape[1] == 1
    n_columns = 2 if binary else yp.shape[1]
    chunks = nonempty_blocks(rows, yt, yp, sw)
    if not chunks:  # no samples: the in-memory function raises scikit-learn's error
        return _log_loss.log_loss(np.asarray(y_true), np.asarray(y_proba), normalize=normalize,
                                  sample_weight=None if sw is None else np.asarray(sw),
                                  labels=labels, from_logits=from_logits)

    # pass 1: the classes (labels only); a label error is raised after the probability
    # checks, which come first in scikit-learn
    (uniq,) = dask.compute(da.unique(yt))
    label_error = None
    enc = classes = None
    try:
        with warnings.catch_warnings(record=True) as label_warnings:
            warnings.simplefilter("always")
            enc = encode_labels(uniq, labels)
        if enc.n_classes == n_columns:
            classes = LabelBinarizer().fit(uniq if labels is None else labels).classes_
    except ValueError as exc:
        label_error = exc

    # pass 2: one task per chunk, facts and (if the classes fit) the loss sum
    eps = None if from_logits else float(np.finfo(dtype).eps)
    parts = dask.compute(*[dask.delayed(_log_loss_chunk, pure=True)(
        *b, start, stop, classes, binary, from_logits, eps) for start, stop, b in chunks])
    facts = _log_loss.ProbaFacts.combine([p[0] for p in parts])

    # scikit-learn's order: probabilities (check_array, range), lengths, weights, labels,
    # rows summing to one, class count
    _log_loss.raise_for_proba_facts(facts, dtype, from_logits=from_logits)
    if sw is not None:
        _log_loss.raise_for_weight_facts(facts)
    if label_error is not None:
        raise label_error
    for w in label_warnings:  # e.g. "labels are not ordered", once, from here
        warnings.warn(w.message, w.category, stacklevel=3)
    if not from_logits and not binary:
        _log_loss.warn_if_rows_off(facts, float(np.finfo(dtype).eps), stacklevel=3)
    if enc.n_classes != n_columns:
        _log_loss.raise_class_count_mismatch(enc, uniq, labels, n_columns)

    total = math.fsum(p[1] for p in parts)
    if not normalize:
        return total
    if sw is None:
        return total / float(yp.shape[0])
    if facts.weight_sum == 0:
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    return total / facts.weight_sum


def _multilabel_chunk(yt, yp, sw, start, stop, from_logits):
    with chunk_errors(start, stop):
        total = _log_loss.multilabel_log_loss(
            np.asarray(yt), np.asarray(yp), normalize=False,
            sample_weight=None if sw is None else np.asarray(sw), from_logits=from_logits,
            allow_all_zero_weights=True)
    return np.array([total, 0.0 if sw is None else float(np.sum(sw, dtype=np.float64))])


def multilabel_log_loss(y_true, y_proba, *, normalize, sample_weight, from_logits):
    """``skxent.metrics.multilabel_log_loss`` on dask arrays: the in-memory computation's sum
    on every chunk (its checks included), normalised on the client."""
    dask, _ = _modules()
    arrs, rows = align_rows(
        {"y_proba": y_proba, "y_true": y_true, "sample_weight": sample_weight})
    yp, yt, sw = arrs["y_proba"], arrs["y_true"], arrs["sample_weight"]
    if yt.shape != yp.shape:
        raise ValueError(
            f"y_true and y_proba must have the same shape; got y_true of shape "
            f"{yt.shape} and y_proba of shape {yp.shape}.")
    chunks = nonempty_blocks(rows, yt, yp, sw)
    if not chunks:
        return _log_loss.multilabel_log_loss(
            np.asarray(yt), np.asarray(yp), normalize=normalize,
            sample_weight=None if sw is None else np.asarray(sw), from_logits=from_logits)
    parts = dask.compute(*[dask.delayed(_multilabel_chunk, pure=True)(
        *b, start, stop, from_logits) for start, stop, b in chunks])
    P = np.stack(parts)
    wsum = float(yp.shape[0]) if sw is None else math.fsum(P[:, 1])
    if sw is not None and wsum == 0:  # every chunk's weights are zero: the in-memory error
        from sklearn.utils.validation import _check_sample_weight

        _check_sample_weight(np.zeros(1), np.zeros(1))
    total = math.fsum(P[:, 0])
    if not normalize:
        return total
    n_labels = yp.shape[1] if yp.ndim == 2 else 1
    return float(divide(total, n_labels * wsum, no_nan=True))


#: The Dask backend (see ``skxent._backends``): this module's three operations.
BACKEND = SimpleNamespace(
    name="dask",
    loss=loss,
    log_loss=log_loss,
    multilabel_log_loss=multilabel_log_loss,
)
