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
  |f|) * sqrt(max(1, 2 * l2))`` (the analogue of L-BFGS-B's ``ftol`` stop): a Newton step from
  gradient ``g`` along curvature ``h`` decreases ``f`` by ``g^2 / (2 h)``, which float64 cannot
  resolve below ``eps * |f|``; the penalty's ``l2_reg_strength`` is a lower bound of ``h`` (strong
  penalties, e.g. the small-``C`` end of a cross-validation path, make that floor high).

``verbose >= 1`` prints one line per iteration from the callback: iteration, objective, largest
gradient component, elapsed seconds.
"""

import threading
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
            coef, n_iter, failure = run_solver(loss, coef0, solver=solver, tol=tol,
                                               max_iter=max_iter, verbose=verbose)
    finally:
        loss.close()
    if failure is not None:
        warnings.warn(failure, ConvergenceWarning, stacklevel=4)
    return coef, n_iter


def run_solver(loss, coef0, *, solver, tol, max_iter, verbose=0):
    """The solver itself, without BLAS limits or warnings (for callers running several fits
    at once in threads, e.g. ``SoftmaxRegressionCV``'s folds, which warn from the main thread).

    Returns
    -------
    coef : ndarray of shape coef0.shape
    n_iter : int
    failure : str or None
        The ``ConvergenceWarning`` message, None when the solver converged.
    """
    if solver == "lbfgs":
        tr = _Tracker(loss, verbose, store_hessian=False)

        def callback(intermediate_result):
            # SciPy >= 1.11 passes an OptimizeResult, older versions the iterate itself.
            tr.report(getattr(intermediate_result, "x", intermediate_result))

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
        failure = None
        if res.status != 0:
            failure = (
                f"lbfgs failed to converge after {n_iter} iteration(s) "
                f"(status={res.status}):\n{res.message}\n\n{_CONVERGENCE_HINT}"
            )
        return res.x, n_iter, failure

    if solver == "newton-cg":
        tr = _Tracker(loss, verbose, store_hessian=True)
        f0, g0 = tr.fun(coef0)
        if g0.size == 0 or np.max(np.abs(g0)) <= tol:
            return coef0, 0, None
        if max_iter == 0:
            return (coef0, 0,
                    f"newton-cg failed to converge after 0 iteration(s). {_CONVERGENCE_HINT}")
        converged = [False]

        def callback(intermediate_result):
            tr.report(getattr(intermediate_result, "x", intermediate_result))
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
        # scikit-learn accepts silently) once the gradient is at the resolution floor (see the
        # module note); earlier it is a real failure.
        # (per-output strengths with masked targets: the weakest bounds every output's curvature)
        l2 = float(np.min(getattr(loss, "l2_reg_strength", 0.0)))
        floor = np.sqrt(np.finfo(float).eps) * max(1.0, abs(tr.f)) * np.sqrt(max(1.0, 2 * l2))
        at_floor = res.status == 2 and tr.gnorm <= floor
        failure = None
        if not converged[0] and res.status != 0 and not at_floor:
            # one line up to the hint, as scikit-learn's newton-cg message
            failure = (
                f"newton-cg failed to converge after {n_iter} iteration(s) "
                f"(status={res.status}: {res.message}). {_CONVERGENCE_HINT}"
            )
        return res.x, n_iter, failure

    raise ValueError(f"Unknown solver {solver!r}")


class _Lockstep:
    """Serves the objective requests of one L-BFGS-B run per output with shared passes.

    Each output's optimizer runs in its own thread and asks for ``(f_j, g_j)`` at its own
    point; when every still-running optimizer has asked, one fused pass over ``X`` answers them
    all (output ``j``'s objective depends only on its own coefficients). Finished outputs drop
    out of the quorum.
    """

    def __init__(self, loss, coef2d, verbose):
        self.loss = loss
        self.coef = np.array(coef2d, dtype=np.float64)
        self.active = set(range(coef2d.shape[0]))
        self.pending = set()
        self.out = {}
        self.cond = threading.Condition()
        self.error = None
        self.rounds = 0
        self.verbose = verbose
        self.t0 = time.perf_counter()

    def request(self, j, x):
        with self.cond:
            self.coef[j] = x
            self.pending.add(j)
            self._maybe_run()
            while j in self.pending and self.error is None:
                self.cond.wait()
            if self.error is not None:
                raise RuntimeError("the shared objective evaluation failed") from self.error
            return self.out.pop(j)

    def finish(self, j):
        with self.cond:
            self.active.discard(j)
            self._maybe_run()

    def _maybe_run(self):
        # Called with the lock held; every other active optimizer is waiting on it.
        if not self.pending or self.pending != self.active:
            return
        try:
            L = self.coef.shape[0]
            f, g = self.loss.loss_gradient(self.coef.ravel(order="F"), per_output=True)
        except BaseException as exc:  # wake everyone; each raises
            self.error = exc
            self.cond.notify_all()
            return
        for j in self.pending:
            self.out[j] = (float(f[j]), g[j].copy())
        self.rounds += 1
        if self.verbose:
            gmax = float(np.max(np.abs(g[sorted(self.pending)])))
            print(
                f"iter {self.rounds:4d}  objective {float(np.sum(f)):.10e}  |grad|_max "
                f"{gmax:.3e}  active {len(self.pending)}/{L}  "
                f"elapsed {time.perf_counter() - self.t0:.3f} s",
                flush=True,
            )
        self.pending.clear()
        self.cond.notify_all()


def minimize_separable_lbfgs(loss, coef0, *, tol, max_iter, verbose=0):
    """L-BFGS-B on each output of a separable objective, all outputs sharing each pass of X.

    For ``MultiLabelLogistic`` the labels are independent problems. One L-BFGS-B on their sum
    (one quasi-Newton model mixing all labels) was measured to need 2-3x more iterations than
    each label on its own and to stop at slightly different points of each label's tolerance
    ball. Running scikit-learn's exact per-label L-BFGS-B (same options, same stop rule, so the
    same iterates as ``MultiOutputClassifier(LogisticRegression())``) in lockstep keeps the
    one-pass-for-all-labels evaluation: a round costs one fused pass, and the number of rounds
    is the largest per-label number of evaluations.

    Parameters
    ----------
    loss : FusedLinearLoss (sigmoid link)
    coef0 : ndarray of shape (n_outputs * n_dof,), flat as in FusedLinearLoss

    Returns
    -------
    coef : ndarray of shape coef0.shape
    n_iter : int
        The largest per-output iteration count.
    """
    L, n_dof = loss.n_outputs, loss.n_dof
    c2 = coef0.reshape((L, n_dof), order="F")
    results = [None] * L
    errors = []
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            step = _Lockstep(loss, c2, verbose)

            def run(j):
                try:
                    results[j] = optimize.minimize(
                        lambda x: step.request(j, x),
                        c2[j].copy(),
                        method="L-BFGS-B",
                        jac=True,
                        options={
                            "maxiter": max_iter,
                            "maxls": 50,
                            "gtol": tol,
                            "ftol": 64 * np.finfo(float).eps,
                        },
                    )
                except BaseException as exc:
                    errors.append(exc)
                finally:
                    step.finish(j)

            threads = [threading.Thread(target=run, args=(j,), daemon=True) for j in range(L)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        loss.close()
    if errors:
        raise errors[0]
    n_iter = min(max(int(r.nit) for r in results), max_iter)
    failed = [j for j, r in enumerate(results) if r.status != 0]
    if failed:
        msgs = {results[j].message for j in failed}
        warnings.warn(
            f"lbfgs failed to converge for {len(failed)} of {L} label(s) (e.g. label "
            f"{failed[0]}) after {n_iter} iteration(s) (status="
            f"{results[failed[0]].status}):\n{'; '.join(sorted(msgs))}\n\n{_CONVERGENCE_HINT}",
            ConvergenceWarning,
            stacklevel=3,
        )
    coef2d = np.vstack([r.x for r in results])
    return coef2d.ravel(order="F"), n_iter
