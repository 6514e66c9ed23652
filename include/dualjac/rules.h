/* dualjac/rules.h - the derivative rules of the scalar functions, written once.
 *
 * Every differentiable scalar operation of dualjac is defined here, and only
 * here, as a rule: a function of the input values that returns the output
 * value together with the partial derivatives
 *
 *     dj_rule1 r = dj_rule_sin(x);       r.v = sin(x),  r.g  = cos(x)
 *     dj_rule2 r = dj_rule_pow(a, b);    r.v = a^b,     r.ga = df/da, r.gb = df/db
 *
 * Every other layer applies the same rules: a dual number or chunk forms its
 * tangent as the linear combination  y' = ga a' + gb b'  (dj_tangent_mul
 * below), the elementwise matrix operations do the same per entry, and
 * reverse mode accumulates  a_bar += ga y_bar.  Adding a function to dualjac
 * means adding one rule and one line to the lists at the end of this file.
 *
 * Conventions at kinks, edges and non-finite values (all documented in the
 * README, section "Derivatives at kinks and domain edges"):
 *   - fabs at 0:         derivative 0 (the middle of the subdifferential).
 *   - sqrt, cbrt at +-0: +inf (the true one-sided limit); outside the domain
 *                        value and derivative are NaN, as libm's value is.
 *   - log at +-0:        +inf (log2, log10 too); asin, acos, atanh at +-1,
 *                        acosh at 1: +-inf.
 *   - pow(a, b):         df/da = b a^(b-1), df/db = a^b log a, with
 *                        df/da = 0 when b == 0 (a^0 == 1 for every a),
 *                        df/db = 0 when a == 0 and b > 0 (limit of a^b log a),
 *                        df/db = NaN when a < 0 (a^b is not differentiable in
 *                        b there; harmless unless b carries a tangent).
 *   - fmin, fmax ties:   each argument gets 1/2 (the two one-sided
 *                        derivatives averaged, as PyTorch and JAX do); when
 *                        one argument is NaN the other one is chosen, value
 *                        and derivative.
 *   - atan2, hypot at the origin: all partials 0.
 *   - copysign(a, b):    d/da = +-1 (the sign of the result's flip), 0 at
 *                        a == 0 (consistent with fabs); d/db = 0.
 *   - floor, ceil, round, trunc: derivative 0 everywhere (also at the jumps).
 *
 * Zero tangents stay zero. A partial can be infinite (sqrt at 0) or NaN
 * (pow with a negative base, d/db). The product of such a partial with a
 * tangent lane that is exactly 0 is defined as 0, not NaN: a direction that
 * does not move an input contributes nothing, so an infinite derivative in
 * one Jacobian column does not leak NaN into the other columns. Cost: one
 * isfinite test per partial per operation (a scalar branch, not per lane);
 * the per-lane select runs only when a partial is not finite. */
#ifndef DUALJAC_RULES_H
#define DUALJAC_RULES_H

#include <float.h>
#include <math.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every scalar operation is always inlined, and the loops over a chunk's
 * SIMD blocks fully unrolled, whatever the optimization level: at GCC's
 * -O2 the default heuristics kept chunks in memory and ran 8x slower than
 * at -O3 (dualjac-bench, Chebyquad and Trigonometric, n = 128). */
#if defined(__GNUC__)
#define DJ_INLINE_ static inline __attribute__((always_inline))
#else
#define DJ_INLINE_ static inline
#endif
/* DJ_LIKELY_(c): c is almost always true (finite partials): the compiler
 * then lays the likely path out straight, without taken jumps. */
#if defined(__GNUC__)
#define DJ_LIKELY_(c) __builtin_expect(!!(c), 1)
#else
#define DJ_LIKELY_(c) (c)
#endif
#if defined(__clang__)
#define DJ_UNROLL_ _Pragma("unroll")
#elif defined(__GNUC__) && __GNUC__ >= 8
#define DJ_UNROLL_ _Pragma("GCC unroll 16")
#else
#define DJ_UNROLL_
#endif

typedef struct dj_rule1 { double v, g; } dj_rule1;               /* f(x)       */
typedef struct dj_rule2 { double v, ga, gb; } dj_rule2;          /* f(a, b)    */
typedef struct dj_rule3 { double v, ga, gb, gc; } dj_rule3;      /* f(a, b, c) */

#define DJ_LN2_       0.693147180559945309417232121458176568
#define DJ_LN10_      2.302585092994045684017999986336
#define DJ_2_SQRTPI_  1.12837916709551257389615890312154517

/* One tangent term g * d, where an exact-zero lane d contributes exactly 0
 * even when g is infinite or NaN. */
DJ_INLINE_ double dj_tangent_mul(double g, double d)
{
    return d == 0.0 ? 0.0 : g * d;
}

/* ---- unary rules ---------------------------------------------------------- */

DJ_INLINE_ dj_rule1 dj_rule_neg(double x)   { dj_rule1 r = { -x, -1.0 }; return r; }
DJ_INLINE_ dj_rule1 dj_rule_exp(double x)   { double e = exp(x); dj_rule1 r = { e, e }; return r; }
DJ_INLINE_ dj_rule1 dj_rule_exp2(double x)  { double e = exp2(x); dj_rule1 r = { e, e * DJ_LN2_ }; return r; }
DJ_INLINE_ dj_rule1 dj_rule_expm1(double x)
{
    /* e + 1 cancels when e is near -1; exp(x) is exact enough there */
    double e = expm1(x);
    dj_rule1 r = { e, x < -0.6931471805599453 ? exp(x) : e + 1.0 };
    return r;
}

/* 1/x for the logarithms, with +inf at both zeros (the derivative from
 * the right; log(-0) == log(+0)). */
DJ_INLINE_ double dj_inv_log_arg_(double x) { return x == 0.0 ? INFINITY : 1.0 / x; }

DJ_INLINE_ dj_rule1 dj_rule_log(double x)   { dj_rule1 r = { log(x), dj_inv_log_arg_(x) }; return r; }
DJ_INLINE_ dj_rule1 dj_rule_log2(double x)  { dj_rule1 r = { log2(x), dj_inv_log_arg_(x) / DJ_LN2_ }; return r; }
DJ_INLINE_ dj_rule1 dj_rule_log10(double x) { dj_rule1 r = { log10(x), dj_inv_log_arg_(x) / DJ_LN10_ }; return r; }
DJ_INLINE_ dj_rule1 dj_rule_log1p(double x) { dj_rule1 r = { log1p(x), 1.0 / (1.0 + x) }; return r; }

DJ_INLINE_ dj_rule1 dj_rule_sqrt(double x)
{
    double s = sqrt(x);
    dj_rule1 r = { s, s == 0.0 ? INFINITY : 0.5 / s };  /* +inf at +-0, NaN below 0 */
    return r;
}

DJ_INLINE_ dj_rule1 dj_rule_cbrt(double x)
{
    double c = cbrt(x);
    dj_rule1 r = { c, 1.0 / (3.0 * c * c) }; /* +inf at 0 */
    return r;
}

/* sin and cos of one argument: one sincos call where the C library has it
 * (glibc exports it; <math.h> declares it only with _GNU_SOURCE, so it is
 * declared here), else two calls. */
#if defined(__GLIBC__) && !defined(DJ_NO_SINCOS)
extern void sincos(double x, double *s, double *c);
#define DJ_HAVE_SINCOS_ 1
#else
#define DJ_HAVE_SINCOS_ 0
#endif

DJ_INLINE_ void dj_sincos_(double x, double *s, double *c)
{
#if DJ_HAVE_SINCOS_
    sincos(x, s, c);
#else
    *s = sin(x);
    *c = cos(x);
#endif
}

DJ_INLINE_ dj_rule1 dj_rule_sin(double x)
{
    double s, c;
    dj_sincos_(x, &s, &c);
    dj_rule1 r = { s, c };
    return r;
}

DJ_INLINE_ dj_rule1 dj_rule_cos(double x)
{
    double s, c;
    dj_sincos_(x, &s, &c);
    dj_rule1 r = { c, -s };
    return r;
}

DJ_INLINE_ dj_rule1 dj_rule_tan(double x)
{
    double t = tan(x);
    dj_rule1 r = { t, 1.0 + t * t };
    return r;
}

DJ_INLINE_ dj_rule1 dj_rule_asin(double x)
{
    dj_rule1 r = { asin(x), 1.0 / sqrt((1.0 - x) * (1.0 + x)) };
    return r;
}

DJ_INLINE_ dj_rule1 dj_rule_acos(double x)
{
    dj_rule1 r = { acos(x), -1.0 / sqrt((1.0 - x) * (1.0 + x)) };
    return r;
}

DJ_INLINE_ dj_rule1 dj_rule_atan(double x)
{
    /* 1/(1+x^2); for huge |x|, (1/x)/x so that x^2 does not overflow */
    double g = fabs(x) > 1e150 ? (1.0 / x) / x : 1.0 / (1.0 + x * x);
    dj_rule1 r = { atan(x), g };
    return r;
}

DJ_INLINE_ dj_rule1 dj_rule_sinh(double x) { dj_rule1 r = { sinh(x), cosh(x) }; return r; }
DJ_INLINE_ dj_rule1 dj_rule_cosh(double x) { dj_rule1 r = { cosh(x), sinh(x) }; return r; }

DJ_INLINE_ dj_rule1 dj_rule_tanh(double x)
{
    /* 1 - t^2 cancels as |t| -> 1: there use 4e/(1+e)^2, e = exp(-2|x|) */
    double t = tanh(x), g;
    if (fabs(t) < 0.5) {
        g = (1.0 - t) * (1.0 + t);
    } else {
        double e = exp(-2.0 * fabs(x));
        g = 4.0 * e / ((1.0 + e) * (1.0 + e));
    }
    dj_rule1 r = { t, g };
    return r;
}

DJ_INLINE_ dj_rule1 dj_rule_asinh(double x)
{
    dj_rule1 r = { asinh(x), 1.0 / hypot(x, 1.0) };
    return r;
}

DJ_INLINE_ dj_rule1 dj_rule_acosh(double x)
{
    /* two square roots: (x-1)(x+1) would overflow for x > 1e154 */
    dj_rule1 r = { acosh(x), 1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0)) };
    return r;
}

DJ_INLINE_ dj_rule1 dj_rule_atanh(double x)
{
    dj_rule1 r = { atanh(x), 1.0 / ((1.0 - x) * (1.0 + x)) };
    return r;
}

DJ_INLINE_ dj_rule1 dj_rule_erf(double x)
{
    dj_rule1 r = { erf(x), DJ_2_SQRTPI_ * exp(-x * x) };
    return r;
}

DJ_INLINE_ dj_rule1 dj_rule_erfc(double x)
{
    dj_rule1 r = { erfc(x), -DJ_2_SQRTPI_ * exp(-x * x) };
    return r;
}

DJ_INLINE_ dj_rule1 dj_rule_fabs(double x)
{
    dj_rule1 r = { fabs(x), x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : (x == 0.0 ? 0.0 : x)) };
    return r;
}

DJ_INLINE_ dj_rule1 dj_rule_floor(double x) { dj_rule1 r = { floor(x), 0.0 }; return r; }
DJ_INLINE_ dj_rule1 dj_rule_ceil(double x)  { dj_rule1 r = { ceil(x), 0.0 }; return r; }
DJ_INLINE_ dj_rule1 dj_rule_round(double x) { dj_rule1 r = { round(x), 0.0 }; return r; }
DJ_INLINE_ dj_rule1 dj_rule_trunc(double x) { dj_rule1 r = { trunc(x), 0.0 }; return r; }

/* ---- binary rules --------------------------------------------------------- */
/* Each binary rule comes in three forms: both arguments differentiated
 * (dj_rule_NAME), only the first (NAME_xd: b is a plain double) and only the
 * second (NAME_dx: a is a plain double). The one-sided forms share the
 * two-sided code, except where skipping a partial saves a libm call (pow). */

DJ_INLINE_ dj_rule2 dj_rule_add(double a, double b) { dj_rule2 r = { a + b, 1.0, 1.0 }; return r; }
DJ_INLINE_ dj_rule2 dj_rule_sub(double a, double b) { dj_rule2 r = { a - b, 1.0, -1.0 }; return r; }
DJ_INLINE_ dj_rule2 dj_rule_mul(double a, double b) { dj_rule2 r = { a * b, b, a }; return r; }

DJ_INLINE_ dj_rule2 dj_rule_div(double a, double b)
{
    double ib = 1.0 / b, v = a / b;
    dj_rule2 r = { v, ib, -v * ib };
    return r;
}

DJ_INLINE_ double dj_rule_pow_ga_(double a, double b, double v)
{
    if (b == 0.0)
        return 0.0;
    if (isfinite(v) && fabs(v) >= DBL_MIN && fabs(a) >= DBL_MIN)
        return b * (v / a);          /* b a^(b-1) without a second pow call */
    return b * pow(a, b - 1.0);
}

DJ_INLINE_ double dj_rule_pow_gb_(double a, double b, double v)
{
    if (a == 0.0 && b > 0.0)
        return 0.0;
    return v * log(a);
}

DJ_INLINE_ dj_rule2 dj_rule_pow(double a, double b)
{
    double v = pow(a, b);
    dj_rule2 r = { v, dj_rule_pow_ga_(a, b, v), dj_rule_pow_gb_(a, b, v) };
    return r;
}

DJ_INLINE_ dj_rule2 dj_rule_pow_xd(double a, double b)
{
    double v = pow(a, b);
    dj_rule2 r = { v, dj_rule_pow_ga_(a, b, v), 0.0 };
    return r;
}

DJ_INLINE_ dj_rule2 dj_rule_pow_dx(double a, double b)
{
    double v = pow(a, b);
    dj_rule2 r = { v, 0.0, dj_rule_pow_gb_(a, b, v) };
    return r;
}

/* (a, b) / max(|a|, |b|), so that sums of squares neither overflow nor
 * underflow; returns the scale, 0 at the origin or when not finite. */
DJ_INLINE_ double dj_unit_scale_(double a, double b, double *as, double *bs)
{
    double s = fmax(fabs(a), fabs(b));
    if (!(s > 0.0) || !isfinite(s))
        return 0.0;
    *as = a / s;
    *bs = b / s;
    return s;
}

DJ_INLINE_ dj_rule2 dj_rule_atan2(double y, double x)
{
    /* d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2), computed scaled */
    double ys = 0.0, xs = 0.0, s = dj_unit_scale_(y, x, &ys, &xs);
    dj_rule2 r = { atan2(y, x), 0.0, 0.0 };
    if (s > 0.0) {
        double q = xs * xs + ys * ys;       /* in [1, 2] */
        r.ga = (xs / q) / s;
        r.gb = -(ys / q) / s;
    }
    return r;
}

DJ_INLINE_ dj_rule2 dj_rule_hypot(double a, double b)
{
    /* d/da = a / h, d/db = b / h, computed scaled: right also when h overflows */
    double as = 0.0, bs = 0.0, s = dj_unit_scale_(a, b, &as, &bs);
    dj_rule2 r = { hypot(a, b), 0.0, 0.0 };
    if (s > 0.0) {
        double hs = sqrt(as * as + bs * bs);
        r.ga = as / hs;
        r.gb = bs / hs;
    }
    return r;
}

DJ_INLINE_ dj_rule2 dj_rule_fmin(double a, double b)
{
    dj_rule2 r = { fmin(a, b), 0.0, 0.0 };
    if (a < b || isnan(b))
        r.ga = 1.0;
    else if (b < a || isnan(a))
        r.gb = 1.0;
    else
        r.ga = r.gb = 0.5;
    return r;
}

DJ_INLINE_ dj_rule2 dj_rule_fmax(double a, double b)
{
    dj_rule2 r = { fmax(a, b), 0.0, 0.0 };
    if (a > b || isnan(b))
        r.ga = 1.0;
    else if (b > a || isnan(a))
        r.gb = 1.0;
    else
        r.ga = r.gb = 0.5;
    return r;
}

DJ_INLINE_ dj_rule2 dj_rule_copysign(double a, double b)
{
    double v = copysign(a, b);
    dj_rule2 r = { v, a == 0.0 ? 0.0 : (v == a ? 1.0 : -1.0), 0.0 };
    if (isnan(a))
        r.ga = a;
    return r;
}

#define dj_rule_add_xd      dj_rule_add
#define dj_rule_add_dx      dj_rule_add
#define dj_rule_sub_xd      dj_rule_sub
#define dj_rule_sub_dx      dj_rule_sub
#define dj_rule_mul_xd      dj_rule_mul
#define dj_rule_mul_dx      dj_rule_mul
#define dj_rule_div_xd      dj_rule_div
#define dj_rule_div_dx      dj_rule_div
#define dj_rule_atan2_xd    dj_rule_atan2
#define dj_rule_atan2_dx    dj_rule_atan2
#define dj_rule_hypot_xd    dj_rule_hypot
#define dj_rule_hypot_dx    dj_rule_hypot
#define dj_rule_fmin_xd     dj_rule_fmin
#define dj_rule_fmin_dx     dj_rule_fmin
#define dj_rule_fmax_xd     dj_rule_fmax
#define dj_rule_fmax_dx     dj_rule_fmax
#define dj_rule_copysign_xd dj_rule_copysign
#define dj_rule_copysign_dx dj_rule_copysign

/* ---- ternary rule --------------------------------------------------------- */

DJ_INLINE_ dj_rule3 dj_rule_fma(double a, double b, double c)
{
    dj_rule3 r = { fma(a, b, c), b, a, 1.0 };
    return r;
}

/* ---- the lists every layer expands ---------------------------------------- */

/* Cheap rules (a few flops) and libm rules (a libm call). The forward
 * drivers remember the libm rules' results across the passes of one
 * Jacobian (detail/memo.h); the cheap ones are simply recomputed. */
#define DJ_UNARY_RULES_CHEAP(X)                                               \
    X(neg) X(sqrt) X(fabs) X(floor) X(ceil) X(round) X(trunc)
#define DJ_UNARY_RULES_LIBM(X)                                                \
    X(exp) X(exp2) X(expm1) X(log) X(log2) X(log10) X(log1p) X(cbrt)         \
    X(sin) X(cos) X(tan) X(asin) X(acos) X(atan) X(sinh) X(cosh) X(tanh)     \
    X(asinh) X(acosh) X(atanh) X(erf) X(erfc)
#define DJ_UNARY_RULES(X) DJ_UNARY_RULES_CHEAP(X) DJ_UNARY_RULES_LIBM(X)

#define DJ_BINARY_RULES_CHEAP(X)                                              \
    X(add) X(sub) X(mul) X(div) X(fmin) X(fmax) X(copysign)
#define DJ_BINARY_RULES_LIBM(X) X(pow) X(atan2) X(hypot)
#define DJ_BINARY_RULES(X) DJ_BINARY_RULES_CHEAP(X) DJ_BINARY_RULES_LIBM(X)

/* A number for every rule form (used to label remembered results). */
#define DJ_RULE_ID1_(f) DJ_RULE_##f,
#define DJ_RULE_ID2_(f) DJ_RULE_##f, DJ_RULE_##f##_xd, DJ_RULE_##f##_dx,
enum dj_rule_id {
    DJ_RULE_NONE_ = 0,
    DJ_UNARY_RULES(DJ_RULE_ID1_)
    DJ_BINARY_RULES(DJ_RULE_ID2_)
    DJ_RULE_COUNT_
};
#undef DJ_RULE_ID1_
#undef DJ_RULE_ID2_

#ifdef __cplusplus
}
#endif

#endif
