"""
=====================================================================
`SoftmaxRegression` vs `LogisticRegression`: fit time and `n_samples`
=====================================================================

:class:`~skxent.linear_model.SoftmaxRegression` minimises ``LogisticRegression``'s objective
(multinomial, L2, lbfgs), so the two fits should agree; the question is how long each takes.
Both are fitted here with the same parameters on ``make_classification`` data of growing size
(50 features, 10 classes), interleaved (one fit of each per round, three rounds), and the
median fit times are plotted with their ratio. Both run on one core: ``n_threads=1`` for skxent,
and every thread pool (BLAS included) limited to one thread with :mod:`threadpoolctl`. On a
busy machine scikit-learn's default multithreaded BLAS can be many times slower than on one
thread, which would flatter skxent; one core each compares the algorithms.

These timings come from the machine that built this page, a small machine shared with other
work when it was written: read the ratio, not the seconds, and see :ref:`speed-estimators` for
the benchmark at 100,000 x 100 (and ``skxent-bench --suite fit`` for your own machine).
"""

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from skxent.linear_model import SoftmaxRegression

sizes = [1_000, 3_000, 10_000, 30_000]
params = dict(C=1.0, tol=1e-4, max_iter=200)
models = {"LogisticRegression": lambda: LogisticRegression(**params),
          "SoftmaxRegression": lambda: SoftmaxRegression(n_threads=1, **params)}
print(f"load average before: {os.getloadavg()[0]:.1f}")

times = {name: [] for name in models}
agreement = []
for n in sizes:
    X, y = make_classification(n_samples=n, n_features=50, n_informative=20, n_classes=10,
                               random_state=0)
    rounds = {name: [] for name in models}
    fitted = {}
    with threadpool_limits(1):
        for _ in range(3):
            for name, make in models.items():
                start = time.perf_counter()
                fitted[name] = make().fit(X, y)
                rounds[name].append(time.perf_counter() - start)
    for name in models:
        times[name].append(np.median(rounds[name]))
    p_sk = fitted["LogisticRegression"].predict_proba(X)
    p_sx = fitted["SoftmaxRegression"].predict_proba(X)
    agreement.append(np.abs(p_sk - p_sx).max())
    print(f"n={n:6d}: LogisticRegression {times['LogisticRegression'][-1]:7.3f} s, "
          f"SoftmaxRegression {times['SoftmaxRegression'][-1]:7.3f} s, "
          f"ratio {times['LogisticRegression'][-1] / times['SoftmaxRegression'][-1]:5.1f}x\n"
          f"          iterations {fitted['LogisticRegression'].n_iter_[0]} / "
          f"{fitted['SoftmaxRegression'].n_iter_}, "
          f"max |probability difference| {agreement[-1]:.1e}")
print(f"load average after: {os.getloadavg()[0]:.1f}")

# %%
# Plot
# ----
fig, (ax_t, ax_r) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for name, values in times.items():
    ax_t.loglog(sizes, values, "o-", label=name)
ax_t.set_xlabel("n_samples")
ax_t.set_ylabel("fit time, median of 3 (s)")
ax_t.legend()
ratio = np.array(times["LogisticRegression"]) / np.array(times["SoftmaxRegression"])
ax_r.semilogx(sizes, ratio, "o-", color="C2")
ax_r.axhline(1.0, color="k", lw=0.8)
ax_r.set_xlabel("n_samples")
ax_r.set_ylabel("speed-up of SoftmaxRegression")
ax_r.set_ylim(bottom=0)
fig.suptitle("Fit time on one core, 50 features, 10 classes (illustrative: a shared machine)")
plt.show()

# %%
# The probabilities agree to about 1e-13 at every size, with the same number of L-BFGS
# iterations: the same model and the same iterates. On one core the whole difference is the cost
# of an objective evaluation: skxent's fused pass reads each block of ``X`` once, while it is in
# cache, where scikit-learn computes ``X @ W.T`` for all the data, runs its loss and reads ``X``
# again for the gradient. That was worth 1.2-1.4x on one core when this example was written (at
# 1,000 samples, per-iteration overheads dominate and the two are even); with more cores skxent
# spreads the blocks over threads, and scikit-learn's BLAS threads are the ones that suffer most
# on a busy machine (see :ref:`speed-estimators`).
