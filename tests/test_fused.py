"""The fused C pass of FusedLinearLoss (skxent/_fused.h) against the BLAS path and calculus.

Design note
-----------
``FusedLinearLoss`` runs its objective, gradient and Hessian-vector product through the fused
pass for CSR and small-K dense ``X``, and through BLAS GEMMs around the same kernels otherwise.
The BLAS path is the reference here (it is independent code: NumPy/SciPy products, the public
kernels); ``tests/test_linear_model_loss.py`` separately checks both against NumPy formulas and
finite differences. Pinned here: equality with the BLAS path for both links, dense C/F/strided
and CSR ``X``, float32/float64, with and without intercept, sample/class/pos weights, soft
labels and label smoothing, every compiled instruction-set family; finite differences for the
degenerate shapes (``K`` or ``p`` of 1, fewer rows than a vector); results bit-identical for
``n_threads`` 1, 2 and 3 (the parallel path forced on small data); chunks with no stored value
or no weight; and which path a shape takes.
"""

import numpy as np
import pytest
from scipy import sparse

from skxent import _fused
from skxent._engine import BINARY, CATEGORICAL

FAMILY = {"softmax": CATEGORICAL, "sigmoid": BINARY}
from skxent.linear_model import MultiLabelLogistic, SoftmaxRegression
from skxent.linear_model import _linear_loss as LL
from skxent.linear_model._linear_loss import FusedLinearLoss

from test_linear_model_loss import CASES, _problem

ISAS = [f for f in ("baseline", "avx2", "avx512") if _fused.isa_name(f) == f]


def _layout(monkeypatch, layout):
    """``"csrT"``: CSR through the chunk-transposed copy; ``"csr"``: the row pass."""
    if layout.startswith("csr"):
        monkeypatch.setattr(LL, "_FUSED_CSR_LAYOUT", "transposed" if layout == "csrT" else "rows")
        return "csr"
    return layout


def _expected_isa(layout, isa):
    return {"csr": "csr", "csrT": "csr-transposed"}.get(layout, isa)


def _loss(Xd, y_arg, link, K, *, fused, weighted, ext, dtype, fit_intercept=True, e=0.1,
          C=0.7, **kw):
    kws = dict(class_weight=ext.astype(dtype)) if link == "softmax" else dict(
        pos_weight=ext.astype(dtype))
    sw = kw.pop("sample_weight", None)
    old = LL._use_fused
    if not fused:
        LL._use_fused = lambda X, K: False
    try:
        loss = FusedLinearLoss(Xd, y_arg, family=FAMILY[link], n_outputs=K, fit_intercept=fit_intercept,
                               sample_weight=sw if weighted else None, label_smoothing=e,
                               C=C, **kws, **kw)
    finally:
        LL._use_fused = old
    assert (loss._fp is not None) == fused
    return loss


def _evaluate(loss, coef, v, per_output=False):
    f, g = loss.loss_gradient(coef, store_hessian=True)
    hv = loss.hessp(v)
    fo = loss.loss_gradient(coef, per_output=True) if per_output else None
    return f, g, hv, fo


def _assert_close(a, b, dtype):
    f, g, hv, fo = a
    f0, g0, hv0, fo0 = b
    rtol = 1e-12 if dtype == np.float64 else 3e-6
    np.testing.assert_allclose(f, f0, rtol=rtol)
    gtol = (1e-12 if dtype == np.float64 else 1e-5) * max(np.abs(g0).max(), 1e-300)
    np.testing.assert_allclose(g, g0, rtol=0, atol=gtol)
    htol = (1e-12 if dtype == np.float64 else 1e-5) * max(np.abs(hv0).max(), 1e-300)
    np.testing.assert_allclose(hv, hv0, rtol=0, atol=htol)
    if fo is not None:
        np.testing.assert_allclose(fo[0], fo0[0], rtol=rtol)
        np.testing.assert_allclose(fo[1], fo0[1], rtol=0, atol=gtol)


@pytest.mark.parametrize("link, soft, weighted", CASES)
@pytest.mark.parametrize("layout", ["C", "F", "strided", "csr", "csrT"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_fused_pass_equals_blas_path(monkeypatch, link, soft, weighted, layout, dtype,
                                     fit_intercept):
    X, Xd, Y, y_arg, sw, ext = _problem(link, soft=soft, weighted=weighted,
                                        layout=_layout(monkeypatch, layout), dtype=dtype,
                                        n=301, d=9, K=5)
    K = Y.shape[1]
    kw = dict(weighted=weighted, ext=ext, dtype=dtype, fit_intercept=fit_intercept,
              sample_weight=sw.astype(dtype), block_rows=48)
    fused = _loss(Xd, y_arg, link, K, fused=True, **kw)
    assert fused._fp.isa == _expected_isa(layout, fused._fp.isa)
    blas = _loss(Xd, y_arg, link, K, fused=False, **kw)
    rng = np.random.default_rng(3)
    coef = rng.standard_normal(fused.n_dof * K) * 0.4
    v = rng.standard_normal(coef.size)
    po = link == "sigmoid"
    _assert_close(_evaluate(fused, coef, v, po), _evaluate(blas, coef, v, po), dtype)


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("link, soft, weighted", [CASES[1], CASES[2], CASES[4]])
@pytest.mark.parametrize("layout", ["C", "csr", "csrT"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_instruction_set_family_equals_blas_path(monkeypatch, isa, link, soft, weighted,
                                                       layout, dtype):
    # K = 11: output blocks of uneven sizes in every family's tiles; p = 23: feature tails.
    X, Xd, Y, y_arg, sw, ext = _problem(link, soft=soft, weighted=weighted,
                                        layout=_layout(monkeypatch, layout), dtype=dtype,
                                        n=213, d=23, K=11)
    monkeypatch.setattr(LL, "_FUSED_ISA", isa)
    kw = dict(weighted=weighted, ext=ext, dtype=dtype, sample_weight=sw.astype(dtype),
              block_rows=40)
    fused = _loss(Xd, y_arg, link, 11, fused=True, **kw)
    assert fused._fp.isa == _expected_isa(layout, isa)
    blas = _loss(Xd, y_arg, link, 11, fused=False, **kw)
    rng = np.random.default_rng(4)
    coef = rng.standard_normal(fused.n_dof * 11) * 0.3
    v = rng.standard_normal(coef.size)
    _assert_close(_evaluate(fused, coef, v), _evaluate(blas, coef, v), dtype)


@pytest.mark.parametrize("link", ["softmax", "sigmoid"])
@pytest.mark.parametrize("n, p, K", [(157, 1, 3), (157, 6, 1), (5, 4, 3), (1, 3, 2), (64, 1, 1)])
@pytest.mark.parametrize("layout", ["C", "csr", "csrT"])
def test_degenerate_shapes_match_finite_differences(monkeypatch, link, n, p, K, layout):
    if link == "softmax" and K == 1:
        K = 2
    X, Xd, Y, y_arg, sw, ext = _problem(link, soft=False, weighted=n >= 4,
                                        layout=_layout(monkeypatch, layout),
                                        dtype=np.float64, n=n, d=p, K=K, seed=5)
    loss = _loss(Xd, y_arg, link, K, fused=True, weighted=True, ext=ext, dtype=np.float64,
                 sample_weight=sw + 0.1, block_rows=16)
    blas = _loss(Xd, y_arg, link, K, fused=False, weighted=True, ext=ext, dtype=np.float64,
                 sample_weight=sw + 0.1)
    rng = np.random.default_rng(6)
    coef = rng.standard_normal(loss.n_dof * K) * 0.5
    f, g = loss.loss_gradient(coef, store_hessian=True)
    h = 1e-6
    for _ in range(3):
        v = rng.standard_normal(coef.size)
        fd = (loss.loss(coef + h * v) - loss.loss(coef - h * v)) / (2 * h)
        np.testing.assert_allclose(g @ v, fd, rtol=1e-6, atol=1e-8)
        _, gp = loss.loss_gradient(coef + h * v)
        _, gm = loss.loss_gradient(coef - h * v)
        hv = loss.hessp(v)
        np.testing.assert_allclose(hv, (gp - gm) / (2 * h), rtol=1e-5,
                                   atol=1e-7 * np.abs(hv).max())
    v = rng.standard_normal(coef.size)
    _assert_close(_evaluate(loss, coef, v), _evaluate(blas, coef, v), np.float64)


@pytest.mark.parametrize("link, soft", [("softmax", False), ("softmax", True), ("sigmoid", True)])
@pytest.mark.parametrize("layout", ["C", "F", "csr", "csrT"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_results_bit_identical_for_n_threads_1_2_3(monkeypatch, link, soft, layout,
                                                         dtype):
    monkeypatch.setattr(LL, "_FUSED_MIN_PARALLEL_WORK", 0)  # threads even on small data
    X, Xd, Y, y_arg, sw, ext = _problem(link, soft=soft, weighted=True,
                                        layout=_layout(monkeypatch, layout), dtype=dtype,
                                        n=2000, d=37, K=6, seed=7)
    rng = np.random.default_rng(8)
    coef = v = None
    out = []
    for nt in (1, 2, 3):
        loss = _loss(Xd, y_arg, link, 6, fused=True, weighted=True, ext=ext, dtype=dtype,
                     sample_weight=sw.astype(dtype), block_rows=48, n_threads=nt)
        assert loss._fp.n_threads == nt and loss._fp.n_groups > 3
        if coef is None:
            coef = rng.standard_normal(loss.n_dof * 6) * 0.3
            v = rng.standard_normal(coef.size)
        out.append(_evaluate(loss, coef, v, per_output=link == "sigmoid"))
    for f, g, hv, fo in out[1:]:
        assert f == out[0][0]
        np.testing.assert_array_equal(g, out[0][1])
        np.testing.assert_array_equal(hv, out[0][2])
        if fo is not None:
            np.testing.assert_array_equal(fo[0], out[0][3][0])
            np.testing.assert_array_equal(fo[1], out[0][3][1])


@pytest.mark.parametrize("csr_layout", ["rows", "transposed"])
def test_csr_chunks_without_stored_values_or_weight(monkeypatch, csr_layout):
    monkeypatch.setattr(LL, "_FUSED_CSR_LAYOUT", csr_layout)
    # rows 0..99 and 200..299 have no stored value; rows 100..149 have zero weight
    rng = np.random.default_rng(9)
    n, p, K = 400, 13, 4
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.3)
    X[:100] = 0
    X[200:300] = 0
    y = rng.integers(0, K, n)
    sw = rng.uniform(0.5, 2, n)
    sw[100:150] = 0
    coef = rng.standard_normal((p + 1) * K)
    v = rng.standard_normal(coef.size)
    res = []
    # features 0 and 5 never stored: empty columns in every transposed chunk
    X[:, [0, 5]] = 0
    for Xk, fused in [(sparse.csr_matrix(X), True), (X, True), (X, False)]:
        old = LL._use_fused
        if not fused:
            LL._use_fused = lambda X, K: False
        try:
            loss = FusedLinearLoss(Xk, y, family=CATEGORICAL, n_outputs=K, fit_intercept=True,
                                   sample_weight=sw, block_rows=50)
        finally:
            LL._use_fused = old
        res.append(_evaluate(loss, coef, v))
    _assert_close(res[0], res[2], np.float64)
    _assert_close(res[1], res[2], np.float64)


@pytest.mark.parametrize("K", [3, 70])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_csr_transposed_groups_of_several_chunks(monkeypatch, K, fit_intercept, dtype):
    # The transposed pass writes (does not add to) a group's partial on the group's first chunk:
    # features absent from that chunk but stored in the group's later chunks, several blocks of
    # outputs (K = 70), two groups of several chunks each; against the BLAS path, and the
    # objective's scaling done in the pass against the generic one.
    monkeypatch.setattr(LL, "_FUSED_CSR_LAYOUT", "transposed")
    monkeypatch.setattr(LL, "_FUSED_MAX_GROUPS", 2)
    monkeypatch.setattr(LL, "_FUSED_PARTIALS_BYTES", 1)
    rng = np.random.default_rng(12)
    n, p = 480, 11
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.4)
    X[:60, 2] = 0  # absent from the first chunk of group 0
    X[240:300, 7] = 0  # ... and of group 1
    X[:, 4] = 0  # never stored
    Xs = sparse.csr_matrix(X.astype(dtype))
    y = np.arange(n) % K
    sw = rng.uniform(0.5, 2, n)
    kw = dict(family=CATEGORICAL, n_outputs=K, fit_intercept=fit_intercept, sample_weight=sw,
              C=0.3)
    fused = FusedLinearLoss(Xs, y, block_rows=60, **kw)
    assert fused._fp.isa == "csr-transposed" and fused._fp.n_groups == 2
    assert fused._fp.n_chunks == 8
    old = LL._use_fused
    LL._use_fused = lambda X, K: False
    try:
        blas = FusedLinearLoss(Xs, y, **kw)
    finally:
        LL._use_fused = old
    coef = rng.standard_normal(fused.n_dof * K) * 0.3
    v = rng.standard_normal(coef.size)
    _assert_close(_evaluate(fused, coef, v), _evaluate(blas, coef, v), dtype)
    # the generic scaling (_LinearObjective.loss_gradient over the plain sums)
    f0, g0 = super(FusedLinearLoss, fused).loss_gradient(coef)
    f1, g1 = fused.loss_gradient(coef)
    np.testing.assert_allclose(f1, f0, rtol=1e-15)
    np.testing.assert_array_equal(g1, g0)


@pytest.mark.parametrize("layout", ["C", "csr", "csrT"])
def test_no_rows_gives_zero_sums(monkeypatch, layout):
    X = np.zeros((0, 3))
    if _layout(monkeypatch, layout) == "csr":
        X = sparse.csr_matrix(X)
    loss = FusedLinearLoss(X, np.zeros(0, np.int64), family=CATEGORICAL, n_outputs=2,
                           fit_intercept=True, require_weight=False)
    assert loss._fp is not None and loss.blocks == []
    f, gW, gb = loss._sums(np.ones(8), store_hessian=True)
    assert f == 0.0 and not gW.any() and not gb.any()
    hW, hb = loss._hess_sums(np.ones(8))
    assert not hW.any() and not hb.any()


@pytest.mark.parametrize("csr_layout", ["rows", "transposed"])
def test_csr_with_int64_indices_and_unsorted_duplicates(monkeypatch, csr_layout):
    monkeypatch.setattr(LL, "_FUSED_CSR_LAYOUT", csr_layout)
    rng = np.random.default_rng(10)
    X = sparse.random(300, 17, density=0.3, format="csr", random_state=1)
    X64 = X.copy()
    X64.indices = X.indices.astype(np.int64)  # the constructor would downcast them
    X64.indptr = X.indptr.astype(np.int64)
    assert X64.indices.dtype == np.int64
    # the same matrix with every stored value split into two halves, in reversed order
    data, ind, ptr = [], [], [0]
    for i in range(300):
        lo, hi = X.indptr[i], X.indptr[i + 1]
        data += list(X.data[lo:hi][::-1] / 2) + list(X.data[lo:hi] / 2)
        ind += list(X.indices[lo:hi][::-1]) + list(X.indices[lo:hi])
        ptr.append(len(ind))
    Xdup = sparse.csr_matrix((np.array(data), np.array(ind, np.int32), np.array(ptr)),
                             shape=X.shape)
    assert Xdup.nnz == 2 * X.nnz and not Xdup.has_sorted_indices
    y = rng.integers(0, 3, 300)
    coef = rng.standard_normal(18 * 3)
    f0, g0 = FusedLinearLoss(X, y, family=CATEGORICAL, n_outputs=3,
                             fit_intercept=True).loss_gradient(coef)
    f1, g1 = FusedLinearLoss(X64, y, family=CATEGORICAL, n_outputs=3,
                             fit_intercept=True).loss_gradient(coef)
    assert f1 == f0
    np.testing.assert_array_equal(g1, g0)
    f2, g2 = FusedLinearLoss(Xdup, y, family=CATEGORICAL, n_outputs=3,
                             fit_intercept=True).loss_gradient(coef)
    np.testing.assert_allclose(f2, f0, rtol=1e-13)
    np.testing.assert_allclose(g2, g0, rtol=0, atol=1e-13 * np.abs(g0).max())


def test_path_choice_by_shape():
    rng = np.random.default_rng(11)
    y = rng.integers(0, 3, 50)
    small = FusedLinearLoss(rng.standard_normal((50, 20)), y, family=CATEGORICAL, n_outputs=3,
                            fit_intercept=True)
    assert small._fp is not None
    wide_k = LL._FUSED_MAX_OUTPUTS + 1
    Xw = rng.standard_normal((50, 4))
    yw = np.arange(50) % wide_k
    big = FusedLinearLoss(Xw, yw, family=CATEGORICAL, n_outputs=wide_k, fit_intercept=True)
    assert big._fp is None  # BLAS path: too many outputs
    p_big = LL._FUSED_MAX_COEFS // 3 + 1
    big = FusedLinearLoss(rng.standard_normal((20, p_big)), y[:20], family=CATEGORICAL,
                          n_outputs=3, fit_intercept=True)
    assert big._fp is None  # BLAS path: too many coefficients
    csr = FusedLinearLoss(sparse.csr_matrix(rng.standard_normal((50, 20))), y, family=CATEGORICAL,
                          n_outputs=3, fit_intercept=True)
    assert csr._fp is not None and csr._fp.isa == "csr-transposed"  # 50 values per feature
    Xs = sparse.random(200, 5000, density=0.002, format="csr", random_state=0)
    csr = FusedLinearLoss(Xs, rng.integers(0, 3, 200), family=CATEGORICAL, n_outputs=3,
                          fit_intercept=True)
    assert csr._fp.isa == "csr"  # ~0.08 stored values per feature: the row pass


def test_partials_memory_is_bounded_whatever_the_thread_count():
    # many features x outputs: one partial gradient, not one per thread
    X = sparse.random(100, 200_000, density=1e-4, format="csr", random_state=0)
    rows, groups = LL._fused_chunking(X, 200, None)
    assert groups == 1
    X = sparse.random(10_000, 5_000, density=1e-3, format="csr", random_state=0)
    rows, groups = LL._fused_chunking(X, 20, None)
    assert groups >= 2 and groups * (5_000 + 1) * 20 * 8 <= 2 * LL._FUSED_PARTIALS_BYTES


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
@pytest.mark.parametrize("Est", [SoftmaxRegression, MultiLabelLogistic])
def test_fits_bit_identical_for_n_threads(Est, solver):
    rng = np.random.default_rng(12)
    X = rng.standard_normal((12_000, 30)).astype(np.float32)
    W = rng.standard_normal((30, 4))
    if Est is SoftmaxRegression:
        y = (X @ W + rng.gumbel(size=(12_000, 4))).argmax(1)
    else:
        y = (X @ W + rng.logistic(size=(12_000, 4)) > 0).astype(int)
    fits = [Est(solver=solver, n_threads=nt, max_iter=30).fit(X, y) for nt in (1, 2)]
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)
    np.testing.assert_array_equal(fits[0].intercept_, fits[1].intercept_)
