"""Benchmark: sampled softmax / NCE vs the full softmax cross-entropy, and vs TensorFlow.

Design note
-----------
The point of sampled losses is to avoid the ``batch x n_classes`` logits of a full softmax. The
default problem is the one of issue 5: batch 1024, dim 128, 1e6 classes, 64 sampled classes,
float32 (TensorFlow's usual dtype). Contenders, timed interleaved in one process by
``_harness.compare`` (medians, ratios to skxent's sampled softmax loss):

* skxent ``sampled_softmax_loss`` / ``nce_loss``, loss only and loss + gradients (sampling
  included in every call, as in training; seed=None);
* TensorFlow's ``tf.nn.sampled_softmax_loss`` / ``tf.nn.nce_loss`` when tensorflow is importable,
  inside ``tf.function`` (graph mode, its fast path), loss only and loss + gradients (tape);
* the full softmax CE: ``inputs @ weights.T + biases`` then ``skxent.losses._cce`` over all
  classes -- the 1024 x 1e6 float32 logits are 4 GB (8 GB in float64; use ``--full-classes`` to
  run the full baseline on fewer classes, the table says which). "full loss+grad" adds the two
  products that push dL/dlogits back to ``inputs`` and ``weights``.

The full softmax is timed in its own, shorter round (it takes seconds per call) with the sampled
loss repeated as the baseline, so every ratio is against a contender timed alongside it.

Small matrix products are sensitive to machine load: a multi-threaded OpenBLAS that spins on a
busy machine can be many times slower than one thread. The script prints the load average, and
``--blas-threads 1`` limits NumPy's BLAS (TensorFlow keeps its own thread pool).
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _harness import compare, print_table  # noqa: E402

from skxent.losses import _cce  # noqa: E402

try:
    from skxent.losses import nce_loss, sampled_softmax_loss
except ImportError:  # until skxent.losses re-exports them
    from skxent._sampled import nce_loss, sampled_softmax_loss


def _tf_contenders(W, b, labels, x, num_sampled, num_classes):
    try:
        import tensorflow as tf
    except ImportError:
        print("tensorflow not installed: TensorFlow rows skipped")
        return {}
    tW, tb = tf.Variable(W), tf.Variable(b)
    tx = tf.Variable(x)
    tl = tf.constant(labels.reshape(-1, 1), tf.int64)

    def make(fn, grad):
        @tf.function
        def run():
            if not grad:
                return tf.reduce_sum(fn(tW, tb, tl, tx, num_sampled, num_classes))
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(fn(tW, tb, tl, tx, num_sampled, num_classes))
            return loss, tape.gradient(loss, [tW, tb, tx])

        return lambda: tf.nest.map_structure(lambda t: t, run())

    return {
        "tensorflow sampled_softmax": make(tf.nn.sampled_softmax_loss, False),
        "tensorflow sampled_softmax+grad": make(tf.nn.sampled_softmax_loss, True),
        "tensorflow nce": make(tf.nn.nce_loss, False),
        "tensorflow nce+grad": make(tf.nn.nce_loss, True),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--classes", type=int, default=1_000_000)
    parser.add_argument("--num-sampled", type=int, default=64)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--full-classes", type=int, default=None,
                        help="classes for the full-softmax baseline (default: --classes)")
    parser.add_argument("--no-full", action="store_true", help="skip the full softmax")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit NumPy's BLAS threads (threadpoolctl) for the whole run")
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    args = parser.parse_args(argv)
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=args.blas_threads, user_api="blas"):
            return _run(args)
    return _run(args)


def _run(args):
    if args.quick:
        args.batch, args.dim, args.classes, args.repeats = 64, 16, 20_000, 3

    dtype = np.dtype(args.dtype)
    rng = np.random.default_rng(0)
    W = (rng.standard_normal((args.classes, args.dim), dtype=np.float32) * 0.05).astype(dtype)
    b = np.zeros(args.classes, dtype=dtype)
    x = rng.standard_normal((args.batch, args.dim), dtype=np.float32).astype(dtype)
    # Zipfian labels, like the data the log-uniform sampler is meant for.
    labels = np.minimum(
        np.floor(np.exp(rng.random(args.batch) * np.log1p(args.classes))).astype(np.int64) - 1,
        args.classes - 1,
    )
    S, C = args.num_sampled, args.classes
    print(f"batch={args.batch} dim={args.dim} classes={C} num_sampled={S} dtype={dtype} "
          f"blas_threads={args.blas_threads or 'default'} "
          f"load average={os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus")

    sampled = {
        "skxent sampled_softmax": lambda: sampled_softmax_loss(W, b, labels, x, S, C),
        "skxent sampled_softmax+grad": lambda: sampled_softmax_loss(W, b, labels, x, S, C,
                                                                    return_grad=True),
        "skxent nce": lambda: nce_loss(W, b, labels, x, S, C),
        "skxent nce+grad": lambda: nce_loss(W, b, labels, x, S, C, return_grad=True),
    }
    sampled.update(_tf_contenders(W, b, labels, x, S, C))
    res = compare(sampled, repeats=args.repeats, warmup=1)
    print_table("sampled losses (ratio = time / skxent sampled_softmax)", res,
                baseline="skxent sampled_softmax")

    if args.no_full:
        return
    Cf = min(args.full_classes or C, C)
    Wf, bf = W[:Cf], b[:Cf]
    yf = np.minimum(labels, Cf - 1)
    print(f"\nfull softmax over {Cf} classes: logits {args.batch} x {Cf} {dtype} = "
          f"{args.batch * Cf * dtype.itemsize / 2**30:.2f} GiB")

    def full_loss():
        logits = x @ Wf.T
        logits += bf
        return _cce(yf, logits, from_logits=True, reduction="none", validate=False)

    def full_loss_grad():
        logits = x @ Wf.T
        logits += bf
        loss, g = _cce(yf, logits, from_logits=True, reduction="none", validate=False,
                       grad_out=logits)
        return loss, g @ Wf, g.T @ x, g.sum(axis=0)

    full = {
        "skxent sampled_softmax": sampled["skxent sampled_softmax"],
        "skxent sampled_softmax+grad": sampled["skxent sampled_softmax+grad"],
        f"full softmax CE ({Cf} classes)": full_loss,
        f"full softmax CE+grad ({Cf} classes)": full_loss_grad,
    }
    # Seconds per call: two timed rounds, no warm-up (the big allocations are part of the cost);
    # min_time repeats the millisecond contenders within a round, so their medians are not one
    # cold call right after a 4 GB allocation.
    res = compare(full, repeats=2, warmup=0, min_time=0.25)
    print_table("full softmax vs sampled (ratio = time / skxent sampled_softmax)", res,
                baseline="skxent sampled_softmax")


if __name__ == "__main__":
    main()
