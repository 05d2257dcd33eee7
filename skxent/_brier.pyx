# cython: language_level=3
"""skxent._brier: binding of the Brier score kernel in ``_brier.h``.

Design note
-----------
A module of its own (not part of ``skxent._core``) so that the Brier metrics do not touch the
cross-entropy kernels: the kernel is one pass over the probabilities that returns the weighted
sum of the rows and, from the same read, the range flag and row-sum extremes that scikit-learn's
validation needs (see the header). Like ``_core``, this only turns validated arrays into the
kernel's arguments and releases the GIL; every check of user input lives in
``skxent/_proba_metrics.py``.
"""

import numpy as np

cimport numpy as cnp
from libc.stdint cimport int64_t

cnp.import_array()


cdef extern from "_brier.h" nogil:
    ctypedef struct skp_brier_args:
        int64_t n, K
        const void *x
        int f32
        int64_t s0, s1
        const int64_t *t
        const double *sw
        int binary
        int others

    int SKP_OK, SKP_ENOMEM
    int SKP_CHUNK_ELEMS, SKP_PAR_MIN
    int skp_brier(const skp_brier_args *a, int n_threads, double *out, int *bad)


CHUNK_ELEMS = SKP_CHUNK_ELEMS
PAR_MIN = SKP_PAR_MIN


def brier(cnp.ndarray x, cnp.ndarray t, object sw, bint binary, bint others, int n_threads):
    """Weighted sum of Brier rows, plus the validation values of the same pass.

    Parameters
    ----------
    x : ndarray (n, K) (or (n,) when ``binary``), float32/float64, any strides (a row stride of
        0 means every row is the same vector). IN probabilities.
    t : ndarray (n,) int64 contiguous. IN class index in [0, K) or -1 (none); binary: 0 or 1.
    sw : ndarray (n,) float64 contiguous, or None. IN sample weights.
    binary : x is the positive-class probability of a two-class problem.
    others : use sum_{k != t} p_k for 1 - p_t (softmax outputs).

    Returns
    -------
    (sum of w_i q_i, all values in [0, 1] and not NaN, smallest row sum, largest row sum).
    The row sums are +inf/-inf when not computed (binary input, n = 0).
    """
    cdef skp_brier_args a
    cdef double out[3]
    cdef int bad = 0
    cdef int typ = cnp.PyArray_TYPE(x)
    cdef Py_ssize_t item = x.itemsize
    if typ == cnp.NPY_FLOAT32:
        a.f32 = 1
    elif typ == cnp.NPY_FLOAT64:
        a.f32 = 0
    else:
        raise TypeError(f"kernel input must be float32 or float64, got {x.dtype}")
    if binary:
        if x.ndim != 1:
            raise ValueError("binary input must be 1-D")
        a.K = 1
        a.s1 = 1
    else:
        if x.ndim != 2:
            raise ValueError("multi-class input must be 2-D")
        a.K = x.shape[1]
        if x.strides[1] % item:
            raise ValueError("kernel input strides must be multiples of the item size")
        a.s1 = x.strides[1] // item
    if x.strides[0] % item:
        raise ValueError("kernel input strides must be multiples of the item size")
    a.n = x.shape[0]
    a.s0 = x.strides[0] // item
    a.x = cnp.PyArray_DATA(x)
    if cnp.PyArray_TYPE(t) != cnp.NPY_INT64 or not cnp.PyArray_IS_C_CONTIGUOUS(t) \
            or t.ndim != 1 or t.shape[0] != a.n:
        raise ValueError("labels must be a contiguous int64 vector of length n")
    a.t = <const int64_t *>cnp.PyArray_DATA(t)
    cdef cnp.ndarray w
    if sw is None:
        a.sw = NULL
    else:
        w = sw
        if cnp.PyArray_TYPE(w) != cnp.NPY_FLOAT64 or not cnp.PyArray_IS_C_CONTIGUOUS(w) \
                or w.ndim != 1 or w.shape[0] != a.n:
            raise ValueError("sample weights must be a contiguous float64 vector of length n")
        a.sw = <const double *>cnp.PyArray_DATA(w)
    a.binary = binary
    a.others = others
    cdef int rc
    with nogil:
        rc = skp_brier(&a, n_threads, out, &bad)
    if rc == SKP_ENOMEM:
        raise MemoryError("skxent Brier kernel could not allocate its chunk table")
    return out[0], not bad, out[1], out[2]
