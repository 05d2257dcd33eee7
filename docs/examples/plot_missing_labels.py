"""
=====================================================
Missing labels: fitting a partially labelled ``Y``
=====================================================

In multi-label data a label is often unknown for some samples: an annotator answered some of
the questions about an image, a test was not run for a patient. Write those entries as NaN in
``Y`` and :class:`~skxent.linear_model.MultiLabelLogistic` leaves each of them out of the
objective: label ``j`` is then fitted exactly as ``LogisticRegression`` on the rows where it is
observed, and all labels still share every pass over ``X``. No scikit-learn estimator fits such
a ``Y`` directly; the usual workarounds are

(a) dropping every row that has any missing label (complete-case analysis), which with
    several labels throws away most of the data, and
(b) imputing the missing entries as 0 ("not labelled" read as "negative"), which biases every
    label towards the negative class.

This example draws a 6-label problem from a random linear model, hides a growing fraction of
``Y``'s training entries completely at random, and compares the three on a fully labelled test
set: the mean over labels of the test log loss and of the ROC AUC.
"""

# %%
# The data and the equality with ``LogisticRegression`` per label
# ----------------------------------------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

from skxent.linear_model import MultiLabelLogistic

rng = np.random.default_rng(0)
n_train, n_test, n_features, n_labels = 3000, 5000, 20, 6
W = rng.standard_normal((n_labels, n_features)) / np.sqrt(n_features) * 2.5
b = rng.normal(-1.0, 0.7, n_labels)  # mostly rare labels


def draw(n):
    X = rng.standard_normal((n, n_features))
    P = 1.0 / (1.0 + np.exp(-(X @ W.T + b)))
    return X, (rng.random((n, n_labels)) < P).astype(np.float64)


X, Y = draw(n_train)
X_test, Y_test = draw(n_test)

Y_partial = Y.copy()
Y_partial[rng.random(Y.shape) < 0.3] = np.nan  # 30% of the entries missing
clf = MultiLabelLogistic(tol=1e-10, max_iter=1000).fit(X, Y_partial)
diff = 0.0
for j in range(n_labels):
    observed = ~np.isnan(Y_partial[:, j])
    ref = LogisticRegression(tol=1e-10, max_iter=1000).fit(X[observed], Y_partial[observed, j])
    diff = max(diff, np.abs(ref.coef_[0] - clf.coef_[j]).max(),
               abs(ref.intercept_[0] - clf.intercept_[j]))
print(f"rows with every label observed: {np.mean(~np.isnan(Y_partial).any(axis=1)):.1%}")
print(f"max |MultiLabelLogistic - LogisticRegression on observed rows|: {diff:.1e}")

# %%
# Three ways to fit, against the fraction missing
# ------------------------------------------------
# Each point is the mean over 3 random masks. Dropping incomplete rows stops working once too
# few complete rows remain to see both classes of every label (its curve then ends).


def scores(model):
    P = model.predict_proba(X_test)
    ll = np.mean([log_loss(Y_test[:, j], P[:, j]) for j in range(n_labels)])
    auc = np.mean([roc_auc_score(Y_test[:, j], P[:, j]) for j in range(n_labels)])
    return ll, auc


fractions = [0.0, 0.1, 0.2, 0.3, 0.5, 0.7]
methods = ["NaN left out (MultiLabelLogistic)", "drop incomplete rows", "impute 0"]
results = {m: np.full((len(fractions), 2), np.nan) for m in methods}
for i, frac in enumerate(fractions):
    runs = {m: [] for m in methods}
    for seed in range(3):
        mask = np.random.default_rng(100 + seed).random(Y.shape) < frac
        Yp = np.where(mask, np.nan, Y)
        runs[methods[0]].append(scores(MultiLabelLogistic().fit(X, Yp)))
        complete = ~mask.any(axis=1)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                dropped = MultiLabelLogistic().fit(X[complete], Y[complete])
            if (Y[complete].min(axis=0) == Y[complete].max(axis=0)).any():
                raise ValueError("a label of one class among the complete rows")
            runs[methods[1]].append(scores(dropped))
        except ValueError:
            runs[methods[1]].append((np.nan, np.nan))
        runs[methods[2]].append(scores(MultiLabelLogistic().fit(X, np.nan_to_num(Yp))))
    for m in methods:
        results[m][i] = np.mean(runs[m], axis=0)
    print(f"{frac:.0%} missing: " + "; ".join(
        f"{m}: log loss {results[m][i, 0]:.4f}, AUC {results[m][i, 1]:.4f}" for m in methods))

fig, (ax_ll, ax_auc) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for m, style in zip(methods, ["o-", "s--", "^:"]):
    ax_ll.plot(fractions, results[m][:, 0], style, label=m)
    ax_auc.plot(fractions, results[m][:, 1], style, label=m)
ax_ll.set_xlabel("fraction of Y's training entries missing")
ax_ll.set_ylabel("test log loss, mean over labels")
ax_auc.set_xlabel("fraction of Y's training entries missing")
ax_auc.set_ylabel("test ROC AUC, mean over labels")
ax_ll.legend()
fig.suptitle(f"{n_labels} labels, {n_train} training rows, labels missing at random")
plt.show()

# %%
# Leaving the missing entries out keeps each label's estimate unbiased: its test log loss and
# AUC degrade only slowly, as each label loses rows. Imputing 0 keeps the ranking of each
# label's scores nearly intact when labels are missing at random (its AUC suffers little), but
# its probabilities shrink towards 0 and its log loss grows steadily with the fraction missing.
# Dropping incomplete rows loses the most AUC: with 6 labels and 30% of the entries missing only
# ``0.7 ** 6``, about 12% of the rows, remain, and at 70% too few complete rows remain to see
# both classes of every label.
