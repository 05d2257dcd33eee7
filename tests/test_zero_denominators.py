"""A reduction whose denominator is 0 gives loss 0 and a gradient of exactly 0.

Design note
-----------
The API's convention (TensorFlow's and Keras's ``divide_no_nan``): an empty batch, all sample
weights 0, every sample ignored, or a zero total class weight make the denominator of a
reduction 0; the reduced loss is then 0 and its gradient exactly 0, never NaN or inf, for every
reduction and every loss family (PyTorch's "mean" gives NaN there, which poisons a training
loop). Parametrised over the engine's registry and the reductions; the metrics that scikit-learn
does not define otherwise (``multilabel_log_loss``) follow it too, in memory and on Dask.
"""

import warnings

import numpy as np
import pytest

from skxent import _engine
from skxent.losses import binary_cross_entropy, categorical_cross_entropy, kl_divergence
from skxent.metrics import log_loss, multilabel_log_loss

REDUCTIONS = [r for r in _engine.REDUCTIONS if r != "none"]
#: The public function of each family of the registry.
PUBLIC = {"categorical": categorical_cross_entropy, "binary": binary_cross_entropy,
          "kl_divergence": kl_divergence}


def _labels(family, n, K):
    if family.integer_labels:
        return np.arange(n) % K
    return np.ones((n, K)) * 0.5


@pytest.fixture(params=sorted(_engine.FAMILIES))
def family(request):
    return _engine.FAMILIES[request.param]


def test_every_family_has_a_public_function():
    assert set(PUBLIC) == set(_engine.FAMILIES)


def _check_zero(loss, grad, shape, dtype):
    assert loss == 0 and not np.signbit(loss) and np.asarray(loss).dtype == dtype
    assert grad.shape == shape and grad.dtype == dtype
    assert np.all(grad == 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_empty_batch_gives_zero_loss_and_zero_gradient(family, reduction, dtype):
    fn = PUBLIC[family.name]
    z = np.zeros((0, 3), dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grad = fn(_labels(family, 0, 3), z, from_logits=True, reduction=reduction,
                        return_grad=True)
    _check_zero(loss, grad, z.shape, dtype)


@pytest.mark.parametrize("reduction", ["mean", "sum_by_nonzero_weights"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_all_weights_zero_gives_zero_loss_and_zero_gradient(family, reduction, smoothing):
    if smoothing and not family.smoothing:
        pytest.skip("the family takes no label_smoothing")
    fn = PUBLIC[family.name]
    z = np.random.default_rng(0).standard_normal((5, 3))
    smooth = {"label_smoothing": smoothing} if family.smoothing else {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grad = fn(_labels(family, 5, 3), z, from_logits=True, sample_weight=np.zeros(5),
                        reduction=reduction, return_grad=True, **smooth)
    _check_zero(loss, grad, z.shape, np.float64)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_every_sample_ignored_gives_zero_loss_and_zero_gradient(reduction):
    z = np.random.default_rng(1).standard_normal((4, 3))
    loss, grad = categorical_cross_entropy(np.full(4, -100), z, from_logits=True,
                                           ignore_index=-100, reduction=reduction,
                                           return_grad=True)
    _check_zero(loss, grad, z.shape, np.float64)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_zero_total_class_weight_gives_zero_mean_not_inf(smoothing):
    # labels only of class 0, whose weight is 0: sum(w) = 0 while the smoothed terms of the
    # other classes are not (they used to give inf)
    z = np.random.default_rng(2).standard_normal((6, 3))
    loss, grad = categorical_cross_entropy(np.zeros(6, dtype=int), z, from_logits=True,
                                           class_weight=[0.0, 1.0, 2.0],
                                           label_smoothing=smoothing, return_grad=True)
    _check_zero(loss, grad, z.shape, np.float64)


def test_nan_logits_of_zero_weight_samples_do_not_leak_into_a_zero_denominator():
    z = np.array([[np.nan, 0.0], [1.0, 2.0]])
    loss, grad = categorical_cross_entropy([0, 1], z, from_logits=True,
                                           sample_weight=[0.0, 0.0], return_grad=True)
    _check_zero(loss, grad, z.shape, np.float64)


@pytest.mark.parametrize("metric", ["log_loss", "multilabel_log_loss"])
def test_metrics_keep_scikit_learns_error_for_all_zero_weights(metric):
    # scikit-learn defines this case (its weight check raises), so the metrics do too
    y = np.array([[1, 0], [0, 1]]) if metric == "multilabel_log_loss" else [0, 1]
    p = np.array([[0.9, 0.2], [0.4, 0.7]])
    fn = multilabel_log_loss if metric == "multilabel_log_loss" else log_loss
    with pytest.raises(ValueError, match="at least one non-zero"):
        fn(y, p if metric == "multilabel_log_loss" else p / p.sum(1, keepdims=True),
           sample_weight=[0.0, 0.0])


def test_dask_reductions_follow_the_same_convention():
    da = pytest.importorskip("dask.array")
    import dask

    z = np.random.default_rng(3).standard_normal((8, 3))
    y = np.arange(8) % 3
    with dask.config.set(scheduler="synchronous"):
        loss, grad = categorical_cross_entropy(
            da.from_array(y, chunks=4), da.from_array(z, chunks=(4, 3)), from_logits=True,
            sample_weight=da.zeros(8, chunks=4), return_grad=True)
        grad = grad.compute()
    _check_zero(loss, grad, z.shape, np.float64)


def test_dask_multilabel_log_loss_accepts_a_chunk_of_zero_weights():
    # a chunk whose weights are all 0 is fine when the total weight is not (it used to raise
    # the in-memory "at least one non-zero" error for that chunk alone)
    da = pytest.importorskip("dask.array")
    import dask

    rng = np.random.default_rng(4)
    y, p = (rng.random((8, 3)) < 0.5).astype(float), rng.uniform(0.05, 0.95, (8, 3))
    w = np.r_[np.zeros(4), np.ones(4)]
    expected = multilabel_log_loss(y, p, sample_weight=w)
    with dask.config.set(scheduler="synchronous"):
        got = multilabel_log_loss(da.from_array(y, chunks=(4, 3)), da.from_array(p, chunks=(4, 3)),
                                  sample_weight=da.from_array(w, chunks=4))
        with pytest.raises(ValueError, match="at least one non-zero"):
            multilabel_log_loss(da.from_array(y, chunks=(4, 3)), da.from_array(p, chunks=(4, 3)),
                                sample_weight=da.zeros(8, chunks=4))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
