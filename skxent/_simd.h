/* skxent/_simd.h -- vectorizable elementary functions for the cross-entropy kernels.
 *
 * Design note
 * -----------
 * The kernels spend their time in exp (one per logit) and, per row or element, log/log1p.
 * Scalar libm calls block vectorisation, so this header gives branch-free versions that GCC
 * and Clang vectorise when they are inlined into a loop: every branch is a select (?:) on both
 * computed sides, bit manipulation goes through memcpy (compiled to register moves), and only
 * 64-bit integer add/shift/or are used (available on SSE2, so the x86-64 baseline vectorises
 * too; AVX2/AVX-512 clones are selected at run time, see SK_TARGET_CLONES).
 *
 * All arithmetic is double precision: float32 inputs are widened on load, which is what lets
 * the float32 kernels be accurate to a few float32 ulps (and accumulate in float64).
 *
 * Accuracy (checked against mpmath): sk_exp_neg, sk_log and sk_log1p are within 1 eps relative
 * (about 1 ulp), sk_log1p also for arguments far below 2**-53.
 *
 * Nothing here may be compiled with -ffast-math: the selects rely on NaN comparing false and on
 * inf arithmetic, and the error-free transformations (sk_two_diff) on exact IEEE rounding.
 */
#ifndef SKXENT_SIMD_H
#define SKXENT_SIMD_H

#include <stdint.h>
#include <string.h>
#include <math.h>

#define SK_INLINE static inline __attribute__((always_inline))

/* Run-time ISA dispatch: each function marked SK_TARGET_CLONES is compiled for AVX-512, AVX2+FMA
 * and the x86-64 baseline, and the loader picks the best one the CPU supports (GNU ifunc). The
 * helpers below are always_inline, so they are compiled into each clone with its ISA. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(SKXENT_NO_CLONES)
#define SK_TARGET_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define SK_HAVE_CLONES 1
#else
#define SK_TARGET_CLONES
#define SK_HAVE_CLONES 0
#endif

SK_INLINE uint64_t sk_as_u64(double x) { uint64_t u; memcpy(&u, &x, sizeof u); return u; }
SK_INLINE double sk_as_f64(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }

/* Error-free difference (Knuth's TwoSum on a - b): a - b == *hi + *lo exactly.
 * Why: exp(x_k - m) for a logit x_k much smaller in magnitude than the row max m rounds the
 * difference with an absolute error of up to ulp(|x_k - m|)/2 ~ 6e-14 for differences of a few
 * hundred, i.e. a relative error of ~250 ulp in exp(x_k - m). Feeding lo into the exp's reduced
 * argument removes it, so tiny losses (sums of such terms) stay accurate to a few ulps. */
SK_INLINE double sk_two_diff(double a, double b, double *lo)
{
    double s = a - b;
    double bb = s - a;
    double l = (a - (s - bb)) - (b + bb);
    *lo = s - s == 0.0 ? l : 0.0; /* infinite or NaN difference: no (NaN) correction */
    return s;
}

/* Kahan-compensated accumulation: *s + *c tracks the exact sum of the values fed to it to
 * within 2 ulps whatever their number (naive summation of K = 1000 exp terms loses ~7 eps). */
/* The same for sums that cannot overflow (terms in [0, 1] or NaN, fewer than 2**50 of them). */
SK_INLINE void sk_kahan_add_finite(double *s, double *c, double v)
{
    const double y = v - *c;
    const double t = *s + y;
    *c = (t - *s) - y;
    *s = t;
}

SK_INLINE void sk_kahan_add(double *s, double *c, double v)
{
    const double y = v - *c;
    const double t = *s + y;
    const double c2 = (t - *s) - y;
    *c = t - t == 0.0 ? c2 : 0.0; /* an overflowed (inf) or NaN sum must not turn into NaN */
    *s = t;
}

/* exp's shared pieces (x <= 0, -inf, NaN): Cody-Waite reduction x = n ln2 + r with
 * |r| <= ln2/2 (n from the bits of a rounding constant), and the scale by 2**n, in two steps
 * when 2**n would be subnormal so that subnormal results round correctly. x < -746 (including
 * -inf) gives exactly 0: a masked logit has probability exactly 0. NaN propagates through the
 * arithmetic (NaN times any scale is NaN), so it needs no select. */
#define SK_EXP_SHIFT 6755399441055744.0 /* 1.5 * 2**52: rounds to an integer in the low bits */

SK_INLINE double sk_exp_reduce(double x, int *under, double *n)
{
    const double LOG2E = 1.4426950408889634074;
    const double LN2_HI = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000: n*LN2_HI exact */
    const double LN2_LO = 1.90821492927058770002e-10;
    *under = x < -746.0; /* NaN compares false and stays NaN */
    const double xc = *under ? -746.0 : x;
    *n = (xc * LOG2E + SK_EXP_SHIFT) - SK_EXP_SHIFT;
    return (xc - *n * LN2_HI) - *n * LN2_LO;
}

SK_INLINE double sk_exp_scale(double p, double n)
{
    /* n in [-1077, 0]: split off 2**-100 when 2**n would be subnormal */
    const int small = n < -1000.0;
    const double n1 = small ? n + 100.0 : n;
    const double extra = small ? 0x1p-100 : 1.0;
    const uint64_t bits = (sk_as_u64(n1 + SK_EXP_SHIFT) + 1023u) << 52;
    return (p * sk_as_f64(bits)) * extra;
}

/* exp(x + xlo) for x <= 0; xlo a tiny correction (|xlo| <= ulp(x)), the low part of an
 * error-free difference. Degree-11 polynomial (a Chebyshev fit computed with mpmath at 60
 * digits: relative error 1.7e-17 with these double coefficients). */
SK_INLINE double sk_exp_neg2(double x, double xlo)
{
    int under;
    double n;
    /* clamped arguments take no correction: their xlo may be as large as ulp(huge logit) */
    const double r = sk_exp_reduce(x, &under, &n) + (under ? 0.0 : xlo);
    double p = 2.5110037605963777e-08;
    p = p * r + 2.763263963904103e-07;
    p = p * r + 2.755724091857897e-06;
    p = p * r + 2.4801485482328494e-05;
    p = p * r + 0.00019841269890047113;
    p = p * r + 0.0013888888952314775;
    p = p * r + 0.008333333333319601;
    p = p * r + 0.0416666666664881;
    p = p * r + 0.1666666666666668;
    p = p * r + 0.5000000000000019;
    p = p * r + 1.0;
    p = p * r + 1.0;
    return sk_exp_scale(p, n);
}

SK_INLINE double sk_exp_neg(double x) { return sk_exp_neg2(x, 0.0); }

/* exp(x) for x <= 0 to ~2.5e-9 relative (a degree-6 Chebyshev fit, mpmath-computed): for
 * float32 inputs, whose results are float32 (eps 1.2e-7), the double-precision exp's last 24 bits
 * buy nothing. */
SK_INLINE double sk_exp_neg_lowp(double x)
{
    int under;
    double n;
    const double r = sk_exp_reduce(x, &under, &n);
    double p = 0.0013941108433972674;
    p = p * r + 0.008375126398153335;
    p = p * r + 0.04166635289677516;
    p = p * r + 0.16666415514653277;
    p = p * r + 0.5000000047117757;
    p = p * r + 1.000000037716214;
    p = p * r + 1.0;
    return sk_exp_scale(p, n);
}

/* ---------------------------------------------------------------------------------------- */
/* The AVX-512 exp (x86-64-v4 only): built, measured, and not used by the kernels
 *
 * Why it exists: sk_exp_neg2 above reduces to |r| <= ln2/2 and so needs a degree-11 polynomial
 * plus integer/select work for the scaling by 2**n. AVX-512 has the two instructions a
 * table-driven exp wants:
 *   - vpermi2pd (_mm512_permutex2var_pd) looks up 16 doubles held in two registers, indexed by
 *     the low 4 bits of each lane: x = (n/16) ln2 + r with j = n mod 16 and |r| <= ln2/32, and
 *     2**(j/16) = T_hi[j] + T_lo[j] (a double and its rounding error, mpmath-computed), so
 *     exp(x) = 2**floor(n/16) * (T_hi + (T_hi q + T_lo)), q = expm1(r);
 *   - vscalefpd (_mm512_scalef_pd) multiplies by 2**floor(n/16) with one correctly rounded
 *     step, overflow to +inf and gradual underflow (subnormal results) included, no selects;
 *     its zero-masking form returns the exact 0 for x < -746 (and -inf) with no clamp.
 * On |r| <= ln2/32 a degree-7 q (r + r^2 P5(r), a Chebyshev fit of (expm1(r) - r)/r^2 computed
 * with mpmath: 4e-20 relative) is enough; the final addition T_hi + (...) is the only rounding
 * of size (tests/test_exp.py pins < 1 ulp, subnormal results included). The reduction uses
 * fmas with ln2 split in two doubles and takes the low part xlo of an error-free difference
 * like sk_exp_neg2. Range: any x; x > 710 (incl. +inf) gives +inf, NaN gives NaN. lowp (float32
 * data, like sk_exp_neg_lowp): no T_lo, a degree-4 q (1e-11 relative instead of 2.5e-9).
 *
 * Why the kernels do not use it. The kernels are compiled once per ISA by target_clones, so
 * their always_inline helpers cannot contain AVX-512 intrinsics (the other clones would not
 * compile); the AVX-512 exp has to be a function with a target attribute, chosen at run time
 * (sk_cpu_avx512) for a whole block -- git history has that wiring of the softmax stage. It
 * is about 1.3x faster than the auto-vectorised sk_exp_neg2 per value, but both are throughput
 * bound on the FP ports at ~20 vector operations per 8 values, and the softmax stage's exp is
 * a small part of the kernels' time: wired in, the float64 loss gained ~5%, the float32 loss
 * nothing, and loss + gradient lost 2-7%; and softmax outputs changed in their last bits with
 * the CPU (a documented example printing a 1e-13 divergence of softmax floats changed in its
 * 3rd digit). benchmarks/results_exp.txt has the measurements. Kept, tested, for the exp
 * micro-benchmark (skxent._core.exp_array) and as the starting point if the rest of the
 * kernels gets fast enough for the exp to matter. */
#if SK_HAVE_CLONES
#include <immintrin.h>
#define SK_HAVE_AVX512_EXP 1
#define SK_AVX512_INLINE static inline __attribute__((always_inline, target("avx512f,avx512dq")))

static const double sk_exp2_16_hi[16] = {
    1.0, 1.0442737824274138, 1.0905077326652577, 1.1387886347566916,
    1.189207115002721, 1.241857812073484, 1.2968395546510096, 1.3542555469368927,
    1.4142135623730951, 1.4768261459394993, 1.5422108254079407, 1.6104903319492543,
    1.681792830507429, 1.7562521603732995, 1.8340080864093424, 1.9152065613971474};
static const double sk_exp2_16_lo[16] = {
    0.0, 8.551889705537965e-17, -3.046782079812471e-17, 8.912812676025408e-17,
    3.982015231465646e-17, 4.658027591836937e-17, 2.5382502794888315e-17, 7.70094837980299e-17,
    -9.667293313452913e-17, -3.483994556892796e-17, 7.949834809697621e-17, 2.4707192569797888e-17,
    8.199010020581497e-17, 2.960140695448873e-17, 3.283107224245627e-17, -1.0619946056195963e-16};

typedef struct {
    __m512d hi0, hi1, lo0, lo1;
} sk_exp512_tab;

SK_AVX512_INLINE sk_exp512_tab sk_exp512_tables(void)
{
    sk_exp512_tab t;
    t.hi0 = _mm512_loadu_pd(sk_exp2_16_hi);
    t.hi1 = _mm512_loadu_pd(sk_exp2_16_hi + 8);
    t.lo0 = _mm512_loadu_pd(sk_exp2_16_lo);
    t.lo1 = _mm512_loadu_pd(sk_exp2_16_lo + 8);
    return t;
}

/* exp(x + xlo), 8 lanes (see above). lowp and neg are constants after inlining; neg: every
 * x <= 0, -inf or NaN (the kernels' case), which drops the clamp at the top. Arguments below
 * -746 (incl. -inf, and any xlo there) are zeroed by the final scalef's mask, so no clamp is
 * needed at the bottom either: what the reduction makes of them is discarded. */
SK_AVX512_INLINE __m512d sk_exp512(__m512d x, __m512d xlo, const sk_exp512_tab *t,
                                   const int lowp, const int neg)
{
    const __m512d INV = _mm512_set1_pd(23.083120654223414);          /* 16 / ln2 */
    const __m512d LN2_HI = _mm512_set1_pd(0.69314718055994529);
    const __m512d LN2_LO = _mm512_set1_pd(2.3190468138462996e-17);
    const __m512d SHIFT = _mm512_set1_pd(SK_EXP_SHIFT);
    /* not (x < -746): true for NaN, which must stay NaN */
    const __mmask8 keep = _mm512_cmp_pd_mask(x, _mm512_set1_pd(-746.0), _CMP_NLT_UQ);
    /* +inf would make inf - inf below; 710 already overflows (second operand x: NaN passes) */
    const __m512d xc = neg ? x : _mm512_min_pd(_mm512_set1_pd(710.0), x);
    const __m512d ns = _mm512_fmadd_pd(xc, INV, SHIFT); /* n = round(16 x / ln2) in low bits */
    /* n / 16, exactly (ns - SHIFT is the integer n; one rounding of an exact value) */
    const __m512d n16 = _mm512_fmsub_pd(ns, _mm512_set1_pd(0.0625),
                                        _mm512_set1_pd(SK_EXP_SHIFT * 0.0625));
    __m512d r = _mm512_fnmadd_pd(n16, LN2_HI, xc);
    if (!lowp) r = _mm512_add_pd(r, xlo);
    r = _mm512_fnmadd_pd(n16, LN2_LO, r);
    const __m512i j = _mm512_castpd_si512(ns); /* vpermi2pd reads the low 4 bits: n mod 16 */
    const __m512d th = _mm512_permutex2var_pd(t->hi0, j, t->hi1);
    const __m512d r2 = _mm512_mul_pd(r, r);
    __m512d p, s;
    if (lowp) {
        p = _mm512_fmadd_pd(_mm512_set1_pd(0.04166715550957197), r,
                            _mm512_set1_pd(0.16666959973024334));
        p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(0.5));
        const __m512d q = _mm512_fmadd_pd(r2, p, r);
        s = _mm512_fmadd_pd(th, q, th);
    } else {
        p = _mm512_fmadd_pd(_mm512_set1_pd(0.00019841463826261545), r,
                            _mm512_set1_pd(0.001388906347556763));
        p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(0.008333333332991954));
        p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(0.04166666666359425));
        p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(0.16666666666666669));
        p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(0.5000000000000001));
        const __m512d q = _mm512_fmadd_pd(r2, p, r);
        const __m512d tl = _mm512_permutex2var_pd(t->lo0, j, t->lo1);
        s = _mm512_add_pd(th, _mm512_fmadd_pd(th, q, tl));
    }
    /* times 2**floor(n / 16) = 2**((n - j) / 16) */
    return _mm512_maskz_scalef_pd(keep, s, n16);
}

/* out[i] = exp(x[i] + xlo[i]) (xlo may be NULL): the AVX-512 exp over an array. Full vectors
 * are loaded and stored unmasked: masked loads and stores of memory outside the cache cost
 * twice the whole exp on Zen 4. */
__attribute__((target("avx512f,avx512dq"))) static void
sk_exp_n_avx512(const double *x, const double *xlo, double *out, int64_t n, int lowp)
{
    const sk_exp512_tab t = sk_exp512_tables();
    const __m512d zero = _mm512_setzero_pd();
    int64_t i = 0;
    if (lowp)
        for (; i + 8 <= n; i += 8)
            _mm512_storeu_pd(out + i, sk_exp512(_mm512_loadu_pd(x + i), zero, &t, 1, 0));
    else if (xlo)
        for (; i + 8 <= n; i += 8)
            _mm512_storeu_pd(out + i, sk_exp512(_mm512_loadu_pd(x + i), _mm512_loadu_pd(xlo + i),
                                                &t, 0, 0));
    else
        for (; i + 8 <= n; i += 8)
            _mm512_storeu_pd(out + i, sk_exp512(_mm512_loadu_pd(x + i), zero, &t, 0, 0));
    if (i < n) {
        const __mmask8 mk = (__mmask8)((1u << (n - i)) - 1u);
        const __m512d a = _mm512_maskz_loadu_pd(mk, x + i);
        const __m512d l = xlo && !lowp ? _mm512_maskz_loadu_pd(mk, xlo + i) : zero;
        const __m512d v = lowp ? sk_exp512(a, l, &t, 1, 0) : sk_exp512(a, l, &t, 0, 0);
        _mm512_mask_storeu_pd(out + i, mk, v);
    }
}

/* Whether the AVX-512 exp may run (the CPU has AVX-512F and DQ). __builtin_cpu_init has run:
 * the target_clones resolvers call it before any kernel runs. */
SK_INLINE int sk_cpu_avx512(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}
#else
#define SK_HAVE_AVX512_EXP 0
SK_INLINE int sk_cpu_avx512(void) { return 0; }
#endif

/* exp over an array, for the accuracy tests and the exp micro-benchmark (skxent._core.exp_array):
 * variant 0: sk_exp_neg2 (the portable exp, as the kernels inline it; contract x + xlo <= 0),
 * 1: sk_exp_neg_lowp, 2: the AVX-512 exp, 3: its lowp form. xlo may be NULL. Returns -1 (and
 * writes nothing) for variants 2 and 3 on a CPU without AVX-512. */
SK_TARGET_CLONES static int sk_exp_array(const double *x, const double *xlo, double *out, int64_t n,
                                         int variant)
{
    if (variant >= 2) {
#if SK_HAVE_AVX512_EXP
        if (!sk_cpu_avx512()) return -1;
        if (variant == 2)
            sk_exp_n_avx512(x, xlo, out, n, 0);
        else
            sk_exp_n_avx512(x, NULL, out, n, 1);
        return 0;
#else
        return -1;
#endif
    }
    if (variant == 1)
        for (int64_t i = 0; i < n; i++) out[i] = sk_exp_neg_lowp(x[i]);
    else if (xlo)
        for (int64_t i = 0; i < n; i++) out[i] = sk_exp_neg2(x[i], xlo[i]);
    else
        for (int64_t i = 0; i < n; i++) out[i] = sk_exp_neg(x[i]);
    return 0;
}

/* log(u) for u > 0 (fdlibm's e_log.c algorithm and coefficients, written branch-free).
 * u = 2**k * f with f in [sqrt(2)/2, sqrt(2)); log(f) = 2 atanh(s), s = (f-1)/(f+1), with the
 * minimax polynomial R(s^2). f - 1 is exact (Sterbenz), which keeps log(u) relatively accurate
 * for u next to 1: log(1 - 1e-10) is a tiny loss that must not lose digits.
 * Special values: log(0) = -inf, log(inf) = inf, log(<0) = log(NaN) = NaN; subnormals scaled. */
SK_INLINE double sk_log(double u)
{
    const double LN2_HI = 6.93147180369123816490e-01;
    const double LN2_LO = 1.90821492927058770002e-10;
    const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01;
    const double Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01;
    const double Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01;
    const double Lg7 = 1.479819860511658591e-01;
    int sub = u < 0x1p-1022;
    double us = sub ? u * 0x1p54 : u;
    uint64_t b = sk_as_u64(us);
    /* exponent as a double, without int->double conversion (not vectorisable on AVX2) */
    double e = sk_as_f64(0x4330000000000000ull | (b >> 52)) - 4503599627370496.0;
    double f = sk_as_f64((b & 0x000fffffffffffffull) | 0x3ff0000000000000ull); /* [1, 2) */
    int big = f > 1.4142135623730951;
    f = big ? f * 0.5 : f;
    double k = e - 1023.0 + (big ? 1.0 : 0.0) - (sub ? 54.0 : 0.0);
    double fm = f - 1.0;
    double s = fm / (2.0 + fm);
    double z = s * s;
    double w = z * z;
    double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    double R = t2 + t1;
    double hfsq = 0.5 * fm * fm;
    double res = k * LN2_HI - ((hfsq - (s * (hfsq + R) + k * LN2_LO)) - fm);
    res = u == 0.0 ? -INFINITY : res;
    res = u == INFINITY ? u : res;
    res = (u < 0.0 || u != u) ? NAN : res;
    return res;
}

/* a + b == s + *lo exactly (Knuth's TwoSum, any order of magnitudes); lo = 0 when s is not
 * finite. */
SK_INLINE double sk_two_sum(double a, double b, double *lo)
{
    const double s = a + b;
    const double bb = s - a;
    const double l = (a - (s - bb)) + (b - bb);
    *lo = s - s == 0.0 ? l : 0.0;
    return s;
}

/* Why a pair: a power w**g = exp(g log w) has a relative error of g times the *absolute* error of
 * log w, and rounding log w to one double already costs ulp(|log w|) / 2 (6e-14 for w = 1e-300:
 * hundreds of ulps in w**g); the divergence of a close student needs the same. */
/* log(u) for u > 0 as a pair hi + *lo, |lo| <= ulp(hi) / 2, accurate to ~1e-17 absolute (sk_log's
 * algorithm with its last additions kept exact: log u = k ln2 + f - g, g = f - log1p(f) =
 * hfsq - s (hfsq + R), |g| <= 0.086). A rounded log errs by up to an ulp of |log u| (9e-16 for
 * u ~ 1e-3), which would cost the divergence of a close student ~5 digits and its gradient
 * |log y| ulps. Special values: u == 0 gives -inf, +inf gives +inf, u < 0 or NaN gives NaN
 * (lo 0). */
SK_INLINE double sk_log_dd(double u, double *lo)
{
    const double LN2_HI = 6.93147180369123816490e-01;
    const double LN2_LO = 1.90821492927058770002e-10;
    const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01;
    const double Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01;
    const double Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01;
    const double Lg7 = 1.479819860511658591e-01;
    const int sub = u < 0x1p-1022;
    const double us = sub ? u * 0x1p54 : u;
    const uint64_t b = sk_as_u64(us);
    const double e = sk_as_f64(0x4330000000000000ull | (b >> 52)) - 4503599627370496.0;
    double f = sk_as_f64((b & 0x000fffffffffffffull) | 0x3ff0000000000000ull); /* [1, 2) */
    const int big = f > 1.4142135623730951;
    f = big ? f * 0.5 : f;
    const double k = e - 1023.0 + (big ? 1.0 : 0.0) - (sub ? 54.0 : 0.0);
    const double fm = f - 1.0;
    const double s = fm / (2.0 + fm);
    const double z = s * s;
    const double w = z * z;
    const double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    const double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    const double hfsq = 0.5 * fm * fm;
    const double g = hfsq - s * (hfsq + (t1 + t2));
    double l1;
    const double h0 = sk_two_sum(k * LN2_HI, fm, &l1);
    const double l0 = l1 + (k * LN2_LO - g);
    /* renormalise (|h0| >= |l0|: Fast2Sum), so that hi is log u rounded */
    const double h = h0 + l0;
    const int special = !(u > 0.0) || u == INFINITY;
    *lo = special ? 0.0 : l0 - (h - h0);
    double res = u == 0.0 ? -INFINITY : h;
    res = u == INFINITY ? u : res;
    res = (u < 0.0 || u != u) ? NAN : res;
    return res;
}

/* Error-free product: a * b == result + *lo exactly (0 when the product is not finite). The
 * fma is one instruction in the AVX2 and AVX-512 clones (the baseline clone calls libm's
 * correctly rounded fma: slower, still exact). No Dekker split: GCC's default
 * -ffp-contract=fast may fuse the split's own multiply-adds and break it. */
SK_INLINE double sk_two_prod(double a, double b, double *lo)
{
    const double p = a * b;
    const double e = __builtin_fma(a, b, -p);
    *lo = p - p == 0.0 ? e : 0.0;
    return p;
}

/* w**g = exp(g (h + hl)) for a double-double log h + hl <= 0 of w and g >= 0: the product
 * g (h + hl) is formed exactly (sk_two_prod) and fed to the exp with its low part, so the
 * result's relative error is the exp's (~1 ulp) plus g times the log's absolute error, for
 * any size of g h. */
SK_INLINE double sk_pow_dd(double h, double hl, double g)
{
    double lo;
    const double p = sk_two_prod(g, h, &lo);
    return sk_exp_neg2(p, lo + g * hl);
}

/* log1p(z) for z >= -1: log(u) + c/u with u = fl(1 + z) and c the exact rounding error of that
 * sum (Fast2Sum: exact because the larger operand goes first). Relative accuracy holds for z far
 * below 2**-53, where u == 1 and the result is c == z: that is how a loss of 1e-300 survives. */
SK_INLINE double sk_log1p(double z)
{
    double u = 1.0 + z;
    double c = z > 1.0 ? 1.0 - (u - z) : z - (u - 1.0);
    double res = sk_log(u) + c / u;
    res = u == 0.0 ? -INFINITY : res;
    res = z == INFINITY ? z : res;
    return res;
}

/* softplus pieces for a logit x: l = log1p(exp(-|x|)), then softplus(x) = max(x, 0) + l and
 * softplus(-x) = max(-x, 0) + l; each is a sum of non-negative terms, so no cancellation. */
SK_INLINE double sk_log1pexp_neg_abs(double x, double *e_out)
{
    double a = x < 0.0 ? -x : x;
    double e = sk_exp_neg(-a);
    *e_out = e;
    return sk_log1p(e);
}

#endif /* SKXENT_SIMD_H */
