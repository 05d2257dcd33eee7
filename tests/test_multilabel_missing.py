"""MultiLabelLogistic with missing labels (NaN in Y).

Design note
-----------
The contract: NaN in ``Y`` leaves that (sample, label) out of the objective, and label ``j`` is
then exactly ``LogisticRegression(C=C)`` fitted on the rows where it is observed (its own
normaliser ``S_j``). So every test here compares with scikit-learn's own estimator, fitted label
by label on the observed rows, at a tight tolerance (float64 data; float32 data against the
float64 reference at float32's resolution), or compares the objective object with the same
objective built on each label's observed rows alone. Both objective paths (the fused C pass,
which takes the mask, and the BLAS path), both solvers, dense and CSR ``X``, float32 and
float64, sample weights, ``pos_weight="balanced"`` (counted on the observed rows: scikit-
learn's ``class_weight={0: 1, 1: n_neg / n_pos}``), the path that minimises the sum of the
labels' objectives (many labels / newton-cg), dask arrays on the local scheduler, and the
errors of labels that cannot be fitted.
"""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from skxent.linear_model import MultiLabelLogistic
from skxent.linear_model import _base, _linear_loss
from skxent.linear_model._linear_loss import FusedLinearLoss
from skxent._engine import BINARY

C = 0.5
TIGHT = dict(tol=1e-10, max_iter=1000)


def _data(n=300, p=6, L=4, frac=0.3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    W = rng.standard_normal((L, p))
    Y = (rng.random((n, L)) < 1 / (1 + np.exp(-(X @ W.T + 0.3)))).astype(np.float64)
    Y[rng.random((n, L)) < frac] = np.nan
    sw = rng.uniform(0.5, 2.0, n)
    return X, Y, sw


def _reference(X, Y, sw=None, pos_weight=None):
    """scikit-learn's LogisticRegression, label by label on the observed rows (float64)."""
    coef, icpt = [], []
    for j in range(Y.shape[1]):
        o = ~np.isnan(Y[:, j])
        cw = None if pos_weight is None else {0: 1.0, 1: float(pos_weight[j])}
        r = LogisticRegression(C=C, class_weight=cw, **TIGHT).fit(
            X[o], Y[o, j], sample_weight=None if sw is None else sw[o])
        coef.append(r.coef_[0])
        icpt.append(r.intercept_[0])
    return np.array(coef), np.array(icpt)


def _layout(X, layout, dtype):
    X = X.astype(dtype)
    return sparse.csr_matrix(X) if layout == "csr" else X


@pytest.fixture(params=["fused", "blas"])
def objective_path(request, monkeypatch):
    """The fused C pass (where it runs the shape), or the BLAS path forced."""
    if request.param == "blas":
        monkeypatch.setattr(_linear_loss, "_use_fused", lambda X, n_outputs: False)
    elif not getattr(_linear_loss._fused, "HAVE_FUSED", False):
        pytest.skip("no fused pass in this build")
    return request.param


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_each_label_equals_logistic_regression_on_its_observed_rows(solver, layout, dtype,
                                                                     objective_path):
    X, Y, sw = _data()
    ref_coef, ref_icpt = _reference(X, Y, sw)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    with warnings.catch_warnings():
        # float32: the tolerance sits at float32's noise floor, where newton-cg may stop on
        # its "no predicted improvement" rule
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MultiLabelLogistic(C=C, solver=solver, tol=tol, max_iter=1000).fit(
            _layout(X, layout, dtype), Y, sample_weight=sw)
    assert est.coef_.dtype == dtype
    # float32: the objective's float32 sums let L-BFGS-B stop on its ftol rule with gradients
    # ~1e-5, coefficients ~1e-4 from the optimum (curvature ~0.1)
    atol = 1e-7 if dtype == np.float64 else 1e-3
    np.testing.assert_allclose(est.coef_, ref_coef, rtol=0, atol=atol)
    np.testing.assert_allclose(est.intercept_, ref_icpt, rtol=0, atol=atol)
    # predictions are the usual ones of the fitted coefficients
    P = est.predict_proba(X.astype(dtype))
    assert P.shape == Y.shape and not np.isnan(P).any()
    np.testing.assert_array_equal(est.predict(X.astype(dtype)),
                                  (est.decision_function(X.astype(dtype)) > 0).astype(Y.dtype))


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_balanced_pos_weight_counts_observed_rows_only(solver):
    X, Y, sw = _data(seed=1)
    est = MultiLabelLogistic(C=C, solver=solver, pos_weight="balanced", **TIGHT).fit(
        X, Y, sample_weight=sw)
    obs = ~np.isnan(Y)
    n_pos = sw @ np.where(obs, Y, 0.0)
    n_neg = sw @ (obs & (Y == 0))
    np.testing.assert_allclose(est.pos_weight_, n_neg / n_pos, rtol=1e-14)
    ref_coef, ref_icpt = _reference(X, Y, sw, pos_weight=est.pos_weight_)
    np.testing.assert_allclose(est.coef_, ref_coef, rtol=0, atol=1e-7)
    np.testing.assert_allclose(est.intercept_, ref_icpt, rtol=0, atol=1e-7)


def test_the_summed_objective_path_gives_the_same_labels(monkeypatch):
    # more labels than the lockstep runs (here: any): one L-BFGS-B on the sum of the labels'
    # objectives, each normalised by its own S_j, has the same per-label minimisers
    monkeypatch.setattr(_base, "_MAX_LOCKSTEP", 0)
    X, Y, sw = _data(seed=2)
    est = MultiLabelLogistic(C=C, **TIGHT).fit(X, Y, sample_weight=sw)
    ref_coef, ref_icpt = _reference(X, Y, sw)
    np.testing.assert_allclose(est.coef_, ref_coef, rtol=0, atol=1e-6)
    np.testing.assert_allclose(est.intercept_, ref_icpt, rtol=0, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["dense", "csr"])
def test_masked_objective_is_the_sum_of_each_labels_objective_on_its_observed_rows(
        layout, dtype, objective_path):
    X, Y, sw = _data(n=500, seed=3)
    L, p = Y.shape[1], X.shape[1]
    obs = ~np.isnan(Y)
    Xl = _layout(X, layout, dtype)
    Yd = Y.astype(dtype)
    loss = FusedLinearLoss(Xl, Yd, family=BINARY, n_outputs=L, fit_intercept=True,
                           sample_weight=sw, C=C, n_threads=2, where=obs)
    np.testing.assert_allclose(loss.sw_sum, sw @ obs, rtol=1e-15)
    rng = np.random.default_rng(4)
    coef = rng.standard_normal(L * (p + 1))
    v = rng.standard_normal(L * (p + 1))
    f, g2 = loss.loss_gradient(coef, per_output=True)
    f_tot, g = loss.loss_gradient(coef, store_hessian=True)
    hv = loss.hessp(v)
    c2 = coef.reshape((L, p + 1), order="F")
    v2 = v.reshape((L, p + 1), order="F")
    hv2 = hv.reshape((L, p + 1), order="F")
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for j in range(L):
        o = obs[:, j]
        one = FusedLinearLoss(_layout(X[o], layout, dtype), Yd[o, j:j + 1], family=BINARY,
                              n_outputs=1, fit_intercept=True, sample_weight=sw[o], C=C,
                              n_threads=1)
        fj, gj = one.loss_gradient(c2[j], store_hessian=True)
        np.testing.assert_allclose(f[j], fj, rtol=rtol)
        np.testing.assert_allclose(g2[j], gj, rtol=rtol, atol=rtol * np.abs(gj).max())
        hj = one.hessp(v2[j])
        np.testing.assert_allclose(hv2[j], hj, rtol=rtol, atol=rtol * np.abs(hj).max())
    np.testing.assert_allclose(f_tot, f.sum(), rtol=1e-14)
    np.testing.assert_allclose(g.reshape((L, p + 1), order="F"), g2, rtol=1e-14)


@pytest.mark.parametrize("layout", ["dense", "csr"])
def test_an_all_true_mask_gives_the_unmasked_objective(layout):
    # the masked objective (one S_j per label; fused pass and BLAS path) against the unmasked
    # one (one S): equal to rounding when every entry is observed
    X, Y, sw = _data(n=400, seed=5)
    X = _layout(X, layout, np.float64)
    Y = np.nan_to_num(Y)
    L, p = Y.shape[1], X.shape[1]
    kw = dict(family=BINARY, n_outputs=L, fit_intercept=True, sample_weight=sw, C=C)
    a = FusedLinearLoss(X, Y, **kw)
    coef = np.random.default_rng(6).standard_normal(L * (p + 1))
    v = np.random.default_rng(7).standard_normal(L * (p + 1))
    fa, ga = a.loss_gradient(coef, per_output=True)
    a.loss_gradient(coef, store_hessian=True)
    ha = a.hessp(v)
    for fused in (True, False):
        b = FusedLinearLoss(X, Y, where=np.ones(Y.shape, bool), fused=fused, **kw)
        fb, gb = b.loss_gradient(coef, per_output=True)
        np.testing.assert_allclose(fa, fb, rtol=1e-12)
        np.testing.assert_allclose(ga, gb, rtol=1e-11, atol=1e-13)
        b.loss_gradient(coef, store_hessian=True)
        np.testing.assert_allclose(ha, b.hessp(v), rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["dense", "csr"])
def test_fused_pass_and_blas_path_give_the_same_masked_objective(layout, dtype):
    if not getattr(_linear_loss._fused, "HAVE_FUSED", False):
        pytest.skip("no fused pass in this build")
    X, Y, sw = _data(n=700, seed=13)
    X = _layout(X, layout, dtype)
    L, p = Y.shape[1], X.shape[1]
    kw = dict(family=BINARY, n_outputs=L, fit_intercept=True, sample_weight=sw, C=C,
              where=~np.isnan(Y))
    a = FusedLinearLoss(X, Y.astype(dtype), **kw)
    b = FusedLinearLoss(X, Y.astype(dtype), fused=False, **kw)
    assert a._fp is not None and b._fp is None
    rng = np.random.default_rng(14)
    coef, v = rng.standard_normal(L * (p + 1)), rng.standard_normal(L * (p + 1))
    fa, ga = a.loss_gradient(coef, store_hessian=True)
    fb, gb = b.loss_gradient(coef, store_hessian=True)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(fa, fb, rtol=rtol)
    np.testing.assert_allclose(ga, gb, rtol=rtol, atol=rtol * np.abs(gb).max())
    hb = b.hessp(v)
    np.testing.assert_allclose(a.hessp(v), hb, rtol=rtol, atol=rtol * np.abs(hb).max())


@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_results_are_bit_identical_for_every_n_threads(solver, layout, objective_path):
    # large enough for several row blocks on several workers
    X, Y, sw = _data(n=20_000, p=50, L=4, seed=7)
    X = _layout(X, layout, np.float64)
    fits = []
    for nt in (1, 2, 3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = MultiLabelLogistic(solver=solver, max_iter=4, n_threads=nt).fit(
                X, Y, sample_weight=sw)
        fits.append((est.coef_, est.intercept_))
    for coef, icpt in fits[1:]:
        np.testing.assert_array_equal(coef, fits[0][0])
        np.testing.assert_array_equal(icpt, fits[0][1])


def test_fully_observed_Y_is_fitted_as_before():
    X, Y, _ = _data(seed=8)
    Y = np.nan_to_num(Y)
    a = MultiLabelLogistic(C=C, **TIGHT).fit(X, Y)
    ref_coef, _ = _reference(X, Y)
    np.testing.assert_allclose(a.coef_, ref_coef, rtol=0, atol=1e-7)


def test_labels_that_cannot_be_fitted_raise_naming_the_label():
    X, Y, sw = _data(seed=9)
    Y1 = Y.copy()
    Y1[:, 2] = np.nan
    with pytest.raises(ValueError, match=r"Label 2 has no observed target"):
        MultiLabelLogistic().fit(X, Y1)
    Y2 = Y.copy()
    Y2[:, 1] = np.where(np.isnan(Y2[:, 1]), np.nan, 1.0)
    with pytest.raises(ValueError, match=r"Label 1: its observed targets hold only one class"):
        MultiLabelLogistic().fit(X, Y2)
    w = sw.copy()
    w[~np.isnan(Y[:, 3])] = 0.0
    with pytest.raises(ValueError, match=r"Label 3: the sample weights of its observed rows"):
        MultiLabelLogistic().fit(X, Y, sample_weight=w)
    # one binary label (1-D y, or one column): drop the rows instead
    with pytest.raises(ValueError, match="Input y contains NaN. Missing labels"):
        MultiLabelLogistic().fit(X, Y[:, 0])
    with pytest.raises(ValueError, match=r"Y values must be in \[0, 1\].*Y\[5, 0\]"):
        Y3 = Y.copy()
        Y3[5, 0] = 2.0
        MultiLabelLogistic().fit(X, Y3)
    with pytest.raises(ValueError, match="Input y contains infinity"):
        Y4 = Y.copy()
        Y4[5, 0] = np.inf
        MultiLabelLogistic().fit(X, Y4)


def test_score_raises_on_missing_labels():
    X, Y, _ = _data(seed=10)
    est = MultiLabelLogistic().fit(X, Y)
    with pytest.raises(ValueError, match="score: y contains NaN"):
        est.score(X, Y)
    full = np.nan_to_num(Y)
    assert 0.0 <= est.score(X, full) <= 1.0


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_dask_fit_with_missing_labels_equals_the_in_memory_fit(solver):
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    X, Y, sw = _data(n=600, seed=11)
    kw = dict(C=C, solver=solver, pos_weight="balanced", tol=1e-8, max_iter=500)
    Yc = Y.copy()
    Yc[100:150, 0] = np.nan  # ragged chunks below, one holding only missing entries of label 0
    a = MultiLabelLogistic(**kw).fit(X, Yc, sample_weight=sw)
    with dask.config.set(scheduler="threads"):
        chunks = ((100, 50, 250, 200),)
        b = MultiLabelLogistic(**kw).fit(
            da.from_array(X, chunks=chunks + ((X.shape[1],))),
            da.from_array(Yc, chunks=chunks + ((Y.shape[1],))),
            sample_weight=da.from_array(sw, chunks=chunks))
    np.testing.assert_allclose(b.pos_weight_, a.pos_weight_, rtol=1e-14)
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(b.intercept_, a.intercept_, rtol=0, atol=1e-9)


def test_dask_fit_raises_the_in_memory_errors():
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    X, Y, _ = _data(n=200, seed=12)
    Y[:, 1] = np.nan
    with dask.config.set(scheduler="threads"):
        with pytest.raises(ValueError, match=r"Label 1 has no observed target"):
            MultiLabelLogistic().fit(da.from_array(X, chunks=50),
                                     da.from_array(Y, chunks=(50, Y.shape[1])))
        with pytest.raises(ValueError, match="Input y contains NaN. Missing labels"):
            MultiLabelLogistic().fit(da.from_array(X, chunks=50), da.from_array(Y[:, 1], 50))
