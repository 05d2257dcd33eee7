"""Thread-count independence and thread safety of the kernels.

Design note
-----------
The API promises results that are *bit-identical* for every ``n_threads`` (the kernels chunk the
work independently of the thread count and combine partial sums in a fixed order), so every
comparison here is ``np.array_equal`` / ``==``, never ``allclose``. Sizes are above the kernels'
parallel threshold (200_000 x 10 elements; the threshold is reported by ``show_config``) so the
parallel code paths really run; and n_threads values larger than the 2 cores of the CI machine (3,
4) are included because oversubscription must not change results either. Thread safety: the
kernels release the GIL, so several Python threads calling them at once must get exactly the
serial answers. ``OMP_NUM_THREADS`` is read by the OpenMP runtime at start-up, hence the
subprocess.
"""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import skxent
from skxent._config import effective_n_threads
from skxent.losses import binary_cross_entropy, categorical_cross_entropy
from skxent.special import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax

N, K = 200_000, 10
THREADS = (1, 2, 3, 4, None)
REDUCTIONS = ("none", "sum", "mean", "sum_over_batch_size", "sum_by_nonzero_weights")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((N, K)) * 3
    y = rng.integers(0, K, N)
    Y = rng.random((N, K)) < 0.3
    sw = rng.random(N)
    sw[::7] = 0.0
    return X, y, Y.astype(np.float64), sw


def test_sizes_exceed_parallel_threshold():
    thr = skxent.show_config(return_dict=True).get("parallel_threshold")
    if thr is not None:
        assert N * K > thr


def _same(a, b):
    if isinstance(a, tuple):
        return all(_same(u, v) for u, v in zip(a, b))
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_categorical_bit_identical_for_every_n_threads(data, dtype, reduction):
    X, y, _, sw = data
    X = X.astype(dtype)
    cw = np.linspace(0.5, 2.0, K)
    kw = dict(from_logits=True, sample_weight=sw, class_weight=cw, reduction=reduction,
              return_grad=True)
    ref = categorical_cross_entropy(y, X, n_threads=1, **kw)
    for nt in THREADS[1:]:
        got = categorical_cross_entropy(y, X, n_threads=nt, **kw)
        assert _same(got, ref), f"n_threads={nt} differs from n_threads=1"
    # the loss-only path (no gradient) is a different kernel; it must agree with itself too
    kw["return_grad"] = False
    ref = categorical_cross_entropy(y, X, n_threads=1, **kw)
    for nt in THREADS[1:]:
        assert _same(categorical_cross_entropy(y, X, n_threads=nt, **kw), ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_categorical_soft_labels_bit_identical_for_every_n_threads(data, dtype, reduction):
    X, _, Y, _ = data
    Y = Y / np.maximum(Y.sum(1, keepdims=True), 1)
    X = X.astype(dtype)
    kw = dict(from_logits=True, reduction=reduction, return_grad=True, label_smoothing=0.1)
    ref = categorical_cross_entropy(Y, X, n_threads=1, **kw)
    for nt in THREADS[1:]:
        assert _same(categorical_cross_entropy(Y, X, n_threads=nt, **kw), ref), nt


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_bit_identical_for_every_n_threads(data, dtype, from_logits, reduction):
    X, _, Y, sw = data
    X = X.astype(dtype)
    if not from_logits:
        X = (1 / (1 + np.exp(-X))).astype(dtype)
    kw = dict(from_logits=from_logits, sample_weight=sw, pos_weight=np.linspace(1, 3, K),
              reduction=reduction, return_grad=True)
    ref = binary_cross_entropy(Y, X, n_threads=1, **kw)
    for nt in THREADS[1:]:
        assert _same(binary_cross_entropy(Y, X, n_threads=nt, **kw), ref), nt
    kw["return_grad"] = False
    ref = binary_cross_entropy(Y, X, n_threads=1, **kw)
    for nt in THREADS[1:]:
        assert _same(binary_cross_entropy(Y, X, n_threads=nt, **kw), ref), nt


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_categorical_probabilities_bit_identical_for_every_n_threads(data, dtype):
    X, y, _, _ = data
    P = np.exp(X - X.max(1, keepdims=True))
    P = (P / P.sum(1, keepdims=True)).astype(dtype)
    ref = categorical_cross_entropy(y, P, from_logits=False, n_threads=1, return_grad=True)
    for nt in THREADS[1:]:
        got = categorical_cross_entropy(y, P, from_logits=False, n_threads=nt, return_grad=True)
        assert _same(got, ref), nt


@pytest.mark.parametrize("func", [logsumexp, log_softmax, softmax, log_sigmoid, sigmoid])
def test_special_bit_identical_for_every_n_threads(data, func):
    X = data[0]
    ref = func(X, n_threads=1)
    for nt in THREADS[1:]:
        assert _same(func(X, n_threads=nt), ref), nt


def test_concurrent_python_threads_match_serial_results(data):
    X, y, Y, sw = data
    X32 = X.astype(np.float32)
    jobs = [
        lambda: categorical_cross_entropy(y, X, from_logits=True, return_grad=True, n_threads=2),
        lambda: categorical_cross_entropy(y, X32, from_logits=True, reduction="none"),
        lambda: categorical_cross_entropy(y, X, from_logits=True, sample_weight=sw),
        lambda: binary_cross_entropy(Y, X, from_logits=True, return_grad=True),
        lambda: binary_cross_entropy(Y, X32, from_logits=True, reduction="sum", n_threads=1),
        lambda: log_softmax(X),
        lambda: logsumexp(X32, n_threads=2),
    ]
    serial = [job() for job in jobs]
    with ThreadPoolExecutor(max_workers=4) as ex:
        futures = [ex.submit(job) for job in jobs * 3]
        results = [f.result() for f in futures]
    for i, res in enumerate(results):
        assert _same(res, serial[i % len(jobs)]), f"job {i % len(jobs)} differs when concurrent"


def test_threadpool_limits_is_honoured_by_n_threads_none(data):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    X, y, _, _ = data
    ref = categorical_cross_entropy(y, X, from_logits=True, n_threads=1)
    with threadpoolctl.threadpool_limits(1, user_api="openmp"):
        assert effective_n_threads(None) == 1
        assert categorical_cross_entropy(y, X, from_logits=True) == ref
    with threadpoolctl.threadpool_limits(2, user_api="openmp"):
        assert effective_n_threads(None) == 2
        assert categorical_cross_entropy(y, X, from_logits=True) == ref


def test_explicit_n_threads_is_used_as_given():
    assert effective_n_threads(1) == 1
    assert effective_n_threads(3) == 3


@pytest.mark.parametrize("omp", ["1", "3"])
def test_omp_num_threads_is_honoured_by_n_threads_none(omp):
    # the child must import the same skxent as this process (in-place build or installed)
    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(skxent.__file__)))
    env = dict(os.environ, OMP_NUM_THREADS=omp)
    env["PYTHONPATH"] = pkg_parent + os.pathsep + env.get("PYTHONPATH", "")
    code = "from skxent._config import effective_n_threads as e; print(e(None))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=pkg_parent, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == omp


def test_concurrent_calls_with_mixed_shapes_share_no_state():
    # the kernels keep per-thread workspaces between calls: calls of very different shapes
    # (workspace growth, large-K and small-K paths) interleaved from several Python threads
    # must still reproduce the serial results exactly
    rng = np.random.default_rng(3)
    problems = []
    for n, k in [(1000, 5000), (20, 100_000), (100_000, 3), (30_000, 17), (1, 1)]:
        for dtype in (np.float32, np.float64):
            X = rng.standard_normal((n, k)).astype(dtype)
            problems.append((X, rng.integers(0, k, n)))

    def job(i):
        X, y = problems[i % len(problems)]
        return (categorical_cross_entropy(y, X, from_logits=True, return_grad=True,
                                          n_threads=1 + i % 2),
                categorical_cross_entropy(y, X, from_logits=True, reduction="none",
                                          label_smoothing=0.1),
                log_softmax(X))

    serial = [job(i) for i in range(len(problems))]
    with ThreadPoolExecutor(max_workers=4) as ex:
        results = list(ex.map(job, range(3 * len(problems))))
    for i, res in enumerate(results):
        assert _same(res, serial[i % len(problems)]), f"problem {i % len(problems)}"
