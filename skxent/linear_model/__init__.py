"""scikit-learn estimators on skxent's fused cross-entropy kernels.

- :class:`SoftmaxRegression`: multinomial logistic regression (``LogisticRegression``'s
  objective; soft labels, label smoothing, float32 and multithreaded kernels).
- :class:`SoftmaxRegressionCV`: ``SoftmaxRegression`` with ``C`` chosen by cross-validation
  (``LogisticRegressionCV``'s job; the folds share every pass over ``X``).
- :class:`MultiLabelLogistic`: one logistic regression per label, all fitted in one pass of
  ``X`` per objective evaluation.
"""

from ._multilabel import MultiLabelLogistic
from ._softmax import SoftmaxRegression
from ._softmax_cv import SoftmaxRegressionCV

__all__ = ["SoftmaxRegression", "SoftmaxRegressionCV", "MultiLabelLogistic"]
