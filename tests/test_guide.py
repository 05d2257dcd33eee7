"""Every row of the "Which cross-entropy?" tables (docs/user_guide/which_cross_entropy.rst) as a test.

Design note
-----------
Each row of the guide's table maps a peer function (TensorFlow, Keras, PyTorch,
torchvision, optax, scikit-learn) to an skxent call. Here each row has

* ``formula``: a NumPy implementation of the peer's *documented* formula,
  including its own clipping (Keras: ``[1e-7, 1 - 1e-7]``, PyTorch: logs clamped
  at -100, TF ``log_loss``: ``+ epsilon`` inside the logs), smoothing and
  reduction (TF v1: ``SUM_BY_NONZERO_WEIGHTS``, Keras: ``sum_over_batch_size``,
  PyTorch: ``mean`` over weights or elements);
* ``skxent``: the call written in the table, verbatim;
* ``peer``: the real library call, run only when torch / tensorflow / keras /
  optax are installed (never required; Keras 3 rows run on whichever backend is
  installed; torchvision rows have no peer: it cannot be installed beside this
  torch, so they are checked against its documented formula only).

``test_guide_row_matches_peer_formula`` checks skxent against the formula
(relative 1e-12 for the rows marked exact, 1e-10 for the focal rows, whose
formulas raise a rounded ``1 - p_t`` to a power, the documented bound otherwise);
``test_guide_row_matches_real_peer`` checks the real peer against the same
skxent call (float32 tolerance for Keras, which computes in float32).
``test_guide_table_lists_every_row`` keeps the tables and this file in step: it reads the
first cell of every row of the page's mapping tables.
"""

import os
import re
import warnings
import numpy as np
import pytest
from numpy.testing import assert_allclose

from skxent.losses import binary_cross_entropy as bce
from skxent.losses import categorical_cross_entropy as cce
from skxent.losses import kl_divergence as kld
from skxent.special import log_softmax as sx_log_softmax

import _docs

GUIDE_PAGE = "user_guide/which_cross_entropy.rst"

N, K = 64, 5
E = 0.1  # label smoothing
IGNORED = 2  # the ignored class index of the ignore_index rows


def _data():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((N, K)) * 2.0
    p_bin = rng.uniform(0.02, 0.98, (N, K))
    p_cat = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    t = rng.integers(0, K, N)
    t[:K] = np.arange(K)
    Y = np.eye(K)[t]
    Ysoft = rng.dirichlet(np.ones(K), N)
    y = (rng.random((N, K)) < 0.4).astype(np.float64)
    w = rng.uniform(0.5, 2.0, N)
    w[[3, 10, 20]] = 0.0  # zero weights: exercise the non-zero counts
    cw = rng.uniform(0.5, 2.0, K)
    q = rng.uniform(0.5, 3.0, K)
    return dict(z=z, p_bin=p_bin, p_cat=p_cat, t=t, Y=Y, Ysoft=Ysoft, y=y, w=w, cw=cw, q=q)


D = _data()


# -- NumPy building blocks (peers' documented formulas) ------------------------


def np_log_softmax(z):
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def np_sigmoid_xent(y, z):
    # tf.nn.sigmoid_cross_entropy_with_logits docs: max(x, 0) - x * z + log(1 + exp(-|x|))
    return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))


def np_weighted_sigmoid_xent(y, z, q):
    # tf.nn.weighted_cross_entropy_with_logits docs:
    # (1 - z) * x + (1 + (q - 1) * z) * (log(1 + exp(-abs(x))) + max(-x, 0))
    return (1 - y) * z + (1 + (q - 1) * y) * (np.log1p(np.exp(-np.abs(z))) + np.maximum(-z, 0))


def tf1_sum_by_nonzero_weights(losses, weights):
    # tf.compat.v1.losses.compute_weighted_loss, Reduction.SUM_BY_NONZERO_WEIGHTS
    wb = np.broadcast_to(weights, losses.shape)
    return np.sum(losses * wb) / np.count_nonzero(wb)


def keras_clip(p):
    return np.clip(p, 1e-7, 1 - 1e-7)


def xlogy(x, y):
    """x log y with 0 log 0 = 0 (scipy.special.xlogy), as PyTorch's and optax's KL use."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(y))


# teacher distributions with exact zeros (0 log 0 = 0 in every KL below but Keras's)
_YZ = np.where(D["Ysoft"] < 0.05, 0.0, D["Ysoft"])
_YZ /= _YZ.sum(axis=1, keepdims=True)


def keras_bce_probs(y, p):
    p = keras_clip(p)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def torch_smooth_int_ce(z, t, cw, e, ignore):
    """F.cross_entropy, integer targets, class weights, label smoothing, 'mean'."""
    lsm = np_log_softmax(z)
    keep = t != ignore
    tt = np.where(keep, t, 0)
    nll = -cw[tt] * lsm[np.arange(len(t)), tt]
    smooth = -(lsm * cw).sum(axis=1) / z.shape[1]
    per = np.where(keep, (1 - e) * nll + e * smooth, 0.0)
    return per, np.sum(np.where(keep, cw[tt], 0.0))


# -- the rows ------------------------------------------------------------------

ROWS = {}


def row(name, *, formula, skxent, peer=None, rtol=1e-12, atol=0.0, peer_rtol=1e-10,
        lib=None):
    ROWS[name] = dict(formula=formula, skxent=skxent, peer=peer, rtol=rtol, atol=atol,
                      peer_rtol=peer_rtol, lib=lib)


# TensorFlow tf.nn
row("tf.nn.sigmoid_cross_entropy_with_logits",
    formula=lambda: np_sigmoid_xent(D["y"], D["z"]),
    skxent=lambda: bce(D["y"], D["z"], from_logits=True, reduction="none"),
    peer=lambda tf: tf.nn.sigmoid_cross_entropy_with_logits(labels=D["y"], logits=D["z"]),
    lib="tensorflow")
row("tf.nn.weighted_cross_entropy_with_logits",
    formula=lambda: np_weighted_sigmoid_xent(D["y"], D["z"], D["q"]),
    skxent=lambda: bce(D["y"], D["z"], from_logits=True, pos_weight=D["q"], reduction="none"),
    peer=lambda tf: tf.nn.weighted_cross_entropy_with_logits(
        labels=D["y"], logits=D["z"], pos_weight=D["q"]),
    lib="tensorflow")
row("tf.nn.softmax_cross_entropy_with_logits",
    formula=lambda: -(D["Ysoft"] * np_log_softmax(D["z"])).sum(axis=1),
    skxent=lambda: cce(D["Ysoft"], D["z"], from_logits=True, reduction="none"),
    peer=lambda tf: tf.nn.softmax_cross_entropy_with_logits(labels=D["Ysoft"], logits=D["z"]),
    lib="tensorflow")
row("tf.nn.sparse_softmax_cross_entropy_with_logits",
    formula=lambda: -np_log_softmax(D["z"])[np.arange(N), D["t"]],
    skxent=lambda: cce(D["t"], D["z"], from_logits=True, reduction="none"),
    peer=lambda tf: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=D["t"],
                                                                   logits=D["z"]),
    lib="tensorflow")

# tf.compat.v1.losses
row("tf.compat.v1.losses.sigmoid_cross_entropy",
    formula=lambda: tf1_sum_by_nonzero_weights(
        np_sigmoid_xent(D["y"] * (1 - E) + 0.5 * E, D["z"]), D["w"][:, None]),
    skxent=lambda: bce(D["y"], D["z"], from_logits=True, sample_weight=D["w"], label_smoothing=E,
                       reduction="sum_by_nonzero_weights"),
    peer=lambda tf: tf.compat.v1.losses.sigmoid_cross_entropy(
        D["y"], D["z"], weights=D["w"][:, None], label_smoothing=E),
    peer_rtol=1e-6, lib="tensorflow")  # compute_weighted_loss reduces in float32
row("tf.compat.v1.losses.softmax_cross_entropy",
    formula=lambda: tf1_sum_by_nonzero_weights(
        -((D["Y"] * (1 - E) + E / K) * np_log_softmax(D["z"])).sum(axis=1), D["w"]),
    skxent=lambda: cce(D["Y"], D["z"], from_logits=True, sample_weight=D["w"], label_smoothing=E,
                       reduction="sum_by_nonzero_weights"),
    peer=lambda tf: tf.compat.v1.losses.softmax_cross_entropy(
        D["Y"], D["z"], weights=D["w"], label_smoothing=E),
    peer_rtol=1e-6, lib="tensorflow")
row("tf.compat.v1.losses.sparse_softmax_cross_entropy",
    formula=lambda: tf1_sum_by_nonzero_weights(
        -np_log_softmax(D["z"])[np.arange(N), D["t"]], D["w"]),
    skxent=lambda: cce(D["t"], D["z"], from_logits=True, sample_weight=D["w"],
                       reduction="sum_by_nonzero_weights"),
    peer=lambda tf: tf.compat.v1.losses.sparse_softmax_cross_entropy(
        D["t"], D["z"], weights=D["w"]),
    peer_rtol=1e-6, lib="tensorflow")


def _tf1_log_loss_formula():
    y, p = D["y"], D["p_bin"]
    losses = -y * np.log(p + 1e-7) - (1 - y) * np.log(1 - p + 1e-7)
    return tf1_sum_by_nonzero_weights(losses, D["w"][:, None])


# documented bound: per element |log(p + e) - log(p)| <= e / p, averaged like the loss
_TF1_LOG_LOSS_BOUND = float(
    tf1_sum_by_nonzero_weights(1e-7 / np.minimum(D["p_bin"], 1 - D["p_bin"]), D["w"][:, None]))
row("tf.compat.v1.losses.log_loss",
    formula=_tf1_log_loss_formula,
    skxent=lambda: bce(D["y"], D["p_bin"], from_logits=False, eps=1e-7, sample_weight=D["w"],
                       reduction="sum_by_nonzero_weights"),
    peer=lambda tf: tf.compat.v1.losses.log_loss(D["y"], D["p_bin"], weights=D["w"][:, None],
                                                 epsilon=1e-7),
    rtol=0.0, atol=_TF1_LOG_LOSS_BOUND, peer_rtol=None, lib="tensorflow")

# Keras 3
row("keras.losses.binary_crossentropy",
    formula=lambda: keras_bce_probs(D["y"] * (1 - E) + 0.5 * E, D["p_bin"]).mean(axis=-1),
    skxent=lambda: bce(D["y"], D["p_bin"], from_logits=False, eps=1e-7, label_smoothing=E,
                       reduction="none").mean(axis=-1),
    peer=lambda tf: tf.keras.losses.binary_crossentropy(D["y"], D["p_bin"], label_smoothing=E),
    peer_rtol=1e-5, lib="tensorflow")
row("keras.losses.binary_crossentropy(from_logits=True)",
    formula=lambda: np_sigmoid_xent(D["y"] * (1 - E) + 0.5 * E, D["z"]).mean(axis=-1),
    skxent=lambda: bce(D["y"], D["z"], from_logits=True, label_smoothing=E,
                       reduction="none").mean(axis=-1),
    peer=lambda tf: tf.keras.losses.binary_crossentropy(D["y"], D["z"], from_logits=True,
                                                        label_smoothing=E),
    peer_rtol=1e-5, lib="tensorflow")


def _keras_cat_probs_formula(p):
    p = keras_clip(p / p.sum(axis=-1, keepdims=True))
    return -((D["Y"] * (1 - E) + E / K) * np.log(p)).sum(axis=-1)


_P_UNNORM = D["p_cat"] * 1.3  # Keras renormalises; include rows that need it
_P_UNNORM[0] = [1.0, 0.0, 0.0, 0.0, 0.0]  # and clipping at both ends
row("keras.losses.categorical_crossentropy",
    formula=lambda: _keras_cat_probs_formula(_P_UNNORM),
    skxent=lambda: cce(D["Y"], np.clip(_P_UNNORM / _P_UNNORM.sum(-1, keepdims=True), 1e-7,
                                       1 - 1e-7),
                       from_logits=False, eps=1e-7, label_smoothing=E, reduction="none"),
    peer=lambda tf: tf.keras.losses.categorical_crossentropy(D["Y"], _P_UNNORM,
                                                             label_smoothing=E),
    peer_rtol=1e-5, lib="tensorflow")
row("keras.losses.categorical_crossentropy(from_logits=True)",
    formula=lambda: -((D["Y"] * (1 - E) + E / K) * np_log_softmax(D["z"])).sum(axis=-1),
    skxent=lambda: cce(D["Y"], D["z"], from_logits=True, label_smoothing=E, reduction="none"),
    peer=lambda tf: tf.keras.losses.categorical_crossentropy(D["Y"], D["z"], from_logits=True,
                                                             label_smoothing=E),
    peer_rtol=1e-5, lib="tensorflow")
row("keras.losses.sparse_categorical_crossentropy",
    formula=lambda: -np_log_softmax(np.log(keras_clip(_P_UNNORM)))[np.arange(N), D["t"]],
    skxent=lambda: cce(D["t"], np.log(np.clip(_P_UNNORM, 1e-7, 1 - 1e-7)), from_logits=True,
                       reduction="none"),
    peer=lambda tf: tf.keras.losses.sparse_categorical_crossentropy(D["t"], _P_UNNORM),
    atol=1e-15,  # the clipped row's loss is 4e-7: both sides round at 1e-16
    peer_rtol=1e-5, lib="tensorflow")
row("keras.losses.sparse_categorical_crossentropy(from_logits=True)",
    formula=lambda: -np_log_softmax(D["z"])[np.arange(N), D["t"]],
    skxent=lambda: cce(D["t"], D["z"], from_logits=True, reduction="none"),
    peer=lambda tf: tf.keras.losses.sparse_categorical_crossentropy(D["t"], D["z"],
                                                                    from_logits=True),
    peer_rtol=1e-5, lib="tensorflow")


def _keras_bce_per_sample():
    return np_sigmoid_xent(D["y"] * (1 - E) + 0.5 * E, D["z"]).mean(axis=-1)


row("keras.losses.BinaryCrossentropy",
    formula=lambda: np.sum(_keras_bce_per_sample() * D["w"]) / N,
    skxent=lambda: bce(D["y"], D["z"], from_logits=True, label_smoothing=E, sample_weight=D["w"],
                       reduction="sum_over_batch_size"),
    peer=lambda tf: tf.keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=E)(
        D["y"], D["z"], sample_weight=D["w"]),
    peer_rtol=1e-5, lib="tensorflow")
row("keras.losses.BinaryCrossentropy(reduction='sum')",
    formula=lambda: np.sum(_keras_bce_per_sample() * D["w"]),
    skxent=lambda: bce(D["y"], D["z"], from_logits=True, label_smoothing=E, sample_weight=D["w"],
                       reduction="sum") / K,
    peer=lambda tf: tf.keras.losses.BinaryCrossentropy(
        from_logits=True, label_smoothing=E, reduction="sum")(D["y"], D["z"],
                                                             sample_weight=D["w"]),
    peer_rtol=1e-5, lib="tensorflow")
row("keras.losses.BinaryCrossentropy(reduction='mean_with_sample_weight')",
    formula=lambda: np.sum(_keras_bce_per_sample() * D["w"]) / D["w"].sum(),
    skxent=lambda: bce(D["y"], D["z"], from_logits=True, label_smoothing=E, sample_weight=D["w"],
                       reduction="mean"),
    peer=lambda tf: tf.keras.losses.BinaryCrossentropy(
        from_logits=True, label_smoothing=E, reduction="mean_with_sample_weight")(
            D["y"], D["z"], sample_weight=D["w"]),
    peer_rtol=1e-5, lib="tensorflow")
row("keras.losses.BinaryCrossentropy(probabilities)",
    formula=lambda: np.sum(keras_bce_probs(D["y"], D["p_bin"]).mean(axis=-1) * D["w"]) / N,
    skxent=lambda: bce(D["y"], D["p_bin"], from_logits=False, eps=1e-7, sample_weight=D["w"],
                       reduction="sum_over_batch_size"),
    peer=lambda tf: tf.keras.losses.BinaryCrossentropy()(D["y"], D["p_bin"],
                                                         sample_weight=D["w"]),
    peer_rtol=1e-5, lib="tensorflow")


def _keras_cce_per_sample():
    return -((D["Y"] * (1 - E) + E / K) * np_log_softmax(D["z"])).sum(axis=-1)


row("keras.losses.CategoricalCrossentropy",
    formula=lambda: np.sum(_keras_cce_per_sample() * D["w"]) / N,
    skxent=lambda: cce(D["Y"], D["z"], from_logits=True, label_smoothing=E, sample_weight=D["w"],
                       reduction="sum_over_batch_size"),
    peer=lambda tf: tf.keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=E)(
        D["Y"], D["z"], sample_weight=D["w"]),
    peer_rtol=1e-5, lib="tensorflow")
row("keras.losses.CategoricalCrossentropy(reduction='sum')",
    formula=lambda: np.sum(_keras_cce_per_sample() * D["w"]),
    skxent=lambda: cce(D["Y"], D["z"], from_logits=True, label_smoothing=E, sample_weight=D["w"],
                       reduction="sum"),
    peer=lambda tf: tf.keras.losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=E, reduction="sum")(D["Y"], D["z"],
                                                             sample_weight=D["w"]),
    peer_rtol=1e-5, lib="tensorflow")
row("keras.losses.CategoricalCrossentropy(reduction='mean_with_sample_weight')",
    formula=lambda: np.sum(_keras_cce_per_sample() * D["w"]) / D["w"].sum(),
    skxent=lambda: cce(D["Y"], D["z"], from_logits=True, label_smoothing=E, sample_weight=D["w"],
                       reduction="mean"),
    peer=lambda tf: tf.keras.losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=E, reduction="mean_with_sample_weight")(
            D["Y"], D["z"], sample_weight=D["w"]),
    peer_rtol=1e-5, lib="tensorflow")


def _keras_sparse_ignore_formula():
    per = -np_log_softmax(D["z"])[np.arange(N), D["t"]]
    valid = D["t"] != IGNORED
    return np.sum(np.where(valid, per * D["w"], 0.0)) / np.count_nonzero(valid)


row("keras.losses.SparseCategoricalCrossentropy(ignore_class)",
    formula=_keras_sparse_ignore_formula,
    skxent=lambda: cce(D["t"], D["z"], from_logits=True, ignore_index=IGNORED,
                       sample_weight=D["w"], reduction="sum_over_batch_size"),
    peer=lambda tf: tf.keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=IGNORED)(D["t"], D["z"], sample_weight=D["w"]),
    peer_rtol=1e-5, lib="tensorflow")

# PyTorch


def _torch_ce_formula(reduction):
    per, denom = torch_smooth_int_ce(D["z"], D["t"], D["cw"], E, IGNORED)
    return {"mean": per.sum() / denom, "sum": per.sum(), "none": per}[reduction]


def _torch_ce_peer(reduction):
    def run(torch):
        return torch.nn.functional.cross_entropy(
            torch.from_numpy(D["z"]), torch.from_numpy(D["t"]), weight=torch.from_numpy(D["cw"]),
            ignore_index=IGNORED, label_smoothing=E, reduction=reduction)
    return run


for _r in ("mean", "sum", "none"):
    row(f"torch.nn.functional.cross_entropy(reduction={_r!r})",
        formula=lambda r=_r: _torch_ce_formula(r),
        skxent=lambda r=_r: cce(D["t"], D["z"], from_logits=True, class_weight=D["cw"],
                                ignore_index=IGNORED, label_smoothing=E, reduction=r),
        peer=_torch_ce_peer(_r), lib="torch")


# N-D input (N, C, H, W) = (2, K, 4, 8): the same logits and labels, one sample per pixel
Z4 = np.ascontiguousarray(np.moveaxis(D["z"].reshape(2, 4, 8, K), -1, 1))
T3 = D["t"].reshape(2, 4, 8)


def _torch_ce_nd_formula(reduction):
    logp = np.moveaxis(np_log_softmax(np.moveaxis(Z4, 1, -1)), -1, 1)
    nll = -np.take_along_axis(logp, T3[:, None], axis=1)[:, 0]
    per = D["cw"][T3] * nll
    return {"mean": per.sum() / D["cw"][T3].sum(), "sum": per.sum(), "none": per}[reduction]


for _r in ("mean", "sum", "none"):
    row(f"torch.nn.functional.cross_entropy(N-D, reduction={_r!r})",
        formula=lambda r=_r: _torch_ce_nd_formula(r),
        skxent=lambda r=_r: cce(T3, Z4, from_logits=True, class_weight=D["cw"], axis=1,
                                reduction=r),
        peer=lambda torch, r=_r: torch.nn.functional.cross_entropy(
            torch.from_numpy(Z4), torch.from_numpy(T3), weight=torch.from_numpy(D["cw"]),
            reduction=r),
        lib="torch")


def _torch_ce_probs_formula():
    Ys = D["Ysoft"] * (1 - E) + E / K
    return np.sum(-(D["cw"] * Ys * np_log_softmax(D["z"])).sum(axis=1)) / N


row("torch.nn.functional.cross_entropy(probability targets)",
    formula=_torch_ce_probs_formula,
    skxent=lambda: cce(D["Ysoft"], D["z"], from_logits=True, class_weight=D["cw"],
                       label_smoothing=E, reduction="sum_over_batch_size"),
    peer=lambda torch: torch.nn.functional.cross_entropy(
        torch.from_numpy(D["z"]), torch.from_numpy(D["Ysoft"]), weight=torch.from_numpy(D["cw"]),
        label_smoothing=E),
    lib="torch")


def _nll_formula(reduction):
    logp = np_log_softmax(D["z"])
    keep = D["t"] != IGNORED
    tt = np.where(keep, D["t"], 0)
    per = np.where(keep, -D["cw"][tt] * logp[np.arange(N), tt], 0.0)
    denom = np.sum(np.where(keep, D["cw"][tt], 0.0))
    return {"mean": per.sum() / denom, "sum": per.sum(), "none": per}[reduction]


for _r in ("mean", "sum", "none"):
    row(f"torch.nn.functional.nll_loss(reduction={_r!r})",
        formula=lambda r=_r: _nll_formula(r),
        skxent=lambda r=_r: cce(D["t"], np_log_softmax(D["z"]), from_logits=True,
                                class_weight=D["cw"], ignore_index=IGNORED, reduction=r),
        peer=lambda torch, r=_r: torch.nn.functional.nll_loss(
            torch.log_softmax(torch.from_numpy(D["z"]), dim=1), torch.from_numpy(D["t"]),
            weight=torch.from_numpy(D["cw"]), ignore_index=IGNORED, reduction=r),
        lib="torch")


def _torch_bce_formula():
    y, p, w = D["y"], D["p_bin"], D["w"][:, None]
    per = -w * (y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log(1 - p), -100))
    return per.mean()


row("torch.nn.functional.binary_cross_entropy",
    formula=_torch_bce_formula,
    skxent=lambda: bce(D["y"], D["p_bin"], from_logits=False, sample_weight=D["w"],
                       reduction="sum_over_batch_size"),
    peer=lambda torch: torch.nn.functional.binary_cross_entropy(
        torch.from_numpy(D["p_bin"]), torch.from_numpy(D["y"]),
        weight=torch.from_numpy(D["w"][:, None])),
    lib="torch")


def _torch_bce_logits_formula():
    y, z, w, q = D["y"], D["z"], D["w"][:, None], D["q"]
    softplus = lambda v: np.logaddexp(0, v)  # noqa: E731
    return np.mean(w * (q * y * softplus(-z) + (1 - y) * softplus(z)))


row("torch.nn.functional.binary_cross_entropy_with_logits",
    formula=_torch_bce_logits_formula,
    skxent=lambda: bce(D["y"], D["z"], from_logits=True, sample_weight=D["w"], pos_weight=D["q"],
                       reduction="sum_over_batch_size"),
    peer=lambda torch: torch.nn.functional.binary_cross_entropy_with_logits(
        torch.from_numpy(D["z"]), torch.from_numpy(D["y"]),
        weight=torch.from_numpy(D["w"][:, None]), pos_weight=torch.from_numpy(D["q"])),
    lib="torch")



def _torch_kl_formula(Y, log_target=False):
    logY = np.log(Y) if log_target else None
    per = (np.exp(logY) * (logY - np_log_softmax(D["z"])) if log_target
           else xlogy(Y, Y) - Y * np_log_softmax(D["z"]))
    return per.sum() / N  # "batchmean": the sum over all elements / batch size


row("torch.nn.functional.kl_div(reduction='batchmean')",
    formula=lambda: _torch_kl_formula(_YZ),
    skxent=lambda: kld(_YZ, D["z"], from_logits=True),
    peer=lambda torch: torch.nn.functional.kl_div(
        torch.log_softmax(torch.from_numpy(D["z"]), dim=-1), torch.from_numpy(_YZ),
        reduction="batchmean"),
    lib="torch")
row("torch.nn.functional.kl_div(log_target=True)",
    formula=lambda: _torch_kl_formula(D["Ysoft"], log_target=True),
    skxent=lambda: kld(np.log(D["Ysoft"]), D["z"], from_logits=True, log_target=True),
    peer=lambda torch: torch.nn.functional.kl_div(
        torch.log_softmax(torch.from_numpy(D["z"]), dim=-1),
        torch.from_numpy(np.log(D["Ysoft"])), reduction="batchmean", log_target=True),
    lib="torch")


def _keras_kl_formula():
    # keras.losses.kl_divergence: both clipped to [epsilon, 1], sum y log(y / p) per sample;
    # KLDivergence reduces with "sum_over_batch_size"
    y, p = np.clip(_YZ, 1e-7, 1), np.clip(D["p_cat"], 1e-7, 1)
    return np.sum(np.sum(y * np.log(y / p), axis=-1) * D["w"]) / N


row("keras.losses.KLDivergence",
    formula=_keras_kl_formula,
    skxent=lambda: kld(np.clip(_YZ, 1e-7, 1), np.clip(D["p_cat"], 1e-7, 1), from_logits=False,
                       sample_weight=D["w"], reduction="sum_over_batch_size"),
    peer=lambda tf: tf.keras.losses.KLDivergence()(_YZ, D["p_cat"], sample_weight=D["w"]),
    peer_rtol=1e-5, lib="tensorflow")

# optax (JAX)


def _optax_kl_formula():
    # optax.losses.kl_divergence(log_predictions, targets): sum(xlogy(t, t) - t * log_p, -1)
    return np.sum(xlogy(_YZ, _YZ) - _YZ * np_log_softmax(D["z"]), axis=-1)


row("optax.losses.kl_divergence",
    formula=_optax_kl_formula,
    skxent=lambda: kld(_YZ, np_log_softmax(D["z"]), from_logits=True, reduction="none"),
    peer=lambda optax: optax.losses.kl_divergence(np_log_softmax(D["z"]), _YZ),
    peer_rtol=1e-6, lib="optax")  # JAX computes in float32 unless x64 is enabled
# Focal losses, element-wise weights (hard 0/1 targets: for soft targets the peers'
# (1 - p_t)**gamma mixes the two parts, skxent weighs each part by its own factor)

ALPHA, GAMMA = 0.3, 2.0
W_EL = np.random.default_rng(1).uniform(0.5, 2.0, (N, K))  # one weight per element


def np_keras_binary_focal(y, z, gamma, alpha=None):
    """keras.losses.binary_focal_crossentropy(from_logits=True): sigmoid, clip to
    [1e-7, 1 - 1e-7], bce * (1 - p_t)**gamma (* alpha_t), mean over the last axis."""
    p = keras_clip(1 / (1 + np.exp(-z)))
    bce_ = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    p_t = y * p + (1 - y) * (1 - p)
    out = (1 - p_t) ** gamma * bce_
    if alpha is not None:
        out = (y * alpha + (1 - y) * (1 - alpha)) * out
    return out.mean(axis=-1)


def np_sigmoid_focal(y, z, gamma, alpha):
    """torchvision.ops.sigmoid_focal_loss / optax.sigmoid_focal_loss, elementwise."""
    p = 1 / (1 + np.exp(-z))
    ce = np_sigmoid_xent(y, z)
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * (1 - p_t) ** gamma
    if alpha is not None and alpha >= 0:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return loss


def _keras_categorical_focal_formula():
    p = keras_clip(np.exp(np_log_softmax(D["z"])))
    Ys = D["Ysoft"] * (1 - E) + E / K
    per = (ALPHA * (1 - p) ** GAMMA * -Ys * np.log(p)).sum(axis=-1)
    return np.sum(per * D["w"]) / N


def _keras(lib_fn):
    def run(keras):
        return lib_fn(keras)
    return run


row("keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True)",
    formula=lambda: np.sum(np_keras_binary_focal(D["y"], D["z"], GAMMA, ALPHA) * D["w"]) / N,
    skxent=lambda: (1 - ALPHA) * bce(D["y"], D["z"], from_logits=True, focal_gamma=GAMMA,
                                     pos_weight=ALPHA / (1 - ALPHA), sample_weight=D["w"],
                                     reduction="sum_over_batch_size"),
    peer=lambda keras: keras.losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, alpha=ALPHA, gamma=GAMMA, from_logits=True)(
            D["y"], D["z"], sample_weight=D["w"]),
    rtol=1e-10, peer_rtol=1e-5, lib="keras")
row("keras.losses.BinaryFocalCrossentropy",
    formula=lambda: np.sum(np_keras_binary_focal(D["y"], D["z"], GAMMA) * D["w"]) / N,
    skxent=lambda: bce(D["y"], D["z"], from_logits=True, focal_gamma=GAMMA,
                       sample_weight=D["w"], reduction="sum_over_batch_size"),
    peer=lambda keras: keras.losses.BinaryFocalCrossentropy(gamma=GAMMA, from_logits=True)(
        D["y"], D["z"], sample_weight=D["w"]),
    rtol=1e-10, peer_rtol=1e-5, lib="keras")
row("keras.losses.binary_focal_crossentropy",
    formula=lambda: np_keras_binary_focal(D["y"], D["z"], GAMMA),
    skxent=lambda: bce(D["y"], D["z"], from_logits=True, focal_gamma=GAMMA,
                       reduction="none").mean(axis=-1),
    peer=lambda keras: keras.losses.binary_focal_crossentropy(D["y"], D["z"], gamma=GAMMA,
                                                              from_logits=True),
    rtol=1e-10, peer_rtol=1e-5, lib="keras")
row("keras.losses.CategoricalFocalCrossentropy",
    formula=_keras_categorical_focal_formula,
    skxent=lambda: ALPHA * cce(D["Ysoft"], D["z"], from_logits=True, focal_gamma=GAMMA,
                               label_smoothing=E, sample_weight=D["w"],
                               reduction="sum_over_batch_size"),
    peer=lambda keras: keras.losses.CategoricalFocalCrossentropy(
        alpha=ALPHA, gamma=GAMMA, from_logits=True, label_smoothing=E)(
            D["Ysoft"], D["z"], sample_weight=D["w"]),
    rtol=1e-10, peer_rtol=1e-5, lib="keras")
row("torch.nn.functional.binary_cross_entropy_with_logits(element-wise weight)",
    formula=lambda: np.mean(W_EL * np_sigmoid_xent(D["y"], D["z"])),
    skxent=lambda: bce(D["y"], D["z"], from_logits=True, sample_weight=W_EL,
                       reduction="sum_over_batch_size"),
    peer=lambda torch: torch.nn.functional.binary_cross_entropy_with_logits(
        torch.from_numpy(D["z"]), torch.from_numpy(D["y"]), weight=torch.from_numpy(W_EL)),
    lib="torch")
row("torch.nn.functional.binary_cross_entropy_with_logits(per-label weight)",
    formula=lambda: np.mean(W_EL[:1] * np_sigmoid_xent(D["y"], D["z"])),
    skxent=lambda: bce(D["y"], D["z"], from_logits=True, sample_weight=W_EL[:1],
                       reduction="sum_over_batch_size"),
    peer=lambda torch: torch.nn.functional.binary_cross_entropy_with_logits(
        torch.from_numpy(D["z"]), torch.from_numpy(D["y"]), weight=torch.from_numpy(W_EL[:1])),
    lib="torch")
for _r, _red in (("mean", "sum_over_batch_size"), ("sum", "sum")):
    row(f"torchvision.ops.sigmoid_focal_loss(reduction={_r!r})",
        formula=lambda r=_r: getattr(np, r)(np_sigmoid_focal(D["y"], D["z"], GAMMA, ALPHA)),
        skxent=lambda red=_red: (1 - ALPHA) * bce(
            D["y"], D["z"], from_logits=True, focal_gamma=GAMMA, pos_weight=ALPHA / (1 - ALPHA),
            reduction=red),
        rtol=1e-10)
row("torchvision.ops.sigmoid_focal_loss(alpha=-1)",
    formula=lambda: np.mean(np_sigmoid_focal(D["y"], D["z"], GAMMA, -1)),
    skxent=lambda: bce(D["y"], D["z"], from_logits=True, focal_gamma=GAMMA,
                       reduction="sum_over_batch_size"),
    rtol=1e-10)
row("optax.sigmoid_focal_loss",
    formula=lambda: np_sigmoid_focal(D["y"], D["z"], GAMMA, ALPHA),
    skxent=lambda: (1 - ALPHA) * bce(D["y"], D["z"], from_logits=True, focal_gamma=GAMMA,
                                     pos_weight=ALPHA / (1 - ALPHA), reduction="none"),
    peer=lambda optax: optax.sigmoid_focal_loss(D["z"], D["y"], alpha=ALPHA, gamma=GAMMA),
    rtol=1e-10, peer_rtol=1e-5, lib="optax")
row("optax.sigmoid_focal_loss(alpha=None)",
    formula=lambda: np_sigmoid_focal(D["y"], D["z"], GAMMA, None),
    skxent=lambda: bce(D["y"], D["z"], from_logits=True, focal_gamma=GAMMA, reduction="none"),
    peer=lambda optax: optax.sigmoid_focal_loss(D["z"], D["y"], gamma=GAMMA),
    rtol=1e-10, peer_rtol=1e-5, lib="optax")

# scikit-learn


def _sk_formula():
    eps = np.finfo(np.float64).eps
    p = np.clip(D["p_cat"], eps, 1 - eps)
    return np.average(-np.log(p[np.arange(N), D["t"]]), weights=D["w"])


def _sk_peer(_):
    from sklearn.metrics import log_loss

    return log_loss(D["t"], D["p_cat"], sample_weight=D["w"])


def _skxent_metrics_log_loss():
    from skxent.metrics import log_loss

    return log_loss(D["t"], D["p_cat"], sample_weight=D["w"])


row("sklearn.metrics.log_loss",
    formula=_sk_formula, skxent=_skxent_metrics_log_loss, peer=_sk_peer, peer_rtol=1e-12,
    lib="sklearn")
row("sklearn.metrics.log_loss(integer classes)",
    formula=_sk_formula,
    skxent=lambda: cce(D["t"], D["p_cat"], from_logits=False, sample_weight=D["w"],
                       reduction="mean"),
    peer=_sk_peer, lib="sklearn")


def _multilabel_formula():
    eps = np.finfo(np.float64).eps
    p = np.clip(D["p_bin"], eps, 1 - eps)
    return np.mean(-(D["y"] * np.log(p) + (1 - D["y"]) * np.log(1 - p)))


def _skxent_multilabel():
    from skxent.metrics import multilabel_log_loss

    return multilabel_log_loss(D["y"], D["p_bin"])


row("sklearn.metrics.log_loss(multi-label indicator)",
    formula=_multilabel_formula, skxent=_skxent_multilabel)
row("sklearn.metrics.log_loss(multi-label indicator, as bce)",
    formula=_multilabel_formula,
    skxent=lambda: bce(D["y"], D["p_bin"], from_logits=False, reduction="mean"))


# -- the tests -----------------------------------------------------------------


def _as_numpy(v):
    if hasattr(v, "detach"):
        v = v.detach().numpy()
    elif hasattr(v, "numpy"):
        v = v.numpy()
    return np.asarray(v, dtype=np.float64)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_guide_row_matches_peer_formula(name):
    r = ROWS[name]
    with warnings.catch_warnings():
        # clipped Keras probabilities no longer sum to 1 exactly: skxent warns
        warnings.simplefilter("ignore", UserWarning)
        got = _as_numpy(r["skxent"]())
    expected = _as_numpy(r["formula"]())
    assert got.shape == expected.shape
    assert_allclose(got, expected, rtol=r["rtol"], atol=r["atol"])


@pytest.fixture(scope="module")
def tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def keras():
    """Keras 3 itself, on whichever backend is installed (torch here when TensorFlow is not)."""
    if "KERAS_BACKEND" not in os.environ:
        import importlib.util

        for backend in ("tensorflow", "jax", "torch"):
            if importlib.util.find_spec(backend) is not None:
                os.environ["KERAS_BACKEND"] = backend
                break
    return pytest.importorskip("keras")


@pytest.fixture(scope="module")
def optax():
    return pytest.importorskip("optax")


@pytest.mark.parametrize("name", sorted(n for n in ROWS if ROWS[n]["peer"] is not None))
def test_guide_row_matches_real_peer(name, request):
    r = ROWS[name]
    lib = None if r["lib"] == "sklearn" else request.getfixturevalue(r["lib"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = _as_numpy(r["skxent"]())
        peer = _as_numpy(r["peer"](lib))
    if r["peer_rtol"] is None:  # documented approximate row: the formula's bound
        assert_allclose(got, peer, rtol=0, atol=r["atol"] + 1e-9)
    else:
        assert_allclose(got, peer, rtol=r["peer_rtol"], atol=1e-12)


def test_guide_binary_equals_two_class_softmax():
    """Section 1: bce on the positive logit = cce with logits [0, z1]."""
    z1 = D["z"][:, 0]
    yb = D["y"][:, 0]
    a = bce(yb, z1, from_logits=True, reduction="none")
    b = cce(yb.astype(np.int64), np.column_stack([np.zeros(N), z1]), from_logits=True,
            reduction="none")
    assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_guide_softmax_v2_label_gradient_is_minus_log_softmax(tensorflow):
    tf = tensorflow
    labels = tf.Variable(D["Ysoft"])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(labels=labels,
                                                                      logits=D["z"]))
    grad = tape.gradient(loss, labels).numpy()
    assert_allclose(-sx_log_softmax(D["z"]), grad, rtol=1e-12, atol=1e-14)


def test_guide_logits_are_exact_where_probabilities_clip():
    """Section 2: a logit of 800 gives a loss of exactly 800."""
    assert float(bce(np.array([0.0]), np.array([800.0]), from_logits=True)) == 800.0
    assert float(cce(np.array([1]), np.array([[800.0, 0.0]]), from_logits=True)) == 800.0


def test_guide_table_lists_every_row():
    """Every peer tested here appears in the guide's table and vice versa."""
    tables = _docs.section_after_label(_docs.page(GUIDE_PAGE), "mapping-tables")
    table_peers = set()
    for cell in _docs.list_table_first_cells(tables):
        m = re.match(r"`([^`]+)`", cell)
        if m and "(" in m.group(1):
            table_peers.add(m.group(1).split("(")[0])
    assert len(table_peers) >= 10, table_peers  # the tables were found and parsed
    tested = set()
    for name in ROWS:
        base = name.split("(")[0]
        tested.add(base.rsplit(".", 1)[-1])
    table_short = {p.rsplit(".", 1)[-1] for p in table_peers}
    # every function in the table has a test row, every tested function is in the table
    missing_tests = table_short - tested - {"make_scorer", "bce", "cce", "kld"}
    missing_rows = tested - table_short
    assert not missing_tests, missing_tests
    assert not missing_rows, missing_rows


def test_guide_torch_bce_boundary_difference_is_as_documented():
    """PyTorch clamps log at -100; skxent clips p to [eps, 1 - eps]."""
    y = np.array([1.0, 0.0])
    p = np.array([0.0, 1.0])
    got = bce(y, p, from_logits=False, reduction="none")
    assert_allclose(got, -np.log(np.finfo(np.float64).eps), rtol=1e-12)
    assert_allclose(got[0], 36.04365338911715, rtol=1e-12)


def test_guide_scorer_row_equals_neg_log_loss():
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import get_scorer

    from skxent.metrics import neg_log_loss_scorer

    X, yy = make_classification(n_samples=120, n_classes=3, n_informative=4, random_state=0)
    clf = LogisticRegression(max_iter=500).fit(X, yy)
    assert_allclose(neg_log_loss_scorer(clf, X, yy), get_scorer("neg_log_loss")(clf, X, yy),
                    rtol=1e-12)


def test_keras_categorical_probability_row_is_right_in_float32():
    """The row passes eps=1e-7 (Keras's epsilon): in float32 eps="auto" would be 1.19e-7 and
    the loss 15.942 instead of Keras's 16.118 on this row."""
    P = np.array([[0.5, 0.5 - 5e-8, 5e-8]], dtype=np.float32)
    Y = np.array([[0.0, 0.0, 1.0]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        got = cce(Y, np.clip(P / P.sum(-1, keepdims=True), 1e-7, 1 - 1e-7), from_logits=False,
                  eps=1e-7, reduction="none")
    expected = -np.log(np.float32(1e-7))  # Keras clips the 5e-8 at its epsilon 1e-7
    assert_allclose(got[0], expected, rtol=1e-6)
    assert abs(float(got[0]) - 16.118) < 1e-3


def test_guide_keras_kl_clipping_difference_is_as_documented():
    """Keras clips both arguments to [1e-7, 1]: a class without target mass contributes
    1e-7 log(1e-7 / p), and a zero probability under target mass gives a finite loss, where
    skxent's unclipped divergence is 0 and +inf."""
    y = np.array([[0.5, 0.5, 0.0]])
    p = np.array([[0.6, 0.3, 0.1]])
    q = np.array([[0.0, 0.5, 0.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        unclipped = kld(y, p, from_logits=False, reduction="none")[0]
        clipped = kld(np.clip(y, 1e-7, 1), np.clip(p, 1e-7, 1), from_logits=False,
                      reduction="none")[0]
        assert kld(y, q, from_logits=False, reduction="none")[0] == np.inf
        finite = kld(np.clip(y, 1e-7, 1), np.clip(q, 1e-7, 1), from_logits=False,
                     reduction="none")[0]
    assert_allclose(unclipped, 0.5 * np.log(0.5 / 0.6) + 0.5 * np.log(0.5 / 0.3), rtol=1e-15)
    assert_allclose(clipped - unclipped, 1e-7 * np.log(1e-7 / 0.1), rtol=1e-8)
    assert_allclose(finite, 0.5 * np.log(0.5 / 1e-7) + 1e-7 * np.log(1e-7 / 0.5), rtol=1e-14)
