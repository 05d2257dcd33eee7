# cython: language_level=3
"""skxent._fused: bindings to the fused linear-model pass of ``_fused.h``.

Design note
-----------
A separate extension module from ``skxent._core`` so that the fused pass (its micro-kernels are
compiled for three instruction-set families) builds and evolves on its own; it includes
``_kernels.h`` through ``_fused.h`` and calls the loss families' chunk kernels directly.
``FusedPass`` is built once per fit: it holds the problem description (raw pointers and
element strides into the caller's arrays, which it keeps alive), its partial-gradient buffers
and, after a gradient pass with ``store_hessian``, the per-sample Hessian data. Each call only
sets the coefficients, releases the GIL and runs the pass. Input checks are limited to what
memory safety needs; ``skxent/linear_model/_linear_loss.py`` validates and chooses the chunking.
"""

import numpy as np

cimport numpy as cnp
from libc.stdint cimport int64_t, uint16_t
from libc.string cimport memset

cnp.import_array()


cdef extern from "_fused.h" nogil:
    ctypedef struct sk_view:
        const void *p
        int f32
        int64_t s0, s1

    ctypedef struct sk_mask:
        const unsigned char *p
        int64_t s0, s1

    ctypedef struct skf_problem:
        int64_t n, p, K
        int f32
        int link
        int sparse
        int fit_intercept
        const void *X
        int64_t xs0, xs1
        const void *data
        const void *indices
        int idx64
        const int64_t *indptr
        const int64_t *t
        sk_view y
        const double *sw
        const double *cw
        const double *pw
        sk_mask where
        const double *hscale
        double smooth
        int64_t rpc, ldx, nchunks, ngroups
        int isa
        int64_t lanes
        int64_t kp
        int mode
        int store_hessian, per_output
        const void *W
        const void *b
        void *hstore
        void *part
        void *wpad
        const void *cvals
        const uint16_t *crows
        const int64_t *cptr
        const double *fin_coef
        double fin_S, fin_l2

    int SK_OK, SK_ENOMEM
    int SKF_SOFTMAX, SKF_SIGMOID, SKF_GRAD, SKF_HESSP, SKF_PAD, SKF_HAVE_FUSED
    int skf_setup(skf_problem *pb, int want_isa)
    int skf_run(const skf_problem *pb, int n_threads, double *out, double *loss)
    int64_t skf_part_elems(const skf_problem *pb)
    size_t skf_part_size(const skf_problem *pb)
    int skf_resolve_isa(int want)
    int skf_csr_transpose(int64_t n, int64_t p, int64_t rpc, const int64_t *indptr,
                          const void *indices, int idx64, const void *data, int f32,
                          void *vals, uint16_t *rows, int64_t *cptr, int n_threads)
    const char *skf_isa_name(int isa)


HAVE_FUSED = bool(SKF_HAVE_FUSED)
# FusedPass takes ``where`` (the sigmoid link's mask of missing labels)
HAVE_WHERE = True
PAD = SKF_PAD
_ISAS = {"auto": 0, "baseline": 1, "avx2": 2, "avx512": 3}


def isa_name(str want="auto"):
    """The instruction-set family the dense pass runs on this CPU (capped by ``want``)."""
    return skf_isa_name(skf_resolve_isa(_ISAS[want])).decode()


def csr_transposed(X, int64_t rows_per_chunk, int n_threads=1):
    """The chunk-transposed copy of CSR ``X`` for ``FusedPass(csc=...)``: each chunk of
    ``rows_per_chunk`` rows (at most 65536) as CSC. Returns ``(values, rows within the chunk
    (uint16), offsets (n_chunks * (p + 1),) int64 into values)``."""
    if rows_per_chunk < 1 or rows_per_chunk > 65536:
        raise ValueError("rows_per_chunk must be in [1, 65536]")
    cdef int64_t n = X.shape[0], p = X.shape[1]
    cdef cnp.ndarray ip = np.ascontiguousarray(X.indptr, dtype=np.int64)
    ind = X.indices
    if ind.dtype != np.int64 and ind.dtype != np.int32:
        ind = ind.astype(np.int32)
    cdef cnp.ndarray ia = np.ascontiguousarray(ind)
    cdef cnp.ndarray da = np.ascontiguousarray(X.data)
    cdef int f32 = _is_f32(da)
    cdef int64_t nnz = ip[n] - ip[0] if n else 0
    if ip.shape[0] != n + 1 or (n and (ip[0] < 0 or ip[n] > min(ia.shape[0], da.shape[0]))):
        raise ValueError("inconsistent CSR matrix")
    if n and nnz and (ia[ip[0]:ip[n]].min() < 0 or ia[ip[0]:ip[n]].max() >= p):
        raise ValueError("CSR column index out of range")
    cdef int64_t nch = (n + rows_per_chunk - 1) // rows_per_chunk
    cdef cnp.ndarray vals = np.empty(nnz, dtype=da.dtype)
    cdef cnp.ndarray rws = np.empty(nnz, dtype=np.uint16)
    cdef cnp.ndarray cptr = np.empty(nch * (p + 1), dtype=np.int64)
    cdef int rc
    cdef int idx64 = ia.dtype == np.int64
    with nogil:
        rc = skf_csr_transpose(n, p, rows_per_chunk, <const int64_t *>cnp.PyArray_DATA(ip),
                               cnp.PyArray_DATA(ia), idx64, cnp.PyArray_DATA(da), f32,
                               cnp.PyArray_DATA(vals), <uint16_t *>cnp.PyArray_DATA(rws),
                               <int64_t *>cnp.PyArray_DATA(cptr), n_threads)
    if rc == SK_ENOMEM:
        raise MemoryError("skxent could not allocate the transposed CSR copy")
    return vals, rws, cptr


cdef inline int _is_f32(cnp.ndarray a) except -1:
    cdef int t = cnp.PyArray_TYPE(a)
    if t == cnp.NPY_FLOAT32:
        return 1
    if t == cnp.NPY_FLOAT64:
        return 0
    raise TypeError(f"expected float32 or float64, got {a.dtype}")


cdef inline const double *_f64(object a, Py_ssize_t n, str what) except? NULL:
    if a is None:
        return NULL
    cdef cnp.ndarray v = a
    if cnp.PyArray_TYPE(v) != cnp.NPY_FLOAT64 or not cnp.PyArray_IS_C_CONTIGUOUS(v) \
            or v.ndim != 1 or v.shape[0] != n:
        raise ValueError(f"{what} must be a contiguous float64 vector of length {n}")
    return <const double *>cnp.PyArray_DATA(v)


cdef class FusedPass:
    """One problem of the fused pass; see ``_fused.h``.

    Parameters
    ----------
    X : ndarray (n, p) float32/float64 (any element strides), or a CSR matrix (``data`` of that
        dtype, int32/int64 ``indices``).
    t : int64 (n,) C-contiguous class indices (softmax), or None.
    y : ndarray (n, K) soft labels (softmax, when ``t`` is None) or targets (sigmoid).
    link : "softmax" or "sigmoid".
    sw : float64 (n,) or None; cw, pw : float64 (K,) or None; hscale : float64 (n,) (softmax).
    where : bool (n, K), any strides, or None (sigmoid): the terms that count; the others weigh 0
        in the loss, gradient and Hessian data, and their targets (NaN allowed) are not read.
    rows_per_chunk, n_groups : the chunking (independent of the thread count).
    isa : "auto", "baseline", "avx2" or "avx512" (a cap; the CPU's best family is the limit).
    """

    cdef skf_problem pb
    cdef object _keep
    cdef object _part
    cdef object _hstore
    cdef object _wpad
    cdef public int n_threads

    def __init__(self, X, t, y, str link, int64_t K, bint fit_intercept, sw, cw, pw, hscale,
                 double smooth, int64_t rows_per_chunk, int64_t n_groups, int n_threads,
                 str isa="auto", csc=None, where=None):
        cdef cnp.ndarray xa, ya, ta, ip
        memset(&self.pb, 0, sizeof(skf_problem))
        keep = []
        self.pb.link = SKF_SOFTMAX if link == "softmax" else SKF_SIGMOID
        self.pb.K = K
        self.pb.fit_intercept = fit_intercept
        self.pb.smooth = smooth
        if hasattr(X, "indptr"):
            xa = X.data
            self.pb.sparse = 1
            self.pb.n, self.pb.p = X.shape
            self.pb.f32 = _is_f32(xa)
            if not cnp.PyArray_IS_C_CONTIGUOUS(xa):
                raise ValueError("CSR data must be contiguous")
            ind = X.indices
            if ind.dtype == np.int64:
                self.pb.idx64 = 1
            elif ind.dtype != np.int32:
                ind = ind.astype(np.int32)
            ind = np.ascontiguousarray(ind)
            ip = np.ascontiguousarray(X.indptr, dtype=np.int64)
            if ip.shape[0] != self.pb.n + 1 or ind.shape[0] < ip[self.pb.n] or \
                    xa.shape[0] < ip[self.pb.n]:
                raise ValueError("inconsistent CSR matrix")
            self.pb.data = cnp.PyArray_DATA(xa)
            self.pb.indices = cnp.PyArray_DATA(<cnp.ndarray>ind)
            self.pb.indptr = <const int64_t *>cnp.PyArray_DATA(ip)
            keep += [xa, ind, ip]
        else:
            xa = X
            if xa.ndim != 2:
                raise ValueError("X must be 2-D")
            self.pb.n = xa.shape[0]
            self.pb.p = xa.shape[1]
            self.pb.f32 = _is_f32(xa)
            if xa.strides[0] % xa.itemsize or xa.strides[1] % xa.itemsize:
                raise ValueError("X strides must be multiples of the item size")
            self.pb.X = cnp.PyArray_DATA(xa)
            self.pb.xs0 = xa.strides[0] // xa.itemsize
            self.pb.xs1 = xa.strides[1] // xa.itemsize
            keep.append(xa)
        cdef int64_t n = self.pb.n
        if t is not None:
            ta = t
            if cnp.PyArray_TYPE(ta) != cnp.NPY_INT64 or not cnp.PyArray_IS_C_CONTIGUOUS(ta) \
                    or ta.ndim != 1 or ta.shape[0] != n:
                raise ValueError("class indices must be a contiguous int64 vector of length n")
            if n and (ta.min() < 0 or ta.max() >= K):
                raise ValueError("class indices out of range")
            self.pb.t = <const int64_t *>cnp.PyArray_DATA(ta)
            keep.append(ta)
        else:
            ya = y
            if ya.ndim != 2 or ya.shape[0] != n or ya.shape[1] != K:
                raise ValueError("targets must have shape (n_samples, n_outputs)")
            if ya.strides[0] % ya.itemsize or ya.strides[1] % ya.itemsize:
                raise ValueError("target strides must be multiples of the item size")
            self.pb.y.p = cnp.PyArray_DATA(ya)
            self.pb.y.f32 = _is_f32(ya)
            self.pb.y.s0 = ya.strides[0] // ya.itemsize
            self.pb.y.s1 = ya.strides[1] // ya.itemsize
            keep.append(ya)
        self.pb.sw = _f64(sw, n, "sample weights")
        self.pb.cw = _f64(cw, K, "class weights")
        self.pb.pw = _f64(pw, K, "pos_weight")
        if self.pb.link == SKF_SOFTMAX:
            self.pb.hscale = _f64(hscale, n, "Hessian scale")
            if self.pb.hscale == NULL:
                raise ValueError("the softmax link needs the Hessian scale")
        keep += [sw, cw, pw, hscale]
        cdef cnp.ndarray wa
        if where is not None:
            # the sigmoid link's terms that count: a bool (n, K) mask, any strides
            wa = where
            if self.pb.link != SKF_SIGMOID or cnp.PyArray_TYPE(wa) != cnp.NPY_BOOL \
                    or wa.ndim != 2 or wa.shape[0] != n or wa.shape[1] != K:
                raise ValueError("where must be a bool (n_samples, n_outputs) mask (sigmoid)")
            self.pb.where.p = <const unsigned char *>cnp.PyArray_DATA(wa)
            self.pb.where.s0 = wa.strides[0]
            self.pb.where.s1 = wa.strides[1]
            keep.append(wa)
        self._keep = keep
        self.pb.rpc = max(1, rows_per_chunk)
        self.pb.nchunks = (n + self.pb.rpc - 1) // self.pb.rpc
        self.pb.ngroups = max(1, min(n_groups, self.pb.nchunks)) if self.pb.nchunks else 0
        cdef cnp.ndarray cv, cr, cp
        if csc is not None:
            # CSR's chunk-transposed copy: (values, rows within the chunk, per-chunk offsets)
            cv, cr, cp = csc
            if not self.pb.sparse or self.pb.rpc > 65536:
                raise ValueError("the transposed copy is for CSR chunks of <= 65536 rows")
            if cv.dtype != X.data.dtype or cr.dtype != np.uint16 or cp.dtype != np.int64 \
                    or not (cnp.PyArray_IS_C_CONTIGUOUS(cv) and cnp.PyArray_IS_C_CONTIGUOUS(cr)
                            and cnp.PyArray_IS_C_CONTIGUOUS(cp)) \
                    or cp.shape[0] != self.pb.nchunks * (self.pb.p + 1) \
                    or cr.shape[0] != cv.shape[0] \
                    or (cp.shape[0] and (cp.min() < 0 or cp.max() > cv.shape[0])):
                raise ValueError("inconsistent transposed CSR copy")
            self.pb.cvals = cnp.PyArray_DATA(cv)
            self.pb.crows = <const uint16_t *>cnp.PyArray_DATA(cr)
            self.pb.cptr = <const int64_t *>cnp.PyArray_DATA(cp)
            keep += [cv, cr, cp]
        if not skf_setup(&self.pb, _ISAS[isa]):
            raise RuntimeError("the fused pass is not compiled in this build")
        esize = skf_part_size(&self.pb)
        self._part = np.empty(max(1, self.pb.ngroups * skf_part_elems(&self.pb)),
                              dtype=np.float64 if esize == 8 else np.float32)
        self.pb.part = cnp.PyArray_DATA(<cnp.ndarray>self._part)
        self._wpad = None
        if self.pb.sparse and self.pb.kp != K:
            self._wpad = np.empty(max(1, self.pb.p * self.pb.kp),
                                  dtype=np.float32 if self.pb.f32 else np.float64)
            self.pb.wpad = cnp.PyArray_DATA(<cnp.ndarray>self._wpad)
        self._hstore = None
        self.n_threads = n_threads

    @property
    def isa(self):
        if self.pb.sparse:
            return "csr-transposed" if self.pb.cvals != NULL else "csr"
        return skf_isa_name(self.pb.isa).decode()

    @property
    def n_chunks(self):
        return self.pb.nchunks

    @property
    def n_groups(self):
        return self.pb.ngroups

    @property
    def rows_per_chunk(self):
        return self.pb.rpc

    @property
    def partial_bytes(self):
        return self._part.nbytes

    cdef _coefs(self, skf_problem *pb, object W, object b):
        cdef cnp.ndarray wa = W
        dt = np.float32 if self.pb.f32 else np.float64
        if wa.dtype != dt or not cnp.PyArray_IS_C_CONTIGUOUS(wa) or wa.ndim != 2 \
                or wa.shape[0] != self.pb.p or wa.shape[1] != self.pb.K:
            raise ValueError("coefficients must be a C-contiguous (p, K) array of X's dtype")
        pb.W = cnp.PyArray_DATA(wa)
        pb.b = NULL
        cdef cnp.ndarray ba
        if self.pb.fit_intercept:
            ba = b
            if ba.dtype != dt or not cnp.PyArray_IS_C_CONTIGUOUS(ba) or ba.ndim != 1 \
                    or ba.shape[0] != self.pb.K:
                raise ValueError("intercepts must be a contiguous (K,) array of X's dtype")
            pb.b = cnp.PyArray_DATA(ba)

    def grad(self, W, b, bint store_hessian=False, bint per_output=False, coef=None,
             double S=1.0, double l2=0.0):
        """Loss sum(s) and gradient sums at ``W`` (p, K), ``b`` (K,) (X's dtype).

        Returns ``(out, loss)``: ``out`` float64 ``((p + 1) * K,)`` (row p: the intercept's
        sums), ``loss`` a float, or float64 ``(K,)`` if ``per_output`` (sigmoid).

        With ``coef`` (float64, C-contiguous, at least ``p * K`` elements: the coefficients
        without the intercept, feature-major), ``out`` is already the objective's gradient,
        ``sums / S + l2 * coef`` (the intercept's row ``sums / S``), computed in the pass's final
        reduction; ``loss`` stays the plain sum.
        """
        cdef skf_problem pb = self.pb
        self._coefs(&pb, W, b)
        cdef cnp.ndarray ca
        if coef is not None:
            ca = coef
            if cnp.PyArray_TYPE(ca) != cnp.NPY_FLOAT64 or not cnp.PyArray_IS_C_CONTIGUOUS(ca) \
                    or ca.size < pb.p * pb.K:
                raise ValueError("coef must be a contiguous float64 array of >= p * K elements")
            pb.fin_coef = <const double *>cnp.PyArray_DATA(ca)
            pb.fin_S = S
            pb.fin_l2 = l2
        if per_output and pb.link != SKF_SIGMOID:
            raise ValueError("per_output is for the sigmoid link")
        pb.mode = SKF_GRAD
        pb.per_output = per_output
        pb.store_hessian = store_hessian
        if store_hessian:
            if self._hstore is None:
                self._hstore = np.empty(max(1, pb.n * pb.K),
                                        dtype=np.float32 if pb.f32 else np.float64)
            pb.hstore = cnp.PyArray_DATA(<cnp.ndarray>self._hstore)
        cdef cnp.ndarray out = np.empty((pb.p + 1) * pb.K, dtype=np.float64)
        cdef cnp.ndarray loss = np.empty(pb.K if per_output else 1, dtype=np.float64)
        cdef int rc
        cdef int nt = self.n_threads
        with nogil:
            rc = skf_run(&pb, nt, <double *>cnp.PyArray_DATA(out),
                         <double *>cnp.PyArray_DATA(loss))
        if rc == SK_ENOMEM:
            raise MemoryError("skxent fused pass could not allocate its workspace")
        if store_hessian:
            self.pb.store_hessian = 1  # marks the store as filled
        return out, (loss if per_output else float(loss[0]))

    def hessp(self, V, vb):
        """Hessian-vector product sums at the point of the last ``grad(store_hessian=True)``.

        Returns float64 ``((p + 1) * K,)`` (row p: the intercept's).
        """
        if not self.pb.store_hessian or self._hstore is None:
            raise RuntimeError("call grad(..., store_hessian=True) first")
        cdef skf_problem pb = self.pb
        self._coefs(&pb, V, vb)
        pb.mode = SKF_HESSP
        pb.per_output = 0
        pb.store_hessian = 0
        pb.hstore = cnp.PyArray_DATA(<cnp.ndarray>self._hstore)
        cdef cnp.ndarray out = np.empty((pb.p + 1) * pb.K, dtype=np.float64)
        cdef double dummy[1]
        cdef int rc
        cdef int nt = self.n_threads
        with nogil:
            rc = skf_run(&pb, nt, <double *>cnp.PyArray_DATA(out), dummy)
        if rc == SK_ENOMEM:
            raise MemoryError("skxent fused pass could not allocate its workspace")
        return out
