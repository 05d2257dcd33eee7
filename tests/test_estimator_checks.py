"""scikit-learn's estimator checks on skxent's estimators.

Design note
-----------
``parametrize_with_checks`` runs every check scikit-learn applies to its own classifiers, chosen
from the estimators' tags (``MultiLabelLogistic`` declares ``multi_output`` / ``multi_label`` and
``multi_class=False``, so the multi-label output-format checks run and the 1-D checks use binary
targets). No check is skipped or marked as an expected failure.

``SoftmaxRegressionCV`` runs with ``Cs=[0.01, 0.1]`` (5 folds, both solvers), as scikit-learn
runs its own ``LogisticRegressionCV`` checks with non-default parameters (``max_iter=5,
cv=3``). With the default grid (up to ``C=1e4``) three checks fail for reasons of the checks'
data, not of the estimator: ``check_non_transformer_estimators_n_iter`` wants every ``n_iter_``
>= 1, but at the large-``C`` end of the grid the previous ``C``'s solution already meets ``tol``
and no iteration runs (``LogisticRegressionCV`` has the same zeros); on the separable toy data the
large-``C`` fits reach logits where float32 probabilities round to 1, so
``check_classifiers_train(X_dtype=float32)``'s ``log(predict_proba) == predict_log_proba`` to
1e-8 cannot hold for the stable ``predict_log_proba`` (-2.8e-8 where ``log(1.0) = 0``); and
``check_sample_weight_equivalence`` compares weighted and repeated fits to 1e-7, which the
nearly unpenalised fits on 15 separable samples (stopped by ``tol``, not at an optimum) do not
reproduce through rounding differences.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skxent.linear_model import MultiLabelLogistic, SoftmaxRegression, SoftmaxRegressionCV


@parametrize_with_checks(
    [
        SoftmaxRegression(),
        MultiLabelLogistic(),
        SoftmaxRegression(solver="newton-cg"),
        MultiLabelLogistic(solver="newton-cg"),
        SoftmaxRegressionCV(Cs=[0.01, 0.1]),
        SoftmaxRegressionCV(Cs=[0.01, 0.1], solver="newton-cg"),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
