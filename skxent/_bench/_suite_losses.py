"""Suite ``losses``: softmax and sigmoid cross-entropy, loss and loss + gradient.

Design note
-----------
The cases of ``benchmarks/bench_losses.py``, with its fairness rules, so that a ratio means what
it says:

* every contender gets the point's thread count: ``n_threads`` for skxent and scikit-learn's
  private ``_loss`` module, ``torch.set_num_threads`` for PyTorch, TensorFlow's intra-op pool
  (fixed once, see ``_peers.py``);
* inputs are converted once, outside the timed region: ``torch.from_numpy`` (zero copy),
  ``tf.constant``; TensorFlow runs in ``tf.function`` (graph mode, its fast path);
* scikit-learn's ``HalfMultinomialLoss`` / ``HalfBinomialLoss`` get preallocated output buffers
  and float labels of the logits' dtype (what its Cython signature wants, so no conversion is
  timed); its per-sample gradient is not divided by ``n``, which only favours it;
* skxent runs through the public API (``categorical_cross_entropy`` / ``binary_cross_entropy``),
  which allocates the gradient it returns on every call; the ``skxent (grad_out)`` row uses the
  private entry point (``_private.preallocated_loss``) with a preallocated gradient, like
  scikit-learn's row;
* the floor, ``np.sum(y_pred)``, is one read of the logits;
* every contender's loss is checked against a float64 NumPy reference before timing (that call
  is also the first touch of any memory it allocates); then 2 warm-up rounds and 5 timed ones.

Sizes: softmax ``n x 10`` (1e6 rows at the default size, the targets' problem), sigmoid
``n x 20`` (5e5 rows); the size axis of the plots is the number of logits ``n x k``.

The two losses are measured the same way and differ only in how each contender spells them, so
one point builder serves both, given a ``_Family`` (skxent's function, scikit-learn's class and
input layout, PyTorch's and TensorFlow's functions, the names of the rows).
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._cases import Case, Contender, Point
from ._harness import FLOOR, floor
from ._private import preallocated_loss

SOFTMAX_K = 10
SIGMOID_K = 20
SOFTMAX_ROWS = {
    "small": [1_000, 10_000, 100_000],
    "default": [1_000, 10_000, 100_000, 1_000_000],
    "large": [1_000, 10_000, 100_000, 1_000_000, 4_000_000],
}
SIGMOID_ROWS = {level: [n // 2 for n in ns] for level, ns in SOFTMAX_ROWS.items()}


def _rtol(dtype):
    return 1e-4 if np.dtype(dtype) == np.float32 else 1e-9


def _np_lse(x):
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    return np.log(np.exp(x - m).sum(axis=1)) + m[:, 0]


def _softmax_data(n, dtype):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((n, SOFTMAX_K), dtype=dtype)
    labels = rng.integers(0, SOFTMAX_K, n)  # int64
    ref = float(np.mean(_np_lse(logits) - logits[np.arange(n), labels].astype(np.float64)))
    return {"logits": logits, "labels": labels, "labels_f": labels.astype(dtype), "ref": ref}


def _sigmoid_data(n, dtype):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((n, SIGMOID_K), dtype=dtype)
    targets = (rng.random((n, SIGMOID_K)) < 0.3).astype(dtype)
    x64 = logits.astype(np.float64)
    ref = float(np.mean(np.logaddexp(0, x64) - targets * x64))
    return {"logits": logits, "targets": targets, "ref": ref}


@dataclass(frozen=True)
class _Family:
    """One of the two losses, as each contender spells it (the rest of a point is shared)."""

    name: str  # "softmax" / "sigmoid": case names and titles
    k: int  # classes or labels per row
    rows: dict  # size level -> row counts
    k_info: str  # size_info's key for k
    data: Callable  # (n, dtype) -> data
    target: str  # the data's targets as skxent, PyTorch and TensorFlow take them
    kind: str  # skxent's loss: "categorical" / "binary"
    sklearn: str  # sklearn._loss.loss class
    torch: str  # torch.nn.functional function
    torch_label: str
    tf_label: str
    tf_loss: Callable  # (tf, y, x) -> per-sample losses
    cost_factor: float  # relative cost per logit (progress estimate)


def _sklearn_inputs(family, d):
    """scikit-learn's loss object and its (y_true, raw_prediction): float labels of the logits'
    dtype for the multinomial loss, flat arrays for the binomial one."""
    from sklearn._loss import loss as sk_loss

    logits = d["logits"]
    if family.kind == "categorical":
        return sk_loss.HalfMultinomialLoss(n_classes=logits.shape[1]), d["labels_f"], logits
    return sk_loss.HalfBinomialLoss(), d["targets"].reshape(-1), logits.reshape(-1)


def _point(family, grad):
    def point(d, threads, peers):
        import skxent.losses as L

        logits, y = d["logits"], d[family.target]
        n, k = logits.shape
        dtype = logits.dtype
        loss_fn = getattr(L, f"{family.kind}_cross_entropy")
        c = {}
        if grad:
            c["skxent"] = Contender(lambda: loss_fn(
                y, logits, from_logits=True, return_grad=True, n_threads=threads)[0],
                role="skxent")
            pre = preallocated_loss(family.kind)
            if pre is not None:
                g_out = np.empty((n, k), dtype=dtype)
                c["skxent (grad_out)"] = Contender(lambda: pre(
                    y, logits, grad_out=g_out, n_threads=threads)[0],
                    role="skxent-variant")
        else:
            c["skxent"] = Contender(lambda: loss_fn(
                y, logits, from_logits=True, n_threads=threads), role="skxent")
        if peers.sklearn is not None:
            sk, sk_y, sk_x = _sklearn_inputs(family, d)
            sk_out = np.empty(sk_x.shape[0], dtype=dtype)
            if grad:
                sk_grad = np.empty(sk_x.shape, dtype=dtype)
                c[f"sklearn {family.sklearn}.loss_gradient"] = Contender(
                    lambda: sk.loss_gradient(y_true=sk_y, raw_prediction=sk_x,
                                             loss_out=sk_out, gradient_out=sk_grad,
                                             n_threads=threads)[0].mean(),
                    library="sklearn")
            else:
                c[f"sklearn {family.sklearn}.loss"] = Contender(
                    lambda: sk.loss(y_true=sk_y, raw_prediction=sk_x, loss_out=sk_out,
                                    n_threads=threads).mean(),
                    library="sklearn")
        torch = peers.torch
        if torch is not None:
            torch_loss = getattr(torch.nn.functional, family.torch)
            ty = torch.from_numpy(y)
            if grad:
                tx = torch.from_numpy(logits).requires_grad_(True)

                def run_torch():
                    loss = torch_loss(tx, ty)
                    torch.autograd.grad(loss, tx)
                    return loss.item()

                c[f"torch {family.torch_label}+backward"] = Contender(run_torch,
                                                                      library="torch")
            else:
                tx = torch.from_numpy(logits)

                def run_torch():
                    with torch.no_grad():
                        return torch_loss(tx, ty).item()

                c[f"torch {family.torch_label}"] = Contender(run_torch, library="torch")
        tf = peers.tf
        if peers.tf_runs_at(threads):
            gx, gy = tf.constant(logits), tf.constant(y)
            if grad:
                @tf.function
                def tf_lg(x, y):
                    with tf.GradientTape() as tape:
                        tape.watch(x)
                        loss = tf.reduce_mean(family.tf_loss(tf, y, x))
                    return loss, tape.gradient(loss, x)

                c[f"tf {family.tf_label}+GradientTape"] = Contender(
                    lambda: tf_lg(gx, gy)[0].numpy(), library="tensorflow")
            else:
                @tf.function
                def tf_loss(x, y):
                    return tf.reduce_mean(family.tf_loss(tf, y, x))

                c[f"tf {family.tf_label}"] = Contender(lambda: tf_loss(gx, gy).numpy(),
                                                       library="tensorflow")
        c[FLOOR] = Contender(floor(logits), role="floor", check=False)
        return Point(c, reference=d["ref"], rtol=_rtol(dtype))

    return point


_FAMILIES = [
    _Family(name="softmax", k=SOFTMAX_K, rows=SOFTMAX_ROWS, k_info="n_classes",
            data=_softmax_data, target="labels", kind="categorical",
            sklearn="HalfMultinomialLoss", torch="cross_entropy", torch_label="F.cross_entropy",
            tf_label="sparse_softmax_ce",
            tf_loss=lambda tf, y, x: tf.nn.sparse_softmax_cross_entropy_with_logits(y, x),
            cost_factor=1.0),
    _Family(name="sigmoid", k=SIGMOID_K, rows=SIGMOID_ROWS, k_info="n_labels",
            data=_sigmoid_data, target="targets", kind="binary",
            sklearn="HalfBinomialLoss", torch="binary_cross_entropy_with_logits",
            torch_label="bce_with_logits", tf_label="sigmoid_ce",
            tf_loss=lambda tf, y, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=x),
            cost_factor=1.5),
]


def cases():
    out = []
    for dtype in ("float64", "float32"):
        short = "f64" if dtype == "float64" else "f32"
        for grad in (False, True):
            what = "loss + gradient" if grad else "loss"
            tag = "loss_grad" if grad else "loss"
            # Rough seconds per logit per call for the progress estimate (peers are slower
            # than skxent, gradients cost more); corrected by the measured pace as it runs.
            per = (2.5e-8 if grad else 1.2e-8) * (0.6 if dtype == "float32" else 1.0)
            for f in _FAMILIES:
                out.append(Case(
                    suite="losses", name=f"{f.name}_{tag}_{short}",
                    title=f"{f.name} CE {what}, {dtype}", dtype=dtype, sizes=f.rows,
                    size_info=lambda n, f=f: {"n_samples": n, f.k_info: f.k},
                    size_label=lambda n, f=f: f"{n} x {f.k}",
                    x_label=f"logits (n x {f.k})", x_value=lambda n, f=f: n * f.k,
                    data=lambda n, dt=dtype, f=f: f.data(n, np.dtype(dt)),
                    point=_point(f, grad),
                    cost=lambda n, per=per, f=f: f.cost_factor * per * n * f.k,
                    n_contenders=5 if grad else 4, repeats=5, warmup=2,
                ))
    return out
