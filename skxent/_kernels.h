/* skxent/_kernels.h -- the cross-entropy kernels behind skxent.losses, skxent.special,
 * skxent.metrics and skxent.linear_model.
 *
 * Design note
 * -----------
 * Layout of the work. Rows (samples) are cut into chunks whose size depends only on the number
 * of classes K (SK_CHUNK_ELEMS / K rows), never on the thread count. OpenMP hands whole chunks to
 * threads (schedule(static)); each chunk writes its partial sums to its own slot and the slots
 * are added in chunk order at the end. So every result -- reduced losses included -- is
 * bit-identical for any n_threads. Inputs smaller than SK_PAR_MIN elements run serially (a
 * parallel region costs more than the work).
 *
 * N-D inputs (the class axis moved last as a view, never copied): the sample axes are merged
 * where their strides allow, and the row driver cuts each chunk at multiples of the innermost
 * sample axis into segments, moving the base pointers of the per-element arrays (inputs and
 * (n, K) outputs) to each segment's outer offset (sk_nd, sk_run_chunk). The kernels keep global
 * row indices, so per-row arrays (labels, weights, per-sample losses) stay contiguous over the
 * flattened samples; 2-D input is one segment, the kernel called exactly as before. Outputs of
 * the input's shape are written through strided views (sk_store_Ts): for (N, C, H, W) along
 * axis 1 the T-layout block is stored by straight copies, one per class.
 *
 * Inside a chunk, rows are processed in blocks of R = cap / K rows (cap >= K elements, a few KB,
 * so a block stays in L1/L2): the block's logits are loaded once (widened to double, any strides,
 * float32 or float64), then a flat loop over all R*K elements does the expensive part (exp, log)
 * at full SIMD width, whatever K is: for K = 10 a per-row loop would use a fraction of a vector.
 * Large K simply means R = 1 and a larger per-thread workspace. No n x K temporary is allocated;
 * the gradient, when asked for, is written straight into the caller's output.
 *
 * The formulas (x = logits of one row, m = max_k x_k, a = first argmax, d_k = x_k - m <= 0,
 * e_k = exp(d_k), s' = sum_{k != a} e_k, s = 1 + s' = sum_k e_k, L = log1p(s')):
 *   logsumexp(x) = m + L
 *   CE(x, t)     = L                  if t == a   (log1p of the non-target mass: a loss of
 *                                                    1e-300 stays 1e-300, never rounds to 0)
 *                = L + (m - x_t)      otherwise   (two non-negative terms: no cancellation)
 *   soft labels, weights c_k, q_k = c_k y'_k, C = sum_k q_k:
 *     CE         = C L + sum_{q_k > 0} q_k (m - x_k)
 *     dCE/dx_j   = (C'_j e_j - q_j s'_j) / s,  C'_j = sum_{k != j} q_k,  s'_j = sum_{k != j} e_k
 *   which is (sum_k q_k) p_j - q_j (exact for rows that do not sum to one) written so that the
 *   target component p_t - 1 = -s'_t / s is a sum of the other classes' mass, not 1 - p_t.
 *   C'_a and s'_a are accumulated directly; for j != a, s - e_j >= 1 and C - q_j are exact enough.
 * -inf logits give e_k = 0 exactly, and their terms are skipped where q_k == 0, so masked
 * classes carry loss 0 and gradient exactly 0. NaN or +inf logits make the row NaN.
 *
 * Sigmoid family (elementwise; l = log1p(exp(-|x|))): softplus(x) = max(x,0) + l,
 *   BCE(x, y) = pw y softplus(-x) + (1 - y) softplus(x), each term skipped when its weight is 0,
 *   dBCE/dx  = -pw y sigmoid(-x) + (1 - y) sigmoid(x), sigmoid from e = exp(-|x|) without 1 - p.
 * Its weights are a strided view (per sample: a zero column stride; per element; any broadcast)
 * and its mask a strided byte view: a masked element weighs 0 and its inputs are replaced by
 * finite stand-ins, so it adds exactly 0 (NaN labels there are fine), and the kernel counts the
 * reductions' denominators itself (a mask makes them data).
 *
 * Focal loss (gamma > 0; gamma == 0 never enters its code, so plain cross-entropy is bit for bit
 * what it was) multiplies each part by a power of the other probability, (1 - p)^g =
 * exp(g log(1 - p)). The log is kept as a double-double (softplus as max(x, 0) + l with its
 * rounding error; the other classes' mass s'/s; sk_log_dd) and the product g log(1 - p) is
 * formed exactly (an fma), so the power is as accurate as the exp: rounding g log(1 - p) to a
 * double alone would cost up to g |log(1 - p)| / 2 ulps. Gradients and the Hessian's diagonal
 * are written as sums of non-negative terms wherever the function allows it (the categorical
 * gradient is the soft-label one with q_k replaced by u_k = -q_k p_k dphi/dp_k); see the point
 * functions. These paths are functions of their own (SK_OUTLINE): inlined, they made GCC compile
 * the plain loops worse.
 *
 * Sums: each chunk accumulates in double into 8 fixed lanes (a vectorisable but fixed-order
 * reduction), then the lanes are added in order. Float32 inputs therefore accumulate in float64.
 */
#ifndef SKXENT_KERNELS_H
#define SKXENT_KERNELS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "_simd.h"

#ifdef SKXENT_OPENMP
#include <omp.h>
#endif

#define SK_BLOCK 2048           /* elements per block (minimum workspace row capacity) */
#define SK_CHUNK_ELEMS 16384    /* elements per chunk: the unit of parallel work and of summation */
#define SK_PAR_MIN 65536        /* below this many elements, stay single-threaded */
#define SK_LANES 8

#define SK_OK 0
#define SK_ENOMEM 1

/* A strided 2-D view of float32 or float64 data; strides in elements (may be negative). */
typedef struct {
    const void *p;
    int f32;
    int64_t s0, s1;
} sk_view;

/* A strided 2-D view of a boolean mask (NumPy bool: one byte, 0 or 1); strides in elements
 * (may be 0: a broadcast mask is read, never materialised). p == NULL: no mask. */
typedef struct {
    const uint8_t *p;
    int64_t s0, s1;
} sk_mask;

/* N-D inputs: the sample axes of an array whose class axis was moved last (a view), flattened in
 * C order, with the adjacent axes whose strides allow it merged (as numpy's nditer does). What
 * remains is an innermost sample axis of n_in rows (each array's row stride s0 in its view) and
 * `nouter` outer axes. Row i = o * n_in + j lies at outer index o; the row driver cuts each
 * chunk's rows at multiples of n_in into segments and, per segment, moves each registered
 * pointer of the kernel's arguments by outer_offset(o) - o * n_in * s0 (bytes, per stride set),
 * so the kernels keep global row indices (per-row arrays -- labels, weights, per-sample losses --
 * stay contiguous over the flattened samples). nouter == 0 (2-D input, or sample axes that
 * merge into one): one segment, the kernel called exactly as without this struct. */
#define SK_ND_MAXDIM 32
#define SK_ND_MAXSET 6
#define SK_ND_MAXPTR 8
typedef struct {
    int64_t n_in;                               /* rows per run of the innermost sample axis */
    int nouter, nsets, nptr;
    int64_t shape[SK_ND_MAXDIM];                /* the outer sample axes, C order */
    int64_t stride[SK_ND_MAXSET][SK_ND_MAXDIM]; /* their strides in bytes, per stride set */
    int64_t s0[SK_ND_MAXSET];                   /* innermost sample stride in bytes, per set */
    int64_t off[SK_ND_MAXPTR];                  /* byte offset of a pointer in the args struct */
    int set[SK_ND_MAXPTR];                      /* the stride set of that pointer */
} sk_nd;

/* Partial results of one chunk. */
typedef struct {
    double sum;     /* sum of weighted loss terms */
    double wsum;    /* sum of per-sample weights w_i (the API reference's "weight") */
    double nnz;     /* count of w_i != 0 */
    double nterms;  /* count of terms (samples not dropped by ignore_index) */
} sk_acc;

static int sk_max_threads(void)
{
#ifdef SKXENT_OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static int sk_openmp_enabled(void)
{
#ifdef SKXENT_OPENMP
    return 1;
#else
    return 0;
#endif
}

static const char *sk_simd_level(void)
{
#if SK_HAVE_CLONES
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        return "avx512 (x86-64-v4)";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "avx2 (x86-64-v3)";
    return "sse2 (x86-64 baseline)";
#else
    return "compiler default (no run-time dispatch)";
#endif
}

/* ---------------------------------------------------------------------------------------- */
/* loads and stores                                                                           */

SK_INLINE void sk_load_row(const sk_view *v, int64_t i, int64_t K, double *out)
{
    /* strides copied to locals: read through v they would be reloaded after every store */
    const int64_t s0 = v->s0, s1 = v->s1;
    if (v->f32) {
        const float *q = (const float *)v->p + i * s0;
        if (s1 == 1)
            for (int64_t k = 0; k < K; k++) out[k] = (double)q[k];
        else
            for (int64_t k = 0; k < K; k++) out[k] = (double)q[k * s1];
    } else {
        const double *q = (const double *)v->p + i * s0;
        if (s1 == 1)
            for (int64_t k = 0; k < K; k++) out[k] = q[k];
        else
            for (int64_t k = 0; k < K; k++) out[k] = q[k * s1];
    }
}

/* OUT out[k] = 1.0 or 0.0: row i of a mask. */
SK_INLINE void sk_load_mask_row(const sk_mask *v, int64_t i, int64_t K, double *out)
{
    const int64_t s0 = v->s0, s1 = v->s1;
    const uint8_t *q = v->p + i * s0;
    if (s1 == 1)
        for (int64_t k = 0; k < K; k++) out[k] = q[k] ? 1.0 : 0.0;
    else
        for (int64_t k = 0; k < K; k++) out[k] = q[k * s1] ? 1.0 : 0.0;
}

SK_INLINE double sk_get(const sk_view *v, int64_t i, int64_t k)
{
    return v->f32 ? (double)((const float *)v->p)[i * v->s0 + k * v->s1]
                  : ((const double *)v->p)[i * v->s0 + k * v->s1];
}

/* Store n doubles to a contiguous float32/float64 output starting at element offset off. */
SK_INLINE void sk_store(void *out, int f32, int64_t off, const double *src, int64_t n)
{
    if (f32) {
        float *q = (float *)out + off;
        for (int64_t j = 0; j < n; j++) q[j] = (float)src[j];
    } else {
        double *q = (double *)out + off;
        for (int64_t j = 0; j < n; j++) q[j] = src[j];
    }
}

/* Fixed-order, compensated summation over 8 lanes: deterministic, vectorisable without
 * -fassociative-math, and accurate to ~2 ulps for any n (Kahan per lane, then the lanes). */
SK_INLINE double sk_lane_sum(const double *v, int64_t n)
{
    double acc[SK_LANES] = {0, 0, 0, 0, 0, 0, 0, 0}, cmp[SK_LANES] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = 0;
    for (; j + SK_LANES <= n; j += SK_LANES)
        for (int l = 0; l < SK_LANES; l++) sk_kahan_add(acc + l, cmp + l, v[j + l]);
    double s = 0.0, c = 0.0;
    for (int l = 0; l < SK_LANES; l++) {
        sk_kahan_add(&s, &c, acc[l]);
        sk_kahan_add(&s, &c, -cmp[l]);
    }
    for (; j < n; j++) sk_kahan_add(&s, &c, v[j]);
    return s - c;
}

SK_INLINE double sk_clamp(double p, double lo, double hi)
{
    p = p < lo ? lo : p;
    return p > hi ? hi : p; /* NaN passes through */
}

/* ---------------------------------------------------------------------------------------- */
/* block layout                                                                               */

/* Rows per block. With R >= 8 rows per block the block is stored transposed ("T-layout":
 * element (r, k) at k * R + r), so per-row reductions (max, sums) become vertical SIMD loops
 * over rows with no dependency chain, which is what makes K = 2..256 fast. Long rows (K > cap/8)
 * use R = 1, where the T-layout is the row itself and reductions run over 8 lanes. */
SK_INLINE int64_t sk_block_rows(int64_t K, int64_t cap)
{
    const int64_t R = cap / K;
    return R >= 8 ? R : 1;
}

/* OUT dst (K * R, T-layout): rows b0 .. b0+nb of a strided view, widened to double. */
#define SK_LOAD_T_BODY(T)                                                                       \
    do {                                                                                        \
        const T *p = (const T *)v->p;                                                           \
        if (s0 == 1) { /* rows contiguous within a class (Fortran order; (N, C, H, W) along   \
                        * axis 1): K streams far apart; the next block of each is prefetched */ \
            for (int64_t k = 0; k < K; k++) {                                                   \
                const T *pk = p + b0 + k * s1;                                                  \
                for (int64_t r = 0; r < nb; r++) dst[k * R + r] = (double)pk[r];                \
                for (int64_t o = 0; o < nb; o += 64 / (int64_t)sizeof(T))                       \
                    __builtin_prefetch(pk + nb + o);                                            \
            }                                                                                   \
        } else if (s1 == 1) { /* C order: 8-row tiles, each store one full vector */            \
            int64_t r = 0;                                                                      \
            for (; r + 8 <= nb; r += 8) {                                                       \
                const T *p0 = p + (b0 + r) * s0;                                                \
                for (int64_t k = 0; k < K; k++)                                                 \
                    for (int l = 0; l < 8; l++) dst[k * R + r + l] = (double)p0[l * s0 + k];    \
            }                                                                                   \
            for (; r < nb; r++)                                                                 \
                for (int64_t k = 0; k < K; k++) dst[k * R + r] = (double)p[(b0 + r) * s0 + k]; \
        } else {                                                                                \
            for (int64_t r = 0; r < nb; r++)                                                    \
                for (int64_t k = 0; k < K; k++)                                                 \
                    dst[k * R + r] = (double)p[(b0 + r) * s0 + k * s1];                         \
        }                                                                                       \
    } while (0)

SK_INLINE void sk_load_T(const sk_view *v, int64_t b0, int64_t nb, int64_t K, int64_t R,
                         double *restrict dst)
{
    if (R == 1) {
        sk_load_row(v, b0, K, dst);
        return;
    }
    const int64_t s0 = v->s0, s1 = v->s1;
    if (v->f32)
        SK_LOAD_T_BODY(float);
    else
        SK_LOAD_T_BODY(double);
}

/* 8 x 8 tile transpose in registers (GCC vector extensions: one AVX-512 register per row on
 * x86-64-v4, lowered to AVX2/SSE2 register pairs/quads in the other clones). Used to write the
 * T-layout back in C order: scattered scalar stores cost ~1 cycle per element, a tile ~0.4. */
#if defined(__GNUC__) && !defined(__clang__)
#define SK_HAVE_TILES 1
typedef double sk_v8d __attribute__((vector_size(64)));
typedef float sk_v8f __attribute__((vector_size(32)));
typedef int64_t sk_v8i __attribute__((vector_size(64)));

SK_INLINE void sk_transpose8(sk_v8d v[8])
{
    const sk_v8i LO = {0, 8, 2, 10, 4, 12, 6, 14}, HI = {1, 9, 3, 11, 5, 13, 7, 15};
    const sk_v8i LO2 = {0, 1, 8, 9, 4, 5, 12, 13}, HI2 = {2, 3, 10, 11, 6, 7, 14, 15};
    const sk_v8i LO4 = {0, 1, 2, 3, 8, 9, 10, 11}, HI4 = {4, 5, 6, 7, 12, 13, 14, 15};
    sk_v8d t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = __builtin_shuffle(v[i], v[i + 1], LO);
        t[i + 1] = __builtin_shuffle(v[i], v[i + 1], HI);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = __builtin_shuffle(t[i], t[i + 2], LO2);
        u[i + 2] = __builtin_shuffle(t[i], t[i + 2], HI2);
        u[i + 1] = __builtin_shuffle(t[i + 1], t[i + 3], LO2);
        u[i + 3] = __builtin_shuffle(t[i + 1], t[i + 3], HI2);
    }
    for (int i = 0; i < 4; i++) {
        v[i] = __builtin_shuffle(u[i], u[i + 4], LO4);
        v[i + 4] = __builtin_shuffle(u[i], u[i + 4], HI4);
    }
}
#else
#define SK_HAVE_TILES 0
#endif

/* OUT out[(b0 + r) * K + k] (C-contiguous, float32/float64) = src[k * R + r] (T-layout). */
SK_INLINE void sk_store_T(void *out, int f32, int64_t b0, const double *restrict src, int64_t nb,
                          int64_t K, int64_t R)
{
    if (R == 1) {
        sk_store(out, f32, b0 * K, src, K);
        return;
    }
    int64_t r_done = 0, k_done = 0; /* rows / columns covered by whole 8 x 8 tiles */
#if SK_HAVE_TILES
    if (K >= 8) {
        r_done = nb / 8 * 8;
        k_done = K / 8 * 8;
        for (int64_t r = 0; r < r_done; r += 8)
            for (int64_t k = 0; k < k_done; k += 8) {
                sk_v8d t[8];
                for (int c = 0; c < 8; c++) memcpy(&t[c], src + (k + c) * R + r, sizeof t[c]);
                sk_transpose8(t);
                if (f32) {
                    float *q = (float *)out + (b0 + r) * K + k;
                    for (int l = 0; l < 8; l++) {
                        const sk_v8f f = __builtin_convertvector(t[l], sk_v8f);
                        memcpy(q + l * K, &f, sizeof f);
                    }
                } else {
                    double *q = (double *)out + (b0 + r) * K + k;
                    for (int l = 0; l < 8; l++) memcpy(q + l * K, &t[l], sizeof t[l]);
                }
            }
    }
#endif
#define SK_STORE_T_REST(T)                                                                      \
    do {                                                                                        \
        T *q = (T *)out + b0 * K;                                                               \
        for (int64_t r = r_done; r < nb; r++)                                                   \
            for (int64_t k = 0; k < K; k++) q[r * K + k] = (T)src[k * R + r];                   \
        for (int64_t r = 0; r < r_done; r++)                                                    \
            for (int64_t k = k_done; k < K; k++) q[r * K + k] = (T)src[k * R + r];             \
    } while (0)
    if (f32)
        SK_STORE_T_REST(float);
    else
        SK_STORE_T_REST(double);
#undef SK_STORE_T_REST
}

/* OUT a block in T-layout (src[k * R + r]) to rows b0 .. b0+nb of an (n, K) output with element
 * strides (os0, os1); (0, 0) means C-contiguous (os0 = K, os1 = 1: the tiled sk_store_T). With
 * os0 == 1 (rows contiguous within a class: the gradient of an (N, C, H, W) input along axis 1)
 * the T-layout is the output's own layout, and each class is one straight copy. */
SK_INLINE void sk_store_Ts(void *out, int f32, int64_t b0, const double *restrict src, int64_t nb,
                           int64_t K, int64_t R, int64_t os0, int64_t os1)
{
    if ((os0 == 0 && os1 == 0) || (os0 == K && os1 == 1)) {
        sk_store_T(out, f32, b0, src, nb, K, R);
        return;
    }
#define SK_STORE_TS(T)                                                                          \
    do {                                                                                        \
        T *q = (T *)out + b0 * os0;                                                             \
        if (R == 1) {                                                                           \
            for (int64_t k = 0; k < K; k++) q[k * os1] = (T)src[k];                             \
        } else if (os0 == 1) {                                                                  \
            for (int64_t k = 0; k < K; k++) {                                                   \
                T *qk = q + k * os1;                                                            \
                const double *sk = src + k * R;                                                 \
                for (int64_t r = 0; r < nb; r++) qk[r] = (T)sk[r];                              \
            }                                                                                   \
        } else {                                                                                \
            for (int64_t r = 0; r < nb; r++)                                                    \
                for (int64_t k = 0; k < K; k++) q[r * os0 + k * os1] = (T)src[k * R + r];      \
        }                                                                                       \
    } while (0)
    if (f32)
        SK_STORE_TS(float);
    else
        SK_STORE_TS(double);
#undef SK_STORE_TS
}

/* OUT s[r] = sum_k v[k, r] (T-layout), k ascending per row, compensated (fixed order).
 * IN/OUT c (nb): scratch for the compensation terms. R == 1: compensated 8-lane sum. */
SK_INLINE void sk_rows_sum_T(const double *v, int64_t nb, int64_t K, int64_t R, double *s,
                             double *c)
{
    if (R == 1) {
        s[0] = sk_lane_sum(v, K);
        return;
    }
    for (int64_t r = 0; r < nb; r++) s[r] = c[r] = 0.0;
    for (int64_t k = 0; k < K; k++)
        for (int64_t r = 0; r < nb; r++) sk_kahan_add(s + r, c + r, v[k * R + r]);
    for (int64_t r = 0; r < nb; r++) s[r] -= c[r];
}

/* Maximum of one contiguous row of K >= 1 values, over 8 lanes (max is exact in any order; a
 * NaN is kept only where it wins a comparison, as in the T-layout loops). */
SK_INLINE double sk_row_max(const double *d, int64_t K)
{
    double lane[SK_LANES];
    for (int l = 0; l < SK_LANES; l++) lane[l] = d[0];
    int64_t k = 0;
    for (; k + SK_LANES <= K; k += SK_LANES)
        for (int l = 0; l < SK_LANES; l++) lane[l] = d[k + l] > lane[l] ? d[k + l] : lane[l];
    double mx = d[0];
    for (; k < K; k++) mx = d[k] > mx ? d[k] : mx;
    for (int l = 0; l < SK_LANES; l++) mx = lane[l] > mx ? lane[l] : mx;
    return mx;
}

/* Row maxima and first argmaxes (amax = -1 when the row max is NaN); max is exact in any order. */
SK_INLINE void sk_rows_max_T(const double *d, int64_t nb, int64_t K, int64_t R, double *m,
                             int64_t *amax)
{
    if (R == 1) {
        const double mx = sk_row_max(d, K);
        int64_t a = -1;
        for (int64_t k = 0; k < K; k++)
            if (d[k] == mx) { a = k; break; }
        m[0] = mx;
        amax[0] = a;
        return;
    }
    /* one pass: a strictly greater value moves both (the first argmax wins ties). Eight rows
     * at a time in registers, the classes inner: the running max and argmax are never stored
     * and reloaded per class (as a loop over rows inside a loop over classes does) */
    int64_t r0 = 0;
#if SK_HAVE_TILES
    for (; r0 + 8 <= nb; r0 += 8) {
        sk_v8d mm, v;
        sk_v8i aa = {0, 0, 0, 0, 0, 0, 0, 0};
        memcpy(&mm, d + r0, sizeof mm);
        for (int64_t k = 1; k < K; k++) {
            memcpy(&v, d + k * R + r0, sizeof v);
            const sk_v8i gt = v > mm, kv = {k, k, k, k, k, k, k, k};
            aa = (aa & ~gt) | (kv & gt);
            mm = (sk_v8d)(((sk_v8i)mm & ~gt) | ((sk_v8i)v & gt));
        }
        memcpy(m + r0, &mm, sizeof mm);
        memcpy(amax + r0, &aa, sizeof aa);
    }
#endif
    for (int64_t r = r0; r < nb; r++) {
        m[r] = d[r];
        amax[r] = 0;
    }
    for (int64_t k = 1; k < K; k++)
        for (int64_t r = r0; r < nb; r++) {
            const double v = d[k * R + r];
            const int gt = v > m[r];
            amax[r] = gt ? k : amax[r];
            m[r] = gt ? v : m[r];
        }
    /* a NaN first value is the max of its row (no value compares greater): no argmax */
    for (int64_t r = 0; r < nb; r++) amax[r] = m[r] == m[r] ? amax[r] : -1;
}

/* The softmax stage shared by the categorical loss and skxent.special, for rows b0 .. b0+nb.
 * OUT x  (K*R, T-layout): the logits, widened to double
 * OUT e  (K*R, T-layout): exp(x_k - m), exactly 0 for -inf logits
 * OUT m, sp, L (nb): row max, s' (mass of the non-argmax classes), log1p(s')
 * OUT amax (nb): first argmax, -1 when the row max is NaN
 * IN/OUT c (nb): scratch.
 * x_k - m is recomputed where needed as the error-free sk_two_diff(x_k, m) (cheaper than storing
 * it); the exp, its correction and the compensated sum of s' run in one fused loop. */
SK_INLINE void sk_softmax_stage(const sk_view *xv, int64_t b0, int64_t nb, int64_t K, int64_t R,
                                double *x, double *e, double *m, double *sp, double *L,
                                int64_t *amax, double *c)
{
    sk_load_T(xv, b0, nb, K, R, x);
    sk_rows_max_T(x, nb, K, R, m, amax);
    if (R == 1) {
        const double mx = m[0];
        const int64_t a = amax[0];
        for (int64_t k = 0; k < K; k++) {
            double lo;
            const double d = sk_two_diff(x[k], mx, &lo);
            e[k] = sk_exp_neg2(d, lo);
        }
        const double ea = a >= 0 ? e[a] : 0.0;
        if (a >= 0) e[a] = 0.0;
        sp[0] = sk_lane_sum(e, K);
        if (a >= 0) e[a] = ea;
    } else if (xv->f32) {
        /* float32 logits, float32 results: x - m in double is exact to 2**-53 relative, the
         * exp needs ~1e-9 and plain double sums of K terms err by K 2**-53: all far below
         * float32's eps, so no error-free difference, no compensation, a shorter polynomial */
        for (int64_t r = 0; r < nb; r++) sp[r] = 0.0;
        for (int64_t k = 0; k < K; k++) {
            const double *xk = x + k * R;
            double *ek = e + k * R;
            for (int64_t r = 0; r < nb; r++) {
                const double v = sk_exp_neg_lowp(xk[r] - m[r]);
                ek[r] = v;
                sp[r] += k == amax[r] ? 0.0 : v;
            }
        }
    } else {
        for (int64_t r = 0; r < nb; r++) sp[r] = c[r] = 0.0;
        for (int64_t k = 0; k < K; k++) {
            const double *xk = x + k * R;
            double *ek = e + k * R;
            for (int64_t r = 0; r < nb; r++) {
                double lo;
                const double d = sk_two_diff(xk[r], m[r], &lo);
                const double v = sk_exp_neg2(d, lo);
                ek[r] = v;
                sk_kahan_add_finite(sp + r, c + r, k == amax[r] ? 0.0 : v);
            }
        }
        for (int64_t r = 0; r < nb; r++) sp[r] -= c[r];
    }
    /* a row max of +inf (or NaN) makes the row NaN, as the API reference says; so does an all -inf row */
    for (int64_t r = 0; r < nb; r++) L[r] = m[r] - m[r] == 0.0 ? sk_log1p(sp[r]) : NAN;
}

/* m - x as an error-free pair folded to one double: (-d) - lo with d + lo = x - m exactly. */
SK_INLINE double sk_gap(double x, double m)
{
    double lo;
    const double d = sk_two_diff(x, m, &lo);
    return (-d) - lo;
}

/* ---------------------------------------------------------------------------------------- */
/* categorical cross-entropy                                                                  */

typedef struct {
    int64_t n, K;
    sk_view x;              /* IN (n, K) logits (from_logits) or probabilities */
    const int64_t *t;       /* IN (n,) integer labels, or NULL when y is used */
    sk_view y;              /* IN (n, K) label matrix (one-hot or soft) when t == NULL */
    const double *sw;       /* IN (n,) sample weights, or NULL (all ones) */
    const double *cw;       /* IN (K,) class weights, or NULL (all ones) */
    double smooth;          /* label smoothing e: y' = (1 - e) y + e / K */
    int has_ignore;
    int64_t ignore;         /* integer label whose samples are dropped */
    int from_logits;
    double clip_lo, clip_hi;/* probabilities are clipped to [clip_lo, clip_hi] */
    int out_f32;            /* dtype of loss_out, grad_out, proba_out and curv_out */
    void *loss_out;         /* OUT (n,) weighted per-sample terms t_i, or NULL */
    void *grad_out;         /* OUT (n, K) C-contiguous gradient, or NULL */
    void *proba_out;        /* OUT (n, K) C-contiguous softmax p (from_logits only), or NULL */
    void *curv_out;         /* OUT (n,) curvature a_i = grad_scale * sample_weight_i *
                             * sum_k c_k y'_k (from_logits only), or NULL: the Hessian of sample
                             * i's term with respect to its logits is a_i (diag(p) - p p^T) */
    void *hess_out;         /* OUT (n, K) C-contiguous diagonal of each sample's Hessian with
                             * respect to its logits, times grad_scale (from_logits only) */
    double gamma;           /* focal exponent; 0: plain cross-entropy */
    double grad_scale;      /* the reduction's factor: 1, 1 / sum(w), 1 / n_terms, ... */
    int weights_only;       /* only accumulate wsum / nnz / nterms (pre-pass for the gradient) */
    int64_t os0, os1;       /* element strides of grad_out, proba_out, hess_out; 0, 0: C order */
    const sk_nd *nd;        /* N-D geometry, or NULL (2-D) */
} sk_cce_args;

#define SK_CCE_ROW_ARRAYS 16 /* per-row workspace arrays of sk_cce_chunk */
#define SK_CCE_CAP_ARRAYS 9  /* workspace arrays of cap doubles of sk_cce_chunk (3 focal only) */

/* OUT q (K*R, T-layout): q_k = class_weight_k * y'_k, the labels after smoothing. IN yb: raw
 * label block (label matrices) -- integer labels build the smoothed one-hot directly. */
SK_INLINE void sk_cce_q(const sk_cce_args *a, int64_t b0, int64_t nb, int64_t R,
                        const double *yb, double *q)
{
    const int64_t *restrict tl = a->t;
    const double *restrict cwl = a->cw;
    const int has_ign = a->has_ignore;
    const int64_t ign_v = a->ignore;
    const int64_t K = a->K;
    const double e = a->smooth, u = e / (double)K, keep = 1.0 - e;
    for (int64_t k = 0; k < K; k++) {
        const double ck = cwl ? cwl[k] : 1.0;
        double *qk = q + k * R;
        if (tl)
            for (int64_t r = 0; r < nb; r++) qk[r] = u * ck;
        else
            for (int64_t r = 0; r < nb; r++) qk[r] = (keep * yb[k * R + r] + u) * ck;
    }
    if (tl)
        for (int64_t r = 0; r < nb; r++) {
            const int64_t t = tl[b0 + r];
            if (!(has_ign && t == ign_v))
                q[t * R + r] = (keep + u) * (cwl ? cwl[t] : 1.0);
        }
}

/* OUT a->proba_out rows b0 .. b0+nb: p_k = e_k / s, the softmax of skxent.special bit for bit.
 * g (K*R) and tmp (nb): scratch. */
SK_INLINE void sk_cce_proba(const sk_cce_args *a, int64_t b0, int64_t nb, int64_t K, int64_t R,
                            const double *e, const double *sp, double *g, double *tmp)
{
    if (!a->proba_out) return;
    for (int64_t r = 0; r < nb; r++) tmp[r] = 1.0 / (1.0 + sp[r]);
    for (int64_t k = 0; k < K; k++)
        for (int64_t r = 0; r < nb; r++) g[k * R + r] = e[k * R + r] * tmp[r];
    sk_store_Ts(a->proba_out, a->out_f32, b0, g, nb, K, R, a->os0, a->os1);
}

/* Paths off the plain cross-entropy's (focal, Hessian diagonal) are functions of their own,
 * called once per block: inlined into sk_cce_chunk they made GCC compile the plain loops
 * worse (35% slower plain loss, the same effect as the seventh stream of sk_bce_chunk). */
#define SK_OUTLINE SK_TARGET_CLONES static __attribute__((noinline))

/* OUT a->hess_out rows b0 .. b0+nb for the plain cross-entropy: the diagonal of
 * cv_r (diag(p) - p p^T), cv_r p_k (1 - p_k) = cv_r e_k s'_k / s^2 with s'_k the other classes'
 * mass (s' at the argmax, s - e_k >= 1 elsewhere), never 1 - p_k. g (K*R), tmp (nb): scratch. */
SK_OUTLINE void sk_cce_hdiag(const sk_cce_args *a, int64_t b0, int64_t nb, int64_t K, int64_t R,
                            const double *e, const double *sp, const int64_t *amax,
                            const double *cv, double *g, double *tmp)
{
    if (!a->hess_out) return;
    for (int64_t r = 0; r < nb; r++) tmp[r] = cv[r] / ((1.0 + sp[r]) * (1.0 + sp[r]));
    for (int64_t k = 0; k < K; k++)
        for (int64_t r = 0; r < nb; r++) {
            const int64_t j = k * R + r;
            const double spk = k == amax[r] ? sp[r] : (1.0 + sp[r]) - e[j];
            g[j] = cv[r] == 0.0 ? 0.0 : e[j] * spk * tmp[r];
        }
    sk_store_Ts(a->hess_out, a->out_f32, b0, g, nb, K, R, a->os0, a->os1);
}

/* Focal loss from logits, rows b0 .. b0+nb (runs sk_softmax_stage and sk_cce_q).
 * Per class (p = e/s, 1 - p = s'_k/s, -log p = gap_k + L, w = (1 - p)^g):
 *   term      = sum_k q_k w_k (gap_k + L)
 *   u_k       = -q_k p_k dphi/dp = q_k w_k (1 + g tau_k),  tau_k = -p log p / (1 - p)
 *             = (gap_k + L) e_k / s'_k  (-> 1 as p -> 1)
 *   dterm/dx_j = p_j U - u_j = (U'_j e_j - u_j s'_j) / s, U = sum_k u_k, U'_j = U - u_j
 * the plain cross-entropy's soft-label gradient with q replaced by u (U'_a accumulated
 * directly at the argmax a: no cancellation when p_a -> 1). The Hessian's diagonal, with
 * a_k = q_k p_k dpsi/dp = g q_k w_k (e_k / s'_k) (gap_k + L - 2 - (g - 1) tau_k):
 *   H_jj = [e_j s'_j U'_j - e_j^2 V'_j + q_j w_j e_j s'_j (1 + 2 g + g^2 tau_j - g (gap_j + L))]
 *          / s^2,
 * V = sum_k a_k, V'_j = V - a_j (V'_a accumulated directly). (1 - p_k)^g is
 * exp(g log(1 - p_k)) with the log as a double-double: log of 1 - p (Fast2Sum, exact) where
 * p <= 1/2, log(s') - L at a dominant argmax. */
SK_OUTLINE void sk_cce_focal_logits(const sk_cce_args *a, int64_t b0, int64_t nb, int64_t K,
                                   int64_t R, const double *yb, double *d, double *e, double *q,
                                   double *m, double *sp, double *L, int64_t *amax,
                                   const double *coef, double *term, double *wv, double *uv,
                                   double *hv, double *g, double *C, double *la, double *U,
                                   double *Ua, double *V, double *Va, double *tmp)
{
    const double gam = a->gamma, scale = a->grad_scale;
    sk_softmax_stage(&a->x, b0, nb, K, R, d, e, m, sp, L, amax, tmp);
    sk_cce_q(a, b0, nb, R, yb, q);
    for (int64_t k = 0; k < K; k++)
        for (int64_t r = 0; r < nb; r++) {
            const int64_t j = k * R + r;
            const double s = 1.0 + sp[r], ej = e[j];
            const double spk = k == amax[r] ? sp[r] : s - ej;
            const double gap = sk_gap(d[j], m[r]);
            const double nl = gap + L[r];
            const double p = ej / s;
            /* log(1 - p): log1p(-p) where p <= 1/2 (1 - p = u + c exactly), else (the
             * argmax of a confident row) log(s') - log(s) = log(s') - L, no division */
            const int small = p <= 0.5;
            const double u = small ? 1.0 - p : spk;
            const double c = small ? (1.0 - u) - p : 0.0;
            double ll, l2;
            double lh = sk_log_dd(u, &ll);
            lh = sk_two_diff(lh, small ? 0.0 : L[r], &l2);
            const double w = sk_pow_dd(lh, ll + l2 + (u > 0.0 ? c / u : 0.0), gam);
            const double qk = q[j];
            const double qw = qk * w;
            const double tau = spk > 0.0 ? (ej > 0.0 ? nl * ej / spk : 0.0) : 1.0;
            wv[j] = qk > 0.0 ? qw : 0.0;
            g[j] = qk > 0.0 ? qw * gap : 0.0;
            uv[j] = qk > 0.0 ? qw * (1.0 + gam * tau) : 0.0;
            hv[j] = k == amax[r] || !(qk > 0.0) ? 0.0 : qw * (1.0 + gam * tau);
        }
    sk_rows_sum_T(wv, nb, K, R, C, tmp);
    sk_rows_sum_T(g, nb, K, R, la, tmp);
    sk_rows_sum_T(uv, nb, K, R, U, tmp);
    sk_rows_sum_T(hv, nb, K, R, Ua, tmp);
    for (int64_t r = 0; r < nb; r++) {
        if (amax[r] < 0) Ua[r] = NAN;
        term[r] = coef[r] == 0.0 ? 0.0 : coef[r] * (C[r] * L[r] + la[r]);
    }
    if (a->grad_out) {
        for (int64_t r = 0; r < nb; r++) tmp[r] = coef[r] * scale / (1.0 + sp[r]);
        for (int64_t k = 0; k < K; k++)
            for (int64_t r = 0; r < nb; r++) {
                const int64_t j = k * R + r;
                const double Uk = k == amax[r] ? Ua[r] : U[r] - uv[j];
                const double sk = k == amax[r] ? sp[r] : (1.0 + sp[r]) - e[j];
                g[j] = coef[r] == 0.0 ? 0.0 : (Uk * e[j] - uv[j] * sk) * tmp[r];
            }
        sk_store_Ts(a->grad_out, a->out_f32, b0, g, nb, K, R, a->os0, a->os1);
    }
    if (a->hess_out) {
        for (int64_t k = 0; k < K; k++)
            for (int64_t r = 0; r < nb; r++) {
                const int64_t j = k * R + r;
                const double s = 1.0 + sp[r], ej = e[j];
                const double spk = k == amax[r] ? sp[r] : s - ej;
                const double nl = sk_gap(d[j], m[r]) + L[r];
                const double tau = spk > 0.0 ? (ej > 0.0 ? nl * ej / spk : 0.0) : 1.0;
                const double ak = gam * (wv[j] / spk) * ej * (nl - 2.0 - (gam - 1.0) * tau);
                hv[j] = wv[j] > 0.0 && ej > 0.0 && spk > 0.0 ? ak : 0.0;
            }
        sk_rows_sum_T(hv, nb, K, R, V, tmp);
        for (int64_t k = 0; k < K; k++)
            for (int64_t r = 0; r < nb; r++) g[k * R + r] = k == amax[r] ? 0.0 : hv[k * R + r];
        sk_rows_sum_T(g, nb, K, R, Va, tmp);
        for (int64_t r = 0; r < nb; r++)
            tmp[r] = coef[r] * scale / ((1.0 + sp[r]) * (1.0 + sp[r]));
        for (int64_t k = 0; k < K; k++)
            for (int64_t r = 0; r < nb; r++) {
                const int64_t j = k * R + r;
                const int isa = k == amax[r];
                const double s = 1.0 + sp[r], ej = e[j];
                const double spk = isa ? sp[r] : s - ej;
                const double Uk = isa ? Ua[r] : U[r] - uv[j];
                const double Vk = isa ? Va[r] : V[r] - hv[j];
                const double nl = sk_gap(d[j], m[r]) + L[r];
                const double tau = spk > 0.0 ? (ej > 0.0 ? nl * ej / spk : 0.0) : 1.0;
                const double D =
                    wv[j] * ej * spk * ((1.0 + 2.0 * gam + gam * gam * tau) - gam * nl);
                const double h = ej * spk * Uk - ej * (ej * Vk) + D; /* e^2 alone may underflow */
                g[j] = coef[r] == 0.0 || ej == 0.0 ? 0.0 : h * tmp[r];
            }
        sk_store_Ts(a->hess_out, a->out_f32, b0, g, nb, K, R, a->os0, a->os1);
    }
}

/* Focal loss from probabilities clipped to [clip_lo, clip_hi], rows b0 .. b0+nb (loads the
 * block into d and the weighted labels into q): -sum_k q_k (1 - p_k)^g log p_k, with
 * d/dp_k = -q_k (1 - p_k)^g (1/p_k - g log p_k / (1 - p_k)) (both parts of the bracket
 * non-negative). e, wv, g, la, tmp: scratch. */
SK_OUTLINE void sk_cce_focal_proba(const sk_cce_args *a, int64_t b0, int64_t nb, int64_t K,
                                   int64_t R, const double *yb, double *d, double *q,
                                   const double *coef, double *term, double *e, double *wv,
                                   double *g, double *la, double *tmp)
{
    const double clo = a->clip_lo, chi = a->clip_hi, gam = a->gamma, scale = a->grad_scale;
    sk_load_T(&a->x, b0, nb, K, R, d);
    sk_cce_q(a, b0, nb, R, yb, q);
    const int64_t nk = K * R;
    for (int64_t j = 0; j < nk; j++) {
        const double pc = sk_clamp(d[j], clo, chi);
        const double lg = sk_log(pc);
        const double u = 1.0 - pc, c = (1.0 - u) - pc;
        double ll;
        const double lh = sk_log_dd(u, &ll);
        const double w = sk_pow_dd(lh, ll + (u > 0.0 ? c / u : 0.0), gam);
        const double rp = u > 0.0 ? lg / u : -1.0;
        e[j] = q[j] > 0.0 ? -q[j] * w * lg : 0.0;
        wv[j] = q[j] > 0.0 ? q[j] * w * (1.0 / pc - gam * rp) : 0.0;
    }
    sk_rows_sum_T(e, nb, K, R, la, tmp);
    for (int64_t r = 0; r < nb; r++) term[r] = coef[r] == 0.0 ? 0.0 : coef[r] * la[r];
    if (a->grad_out) {
        for (int64_t k = 0; k < K; k++)
            for (int64_t r = 0; r < nb; r++) {
                const int64_t j = k * R + r;
                const int inside = d[j] >= clo && d[j] <= chi;
                g[j] = (coef[r] != 0.0 && q[j] > 0.0 && inside) ? -coef[r] * scale * wv[j] : 0.0;
            }
        sk_store_Ts(a->grad_out, a->out_f32, b0, g, nb, K, R, a->os0, a->os1);
    }
}

/* One chunk of rows [r0, r1). ws: SK_CCE_CAP_ARRAYS * cap + SK_CCE_ROW_ARRAYS * R doubles
 * (6 cap arrays, the row arrays, then the focal paths' 3 cap arrays). */
SK_TARGET_CLONES
static void sk_cce_chunk(const sk_cce_args *a, int64_t r0, int64_t r1, double *ws, int64_t cap,
                         sk_acc *acc)
{
    /* the arguments in locals: read through a they would be reloaded after every store */
    const int64_t *restrict tl = a->t;
    const double *restrict swl = a->sw;
    const double *restrict cwl = a->cw;
    const int has_ign = a->has_ignore;
    const int64_t ign_v = a->ignore;
    const int64_t K = a->K;
    const int64_t R = sk_block_rows(K, cap);
    double *d = ws, *e = ws + 2 * cap, *yb = ws + 3 * cap, *q = ws + 4 * cap, *g = ws + 5 * cap;
    double *m = ws + 6 * cap, *sp = m + R, *L = sp + R, *term = L + R, *wrow = term + R,
           *pv = wrow + R, *coef = pv + R, *C = coef + R, *Ca = C + R, *la = Ca + R, *tmp = la + R;
    int64_t *amax = (int64_t *)(tmp + R);
    /* the focal paths' arrays after the plain ones (whose layout stays as it was) */
    double *U = (double *)(amax + R), *Ua = U + R, *V = Ua + R, *Va = V + R;
    double *wv = Va + R, *uv = wv + cap, *hv = uv + cap;
    const int simple = tl != NULL && a->smooth == 0.0; /* integer labels, no smoothing */
    const double scale = a->grad_scale;
    double lane_sum = 0.0, lane_w = 0.0, nnz = 0.0, nterms = 0.0, c_sum = 0.0, c_w = 0.0;

    for (int64_t b0 = r0; b0 < r1; b0 += R) {
        const int64_t nb = (r1 - b0) < R ? (r1 - b0) : R;

        /* the API reference's weight w_i = sample_weight_i * sum_k class_weight_k y_ik (labels before
         * smoothing; class_weight[t_i] for integer labels, 0 for ignored samples) */
        if (tl) {
            for (int64_t r = 0; r < nb; r++) {
                const int64_t i = b0 + r, t = tl[i];
                const int ign = has_ign && t == ign_v;
                const double swi = swl ? swl[i] : 1.0;
                wrow[r] = ign ? 0.0 : swi * (cwl ? cwl[t] : 1.0);
                nterms += !ign;
            }
        } else {
            sk_load_T(&a->y, b0, nb, K, R, yb);
            if (cwl) {
                for (int64_t k = 0; k < K; k++)
                    for (int64_t r = 0; r < nb; r++) q[k * R + r] = cwl[k] * yb[k * R + r];
                sk_rows_sum_T(q, nb, K, R, wrow, tmp);
            } else {
                sk_rows_sum_T(yb, nb, K, R, wrow, tmp);
            }
            for (int64_t r = 0; r < nb; r++) wrow[r] *= swl ? swl[b0 + r] : 1.0;
            nterms += (double)nb;
        }
        for (int64_t r = 0; r < nb; r++) nnz += wrow[r] != 0.0;
        sk_kahan_add(&lane_w, &c_w, sk_lane_sum(wrow, nb));
        if (a->weights_only) continue;

        /* coef[r]: sample weight, 0 for ignored samples (their loss and gradient are 0) */
        for (int64_t r = 0; r < nb; r++) {
            const int64_t i = b0 + r;
            const int ign = tl && has_ign && tl[i] == ign_v;
            coef[r] = ign ? 0.0 : (swl ? swl[i] : 1.0);
        }

        if (a->from_logits && a->gamma != 0.0) {
            sk_cce_focal_logits(a, b0, nb, K, R, yb, d, e, q, m, sp, L, amax, coef, term, wv,
                                uv, hv, g, C, la, U, Ua, V, Va, tmp);
        } else if (a->from_logits && simple) {
            sk_softmax_stage(&a->x, b0, nb, K, R, d, e, m, sp, L, amax, tmp);
            for (int64_t r = 0; r < nb; r++) {
                const int64_t t = tl[b0 + r];
                const int off = coef[r] == 0.0 || t == amax[r];
                const int64_t j = off ? 0 : t * R + r;
                /* m - x_t from the error-free difference (0 where t is the argmax) */
                const double gap = off ? 0.0 : sk_gap(d[j], m[r]);
                const double ct = coef[r] == 0.0 ? 0.0 : (cwl ? cwl[t] : 1.0);
                coef[r] *= ct;
                term[r] = coef[r] == 0.0 ? 0.0 : coef[r] * (L[r] + gap);
            }
            if (a->curv_out || a->hess_out) {
                for (int64_t r = 0; r < nb; r++) pv[r] = coef[r] * scale;
                if (a->curv_out) sk_store(a->curv_out, a->out_f32, b0, pv, nb);
                sk_cce_hdiag(a, b0, nb, K, R, e, sp, amax, pv, g, tmp);
            }
            sk_cce_proba(a, b0, nb, K, R, e, sp, g, tmp);
            if (a->grad_out) {
                for (int64_t r = 0; r < nb; r++) tmp[r] = coef[r] * scale / (1.0 + sp[r]);
                /* the product always formed, then selected (written as a conditional, GCC
                 * made masked loads of it, spilled to the stack) */
                for (int64_t k = 0; k < K; k++)
                    for (int64_t r = 0; r < nb; r++) {
                        const double gk = e[k * R + r] * tmp[r];
                        g[k * R + r] = coef[r] != 0.0 ? gk : 0.0;
                    }
                for (int64_t r = 0; r < nb; r++) {
                    if (coef[r] == 0.0) continue;
                    const int64_t t = tl[b0 + r];
                    /* p_t - 1 = -(mass of the other classes) / s, never 1 - p_t */
                    const double spt = t == amax[r] ? sp[r] : (1.0 + sp[r]) - e[t * R + r];
                    g[t * R + r] = -spt * tmp[r];
                }
                sk_store_Ts(a->grad_out, a->out_f32, b0, g, nb, K, R, a->os0, a->os1);
            }
        } else if (a->from_logits) {
            /* soft labels, or integer labels with smoothing */
            sk_softmax_stage(&a->x, b0, nb, K, R, d, e, m, sp, L, amax, tmp);
            sk_cce_q(a, b0, nb, R, yb, q);
            sk_rows_sum_T(q, nb, K, R, C, tmp);
            /* C'_a = sum_{k != a} q_k and sum_{q_k > 0} q_k (m - x_k), in T-layout scratch g */
            for (int64_t k = 0; k < K; k++)
                for (int64_t r = 0; r < nb; r++)
                    g[k * R + r] = k == amax[r] ? 0.0 : q[k * R + r];
            sk_rows_sum_T(g, nb, K, R, Ca, tmp);
            for (int64_t k = 0; k < K; k++)
                for (int64_t r = 0; r < nb; r++) {
                    const int64_t j = k * R + r;
                    g[j] = q[j] > 0.0 ? q[j] * sk_gap(d[j], m[r]) : 0.0;
                }
            sk_rows_sum_T(g, nb, K, R, la, tmp);
            for (int64_t r = 0; r < nb; r++) {
                if (amax[r] < 0) Ca[r] = NAN;
                term[r] = coef[r] == 0.0 ? 0.0 : coef[r] * (C[r] * L[r] + la[r]);
            }
            if (a->curv_out || a->hess_out) {
                for (int64_t r = 0; r < nb; r++) pv[r] = coef[r] * scale * C[r];
                if (a->curv_out) sk_store(a->curv_out, a->out_f32, b0, pv, nb);
                sk_cce_hdiag(a, b0, nb, K, R, e, sp, amax, pv, g, tmp);
            }
            sk_cce_proba(a, b0, nb, K, R, e, sp, g, tmp);
            if (a->grad_out) {
                /* dCE/dx_k = (C'_k e_k - q_k s'_k) / s; C'_k = C - q_k, s'_k = s - e_k for
                 * k != argmax (no cancellation there), the accumulated C'_a, s' at the argmax */
                for (int64_t r = 0; r < nb; r++) tmp[r] = coef[r] * scale / (1.0 + sp[r]);
                for (int64_t k = 0; k < K; k++)
                    for (int64_t r = 0; r < nb; r++) {
                        const int64_t j = k * R + r;
                        const double Ck = C[r] - q[j], sk = (1.0 + sp[r]) - e[j];
                        g[j] = coef[r] == 0.0 ? 0.0 : (Ck * e[j] - q[j] * sk) * tmp[r];
                    }
                for (int64_t r = 0; r < nb; r++) {
                    const int64_t ar = amax[r];
                    if (ar < 0 || coef[r] == 0.0) continue;
                    const int64_t j = ar * R + r;
                    g[j] = (Ca[r] * e[j] - q[j] * sp[r]) * tmp[r];
                }
                sk_store_Ts(a->grad_out, a->out_f32, b0, g, nb, K, R, a->os0, a->os1);
            }
        } else if (a->gamma != 0.0) {
            sk_cce_focal_proba(a, b0, nb, K, R, yb, d, q, coef, term, e, wv, g, la, tmp);
        } else if (simple && !a->grad_out) {
            /* probabilities, integer labels, loss only: gather p_t, never read the rest */
            const double clo = a->clip_lo, chi = a->clip_hi;
            for (int64_t r = 0; r < nb; r++) {
                const int64_t i = b0 + r, t = tl[i];
                pv[r] = coef[r] == 0.0 ? 1.0 : sk_clamp(sk_get(&a->x, i, t), clo, chi);
                coef[r] = coef[r] == 0.0 ? 0.0 : coef[r] * (cwl ? cwl[t] : 1.0);
            }
            for (int64_t r = 0; r < nb; r++)
                term[r] = coef[r] == 0.0 ? 0.0 : -coef[r] * sk_log(pv[r]);
        } else {
            /* probabilities clipped to [clip_lo, clip_hi]: -sum_k q_k log(p_k) */
            const double clo = a->clip_lo, chi = a->clip_hi;
            sk_load_T(&a->x, b0, nb, K, R, d);
            sk_cce_q(a, b0, nb, R, yb, q);
            const int64_t nk = K * R;
            for (int64_t j = 0; j < nk; j++) {
                const double lg = sk_log(sk_clamp(d[j], clo, chi));
                e[j] = q[j] > 0.0 ? -q[j] * lg : 0.0;
            }
            sk_rows_sum_T(e, nb, K, R, la, tmp);
            for (int64_t r = 0; r < nb; r++) term[r] = coef[r] == 0.0 ? 0.0 : coef[r] * la[r];
            if (a->grad_out) {
                for (int64_t k = 0; k < K; k++)
                    for (int64_t r = 0; r < nb; r++) {
                        const int64_t j = k * R + r;
                        const int inside = d[j] >= clo && d[j] <= chi;
                        g[j] = (coef[r] != 0.0 && q[j] > 0.0 && inside)
                                   ? -coef[r] * scale * q[j] / d[j] : 0.0;
                    }
                sk_store_Ts(a->grad_out, a->out_f32, b0, g, nb, K, R, a->os0, a->os1);
            }
        }
        if (a->loss_out) sk_store(a->loss_out, a->out_f32, b0, term, nb);
        sk_kahan_add(&lane_sum, &c_sum, sk_lane_sum(term, nb));
    }
    acc->sum = lane_sum - c_sum;
    acc->wsum = lane_w - c_w;
    acc->nnz = nnz;
    acc->nterms = nterms;
}

/* ---------------------------------------------------------------------------------------- */
/* the parallel driver (shared by every row-wise kernel)                                      */

/* Per-thread workspace, kept between calls and grown on demand: allocating (and the kernel
 * zeroing the pages of) ~100 KB per call and thread cost up to 17% of a 1e6 x 10 gradient.
 * Zero-filled when (re)allocated, so stale rows past the end of a short last block are only
 * ever finite leftovers of earlier blocks, never uninitialised memory. A pthread key frees the
 * buffer when its thread exits (OpenMP pool threads, Python threads that called a kernel). */
#if defined(_WIN32)
static double *sk_workspace(int64_t n) { return (double *)calloc((size_t)n, sizeof(double)); }
static void sk_workspace_release(double *ws) { free(ws); }
#else
#include <pthread.h>
typedef struct { double *buf; int64_t len; } sk_ws_t;
static pthread_key_t sk_ws_key;
static pthread_once_t sk_ws_once = PTHREAD_ONCE_INIT;
static void sk_ws_free(void *p)
{
    sk_ws_t *w = (sk_ws_t *)p;
    if (w) free(w->buf);
    free(w);
}
static void sk_ws_init(void) { (void)pthread_key_create(&sk_ws_key, sk_ws_free); }
static double *sk_workspace(int64_t n)
{
    (void)pthread_once(&sk_ws_once, sk_ws_init);
    sk_ws_t *w = (sk_ws_t *)pthread_getspecific(sk_ws_key);
    if (!w) {
        w = (sk_ws_t *)calloc(1, sizeof *w);
        if (!w || pthread_setspecific(sk_ws_key, w) != 0) {
            free(w);
            return NULL;
        }
    }
    if (w->len < n) {
        free(w->buf);
        w->buf = (double *)calloc((size_t)n, sizeof(double));
        w->len = w->buf ? n : 0;
    }
    return w->buf;
}
static void sk_workspace_release(double *ws) { (void)ws; }
#endif

/* Rows per chunk: a function of K only (never of the thread count), in whole blocks. */
static int64_t sk_rows_per_chunk(int64_t K)
{
    const int64_t cap = K > SK_BLOCK ? K : SK_BLOCK;
    const int64_t Rb = sk_block_rows(K, cap);
    const int64_t rpc = (SK_CHUNK_ELEMS / K) / Rb * Rb;
    return rpc < 1 ? 1 : rpc;
}

typedef void (*sk_chunk_fn)(const void *args, int64_t r0, int64_t r1, double *ws, int64_t cap,
                            sk_acc *acc);

#define SK_ARGS_MAX 512 /* bytes: every kernel's argument struct fits */

/* Rows [r0, r1) of one chunk through fn. With an N-D geometry the rows are cut into segments
 * at multiples of n_in, and fn runs on a copy of args whose registered pointers are moved to
 * each segment's outer offset (see sk_nd); the segments' partial results are added in order,
 * so the chunk's result is still a function of the chunk alone. */
static void sk_run_chunk(sk_chunk_fn fn, const void *args, size_t asz, const sk_nd *nd,
                         int64_t r0, int64_t r1, double *ws, int64_t cap, sk_acc *acc)
{
    if (!nd || nd->nouter == 0) {
        fn(args, r0, r1, ws, cap, acc);
        return;
    }
    union { unsigned char b[SK_ARGS_MAX]; double d; void *p; int64_t i; } copy;
    memcpy(copy.b, args, asz);
    const int64_t nin = nd->n_in;
    double cs = 0.0, cw = 0.0;
    memset(acc, 0, sizeof *acc);
    for (int64_t s0 = r0; s0 < r1;) {
        const int64_t o = s0 / nin;
        const int64_t s1 = (o + 1) * nin < r1 ? (o + 1) * nin : r1;
        int64_t delta[SK_ND_MAXSET];
        for (int q = 0; q < nd->nsets; q++) delta[q] = -o * nin * nd->s0[q];
        int64_t rem = o;
        for (int d = nd->nouter - 1; d >= 0; d--) {
            const int64_t idx = rem % nd->shape[d];
            rem /= nd->shape[d];
            for (int q = 0; q < nd->nsets; q++) delta[q] += idx * nd->stride[q][d];
        }
        for (int j = 0; j < nd->nptr; j++) {
            uintptr_t base;
            memcpy(&base, (const unsigned char *)args + nd->off[j], sizeof base);
            if (base) base += (uintptr_t)delta[nd->set[j]]; /* modular: negative deltas too */
            memcpy(copy.b + nd->off[j], &base, sizeof base);
        }
        sk_acc part;
        memset(&part, 0, sizeof part);
        fn(copy.b, s0, s1, ws, cap, &part);
        sk_kahan_add(&acc->sum, &cs, part.sum);
        sk_kahan_add(&acc->wsum, &cw, part.wsum);
        acc->nnz += part.nnz;
        acc->nterms += part.nterms;
        s0 = s1;
    }
    acc->sum -= cs;
    acc->wsum -= cw;
}

/* Runs fn over fixed chunks of rows and adds the chunks' partial results in chunk order.
 * ws_per_cap / ws_per_row: workspace doubles per unit of capacity and per block row.
 * args: asz bytes; nd: its N-D geometry, or NULL. */
static int sk_run_rows(sk_chunk_fn fn, const void *args, size_t asz, const sk_nd *nd, int64_t n,
                       int64_t K, int64_t work, int n_threads, int64_t ws_per_cap,
                       int64_t ws_per_row, sk_acc *total)
{
    const int64_t Kc = K > 0 ? K : 1;
    const int64_t cap = Kc > SK_BLOCK ? Kc : SK_BLOCK;
    const int64_t R = cap / Kc;            /* upper bound of any kernel's rows per block */
    const int64_t rpc = sk_rows_per_chunk(Kc);
    const int64_t nchunks = n > 0 ? (n + rpc - 1) / rpc : 0;
    const int64_t wsn = ws_per_cap * cap + ws_per_row * R + 16;
    memset(total, 0, sizeof *total);
    if (nchunks == 0) return SK_OK;
    if (asz > SK_ARGS_MAX || (nd && (nd->nsets > SK_ND_MAXSET || nd->nptr > SK_ND_MAXPTR ||
                                     nd->nouter > SK_ND_MAXDIM || nd->n_in < 1)))
        return SK_ENOMEM;
    sk_acc *part = (sk_acc *)calloc((size_t)nchunks, sizeof(sk_acc));
    if (!part) return SK_ENOMEM;
    int failed = 0;
    /* at most one thread per SK_PAR_MIN elements of real work (a gather of p_t reads one value
     * per row): on small inputs a team's start-up and barrier cost more than the work, and much
     * more on a loaded machine */
    const int64_t work_cap = work / SK_PAR_MIN;
    if ((int64_t)n_threads > work_cap) n_threads = work_cap < 1 ? 1 : (int)work_cap;
    const int par = n_threads > 1 && nchunks > 1;
    (void)par;
#ifdef SKXENT_OPENMP
#pragma omp parallel num_threads(n_threads) if (par) reduction(|| : failed)
#endif
    {
        double *ws = sk_workspace(wsn);
        if (!ws) failed = 1;
#ifdef SKXENT_OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t c = 0; c < nchunks; c++) {
            if (!ws) continue;
            const int64_t r0 = c * rpc, r1 = (r0 + rpc) < n ? (r0 + rpc) : n;
            sk_run_chunk(fn, args, asz, nd, r0, r1, ws, cap, &part[c]);
        }
        sk_workspace_release(ws);
    }
    double cs = 0.0, cw = 0.0;
    for (int64_t c = 0; c < nchunks; c++) {
        sk_kahan_add(&total->sum, &cs, part[c].sum);
        sk_kahan_add(&total->wsum, &cw, part[c].wsum);
        total->nnz += part[c].nnz;
        total->nterms += part[c].nterms;
    }
    total->sum -= cs;
    total->wsum -= cw;
    free(part);
    return failed ? SK_ENOMEM : SK_OK;
}

static void sk_cce_chunk_fn(const void *args, int64_t r0, int64_t r1, double *ws, int64_t cap,
                            sk_acc *acc)
{
    sk_cce_chunk((const sk_cce_args *)args, r0, r1, ws, cap, acc);
}

static int sk_cce(const sk_cce_args *a, int n_threads, sk_acc *out)
{
    const int gather_only = a->weights_only || (!a->from_logits && a->t && a->smooth == 0.0 &&
                                                a->gamma == 0.0 && !a->grad_out);
    const int64_t work = gather_only ? a->n : a->n * a->K;
    return sk_run_rows(sk_cce_chunk_fn, a, sizeof *a, a->nd, a->n, a->K, work, n_threads,
                       SK_CCE_CAP_ARRAYS,
                       SK_CCE_ROW_ARRAYS, out);
}

/* ---------------------------------------------------------------------------------------- */
/* binary (sigmoid) cross-entropy, elementwise over (n, L)                                    */

/* Focal binary cross-entropy point functions (gamma > 0; gamma == 0 is the plain loops below,
 * untouched). With p = sigmoid(x), A = -log p = softplus(-x), B = -log(1 - p) = softplus(x):
 *   loss  = pos (1 - p)^g A + neg p^g B,   (1 - p)^g = exp(-g B), p^g = exp(-g A)
 *   dloss = neg p^g (p + g (1 - p) B) - pos (1 - p)^g ((1 - p) + g p A)
 *   d2    = pos (1-p)^g p [(2g+1)(1-p) - g (1-p) A + g^2 p A]
 *         + neg p^g (1-p) [(2g+1) p - g p B + g^2 (1-p) B]
 * Each part of the loss and of the gradient is a product of non-negative factors (no
 * cancellation); the second derivative is genuinely indefinite. A and B are max(-+x, 0) + l
 * (l = log1p(exp(-|x|))) kept as double-doubles, so that the powers exp(-g A), exp(-g B) are
 * accurate for large |x| too (sk_pow_dd): rounding g A to one double would cost up to
 * g |x| / 2 ulps. p A -> 0 as p -> 0 (x = -inf) is taken as its limit. */
SK_INLINE void sk_focal_parts(double x, int lowp, double *sig, double *sigm, double *A,
                              double *Alo, double *B, double *Blo)
{
    const double ax = x < 0.0 ? -x : x;
    const double ex = lowp ? sk_exp_neg_lowp(-ax) : sk_exp_neg(-ax);
    const double l = sk_log1p(ex);
    const double inv = 1.0 / (1.0 + ex);
    *sig = x >= 0.0 ? inv : ex * inv;
    *sigm = x >= 0.0 ? ex * inv : inv;
    *A = sk_two_diff(x < 0.0 ? -x : 0.0, -l, Alo);
    *B = sk_two_diff(x > 0.0 ? x : 0.0, -l, Blo);
}

/* w**g from its log h + hl <= 0: the double-double power, or (lowp: float32 data, whose
 * results need ~1e-8 relative) a plain product and the short exp. */
SK_INLINE double sk_focal_pow(double h, double hl, double g, int lowp)
{
    return lowp ? sk_exp_neg_lowp(g * h) : sk_pow_dd(h, hl, g);
}

/* loss and derivative of one element from a logit (both parts). lowp: float32 data. */
SK_INLINE double sk_focal_logit(double x, double pos, double neg, double g, int lowp,
                                double *grad)
{
    double sig, sigm, A, Alo, B, Blo;
    sk_focal_parts(x, lowp, &sig, &sigm, &A, &Alo, &B, &Blo);
    const double wp = sk_focal_pow(-B, -Blo, g, lowp); /* (1 - p)^g */
    const double wn = sk_focal_pow(-A, -Alo, g, lowp); /* p^g */
    const double sA = sig > 0.0 ? sig * A : 0.0;
    const double sB = sigm > 0.0 ? sigm * B : 0.0;
    *grad = (neg > 0.0 ? neg * wn * (sig + g * sB) : 0.0) -
            (pos > 0.0 ? pos * wp * (sigm + g * sA) : 0.0);
    return (pos > 0.0 ? pos * wp * A : 0.0) + (neg > 0.0 ? neg * wn * B : 0.0);
}

/* The same for a hard target (y1: the positive part only, weight c; else the negative part
 * only): one power instead of two, one double-double instead of two. */
SK_INLINE double sk_focal_logit_hard(double x, int y1, double c, double g, int lowp,
                                     double *grad)
{
    const double ax = x < 0.0 ? -x : x;
    const double ex = lowp ? sk_exp_neg_lowp(-ax) : sk_exp_neg(-ax);
    const double l = sk_log1p(ex);
    const double inv = 1.0 / (1.0 + ex);
    const double sig = x >= 0.0 ? inv : ex * inv, sigm = x >= 0.0 ? ex * inv : inv;
    const double xp = x > 0.0 ? x : 0.0, xm = x < 0.0 ? -x : 0.0;
    /* positive: (1 - p)^g A, derivative -(1 - p)^g ((1 - p) + g p A), Z = B, T = A;
     * negative: p^g B, derivative p^g (p + g (1 - p) B), Z = A, T = B */
    double Zlo;
    const double Z = sk_two_diff(y1 ? xp : xm, -l, &Zlo), T = (y1 ? xm : xp) + l;
    const double s1 = y1 ? sig : sigm, s2 = y1 ? sigm : sig;
    const double w = sk_focal_pow(-Z, -Zlo, g, lowp);
    const double sT = s1 > 0.0 ? s1 * T : 0.0;
    const double d = c * w * (s2 + g * sT);
    *grad = c > 0.0 ? (y1 ? -d : d) : 0.0;
    return c > 0.0 ? c * w * T : 0.0;
}

/* second derivative of one element from a logit. */
SK_INLINE double sk_focal_logit_hess(double x, double pos, double neg, double g)
{
    double sig, sigm, A, Alo, B, Blo;
    sk_focal_parts(x, 0, &sig, &sigm, &A, &Alo, &B, &Blo);
    const double wp = sk_pow_dd(-B, -Blo, g);
    const double wn = sk_pow_dd(-A, -Alo, g);
    const double g1 = 2.0 * g + 1.0, g2 = g * g;
    const double hp = pos * wp * sig * (g1 * sigm - g * (sigm * A) + g2 * (sig * A));
    const double hn = neg * wn * sigm * (g1 * sig - g * (sig * B) + g2 * (sigm * B));
    return (pos > 0.0 && sig > 0.0 ? hp : 0.0) + (neg > 0.0 && sigm > 0.0 ? hn : 0.0);
}

/* loss and derivative with respect to a probability pc (already clipped):
 *   loss = -(pos (1 - p)^g log p + neg p^g log(1 - p))
 *   d/dp = neg p^g (1/(1 - p) - g log(1 - p) / p) - pos (1 - p)^g (1/p - g log p / (1 - p))
 * (both brackets sums of non-negative terms; log p / (1 - p) -> -1 as p -> 1 and
 * log(1 - p) / p -> -1 as p -> 0). 1 - p = u + c exactly (Fast2Sum); the powers from
 * double-double logs (sk_pow_dd). */
SK_INLINE double sk_focal_proba(double pc, double pos, double neg, double g, double *grad)
{
    const double lp = sk_log(pc), l1p = sk_log1p(-pc);
    const double u = 1.0 - pc, c = (1.0 - u) - pc;
    double uh, ul, ph, pl;
    uh = sk_log_dd(u, &ul);
    ul += u > 0.0 ? c / u : 0.0;
    ph = sk_log_dd(pc, &pl);
    const double wp = sk_pow_dd(uh, ul, g); /* (1 - p)^g */
    const double wn = sk_pow_dd(ph, pl, g); /* p^g */
    const double rp = u > 0.0 ? lp / u : -1.0;
    const double rn = pc > 0.0 ? l1p / pc : -1.0;
    *grad = (neg > 0.0 ? neg * wn * (1.0 / u - g * rn) : 0.0) -
            (pos > 0.0 ? pos * wp * (1.0 / pc - g * rp) : 0.0);
    return -((pos > 0.0 ? pos * wp * lp : 0.0) + (neg > 0.0 ? neg * wn * l1p : 0.0));
}

typedef struct {
    int64_t n, L;
    sk_view x;              /* IN (n, L) logits or probabilities */
    sk_view y;              /* IN (n, L) targets in [0, 1] (not read where the mask is False) */
    sk_view sw;             /* IN (n, L) float64 weights, any strides (0 for a broadcast axis:
                             * per-sample weights are s1 = 0), or p == NULL (all ones) */
    sk_mask where;          /* IN (n, L) mask, any strides, or p == NULL (every element) */
    const double *pw;       /* IN (L,) positive weights, or NULL */
    double smooth;          /* y' = (1 - e) y + e / 2 */
    double gamma;           /* focal exponent; 0: plain cross-entropy */
    int from_logits;
    double clip_lo, clip_hi;
    int out_f32;
    void *loss_out;         /* OUT (n, L) C-contiguous weighted terms, or NULL */
    void *grad_out;         /* OUT (n, L) C-contiguous gradient, or NULL */
    void *hess_out;         /* OUT (n, L) C-contiguous second derivative (from_logits only) */
    double grad_scale;
    int count;              /* accumulate wsum, nnz and nterms (a mask makes them data) */
    int weights_only;       /* only the counts: x and y are not read, nothing is written */
    const sk_nd *nd;        /* N-D geometry (of x, y, sw, where), or NULL (2-D) */
} sk_bce_args;

/* The focal blocks of sk_bce_chunk, out of line (see SK_OUTLINE): from logits, the loss and
 * gradient (hard: 0/1 targets, one power per element) and the second derivative; IN the
 * block's nk elements xb, yb, pwb, swb; OUT lb, gb, hb. */
SK_OUTLINE void sk_bce_focal_logits(const sk_bce_args *a, int64_t nk, int hard,
                                    const double *restrict xb, const double *restrict yb,
                                    const double *restrict pwb, const double *restrict swb,
                                    double *restrict lb, double *restrict gb,
                                    double *restrict hb)
{
    const double e = a->smooth, keep = 1.0 - e, half = 0.5 * e;
    const double scale = a->grad_scale, gam = a->gamma;
    /* float32 data (lowp) takes the short exp and plain products: its results need ~1e-8,
     * not the double-double powers' 1e-16 */
#define SK_FOCAL_HARD_LOOP(LOWP)                                                                \
    for (int64_t j = 0; j < nk; j++) {                                                          \
        const double x = xb[j];                                                                 \
        const int y1 = yb[j] == 1.0;                                                            \
        double gr;                                                                              \
        double loss = sk_focal_logit_hard(x, y1, y1 ? pwb[j] : 1.0, gam, LOWP, &gr);            \
        loss = x == INFINITY ? NAN : loss;                                                      \
        gr = x == INFINITY ? NAN : gr;                                                          \
        lb[j] = swb[j] * loss;                                                                  \
        gb[j] = swb[j] * scale * gr;                                                            \
    }
#define SK_FOCAL_SOFT_LOOP(LOWP)                                                                \
    for (int64_t j = 0; j < nk; j++) {                                                          \
        const double x = xb[j];                                                                 \
        const double yv = keep * yb[j] + half;                                                  \
        const double pos = pwb[j] * yv, neg = keep * (1.0 - yb[j]) + half;                      \
        double gr;                                                                              \
        double loss = sk_focal_logit(x, pos, neg, gam, LOWP, &gr);                              \
        loss = x == INFINITY ? NAN : loss;                                                      \
        gr = x == INFINITY ? NAN : gr;                                                          \
        lb[j] = swb[j] * loss;                                                                  \
        gb[j] = swb[j] * scale * gr;                                                            \
    }
    if (hard && a->x.f32)
        SK_FOCAL_HARD_LOOP(1)
    else if (hard)
        SK_FOCAL_HARD_LOOP(0)
    else if (a->x.f32)
        SK_FOCAL_SOFT_LOOP(1)
    else
        SK_FOCAL_SOFT_LOOP(0)
#undef SK_FOCAL_HARD_LOOP
#undef SK_FOCAL_SOFT_LOOP
    if (a->hess_out)
        for (int64_t j = 0; j < nk; j++) {
            const double x = xb[j];
            const double yv = keep * yb[j] + half;
            const double pos = pwb[j] * yv, neg = keep * (1.0 - yb[j]) + half;
            const double h = sk_focal_logit_hess(x, pos, neg, gam);
            hb[j] = x == INFINITY ? NAN : swb[j] * scale * h;
        }
}

/* The focal block from probabilities clipped to [clip_lo, clip_hi]. */
SK_OUTLINE void sk_bce_focal_proba(const sk_bce_args *a, int64_t nk,
                                   const double *restrict xb, const double *restrict yb,
                                   const double *restrict pwb, const double *restrict swb,
                                   double *restrict lb, double *restrict gb)
{
    const double e = a->smooth, keep = 1.0 - e, half = 0.5 * e;
    const double clo = a->clip_lo, chi = a->clip_hi, scale = a->grad_scale, gam = a->gamma;
    for (int64_t j = 0; j < nk; j++) {
        const double p = xb[j];
        const double pc = sk_clamp(p, clo, chi);
        const double yv = keep * yb[j] + half;
        const double pos = pwb[j] * yv, neg = keep * (1.0 - yb[j]) + half;
        double gr;
        const double loss = sk_focal_proba(pc, pos, neg, gam, &gr);
        const int inside = p >= clo && p <= chi;
        lb[j] = swb[j] * loss;
        gb[j] = inside ? swb[j] * scale * gr : (p != p ? p : 0.0);
    }
}

SK_TARGET_CLONES
static void sk_bce_chunk(const sk_bce_args *a, int64_t r0, int64_t r1, double *ws, int64_t cap,
                         sk_acc *acc)
{
    const int64_t Lc = a->L;
    const int64_t R = cap / Lc;
    double *xb = ws, *yb = ws + cap, *pwb = ws + 2 * cap, *swb = ws + 3 * cap, *lb = ws + 4 * cap,
           *gb = ws + 5 * cap, *hb = ws + 6 * cap, *mb = ws + 7 * cap;
    const double e = a->smooth, keep = 1.0 - e, half = 0.5 * e;
    const double clo = a->clip_lo, chi = a->clip_hi, scale = a->grad_scale, gam = a->gamma;
    const int masked = a->where.p != NULL;
    double lane_sum = 0.0, c_sum = 0.0, lane_w = 0.0, c_w = 0.0, nnz = 0.0, nterms = 0.0;
    for (int64_t j = 0; j < R * Lc; j++) pwb[j] = a->pw ? a->pw[j % Lc] : 1.0;

    for (int64_t b0 = r0; b0 < r1; b0 += R) {
        const int64_t nb = (r1 - b0) < R ? (r1 - b0) : R;
        const int64_t nk = nb * Lc;
        for (int64_t r = 0; r < nb; r++) {
            if (a->sw.p)
                sk_load_row(&a->sw, b0 + r, Lc, swb + r * Lc);
            else
                for (int64_t k = 0; k < Lc; k++) swb[r * Lc + k] = 1.0;
        }
        if (masked) {
            /* masked elements weigh 0: out of every count, loss and gradient exactly 0 */
            for (int64_t r = 0; r < nb; r++) sk_load_mask_row(&a->where, b0 + r, Lc, mb + r * Lc);
            for (int64_t j = 0; j < nk; j++) swb[j] = mb[j] != 0.0 ? swb[j] : 0.0;
        }
        if (a->count) {
            double cnt = 0.0, nz = 0.0;
            if (masked)
                for (int64_t j = 0; j < nk; j++) cnt += mb[j];
            else
                cnt = (double)nk;
            for (int64_t j = 0; j < nk; j++) nz += swb[j] != 0.0;
            nterms += cnt;
            nnz += nz;
            sk_kahan_add(&lane_w, &c_w, sk_lane_sum(swb, nk));
        }
        if (a->weights_only) continue;
        for (int64_t r = 0; r < nb; r++) {
            sk_load_row(&a->x, b0 + r, Lc, xb + r * Lc);
            sk_load_row(&a->y, b0 + r, Lc, yb + r * Lc);
        }
        if (masked)
            /* finite stand-ins (a label may be NaN there): weight 0 times a finite term is 0 */
            for (int64_t j = 0; j < nk; j++) {
                const int m = mb[j] != 0.0;
                xb[j] = m ? xb[j] : 0.5;
                yb[j] = m ? yb[j] : 0.0;
            }
        int hard = e == 0.0;
        if (gam != 0.0)
            for (int64_t j = 0; j < nk; j++) hard &= (yb[j] == 0.0) | (yb[j] == 1.0);
        if (a->from_logits && gam != 0.0) {
            sk_bce_focal_logits(a, nk, hard, xb, yb, pwb, swb, lb, gb, hb);
        } else if (a->from_logits) {
            for (int64_t j = 0; j < nk; j++) {
                const double x = xb[j];
                const double yv = keep * yb[j] + half;
                const double pos = pwb[j] * yv, neg = keep * (1.0 - yb[j]) + half;
                double ex;
                const double l = sk_log1pexp_neg_abs(x, &ex);
                const double sp_pos = x > 0.0 ? x + l : l;   /* softplus(x)  = -log(1 - p) */
                const double sp_neg = x > 0.0 ? l : l - x;   /* softplus(-x) = -log(p) */
                double loss = (pos > 0.0 ? pos * sp_neg : 0.0) + (neg > 0.0 ? neg * sp_pos : 0.0);
                const double inv = 1.0 / (1.0 + ex);
                const double sig = x >= 0.0 ? inv : ex * inv;       /* sigmoid(x) */
                const double sigm = x >= 0.0 ? ex * inv : inv;      /* sigmoid(-x) */
                double gr = (neg > 0.0 ? neg * sig : 0.0) - (pos > 0.0 ? pos * sigm : 0.0);
                /* +inf logits propagate as NaN (the API's convention), like the peers' formulas */
                loss = x == INFINITY ? NAN : loss;
                gr = x == INFINITY ? NAN : gr;
                lb[j] = swb[j] * loss;
                gb[j] = swb[j] * scale * gr;
            }
            if (a->hess_out) {
                /* d2/dx2 = (pos + neg) sigmoid(x) sigmoid(-x), both factors from exp(-|x|);
                 * a loop of its own: a seventh stream in the loop above stops GCC from
                 * vectorising it (too many run-time alias checks) */
                for (int64_t j = 0; j < nk; j++) {
                    const double x = xb[j];
                    const double yv = keep * yb[j] + half;
                    const double curv = pwb[j] * yv + (keep * (1.0 - yb[j]) + half);
                    const double ex = sk_exp_neg(x < 0.0 ? x : -x);
                    const double inv = 1.0 / (1.0 + ex);
                    const double h = curv * (ex * inv * inv);
                    hb[j] = x == INFINITY ? NAN : swb[j] * scale * h;
                }
            }
        } else if (gam != 0.0) {
            sk_bce_focal_proba(a, nk, xb, yb, pwb, swb, lb, gb);
        } else {
            /* probabilities clipped to [clip_lo, clip_hi]; log(1 - p) as log1p(-p) */
            for (int64_t j = 0; j < nk; j++) hard &= (yb[j] == 0.0) | (yb[j] == 1.0);
            if (hard) {
                /* 0/1 targets need one log per element: of p (y = 1) or of u = 1 - p (y = 0),
                 * with the exact rounding error of 1 - p folded back (log1p(-p) to 1 ulp) */
                for (int64_t j = 0; j < nk; j++) {
                    const double p = xb[j];
                    const double pc = sk_clamp(p, clo, chi);
                    const int y1 = yb[j] == 1.0;
                    const double om = 1.0 - pc;
                    const double u = y1 ? pc : om;
                    const double corr = (y1 || om == 0.0) ? 0.0 : ((-pc) - (om - 1.0)) / om;
                    const double w = y1 ? pwb[j] : 1.0;
                    const double loss = -w * (sk_log(u) + corr);
                    const int inside = p >= clo && p <= chi;
                    const double gr = y1 ? -w / pc : 1.0 / om;
                    lb[j] = swb[j] * (w > 0.0 ? loss : 0.0);
                    gb[j] = inside ? swb[j] * scale * (w > 0.0 ? gr : 0.0) : (p != p ? p : 0.0);
                }
            } else {
                for (int64_t j = 0; j < nk; j++) {
                    const double p = xb[j];
                    const double pc = sk_clamp(p, clo, chi);
                    const double yv = keep * yb[j] + half;
                    const double pos = pwb[j] * yv, neg = keep * (1.0 - yb[j]) + half;
                    const double lp = sk_log(pc), l1p = sk_log1p(-pc);
                    const double loss =
                        -((pos > 0.0 ? pos * lp : 0.0) + (neg > 0.0 ? neg * l1p : 0.0));
                    const int inside = p >= clo && p <= chi;
                    const double gr =
                        (neg > 0.0 ? neg / (1.0 - pc) : 0.0) - (pos > 0.0 ? pos / pc : 0.0);
                    lb[j] = swb[j] * loss;
                    gb[j] = inside ? swb[j] * scale * gr : (p != p ? p : 0.0);
                }
            }
        }
        if (a->loss_out) sk_store(a->loss_out, a->out_f32, b0 * Lc, lb, nk);
        if (a->grad_out) sk_store(a->grad_out, a->out_f32, b0 * Lc, gb, nk);
        if (a->hess_out && a->from_logits) sk_store(a->hess_out, a->out_f32, b0 * Lc, hb, nk);
        sk_kahan_add(&lane_sum, &c_sum, sk_lane_sum(lb, nk));
    }
    acc->sum = lane_sum - c_sum;
    acc->wsum = lane_w - c_w;
    acc->nnz = nnz;
    acc->nterms = nterms;
}

static void sk_bce_chunk_fn(const void *args, int64_t r0, int64_t r1, double *ws, int64_t cap,
                            sk_acc *acc)
{
    sk_bce_chunk((const sk_bce_args *)args, r0, r1, ws, cap, acc);
}

static int sk_bce(const sk_bce_args *a, int n_threads, sk_acc *out)
{
    return sk_run_rows(sk_bce_chunk_fn, a, sizeof *a, a->nd, a->n, a->L, a->n * a->L, n_threads,
                       8, 0, out);
}

/* ---------------------------------------------------------------------------------------- */
/* Kullback-Leibler divergence KL(y || q), row-wise over (n, K)                               */
/*
 * KL = sum_{y_k > 0} y_k (log y_k - log q_k) per row (0 log 0 = 0), S = sum_k y_k (rows need
 * not sum to one: S - 1 is part of the exact value and is kept from an exact-pair sum).
 *
 * From logits (u = z / T, d_k = u_k - max u carried as an exact pair, q = softmax(u)). For the
 * classes with target mass write a_k = d_k - log y_k, which is log q_k - log y_k up to the
 * log-partition, and centre it: t_k = a_k - c with c the y-weighted mean of a. Then
 * y_k e^{t_k} = e^{d_k - c}, so the partition sum relative to c splits as
 *     sum_k e^{d_k - c} = S + sum_{y>0} y_k (t_k + phi(t_k)) + sum_{y=0} e^{d_k - c},
 * with phi(t) = e^t - 1 - t >= 0, and
 *     KL = S log1p(V) - R,  V = (S - 1) + R + P + Z,
 *     R = sum_{y>0} y_k t_k,  P = sum_{y>0} y_k phi(t_k),  Z = sum_{y=0} e^{d_k - c}.
 * This holds for any centre. With c the mean, a student close to its teacher has small t_k, P
 * and Z *are* the divergence (P ~ sum y t^2 / 2, sums of non-negative terms, phi evaluated to
 * a few ulps relative), and R is only a rounding residual that enters V and the result with
 * opposite signs, so its own rounding cancels to first order. (CE - H, or sum y (log y - log q)
 * with a rounded log-softmax, subtract numbers of the size of the entropy: an absolute error of
 * a few eps times the entropy.) What is left is the error delta_k of t_k, which moves KL by
 * sum_k (S q_k - y_k) delta_k ~ sqrt(2 KL) delta: log y_k is therefore computed as a pair
 * (sk_log_dd, ~1e-17 absolute instead of an ulp of |log y|) and d_k is exact, so that
 * delta ~ 1e-17 + eps |t|. S is summed as a pair (TwoSum errors accumulated), so that a row
 * summing to 1 + 3e-17 contributes exactly that 3e-17 (the divergence of a float teacher with
 * itself). The centre is clamped at -600 from below: a centre that low means the targets sit
 * on classes the logits put hundreds below the max, KL is large, and e^{d - c} would overflow.
 * A class with target mass and a -inf logit makes KL +inf (its gradient stays finite).
 * Float32 data (results rounded to 2**-24) drop the pairs' low parts and use a shorter
 * polynomial for the exponential family.
 * Gradient with respect to the logits, (S q_k - y_k) / T: with W = R + P + Z and S' the target
 * mass on classes with finite logits (S' = S except for the +inf rows),
 *     y_k > 0:  S q_k - y_k = (S y_k expm1(t_k) - y_k (W - (S - S'))) / (S' + W),
 *     y_k = 0:  S q_k       =  S e^{d_k - c} / (S' + W),
 * so the small difference q_k - y_k of a close student is never formed from rounded q_k, y_k.
 *
 * From probabilities q (used as given, not renormalised): with v_k = (q_k - y_k) / y_k (the
 * numerator an exact pair), each class's y_k log(y_k / q_k) = y_k g(v_k) + (y_k - q_k),
 * g(v) = v - log1p(v) >= 0, and
 *     KL = sum_{near} y_k g(v_k) + sum_{near} (y_k - q_k) - sum_{far} y_k log1p(v_k),
 * "near" meaning q_k <= 7/3 y_k: there the first two sums are the divergence of a close q
 * without cancellation (the second is an exact-pair sum); far classes, whose y g(v) ~ q and
 * y - q ~ -q would cancel, use their own term. g comes from its series in s = v / (2 + v)
 * for |s| <= 0.4. The gradient is -y_k / q_k.
 *
 * Log targets (log_target): y_k = exp(l_k) rounded to double, the logs l_k used exactly. The
 * rounding of y_k moves S, hence KL, by up to ~eps S (a first-order effect of any unnormalised
 * change of y): log targets are not relatively exact for divergences below ~1e-14.
 */

typedef struct {
    int64_t n, K;
    sk_view x;              /* IN (n, K) logits (from_logits) or probabilities */
    sk_view y;              /* IN (n, K) target probabilities, or log-probabilities */
    const double *sw;       /* IN (n,) sample weights, or NULL */
    int from_logits;
    int log_target;
    double temperature;     /* logits are divided by it (from_logits only), > 0 */
    int out_f32;            /* dtype of the outputs */
    void *loss_out;         /* OUT (n,) weighted per-sample divergences, or NULL */
    void *grad_out;         /* OUT (n, K) C-contiguous gradient times grad_scale, or NULL */
    void *proba_out;        /* OUT (n, K) C-contiguous q = softmax(x / T) (logits only), or NULL */
    void *curv_out;         /* OUT (n,) a_i = grad_scale sw_i S_i / T^2 (logits only), or NULL:
                             * the Hessian of sample i's term is a_i (diag(q) - q q^T) */
    double grad_scale;
    int64_t os0, os1;       /* element strides of grad_out and proba_out; 0, 0: C order */
    const sk_nd *nd;        /* N-D geometry, or NULL (2-D) */
} sk_kl_args;

#define SK_KL_ROW_ARRAYS 15 /* per-row workspace arrays of sk_kl_chunk */

/* The inner loops of sk_kl_chunk read and write up to nine streams of one workspace; GCC
 * cannot prove them disjoint and gives up above ten run-time alias checks (the loops then run
 * scalar, ~5x slower). They are disjoint slices: say so. */
#if defined(__GNUC__) && !defined(__clang__)
#define SK_IVDEP _Pragma("GCC ivdep")
#else
#define SK_IVDEP
#endif

/* sk_two_sum: _simd.h */

/* 2**n for an integral n in [-1022, 1023]. */
SK_INLINE double sk_pow2(double n)
{
    return sk_as_f64((sk_as_u64(n + SK_EXP_SHIFT) + 1023u) << 52);
}

/* Row sums in T-layout as pairs, sum_k v[k, r] == s[r] + e[r] to O(K eps^2) sum |v|: each
 * addition's exact error (TwoSum) is accumulated in e (Ogita, Rump and Oishi's Sum2: as if
 * summed in twice the precision). Kahan's pair is not enough here: the rounding of its
 * corrected summand is lost, an error of ~eps per row that S - 1 would keep. R == 1: eight
 * lanes, then the lanes. */
SK_INLINE void sk_rows_sum2_T(const double *v, int64_t nb, int64_t K, int64_t R, double *s,
                              double *e)
{
    double lo;
    if (R == 1) {
        double acc[SK_LANES] = {0, 0, 0, 0, 0, 0, 0, 0}, err[SK_LANES] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t j = 0;
        for (; j + SK_LANES <= K; j += SK_LANES)
            for (int l = 0; l < SK_LANES; l++) {
                acc[l] = sk_two_sum(acc[l], v[j + l], &lo);
                err[l] += lo;
            }
        double ss = 0.0, ee = 0.0;
        for (int l = 0; l < SK_LANES; l++) {
            ss = sk_two_sum(ss, acc[l], &lo);
            ee += lo + err[l];
        }
        for (; j < K; j++) {
            ss = sk_two_sum(ss, v[j], &lo);
            ee += lo;
        }
        s[0] = ss;
        e[0] = ee;
        return;
    }
    for (int64_t r = 0; r < nb; r++) s[r] = e[r] = 0.0;
    for (int64_t k = 0; k < K; k++)
        for (int64_t r = 0; r < nb; r++) {
            s[r] = sk_two_sum(s[r], v[k * R + r], &lo);
            e[r] += lo;
        }
}

/* log(u) for u > 0 as a pair hi + *lo: sk_log_dd of _simd.h (shared with the focal terms). */

/* The exponential family at x = xh + xl (|xl| <= ulp(xh)), weighted by w >= 0:
 *     *wy = w e^x,  *wphi = w (e^x - 1 - x),  *wem1 = w (e^x - 1),
 * each to a few ulps relative for x in [-inf, 1400], as long as w e^x is finite (w 2^n is
 * formed in two exact steps). x = n ln2 + r, |r| <= ln2 / 2, e^r = 1 + r + p(r) with
 * p(r) = r^2 Q(r) (a degree-11 fit of Q for relative accuracy, mpmath-computed: 1.2e-16), and
 *     phi(x) = 2^n p(r) + [2^n r + (2^n - 1 - x)]    for |n| <= 52,
 * where the bracket, the only place where phi can cancel, is formed from exact pieces
 * (2^n (x - n ln2_hi) is exact, 2^n - 1 - x an exact pair); beyond, phi = e^x - (1 + x) or
 * (-1 - x) + e^x, which do not cancel. e^x - 1 is x + phi(x) for x >= -ln2 / 2, else e^x - 1.
 * lowp (a constant; float32 data, whose results are rounded to 2**-24): a degree-5 fit of Q,
 * 2.9e-9 relative. */
SK_INLINE void sk_kl_exp3(double xh, double xl, double w, double *wy, double *wphi,
                          double *wem1, const int lowp)
{
    const double LOG2E = 1.4426950408889634074;
    const double LN2_HI = 6.93147180369123816490e-01; /* n * LN2_HI exact for |n| < 2**21 */
    const double LN2_LO = 1.90821492927058770002e-10;
    const int under = xh < -1100.0;                    /* e^x == 0 in double */
    const double xc = under ? -1100.0 : (xh > 1400.0 ? 1400.0 : xh); /* NaN stays NaN */
    const double xlc = under ? 0.0 : xl;
    const double n = (xc * LOG2E + SK_EXP_SHIFT) - SK_EXP_SHIFT;
    const double r1 = xc - n * LN2_HI;                 /* exact (Cody-Waite) */
    const double rlo = xlc - n * LN2_LO;
    const double r = r1 + rlo;
    double q;
    if (lowp) {
        q = 0.00019890990824673654;
        q = q * r + 0.0013933649996309251;
        q = q * r + 0.0083333109254809;
        q = q * r + 0.041666464925285904;
        q = q * r + 0.16666666681623232;
        q = q * r + 0.500000001346581;
    } else {
        q = 1.6068222324553252e-10;
        q = q * r + 2.091811394828465e-09;
        q = q * r + 2.5052131880386958e-08;
        q = q * r + 2.7557263350520835e-07;
        q = q * r + 2.7557319174224947e-06;
        q = q * r + 2.4801587336367172e-05;
        q = q * r + 0.00019841269841301644;
        q = q * r + 0.0013888888888879106;
        q = q * r + 0.008333333333333326;
        q = q * r + 0.04166666666666668;
        q = q * r + 0.16666666666666666;
        q = q * r + 0.5;
    }
    const double p = (r * r) * q;                      /* e^r - 1 - r */
    /* w 2^n in two steps: no intermediate overflow or double rounding while w e^x is finite */
    const double n1 = (n * 0.5 + SK_EXP_SHIFT) - SK_EXP_SHIFT;
    const double ws = (w * sk_pow2(n1)) * sk_pow2(n - n1);
    const double y = under ? 0.0 : ws + ws * (r + p);
    /* phi for |n| <= 52 (nb == n there; outside the value is not used) */
    const double nb = n < -52.0 ? -52.0 : (n > 52.0 ? 52.0 : n);
    const double P = sk_pow2(nb);
    double dl;
    const double dh = sk_two_diff(P - 1.0, xh, &dl);  /* 2^n - 1 - xh, exact */
    const double B = (P * r1 + dh) + ((dl + P * rlo) - xl);
    const double phi_mid = P * p + B;
    const double wphi_hi = y - w * ((1.0 + xh) + xl);
    const double wphi_lo = w * ((-1.0 - xh) - xl) + y;
    *wy = y;
    *wphi = n > 52.0 ? wphi_hi : (n < -52.0 ? wphi_lo : w * phi_mid);
    /* nested selects, not (a & b) ? : GCC 12 does not vectorise a select on a combined
     * comparison once the caller selects on it again */
    const double em1_mid = w * (xh + (xl + phi_mid));
    *wem1 = xh < -0.34657359027997264 ? y - w : (n > 52.0 ? y - w : em1_mid);
}

/* g(v) = v - log1p(v) >= 0 for v >= -1, a few ulps relative: with s = v / (2 + v),
 * log1p(v) = 2 atanh(s) = 2 s + 2 s^3 A(s^2) and v - 2 s = s v, so g = s (v - 2 s^2 A(s^2))
 * (no cancellation) for |s| <= 0.4 (a degree-11 fit of A on [0, 0.16], mpmath-computed:
 * 1.4e-16 relative); beyond, v - lp with lp = log1p(v) from the caller (who computes it as
 * log(q / y)), losing at most a factor 3 of lp's ulp. */
SK_INLINE double sk_kl_g(double v, double lp)
{
    const double s = v / (2.0 + v);
    const double z = s * s;
    double A = 0.10299039804478094;
    A = A * z + 0.012409216679900406;
    A = A * z + 0.05572847950700126;
    A = A * z + 0.051331527604288316;
    A = A * z + 0.05895898101265352;
    A = A * z + 0.06665734121371869;
    A = A * z + 0.07692349695221036;
    A = A * z + 0.09090907896839008;
    A = A * z + 0.11111111131072787;
    A = A * z + 0.14285714285542347;
    A = A * z + 0.20000000000000578;
    A = A * z + 0.3333333333333333;
    const double central = s * (v - 2.0 * z * A);
    return s < -0.4 ? v - lp : (s > 0.4 ? v - lp : central); /* nested: see sk_kl_exp3 */
}

/* sk_load_T through 8 x 8 register tiles for C-ordered rows (K >= 8, R >= 8): the generic
 * loader gathers one element at a time and took a sixth of this kernel's time, reading two
 * (n, K) arrays. Other layouts and the edges go through sk_load_T's loops. */
SK_INLINE void sk_kl_load_T(const sk_view *v, int64_t b0, int64_t nb, int64_t K, int64_t R,
                            double *restrict dst)
{
#if SK_HAVE_TILES
    if (R > 1 && v->s1 == 1 && K >= 8 && nb >= 8) {
        const int64_t s0 = v->s0, r8 = nb / 8 * 8, k8 = K / 8 * 8;
        for (int64_t r = 0; r < r8; r += 8) {
            for (int64_t k = 0; k < k8; k += 8) {
                sk_v8d t[8];
                if (v->f32) {
                    for (int l = 0; l < 8; l++) {
                        sk_v8f f;
                        memcpy(&f, (const float *)v->p + (b0 + r + l) * s0 + k, sizeof f);
                        t[l] = __builtin_convertvector(f, sk_v8d);
                    }
                } else {
                    for (int l = 0; l < 8; l++)
                        memcpy(&t[l], (const double *)v->p + (b0 + r + l) * s0 + k, sizeof t[l]);
                }
                sk_transpose8(t);
                for (int c = 0; c < 8; c++) memcpy(dst + (k + c) * R + r, &t[c], sizeof t[c]);
            }
            for (int64_t k = k8; k < K; k++)
                for (int l = 0; l < 8; l++) dst[k * R + r + l] = sk_get(v, b0 + r + l, k);
        }
        for (int64_t r = r8; r < nb; r++)
            for (int64_t k = 0; k < K; k++) dst[k * R + r] = sk_get(v, b0 + r, k);
        return;
    }
#endif
    sk_load_T(v, b0, nb, K, R, dst);
}

/* Row maxima of a T-layout block (the first one wins NaN ties as sk_rows_max_T, without the
 * argmax pass). */
SK_INLINE void sk_kl_rows_max(const double *restrict d, int64_t nb, int64_t K, int64_t R,
                              double *restrict m)
{
    if (R == 1) {
        m[0] = sk_row_max(d, K);
        return;
    }
    for (int64_t r = 0; r < nb; r++) m[r] = d[r];
    for (int64_t k = 1; k < K; k++) {
        SK_IVDEP
        for (int64_t r = 0; r < nb; r++) m[r] = d[k * R + r] > m[r] ? d[k * R + r] : m[r];
    }
}

/* The first element pass of the logits path (T-layout block): d = (x - m) / T as an exact
 * pair; for the classes with target mass a = d - log y as a pair (log y from sk_log_dd, or
 * the log target in l on entry). OUT x: a (classes with mass) or d (the others); l: their low
 * parts. Row sums: S = sum y (a pair Ss + Se), A = sum y a (for the centre: any value near
 * the mean will do, so a plain sum) and Sm, the target mass on -inf logits (plain). With
 * `fused` (R >= 8 rows side by side) they are accumulated here, vertically; otherwise (one long
 * row) the caller sums s1 = y a and s2 = the masked mass over the lanes. The flags are
 * constants after inlining: `scaled` (T != 1), `logt` (log targets), `lowp` (float32 data: the
 * pairs' low parts, below 2**-53 relative, cannot matter for results rounded to 2**-24, so
 * they are not formed, and log y is sk_log's). */
SK_INLINE void sk_kl_centre_pass(double *restrict x, const double *restrict yb,
                                 double *restrict l, double *restrict s1, double *restrict s2,
                                 const double *restrict m, double *restrict Ss,
                                 double *restrict Se, double *restrict Am, double *restrict Sm,
                                 int64_t nb, int64_t K, int64_t R, double T, const int scaled,
                                 const int logt, const int lowp, const int fused)
{
    if (fused) {
        SK_IVDEP
        for (int64_t r = 0; r < nb; r++) Ss[r] = Se[r] = Am[r] = Sm[r] = 0.0;
    }
    for (int64_t k = 0; k < K; k++) {
        SK_IVDEP
        for (int64_t r = 0; r < nb; r++) {
            const int64_t j = k * R + r;
            const double y = yb[j];
            double ly, lylo = 0.0, dlo = 0.0, alo = 0.0, d, ah;
            if (logt)
                ly = l[j];
            else if (lowp)
                ly = sk_log(y);
            else
                ly = sk_log_dd(y, &lylo);
            if (lowp) {
                d = x[j] - m[r]; /* exact: float32 values in double */
                if (scaled) d = d / T;
            } else {
                d = sk_two_diff(x[j], m[r], &dlo);
                if (scaled) {
                    const double dd = d;
                    d = dd / T;
                    const double rem = d - d == 0.0 ? fma(-d, T, dd) : 0.0; /* exact */
                    dlo = (rem + dlo) / T;
                }
            }
            const int reg = (y > 0.0) & (d > -INFINITY);
            if (lowp)
                ah = d - ly;
            else
                ah = sk_two_sum(d, -ly, &alo);
            x[j] = reg ? ah : d;
            l[j] = reg ? (alo + dlo) - lylo : dlo;
            const double ya = reg ? y * ah : 0.0;
            const double ym = (y > 0.0) & (d == -INFINITY) ? y : 0.0; /* NaN: not a mask */
            if (fused) {
                double lo;
                Ss[r] = sk_two_sum(Ss[r], y, &lo);
                Se[r] += lo;
                Am[r] += ya;
                Sm[r] += ym;
            } else {
                s1[j] = ya;
                s2[j] = ym;
            }
        }
    }
}

/* The second element pass: t = a - c (classes with mass) or d - c (the others) through
 * sk_kl_exp3. Row sums: R = sum y t (plain: its rounding cancels, see the section note) and
 * PZ = sum of y phi(t) (mass) and e^{d - c} (the others), non-negative terms, Kahan-compensated
 * (PZ + PZc); accumulated here with `fused`, else left in s1 and s2 for the caller. With
 * `want` (a constant: gradient or probabilities asked for) wy: w e^x and g1: y expm1(t) or
 * e^{d - c}. */
SK_INLINE void sk_kl_exp_pass(const double *restrict yb, const double *restrict x,
                              const double *restrict l, const double *restrict sig,
                              double *restrict s1, double *restrict s2, double *restrict wyb,
                              double *restrict g1, double *restrict Rr, double *restrict PZ,
                              double *restrict PZc, int64_t nb, int64_t K, int64_t R,
                              const int want, const int lowp, const int fused)
{
    if (fused) {
        SK_IVDEP
        for (int64_t r = 0; r < nb; r++) Rr[r] = PZ[r] = PZc[r] = 0.0;
    }
    for (int64_t k = 0; k < K; k++) {
        SK_IVDEP
        for (int64_t r = 0; r < nb; r++) {
            const int64_t j = k * R + r;
            const double y = yb[j], hi = x[j];
            const int reg = (y > 0.0) & (hi > -INFINITY);
            double xh, xlo = 0.0;
            if (lowp) {
                xh = hi - sig[r];
            } else {
                double xl;
                const double xh0 = sk_two_diff(hi, sig[r], &xl);
                xh = sk_two_sum(xh0, xl + l[j], &xlo);
            }
            double wy, wphi, wem1;
            sk_kl_exp3(xh, xlo, reg ? y : 1.0, &wy, &wphi, &wem1, lowp);
            const double yt = reg ? y * xh : 0.0;
            const double pz = reg ? wphi : wy;
            if (fused) {
                Rr[r] += yt;
                sk_kahan_add(PZ + r, PZc + r, pz);
            } else {
                s1[j] = yt;
                s2[j] = pz;
            }
            if (want) {
                wyb[j] = wy;
                g1[j] = reg ? wem1 : wy;
            }
        }
    }
    if (fused) {
        SK_IVDEP
        for (int64_t r = 0; r < nb; r++) PZ[r] -= PZc[r];
    }
}

/* One chunk of rows [r0, r1). ws: 8 * cap + SK_KL_ROW_ARRAYS * R doubles. */
SK_TARGET_CLONES
static void sk_kl_chunk(const sk_kl_args *a, int64_t r0, int64_t r1, double *ws, int64_t cap,
                        sk_acc *acc)
{
    const double *restrict swl = a->sw;
    const int64_t K = a->K;
    const int64_t R = sk_block_rows(K, cap);
    const int logits = a->from_logits, logt = a->log_target;
    const double T = a->temperature, scale = a->grad_scale;
    const int scaled = T != 1.0;
    const int lowp = a->x.f32 && a->y.f32; /* float32 data, float32 results */
    const int want = a->grad_out != NULL || a->proba_out != NULL;
    /* T-layout blocks */
    double *xb = ws, *yb = ws + cap, *lb = ws + 2 * cap, *s1 = ws + 3 * cap, *s2 = ws + 4 * cap,
           *wyb = ws + 5 * cap, *g1 = ws + 6 * cap, *gb = ws + 7 * cap;
    /* per-row arrays */
    double *m = ws + 8 * cap, *Ss = m + R, *Se = Ss + R, *Am = Se + R, *Sm = Am + R,
           *sig = Sm + R, *Rr = sig + R, *PZ = Rr + R, *tmp = PZ + R, *opv = tmp + R,
           *Wr = opv + R, *term = Wr + R, *coef = term + R, *Sa = coef + R, *PZc = Sa + R;
    const int fused = R > 1; /* rows side by side: row sums accumulated in the passes */
    double lane_sum = 0.0, c_sum = 0.0;

    for (int64_t b0 = r0; b0 < r1; b0 += R) {
        const int64_t nb = (r1 - b0) < R ? (r1 - b0) : R;
        const int64_t nk = K * R; /* flat loops run over whole blocks: the stale rows past nb
                                   * are computed and never used */
        sk_kl_load_T(&a->x, b0, nb, K, R, xb);
        if (logt) {
            sk_kl_load_T(&a->y, b0, nb, K, R, lb);
            SK_IVDEP
            for (int64_t j = 0; j < nk; j++) yb[j] = sk_exp_neg(lb[j] < 0.0 ? lb[j] : 0.0);
        } else {
            sk_kl_load_T(&a->y, b0, nb, K, R, yb);
        }
        /* S = sum y as a pair Ss + Se, for the logits path (rows side by side: in its first
         * pass) */
        if (logits && !fused) sk_rows_sum2_T(yb, nb, K, R, Ss, Se);

        if (logits) {
            sk_kl_rows_max(xb, nb, K, R, m);
            /* d = (x - m) / T; a = d - log y (classes with mass); s1: y a (for the centre),
             * s2: mass on -inf logits. One inlined copy per combination of the flags. */
#define SK_KL_CENTRE(SC, LT, LP) sk_kl_centre_pass(xb, yb, lb, s1, s2, m, Ss, Se, Am, Sm, \
                                                  nb, K, R, T, SC, LT, LP, fused)
            if (lowp) {
                if (scaled) { if (logt) SK_KL_CENTRE(1, 1, 1); else SK_KL_CENTRE(1, 0, 1); }
                else { if (logt) SK_KL_CENTRE(0, 1, 1); else SK_KL_CENTRE(0, 0, 1); }
            } else {
                if (scaled) { if (logt) SK_KL_CENTRE(1, 1, 0); else SK_KL_CENTRE(1, 0, 0); }
                else { if (logt) SK_KL_CENTRE(0, 1, 0); else SK_KL_CENTRE(0, 0, 0); }
            }
#undef SK_KL_CENTRE
            if (!fused) {
                sk_rows_sum_T(s1, nb, K, R, Am, tmp);
                sk_rows_sum_T(s2, nb, K, R, Sm, tmp);
            }
            SK_IVDEP
            for (int64_t r = 0; r < nb; r++) {
                Sa[r] = Ss[r] + Se[r];
                const double Sreg = Sa[r] - Sm[r];
                double c = Sreg > 0.0 ? Am[r] / Sreg : 0.0;
                sig[r] = c < -600.0 ? -600.0 : c;
            }
            /* t = a - c (classes with mass), d - c (the others), through exp / phi / expm1 */
#define SK_KL_EXP(W, LP, F) sk_kl_exp_pass(yb, xb, lb, sig, s1, s2, wyb, g1, Rr, PZ, PZc, \
                                             nb, K, R, W, LP, F)
            if (fused) {
                if (lowp) { if (want) SK_KL_EXP(1, 1, 1); else SK_KL_EXP(0, 1, 1); }
                else { if (want) SK_KL_EXP(1, 0, 1); else SK_KL_EXP(0, 0, 1); }
            } else {
                if (lowp) { if (want) SK_KL_EXP(1, 1, 0); else SK_KL_EXP(0, 1, 0); }
                else { if (want) SK_KL_EXP(1, 0, 0); else SK_KL_EXP(0, 0, 0); }
                sk_rows_sum_T(s1, nb, K, R, Rr, tmp);
                sk_rows_sum_T(s2, nb, K, R, PZ, tmp);
            }
#undef SK_KL_EXP
            SK_IVDEP
            for (int64_t r = 0; r < nb; r++) {
                const double Sreg = Sa[r] - Sm[r];
                const double W = Rr[r] + PZ[r];
                /* S' - 1 from the pair: exact for rows summing to ~1 */
                const double V = (((Ss[r] - 1.0) + Se[r]) - Sm[r]) + W;
                const double kl = Sreg * sk_log1p(V) - Rr[r];
                Wr[r] = W;
                opv[r] = Sreg + W;
                const double swi = swl ? swl[b0 + r] : 1.0;
                /* target mass on a -inf logit: +inf, unless the row is NaN anyway */
                const double klm = Sm[r] > 0.0 ? (kl == kl ? INFINITY : kl) : kl;
                term[r] = swi == 0.0 ? 0.0 : swi * klm;
                coef[r] = swi;
            }
            if (a->curv_out) {
                for (int64_t r = 0; r < nb; r++) tmp[r] = coef[r] * scale * Sa[r] / (T * T);
                sk_store(a->curv_out, a->out_f32, b0, tmp, nb);
            }
            if (a->proba_out) {
                for (int64_t r = 0; r < nb; r++) tmp[r] = 1.0 / opv[r];
                for (int64_t k = 0; k < K; k++)
                    for (int64_t r = 0; r < nb; r++) gb[k * R + r] = wyb[k * R + r] * tmp[r];
                sk_store_Ts(a->proba_out, a->out_f32, b0, gb, nb, K, R, a->os0, a->os1);
            }
            if (a->grad_out) {
                for (int64_t r = 0; r < nb; r++) tmp[r] = coef[r] * scale / (T * opv[r]);
                for (int64_t k = 0; k < K; k++)
                    SK_IVDEP
                    for (int64_t r = 0; r < nb; r++) {
                        const int64_t j = k * R + r;
                        const double y = yb[j];
                        /* W - (S - S') on the classes with mass (finite logit), else 1 + V */
                        const double C = y > 0.0 ? (xb[j] > -INFINITY ? Wr[r] - Sm[r] : opv[r])
                                                 : opv[r];
                        gb[j] = coef[r] == 0.0 ? 0.0 : (Sa[r] * g1[j] - y * C) * tmp[r];
                    }
                sk_store_Ts(a->grad_out, a->out_f32, b0, gb, nb, K, R, a->os0, a->os1);
            }
        } else {
            /* probabilities q as given: the near / far split of the section note */
            for (int64_t k = 0; k < K; k++)
                SK_IVDEP
                for (int64_t r = 0; r < nb; r++) {
                    const int64_t j = k * R + r;
                    const double q = xb[j], y = yb[j];
                    const int reg = y > 0.0;
                    double dl;
                    const double dh = sk_two_diff(q, y, &dl);
                    const double ys = reg ? y : 1.0;
                    const double v = dh / ys + dl / ys;
                    /* log1p(v) = log(q / y), from the quotient (one rounding) rather than from
                     * v, whose rounding would dominate log(1 + v) for q << y; it is used only
                     * away from v = 0. q / y can overflow for a subnormal y. */
                    const double u = q / ys;
                    const int huge = u > 0x1p1000;
                    const double lp = huge ? sk_log((q * 0x1p-64) / ys) + 64.0 * 0.69314718055994531
                                           : sk_log(u);
                    /* near (q < 2.33 y): y g(v) + (y - q); far (q much larger than y, where
                     * y g(v) ~ q and y - q ~ -q would cancel): y log(y / q) itself */
                    const int near = v <= 4.0 / 3.0;
                    const double gv = sk_kl_g(near ? v : 0.0, lp);
                    s1[j] = reg ? (near ? y * gv : -y * lp) : 0.0;
                    s2[j] = reg ? (near ? -dh : 0.0) : 0.0;
                    wyb[j] = reg ? (near ? -dl : 0.0) : 0.0;
                }
            sk_rows_sum_T(s1, nb, K, R, Am, tmp);
            sk_rows_sum_T(s2, nb, K, R, Rr, tmp);
            sk_rows_sum_T(wyb, nb, K, R, PZ, tmp);
            SK_IVDEP
            for (int64_t r = 0; r < nb; r++) {
                const double swi = swl ? swl[b0 + r] : 1.0;
                const double kl = Am[r] + (Rr[r] + PZ[r]);
                term[r] = swi == 0.0 ? 0.0 : swi * kl;
                coef[r] = swi * scale;
            }
            if (a->grad_out) {
                for (int64_t k = 0; k < K; k++)
                    SK_IVDEP
                    for (int64_t r = 0; r < nb; r++) {
                        const int64_t j = k * R + r;
                        const double y = yb[j];
                        gb[j] = coef[r] == 0.0 ? 0.0 : (y > 0.0 ? -coef[r] * y / xb[j] : 0.0);
                    }
                sk_store_Ts(a->grad_out, a->out_f32, b0, gb, nb, K, R, a->os0, a->os1);
            }
        }
        if (a->loss_out) sk_store(a->loss_out, a->out_f32, b0, term, nb);
        sk_kahan_add(&lane_sum, &c_sum, sk_lane_sum(term, nb));
    }
    acc->sum = lane_sum - c_sum;
}

static void sk_kl_chunk_fn(const void *args, int64_t r0, int64_t r1, double *ws, int64_t cap,
                           sk_acc *acc)
{
    sk_kl_chunk((const sk_kl_args *)args, r0, r1, ws, cap, acc);
}

static int sk_kl(const sk_kl_args *a, int n_threads, sk_acc *out)
{
    return sk_run_rows(sk_kl_chunk_fn, a, sizeof *a, a->nd, a->n, a->K, a->n * a->K, n_threads, 8,
                       SK_KL_ROW_ARRAYS, out);
}

/* ---------------------------------------------------------------------------------------- */
/* skxent.special                                                                             */

#define SK_LSE 0
#define SK_LOG_SOFTMAX 1
#define SK_SOFTMAX 2

typedef struct {
    int64_t n, K;
    sk_view x;      /* IN (n, K) */
    int mode;       /* SK_LSE, SK_LOG_SOFTMAX or SK_SOFTMAX */
    int out_f32;
    void *out;      /* OUT (n,) for SK_LSE, else (n, K) with element strides os0, os1 */
    int64_t os0, os1; /* 0, 0: C order */
    const sk_nd *nd;  /* N-D geometry, or NULL (2-D) */
} sk_rows_args;

/* logsumexp of a row whose max is +-inf: -inf rows (all masked) give -inf, +inf rows give +inf,
 * unless the row holds a NaN. */
SK_INLINE double sk_lse_inf_row(const sk_view *x, int64_t i, int64_t K, double m)
{
    for (int64_t k = 0; k < K; k++) {
        double v = sk_get(x, i, k);
        if (v != v) return v;
    }
    return m;
}

SK_TARGET_CLONES
static void sk_rows_chunk(const sk_rows_args *a, int64_t r0, int64_t r1, double *ws, int64_t cap,
                          sk_acc *acc)
{
    const int64_t K = a->K;
    const int64_t R = sk_block_rows(K, cap);
    double *d = ws, *lo = ws + cap, *e = ws + 2 * cap, *o = ws + 3 * cap;
    double *m = ws + 4 * cap, *sp = m + R, *L = sp + R;
    int64_t *amax = (int64_t *)(L + R);
    (void)acc;
    for (int64_t b0 = r0; b0 < r1; b0 += R) {
        const int64_t nb = (r1 - b0) < R ? (r1 - b0) : R;
        sk_softmax_stage(&a->x, b0, nb, K, R, d, e, m, sp, L, amax, lo);
        if (a->mode == SK_LSE) {
            for (int64_t r = 0; r < nb; r++)
                o[r] = isinf(m[r]) ? sk_lse_inf_row(&a->x, b0 + r, K, m[r]) : m[r] + L[r];
            sk_store(a->out, a->out_f32, b0, o, nb);
        } else if (a->mode == SK_LOG_SOFTMAX) {
            /* x_k - lse = (d_k + lo_k) - L: both parts <= 0, so no cancellation */
            for (int64_t k = 0; k < K; k++)
                for (int64_t r = 0; r < nb; r++) {
                    double l;
                    const double dk = sk_two_diff(d[k * R + r], m[r], &l);
                    o[k * R + r] = (dk - L[r]) + l;
                }
            sk_store_Ts(a->out, a->out_f32, b0, o, nb, K, R, a->os0, a->os1);
        } else {
            for (int64_t r = 0; r < nb; r++) m[r] = 1.0 / (1.0 + sp[r]);
            for (int64_t k = 0; k < K; k++)
                for (int64_t r = 0; r < nb; r++) o[k * R + r] = e[k * R + r] * m[r];
            sk_store_Ts(a->out, a->out_f32, b0, o, nb, K, R, a->os0, a->os1);
        }
    }
}

static void sk_rows_chunk_fn(const void *args, int64_t r0, int64_t r1, double *ws, int64_t cap,
                             sk_acc *acc)
{
    sk_rows_chunk((const sk_rows_args *)args, r0, r1, ws, cap, acc);
}

static int sk_rows(const sk_rows_args *a, int n_threads)
{
    sk_acc unused;
    return sk_run_rows(sk_rows_chunk_fn, a, sizeof *a, a->nd, a->n, a->K, a->n * a->K, n_threads,
                       4, 4, &unused);
}

/* Elementwise sigmoid / log-sigmoid over a contiguous array viewed as (n, 1) rows of width W. */
#define SK_SIGMOID 0
#define SK_LOG_SIGMOID 1

typedef struct {
    int64_t n;          /* number of elements */
    const void *x;
    int f32;
    int mode;
    void *out;          /* OUT (n,) contiguous */
} sk_elem_args;

SK_TARGET_CLONES
static void sk_elem_chunk(const sk_elem_args *a, int64_t r0, int64_t r1, double *ws, int64_t cap,
                          sk_acc *acc)
{
    double *xb = ws, *o = ws + cap;
    const sk_view v = {a->x, a->f32, 1, 1};
    (void)acc;
    for (int64_t b0 = r0; b0 < r1; b0 += cap) {
        const int64_t nb = (r1 - b0) < cap ? (r1 - b0) : cap;
        sk_load_row(&v, b0, nb, xb);
        if (a->mode == SK_SIGMOID) {
            for (int64_t j = 0; j < nb; j++) {
                const double x = xb[j];
                const double ex = sk_exp_neg(x < 0.0 ? x : -x);
                const double inv = 1.0 / (1.0 + ex);
                o[j] = x >= 0.0 ? inv : ex * inv;
            }
        } else {
            for (int64_t j = 0; j < nb; j++) {
                const double x = xb[j];
                double ex;
                const double l = sk_log1pexp_neg_abs(x, &ex);
                o[j] = x < 0.0 ? x - l : -l; /* -softplus(-x) */
            }
        }
        sk_store(a->out, a->f32, b0, o, nb);
    }
}

static void sk_elem_chunk_fn(const void *args, int64_t r0, int64_t r1, double *ws, int64_t cap,
                             sk_acc *acc)
{
    sk_elem_chunk((const sk_elem_args *)args, r0, r1, ws, cap, acc);
}

static int sk_elem(const sk_elem_args *a, int n_threads)
{
    sk_acc unused;
    /* rows of one element: chunks of SK_CHUNK_ELEMS elements, blocks of SK_BLOCK */
    return sk_run_rows(sk_elem_chunk_fn, a, sizeof *a, NULL, a->n, 1, a->n, n_threads, 2, 0,
                       &unused);
}

/* ---------------------------------------------------------------------------------------- */
/* validation scans (parallel, deterministic: the first offending position wins)              */

typedef struct {
    int64_t n, K;
    sk_view x;
    double lo, hi;        /* allowed closed range */
    int integral;         /* values must be integers */
    double row_tol;       /* > 0: also count rows whose sum is not within row_tol of 1 */
    sk_mask where;        /* only positions where this mask is True are checked (p == NULL:
                           * all; no row sums with a mask) */
    int64_t *first_bad;   /* OUT per chunk: first flat index (row-major) out of range or NaN */
    int64_t rpc;
    const sk_nd *nd;      /* N-D geometry (of x and where), or NULL (2-D) */
} sk_scan_args;

SK_TARGET_CLONES
static void sk_scan_chunk(const sk_scan_args *a, int64_t r0, int64_t r1, double *ws, int64_t cap,
                          sk_acc *acc)
{
    const int64_t K = a->K;
    const int64_t R = sk_block_rows(K, cap);
    double *b = ws, *rs = ws + cap;
    const double lo = a->lo, hi = a->hi;
    const sk_view flat = {a->x.p, a->x.f32, 1, 1}; /* the same data seen as one long row */
    int64_t first = -1;
    double nbad_rows = 0.0;
    for (int64_t b0 = r0; b0 < r1 && first < 0; b0 += R) {
        const int64_t nb = (r1 - b0) < R ? (r1 - b0) : R;
        int bad = 0;
        if (a->where.p) {
            /* masked positions hold anything (NaN for a missing label): row by row */
            for (int64_t r = 0; r < nb; r++) {
                sk_load_row(&a->x, b0 + r, K, b);
                sk_load_mask_row(&a->where, b0 + r, K, b + K);
                for (int64_t k = 0; k < K; k++) {
                    const double v = b[k];
                    bad |= (b[K + k] != 0.0) &
                           ((!(v >= lo && v <= hi)) | (a->integral & (v != floor(v))));
                }
            }
        } else if (a->row_tol <= 0.0 && a->x.s1 == 1 && a->x.s0 == K) {
            /* contiguous block, no row sums: a flat pass, no transposition */
            const int64_t nk = nb * K;
            sk_load_row(&flat, b0 * K, nk, b);
            for (int64_t j = 0; j < nk; j++) {
                const double v = b[j];
                bad |= (!(v >= lo && v <= hi)) | (a->integral & (v != floor(v)));
            }
        } else {
            sk_load_T(&a->x, b0, nb, K, R, b);
            for (int64_t k = 0; k < K; k++)
                for (int64_t r = 0; r < nb; r++) {
                    const double v = b[k * R + r];
                    bad |= (!(v >= lo && v <= hi)) | (a->integral & (v != floor(v)));
                }
        }
        if (bad) { /* rare: find the first offender in row-major order */
            for (int64_t r = 0; r < nb && first < 0; r++)
                for (int64_t k = 0; k < K; k++) {
                    const double v = sk_get(&a->x, b0 + r, k);
                    const int on = !a->where.p ||
                                   a->where.p[(b0 + r) * a->where.s0 + k * a->where.s1];
                    if (on && (!(v >= lo && v <= hi) || (a->integral && v != floor(v)))) {
                        first = (b0 + r) * K + k;
                        break;
                    }
                }
        }
        if (a->row_tol > 0.0 && !a->where.p) {
            sk_rows_sum_T(b, nb, K, R, rs, rs + R);
            for (int64_t r = 0; r < nb; r++) nbad_rows += fabs(rs[r] - 1.0) > a->row_tol;
        }
    }
    /* N-D: a chunk's segments arrive in row order; the first offender found wins */
    if (first >= 0 && a->first_bad[r0 / a->rpc] < 0) a->first_bad[r0 / a->rpc] = first;
    acc->sum = nbad_rows;
}

static void sk_scan_chunk_fn(const void *args, int64_t r0, int64_t r1, double *ws, int64_t cap,
                             sk_acc *acc)
{
    sk_scan_chunk((const sk_scan_args *)args, r0, r1, ws, cap, acc);
}

/* Returns SK_OK / SK_ENOMEM; *first: first bad flat index or -1; *nbad_rows: rows off by tol. */
static int sk_scan(sk_scan_args *a, int n_threads, int64_t *first, double *nbad_rows)
{
    const int64_t Kc = a->K > 0 ? a->K : 1;
    a->rpc = sk_rows_per_chunk(Kc);
    const int64_t nchunks = a->n > 0 ? (a->n + a->rpc - 1) / a->rpc : 0;
    *first = -1;
    *nbad_rows = 0.0;
    if (nchunks == 0) return SK_OK;
    a->first_bad = (int64_t *)malloc((size_t)nchunks * sizeof(int64_t));
    if (!a->first_bad) return SK_ENOMEM;
    for (int64_t c = 0; c < nchunks; c++) a->first_bad[c] = -1;
    sk_acc tot;
    /* workspace: the block (cap) and the row sums with their compensations (cap + 2 R: for
     * K = 1 a block has R = cap rows) */
    int rc = sk_run_rows(sk_scan_chunk_fn, a, sizeof *a, a->nd, a->n, a->K, a->n * a->K,
                         n_threads, 2, 2, &tot);
    if (rc == SK_OK) {
        for (int64_t c = 0; c < nchunks; c++)
            if (a->first_bad[c] >= 0) { *first = a->first_bad[c]; break; }
        *nbad_rows = tot.sum;
    }
    free(a->first_bad);
    a->first_bad = NULL;
    return rc;
}

#endif /* SKXENT_KERNELS_H */
