"""asv: softmax and sigmoid cross-entropy, loss and loss + gradient (skxent-bench ``losses``).

Design note
-----------
The default-size inputs of the ``losses`` suite (softmax 1e6 x 10, sigmoid 5e5 x 20, float64 and
float32), through the public API as a user calls it (the returned gradient is allocated per
call). A regression here is a kernel, dispatch or validation slowdown; asv's own statistics
(several samples, median, spread) decide whether it is noise.
"""

import numpy as np

from .common import (N_THREADS, SIGMOID_K, SIGMOID_N, SOFTMAX_K, SOFTMAX_N, limits, release,
                     sigmoid_data, softmax_data)


class SoftmaxCrossEntropy:
    params = (["float64", "float32"], N_THREADS)
    param_names = ["dtype", "n_threads"]
    timeout = 120

    def setup(self, dtype, n_threads):
        from skxent.losses import categorical_cross_entropy

        self.f = categorical_cross_entropy
        self.logits, self.labels = softmax_data(SOFTMAX_N, SOFTMAX_K, np.dtype(dtype))
        self.limit = limits(n_threads)

    def teardown(self, dtype, n_threads):
        release(self)

    def time_loss(self, dtype, n_threads):
        self.f(self.labels, self.logits, from_logits=True, n_threads=n_threads)

    def time_loss_grad(self, dtype, n_threads):
        self.f(self.labels, self.logits, from_logits=True, return_grad=True,
               n_threads=n_threads)


class SigmoidCrossEntropy:
    params = (["float64", "float32"], N_THREADS)
    param_names = ["dtype", "n_threads"]
    timeout = 120

    def setup(self, dtype, n_threads):
        from skxent.losses import binary_cross_entropy

        self.f = binary_cross_entropy
        self.logits, self.targets = sigmoid_data(SIGMOID_N, SIGMOID_K, np.dtype(dtype))
        self.limit = limits(n_threads)

    def teardown(self, dtype, n_threads):
        release(self)

    def time_loss(self, dtype, n_threads):
        self.f(self.targets, self.logits, from_logits=True, n_threads=n_threads)

    def time_loss_grad(self, dtype, n_threads):
        self.f(self.targets, self.logits, from_logits=True, return_grad=True,
               n_threads=n_threads)
