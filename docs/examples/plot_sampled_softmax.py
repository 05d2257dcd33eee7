"""
=======================================================
Sampled softmax: a training curve against the full loss
=======================================================

:func:`~skxent.losses.sampled_softmax_loss` scores each training example against its true class
and a small shared sample of other classes, so a step costs ``batch x (1 + num_sampled)``
logits instead of ``batch x n_classes``. The price: the sampled loss is a biased, optimistic
estimate of the full cross-entropy. This example trains the same linear softmax model over 10,000
Zipf-distributed classes with plain NumPy SGD twice, once on the sampled loss (64 sampled
classes) and once on the full softmax cross-entropy
(:func:`~skxent.losses.categorical_cross_entropy` with ``return_grad=True``), and evaluates
both on the *full* cross-entropy of held-out data as training goes.

Everything runs on one thread (``n_threads=1``, NumPy's BLAS limited with :mod:`threadpoolctl`), so
that the per-step times compare the two methods rather than the load of the machine that built
this page. (:ref:`sampled` has the same program over 100,000 classes; the sizes here keep the
full-softmax run short.)
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from skxent.losses import categorical_cross_entropy, sampled_softmax_loss

N_CLASSES, DIM, N_TRAIN, N_TEST = 10_000, 32, 20_000, 1_000
EPOCHS, BATCH, NUM_SAMPLED, LR = 2, 256, 64, 1.0
rng = np.random.default_rng(0)


def zipf_labels(n):
    # Class ids sorted by frequency, log-uniform: what the default sampler assumes.
    u = rng.random(n)
    return np.minimum(np.exp(u * np.log1p(N_CLASSES)).astype(np.int64) - 1, N_CLASSES - 1)


prototypes = rng.standard_normal((N_CLASSES, DIM)).astype(np.float32)
y_train, y_test = zipf_labels(N_TRAIN), zipf_labels(N_TEST)
X_train = prototypes[y_train] + 0.5 * rng.standard_normal((N_TRAIN, DIM), dtype=np.float32)
X_test = prototypes[y_test] + 0.5 * rng.standard_normal((N_TEST, DIM), dtype=np.float32)
batches = [np.array_split(rng.permutation(N_TRAIN), N_TRAIN // BATCH) for _ in range(EPOCHS)]


def full_test_ce(W, b):
    return float(categorical_cross_entropy(y_test, X_test @ W.T + b, from_logits=True,
                                           n_threads=1))


# %%
# Training on the sampled loss and on the full loss
# -------------------------------------------------
EVAL_EVERY = 20
curves, step_times = {}, {}
blas_one_thread = threadpool_limits(1)
for method in ["sampled softmax", "full softmax"]:
    W = np.zeros((N_CLASSES, DIM), dtype=np.float32)
    b = np.zeros(N_CLASSES, dtype=np.float32)
    sampler = np.random.default_rng(1)
    steps, test_ce, train_loss, elapsed = [0], [full_test_ce(W, b)], [], 0.0
    step = 0
    for epoch_batches in batches:
        for idx in epoch_batches:
            start = time.perf_counter()
            X, y = X_train[idx], y_train[idx]
            if method == "sampled softmax":
                loss, grad = sampled_softmax_loss(W, b, y, X, NUM_SAMPLED, N_CLASSES,
                                                  seed=sampler, return_grad=True, n_threads=1)
                scale = LR / len(idx)  # the gradient is of the batch *sum*
                W[grad.weights.indices] -= scale * grad.weights.values
                b[grad.biases.indices] -= scale * grad.biases.values
                train_loss.append(float(loss.mean()))
            else:
                loss, g = categorical_cross_entropy(y, X @ W.T + b, from_logits=True,
                                                    return_grad=True, n_threads=1)  # of the mean
                W -= LR * (g.T @ X)
                b -= LR * g.sum(axis=0)
                train_loss.append(float(loss))
            elapsed += time.perf_counter() - start
            step += 1
            if step % EVAL_EVERY == 0:
                steps.append(step)
                test_ce.append(full_test_ce(W, b))
    curves[method] = (np.array(steps), np.array(test_ce), np.array(train_loss))
    step_times[method] = elapsed / step
    print(f"{method:16s}: {step_times[method] * 1e3:6.2f} ms per step, "
          f"full test cross-entropy {test_ce[0]:.2f} -> {test_ce[-1]:.2f}")
blas_one_thread.unregister()

# %%
# Plot
# ----
c = np.arange(N_CLASSES)
p = np.log1p(1.0 / (c + 1)) / np.log1p(N_CLASSES)
prior_entropy = float(-(p * np.log(p)).sum())  # the best a model that ignores X can do

fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
for (method, (steps, test_ce, train_loss)), color in zip(curves.items(), ["C0", "C1"]):
    ax.plot(steps, test_ce, "o-", color=color, ms=3,
            label=f"{method}: full test cross-entropy")
    smooth = np.convolve(train_loss, np.ones(EVAL_EVERY) / EVAL_EVERY, mode="valid")
    ax.plot(np.arange(EVAL_EVERY, len(train_loss) + 1), smooth, "--", color=color, alpha=0.7,
            label=f"{method}: training loss (running mean)")
ax.axhline(prior_entropy, color="k", ls=":", label="entropy of the class frequencies")
ax.set_xlabel("SGD step (batch 256)")
ax.set_ylabel("cross-entropy (nats)")
ax.set_ylim(0, np.log(N_CLASSES) * 1.05)
ax.legend(fontsize="small")
ratio = step_times["full softmax"] / step_times["sampled softmax"]
ax.set_title(f"{N_CLASSES:,} classes: a sampled step was {ratio:.0f}x cheaper here")
plt.show()

# %%
# Both runs drive the full test cross-entropy well below the entropy of the class frequencies.
# The sampled loss (dashed, blue) is far below the full loss it stands for: it only sees 64
# competitors per step, which is why it is for training, and the full cross-entropy for
# evaluation. Per step, the full softmax learns more (it updates every class's row), but each of
# its steps costs the whole ``batch x n_classes`` logit matrix; at 10,000 classes that is already
# many times the cost of a sampled step, and the gap grows in proportion to the number of classes
# (four orders of magnitude at a million classes: :ref:`sampled-speed`).
