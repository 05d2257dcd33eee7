"""Suite ``sampled``: sampled softmax and NCE losses for very many classes.

Design note
-----------
The problem of ``benchmarks/bench_sampled.py``: batch 1024, dim 128, 64 sampled classes, float32
(TensorFlow's usual dtype), Zipfian labels, with the number of classes as the size axis (1e3 to
1e5 at the default size). Cases: ``sampled_softmax_loss`` and ``nce_loss``, loss alone and loss
+ gradients, sampling included in every call (``seed=None``, as in training).

Contenders: TensorFlow's ``tf.nn.sampled_softmax_loss`` / ``tf.nn.nce_loss`` in ``tf.function``
(loss + gradients through a tape) when TensorFlow imports; and always the computation the sampled
losses exist to avoid, the full softmax cross-entropy over every class (``inputs @ weights.T +
biases``, then skxent's kernel writing the gradient over the logits, ``_private``; "+grad" adds the products that push the gradient back to
``inputs`` and ``weights``). Its cost grows with the class count while the sampled losses' does
not, which is the point of the size plot. The full softmax is run up to ``FULL_MAX_CLASSES``
classes (a 1024 x 2e5 float32 logit matrix is 0.8 GB; at 1e6 classes it would be 4 GB and
seconds per call), and recorded as skipped above that. The sampled losses are random estimates of
different quantities, so no value check is made (their accuracy is the test suite's business).
Rounds: 1 warm-up, then 5 timed, fewer (at least 3) once a point has spent 8 s timing: the full
softmax + gradient at 1e5 classes takes seconds per call, the sampled losses milliseconds.
"""

import numpy as np

from ._cases import Case, Contender, Point
from ._private import preallocated_loss

BATCH = 1024
DIM = 128
NUM_SAMPLED = 64
FULL_MAX_CLASSES = 200_000
CLASSES = {
    "small": [1_000, 10_000],
    "default": [1_000, 10_000, 100_000],
    "large": [1_000, 10_000, 100_000, 1_000_000],
}


def _data(n_classes):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((n_classes, DIM), dtype=np.float32) * np.float32(0.05)
    b = np.zeros(n_classes, dtype=np.float32)
    x = rng.standard_normal((BATCH, DIM), dtype=np.float32)
    labels = np.minimum(
        np.floor(np.exp(rng.random(BATCH) * np.log1p(n_classes))).astype(np.int64) - 1,
        n_classes - 1,
    )
    return {"W": W, "b": b, "x": x, "labels": labels, "C": n_classes}


def _full(cce, W, b, x, labels, grad):
    def full_loss():
        logits = x @ W.T
        logits += b
        return cce(labels, logits, reduction="none", validate=False)

    def full_loss_grad():
        logits = x @ W.T
        logits += b
        loss, g = cce(labels, logits, reduction="none", validate=False, grad_out=logits)
        return loss, g @ W, g.T @ x, g.sum(axis=0)

    return full_loss_grad if grad else full_loss


def _point(kind, grad):
    def point(d, threads, peers):
        from skxent.losses import nce_loss, sampled_softmax_loss

        W, b, x, labels, C = d["W"], d["b"], d["x"], d["labels"], d["C"]
        fn = sampled_softmax_loss if kind == "softmax" else nce_loss
        c = {"skxent": Contender(lambda: fn(W, b, labels, x, NUM_SAMPLED, C, return_grad=grad,
                                            n_threads=threads), role="skxent", check=False)}
        if peers.tf_runs_at(threads):
            tf = peers.tf
            tf_fn = tf.nn.sampled_softmax_loss if kind == "softmax" else tf.nn.nce_loss
            tW, tb, tx = tf.Variable(W), tf.Variable(b), tf.Variable(x)
            tl = tf.constant(labels.reshape(-1, 1), tf.int64)

            @tf.function
            def run():
                if not grad:
                    return tf.reduce_sum(tf_fn(tW, tb, tl, tx, NUM_SAMPLED, C))
                with tf.GradientTape() as tape:
                    loss = tf.reduce_sum(tf_fn(tW, tb, tl, tx, NUM_SAMPLED, C))
                return loss, tape.gradient(loss, [tW, tb, tx])

            name = f"tf {'sampled_softmax_loss' if kind == 'softmax' else 'nce_loss'}"
            c[name + ("+grad" if grad else "")] = Contender(
                lambda: tf.nest.map_structure(lambda t: t, run()), library="tensorflow",
                check=False)
        full_name = "full softmax CE" + ("+grad" if grad else "") + " (all classes)"
        cce = preallocated_loss("categorical")
        if cce is None:
            return Point(c, skipped={full_name: "this skxent has no private entry point that "
                                                "writes the gradient over the logits"})
        if C <= FULL_MAX_CLASSES:
            c[full_name] = Contender(_full(cce, W, b, x, labels, grad), role="reference",
                                     check=False)
            return Point(c)
        gib = BATCH * C * 4 / 2**30
        return Point(c, skipped={full_name: (
            f"not run above {FULL_MAX_CLASSES} classes: its {BATCH} x {C} float32 logits "
            f"take {gib:.1f} GiB")})

    return point


def cases():
    out = []
    for kind, fname in (("softmax", "sampled_softmax_loss"), ("nce", "nce_loss")):
        for grad in (False, True):
            what = "loss + gradients" if grad else "loss"
            out.append(Case(
                suite="sampled", name=f"{kind}{'_grad' if grad else ''}",
                title=f"{fname}, {what}, batch {BATCH} x dim {DIM}, {NUM_SAMPLED} sampled, "
                      "float32",
                dtype="float32", sizes=CLASSES,
                size_info=lambda C: {"batch": BATCH, "dim": DIM, "num_classes": C,
                                     "num_sampled": NUM_SAMPLED},
                size_label=lambda C: f"{C} classes", x_label="classes", x_value=lambda C: C,
                data=_data, point=_point(kind, grad),
                # the full softmax dominates: batch x dim x classes multiply-adds (x3 with grad)
                cost=lambda C, g=grad: 1e-3 + (3 if g else 1) * 2e-11 * BATCH * DIM * C,
                n_contenders=2, repeats=5, warmup=1, max_time=8.0, short=f"{fname}, {what}",
            ))
    return out
