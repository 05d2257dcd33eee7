"""scikit-learn's own LogisticRegression tests, run against SoftmaxRegression.

Design note
-----------
The drop-in claim of ``SoftmaxRegression`` (lbfgs / newton-cg, L2) is checked with the tests
scikit-learn ships in ``sklearn/linear_model/tests/test_logistic.py`` (of the installed
version). The test functions are imported from there, their ``pytest.mark.parametrize`` marks
expanded here (each case keeps its own marks and the function's ``filterwarnings``), and each
case runs with the module's names patched:

* ``LogisticRegression`` -> :class:`_LogisticRegression`, a ``SoftmaxRegression`` with
  ``LogisticRegression``'s constructor signature: ``C``, ``fit_intercept``, ``class_weight``,
  ``solver``, ``tol``, ``max_iter``, ``warm_start``, ``verbose`` are SoftmaxRegression's own
  parameters; ``random_state``, ``n_jobs``, ``intercept_scaling`` (used by liblinear only) are
  accepted and ignored; ``penalty`` / ``l1_ratio`` / ``dual`` must be the L2 model's values.
  One attribute is re-presented: ``n_iter_`` is an int in SoftmaxRegression and an int32 array
  of shape ``(1,)`` in LogisticRegression.
* ``LogisticRegressionCV`` -> :class:`_LogisticRegressionCV`, a ``SoftmaxRegressionCV`` with
  ``LogisticRegressionCV``'s signature (``l1_ratios`` must be L2's ``(0,)``; ``scoring=None``
  is mapped to ``"accuracy"``, LogisticRegressionCV's default, in fitting and ``score``) whose
  arrays are re-presented in the layout the test asks for: ``use_legacy_attributes=False``
  adds the ``l1_ratios`` axis of length one; ``True`` (and the default ``"warn"``) builds the
  legacy dicts keyed by class (the positive class only for two classes; with a trailing
  ``l1_ratios`` axis when ``l1_ratios`` is given) and ``C_`` repeated per class.
* ``SOLVERS`` -> ``("lbfgs", "newton-cg")`` (tests that loop over the solvers in their body).

Parametrizations are kept when every ``solver`` is lbfgs or newton-cg and
``use_legacy_attributes`` is not the deprecation-warning default. Every kept case passes.

Left out, and why:

* other solvers and penalties: ``test_check_solver_option``,
  ``test_elasticnet_l1_ratio_err_helpful``, ``test_liblinear_dual_random_state``,
  ``test_logistic_cv`` (liblinear), ``test_sample_and_class_weight_equivalence_liblinear``,
  ``test_liblinear_decision_function_zero``, ``test_logreg_l1``, ``test_saga_vs_liblinear``,
  ``test_warm_start_converge_LR`` (sag), every elastic-net / l1_ratio test
  (``test_elastic_net_*``, ``test_LogisticRegression_elastic_net_objective``,
  ``test_LogisticRegressionCV_GridSearchCV_elastic_net``, ``test_LogisticRegressionCV_no_refit``,
  ``test_LogisticRegressionCV_elasticnet_attribute_shapes``, ``test_l1_ratio_non_elasticnet``,
  ``test_scores_attribute_layout_elasticnet``, ``test_lr_penalty_l1ratio_incompatible``),
  ``test_logistic_regression_cv_refit`` (saga), ``test_LogisticRegressionCV_on_folds`` and
  ``test_multinomial_cv_iris`` (newton-cholesky), ``test_newton_cholesky_fallback_to_lbfgs``,
  ``test_logisticregression_liblinear_sample_weight``, ``test_liblinear_with_large_values``,
  ``test_liblinear_not_stuck``, ``test_liblinear_multiclass_raises``; the newton-cholesky and
  liblinear/sag/saga parametrizations of the kept tests.
* scikit-learn's private path functions (not part of the estimator):
  ``test_consistency_path``, ``test_logistic_regression_path_convergence_fail``,
  ``test_logistic_cv_multinomial_score`` (``_log_reg_scoring_path``),
  ``test_logistic_regression_path_coefs_multinomial``,
  ``test_logistic_regression_path_init_coefs``; ``test_logreg_predict_proba_multinomial`` calls
  ``LinearClassifierMixin._predict_proba_lr``, a private one-vs-rest normalisation.
* ``sparsify`` / ``densify`` (``test_sparsify``): ``SparseCoefMixin``'s storage of mostly-zero
  (L1) coefficients; the L2 model has none to exploit, so SoftmaxRegression does not have them.
* deprecations and warnings of scikit-learn's own API: ``test_penalty_none``,
  ``test_penalty_deprecated``, ``test_l1_ratio_None_deprecated``,
  ``test_logisticregression_warns_with_n_jobs``,
  ``test_logisticregressioncv_warns_with_use_legacy_attributes``, ``test_lr_scoring_warns``,
  ``test_get_default_scorer`` (LogisticRegressionCV's private ``_get_scorer``).
* metadata routing of ``LogisticRegressionCV`` (``test_lr_cv_scores_differ_when_sample_weight_
  is_requested``, ``test_passing_params_without_enabling_metadata_routing``): SoftmaxRegressionCV
  always passes the held-out rows' sample weights to its scorer and takes no other fit
  parameters than ``sample_weight`` and ``groups``.
* array API (``test_logistic_regression_array_api_*``): SoftmaxRegression computes with NumPy
  and skxent's kernels only. Callbacks (``test_logistic_regression_callback_*``):
  scikit-learn 1.9's experimental ``set_callbacks`` API.

The collection and running machinery is shared with the other scikit-learn suites
(``tests/_sklearn_suite.py``). If the installed scikit-learn ships without its tests, the module
is skipped.
"""

import numpy as np
import pytest
from _sklearn_suite import collect, import_sklearn_tests, run_case
from _sklearn_suite import global_random_seed  # noqa: F401 (a fixture: pytest finds it here)

(sk_test_logistic,) = import_sklearn_tests("sklearn.linear_model.tests.test_logistic")

from skxent.linear_model import SoftmaxRegression, SoftmaxRegressionCV  # noqa: E402

_SOLVERS = ("lbfgs", "newton-cg")


# -- the shims ----------------------------------------------------------------------------------


def _require_l2(est, penalty, l1=0.0):
    if est.solver not in _SOLVERS:
        raise ValueError(f"not the L2 model of SoftmaxRegression: solver={est.solver!r}")
    if penalty not in ("deprecated", "l2") or est.dual:
        raise ValueError(f"not the L2 model: penalty={penalty!r}, dual={est.dual!r}")
    if l1 is not None and not np.all(np.asarray(l1, dtype=float) == 0):
        raise ValueError(f"not the L2 model: l1_ratio(s)={l1!r}")


class _LogisticRegression(SoftmaxRegression):
    """``LogisticRegression(...)``'s arguments on SoftmaxRegression (see the module note)."""

    label_smoothing = 0.0
    n_threads = None

    def __init__(self, penalty="deprecated", *, C=1.0, l1_ratio=0.0, dual=False, tol=1e-4,
                 fit_intercept=True, intercept_scaling=1, class_weight=None, random_state=None,
                 solver="lbfgs", max_iter=100, verbose=0, warm_start=False, n_jobs=None):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs

    def fit(self, X, y, sample_weight=None):
        _require_l2(self, self.penalty, self.l1_ratio)
        super().fit(X, y, sample_weight=sample_weight)
        self.n_iter_ = np.array([self.n_iter_], dtype=np.int32)  # LogisticRegression's format
        return self


class _LogisticRegressionCV(SoftmaxRegressionCV):
    """``LogisticRegressionCV(...)``'s arguments on SoftmaxRegressionCV, its attributes in the
    layout ``use_legacy_attributes`` asks for (see the module note)."""

    _parameter_constraints: dict = {}
    label_smoothing = 0.0
    n_threads = None

    def __init__(self, *, Cs=10, l1_ratios="warn", fit_intercept=True, cv=None, dual=False,
                 penalty="deprecated", scoring="warn", solver="lbfgs", tol=1e-4, max_iter=100,
                 class_weight=None, n_jobs=None, verbose=0, refit=True, intercept_scaling=1.0,
                 random_state=None, use_legacy_attributes="warn"):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.dual = dual
        self.penalty = penalty
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit
        self.intercept_scaling = intercept_scaling
        self.random_state = random_state
        self.use_legacy_attributes = use_legacy_attributes

    def _scoring(self):
        return "accuracy" if self.scoring in (None, "warn") else self.scoring

    def fit(self, X, y, sample_weight=None, **params):
        l1 = None if isinstance(self.l1_ratios, str) else self.l1_ratios
        _require_l2(self, self.penalty, l1)
        if params:
            raise ValueError(f"no fit parameters beyond sample_weight: {sorted(params)}")
        est = SoftmaxRegressionCV(
            Cs=self.Cs, cv=self.cv, scoring=self._scoring(), refit=self.refit,
            fit_intercept=self.fit_intercept, class_weight=self.class_weight,
            solver=self.solver, tol=self.tol, max_iter=self.max_iter, n_jobs=self.n_jobs,
            verbose=self.verbose,
        ).fit(X, y, sample_weight=sample_weight)
        for name in ("classes_", "coef_", "intercept_", "Cs_", "n_features_in_",
                     "feature_names_in_"):
            if hasattr(est, name):
                setattr(self, name, getattr(est, name))
        if self.use_legacy_attributes is False:
            self.C_ = est.C_
            self.l1_ratio_ = 0.0
            self.scores_ = est.scores_[:, None, :]
            self.coefs_paths_ = est.coefs_paths_[:, None]
            self.n_iter_ = est.n_iter_[:, None, :]
        else:  # the legacy dicts keyed by class (positive class only when binary), with a
            # trailing l1_ratios axis when l1_ratios was given
            keys = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
            l1_axis = (lambda a: a[..., None]) if l1 is not None else (lambda a: a)
            self.C_ = np.full(len(keys), est.C_)
            self.l1_ratio_ = np.full(len(keys), None if l1 is None else 0.0)
            self.scores_ = {k: l1_axis(est.scores_) for k in keys}
            self.coefs_paths_ = {
                k: (est.coefs_paths_[:, :, i, None] if l1 is not None
                    else est.coefs_paths_[:, :, i])
                for i, k in enumerate(keys)}
            self.n_iter_ = l1_axis(est.n_iter_[None])
        self.l1_ratios_ = np.array([0.0])
        return self

    def score(self, X, y, sample_weight=None):
        from sklearn.metrics import get_scorer

        kw = {} if sample_weight is None else {"sample_weight": sample_weight}
        return get_scorer(self._scoring())(self, X, y, **kw)


# -- the selection ------------------------------------------------------------------------------


def _solver_ok(kw):
    return kw.get("solver", "lbfgs") in _SOLVERS


def _cv_layout_ok(kw):
    return _solver_ok(kw) and kw.get("use_legacy_attributes", False) in (True, False)


# test name -> filter of its parametrizations
_KEPT = {
    "test_predict_2_classes": _solver_ok,
    "test_predict_3_classes": _solver_ok,
    "test_logistic_glmnet": _solver_ok,
    "test_inconsistent_input": _solver_ok,
    "test_write_parameters": _solver_ok,
    "test_nan": _solver_ok,
    "test_logistic_cv_mock_scorer": _solver_ok,
    "test_multinomial_logistic_regression_string_inputs": _solver_ok,
    "test_logistic_cv_folds_with_classes_missing": _solver_ok,
    "test_logistic_regression_solvers": _solver_ok,
    "test_logistic_regression_solvers_multiclass": _solver_ok,
    "test_logistic_regression_solvers_multiclass_unpenalized": _solver_ok,
    "test_logistic_cv_sparse": _solver_ok,
    "test_logistic_regressioncv_class_weights": _solver_ok,
    "test_logistic_regression_sample_weights": _solver_ok,
    "test_logistic_regression_solver_class_weights": _solver_ok,
    "test_logistic_regression_class_weights": _solver_ok,
    "test_logreg_intercept_scaling_zero": _solver_ok,
    "test_max_iter": _solver_ok,
    "test_n_iter": _cv_layout_ok,
    "test_warm_start": _solver_ok,
    "test_warm_start_newton_solver": _solver_ok,
    "test_dtype_match": _solver_ok,
    "test_c_inf_no_warning": _solver_ok,
    "test_multinomial_identifiability_on_iris": _solver_ok,
    "test_sample_weight_not_modified": _solver_ok,
    "test_large_sparse_matrix": _solver_ok,
    "test_single_feature_newton_cg": _solver_ok,
    "test_lr_cv_scores_without_enabling_metadata_routing": _solver_ok,
    "test_zero_max_iter": _solver_ok,
}

_MARKS_KEPT = {"filterwarnings", "skip", "skipif", "xfail"}

_CASES = collect([(None, sk_test_logistic)], lambda module, name, func: _KEPT.get(name),
                 keep_marks=_MARKS_KEPT, module_marks=True, quote_strings=True)


def test_suite_collected_the_logistic_tests():
    """Guard against silently collecting nothing (e.g. renamed tests)."""
    names = {p.values[1] for p in _CASES}
    assert {"test_predict_2_classes", "test_logistic_regression_solvers_multiclass_unpenalized",
            "test_dtype_match", "test_warm_start", "test_max_iter",
            "test_logistic_regression_sample_weights", "test_c_inf_no_warning"} <= names
    assert len(names) >= 25 and len(_CASES) >= 60


@pytest.mark.parametrize("module, name, kwargs", _CASES)
def test_sklearn_logistic_case(module, name, kwargs, monkeypatch, request):
    """scikit-learn's test, with SoftmaxRegression(CV) in place of LogisticRegression(CV)."""
    monkeypatch.setattr(module, "LogisticRegression", _LogisticRegression)
    monkeypatch.setattr(module, "LogisticRegressionCV", _LogisticRegressionCV)
    monkeypatch.setattr(module, "SOLVERS", _SOLVERS)
    run_case(getattr(module, name), kwargs, request)
