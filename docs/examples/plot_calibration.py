"""
====================================
Calibration curves of the estimators
====================================

A well-specified logistic model gives calibrated probabilities: among the samples predicted at
70%, about 70% are positive. This example draws the calibration curves
(:func:`sklearn.calibration.calibration_curve`) of skxent's estimators on a binary problem:

* :class:`~skxent.linear_model.SoftmaxRegression` (two classes: the binomial model,
  ``LogisticRegression``'s), and with ``label_smoothing=0.2``, which pulls the targets towards
  1/2 and so makes the model *under*-confident on purpose;
* :class:`~skxent.linear_model.SoftmaxRegressionCV`, ``C`` chosen by cross-validated log loss;
* :class:`~skxent.linear_model.MultiLabelLogistic` fitted on the same single label;
* Gaussian naive Bayes, whose independence assumption makes it over-confident, for contrast.

Each curve is scored with skxent's drop-in :func:`~skxent.metrics.brier_score_loss` and
:func:`~skxent.metrics.log_loss`.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB

from skxent.linear_model import MultiLabelLogistic, SoftmaxRegression, SoftmaxRegressionCV
from skxent.metrics import brier_score_loss, log_loss

X, y = make_classification(n_samples=40_000, n_features=20, n_informative=4, n_redundant=8,
                           random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)

models = {
    "SoftmaxRegression": SoftmaxRegression(C=1.0),
    "SoftmaxRegression, label_smoothing=0.2": SoftmaxRegression(C=1.0, label_smoothing=0.2),
    "SoftmaxRegressionCV": SoftmaxRegressionCV(Cs=6, cv=3),
    "MultiLabelLogistic (one label)": MultiLabelLogistic(C=1.0),
    "GaussianNB": GaussianNB(),
}

# %%
fig, (ax_curve, ax_hist) = plt.subplots(2, 1, figsize=(7, 8), height_ratios=[3, 1],
                                         sharex=True, layout="constrained")
ax_curve.plot([0, 1], [0, 1], "k:", label="perfectly calibrated")
styles = ["o-", "s-", "^--", "x:", "d-"]  # the three logistic fits overlap: tell them apart
for (name, model), style in zip(models.items(), styles):
    proba = model.fit(X_train, y_train).predict_proba(X_test)[:, 1]
    frac_pos, mean_pred = calibration_curve(y_test, proba, n_bins=15, strategy="quantile")
    brier = brier_score_loss(y_test, proba)
    ll = log_loss(y_test, proba)
    print(f"{name:40s} Brier {brier:.4f}  log loss {ll:.4f}")
    ax_curve.plot(mean_pred, frac_pos, style, ms=5, label=f"{name} (Brier {brier:.3f})")
    ax_hist.hist(proba, bins=40, range=(0, 1), histtype="step", lw=1.5)
ax_curve.set_ylabel("fraction of positives")
ax_curve.legend(loc="upper left", fontsize="small")
ax_curve.set_title("Calibration on 20,000 held-out samples")
ax_hist.set_xlabel("predicted probability of the positive class")
ax_hist.set_ylabel("count")
plt.show()

# %%
# The three logistic models lie close to the diagonal: they minimise the log loss, a proper
# scoring rule, of a nearly well-specified model. ``SoftmaxRegressionCV`` picks a ``C`` that
# makes no visible difference at this sample size, and ``MultiLabelLogistic`` with one label is
# the same binomial model as ``SoftmaxRegression``, so their curves overlap. Label smoothing
# bends the curve into an S: its probabilities stay away from 0 and 1 (the histogram), so
# confident predictions are right more often than they claim. Naive Bayes bends the other way:
# over-confident.
