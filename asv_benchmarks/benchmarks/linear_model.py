"""asv: fitting skxent.linear_model's estimators (skxent-bench ``fit``).

Design note
-----------
``SoftmaxRegression`` on ``make_classification(n, 100, n_informative=20, n_classes=10)``, dense
and on the text-like CSR matrix of the ``fit`` suite (n x 20000, 50 values per row), and
``MultiLabelLogistic`` on ``make_multilabel_classification(n, 100, n_classes=20)``, n = 50000
(the suite's largest default size), with the estimators' defaults. A fit is a whole L-BFGS run,
so a slowdown here may be the objective's evaluation or a change in the number of iterations;
``track_n_iter`` records the latter so the two can be told apart. One fit per sample.
"""

import warnings

import numpy as np

from .common import N_THREADS, limits, release

N = 50_000


def _fit(est, X, y):
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


class SoftmaxRegressionFit:
    params = (["dense", "sparse"], N_THREADS)
    param_names = ["layout", "n_threads"]
    number = 1
    repeat = (1, 5, 60.0)
    timeout = 600

    def setup(self, layout, n_threads):
        if layout == "dense":
            from sklearn.datasets import make_classification

            self.X, self.y = make_classification(N, 100, n_informative=20, n_classes=10,
                                                 random_state=0)
        else:
            from scipy import sparse

            rng = np.random.default_rng(0)
            d = 20_000
            self.X = sparse.random(N, d, density=50 / d, format="csr", random_state=0,
                                   data_rvs=lambda m: rng.standard_normal(m))
            W = rng.standard_normal((10, d)) * (rng.random((10, d)) < 0.2)
            logits = np.asarray(self.X @ W.T) + rng.gumbel(size=(N, 10))
            self.y = logits.argmax(axis=1)
        self.limit = limits(n_threads)

    def teardown(self, layout, n_threads):
        release(self)

    def time_fit(self, layout, n_threads):
        from skxent.linear_model import SoftmaxRegression

        _fit(SoftmaxRegression(n_threads=n_threads), self.X, self.y)

    def track_n_iter(self, layout, n_threads):
        from skxent.linear_model import SoftmaxRegression

        return int(np.max(_fit(SoftmaxRegression(n_threads=n_threads), self.X, self.y).n_iter_))


class MultiLabelLogisticFit:
    params = (N_THREADS,)
    param_names = ["n_threads"]
    number = 1
    repeat = (1, 5, 60.0)
    timeout = 600

    def setup(self, n_threads):
        from sklearn.datasets import make_multilabel_classification
        from sklearn.preprocessing import StandardScaler

        X, self.Y = make_multilabel_classification(N, 100, n_classes=20, random_state=0)
        self.X = StandardScaler().fit_transform(X)
        self.limit = limits(n_threads)

    def teardown(self, n_threads):
        release(self)

    def time_fit(self, n_threads):
        from skxent.linear_model import MultiLabelLogistic

        _fit(MultiLabelLogistic(n_threads=n_threads), self.X, self.Y)
