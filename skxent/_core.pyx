# cython: language_level=3
"""skxent._core: thin Cython bindings to the C kernels in ``_kernels.h``.

Design note
-----------
Everything numeric happens in C (``_kernels.h`` for the formulas and the OpenMP driver,
``_simd.h`` for the vectorisable exp/log). This module only turns already validated NumPy
arrays into the kernels' argument structs (raw pointers plus element strides, so any layout
works without copies), releases the GIL for the duration of the call, and turns error codes into
exceptions. Validation, dtype conversion and the choice of outputs live in
``skxent/_validation.py`` and the public modules; nothing here checks user input beyond what is
needed to stay memory-safe (dtypes, shapes and C-contiguity of outputs).

N-D input arrives with its class axis last (a view, never a copy): ``_nd_geometry`` merges the
sample axes where every array's strides allow it and describes the rest to the kernels' row
driver (``sk_nd``), with the pointers it rebases per segment registered by their offsets in
the argument struct. 2-D input with C-ordered outputs takes the original path unchanged.
"""

import numpy as np

cimport numpy as cnp
from libc.stdint cimport int64_t

cnp.import_array()


cdef extern from "_kernels.h" nogil:
    ctypedef struct sk_view:
        const void *p
        int f32
        int64_t s0, s1

    ctypedef struct sk_mask:
        const unsigned char *p
        int64_t s0, s1

    ctypedef struct sk_nd:
        int64_t n_in
        int nouter, nsets, nptr
        int64_t shape[32]
        int64_t stride[6][32]
        int64_t s0[6]
        int64_t off[8]
        int set[8]

    ctypedef struct sk_acc:
        double sum
        double wsum
        double nnz
        double nterms

    ctypedef struct sk_cce_args:
        int64_t n, K
        sk_view x
        const int64_t *t
        sk_view y
        const double *sw
        const double *cw
        double smooth
        int has_ignore
        int64_t ignore
        int from_logits
        double clip_lo, clip_hi
        int out_f32
        void *loss_out
        void *grad_out
        void *proba_out
        void *curv_out
        void *hess_out
        double gamma
        double grad_scale
        int weights_only
        int64_t os0, os1
        const sk_nd *nd

    ctypedef struct sk_bce_args:
        int64_t n, L
        sk_view x
        sk_view y
        sk_view sw
        sk_mask where
        const double *pw
        double smooth
        double gamma
        int from_logits
        double clip_lo, clip_hi
        int out_f32
        void *loss_out
        void *grad_out
        void *hess_out
        double grad_scale
        int count
        int weights_only
        const sk_nd *nd

    ctypedef struct sk_kl_args:
        int64_t n, K
        sk_view x
        sk_view y
        const double *sw
        int from_logits
        int log_target
        double temperature
        int out_f32
        void *loss_out
        void *grad_out
        void *proba_out
        void *curv_out
        double grad_scale
        int64_t os0, os1
        const sk_nd *nd

    ctypedef struct sk_rows_args:
        int64_t n, K
        sk_view x
        int mode
        int out_f32
        void *out
        int64_t os0, os1
        const sk_nd *nd

    ctypedef struct sk_elem_args:
        int64_t n
        const void *x
        int f32
        int mode
        void *out

    ctypedef struct sk_scan_args:
        int64_t n, K
        sk_view x
        double lo, hi
        int integral
        double row_tol
        sk_mask where
        int64_t *first_bad
        int64_t rpc
        const sk_nd *nd

    int SK_OK, SK_ENOMEM
    int SK_LSE, SK_LOG_SOFTMAX, SK_SOFTMAX, SK_SIGMOID, SK_LOG_SIGMOID
    int SK_PAR_MIN, SK_CHUNK_ELEMS, SK_BLOCK, SK_ND_MAXDIM, SK_ND_MAXSET, SK_ND_MAXPTR

    int sk_cce(const sk_cce_args *a, int n_threads, sk_acc *out)
    int sk_bce(const sk_bce_args *a, int n_threads, sk_acc *out)
    int sk_kl(const sk_kl_args *a, int n_threads, sk_acc *out)
    int sk_rows(const sk_rows_args *a, int n_threads)
    int sk_elem(const sk_elem_args *a, int n_threads)
    int sk_scan(sk_scan_args *a, int n_threads, int64_t *first, double *nbad_rows)
    int sk_max_threads()
    int sk_openmp_enabled()
    const char *sk_simd_level()
    int sk_exp_array(const double *x, const double *xlo, double *out, int64_t n, int variant)


PAR_MIN = SK_PAR_MIN
CHUNK_ELEMS = SK_CHUNK_ELEMS
BLOCK = SK_BLOCK


def max_threads():
    """Threads an OpenMP parallel region would use now (honours OMP_NUM_THREADS/threadpoolctl)."""
    return sk_max_threads()


def openmp_enabled():
    return bool(sk_openmp_enabled())


def simd_level():
    return sk_simd_level().decode()


def exp_array(cnp.ndarray x, object xlo, cnp.ndarray out, int variant):
    """exp(x + xlo) elementwise with one of _simd.h's exps (tests and benchmarks only).

    variant 0: the portable exp (x + xlo <= 0), 1: its float32-data form, 2: the AVX-512 exp,
    3: its float32-data form. x, xlo (or None) and out: contiguous float64 of one length.
    Returns False, writing nothing, when variant 2 or 3 is asked for on a CPU without AVX-512.
    """
    cdef cnp.ndarray lo
    cdef const double *lop = NULL
    cdef int64_t n = x.shape[0]
    for a in (x, out) + ((xlo,) if xlo is not None else ()):
        if cnp.PyArray_TYPE(a) != cnp.NPY_FLOAT64 or not cnp.PyArray_IS_C_CONTIGUOUS(a) \
                or a.ndim != 1 or a.shape[0] != n:
            raise ValueError("x, xlo and out must be contiguous 1-D float64 of one length")
    if xlo is not None:
        lo = xlo
        lop = <const double *>cnp.PyArray_DATA(lo)
    cdef int rc
    with nogil:
        rc = sk_exp_array(<const double *>cnp.PyArray_DATA(x), lop,
                          <double *>cnp.PyArray_DATA(out), n, variant)
    return rc == 0


cdef inline int _is_f32(cnp.ndarray a) except -1:
    cdef int t = cnp.PyArray_TYPE(a)
    if t == cnp.NPY_FLOAT32:
        return 1
    if t == cnp.NPY_FLOAT64:
        return 0
    raise TypeError(f"kernel input must be float32 or float64, got {a.dtype}")


cdef inline sk_view _view2d(cnp.ndarray a) except *:
    """A 2-D (or 1-D, seen as (n, 1)) float array as a strided view; strides in elements."""
    cdef sk_view v
    v.f32 = _is_f32(a)
    v.p = cnp.PyArray_DATA(a)
    cdef Py_ssize_t item = a.itemsize
    if a.ndim == 2:
        v.s0 = a.strides[0] // item
        v.s1 = a.strides[1] // item
    elif a.ndim == 1:
        v.s0 = a.strides[0] // item
        v.s1 = 1
    else:
        raise ValueError("kernel input must be 1-D or 2-D")
    if (a.ndim >= 1 and a.strides[0] % item) or (a.ndim == 2 and a.strides[1] % item):
        raise ValueError("kernel input strides must be multiples of the item size")
    return v



# -- N-D geometry (see sk_nd in _kernels.h) --------------------------------------------------

cdef int _nd_geometry(sk_nd *g, tuple shape, list sets) except -1:
    """Fill g for sample axes of the given shape: ``sets`` holds, per stride set, the byte
    strides over those axes (a tuple), or None for an unused set. Axes of length 1 are dropped
    and adjacent axes merged where every set's strides allow it (numpy's nditer rule); the last
    remaining axis is the innermost (n_in rows), the others the outer axes."""
    cdef int nsets = len(sets)
    cdef int q, m = 0
    cdef Py_ssize_t j, k
    cdef int64_t d
    cdef int64_t mshape[64]
    cdef int64_t mstr[6][64]
    cdef bint ok
    if nsets > SK_ND_MAXSET:
        raise ValueError("too many arrays for the N-D kernels")
    if len(shape) > 64:
        raise ValueError("at most 64 dimensions are supported")
    for j in range(len(shape)):
        d = shape[j]
        if d == 1:
            continue
        if m:
            ok = True
            for q in range(nsets):
                if sets[q] is not None and mstr[q][m - 1] != d * <int64_t>sets[q][j]:
                    ok = False
                    break
            if ok:
                mshape[m - 1] *= d
                for q in range(nsets):
                    if sets[q] is not None:
                        mstr[q][m - 1] = sets[q][j]
                continue
        mshape[m] = d
        for q in range(nsets):
            mstr[q][m] = sets[q][j] if sets[q] is not None else 0
        m += 1
    if m - 1 > SK_ND_MAXDIM:
        raise ValueError(f"at most {SK_ND_MAXDIM + 1} non-mergeable sample axes are supported")
    g.nsets = nsets
    g.nptr = 0
    if m == 0:
        g.n_in = 1
        g.nouter = 0
        for q in range(nsets):
            g.s0[q] = 0
        return 0
    g.n_in = mshape[m - 1]
    g.nouter = m - 1
    for k in range(g.nouter):
        g.shape[k] = mshape[k]
    for q in range(nsets):
        g.s0[q] = mstr[q][m - 1]
        for k in range(g.nouter):
            g.stride[q][k] = mstr[q][k]
    return 0


cdef inline void _nd_ptr(sk_nd *g, void *args, void *field, int q) noexcept:
    """Register the pointer stored at ``field`` (inside the args struct) in stride set q."""
    g.off[g.nptr] = <char *>field - <char *>args
    g.set[g.nptr] = q
    g.nptr += 1


cdef inline sk_view _view_nd(cnp.ndarray a, int64_t s0_bytes) except *:
    """An N-D array with the class axis last as a strided view: the innermost sample stride
    from the geometry, the class stride its last axis's."""
    cdef sk_view v
    v.f32 = _is_f32(a)
    v.p = cnp.PyArray_DATA(a)
    cdef Py_ssize_t item = a.itemsize
    cdef Py_ssize_t s1 = a.strides[a.ndim - 1] if a.ndim else 0
    if s0_bytes % item or s1 % item:
        raise ValueError("kernel input strides must be multiples of the item size")
    v.s0 = s0_bytes // item
    v.s1 = s1 // item
    return v


cdef inline tuple _sample_strides(cnp.ndarray a):
    return tuple([a.strides[j] for j in range(a.ndim - 1)])


cdef inline tuple _sample_shape(cnp.ndarray a):
    return tuple([a.shape[j] for j in range(a.ndim - 1)])


cdef inline bint _same_shape(cnp.ndarray a, cnp.ndarray b) noexcept:
    if a.ndim != b.ndim:
        return False
    for j in range(a.ndim):
        if a.shape[j] != b.shape[j]:
            return False
    return True


cdef inline bint _same_strides(cnp.ndarray a, cnp.ndarray b) noexcept:
    for j in range(a.ndim):
        if a.strides[j] != b.strides[j]:
            return False
    return True


cdef inline bint _c_or_none(object o) noexcept:
    return o is None or cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>o)


cdef object _outs_nd(cnp.ndarray x, list outs, int f32):
    """The (n, K) outputs (None entries skipped), all of x's shape, writeable, of the kernel
    dtype and with the same strides (one stride set): returns the first, or None."""
    cdef cnp.ndarray o, first = None
    for out in outs:
        if out is None:
            continue
        o = out
        if not _same_shape(o, x) or not cnp.PyArray_ISWRITEABLE(o) or _is_f32(o) != f32:
            raise ValueError("kernel output must have y_pred's shape and dtype and be writeable")
        if first is None:
            first = o
        elif not _same_strides(o, first):
            raise ValueError("kernel outputs of y_pred's shape must share their strides")
    return first


cdef inline int64_t _n_rows(cnp.ndarray x) except -1:
    cdef int64_t n = 1
    cdef int j
    for j in range(x.ndim - 1):
        n *= x.shape[j]
    return n

cdef inline sk_mask _mask2d(object where, Py_ssize_t n, Py_ssize_t K) except *:
    """A boolean array of shape (n, K) (or (n,) when K == 1), any strides (0 for broadcast
    axes), as a mask view; None gives the empty mask."""
    cdef sk_mask v
    v.p = NULL
    v.s0 = 0
    v.s1 = 0
    if where is None:
        return v
    cdef cnp.ndarray w = where
    if cnp.PyArray_TYPE(w) != cnp.NPY_BOOL:
        raise ValueError("a mask must be a boolean array")
    if w.ndim == 2:
        if w.shape[0] != n or w.shape[1] != K:
            raise ValueError("the mask must have y_pred's shape")
        v.s0 = w.strides[0]
        v.s1 = w.strides[1]
    elif w.ndim == 1:
        if w.shape[0] != n or K != 1:
            raise ValueError("the mask must have y_pred's shape")
        v.s0 = w.strides[0]
        v.s1 = 1
    else:
        raise ValueError("the mask must be 1-D or 2-D")
    v.p = <const unsigned char *>cnp.PyArray_DATA(w)
    return v


cdef inline void *_out_ptr(object out, int f32, Py_ssize_t size) except? NULL:
    """Pointer to a C-contiguous writable output of the kernel dtype, or NULL for None."""
    if out is None:
        return NULL
    cdef cnp.ndarray o = out
    if not (cnp.PyArray_IS_C_CONTIGUOUS(o) and cnp.PyArray_ISWRITEABLE(o)):
        raise ValueError("kernel output must be C-contiguous and writeable")
    if _is_f32(o) != f32 or o.size != size:
        raise ValueError("kernel output has the wrong dtype or size")
    return cnp.PyArray_DATA(o)


cdef inline const double *_f64_vec(object a, Py_ssize_t length, str what) except? NULL:
    """Pointer to a contiguous float64 vector of the given length, or NULL for None."""
    if a is None:
        return NULL
    cdef cnp.ndarray v = a
    if cnp.PyArray_TYPE(v) != cnp.NPY_FLOAT64 or not cnp.PyArray_IS_C_CONTIGUOUS(v) \
            or v.ndim != 1 or v.shape[0] != length:
        raise ValueError(f"{what} must be a contiguous float64 vector of length {length}")
    return <const double *>cnp.PyArray_DATA(v)


cdef inline void _check(int rc) except *:
    if rc == SK_ENOMEM:
        raise MemoryError("skxent kernel could not allocate its workspace")


def cce(cnp.ndarray x, *, object t=None, object y=None, object sw=None, object cw=None,
        double smooth=0.0, object ignore=None, bint from_logits, double clip_lo=0.0,
        double clip_hi=1.0, object loss_out=None, object grad_out=None, object proba_out=None,
        object curv_out=None, object hess_out=None, double gamma=0.0, double grad_scale=1.0,
        int n_threads=1, bint weights_only=False):
    """Categorical cross-entropy kernel (keyword arguments only).

    Parameters
    ----------
    x : ndarray (n, K) float32/float64, any strides. IN logits or probabilities.
    t : ndarray (n,) int64 contiguous, or None. IN integer labels.
    y : ndarray (n, K) float32/float64, any strides, or None. IN label matrix (when t is None).
    sw : ndarray (n,) float64 contiguous or None. cw : ndarray (K,) float64 contiguous or None.
    smooth, ignore, from_logits, clip_lo, clip_hi : label smoothing, ignored label (or None),
        whether x holds logits, the probability clipping range.
    loss_out : ndarray (n,) of x's dtype, C-contiguous, or None. OUT weighted per-sample terms.
    grad_out : ndarray (n, K) of x's dtype, C-contiguous, or None. OUT gradient times grad_scale.
    proba_out : ndarray (n, K) of x's dtype, C-contiguous, or None. OUT softmax (logits only).
    curv_out : ndarray (n,) of x's dtype, C-contiguous, or None. OUT curvature a_i (logits only,
        gamma 0): the Hessian of sample i's term times grad_scale is ``a_i (diag(p) - p p^T)``.
    hess_out : ndarray (n, K) of x's dtype, C-contiguous, or None. OUT the diagonal of each
        sample's Hessian with respect to its logits, times grad_scale (logits only).
    gamma : focal exponent (0: plain cross-entropy).
    weights_only : only the weight sums (a cheap pre-pass; no output is written).

    Returns
    -------
    (sum of terms, sum of weights w_i, count of nonzero w_i, number of terms) as floats.
    """
    cdef sk_cce_args a
    cdef sk_acc acc
    cdef sk_nd g
    cdef cnp.ndarray ta, ya, orep
    if x.ndim < 1:
        raise ValueError("kernel input must be at least 1-D")
    a.K = x.shape[x.ndim - 1]
    a.n = _n_rows(x)
    a.t = NULL
    a.y.p = NULL
    a.y.f32 = 0
    a.y.s0 = 0
    a.y.s1 = 0
    a.os0 = 0
    a.os1 = 0
    a.nd = NULL
    if t is not None:
        ta = t
        if cnp.PyArray_TYPE(ta) != cnp.NPY_INT64 or not cnp.PyArray_IS_C_CONTIGUOUS(ta) \
                or ta.size != a.n:
            raise ValueError("integer labels must be a contiguous int64 array of length n")
        a.t = <const int64_t *>cnp.PyArray_DATA(ta)
    elif y is None or not _same_shape(<cnp.ndarray>y, x):
        raise ValueError("label matrix must have the shape of y_pred")
    cdef bint plain = x.ndim == 2 and _c_or_none(grad_out) and _c_or_none(proba_out) and \
        _c_or_none(hess_out)
    if plain:  # 2-D with C-ordered outputs: as it always was
        a.x = _view2d(x)
        if t is None:
            a.y = _view2d(y)
        a.grad_out = _out_ptr(grad_out, a.x.f32, a.n * a.K)
        a.proba_out = _out_ptr(proba_out, a.x.f32, a.n * a.K)
        a.hess_out = _out_ptr(hess_out, a.x.f32, a.n * a.K)
    else:
        orep = _outs_nd(x, [grad_out, proba_out, hess_out], _is_f32(x))
        ya = y if t is None else None
        _nd_geometry(&g, _sample_shape(x), [
            _sample_strides(x), None if ya is None else _sample_strides(ya),
            None if orep is None else _sample_strides(orep)])
        a.x = _view_nd(x, g.s0[0])
        _nd_ptr(&g, &a, &a.x.p, 0)
        if ya is not None:
            a.y = _view_nd(ya, g.s0[1])
            _nd_ptr(&g, &a, &a.y.p, 1)
        a.grad_out = NULL if grad_out is None else cnp.PyArray_DATA(<cnp.ndarray>grad_out)
        a.proba_out = NULL if proba_out is None else cnp.PyArray_DATA(<cnp.ndarray>proba_out)
        a.hess_out = NULL if hess_out is None else cnp.PyArray_DATA(<cnp.ndarray>hess_out)
        if orep is not None:
            a.os0 = g.s0[2] // orep.itemsize
            a.os1 = orep.strides[orep.ndim - 1] // orep.itemsize
            _nd_ptr(&g, &a, &a.grad_out, 2)
            _nd_ptr(&g, &a, &a.proba_out, 2)
            _nd_ptr(&g, &a, &a.hess_out, 2)
        if g.nouter:
            a.nd = &g
    a.sw = _f64_vec(sw, a.n, "sample weights")
    a.cw = _f64_vec(cw, a.K, "class weights")
    a.smooth = smooth
    a.has_ignore = ignore is not None
    a.ignore = ignore if ignore is not None else 0
    a.from_logits = from_logits
    a.clip_lo = clip_lo
    a.clip_hi = clip_hi
    a.out_f32 = a.x.f32
    a.loss_out = _out_ptr(loss_out, a.out_f32, a.n)
    a.curv_out = _out_ptr(curv_out, a.out_f32, a.n)
    if (a.proba_out != NULL or a.curv_out != NULL or a.hess_out != NULL) and not from_logits:
        raise ValueError("proba_out, curv_out and hess_out need logits")
    if (a.proba_out != NULL or a.curv_out != NULL) and gamma != 0.0:
        raise ValueError("proba_out and curv_out describe the plain cross-entropy's Hessian")
    a.gamma = gamma
    a.grad_scale = grad_scale
    a.weights_only = weights_only
    cdef int rc
    with nogil:
        rc = sk_cce(&a, n_threads, &acc)
    _check(rc)
    return acc.sum, acc.wsum, acc.nnz, acc.nterms


def bce(cnp.ndarray x, cnp.ndarray y, *, object sw=None, object where=None, object pw=None,
        double smooth=0.0, double gamma=0.0, bint from_logits, double clip_lo=0.0,
        double clip_hi=1.0, object loss_out=None, object grad_out=None, object hess_out=None,
        double grad_scale=1.0, int n_threads=1, bint count=False, bint weights_only=False):
    """Binary cross-entropy kernel, elementwise over (n, L) (1-D input is (n, 1)).

    x, y : ndarray (n, L) or (n,), float32/float64, any strides. IN logits/probabilities, targets.
    sw : float64 ndarray (n,) (one weight per sample) or of x's shape (one per element, any
        strides: a zero-strided broadcast view is read as it is), or None.
    where : bool ndarray of x's shape, any strides, or None. IN the elements that count.
    pw : (L,) float64 contiguous or None. gamma : focal exponent (0: plain cross-entropy).
    loss_out, grad_out, hess_out : C-contiguous arrays of x's dtype and size, or None. OUT the
        weighted terms, the gradient and the second derivative (logits only), both times
        grad_scale.
    count : also accumulate the denominators (sum and count of nonzero weights, number of
        terms) over the elements in ``where``; weights_only : only those (no output).
    Returns (sum of the weighted terms, sum of weights, nonzero weights, terms); the last three
    are 0 unless ``count``.
    """
    cdef sk_bce_args a
    cdef sk_acc acc
    cdef sk_nd g
    cdef cnp.ndarray swa, wa
    a.nd = NULL
    a.sw.p = NULL
    a.sw.f32 = 0
    a.sw.s0 = 0
    a.sw.s1 = 0
    if x.ndim <= 2:
        a.n = x.shape[0]
        a.L = x.shape[1] if x.ndim == 2 else 1
        if y.shape[0] != a.n or (y.shape[1] if y.ndim == 2 else 1) != a.L:
            raise ValueError("targets must have the shape of y_pred")
        a.x = _view2d(x)
        a.y = _view2d(y)
        if sw is not None:
            swa = sw
            if cnp.PyArray_TYPE(swa) != cnp.NPY_FLOAT64:
                raise ValueError("sample weights must be float64")
            if swa.ndim == 1 and swa.shape[0] == a.n:
                a.sw = _view2d(swa)
                a.sw.s1 = 0          # one weight per sample, read for every label
            elif swa.ndim == 2 and swa.shape[0] == a.n and swa.shape[1] == a.L:
                a.sw = _view2d(swa)
            else:
                raise ValueError("sample weights must have shape (n,) or y_pred's shape")
        a.where = _mask2d(where, a.n, a.L)
    else:
        # N-D: rows are the leading axes flattened in C order, the last axis the labels;
        # weights and mask are (broadcast) views of x's shape
        a.L = x.shape[x.ndim - 1]
        a.n = _n_rows(x)
        if not _same_shape(y, x):
            raise ValueError("targets must have the shape of y_pred")
        swa = sw
        wa = where
        if swa is not None and (cnp.PyArray_TYPE(swa) != cnp.NPY_FLOAT64 or
                                not _same_shape(swa, x)):
            raise ValueError("N-D sample weights must be a float64 view of y_pred's shape")
        if wa is not None and (cnp.PyArray_TYPE(wa) != cnp.NPY_BOOL or not _same_shape(wa, x)):
            raise ValueError("an N-D mask must be a boolean view of y_pred's shape")
        _nd_geometry(&g, _sample_shape(x), [
            _sample_strides(x), _sample_strides(y),
            None if swa is None else _sample_strides(swa),
            None if wa is None else _sample_strides(wa)])
        a.x = _view_nd(x, g.s0[0])
        a.y = _view_nd(y, g.s0[1])
        _nd_ptr(&g, &a, &a.x.p, 0)
        _nd_ptr(&g, &a, &a.y.p, 1)
        if swa is not None:
            a.sw = _view_nd(swa, g.s0[2])
            _nd_ptr(&g, &a, &a.sw.p, 2)
        a.where.p = NULL
        a.where.s0 = 0
        a.where.s1 = 0
        if wa is not None:
            a.where.p = <const unsigned char *>cnp.PyArray_DATA(wa)
            a.where.s0 = g.s0[3]
            a.where.s1 = wa.strides[wa.ndim - 1]
            _nd_ptr(&g, &a, &a.where.p, 3)
        if g.nouter:
            a.nd = &g
    a.pw = _f64_vec(pw, a.L, "pos_weight")
    a.smooth = smooth
    a.gamma = gamma
    a.from_logits = from_logits
    a.clip_lo = clip_lo
    a.clip_hi = clip_hi
    a.out_f32 = a.x.f32
    a.loss_out = _out_ptr(loss_out, a.out_f32, a.n * a.L)
    a.grad_out = _out_ptr(grad_out, a.out_f32, a.n * a.L)
    a.hess_out = _out_ptr(hess_out, a.out_f32, a.n * a.L)
    if a.hess_out != NULL and not from_logits:
        raise ValueError("hess_out needs logits")
    a.grad_scale = grad_scale
    a.count = count or weights_only
    a.weights_only = weights_only
    cdef int rc
    with nogil:
        rc = sk_bce(&a, n_threads, &acc)
    _check(rc)
    return acc.sum, acc.wsum, acc.nnz, acc.nterms


def kl(cnp.ndarray x, cnp.ndarray y, *, object sw=None, bint from_logits, bint log_target=False,
       double temperature=1.0, object loss_out=None, object grad_out=None,
       object proba_out=None, object curv_out=None, double grad_scale=1.0, int n_threads=1):
    """Kullback-Leibler divergence kernel KL(y || q), row-wise over (n, K) (keyword arguments).

    x : ndarray (n, K) float32/float64, any strides. IN logits (``from_logits``; divided by
        ``temperature``) or probabilities q.
    y : ndarray (n, K) float32/float64, any strides. IN target probabilities, or their logs
        (``log_target``).
    sw : (n,) float64 contiguous or None.
    loss_out : (n,) of x's dtype, C-contiguous, or None. OUT weighted per-sample divergences.
    grad_out : (n, K) of x's dtype, C-contiguous, or None. OUT gradient with respect to x times
        grad_scale.
    proba_out, curv_out : (n, K) and (n,) of x's dtype, C-contiguous, or None (logits only). OUT
        q = softmax(x / T) and a_i = grad_scale * sw_i * sum_k y_ik / T**2: the Hessian of
        sample i's term times grad_scale is ``a_i (diag(q) - q q^T)``.

    Returns the sum of the weighted terms.
    """
    cdef sk_kl_args a
    cdef sk_acc acc
    cdef sk_nd g
    cdef cnp.ndarray orep
    if x.ndim < 1:
        raise ValueError("kernel input must be at least 1-D")
    a.K = x.shape[x.ndim - 1]
    a.n = _n_rows(x)
    if not _same_shape(y, x):
        raise ValueError("targets must have the shape of y_pred")
    if not temperature > 0.0:
        raise ValueError("temperature must be > 0")
    a.os0 = 0
    a.os1 = 0
    a.nd = NULL
    if x.ndim == 2 and _c_or_none(grad_out) and _c_or_none(proba_out):
        a.x = _view2d(x)
        a.y = _view2d(y)
        a.grad_out = _out_ptr(grad_out, a.x.f32, a.n * a.K)
        a.proba_out = _out_ptr(proba_out, a.x.f32, a.n * a.K)
    else:
        orep = _outs_nd(x, [grad_out, proba_out], _is_f32(x))
        _nd_geometry(&g, _sample_shape(x), [
            _sample_strides(x), _sample_strides(y),
            None if orep is None else _sample_strides(orep)])
        a.x = _view_nd(x, g.s0[0])
        a.y = _view_nd(y, g.s0[1])
        _nd_ptr(&g, &a, &a.x.p, 0)
        _nd_ptr(&g, &a, &a.y.p, 1)
        a.grad_out = NULL if grad_out is None else cnp.PyArray_DATA(<cnp.ndarray>grad_out)
        a.proba_out = NULL if proba_out is None else cnp.PyArray_DATA(<cnp.ndarray>proba_out)
        if orep is not None:
            a.os0 = g.s0[2] // orep.itemsize
            a.os1 = orep.strides[orep.ndim - 1] // orep.itemsize
            _nd_ptr(&g, &a, &a.grad_out, 2)
            _nd_ptr(&g, &a, &a.proba_out, 2)
        if g.nouter:
            a.nd = &g
    a.sw = _f64_vec(sw, a.n, "sample weights")
    a.from_logits = from_logits
    a.log_target = log_target
    a.temperature = temperature
    a.out_f32 = a.x.f32
    a.loss_out = _out_ptr(loss_out, a.out_f32, a.n)
    a.curv_out = _out_ptr(curv_out, a.out_f32, a.n)
    if (a.proba_out != NULL or a.curv_out != NULL) and not from_logits:
        raise ValueError("proba_out and curv_out need logits")
    a.grad_scale = grad_scale
    cdef int rc
    with nogil:
        rc = sk_kl(&a, n_threads, &acc)
    _check(rc)
    return acc.sum


def rows(cnp.ndarray x, int mode, object out, int n_threads):
    """Row-wise softmax family along the last axis of x (any dimensions >= 1, any strides):
    mode 0 logsumexp -> out of x's size without the last axis, C-contiguous; 1 log_softmax,
    2 softmax -> out of x's shape, any strides (the samples' strides may differ from x's)."""
    cdef sk_rows_args a
    cdef sk_nd g
    cdef cnp.ndarray o = out
    if x.ndim < 1:
        raise ValueError("kernel input must be at least 1-D")
    a.K = x.shape[x.ndim - 1]
    a.n = _n_rows(x)
    a.mode = mode
    a.os0 = 0
    a.os1 = 0
    a.nd = NULL
    cdef bint plain = x.ndim == 2 and cnp.PyArray_IS_C_CONTIGUOUS(o)
    if plain:
        a.x = _view2d(x)
        a.out_f32 = a.x.f32
        a.out = _out_ptr(out, a.out_f32, a.n if mode == SK_LSE else a.n * a.K)
    elif mode == SK_LSE:
        _nd_geometry(&g, _sample_shape(x), [_sample_strides(x)])
        a.x = _view_nd(x, g.s0[0])
        _nd_ptr(&g, &a, &a.x.p, 0)
        a.out_f32 = a.x.f32
        a.out = _out_ptr(out, a.out_f32, a.n)
    else:
        _outs_nd(x, [o], _is_f32(x))
        _nd_geometry(&g, _sample_shape(x), [_sample_strides(x), _sample_strides(o)])
        a.x = _view_nd(x, g.s0[0])
        a.out_f32 = a.x.f32
        a.out = cnp.PyArray_DATA(o)
        a.os0 = g.s0[1] // o.itemsize
        a.os1 = o.strides[o.ndim - 1] // o.itemsize
        _nd_ptr(&g, &a, &a.x.p, 0)
        _nd_ptr(&g, &a, &a.out, 1)
    if not plain and g.nouter:
        a.nd = &g
    if a.out == NULL:
        raise ValueError("an output array is required")
    cdef int rc
    with nogil:
        rc = sk_rows(&a, n_threads)
    _check(rc)


def elementwise(cnp.ndarray x, int mode, object out, int n_threads):
    """Elementwise sigmoid (mode 0) or log-sigmoid (mode 1) of a contiguous array into out."""
    cdef sk_elem_args a
    if not (cnp.PyArray_IS_C_CONTIGUOUS(x) or cnp.PyArray_IS_F_CONTIGUOUS(x)):
        raise ValueError("elementwise kernels take contiguous input")
    a.n = x.size
    a.f32 = _is_f32(x)
    a.x = cnp.PyArray_DATA(x)
    a.mode = mode
    cdef cnp.ndarray o = out
    if not (cnp.PyArray_ISWRITEABLE(o) and o.size == a.n and _is_f32(o) == a.f32 and
            ((cnp.PyArray_IS_C_CONTIGUOUS(x) and cnp.PyArray_IS_C_CONTIGUOUS(o)) or
             (cnp.PyArray_IS_F_CONTIGUOUS(x) and cnp.PyArray_IS_F_CONTIGUOUS(o)))):
        raise ValueError("output must match the input's size, dtype and layout")
    a.out = cnp.PyArray_DATA(o)
    cdef int rc
    with nogil:
        rc = sk_elem(&a, n_threads)
    _check(rc)


def scan(cnp.ndarray x, double lo, double hi, bint integral, double row_tol, int n_threads,
         object where=None):
    """First row-major position of a value outside [lo, hi], NaN, or (integral) non-integer.

    ``where``: a boolean array of x's shape (any strides) or None: only the positions where it
    is True are checked (then no row sums are counted).

    Returns (first_bad_flat_index or -1, number of rows whose sum is off 1 by more than row_tol
    (only counted when row_tol > 0)).
    """
    cdef sk_scan_args a
    cdef sk_nd g
    cdef cnp.ndarray wa
    cdef int64_t first
    cdef double nbad
    a.nd = NULL
    if x.ndim <= 2:
        a.n = x.shape[0]
        a.K = x.shape[1] if x.ndim == 2 else 1
        a.x = _view2d(x)
        a.where = _mask2d(where, a.n, a.K)
    else:
        # N-D: rows are the leading axes flattened in C order (the flat index returned is
        # x's C-order index), the last axis the row
        a.K = x.shape[x.ndim - 1]
        a.n = _n_rows(x)
        wa = where
        if wa is not None and (cnp.PyArray_TYPE(wa) != cnp.NPY_BOOL or not _same_shape(wa, x)):
            raise ValueError("the mask must be a boolean array of y_pred's shape")
        _nd_geometry(&g, _sample_shape(x), [
            _sample_strides(x), None if wa is None else _sample_strides(wa)])
        a.x = _view_nd(x, g.s0[0])
        _nd_ptr(&g, &a, &a.x.p, 0)
        a.where.p = NULL
        a.where.s0 = 0
        a.where.s1 = 0
        if wa is not None:
            a.where.p = <const unsigned char *>cnp.PyArray_DATA(wa)
            a.where.s0 = g.s0[1]
            a.where.s1 = wa.strides[wa.ndim - 1]
            _nd_ptr(&g, &a, &a.where.p, 1)
        if g.nouter:
            a.nd = &g
    a.lo = lo
    a.hi = hi
    a.integral = integral
    a.row_tol = row_tol
    a.first_bad = NULL
    cdef int rc
    with nogil:
        rc = sk_scan(&a, n_threads, &first, &nbad)
    _check(rc)
    return first, int(nbad)
