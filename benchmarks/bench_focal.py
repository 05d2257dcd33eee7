"""Speed of skxent's focal loss (binary, from logits, loss + gradient) against torchvision's
``sigmoid_focal_loss`` formula written in PyTorch, and against skxent's plain cross-entropy.

Design note
-----------
The question is what focal loss costs. Two targets, on ``1e6 x 20`` logits with 0/1 targets
(``--n``, ``--labels``), loss and gradient:

* against the focal loss people use in PyTorch: torchvision's ``sigmoid_focal_loss``, written
  out here in PyTorch exactly as torchvision's source has it (``sigmoid``,
  ``binary_cross_entropy_with_logits(reduction="none")``, ``p_t``, ``(1 - p_t) ** gamma``,
  ``alpha_t``, ``mean``; torchvision itself cannot be installed beside PyTorch 2.13) and
  differentiated by autograd (``backward`` on a leaf tensor made once with
  ``torch.from_numpy``, no copy), with ``torch.set_num_threads(--threads)``. Target: skxent at
  least 3x faster;
* against skxent's own plain binary cross-entropy on the same arrays (what focal loss adds:
  two powers ``exp(-g softplus(+-x))`` per element, one for 0/1 targets). Target: focal at most
  1.5x slower.

skxent computes the same loss as the torchvision formula: ``alpha_t`` is
``pos_weight = alpha / (1 - alpha)`` times an overall ``1 - alpha``, passed as a scalar
``sample_weight`` so that no extra pass scales the gradient, ``reduction="sum_over_batch_size"``
(torchvision's ``mean``). The values are checked to agree before timing.

Each target has its own table, contenders in one process, interleaved, after warm-up rounds
(``_harness.compare``): PyTorch's OpenMP threads keep spinning for a while after each of its
calls and would slow whichever contender follows it, so the focal-vs-plain table runs without
PyTorch. Tables give medians and ratios ``peer time / skxent focal time``, the floor (``np.sum``
of the logits: one read of the input), and the load average before and after (the machine is
shared: ratios, not absolute times, are the result).

A third, optional table (``--baseline DIR``, an already built checkout of the code before
focal loss) checks that plain cross-entropy did not get slower: the kernel cases of
``bench_versions.py`` run on both builds in one process, in pairs whose order flips every
round, and the table gives each build's median and the median (and interquartile range) of the
per-round ratios old / new: pairing cancels most of a shared machine's drifting load.

    python benchmarks/bench_focal.py [--n 1000000] [--labels 20] [--threads 2] [--repeats 7]
                                     [--dtypes float64,float32] [--quick]
                                     [--baseline DIR [--rounds 21] [--versions-threads 2]]
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import _harness  # noqa: E402

SKX = "skxent focal"


def torchvision_focal(torch, inputs, targets, alpha, gamma):
    """torchvision.ops.sigmoid_focal_loss (reduction="mean"), as torchvision writes it."""
    F = torch.nn.functional
    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    return loss.mean()


def run(dtype, args, torch):
    from skxent.losses import binary_cross_entropy as bce

    rng = np.random.default_rng(0)
    shape = (args.n, args.labels)
    z = (rng.standard_normal(shape) * 2).astype(dtype)
    y = (rng.random(shape) < 0.3).astype(dtype)
    a, g, nt = args.alpha, args.gamma, args.threads
    skw = dict(from_logits=True, focal_gamma=g, pos_weight=a / (1 - a), sample_weight=1 - a,
               reduction="sum_over_batch_size", return_grad=True, n_threads=nt)

    def skx_focal():
        return bce(y, z, **skw)

    def skx_plain():
        return bce(y, z, from_logits=True, reduction="sum_over_batch_size", return_grad=True,
                   n_threads=nt)

    floor = {"floor: np.sum(y_pred)": lambda: np.sum(z)}
    contenders = {SKX: skx_focal}
    if torch is not None:
        zt = torch.from_numpy(z).requires_grad_(True)
        yt = torch.from_numpy(y)

        def torch_focal():
            zt.grad = None
            loss = torchvision_focal(torch, zt, yt, a, g)
            loss.backward()
            return loss.item(), zt.grad

        contenders["torchvision formula (torch)"] = torch_focal
        ref_loss, ref_grad = torch_focal()
        got_loss, got_grad = skx_focal()
        rtol = 1e-4 if dtype == np.float32 else 1e-10
        np.testing.assert_allclose(float(got_loss), ref_loss, rtol=rtol)
        np.testing.assert_allclose(got_grad, ref_grad.numpy(), rtol=1e-3 if rtol == 1e-4 else
                                   1e-8, atol=1e-12)
    title = (f"{args.n} x {args.labels}, {np.dtype(dtype).name}, gamma={g}, alpha={a}, "
             f"{nt} threads")
    verdicts = []
    if torch is not None:
        # two tables, each interleaved on its own: PyTorch's OpenMP threads keep spinning for
        # a while after each of its calls, which would tax whichever contender runs next
        res = _harness.compare(dict(contenders, **floor), repeats=args.repeats,
                               warmup=args.warmup)
        ratios = _harness.print_table(f"focal loss + gradient vs PyTorch, {title}", res,
                                      baseline=SKX, floor="floor: np.sum(y_pred)")
        r = ratios["torchvision formula (torch)"]
        verdicts.append(("torch formula / skxent focal", r, r >= 3.0, ">= 3"))
    res = _harness.compare({SKX: skx_focal, "skxent plain CE": skx_plain, **floor},
                           repeats=args.repeats, warmup=args.warmup)
    ratios = _harness.print_table(f"focal vs plain cross-entropy, loss + gradient, {title}",
                                  res, baseline=SKX, floor="floor: np.sum(y_pred)")
    r = ratios["skxent plain CE"]
    verdicts.append(("skxent focal / skxent plain", 1 / r, 1 / r <= 1.5, "<= 1.5"))
    for label, value, ok, want in verdicts:
        print(f"{'PASS' if ok else 'MISS'}  {label}: {value:.2f}x (want {want})")


def paired_versions(args):
    """Plain cross-entropy, old build against new, paired rounds (see the module note)."""
    import gc
    import importlib
    import statistics
    import time

    from bench_versions import load_baseline

    import skxent
    import skxent.losses
    import skxent.metrics  # noqa: F401

    base = load_baseline(args.baseline)
    importlib.import_module(base.__name__ + ".metrics")
    assert importlib.import_module(base.__name__ + "._core") is not skxent._core
    nt, n = args.versions_threads, (200_000 if args.quick else args.versions_n)
    rng = np.random.default_rng(0)
    z64 = rng.standard_normal((n, 10))
    z32 = z64.astype(np.float32)
    t = rng.integers(0, 10, n)
    zb = rng.standard_normal((n // 2, 20))
    yb = (rng.random((n // 2, 20)) < 0.3).astype(np.float64)
    zb32, yb32 = zb.astype(np.float32), yb.astype(np.float32)
    sy, sp = rng.integers(0, 2, 100), rng.uniform(0.05, 0.95, 100)
    cce = "losses.categorical_cross_entropy"
    cases = {
        f"softmax CE loss f64 {n} x 10": (cce, (t, z64), {}),
        f"softmax CE loss f32 {n} x 10": (cce, (t, z32), {}),
        f"softmax CE loss+grad f64 {n} x 10": (cce, (t, z64), {"return_grad": True}),
        f"softmax CE loss+grad f32 {n} x 10": (cce, (t, z32), {"return_grad": True}),
        f"sigmoid CE loss+grad f64 {n // 2} x 20": ("losses.binary_cross_entropy", (yb, zb),
                                                    {"return_grad": True}),
        f"sigmoid CE loss+grad f32 {n // 2} x 20": ("losses.binary_cross_entropy",
                                                    (yb32, zb32), {"return_grad": True}),
    }

    def call(m, path, a, kw):
        mod, fn = path.split(".")
        return getattr(getattr(m, mod), fn)(*a, from_logits=True, n_threads=nt, **kw)

    print(f"\n## plain cross-entropy, old ({args.baseline}) vs new, {nt} threads, "
          f"{args.rounds} paired rounds; load average {os.getloadavg()}")
    print("| case | old ms | new ms | old / new (median) | interquartile range |")
    print("|---|---:|---:|---:|---:|")
    jobs = {k: (lambda m, v=v: call(m, *v)) for k, v in cases.items()}
    jobs["log_loss 100 binary, 200 calls"] = \
        lambda m: [m.metrics.log_loss(sy, sp) for _ in range(200)]
    for name, f in jobs.items():
        for m in (base, skxent, base, skxent):
            f(m)
        tb, tn, ratios = [], [], []
        gc.disable()
        try:
            for r in range(args.rounds):
                d = {}
                for m in ((base, skxent) if r % 2 == 0 else (skxent, base)):
                    t0 = time.perf_counter()
                    f(m)
                    d[m.__name__] = time.perf_counter() - t0
                tb.append(d[base.__name__])
                tn.append(d[skxent.__name__])
                ratios.append(tb[-1] / tn[-1])
        finally:
            gc.enable()
        q1, q2, q3 = np.quantile(ratios, [0.25, 0.5, 0.75])
        print(f"| {name} | {statistics.median(tb) * 1e3:.2f} | {statistics.median(tn) * 1e3:.2f}"
              f" | {q2:.3f} | {q1:.2f}-{q3:.2f} |", flush=True)
    print(f"load average after: {os.getloadavg()}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--labels", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--gamma", type=float, default=2.0)
    ap.add_argument("--alpha", type=float, default=0.25)
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--quick", action="store_true", help="1e5 x 20, 3 rounds")
    ap.add_argument("--baseline", help="an already built checkout of the old code: also time "
                    "plain cross-entropy old vs new")
    ap.add_argument("--only-versions", action="store_true",
                    help="with --baseline: skip the focal tables")
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--versions-threads", type=int, default=2)
    ap.add_argument("--versions-n", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.repeats, args.rounds = 100_000, 3, 5
    if args.baseline and args.only_versions:
        paired_versions(args)
        return
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
        print("note: torch not installed: the torchvision-formula row is skipped")
    print(f"load average before: {os.getloadavg()}")
    for name in args.dtypes.split(","):
        run(np.dtype(name).type, args, torch)
    print(f"load average after: {os.getloadavg()}")
    if args.baseline:
        paired_versions(args)


if __name__ == "__main__":
    main()
