/* dualjac/chunk.h - chunks: a value with a fixed number of tangent lanes.
 *
 * dj_c8, dj_c16, dj_c32 and dj_c64 carry 8, 16, 32 and 64 tangent directions
 * at once ("vector mode"): seeding lane k of input j with 1 (dj_cN_seed)
 * makes lane k of every output hold column j of the Jacobian. One pass costs
 * one primal evaluation plus a few vectorized flops per lane per operation;
 * wider chunks need fewer passes (each pass recomputes the primal), narrower
 * ones waste fewer lanes when n is small. The Jacobian driver (jacobian.h)
 * picks the width and the number of passes.
 *
 *   typedef struct dj_cN { double d[N]; union { double v; double vpad_[8]; }; } dj_cN;
 *   (lanes first; vpad_ is unused: it makes the size a multiple of 64 bytes)
 *
 * Every width has exactly the operations of dj_dual (see dual.h) with the
 * prefix dj_cN_ instead of dj_dual_: dj_c8_sin, dj_c8_mul_xd, dj_c8_fma, ...
 * All widths are generated from the one definition in
 * detail/tangent_type.h, with the rules of rules.h. */
#ifndef DUALJAC_CHUNK_H
#define DUALJAC_CHUNK_H

#include "rules.h"
#include "detail/memo.h"
#if defined(__GNUC__) && !defined(DJ_NO_VECTOR_EXT) && (defined(__AVX512F__) || defined(__FMA__))
#include <immintrin.h>      /* the fused multiply-adds of DJ_VFMA_ */
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The chunk widths, smallest first. */
#define DJ_CHUNK_WIDTHS(X) X(8) X(16) X(32) X(64)
#define DJ_CHUNK_MAX 64

/* The lane blocks: with GCC and Clang, lanes are processed in blocks of
 * DJ_VB_ doubles, one native SIMD register (AVX-512: 8, AVX: 4, else 2).
 * The struct layout does not depend on it (N lane doubles, then v), so
 * code compiled for different targets can share chunks. -DDJ_NO_VECTOR_EXT
 * selects plain lane loops. */
#if defined(__GNUC__) && !defined(DJ_NO_VECTOR_EXT)
#define DJ_HAVE_VECTOR_EXT_ 1
#if defined(__AVX512F__)
#define DJ_VB_ 8
#elif defined(__AVX__)
#define DJ_VB_ 4
#else
#define DJ_VB_ 2
#endif
typedef double dj_vblk_ __attribute__((vector_size(8 * DJ_VB_), aligned(8)));
typedef long long dj_vmask_ __attribute__((vector_size(8 * DJ_VB_), aligned(8)));
/* DJ_VFMA_(g, x, c) = g x + c on a block, fused (one rounding) where the
 * target has FMA; a compile-time constant g (the 1 and -1 of add and sub)
 * keeps the plain form, which the compiler folds to an add or subtract.
 * DJ_VLIN2_(ga, a, gb, b) = ga a + gb b, fusing the product whose factor is
 * not a constant. Ceres' Jet compiles to fused forms too (C++ contracts
 * by default, C11 does not); fusing took 7-21% off the MGH Jacobians.
 * Lanes then differ from an unfused build (and from dj_dual, never fused)
 * by rounding only; values are never fused. */
#if DJ_VB_ == 8
#define DJ_VFMA_(g, x, c) (__builtin_constant_p(g) ? (g) * (x) + (c) : \
    (dj_vblk_)_mm512_fmadd_pd(_mm512_set1_pd(g), (__m512d)(x), (__m512d)(c)))
#elif DJ_VB_ == 4 && defined(__FMA__)
#define DJ_VFMA_(g, x, c) (__builtin_constant_p(g) ? (g) * (x) + (c) : \
    (dj_vblk_)_mm256_fmadd_pd(_mm256_set1_pd(g), (__m256d)(x), (__m256d)(c)))
#else
#define DJ_VFMA_(g, x, c) ((g) * (x) + (c))
#endif
#define DJ_VLIN2_(ga, a, gb, b) (__builtin_constant_p(gb) ? DJ_VFMA_(ga, a, (gb) * (b)) \
                                                          : DJ_VFMA_(gb, b, (ga) * (a)))

#else
#define DJ_HAVE_VECTOR_EXT_ 0
#endif

/* DJ_CHUNK_HINT: the widest chunk the forward drivers should use for forms
 * compiled in this translation unit (DJ_FORMS records it in dj_function).
 * Measured with dualjac-bench on the MGH problems: 32 lanes (4 AVX-512
 * registers) is fastest with AVX-512, 16 otherwise; wider chunks need fewer
 * passes but spill registers. */
#ifndef DJ_CHUNK_HINT
#if defined(__AVX512F__)
#define DJ_CHUNK_HINT 32
#else
#define DJ_CHUNK_HINT 16
#endif
#endif

#define DJ_SCALAR_ 0

#define DJ_T_ dj_c8
#define DJ_P_(f) dj_c8_##f
#define DJ_N_ 8
#include "detail/tangent_type.h"
#undef DJ_T_
#undef DJ_P_
#undef DJ_N_

#define DJ_T_ dj_c16
#define DJ_P_(f) dj_c16_##f
#define DJ_N_ 16
#include "detail/tangent_type.h"
#undef DJ_T_
#undef DJ_P_
#undef DJ_N_

#define DJ_T_ dj_c32
#define DJ_P_(f) dj_c32_##f
#define DJ_N_ 32
#include "detail/tangent_type.h"
#undef DJ_T_
#undef DJ_P_
#undef DJ_N_

#define DJ_T_ dj_c64
#define DJ_P_(f) dj_c64_##f
#define DJ_N_ 64
#include "detail/tangent_type.h"
#undef DJ_T_
#undef DJ_P_
#undef DJ_N_

/* Unguarded operations. Every operation above guards its partials: when
 * one is not finite (the inf of sqrt'(0), a NaN), lanes whose input
 * tangent is exactly 0 give 0 rather than inf * 0 = NaN (see rules.h). That
 * is a test and a branch per operation, and the branches split a form's
 * loops into many blocks that the compiler schedules and allocates
 * registers for separately: without AVX-512 (16 vector registers) chunk
 * forms ran up to 2.6x slower than the same code without the guards
 * (8 lanes, SSE2: Brown n = 64 2.6x, Chebyquad n = 64 1.8x), with AVX-512
 * 2-8%.
 * dj_cN_ng_f is operation f without the guards: plain lane products
 * always, the same bits as dj_cN_f whenever every partial is finite; and
 * it records every partial in the thread's note (dj_memo_note_ in
 * detail/memo.h: a subtract and an OR, no branch). The drivers run the
 * unguarded forms that instantiate.h makes from these (dj_function's
 * fast_cN, see jacobian.h) with the note cleared, and when the note says
 * a partial was not finite they run the guarded form again on the same
 * inputs: a result is always the guarded one, bit for bit. Code that calls
 * these operations itself must do the same. */
#define DJ_UNGUARDED_ 1

#define DJ_T_ dj_c8
#define DJ_P_(f) dj_c8_ng_##f
#define DJ_N_ 8
#include "detail/tangent_type.h"
#undef DJ_T_
#undef DJ_P_
#undef DJ_N_

#define DJ_T_ dj_c16
#define DJ_P_(f) dj_c16_ng_##f
#define DJ_N_ 16
#include "detail/tangent_type.h"
#undef DJ_T_
#undef DJ_P_
#undef DJ_N_

#define DJ_T_ dj_c32
#define DJ_P_(f) dj_c32_ng_##f
#define DJ_N_ 32
#include "detail/tangent_type.h"
#undef DJ_T_
#undef DJ_P_
#undef DJ_N_

#define DJ_T_ dj_c64
#define DJ_P_(f) dj_c64_ng_##f
#define DJ_N_ 64
#include "detail/tangent_type.h"
#undef DJ_T_
#undef DJ_P_
#undef DJ_N_

#undef DJ_UNGUARDED_
#undef DJ_SCALAR_

#ifdef __cplusplus
}
#endif

#endif
