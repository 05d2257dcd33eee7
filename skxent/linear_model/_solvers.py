"""Optimizers for the fused objective.

Design note
-----------
Both solvers are SciPy's, driven the way scikit-learn drives them for ``LogisticRegression``
(sklearn/linear_model/_logistic.py), so the iterates and stop rules are comparable:

- ``"lbfgs"``: ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` with scikit-learn's
  options (``maxiter=max_iter``, ``maxls=50``, ``gtol=tol`` on the largest projected gradient
  component, ``ftol=64 * eps``). ``ConvergenceWarning`` when SciPy reports anything but success,
  as scikit-learn's ``_check_optimize_result`` does.
- ``"newton-cg"``: a truncated Newton method with the exact Hessian-vector product of
  :class:`FusedLinearLoss`: SciPy's ``minimize(method="trust-ncg", jac=True, hessp=...)`` (Steihaug
  conjugate gradient inside a trust region). SciPy's ``method="Newton-CG"`` was tried first: its
  inner CG stops on an *absolute* curvature threshold (``p.Hp <= 3 * eps``), so on these
  objectives (curvature ~ 1 / (C * n_samples)) it stalls at ``|gradient| ~ 1e-8`` and reports
  success; scikit-learn's own newton-cg avoids this, and trust-ncg does too, reaching the same
  tolerances in about the same number of outer iterations as scikit-learn's newton-cg. The
  probabilities the Hessian needs are stored during the objective evaluation at the same point,
  so an outer iteration costs one pass over ``X`` for the gradient plus one per CG step. The stop
  rule is scikit-learn's, ``max |gradient| <= tol`` (checked in the callback, which stops SciPy
  with ``StopIteration``); SciPy's ``gtol`` (on the 2-norm) is set to ``tol`` as a backstop. When
  ``tol`` is below what float64 can resolve, trust-ncg stops with status 2 ("failure to predict
  improvement"); that is accepted without a warning once ``max |gradient| <= sqrt(eps) * max(1,
  |f|)`` (the analogue of L-BFGS-B's ``ftol`` stop).

``verbose >= 1`` prints one line per iteration from the callback: iteration, objective, largest
gradient component, elapsed seconds.
"""

import time
import warnings

import numpy as np
from scipy import optimize
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

_CONVERGENCE_HINT = (
    "Increase the number of iterations (max_iter) or scale the data as shown in:\n"
    "    https://scikit-learn.org/stable/modules/preprocessing.html"
)


class _Tracker:
    """Caches the last objective/gradient and prints progress lines."""

    def __init__(self, loss, verbose, store_hessian):
        self.loss = loss
        self.verbose = verbose
        self.store_hessian = store_hessian
        self.x = None
        self.f = None
        self.g = None
        self.n_iter = 0
        self.n_evals = 0
        self.t0 = time.perf_counter()
        self.gnorm = np.inf

    def fun(self, x):
        f, g = self.loss.loss_gradient(x, store_hessian=self.store_hessian)
        self.n_evals += 1
        self.x = x.copy()
        self.f = f
        self.g = g
        return f, g

    def at(self, x):
        if self.x is None or not np.array_equal(self.x, x):
            self.fun(x)
        return self.f, self.g

    def hessp(self, x, p):
        if not self.loss.has_hessian_at(x):
            self.loss.loss_gradient(x, store_hessian=True)
        return self.loss.hessp(p)

    def report(self, x):
        self.n_iter += 1
        f, g = self.at(x)
        self.gnorm = float(np.max(np.abs(g))) if g.size else 0.0
        if self.verbose:
            print(
                f"iter {self.n_iter:4d}  objective {f:.10e}  |grad|_max {self.gnorm:.3e}  "
                f"elapsed {time.perf_counter() - self.t0:.3f} s",
                flush=True,
            )
        return f, g


def minimize(loss, coef0, *, solver, tol, max_iter, verbose=0):
    """Minimise ``loss`` (a :class:`FusedLinearLoss`) from ``coef0``.

    BLAS is limited to one thread for the duration (the parallelism is over row blocks, see
    ``_linear_loss.py``), as scikit-learn's KMeans does around its own threaded loops.

    Returns
    -------
    coef : ndarray of shape coef0.shape
    n_iter : int
    """
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            return _minimize(loss, coef0, solver=solver, tol=tol, max_iter=max_iter,
                             verbose=verbose)
    finally:
        loss.close()


def _minimize(loss, coef0, *, solver, tol, max_iter, verbose):
    if solver == "lbfgs":
        tr = _Tracker(loss, verbose, store_hessian=False)

        def callback(intermediate_result):
            tr.report(intermediate_result.x)

        res = optimize.minimize(
            tr.fun,
            coef0,
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={
                "maxiter": max_iter,
                "maxls": 50,
                "gtol": tol,
                "ftol": 64 * np.finfo(float).eps,
            },
        )
        n_iter = min(int(res.nit), max_iter)
        if res.status != 0:
            warnings.warn(
                f"lbfgs failed to converge after {n_iter} iteration(s) "
                f"(status={res.status}):\n{res.message}\n\n{_CONVERGENCE_HINT}",
                ConvergenceWarning,
                stacklevel=4,
            )
        return res.x, n_iter

    if solver == "newton-cg":
        tr = _Tracker(loss, verbose, store_hessian=True)
        f0, g0 = tr.fun(coef0)
        if g0.size == 0 or np.max(np.abs(g0)) <= tol:
            return coef0, 0
        if max_iter == 0:
            warnings.warn(
                f"newton-cg failed to converge after 0 iteration(s).\n{_CONVERGENCE_HINT}",
                ConvergenceWarning,
                stacklevel=4,
            )
            return coef0, 0
        converged = [False]

        def callback(intermediate_result):
            tr.report(intermediate_result.x)
            if tr.gnorm <= tol:
                converged[0] = True
                raise StopIteration

        res = optimize.minimize(
            tr.fun,
            coef0,
            method="trust-ncg",
            jac=True,
            hessp=tr.hessp,
            callback=callback,
            options={"maxiter": max_iter, "gtol": tol},
        )
        n_iter = min(tr.n_iter, max_iter)
        # status 2: the quadratic model no longer predicts a decrease the objective can resolve
        # in float64. That is convergence to machine precision (L-BFGS-B's ftol stop, which
        # scikit-learn accepts silently) once the gradient is at the resolution floor,
        # sqrt(eps) relative to the objective; earlier it is a real failure.
        at_floor = res.status == 2 and tr.gnorm <= np.sqrt(np.finfo(float).eps) * max(
            1.0, abs(tr.f)
        )
        if not converged[0] and res.status != 0 and not at_floor:
            warnings.warn(
                f"newton-cg failed to converge after {n_iter} iteration(s) "
                f"(status={res.status}): {res.message}\n\n{_CONVERGENCE_HINT}",
                ConvergenceWarning,
                stacklevel=4,
            )
        return res.x, n_iter

    raise ValueError(f"Unknown solver {solver!r}")
