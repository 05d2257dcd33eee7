"""scikit-learn's estimator checks on skxent's estimators.

Design note
-----------
``parametrize_with_checks`` runs every check scikit-learn applies to its own classifiers, chosen
from the estimators' tags (``MultiLabelLogistic`` declares ``multi_output`` / ``multi_label`` and
``multi_class=False``, so the multi-label output-format checks run and the 1-D checks use binary
targets). No check is skipped.

``SoftmaxRegressionCV`` runs twice per solver: default-constructed (``Cs=10``, the grid
``logspace(-4, 4, 10)``, 5 folds) and with ``Cs=[0.01, 0.1]``, which passes every check. With the
default grid three checks fail for reasons of the checks' data and tolerances, not of the
estimator; scikit-learn's own ``LogisticRegressionCV`` fails the first and the third the same way
at its defaults (which is why scikit-learn runs its checks with ``max_iter=5, cv=3``). They are
marked as expected failures the scikit-learn way (``expected_failed_checks``, non-strict), with
the reasons below; the ``Cs=[0.01, 0.1]`` instances keep running them in full:

* ``check_non_transformer_estimators_n_iter`` wants every ``n_iter_ >= 1``. Each fold's path is
  warm-started along ``Cs`` (as ``LogisticRegressionCV``'s); at the large-``C`` end of the grid
  the previous ``C``'s solution already meets ``tol`` on iris and no iteration runs, so
  ``n_iter_`` truthfully holds zeros (``LogisticRegressionCV``'s too, on the same folds).
* ``check_classifiers_train`` (its float32 variant) compares ``predict_log_proba`` with
  ``log(predict_proba)`` to 1.5e-8 absolute. The default grid picks ``C=21.5`` on the check's
  two blobs (as ``LogisticRegressionCV`` does), logits reach ~17, and a probability within 3e-8
  of 1 rounds to 1.0 in float32 (its spacing there is 6e-8): ``log`` gives 0 where the stable
  log-probability is the correct -2.8e-8. ``LogisticRegressionCV`` passes only because it
  converts ``X`` to float64 and takes ``log(predict_proba)``; skxent keeps float32 (see
  ``_base.py``) and computes the log-probabilities from the logits.
* ``check_sample_weight_equivalence_on_dense_data`` / ``..._on_sparse_data`` compare weighted
  and repeated fits to 1e-7. The check's 15 samples x 30 features are separable, the default
  grid picks its largest ``C=1e4``, and that nearly unpenalised objective is so flat that fits
  stopped by ``tol`` (or, at tighter ``tol``, by L-BFGS-B's ``ftol``) land 1e-7..1e-2 apart in
  the decision function from rounding alone (the same ``C_`` and fold scores to 1e-10). With a
  penalised grid (``Cs=[0.01, 0.1]``) they agree to 1e-13.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skxent.linear_model import MultiLabelLogistic, SoftmaxRegression, SoftmaxRegressionCV

_DEFAULT_GRID_FAILURES = {
    "check_non_transformer_estimators_n_iter": (
        "warm-started paths: at the large-C end of the default grid the previous solution "
        "already meets tol, so n_iter_ holds true zeros (as LogisticRegressionCV's)"
    ),
    "check_classifiers_train": (
        "float32 variant: the chosen C gives logits ~17, where a probability within 3e-8 of 1 "
        "rounds to 1.0 in float32; the stable predict_log_proba (-2.8e-8) differs from "
        "log(predict_proba) = 0 by more than the check's 1.5e-8"
    ),
    "check_sample_weight_equivalence_on_dense_data": (
        "the default grid picks C=1e4 on the check's separable data: fits of that flat "
        "objective stopped by tol differ beyond 1e-7 from rounding (LogisticRegressionCV too)"
    ),
    "check_sample_weight_equivalence_on_sparse_data": (
        "the default grid picks C=1e4 on the check's separable data: fits of that flat "
        "objective stopped by tol differ beyond 1e-7 from rounding (LogisticRegressionCV too)"
    ),
}


def _expected_failed_checks(estimator):
    if isinstance(estimator, SoftmaxRegressionCV) and estimator.Cs == 10:
        return _DEFAULT_GRID_FAILURES
    return {}


@parametrize_with_checks(
    [
        SoftmaxRegression(),
        MultiLabelLogistic(),
        SoftmaxRegression(solver="newton-cg"),
        MultiLabelLogistic(solver="newton-cg"),
        SoftmaxRegressionCV(),
        SoftmaxRegressionCV(solver="newton-cg"),
        SoftmaxRegressionCV(Cs=[0.01, 0.1]),
        SoftmaxRegressionCV(Cs=[0.01, 0.1], solver="newton-cg"),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
