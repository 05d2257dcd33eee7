#!/bin/sh
# Kernel-level A/B of two revisions of skxent's C headers (see drv.c, main.c).
# usage: benchmarks/exp_ab/run.sh [REV_A [REV_B [ROUNDS]]]
# default: A = 19c6f1c (portable exp), B = 347c53d (the AVX-512 exp wired into the softmax stage)
set -e
A=${1:-19c6f1c}; B=${2:-347c53d}; ROUNDS=${3:-21}
HERE=$(cd "$(dirname "$0")" && pwd); TMP=$(mktemp -d)
FL="-O3 -fPIC -shared -fwrapv -fno-math-errno -fno-trapping-math -Wno-unused-function -Wno-unknown-pragmas -fopenmp -DSKXENT_OPENMP=1"
for r in A B; do
  eval rev=\$$r; mkdir -p "$TMP/$r"
  for h in _kernels.h _simd.h; do git -C "$HERE" show "$rev:skxent/$h" > "$TMP/$r/$h"; done
  gcc $FL -I"$TMP/$r" "$HERE/drv.c" -o "$TMP/$r.so"
done
gcc -O2 "$HERE/main.c" -o "$TMP/main" -ldl -lm
echo "A = $A, B = $B; load average: $(cat /proc/loadavg)"
"$TMP/main" "$TMP/A.so" "$TMP/B.so" "$ROUNDS"
echo "load average: $(cat /proc/loadavg)"
rm -rf "$TMP"
