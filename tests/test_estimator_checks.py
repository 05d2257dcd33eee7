"""scikit-learn's estimator checks on skxent's estimators.

Design note
-----------
``parametrize_with_checks`` runs every check scikit-learn applies to its own classifiers, chosen
from the estimators' tags (``MultiLabelLogistic`` declares ``multi_output`` / ``multi_label`` and
``multi_class=False``, so the multi-label output-format checks run and the 1-D checks use binary
targets). ``SoftmaxRegressionCV`` runs with its defaults (10 ``Cs``, 5 folds) and with
newton-cg. No check is skipped or marked as an expected failure.
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
