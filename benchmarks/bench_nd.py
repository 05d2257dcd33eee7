"""N-D cross-entropy along a class axis: skxent vs PyTorch, in one process.

Design note
-----------
Case (a segmentation head): float32 logits ``(8, 21, 256, 256)`` (``(N, C, H, W)``, 11 M
elements), classes along ``axis=1``, int64 labels ``(8, 256, 256)``, ``reduction="mean"``; the
same in float64. Both sides use 2 threads (``n_threads=2``, ``torch.set_num_threads(2)``).

Contenders (timed interleaved with ``_harness.compare``, medians, ratio ``peer / skxent``):

* loss: ``categorical_cross_entropy(labels, logits, from_logits=True, axis=1)`` vs
  ``torch.nn.functional.cross_entropy(logits, labels)``;
* loss + gradient: ``return_grad=True`` vs forward + backward of a tensor with
  ``requires_grad`` (its ``.grad`` reset to None each call, so both allocate their gradient);
* what users do today: ``np.moveaxis(logits, 1, -1).reshape(-1, 21)`` (a copy) and the 2-D
  call, timed with its copy;
* ``skxent.special.softmax(x, axis=1)`` vs ``torch.softmax(x, dim=1)`` and
  ``scipy.special.softmax(x, axis=1)``;
* the floor ``np.sum(logits)`` (one read of the input).

Memory: the peak of tracemalloc (which sees NumPy's allocations) during one call, minus the
result's own size where there is one: skxent must stay O(output) (labels, weights, the
gradient), never an ``n x K`` temporary; the copy users make today is one such temporary.

The 2-D overhead figure (``--overhead``): ``categorical_cross_entropy`` on 100 x 10 float64
with integer labels, this checkout against another one (``--before PATH``, default
``/work/main``), run alternately in fresh subprocesses (``--overhead-rounds`` rounds each,
``timeit`` best of 5 x 2000 calls per round; the best and the median round are printed: on a
loaded machine the best round is the one closest to the call's own cost).

The load average is printed before and after (the machine is shared). Results of the committed
run: ``benchmarks/results_nd.txt``.
"""

import argparse
import os
import subprocess
import sys
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _harness import compare, floor, print_table  # noqa: E402

import scipy.special  # noqa: E402

from skxent.losses import categorical_cross_entropy  # noqa: E402
from skxent.special import softmax  # noqa: E402

try:
    import torch
except ImportError:  # the skxent side still runs
    torch = None

SHAPE = (8, 21, 256, 256)
NT = 2


def _load():
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def _peak(f):
    """Peak traced bytes during f() (NumPy allocations included), and f's result."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        out = f()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, out


def run_dtype(dtype, repeats):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE).astype(dtype)
    t = rng.integers(0, SHAPE[1], size=(SHAPE[0],) + SHAPE[2:])
    K = SHAPE[1]

    def sk_loss():
        return categorical_cross_entropy(t, x, from_logits=True, axis=1, n_threads=NT)

    def sk_grad():
        return categorical_cross_entropy(t, x, from_logits=True, axis=1, return_grad=True,
                                         n_threads=NT)

    def copy_loss():
        x2 = np.moveaxis(x, 1, -1).reshape(-1, K)
        return categorical_cross_entropy(t.reshape(-1), x2, from_logits=True, n_threads=NT)

    def copy_grad():
        x2 = np.moveaxis(x, 1, -1).reshape(-1, K)
        loss, g = categorical_cross_entropy(t.reshape(-1), x2, from_logits=True,
                                            return_grad=True, n_threads=NT)
        return loss, np.moveaxis(g.reshape(x.shape[0], *x.shape[2:], K), -1, 1)

    loss_c, grad_c, sm_c = {}, {}, {}
    check = {}
    if torch is not None:
        torch.set_num_threads(NT)
        xt, tt = torch.from_numpy(x), torch.from_numpy(t)
        xg = xt.clone().requires_grad_(True)

        def torch_loss():
            with torch.no_grad():
                return torch.nn.functional.cross_entropy(xt, tt)

        def torch_grad():
            xg.grad = None
            loss = torch.nn.functional.cross_entropy(xg, tt)
            loss.backward()
            return loss, xg.grad

        def torch_softmax():
            return torch.softmax(xt, dim=1)

        loss_c["torch F.cross_entropy"] = torch_loss
        grad_c["torch forward+backward"] = torch_grad
        sm_c["torch.softmax(dim=1)"] = torch_softmax
        lt, gt = torch_grad()
        ls, gs = sk_grad()
        check["loss rel. diff vs torch"] = abs(float(ls) - lt.item()) / abs(lt.item())
        check["grad max abs diff vs torch"] = float(np.max(np.abs(gs - gt.numpy())))
    loss_c = {"skxent": sk_loss, **loss_c, "moveaxis+reshape copy, 2-D call": copy_loss,
              "floor: np.sum(y_pred)": floor(x)}
    grad_c = {"skxent": sk_grad, **grad_c, "moveaxis+reshape copy, 2-D call": copy_grad}
    sm_c = {"skxent": lambda: softmax(x, axis=1, n_threads=NT), **sm_c,
            "scipy.special.softmax(axis=1)": lambda: scipy.special.softmax(x, axis=1)}

    name = np.dtype(dtype).name
    print(f"\n# {name} logits {SHAPE}, axis=1, int64 labels, reduction='mean', "
          f"{NT} threads each  ({_load()})")
    for title, cont in ((f"loss ({name})", loss_c), (f"loss + gradient ({name})", grad_c),
                        (f"softmax along axis 1 ({name})", sm_c)):
        res = compare(cont, repeats=repeats, warmup=1)
        print_table(title, res, baseline="skxent")
    for k, v in check.items():
        print(f"{k}: {v:.3g}")

    # memory: peak traced bytes of one call, minus the returned array's size
    print(f"\n## peak extra memory ({name}; y_pred is {x.nbytes / 2**20:.1f} MiB; "
          "result arrays subtracted)")
    rows = [("skxent loss", sk_loss), ("skxent loss + gradient", sk_grad),
            ("moveaxis+reshape copy, 2-D loss", copy_loss),
            ("moveaxis+reshape copy, 2-D loss + gradient", copy_grad),
            ("skxent softmax(axis=1)", lambda: softmax(x, axis=1, n_threads=NT))]
    for label, f in rows:
        f()
        peak, out = _peak(f)
        arrays = [o for o in (out if isinstance(out, tuple) else (out,))
                  if isinstance(o, np.ndarray) and o.ndim]
        own = sum(o.nbytes for o in arrays)
        print(f"{label:<46} peak {peak / 2**20:9.2f} MiB   extra {(peak - own) / 2**20:9.2f} MiB")


OVERHEAD = r"""
import timeit, numpy as np
from skxent.losses import categorical_cross_entropy as f
rng = np.random.default_rng(0)
x = rng.standard_normal((100, 10)); t = rng.integers(0, 10, 100)
f(t, x, from_logits=True)
print(min(timeit.repeat(lambda: f(t, x, from_logits=True), number=2000, repeat=5)) / 2000)
"""


def overhead(before, rounds=5):
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    times = {"this checkout": [], f"before ({before})": []}
    for _ in range(rounds):
        for label, path in ((f"before ({before})", before), ("this checkout", here)):
            env = dict(os.environ, PYTHONPATH=path)
            out = subprocess.run([sys.executable, "-c", OVERHEAD], env=env, cwd="/",
                                 capture_output=True, text=True, check=True)
            times[label].append(float(out.stdout.strip()))
    print(f"\n## per-call time, categorical_cross_entropy 100 x 10 float64 ({_load()})")
    for label, v in times.items():
        print(f"{label:<34} best {min(v) * 1e6:7.2f} us  median {np.median(v) * 1e6:7.2f} us"
              "   rounds " + " ".join(f"{s * 1e6:.2f}" for s in v))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--float32-only", action="store_true")
    ap.add_argument("--overhead", action="store_true", help="also the 2-D per-call overhead")
    ap.add_argument("--before", default="/work/main", help="checkout to compare overhead with")
    ap.add_argument("--overhead-rounds", type=int, default=10)
    args = ap.parse_args()
    print(f"bench_nd: {_load()}; torch {torch.__version__ if torch else 'missing'}, "
          f"numpy {np.__version__}")
    for dtype in ([np.float32] if args.float32_only else [np.float32, np.float64]):
        run_dtype(dtype, args.repeats)
    if args.overhead:
        overhead(args.before, args.overhead_rounds)
    print(f"\nbench_nd done: {_load()}")


if __name__ == "__main__":
    main()
