/* skxent/_brier.h -- the Brier score kernel behind skxent.metrics.brier_score_loss and
 * d2_brier_score.
 *
 * Design note
 * -----------
 * scikit-learn computes the Brier score as sum_k (Y_ik - p_ik)^2 over a one-hot matrix Y, which
 * costs the one-hot matrix, a difference and a square (three n x K temporaries) plus its
 * validation passes. With integer labels t_i the row is
 *     q_i = sum_{k != t_i} p_ik^2 + (1 - p_it)^2,
 * which this kernel computes reading each probability once, together with the values
 * scikit-learn's validation needs from the same read: whether every value is in [0, 1] (NaN and
 * inf fail too; the caller then runs scikit-learn's own checks for the exact message) and the
 * smallest and largest row sums (its "do not sum to one" warning). The row is deliberately *not*
 * sum_k p_ik^2 - 2 p_it + 1: for a confident correct row (p_it close to 1) that subtracts numbers
 * close to 1 and leaves rounding noise of order eps instead of the tiny loss; the form above has
 * no cancellation, and its terms are exactly scikit-learn's ((0 - p)^2 = p^2, 1 - p_t rounded
 * the same way), so float64 rows agree with scikit-learn's to a few ulps.
 *
 * Variants of the row (flags of skp_brier_args):
 *   binary  x is the positive-class probability p (one value per row), t in {0, 1}; the row is
 *           scikit-learn's two columns [1 - p, p] against [1 - t, t]:
 *           ((1 - t) - (1 - p))^2 + (t - p)^2, with 1 - p rounded as scikit-learn rounds it.
 *   others  1 - p_t is taken as sum_{k != t} p_k (for softmax outputs, where that sum is the
 *           accurate value of 1 - p_t and 1 - p_t itself would cancel).
 *   t = -1  a label outside the classes: scikit-learn's all-zero one-hot row, q = sum_k p_k^2.
 *   rows all equal (row stride 0, the constant "null model" of d2_brier_score): the row value
 *           of each class is computed once by the same function and looked up, so the model and
 *           the null model go through identical arithmetic and a model that predicts the null
 *           model scores exactly 0.
 *
 * Layout and sums as in _kernels.h: rows are cut into chunks whose size depends only on K
 * (SKP_CHUNK_ELEMS / K rows), OpenMP hands out whole chunks (schedule(static)), each chunk
 * accumulates w_i q_i in double with Neumaier's compensated summation, and the chunks are added
 * in chunk order, compensated again. Results are bit-identical for any thread count; float32
 * input is widened to double element by element (no float32 rounding anywhere).
 */
#ifndef SKXENT_BRIER_H
#define SKXENT_BRIER_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef SKXENT_OPENMP
#include <omp.h>
#endif

/* A model equal to the null model must round exactly like it (see "rows all equal" above), so
   no multiply-add may be fused in one code path and not in the other, whatever the target flags
   (the default x86-64 target has no FMA; -march=native builds would). */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

#define SKP_CHUNK_ELEMS 16384 /* elements per chunk: the unit of parallel work and of summation */
/* At most one thread per this many elements (about 0.3 ms of work). Higher than _kernels.h's
   SK_PAR_MIN: this kernel is cheap per element, and on a busy machine a team whose second thread
   waits for a time slice costs milliseconds, more than the whole work of a smaller input. */
#define SKP_PAR_MIN 524288

#define SKP_OK 0
#define SKP_ENOMEM 1

typedef struct {
    int64_t n, K;          /* K = 1 when binary */
    const void *x;         /* IN probabilities, float32 or float64 */
    int f32;
    int64_t s0, s1;        /* strides in elements; s0 == 0: every row is the same */
    const int64_t *t;      /* IN (n,) class index in [0, K) or -1; binary: 0 or 1 */
    const double *sw;      /* IN (n,) sample weights, or NULL */
    int binary;
    int others;
} skp_brier_args;

typedef struct {
    double sum, comp;      /* compensated sum of w_i q_i: sum + comp */
    double smin, smax;     /* smallest and largest row sum (2-D input) */
    int bad;               /* some value outside [0, 1], or NaN */
} skp_part;

/* Neumaier's variant of Kahan summation, branch-free: *s + *c is the running sum. */
static inline void skp_add(double *s, double *c, double v)
{
    const double t = *s + v;
    const double as = fabs(*s), av = fabs(v);
    const double big = as >= av ? *s : v, small = as >= av ? v : *s;
    *c += (big - t) + small;
    *s = t;
}

/* One row of the (multi-class) Brier score, plus the row's sum and range flag.
 *
 * The sums run in four lanes, lane j taking the classes k = j mod 4 in increasing k, combined as
 * (lane0 + lane1) + (lane2 + lane3): short dependency chains, and on x86-64 two lanes per SSE2
 * register. The scalar version (other compilers, strided rows) does exactly the same additions in
 * the same order, so a row's value never depends on the path that computed it. The target class
 * is excluded from the squares with a bit mask (no branch on k == t).
 * `bad` is set for a value outside [0, 1]; NaN makes the row sum NaN, which the caller checks. */
#define SKP_DEFINE_ROW_SCALAR(NAME, T, OTHERS)                                                     \
    static inline double NAME(const T *r, int64_t s1, int64_t K, int64_t t, double *rsum,          \
                              int *bad)                                                            \
    {                                                                                              \
        double a[4] = {0.0, 0.0, 0.0, 0.0}, b[4] = {0.0, 0.0, 0.0, 0.0};                           \
        double o[4] = {0.0, 0.0, 0.0, 0.0};                                                        \
        int bd = 0;                                                                                \
        for (int64_t k = 0; k < K; k++) {                                                          \
            const double v = (double)r[k * s1];                                                    \
            bd |= (v < 0.0) | (v > 1.0);                                                           \
            const double m = k == t ? 0.0 : v;                                                     \
            b[k & 3] += v;                                                                         \
            a[k & 3] += m * m;                                                                     \
            if (OTHERS) o[k & 3] += m;                                                             \
        }                                                                                          \
        double acc = (a[0] + a[1]) + (a[2] + a[3]);                                                \
        if (t >= 0) {                                                                              \
            const double d = OTHERS ? (o[0] + o[1]) + (o[2] + o[3]) : 1.0 - (double)r[t * s1];     \
            acc += d * d;                                                                          \
        }                                                                                          \
        *rsum = (b[0] + b[1]) + (b[2] + b[3]);                                                     \
        *bad |= bd;                                                                                \
        return acc;                                                                                \
    }

SKP_DEFINE_ROW_SCALAR(skp_row_d, double, 0)
SKP_DEFINE_ROW_SCALAR(skp_row_f, float, 0)
SKP_DEFINE_ROW_SCALAR(skp_row_od, double, 1)
SKP_DEFINE_ROW_SCALAR(skp_row_of, float, 1)

#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#define SKP_HAVE_SSE2 1
typedef double skp_v2d __attribute__((vector_size(16)));
typedef int64_t skp_v2i __attribute__((vector_size(16)));
typedef float skp_v2f __attribute__((vector_size(8)));

static inline skp_v2d skp_load2_d(const double *p)
{
    skp_v2d v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline skp_v2d skp_load2_f(const float *p)
{
    skp_v2f v;
    memcpy(&v, p, sizeof v);
    return __builtin_convertvector(v, skp_v2d);
}
static inline skp_v2d skp_mask(skp_v2d v, skp_v2i m)
{
    skp_v2i b;
    memcpy(&b, &v, sizeof b);
    b &= m;
    memcpy(&v, &b, sizeof v);
    return v;
}

/* Unit-stride rows: lanes (0, 1) in register a, (2, 3) in register b. */
#define SKP_DEFINE_ROW_SSE2(NAME, T, LOAD2, OTHERS)                                                \
    static inline double NAME(const T *r, int64_t K, int64_t t, double *rsum, skp_v2d *lo,         \
                              skp_v2d *hi)                                                         \
    {                                                                                              \
        const double tdd = (double)t;                                                              \
        const skp_v2d td = {tdd, tdd}, four = {4.0, 4.0};                                          \
        skp_v2d ka = {0.0, 1.0}, kb = {2.0, 3.0};                                                  \
        skp_v2d sa = {0.0, 0.0}, sb = {0.0, 0.0}, ra = {0.0, 0.0}, rb = {0.0, 0.0};                \
        skp_v2d oa = {0.0, 0.0}, ob = {0.0, 0.0};                                                  \
        skp_v2d l = *lo, h = *hi;                                                                  \
        int64_t k = 0;                                                                             \
        for (; k + 4 <= K; k += 4) {                                                               \
            const skp_v2d va = LOAD2(r + k), vb = LOAD2(r + k + 2);                                \
            ra += va;                                                                              \
            rb += vb;                                                                              \
            l = __builtin_ia32_minpd(l, va);                                                       \
            l = __builtin_ia32_minpd(l, vb);                                                       \
            h = __builtin_ia32_maxpd(h, va);                                                       \
            h = __builtin_ia32_maxpd(h, vb);                                                       \
            const skp_v2d ma = skp_mask(va, ka != td), mb = skp_mask(vb, kb != td);                \
            sa += ma * ma;                                                                         \
            sb += mb * mb;                                                                         \
            if (OTHERS) {                                                                          \
                oa += ma;                                                                          \
                ob += mb;                                                                          \
            }                                                                                      \
            ka += four;                                                                            \
            kb += four;                                                                            \
        }                                                                                          \
        if (K - k >= 2) { /* classes k, k + 1: lanes 0 and 1 */                                    \
            const skp_v2d va = LOAD2(r + k);                                                       \
            ra += va;                                                                              \
            l = __builtin_ia32_minpd(l, va);                                                       \
            h = __builtin_ia32_maxpd(h, va);                                                       \
            const skp_v2d ma = skp_mask(va, ka != td);                                             \
            sa += ma * ma;                                                                         \
            if (OTHERS) oa += ma;                                                                  \
            k += 2;                                                                                \
        }                                                                                          \
        if (k < K) { /* one class left: lane 0 (K = 1 mod 4) or lane 2 (K = 3 mod 4) */            \
            const double v = (double)r[k];                                                         \
            const double m = k == t ? 0.0 : v;                                                     \
            const skp_v2d vv = {v, v};                                                             \
            l = __builtin_ia32_minpd(l, vv);                                                       \
            h = __builtin_ia32_maxpd(h, vv);                                                       \
            if ((K & 3) == 1) {                                                                    \
                ra[0] += v;                                                                        \
                sa[0] += m * m;                                                                    \
                if (OTHERS) oa[0] += m;                                                            \
            } else {                                                                               \
                rb[0] += v;                                                                        \
                sb[0] += m * m;                                                                    \
                if (OTHERS) ob[0] += m;                                                            \
            }                                                                                      \
        }                                                                                          \
        *lo = l;                                                                                   \
        *hi = h;                                                                                   \
        double acc = (sa[0] + sa[1]) + (sb[0] + sb[1]);                                            \
        if (t >= 0) {                                                                              \
            const double d = OTHERS ? (oa[0] + oa[1]) + (ob[0] + ob[1]) : 1.0 - (double)r[t];      \
            acc += d * d;                                                                          \
        }                                                                                          \
        *rsum = (ra[0] + ra[1]) + (rb[0] + rb[1]);                                                 \
        return acc;                                                                                \
    }

SKP_DEFINE_ROW_SSE2(skp_row_sse_d, double, skp_load2_d, 0)
SKP_DEFINE_ROW_SSE2(skp_row_sse_f, float, skp_load2_f, 0)
SKP_DEFINE_ROW_SSE2(skp_row_sse_od, double, skp_load2_d, 1)
SKP_DEFINE_ROW_SSE2(skp_row_sse_of, float, skp_load2_f, 1)
#endif

/* Rows r0..r1-1 of one chunk. `table` (rows all equal): value of class c at table[c + 1]. */
#define SKP_DEFINE_CHUNK(NAME, T, ROW, ROW_O, ROW_SSE, ROW_SSE_O)                                  \
    static void NAME(const skp_brier_args *a, const double *table, int64_t r0, int64_t r1,         \
                     skp_part *p)                                                                  \
    {                                                                                              \
        const T *x = (const T *)a->x;                                                              \
        const int64_t K = a->K, s0 = a->s0, s1 = a->s1;                                            \
        const int64_t *t = a->t;                                                                   \
        const double *sw = a->sw;                                                                  \
        double s = 0.0, c = 0.0, smin = INFINITY, smax = -INFINITY;                                \
        int bad = 0, nan = 0;                                                                      \
        if (table) {                                                                               \
            for (int64_t i = r0; i < r1; i++)                                                      \
                skp_add(&s, &c, (sw ? sw[i] : 1.0) * table[t[i] + 1]);                             \
        } else if (a->binary) {                                                                    \
            for (int64_t i = r0; i < r1; i++) {                                                    \
                const double pv = (double)x[i * s0];                                               \
                bad |= (pv < 0.0) | (pv > 1.0);                                                    \
                nan |= pv != pv;                                                                   \
                const double y1 = (double)t[i], y0 = 1.0 - y1;                                     \
                const double d0 = y0 - (1.0 - pv), d1 = y1 - pv;                                   \
                skp_add(&s, &c, (sw ? sw[i] : 1.0) * (d0 * d0 + d1 * d1));                         \
            }                                                                                      \
        } else {                                                                                   \
            SKP_CHUNK_ROWS(T, ROW, ROW_O, ROW_SSE, ROW_SSE_O)                                      \
        }                                                                                          \
        p->sum = s;                                                                                \
        p->comp = c;                                                                               \
        p->smin = smin;                                                                            \
        p->smax = smax;                                                                            \
        p->bad = bad | nan;                                                                        \
    }

#define SKP_ROWS_SCALAR(ROW, ROW_O)                                                                \
    for (int64_t i = r0; i < r1; i++) {                                                            \
        double rs;                                                                                 \
        const double q = a->others ? ROW_O(x + i * s0, s1, K, t[i], &rs, &bad)                     \
                                   : ROW(x + i * s0, s1, K, t[i], &rs, &bad);                      \
        nan |= rs != rs;                                                                           \
        smin = rs < smin ? rs : smin;                                                              \
        smax = rs > smax ? rs : smax;                                                              \
        skp_add(&s, &c, (sw ? sw[i] : 1.0) * q);                                                   \
    }

#ifdef SKP_HAVE_SSE2
#define SKP_CHUNK_ROWS(T, ROW, ROW_O, ROW_SSE, ROW_SSE_O)                                          \
    if (s1 == 1) {                                                                                 \
        skp_v2d lo = {INFINITY, INFINITY}, hi = {-INFINITY, -INFINITY};                            \
        for (int64_t i = r0; i < r1; i++) {                                                        \
            double rs;                                                                             \
            const double q = a->others ? ROW_SSE_O(x + i * s0, K, t[i], &rs, &lo, &hi)             \
                                       : ROW_SSE(x + i * s0, K, t[i], &rs, &lo, &hi);              \
            nan |= rs != rs;                                                                       \
            smin = rs < smin ? rs : smin;                                                          \
            smax = rs > smax ? rs : smax;                                                          \
            skp_add(&s, &c, (sw ? sw[i] : 1.0) * q);                                               \
        }                                                                                          \
        bad |= !(lo[0] >= 0.0 && lo[1] >= 0.0 && hi[0] <= 1.0 && hi[1] <= 1.0);                    \
    } else {                                                                                       \
        SKP_ROWS_SCALAR(ROW, ROW_O)                                                                \
    }
SKP_DEFINE_CHUNK(skp_chunk_d, double, skp_row_d, skp_row_od, skp_row_sse_d, skp_row_sse_od)
SKP_DEFINE_CHUNK(skp_chunk_f, float, skp_row_f, skp_row_of, skp_row_sse_f, skp_row_sse_of)
#else
#define SKP_CHUNK_ROWS(T, ROW, ROW_O, ROW_SSE, ROW_SSE_O) SKP_ROWS_SCALAR(ROW, ROW_O)
SKP_DEFINE_CHUNK(skp_chunk_d, double, skp_row_d, skp_row_od, 0, 0)
SKP_DEFINE_CHUNK(skp_chunk_f, float, skp_row_f, skp_row_of, 0, 0)
#endif

static int64_t skp_rows_per_chunk(const skp_brier_args *a)
{
    /* the binary row is a two-column row: same chunks as K = 2, so that a 1-D model and its
       two-column null model are summed in the same order */
    const int64_t Ke = a->binary ? 2 : (a->K > 0 ? a->K : 1);
    const int64_t rpc = SKP_CHUNK_ELEMS / Ke;
    return rpc < 1 ? 1 : rpc;
}

/* Weighted sum of the rows (out[0] = sum, compensated), out[1] = smallest row sum,
 * out[2] = largest row sum; *bad = some value outside [0, 1] or NaN. */
static int skp_brier(const skp_brier_args *a, int n_threads, double *out, int *bad)
{
    const int64_t n = a->n;
    const int64_t rpc = skp_rows_per_chunk(a);
    const int64_t nchunks = n > 0 ? (n + rpc - 1) / rpc : 0;
    out[0] = 0.0;
    out[1] = INFINITY;
    out[2] = -INFINITY;
    *bad = 0;
    if (nchunks == 0) return SKP_OK;

    double *table = NULL;
    int64_t work = a->binary ? n : n * a->K;
    if (!a->binary && a->s0 == 0 && a->K <= n) {
        /* every row is the same vector: one value per class (index c + 1; 0 for t = -1) */
        table = (double *)malloc((size_t)(a->K + 1) * sizeof(double));
        if (!table) return SKP_ENOMEM;
        int tb = 0;
        double rs = 0.0; /* the row's sum and range flag: the same for every class */
        for (int64_t c = -1; c < a->K; c++) {
            /* the scalar row does the same additions as the SSE2 row (see above) */
            if (a->f32)
                table[c + 1] = a->others
                    ? skp_row_of((const float *)a->x, a->s1, a->K, c, &rs, &tb)
                    : skp_row_f((const float *)a->x, a->s1, a->K, c, &rs, &tb);
            else
                table[c + 1] = a->others
                    ? skp_row_od((const double *)a->x, a->s1, a->K, c, &rs, &tb)
                    : skp_row_d((const double *)a->x, a->s1, a->K, c, &rs, &tb);
        }
        tb |= rs != rs;
        out[1] = out[2] = rs;
        *bad = tb;
        work = n;
    }

    skp_part *part = (skp_part *)malloc((size_t)nchunks * sizeof(skp_part));
    if (!part) {
        free(table);
        return SKP_ENOMEM;
    }
    const int64_t work_cap = work / SKP_PAR_MIN;
    if ((int64_t)n_threads > work_cap) n_threads = work_cap < 1 ? 1 : (int)work_cap;
    const int par = n_threads > 1 && nchunks > 1;
    (void)par;
#ifdef SKXENT_OPENMP
#pragma omp parallel for num_threads(n_threads) if (par) schedule(static)
#endif
    for (int64_t c = 0; c < nchunks; c++) {
        const int64_t r0 = c * rpc, r1 = (r0 + rpc) < n ? (r0 + rpc) : n;
        if (a->f32)
            skp_chunk_f(a, table, r0, r1, &part[c]);
        else
            skp_chunk_d(a, table, r0, r1, &part[c]);
    }
    double s = 0.0, comp = 0.0;
    for (int64_t c = 0; c < nchunks; c++) {
        skp_add(&s, &comp, part[c].sum);
        comp += part[c].comp;
        if (!table) {
            out[1] = part[c].smin < out[1] ? part[c].smin : out[1];
            out[2] = part[c].smax > out[2] ? part[c].smax : out[2];
            *bad |= part[c].bad;
        }
    }
    out[0] = s + comp;
    free(part);
    free(table);
    return SKP_OK;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

#endif /* SKXENT_BRIER_H */
