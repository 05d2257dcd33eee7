/* skxent/_fused.h -- the fused pass of skxent.linear_model: objective, gradient and
 * Hessian-vector product of a linear model in one pass over X, in C.
 *
 * Design note
 * -----------
 * An evaluation of FusedLinearLoss needs, for Z = X W + b (n x K logits; W is p x K, the layout
 * of scikit-learn's flattened multinomial coefficients), the pointwise loss gradient G = dL/dZ
 * and then X^T G and the column sums of G. Done as two BLAS GEMMs around a kernel call, the
 * (n x K) logits go to memory and back and X is read twice; with K ~ 10 the GEMMs are also
 * narrow, which BLAS handles poorly (it packs X for a product that does 2K flops per element).
 * Here the pass is one loop over fixed chunks of rows. For each chunk (a few hundred KB of X):
 *
 *   dense   pack the chunk transposed (XT: feature-major, rows zero-padded), the logits
 *           ZT = W^T XT + b by a register-blocked micro-kernel (_fused_tiles.h), the loss
 *           family's chunk kernel of _kernels.h on ZT (sk_cce_chunk / sk_bce_chunk: the same
 *           formulas, accuracy and special-value handling as skxent.losses) writing G, then
 *           X^T G from the packed chunk while it is still in L1/L2;
 *   CSR     row by row over the stored values: z = b + sum_q x_q W[j_q, :] (W's K outputs of a
 *           feature are contiguous), the same chunk kernel, then the gradient scattered,
 *           part[j_q, :] += x_q g. Every stored value touches a random row of W and of the
 *           partial (~6 cache lines for 12 bytes of X): fine while they fit the cache, slow
 *           beyond. So when a chunk holds several stored values per feature the pass runs on a
 *           chunk-transposed copy of X (skf_csr_transpose: each chunk's values by feature,
 *           built once per fit): z[r_q] += x_q W[j] feature by feature, then
 *           part[j] += sum_q x_q g[r_q] -- W and the partial are swept once per chunk, and the
 *           random accesses go to the chunk's (rows, K) logits, which stay in L2. The sweeps
 *           are cheap (W and the partials sit in the last-level cache); what costs is the work
 *           per stored value (a row of logits read and written, a row of the gradient read:
 *           whole vectors, 8 doubles on AVX-512, with two accumulator chains in the backward)
 *           and per feature and chunk (a loop of a few values), so chunks are as large as L2
 *           allows. A group's first chunk writes its partial rather than adding to it: no
 *           zeroing pass over the (p + 1) x K partials per evaluation.
 *
 * No (n x K) array is written, X is read once, and there is no Python per chunk. newton-cg's
 * Hessian-vector product is the same pass with V in place of W and, in place of the loss
 * kernel, the Hessian of the stored point applied to u = V^T x + v_b:
 * softmax a_i s_i (p * u - p (p . u)), sigmoid d2 * u (see _linear_loss.py). What it stores
 * per sample (p, or d2) is computed during the gradient pass that sets store_hessian.
 *
 * Determinism. Chunks have a fixed number of rows (a function of the shape, never of the thread
 * count). Consecutive chunks form ngroups groups (also fixed); one thread runs a group's
 * chunks in order, accumulating into the group's own partial gradient, and at the end every
 * gradient element is the sum of the groups' partials in group order (in the same parallel loop,
 * optionally, the objective's scaling and penalty, out = sums / S + l2 * w: with ~1M coefficients,
 * as wide sparse problems have, separate NumPy passes over the gradient cost a third of the
 * evaluation). So every result is
 * bit-identical for any n_threads; threads take whole groups (dynamic schedule: on a loaded
 * machine a fast thread takes more groups, which changes nothing in the sums). The number of
 * groups is capped by a memory budget (each holds a (p + 1) x K partial), independently of
 * the thread count.
 *
 * Precision. The products run in X's dtype (float32 X: float32 micro-kernels, like the float32
 * GEMMs they replace); the loss terms are the chunk kernels' (computed in double, summed in
 * double with compensation); chunk and group sums of the loss are compensated; the gradient's
 * partials of float32 data are float32 lanes summed in double at the end (dense), or double
 * (sparse). The instruction set is chosen at run time (AVX-512, AVX2+FMA or the baseline);
 * results may differ between instruction sets (vector width, FMA), never between thread counts.
 */
#ifndef SKXENT_FUSED_H
#define SKXENT_FUSED_H

#include "_kernels.h"

#define SKF_SOFTMAX 0
#define SKF_SIGMOID 1
#define SKF_GRAD 0
#define SKF_HESSP 1
#define SKF_PAD 16 /* chunk rows are padded to a multiple of this (every vector width divides it) */

#define SKF_ISA_AUTO 0
#define SKF_ISA_BASE 1
#define SKF_ISA_AVX2 2
#define SKF_ISA_AVX512 3

typedef struct {
    /* shape */
    int64_t n, p, K;
    int f32;            /* X, W, b, hstore are float32 (else float64) */
    int link;           /* SKF_SOFTMAX or SKF_SIGMOID */
    int sparse;
    int fit_intercept;
    /* dense X: element strides */
    const void *X;
    int64_t xs0, xs1;
    /* CSR X */
    const void *data;
    const void *indices;
    int idx64;              /* indices are int64 (else int32) */
    const int64_t *indptr;  /* (n + 1,) */
    /* targets and weights (as sk_cce_args / sk_bce_args take them) */
    const int64_t *t;       /* softmax: (n,) class indices, or NULL */
    sk_view y;              /* softmax: (n, K) soft labels; sigmoid: (n, K) targets */
    const double *sw;       /* (n,) or NULL */
    const double *cw;       /* softmax (K,) or NULL */
    const double *pw;       /* sigmoid (K,) or NULL */
    sk_mask where;          /* sigmoid (n, K) mask of the terms (missing labels), or p == NULL */
    const double *hscale;   /* softmax (n,): s_i a_i, the Hessian's per-sample scale */
    double smooth;
    /* chunking */
    int64_t rpc, ldx, nchunks, ngroups;
    int isa;                /* SKF_ISA_*: the family that runs (resolved) */
    int64_t lanes;          /* lanes per partial element (dense: vector width; sparse: 1) */
    int64_t kp;             /* row stride of the partials (dense: K; sparse: K padded) */
    /* per call */
    int mode;               /* SKF_GRAD or SKF_HESSP */
    int store_hessian, per_output;
    const void *W;          /* (p, K), X's dtype (V for SKF_HESSP) */
    const void *b;          /* (K,) or NULL */
    void *hstore;           /* (n * K), X's dtype: per-sample Hessian data */
    void *part;             /* ngroups partials of skf_part_elems(pb) elements */
    void *wpad;             /* sparse, kp > K: (p, kp) scratch for the padded coefficients */
    /* CSR, optional: a chunk-transposed copy (each chunk's stored values by feature) */
    const void *cvals;      /* (nnz,) X's dtype, or NULL: the row pass */
    const uint16_t *crows;  /* (nnz,) row within the chunk (chunks of at most 65536 rows) */
    const int64_t *cptr;    /* (nchunks * (p + 1),) offsets into cvals per chunk and feature */
    /* per call, optional: the objective's scaling done in the final reduction,
     * out = sums / fin_S + fin_l2 * fin_coef (fin_coef: (p * K,) float64, the coefficients
     * without the intercept row, which is not penalised); fin_coef NULL: the plain sums */
    const double *fin_coef;
    double fin_S, fin_l2;
} skf_problem;

/* A cursor over the memory of the next chunk's rows of X, prefetched one cache line per step of
 * the current chunk's products so that its transfer overlaps their arithmetic: seg segments of
 * len bytes, stride bytes apart (C order: one contiguous block or one segment per row; F order:
 * one segment per feature). */
typedef struct {
    const char *base;
    int64_t len, stride, nseg, seg, off;
} skf_pf;

SK_INLINE void skf_pf_step(skf_pf *c)
{
    if (c->seg < c->nseg) {
        __builtin_prefetch(c->base + c->seg * c->stride + c->off, 0, 2);
        c->off += 64;
        if (c->off >= c->len) {
            c->off = 0;
            c->seg++;
        }
    }
}

/* The cursor over rows [r1, r2) of dense X (element size es). */
SK_INLINE void skf_pf_init(skf_pf *c, const skf_problem *pb, int64_t r1, int64_t r2)
{
    const int64_t es = pb->f32 ? 4 : 8, nr = r2 - r1;
    memset(c, 0, sizeof *c);
    if (nr <= 0 || pb->p == 0) return;
    c->base = (const char *)pb->X + r1 * pb->xs0 * es;
    if (pb->xs1 == 1 && pb->xs0 == pb->p) { /* contiguous rows: one block */
        c->len = nr * pb->p * es;
        c->nseg = 1;
    } else if (pb->xs1 == 1) { /* C order, padded rows */
        c->len = pb->p * es;
        c->stride = pb->xs0 * es;
        c->nseg = nr;
    } else if (pb->xs0 == 1) { /* F order */
        c->len = nr * es;
        c->stride = pb->xs1 * es;
        c->nseg = pb->p;
    } /* other strides: no prefetch */
}

SK_INLINE int64_t skf_cap(int64_t K) { return K > SK_BLOCK ? K : SK_BLOCK; }

/* Workspace doubles of the chunk kernels (the largest of sk_cce's, sk_bce's and sk_rows'). */
SK_INLINE int64_t skf_cws_doubles(int64_t K)
{
    const int64_t cap = skf_cap(K), R = cap / (K > 0 ? K : 1);
    /* sk_cce_chunk: SK_CCE_CAP_ARRAYS arrays of cap doubles; sk_bce_chunk: 8 (sk_bce's own
     * request to sk_run_rows); sk_rows_chunk: 4 */
    const int64_t per_cap = SK_CCE_CAP_ARRAYS > 8 ? SK_CCE_CAP_ARRAYS : 8;
    return (per_cap * cap + SK_CCE_ROW_ARRAYS * R + 16 + 7) / 8 * 8;
}

/* n elements of the given size, in elements, rounded up to a whole number of 64-byte lines */
SK_INLINE int64_t skf_round64(int64_t n, size_t size)
{
    const int64_t per = 64 / (int64_t)size;
    return (n + per - 1) / per * per;
}

static int64_t skf_ws_doubles(const skf_problem *pb)
{
    const size_t es = pb->f32 ? 4 : 8;
    int64_t nel;
    if (pb->sparse)
        nel = skf_round64(pb->rpc * pb->kp, es) + 2 * skf_round64(pb->rpc * pb->K, es) +
              skf_round64(pb->kp, es);
    else
        nel = skf_round64(pb->p * pb->ldx, es) + 2 * skf_round64(pb->K * pb->ldx, es) +
              2 * skf_round64(pb->K * pb->rpc, es);
    return skf_cws_doubles(pb->K) + (nel * (int64_t)es + 7) / 8 + 8 /* alignment */;
}

/* Elements of one group's partial gradient; their size is X's (dense) or double (sparse). */
static int64_t skf_part_elems(const skf_problem *pb) { return (pb->p + 1) * pb->kp * pb->lanes; }
static size_t skf_part_size(const skf_problem *pb) { return pb->sparse ? 8 : (pb->f32 ? 4 : 8); }

/* ---- shared per-chunk steps ---------------------------------------------------------------- */

/* The loss family's chunk kernel on logits view zv (rows 0 .. nb of the chunk starting at row
 * r0): OUT g (nb x K, C-contiguous, X's dtype) the gradient, lb (or NULL) the weighted terms,
 * lsum[0] the chunk's loss sum. */
static void skf_pointwise(const skf_problem *pb, const sk_view *zv, int64_t r0, int64_t nb,
                          void *g, void *lb, double *ws, int64_t cap, double *lsum)
{
    sk_acc acc;
    memset(&acc, 0, sizeof acc);
    if (pb->link == SKF_SOFTMAX) {
        sk_cce_args a;
        memset(&a, 0, sizeof a);
        a.n = nb;
        a.K = pb->K;
        a.x = *zv;
        a.t = pb->t ? pb->t + r0 : NULL;
        a.y = pb->y;
        if (!pb->t)
            a.y.p = (const char *)pb->y.p + r0 * pb->y.s0 * (pb->y.f32 ? 4 : 8);
        a.sw = pb->sw ? pb->sw + r0 : NULL;
        a.cw = pb->cw;
        a.smooth = pb->smooth;
        a.from_logits = 1;
        a.clip_lo = 0.0;
        a.clip_hi = 1.0;
        a.out_f32 = pb->f32;
        a.loss_out = lb;
        a.grad_out = g;
        a.grad_scale = 1.0;
        sk_cce_chunk(&a, 0, nb, ws, cap, &acc);
    } else {
        sk_bce_args a;
        memset(&a, 0, sizeof a);
        a.n = nb;
        a.L = pb->K;
        a.x = *zv;
        a.y = pb->y;
        a.y.p = (const char *)pb->y.p + r0 * pb->y.s0 * (pb->y.f32 ? 4 : 8);
        /* per-sample weights as the kernel's (n, L) weight view: stride 0 along the labels */
        a.sw.p = pb->sw ? (const void *)(pb->sw + r0) : NULL;
        a.sw.f32 = 0;
        a.sw.s0 = 1;
        a.sw.s1 = 0;
        a.pw = pb->pw;
        /* masked terms weigh 0 in the chunk kernel (their targets may be NaN) */
        a.where = pb->where;
        if (pb->where.p)
            a.where.p = pb->where.p + r0 * pb->where.s0;
        a.smooth = pb->smooth;
        a.from_logits = 1;
        a.clip_lo = 0.0;
        a.clip_hi = 1.0;
        a.out_f32 = pb->f32;
        a.loss_out = lb;
        a.grad_out = g;
        a.grad_scale = 1.0;
        sk_bce_chunk(&a, 0, nb, ws, cap, &acc);
    }
    lsum[0] = acc.sum;
}

/* OUT out (nb x K, C-contiguous): softmax of the rows of view zv (skxent.special's kernel). */
static void skf_softmax_rows(const sk_view *zv, int64_t nb, int64_t K, int f32, void *out,
                             double *ws, int64_t cap)
{
    sk_rows_args a;
    sk_acc unused;
    memset(&a, 0, sizeof a);
    a.n = nb;
    a.K = K;
    a.x = *zv;
    a.mode = SK_SOFTMAX;
    a.out_f32 = f32;
    a.out = out;
    sk_rows_chunk(&a, 0, nb, ws, cap, &unused);
}

/* The sigmoid loss's second derivative of sample i, output k, at logit z, times the sample
 * weight: s_i (w_k y' + 1 - y') s (1 - s), with s (1 - s) = e / (1 + e)^2, e = exp(-|z|). */
static inline double skf_sigmoid_curv(const skf_problem *pb, int64_t i, int64_t k, double z)
{
    if (pb->where.p && !pb->where.p[i * pb->where.s0 + k * pb->where.s1])
        return 0.0;  /* a masked term: no curvature (its target, maybe NaN, is not read) */
    const double e = sk_exp_neg(z < 0.0 ? z : -z);
    const double q = 1.0 + e;
    const double eps = pb->smooth;
    const double yv = sk_get(&pb->y, i, k) * (1.0 - eps) + 0.5 * eps;
    const double w = pb->pw ? pb->pw[k] * yv + 1.0 - yv : 1.0;
    return (pb->sw ? pb->sw[i] : 1.0) * w * (e / (q * q));
}

/* ---- dense micro-kernels, one set per instruction-set family and dtype ---------------------- */

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(SKXENT_NO_CLONES)
#define SKF_X86 1
#else
#define SKF_X86 0
#endif

#define SKF_CAT3_(a, b, c) a##_##b##_##c
#define SKF_CAT3(a, b, c) SKF_CAT3_(a, b, c)

#if defined(__GNUC__) && !defined(__clang__)
#define SKF_HAVE_FUSED 1

/* the baseline: whatever the compiler targets (SSE2 on x86-64); 16-byte vectors */
#define SKF_ATTR
#define SKF_VB 16
#define SKF_FRB 3
#define SKF_FKB 4
#define SKF_BKB 3
#define SKF_BJB 3
#define SKF_SVB 16
#define SKF_SMAXV 4
#define SKF_ISA base
#include "_fused_isa.h"

#if SKF_X86
/* AVX2 + FMA: 16 ymm registers */
#define SKF_ATTR __attribute__((target("arch=x86-64-v3")))
#define SKF_VB 32
#define SKF_FRB 3
#define SKF_FKB 4
#define SKF_BKB 3
#define SKF_BJB 3
#define SKF_SVB 32
#define SKF_SMAXV 6
#define SKF_ISA avx2
#include "_fused_isa.h"

/* AVX-512: 32 zmm registers */
#define SKF_ATTR __attribute__((target("arch=x86-64-v4")))
#define SKF_VB 64
#define SKF_FRB 3
#define SKF_FKB 8
#define SKF_BKB 4
#define SKF_BJB 5
#define SKF_SVB (8 * (int)sizeof(SKF_T)) /* CSR: 8 elements, zmm of doubles */
#define SKF_SMAXV 8
#define SKF_ISA avx512
#include "_fused_isa.h"
#endif /* SKF_X86 */
#else
#define SKF_HAVE_FUSED 0 /* needs GCC's vector extensions: the Python BLAS path runs instead */
#endif

/* (pb, r0, r1, r2, ws, part, lsum, first): first != 0 for the first chunk of a group, whose
 * partial is not zeroed beforehand when the chunk function writes all of it (skf_writes_part) */
typedef void (*skf_chunk_fn)(const skf_problem *, int64_t, int64_t, int64_t, double *, void *,
                             double *, int);

/* The best family this CPU runs, capped by `want` (SKF_ISA_AUTO: no cap). */
static int skf_resolve_isa(int want)
{
    int best = SKF_ISA_BASE;
#if SKF_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = SKF_ISA_AVX2;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        best = SKF_ISA_AVX512;
#endif
    return (want != SKF_ISA_AUTO && want < best) ? want : best;
}

/* Vector lanes of the family's dense partials for the dtype. */
static int64_t skf_dense_lanes(int isa, int f32)
{
    const int64_t vb = isa == SKF_ISA_AVX512 ? 64 : isa == SKF_ISA_AVX2 ? 32 : 16;
    return vb / (f32 ? 4 : 8);
}

/* Vector elements of the family's CSR row kernels for the dtype (K is padded to a multiple). */
static int64_t skf_sparse_lanes(int isa, int f32)
{
    if (isa == SKF_ISA_AVX512) return 8; /* zmm of doubles, ymm of floats (see SKF_SVB) */
    return (isa == SKF_ISA_BASE ? 16 : 32) / (f32 ? 4 : 8);
}

/* Whether the chunk function of this problem writes every element of its group's partial on the
 * group's first chunk (then the partial is not zeroed first): the chunk-transposed CSR pass. */
static int skf_writes_part(const skf_problem *pb) { return pb->sparse && pb->cvals != NULL; }

#if SKF_HAVE_FUSED
/* sparse: 0 dense, 1 CSR rows, 2 CSR through the chunk-transposed copy */
static skf_chunk_fn skf_chunk_fn_of(int isa, int f32, int sparse)
{
#if SKF_X86
    if (isa == SKF_ISA_AVX512) {
        if (sparse == 2) return f32 ? skf_csc_chunk_avx512_f32 : skf_csc_chunk_avx512_f64;
        if (sparse) return f32 ? skf_sparse_chunk_avx512_f32 : skf_sparse_chunk_avx512_f64;
        return f32 ? skf_dense_chunk_avx512_f32 : skf_dense_chunk_avx512_f64;
    }
    if (isa == SKF_ISA_AVX2) {
        if (sparse == 2) return f32 ? skf_csc_chunk_avx2_f32 : skf_csc_chunk_avx2_f64;
        if (sparse) return f32 ? skf_sparse_chunk_avx2_f32 : skf_sparse_chunk_avx2_f64;
        return f32 ? skf_dense_chunk_avx2_f32 : skf_dense_chunk_avx2_f64;
    }
#endif
    if (sparse == 2) return f32 ? skf_csc_chunk_base_f32 : skf_csc_chunk_base_f64;
    if (sparse) return f32 ? skf_sparse_chunk_base_f32 : skf_sparse_chunk_base_f64;
    return f32 ? skf_dense_chunk_base_f32 : skf_dense_chunk_base_f64;
}
#endif

/* ---- the driver ---------------------------------------------------------------------------- */

/* Resolves pb->isa and pb->lanes; 0 when the fused pass cannot run this problem. */
static int skf_setup(skf_problem *pb, int want_isa)
{
    pb->isa = skf_resolve_isa(want_isa);
    pb->ldx = (pb->rpc + SKF_PAD - 1) / SKF_PAD * SKF_PAD;
    if (pb->sparse) {
        const int64_t v = skf_sparse_lanes(pb->isa, pb->f32);
        pb->lanes = 1;
        pb->kp = (pb->K + v - 1) / v * v;
    } else {
        pb->lanes = skf_dense_lanes(pb->isa, pb->f32);
        pb->kp = pb->K;
    }
    return SKF_HAVE_FUSED;
}

/* One pass (pb->mode): OUT out ((p + 1) x K, double) the gradient (row p: the intercept) or the
 * Hessian-vector product; OUT loss (K doubles if per_output, else 1) the loss sums.
 * pb->part must hold ngroups partials. Returns SK_OK or SK_ENOMEM. */
static int skf_run(const skf_problem *pb, int n_threads, double *out, double *loss)
{
    const int64_t K = pb->K, G = pb->ngroups, nch = pb->nchunks;
    const int64_t nl = pb->per_output ? K : 1;
    const int64_t pe = skf_part_elems(pb), nout = (pb->p + 1) * K, lanes = pb->lanes;
    const int64_t kp = pb->kp, p = pb->p;
    const size_t es = skf_part_size(pb), xs = pb->f32 ? 4 : 8;
    const int64_t wsn = skf_ws_doubles(pb);
    skf_chunk_fn fn = NULL;
#if SKF_HAVE_FUSED
    fn = skf_chunk_fn_of(pb->isa, pb->f32, pb->sparse ? (pb->cvals ? 2 : 1) : 0);
#else
    return SK_ENOMEM;
#endif
    /* CSR with K not a multiple of the row kernels' vectors: coefficients padded to (p, kp) */
    skf_problem padded = *pb;
    const void *W0 = pb->W;
    const int pad = pb->sparse && kp != K;
    if (pad) {
        if (!pb->wpad) return SK_ENOMEM;
        padded.W = pb->wpad;
    }
    pb = &padded;
    for (int64_t i = 0; i < nl; i++) loss[i] = 0.0;
    if (G <= 0 || nch <= 0) {
        for (int64_t i = 0; i < nout; i++)
            out[i] = (pb->fin_coef && i < p * K) ? pb->fin_l2 * pb->fin_coef[i] : 0.0;
        return SK_OK;
    }
    /* per group: nl loss sums and their compensations */
    double *gl = (double *)calloc((size_t)(G * 2 * nl), sizeof(double));
    if (!gl) return SK_ENOMEM;
    int failed = 0;
    const int par = n_threads > 1 && G > 1;
    (void)par;
#ifdef SKXENT_OPENMP
#pragma omp parallel num_threads(n_threads) if (par) reduction(|| : failed)
#endif
    {
        double *raw = sk_workspace(wsn);
        /* 64-byte aligned start (the workspace is at least 16-byte aligned) */
        double *ws = raw ? (double *)(((uintptr_t)raw + 63) & ~(uintptr_t)63) : NULL;
        double lc[2 * SK_LANES];
        double *lchunk = nl <= SK_LANES ? lc : (double *)malloc((size_t)nl * sizeof(double));
        if (!ws || !lchunk) failed = 1;
        if (pad) {
#ifdef SKXENT_OPENMP
#pragma omp for schedule(static)
#endif
            for (int64_t j = 0; j < p; j++) {
                char *dst = (char *)pb->wpad + (size_t)(j * kp) * xs;
                memcpy(dst, (const char *)W0 + (size_t)(j * K) * xs, (size_t)K * xs);
                memset(dst + (size_t)K * xs, 0, (size_t)(kp - K) * xs);
            }
        }
#ifdef SKXENT_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (int64_t g = 0; g < G; g++) {
            if (!ws || !lchunk) continue;
            char *part = (char *)pb->part + (size_t)g * (size_t)pe * es;
            if (!skf_writes_part(pb)) memset(part, 0, (size_t)pe * es);
            double *ls = gl + g * 2 * nl, *lcmp = ls + nl;
            const int64_t c0 = g * nch / G, c1 = (g + 1) * nch / G;
            for (int64_t c = c0; c < c1; c++) {
                const int64_t r0 = c * pb->rpc, r1 = r0 + pb->rpc < pb->n ? r0 + pb->rpc : pb->n;
                /* the next chunk of this group (prefetched while this one computes) */
                const int64_t r2 = c + 1 < c1 ? (r1 + pb->rpc < pb->n ? r1 + pb->rpc : pb->n) : r1;
                fn(pb, r0, r1, r2, ws, part, lchunk, c == c0);
                if (pb->mode == SKF_GRAD)
                    for (int64_t i = 0; i < nl; i++) sk_kahan_add(ls + i, lcmp + i, lchunk[i]);
            }
        }
        /* out[j, k] = sum over groups (in order) of the lanes (in order) of element (j, k) of
         * the partials, then (fin_coef) the objective's scaling and penalty; by rows of K
         * elements, dynamic, so that a thread the OS has descheduled does not hold the others
         * up */
#ifdef SKXENT_OPENMP
#pragma omp for schedule(dynamic, 64)
#endif
        for (int64_t j = 0; j <= p; j++) {
            double *o = out + j * K;
            const int64_t at = j * kp * lanes; /* row j of a partial */
            if (pb->sparse || !pb->f32) {
                for (int64_t k = 0; k < K; k++) {
                    double s = 0.0;
                    for (int64_t g = 0; g < G; g++) {
                        const double *q = (const double *)pb->part + g * pe + at + k * lanes;
                        for (int64_t l = 0; l < lanes; l++) s += q[l];
                    }
                    o[k] = s;
                }
            } else {
                for (int64_t k = 0; k < K; k++) {
                    double s = 0.0;
                    for (int64_t g = 0; g < G; g++) {
                        const float *q = (const float *)pb->part + g * pe + at + k * lanes;
                        for (int64_t l = 0; l < lanes; l++) s += (double)q[l];
                    }
                    o[k] = s;
                }
            }
            if (pb->fin_coef) {
                const double S = pb->fin_S, l2 = pb->fin_l2;
                if (j < p) {
                    const double *w = pb->fin_coef + j * K;
                    for (int64_t k = 0; k < K; k++) o[k] = o[k] / S + l2 * w[k];
                } else {
                    for (int64_t k = 0; k < K; k++) o[k] = o[k] / S;
                }
            }
        }
        if (lchunk != lc) free(lchunk);
    }
    if (!failed && pb->mode == SKF_GRAD)
        for (int64_t i = 0; i < nl; i++) {
            double s = 0.0, c = 0.0;
            for (int64_t g = 0; g < G; g++) {
                sk_kahan_add(&s, &c, gl[g * 2 * nl + i]);
                sk_kahan_add(&s, &c, -gl[g * 2 * nl + nl + i]);
            }
            loss[i] = s - c;
        }
    free(gl);
    return failed ? SK_ENOMEM : SK_OK;
}

/* The chunk-transposed copy of CSR X (see skf_csc_chunk): for each chunk of rpc rows, its
 * stored values grouped by feature (a counting sort), rows increasing within a feature.
 * OUT vals (nnz, X's dtype), rows (nnz), cptr (nchunks * (p + 1)). Chunks in parallel. */
static int skf_csr_transpose(int64_t n, int64_t p, int64_t rpc, const int64_t *indptr,
                             const void *indices, int idx64, const void *data, int f32,
                             void *vals, uint16_t *rows, int64_t *cptr, int n_threads)
{
    const int64_t nch = n > 0 ? (n + rpc - 1) / rpc : 0;
    int failed = 0;
    (void)n_threads;
#ifdef SKXENT_OPENMP
#pragma omp parallel num_threads(n_threads) if (n_threads > 1 && nch > 1) reduction(|| : failed)
#endif
    {
        int64_t *cur = (int64_t *)malloc((size_t)(p + 1) * sizeof(int64_t));
        if (!cur) failed = 1;
#ifdef SKXENT_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (int64_t c = 0; c < nch; c++) {
            if (!cur) continue;
            const int64_t r0 = c * rpc, r1 = r0 + rpc < n ? r0 + rpc : n;
            int64_t *cp = cptr + c * (p + 1);
            memset(cp, 0, (size_t)(p + 1) * sizeof(int64_t));
            for (int64_t q = indptr[r0]; q < indptr[r1]; q++)
                cp[(idx64 ? ((const int64_t *)indices)[q] : ((const int32_t *)indices)[q]) + 1]++;
            cp[0] = indptr[r0] - indptr[0];
            for (int64_t j = 0; j < p; j++) cp[j + 1] += cp[j];
            memcpy(cur, cp, (size_t)p * sizeof(int64_t));
            for (int64_t r = r0; r < r1; r++)
                for (int64_t q = indptr[r]; q < indptr[r + 1]; q++) {
                    const int64_t j = idx64 ? ((const int64_t *)indices)[q]
                                            : ((const int32_t *)indices)[q];
                    const int64_t at = cur[j]++;
                    rows[at] = (uint16_t)(r - r0);
                    if (f32)
                        ((float *)vals)[at] = ((const float *)data)[q];
                    else
                        ((double *)vals)[at] = ((const double *)data)[q];
                }
        }
        free(cur);
    }
    return failed ? SK_ENOMEM : SK_OK;
}

static const char *skf_isa_name(int isa)
{
    return isa == SKF_ISA_AVX512 ? "avx512" : isa == SKF_ISA_AVX2 ? "avx2" : "baseline";
}

#endif /* SKXENT_FUSED_H */
