/* benchmarks/exp_ab/main.c -- alternate two builds of drv.c (A = argv[1], B = argv[2]) on
 * 1e6 x 10 standard-normal logits: softmax CE loss and loss + gradient, float64 and float32,
 * one thread; medians of argv[3] rounds (A and B alternate, order flipped every round) of
 * thread CPU time. Prints ns per value and A/B (> 1: B faster), and both loss sums. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <dlfcn.h>
#include <time.h>
#include <math.h>
typedef int (*F)(const void *, int, const int64_t *, int64_t, int64_t, void *, void *, double *);
static double now(void){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static int cmp(const void *a, const void *b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int argc, char **argv) {
    F f[2]; const char *nm[2] = {argv[1], argv[2]};
    for (int i = 0; i < 2; i++) { void *h = dlopen(nm[i], RTLD_NOW | RTLD_LOCAL); if (!h) { printf("%s\n", dlerror()); return 1; } f[i] = (F)dlsym(h, "drv_cce"); }
    int64_t n = 1000000, K = 10; int reps = argc > 3 ? atoi(argv[3]) : 11;
    double *x = malloc(8 * n * K); float *xf = malloc(4 * n * K); int64_t *t = malloc(8 * n); double *g = malloc(8 * n * K);
    srand(0); for (int64_t i = 0; i < n * K; i++) { double u1 = (rand() + 1.0) / (RAND_MAX + 2.0), u2 = rand() / (RAND_MAX + 1.0); x[i] = sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2); xf[i] = (float)x[i]; }
    for (int64_t i = 0; i < n; i++) t[i] = rand() % K;
    const char *cases[4] = {"f64 loss", "f32 loss", "f64 grad", "f32 grad"};
    for (int c = 0; c < 4; c++) {
        int f32 = c & 1, grad = c >= 2; double T[2][64], res[2];
        for (int it = 0; it < reps + 1; it++) for (int v0 = 0; v0 < 2; v0++) { int v = it & 1 ? 1 - v0 : v0;
            double t0 = now(); f[v](f32 ? (void *)xf : (void *)x, f32, t, n, K, NULL, grad ? g : NULL, &res[v]); double t1 = now();
            if (it) T[v][it - 1] = t1 - t0; }
        double md[2]; for (int v = 0; v < 2; v++) { qsort(T[v], reps, sizeof(double), cmp); md[v] = T[v][reps / 2]; }
        printf("%s: A %.2f ms (%.3f ns/val) B %.2f ms (%.3f ns/val)  A/B %.3f   (min A %.2f B %.2f)  sums %.17g %.17g\n", cases[c], md[0]*1e3, md[0]/n/K*1e9, md[1]*1e3, md[1]/n/K*1e9, md[0]/md[1], T[0][0]*1e3, T[1][0]*1e3, res[0], res[1]);
    }
    return 0;
}
