"""Sampled softmax and NCE losses for very many classes (TensorFlow semantics).

Design note
-----------
With hundreds of thousands to millions of classes a full softmax per training step costs
``batch x n_classes`` logits (a 1024 x 1e6 float32 matrix is 4 GB). TensorFlow's answer, which we
reproduce formula for formula, is to score only the true classes plus a small shared set of
"negative" classes drawn from a proposal distribution Q, and to correct the logits by
``-log(expected_count)`` so that the sampled objective approximates the full one (it is biased,
and optimistic: train with it, evaluate with the full softmax):

* :func:`log_uniform_candidate_sampler` is ``tf.random.log_uniform_candidate_sampler``: Zipfian
  proposal ``P(c) = (log(c + 2) - log(c + 1)) / log(range_max + 1)``, drawn by inverse CDF. With
  ``unique=True`` it draws *with* replacement and rejects repeats until ``num_sampled`` distinct
  classes are found, counting the draws (``num_tries``); the expected counts are then TensorFlow's
  approximation ``1 - (1 - P(c))**num_tries``, computed as ``-expm1(num_tries * log1p(-P(c)))``
  (TensorFlow's ``ExpectedCountHelper``, including its shortcut ``num_sampled * P(c)`` when no
  draw was rejected). NumPy's ``default_rng`` supplies the randomness, so samples are not the same
  numbers TensorFlow's Philox stream gives, only the same distribution.
* :func:`sampled_softmax_loss` and :func:`nce_loss` follow TensorFlow's
  ``_compute_sampled_logits``: gather only the needed rows of ``weights``/``biases``, compute
  true logits as row-wise dot products and sampled logits as one ``(batch, dim) @ (dim, S)``
  product, add ``-FLT_MAX`` (TensorFlow's ``compute_accidental_hits`` weight, the float32
  maximum, in both dtypes) where a sampled class equals one of the example's true classes, then
  subtract ``log(expected_count)`` (a class repeated in the sample is masked at its last
  position only, as TensorFlow does). Targets are ``1/num_true`` on the true columns and 0 on the
  sampled ones. The losses are then the library's own stable kernels, through a loss family of
  the engine: the categorical family (softmax cross-entropy) for sampled softmax, the binary
  family (sigmoid cross-entropy, summed over the columns) for NCE. A ``-FLT_MAX`` logit carries no target mass, so both kernels give it
  probability 0 and gradient exactly 0 (their ``-inf`` masking rule), never NaN.
* Gradients (``return_grad=True``) are of the **sum over the batch** of the per-example losses
  (divide by the batch size for the mean). They are built from the kernels' elementwise
  gradients with respect to the ``(batch, num_true + num_sampled)`` logits, then pushed through
  the gather: a dense gradient for ``inputs`` and *sparse* gradients for ``weights`` and
  ``biases`` -- the sorted, unique touched class ids and their summed gradient rows (like
  ``tf.IndexedSlices`` after deduplication), so ``W[idx] -= lr * rows`` is a correct SGD step.
  Duplicate ids (a class that is the label of several examples, or sampled and also a label) are
  summed by a sparse ``(n_touched, batch)`` CSR product with ``inputs`` (and ``np.bincount`` for
  the biases), in a fixed order, so results are deterministic.
* Layer: an internal user of the engine (``skxent._engine``), below the public
  ``skxent.losses``, which re-exports the three public functions.

Dtypes: the computation runs in float32 if ``weights``, ``biases`` and ``inputs`` are all float32
(as TensorFlow would), else float64. Only the gathered rows of ``weights`` are ever converted, so a
huge float32 embedding table is never copied. Expected counts are computed in float64 (TensorFlow
rounds them to float32). The matrix products go through NumPy's BLAS, on one thread when they
are small (below 2**25 multiply-adds: the default problem, batch 1024 x dim 128 x 65 columns, is
8.5e6), since a spinning multi-threaded OpenBLAS loses up to 10x on them on a busy machine; an
explicit ``n_threads`` also bounds the BLAS threads. ``n_threads`` is passed to the cross-entropy
kernels, capped so that each thread gets at least 65536 logits (the kernels are bit-identical for
any thread count, so the cap only avoids paying thread wake-ups for a tiny
``batch x (num_true + num_sampled)`` matrix).
"""

from collections import namedtuple
import contextlib
import numbers

import numpy as np
from scipy import sparse as _sparse

from . import _engine
from ._config import effective_n_threads
from ._engine import BINARY, CATEGORICAL

__all__ = ["log_uniform_candidate_sampler", "sampled_softmax_loss", "nce_loss"]

# TensorFlow's compute_accidental_hits weight: -std::numeric_limits<float>::max(), cast to the
# logits' dtype. Added (not assigned) to the sampled logit, then log(expected_count) is subtracted.
_ACCIDENTAL_HIT = -float(np.finfo(np.float32).max)

# Minimum number of logits per kernel thread (see _kernel_threads).
_MIN_WORK = 1 << 16
# Below this many multiply-adds the matrix products run on one BLAS thread (see _blas_threads).
_SMALL_GEMM = 1 << 25

SparseRows = namedtuple("SparseRows", ["indices", "values"])
SparseRows.__doc__ = """Sparse gradient of a (num_classes, ...) parameter.

indices : ndarray of int64, shape (n_touched,)
    Sorted, unique class ids whose rows received gradient.
values : ndarray, shape (n_touched, dim) for weights, (n_touched,) for biases
    The summed gradient rows for those ids.
"""

SampledGradients = namedtuple("SampledGradients", ["inputs", "weights", "biases"])
SampledGradients.__doc__ = """Gradients of the summed sampled loss.

inputs : ndarray, shape (batch, dim)
weights : SparseRows (values of shape (n_touched, dim))
biases : SparseRows (values of shape (n_touched,)); same indices as ``weights``.
"""


_BLAS_CONTROLLER = None


def _blas_threads(n_threads, macs):
    """Context limiting NumPy's BLAS threads for the small products of one call.

    The products here are small by design (``batch x dim x (num_true + num_sampled)``
    multiply-adds). A multi-threaded OpenBLAS gains little on them and, on a busy machine, loses
    up to 10x to its spinning threads, so below ``_SMALL_GEMM`` multiply-adds they run on one
    thread (as scikit-learn's KMeans does for its small products); an explicit ``n_threads``
    also bounds the BLAS threads.
    """
    global _BLAS_CONTROLLER
    limit = n_threads
    if macs < _SMALL_GEMM:
        limit = 1
    if limit is None:
        return contextlib.nullcontext()
    if _BLAS_CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _BLAS_CONTROLLER = ThreadpoolController()  # ~1 ms: build once, limit() is ~50 us
    return _BLAS_CONTROLLER.limit(limits=limit, user_api="blas")


def _kernel_threads(n_threads, n_elements):
    """Validate ``n_threads``; cap it so every thread gets at least _MIN_WORK elements.

    The sampled logits are small (batch x (num_true + num_sampled)): waking a second OpenMP
    thread for 65k elements costs more than it saves, and far more on a loaded machine. The
    kernels are bit-identical for every thread count, so the cap changes only the speed.
    """
    n = effective_n_threads(n_threads)
    return max(1, min(n, n_elements // _MIN_WORK))


def _check_int(name, value, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _first_position(bad):
    pos = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), bad.shape))
    return pos[0] if len(pos) == 1 else pos


def _as_class_ids(name, a, upper):
    """Integral class ids in [0, upper) as int64; ValueError names the first bad position."""
    a = np.asarray(a)
    if a.dtype.kind in "iu":
        ids = a.astype(np.int64, copy=False)
        bad = (ids < 0) | (ids >= upper)
        if a.dtype.kind == "u":  # uint64 above int64 max would wrap negative
            bad |= a >= upper
    elif a.dtype.kind == "b":
        ids = a.astype(np.int64)
        bad = ids >= upper
    elif a.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(a) | (a != np.floor(a)) | (a < 0) | (a >= upper)
        ids = None
    else:
        raise TypeError(f"{name} must hold integer class ids, got dtype {a.dtype}")
    if bad.any():
        pos = _first_position(bad)
        raise ValueError(
            f"{name} must hold integer class ids in [0, {upper}); "
            f"found {a[pos].item()!r} at position {pos}"
        )
    if ids is None:
        ids = a.astype(np.int64)
    return ids


def _log_uniform_probability(classes, range_max):
    # (log(c + 2) - log(c + 1)) / log(range_max + 1) without the cancellation of two logs.
    c = np.asarray(classes, dtype=np.float64)
    return np.log1p(1.0 / (c + 1.0)) / np.log1p(float(range_max))


def _expected_count(p, num_sampled, num_tries):
    # TensorFlow's ExpectedCountHelper.
    if num_tries == num_sampled:
        return p * num_sampled
    with np.errstate(divide="ignore"):
        return -np.expm1(num_tries * np.log1p(-p))


def _draw_log_uniform(rng, size, range_max):
    log_range = np.log1p(float(range_max))
    u = rng.random(size)
    # Inverse CDF. floor(exp(.)) can only reach range_max through round-off as u -> 1; clip it
    # into the last class (TensorFlow takes it modulo range_max; both are measure-zero events).
    v = np.floor(np.exp(u * log_range)).astype(np.int64) - 1
    np.clip(v, 0, range_max - 1, out=v)
    return v


def _draw_unique(rng, num_sampled, range_max):
    """Sequential rejection sampling as TensorFlow does it, vectorised by chunks.

    Returns the first ``num_sampled`` distinct values of the draw sequence, in order of first
    appearance, and the number of draws needed (``num_tries``).
    """
    chosen = np.empty(0, dtype=np.int64)  # values, in order of first appearance
    chosen_sorted = np.empty(0, dtype=np.int64)
    num_tries = 0
    chunk = 2 * num_sampled + 16
    while True:
        draws = _draw_log_uniform(rng, chunk, range_max)
        vals, first = np.unique(draws, return_index=True)
        if chosen_sorted.size:
            pos = np.searchsorted(chosen_sorted, vals)
            pos = np.minimum(pos, chosen_sorted.size - 1)
            new = chosen_sorted[pos] != vals
            vals, first = vals[new], first[new]
        order = np.argsort(first, kind="stable")
        vals, first = vals[order], first[order]
        need = num_sampled - chosen.size
        if vals.size >= need:
            chosen = np.concatenate([chosen, vals[:need]])
            num_tries += int(first[need - 1]) + 1
            return chosen, num_tries
        chosen = np.concatenate([chosen, vals])
        chosen_sorted = np.sort(chosen)
        num_tries += chunk
        # Late in a near-exhaustive draw most draws are repeats: grow the chunk, within bounds.
        chunk = min(2 * chunk, 1 << 20)


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, *,
                                  seed=None):
    """Sample classes from the log-uniform (Zipfian) distribution, like TensorFlow.

    ``P(c) = (log(c + 2) - log(c + 1)) / log(range_max + 1)`` for ``c`` in ``[0, range_max)``:
    class 0 is the most likely, so class ids should be sorted by decreasing frequency.

    Parameters
    ----------
    true_classes : array-like of int, shape (batch, num_true)
        The target classes; only used for their expected counts (they are not avoided).
    num_true : int
        Number of target classes per example; must equal ``true_classes.shape[1]``.
    num_sampled : int >= 1
        Number of classes to sample.
    unique : bool
        If True, sample without replacement, TensorFlow's way: draw with replacement and reject
        repeats until ``num_sampled`` distinct classes are found; requires
        ``num_sampled <= range_max``.
    range_max : int >= 1
        Number of possible classes.
    seed : None, int, or numpy.random.Generator
        Passed to :func:`numpy.random.default_rng`; an int makes the sample reproducible.

    Returns
    -------
    sampled_candidates : ndarray of int64, shape (num_sampled,)
        The sampled classes (in order of first draw when ``unique=True``).
    true_expected_count : ndarray of float64, shape (batch, num_true)
        Expected number of times each true class occurs in a sample.
    sampled_expected_count : ndarray of float64, shape (num_sampled,)
        Expected number of times each sampled class occurs in a sample.

    Notes
    -----
    Expected counts are ``num_sampled * P(c)`` with replacement. With ``unique=True`` and
    ``num_tries`` draws needed, they are ``1 - (1 - P(c))**num_tries`` (TensorFlow's
    approximation, computed as ``-expm1(num_tries * log1p(-P(c)))``), or ``num_sampled * P(c)``
    when no draw was rejected, exactly as TensorFlow's ``ExpectedCountHelper``.

    See Also
    --------
    sampled_softmax_loss : Draws with this sampler unless given ``sampled_values``.
    nce_loss : Likewise.

    Examples
    --------
    >>> import numpy as np
    >>> from skxent.losses import log_uniform_candidate_sampler
    >>> true_classes = np.array([[0], [7]])
    >>> sampled, true_count, sampled_count = log_uniform_candidate_sampler(
    ...     true_classes, num_true=1, num_sampled=4, unique=True, range_max=1000, seed=0)
    >>> sampled.shape, true_count.shape, sampled_count.shape
    ((4,), (2, 1), (4,))
    >>> len(set(sampled.tolist()))  # unique=True: four distinct classes
    4
    >>> bool(true_count[0, 0] > true_count[1, 0])  # class 0 is the most likely
    True
    """
    num_true = _check_int("num_true", num_true, 1)
    num_sampled = _check_int("num_sampled", num_sampled, 1)
    range_max = _check_int("range_max", range_max, 1)
    if not isinstance(unique, (bool, np.bool_)):
        raise TypeError(f"unique must be a bool, got {unique!r}")
    if unique and num_sampled > range_max:
        raise ValueError(
            f"num_sampled={num_sampled} > range_max={range_max}: cannot draw that many "
            "distinct classes with unique=True"
        )
    true_classes = np.asarray(true_classes)
    if true_classes.ndim != 2 or true_classes.shape[1] != num_true:
        raise ValueError(
            f"true_classes must have shape (batch, num_true={num_true}), "
            f"got {true_classes.shape}"
        )
    true_ids = _as_class_ids("true_classes", true_classes, range_max)

    rng = np.random.default_rng(seed)
    if unique:
        sampled, num_tries = _draw_unique(rng, num_sampled, range_max)
    else:
        sampled = _draw_log_uniform(rng, num_sampled, range_max)
        num_tries = num_sampled
    true_expected = _expected_count(
        _log_uniform_probability(true_ids, range_max), num_sampled, num_tries
    )
    sampled_expected = _expected_count(
        _log_uniform_probability(sampled, range_max), num_sampled, num_tries
    )
    return sampled, true_expected, sampled_expected


def _float_array(name, a):
    a = np.asarray(a)
    if a.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got complex dtype {a.dtype}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {a.dtype}")
    return a


def _validate(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
              sampled_values, remove_accidental_hits, seed, n_threads):
    num_classes = _check_int("num_classes", num_classes, 1)
    num_sampled = _check_int("num_sampled", num_sampled, 1)
    num_true = _check_int("num_true", num_true, 1)
    effective_n_threads(n_threads)  # validate early, before any work

    weights = _float_array("weights", weights)
    biases = _float_array("biases", biases)
    inputs = _float_array("inputs", inputs)
    if weights.ndim != 2 or weights.shape[0] != num_classes:
        raise ValueError(
            f"weights must have shape (num_classes={num_classes}, dim), got {weights.shape}"
        )
    if biases.shape != (num_classes,):
        raise ValueError(
            f"biases must have shape (num_classes={num_classes},), got {biases.shape}"
        )
    if inputs.ndim != 2 or inputs.shape[1] != weights.shape[1]:
        raise ValueError(
            f"inputs must have shape (batch, dim={weights.shape[1]}), got {inputs.shape}"
        )
    batch = inputs.shape[0]

    labels = np.asarray(labels)
    if labels.ndim == 1 and num_true == 1:
        labels = labels.reshape(-1, 1)  # convenience: 1-D labels for the single-label case
    if labels.ndim != 2 or labels.shape != (batch, num_true):
        raise ValueError(
            f"labels must have shape (batch={batch}, num_true={num_true}), got {labels.shape}"
        )
    labels = _as_class_ids("labels", labels, num_classes)

    if all(a.dtype == np.float32 for a in (weights, biases, inputs)):
        dtype = np.dtype(np.float32)
    else:
        dtype = np.dtype(np.float64)

    if sampled_values is None:
        sampled, true_expected, sampled_expected = log_uniform_candidate_sampler(
            labels, num_true, num_sampled, True, num_classes, seed=seed
        )
    else:
        try:
            sampled, true_expected, sampled_expected = sampled_values
        except (TypeError, ValueError):
            raise ValueError(
                "sampled_values must be a tuple (sampled_candidates, true_expected_count, "
                "sampled_expected_count)"
            ) from None
        sampled = np.asarray(sampled)
        if sampled.shape != (num_sampled,):
            raise ValueError(
                f"sampled_candidates must have shape (num_sampled={num_sampled},), "
                f"got {sampled.shape}"
            )
        sampled = _as_class_ids("sampled_candidates", sampled, num_classes)
        true_expected = _float_array("true_expected_count", true_expected)
        sampled_expected = _float_array("sampled_expected_count", sampled_expected)
        if true_expected.shape != (batch, num_true):
            raise ValueError(
                f"true_expected_count must have shape (batch={batch}, num_true={num_true}), "
                f"got {true_expected.shape}"
            )
        if sampled_expected.shape != (num_sampled,):
            raise ValueError(
                f"sampled_expected_count must have shape (num_sampled={num_sampled},), "
                f"got {sampled_expected.shape}"
            )
        for name, e in (("true_expected_count", true_expected),
                        ("sampled_expected_count", sampled_expected)):
            # log(expected_count) is subtracted: 0 would give a +inf logit, < 0 or NaN a NaN.
            bad = ~(e > 0) | ~np.isfinite(e)
            if bad.any():
                pos = _first_position(bad)
                raise ValueError(
                    f"{name} must be positive and finite; found {e[pos].item()!r} at "
                    f"position {pos}"
                )
    return (weights, biases, labels, inputs, num_true, dtype, sampled,
            np.asarray(true_expected, dtype=np.float64),
            np.asarray(sampled_expected, dtype=np.float64))


def _compute_sampled_logits(weights, biases, labels, inputs, sampled, true_expected,
                            sampled_expected, remove_accidental_hits, dtype):
    """TensorFlow's ``_compute_sampled_logits``; returns logits (batch, T + S) and gathered rows."""
    batch, num_true = labels.shape
    num_sampled = sampled.shape[0]
    all_ids = np.concatenate([labels.ravel(), sampled])
    # Gather first, convert second: never copy the whole (num_classes, dim) table.
    all_w = np.take(weights, all_ids, axis=0).astype(dtype, copy=False)
    all_b = np.take(biases, all_ids).astype(dtype, copy=False)
    x = np.ascontiguousarray(inputs, dtype=dtype)
    n_true = batch * num_true
    true_w = all_w[:n_true].reshape(batch, num_true, all_w.shape[1])
    sampled_w = all_w[n_true:]

    logits = np.empty((batch, num_true + num_sampled), dtype=dtype)
    logits[:, :num_true] = np.einsum("bd,btd->bt", x, true_w)
    logits[:, :num_true] += all_b[:n_true].reshape(batch, num_true)
    logits[:, num_true:] = x @ sampled_w.T
    logits[:, num_true:] += all_b[n_true:]

    if remove_accidental_hits:
        # TensorFlow's compute_accidental_hits maps each sampled value to its *last* position
        # in the sample, so with a repeated sampled class only that column is masked (a
        # TensorFlow quirk, kept for identical results; unique samples are unaffected).
        rev = sampled[::-1]
        _, first_in_rev = np.unique(rev, return_index=True)
        is_last = np.zeros(num_sampled, dtype=bool)
        is_last[num_sampled - 1 - first_in_rev] = True
        hits = (labels[:, :, None] == sampled[None, None, :]).any(axis=1) & is_last
        # sparse_to_dense assigns each hit once, then the dense matrix is added.
        logits[:, num_true:][hits] += dtype.type(_ACCIDENTAL_HIT)

    logits[:, :num_true] -= np.log(true_expected).astype(dtype, copy=False)
    logits[:, num_true:] -= np.log(sampled_expected).astype(dtype, copy=False)
    return logits, x, true_w, sampled_w


def _backward(g, x, true_w, sampled_w, labels, sampled):
    """Push dL/dlogits (batch, T + S) through the gather; L = sum of per-example losses."""
    batch, num_true = labels.shape
    g_true = g[:, :num_true]
    g_samp = g[:, num_true:]
    grad_inputs = g_samp @ sampled_w
    grad_inputs += np.einsum("bt,btd->bd", g_true, true_w)

    all_ids = np.concatenate([labels.ravel(), sampled])
    indices, inv = np.unique(all_ids, return_inverse=True)
    n_true = batch * num_true
    inv_true, inv_samp = inv[:n_true], inv[n_true:]
    # True-class rows: a sparse (n_touched, batch) matrix of g_true entries times inputs; a
    # CSR product sums duplicate labels in a fixed order (deterministic) without forming the
    # (batch * num_true, dim) outer products.
    A = _sparse.csr_matrix(
        (g_true.ravel(), (inv_true, np.repeat(np.arange(batch), num_true))),
        shape=(indices.shape[0], batch),
    )
    w_rows = np.asarray(A @ x, dtype=x.dtype)
    samp_rows = g_samp.T @ x
    if np.unique(inv_samp).shape[0] == inv_samp.shape[0]:
        w_rows[inv_samp] += samp_rows  # distinct sampled classes (unique=True sampling)
    else:
        np.add.at(w_rows, inv_samp, samp_rows)
    b_vals = np.bincount(
        inv, weights=np.concatenate([g_true.ravel(), g_samp.sum(axis=0, dtype=np.float64)]),
        minlength=indices.shape[0],
    ).astype(x.dtype)
    return SampledGradients(
        grad_inputs.astype(x.dtype, copy=False),
        SparseRows(indices, w_rows),
        SparseRows(indices, b_vals),
    )


def _sampled_loss(family, weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                  sampled_values, remove_accidental_hits, seed, return_grad, n_threads):
    (weights, biases, labels, inputs, num_true, dtype, sampled, true_expected,
     sampled_expected) = _validate(weights, biases, labels, inputs, num_sampled, num_classes,
                                   num_true, sampled_values, remove_accidental_hits, seed,
                                   n_threads)
    macs = inputs.shape[0] * inputs.shape[1] * (num_true + sampled.shape[0])
    with _blas_threads(n_threads, macs):
        return _sampled_loss_body(family, weights, biases, labels, inputs, num_true, dtype,
                                  sampled, true_expected, sampled_expected,
                                  remove_accidental_hits, return_grad, n_threads)


def _sampled_loss_body(family, weights, biases, labels, inputs, num_true, dtype, sampled,
                       true_expected, sampled_expected, remove_accidental_hits, return_grad,
                       n_threads):
    logits, x, true_w, sampled_w = _compute_sampled_logits(
        weights, biases, labels, inputs, sampled, true_expected, sampled_expected,
        remove_accidental_hits, dtype,
    )
    batch = logits.shape[0]
    n_cols = logits.shape[1]
    n_threads = _kernel_threads(n_threads, logits.size)

    if num_true == 1 and family.integer_labels:
        # Target one-hot on column 0: the sparse form is the same loss, read from less memory.
        targets = np.zeros(batch, dtype=np.int64)
    else:
        targets = np.zeros((batch, n_cols), dtype=dtype)
        targets[:, :num_true] = dtype.type(1.0) / dtype.type(num_true)

    if not return_grad:
        loss = _engine.loss(family, targets, logits, from_logits=True, reduction="none",
                            n_threads=n_threads, validate=False)
    else:
        # The logits are ours: let the kernel overwrite them with dL/dlogits.
        loss, g = _engine.loss(family, targets, logits, from_logits=True, reduction="none",
                               n_threads=n_threads, validate=False, grad_out=logits)
    if loss.ndim == 2:  # per-column terms (independent outputs): the example's loss is their sum
        loss = loss.sum(axis=1, dtype=np.float64).astype(dtype, copy=False)
    loss = np.asarray(loss, dtype=dtype)
    if not return_grad:
        return loss
    return loss, _backward(g, x, true_w, sampled_w, labels, sampled)


_COMMON_DOC = """
    Parameters
    ----------
    weights : array-like, shape (num_classes, dim)
        Class embeddings (output layer weights). Only the rows of the true and sampled classes
        are read.
    biases : array-like, shape (num_classes,)
        Class biases.
    labels : array-like of int, shape (batch, num_true)
        Target classes, in ``[0, num_classes)``. A 1-D ``(batch,)`` array is accepted when
        ``num_true=1``.
    inputs : array-like, shape (batch, dim)
        Forward activations of the input network.
    num_sampled : int >= 1
        Number of classes sampled per batch (shared by all examples).
    num_classes : int >= 1
        Number of possible classes.
    num_true : int, default=1
        Number of target classes per example; each gets target ``1 / num_true``.
    sampled_values : tuple or None, default=None
        ``(sampled_candidates (num_sampled,), true_expected_count (batch, num_true),
        sampled_expected_count (num_sampled,))`` as returned by a candidate sampler. ``None``
        draws them with :func:`log_uniform_candidate_sampler` (``unique=True``,
        ``range_max=num_classes``), as TensorFlow does. Expected counts must be positive.
    remove_accidental_hits : bool, default={rah}
        Push the logit of a sampled class that equals one of the example's true classes to
        ``-FLT_MAX`` (TensorFlow's value), so it does not count as a negative.
    seed : None, int or numpy.random.Generator, default=None
        Seed of the sampler (ignored when ``sampled_values`` is given).
    return_grad : bool, default=False
        Also return the gradients of ``sum(loss)`` (the sum over the batch, not the mean).
    n_threads : int or None, default=None
        Upper bound on the threads of the cross-entropy kernels and of the matrix products
        (NumPy's BLAS). Small problems run on one thread whatever the value. The kernels are
        bit-identical for every thread count.

    Returns
    -------
    loss : ndarray, shape (batch,)
        Per-example losses, float32 if ``weights``, ``biases`` and ``inputs`` are all float32,
        else float64.
    grad : SampledGradients, only if ``return_grad=True``
        ``grad.inputs`` (batch, dim) dense; ``grad.weights`` and ``grad.biases`` are
        ``SparseRows(indices, values)``: sorted unique touched class ids and their summed
        gradient rows ``(n_touched, dim)`` / values ``(n_touched,)``, so that
        ``weights[g.weights.indices] -= lr * g.weights.values`` is an SGD step.

    Raises
    ------
    ValueError
        Labels or sampled classes outside ``[0, num_classes)`` or not integral, mismatched
        shapes (including ``labels.shape[1] != num_true``), non-positive expected counts,
        ``num_sampled > num_classes`` when sampling internally (``unique=True``).
"""


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes, *,
                         num_true=1, sampled_values=None, remove_accidental_hits=True,
                         seed=None, return_grad=False, n_threads=None):
    return _sampled_loss(CATEGORICAL, weights, biases, labels, inputs, num_sampled, num_classes,
                         num_true, sampled_values, remove_accidental_hits, seed, return_grad,
                         n_threads)


sampled_softmax_loss.__doc__ = """Sampled softmax loss, like ``tf.nn.sampled_softmax_loss``.

    A fast estimate of the softmax cross-entropy over ``num_classes`` classes, for training:
    softmax cross-entropy over the columns ``[true classes, sampled classes]`` with logits
    ``inputs @ weights[c] + biases[c] - log(expected_count[c])``. Evaluate with the full softmax
    cross-entropy (:func:`skxent.losses.categorical_cross_entropy`).
""" + _COMMON_DOC.replace("{rah}", "True") + """
    See Also
    --------
    nce_loss : The sigmoid (noise-contrastive) counterpart.
    log_uniform_candidate_sampler : The default sampler.
    skxent.losses.categorical_cross_entropy : The full softmax loss, for evaluation.

    Examples
    --------
    A linear softmax layer over 1000 classes, batch of 3, 16 sampled classes; one SGD step:

    >>> import numpy as np
    >>> from skxent.losses import sampled_softmax_loss
    >>> rng = np.random.default_rng(0)
    >>> weights = rng.standard_normal((1000, 8))
    >>> biases = np.zeros(1000)
    >>> inputs = rng.standard_normal((3, 8))
    >>> labels = np.array([5, 0, 999])
    >>> loss, grad = sampled_softmax_loss(weights, biases, labels, inputs, num_sampled=16,
    ...                                   num_classes=1000, seed=0, return_grad=True)
    >>> loss.shape, grad.inputs.shape
    ((3,), (3, 8))
    >>> grad.weights.values.shape == (len(grad.weights.indices), 8)  # touched rows only
    True
    >>> weights[grad.weights.indices] -= 0.1 * grad.weights.values
    >>> biases[grad.biases.indices] -= 0.1 * grad.biases.values
"""


def nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, *, num_true=1,
             sampled_values=None, remove_accidental_hits=False, seed=None, return_grad=False,
             n_threads=None):
    return _sampled_loss(BINARY, weights, biases, labels, inputs, num_sampled, num_classes,
                         num_true, sampled_values, remove_accidental_hits, seed, return_grad,
                         n_threads)


nce_loss.__doc__ = """Noise-contrastive estimation loss, like ``tf.nn.nce_loss``.

    Sigmoid cross-entropy of the true columns (target ``1 / num_true``) and the sampled columns
    (target 0), with logits ``inputs @ weights[c] + biases[c] - log(expected_count[c])``, summed
    over the columns. TensorFlow's default ``remove_accidental_hits=False`` is kept.
""" + _COMMON_DOC.replace("{rah}", "False") + """
    See Also
    --------
    sampled_softmax_loss : The softmax counterpart.
    log_uniform_candidate_sampler : The default sampler.
    skxent.losses.binary_cross_entropy : The sigmoid cross-entropy it sums.

    Examples
    --------
    >>> import numpy as np
    >>> from skxent.losses import nce_loss
    >>> rng = np.random.default_rng(0)
    >>> weights = rng.standard_normal((1000, 8))
    >>> biases = np.zeros(1000)
    >>> inputs = rng.standard_normal((3, 8))
    >>> labels = np.array([[5], [0], [999]])  # (batch, num_true)
    >>> loss = nce_loss(weights, biases, labels, inputs, num_sampled=16, num_classes=1000,
    ...                 seed=0)
    >>> loss.shape, loss.dtype
    ((3,), dtype('float64'))

    Your own sample (the classes and their expected counts), as from any candidate sampler:

    >>> sampled_values = (np.array([1, 2, 3]), np.full((3, 1), 0.5), np.full(3, 0.5))
    >>> nce_loss(weights, biases, labels, inputs, num_sampled=3, num_classes=1000,
    ...          sampled_values=sampled_values).shape
    (3,)
"""
