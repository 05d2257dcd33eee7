"""N-D dask arrays in the losses: chunked along the first axis, the class axis in one chunk.

Design note
-----------
The Dask backend runs the in-memory family on each row chunk (the same ``prepare`` with the
same ``axis``) and adds the chunks' partial sums, so every N-D option the in-memory path takes
works on dask arrays with no code of its own: these tests pin that the dask result equals the
in-memory one on the computed arrays (reduced losses to 1e-12 relative, per-sample losses,
gradients and Hessians as lazy arrays with ``y_pred``'s chunks), for the PyTorch layout
``(N, C, H, W)`` with ``axis=1``, a middle and the last axis, integer and soft labels, both
``sample_weight`` forms, the binary family elementwise with a mask, and KL. A class axis that
is the chunked first axis is an error naming ``axis``. Local synchronous scheduler, small arrays.
"""

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

from skxent.losses import (  # noqa: E402
    binary_cross_entropy,
    categorical_cross_entropy,
    kl_divergence,
)

REDUCTIONS = ["mean", "sum", "sum_over_batch_size", "sum_by_nonzero_weights", "none"]
CHUNKS = (3, 1, 4)  # rows of the first axis per chunk (N = 8)


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


def _dask(a):
    return da.from_array(a, chunks=(CHUNKS,) + tuple((s,) for s in a.shape[1:]))


def _softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _compare(got, want):
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if isinstance(g, da.Array):
            assert g.shape == w.shape
            g = g.compute()
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("axis", [1, 2, -1])
@pytest.mark.parametrize("labels", ["integer", "soft"])
@pytest.mark.parametrize("weights", [None, "samples", "first_axis"])
def test_categorical_nd_dask_equals_in_memory(reduction, axis, labels, weights):
    rng = np.random.default_rng(0)
    shape = (8, 4, 3, 5)
    z = rng.standard_normal(shape)
    K = shape[axis]
    sample_shape = tuple(d for j, d in enumerate(shape) if j != axis % 4)
    y = rng.integers(0, K, sample_shape) if labels == "integer" else _softmax(
        rng.standard_normal(shape), axis)
    sw = {None: None, "samples": rng.random(sample_shape), "first_axis": rng.random(8)}[weights]
    kw = dict(from_logits=True, axis=axis, reduction=reduction, return_hess=True,
              label_smoothing=0.1)
    want = categorical_cross_entropy(y, z, sample_weight=sw, **kw)
    got = categorical_cross_entropy(_dask(y), _dask(z), sample_weight=sw, **kw)
    _compare(got, want)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_nd_dask_equals_in_memory_with_a_mask(reduction):
    rng = np.random.default_rng(1)
    shape = (8, 3, 4)
    z = rng.standard_normal(shape)
    y = (rng.random(shape) < 0.4).astype(float)
    where = rng.random(shape) < 0.8
    y[~where] = np.nan  # missing labels
    sw = rng.random(8)
    kw = dict(from_logits=True, reduction=reduction, return_grad=True, focal_gamma=2.0)
    want = binary_cross_entropy(y, z, where=where, sample_weight=sw, **kw)
    got = binary_cross_entropy(_dask(y), _dask(z), where=_dask(where), sample_weight=sw, **kw)
    _compare(got, want)


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("axis", [1, -1])
def test_kl_nd_dask_equals_in_memory(reduction, axis):
    rng = np.random.default_rng(2)
    shape = (8, 6, 5)
    teacher = _softmax(rng.standard_normal(shape), axis)
    student = rng.standard_normal(shape)
    kw = dict(from_logits=True, temperature=2.0, axis=axis, reduction=reduction,
              return_grad=True)
    want = kl_divergence(teacher, student, **kw)
    got = kl_divergence(_dask(teacher), _dask(student), **kw)
    _compare(got, want)


def test_class_axis_on_the_chunked_first_axis_is_an_error_naming_axis():
    z = np.zeros((8, 4, 3))
    t = np.zeros((4, 3), dtype=np.int64)
    with pytest.raises(ValueError, match="axis=0"):
        categorical_cross_entropy(t, _dask(z), from_logits=True, axis=0)


def test_axis_out_of_range_on_dask_is_an_error_naming_axis():
    z = np.zeros((8, 4, 3))
    with pytest.raises(ValueError, match="axis"):
        categorical_cross_entropy(np.zeros((8, 4), dtype=np.int64), _dask(z),
                                  from_logits=True, axis=3)
