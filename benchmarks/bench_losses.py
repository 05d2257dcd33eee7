"""Speed of skxent's cross-entropy kernels against scikit-learn, PyTorch and TensorFlow.

Design note
-----------
The machine this runs on is small and shared, so no lone absolute time is ever quoted: every
table runs skxent and its peers in one process, interleaved, for several repetitions
(``_harness.compare``), and prints medians and ratios ``peer time / skxent time`` (> 1 means
skxent is faster). Every table also carries the floor, ``np.sum`` over the same ``y_pred`` array:
a reduced loss must read every logit once, so summing them is the memory-bandwidth bound a loss
kernel can approach but not beat.

Fairness rules, so that a ratio means what it says:

* every contender gets the same thread count: ``n_threads`` for skxent and ``sklearn._loss``,
  ``torch.set_num_threads`` for PyTorch, TensorFlow's intra-op pool for TensorFlow (configured
  before its runtime starts; inter-op pool 1, so the total stays at ``--threads``);
* inputs are converted once, outside the timed region: ``torch.from_numpy`` (zero copy) and
  ``tf.constant``; TensorFlow runs inside ``tf.function`` (graph mode, its fast path);
* scikit-learn's private ``_loss`` gets preallocated ``loss_out``/``gradient_out`` buffers (its
  API allows it, ``LinearModelLoss`` does it) and float labels of the logits' dtype (what its
  Cython signature wants, so no conversion is timed); its per-sample losses are then averaged
  with ``.mean()``, its per-sample gradient is *not* divided by ``n`` (that scale is folded into
  the ``X.T @ grad`` product downstream), which only favours it;
* skxent is timed through the public API, which allocates the returned gradient on every call;
  an extra row ``skxent (grad_out)`` uses the private engine call with a preallocated
  gradient, like scikit-learn's row, so both comparisons are visible;
* all contenders are checked to agree on the loss value before anything is timed;
* three warm-up rounds (``--warmup``): on this VM the first touch of memory the guest has not
  used lately costs ~10x an ordinary page fault (~170 ms instead of ~10 ms for 80 MB, host-side
  faulting after free-page reporting), which would land on whichever contender allocates first;
  the timed rounds then show the steady state a training loop sees, where every contender that
  allocates its outputs (skxent's public API, torch, TF) still pays its ordinary page faults.

Targets (issue 2, n = 1e6 x 10 on 2 cores) are printed as PASS/MISS after each table. Peers that
are not installed are skipped with a note. Run ``python benchmarks/bench_losses.py --help``.
"""

import argparse
import datetime
import json
import os
import platform
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import _harness  # noqa: E402

FLOOR = "floor: np.sum(y_pred)"
SKX = "skxent"


def preallocated_loss(kind):
    """skxent's loss writing into a caller's gradient buffer (private API), or None."""
    try:
        from skxent._bench._private import preallocated_loss as impl
    except ImportError:  # an older skxent: 0.1 had losses._cce / losses._bce
        import skxent.losses as losses

        f = getattr(losses, {"categorical": "_cce", "binary": "_bce"}[kind], None)
        return None if f is None else (lambda y, x, **kw: f(y, x, from_logits=True, **kw))
    return impl(kind)


# --------------------------------------------------------------------------------------------
# optional contenders


def _import_skxent():
    try:
        import skxent.losses
        import skxent.special
    except Exception as exc:  # ImportError, or a half-built extension
        return None, f"skxent not importable ({type(exc).__name__}: {exc})"
    return skxent, None


def _import_torch(threads):
    try:
        import torch
    except Exception as exc:
        return None, f"torch not installed ({type(exc).__name__})"
    torch.set_num_threads(threads)
    return torch, None


def _import_tf(threads):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        import tensorflow as tf
    except Exception as exc:
        return None, f"tensorflow not installed ({type(exc).__name__})"
    try:
        # Must happen before the runtime is initialised, i.e. before the first op.
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError as exc:  # already initialised by someone else
        warnings.warn(f"could not set TensorFlow threads: {exc}")
    return tf, None


# --------------------------------------------------------------------------------------------
# output


class Report:
    """Collect tables, print them (plain via ``_harness.print_table`` or Markdown)."""

    def __init__(self, markdown):
        self.markdown = markdown
        self.tables = []
        self.checks = []

    def table(self, title, results, *, baseline, floor=FLOOR, note=None):
        if baseline not in results:
            # skxent missing (development runs): show the peers relative to the first one.
            baseline = next(iter(results))
            note = (note + "; " if note else "") + f"ratios relative to {baseline}"
        if self.markdown:
            ratios = _print_markdown(title, results, baseline=baseline, floor=floor)
        else:
            ratios = _harness.print_table(title, results, baseline=baseline, floor=floor)
        if note:
            print(f"note: {note}")
        self.tables.append(
            {
                "title": title,
                "baseline": baseline,
                "median_s": {k: v["median"] for k, v in results.items()},
                "ratios": ratios,
            }
        )
        return ratios

    def check(self, label, value, target, *, higher_is_better=True, unit="x"):
        """Print one target line; ``value`` None (a contender missing) prints SKIP."""
        if value is None:
            status = "SKIP"
            line = f"target {label}: not measured"
        else:
            ok = value >= target if higher_is_better else value <= target
            status = "PASS" if ok else "MISS"
            rel = ">=" if higher_is_better else "<="
            line = f"target {label}: {value:.2f}{unit} (want {rel} {target:g}{unit})"
        prefix = "- " if self.markdown else ""
        print(f"{prefix}{status}  {line}")
        self.checks.append({"target": label, "value": value, "want": target, "status": status})


def _print_markdown(title, results, *, baseline, floor):
    base = results[baseline]["median"]
    print(f"\n#### {title}\n")
    print("| contender | median ms | ratio (peer / skxent) |")
    print("|---|---:|---:|")
    ratios = {}
    for k, r in results.items():
        ratio = r["median"] / base
        ratios[k] = ratio
        name = f"**{k}**" if k == baseline else k
        print(f"| {name} | {r['median'] * 1e3:.3f} | {ratio:.2f} |")
    if floor is not None and floor in results:
        print(f"\n{baseline} / floor: {base / results[floor]['median']:.2f}x\n")
    return ratios


def _ratio(ratios, key):
    return ratios.get(key) if key in ratios and SKX in ratios else None


def _agree(name, ref, value, dtype):
    """Warn loudly when a contender computes a different loss (then its time means nothing)."""
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    value = float(np.asarray(value))
    if not np.isclose(value, ref, rtol=rtol, atol=0):
        print(f"WARNING: {name} loss {value!r} differs from reference {ref!r}")


# --------------------------------------------------------------------------------------------
# contenders, one builder per case; each returns {name: zero-arg callable} and a reference value


def softmax_ce_loss(n, k, dtype, threads, mods, rng):
    skx, torch, tf = mods
    logits = rng.standard_normal((n, k), dtype=dtype)
    labels = rng.integers(0, k, n)  # int64
    labels_f = labels.astype(dtype)
    ref = float(np.mean(_np_lse(logits) - logits[np.arange(n), labels]))

    from sklearn._loss.loss import HalfMultinomialLoss

    sk = HalfMultinomialLoss(n_classes=k)
    sk_out = np.empty(n, dtype=dtype)
    c = {}
    if skx is not None:
        c[SKX] = lambda: skx.losses.categorical_cross_entropy(
            labels, logits, from_logits=True, n_threads=threads
        )
    c["sklearn HalfMultinomial.loss"] = lambda: sk.loss(
        y_true=labels_f, raw_prediction=logits, loss_out=sk_out, n_threads=threads
    ).mean()
    if torch is not None:
        F = torch.nn.functional
        tx, ty = torch.from_numpy(logits), torch.from_numpy(labels)

        def run_torch():
            with torch.no_grad():
                return F.cross_entropy(tx, ty).item()

        c["torch F.cross_entropy"] = run_torch
    if tf is not None:
        gx, gy = tf.constant(logits), tf.constant(labels)

        @tf.function
        def tf_loss(x, y):
            return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, x))

        c["tf sparse_softmax_ce"] = lambda: tf_loss(gx, gy).numpy()
    c[FLOOR] = lambda: np.sum(logits)
    return c, ref


def softmax_ce_grad(n, k, dtype, threads, mods, rng):
    skx, torch, tf = mods
    logits = rng.standard_normal((n, k), dtype=dtype)
    labels = rng.integers(0, k, n)
    labels_f = labels.astype(dtype)
    ref = float(np.mean(_np_lse(logits) - logits[np.arange(n), labels]))

    from sklearn._loss.loss import HalfMultinomialLoss

    sk = HalfMultinomialLoss(n_classes=k)
    sk_out = np.empty(n, dtype=dtype)
    sk_grad = np.empty((n, k), dtype=dtype)
    c = {}
    if skx is not None:
        c[SKX] = lambda: skx.losses.categorical_cross_entropy(
            labels, logits, from_logits=True, return_grad=True, n_threads=threads
        )[0]
        pre = preallocated_loss("categorical")
        if pre is not None:
            g_out = np.empty((n, k), dtype=dtype)
            c["skxent (grad_out)"] = lambda: pre(
                labels, logits, grad_out=g_out, n_threads=threads
            )[0]

    def run_sk():
        loss, _ = sk.loss_gradient(
            y_true=labels_f,
            raw_prediction=logits,
            loss_out=sk_out,
            gradient_out=sk_grad,
            n_threads=threads,
        )
        return loss.mean()

    c["sklearn HalfMultinomial.loss_grad"] = run_sk
    if torch is not None:
        F = torch.nn.functional
        tx, ty = torch.from_numpy(logits).requires_grad_(True), torch.from_numpy(labels)

        def run_torch():
            loss = F.cross_entropy(tx, ty)
            (g,) = torch.autograd.grad(loss, tx)
            return loss.item()

        c["torch cross_entropy+backward"] = run_torch
    if tf is not None:
        gx, gy = tf.constant(logits), tf.constant(labels)

        @tf.function
        def tf_lg(x, y):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, x))
            return loss, tape.gradient(loss, x)

        c["tf sparse_softmax_ce+GradientTape"] = lambda: tf_lg(gx, gy)[0].numpy()
    c[FLOOR] = lambda: np.sum(logits)
    return c, ref


def sigmoid_ce_grad(n, k, dtype, threads, mods, rng):
    skx, torch, tf = mods
    logits = rng.standard_normal((n, k), dtype=dtype)
    targets = (rng.random((n, k)) < 0.3).astype(dtype)
    ref = float(np.mean(np.logaddexp(0, logits) - targets * logits))

    from sklearn._loss.loss import HalfBinomialLoss

    sk = HalfBinomialLoss()
    flat_x, flat_y = logits.reshape(-1), targets.reshape(-1)
    sk_out = np.empty(n * k, dtype=dtype)
    sk_grad = np.empty(n * k, dtype=dtype)
    c = {}
    if skx is not None:
        c[SKX] = lambda: skx.losses.binary_cross_entropy(
            targets, logits, from_logits=True, return_grad=True, n_threads=threads
        )[0]
        pre = preallocated_loss("binary")
        if pre is not None:
            g_out = np.empty((n, k), dtype=dtype)
            c["skxent (grad_out)"] = lambda: pre(
                targets, logits, grad_out=g_out, n_threads=threads
            )[0]

    def run_sk():
        loss, _ = sk.loss_gradient(
            y_true=flat_y,
            raw_prediction=flat_x,
            loss_out=sk_out,
            gradient_out=sk_grad,
            n_threads=threads,
        )
        return loss.mean()

    c["sklearn HalfBinomial.loss_gradient"] = run_sk
    if torch is not None:
        F = torch.nn.functional
        tx = torch.from_numpy(logits).requires_grad_(True)
        ty = torch.from_numpy(targets)

        def run_torch():
            loss = F.binary_cross_entropy_with_logits(tx, ty)
            (g,) = torch.autograd.grad(loss, tx)
            return loss.item()

        c["torch bce_with_logits+backward"] = run_torch
    if tf is not None:
        gx, gy = tf.constant(logits), tf.constant(targets)

        @tf.function
        def tf_lg(x, y):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=x))
            return loss, tape.gradient(loss, x)

        c["tf sigmoid_ce+GradientTape"] = lambda: tf_lg(gx, gy)[0].numpy()
    c[FLOOR] = lambda: np.sum(logits)
    return c, ref


def _np_lse(x):
    m = x.max(axis=1, keepdims=True)
    return (np.log(np.exp((x - m).astype(np.float64)).sum(axis=1)) + m[:, 0]).astype(np.float64)


# --------------------------------------------------------------------------------------------
# sections


def run_case(report, title, builder, n, k, dtype, threads, mods, args, targets):
    rng = np.random.default_rng(0)
    c, ref = builder(n, k, dtype, threads, mods, rng)
    for name, f in c.items():
        if name != FLOOR:
            _agree(name, ref, f(), dtype)
    res = _harness.compare(c, repeats=args.repeats, warmup=args.warmup)
    del c
    ratios = report.table(title, res, baseline=SKX)
    for label, key, want in targets:
        if key == FLOOR:
            # distance to the floor: skxent time / floor time, lower is better
            v = 1.0 / ratios[FLOOR] if SKX in ratios and FLOOR in ratios else None
            report.check(label, v, want, higher_is_better=False)
        else:
            report.check(label, _ratio(ratios, key), want)
    return res


def section_threads(report, n, k, threads, mods, args):
    skx = mods[0]
    if skx is None:
        print("\n(threads section skipped: skxent not importable)")
        return
    if threads < 2:
        print("\n(threads section skipped: needs --threads >= 2)")
        return
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((n, k))
    labels = rng.integers(0, k, n)
    cce = skx.losses.categorical_cross_entropy
    from sklearn._loss.loss import HalfMultinomialLoss

    # Control: scikit-learn's OpenMP loss on the same data. If it does not scale either, the
    # machine had no free core at that moment, and skxent's speed-up says nothing.
    sk, labels_f = HalfMultinomialLoss(n_classes=k), labels.astype(np.float64)
    sk_out, sk_grad = np.empty(n), np.empty((n, k))

    def sk_call(t, grad):
        if grad:
            return sk.loss_gradient(labels_f, logits, loss_out=sk_out, gradient_out=sk_grad,
                                    n_threads=t)
        return sk.loss(labels_f, logits, loss_out=sk_out, n_threads=t)

    for what, grad in (("loss", False), ("loss+grad", True)):
        c = {
            f"skxent n_threads={threads}": (
                lambda t=threads: cce(
                    labels, logits, from_logits=True, return_grad=grad, n_threads=t
                )
            ),
            "skxent n_threads=1": (
                lambda: cce(labels, logits, from_logits=True, return_grad=grad, n_threads=1)
            ),
            f"control: sklearn n_threads={threads}": lambda: sk_call(threads, grad),
            "control: sklearn n_threads=1": lambda: sk_call(1, grad),
            FLOOR: lambda: np.sum(logits),
        }
        res = _harness.compare(c, repeats=args.repeats, warmup=args.warmup)
        r = report.table(
            f"threads: softmax CE {what}, {n} x {k} float64, 1 vs {threads} threads",
            res,
            baseline=f"skxent n_threads={threads}",
        )
        report.check(
            f"{what}: speed-up 1 -> {threads} threads", r["skxent n_threads=1"], 1.7
        )
        sk_speedup = r["control: sklearn n_threads=1"] / r[f"control: sklearn n_threads={threads}"]
        print(f"(control: sklearn speed-up 1 -> {threads} threads {sk_speedup:.2f}x; "
              "<= 1 means the second core was busy)")

    # Small input: threading must not cost anything (serial below a size threshold).
    small = rng.standard_normal((100, k))
    small_labels = rng.integers(0, k, 100)
    c = {
        "skxent n_threads=1": lambda: cce(small_labels, small, from_logits=True, n_threads=1),
        f"skxent n_threads={threads}": (
            lambda: cce(small_labels, small, from_logits=True, n_threads=threads)
        ),
        "skxent n_threads=None": lambda: cce(small_labels, small, from_logits=True),
        "skxent n_threads=1 loss+grad": (
            lambda: cce(small_labels, small, from_logits=True, return_grad=True, n_threads=1)
        ),
        "skxent n_threads=None loss+grad": (
            lambda: cce(small_labels, small, from_logits=True, return_grad=True)
        ),
    }
    res = _harness.compare(c, repeats=max(args.repeats, 5), warmup=args.warmup, min_time=0.02)
    r = report.table(
        f"threads: small input 100 x {k} float64 (time per call)",
        res,
        baseline="skxent n_threads=1",
        floor=None,
    )
    # "no slower": ratio to single-threaded <= 1.10 (10% allowance for timer noise).
    for key in (f"skxent n_threads={threads}", "skxent n_threads=None"):
        report.check(f"small input {key} / n_threads=1", r[key], 1.10, higher_is_better=False)
    report.check(
        "small input loss+grad n_threads=None / n_threads=1",
        r["skxent n_threads=None loss+grad"] / r["skxent n_threads=1 loss+grad"],
        1.10,
        higher_is_better=False,
    )


def section_special(report, n, k, threads, mods, args):
    skx, torch, tf = mods
    import scipy.special as sps

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, k))
    ta = torch.from_numpy(a) if torch is not None else None
    ga = tf.constant(a) if tf is not None else None
    if tf is not None:
        tf_fns = {
            "logsumexp": tf.function(lambda x: tf.reduce_logsumexp(x, axis=-1)),
            "softmax": tf.function(lambda x: tf.nn.softmax(x, axis=-1)),
            "log_softmax": tf.function(lambda x: tf.nn.log_softmax(x, axis=-1)),
        }
    torch_fns = {"logsumexp": "logsumexp", "softmax": "softmax", "log_softmax": "log_softmax"}
    for fname in ("logsumexp", "softmax", "log_softmax"):
        c = {}
        if skx is not None:
            f = getattr(skx.special, fname)
            c[SKX] = lambda f=f: f(a, n_threads=threads)
        sf = getattr(sps, fname)
        c[f"scipy.special.{fname}"] = lambda sf=sf: sf(a, axis=-1)
        if torch is not None:
            tfn = getattr(torch, torch_fns[fname])

            def run_torch(tfn=tfn):
                with torch.no_grad():
                    return tfn(ta, dim=-1)

            c[f"torch.{fname}"] = run_torch
        if tf is not None:
            c[f"tf {fname}"] = lambda g=tf_fns[fname]: g(ga).numpy()
        c[FLOOR] = lambda: np.sum(a)
        if skx is not None:
            ours = np.asarray(c[SKX]())
            theirs = sf(a, axis=-1)
            if not np.allclose(ours, theirs, rtol=1e-12, atol=1e-300):
                print(f"WARNING: skxent.special.{fname} differs from scipy")
        res = _harness.compare(c, repeats=args.repeats, warmup=args.warmup)
        report.table(f"special.{fname}, {n} x {k} float64", res, baseline=SKX)


# --------------------------------------------------------------------------------------------


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=1_000_000, help="rows (softmax cases)")
    p.add_argument("--k", type=int, default=10, help="classes (softmax cases)")
    p.add_argument("--bce-n", type=int, default=500_000, help="rows (sigmoid case)")
    p.add_argument("--bce-k", type=int, default=20, help="labels (sigmoid case)")
    p.add_argument("--repeats", type=int, default=7, help="timed interleaved rounds")
    p.add_argument(
        "--threads", type=int, default=min(2, os.cpu_count() or 1), help="threads for everyone"
    )
    p.add_argument(
        "--warmup",
        type=int,
        default=3,
        help="untimed rounds first (page faults of fresh memory, thread pools, tf.function)",
    )
    p.add_argument("--quick", action="store_true", help="small sizes, 2 repeats (CI smoke)")
    p.add_argument("--markdown", action="store_true", help="print tables in Markdown")
    p.add_argument(
        "--only",
        default="loss,grad,sigmoid,threads,special",
        help="comma-separated sections: loss,grad,sigmoid,threads,special",
    )
    p.add_argument("--json", default=None, help="also write the medians/ratios to this file")
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.bce_n, args.repeats, args.warmup = 20_000, 10_000, 2, 1
    sections = set(args.only.split(","))
    threads = args.threads

    skx, skx_note = _import_skxent()
    torch, torch_note = _import_torch(threads)
    tf, tf_note = _import_tf(threads)
    mods = (skx, torch, tf)

    import scipy
    import sklearn

    report = Report(args.markdown)
    h = "#" if not args.markdown else "###"
    print(f"{h} skxent loss benchmarks ({datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC)")
    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "torch": torch.__version__ if torch else None,
        "tensorflow": tf.__version__ if tf else None,
        "skxent": getattr(skx, "__version__", "?") if skx else None,
    }
    print(
        "versions: " + ", ".join(f"{k} {v}" for k, v in versions.items() if v is not None)
    )
    print(f"machine: {_cpu_name()}, {os.cpu_count()} CPUs; threads for every contender: {threads}")
    if hasattr(os, "getloadavg"):
        print("load average at start (1, 5, 15 min): %.2f %.2f %.2f" % os.getloadavg())
    print(
        f"repeats: {args.repeats} interleaved rounds after {args.warmup} warm-up rounds; "
        "medians; ratio = peer / skxent"
    )
    for note in (skx_note, torch_note, tf_note):
        if note:
            print(f"skipped: {note}")

    n, k = args.n, args.k
    if "loss" in sections:
        for dtype in (np.float64, np.float32):
            dn = np.dtype(dtype).name
            run_case(
                report,
                f"softmax CE loss, integer labels, mean: {n} x {k} {dn}",
                softmax_ce_loss,
                n,
                k,
                dtype,
                threads,
                mods,
                args,
                [
                    (f"{dn} loss vs sklearn._loss", "sklearn HalfMultinomial.loss", 5),
                    (f"{dn} loss vs torch", "torch F.cross_entropy", 10),
                    (f"{dn} loss vs tensorflow", "tf sparse_softmax_ce", 10),
                    (f"{dn} loss: skxent / np.sum floor", FLOOR, 3),
                ],
            )
    if "grad" in sections:
        for dtype in (np.float64, np.float32):
            dn = np.dtype(dtype).name
            run_case(
                report,
                f"softmax CE loss + gradient, integer labels, mean: {n} x {k} {dn}",
                softmax_ce_grad,
                n,
                k,
                dtype,
                threads,
                mods,
                args,
                [(f"{dn} loss+grad vs sklearn._loss", "sklearn HalfMultinomial.loss_grad", 4)],
            )
            _grad_out_check(report, dn, "sklearn HalfMultinomial.loss_grad")
    if "sigmoid" in sections:
        for dtype in (np.float64, np.float32):
            dn = np.dtype(dtype).name
            run_case(
                report,
                f"sigmoid CE loss + gradient, 0/1 targets, mean: {args.bce_n} x {args.bce_k} {dn}",
                sigmoid_ce_grad,
                args.bce_n,
                args.bce_k,
                dtype,
                threads,
                mods,
                args,
                [
                    (
                        f"{dn} sigmoid loss+grad vs sklearn._loss",
                        "sklearn HalfBinomial.loss_gradient",
                        4,
                    )
                ],
            )
            _grad_out_check(report, dn, "sklearn HalfBinomial.loss_gradient")
    if "threads" in sections:
        section_threads(report, n, k, threads, mods, args)
    if "special" in sections:
        section_special(report, n, k, threads, mods, args)

    print()
    counts = {s: sum(c["status"] == s for c in report.checks) for s in ("PASS", "MISS", "SKIP")}
    print(f"summary: {counts['PASS']} PASS, {counts['MISS']} MISS, {counts['SKIP']} SKIP")
    if args.quick:
        print("(--quick: sizes far below the targets' 1e6 x 10, so the verdicts mean nothing)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {"args": vars(args), "versions": versions, "tables": report.tables,
                 "checks": report.checks},
                fh,
                indent=1,
            )
    return 0


def _grad_out_check(report, dn, sk_key):
    """The same target with skxent's gradient preallocated, as scikit-learn's is."""
    t = report.tables[-1]
    med = t["median_s"]
    if "skxent (grad_out)" in med and sk_key in med:
        report.check(
            f"{dn} (grad_out, both preallocated) vs sklearn._loss",
            med[sk_key] / med["skxent (grad_out)"],
            4,
        )


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


if __name__ == "__main__":
    sys.exit(main())
