"""
=============================
Thread scaling of the kernels
=============================

skxent's kernels run on ``n_threads`` OpenMP threads (``None``: what OpenMP would use, so
``OMP_NUM_THREADS`` and ``threadpoolctl`` apply). Work is cut into fixed chunks that do not
depend on the thread count, so every ``n_threads`` gives bit-identical results, and a kernel
takes at most one thread per 65,536 elements of work: small inputs stay serial, where waking
threads would cost more than it saves, and a second thread joins from 131,072 elements.

This example times the softmax cross-entropy (loss, and loss + gradient, 10 classes) with
``n_threads=1`` and ``n_threads=2`` over input sizes from 1,000 to 1,000,000 rows, interleaved,
medians of 7 rounds, and checks that the results are identical.

**Read the plot as an illustration.** It is drawn on the machine that builds this page, a
2-core machine shared with other work when it was written: when the other core is busy, a
second thread can wait a whole time slice, and the speed-up shrinks, disappears or turns into a
slow-down. On a quiet
2-core machine the measured speed-up at 1e6 x 10 is 1.9x for the loss and 1.8x for loss +
gradient (:ref:`speed-threads`); ``skxent-bench`` measures it on yours.
"""

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np

from skxent import show_config
from skxent.losses import categorical_cross_entropy

show_config()
print(f"load average: {os.getloadavg()[0]:.1f}")

rng = np.random.default_rng(0)
K = 10
sizes = [1_000, 10_000, 30_000, 100_000, 300_000, 1_000_000]
cases = {
    "loss": dict(),
    "loss + gradient": dict(return_grad=True),
}
speedup = {name: [] for name in cases}
for n in sizes:
    z = rng.standard_normal((n, K))
    t = rng.integers(0, K, n)
    for name, kwargs in cases.items():
        timings = {1: [], 2: []}
        results = {}
        for _ in range(7):
            for threads in (1, 2):
                start = time.perf_counter()
                results[threads] = categorical_cross_entropy(t, z, from_logits=True,
                                                             n_threads=threads, **kwargs)
                timings[threads].append(time.perf_counter() - start)
        one, two = results[1], results[2]
        if not isinstance(one, tuple):
            one, two = (one,), (two,)
        same = all(np.array_equal(a, b) for a, b in zip(one, two))
        t1, t2 = np.median(timings[1]), np.median(timings[2])
        speedup[name].append(t1 / t2)
        print(f"{n:9d} x {K} {name:16s} 1 thread {t1 * 1e3:8.3f} ms, 2 threads "
              f"{t2 * 1e3:8.3f} ms, speed-up {t1 / t2:4.2f}x, identical results: {same}")
print(f"load average: {os.getloadavg()[0]:.1f}")

# %%
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
for name, values in speedup.items():
    ax.semilogx(sizes, values, "o-", label=name)
ax.axhline(1.0, color="k", lw=0.8)
ax.axhline(2.0, color="k", lw=0.8, ls=":")
ax.axvline(2 * 65_536 / K, color="0.6", ls="--", lw=0.8)
ax.text(2 * 65_536 / K * 1.1, 0.2, "a second thread\nfrom 131,072 elements", color="0.4",
        fontsize="small")
ax.set_ylim(0, 2.3)
ax.set_xlabel("rows (10 classes each)")
ax.set_ylabel("time on 1 thread / time on 2 threads")
ax.set_title("Softmax cross-entropy: 2 threads vs 1 (illustrative, shared machine)")
ax.legend(loc="upper left")
plt.show()
