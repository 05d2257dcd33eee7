"""skxent.linear_model on Dask: worker-held data vs in-memory, 1 vs 2 workers, vs dask-ml.

Design note
-----------
The data never passes through the client. ``X`` (``n x d`` float32, standard normal), the
10-class labels ``y`` and the binary labels ``y2`` are generated chunk by chunk on the workers by
``da.map_blocks`` and persisted there before any timing. Chunk ``i`` is drawn from
``np.random.default_rng([seed, i, 0])``; its labels come from a fixed random linear model plus
noise, so the problems are well posed and not separable: ``y = argmax(X W^T + b + Gumbel)`` (an
exact draw from the softmax model ``W, b``) and ``y2 = [X w + c + Logistic > 0]`` (a draw from the
logistic model ``w, c``), the model from ``default_rng([seed, 2**30])``, logits computed in
float64 with one BLAS thread. The in-memory copy (section 3) is made on the client by the same
per-chunk functions, so it is the same data bit for bit; the script checks that (column sums
and label counts against the cluster's) before using it.

Clusters: ``dask.distributed.LocalCluster(n_workers=1 or 2, threads_per_worker=1,
processes=True, host="127.0.0.1", dashboard_address=None)`` and a ``Client``; the data is
generated again on every cluster (generation is not timed). All contenders get the same
``C``, ``tol`` and ``max_iter`` (printed); BLAS on the client is limited to one thread while
generating data, the workers run with dask's ``OMP_NUM_THREADS=1``.

Sections (``--only``):

1. ``softmax``: ``SoftmaxRegression(C, tol, max_iter)`` on the 10-class problem on 1 and 2
   workers: total fit time (one fit per cluster unless ``--fit-repeats``), iterations and the
   time of one objective + gradient evaluation at the solution (median of ``--eval-repeats``
   calls after one warm-up; the private dask objective of ``skxent.linear_model`` when it has
   one, else the fit time divided by the iterations, which is said in the output). Ratio:
   1-worker time / 2-worker time (the speed-up).
2. ``binary``: on the same rows with the binary labels ``y2``: ``dask_ml.linear_model.
   LogisticRegression(solver="lbfgs")`` (dask-glm's L-BFGS) vs ``SoftmaxRegression``, fitted
   interleaved on the same cluster. Settings made comparable: a binary SoftmaxRegression is
   the binomial model, ``LogisticRegression(C=C)``, so both get ``C``; dask-glm minimises the
   *sum* of the losses plus
   ``||beta||^2 / (2 C)``, so its ``tol`` (SciPy's ``pgtol`` on that sum's gradient) is
   ``tol * n`` to match skxent's ``tol`` on the mean. Remaining differences, printed: dask-glm
   standardises the columns, penalises the intercept, stops also on SciPy's default ``factr``
   (~2e-9 relative decrease) and converts ``X`` to float64 (its intercept column is float64).
   Both solutions are scored by one float64 formula (binary logistic loss, mean, + ``||w||^2 /
   (2 * C * n)``, intercept unpenalised) on the cluster. dask-glm's iterations and evaluations
   are read from SciPy's ``fmin_l_bfgs_b`` info (wrapped for the duration of the fit). Ratio:
   dask-ml time / skxent time (> 1: skxent is faster). Skipped with a note without dask-ml.
3. ``inmemory``: the same fit on the NumPy arrays (``n_threads=--threads``, default 2), its
   fit time, the time of one evaluation of ``FusedLinearLoss`` at the solution with 1 and 2
   threads, and the final objectives of all the 10-class fits by one formula
   (``FusedLinearLoss(...).loss`` on the in-memory data): the dask fits should agree with the
   in-memory fit to ~1e-8 relative. Runs after the clusters are closed (the client then holds
   ``X``: 4 GB at the default size).
4. ``memlimit``: 2 workers whose ``memory_limit`` is the data size / 1.5 (so the data is 1.5x one
   worker's limit and 0.75x the two together; dask's default thresholds: spill from 60 %
   managed / 70 % process memory, pause at 80 %, terminate at 95 %). The 10-class fit must
   complete; reported: time, iterations, the objective against the 2-worker fit's, and per
   worker the limit, the largest process memory seen by the scheduler during the fit (sampled
   every 0.5 s), the peak RSS of the process, bytes spilled to / read from disk, and whether a
   worker was paused or lost.

Default run: 10 million rows x 100 features x 10 classes, chunks of 250k rows, ``C=1``,
``tol=1e-5``, ``max_iter=100`` (scikit-learn's default; every fit converges well before it on
this data: ~20 L-BFGS iterations for 10 classes, < 10 for the binary problem). ``tol`` is 10x
stricter than scikit-learn's default so that the final objectives are comparable (at 1e-4 they
are still ~1e-6 relative from the minimum, at 1e-5 ~1e-9); much below 1e-5 the float32
objective's rounding makes L-BFGS's last line searches long without moving the objective.
``--quick``: 1 million rows; the memory-limited section 4 million rows with a ~1 GiB limit per
worker (a worker process needs a few hundred MB of its own) and ``max_iter=5``; ~3 min. The
default run took 17 min here (dask-ml's two fits ~4.5 min, the memory-limited fit ~4 min).
``--markdown`` prints the final table as Markdown.
"""

import argparse
import contextlib
import json
import logging
import math
import os
import statistics
import sys
import threading
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _harness import compare  # noqa: E402

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import skxent  # noqa: E402
from skxent.linear_model import SoftmaxRegression  # noqa: E402
from skxent._engine import BINARY, CATEGORICAL  # noqa: E402
from skxent.linear_model._linear_loss import FusedLinearLoss  # noqa: E402

ROWS = []  # rows of the final table
RESULTS = {}  # everything, for --json

# -- data ------------------------------------------------------------------------------------

W_SCALE = 0.2  # std of the true coefficients: logits of std ~2 over 100 N(0, 1) features


def true_model(seed, d, k):
    rng = np.random.default_rng([seed, 1 << 30])
    W = rng.standard_normal((k, d)) * W_SCALE
    b = rng.standard_normal(k) * 0.5
    w2 = rng.standard_normal(d) * W_SCALE
    c2 = 0.3
    return W, b, w2, c2


def x_block(seed, i, rows, d):
    return np.random.default_rng([seed, i, 0]).standard_normal((rows, d), dtype=np.float32)


def label_block(Xb, seed, i, k):
    """(rows, 2) int64: 10-class labels, binary labels."""
    W, b, w2, c2 = true_model(seed, Xb.shape[1], k)
    rng = np.random.default_rng([seed, i, 1])
    rows = Xb.shape[0]
    Xd = Xb.astype(np.float64)
    out = np.empty((rows, 2), np.int64)
    out[:, 0] = np.argmax(Xd @ W.T + b + rng.gumbel(size=(rows, k)), axis=1)
    out[:, 1] = (Xd @ w2 + c2 + rng.logistic(size=rows)) > 0
    return out


def row_chunks(n, chunk):
    full, rest = divmod(n, chunk)
    return (chunk,) * full + ((rest,) if rest else ())


def _x_chunk(seed, d, block_info=None):
    info = block_info[None]
    (r0, r1), _ = info["array-location"]
    return x_block(seed, info["chunk-location"][0], r1 - r0, d)


def _label_chunk(Xb, seed, k, block_info=None):
    with threadpool_limits(1):
        return label_block(Xb, seed, block_info[0]["chunk-location"][0], k)


def dask_data(client, n, d, k, chunk, seed):
    """Generate X, y, y2 on the workers and persist them; return (X, y, y2, seconds)."""
    import dask.array as da
    from dask.distributed import wait

    t0 = time.perf_counter()
    X = da.map_blocks(_x_chunk, seed, d, chunks=(row_chunks(n, chunk), (d,)), dtype=np.float32,
                      meta=np.empty((0, 0), np.float32), name=f"bench-X-{seed}-{n}-{d}-{chunk}")
    L = X.map_blocks(_label_chunk, seed, k, chunks=(X.chunks[0], (2,)), dtype=np.int64,
                     meta=np.empty((0, 0), np.int64))
    y = L[:, 0].map_blocks(np.ascontiguousarray, dtype=np.int64)
    y2 = L[:, 1].map_blocks(np.ascontiguousarray, dtype=np.int64)
    X, y, y2 = client.persist([X, y, y2])
    wait([X, y, y2])
    return X, y, y2, time.perf_counter() - t0


def numpy_data(n, d, k, chunk, seed):
    """The same data on the client, chunk by chunk (same functions, same seeds)."""
    X = np.empty((n, d), np.float32)
    y = np.empty(n, np.int64)
    y2 = np.empty(n, np.int64)
    r0 = 0
    with threadpool_limits(1):
        for i, rows in enumerate(row_chunks(n, chunk)):
            r1 = r0 + rows
            X[r0:r1] = x_block(seed, i, rows, d)
            L = label_block(X[r0:r1], seed, i, k)
            y[r0:r1], y2[r0:r1] = L[:, 0], L[:, 1]
            r0 = r1
    return X, y, y2


def fingerprint_dask(X, y, y2, k):
    import dask
    import dask.array as da

    cs, cnt, s2 = dask.compute(X.sum(axis=0, dtype=np.float64), da.bincount(y, minlength=k),
                               y2.sum())
    return np.asarray(cs), np.asarray(cnt), int(s2)


def fingerprint_numpy(X, y, y2, k, chunk):
    cs = np.zeros(X.shape[1])
    for r0 in range(0, X.shape[0], chunk):
        cs += X[r0:r0 + chunk].sum(axis=0, dtype=np.float64)
    return cs, np.bincount(y, minlength=k), int(y2.sum())


# -- cluster ---------------------------------------------------------------------------------


def _worker_pythonpath():
    """Worker processes must import the same skxent as the client (e.g. an in-place build)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(skxent.__file__)))
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join([root] + parts)


@contextlib.contextmanager
def local_cluster(n_workers, memory_limit="auto"):
    from dask.distributed import Client, LocalCluster

    _worker_pythonpath()
    # dashboard_address=None turns the dashboard off, but the scheduler's small HTTP server
    # (/health, /metrics) still tries port 8787 and warns when a test cluster holds it.
    warnings.filterwarnings("ignore", message="Port 8787 is already in use")
    with LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        memory_limit=memory_limit,
        silence_logs=logging.ERROR,
    ) as cluster, Client(cluster) as client:
        yield client


def worker_memory(client):
    """Per worker: limit, RSS now, peak RSS, spilled bytes, disk write/read bytes."""

    def probe(dask_worker):
        import resource

        import psutil

        data = dask_worker.data
        m = getattr(data, "cumulative_metrics", {})
        spilled = getattr(data, "spilled_total", None)
        return {
            "limit": dask_worker.memory_manager.memory_limit,
            "rss": psutil.Process().memory_info().rss,
            "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "spilled_now": int(spilled.disk) if spilled is not None else 0,
            "disk_write": int(m.get(("disk-write", "bytes"), 0)),
            "disk_read": int(m.get(("disk-read", "bytes"), 0)),
        }

    return client.run(probe)


class MemorySampler:
    """Polls the scheduler's view of the workers every ``interval`` s (a background thread):
    largest process memory, largest spilled bytes, paused workers, workers lost."""

    def __init__(self, client, interval=0.5):
        self.client, self.interval = client, interval
        self.max_process, self.max_spilled = {}, {}
        self.paused, self.workers_seen = set(), set()
        self.n0 = len(client.scheduler_info()["workers"])
        self.min_workers = self.n0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _read(dask_scheduler):
        return {a: (ws.memory.process, ws.memory.spilled, str(ws.status))
                for a, ws in dask_scheduler.workers.items()}

    def _run(self):
        while not self._stop.is_set():
            try:
                state = self.client.run_on_scheduler(self._read)
            except Exception:  # noqa: BLE001 - the cluster may be shutting down
                break
            self.min_workers = min(self.min_workers, len(state))
            for a, (proc, spilled, status) in state.items():
                self.workers_seen.add(a)
                self.max_process[a] = max(self.max_process.get(a, 0), proc)
                self.max_spilled[a] = max(self.max_spilled.get(a, 0), spilled)
                if "paus" in status:
                    self.paused.add(a)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# -- skxent ----------------------------------------------------------------------------------


def _fit_quiet(est, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        est.fit(X, y)
    return not any(issubclass(w.category, ConvergenceWarning) for w in caught)


class Fitter:
    """Zero-argument callable fitting a fresh estimator; keeps the last one and its time."""

    def __init__(self, make, X, y, fit=None):
        self.make, self.X, self.y, self.fit = make, X, y, fit
        self.est = None
        self.converged = None
        self.times = []

    def __call__(self):
        est = self.make()
        t0 = time.perf_counter()
        if self.fit is None:
            self.converged = _fit_quiet(est, self.X, self.y)
        else:
            self.converged = self.fit(est, self.X, self.y)
        self.times.append(time.perf_counter() - t0)
        self.est = est


def skxent_dask_ready():
    """Whether SoftmaxRegression.fit has a dask path (tiny synchronous trial).

    Without one, scikit-learn's validation would convert a dask ``X`` with ``np.asarray``, i.e.
    gather the whole data set to the client and fit in memory; that is not what this benchmark
    measures, so the skxent dask sections are then skipped.
    """
    try:
        import dask
        import dask.array as da
    except ImportError as e:
        return False, f"dask is not installed ({e})"
    try:
        from skxent.linear_model import _dask_loss  # noqa: F401
    except ImportError as e:
        return False, (f"no dask path in skxent.linear_model ({e}); fit would gather X to the "
                       "client")
    rng = np.random.default_rng(0)
    Xs = rng.standard_normal((200, 3)).astype(np.float32)
    ys = (Xs[:, 0] > 0).astype(np.int64)
    try:
        with dask.config.set(scheduler="synchronous"):
            est = SoftmaxRegression(max_iter=3)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(da.from_array(Xs, chunks=(50, 3)), da.from_array(ys, chunks=50))
        if not isinstance(est.coef_, np.ndarray):
            return False, f"coef_ is {type(est.coef_).__name__}, not NumPy"
        return True, ""
    except Exception as e:  # noqa: BLE001 - reported, the section is skipped
        return False, f"{type(e).__name__}: {e}"


def dask_objective_evaluator(X, y, est):
    """A zero-argument callable running one objective + gradient evaluation of skxent's dask
    objective at ``est``'s solution, and a description; (None, reason) if skxent exposes none.
    """
    try:
        from skxent.linear_model import _dask_loss
    except ImportError as e:
        return None, f"no skxent.linear_model._dask_loss ({e})"
    cls = getattr(_dask_loss, "DaskLinearLoss", None)
    if cls is None:
        return None, "skxent.linear_model._dask_loss has no DaskLinearLoss"
    K = len(est.classes_)
    loss = cls(X, y, family=CATEGORICAL, n_outputs=K, fit_intercept=True, C=est.C)
    coef = loss.pack(est.coef_, est.intercept_)
    calls = [0]

    def evaluate():
        # A new point at every call, as in a fit: the graph keys are content hashes
        # (``delayed(pure=True)``), so repeating one point could be answered from results the
        # scheduler still holds from the previous call instead of recomputing.
        calls[0] += 1
        return loss.loss_gradient(coef * (1.0 + 1e-12 * calls[0]))

    return evaluate, f"{cls.__module__}.{cls.__name__}.loss_gradient"


def eval_times(fn, repeats):
    res = compare({"f": fn}, repeats=repeats, warmup=1)["f"]
    return res["median"], res["times"]


# -- dask-ml ---------------------------------------------------------------------------------


def daskml_available():
    try:
        import dask_glm.algorithms  # noqa: F401
        import dask_ml
        from dask_ml.linear_model import LogisticRegression  # noqa: F401
    except ImportError as e:
        return False, str(e)
    return True, f"dask-ml {dask_ml.__version__}"


@contextlib.contextmanager
def record_lbfgs_info(store):
    """Wrap dask-glm's ``fmin_l_bfgs_b`` to keep SciPy's info (nit, funcalls, warnflag)."""
    import dask_glm.algorithms as alg

    orig = alg.fmin_l_bfgs_b

    def wrapped(*a, **kw):
        x, f, d = orig(*a, **kw)
        store.clear()
        store.update(d)
        store["f"] = f
        return x, f, d

    alg.fmin_l_bfgs_b = wrapped
    try:
        yield
    finally:
        alg.fmin_l_bfgs_b = orig


def binary_objectives_dask(X, y2, models, C_bin):
    """Binary logistic objective (float64, mean loss + ||w||^2 / (2 C_bin n)) per model."""
    import dask
    import dask.array as da

    n = X.shape[0]
    terms = []
    for w, c in models:
        w = np.asarray(w, np.float64).ravel()
        z = X.map_blocks(lambda Xb, w=w, c=c: Xb.astype(np.float64) @ w + c, drop_axis=1,
                         dtype=np.float64)
        terms.append((da.logaddexp(0.0, z) - y2 * z).sum())
    sums = dask.compute(*terms)
    return [float(s) / n + float(np.dot(np.ravel(w), np.ravel(w))) / (2 * C_bin * n)
            for s, (w, _) in zip(sums, models)]


# -- sections --------------------------------------------------------------------------------


def load():
    """The machine is shared (tests run on it): the 1-minute load average, to read times by."""
    try:
        return f"load average {os.getloadavg()[0]:.2f}"
    except OSError:
        return "load average unknown"


def fmt_s(t):
    return "-" if t is None or (isinstance(t, float) and math.isnan(t)) else f"{t:.2f}"


def section_cluster(nw, args, ready, dml):
    """Sections 1 and 2 on one cluster of ``nw`` workers."""
    out = {}
    print(f"\n## Cluster: {nw} worker(s) x 1 thread (processes) ({load()})")
    with local_cluster(nw) as client:
        X, y, y2, tgen = dask_data(client, args.n, args.d, args.k, args.chunk, args.seed)
        print(f"data generated and persisted on the workers in {tgen:.1f} s: X {X.shape} "
              f"{X.dtype}, {X.numblocks[0]} chunks of <= {args.chunk} rows, "
              f"{X.nbytes / 2**30:.2f} GiB")
        out["fingerprint"] = fingerprint_dask(X, y, y2, args.k)
        mem = worker_memory(client)
        print("worker memory after persist: " + ", ".join(
            f"RSS {m['rss'] / 2**30:.2f} GiB (limit {m['limit'] / 2**30:.1f})"
            for m in mem.values()))

        if "softmax" in args.only:
            if not ready[0]:
                print(f"softmax: skipped, SoftmaxRegression does not fit dask arrays yet "
                      f"({ready[1]})")
            else:
                f = Fitter(lambda: SoftmaxRegression(C=args.C, tol=args.tol,
                                                     max_iter=args.max_iter), X, y)
                compare({"skxent": f}, repeats=args.fit_repeats, warmup=0)
                est = f.est
                tfit = statistics.median(f.times)
                print(f"SoftmaxRegression fit ({args.k} classes): {tfit:.2f} s, n_iter "
                      f"{est.n_iter_}{'' if f.converged else ' (max_iter reached)'}")
                fn, how = dask_objective_evaluator(X, y, est)
                if fn is not None:
                    tev, tall = eval_times(fn, args.eval_repeats)
                    print(f"one objective + gradient evaluation ({how}): median {tev:.3f} s "
                          f"of {len(tall)}: " + ", ".join(f"{t:.3f}" for t in tall))
                else:
                    tev = tfit / max(1, est.n_iter_ + 1)
                    how = "fit time / (n_iter + 1)"
                    print(f"no dask objective object to time ({how}): {tev:.3f} s per "
                          f"evaluation, from the fit")
                out["softmax"] = dict(fit=tfit, n_iter=int(est.n_iter_), eval=tev, eval_how=how,
                                      converged=f.converged, coef=est.coef_.copy(),
                                      intercept=est.intercept_.copy())

        if "binary" in args.only:
            out["binary"] = section_binary(X, y2, args, ready, dml)
        del X, y, y2
    print(f"({load()})")
    return out


def section_binary(X, y2, args, ready, dml):
    n = X.shape[0]
    C_bin = args.C  # SoftmaxRegression's binary model is LogisticRegression(C)
    contenders = {}
    if ready[0]:
        contenders["skxent"] = Fitter(
            lambda: SoftmaxRegression(C=args.C, tol=args.tol, max_iter=args.max_iter), X, y2)
    info = {}
    if dml[0]:
        from dask_ml.linear_model import LogisticRegression as DaskLR

        def fit_dml(est, X, y):
            with record_lbfgs_info(info), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(X, y)
            return info.get("warnflag", 1) == 0

        contenders["dask-ml"] = Fitter(
            lambda: DaskLR(solver="lbfgs", C=C_bin, tol=args.tol * n, max_iter=args.max_iter),
            X, y2, fit=fit_dml)
    else:
        print(f"binary: dask-ml part skipped ({dml[1]})")
    if not ready[0]:
        print(f"binary: skxent part skipped ({ready[1]})")
    if not contenders:
        return None
    compare(contenders, repeats=args.fit_repeats, warmup=0)
    res = {}
    models = []
    if "skxent" in contenders:
        est = contenders["skxent"].est
        w = est.coef_[0]
        c = float(est.intercept_[0])
        models.append((w, c))
        res["skxent"] = dict(fit=statistics.median(contenders["skxent"].times),
                             n_iter=int(est.n_iter_), n_eval=None,
                             converged=contenders["skxent"].converged)
    if "dask-ml" in contenders:
        est = contenders["dask-ml"].est
        models.append((np.asarray(est.coef_), float(est.intercept_)))
        res["dask-ml"] = dict(fit=statistics.median(contenders["dask-ml"].times),
                              n_iter=int(info.get("nit", -1)),
                              n_eval=int(info.get("funcalls", -1)),
                              converged=contenders["dask-ml"].converged,
                              stop=str(info.get("task", "")))
    objs = binary_objectives_dask(X, y2, models, C_bin)
    for name, o in zip(res, objs):
        res[name]["objective"] = o
    print(f"binary problem (y2, {float(y2.mean().compute()):.3f} positive), common objective: "
          f"mean logistic loss + ||w||^2 / (2 * {C_bin:g} * n), intercept unpenalised")
    for name, r in res.items():
        label = {"skxent": f"skxent SoftmaxRegression(C={args.C:g}, tol={args.tol:g})",
                 "dask-ml": f"dask-ml LogisticRegression(lbfgs, C={C_bin:g}, "
                            f"tol={args.tol * n:g})"}[name]
        ev = f", {r['n_eval']} evaluations" if r["n_eval"] is not None else ""
        stop = f", SciPy: {r['stop']}" if r.get("stop") else ""
        print(f"  {label:<58} fit {r['fit']:8.2f} s  n_iter {r['n_iter']}{ev}  "
              f"objective {r['objective']:.12f}{'' if r['converged'] else ' (not converged)'}"
              f"{stop}")
    if len(res) == 2:
        ratio = res["dask-ml"]["fit"] / res["skxent"]["fit"]
        d = res["skxent"]["objective"] - res["dask-ml"]["objective"]
        print(f"  ratio dask-ml / skxent: {ratio:.2f}x; objective skxent - dask-ml {d:+.3e}")
        res["ratio"] = ratio
    return res


def section_inmemory(args, dask_res):
    print(f"\n## In-memory: SoftmaxRegression on NumPy arrays (n_threads={args.threads}) "
          f"({load()})")
    t0 = time.perf_counter()
    X, y, y2 = numpy_data(args.n, args.d, args.k, args.chunk, args.seed)
    print(f"data generated on the client in {time.perf_counter() - t0:.1f} s "
          f"({X.nbytes / 2**30:.2f} GiB)")
    same = None
    for nw, r in dask_res.items():
        if "fingerprint" in r:
            cs, cnt, s2 = fingerprint_numpy(X, y, y2, args.k, args.chunk)
            dcs, dcnt, ds2 = r["fingerprint"]
            same = (np.allclose(cs, dcs, rtol=1e-10, atol=1e-6)
                    and np.array_equal(cnt, dcnt) and s2 == ds2)
            print(f"same data as on the {nw}-worker cluster (column sums, label counts): "
                  f"{'yes' if same else 'NO'}")
            break
    f = Fitter(lambda: SoftmaxRegression(C=args.C, tol=args.tol, max_iter=args.max_iter,
                                         n_threads=args.threads), X, y)
    compare({"skxent": f}, repeats=args.fit_repeats, warmup=0)
    est = f.est
    tfit = statistics.median(f.times)
    print(f"SoftmaxRegression fit: {tfit:.2f} s, n_iter {est.n_iter_}"
          f"{'' if f.converged else ' (max_iter reached)'}")
    out = dict(fit=tfit, n_iter=int(est.n_iter_), converged=f.converged)
    coef_of = {"in-memory": (est.coef_, est.intercept_)}
    for nw, r in dask_res.items():
        if "softmax" in r:
            coef_of[f"dask {nw}w"] = (r["softmax"]["coef"], r["softmax"]["intercept"])
    if "memlimit" in dask_res and dask_res["memlimit"].get("coef") is not None:
        coef_of["dask 2w memory-limited"] = dask_res["memlimit"]["coef"]
    for nt in sorted({1, args.threads}):
        loss = FusedLinearLoss(X, y, family=CATEGORICAL, n_outputs=args.k, fit_intercept=True,
                               C=args.C, n_threads=nt)
        coef = loss.pack(est.coef_, est.intercept_)
        with threadpool_limits(1, user_api="blas"):
            tev, tall = eval_times(lambda: loss.loss_gradient(coef), args.eval_repeats)
        print(f"one objective + gradient evaluation (FusedLinearLoss, {nt} thread(s)): median "
              f"{tev:.3f} s of " + ", ".join(f"{t:.3f}" for t in tall))
        out[f"eval_{nt}t"] = tev
        if nt == args.threads:
            objs = {name: float(loss.loss(loss.pack(W, b))) for name, (W, b) in coef_of.items()}
        loss.close()
    ref = objs["in-memory"]
    print("final objectives (FusedLinearLoss.loss on the in-memory data, float64):")
    for name, o in objs.items():
        rel = (o - ref) / abs(ref)
        print(f"  {name:<26} {o:.15f}  relative to in-memory {rel:+.2e}")
    out["objectives"] = objs
    out["same_data"] = same
    print(f"({load()})")
    del X, y, y2
    return out


def section_memlimit(args, ready, ref2w):
    print(f"\n## Memory-limited: 2 workers, data = 1.5 x one worker's memory_limit ({load()})")
    if not ready[0]:
        print(f"skipped: SoftmaxRegression does not fit dask arrays yet ({ready[1]})")
        return None
    n = args.memlimit_n
    data_bytes = n * args.d * 4 + 2 * n * 8
    limit = int(data_bytes / 1.5)
    print(f"{n} rows: X + labels {data_bytes / 2**30:.2f} GiB, memory_limit "
          f"{limit / 2**30:.2f} GiB per worker (2 workers: {2 * limit / 2**30:.2f} GiB); "
          f"max_iter {args.memlimit_max_iter}")
    out = dict(n=n, limit=limit, data_bytes=data_bytes, completed=False)
    gen_s = s = None
    with local_cluster(2, memory_limit=limit) as client:
        try:
            with MemorySampler(client) as gen_s:
                X, y, y2, tgen = dask_data(client, n, args.d, args.k, args.chunk, args.seed)
            print(f"generated and persisted in {tgen:.1f} s")
            est = SoftmaxRegression(C=args.C, tol=args.tol, max_iter=args.memlimit_max_iter)
            with MemorySampler(client) as s:
                t0 = time.perf_counter()
                conv = _fit_quiet(est, X, y)
                tfit = time.perf_counter() - t0
            out.update(completed=True, fit=tfit, n_iter=int(est.n_iter_), converged=conv,
                       coef=(est.coef_.copy(), est.intercept_.copy()))
            print(f"fit completed: {tfit:.2f} s, n_iter {est.n_iter_}"
                  f"{'' if conv else ' (max_iter reached)'}")
            if ref2w is not None and n == args.n and args.memlimit_max_iter == args.max_iter:
                d = float(np.max(np.abs(est.coef_ - ref2w["coef"])))
                print(f"  max |coef - coef of the unlimited 2-worker fit|: {d:.3e}")
                out["coef_diff_vs_2w"] = d
        except Exception as e:  # noqa: BLE001 - the point of this section is to report it
            print(f"FAILED: {type(e).__name__}: {e}")
            out["error"] = f"{type(e).__name__}: {e}"
            s = s or gen_s
        mem = worker_memory(client)
        print("per worker (limit | max process memory during the fit, scheduler samples | peak "
              "RSS of the process | spilled now | written to / read from disk in total):")
        for a, m in mem.items():
            mp = s.max_process.get(a, 0) if s is not None else 0
            print(f"  {a}: {m['limit'] / 2**30:.2f} GiB | {mp / 2**30:.2f} GiB "
                  f"({mp / m['limit']:.0%}) | {m['peak_rss'] / 2**30:.2f} GiB | "
                  f"{m['spilled_now'] / 2**30:.2f} GiB | {m['disk_write'] / 2**30:.2f} / "
                  f"{m['disk_read'] / 2**30:.2f} GiB")
        paused = sorted(set().union(*(x.paused for x in (gen_s, s) if x is not None)))
        lost = s.min_workers < s.n0 if s is not None else None
        print(f"  workers paused at some sample: {len(paused)}; worker lost: "
              f"{'yes' if lost else 'no'}")
        print(f"({load()})")
        out.update(workers=mem, paused=len(paused), lost=lost,
                   max_process={a: int(v) for a, v in (s.max_process.items() if s else [])})
    return out


# -- report ----------------------------------------------------------------------------------


def print_table(args, res, markdown):
    rows = []
    cl = {k: v for k, v in res.items() if isinstance(k, int)}
    sm = {nw: r["softmax"] for nw, r in cl.items() if "softmax" in r}
    im = res.get("inmemory")
    objs = im["objectives"] if im else {}
    ref = objs.get("in-memory")

    def rel(name):
        if ref is None or name not in objs:
            return "-"
        return f"{(objs[name] - ref) / abs(ref):+.1e}"

    one = sm.get(1)
    for nw, r in sorted(sm.items()):
        ratio = (f"{one['fit'] / r['fit']:.2f}x fit, {one['eval'] / r['eval']:.2f}x eval "
                 f"(1w / {nw}w)" if one is not None and nw != 1 else "")
        rows.append((f"softmax {args.k} classes, dask, {nw} worker(s)", fmt_s(r["fit"]),
                     str(r["n_iter"]), f"{r['eval']:.3f}", ratio, rel(f"dask {nw}w")))
    if im:
        base = sm.get(2) or sm.get(1)
        ratio = ""
        if base is not None:
            nwb = 2 if 2 in sm else 1
            ratio = (f"dask {nwb}w / in-memory: {base['fit'] / im['fit']:.2f}x fit, "
                     f"{base['eval'] / im[f'eval_{args.threads}t']:.2f}x eval")
        rows.append((f"softmax {args.k} classes, in-memory, {args.threads} threads",
                     fmt_s(im["fit"]), str(im["n_iter"]),
                     f"{im[f'eval_{args.threads}t']:.3f} ({im['eval_1t']:.3f} on 1 thread)",
                     ratio, "0 (reference)"))
    for nw, r in sorted(cl.items()):
        b = r.get("binary")
        if not b:
            continue
        for name in ("skxent", "dask-ml"):
            if name not in b:
                continue
            x = b[name]
            it = str(x["n_iter"]) + (f" ({x['n_eval']} evals)" if x["n_eval"] else "")
            ratio = (f"dask-ml / skxent: {b['ratio']:.2f}x" if name == "skxent"
                     and "ratio" in b else "")
            label = ("skxent SoftmaxRegression" if name == "skxent"
                     else "dask-ml LogisticRegression(lbfgs)")
            rows.append((f"binary, {label}, {nw} worker(s)", fmt_s(x["fit"]), it, "-", ratio,
                         f"obj {x['objective']:.10f}"))
    ml = res.get("memlimit")
    if ml:
        mp = max(ml.get("max_process", {}).values(), default=0)
        status = "completed" if ml["completed"] else f"FAILED ({ml.get('error', '')[:60]})"
        rows.append((f"memory-limited 2 workers ({ml['limit'] / 2**30:.2f} GiB each, data "
                     f"{ml['data_bytes'] / 2**30:.2f} GiB)", fmt_s(ml.get("fit")),
                     str(ml.get("n_iter", "-")), "-",
                     f"{status}; max process mem {mp / 2**30:.2f} GiB; paused {ml['paused']}",
                     rel("dask 2w memory-limited")))
    head = ("case", "fit (s)", "n_iter", "s / evaluation", "ratio", "objective vs in-memory")
    print("\n## Summary")
    print(f"n={args.n} x d={args.d}, k={args.k}, float32, chunks of {args.chunk} rows; "
          f"C={args.C:g}, tol={args.tol:g}, max_iter={args.max_iter} for every contender "
          f"(dask-ml: C={args.C:g}, tol={args.tol * args.n:g}, see the design note); "
          f"fits: median of {args.fit_repeats}, evaluations: median of {args.eval_repeats}")
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        for r in rows:
            print(f"{r[0]:<62} {r[1]:>9} {r[2]:>16} {r[3]:>24}  {r[4]}  {r[5]}")


def _jsonable(o):
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items() if k not in ("coef", "intercept")}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.integer, np.floating, np.bool_)):
        return o.item()
    return o


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="1e6 rows (4e6 memory-limited): smoke run (~2 min)")
    p.add_argument("--n", type=int, default=10_000_000, help="rows (default 1e7)")
    p.add_argument("--d", type=int, default=100)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--chunk", type=int, default=250_000, help="rows per chunk")
    p.add_argument("--memlimit-n", type=int, default=None,
                   help="rows of the memory-limited section (default --n; --quick: 4e6)")
    p.add_argument("--C", type=float, default=1.0)
    p.add_argument("--tol", type=float, default=1e-5)
    p.add_argument("--max-iter", type=int, default=100)
    p.add_argument("--workers", default="1,2", help="cluster sizes of sections 1-2")
    p.add_argument("--threads", type=int, default=2, help="n_threads of the in-memory fit")
    p.add_argument("--memlimit-max-iter", type=int, default=None,
                   help="max_iter of the memory-limited fit (default --max-iter; --quick: 5)")
    p.add_argument("--fit-repeats", type=int, default=1)
    p.add_argument("--eval-repeats", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", default="softmax,binary,inmemory,memlimit")
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--json", metavar="FILE", default=None)
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.eval_repeats = 1_000_000, 3
        if args.memlimit_n is None:
            args.memlimit_n = 4_000_000
        if args.memlimit_max_iter is None:
            args.memlimit_max_iter = 5
    if args.memlimit_n is None:
        args.memlimit_n = args.n
    if args.memlimit_max_iter is None:
        args.memlimit_max_iter = args.max_iter
    args.only = set(args.only.split(","))
    t0 = time.perf_counter()
    import dask
    import distributed

    print(f"skxent from {os.path.dirname(skxent.__file__)}; dask {dask.__version__}, "
          f"distributed {distributed.__version__}; {os.cpu_count()} CPUs")
    ready = skxent_dask_ready()
    print(f"SoftmaxRegression.fit on dask arrays: {'yes' if ready[0] else 'NO: ' + ready[1]}")
    dml = daskml_available()
    print(f"dask-ml: {dml[1] if dml[0] else 'not available (' + dml[1] + '); skipped'}")
    print(f"settings: n={args.n}, d={args.d}, k={args.k}, chunk={args.chunk}, C={args.C:g}, "
          f"tol={args.tol:g}, max_iter={args.max_iter}")

    res = {}
    if args.only & {"softmax", "binary"}:
        for nw in (int(w) for w in args.workers.split(",")):
            res[nw] = section_cluster(nw, args, ready, dml)
    if "memlimit" in args.only:
        ref2w = res.get(2, {}).get("softmax")
        res["memlimit"] = section_memlimit(args, ready, ref2w)
    if "inmemory" in args.only:
        dask_res = {k: v for k, v in res.items() if isinstance(k, int)}
        if res.get("memlimit") and res["memlimit"].get("coef") is not None \
                and args.memlimit_n == args.n and args.memlimit_max_iter == args.max_iter:
            dask_res["memlimit"] = res["memlimit"]
        res["inmemory"] = section_inmemory(args, dask_res)
    print_table(args, res, args.markdown)
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(_jsonable(res), fh, indent=1, default=str)


if __name__ == "__main__":
    main()
