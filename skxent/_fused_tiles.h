/* skxent/_fused_tiles.h -- the register-blocked micro-kernels of the fused linear-model pass,
 * for one instruction-set family and one element type. Not a standalone header: _fused.h
 * includes it six times (AVX-512 / AVX2 / baseline x float32 / float64), each time with:
 *
 *   SKF_T           element type (float or double): X, the coefficients, logits, gradients
 *   SKF_ID(name)    name mangler (name_<isa>_<dtype>), so each inclusion defines its own set
 *   SKF_ATTR        the function attribute that selects the instruction set (may be empty)
 *   SKF_VB          vector bytes (64, 32, 16)
 *   SKF_FRB, SKF_FKB  forward tile: row vectors x outputs held in registers
 *   SKF_BKB, SKF_BJB  backward tile: outputs x features held in registers
 *   SKF_SVB, SKF_SMAXV  CSR rows: vector bytes, vectors of outputs held in registers
 *
 * Design note
 * -----------
 * One chunk of rows (see _fused.h for the chunking) is packed transposed, XT[j * ldx + r]
 * (feature-major, rows zero-padded to ldx, a multiple of 16), so that both products run along
 * rows, at full vector width whatever K and p are:
 *
 *   forward   ZT[k, r] = b_k + sum_j W[j, k] XT[j, r]      a tile of SKF_FRB row vectors x
 *             SKF_FKB outputs stays in registers for the whole sweep over the features; each
 *             step loads SKF_FRB vectors of XT and broadcasts SKF_FKB coefficients;
 *   backward  dW[j, k] += sum_r GT[k, r] XT[j, r]          a tile of SKF_BKB outputs x SKF_BJB
 *             features, one vector accumulator each, sweeps all rows of the chunk.
 *
 * The backward accumulators are not reduced across their lanes per chunk (that would cost as
 * much as the product itself for chunks of a few hundred rows): each lane is added to its own
 * slot of the group's partial gradient, (p + 1) x K x lanes elements, and the lanes are summed
 * only once, in the final fixed-order reduction. Tile shapes are compile-time constants (each
 * tile function is specialised through a switch on the block size), so the accumulators are
 * registers: 24 (forward) and 20 (backward) of AVX-512's 32, 12 and 9 of AVX2's 16.
 * Zero-padded rows (pack) and zeroed gradient rows (GT) make every vector full: no tails.
 */

#define SKF_VT SKF_ID(skf_vec)
#define SKF_E8 SKF_ID(skf_e8)
#define SKF_NV ((int64_t)(SKF_VB / sizeof(SKF_T)))
#define SKF_INL static inline __attribute__((always_inline)) SKF_ATTR

typedef SKF_T SKF_VT __attribute__((vector_size(SKF_VB)));
typedef SKF_T SKF_E8 __attribute__((vector_size(8 * sizeof(SKF_T))));

/* ---- packing ------------------------------------------------------------------------------ */

/* 8 x 8 transpose of 8-element vectors, in registers (the pattern of _kernels.h's tiles). */
SKF_INL void SKF_ID(skf_tr8)(SKF_E8 v[8])
{
#if SKF_DOUBLE
    typedef int64_t mask_t __attribute__((vector_size(64)));
#else
    typedef int32_t mask_t __attribute__((vector_size(32)));
#endif
    const mask_t LO = {0, 8, 2, 10, 4, 12, 6, 14}, HI = {1, 9, 3, 11, 5, 13, 7, 15};
    const mask_t LO2 = {0, 1, 8, 9, 4, 5, 12, 13}, HI2 = {2, 3, 10, 11, 6, 7, 14, 15};
    const mask_t LO4 = {0, 1, 2, 3, 8, 9, 10, 11}, HI4 = {4, 5, 6, 7, 12, 13, 14, 15};
    SKF_E8 t[8], u[8];
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

/* OUT XT (p x ldx): rows r0 .. r0+nb of X (strided view of element type SKF_T), transposed;
 * rows nb .. ldx are zero. */
SKF_ATTR static void SKF_ID(skf_pack)(const SKF_T *X, int64_t s0, int64_t s1, int64_t r0,
                                      int64_t nb, int64_t p, int64_t ldx, SKF_T *restrict XT)
{
    if (s0 == 1) { /* Fortran order: each feature's rows are contiguous */
        for (int64_t j = 0; j < p; j++) {
            memcpy(XT + j * ldx, X + r0 + j * s1, (size_t)nb * sizeof(SKF_T));
            memset(XT + j * ldx + nb, 0, (size_t)(ldx - nb) * sizeof(SKF_T));
        }
        return;
    }
    int64_t r = 0;
    if (s1 == 1) { /* C order: 8 x 8 tiles transposed in registers */
        const int64_t p8 = p / 8 * 8;
        for (; r + 8 <= nb; r += 8) {
            const SKF_T *x0 = X + (r0 + r) * s0;
            for (int64_t j = 0; j < p8; j += 8) {
                SKF_E8 v[8];
                for (int i = 0; i < 8; i++) memcpy(&v[i], x0 + i * s0 + j, sizeof v[i]);
                SKF_ID(skf_tr8)(v);
                for (int i = 0; i < 8; i++) memcpy(XT + (j + i) * ldx + r, &v[i], sizeof v[i]);
            }
            for (int64_t j = p8; j < p; j++)
                for (int i = 0; i < 8; i++) XT[j * ldx + r + i] = x0[i * s0 + j];
        }
    }
    for (; r < nb; r++)
        for (int64_t j = 0; j < p; j++) XT[j * ldx + r] = X[(r0 + r) * s0 + j * s1];
    for (int64_t j = 0; j < p; j++)
        for (int64_t q = nb; q < ldx; q++) XT[j * ldx + q] = 0;
}

/* ---- forward: ZT = W^T XT + b ----------------------------------------------------------- */

/* One tile: RB row vectors from xt, KB outputs; w = W + k0 (row stride K), bk = KB biases. */
SKF_INL void SKF_ID(skf_fw_tile)(const SKF_T *restrict xt, int64_t ldx, int64_t p,
                                 const SKF_T *restrict w, int64_t K, const SKF_T *bk,
                                 SKF_T *restrict zt, skf_pf *pf, const int RB, const int KB)
{
    SKF_VT acc[SKF_FRB][SKF_FKB];
#pragma GCC unroll 8
    for (int kk = 0; kk < KB; kk++)
#pragma GCC unroll 8
        for (int i = 0; i < RB; i++) acc[i][kk] = (SKF_VT){0} + bk[kk];
    for (int64_t j = 0; j < p; j++) {
        SKF_VT xv[SKF_FRB];
#pragma GCC unroll 8
        for (int i = 0; i < RB; i++) memcpy(&xv[i], xt + j * ldx + i * SKF_NV, sizeof xv[i]);
        const SKF_T *wj = w + j * K;
        skf_pf_step(pf);
#pragma GCC unroll 8
        for (int kk = 0; kk < KB; kk++) {
            const SKF_T s = wj[kk];
#pragma GCC unroll 8
            for (int i = 0; i < RB; i++) acc[i][kk] += xv[i] * s;
        }
    }
#pragma GCC unroll 8
    for (int kk = 0; kk < KB; kk++)
#pragma GCC unroll 8
        for (int i = 0; i < RB; i++) memcpy(zt + kk * ldx + i * SKF_NV, &acc[i][kk], sizeof acc[i][kk]);
}

#define SKF_FW_CASE(KB_)                                                                        \
    case KB_:                                                                                   \
        if (rb == SKF_FRB)                                                                      \
            SKF_ID(skf_fw_tile)(xt, ldx, p, w, K, bk, zt, pf, SKF_FRB, KB_);                        \
        else                                                                                    \
            SKF_ID(skf_fw_tile)(xt, ldx, p, w, K, bk, zt, pf, 1, KB_);                              \
        break;

SKF_ATTR static void SKF_ID(skf_fw_disp)(const SKF_T *xt, int64_t ldx, int64_t p, const SKF_T *w,
                                         int64_t K, const SKF_T *bk, SKF_T *zt, skf_pf *pf, int rb,
                                         int kb)
{
    switch (kb) {
        SKF_FW_CASE(1)
        SKF_FW_CASE(2)
        SKF_FW_CASE(3)
        SKF_FW_CASE(4)
#if SKF_FKB > 4
        SKF_FW_CASE(5)
        SKF_FW_CASE(6)
        SKF_FW_CASE(7)
        SKF_FW_CASE(8)
#endif
    default:
        break;
    }
}
#undef SKF_FW_CASE

/* OUT ZT (K x ldx) = W^T XT + b for all ldx rows; W (p x K), b (K) or NULL. */
SKF_ATTR static void SKF_ID(skf_forward)(const SKF_T *XT, int64_t ldx, int64_t p,
                                         const SKF_T *W, const SKF_T *b, int64_t K, SKF_T *ZT,
                                         skf_pf *pf)
{
    const int64_t nkb = (K + SKF_FKB - 1) / SKF_FKB;
    const int64_t kbs = (K + nkb - 1) / nkb; /* output blocks as even as possible */
    const int64_t step = SKF_FRB * SKF_NV;
    SKF_T bk[SKF_FKB];
    for (int64_t r = 0; r < ldx;) {
        const int rb = r + step <= ldx ? SKF_FRB : 1;
        for (int64_t k0 = 0; k0 < K; k0 += kbs) {
            const int kb = (int)(K - k0 < kbs ? K - k0 : kbs);
            for (int kk = 0; kk < kb; kk++) bk[kk] = b ? b[k0 + kk] : (SKF_T)0;
            SKF_ID(skf_fw_disp)(XT + r, ldx, p, W + k0, K, bk, ZT + k0 * ldx + r, pf, rb, kb);
        }
        r += rb * SKF_NV;
    }
}

/* ---- backward: part[(j K + k) lanes + l] += lanes of sum_r GT[k, r] XT[j, r] -------------- */

SKF_INL void SKF_ID(skf_bw_tile)(const SKF_T *restrict gt, const SKF_T *restrict xt, int64_t ldx,
                                 int64_t K, SKF_T *restrict part, skf_pf *pf, const int KB,
                                 const int JB)
{
    SKF_VT acc[SKF_BKB][SKF_BJB];
#pragma GCC unroll 8
    for (int kk = 0; kk < KB; kk++)
#pragma GCC unroll 8
        for (int jj = 0; jj < JB; jj++) acc[kk][jj] = (SKF_VT){0};
    for (int64_t r = 0; r < ldx; r += SKF_NV) {
        SKF_VT g[SKF_BKB], x[SKF_BJB];
        skf_pf_step(pf);
#pragma GCC unroll 8
        for (int kk = 0; kk < KB; kk++) memcpy(&g[kk], gt + kk * ldx + r, sizeof g[kk]);
#pragma GCC unroll 8
        for (int jj = 0; jj < JB; jj++) memcpy(&x[jj], xt + jj * ldx + r, sizeof x[jj]);
#pragma GCC unroll 8
        for (int kk = 0; kk < KB; kk++)
#pragma GCC unroll 8
            for (int jj = 0; jj < JB; jj++) acc[kk][jj] += g[kk] * x[jj];
    }
#pragma GCC unroll 8
    for (int jj = 0; jj < JB; jj++)
#pragma GCC unroll 8
        for (int kk = 0; kk < KB; kk++) {
            SKF_T *q = part + (jj * K + kk) * SKF_NV;
            SKF_VT s;
            memcpy(&s, q, sizeof s);
            s += acc[kk][jj];
            memcpy(q, &s, sizeof s);
        }
}

#define SKF_BW_CASE(KB_)                                                                        \
    case KB_:                                                                                   \
        if (jb == SKF_BJB)                                                                      \
            SKF_ID(skf_bw_tile)(gt, xt, ldx, K, part, pf, KB_, SKF_BJB);                            \
        else                                                                                    \
            SKF_ID(skf_bw_tile)(gt, xt, ldx, K, part, pf, KB_, 1);                                  \
        break;

SKF_ATTR static void SKF_ID(skf_bw_disp)(const SKF_T *gt, const SKF_T *xt, int64_t ldx, int64_t K,
                                         SKF_T *part, skf_pf *pf, int kb, int jb)
{
    switch (kb) {
        SKF_BW_CASE(1)
        SKF_BW_CASE(2)
        SKF_BW_CASE(3)
#if SKF_BKB > 3
        SKF_BW_CASE(4)
#endif
    default:
        break;
    }
}
#undef SKF_BW_CASE

/* part (lane partials, (p + 1) x K x lanes) += GT XT^T; row p: the intercept, sum_r GT[k, r]. */
SKF_ATTR static void SKF_ID(skf_backward)(const SKF_T *GT, const SKF_T *XT, int64_t ldx,
                                          int64_t p, int64_t K, int intercept, SKF_T *part,
                                          skf_pf *pf)
{
    const int64_t nkb = (K + SKF_BKB - 1) / SKF_BKB;
    const int64_t kbs = (K + nkb - 1) / nkb;
    for (int64_t j0 = 0; j0 < p;) {
        const int jb = j0 + SKF_BJB <= p ? SKF_BJB : 1;
        for (int64_t k0 = 0; k0 < K; k0 += kbs) {
            const int kb = (int)(K - k0 < kbs ? K - k0 : kbs);
            SKF_ID(skf_bw_disp)(GT + k0 * ldx, XT + j0 * ldx, ldx, K,
                                part + (j0 * K + k0) * SKF_NV, pf, kb, jb);
        }
        j0 += jb;
    }
    if (intercept)
        for (int64_t k = 0; k < K; k++) {
            SKF_VT s;
            SKF_T *q = part + (p * K + k) * SKF_NV;
            memcpy(&s, q, sizeof s);
            for (int64_t r = 0; r < ldx; r += SKF_NV) {
                SKF_VT g;
                memcpy(&g, GT + k * ldx + r, sizeof g);
                s += g;
            }
            memcpy(q, &s, sizeof s);
        }
}

/* ---- one chunk of the dense pass ---------------------------------------------------------- */

/* Rows [r0, r1) of the gradient pass (pb->mode == SKF_GRAD) or of the Hessian-vector product
 * (SKF_HESSP); rows [r1, r2) (the next chunk of the group, or none) are prefetched. ws: skf_ws_doubles(pb) doubles, 64-byte aligned; part: this group's lane
 * partials; lsum (K, or 1 unless per_output): OUT the chunk's loss sums. */
SKF_ATTR static void SKF_ID(skf_dense_chunk)(const skf_problem *pb, int64_t r0, int64_t r1,
                                             int64_t r2, double *ws, void *part_v, double *lsum,
                                             int first)
{
    (void)first; /* the partial was zeroed */
    const int64_t K = pb->K, p = pb->p, nb = r1 - r0;
    const int64_t ldx = (nb + SKF_PAD - 1) / SKF_PAD * SKF_PAD;
    const int64_t cap = skf_cap(K);
    SKF_T *part = (SKF_T *)part_v;
    SKF_T *XT = (SKF_T *)(ws + skf_cws_doubles(K));
    SKF_T *ZT = XT + skf_round64(p * pb->ldx, sizeof(SKF_T));
    SKF_T *GT = ZT + skf_round64(K * pb->ldx, sizeof(SKF_T));
    SKF_T *G = GT + skf_round64(K * pb->ldx, sizeof(SKF_T));
    SKF_T *LB = G + skf_round64(K * pb->rpc, sizeof(SKF_T));
    const int f32 = sizeof(SKF_T) == 4;
    const sk_view zv = {ZT, f32, 1, ldx};

    skf_pf pf;
    skf_pf_init(&pf, pb, r1, r2);
    SKF_ID(skf_pack)((const SKF_T *)pb->X, pb->xs0, pb->xs1, r0, nb, p, ldx, XT);
    SKF_ID(skf_forward)(XT, ldx, p, (const SKF_T *)pb->W, (const SKF_T *)pb->b, K, ZT, &pf);

    if (pb->mode == SKF_GRAD) {
        SKF_T *hs = pb->store_hessian ? (SKF_T *)pb->hstore + r0 * K : NULL;
        if (hs && pb->link == SKF_SOFTMAX) {
            /* softmax probabilities (the accurate kernel), stored chunk-transposed */
            skf_softmax_rows(&zv, nb, K, f32, G, ws, cap);
            for (int64_t k = 0; k < K; k++)
                for (int64_t r = 0; r < nb; r++) hs[k * nb + r] = G[r * K + k];
        } else if (hs) {
            for (int64_t k = 0; k < K; k++)
                for (int64_t r = 0; r < nb; r++)
                    hs[k * nb + r] = (SKF_T)skf_sigmoid_curv(pb, r0 + r, k, (double)ZT[k * ldx + r]);
        }
        skf_pointwise(pb, &zv, r0, nb, G, pb->per_output ? (void *)LB : NULL, ws, cap, lsum);
        if (pb->per_output) {
            for (int64_t k = 0; k < K; k++) lsum[k] = 0.0;
            for (int64_t r = 0; r < nb; r++)
                for (int64_t k = 0; k < K; k++) lsum[k] += (double)LB[r * K + k];
        }
        for (int64_t k = 0; k < K; k++) {
            for (int64_t r = 0; r < nb; r++) GT[k * ldx + r] = G[r * K + k];
            for (int64_t r = nb; r < ldx; r++) GT[k * ldx + r] = 0;
        }
    } else {
        /* Hessian-vector product: ZT holds u = V^T x + v_b */
        const SKF_T *hs = (const SKF_T *)pb->hstore + r0 * K;
        if (pb->link == SKF_SOFTMAX) {
            /* a_i s_i (p * u - p (p . u)) */
            SKF_T *pu = G;
            for (int64_t r = 0; r < nb; r++) pu[r] = 0;
            for (int64_t k = 0; k < K; k++)
                for (int64_t r = 0; r < nb; r++) pu[r] += hs[k * nb + r] * ZT[k * ldx + r];
            const double *h = pb->hscale + r0;
            for (int64_t k = 0; k < K; k++) {
                for (int64_t r = 0; r < nb; r++)
                    GT[k * ldx + r] = (SKF_T)h[r] * hs[k * nb + r] * (ZT[k * ldx + r] - pu[r]);
                for (int64_t r = nb; r < ldx; r++) GT[k * ldx + r] = 0;
            }
        } else {
            for (int64_t k = 0; k < K; k++) {
                for (int64_t r = 0; r < nb; r++) GT[k * ldx + r] = hs[k * nb + r] * ZT[k * ldx + r];
                for (int64_t r = nb; r < ldx; r++) GT[k * ldx + r] = 0;
            }
        }
        if (lsum) lsum[0] = 0.0;
    }
    SKF_ID(skf_backward)(GT, XT, ldx, p, K, pb->fit_intercept, part, &pf);
}

/* ---- CSR rows ------------------------------------------------------------------------------ */

/* The K outputs of a row in vectors of SKF_SVB bytes (K is padded to kp, a multiple of SKF_SNV:
 * 8 elements on AVX-512, where whole zmm registers of doubles take fewer loads, multiply-adds
 * and stores per stored value than ymm ones despite the padding; 16 bytes on the baseline, 32
 * on AVX2), at most
 * SKF_SMAXV of them in registers per sweep over the row's stored values. The partial gradient
 * is double whatever X's dtype. */
#define SKF_SVT SKF_ID(skf_svec)
#define SKF_SPD SKF_ID(skf_spd)
#define SKF_SNV ((int64_t)(SKF_SVB / sizeof(SKF_T)))
#define SKF_SPF 12 /* prefetch distance, in stored values */
#define SKF_CPF 16 /* transposed chunks: prefetch distance of the logits rows, in stored values */
typedef SKF_T SKF_SVT __attribute__((vector_size(SKF_SVB)));
typedef double SKF_SPD __attribute__((vector_size(SKF_SVB / sizeof(SKF_T) * 8)));

/* OUT z[0 .. NV * SNV) = bz + sum_q x_q w[j_q, k0 ..] for the stored values [q0, q1). */
SKF_INL void SKF_ID(skf_srow_fw)(const SKF_T *restrict data, const void *idxv, int idx64,
                                 int64_t q0, int64_t q1, int64_t qmax, const SKF_T *restrict w,
                                 int64_t kp, const SKF_T *bz, SKF_T *restrict z, const int NV)
{
    SKF_SVT acc[8];
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) memcpy(&acc[v], bz + v * SKF_SNV, sizeof acc[v]);
    const int32_t *i32 = (const int32_t *)idxv;
    const int64_t *i64 = (const int64_t *)idxv;
    for (int64_t q = q0; q < q1; q++) {
        const int64_t j = idx64 ? i64[q] : (int64_t)i32[q];
        if (q + SKF_SPF < qmax)
            __builtin_prefetch(w + (idx64 ? i64[q + SKF_SPF] : (int64_t)i32[q + SKF_SPF]) * kp, 0, 3);
        const SKF_T xv = data[q];
        const SKF_T *wj = w + j * kp;
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++) {
            SKF_SVT wv;
            memcpy(&wv, wj + v * SKF_SNV, sizeof wv);
            acc[v] += xv * wv;
        }
    }
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) memcpy(z + v * SKF_SNV, &acc[v], sizeof acc[v]);
}

/* part[j_q, k0 .. k0 + NV * SNV) += x_q g for the stored values [q0, q1); part row stride kp. */
SKF_INL void SKF_ID(skf_srow_bw)(const SKF_T *restrict data, const void *idxv, int idx64,
                                 int64_t q0, int64_t q1, int64_t qmax, const SKF_T *g,
                                 int64_t kp, double *restrict part, const int NV)
{
    SKF_SPD gd[8];
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) {
        SKF_SVT gv;
        memcpy(&gv, g + v * SKF_SNV, sizeof gv);
        gd[v] = __builtin_convertvector(gv, SKF_SPD);
    }
    const int32_t *i32 = (const int32_t *)idxv;
    const int64_t *i64 = (const int64_t *)idxv;
    for (int64_t q = q0; q < q1; q++) {
        const int64_t j = idx64 ? i64[q] : (int64_t)i32[q];
        if (q + SKF_SPF < qmax)
            __builtin_prefetch(part + (idx64 ? i64[q + SKF_SPF] : (int64_t)i32[q + SKF_SPF]) * kp, 1, 3);
        const double xv = (double)data[q];
        double *d = part + j * kp;
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++) {
            SKF_SPD dv;
            memcpy(&dv, d + v * SKF_SNV, sizeof dv);
            dv += xv * gd[v];
            memcpy(d + v * SKF_SNV, &dv, sizeof dv);
        }
    }
}

#define SKF_SROW_CASES(CALL)                                                                    \
    switch (nv) {                                                                               \
    case 1: CALL(1); break;                                                                     \
    case 2: CALL(2); break;                                                                     \
    case 3: CALL(3); break;                                                                     \
    case 4: CALL(4); break;                                                                     \
    case 5: CALL(5); break;                                                                     \
    case 6: CALL(6); break;                                                                     \
    case 7: CALL(7); break;                                                                     \
    case 8: CALL(8); break;                                                                     \
    default: break;                                                                             \
    }

/* The middle of a CSR chunk, between the forward and backward sweeps: Z (nb, kp) holds the
 * logits (SKF_GRAD) or u = V^T x + v_b (SKF_HESSP); on return it holds the padded pointwise
 * gradient (or Hessian times u), zero in the padding columns. */
SKF_INL void SKF_ID(skf_sparse_mid)(const skf_problem *pb, int64_t r0, int64_t nb, SKF_T *Z,
                                    SKF_T *G, SKF_T *LB, double *ws, double *lsum)
{
    const int64_t K = pb->K, kp = pb->kp, cap = skf_cap(K);
    const int f32 = sizeof(SKF_T) == 4;
    if (pb->mode == SKF_GRAD) {
        const sk_view zv = {Z, f32, kp, 1};
        if (pb->store_hessian) {
            SKF_T *hs = (SKF_T *)pb->hstore + r0 * K;
            if (pb->link == SKF_SOFTMAX)
                skf_softmax_rows(&zv, nb, K, f32, hs, ws, cap);
            else
                for (int64_t r = 0; r < nb; r++)
                    for (int64_t k = 0; k < K; k++)
                        hs[r * K + k] = (SKF_T)skf_sigmoid_curv(pb, r0 + r, k, (double)Z[r * kp + k]);
        }
        skf_pointwise(pb, &zv, r0, nb, G, pb->per_output ? (void *)LB : NULL, ws, cap, lsum);
        if (pb->per_output) {
            for (int64_t k = 0; k < K; k++) lsum[k] = 0.0;
            for (int64_t r = 0; r < nb; r++)
                for (int64_t k = 0; k < K; k++) lsum[k] += (double)LB[r * K + k];
        }
        for (int64_t r = 0; r < nb; r++)
            for (int64_t k = 0; k < kp; k++) Z[r * kp + k] = k < K ? G[r * K + k] : (SKF_T)0;
    } else {
        const SKF_T *hs = (const SKF_T *)pb->hstore + r0 * K;
        for (int64_t r = 0; r < nb; r++) {
            SKF_T *z = Z + r * kp;
            const SKF_T *hr = hs + r * K;
            if (pb->link == SKF_SOFTMAX) {
                SKF_T pu = 0;
                for (int64_t k = 0; k < K; k++) pu += hr[k] * z[k];
                const SKF_T h = (SKF_T)pb->hscale[r0 + r];
                for (int64_t k = 0; k < K; k++) z[k] = h * hr[k] * (z[k] - pu);
            } else {
                for (int64_t k = 0; k < K; k++) z[k] *= hr[k];
            }
            for (int64_t k = K; k < kp; k++) z[k] = 0;
        }
        lsum[0] = 0.0;
    }
}

/* Rows [r0, r1) of CSR X: the gradient pass or the Hessian-vector product (see the dense chunk;
 * rows [r1, r2) are not prefetched here: the stored values are read in order). pb->W is the
 * coefficient matrix padded to (p, kp) (zero columns), part a (p + 1, kp) double partial. */
SKF_ATTR static void SKF_ID(skf_sparse_chunk)(const skf_problem *pb, int64_t r0, int64_t r1,
                                              int64_t r2, double *ws, void *part_v, double *lsum,
                                              int first)
{
    (void)first; /* the partial was zeroed */
    const int64_t K = pb->K, kp = pb->kp, p = pb->p, nb = r1 - r0;
    const SKF_T *data = (const SKF_T *)pb->data;
    const int64_t *ptr = pb->indptr;
    const SKF_T *W = (const SKF_T *)pb->W;
    double *part = (double *)part_v;
    SKF_T *Z = (SKF_T *)(ws + skf_cws_doubles(K)); /* (nb, kp): logits, then padded gradient */
    SKF_T *G = Z + skf_round64(pb->rpc * kp, sizeof(SKF_T)); /* (nb, K) */
    SKF_T *LB = G + skf_round64(pb->rpc * K, sizeof(SKF_T));  /* (nb, K) */
    SKF_T *bz = LB + skf_round64(pb->rpc * K, sizeof(SKF_T)); /* (kp) */
    const int64_t qmax = ptr[r1];
    const int64_t vblk = SKF_SMAXV * SKF_SNV;
    (void)r2;
    for (int64_t k = 0; k < kp; k++) bz[k] = (pb->b && k < K) ? ((const SKF_T *)pb->b)[k] : 0;
#define SKF_FW(NV_) SKF_ID(skf_srow_fw)(data, pb->indices, pb->idx64, q0, q1, qmax, W + k0, kp, \
                                        bz + k0, Z + r * kp + k0, NV_)
    for (int64_t r = 0; r < nb; r++) {
        const int64_t q0 = ptr[r0 + r], q1 = ptr[r0 + r + 1];
        for (int64_t k0 = 0; k0 < kp; k0 += vblk) {
            const int nv = (int)((kp - k0 < vblk ? kp - k0 : vblk) / SKF_SNV);
            SKF_SROW_CASES(SKF_FW)
        }
    }
#undef SKF_FW
    SKF_ID(skf_sparse_mid)(pb, r0, nb, Z, G, LB, ws, lsum);
#define SKF_BW(NV_) SKF_ID(skf_srow_bw)(data, pb->indices, pb->idx64, q0, q1, qmax,             \
                                        Z + r * kp + k0, kp, part + k0, NV_)
    for (int64_t r = 0; r < nb; r++) {
        const int64_t q0 = ptr[r0 + r], q1 = ptr[r0 + r + 1];
        for (int64_t k0 = 0; k0 < kp; k0 += vblk) {
            const int nv = (int)((kp - k0 < vblk ? kp - k0 : vblk) / SKF_SNV);
            SKF_SROW_CASES(SKF_BW)
        }
        if (pb->fit_intercept) {
            double *d = part + p * kp;
            const SKF_T *g = Z + r * kp;
            for (int64_t k = 0; k < K; k++) d[k] += (double)g[k];
        }
    }
#undef SKF_BW
}

/* ---- CSR through a chunk-transposed copy ------------------------------------------------- */

/* Z rows r_q (row stride kp; Z, w offset to output k0) += x_q w_j for every feature j and its
 * stored values [fp[j], fp[j + 1]) in the chunk (w_j: NV vectors of its coefficients). One loop
 * over the features per block of outputs (NV a constant: no dispatch per feature). */
SKF_INL void SKF_ID(skf_ccols_fw)(const int64_t *restrict fp, int64_t p, int64_t qend,
                                  const SKF_T *restrict vals, const uint16_t *restrict rows,
                                  const SKF_T *restrict W, int64_t kp, SKF_T *restrict Z,
                                  const int NV)
{
    for (int64_t j = 0; j < p; j++) {
        const int64_t q0 = fp[j], q1 = fp[j + 1];
        if (q0 == q1) continue;
        SKF_SVT wv[8];
        const SKF_T *w = W + j * kp;
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++) memcpy(&wv[v], w + v * SKF_SNV, sizeof wv[v]);
        for (int64_t q = q0; q < q1; q++) {
            const SKF_T xv = vals[q];
            SKF_T *z = Z + (int64_t)rows[q] * kp;
            if (q + SKF_CPF < qend) {
                const SKF_T *zn = Z + (int64_t)rows[q + SKF_CPF] * kp;
#pragma GCC unroll 8
                for (int v = 0; v < NV; v++) __builtin_prefetch(zn + v * SKF_SNV, 1, 3);
            }
#pragma GCC unroll 8
            for (int v = 0; v < NV; v++) {
                SKF_SVT zv;
                memcpy(&zv, z + v * SKF_SNV, sizeof zv);
                zv += xv * wv[v];
                memcpy(z + v * SKF_SNV, &zv, sizeof zv);
            }
        }
    }
}

/* part[j] (NV vectors, double; part offset to output k0, row stride kp) += (or, on the group's
 * first chunk, =) sum_q x_q g[r_q] over feature j's stored values in the chunk, every j. */
SKF_INL void SKF_ID(skf_ccols_bw)(const int64_t *restrict fp, int64_t p, int64_t qend,
                                  const SKF_T *restrict vals, const uint16_t *restrict rows,
                                  const SKF_T *restrict Z, int64_t kp, double *restrict part,
                                  int first, const int NV)
{
    for (int64_t j = 0; j < p; j++) {
        const int64_t q0 = fp[j], q1 = fp[j + 1];
        double *d = part + j * kp;
        if (q0 == q1) {
            if (first)
#pragma GCC unroll 8
                for (int v = 0; v < NV; v++) {
                    const SKF_SPD zero = {0};
                    memcpy(d + v * SKF_SNV, &zero, sizeof zero);
                }
            continue;
        }
        /* two accumulators per vector (even and odd values, added at the end): half the
         * dependency chain of the multiply-adds */
        SKF_SPD acc[8], acc2[8];
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++) acc[v] = acc2[v] = (SKF_SPD){0};
        int64_t q = q0;
        for (; q + 2 <= q1; q += 2) {
            const double xv = (double)vals[q], xv2 = (double)vals[q + 1];
            const SKF_T *g = Z + (int64_t)rows[q] * kp, *g2 = Z + (int64_t)rows[q + 1] * kp;
            if (q + 1 + SKF_CPF < qend) {
                const SKF_T *zn = Z + (int64_t)rows[q + SKF_CPF] * kp;
                const SKF_T *zn2 = Z + (int64_t)rows[q + 1 + SKF_CPF] * kp;
#pragma GCC unroll 8
                for (int v = 0; v < NV; v++) {
                    __builtin_prefetch(zn + v * SKF_SNV, 0, 3);
                    __builtin_prefetch(zn2 + v * SKF_SNV, 0, 3);
                }
            }
#pragma GCC unroll 8
            for (int v = 0; v < NV; v++) {
                SKF_SVT gv, gv2;
                memcpy(&gv, g + v * SKF_SNV, sizeof gv);
                memcpy(&gv2, g2 + v * SKF_SNV, sizeof gv2);
                acc[v] += xv * __builtin_convertvector(gv, SKF_SPD);
                acc2[v] += xv2 * __builtin_convertvector(gv2, SKF_SPD);
            }
        }
        if (q < q1) {
            const double xv = (double)vals[q];
            const SKF_T *g = Z + (int64_t)rows[q] * kp;
#pragma GCC unroll 8
            for (int v = 0; v < NV; v++) {
                SKF_SVT gv;
                memcpy(&gv, g + v * SKF_SNV, sizeof gv);
                acc[v] += xv * __builtin_convertvector(gv, SKF_SPD);
            }
        }
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++) acc[v] += acc2[v];
        if (first) {
#pragma GCC unroll 8
            for (int v = 0; v < NV; v++) memcpy(d + v * SKF_SNV, &acc[v], sizeof acc[v]);
        } else {
#pragma GCC unroll 8
            for (int v = 0; v < NV; v++) {
                SKF_SPD dv;
                memcpy(&dv, d + v * SKF_SNV, sizeof dv);
                dv += acc[v];
                memcpy(d + v * SKF_SNV, &dv, sizeof dv);
            }
        }
    }
}

/* Rows [r0, r1) of CSR X, from the chunk's transposed copy (pb->cvals, pb->crows: the chunk's
 * stored values by feature, rows in increasing order within a feature; pb->cptr: per chunk,
 * p + 1 offsets). The coefficients and the partial are swept in feature order, once per chunk
 * and block of outputs; the random accesses go to the chunk's (nb, kp) logits/gradient rows,
 * which stay in L2. On the group's first chunk (first) the partial is written, not added to,
 * so it needs no zeroing pass. */
SKF_ATTR static void SKF_ID(skf_csc_chunk)(const skf_problem *pb, int64_t r0, int64_t r1,
                                           int64_t r2, double *ws, void *part_v, double *lsum,
                                           int first)
{
    const int64_t K = pb->K, kp = pb->kp, p = pb->p, nb = r1 - r0;
    const int64_t *fp = pb->cptr + (r0 / pb->rpc) * (p + 1);
    const SKF_T *vals = (const SKF_T *)pb->cvals;
    const uint16_t *rows = pb->crows;
    const SKF_T *W = (const SKF_T *)pb->W;
    double *part = (double *)part_v;
    SKF_T *Z = (SKF_T *)(ws + skf_cws_doubles(K));
    SKF_T *G = Z + skf_round64(pb->rpc * kp, sizeof(SKF_T));
    SKF_T *LB = G + skf_round64(pb->rpc * K, sizeof(SKF_T));
    const int64_t vblk = SKF_SMAXV * SKF_SNV;
    (void)r2;
    for (int64_t r = 0; r < nb; r++)
        for (int64_t k = 0; k < kp; k++)
            Z[r * kp + k] = (pb->b && k < K) ? ((const SKF_T *)pb->b)[k] : (SKF_T)0;
#define SKF_FW(NV_) SKF_ID(skf_ccols_fw)(fp, p, fp[p], vals, rows, W + k0, kp, Z + k0, NV_)
    for (int64_t k0 = 0; k0 < kp; k0 += vblk) {
        const int nv = (int)((kp - k0 < vblk ? kp - k0 : vblk) / SKF_SNV);
        SKF_SROW_CASES(SKF_FW)
    }
#undef SKF_FW
    SKF_ID(skf_sparse_mid)(pb, r0, nb, Z, G, LB, ws, lsum);
#define SKF_BW(NV_) SKF_ID(skf_ccols_bw)(fp, p, fp[p], vals, rows, Z + k0, kp, part + k0, first, NV_)
    for (int64_t k0 = 0; k0 < kp; k0 += vblk) {
        const int nv = (int)((kp - k0 < vblk ? kp - k0 : vblk) / SKF_SNV);
        SKF_SROW_CASES(SKF_BW)
    }
#undef SKF_BW
    double *d = part + p * kp; /* the intercept's row */
    if (first)
        for (int64_t k = 0; k < kp; k++) d[k] = 0.0;
    if (pb->fit_intercept)
        for (int64_t r = 0; r < nb; r++)
            for (int64_t k = 0; k < K; k++) d[k] += (double)Z[r * kp + k];
}
#undef SKF_SROW_CASES

#undef SKF_SVT
#undef SKF_SPD
#undef SKF_SNV
#undef SKF_SPF
#undef SKF_CPF
#undef SKF_VT
#undef SKF_E8
#undef SKF_NV
#undef SKF_INL
