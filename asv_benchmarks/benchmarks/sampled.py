"""asv: sampled softmax and NCE losses (skxent-bench ``sampled``).

Design note
-----------
Batch 1024, dim 128, 64 sampled classes, float32, Zipfian labels, 1e5 classes (the suite's
largest default size), loss and loss + gradients, sampling included (``seed=None``, as in
training). The cost should not depend on the number of classes: a regression that makes it do
so shows here first.
"""

import numpy as np

from .common import N_THREADS, limits, release

BATCH, DIM, NUM_SAMPLED, CLASSES = 1024, 128, 64, 100_000


class SampledLosses:
    params = (["sampled_softmax_loss", "nce_loss"], N_THREADS)
    param_names = ["loss", "n_threads"]
    timeout = 120

    def setup(self, loss, n_threads):
        import skxent.losses

        self.f = getattr(skxent.losses, loss, None)
        if self.f is None:
            raise NotImplementedError(f"skxent.losses has no {loss} at this commit")
        rng = np.random.default_rng(0)
        self.W = rng.standard_normal((CLASSES, DIM), dtype=np.float32) * np.float32(0.05)
        self.b = np.zeros(CLASSES, dtype=np.float32)
        self.x = rng.standard_normal((BATCH, DIM), dtype=np.float32)
        self.labels = np.minimum(
            np.floor(np.exp(rng.random(BATCH) * np.log1p(CLASSES))).astype(np.int64) - 1,
            CLASSES - 1)
        self.limit = limits(n_threads)

    def teardown(self, loss, n_threads):
        release(self)

    def time_loss(self, loss, n_threads):
        self.f(self.W, self.b, self.labels, self.x, NUM_SAMPLED, CLASSES, n_threads=n_threads)

    def time_loss_grad(self, loss, n_threads):
        self.f(self.W, self.b, self.labels, self.x, NUM_SAMPLED, CLASSES, return_grad=True,
               n_threads=n_threads)
