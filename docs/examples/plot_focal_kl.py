"""
=====================================================
Focal loss on rare positives, and KL for distillation
=====================================================

Two losses of :doc:`../user_guide/focal_kl`, each on the problem it is made for.

* **Focal loss** (``focal_gamma=g`` in :func:`~skxent.losses.binary_cross_entropy`) multiplies
  each example's cross-entropy by ``(1 - p_t)**g``, where ``p_t`` is the probability the model
  gives to the example's true label. Examples the model already gets right (``p_t`` near 1)
  stop counting, so on a problem with 2% positives the few hard examples, not the mass of easy
  negatives, drive the fit. Below: the weights themselves, then a logistic model fitted with
  SciPy's L-BFGS on skxent's loss and gradient, with and without focusing.
* **KL divergence** (:func:`~skxent.losses.kl_divergence`, with ``temperature``): knowledge
  distillation drives a student's logits towards a teacher's, so the divergence it minimises
  becomes tiny. Computed as ``cross-entropy - entropy``, or as ``sum y (log y - log q)`` with a
  log-softmax, it loses its digits there; skxent's stays relatively exact. Below: relative
  errors against a 40-digit mpmath reference.
"""

# %%
# The weight focal loss gives to easy and hard examples
# -----------------------------------------------------
# One positive example (``y = 1``) whose logit gives it probability ``p_t``: its loss and the
# size of the gradient with respect to its logit, as skxent computes them, for several
# ``focal_gamma``. ``g = 0`` is plain cross-entropy.
import matplotlib.pyplot as plt
import mpmath
import numpy as np
from scipy.optimize import minimize
from scipy.special import entr, expit, log_softmax, logit
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score
from sklearn.model_selection import train_test_split

from skxent.losses import binary_cross_entropy, categorical_cross_entropy, kl_divergence
from skxent.special import softmax

p_t = np.linspace(0.01, 0.999, 400)
gammas = [0.0, 0.5, 1.0, 2.0, 5.0]
fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for g in gammas:
    loss, grad = binary_cross_entropy(np.ones_like(p_t), logit(p_t), from_logits=True,
                                      focal_gamma=g, reduction="none", return_grad=True)
    ax_loss.plot(p_t, loss, label=f"focal_gamma={g:g}")
    ax_grad.plot(p_t, np.abs(grad), label=f"focal_gamma={g:g}")
    # an easy example's gradient against a misclassified one's
    _, (g_easy, g_hard) = binary_cross_entropy([1.0, 1.0], logit([0.9, 0.01]),
                                               from_logits=True, focal_gamma=g,
                                               reduction="none", return_grad=True)
    print(f"focal_gamma={g:g}: gradient at p_t = 0.9 / gradient at p_t = 0.01 = "
          f"{g_easy / g_hard:.2g}")
for ax, what in [(ax_loss, "loss"), (ax_grad, "|d loss / d logit|")]:
    ax.set_yscale("log")
    ax.set_ylim(1e-9, 10)
    ax.axvspan(0.9, 1.0, color="0.9")
    ax.set_xlabel("p_t, the probability of the true label")
    ax.set_ylabel(what)
ax_loss.text(0.905, 3, "easy", fontsize=9)
ax_loss.legend(loc="lower left")
fig.suptitle("One example's loss and gradient (shaded: easy examples, p_t > 0.9)")
plt.show()

# %%
# At ``p_t = 0.9`` plain cross-entropy still gives the example a tenth of the gradient of a
# misclassified one; ``focal_gamma=2`` gives it three thousandths. The more numerous the easy
# examples, the more that matters.
#
# A logistic model on 2% positives
# --------------------------------
# A linear model ``z = X w + b`` fitted by SciPy's L-BFGS on skxent's mean loss and its gradient
# with respect to the logits (``return_grad=True``), carried to ``w`` by one product with
# ``X``, plus a small L2 penalty.
X, y = make_classification(20_000, 20, n_informative=6, n_redundant=2, weights=[0.98],
                           flip_y=0.0, class_sep=0.8, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0,
                                                    stratify=y)
print(f"{y_train.sum()} positives among {len(y_train)} training examples")


def fit(gamma, C=1.0):
    """Penalised focal (gamma > 0) or cross-entropy (gamma = 0) logistic regression."""
    n, d = X_train.shape

    def objective(wb):
        w, b = wb[:-1], wb[-1]
        loss, grad_z = binary_cross_entropy(y_train, X_train @ w + b, from_logits=True,
                                            focal_gamma=gamma, return_grad=True)
        penalty = w @ w / (2 * C * n)
        grad = np.append(X_train.T @ grad_z + w / (C * n), grad_z.sum())
        return loss + penalty, grad

    res = minimize(objective, np.zeros(d + 1), jac=True, method="L-BFGS-B")
    return res.x[:-1], res.x[-1]


models = {g: fit(g) for g in [0.0, 2.0]}

# %%
# Who drives the fit
# ^^^^^^^^^^^^^^^^^^
# At the cross-entropy model's solution, the share of the summed gradient magnitude
# ``sum |d loss / d z_i|`` that comes from the easy examples (``p_t > 0.9``) and from the
# positives, for each ``focal_gamma``:
w, b = models[0.0]
z_train = X_train @ w + b
p_true = np.where(y_train == 1, expit(z_train), expit(-z_train))
easy = p_true > 0.9
print(f"easy examples: {easy.mean():.1%} of the training set")
shares = {}
for g in gammas:
    _, grad = binary_cross_entropy(y_train, z_train, from_logits=True, focal_gamma=g,
                                   reduction="none", return_grad=True)
    size = np.abs(grad)
    shares[g] = (size[easy].sum() / size.sum(), size[y_train == 1].sum() / size.sum())
    print(f"focal_gamma={g:g}: easy examples {shares[g][0]:6.1%} of the gradient, "
          f"positives {shares[g][1]:6.1%}")

# %%
# At a cross-entropy optimum with an intercept the gradient sums to zero, so the 2% of
# positives and the 98% of negatives pull with equal total force, and a large part of that
# comes from examples already classified with confidence. With ``focal_gamma=2`` those hardly
# count any more, and the positives carry most of the gradient.
#
# What it changes on held-out data
# ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
fig, (ax_share, ax_pr) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
x = np.arange(len(gammas))
ax_share.bar(x - 0.2, [shares[g][0] for g in gammas], 0.4, label="easy examples (p_t > 0.9)")
ax_share.bar(x + 0.2, [shares[g][1] for g in gammas], 0.4, label="positives (2% of the data)")
ax_share.set_xticks(x, [f"{g:g}" for g in gammas])
ax_share.set_xlabel("focal_gamma")
ax_share.set_ylabel("share of sum |d loss / d z_i|")
ax_share.set_title("at the cross-entropy solution")
ax_share.legend()
for g, (w, b) in models.items():
    score = X_test @ w + b
    precision, recall, _ = precision_recall_curve(y_test, score)
    ap, auc = average_precision_score(y_test, score), roc_auc_score(y_test, score)
    label = "cross-entropy" if g == 0 else f"focal_gamma={g:g}"
    ax_pr.plot(recall, precision, label=f"{label}: AP {ap:.3f}, ROC AUC {auc:.3f}")
    print(f"{label:14s} AP {ap:.3f}, ROC AUC {auc:.3f}, mean probability "
          f"{expit(score).mean():.3f} (positive rate {y_test.mean():.3f})")
ax_pr.set_xlabel("recall")
ax_pr.set_ylabel("precision")
ax_pr.set_title("test set")
ax_pr.legend()
plt.show()

# %%
# On this linear model focusing does not improve the ranking of the test examples:
# cross-entropy's precision is higher at low recall and the two curves coincide beyond; average
# precision is a little lower with focusing, ROC AUC a little higher. A linear model has too
# few parameters for the easy mass to crowd out the hard examples; focal loss earns its keep
# on models that can fit the easy mass (dense object detectors, where it was introduced, or
# boosted trees, whose custom objectives take :func:`~skxent.losses.binary_cross_entropy`'s
# ``return_hess=True``). The mean predicted probability shows the other side: the focal
# model's ``expit(z)`` is not a calibrated probability (several times the positive rate here,
# since focusing down-weights the confident end of the loss), so rank with it, or recalibrate
# it before reading it as a probability.
#
# KL divergence when the student is close
# ---------------------------------------
# A teacher's logits over ``K = 200`` classes, softened at temperature ``T = 2`` (a power of
# two, so that dividing by it is exact and every method sees the same numbers), and students
# at distances ``delta`` from 1e-7 to 0.3 (a few examples each). Three float64 computations of
# ``KL(p || softmax(student / T))``:
#
# * skxent: ``kl_divergence(p, student, from_logits=True, temperature=T)``;
# * ``CE - H``: skxent's own (exact) cross-entropy minus NumPy's entropy: two numbers of size
#   ``H`` (about 4 here) whose difference is the tiny divergence;
# * ``sum y (log y - log q)`` with SciPy's ``log_softmax``: each term is rounded at the size of
#   ``log q``, not of the divergence.
#
# The reference is the same definition at 40 significant digits (mpmath), on the same float64
# inputs.
K, T, per_delta = 200, 2.0, 4
rng = np.random.default_rng(0)
deltas = np.repeat(np.logspace(-7, -0.5, 14), per_delta)
teacher = 3.0 * rng.standard_normal((len(deltas), K))
student = teacher + deltas[:, None] * rng.standard_normal((len(deltas), K))
p = softmax(teacher / T)

kl_skxent = kl_divergence(p, student, from_logits=True, temperature=T, reduction="none")
kl_ce_h = (categorical_cross_entropy(p, student / T, from_logits=True, reduction="none")
           - entr(p).sum(axis=1))
kl_direct = np.sum(p * (np.log(p) - log_softmax(student / T, axis=1)), axis=1)

mpmath.mp.dps = 40


def kl_reference(p_row, z_row):
    """KL(p || softmax(z / T)), the float inputs taken as exact, at 40 digits."""
    z = [mpmath.mpf(float(v)) / T for v in z_row]
    top = max(z)
    lse = top + mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in z))
    terms = (mpmath.mpf(float(y)) * (mpmath.log(mpmath.mpf(float(y))) - (v - lse))
             for y, v in zip(p_row, z) if y > 0)
    return mpmath.fsum(terms)


exact = np.array([float(kl_reference(a, s)) for a, s in zip(p, student)])

eps = np.finfo(np.float64).eps
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
for name, value, marker in [("skxent kl_divergence", kl_skxent, "o"),
                            ("CE - H", kl_ce_h, "s"),
                            ("sum y (log y - log q), scipy log_softmax", kl_direct, "^")]:
    rel = np.abs(value - exact) / np.abs(exact)
    ax.loglog(exact, np.maximum(rel, eps / 4), marker, ls="none", alpha=0.7, label=name)
    print(f"{name:42s} worst relative error {rel.max():.1e}")
ax.axhline(eps, color="k", ls=":", lw=1)
ax.text(exact.min(), eps * 1.5, "float64 eps", fontsize=9)
ax.set_xlabel("KL divergence (exact)")
ax.set_ylabel("relative error (floored at eps / 4)")
ax.set_title(f"KL(teacher || student), K = {K}, T = {T:g}, float64")
ax.legend(loc="upper right")
plt.show()

# %%
# ``CE - H`` and the direct sum make an absolute error of a few eps times the entropy, whatever
# the divergence: fine while the divergence is large, useless near convergence, where their
# relative errors reach tens of percent. skxent's divergence stays relatively accurate all the
# way down (the log-partition is centred on the target's weighted log-ratio and only
# non-negative quantities are summed), so a distillation loss, its gradient and an
# early-stopping rule on it keep meaning something when the student is close to its teacher.
