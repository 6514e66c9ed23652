/* dualjac/generic.h - type-generic operations, like <tgmath.h>.
 *
 * dj_sin(x), dj_mul(a, b), dj_pow(a, b), ... accept a double (or any
 * arithmetic type, converted to double), a dj_dual, a chunk (dj_c8 ...
 * dj_c64), a dj_rvar (reverse mode, rvar.h) or a double _Complex (the
 * complex form for the complex step, detail/cplx.h; float _Complex is
 * widened to it) and call the matching operation. Binary operations accept
 * two arguments of the same dual, chunk, rvar or complex type, or one of
 * them with a plain number on either side: dj_mul(2, x), dj_pow(x, 3.0),
 * dj_sub(x, y). Mixing two different dual, chunk, rvar or complex types is
 * a compile error.
 *
 *   unary:   dj_neg dj_exp dj_exp2 dj_expm1 dj_log dj_log2 dj_log10 dj_log1p
 *            dj_sqrt dj_cbrt dj_sin dj_cos dj_tan dj_asin dj_acos dj_atan
 *            dj_sinh dj_cosh dj_tanh dj_asinh dj_acosh dj_atanh dj_erf
 *            dj_erfc dj_fabs dj_floor dj_ceil dj_round dj_trunc
 *   binary:  dj_add dj_sub dj_mul dj_div dj_pow dj_atan2 dj_hypot dj_fmin
 *            dj_fmax dj_copysign
 *   ternary: dj_fma(a, b, c)     (all three of one type)
 *   other:   dj_value(x)         the value as a double (the real part of
 *                                a complex)
 *            dj_const(T, c)      the constant c as a T (T a type name)
 *
 * Complex (double _Complex): every operation above has a complex version
 * (detail/cplx.h says how each is made complex-safe: analytic ones by the
 * C99 complex functions, fabs/fmin/fmax/copysign/floor/... by the real
 * part, erf/erfc linearized). Where the compiler has no complex types
 * (__STDC_NO_COMPLEX__) the branch is left out, and a complex argument is
 * then converted to a number as C converts it (imaginary part dropped):
 * do not instantiate templates for complex there.
 *
 * Writing a function once for every type: see instantiate.h. */
#ifndef DUALJAC_GENERIC_H
#define DUALJAC_GENERIC_H

#include "dual.h"
#include "chunk.h"
#include "rvar.h"
#include "detail/cplx.h"

#ifdef __cplusplus
#error "dualjac/generic.h uses C11 _Generic; C++ code can call the typed operations"
#endif

/* The plain-double versions, so that the generic spellings work on doubles. */
static inline double dj_real_const(double c) { return c; }
static inline double dj_real_value(double x) { return x; }
static inline double dj_real_neg(double x) { return -x; }
static inline double dj_real_add(double a, double b) { return a + b; }
static inline double dj_real_sub(double a, double b) { return a - b; }
static inline double dj_real_mul(double a, double b) { return a * b; }
static inline double dj_real_div(double a, double b) { return a / b; }
#define DJ_REAL1_(f) static inline double dj_real_##f(double x) { return f(x); }
DJ_REAL1_(exp) DJ_REAL1_(exp2) DJ_REAL1_(expm1) DJ_REAL1_(log) DJ_REAL1_(log2)
DJ_REAL1_(log10) DJ_REAL1_(log1p) DJ_REAL1_(sqrt) DJ_REAL1_(cbrt) DJ_REAL1_(sin)
DJ_REAL1_(cos) DJ_REAL1_(tan) DJ_REAL1_(asin) DJ_REAL1_(acos) DJ_REAL1_(atan)
DJ_REAL1_(sinh) DJ_REAL1_(cosh) DJ_REAL1_(tanh) DJ_REAL1_(asinh) DJ_REAL1_(acosh)
DJ_REAL1_(atanh) DJ_REAL1_(erf) DJ_REAL1_(erfc) DJ_REAL1_(fabs) DJ_REAL1_(floor)
DJ_REAL1_(ceil) DJ_REAL1_(round) DJ_REAL1_(trunc)
#undef DJ_REAL1_
#define DJ_REAL2_(f) static inline double dj_real_##f(double a, double b) { return f(a, b); }
DJ_REAL2_(pow) DJ_REAL2_(atan2) DJ_REAL2_(hypot) DJ_REAL2_(fmin) DJ_REAL2_(fmax)
DJ_REAL2_(copysign)
#undef DJ_REAL2_
static inline double dj_real_fma(double a, double b, double c) { return fma(a, b, c); }

/* The complex associations of the dispatch (empty without complex types):
 * one argument; a complex first argument (second one complex, or a number);
 * a number first and a complex second. */
#if !defined(__STDC_NO_COMPLEX__)
#define DJ_GENC1_(f) double _Complex: dj_cplx_##f, float _Complex: dj_cplx_##f,
#define DJ_GENC2_(f, b)                                                       \
    double _Complex: _Generic((b), double _Complex: dj_cplx_##f,              \
        float _Complex: dj_cplx_##f, default: dj_cplx_##f##_xd),              \
    float _Complex: _Generic((b), double _Complex: dj_cplx_##f,               \
        float _Complex: dj_cplx_##f, default: dj_cplx_##f##_xd),
#define DJ_GENC2D_(f) double _Complex: dj_cplx_##f##_dx, float _Complex: dj_cplx_##f##_dx,
/* a complex next to a dual, chunk or rvar: a function that takes neither,
 * so the call is a compile error (C would otherwise convert the complex to
 * a double, dropping its imaginary part silently). Declared, never defined. */
struct dj_error_complex_mixed_;
void dj_error_complex_mixed_with_another_type_(struct dj_error_complex_mixed_ *never);
#define DJ_GENCX_ double _Complex: dj_error_complex_mixed_with_another_type_,     \
    float _Complex: dj_error_complex_mixed_with_another_type_,
#else
#define DJ_GENC1_(f)
#define DJ_GENC2_(f, b)
#define DJ_GENC2D_(f)
#define DJ_GENCX_
#endif

/* The chunk operation f of chunk type T: dj_c16_f, or dj_c16_ng_f (the
 * unguarded one, chunk.h) where DJ_CHUNK_OPS_ is defined as _ng, as
 * instantiate.h does while it makes a template's unguarded forms. The
 * suffix is read where a generic operation is expanded. */
#ifndef DJ_CHUNK_OPS_
#define DJ_CHUNK_OPS_
#endif
#define DJ_CFN_(T, f) DJ_CFN2_(T, DJ_CHUNK_OPS_, f)
#define DJ_CFN2_(T, s, f) DJ_CFN3_(T, s, f)
#define DJ_CFN3_(T, s, f) T##s##_##f

/* Dispatch on one argument. */
#define DJ_GEN1_(f, x) _Generic((x),                                          \
    dj_dual: dj_dual_##f, dj_c8: DJ_CFN_(dj_c8, f), dj_c16: DJ_CFN_(dj_c16, f), \
    dj_c32: DJ_CFN_(dj_c32, f), dj_c64: DJ_CFN_(dj_c64, f), dj_rvar: dj_rvar_##f, \
    DJ_GENC1_(f)                                                              \
    default: dj_real_##f)

/* Dispatch on two arguments: same type, or a number on one side. */
#define DJ_GEN2_(f, a, b) _Generic((a),                                       \
    dj_dual: _Generic((b), dj_dual: dj_dual_##f, DJ_GENCX_                    \
                           default: dj_dual_##f##_xd),                        \
    dj_c8:   _Generic((b), dj_c8: DJ_CFN_(dj_c8, f), DJ_GENCX_                \
                           default: DJ_CFN_(dj_c8, f##_xd)),                  \
    dj_c16:  _Generic((b), dj_c16: DJ_CFN_(dj_c16, f), DJ_GENCX_              \
                           default: DJ_CFN_(dj_c16, f##_xd)),                 \
    dj_c32:  _Generic((b), dj_c32: DJ_CFN_(dj_c32, f), DJ_GENCX_              \
                           default: DJ_CFN_(dj_c32, f##_xd)),                 \
    dj_c64:  _Generic((b), dj_c64: DJ_CFN_(dj_c64, f), DJ_GENCX_              \
                           default: DJ_CFN_(dj_c64, f##_xd)),                 \
    dj_rvar: _Generic((b), dj_rvar: dj_rvar_##f, DJ_GENCX_                    \
                           default: dj_rvar_##f##_xd),                        \
    DJ_GENC2_(f, b)                                                           \
    default: _Generic((b),                                                    \
        dj_dual: dj_dual_##f##_dx, dj_c8: DJ_CFN_(dj_c8, f##_dx),             \
        dj_c16: DJ_CFN_(dj_c16, f##_dx), dj_c32: DJ_CFN_(dj_c32, f##_dx),     \
        dj_c64: DJ_CFN_(dj_c64, f##_dx), dj_rvar: dj_rvar_##f##_dx,           \
        DJ_GENC2D_(f)                                                         \
        default: dj_real_##f))

#define dj_value(x)      DJ_GEN1_(value, x)(x)
#define dj_const(T, c)   DJ_GEN1_(const, (T){0})(c)

#define dj_neg(x)        DJ_GEN1_(neg, x)(x)
#define dj_exp(x)        DJ_GEN1_(exp, x)(x)
#define dj_exp2(x)       DJ_GEN1_(exp2, x)(x)
#define dj_expm1(x)      DJ_GEN1_(expm1, x)(x)
#define dj_log(x)        DJ_GEN1_(log, x)(x)
#define dj_log2(x)       DJ_GEN1_(log2, x)(x)
#define dj_log10(x)      DJ_GEN1_(log10, x)(x)
#define dj_log1p(x)      DJ_GEN1_(log1p, x)(x)
#define dj_sqrt(x)       DJ_GEN1_(sqrt, x)(x)
#define dj_cbrt(x)       DJ_GEN1_(cbrt, x)(x)
#define dj_sin(x)        DJ_GEN1_(sin, x)(x)
#define dj_cos(x)        DJ_GEN1_(cos, x)(x)
#define dj_tan(x)        DJ_GEN1_(tan, x)(x)
#define dj_asin(x)       DJ_GEN1_(asin, x)(x)
#define dj_acos(x)       DJ_GEN1_(acos, x)(x)
#define dj_atan(x)       DJ_GEN1_(atan, x)(x)
#define dj_sinh(x)       DJ_GEN1_(sinh, x)(x)
#define dj_cosh(x)       DJ_GEN1_(cosh, x)(x)
#define dj_tanh(x)       DJ_GEN1_(tanh, x)(x)
#define dj_asinh(x)      DJ_GEN1_(asinh, x)(x)
#define dj_acosh(x)      DJ_GEN1_(acosh, x)(x)
#define dj_atanh(x)      DJ_GEN1_(atanh, x)(x)
#define dj_erf(x)        DJ_GEN1_(erf, x)(x)
#define dj_erfc(x)       DJ_GEN1_(erfc, x)(x)
#define dj_fabs(x)       DJ_GEN1_(fabs, x)(x)
#define dj_floor(x)      DJ_GEN1_(floor, x)(x)
#define dj_ceil(x)       DJ_GEN1_(ceil, x)(x)
#define dj_round(x)      DJ_GEN1_(round, x)(x)
#define dj_trunc(x)      DJ_GEN1_(trunc, x)(x)

#define dj_add(a, b)      DJ_GEN2_(add, a, b)((a), (b))
#define dj_sub(a, b)      DJ_GEN2_(sub, a, b)((a), (b))
#define dj_mul(a, b)      DJ_GEN2_(mul, a, b)((a), (b))
#define dj_div(a, b)      DJ_GEN2_(div, a, b)((a), (b))
#define dj_pow(a, b)      DJ_GEN2_(pow, a, b)((a), (b))
#define dj_atan2(a, b)    DJ_GEN2_(atan2, a, b)((a), (b))
#define dj_hypot(a, b)    DJ_GEN2_(hypot, a, b)((a), (b))
#define dj_fmin(a, b)     DJ_GEN2_(fmin, a, b)((a), (b))
#define dj_fmax(a, b)     DJ_GEN2_(fmax, a, b)((a), (b))
#define dj_copysign(a, b) DJ_GEN2_(copysign, a, b)((a), (b))

#define dj_fma(a, b, c)   DJ_GEN1_(fma, a)((a), (b), (c))

#endif
