/* benchmarks/exp_ab/drv.c -- one entry point into the categorical CE kernel, for run.sh.
 *
 * Design note: run.sh compiles this file against two versions of skxent/_kernels.h and
 * _simd.h (two git revisions) into two shared objects, and main.c times them alternately in
 * one process (thread CPU time, so that other engineers' load does not count against either).
 * Integer labels, logits (n, K) C-contiguous float32/float64, one thread, optional gradient. */
#include "_kernels.h"
int drv_cce(const void *x, int f32, const int64_t *t, int64_t n, int64_t K, void *loss_out, void *grad_out, double *res)
{
    sk_cce_args a; memset(&a, 0, sizeof a);
    a.n = n; a.K = K; a.x.p = x; a.x.f32 = f32; a.x.s0 = K; a.x.s1 = 1; a.t = t;
    a.from_logits = 1; a.clip_lo = 0; a.clip_hi = 1; a.out_f32 = f32; a.grad_out = grad_out; a.loss_out = loss_out; a.grad_scale = 1.0 / n;
    sk_acc acc; int rc = sk_cce(&a, 1, &acc); *res = acc.sum; return rc;
}
