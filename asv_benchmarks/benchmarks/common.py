"""Data and settings shared by the asv benchmarks.

Design note
-----------
asv times one commit of skxent against another, so the benchmark code must be the same for both:
these modules never import ``skxent._bench`` (a commit older than it would fail to import, and
a commit that changed its data generators would compare different inputs). They repeat its
cases instead: the same shapes, seeds and generators as the ``losses``, ``metrics``, ``fit`` and
``sampled`` suites at their default size's largest input (the small ``metrics`` case is the
per-call overhead). Only public API that exists since skxent 0.1 is used; optional functions
are looked up with ``getattr`` and a benchmark without them is skipped (``NotImplementedError``
in ``setup``, asv's convention).

Threads: ``n_threads`` is a parameter, 1 and every logical core (``os.cpu_count()``), so a
slowdown of the serial kernels and one of the parallel driver are told apart. BLAS is limited to
the same count (``threadpool_limits``) so the fits do not fight a spinning BLAS pool.
"""

import os

import numpy as np

N_THREADS = sorted({1, os.cpu_count() or 1})

SOFTMAX_N, SOFTMAX_K = 1_000_000, 10
SIGMOID_N, SIGMOID_K = 500_000, 20
METRIC_K = 10


def softmax_data(n, k, dtype):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((n, k), dtype=dtype)
    labels = rng.integers(0, k, n)
    return logits, labels


def sigmoid_data(n, k, dtype):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((n, k), dtype=dtype)
    targets = (rng.random((n, k)) < 0.3).astype(dtype)
    return logits, targets


def probabilities(n, k=METRIC_K, dtype=np.float64):
    rng = np.random.default_rng(0)
    p = rng.random((n, k))
    p /= p.sum(axis=1, keepdims=True)
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)
    return y, p.astype(dtype)


def limits(n_threads):
    """Limit every OpenMP and BLAS pool to ``n_threads`` until ``release``."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n_threads)


def release(bench):
    """Undo ``bench.limit`` (asv calls teardown even when setup skipped the benchmark)."""
    limit = getattr(bench, "limit", None)
    if limit is not None:
        limit.restore_original_limits()
