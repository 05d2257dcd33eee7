"""Helpers of the Dask tests: a shared LocalCluster fixture and chunking-independent data.

Design note
-----------
Cluster. ``client_fixture(scope)`` builds a fixture that starts
``LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1")`` and a
``Client`` once per module (two worker processes on loopback, each with a nanny that restarts a
killed worker), and closes both at the end. ``ensure_workers(client)`` waits until both workers
are back, so a test that killed one leaves a usable cluster behind. Worker processes are spawned
with the test process's ``sys.path`` (multiprocessing's spawn), so they import ``skxent`` and this
module exactly as the test process does.

Data. The large arrays are never shipped from the client: a dask array is ``da.arange(n)``
mapped block by block through one of the *makers* below, which produce rows ``start:stop`` of a
virtual array. Every maker draws from fixed base blocks of ``_BASE`` rows seeded by ``(seed,
block index)``, so the values of a row do not depend on the chunking: ``eager(...)`` (the whole
array in memory, for the reference computations) and ``lazy(..., chunks)`` for any chunks,
empty ones included, hold the same numbers. Workers generate their chunks themselves; the only
things in the task graph are names and small tuples.
"""

import functools
import os
import warnings

import numpy as np
import pytest

_BASE = 8192  # rows per seeded base block

# -- cluster ---------------------------------------------------------------------------------

N_WORKERS = 2


def client_fixture(scope="module"):
    """A fixture yielding a ``Client`` on a 2-process LocalCluster, started once per ``scope``."""

    @pytest.fixture(scope=scope)
    def dask_client():
        pytest.importorskip("dask.array")
        distributed = pytest.importorskip("distributed")
        with warnings.catch_warnings():
            # The scheduler's HTTP routes (not the dashboard) fall back to a free port when
            # another cluster on the machine holds 8787.
            warnings.filterwarnings("ignore", "Port 8787 is already in use")
            cluster = distributed.LocalCluster(
                n_workers=N_WORKERS,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()

    return dask_client


def ensure_workers(client, n=N_WORKERS, timeout=60):
    """Block until ``n`` workers are connected (after a kill the nanny restarts one)."""
    client.wait_for_workers(n, timeout=timeout)
    return client


def worker_pids(client):
    """``{worker address: pid}`` of the worker processes."""
    return client.run(os.getpid)


def forbid_large_numpy_conversion(monkeypatch, max_size=100_000):
    """Make ``np.asarray(dask_array)`` fail for arrays of more than ``max_size`` elements.

    The contract computes where the chunks live; an implementation that converted its inputs
    to NumPy on the client would pass every equality test. ``.compute()`` (used by the tests to
    fetch results) does not go through ``__array__`` and is unaffected.
    """
    import dask.array as da

    original = da.Array.__array__

    def guarded(self, *args, **kwargs):
        if self.size > max_size:  # NaN (unknown chunk sizes) compares False: allowed
            raise AssertionError(
                f"a dask array of shape {self.shape} was converted to NumPy on the client"
            )
        return original(self, *args, **kwargs)

    monkeypatch.setattr(da.Array, "__array__", guarded)


# -- chunk layouts ---------------------------------------------------------------------------


def even_chunks(n, n_chunks):
    """``n_chunks`` chunks of nearly equal size."""
    q, r = divmod(n, n_chunks)
    return tuple(q + (i < r) for i in range(n_chunks))


def ragged_chunks(n, one_class, n_cuts=40, seed=7):
    """Uneven chunks of ``n`` rows, with every awkward case the contract names.

    Empty chunks at the start, in the middle and at the end, a one-row chunk, sizes from one row
    to a large fraction of ``n``, and ``one_class = (a, b)`` as exactly one chunk (the makers
    give all rows of that range the same class).
    """
    a, b = one_class
    rng = np.random.default_rng(seed)
    cuts = {int(c) for c in rng.integers(1, n, n_cuts) if not a < c < b}
    cuts |= {a, b, 3, 4}  # [3, 4) is a one-row chunk
    bounds = [0, *sorted(c for c in cuts if 0 < c < n), n]
    sizes = [hi - lo for lo, hi in zip(bounds[:-1], bounds[1:])]
    mid = len(sizes) // 2
    sizes = [0, *sizes[:mid], 0, 0, *sizes[mid:], 0]
    assert sum(sizes) == n
    return tuple(sizes)


def chunk_starts(chunks):
    """Global first row of every chunk."""
    return np.concatenate([[0], np.cumsum(chunks)[:-1]]).astype(int)


# -- makers: rows start:stop of chunking-independent virtual arrays ---------------------------


def _draws(seed, start, stop, width, kind):
    """Rows ``start:stop`` of an infinite ``(., width)`` array of iid normal/uniform draws."""
    if stop <= start:
        return np.empty((0, width))
    b0, b1 = start // _BASE, (stop - 1) // _BASE + 1
    parts = []
    for blk in range(b0, b1):
        g = np.random.default_rng([seed, blk])
        parts.append(g.standard_normal((_BASE, width)) if kind == "normal"
                     else g.random((_BASE, width)))
    return np.concatenate(parts)[start - b0 * _BASE:stop - b0 * _BASE]


def _gumbel(seed, start, stop, width):
    u = _draws(seed, start, stop, width, "uniform")
    return -np.log(-np.log(np.maximum(u, 1e-300)))


def _force_one_class(labels, start, one_class, cls):
    a, b = one_class
    lo, hi = max(a, start), min(b, start + labels.shape[0])
    if lo < hi:
        labels[lo - start:hi - start] = cls
    return labels


def logits(start, stop, k, seed=11):
    """``(., k)`` logits, ``3 * N(0, 1)``."""
    return 3.0 * _draws(seed, start, stop, k, "normal")


def labels(start, stop, k, one_class=(0, 0), seed=12):
    """Uniform class indices in [0, k) (cheap: unrelated to the logits); ``one_class`` rows: 0."""
    u = _draws(seed, start, stop, 1, "uniform")[:, 0]
    return _force_one_class(np.minimum((u * k).astype(np.int64), k - 1), start, one_class, 0)


def proba(start, stop, k, seed=11):
    """``softmax(logits(...))``."""
    z = logits(start, stop, k, seed)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def soft_labels(start, stop, k, seed=21):
    """Rows of class probabilities (soft labels)."""
    return proba(start, stop, k, seed)


def binary_targets(start, stop, width, seed=31):
    """0/1 targets of shape (., width), drawn from ``sigmoid(logits(...))``."""
    z = logits(start, stop, width, seed=11)
    u = _draws(seed, start, stop, width, "uniform")
    return (u < 1.0 / (1.0 + np.exp(-z))).astype(np.float64)


def sigmoid_proba(start, stop, width, seed=11):
    return 1.0 / (1.0 + np.exp(-logits(start, stop, width, seed)))


def weights(start, stop, seed=41):
    """Sample weights in [0, 2), about 10% exactly zero."""
    u = _draws(seed, start, stop, 2, "uniform")
    w = 2.0 * u[:, 0]
    w[u[:, 1] < 0.1] = 0.0
    return w


def string_labels(start, stop, k, one_class=(0, 0), names=None):
    names = np.array(names if names is not None else [f"c{i}" for i in range(k)])
    return names[labels(start, stop, k, one_class)]


def design(start, stop, d, seed=51):
    """Features: ``N(0, 1)`` with a non-zero mean in the first column."""
    X = _draws(seed, start, stop, d, "normal")
    X[:, 0] += 0.5
    return X


def _true_weights(d, k, seed):
    g = np.random.default_rng(seed)
    return 0.6 * g.standard_normal((k, d)), 0.5 * g.standard_normal(k)


def design_labels(start, stop, d, k, one_class=(0, 0), seed=51):
    """Labels of :func:`design` rows from a random linear softmax model (not separable)."""
    W, b = _true_weights(d, k, seed + 1)
    z = design(start, stop, d, seed) @ W.T + b + _gumbel(seed + 2, start, stop, k)
    return _force_one_class(np.argmax(z, axis=1), start, one_class, 0)


def design_string_labels(start, stop, d, k, one_class=(0, 0), seed=51):
    names = np.array(["ant", "bee", "cat", "dog", "eel", "fox"][:k])
    return names[design_labels(start, stop, d, k, one_class, seed)]


def design_multilabel(start, stop, d, n_labels, seed=51):
    """0/1 indicator matrix (int8) of :func:`design` rows, one logistic model per label."""
    V, c = _true_weights(d, n_labels, seed + 3)
    z = design(start, stop, d, seed) @ V.T + c
    u = _draws(seed + 4, start, stop, n_labels, "uniform")
    return (u < 1.0 / (1.0 + np.exp(-z))).astype(np.int8)


def design_weights(start, stop, seed=61):
    """Positive sample weights in [0.25, 2.25) (a zero weight changes nothing in a fit)."""
    return 0.25 + 2.0 * _draws(seed, start, stop, 1, "uniform")[:, 0]


# -- eager / lazy ----------------------------------------------------------------------------


def _make(maker, start, stop, args, dtype):
    out = globals()[maker](start, stop, *args)
    return out.astype(dtype, copy=False) if dtype is not None else out


@functools.lru_cache(maxsize=64)
def eager(maker, n, args=(), dtype=None):
    """The whole virtual array as a read-only NumPy array (cached)."""
    out = _make(maker, 0, n, args, dtype)
    out.setflags(write=False)
    return out


def _block(idx, maker, args, dtype):
    if idx.size == 0:
        return _make(maker, 0, 0, args, dtype)
    return _make(maker, int(idx[0]), int(idx[-1]) + 1, args, dtype)


def lazy(maker, n, chunks, args=(), dtype=None):
    """The virtual array as a dask array with row chunks ``chunks``, generated on the workers."""
    import dask.array as da

    sample = _make(maker, 0, 0, args, dtype)  # empty: gives the dtype and the trailing shape
    idx = da.arange(n, chunks=(tuple(chunks),), dtype=np.int64)
    if sample.ndim == 1:
        return idx.map_blocks(_block, maker, args, sample.dtype, dtype=sample.dtype,
                              meta=sample)
    return idx.map_blocks(
        _block, maker, args, sample.dtype, new_axis=1,
        chunks=(idx.chunks[0], (sample.shape[1],)), dtype=sample.dtype, meta=sample,
    )

