"""N-D inputs with a class axis: every family, every layout, no copy of ``y_pred``.

The reference for each N-D result is the same call on the 2-D problem the N-D one stands for:
``np.moveaxis(y_pred, axis, -1).reshape(-1, K)`` (one row per position other than the class
axis), with the labels and weights flattened the same way. Values agree to float rounding
(per-position losses, gradients and Hessians exactly, reductions to the rounding of a sum in
another order); ``n_threads`` does not change a bit. ``y_pred`` is never copied: the kernels
read the moved view in place (checked on the arrays handed to the bindings, and with a bounded
tracemalloc peak on a large input).
"""

import tracemalloc

import numpy as np
import pytest

from skxent import _core, _engine
from skxent.losses import binary_cross_entropy, categorical_cross_entropy, kl_divergence
from skxent.special import log_softmax, logsumexp, softmax

DTYPES = [np.float32, np.float64]
REDUCTIONS = ["mean", "sum", "none", "sum_over_batch_size", "sum_by_nonzero_weights"]
LAYOUTS = ["C", "F", "sliced", "negative", "broadcast", "readonly"]
# (shape, class axis): axis 0, 1, -1, the middle of 3-D and 4-D
CASES = [((5, 4, 6), 0), ((4, 5, 6), 1), ((4, 6, 5), -1), ((3, 5, 4, 6), 1), ((3, 4, 5, 6), 2),
         ((6, 5), 0)]


def _layout(a, layout):
    """``a``'s values in the given memory layout (the same values, other strides)."""
    if layout == "C":
        return np.ascontiguousarray(a)
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "sliced":
        big = np.zeros(tuple(2 * d + 1 for d in a.shape), dtype=a.dtype)
        idx = tuple(slice(1, None, 2) for _ in a.shape)
        big[idx] = a
        return big[idx]
    if layout == "negative":
        flip = tuple(slice(None, None, -1) for _ in a.shape)
        return np.ascontiguousarray(a[flip])[flip]
    if layout == "readonly":
        a = np.array(a)
        a.flags.writeable = False
        return a
    raise ValueError(layout)


def _logits(rng, shape, dtype, layout, axis):
    if layout == "broadcast":
        # one sample axis (not the class axis) of length 1 broadcast: zero strides
        b = [d for d in range(len(shape)) if d != axis % len(shape)][0]
        small = list(shape)
        small[b] = 1
        return np.broadcast_to(3 * rng.standard_normal(small).astype(dtype), shape)
    return _layout(3 * rng.standard_normal(shape).astype(dtype), layout)


def _to2d(a, axis):
    a = np.asarray(a)
    return np.moveaxis(a, axis, -1).reshape(-1, a.shape[axis])


def _close(a, b, dtype, rtol=None):
    rtol = rtol or (2e-6 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                               rtol=rtol, atol=rtol * 1e-3)


def _soft(rng, shape, axis, dtype):
    y = rng.random(shape) ** 3
    y /= y.sum(axis=axis, keepdims=True)
    return y.astype(dtype)


def _check_outputs(out, ref, shape, axis, dtype, reduction):
    """N-D call ``out`` against the 2-D call ``ref``, outputs brought to the 2-D layout."""
    if not isinstance(out, tuple):
        out, ref = (out,), (ref,)
    K = shape[axis]
    if reduction == "none":
        assert out[0].shape == tuple(d for j, d in enumerate(shape) if j != axis % len(shape))
        _close(out[0].reshape(-1), ref[0], dtype)
    else:
        assert np.ndim(out[0]) == 0 and out[0].dtype == dtype
        _close(out[0], ref[0], dtype)
    for o, r in zip(out[1:], ref[1:]):
        assert o.shape == shape and o.dtype == dtype
        _close(_to2d(o, axis), r.reshape(-1, K), dtype)


# ------------------------------------------------------------------ categorical


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape, axis", CASES)
def test_categorical_nd_equals_the_2d_problem_for_every_layout(shape, axis, layout, dtype):
    rng = np.random.default_rng(1)
    x = _logits(rng, shape, dtype, layout, axis)
    K = shape[axis]
    sshape = tuple(d for j, d in enumerate(shape) if j != axis % len(shape))
    t = rng.integers(0, K, size=sshape)
    x2, t2 = _to2d(x, axis), t.reshape(-1)
    for red in ("mean", "none"):
        out = categorical_cross_entropy(t, x, from_logits=True, axis=axis, reduction=red,
                                        return_hess=True)
        ref = categorical_cross_entropy(t2, x2, from_logits=True, reduction=red,
                                        return_hess=True)
        _check_outputs(out, ref, shape, axis, dtype, red)
    y = _layout(_soft(rng, shape, axis, dtype), "F" if layout == "C" else "C")
    out = categorical_cross_entropy(y, x, from_logits=True, axis=axis, reduction="sum",
                                    return_grad=True)
    ref = categorical_cross_entropy(_to2d(y, axis), x2, from_logits=True, reduction="sum",
                                    return_grad=True)
    _check_outputs(out, ref, shape, axis, dtype, "sum")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("option", ["sample_weight", "first_axis_weight", "class_weight",
                                    "ignore_index", "label_smoothing", "focal_gamma",
                                    "probabilities", "soft_focal"])
def test_categorical_nd_options_match_the_2d_problem(option, reduction, dtype):
    rng = np.random.default_rng(2)
    shape, axis = (3, 5, 4, 6), 1
    K, sshape = 5, (3, 4, 6)
    x = _layout(3 * rng.standard_normal(shape).astype(dtype), "sliced")
    t = rng.integers(0, K, size=sshape)
    y, y2 = t, t.reshape(-1)
    kw, kw2 = {"from_logits": True}, {"from_logits": True}
    if option == "sample_weight":
        w = rng.random(sshape)
        kw["sample_weight"], kw2["sample_weight"] = w, w.reshape(-1)
    elif option == "first_axis_weight":
        w = rng.random(3)
        kw["sample_weight"], kw2["sample_weight"] = w, np.repeat(w, 24)
    elif option == "class_weight":
        kw["class_weight"] = kw2["class_weight"] = rng.random(K) + 0.1
    elif option == "ignore_index":
        t = np.where(rng.random(sshape) < 0.3, -100, t)
        y, y2 = t, t.reshape(-1)
        kw["ignore_index"] = kw2["ignore_index"] = -100
    elif option == "label_smoothing":
        kw["label_smoothing"] = kw2["label_smoothing"] = 0.1
    elif option == "focal_gamma":
        kw["focal_gamma"] = kw2["focal_gamma"] = 2.0
    elif option == "probabilities":
        x = np.moveaxis(np.moveaxis(softmax(x, axis=1), 1, -1)[..., ::-1], -1, 1)
        kw["from_logits"] = kw2["from_logits"] = False
    elif option == "soft_focal":
        y = _soft(rng, shape, axis, dtype)
        y2 = _to2d(y, axis)
        kw["focal_gamma"] = kw2["focal_gamma"] = 1.5
    x2 = _to2d(x, axis)
    hess = kw["from_logits"]
    out = categorical_cross_entropy(y, x, axis=axis, reduction=reduction, return_grad=True,
                                    return_hess=hess, **kw)
    ref = categorical_cross_entropy(y2, x2, reduction=reduction, return_grad=True,
                                    return_hess=hess, **kw2)
    _check_outputs(out, ref, shape, axis, dtype, reduction)


def test_pytorch_port_cross_entropy_nchw_is_axis_1():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 5, 3))
    t = rng.integers(0, 4, size=(2, 5, 3))
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(xt, torch.tensor(t))
    ref.backward()
    loss, grad = categorical_cross_entropy(t, x, from_logits=True, axis=1, return_grad=True)
    np.testing.assert_allclose(loss, ref.item(), rtol=1e-12)
    np.testing.assert_allclose(grad, xt.grad.numpy(), rtol=1e-10, atol=1e-15)


# ------------------------------------------------------------------ KL, binary, special


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["C", "F", "sliced", "negative"])
@pytest.mark.parametrize("shape, axis", CASES)
@pytest.mark.parametrize("from_logits", [True, False])
def test_kl_nd_equals_the_2d_problem(shape, axis, layout, dtype, from_logits):
    rng = np.random.default_rng(4)
    y = _layout(_soft(rng, shape, axis, dtype), layout)
    x = _logits(rng, shape, dtype, layout, axis)
    if not from_logits:
        x = _layout(softmax(x, axis=axis), layout)
    w = rng.random(shape[0])
    for red in ("mean", "none"):
        out = kl_divergence(y, x, from_logits=from_logits, axis=axis, reduction=red,
                            return_grad=True, sample_weight=w if axis % len(shape) else None)
        sw2 = np.repeat(w, x.size // shape[axis] // shape[0]) if axis % len(shape) else None
        ref = kl_divergence(_to2d(y, axis), _to2d(x, axis), from_logits=from_logits,
                            reduction=red, return_grad=True, sample_weight=sw2)
        _check_outputs(out, ref, shape, axis, dtype, red)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape", [(4, 5, 6), (3, 4, 5, 6)])
def test_binary_nd_equals_the_2d_problem(shape, layout, dtype):
    rng = np.random.default_rng(5)
    x = _logits(rng, shape, dtype, layout, -1)
    y = _layout((rng.random(shape) < 0.4).astype(dtype), "F")
    L = shape[-1]
    w = rng.random(shape[0])
    where = rng.random(shape[1:]) < 0.8            # broadcast over the first axis
    pw = rng.random(L) + 0.5
    for red in REDUCTIONS:
        out = binary_cross_entropy(y, x, from_logits=True, sample_weight=w, where=where,
                                   pos_weight=pw, reduction=red, return_hess=True)
        ref = binary_cross_entropy(
            y.reshape(-1, L), np.asarray(x).reshape(-1, L), from_logits=True,
            sample_weight=np.repeat(w, x.size // L // shape[0]),
            where=np.broadcast_to(where, shape).reshape(-1, L), pos_weight=pw, reduction=red,
            return_hess=True)
        if red == "none":
            assert out[0].shape == shape
        _close(np.reshape(out[0], -1), np.reshape(ref[0], -1), dtype)
        for o, r in zip(out[1:], ref[1:]):
            assert o.shape == shape
            _close(o.reshape(-1, L), r, dtype)
    # one weight per element, probabilities
    we = rng.random(shape)
    p = 1 / (1 + np.exp(-np.asarray(x, dtype=np.float64)))
    p = _layout(p.astype(dtype), "C" if layout == "broadcast" else layout)
    out = binary_cross_entropy(y, p, from_logits=False, sample_weight=we, reduction="none")
    ref = binary_cross_entropy(y.reshape(-1, L), p.reshape(-1, L), from_logits=False,
                               sample_weight=we.reshape(-1, L), reduction="none")
    _close(out.reshape(-1, L), ref, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape, axis", CASES)
def test_special_nd_along_axis_equals_the_2d_rows(shape, axis, layout, dtype):
    rng = np.random.default_rng(6)
    x = _logits(rng, shape, dtype, layout, axis)
    x2 = _to2d(x, axis)
    for f in (softmax, log_softmax):
        out = f(x, axis=axis)
        assert out.shape == shape and out.dtype == dtype
        np.testing.assert_array_equal(_to2d(out, axis), f(x2))
    lse = logsumexp(x, axis=axis)
    assert lse.shape == tuple(d for j, d in enumerate(shape) if j != axis % len(shape))
    np.testing.assert_array_equal(lse.reshape(-1), logsumexp(x2))


def test_special_nd_matches_scipy():
    sp = pytest.importorskip("scipy.special")
    rng = np.random.default_rng(7)
    x = 5 * rng.standard_normal((3, 4, 5, 2))
    for ax in range(-4, 4):
        np.testing.assert_allclose(softmax(x, axis=ax), sp.softmax(x, axis=ax), rtol=1e-14)
        np.testing.assert_allclose(log_softmax(x, axis=ax), sp.log_softmax(x, axis=ax),
                                   rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(logsumexp(x, axis=ax), sp.logsumexp(x, axis=ax), rtol=1e-14)


def test_outputs_of_y_pred_shape_keep_its_memory_layout():
    x = np.zeros((2, 3, 4, 5), dtype=np.float32)
    t = np.zeros((2, 4, 5), dtype=np.int64)
    _, g, h = categorical_cross_entropy(t, x, from_logits=True, axis=1, return_hess=True)
    assert g.flags.c_contiguous and h.flags.c_contiguous
    xf = np.asfortranarray(x)
    _, g = categorical_cross_entropy(t, xf, from_logits=True, axis=1, return_grad=True)
    assert g.flags.f_contiguous
    assert softmax(x, axis=1).flags.c_contiguous and softmax(xf, axis=1).flags.f_contiguous


# ------------------------------------------------------------------ threads, no copy


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["C", "sliced"])
def test_nd_results_are_bit_identical_for_any_n_threads(layout, dtype):
    rng = np.random.default_rng(8)
    shape = (3, 7, 80, 100)  # 168 000 elements: two threads, many chunks and segments
    x = _layout(3 * rng.standard_normal(shape).astype(dtype), layout)
    t = rng.integers(0, 7, size=(3, 80, 100))
    y = _soft(rng, shape, 1, dtype)
    runs = []
    for nt in (1, 2):
        runs.append([
            *categorical_cross_entropy(t, x, from_logits=True, axis=1, return_hess=True,
                                       n_threads=nt),
            *categorical_cross_entropy(y, x, from_logits=True, axis=1, reduction="none",
                                       return_grad=True, n_threads=nt),
            *kl_divergence(y, x, from_logits=True, axis=1, return_grad=True, n_threads=nt),
            softmax(x, axis=1, n_threads=nt), logsumexp(x, axis=1, n_threads=nt),
            *binary_cross_entropy(y, x, from_logits=True, return_grad=True, n_threads=nt),
        ])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    ref = categorical_cross_entropy(t.reshape(-1), _to2d(x, 1), from_logits=True)
    _close(runs[0][0], ref, dtype)


def test_y_pred_reaches_the_kernels_as_a_view(monkeypatch):
    seen = {}
    for name in ("cce", "kl", "rows"):
        orig = getattr(_core, name)

        def spy(x, *args, _orig=orig, _name=name, **kw):
            seen[_name] = (x, kw.get("y"), args)
            return _orig(x, *args, **kw)
        monkeypatch.setattr(_core, name, spy)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 5, 4, 6))[:, :, ::-1, ::2]
    y = _soft(rng, x.shape, 1, np.float64)
    categorical_cross_entropy(y, x, from_logits=True, axis=1)
    assert np.shares_memory(seen["cce"][0], x) and np.shares_memory(seen["cce"][1], y)
    kl_divergence(y, x, from_logits=True, axis=1)
    assert np.shares_memory(seen["kl"][0], x)
    softmax(x, axis=1)
    assert np.shares_memory(seen["rows"][0], x)


def test_no_n_by_k_temporary_for_a_large_strided_y_pred():
    rng = np.random.default_rng(10)
    base = rng.standard_normal((4, 10, 128, 256)).astype(np.float32)
    x = base[:, :, :, ::2]                      # (4, 10, 128, 128), not contiguous
    t = rng.integers(0, 10, size=(4, 128, 128))
    categorical_cross_entropy(t, x, from_logits=True, axis=1)   # warm-up (workspaces)
    tracemalloc.start()
    try:
        loss = categorical_cross_entropy(t, x, from_logits=True, axis=1)
        peak_loss = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        _, g = categorical_cross_entropy(t, x, from_logits=True, axis=1, return_grad=True)
        peak_grad = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.isfinite(loss)
    assert peak_loss < x.nbytes / 8          # labels and weights are O(n); y_pred is not copied
    assert peak_grad < x.nbytes * 1.2        # the gradient itself, nothing of its size more
    assert g.shape == x.shape


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("call, exc, match", [
    (lambda x, t: categorical_cross_entropy(t, x, from_logits=True, axis=4), ValueError,
     "axis 4 is out of range"),
    (lambda x, t: categorical_cross_entropy(t, x, from_logits=True, axis=-5), ValueError,
     "axis -5 is out of range"),
    (lambda x, t: categorical_cross_entropy(t, x, from_logits=True, axis=1.0), TypeError,
     "axis must be an int"),
    (lambda x, t: categorical_cross_entropy(t, x, from_logits=True, axis=2), ValueError,
     "y_true: shape"),
    (lambda x, t: categorical_cross_entropy(t[:, :2], x, from_logits=True, axis=1), ValueError,
     "y_true: shape"),
    (lambda x, t: categorical_cross_entropy(t + 5, x, from_logits=True, axis=1), ValueError,
     r"y_true: label 5 at position \(0, 0, 0\)"),
    (lambda x, t: categorical_cross_entropy(t, x, from_logits=True, axis=1,
                                            sample_weight=np.ones(4)), ValueError,
     "sample_weight: shape"),
    (lambda x, t: categorical_cross_entropy(np.ones(x.shape), x, from_logits=True, axis=1,
                                            ignore_index=0), ValueError, "ignore_index"),
    (lambda x, t: categorical_cross_entropy(t, x[:, :, 0, 0][..., None, None].repeat(0, 2),
                                            from_logits=True, axis=1), ValueError, "y_true"),
    (lambda x, t: kl_divergence(np.ones((2, 3)), x, from_logits=True, axis=1), ValueError,
     "y_true: shape"),
    (lambda x, t: kl_divergence(np.full(x.shape, 2.0), x, from_logits=True, axis=1),
     ValueError, r"y_true: value 2.0 at position \(0, 0, 0, 0\)"),
    (lambda x, t: softmax(x, axis=4), ValueError, "axis 4 is out of range"),
    (lambda x, t: logsumexp(x, axis=True), TypeError, "axis must be an int"),
    (lambda x, t: binary_cross_entropy(np.ones(x.shape), x, from_logits=True,
                                       sample_weight=np.ones((3, 3))), ValueError,
     "sample_weight: shape"),
    (lambda x, t: binary_cross_entropy(np.ones(x.shape[:3]), x, from_logits=True),
     ValueError, "y_true: shape"),
])
def test_bad_nd_input_raises_naming_the_argument(call, exc, match):
    x = np.zeros((2, 3, 4, 5))
    t = np.zeros((2, 4, 5), dtype=np.int64)
    with pytest.raises(exc, match=match):
        call(x, t)


def test_probability_position_is_reported_in_the_callers_layout():
    p = np.full((2, 3, 4), 1 / 3)
    p[1, 2, 3] = 1.5
    with pytest.raises(ValueError, match=r"y_pred: value 1.5 at position \(1, 2, 3\)"):
        categorical_cross_entropy(np.zeros((2, 4), dtype=int), p, from_logits=False, axis=1)
