"""Speed of skxent.losses.kl_divergence against PyTorch's KL divergence.

Design note
-----------
The peer is the distillation loss as PyTorch users write it,
``F.kl_div(F.log_softmax(z, -1), p, reduction="batchmean")`` (= ``kl_divergence(p, z,
from_logits=True)``, ``reduction="mean"``), on 1e6 x 10 logits and teacher probabilities,
float64 and float32, loss alone and loss with its gradient (PyTorch: forward and
``backward()`` on a leaf tensor; skxent: ``return_grad=True``, which allocates the returned
gradient on every call, as autograd does).

The rules of ``benchmarks/`` (``_harness.compare``): every contender in one process,
interleaved, several timed rounds after warm-up rounds, medians, ratios ``peer time / skxent
time`` (> 1: skxent is faster) and the floor ``np.sum(z)`` (one read of the logits). The same
thread count for both (``n_threads`` and ``torch.set_num_threads``, 2 by default); inputs are
made once outside the timed region (``torch.from_numpy``: no copy); both results are checked to
agree before anything is timed. The machine is shared: the load average is printed before and
after, and no time is meaningful without it.

Run ``PYTHONPATH=. python benchmarks/bench_kl.py [--n 1000000] [--k 10] [--threads 2]
[--repeats 7] [--markdown]``. PyTorch missing: skxent and the floor only.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import _harness  # noqa: E402

SKX = "skxent"
FLOOR = "floor: np.sum(z)"
TORCH = "PyTorch kl_div(log_softmax(z), p, 'batchmean')"


def _load():
    return "load average (1, 5, 15 min): %.2f %.2f %.2f" % os.getloadavg() \
        if hasattr(os, "getloadavg") else "load average: n/a"


def _contenders(n, k, dtype, threads, grad, torch):
    from skxent.losses import kl_divergence
    from skxent.special import softmax

    rng = np.random.default_rng(0)
    z = rng.standard_normal((n, k)).astype(dtype)
    p = softmax(rng.standard_normal((n, k)).astype(dtype) * 2)
    c = {SKX: lambda: kl_divergence(p, z, from_logits=True, return_grad=grad,
                                    n_threads=threads)}
    ref = float(np.asarray(c[SKX]()[0] if grad else c[SKX]()))
    if torch is not None:
        F = torch.nn.functional
        tz, tp = torch.from_numpy(z), torch.from_numpy(p)
        if grad:
            def run_torch():
                zz = tz.detach().requires_grad_()
                loss = F.kl_div(F.log_softmax(zz, -1), tp, reduction="batchmean")
                loss.backward()
                return loss.detach(), zz.grad
        else:
            def run_torch():
                with torch.no_grad():
                    return F.kl_div(F.log_softmax(tz, -1), tp, reduction="batchmean")
        out = run_torch()
        value = float(out[0] if grad else out)
        rtol = 1e-4 if dtype == np.float32 else 1e-9
        if not np.isclose(value, ref, rtol=rtol, atol=0):
            print(f"WARNING: PyTorch's loss {value!r} differs from skxent's {ref!r}")
        if grad:
            g_skx = kl_divergence(p, z, from_logits=True, return_grad=True)[1]
            np.testing.assert_allclose(out[1].numpy(), g_skx, rtol=rtol * 10,
                                       atol=rtol * np.abs(g_skx).max())
        c[TORCH] = run_torch
    c[FLOOR] = lambda: np.sum(z)
    return c


def _table(title, results, markdown):
    if not markdown:
        return _harness.print_table(title, results, baseline=SKX, floor=FLOOR)
    base = results[SKX]["median"]
    print(f"\n#### {title}\n\n| contender | median ms | ratio (peer / skxent) |\n|---|---:|---:|")
    ratios = {}
    for name, r in results.items():
        ratios[name] = r["median"] / base
        shown = f"**{name}**" if name == SKX else name
        print(f"| {shown} | {r['median'] * 1e3:.2f} | {ratios[name]:.2f} |")
    return ratios


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args(argv)

    try:
        import torch

        torch.set_num_threads(args.threads)
        torch_note = f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads"
    except ImportError:
        torch = None
        torch_note = "PyTorch not installed: skxent and the floor only"
    print(f"bench_kl: {args.n} x {args.k}, {args.threads} threads, {args.repeats} rounds after "
          f"{args.warmup} warm-up rounds; {torch_note}")
    print(f"{_load()} (before)")
    verdicts = []
    for grad in (False, True):
        for dtype in (np.float64, np.float32):
            c = _contenders(args.n, args.k, dtype, args.threads, grad, torch)
            res = _harness.compare(c, repeats=args.repeats, warmup=args.warmup)
            what = "loss + gradient" if grad else "loss"
            ratios = _table(f"KL divergence {what}, {args.n} x {args.k} "
                            f"{np.dtype(dtype).name} logits, reduction='mean'", res,
                            args.markdown)
            if TORCH in ratios:
                verdicts.append((what, np.dtype(dtype).name, ratios[TORCH]))
    print(f"\n{_load()} (after)")
    for what, dt, r in verdicts:
        status = "PASS" if r >= 3.0 else "MISS"
        print(f"{status}  target: {what}, {dt}: {r:.2f}x faster than PyTorch (want >= 3x)")


if __name__ == "__main__":
    main()
