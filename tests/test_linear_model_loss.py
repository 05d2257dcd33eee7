"""FusedLinearLoss: objective, gradient and Hessian-vector product against independent formulas.

Design note
-----------
The estimators are only as right as their objective. These tests compute the objective with a
plain NumPy/SciPy formula written from the API text (soft labels, class weights, pos_weight,
label smoothing, sample weights, the ``1 / (C * S)`` penalty, an unpenalised intercept), compare
the fused pass with it, and check the gradient and the Hessian-vector product by central finite
differences, for both links, dense (C, F, strided) and sparse X, float32 and float64, one and two
threads, several block sizes (so block boundaries and the ragged last block are exercised).
"""

import numpy as np
import pytest
from scipy import sparse
from scipy.special import log_expit, log_softmax

from skxent._engine import BINARY, CATEGORICAL
from skxent.linear_model._linear_loss import FusedLinearLoss

FAMILY = {"softmax": CATEGORICAL, "sigmoid": BINARY}


def _softmax_ref(W, b, X, Y, sw, cw, e, C):
    n, K = Y.shape
    Ys = Y * (1 - e) + e / K
    logp = log_softmax(np.asarray(X @ W.T) + b, axis=1)
    loss = -(Ys * cw * logp).sum(1)
    S = np.sum(sw * (Y @ cw))
    return np.sum(sw * loss) / S + np.sum(W * W) / (2 * C * S)


def _sigmoid_ref(W, b, X, Y, sw, pw, e, C):
    z = np.asarray(X @ W.T) + b
    Ys = Y * (1 - e) + e / 2
    loss = -(pw * Ys * log_expit(z) + (1 - Ys) * log_expit(-z)).sum(1)
    S = np.sum(sw)
    return np.sum(sw * loss) / S + np.sum(W * W) / (2 * C * S)


def _problem(link, *, soft, weighted, layout, dtype, seed=0, n=157, d=7, K=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if link == "softmax":
        if soft:
            Y = rng.dirichlet(np.ones(K), size=n)
            Y[:5] *= 0.7  # rows that do not sum to one: the exact gradient is needed
        else:
            yi = rng.integers(0, K, n)
            Y = np.eye(K)[yi]
    else:
        Y = rng.random((n, K)) if soft else (rng.random((n, K)) < 0.3).astype(float)
    sw = rng.uniform(0.2, 2.0, n) if weighted else np.ones(n)
    if weighted:
        sw[3] = 0.0
    ext = rng.uniform(0.5, 3.0, K) if weighted else np.ones(K)
    Xd = X.astype(dtype)
    if layout == "F":
        Xd = np.asfortranarray(Xd)
    elif layout == "strided":
        Xd = np.repeat(Xd, 2, axis=1)[:, ::2]
    elif layout == "csr":
        Xd[np.abs(X) < 0.8] = 0
        X = Xd.astype(np.float64)
        Xd = sparse.csr_matrix(Xd)
    if link == "softmax":
        y_arg = Y.astype(dtype) if soft else yi.astype(np.int64)
    else:
        y_arg = Y.astype(dtype)
    return X, Xd, Y, y_arg, sw, ext


CASES = [
    ("softmax", False, False),
    ("softmax", False, True),
    ("softmax", True, True),
    ("sigmoid", False, False),
    ("sigmoid", True, True),
]


@pytest.mark.parametrize("link, soft, weighted", CASES)
@pytest.mark.parametrize("layout", ["C", "F", "strided", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_objective_matches_formula_and_gradient_matches_finite_differences(
    link, soft, weighted, layout, dtype, n_threads, fit_intercept
):
    X, Xd, Y, y_arg, sw, ext = _problem(
        link, soft=soft, weighted=weighted, layout=layout, dtype=dtype
    )
    e, C, K = 0.1, 0.7, Y.shape[1]
    kw = dict(class_weight=ext.astype(dtype)) if link == "softmax" else dict(
        pos_weight=ext.astype(dtype)
    )
    loss = FusedLinearLoss(
        Xd, y_arg, family=FAMILY[link], n_outputs=K, fit_intercept=fit_intercept,
        sample_weight=sw.astype(dtype) if weighted else None, label_smoothing=e, C=C,
        n_threads=n_threads, block_rows=40, **kw,
    )
    assert len(loss.blocks) == 4  # 157 rows: three full blocks and a ragged one
    rng = np.random.default_rng(1)
    coef = rng.standard_normal(loss.n_dof * K) * 0.3
    W, b = loss.weight_intercept(coef)
    ref = _softmax_ref if link == "softmax" else _sigmoid_ref
    f_ref = ref(W, b, X, Y, sw, ext, e, C)
    f, g = loss.loss_gradient(coef, store_hessian=True)
    rtol = 1e-12 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(f, f_ref, rtol=rtol)

    # Gradient and Hessian-vector product by central differences of the float64 formula.
    h = 1e-6
    for _ in range(3):
        v = rng.standard_normal(coef.size)
        Wp, bp = loss.weight_intercept(coef + h * v)
        Wm, bm = loss.weight_intercept(coef - h * v)
        fd = (ref(Wp, bp, X, Y, sw, ext, e, C) - ref(Wm, bm, X, Y, sw, ext, e, C)) / (2 * h)
        tol = 1e-6 if dtype == np.float64 else 1e-4
        np.testing.assert_allclose(g @ v, fd, rtol=tol, atol=tol * np.abs(g).sum())
        Hv = loss.hessp(v)
        _, gp = loss.loss_gradient(coef + h * v)
        _, gm = loss.loss_gradient(coef - h * v)
        fdh = (gp - gm) / (2 * h)
        if dtype == np.float64:
            np.testing.assert_allclose(Hv, fdh, rtol=1e-5, atol=1e-7 * np.abs(Hv).max())
        else:
            # float32 gradients are too coarse for differences; compare with float64 Hessian.
            loss64 = FusedLinearLoss(
                Xd.astype(np.float64), y_arg.astype(np.float64) if y_arg.ndim == 2 else y_arg,
                family=FAMILY[link], n_outputs=K, fit_intercept=fit_intercept,
                sample_weight=sw if weighted else None, label_smoothing=e, C=C,
                **{k: val.astype(np.float64) for k, val in kw.items()},
            )
            loss64.loss_gradient(coef, store_hessian=True)
            np.testing.assert_allclose(Hv, loss64.hessp(v), rtol=1e-4,
                                       atol=1e-5 * np.abs(Hv).max())
        # (p . H p) > 0: the penalised objective is strictly convex in W.
        assert v @ Hv > 0
    loss.close()


@pytest.mark.parametrize("link", ["softmax", "sigmoid"])
def test_results_are_bit_identical_for_every_n_threads_and_block_assignment(link):
    X, Xd, Y, y_arg, sw, ext = _problem(link, soft=False, weighted=True, layout="C",
                                        dtype=np.float64, n=1000)
    coef = np.random.default_rng(2).standard_normal(8 * 4) * 0.2
    out = []
    for nt in [1, 2, 3]:
        loss = FusedLinearLoss(Xd, y_arg, family=FAMILY[link], n_outputs=4, fit_intercept=True,
                               sample_weight=sw, n_threads=nt, block_rows=64)
        f, g = loss.loss_gradient(coef, store_hessian=True)
        out.append((f, g, loss.hessp(coef)))
        loss.close()
    for f, g, hv in out[1:]:
        assert f == out[0][0]
        np.testing.assert_array_equal(g, out[0][1])
        np.testing.assert_array_equal(hv, out[0][2])


def test_zero_total_weight_raises():
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="sum of the sample weights"):
        FusedLinearLoss(X, np.array([0, 1, 0]), family=CATEGORICAL, n_outputs=2,
                        fit_intercept=True, sample_weight=np.zeros(3))
