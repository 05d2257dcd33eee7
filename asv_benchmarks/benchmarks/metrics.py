"""asv: skxent.metrics' drop-ins (skxent-bench ``metrics``).

Design note
-----------
``log_loss`` on 1e6 x 10 probabilities (float64 and float32) and on 100 x 10 (the per-call
overhead a cross-validation loop pays: validation and label encoding, not the kernel), and the
optional ``brier_score_loss``, ``d2_log_loss_score`` and ``d2_brier_score`` on 1e6 x 10 when the
commit under test has them (skipped otherwise). The metrics take no ``n_threads``: they use
OpenMP's maximum, set here by ``threadpool_limits``.
"""

import numpy as np

from .common import N_THREADS, limits, probabilities, release


class LogLoss:
    params = ([100, 1_000_000], ["float64", "float32"], N_THREADS)
    param_names = ["n_samples", "dtype", "n_threads"]
    timeout = 120

    def setup(self, n_samples, dtype, n_threads):
        from skxent.metrics import log_loss

        self.f = log_loss
        self.y, self.p = probabilities(n_samples, dtype=np.dtype(dtype))
        self.limit = limits(n_threads)

    def teardown(self, n_samples, dtype, n_threads):
        release(self)

    def time_log_loss(self, n_samples, dtype, n_threads):
        self.f(self.y, self.p)


class OptionalMetrics:
    params = (["brier_score_loss", "d2_log_loss_score", "d2_brier_score"], N_THREADS)
    param_names = ["metric", "n_threads"]
    timeout = 120

    def setup(self, metric, n_threads):
        import skxent.metrics

        self.f = getattr(skxent.metrics, metric, None)
        if self.f is None:
            raise NotImplementedError(f"skxent.metrics has no {metric} at this commit")
        self.y, self.p = probabilities(1_000_000)
        self.limit = limits(n_threads)

    def teardown(self, metric, n_threads):
        release(self)

    def time_metric(self, metric, n_threads):
        self.f(self.y, self.p)
