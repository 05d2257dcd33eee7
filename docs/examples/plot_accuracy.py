"""
===============================================
Accuracy against naive formulas, across margins
===============================================

The loss of a sample shrinks like ``exp(-margin)`` as the model grows confident. This example
computes it for margins from -40 to 700 four ways, in float64, and measures the relative error
of each against a 60-digit reference (:mod:`mpmath`):

* skxent (:func:`~skxent.losses.binary_cross_entropy` and
  :func:`~skxent.losses.categorical_cross_entropy`, from logits);
* the textbook formulas, ``log(1 + exp(-x))`` for the sigmoid and
  ``logsumexp(z) - z[target]`` (SciPy's stable ``logsumexp``) for the softmax;
* the probability route: ``-log(sigmoid(x))`` and ``-log(softmax(z)[target])`` (SciPy's
  ``expit`` and ``softmax``), what a metric computed from ``predict_proba`` does.

A relative error of 1 means the loss was rounded to 0 (or blew up to inf: ``exp(-x)``
overflows for ``x < -709``). The grey band is 4 eps, skxent's tested bound.
"""

# %%
import matplotlib.pyplot as plt
import mpmath
import numpy as np
from scipy.special import expit, logsumexp, softmax

from skxent.losses import binary_cross_entropy, categorical_cross_entropy

mpmath.mp.dps = 60
eps = np.finfo(np.float64).eps
margins = np.concatenate([np.linspace(-40.0, 40.0, 161), np.linspace(41.0, 700.0, 160)])

# %%
# Sigmoid: the loss of a positive sample with logit ``x`` is ``softplus(-x) = log1p(exp(-x))``.
x = margins
y = np.ones_like(x)
reference = np.array([float(mpmath.log1p(mpmath.exp(-mpmath.mpf(float(v))))) for v in x])
with np.errstate(over="ignore", divide="ignore"):
    sigmoid_ways = {
        "skxent": binary_cross_entropy(y, x, from_logits=True, reduction="none"),
        "log(1 + exp(-x))": np.log(1.0 + np.exp(-x)),
        "-log(sigmoid(x))": -np.log(expit(x)),
    }

# %%
# Softmax: ten classes, the target's logit ``m`` above nine logits drawn around 0, so the
# margin is about ``m``.
rng = np.random.default_rng(0)
Z = np.column_stack([margins, rng.normal(0.0, 1.0, (len(margins), 9))])
t = np.zeros(len(margins), dtype=np.int64)


def softmax_reference(row):
    # loss = log(sum_k exp(z_k - z_t)) = log1p(sum over the other classes), exact to 60 digits
    # even where the loss is 1e-300 (log of a sum that rounds to 1 would not be)
    row = [mpmath.mpf(float(v)) for v in row]
    return float(mpmath.log1p(mpmath.fsum(mpmath.exp(v - row[0]) for v in row[1:])))


reference_cat = np.array([softmax_reference(row) for row in Z])
with np.errstate(divide="ignore"):
    softmax_ways = {
        "skxent": categorical_cross_entropy(t, Z, from_logits=True, reduction="none"),
        "logsumexp(z) - z[t]": logsumexp(Z, axis=1) - Z[:, 0],
        "-log(softmax(z)[t])": -np.log(softmax(Z, axis=1)[:, 0]),
    }


# %%
# Relative errors
# ---------------
def relative_error(value, ref):
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.abs(value - ref) / np.abs(ref)
    err = np.where(np.isfinite(err), err, 1.0)  # inf or NaN results: 100% wrong
    return np.clip(err, 1e-19, 1.0)  # exact results shown at the bottom


fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True, layout="constrained")
for ax, ways, ref, title in [
    (axes[0], sigmoid_ways, reference, "sigmoid cross-entropy, target 1"),
    (axes[1], softmax_ways, reference_cat, "softmax cross-entropy, 10 classes"),
]:
    for (name, value), marker in zip(ways.items(), ["o", "s", "^"]):
        ax.semilogy(margins, relative_error(value, ref), marker, ms=4 if name == "skxent" else 3,
                    alpha=0.8, label=name)
    ax.axhspan(5e-20, 4 * eps, color="0.88", zorder=0, label="within 4 eps")
    ax.set_xscale("symlog", linthresh=50)
    ax.set_xticks([-40, -20, 0, 20, 40, 100, 300, 700], ["-40", "-20", "0", "20", "40", "100",
                                                         "300", "700"])
    ax.set_ylim(5e-20, 3)
    ax.set_xlabel("margin (logit of the target; linear to 50, then log)")
    ax.set_title(title)
    ax.legend(loc="center left", fontsize="small")
axes[0].set_ylabel("relative error against 60 digits\n(exact results at the bottom)")
plt.show()

# %%
# The numbers behind the plot
# ---------------------------
for name, ways, ref in [("sigmoid", sigmoid_ways, reference),
                        ("softmax", softmax_ways, reference_cat)]:
    for way, value in ways.items():
        err = relative_error(value, ref)
        print(f"{name:8s} {way:22s} max relative error {err.max():.1e} "
              f"({err.max() / eps:.2g} eps); 0 or inf: "
              f"{int(np.sum((value == 0) | ~np.isfinite(value)))} of {len(value)} margins")

# %%
# skxent stays within a few eps of the 60-digit value everywhere, down to losses of
# ``exp(-700) = 1e-304``. The textbook formulas lose digits as soon as the loss is small
# (relative error about ``eps * margin / loss``) and return 0 from a margin of about 33
# (softmax) or 37 (sigmoid); the probability route cannot represent a loss below about
# ``1e-16`` and returns 0 from about 37.
# ``log(1 + exp(-x))`` in addition overflows to inf for ``x < -709``, outside this plot.
