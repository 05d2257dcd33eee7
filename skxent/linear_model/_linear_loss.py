"""The fused objective of skxent's linear models.

Design note
-----------
scikit-learn's ``LinearModelLoss`` (sklearn/linear_model/_linear_loss.py) turns a pointwise loss
into the objective, gradient and Hessian-vector product of a linear model, for coefficients
flattened the way ``scipy.optimize`` wants them. ``FusedLinearLoss`` plays the same role with the
same conventions:

- coefficients are ``coef`` of shape ``(n_outputs, n_dof)`` (``n_dof = n_features + 1`` with an
  intercept, the intercept last), flattened with ``ravel(order="F")`` so that the outputs of one
  feature are contiguous (exactly scikit-learn's multinomial layout);
- the objective is scikit-learn's ``LogisticRegression(C=C)`` objective::

      f(coef) = (1 / S) * sum_i s_i * loss_i + l2_reg_strength / 2 * ||W||^2,
      l2_reg_strength = 1 / (C * S),

  with ``s_i`` the sample weight (the kernels fold in class weights / ``pos_weight``), ``S`` the
  sum of the sample weights the kernel's ``"mean"`` reduction would divide by, ``W`` the
  coefficients without the intercept (the intercept is not penalised). With a mask of the
  terms (``where``, the binary family's missing labels) each output ``j`` has its own ``S_j``,
  the weight of its observed entries, so that each output is the objective of its own rows.

What differs is where the time goes. scikit-learn computes ``raw = X @ W.T`` for the whole data
set (an ``(n_samples, n_outputs)`` array written to and read back from memory), runs a
single-threaded pointwise kernel, then ``G.T @ X`` (a second full read of ``X``). Here one
evaluation is one pass over ``X``, in C (``skxent/_fused.h``, bound by ``skxent._fused``): OpenMP
over fixed chunks of rows, each chunk's logits by a register-blocked micro-kernel, the loss
family's chunk kernel (the same code as ``skxent.losses``) on them, and ``G_b^T X_b`` while the
chunk is still in cache; CSR ``X`` row by row over its stored values. No ``(n_samples,
n_outputs)`` array, no Python per chunk, results bit-identical for every ``n_threads`` (fixed
chunks, partial gradients reduced in a fixed order). For ``newton-cg`` the gradient pass at a
new point also stores what the Hessian needs per sample (``p``, or the sigmoid's second
derivative: ``(n_samples, n_outputs)`` in X's dtype, as scikit-learn keeps them), and each
Hessian-vector product is one more fused pass. That pass is used for sparse ``X`` and for dense
``X`` of the shapes where it beats BLAS (``_use_fused``: at most 256 outputs and 96,000
coefficients ``p * K``; ``benchmarks/bench_fused.py --crossover`` measures where BLAS's
cache-blocked GEMM starts to win). Other dense shapes take the BLAS path below, which is also
the fallback for builds without the fused module. The BLAS path is one pass over row blocks of
``X``: for each block (sized so the block of ``X`` and its ``(rows, n_outputs)`` logits stay in
cache)

1. ``raw = X_b @ W.T + b`` (BLAS, into a preallocated buffer reused by every block),
2. the loss family's kernel (:mod:`skxent._engine`; the object never knows which family it
   holds) writes the pointwise gradient over ``raw`` in place and returns the block's loss sum,
   and, for newton-cg, the Hessian data (softmax probabilities and curvatures, or the sigmoid's
   second derivatives) from the same pass,
3. ``grad_W += raw.T @ X_b`` (BLAS, ``X_b`` still in cache), ``grad_b += raw.sum(0)``.

Parallelism is over blocks, not inside them: ``n_threads`` Python worker threads each take every
``n_threads``-th block and run BLAS (limited to one thread by the caller, see ``_solvers.py``) and
the kernel (``n_threads=1``; both release the GIL) on it with their own logits buffer. Nested
pools (a multithreaded BLAS call next to an OpenMP kernel, both busy-waiting between calls) were
measured to be slow and erratic on a loaded 2-core machine; one level of threads is not. Each
block's contribution (loss sum and ``raw.T @ X_b``) is stored in its own slot and the slots are
summed in block order, so the result is bit-identical for every ``n_threads``. Sparse ``X`` (on
this path only without the fused module) is the exception: SciPy's sparse products hold the GIL, so it runs one worker over a few large CSR row
blocks with the kernel itself multithreaded (its results do not depend on the thread count).
Because the object holds the (validated, block-sliced) data, it is built once per ``fit``;
scikit-learn's object is stateless and gets ``X`` at every call.

float32 ``X`` stays float32 (data, logits, kernels, BLAS); the optimizer state (coefficients,
gradient accumulators, the objective) is float64, as scipy's optimizers require.

Hessian-vector products (for ``newton-cg``): the family's kernel writes each sample's Hessian
with respect to its logits (the categorical family: probabilities ``p`` and the curvature ``a_i``,
``H_i = a_i (diag(p) - p p^T)``, ``a_i`` the sample's weight times its label mass after smoothing
and class weights; the binary family: the diagonal), and the family applies it to the
directions ``X_b V^T + v_b``; summed over samples through ``X``, divided by ``S``, plus
``l2_reg_strength * V`` (not for the intercept). No formula of the loss is re-derived here.

Layer: an internal user of the engine (``skxent._engine``), below the estimators.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import sparse


try:
    from .. import _fused
except ImportError:  # a build without the fused module: the BLAS path
    _fused = None

# Bytes of one row block (its rows of X plus its logits). Small enough to stay in a per-core L2
# between the two GEMMs of a block, large enough for BLAS to run at full speed and to amortise
# the Python overhead of a block (~20 us). 512 KiB measured best of 128 KiB..2 MiB here
# (100k x 100 x 10: 14 ms per evaluation on 2 threads vs 17-25 ms for the others).
_BLOCK_BYTES = 1 << 19
_MIN_BLOCK_ROWS = 256
_SPARSE_BLOCKS = 8
_PARTIALS_BYTES = 64 << 20
_SPARSE_MIN_BLOCK_ROWS = 4096
_MIN_PARALLEL_WORK = 4_000_000


# -- the fused C pass (skxent/_fused.h) ------------------------------------------------------
# Bytes of one dense chunk's working set: X packed transposed plus two (K, rows) buffers. It
# has to stay in a core's L2 between the forward and backward sweeps, next to the next chunk
# being prefetched.
_FUSED_CHUNK_BYTES = 192 << 10
# ... but at least this many rows: each chunk adds its (n_features x n_outputs) vector partials
# to its group's, a cost per chunk that more rows amortise (so wide X may take more L2).
_FUSED_MIN_ROWS = 64
_FUSED_MAX_ROWS = 8192
# A CSR chunk: about this many stored values (its logits buffer stays in L1/L2).
_FUSED_SPARSE_CHUNK_NNZ = 1 << 14
# Consecutive chunks form groups with one partial gradient each ((n_features + 1) * n_outputs
# elements, times the vector lanes for dense X); their count is capped by this budget and by
# _FUSED_MAX_GROUPS, never by the thread count. At least 2 so that two threads have work. Every
# partial is zeroed and read once per evaluation, and CSR's are scattered into at random: few
# and small enough to stay in the last-level cache next to the coefficients.
_FUSED_PARTIALS_BYTES = 16 << 20
_FUSED_MAX_GROUPS = 32
# ... except that a second partial (for a second thread) is not allocated beyond this: a huge
# n_features x n_outputs problem runs on one thread rather than double its gradient's memory.
_FUSED_PARTIALS_MAX_BYTES = 256 << 20
# CSR: the row pass gathers a row of W and scatters into a row of the partial gradient per
# stored value (random rows: slow once W no longer fits the cache). When a chunk holds several
# stored values per feature, a chunk-transposed copy of X (each chunk's values by feature, 10
# bytes a value in float64, 6 in float32, built once per fit) turns those into one sweep of W
# and of the partial per chunk, and the random accesses go to the chunk's logits, in L2.
# "auto": the copy when a chunk holds at least _FUSED_CSC_MIN_REUSE values per feature.
_FUSED_CSR_LAYOUT = "auto"  # or "rows", "transposed" (tests)
_FUSED_CSC_CHUNK_BYTES = 768 << 10  # a chunk's (rows, K) logits, in L2
_FUSED_CSC_MIN_REUSE = 2.0
# The instruction-set family of the micro-kernels: "auto" (the CPU's best) or a cap
# ("baseline", "avx2", "avx512"), for tests.
_FUSED_ISA = "auto"
# Below this many multiply-adds (n * p * K) one thread runs the pass (a parallel region costs
# more than the work).
_FUSED_MIN_PARALLEL_WORK = 1_000_000
# Dense shapes for the fused pass: its micro-kernel keeps a few outputs' accumulators in
# registers and streams W (p x K) from cache once per tile; beyond about this many coefficients
# BLAS's blocked GEMM is faster, in float64 and float32 alike (benchmarks/bench_fused.py
# --crossover). More outputs than measured go to BLAS too.
_FUSED_MAX_OUTPUTS = 256
_FUSED_MAX_COEFS = 96_000


def _use_fused(X, n_outputs):
    """Whether the fused C pass runs this problem (else the BLAS path)."""
    if _fused is None:
        return False
    if not _fused.HAVE_FUSED:
        return False
    if sparse.issparse(X):
        return True
    return n_outputs <= _FUSED_MAX_OUTPUTS and X.shape[1] * n_outputs <= _FUSED_MAX_COEFS


def _fused_chunking(X, n_outputs, block_rows):
    """``(rows_per_chunk, n_groups)`` of the fused pass; a function of the shape only."""
    n, p = X.shape
    K = max(1, n_outputs)
    itemsize = X.dtype.itemsize
    if sparse.issparse(X):
        nnz_per_row = max(1.0, X.nnz / max(n, 1))
        rows = int(_FUSED_SPARSE_CHUNK_NNZ // nnz_per_row)
        rows = min(rows, _FUSED_CHUNK_BYTES // (K * itemsize))
        part_bytes = (p + 1) * K * 8
    else:
        rows = _FUSED_CHUNK_BYTES // ((p + 2 * K) * itemsize)
        part_bytes = (p + 1) * K * 64  # lanes: up to 64 bytes of vector per element
    if block_rows is not None:
        rows = int(block_rows)
    else:
        rows = max(_FUSED_MIN_ROWS, min(_FUSED_MAX_ROWS, rows)) // 16 * 16
    rows = max(1, min(max(n, 1), rows))
    n_chunks = -(-n // rows)
    at_least = 2 if 2 * part_bytes <= _FUSED_PARTIALS_MAX_BYTES else 1
    groups = min(_FUSED_MAX_GROUPS, max(at_least, _FUSED_PARTIALS_BYTES // part_bytes))
    return rows, max(1, min(n_chunks, groups))


def _csr_transposed_chunking(X, n_outputs, block_rows):
    """Rows per chunk of the chunk-transposed CSR pass, or None when the row pass is better."""
    n, p = X.shape
    if _FUSED_CSR_LAYOUT == "rows" or n == 0:
        return None
    kp = -(-max(1, n_outputs) // 8) * 8  # K padded to the row kernels' vectors, at most
    rows = block_rows or max(_FUSED_MIN_ROWS, _FUSED_CSC_CHUNK_BYTES // (kp * X.dtype.itemsize))
    rows = max(1, min(n, 65536, int(rows)))
    reuse = rows * (X.nnz / n) / max(p, 1)
    if _FUSED_CSR_LAYOUT == "auto" and reuse < _FUSED_CSC_MIN_REUSE:
        return None
    return rows


def _block_rows(n_samples, n_features, n_outputs, itemsize, nnz_per_row=None):
    """Number of rows per block."""
    if nnz_per_row is not None:
        # CSR: data + indices per stored value.
        row_bytes = nnz_per_row * (itemsize + 4) + n_outputs * itemsize
    else:
        row_bytes = (n_features + n_outputs) * itemsize
    rows = max(_MIN_BLOCK_ROWS, int(_BLOCK_BYTES // max(row_bytes, 1)))
    return max(1, min(n_samples, rows))


class _LinearObjective:
    """What every objective of a linear model shares: scikit-learn's coefficient layout and the
    step from per-sample sums to the penalised objective.

    Subclasses set ``n_outputs``, ``n_features``, ``n_dof``, ``fit_intercept``, ``sw_sum`` (S),
    ``l2_reg_strength`` and implement ``_sums(coef, store_hessian, per_output)`` (the loss sum
    and the gradient sums ``sum_i s_i dloss_i/dW``, ``.../db``, float64, not yet divided by S)
    and ``_hess_sums(v)`` (the same for the Hessian-vector product). :class:`FusedLinearLoss`
    computes the sums in memory; ``_dask_loss.DaskLinearLoss`` on the chunks of dask arrays.
    """

    _hess_coef = None

    def _set_layout(self, X, family, n_outputs, fit_intercept):
        self.family = family
        self.n_outputs = int(n_outputs)
        self.fit_intercept = bool(fit_intercept)
        self.n_samples, self.n_features = X.shape
        self.n_dof = self.n_features + int(self.fit_intercept)
        self.dtype = X.dtype

    def close(self):
        """Release worker resources (the object stays usable)."""

    # -- coefficient layout (scikit-learn's) -------------------------------------------------

    def init_zero_coef(self):
        """Zero coefficients, flat, shape ``(n_outputs * n_dof,)``."""
        return np.zeros(self.n_outputs * self.n_dof, dtype=np.float64)

    def weight_intercept(self, coef):
        """Split flat ``coef`` into ``W (n_outputs, n_features)`` and ``b (n_outputs,)``."""
        c2 = coef.reshape((self.n_outputs, self.n_dof), order="F")
        W = c2[:, : self.n_features]
        b = c2[:, -1] if self.fit_intercept else np.zeros(self.n_outputs)
        return W, b

    def pack(self, W, b):
        """Inverse of :meth:`weight_intercept`: flat coefficients from ``W`` and ``b``."""
        c2 = np.empty((self.n_outputs, self.n_dof), dtype=np.float64, order="F")
        c2[:, : self.n_features] = W
        if self.fit_intercept:
            c2[:, -1] = b
        return c2.ravel(order="F")

    # -- objective, gradient, Hessian-vector product ------------------------------------------

    def loss_gradient(self, coef, *, store_hessian=False, per_output=False):
        """Objective and gradient at flat ``coef``, in one pass over ``X``.

        Parameters
        ----------
        coef : ndarray of shape (n_outputs * n_dof,)
        store_hessian : bool
            Also prepare what :meth:`hessp` needs at this ``coef``.
        per_output : bool
            Families with separable outputs only: return each output's own objective
            ``(1 / S) sum_i s_i loss_ij + l2_reg_strength / 2 * ||w_j||^2`` and gradient (the
            outputs are independent problems; see ``_solvers.minimize_separable_lbfgs``).

        Returns
        -------
        loss : float, or ndarray of shape (n_outputs,) if ``per_output``
        gradient : ndarray of shape (n_outputs * n_dof,), or (n_outputs, n_dof) if
            ``per_output``; float64
        """
        W, _ = self.weight_intercept(coef)
        # S and l2_reg_strength: scalars, or one per output (``sw_sum`` of shape (n_outputs,)
        # when targets are masked: output j is normalised by its own observed weight S_j)
        S = np.asarray(self.sw_sum, dtype=np.float64)
        l2 = np.asarray(self.l2_reg_strength, dtype=np.float64)
        per_label = S.ndim > 0
        loss, gW, gb = self._sums(coef, store_hessian, per_output or per_label)
        if store_hessian:
            self._hess_coef = coef.copy()
        Wd = np.asarray(W, dtype=np.float64)
        gW = gW / S[..., None] + l2[..., None] * Wd
        gb = gb / S
        if per_output or per_label:
            loss = loss / S + 0.5 * l2 * np.einsum("ij,ij->i", Wd, Wd)
        if per_output:
            g2 = np.empty((self.n_outputs, self.n_dof))
            g2[:, : self.n_features] = gW
            if self.fit_intercept:
                g2[:, -1] = gb
            return loss, g2
        if per_label:
            return float(np.sum(loss)), self.pack(gW, gb)
        loss = float(loss) / float(S) + 0.5 * float(l2) * float(np.vdot(Wd, Wd))
        return loss, self.pack(gW, gb)

    def loss(self, coef):
        """Objective only (same pass; the gradient GEMM is cheap next to the read of X)."""
        return self.loss_gradient(coef)[0]

    def has_hessian_at(self, coef):
        return self._hess_coef is not None and np.array_equal(self._hess_coef, coef)

    def hessp(self, v):
        """Hessian (at the coefficients of the last ``store_hessian=True`` call) times ``v``.

        Parameters
        ----------
        v : ndarray of shape (n_outputs * n_dof,)

        Returns
        -------
        ndarray of shape (n_outputs * n_dof,), float64
        """
        if self._hess_coef is None:
            raise RuntimeError("call loss_gradient(coef, store_hessian=True) first")
        V, _ = self.weight_intercept(v)
        hW, hb = self._hess_sums(v)
        S = np.asarray(self.sw_sum, dtype=np.float64)  # scalar or per output
        l2 = np.asarray(self.l2_reg_strength, dtype=np.float64)
        return self.pack(hW / S[..., None] + l2[..., None] * V, hb / S)


class FusedLinearLoss(_LinearObjective):
    """Objective, gradient and Hessian-vector product of an L2-penalised linear model.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        float32 or float64 training data (already validated; CSC must be converted to CSR by the
        caller). Dense ``X`` may be C- or F-ordered.
    y : ndarray
        The family's labels: for the categorical family int64 ``(n_samples,)`` class indices or
        ``(n_samples, n_outputs)`` class probabilities (X's dtype); for the binary family
        ``(n_samples, n_outputs)`` targets in [0, 1] (X's dtype).
    family : skxent._engine.LossFamily
        The loss family (a registry entry).
    n_outputs : int
        Number of classes or labels (columns of the logits).
    fit_intercept : bool
    sample_weight : ndarray of shape (n_samples,) or None
    class_weight, pos_weight : ndarray of shape (n_outputs,) or None
        The family's weight options, passed to it as given (the categorical family takes
        ``class_weight``, the binary family ``pos_weight``).
    label_smoothing : float
    C : float
        Inverse regularisation strength, as in ``LogisticRegression``.
    n_threads : int
        Threads for the kernels.
    block_rows : int or None
        Rows per block (None: chosen from the cache budget).
    fused : bool
        Allow the fused C pass (``skxent._fused``) where it runs the shape; False keeps the
        BLAS path's row blocks, which ``_softmax_cv`` shares among folds.
    block_bounds : list of (start, stop) or None
        Explicit row ranges of the blocks, in order, covering the rows (e.g. aligned to the
        folds of a cross-validation, ``_softmax_cv``); each at most ``block_rows`` long.
    require_weight : bool
        Raise if the total weight ``S`` is zero (nothing to fit). False for one chunk of a
        larger data set (``_dask_loss``), whose ``S`` is the sum over all chunks.
    mass_sum : bool
        Sigmoid link with one output only: ``S`` counts each sample's label mass with its
        positive part weighted by ``pos_weight``, ``S = sum_i s_i ((1 - y_i) + w y_i)``
        (SoftmaxRegression's binary model with class weights folded into ``s_i`` and ``w``, whose
        ``S`` is the class-weighted mass as in the softmax link). Default: ``S = sum_i s_i``
        (MultiLabelLogistic).
    where : bool ndarray of shape (n_samples, n_outputs) or None
        Families with separable outputs (the binary family's ``where``): only the ``True``
        entries are terms of the objective (the others, whose targets may be NaN, weigh 0 in
        the loss, the gradient and the Hessian). Each output ``j`` is then its own problem,
        normalised by its own ``S_j = sum_i s_i where_ij``, with ``l2_reg_strength_j = 1 / (C
        * S_j)``: ``sw_sum`` and ``l2_reg_strength`` are arrays of shape ``(n_outputs,)`` and
        the objective is the sum of the outputs' objectives. Both paths take the mask (the
        fused C pass hands it to the same chunk kernel).

    Attributes
    ----------
    sample_mass : ndarray of shape (n_samples,), float64
        Each sample's contribution to ``S`` per unit of sample weight (``S = sw @ sample_mass``):
        ``sum_k c_k y_ik`` (softmax), 1 (sigmoid), ``(1 - y_i) + w y_i`` (``mass_sum``).
    """

    def __init__(
        self,
        X,
        y,
        *,
        family,
        n_outputs,
        fit_intercept,
        sample_weight=None,
        class_weight=None,
        pos_weight=None,
        label_smoothing=0.0,
        C=1.0,
        n_threads=1,
        block_rows=None,
        require_weight=True,
        mass_sum=False,
        block_bounds=None,
        fused=True,
        where=None,
    ):
        self._set_layout(X, family, n_outputs, fit_intercept)
        self.is_sparse = sparse.issparse(X)
        self.label_smoothing = float(label_smoothing)
        self.n_threads = n_threads
        self.class_weight = class_weight
        self.pos_weight = pos_weight
        self.sample_weight = sample_weight
        self.y = y
        # the family's own options, as given (it rejects the ones it does not take)
        self._options = {k: v for k, v in (("class_weight", class_weight),
                                           ("pos_weight", pos_weight)) if v is not None}
        self._options["label_smoothing"] = self.label_smoothing

        n = self.n_samples
        K = self.n_outputs
        # S: the family's total weight per output (the "mean" denominator of its kernel):
        # scikit-learn's sum of sample_weight * class_weight[y_i] for hard labels.
        mass = family.sample_mass(y, K, **self._options)
        if mass_sum and pos_weight is not None:
            # SoftmaxRegression's binary model with class weights (c_0, c_1) folded into the
            # sample weight (c_0) and pos_weight (c_1 / c_0): S is the class-weighted mass
            if K != 1:
                raise ValueError("mass_sum applies to one output only")
            t = np.asarray(y, np.float64)[:, 0]
            mass = (1.0 - t) + float(pos_weight[0]) * t
        self.sample_mass = mass
        sw = None if sample_weight is None else np.asarray(sample_weight, np.float64)
        self.where = None
        if where is not None:
            if not family.separable_outputs or mass_sum:
                raise ValueError("where applies to families with separable outputs only")
            self.where = np.ascontiguousarray(where, dtype=bool)
            if self.where.shape != (n, K):
                raise ValueError(f"where must have shape {(n, K)}, got {self.where.shape}")
            # S_j: the weight of output j's observed entries, summed in float64
            w = mass if sw is None else sw * mass
            self.sw_sum = w @ self.where if n else np.zeros(K)
            # a build whose fused pass predates masks: the BLAS path
            fused = fused and getattr(_fused, "HAVE_WHERE", False)
        else:
            self.sw_sum = float(mass.sum()) if sw is None else float(sw @ mass)
        if require_weight and not np.all(self.sw_sum > 0):
            raise ValueError(
                "The sum of the sample weights (times class weights) is zero; there is "
                "nothing to fit."
            )
        if self.where is None:
            self.l2_reg_strength = 1.0 / (float(C) * self.sw_sum) if self.sw_sum > 0 else np.inf
        else:
            pos = self.sw_sum > 0
            self.l2_reg_strength = np.full(K, np.inf)
            self.l2_reg_strength[pos] = 1.0 / (float(C) * self.sw_sum[pos])

        self._fp = None
        self._pool = None
        self._hess_data = None  # per-block arrays for hessp (BLAS path)
        self._hess_coef = None
        if (fused and block_bounds is None and family.fused_kernel is not None
                and _use_fused(X, K)):
            self._init_fused(X, y, sample_weight, block_rows)
            return

        # Row blocks, sliced once (slicing a CSR matrix allocates, so not per evaluation).
        if self.is_sparse:
            # SciPy's sparse products hold the GIL, so worker threads would only serialise;
            # one worker, the kernel multithreaded instead. Few, large blocks: every block
            # produces a dense (n_outputs, n_features) partial gradient, which is expensive
            # for the wide matrices sparse data comes as.
            rows = block_rows or max(_SPARSE_MIN_BLOCK_ROWS, -(-n // _SPARSE_BLOCKS))
            rows = max(1, min(n, rows))
        else:
            rows = block_rows or _block_rows(n, self.n_features, K, X.dtype.itemsize)
        if block_rows is None:
            # Every block keeps an (n_outputs, n_features) float64 partial gradient until the
            # ordered reduction; cap their total (many classes x many features) by using fewer,
            # larger blocks. The block count never depends on n_threads.
            max_blocks = max(1, _PARTIALS_BYTES // (8 * K * max(self.n_features, 1)))
            rows = max(rows, -(-n // max_blocks))
            rows = max(1, min(n, rows))
        if block_bounds is None:
            block_bounds = [(start, min(n, start + rows)) for start in range(0, n, rows)]
        else:
            block_bounds = [(int(a), int(b)) for a, b in block_bounds]
            rows = max(b - a for a, b in block_bounds)
        self.block_rows = rows
        self.blocks = []
        # the blocks' rows of the mask (None: no mask)
        self._where_blocks = [None if self.where is None else self.where[a:b]
                              for a, b in block_bounds]
        for start, stop in block_bounds:
            Xb = X[start:stop]
            XbT = None
            self.blocks.append(
                (
                    start,
                    stop,
                    Xb,
                    XbT,
                    y[start:stop],
                    None if sample_weight is None else sample_weight[start:stop],
                )
            )
        n_threads = int(n_threads)
        if self.is_sparse:
            self.n_workers, self._kernel_threads = 1, n_threads
        else:
            # A pool round trip costs ~0.1-0.3 ms per evaluation: below ~1 ms of single-thread
            # work (n x d x K multiply-adds) one worker is faster (digits: 15 ms vs 25 ms a fit).
            small = self.n_samples * self.n_features * K < _MIN_PARALLEL_WORK
            self.n_workers = 1 if small else max(1, min(n_threads, len(self.blocks)))
            self._kernel_threads = 1
        self._bufs = [np.empty((rows, K), dtype=self.dtype) for _ in range(self.n_workers)]
        self._ones = np.ones(rows, dtype=self.dtype)

    def _init_fused(self, X, y, sample_weight, block_rows):
        """Set up the fused C pass (``skxent._fused.FusedPass``) over fixed chunks of rows."""
        n, K = self.n_samples, self.n_outputs
        rows, groups = _fused_chunking(X, K, block_rows)
        csc = None
        if self.is_sparse:
            csc_rows = _csr_transposed_chunking(X, K, block_rows)
            if csc_rows is not None:
                rows = csc_rows
                n_chunks = -(-n // rows)
                part_bytes = (self.n_features + 1) * K * 8
                at_least = 2 if 2 * part_bytes <= _FUSED_PARTIALS_MAX_BYTES else 1
                groups = max(1, min(n_chunks, _FUSED_MAX_GROUPS,
                                    max(at_least, _FUSED_PARTIALS_BYTES // part_bytes)))
                csc = _fused.csr_transposed(X, rows, max(1, int(self.n_threads)))
        kernel = self.family.fused_kernel
        softmax = kernel == "softmax"  # the C pass takes the family's options by kernel
        if softmax and y.ndim == 1:
            t, Y = np.ascontiguousarray(y, dtype=np.int64), None
        else:
            t, Y = None, np.asarray(y)
            if Y.dtype not in (np.float32, np.float64):
                Y = Y.astype(self.dtype)

        def f64(a):
            return None if a is None else np.ascontiguousarray(a, dtype=np.float64)

        small = n * self.n_features * K < _FUSED_MIN_PARALLEL_WORK
        hess_scale = None
        if softmax:
            hess_scale = self.family.sample_curvature(y, K, sample_weight=sample_weight,
                                                      **self._options)
        nt = 1 if small else max(1, int(self.n_threads))
        self._fp = _fused.FusedPass(
            X, t, Y, kernel, K, self.fit_intercept, f64(sample_weight),
            f64(self.class_weight) if softmax else None,
            None if softmax else f64(self.pos_weight),
            f64(hess_scale),
            self.label_smoothing, rows, groups, nt, _FUSED_ISA, csc,
            **({} if self.where is None else {"where": self.where}),
        )
        self.block_rows = rows
        # the chunks (row ranges) of the pass
        self.blocks = [(start, min(n, start + rows)) for start in range(0, n, rows)]
        self.n_workers, self._kernel_threads = 1, nt

    def loss_gradient(self, coef, *, store_hessian=False, per_output=False):
        """See :meth:`_LinearObjective.loss_gradient`. On the fused pass the scaling by ``1 / S``
        and the penalty's gradient are applied in the pass's final reduction: the gradient comes
        back in the flat layout, with no ``(n_outputs, n_features)`` temporaries (which cost as
        much as the pass itself for wide sparse ``X``)."""
        if self._fp is None or per_output or np.ndim(self.sw_sum) > 0:
            # (one normaliser per output, masked targets: the parent scales per output)
            return super().loss_gradient(coef, store_hessian=store_hessian,
                                         per_output=per_output)
        c = np.ascontiguousarray(coef, dtype=np.float64)
        W, b = self._fused_coefs(c)
        pK = self.n_features * self.n_outputs
        S, l2 = self.sw_sum, self.l2_reg_strength
        out, loss = self._fp.grad(W, b, store_hessian, False, c, S, l2)
        if store_hessian:
            self._hess_coef = c.copy()
        w = c[:pK]
        loss = float(loss) / S + 0.5 * l2 * float(np.dot(w, w))
        return loss, (out if self.fit_intercept else out[:pK])

    def _fused_coefs(self, coef):
        """``W (n_features, n_outputs)``, ``b (n_outputs,)`` in X's dtype, C-contiguous, from
        flat coefficients (scikit-learn's layout: the outputs of one feature are contiguous)."""
        c = np.asarray(coef, dtype=np.float64).reshape(self.n_dof, self.n_outputs)
        W = np.ascontiguousarray(c[: self.n_features], dtype=self.dtype)
        b = np.ascontiguousarray(c[-1], dtype=self.dtype) if self.fit_intercept else None
        return W, b

    def _fused_split(self, out):
        """The pass's ``((n_features + 1) * n_outputs,)`` result as ``(gW (K, p), gb (K,))``."""
        pK = self.n_features * self.n_outputs
        return out[:pK].reshape(self.n_features, self.n_outputs).T, out[pK:]

    def close(self):
        """Shut the worker threads down (the object stays usable; they restart on demand)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _map_blocks(self, fn):
        """``[fn(block_index, buffer) for every block]``, in block order, on the workers.

        Worker ``w`` takes blocks ``w, w + n_workers, ...`` with its own buffer, so no two
        concurrent calls share memory they write.
        """
        nblk = len(self.blocks)
        out = [None] * nblk
        if self.n_workers == 1:
            buf = self._bufs[0]
            for i in range(nblk):
                out[i] = fn(i, buf)
            return out

        def work(w):
            buf = self._bufs[w]
            for i in range(w, nblk, self.n_workers):
                out[i] = fn(i, buf)

        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.n_workers)
        # list() re-raises a worker's exception here.
        list(self._pool.map(work, range(self.n_workers)))
        return out

    # -- the fused pass ----------------------------------------------------------------------

    def _raw_into(self, buf, Xb, nb, Wt, b):
        raw = buf[:nb]
        if self.is_sparse:
            raw[...] = Xb @ Wt
        else:
            np.matmul(Xb, Wt, out=raw)
        if self.fit_intercept:
            raw += b
        return raw

    def _pointwise(self, yb, raw, swb, per_output=False, store_hessian=False, where=None):
        """The family's kernel on a block of logits: the pointwise gradient overwrites ``raw``.

        Returns the block's loss sum (per output column if ``per_output``) and, with
        ``store_hessian``, the Hessian data of the block (written by the same kernel pass).
        ``where``: the block's rows of the mask, or None.
        """
        family = self.family
        options = self._options if where is None else dict(self._options, where=where)
        prep = family.prepare(yb, raw, from_logits=True, sample_weight=swb, validate=False,
                              n_threads=self._kernel_threads, **options)
        hess = family.hessian_buffers(prep) if store_hessian else {}
        if per_output:
            terms = np.empty(family.loss_shape(raw.shape), dtype=raw.dtype)
            family.run(prep, loss_out=terms, grad_out=raw, **hess)
            return terms.sum(axis=0, dtype=np.float64), hess
        return float(family.run(prep, grad_out=raw, **hess).loss), hess

    def _sums(self, coef, store_hessian=False, per_output=False):
        """Loss sum and gradient sums (float64, not divided by S), in one pass over ``X``."""
        if self._fp is not None:
            W, b = self._fused_coefs(coef)
            out, loss = self._fp.grad(W, b, store_hessian, per_output)
            gW, gb = self._fused_split(out)
            return loss, gW, gb
        W, b = self.weight_intercept(coef)
        Wt = np.ascontiguousarray(W.T, dtype=self.dtype)
        bd = b.astype(self.dtype)

        def block(i, buf):
            start, stop, Xb, XbT, yb, swb = self.blocks[i]
            raw = self._raw_into(buf, Xb, stop - start, Wt, bd)
            loss_b, h = self._pointwise(yb, raw, swb, per_output, store_hessian,
                                        self._where_blocks[i])
            gW_b = raw.T @ Xb
            # ones @ raw (BLAS gemv) is ~10x faster than raw.sum(axis=0) on a (rows, K) block.
            gb_b = self._ones[: stop - start] @ raw if self.fit_intercept else None
            return loss_b, np.asarray(gW_b), gb_b, h

        parts = self._map_blocks(block)
        # Summed in block order: the same floating-point result for every n_threads.
        loss = np.zeros(self.n_outputs) if per_output else 0.0
        gW = np.zeros((self.n_outputs, self.n_features), dtype=np.float64)
        gb = np.zeros(self.n_outputs, dtype=np.float64)
        for loss_b, gW_b, gb_b, _ in parts:
            loss += loss_b
            gW += gW_b
            if gb_b is not None:
                gb += gb_b
        if store_hessian:
            self._hess_data = [p[3] for p in parts]
        return loss, gW, gb

    def _hess_sums(self, v):
        """Hessian-vector product sums at the stored point (float64, not divided by S)."""
        if self._fp is not None:
            V, vb = self._fused_coefs(v)
            return self._fused_split(self._fp.hessp(V, vb))
        if self._hess_data is None:
            raise RuntimeError("call loss_gradient(coef, store_hessian=True) first")
        V, vb = self.weight_intercept(v)
        Vt = np.ascontiguousarray(V.T, dtype=self.dtype)
        vbd = vb.astype(self.dtype)

        def block(i, buf):
            start, stop, Xb, XbT, yb, swb = self.blocks[i]
            U = self._raw_into(buf, Xb, stop - start, Vt, vbd)
            self.family.apply_hessian(self._hess_data[i], U)
            hW_b = U.T @ Xb
            hb_b = self._ones[: stop - start] @ U if self.fit_intercept else None
            return np.asarray(hW_b), hb_b

        hW = np.zeros((self.n_outputs, self.n_features), dtype=np.float64)
        hb = np.zeros(self.n_outputs, dtype=np.float64)
        for hW_b, hb_b in self._map_blocks(block):
            hW += hW_b
            if hb_b is not None:
                hb += hb_b
        return hW, hb
