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
"""

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


def _softmax_point(grad):
    def point(d, threads, peers):
        import skxent.losses as L

        logits, labels, labels_f = d["logits"], d["labels"], d["labels_f"]
        n, k = logits.shape
        dtype = logits.dtype
        c = {}
        if grad:
            c["skxent"] = Contender(lambda: L.categorical_cross_entropy(
                labels, logits, from_logits=True, return_grad=True, n_threads=threads)[0],
                role="skxent")
            pre = preallocated_loss("categorical")
            if pre is not None:
                g_out = np.empty((n, k), dtype=dtype)
                c["skxent (grad_out)"] = Contender(lambda: pre(
                    labels, logits, grad_out=g_out, n_threads=threads)[0],
                    role="skxent-variant")
        else:
            c["skxent"] = Contender(lambda: L.categorical_cross_entropy(
                labels, logits, from_logits=True, n_threads=threads), role="skxent")
        if peers.sklearn is not None:
            from sklearn._loss.loss import HalfMultinomialLoss

            sk = HalfMultinomialLoss(n_classes=k)
            sk_out = np.empty(n, dtype=dtype)
            if grad:
                sk_grad = np.empty((n, k), dtype=dtype)
                c["sklearn HalfMultinomialLoss.loss_gradient"] = Contender(
                    lambda: sk.loss_gradient(y_true=labels_f, raw_prediction=logits,
                                             loss_out=sk_out, gradient_out=sk_grad,
                                             n_threads=threads)[0].mean(),
                    library="sklearn")
            else:
                c["sklearn HalfMultinomialLoss.loss"] = Contender(
                    lambda: sk.loss(y_true=labels_f, raw_prediction=logits, loss_out=sk_out,
                                    n_threads=threads).mean(),
                    library="sklearn")
        torch = peers.torch
        if torch is not None:
            F = torch.nn.functional
            ty = torch.from_numpy(labels)
            if grad:
                tx = torch.from_numpy(logits).requires_grad_(True)

                def run_torch():
                    loss = F.cross_entropy(tx, ty)
                    torch.autograd.grad(loss, tx)
                    return loss.item()

                c["torch F.cross_entropy+backward"] = Contender(run_torch, library="torch")
            else:
                tx = torch.from_numpy(logits)

                def run_torch():
                    with torch.no_grad():
                        return F.cross_entropy(tx, ty).item()

                c["torch F.cross_entropy"] = Contender(run_torch, library="torch")
        tf = peers.tf
        if peers.tf_runs_at(threads):
            gx, gy = tf.constant(logits), tf.constant(labels)
            if grad:
                @tf.function
                def tf_lg(x, y):
                    with tf.GradientTape() as tape:
                        tape.watch(x)
                        loss = tf.reduce_mean(
                            tf.nn.sparse_softmax_cross_entropy_with_logits(y, x))
                    return loss, tape.gradient(loss, x)

                c["tf sparse_softmax_ce+GradientTape"] = Contender(
                    lambda: tf_lg(gx, gy)[0].numpy(), library="tensorflow")
            else:
                @tf.function
                def tf_loss(x, y):
                    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, x))

                c["tf sparse_softmax_ce"] = Contender(lambda: tf_loss(gx, gy).numpy(),
                                                      library="tensorflow")
        c[FLOOR] = Contender(floor(logits), role="floor", check=False)
        return Point(c, reference=d["ref"], rtol=_rtol(dtype))

    return point


def _sigmoid_point(grad):
    def point(d, threads, peers):
        import skxent.losses as L

        logits, targets = d["logits"], d["targets"]
        n, k = logits.shape
        dtype = logits.dtype
        c = {}
        if grad:
            c["skxent"] = Contender(lambda: L.binary_cross_entropy(
                targets, logits, from_logits=True, return_grad=True, n_threads=threads)[0],
                role="skxent")
            pre = preallocated_loss("binary")
            if pre is not None:
                g_out = np.empty((n, k), dtype=dtype)
                c["skxent (grad_out)"] = Contender(lambda: pre(
                    targets, logits, grad_out=g_out, n_threads=threads)[0],
                    role="skxent-variant")
        else:
            c["skxent"] = Contender(lambda: L.binary_cross_entropy(
                targets, logits, from_logits=True, n_threads=threads), role="skxent")
        if peers.sklearn is not None:
            from sklearn._loss.loss import HalfBinomialLoss

            sk = HalfBinomialLoss()
            flat_x, flat_y = logits.reshape(-1), targets.reshape(-1)
            sk_out = np.empty(n * k, dtype=dtype)
            if grad:
                sk_grad = np.empty(n * k, dtype=dtype)
                c["sklearn HalfBinomialLoss.loss_gradient"] = Contender(
                    lambda: sk.loss_gradient(y_true=flat_y, raw_prediction=flat_x,
                                             loss_out=sk_out, gradient_out=sk_grad,
                                             n_threads=threads)[0].mean(),
                    library="sklearn")
            else:
                c["sklearn HalfBinomialLoss.loss"] = Contender(
                    lambda: sk.loss(y_true=flat_y, raw_prediction=flat_x, loss_out=sk_out,
                                    n_threads=threads).mean(),
                    library="sklearn")
        torch = peers.torch
        if torch is not None:
            F = torch.nn.functional
            ty = torch.from_numpy(targets)
            if grad:
                tx = torch.from_numpy(logits).requires_grad_(True)

                def run_torch():
                    loss = F.binary_cross_entropy_with_logits(tx, ty)
                    torch.autograd.grad(loss, tx)
                    return loss.item()

                c["torch bce_with_logits+backward"] = Contender(run_torch, library="torch")
            else:
                tx = torch.from_numpy(logits)

                def run_torch():
                    with torch.no_grad():
                        return F.binary_cross_entropy_with_logits(tx, ty).item()

                c["torch bce_with_logits"] = Contender(run_torch, library="torch")
        tf = peers.tf
        if peers.tf_runs_at(threads):
            gx, gy = tf.constant(logits), tf.constant(targets)
            if grad:
                @tf.function
                def tf_lg(x, y):
                    with tf.GradientTape() as tape:
                        tape.watch(x)
                        loss = tf.reduce_mean(
                            tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=x))
                    return loss, tape.gradient(loss, x)

                c["tf sigmoid_ce+GradientTape"] = Contender(lambda: tf_lg(gx, gy)[0].numpy(),
                                                            library="tensorflow")
            else:
                @tf.function
                def tf_loss(x, y):
                    return tf.reduce_mean(
                        tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=x))

                c["tf sigmoid_ce"] = Contender(lambda: tf_loss(gx, gy).numpy(),
                                               library="tensorflow")
        c[FLOOR] = Contender(floor(logits), role="floor", check=False)
        return Point(c, reference=d["ref"], rtol=_rtol(dtype))

    return point


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
            out.append(Case(
                suite="losses", name=f"softmax_{tag}_{short}",
                title=f"softmax CE {what}, {dtype}", dtype=dtype, sizes=SOFTMAX_ROWS,
                size_info=lambda n: {"n_samples": n, "n_classes": SOFTMAX_K},
                size_label=lambda n: f"{n} x {SOFTMAX_K}",
                x_label=f"logits (n x {SOFTMAX_K})", x_value=lambda n: n * SOFTMAX_K,
                data=lambda n, dt=dtype: _softmax_data(n, np.dtype(dt)),
                point=_softmax_point(grad),
                cost=lambda n, per=per: per * n * SOFTMAX_K,
                n_contenders=5 if grad else 4, repeats=5, warmup=2,
            ))
            out.append(Case(
                suite="losses", name=f"sigmoid_{tag}_{short}",
                title=f"sigmoid CE {what}, {dtype}", dtype=dtype, sizes=SIGMOID_ROWS,
                size_info=lambda n: {"n_samples": n, "n_labels": SIGMOID_K},
                size_label=lambda n: f"{n} x {SIGMOID_K}",
                x_label=f"logits (n x {SIGMOID_K})", x_value=lambda n: n * SIGMOID_K,
                data=lambda n, dt=dtype: _sigmoid_data(n, np.dtype(dt)),
                point=_sigmoid_point(grad),
                cost=lambda n, per=per: 1.5 * per * n * SIGMOID_K,
                n_contenders=5 if grad else 4, repeats=5, warmup=2,
            ))
    return out
