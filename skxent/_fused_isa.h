/* skxent/_fused_isa.h -- instantiate the fused pass's tiles (_fused_tiles.h) for one ISA.
 *
 * Design note
 * -----------
 * _fused.h compiles the tiles once per instruction-set family (baseline, AVX2, AVX-512), each in
 * float64 and float32. The family is described by macros defined just before including this
 * file: SKF_ISA (the name in the functions' suffix: base, avx2, avx512), SKF_ATTR (its target
 * attribute) and the register-blocking sizes SKF_VB, SKF_FRB, SKF_FKB, SKF_BKB, SKF_BJB, SKF_SVB,
 * SKF_SMAXV. This file includes the tiles for both dtypes and then undefines all of them, so
 * each family is one block of parameters and one include, not a copy of this boilerplate.
 * No include guard: it is meant to be included once per family.
 */
#define SKF_T double
#define SKF_DOUBLE 1
#define SKF_ID(x) SKF_CAT3(x, SKF_ISA, f64)
#include "_fused_tiles.h"
#undef SKF_T
#undef SKF_DOUBLE
#undef SKF_ID
#define SKF_T float
#define SKF_DOUBLE 0
#define SKF_ID(x) SKF_CAT3(x, SKF_ISA, f32)
#include "_fused_tiles.h"
#undef SKF_T
#undef SKF_DOUBLE
#undef SKF_ID
#undef SKF_ISA
#undef SKF_ATTR
#undef SKF_VB
#undef SKF_FRB
#undef SKF_FKB
#undef SKF_BKB
#undef SKF_BJB
#undef SKF_SVB
#undef SKF_SMAXV
